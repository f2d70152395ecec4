/*
 * COSE_Sign1 (RFC 9052) with ES256 on the station and cloud side (OpenSSL): create with any
 * NuSecSigner (PEM key, PKCS#11 token), verify against a P-256 SubjectPublicKeyInfo. The
 * parsing rules are those of the firmware verifier (fwc-cose.h), so both sides accept exactly
 * the same messages. Profile: docs/formats/cbor-cose.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-signer.h"

G_BEGIN_DECLS

#define NUSEC_COSE_TAG_SIGN1 18
#define NUSEC_COSE_ALG_ES256 (-7)

/*
 * Signs @payload into a tagged COSE_Sign1: 18([h'a10126' (protected {1: -7}),
 * {4: kid} or {}, payload, r || s]), deterministic CBOR. @kid and @external_aad may be NULL.
 */
GBytes *
nusec_cose_sign1_create(NuSecSigner *signer,
			GBytes *payload,
			GBytes *kid,
			GBytes *external_aad,
			GError **error);

/*
 * Checks a tagged COSE_Sign1 made with ES256 against @spki (DER SubjectPublicKeyInfo of a
 * P-256 key). @external_aad may be NULL (empty). On success, *@payload_out (if not NULL) is
 * the payload, a slice of @cose.
 * Errors: NUSEC_ERROR_INVALID_DATA (malformed, wrong structure or headers),
 * NUSEC_ERROR_NOT_SUPPORTED (another algorithm, crit, detached payload),
 * NUSEC_ERROR_SIGNATURE_INVALID (signature does not verify).
 */
gboolean
nusec_cose_sign1_verify(GBytes *cose,
			GBytes *spki,
			GBytes *external_aad,
			GBytes **payload_out,
			GError **error);

/*
 * The kid of a well-formed COSE_Sign1 (tag 18 required), NOT verified: only to choose the key
 * to verify with. NUSEC_ERROR_NOT_FOUND when the message has no kid.
 */
GBytes *
nusec_cose_sign1_get_kid(GBytes *cose, GError **error);

/* the Sig_structure ["Signature1", protected, external_aad, payload] (ToBeSigned) bytes;
 * @external_aad may be NULL */
GBytes *
nusec_cose_sig_structure(GBytes *protected_hdr, GBytes *external_aad, GBytes *payload);

G_END_DECLS
