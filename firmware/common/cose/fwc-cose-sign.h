/*
 * COSE_Sign1 (RFC 9052) creation, ES256, firmware side: no heap, no GLib. The private key stays
 * wherever the caller keeps it (PSA keystore, secure element): a callback signs the SHA-256 of
 * the Sig_structure. Output: 18([h'a10126', {4: kid} or {}, payload, r || s]), deterministic
 * CBOR, the same profile nusec_cose_sign1_create produces (docs/formats/cbor-cose.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-cose.h"

/* signs a SHA-256 digest with ECDSA P-256 into raw r || s; returns 0 on success */
typedef int (*fwc_cose_sign_fn)(void *user,
				const uint8_t digest[FWC_SHA256_LEN],
				uint8_t sig[FWC_P256_SIG_LEN]);

/*
 * Writes a tagged COSE_Sign1 of @payload into out[0..cap). @kid may be NULL (empty
 * unprotected map); @external_aad may be NULL when @aad_len is 0.
 * Returns FWC_COSE_OK; FWC_COSE_ERR_CBOR when @out is too small (*@cbor_status, if not NULL,
 * gets FWC_CBOR_ERR_BUFFER_FULL); FWC_COSE_ERR_CRYPTO when hashing or @sign fails;
 * FWC_COSE_ERR_INVALID_ARG for NULL pointers.
 */
int
fwc_cose_sign1_create(const uint8_t *payload,
		      size_t payload_len,
		      const uint8_t *kid,
		      size_t kid_len,
		      const uint8_t *external_aad,
		      size_t aad_len,
		      fwc_cose_sign_fn sign,
		      void *user,
		      uint8_t *out,
		      size_t cap,
		      size_t *out_len,
		      int *cbor_status);
