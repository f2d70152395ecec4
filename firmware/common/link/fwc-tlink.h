/*
 * Target link protocol (docs/formats/target-link.md): command codes, the status codes carried in
 * response frames, lifecycle states and the fixed payload layouts, shared by the target's boot
 * ROM and by programmers. Portable C, no heap, no GLib.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"
#include "fwc-link.h"

/* commands (requests); the response carries code | FWC_LINK_RESPONSE_BIT */
typedef enum {
	FWC_TLINK_CMD_GET_INFO = 0x01,
	FWC_TLINK_CMD_ATTEST = 0x02,
	FWC_TLINK_CMD_WRITE_ROT = 0x03,
	FWC_TLINK_CMD_GEN_KEY = 0x04,
	FWC_TLINK_CMD_GET_CSR = 0x05,
	FWC_TLINK_CMD_WRITE_CERT = 0x06,
	FWC_TLINK_CMD_FLASH_ERASE = 0x07,
	FWC_TLINK_CMD_FLASH_WRITE = 0x08,
	FWC_TLINK_CMD_FLASH_HASH = 0x09,
	FWC_TLINK_CMD_FLASH_READ = 0x0a,
	FWC_TLINK_CMD_SET_LIFECYCLE = 0x0b,
	FWC_TLINK_CMD_BOOT = 0x0c,
	FWC_TLINK_CMD_GET_RECEIPT = 0x0d,
	FWC_TLINK_CMD_GET_CERT = 0x0e,
	FWC_TLINK_CMD_ATTEST_KEY = 0x0f,
} fwc_tlink_cmd;

/* the command code of an error frame answering a frame whose header could not be read */
#define FWC_TLINK_CMD_NONE 0x7f

/* status codes of response frames (u16 on the wire) */
typedef enum {
	FWC_TLINK_OK = 0,
	FWC_TLINK_ERR_BAD_FRAME,	      /* malformed frame; payload: u16 fwc_link_status */
	FWC_TLINK_ERR_UNKNOWN_COMMAND,	      /* command code not defined */
	FWC_TLINK_ERR_BAD_LENGTH,	      /* payload length wrong for the command */
	FWC_TLINK_ERR_BAD_ARGUMENT,	      /* a field of the payload out of its range */
	FWC_TLINK_ERR_LIFECYCLE,	      /* the lifecycle state forbids the command */
	FWC_TLINK_ERR_DEBUG_LOCKED,	      /* debug access (FLASH_READ) is off: chip LOCKED */
	FWC_TLINK_ERR_ROT_ALREADY_SET,	      /* OTP holds another root-of-trust hash */
	FWC_TLINK_ERR_ROT_NOT_SET,	      /* no root-of-trust hash in OTP */
	FWC_TLINK_ERR_OTP_DIRTY,	      /* the OTP field is half-programmed with other bits */
	FWC_TLINK_ERR_KEY_EXISTS,	      /* the identity key was already generated */
	FWC_TLINK_ERR_NO_KEY,		      /* no identity key yet (GEN_KEY first) */
	FWC_TLINK_ERR_CERT_CHAIN_FORMAT,      /* chain encoding: count, lengths, trailing bytes */
	FWC_TLINK_ERR_CERT_PARSE,	      /* a certificate is not DER X.509 */
	FWC_TLINK_ERR_CERT_KEY_MISMATCH,      /* the leaf's public key is not the chip's own */
	FWC_TLINK_ERR_NO_CERT,		      /* no certificate chain written */
	FWC_TLINK_ERR_FLASH_RANGE,	      /* offset/length outside the flash */
	FWC_TLINK_ERR_FLASH_ALIGN,	      /* erase not on page boundaries */
	FWC_TLINK_ERR_FLASH_NOT_ERASED,	      /* FLASH_WRITE over bytes that are not erased */
	FWC_TLINK_ERR_LIFECYCLE_INVALID,      /* SET_LIFECYCLE: not the next state */
	FWC_TLINK_ERR_LIFECYCLE_PRECONDITION, /* PROVISIONED needs ROT, key and certificate */
	FWC_TLINK_ERR_BOOT_REJECTED,	      /* secure boot refused the image; see the payload */
	FWC_TLINK_ERR_NOT_FABRICATED,	      /* no chip ID / attestation key (fab incomplete) */
	FWC_TLINK_ERR_STORAGE,		      /* flash, OTP or keystore storage failure */
	FWC_TLINK_ERR_CRYPTO,		      /* crypto engine or RNG failure */
	FWC_TLINK_ERR_INTERNAL,		      /* response does not fit: a bug */
} fwc_tlink_status;

#define FWC_TLINK_STATUS_LAST FWC_TLINK_ERR_INTERNAL

const char *
fwc_tlink_strerror(int status);
/* the enum name ("FWC_TLINK_ERR_LIFECYCLE"), or NULL for an unknown value */
const char *
fwc_tlink_status_name(int status);
/* the command name ("GET_INFO"), or NULL */
const char *
fwc_tlink_cmd_name(int cmd);

typedef enum {
	FWC_TLINK_LC_OPEN = 0,
	FWC_TLINK_LC_PROVISIONED = 1,
	FWC_TLINK_LC_LOCKED = 2,
} fwc_tlink_lifecycle;

const char *
fwc_tlink_lifecycle_name(int lc);

typedef enum {
	FWC_TLINK_BOOT_NONE = 0,     /* no BOOT since power-on */
	FWC_TLINK_BOOT_ACCEPTED = 1, /* the image verified; it runs */
	FWC_TLINK_BOOT_REJECTED = 2, /* refused: the image does not run */
} fwc_tlink_boot_state;

#define FWC_TLINK_CHIP_ID_LEN	16
#define FWC_TLINK_MODEL_LEN	16
#define FWC_TLINK_NONCE_LEN	32
#define FWC_TLINK_ROT_LEN	32
#define FWC_TLINK_CERT_MAX	4    /* certificates in a chain */
#define FWC_TLINK_FLASH_CHUNK	2048 /* largest FLASH_WRITE / FLASH_READ data */
#define FWC_TLINK_RECEIPT_NONCE 32   /* largest GET_RECEIPT nonce */

/* domain separation prefix of the ATTEST signature: SHA-256(prefix || chip ID || nonce) */
#define FWC_TLINK_ATTEST_CONTEXT "NuSEC target attest v1"

/* domain separation prefix of the ATTEST_KEY signature:
 * SHA-256(prefix || chip ID || nonce || identity public key) */
#define FWC_TLINK_ATTEST_KEY_CONTEXT "NuSEC target key attest v1"

/* GET_INFO.otp_flags */
#define FWC_TLINK_OTP_ROT_SET	(1u << 0)
#define FWC_TLINK_OTP_ROT_DIRTY (1u << 1) /* ROT field programmed without its commit marker */
/* GET_INFO.key_flags */
#define FWC_TLINK_KEY_IDENTITY (1u << 0)
#define FWC_TLINK_KEY_CERT     (1u << 1)
#define FWC_TLINK_KEY_ATTEST   (1u << 2)

/* GET_INFO response payload */
#define FWC_TLINK_INFO_LEN 88
typedef struct {
	uint8_t protocol;
	uint8_t lifecycle;     /* fwc_tlink_lifecycle */
	uint8_t otp_flags;     /* FWC_TLINK_OTP_* */
	uint8_t key_flags;     /* FWC_TLINK_KEY_* */
	uint8_t boot_state;    /* fwc_tlink_boot_state */
	uint8_t debug;	       /* 1 while debug access is on (OPEN, PROVISIONED) */
	uint16_t boot_status;  /* fwc_tlink_status of the last BOOT */
	uint16_t image_status; /* fwc_image_status of the last BOOT */
	uint8_t chip_id[FWC_TLINK_CHIP_ID_LEN];
	char model[FWC_TLINK_MODEL_LEN + 1]; /* NUL-terminated */
	uint32_t flash_size;
	uint32_t flash_page_size;
	uint32_t security_counter; /* OTP anti-rollback counter */
	uint8_t rot_hash[FWC_TLINK_ROT_LEN];
} fwc_tlink_info;

void
fwc_tlink_info_encode(const fwc_tlink_info *info, uint8_t out[FWC_TLINK_INFO_LEN]);
/* FWC_TLINK_OK, or FWC_TLINK_ERR_BAD_LENGTH / _BAD_ARGUMENT for a malformed payload */
int
fwc_tlink_info_decode(const uint8_t *buf, size_t len, fwc_tlink_info *info);

/* BOOT response payload (also sent with FWC_TLINK_ERR_BOOT_REJECTED / _ROT_NOT_SET) */
#define FWC_TLINK_BOOT_RESULT_LEN 56
typedef struct {
	uint8_t boot_state;	   /* fwc_tlink_boot_state */
	uint16_t boot_status;	   /* fwc_tlink_status: OK, BOOT_REJECTED or ROT_NOT_SET */
	uint16_t image_status;	   /* fwc_image_status (0 when accepted) */
	uint32_t image_counter;	   /* SEC_CNT of the image (0 without one) */
	uint32_t security_counter; /* OTP counter after the boot */
	uint8_t version[8];	   /* image version as in its header */
	uint8_t image_hash[32];	   /* SHA-256 of the signed part (the SHA256 TLV) when accepted */
} fwc_tlink_boot_result;

void
fwc_tlink_boot_result_encode(const fwc_tlink_boot_result *r,
			     uint8_t out[FWC_TLINK_BOOT_RESULT_LEN]);
int
fwc_tlink_boot_result_decode(const uint8_t *buf, size_t len, fwc_tlink_boot_result *r);

/* the digest ATTEST signs: SHA-256(FWC_TLINK_ATTEST_CONTEXT || chip ID || nonce);
 * FWC_TLINK_OK or FWC_TLINK_ERR_CRYPTO */
int
fwc_tlink_attest_digest(const uint8_t chip_id[FWC_TLINK_CHIP_ID_LEN],
			const uint8_t nonce[FWC_TLINK_NONCE_LEN],
			uint8_t digest[FWC_SHA256_LEN]);

/* the digest ATTEST_KEY signs: SHA-256(FWC_TLINK_ATTEST_KEY_CONTEXT || chip ID || nonce ||
 * identity public key 04||X||Y) */
int
fwc_tlink_attest_key_digest(const uint8_t chip_id[FWC_TLINK_CHIP_ID_LEN],
			    const uint8_t nonce[FWC_TLINK_NONCE_LEN],
			    const uint8_t pub[FWC_P256_POINT_LEN],
			    uint8_t digest[FWC_SHA256_LEN]);

/* WRITE_CERT payload: u8 count, then (u16 length, DER) per certificate, leaf first.
 * FWC_TLINK_OK, FWC_TLINK_ERR_CERT_CHAIN_FORMAT (count 0 or > 4, a length 0 or > 65535) or
 * FWC_TLINK_ERR_BAD_LENGTH (does not fit @cap or FWC_LINK_MAX_PAYLOAD) */
int
fwc_tlink_chain_encode(const uint8_t *const *certs,
		       const size_t *lens,
		       size_t count,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len);

/* receipt payload map keys (CBOR unsigned integers) */
#define FWC_TLINK_RCPT_CHIP_ID	    1 /* bstr 16 */
#define FWC_TLINK_RCPT_CERT_HASH    2 /* bstr 32 (SHA-256 of the leaf DER) or null */
#define FWC_TLINK_RCPT_IMAGE_HASH   3 /* bstr 32 or null (no accepted boot) */
#define FWC_TLINK_RCPT_LIFECYCLE    4 /* uint */
#define FWC_TLINK_RCPT_BOOT_STATE   5 /* uint */
#define FWC_TLINK_RCPT_BOOT_STATUS  6 /* uint, fwc_tlink_status */
#define FWC_TLINK_RCPT_IMAGE_STATUS 7 /* uint, fwc_image_status */
#define FWC_TLINK_RCPT_SEC_COUNTER  8 /* uint, OTP counter */
#define FWC_TLINK_RCPT_NONCE	    9 /* bstr 0..32, from the request */

/* ------------------------------------------------------------------------------------------ */
/* programmer side: one request/response exchange over any byte transport */

/* sends @len bytes; returns 0 on success */
typedef int (*fwc_tlink_send_fn)(void *user, const uint8_t *buf, size_t len);
/* receives exactly @len bytes (blocking, with the transport's own timeout); 0 on success */
typedef int (*fwc_tlink_recv_fn)(void *user, uint8_t *buf, size_t len);

typedef struct {
	fwc_tlink_send_fn send;
	fwc_tlink_recv_fn recv;
	void *user;
	/* FWC_LINK_MAX_FRAME bytes of scratch for the frames (no heap) */
	uint8_t *buf;
	size_t buf_len;
} fwc_tlink_client;

/* what went wrong in an exchange, beside the target's own status */
typedef enum {
	FWC_TLINK_XFER_OK = 0,
	FWC_TLINK_XFER_ERR_ARGUMENT, /* NULL callback or buffer, payload too long */
	FWC_TLINK_XFER_ERR_SEND,     /* the transport could not send */
	FWC_TLINK_XFER_ERR_RECV,     /* the transport closed or timed out */
	FWC_TLINK_XFER_ERR_FRAME,    /* the response is not a valid frame (see link_status) */
} fwc_tlink_xfer_status;

/*
 * Sends one request and reads its response into the client's buffer. On FWC_TLINK_XFER_OK,
 * *@status is the target's fwc_tlink_status and @payload / @payload_len point into the
 * client's buffer (valid until the next exchange). @link_status (may be NULL) gets the
 * fwc_link_status of a bad response frame.
 */
int
fwc_tlink_xfer(fwc_tlink_client *client,
	       uint8_t command,
	       const uint8_t *req,
	       size_t req_len,
	       uint16_t *status,
	       const uint8_t **payload,
	       size_t *payload_len,
	       int *link_status);
