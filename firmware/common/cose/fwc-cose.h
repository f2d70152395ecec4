/*
 * COSE_Sign1 (RFC 9052) verification, ES256 only, firmware side: no heap, no GLib. The
 * Sig_structure is hashed piece by piece, so no buffer the size of the payload is needed.
 * See docs/formats/cbor-cose.md for the profile.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"

#define FWC_COSE_TAG_SIGN1 18	/* CBOR tag of COSE_Sign1 */
#define FWC_COSE_ALG_ES256 (-7) /* ECDSA P-256 with SHA-256 */

/* header parameter labels (RFC 9052 §3.1) */
#define FWC_COSE_HDR_ALG  1
#define FWC_COSE_HDR_CRIT 2
#define FWC_COSE_HDR_CTY  3
#define FWC_COSE_HDR_KID  4

/* fwc_cose_sign1_* flags */
#define FWC_COSE_FLAG_TAG_REQUIRED (1u << 0) /* reject a COSE_Sign1 without tag 18 */

typedef enum {
	FWC_COSE_OK = 0,
	FWC_COSE_ERR_INVALID_ARG,	/* NULL pointer or impossible argument */
	FWC_COSE_ERR_CBOR,		/* not well-formed deterministic CBOR (see cbor_status) */
	FWC_COSE_ERR_TAG_MISSING,	/* tag 18 required and absent */
	FWC_COSE_ERR_WRONG_TAG,		/* a tag other than 18 (or a second tag) */
	FWC_COSE_ERR_STRUCTURE,		/* not an array of four items */
	FWC_COSE_ERR_PROTECTED,		/* protected header is not a bstr holding one map */
	FWC_COSE_ERR_UNPROTECTED,	/* unprotected header is not a map */
	FWC_COSE_ERR_HEADER_LABEL,	/* a header label is neither an integer nor a text string */
	FWC_COSE_ERR_DUPLICATE_LABEL,	/* a label is in both the protected and unprotected map */
	FWC_COSE_ERR_ALG_MISSING,	/* no alg in the protected header */
	FWC_COSE_ERR_ALG_NOT_PROTECTED, /* alg only in the unprotected header */
	FWC_COSE_ERR_ALG_UNSUPPORTED,	/* alg is not ES256 (-7) */
	FWC_COSE_ERR_CRIT,		/* crit present: no extension parameter is understood */
	FWC_COSE_ERR_BAD_KID,		/* kid is not a byte string */
	FWC_COSE_ERR_DETACHED,		/* payload is nil: detached content is not supported */
	FWC_COSE_ERR_PAYLOAD,		/* payload is neither a bstr nor nil */
	FWC_COSE_ERR_SIGNATURE_FORMAT,	/* signature is not a 64-byte bstr (r || s) */
	FWC_COSE_ERR_BAD_KEY,		/* public key is not an uncompressed P-256 point */
	FWC_COSE_ERR_SIGNATURE,		/* signature does not verify */
	FWC_COSE_ERR_CRYPTO,		/* hash engine failure (see crypto_status) */
} fwc_cose_status;

#define FWC_COSE_STATUS_LAST FWC_COSE_ERR_CRYPTO

const char *
fwc_cose_strerror(int status);
/* the enum name ("FWC_COSE_ERR_SIGNATURE"), or NULL for an unknown value */
const char *
fwc_cose_status_name(int status);

/* a parsed COSE_Sign1: every pointer points into the message */
typedef struct {
	const uint8_t *protected_hdr; /* content of the protected bstr (may be empty) */
	size_t protected_len;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *signature; /* FWC_P256_SIG_LEN bytes */
	const uint8_t *kid;	  /* NULL when absent (protected or unprotected) */
	size_t kid_len;
	int tagged;	   /* 1 if the message carried tag 18 */
	int cbor_status;   /* fwc_cbor_status detail when FWC_COSE_ERR_CBOR */
	int crypto_status; /* fwc_crypto_status detail when FWC_COSE_ERR_CRYPTO or _BAD_KEY */
} fwc_cose_sign1;

/*
 * Parses and checks the structure and headers of a COSE_Sign1 (no signature check):
 * whole message one deterministic CBOR item, optional tag 18 (required with
 * FWC_COSE_FLAG_TAG_REQUIRED), protected map with alg = -7 and no crit, unprotected map
 * (kid allowed; alg and crit there rejected), attached payload, 64-byte signature.
 * Header parameters not named above are ignored (their values must still be well-formed).
 */
int
fwc_cose_sign1_parse(const uint8_t *msg, size_t msg_len, unsigned flags, fwc_cose_sign1 *out);

/*
 * SHA-256 of the Sig_structure ["Signature1", protected, external_aad, payload] of a parsed
 * message, fed piece by piece. external_aad may be NULL when aad_len is 0.
 */
int
fwc_cose_sign1_digest(const fwc_cose_sign1 *parsed,
		      const uint8_t *external_aad,
		      size_t aad_len,
		      uint8_t digest[FWC_SHA256_LEN]);

/*
 * Parses, then verifies the ES256 signature with the public key @pub (0x04 || X || Y).
 * On FWC_COSE_OK, out->payload / out->kid point into @msg. On failure *out is only good for
 * its cbor_status / crypto_status detail.
 */
int
fwc_cose_sign1_verify(const uint8_t *msg,
		      size_t msg_len,
		      const uint8_t *external_aad,
		      size_t aad_len,
		      const uint8_t pub[FWC_P256_POINT_LEN],
		      unsigned flags,
		      fwc_cose_sign1 *out);
