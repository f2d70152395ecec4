/*
 * Internals shared by the NuLink3 core's files (fwn-core.c, fwn-order.c, fwn-device.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "fwc-cbor.h"
#include "fwn-core.h"

#define FWN_STATE_MAGIC	 0x4e4c5354u /* "NLST" */
#define FWN_CONFIG_MAGIC 0x4e4c4346u /* "NLCF" */

/* cloud message labels (server/nusec-cloud-formats.h) */
#define FWN_AAD_SETUP	   "nusec setup bundle v1"
#define FWN_AAD_REQUEST	   "nusec device request v1"
#define FWN_AAD_ABORT	   "nusec abort v1"
#define FWN_AAD_PACKAGE	   "nusec package v1"
#define FWN_INFO_PACKAGE   "NuSEC package v1"
#define FWN_INFO_FIRMWARE  "NuSEC firmware v1"
#define FWN_FETCH_LABEL	   "nusec firmware fetch v1"
#define FWN_AAD_CREDIT	   "nusec credit v1"
#define FWN_FW_CHUNK	   4096
#define FWN_FORMAT_VERSION 1

typedef enum {
	FWN_F_UINT,
	FWN_F_TSTR,
	FWN_F_BSTR,
	FWN_F_ARRAY, /* raw bytes of the whole item */
	FWN_F_MAP,   /* raw bytes of the whole item */
} fwn_field_type;

typedef struct {
	uint64_t key;
	fwn_field_type type;
	bool required;
	size_t min_len;
	size_t max_len;
	/* out */
	bool present;
	uint64_t u;
	const uint8_t *data;
	size_t len;
} fwn_field;

/* a deterministic CBOR map of known unsigned keys; false on any deviation */
bool
fwn_parse_map(const uint8_t *buf, size_t len, fwn_field *f, unsigned n);
/* copies a text field into a NUL-terminated buffer of FWN_ID_MAX + 1 */
void
fwn_field_text(const fwn_field *f, char *out, size_t cap);

/* ECDSA P-256 sign of a digest with a PSA key */
int
fwn_sign_digest(uint32_t key, const uint8_t digest[FWC_SHA256_LEN], uint8_t sig[FWC_P256_SIG_LEN]);
/* fwc_cose_sign_fn over a uint32_t * key id */
int
fwn_cose_sign_cb(void *user, const uint8_t digest[FWC_SHA256_LEN], uint8_t sig[FWC_P256_SIG_LEN]);

/* persists st (sealed, gen bound to the monotonic counter); call under the lock */
int
fwn_state_save(fwn_core *c);
/* persists cfg; call under the lock */
int
fwn_config_save(fwn_core *c);
int
fwn_record_write(fwn_core *c, unsigned rec, const uint8_t *data, size_t len);
int
fwn_record_read(fwn_core *c, unsigned rec, uint8_t *out, size_t cap, size_t *len);

/* a named point where the tests may cut the power */
static inline void
fwn_checkpoint(const fwn_core *c, const char *name)
{
	if (c->hal->checkpoint != NULL)
		c->hal->checkpoint(c->hal->ctx, name);
}

/* index of an order, or -1 */
int
fwn_order_find(fwn_core *c, const char *order_id, size_t len);
/* loads the sealed firmware records into RAM at power-on */
void
fwn_order_load_images(fwn_core *c);

/* command handlers: return an fwn_usb_rc and the payload in out[0..*out_len) */
typedef int (*fwn_handler)(fwn_core *c,
			   const uint8_t *p,
			   size_t plen,
			   uint8_t *out,
			   size_t cap,
			   size_t *out_len);

int
fwn_cmd_package_import(fwn_core *c,
		       const uint8_t *p,
		       size_t plen,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len);
int
fwn_cmd_order_status(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len);
int
fwn_cmd_firmware_load(fwn_core *c,
		      const uint8_t *p,
		      size_t plen,
		      uint8_t *out,
		      size_t cap,
		      size_t *out_len);
int
fwn_cmd_order_credit(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len);
int
fwn_cmd_firmware_proof(fwn_core *c,
		       const uint8_t *p,
		       size_t plen,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len);
/* device commands take the lock themselves */
int
fwn_cmd_device_begin(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len);
int
fwn_cmd_device_complete(fwn_core *c,
			const uint8_t *p,
			size_t plen,
			uint8_t *out,
			size_t cap,
			size_t *out_len);
int
fwn_cmd_device_abort(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len);
int
fwn_cmd_slot_status(fwn_core *c,
		    const uint8_t *p,
		    size_t plen,
		    uint8_t *out,
		    size_t cap,
		    size_t *out_len);
