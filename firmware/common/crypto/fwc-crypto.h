/*
 * Crypto glue of the firmware side: SHA-256 and ECDSA P-256 verification through the
 * PSA Crypto API, and constant-time helpers. No heap, no GLib.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FWC_SHA256_LEN	     32
#define FWC_P256_POINT_LEN   65 /* 0x04 || X || Y */
#define FWC_P256_SCALAR_LEN  32
#define FWC_P256_SIG_LEN     64 /* r || s */
#define FWC_P256_SIG_DER_MAX 72
#define FWC_P256_SPKI_LEN    91

typedef enum {
	FWC_CRYPTO_OK = 0,
	FWC_CRYPTO_ERR_INIT,	       /* psa_crypto_init failed */
	FWC_CRYPTO_ERR_HASH,	       /* hash engine failure */
	FWC_CRYPTO_ERR_BAD_PUBLIC_KEY, /* not an uncompressed P-256 point on the curve */
	FWC_CRYPTO_ERR_BAD_SIGNATURE,  /* signature does not verify */
	FWC_CRYPTO_ERR_BAD_DER,	       /* malformed DER (signature or SPKI) */
	FWC_CRYPTO_ERR_INTERNAL,       /* unexpected PSA failure */
	FWC_CRYPTO_ERR_SIGN,	       /* the key refused to sign */
} fwc_crypto_status;

const char *
fwc_crypto_strerror(int status);

/* idempotent; every other function calls it */
int
fwc_crypto_init(void);

int
fwc_sha256(const uint8_t *data, size_t len, uint8_t out[FWC_SHA256_LEN]);

/* incremental SHA-256; the context is opaque storage for a psa_hash_operation_t */
typedef struct {
	uint64_t opaque[64];
} fwc_sha256_ctx;

int
fwc_sha256_begin(fwc_sha256_ctx *ctx);
int
fwc_sha256_update(fwc_sha256_ctx *ctx, const uint8_t *data, size_t len);
int
fwc_sha256_finish(fwc_sha256_ctx *ctx, uint8_t out[FWC_SHA256_LEN]);
void
fwc_sha256_abort(fwc_sha256_ctx *ctx);

/* verify an ECDSA P-256 signature (raw r||s) over a SHA-256 digest */
int
fwc_ecdsa_p256_verify(const uint8_t pub[FWC_P256_POINT_LEN],
		      const uint8_t hash[FWC_SHA256_LEN],
		      const uint8_t sig[FWC_P256_SIG_LEN]);

/* DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) to raw r||s, strict DER */
int
fwc_ecdsa_sig_der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[FWC_P256_SIG_LEN]);

/* raw r||s to DER; returns the length written in *der_len (at most FWC_P256_SIG_DER_MAX) */
int
fwc_ecdsa_sig_raw_to_der(const uint8_t raw[FWC_P256_SIG_LEN],
			 uint8_t der[FWC_P256_SIG_DER_MAX],
			 size_t *der_len);

/* SubjectPublicKeyInfo of an id-ecPublicKey prime256v1 uncompressed key (91 bytes) */
int
fwc_p256_spki_to_point(const uint8_t *spki, size_t spki_len, uint8_t point[FWC_P256_POINT_LEN]);
void
fwc_p256_point_to_spki(const uint8_t point[FWC_P256_POINT_LEN], uint8_t spki[FWC_P256_SPKI_LEN]);

/* constant-time comparison: 1 when equal */
int
fwc_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* best-effort wipe that the compiler may not remove */
void
fwc_wipe(void *buf, size_t len);
