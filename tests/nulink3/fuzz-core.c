/*
 * libFuzzer harness of the NuLink3 command dispatcher: every request frame the station could
 * send, parsed by the real core over an in-memory HAL, in a programmer already set up and
 * locked (so that the package, firmware, order and slot parsers are reached). The first
 * input byte is the command, the rest the payload; the input is also tried as a raw frame.
 * Every response must be one well-formed response frame to that command.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "fwn-core.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_RECS    32
#define RAM_REC_MAX (FWN_SEALED_MAX + 64)

static uint8_t *ram_rec[RAM_RECS];
static size_t ram_rec_len[RAM_RECS];
static uint64_t ram_mono;
static uint64_t ram_rng = 0x9e3779b97f4a7c15ull;

static int
ram_huk(void *ctx, uint8_t huk[FWN_HUK_LEN])
{
	memset(huk, 0x5a, FWN_HUK_LEN);
	return FWN_HAL_OK;
}

static int
ram_read(void *ctx, unsigned rec, uint8_t *buf, size_t cap, size_t *len)
{
	if (rec >= RAM_RECS || ram_rec[rec] == NULL)
		return FWN_HAL_ERR_NOT_FOUND;
	if (ram_rec_len[rec] > cap)
		return FWN_HAL_ERR_RANGE;
	memcpy(buf, ram_rec[rec], ram_rec_len[rec]);
	*len = ram_rec_len[rec];
	return FWN_HAL_OK;
}

static int
ram_write(void *ctx, unsigned rec, const uint8_t *buf, size_t len)
{
	if (rec >= RAM_RECS || len > RAM_REC_MAX)
		return FWN_HAL_ERR_RANGE;
	if (ram_rec[rec] == NULL)
		ram_rec[rec] = malloc(RAM_REC_MAX);
	memcpy(ram_rec[rec], buf, len);
	ram_rec_len[rec] = len;
	return FWN_HAL_OK;
}

static int
ram_erase(void *ctx, unsigned rec)
{
	if (rec >= RAM_RECS || ram_rec[rec] == NULL)
		return FWN_HAL_ERR_NOT_FOUND;
	free(ram_rec[rec]);
	ram_rec[rec] = NULL;
	return FWN_HAL_OK;
}

static int
ram_mono_read(void *ctx, uint64_t *v)
{
	*v = ram_mono;
	return FWN_HAL_OK;
}

static int
ram_mono_advance(void *ctx, uint64_t v)
{
	if (v < ram_mono)
		return FWN_HAL_ERR_RANGE;
	ram_mono = v;
	return FWN_HAL_OK;
}

static int
ram_rand(void *ctx, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		ram_rng ^= ram_rng << 13;
		ram_rng ^= ram_rng >> 7;
		ram_rng ^= ram_rng << 17;
		buf[i] = (uint8_t)ram_rng;
	}
	return FWN_HAL_OK;
}

static uint64_t
ram_now(void *ctx)
{
	return 1700000000;
}

static void
ram_nop(void *ctx)
{
}

/* a target that never answers */
static int
ram_target(void *ctx,
	   unsigned slot,
	   const uint8_t *req,
	   size_t req_len,
	   uint8_t *resp,
	   size_t cap,
	   size_t *resp_len)
{
	return FWN_HAL_ERR_IO;
}

static fwn_hal ram_hal = {
    .serial = "NL3-FUZZ",
    .n_slots = 4,
    .huk_read = ram_huk,
    .store_read = ram_read,
    .store_write = ram_write,
    .store_erase = ram_erase,
    .mono_read = ram_mono_read,
    .mono_advance = ram_mono_advance,
    .rng = ram_rand,
    .now = ram_now,
    .lock = ram_nop,
    .unlock = ram_nop,
    .target_exchange = ram_target,
};

static fwn_core *core;
static uint8_t *req_buf, *resp_buf;

static void
check_response(uint8_t cmd, const uint8_t *resp, size_t len)
{
	fwn_usb_frame f;
	if (len == 0 || fwn_usb_decode_response(resp, len, cmd, &f) != FWN_USB_OK ||
	    f.status > FWN_RC_LAST)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = 0, rlen;

	if (core == NULL) {
		core = calloc(1, sizeof(*core));
		req_buf = malloc(FWN_USB_MAX_FRAME);
		resp_buf = malloc(FWN_USB_MAX_FRAME);
		if (fwn_core_init(core, &ram_hal) != FWN_RC_OK)
			abort();
		/* keys, then a locked configuration with a package key of its own */
		if (fwn_usb_encode_request(FWN_CMD_SETUP_BEGIN,
					   NULL,
					   0,
					   req_buf,
					   FWN_USB_MAX_FRAME,
					   &len) != FWN_USB_OK)
			abort();
		rlen = fwn_core_handle(core, req_buf, len, resp_buf, FWN_USB_MAX_FRAME);
		check_response(FWN_CMD_SETUP_BEGIN, resp_buf, rlen);
		memcpy(core->cfg.package_pub, core->req_pub, sizeof(core->req_pub));
		core->cfg.setup = FWN_SETUP_LOCKED;
	}
	if (size == 0)
		return 0;
	/* as a raw frame */
	rlen = fwn_core_handle(core, data, size, resp_buf, FWN_USB_MAX_FRAME);
	if (rlen == 0)
		abort();
	/* as command + payload; a factory reset would end the locked state: skip it */
	if (data[0] == FWN_CMD_FACTORY_RESET || (data[0] & FWN_USB_RESPONSE_BIT) != 0)
		return 0;
	if (fwn_usb_encode_request(data[0],
				   data + 1,
				   size - 1 > FWN_USB_MAX_PAYLOAD ? FWN_USB_MAX_PAYLOAD : size - 1,
				   req_buf,
				   FWN_USB_MAX_FRAME,
				   &len) != FWN_USB_OK)
		abort();
	rlen = fwn_core_handle(core, req_buf, len, resp_buf, FWN_USB_MAX_FRAME);
	check_response(data[0], resp_buf, rlen);
	return 0;
}
