/*
 * NuLink3 USB protocol (docs/formats/usb.md): the frame codec shared by the programmer
 * firmware and the station, the command codes and the status codes of response frames.
 * Portable C, no heap, no GLib. The frame layout is the target link's (firmware/common/link)
 * with its own magic "NU" and a larger payload bound; the CRC-32 is the same.
 *
 * Frame (little-endian):
 *   0  u8[2] magic "NU" (0x4e 0x55)
 *   2  u8    version (FWN_USB_VERSION)
 *   3  u8    command (request: the command code; response: code | 0x80)
 *   4  u16   status (requests: 0; responses: an fwn_usb_rc)
 *   6  u16   payload length (at most FWN_USB_MAX_PAYLOAD)
 *   8  payload
 *   8+len u32 CRC-32 (IEEE 802.3, zlib's crc32) of bytes 0 .. 8+len
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWN_USB_MAGIC0	     0x4e /* 'N' */
#define FWN_USB_MAGIC1	     0x55 /* 'U' */
#define FWN_USB_VERSION	     1
#define FWN_USB_HEADER_SIZE  8
#define FWN_USB_CRC_SIZE     4
#define FWN_USB_MAX_PAYLOAD  16384
#define FWN_USB_MAX_FRAME    (FWN_USB_HEADER_SIZE + FWN_USB_MAX_PAYLOAD + FWN_USB_CRC_SIZE)
#define FWN_USB_RESPONSE_BIT 0x80

/* codec status (not on the wire, except as the payload of a BAD_FRAME response) */
typedef enum {
	FWN_USB_OK = 0,
	FWN_USB_ERR_ARGUMENT,	    /* NULL pointer, or a payload pointer NULL with a length */
	FWN_USB_ERR_BUFFER_SMALL,   /* encoder: the frame does not fit in the output buffer */
	FWN_USB_ERR_TRUNCATED,	    /* fewer bytes than the header, or than header + length + CRC */
	FWN_USB_ERR_BAD_MAGIC,	    /* the frame does not start with "NU" */
	FWN_USB_ERR_BAD_VERSION,    /* version is not FWN_USB_VERSION */
	FWN_USB_ERR_TOO_LONG,	    /* payload length above FWN_USB_MAX_PAYLOAD */
	FWN_USB_ERR_BAD_CRC,	    /* the CRC-32 does not match */
	FWN_USB_ERR_TRAILING,	    /* bytes after the CRC */
	FWN_USB_ERR_NOT_REQUEST,    /* a request was expected: response bit set, or status != 0 */
	FWN_USB_ERR_NOT_RESPONSE,   /* a response was expected: response bit clear */
	FWN_USB_ERR_WRONG_RESPONSE, /* the response answers another command */
} fwn_usb_status;

#define FWN_USB_STATUS_LAST FWN_USB_ERR_WRONG_RESPONSE

const char *
fwn_usb_strerror(int status);
/* the enum name ("FWN_USB_ERR_BAD_CRC"), or NULL for an unknown value */
const char *
fwn_usb_status_name(int status);

/* commands (requests); the response carries code | FWN_USB_RESPONSE_BIT */
typedef enum {
	FWN_CMD_GET_INFO = 0x01,
	FWN_CMD_SETUP_BEGIN = 0x02,
	FWN_CMD_SETUP_INSTALL = 0x03,
	FWN_CMD_SETUP_LOCK = 0x04,
	FWN_CMD_SIGN_TLS = 0x05,
	FWN_CMD_FACTORY_RESET = 0x06,
	FWN_CMD_PACKAGE_IMPORT = 0x10,
	FWN_CMD_ORDER_STATUS = 0x11,
	FWN_CMD_FIRMWARE_LOAD = 0x12,
	FWN_CMD_FIRMWARE_PROOF = 0x13,
	FWN_CMD_ORDER_CREDIT = 0x14,
	FWN_CMD_DEVICE_BEGIN = 0x20,
	FWN_CMD_DEVICE_COMPLETE = 0x21,
	FWN_CMD_DEVICE_ABORT = 0x22,
	FWN_CMD_SLOT_STATUS = 0x23,
} fwn_usb_cmd;

/* the command code of an error frame answering a frame whose header could not be read */
#define FWN_CMD_NONE 0x7f

/* status codes of response frames (u16 on the wire) */
typedef enum {
	FWN_RC_OK = 0,
	FWN_RC_BAD_FRAME,	/* malformed frame; payload: u16 fwn_usb_status */
	FWN_RC_UNKNOWN_COMMAND, /* command code not defined */
	FWN_RC_BAD_LENGTH,	/* payload length wrong for the command */
	FWN_RC_BAD_PAYLOAD,	/* payload is not the CBOR the command expects */
	FWN_RC_NOT_SET_UP,	/* keys not generated yet (SETUP_BEGIN first) */
	FWN_RC_SETUP_LOCKED,	/* setup command after SETUP_LOCK */
	FWN_RC_NOT_INSTALLED,	/* SETUP_LOCK before SETUP_INSTALL */
	FWN_RC_NOT_LOCKED,	/* production command before SETUP_LOCK */
	FWN_RC_STORAGE,		/* keystore storage failed */
	FWN_RC_CRYPTO,		/* crypto engine or RNG failure */
	FWN_RC_INTERNAL,	/* response does not fit: a bug */
	FWN_RC_PKG_FORMAT,	/* package envelope or manifest malformed */
	FWN_RC_PKG_DECRYPT,	/* HPKE open failed: not sealed to this programmer, or modified */
	FWN_RC_PKG_SIGNATURE,	/* manifest signature does not verify with the package key */
	FWN_RC_PKG_OTHER_PROGRAMMER, /* serial or key hash of another programmer */
	FWN_RC_PKG_NOT_YET_VALID,    /* now < not_before */
	FWN_RC_PKG_EXPIRED,	     /* now > not_after */
	FWN_RC_PKG_REPLAY,	     /* same or older issue than the one imported for the order */
	FWN_RC_PKG_LIMIT_DOWN,	     /* new limit below the units already spent */
	FWN_RC_ORDERS_FULL,	     /* no free order slot */
	FWN_RC_NO_ORDER,	     /* order ID unknown */
	FWN_RC_QUOTA_EXHAUSTED,	     /* used == limit */
	FWN_RC_BAD_SLOT,	     /* slot number out of range or not connected */
	FWN_RC_SLOT_BUSY,	     /* another command runs on this slot */
	FWN_RC_SLOT_STATE,	     /* the slot's device is not at the step the command needs */
	FWN_RC_TARGET_LINK,	     /* the target does not answer (transport) */
	FWN_RC_TARGET_ERROR,	     /* the target refused; payload: u8 command, u16 status */
	FWN_RC_ATTESTATION,	     /* the chip's attestation does not verify */
	FWN_RC_CERT_CHAIN,	     /* certificate chain malformed or not for this device */
	FWN_RC_NO_FIRMWARE,	     /* no firmware loaded for the order */
	FWN_RC_FIRMWARE_DIGEST,	     /* firmware does not match the order's image digest */
	FWN_RC_FIRMWARE_FORMAT,	     /* sealed firmware malformed or does not open */
	FWN_RC_VERIFY_FAILED,	     /* the flash does not hold what was written */
	FWN_RC_BOOT_FAILED,	     /* the target did not boot the image */
	FWN_RC_NOT_PERMITTED,	     /* the request is refused (e.g. a digest of the wrong size) */
	FWN_RC_CREDIT_STALE,	     /* a credit total not above the one already applied */
} fwn_usb_rc;

#define FWN_RC_LAST FWN_RC_CREDIT_STALE

const char *
fwn_usb_rc_strerror(int rc);
/* "FWN_RC_..." or NULL */
const char *
fwn_usb_rc_name(int rc);
/* "GET_INFO" or NULL */
const char *
fwn_usb_cmd_name(int cmd);

typedef struct {
	uint8_t command; /* as on the wire, response bit included */
	uint16_t status;
	const uint8_t *payload; /* points into the decoded buffer; never NULL after a decode */
	uint16_t payload_len;
} fwn_usb_frame;

/* checks the first FWN_USB_HEADER_SIZE bytes; *@frame_len = size of the whole frame */
int
fwn_usb_header_parse(const uint8_t *hdr, size_t len, fwn_usb_frame *frame, size_t *frame_len);
/* one whole frame in buf[0..len): header, length, CRC, no trailing byte */
int
fwn_usb_decode(const uint8_t *buf, size_t len, fwn_usb_frame *frame);
/* writes one frame into out[0..cap); the payload may already be at out + 8 */
int
fwn_usb_encode(uint8_t command,
	       uint16_t status,
	       const uint8_t *payload,
	       size_t payload_len,
	       uint8_t *out,
	       size_t cap,
	       size_t *out_len);
/* station side: a request frame (status 0, response bit clear) */
int
fwn_usb_encode_request(uint8_t command,
		       const uint8_t *payload,
		       size_t payload_len,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len);
/* station side: decodes a response and checks it answers @command (or FWN_CMD_NONE) */
int
fwn_usb_decode_response(const uint8_t *buf, size_t len, uint8_t command, fwn_usb_frame *frame);
/* programmer side: decodes a request (response bit clear, status 0) */
int
fwn_usb_decode_request(const uint8_t *buf, size_t len, fwn_usb_frame *frame);
