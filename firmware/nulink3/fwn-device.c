/*
 * NuLink3 gang slots: DEVICE_BEGIN (attestation, root of trust, key generation, CSR, one unit
 * spent and persisted before the signed device request leaves), DEVICE_COMPLETE (certificate
 * chain checked and written, firmware programmed and verified, lifecycle locked, boot, birth
 * receipt), DEVICE_ABORT (signed abort record; the unit stays spent) and SLOT_STATUS.
 * The target work of a slot runs outside the shared lock, so slots proceed concurrently.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "fwc-cose-sign.h"
#include "fwc-link.h"
#include "fwc-tlink.h"
#include "fwn-core-private.h"
#include "fwn-x509.h"

#define FWN_CHIP_HEX_LEN (2 * FWC_TLINK_CHIP_ID_LEN)

static void
fwn_chip_hex(const uint8_t id[FWC_TLINK_CHIP_ID_LEN], char out[FWN_CHIP_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < FWC_TLINK_CHIP_ID_LEN; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 0xf];
	}
	out[FWN_CHIP_HEX_LEN] = '\0';
}

typedef struct {
	fwn_core *c;
	unsigned slot;
	/* the last target refusal, for the TARGET_ERROR payload */
	uint8_t t_cmd;
	uint16_t t_status;
	const uint8_t *rsp; /* payload of the last response */
	size_t rsp_len;
} fwn_dev;

/* one target command: FWN_RC_OK with d->t_status (the target's own status) */
static int
fwn_target(fwn_dev *d, uint8_t cmd, const uint8_t *payload, size_t len)
{
	fwn_slot_rt *rt = &d->c->slot[d->slot];
	fwc_link_frame frame;
	size_t req_len = 0, rsp_len = 0;

	d->t_cmd = cmd;
	d->t_status = 0;
	d->rsp = NULL;
	d->rsp_len = 0;
	if (fwc_link_encode_request(cmd, payload, len, rt->req, sizeof(rt->req), &req_len) !=
	    FWC_LINK_OK)
		return FWN_RC_INTERNAL;
	if (d->c->hal->target_exchange(d->c->hal->ctx,
				       d->slot,
				       rt->req,
				       req_len,
				       rt->rsp,
				       sizeof(rt->rsp),
				       &rsp_len) != FWN_HAL_OK)
		return FWN_RC_TARGET_LINK;
	if (fwc_link_decode_response(rt->rsp, rsp_len, cmd, &frame) != FWC_LINK_OK)
		return FWN_RC_TARGET_LINK;
	d->t_status = frame.status;
	d->rsp = frame.payload;
	d->rsp_len = frame.payload_len;
	return FWN_RC_OK;
}

/* a target command that must succeed: FWN_RC_TARGET_ERROR with the detail otherwise */
static int
fwn_target_ok(fwn_dev *d, uint8_t cmd, const uint8_t *payload, size_t len)
{
	int rc = fwn_target(d, cmd, payload, len);
	if (rc == FWN_RC_OK && d->t_status != FWC_TLINK_OK)
		return FWN_RC_TARGET_ERROR;
	return rc;
}

static int
fwn_target_error_payload(const fwn_dev *d, uint8_t *out, size_t cap, size_t *out_len)
{
	if (cap < 3)
		return FWN_RC_INTERNAL;
	out[0] = d->t_cmd;
	fwc_link_put_u16(out + 1, d->t_status);
	*out_len = 3;
	return FWN_RC_TARGET_ERROR;
}

static int
fwn_target_info(fwn_dev *d, fwc_tlink_info *info)
{
	int rc = fwn_target_ok(d, FWC_TLINK_CMD_GET_INFO, NULL, 0);
	if (rc != FWN_RC_OK)
		return rc;
	if (fwc_tlink_info_decode(d->rsp, d->rsp_len, info) != FWC_TLINK_OK)
		return FWN_RC_TARGET_LINK;
	return FWN_RC_OK;
}

/* takes the slot: under the lock, checks it exists and is free, and marks it busy */
static int
fwn_slot_take(fwn_core *c, uint64_t slot)
{
	if (slot >= c->hal->n_slots)
		return FWN_RC_BAD_SLOT;
	if (c->slot[slot].busy)
		return FWN_RC_SLOT_BUSY;
	c->slot[slot].busy = true;
	return FWN_RC_OK;
}

static void
fwn_slot_release(fwn_core *c, unsigned slot)
{
	c->hal->lock(c->hal->ctx);
	c->slot[slot].busy = false;
	c->hal->unlock(c->hal->ctx);
}

/* ATTEST: the chip is genuine (vendor CA); its attestation key goes to @attest_point */
static int
fwn_attest(fwn_dev *d,
	   const fwc_tlink_info *info,
	   const char *chip_hex,
	   uint8_t attest_point[FWC_P256_POINT_LEN])
{
	fwn_core *c = d->c;
	uint8_t nonce[FWC_TLINK_NONCE_LEN];
	uint8_t digest[FWC_SHA256_LEN];
	int rc;

	if (!c->cfg.has_vendor_ca)
		return FWN_RC_ATTESTATION;
	if (c->hal->rng(c->hal->ctx, nonce, sizeof(nonce)) != FWN_HAL_OK)
		return FWN_RC_CRYPTO;
	rc = fwn_target_ok(d, FWC_TLINK_CMD_ATTEST, nonce, sizeof(nonce));
	if (rc != FWN_RC_OK)
		return rc;
	if (d->rsp_len <= FWC_P256_SIG_LEN)
		return FWN_RC_ATTESTATION;
	/* the PSA core of mbedTLS 2.28 is not thread-safe: crypto runs under the lock */
	c->hal->lock(c->hal->ctx);
	if (fwc_tlink_attest_digest(info->chip_id, nonce, digest) != FWC_TLINK_OK)
		rc = FWN_RC_CRYPTO;
	else
		rc = fwn_x509_check_attestation(d->rsp + FWC_P256_SIG_LEN,
						d->rsp_len - FWC_P256_SIG_LEN,
						c->cfg.vendor_ca,
						c->cfg.vendor_ca_len,
						chip_hex,
						digest,
						d->rsp,
						attest_point);
	c->hal->unlock(c->hal->ctx);
	return rc;
}

/*
 * ATTEST_KEY: the identity key was generated inside this genuine chip (signed by the
 * attestation key over a fresh nonce), and it is the key of @csr
 */
static int
fwn_attest_key(fwn_dev *d,
	       const fwc_tlink_info *info,
	       const uint8_t attest_point[FWC_P256_POINT_LEN],
	       const uint8_t *csr,
	       size_t csr_len)
{
	fwn_core *c = d->c;
	uint8_t nonce[FWC_TLINK_NONCE_LEN];
	uint8_t digest[FWC_SHA256_LEN];
	uint8_t spki[FWC_P256_SPKI_LEN];
	int rc;

	if (c->hal->rng(c->hal->ctx, nonce, sizeof(nonce)) != FWN_HAL_OK)
		return FWN_RC_CRYPTO;
	rc = fwn_target_ok(d, FWC_TLINK_CMD_ATTEST_KEY, nonce, sizeof(nonce));
	if (rc != FWN_RC_OK)
		return rc;
	if (d->rsp_len != FWC_P256_POINT_LEN + FWC_P256_SIG_LEN)
		return FWN_RC_ATTESTATION;
	c->hal->lock(c->hal->ctx);
	if (fwc_tlink_attest_key_digest(info->chip_id, nonce, d->rsp, digest) != FWC_TLINK_OK)
		rc = FWN_RC_CRYPTO;
	else if (fwc_ecdsa_p256_verify(attest_point, digest, d->rsp + FWC_P256_POINT_LEN) !=
		 FWC_CRYPTO_OK)
		rc = FWN_RC_ATTESTATION;
	c->hal->unlock(c->hal->ctx);
	if (rc != FWN_RC_OK)
		return rc;
	/* the CSR carries exactly that key (its signature is the cloud's to check) */
	fwc_p256_point_to_spki(d->rsp, spki);
	if (memmem(csr, csr_len, spki, sizeof(spki)) == NULL)
		return FWN_RC_ATTESTATION;
	return FWN_RC_OK;
}

/* the device request (server: nusec_cloud_device_request_build), signed by the request key */
static int
fwn_device_request(fwn_core *c,
		   const fwn_order *o,
		   const char *chip_hex,
		   const uint8_t *csr,
		   size_t csr_len,
		   uint64_t counter,
		   uint8_t *out,
		   size_t cap,
		   size_t *out_len)
{
	uint8_t payload[2560];
	fwc_cbor_writer w;
	fwc_cbor_writer_init(&w, payload, sizeof(payload));
	fwc_cbor_write_map(&w, 6);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, FWN_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_tstr(&w, o->order_id, strlen(o->order_id));
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_tstr(&w, chip_hex, strlen(chip_hex));
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_bstr(&w, csr, csr_len);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_uint(&w, counter);
	fwc_cbor_write_uint(&w, 6);
	fwc_cbor_write_tstr(&w, c->hal->serial, strlen(c->hal->serial));
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
		return FWN_RC_INTERNAL;
	if (fwc_cose_sign1_create(payload,
				  w.len,
				  NULL,
				  0,
				  (const uint8_t *)FWN_AAD_REQUEST,
				  strlen(FWN_AAD_REQUEST),
				  fwn_cose_sign_cb,
				  &c->req_key,
				  out,
				  cap,
				  out_len,
				  NULL) != FWC_COSE_OK)
		return FWN_RC_CRYPTO;
	return FWN_RC_OK;
}

int
fwn_cmd_device_begin(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_UINT, .required = true},
	    {.key = 2, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	};
	fwn_dev d = {.c = c};
	fwn_order order;
	fwn_slot_journal j;
	fwc_tlink_info info;
	char chip_hex[FWN_CHIP_HEX_LEN + 1];
	uint8_t attest_point[FWC_P256_POINT_LEN];
	uint8_t csr[1024];
	uint8_t req[3072];
	size_t csr_len = 0, req_len = 0;
	uint64_t counter = 0;
	int idx, rc;

	if (!fwn_parse_map(p, plen, f, 2))
		return FWN_RC_BAD_PAYLOAD;
	c->hal->lock(c->hal->ctx);
	idx = fwn_order_find(c, (const char *)f[1].data, f[1].len);
	rc = fwn_slot_take(c, f[0].u);
	if (rc == FWN_RC_OK) {
		d.slot = (unsigned)f[0].u;
		j = c->st.slots[d.slot];
		if (idx < 0)
			rc = FWN_RC_NO_ORDER;
		else if (j.state == FWN_SLOT_SPENT && j.order != idx)
			rc = FWN_RC_SLOT_STATE;
		/* the limit is checked before the target is touched at all */
		else if (j.state == FWN_SLOT_IDLE &&
			 c->st.orders[idx].used >= c->st.orders[idx].limit)
			rc = FWN_RC_QUOTA_EXHAUSTED;
		if (rc == FWN_RC_OK)
			order = c->st.orders[idx];
		else
			c->slot[d.slot].busy = false;
	}
	c->hal->unlock(c->hal->ctx);
	if (rc != FWN_RC_OK)
		return rc;

	rc = fwn_target_info(&d, &info);
	if (rc == FWN_RC_OK) {
		fwn_chip_hex(info.chip_id, chip_hex);
		/* resume: the same chip gets the same unit again, never a second one */
		if (j.state == FWN_SLOT_SPENT &&
		    memcmp(j.chip_id, info.chip_id, FWC_TLINK_CHIP_ID_LEN) != 0)
			rc = FWN_RC_SLOT_STATE;
		counter = j.counter;
	}
	if (rc == FWN_RC_OK)
		rc = fwn_attest(&d, &info, chip_hex, attest_point);
	if (rc == FWN_RC_OK) {
		if (j.state == FWN_SLOT_IDLE) {
			rc = fwn_target_ok(&d,
					   FWC_TLINK_CMD_WRITE_ROT,
					   order.rot_hash,
					   sizeof(order.rot_hash));
			if (rc == FWN_RC_OK) {
				rc = fwn_target(&d, FWC_TLINK_CMD_GEN_KEY, NULL, 0);
				/* a key left by an earlier attempt on this chip is its own key */
				if (rc == FWN_RC_OK && d.t_status != FWC_TLINK_OK &&
				    d.t_status != FWC_TLINK_ERR_KEY_EXISTS)
					rc = FWN_RC_TARGET_ERROR;
			}
		}
	}
	if (rc == FWN_RC_OK)
		rc = fwn_target_ok(&d, FWC_TLINK_CMD_GET_CSR, NULL, 0);
	if (rc == FWN_RC_OK) {
		if (d.rsp_len == 0 || d.rsp_len > sizeof(csr))
			rc = FWN_RC_TARGET_LINK;
		else
			memcpy(csr, d.rsp, d.rsp_len);
		csr_len = d.rsp_len;
	}
	if (rc == FWN_RC_OK)
		rc = fwn_attest_key(&d, &info, attest_point, csr, csr_len);
	if (rc == FWN_RC_OK && j.state == FWN_SLOT_IDLE) {
		fwn_checkpoint(c, "begin:before-spend");
		/* spend one unit and persist it before anything leaves the programmer */
		c->hal->lock(c->hal->ctx);
		if (c->storage_rc != FWN_RC_OK) {
			rc = c->storage_rc;
		} else if (c->st.orders[idx].used >= c->st.orders[idx].limit) {
			rc = FWN_RC_QUOTA_EXHAUSTED;
		} else {
			fwn_slot_journal saved = c->st.slots[d.slot];
			c->st.orders[idx].used++;
			c->st.units_spent++;
			counter = c->st.orders[idx].used;
			c->st.slots[d.slot].state = FWN_SLOT_SPENT;
			c->st.slots[d.slot].order = (uint8_t)idx;
			c->st.slots[d.slot].counter = counter;
			memcpy(c->st.slots[d.slot].chip_id, info.chip_id, FWC_TLINK_CHIP_ID_LEN);
			rc = fwn_state_save(c);
			if (rc != FWN_RC_OK) {
				/* not persisted: not spent, and nothing leaves */
				c->st.orders[idx].used--;
				c->st.units_spent--;
				c->st.slots[d.slot] = saved;
			}
		}
		c->hal->unlock(c->hal->ctx);
	}
	if (rc == FWN_RC_OK)
		fwn_checkpoint(c, "begin:spent");
	if (rc == FWN_RC_OK) {
		c->hal->lock(c->hal->ctx);
		rc = fwn_device_request(c,
					&order,
					chip_hex,
					csr,
					csr_len,
					counter,
					req,
					sizeof(req),
					&req_len);
		c->hal->unlock(c->hal->ctx);
	}
	if (rc == FWN_RC_OK) {
		fwc_cbor_writer w;
		fwc_cbor_writer_init(&w, out, cap);
		fwc_cbor_write_map(&w, 3);
		fwc_cbor_write_uint(&w, 1);
		fwc_cbor_write_bstr(&w, req, req_len);
		fwc_cbor_write_uint(&w, 2);
		fwc_cbor_write_tstr(&w, chip_hex, strlen(chip_hex));
		fwc_cbor_write_uint(&w, 3);
		fwc_cbor_write_uint(&w, counter);
		if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
			rc = FWN_RC_INTERNAL;
		*out_len = w.len;
	}
	if (rc == FWN_RC_TARGET_ERROR)
		rc = fwn_target_error_payload(&d, out, cap, out_len);
	fwc_wipe(&order, sizeof(order));
	fwn_slot_release(c, d.slot);
	return rc;
}

static int
fwn_program(fwn_dev *d, const uint8_t *image, size_t size, uint32_t page)
{
	uint8_t buf[8 + FWC_TLINK_FLASH_CHUNK];
	uint32_t erase = (uint32_t)((size + page - 1) / page * page);
	int rc;

	fwc_link_put_u32(buf, 0);
	fwc_link_put_u32(buf + 4, erase);
	rc = fwn_target_ok(d, FWC_TLINK_CMD_FLASH_ERASE, buf, 8);
	for (size_t off = 0; rc == FWN_RC_OK && off < size; off += FWC_TLINK_FLASH_CHUNK) {
		size_t n = size - off < FWC_TLINK_FLASH_CHUNK ? size - off : FWC_TLINK_FLASH_CHUNK;
		fwc_link_put_u32(buf, (uint32_t)off);
		memcpy(buf + 4, image + off, n);
		rc = fwn_target_ok(d, FWC_TLINK_CMD_FLASH_WRITE, buf, 4 + n);
	}
	return rc;
}

static int
fwn_verify_flash(fwn_dev *d, const uint8_t *image, size_t size)
{
	uint8_t buf[8];
	uint8_t digest[FWC_SHA256_LEN];
	int rc;
	fwc_link_put_u32(buf, 0);
	fwc_link_put_u32(buf + 4, (uint32_t)size);
	rc = fwn_target_ok(d, FWC_TLINK_CMD_FLASH_HASH, buf, 8);
	if (rc != FWN_RC_OK)
		return rc;
	d->c->hal->lock(d->c->hal->ctx);
	rc = fwc_sha256(image, size, digest) == FWC_CRYPTO_OK ? FWN_RC_OK : FWN_RC_CRYPTO;
	d->c->hal->unlock(d->c->hal->ctx);
	if (rc != FWN_RC_OK)
		return rc;
	if (d->rsp_len != FWC_SHA256_LEN || !fwc_ct_equal(d->rsp, digest, FWC_SHA256_LEN))
		return FWN_RC_VERIFY_FAILED;
	return FWN_RC_OK;
}

int
fwn_cmd_device_complete(fwn_core *c,
			const uint8_t *p,
			size_t plen,
			uint8_t *out,
			size_t cap,
			size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_UINT, .required = true},
	    {.key = 2, .type = FWN_F_ARRAY, .required = true},
	};
	fwn_dev d = {.c = c};
	fwn_slot_journal j;
	fwc_tlink_info info;
	char chip_hex[FWN_CHIP_HEX_LEN + 1];
	static const uint8_t lc_provisioned = FWC_TLINK_LC_PROVISIONED;
	static const uint8_t lc_locked = FWC_TLINK_LC_LOCKED;
	uint8_t boot[FWC_TLINK_BOOT_RESULT_LEN];
	uint8_t nonce[16];
	const uint8_t *image = NULL;
	size_t image_size = 0, wc_len = 0;
	int rc;

	if (!fwn_parse_map(p, plen, f, 2))
		return FWN_RC_BAD_PAYLOAD;
	c->hal->lock(c->hal->ctx);
	rc = fwn_slot_take(c, f[0].u);
	if (rc == FWN_RC_OK) {
		d.slot = (unsigned)f[0].u;
		j = c->st.slots[d.slot];
		if (j.state != FWN_SLOT_SPENT)
			rc = FWN_RC_SLOT_STATE;
		else if (!c->st.orders[j.order].fw_loaded)
			rc = FWN_RC_NO_FIRMWARE;
		if (rc == FWN_RC_OK) {
			image = c->image[j.order];
			image_size = (size_t)c->st.orders[j.order].image_size;
		} else {
			c->slot[d.slot].busy = false;
		}
	}
	c->hal->unlock(c->hal->ctx);
	if (rc != FWN_RC_OK)
		return rc;

	rc = fwn_target_info(&d, &info);
	if (rc == FWN_RC_OK && memcmp(info.chip_id, j.chip_id, FWC_TLINK_CHIP_ID_LEN) != 0)
		rc = FWN_RC_SLOT_STATE;
	if (rc == FWN_RC_OK) {
		fwn_chip_hex(info.chip_id, chip_hex);
		c->hal->lock(c->hal->ctx);
		rc = fwn_x509_check_device_chain(f[1].data,
						 f[1].len,
						 c->cfg.ca,
						 c->cfg.ca_len,
						 chip_hex,
						 c->slot[d.slot].wc,
						 sizeof(c->slot[d.slot].wc),
						 &wc_len);
		c->hal->unlock(c->hal->ctx);
	}
	/* each step according to where an interrupted earlier attempt left the chip */
	if (rc == FWN_RC_OK && info.lifecycle == FWC_TLINK_LC_OPEN)
		rc = fwn_target_ok(&d, FWC_TLINK_CMD_WRITE_CERT, c->slot[d.slot].wc, wc_len);
	if (rc == FWN_RC_OK && info.lifecycle != FWC_TLINK_LC_LOCKED)
		rc = fwn_program(&d, image, image_size, info.flash_page_size);
	if (rc == FWN_RC_OK)
		fwn_checkpoint(c, "complete:programmed");
	/* a LOCKED chip has no debug access (FLASH_HASH refused): its secure boot checks */
	if (rc == FWN_RC_OK && info.lifecycle != FWC_TLINK_LC_LOCKED)
		rc = fwn_verify_flash(&d, image, image_size);
	if (rc == FWN_RC_OK && info.lifecycle == FWC_TLINK_LC_OPEN)
		rc = fwn_target_ok(&d, FWC_TLINK_CMD_SET_LIFECYCLE, &lc_provisioned, 1);
	if (rc == FWN_RC_OK && info.lifecycle != FWC_TLINK_LC_LOCKED)
		rc = fwn_target_ok(&d, FWC_TLINK_CMD_SET_LIFECYCLE, &lc_locked, 1);
	if (rc == FWN_RC_OK)
		fwn_checkpoint(c, "complete:locked");
	if (rc == FWN_RC_OK) {
		rc = fwn_target(&d, FWC_TLINK_CMD_BOOT, NULL, 0);
		if (rc == FWN_RC_OK && d.t_status != FWC_TLINK_OK)
			rc = FWN_RC_BOOT_FAILED;
		if (rc == FWN_RC_OK && d.rsp_len != sizeof(boot))
			rc = FWN_RC_TARGET_LINK;
		if (rc == FWN_RC_OK)
			memcpy(boot, d.rsp, sizeof(boot));
	}
	if (rc == FWN_RC_OK && c->hal->rng(c->hal->ctx, nonce, sizeof(nonce)) != FWN_HAL_OK)
		rc = FWN_RC_CRYPTO;
	if (rc == FWN_RC_OK)
		rc = fwn_target_ok(&d, FWC_TLINK_CMD_GET_RECEIPT, nonce, sizeof(nonce));
	if (rc == FWN_RC_OK) {
		fwc_cbor_writer w;
		fwc_cbor_writer_init(&w, out, cap);
		fwc_cbor_write_map(&w, 4);
		fwc_cbor_write_uint(&w, 1);
		fwc_cbor_write_bstr(&w, boot, sizeof(boot));
		fwc_cbor_write_uint(&w, 2);
		fwc_cbor_write_bstr(&w, d.rsp, d.rsp_len);
		fwc_cbor_write_uint(&w, 3);
		fwc_cbor_write_tstr(&w, chip_hex, strlen(chip_hex));
		fwc_cbor_write_uint(&w, 4);
		fwc_cbor_write_bstr(&w, nonce, sizeof(nonce));
		if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
			rc = FWN_RC_INTERNAL;
		*out_len = w.len;
	}
	if (rc == FWN_RC_OK) {
		/* the device is done: the slot is free for the next one */
		c->hal->lock(c->hal->ctx);
		c->st.slots[d.slot].state = FWN_SLOT_IDLE;
		rc = fwn_state_save(c);
		if (rc != FWN_RC_OK)
			c->st.slots[d.slot] = j;
		c->hal->unlock(c->hal->ctx);
	}
	if (rc == FWN_RC_TARGET_ERROR)
		rc = fwn_target_error_payload(&d, out, cap, out_len);
	fwn_slot_release(c, d.slot);
	return rc;
}

int
fwn_cmd_device_abort(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_UINT, .required = true},
	    {.key = 2, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = 256},
	};
	uint8_t payload[512];
	uint8_t rec[1024];
	size_t rec_len = 0;
	char chip_hex[FWN_CHIP_HEX_LEN + 1];
	fwc_cbor_writer w;
	fwn_slot_journal j;
	const fwn_order *o;
	unsigned slot;
	int rc;

	if (!fwn_parse_map(p, plen, f, 2))
		return FWN_RC_BAD_PAYLOAD;
	c->hal->lock(c->hal->ctx);
	rc = fwn_slot_take(c, f[0].u);
	if (rc != FWN_RC_OK) {
		c->hal->unlock(c->hal->ctx);
		return rc;
	}
	slot = (unsigned)f[0].u;
	j = c->st.slots[slot];
	if (j.state != FWN_SLOT_SPENT)
		rc = FWN_RC_SLOT_STATE;
	if (rc == FWN_RC_OK) {
		o = &c->st.orders[j.order];
		fwn_chip_hex(j.chip_id, chip_hex);
		fwc_cbor_writer_init(&w, payload, sizeof(payload));
		fwc_cbor_write_map(&w, 4);
		fwc_cbor_write_uint(&w, 1);
		fwc_cbor_write_uint(&w, FWN_FORMAT_VERSION);
		fwc_cbor_write_uint(&w, 2);
		fwc_cbor_write_tstr(&w, o->order_id, strlen(o->order_id));
		fwc_cbor_write_uint(&w, 3);
		fwc_cbor_write_tstr(&w, chip_hex, strlen(chip_hex));
		fwc_cbor_write_uint(&w, 4);
		fwc_cbor_write_tstr(&w, (const char *)f[1].data, f[1].len);
		if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
			rc = FWN_RC_BAD_PAYLOAD;
	}
	if (rc == FWN_RC_OK && fwc_cose_sign1_create(payload,
						     w.len,
						     NULL,
						     0,
						     (const uint8_t *)FWN_AAD_ABORT,
						     strlen(FWN_AAD_ABORT),
						     fwn_cose_sign_cb,
						     &c->req_key,
						     rec,
						     sizeof(rec),
						     &rec_len,
						     NULL) != FWC_COSE_OK)
		rc = FWN_RC_CRYPTO;
	if (rc == FWN_RC_OK) {
		/* the unit stays spent: only the cloud can credit it back */
		c->st.slots[slot].state = FWN_SLOT_IDLE;
		rc = fwn_state_save(c);
		if (rc != FWN_RC_OK)
			c->st.slots[slot] = j;
	}
	c->slot[slot].busy = false;
	c->hal->unlock(c->hal->ctx);
	if (rc != FWN_RC_OK)
		return rc;
	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_map(&w, 2);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_bstr(&w, rec, rec_len);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_tstr(&w, chip_hex, strlen(chip_hex));
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
		return FWN_RC_INTERNAL;
	*out_len = w.len;
	return FWN_RC_OK;
}

int
fwn_cmd_slot_status(fwn_core *c,
		    const uint8_t *p,
		    size_t plen,
		    uint8_t *out,
		    size_t cap,
		    size_t *out_len)
{
	fwn_field f[] = {{.key = 1, .type = FWN_F_UINT, .required = true}};
	const fwn_slot_journal *j;
	const char *order = "";
	char chip_hex[FWN_CHIP_HEX_LEN + 1];
	fwc_cbor_writer w;

	if (!fwn_parse_map(p, plen, f, 1))
		return FWN_RC_BAD_PAYLOAD;
	if (f[0].u >= c->hal->n_slots)
		return FWN_RC_BAD_SLOT;
	j = &c->st.slots[f[0].u];
	if (j->state == FWN_SLOT_SPENT)
		order = c->st.orders[j->order].order_id;
	fwn_chip_hex(j->chip_id, chip_hex);
	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_map(&w, 5);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, j->state);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_bool(&w, c->slot[f[0].u].busy);
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_tstr(&w, order, strlen(order));
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_tstr(&w, chip_hex, j->state == FWN_SLOT_SPENT ? FWN_CHIP_HEX_LEN : 0);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_uint(&w, j->counter);
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
		return FWN_RC_INTERNAL;
	*out_len = w.len;
	return FWN_RC_OK;
}
