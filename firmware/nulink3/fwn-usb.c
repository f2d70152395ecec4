/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwn-usb.h"

#include <string.h>

#include "fwc-link.h"

const char *
fwn_usb_strerror(int status)
{
	switch ((fwn_usb_status)status) {
	case FWN_USB_OK:
		return "success";
	case FWN_USB_ERR_ARGUMENT:
		return "invalid argument";
	case FWN_USB_ERR_BUFFER_SMALL:
		return "frame does not fit in the output buffer";
	case FWN_USB_ERR_TRUNCATED:
		return "frame truncated";
	case FWN_USB_ERR_BAD_MAGIC:
		return "frame does not start with the magic \"NU\"";
	case FWN_USB_ERR_BAD_VERSION:
		return "unsupported frame version";
	case FWN_USB_ERR_TOO_LONG:
		return "payload length above the maximum";
	case FWN_USB_ERR_BAD_CRC:
		return "frame CRC-32 does not match";
	case FWN_USB_ERR_TRAILING:
		return "bytes after the frame CRC";
	case FWN_USB_ERR_NOT_REQUEST:
		return "not a request frame (response bit or status set)";
	case FWN_USB_ERR_NOT_RESPONSE:
		return "not a response frame";
	case FWN_USB_ERR_WRONG_RESPONSE:
		return "response to another command";
	}
	return "unknown USB frame error";
}

const char *
fwn_usb_status_name(int status)
{
	static const char *names[] = {
	    "FWN_USB_OK",
	    "FWN_USB_ERR_ARGUMENT",
	    "FWN_USB_ERR_BUFFER_SMALL",
	    "FWN_USB_ERR_TRUNCATED",
	    "FWN_USB_ERR_BAD_MAGIC",
	    "FWN_USB_ERR_BAD_VERSION",
	    "FWN_USB_ERR_TOO_LONG",
	    "FWN_USB_ERR_BAD_CRC",
	    "FWN_USB_ERR_TRAILING",
	    "FWN_USB_ERR_NOT_REQUEST",
	    "FWN_USB_ERR_NOT_RESPONSE",
	    "FWN_USB_ERR_WRONG_RESPONSE",
	};
	if (status < 0 || status > FWN_USB_STATUS_LAST)
		return NULL;
	return names[status];
}

static const struct {
	const char *name;
	const char *msg;
} fwn_usb_rc_table[] = {
    {"FWN_RC_OK", "success"},
    {"FWN_RC_BAD_FRAME", "malformed frame"},
    {"FWN_RC_UNKNOWN_COMMAND", "unknown command"},
    {"FWN_RC_BAD_LENGTH", "payload length wrong for the command"},
    {"FWN_RC_BAD_PAYLOAD", "payload is not what the command expects"},
    {"FWN_RC_NOT_SET_UP", "programmer keys not generated (SETUP_BEGIN first)"},
    {"FWN_RC_SETUP_LOCKED", "setup is locked (factory reset to reopen)"},
    {"FWN_RC_NOT_INSTALLED", "setup not installed (SETUP_INSTALL first)"},
    {"FWN_RC_NOT_LOCKED", "setup not locked (SETUP_LOCK first)"},
    {"FWN_RC_STORAGE", "keystore storage failure"},
    {"FWN_RC_CRYPTO", "crypto engine or RNG failure"},
    {"FWN_RC_INTERNAL", "internal error"},
    {"FWN_RC_PKG_FORMAT", "package malformed"},
    {"FWN_RC_PKG_DECRYPT", "package does not open with this programmer's key"},
    {"FWN_RC_PKG_SIGNATURE", "package signature does not verify"},
    {"FWN_RC_PKG_OTHER_PROGRAMMER", "package is bound to another programmer"},
    {"FWN_RC_PKG_NOT_YET_VALID", "package is not valid yet"},
    {"FWN_RC_PKG_EXPIRED", "package has expired"},
    {"FWN_RC_PKG_REPLAY", "package is not newer than the one imported for its order"},
    {"FWN_RC_PKG_LIMIT_DOWN", "package limit is below the units already spent"},
    {"FWN_RC_ORDERS_FULL", "no free order slot"},
    {"FWN_RC_NO_ORDER", "unknown order"},
    {"FWN_RC_QUOTA_EXHAUSTED", "production limit reached"},
    {"FWN_RC_BAD_SLOT", "no such gang slot"},
    {"FWN_RC_SLOT_BUSY", "the gang slot is busy"},
    {"FWN_RC_SLOT_STATE", "the slot's device is not at the step the command needs"},
    {"FWN_RC_TARGET_LINK", "the target does not answer"},
    {"FWN_RC_TARGET_ERROR", "the target refused a command"},
    {"FWN_RC_ATTESTATION", "chip attestation does not verify"},
    {"FWN_RC_CERT_CHAIN", "certificate chain malformed or not for this device"},
    {"FWN_RC_NO_FIRMWARE", "no firmware loaded for the order"},
    {"FWN_RC_FIRMWARE_DIGEST", "firmware does not match the order's image digest"},
    {"FWN_RC_FIRMWARE_FORMAT", "sealed firmware malformed or does not open"},
    {"FWN_RC_VERIFY_FAILED", "flash verification failed"},
    {"FWN_RC_BOOT_FAILED", "the target did not boot the image"},
    {"FWN_RC_NOT_PERMITTED", "request not permitted"},
    {"FWN_RC_CREDIT_STALE", "credit not newer than the one already applied"},
};

_Static_assert(sizeof(fwn_usb_rc_table) / sizeof(fwn_usb_rc_table[0]) == FWN_RC_LAST + 1,
	       "one table row per fwn_usb_rc");

const char *
fwn_usb_rc_strerror(int rc)
{
	if (rc < 0 || rc > FWN_RC_LAST)
		return "unknown NuLink3 status";
	return fwn_usb_rc_table[rc].msg;
}

const char *
fwn_usb_rc_name(int rc)
{
	if (rc < 0 || rc > FWN_RC_LAST)
		return NULL;
	return fwn_usb_rc_table[rc].name;
}

const char *
fwn_usb_cmd_name(int cmd)
{
	switch ((fwn_usb_cmd)cmd) {
	case FWN_CMD_GET_INFO:
		return "GET_INFO";
	case FWN_CMD_SETUP_BEGIN:
		return "SETUP_BEGIN";
	case FWN_CMD_SETUP_INSTALL:
		return "SETUP_INSTALL";
	case FWN_CMD_SETUP_LOCK:
		return "SETUP_LOCK";
	case FWN_CMD_SIGN_TLS:
		return "SIGN_TLS";
	case FWN_CMD_FACTORY_RESET:
		return "FACTORY_RESET";
	case FWN_CMD_PACKAGE_IMPORT:
		return "PACKAGE_IMPORT";
	case FWN_CMD_ORDER_STATUS:
		return "ORDER_STATUS";
	case FWN_CMD_FIRMWARE_LOAD:
		return "FIRMWARE_LOAD";
	case FWN_CMD_FIRMWARE_PROOF:
		return "FIRMWARE_PROOF";
	case FWN_CMD_ORDER_CREDIT:
		return "ORDER_CREDIT";
	case FWN_CMD_DEVICE_BEGIN:
		return "DEVICE_BEGIN";
	case FWN_CMD_DEVICE_COMPLETE:
		return "DEVICE_COMPLETE";
	case FWN_CMD_DEVICE_ABORT:
		return "DEVICE_ABORT";
	case FWN_CMD_SLOT_STATUS:
		return "SLOT_STATUS";
	}
	return NULL;
}

int
fwn_usb_header_parse(const uint8_t *hdr, size_t len, fwn_usb_frame *frame, size_t *frame_len)
{
	uint16_t plen;

	if (hdr == NULL || frame == NULL || frame_len == NULL)
		return FWN_USB_ERR_ARGUMENT;
	memset(frame, 0, sizeof(*frame));
	*frame_len = 0;
	/* check what is there before complaining about what is missing */
	if (len >= 1 && hdr[0] != FWN_USB_MAGIC0)
		return FWN_USB_ERR_BAD_MAGIC;
	if (len >= 2 && hdr[1] != FWN_USB_MAGIC1)
		return FWN_USB_ERR_BAD_MAGIC;
	if (len >= 3 && hdr[2] != FWN_USB_VERSION)
		return FWN_USB_ERR_BAD_VERSION;
	if (len < FWN_USB_HEADER_SIZE)
		return FWN_USB_ERR_TRUNCATED;
	plen = fwc_link_get_u16(hdr + 6);
	if (plen > FWN_USB_MAX_PAYLOAD)
		return FWN_USB_ERR_TOO_LONG;
	frame->command = hdr[3];
	frame->status = fwc_link_get_u16(hdr + 4);
	frame->payload_len = plen;
	*frame_len = FWN_USB_HEADER_SIZE + (size_t)plen + FWN_USB_CRC_SIZE;
	return FWN_USB_OK;
}

int
fwn_usb_decode(const uint8_t *buf, size_t len, fwn_usb_frame *frame)
{
	size_t frame_len = 0;
	size_t crc_off;
	int rc;

	if (buf == NULL || frame == NULL)
		return FWN_USB_ERR_ARGUMENT;
	rc = fwn_usb_header_parse(buf, len, frame, &frame_len);
	if (rc != FWN_USB_OK)
		return rc;
	if (len < frame_len) {
		memset(frame, 0, sizeof(*frame));
		return FWN_USB_ERR_TRUNCATED;
	}
	if (len > frame_len) {
		memset(frame, 0, sizeof(*frame));
		return FWN_USB_ERR_TRAILING;
	}
	crc_off = frame_len - FWN_USB_CRC_SIZE;
	if (fwc_link_crc32(0, buf, crc_off) != fwc_link_get_u32(buf + crc_off)) {
		memset(frame, 0, sizeof(*frame));
		return FWN_USB_ERR_BAD_CRC;
	}
	frame->payload = buf + FWN_USB_HEADER_SIZE;
	return FWN_USB_OK;
}

int
fwn_usb_encode(uint8_t command,
	       uint16_t status,
	       const uint8_t *payload,
	       size_t payload_len,
	       uint8_t *out,
	       size_t cap,
	       size_t *out_len)
{
	size_t total;

	if (out == NULL || out_len == NULL || (payload == NULL && payload_len != 0))
		return FWN_USB_ERR_ARGUMENT;
	*out_len = 0;
	if (payload_len > FWN_USB_MAX_PAYLOAD)
		return FWN_USB_ERR_TOO_LONG;
	total = FWN_USB_HEADER_SIZE + payload_len + FWN_USB_CRC_SIZE;
	if (cap < total)
		return FWN_USB_ERR_BUFFER_SMALL;
	if (payload_len != 0 && payload != out + FWN_USB_HEADER_SIZE)
		memmove(out + FWN_USB_HEADER_SIZE, payload, payload_len);
	out[0] = FWN_USB_MAGIC0;
	out[1] = FWN_USB_MAGIC1;
	out[2] = FWN_USB_VERSION;
	out[3] = command;
	fwc_link_put_u16(out + 4, status);
	fwc_link_put_u16(out + 6, (uint16_t)payload_len);
	fwc_link_put_u32(out + FWN_USB_HEADER_SIZE + payload_len,
			 fwc_link_crc32(0, out, FWN_USB_HEADER_SIZE + payload_len));
	*out_len = total;
	return FWN_USB_OK;
}

int
fwn_usb_encode_request(uint8_t command,
		       const uint8_t *payload,
		       size_t payload_len,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len)
{
	if (command & FWN_USB_RESPONSE_BIT)
		return FWN_USB_ERR_ARGUMENT;
	return fwn_usb_encode(command, 0, payload, payload_len, out, cap, out_len);
}

int
fwn_usb_decode_response(const uint8_t *buf, size_t len, uint8_t command, fwn_usb_frame *frame)
{
	int rc = fwn_usb_decode(buf, len, frame);
	if (rc != FWN_USB_OK)
		return rc;
	if ((frame->command & FWN_USB_RESPONSE_BIT) == 0)
		return FWN_USB_ERR_NOT_RESPONSE;
	if ((frame->command & ~FWN_USB_RESPONSE_BIT) != command &&
	    (frame->command & ~FWN_USB_RESPONSE_BIT) != FWN_CMD_NONE)
		return FWN_USB_ERR_WRONG_RESPONSE;
	return FWN_USB_OK;
}

int
fwn_usb_decode_request(const uint8_t *buf, size_t len, fwn_usb_frame *frame)
{
	int rc = fwn_usb_decode(buf, len, frame);
	if (rc != FWN_USB_OK)
		return rc;
	if ((frame->command & FWN_USB_RESPONSE_BIT) != 0 || frame->status != 0)
		return FWN_USB_ERR_NOT_REQUEST;
	return FWN_USB_OK;
}
