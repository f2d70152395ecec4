/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-hpke.h"

#include <psa/crypto.h>
#include <string.h>

#include "fwc-crypto.h"

_Static_assert(sizeof(psa_key_id_t) == sizeof(fwc_hpke_key_id),
	       "fwc_hpke_key_id must hold a psa_key_id_t");

#define FWC_HPKE_CTX_READY 0x48504b45u /* "HPKE" */
#define FWC_HPKE_HMAC_ALG  PSA_ALG_HMAC(PSA_ALG_SHA_256)

/* "HPKE-v1" */
static const uint8_t fwc_hpke_version_label[] = {'H', 'P', 'K', 'E', '-', 'v', '1'};
/* suite_id inside the KEM: concat("KEM", I2OSP(kem_id, 2)) */
static const uint8_t fwc_hpke_suite_kem[] = {'K', 'E', 'M', 0x00, 0x10};
/* suite_id elsewhere: concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2)) */
static const uint8_t fwc_hpke_suite_hpke[] =
    {'H', 'P', 'K', 'E', 0x00, 0x10, 0x00, 0x01, 0x00, 0x01};

typedef struct {
	const uint8_t *data;
	size_t len;
} fwc_hpke_seg;

const char *
fwc_hpke_strerror(int status)
{
	switch ((fwc_hpke_status)status) {
	case FWC_HPKE_OK:
		return "success";
	case FWC_HPKE_ERR_INIT:
		return "crypto engine failed to initialise";
	case FWC_HPKE_ERR_ARGUMENT:
		return "invalid argument or HPKE context not set up";
	case FWC_HPKE_ERR_INFO_TOO_LONG:
		return "HPKE info is longer than 1024 bytes";
	case FWC_HPKE_ERR_AAD_TOO_LONG:
		return "HPKE associated data is longer than 4096 bytes";
	case FWC_HPKE_ERR_ENC_LENGTH:
		return "HPKE encapsulated key is not 65 bytes";
	case FWC_HPKE_ERR_ENC_FORMAT:
		return "HPKE encapsulated key is not an uncompressed point (0x04)";
	case FWC_HPKE_ERR_ENC_NOT_ON_CURVE:
		return "HPKE encapsulated key is not a point of P-256";
	case FWC_HPKE_ERR_CT_TOO_SHORT:
		return "HPKE ciphertext is shorter than the 16-byte tag";
	case FWC_HPKE_ERR_BUFFER_TOO_SMALL:
		return "plaintext buffer too small";
	case FWC_HPKE_ERR_BAD_KEY:
		return "recipient key is not a usable P-256 ECDH key pair";
	case FWC_HPKE_ERR_TAG_MISMATCH:
		return "HPKE authentication tag does not verify (wrong key or tampered data)";
	case FWC_HPKE_ERR_SEQ_OVERFLOW:
		return "HPKE sequence number exhausted";
	case FWC_HPKE_ERR_EXPORT_CONTEXT_TOO_LONG:
		return "HPKE exporter context is longer than 256 bytes";
	case FWC_HPKE_ERR_EXPORT_LENGTH:
		return "HPKE export length is 0 or over 8160 bytes";
	case FWC_HPKE_ERR_KDF:
		return "HKDF-SHA256 computation failed";
	case FWC_HPKE_ERR_INTERNAL:
		return "internal HPKE error";
	}
	return "unknown HPKE error";
}

/* HMAC-SHA256(key, concat(segs...)) through a volatile PSA HMAC key */
static int
fwc_hpke_hmac(const uint8_t key[FWC_HPKE_SECRET_LEN],
	      const fwc_hpke_seg *segs,
	      size_t nsegs,
	      uint8_t out[FWC_HPKE_SECRET_LEN])
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	psa_key_id_t id = 0;
	size_t out_len = 0;
	psa_status_t rc;

	psa_set_key_type(&attr, PSA_KEY_TYPE_HMAC);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_MESSAGE);
	psa_set_key_algorithm(&attr, FWC_HPKE_HMAC_ALG);
	if (psa_import_key(&attr, key, FWC_HPKE_SECRET_LEN, &id) != PSA_SUCCESS)
		return FWC_HPKE_ERR_KDF;
	rc = psa_mac_sign_setup(&op, id, FWC_HPKE_HMAC_ALG);
	for (size_t i = 0; rc == PSA_SUCCESS && i < nsegs; i++) {
		if (segs[i].len > 0)
			rc = psa_mac_update(&op, segs[i].data, segs[i].len);
	}
	if (rc == PSA_SUCCESS)
		rc = psa_mac_sign_finish(&op, out, FWC_HPKE_SECRET_LEN, &out_len);
	psa_mac_abort(&op);
	psa_destroy_key(id);
	if (rc != PSA_SUCCESS || out_len != FWC_HPKE_SECRET_LEN) {
		fwc_wipe(out, FWC_HPKE_SECRET_LEN);
		return FWC_HPKE_ERR_KDF;
	}
	return FWC_HPKE_OK;
}

/*
 * LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, concat("HPKE-v1", suite_id, label, ikm));
 * an empty salt (@salt NULL) is HashLen zero bytes (RFC 5869 §2.2), which HMAC treats the same.
 */
static int
fwc_hpke_labeled_extract(const uint8_t *suite_id,
			 size_t suite_id_len,
			 const uint8_t *salt,
			 const char *label,
			 const uint8_t *ikm,
			 size_t ikm_len,
			 uint8_t prk[FWC_HPKE_SECRET_LEN])
{
	static const uint8_t zeros[FWC_HPKE_SECRET_LEN] = {0};
	const fwc_hpke_seg segs[] = {
	    {fwc_hpke_version_label, sizeof(fwc_hpke_version_label)},
	    {suite_id, suite_id_len},
	    {(const uint8_t *)label, strlen(label)},
	    {ikm, ikm_len},
	};
	return fwc_hpke_hmac(salt != NULL ? salt : zeros,
			     segs,
			     sizeof(segs) / sizeof(segs[0]),
			     prk);
}

/*
 * LabeledExpand(prk, label, info, L) =
 *   HKDF-Expand(prk, concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info), L)
 * with T(i) = HMAC(prk, T(i-1) || labeled_info || i), 1 <= L <= 255 * Nh
 */
static int
fwc_hpke_labeled_expand(const uint8_t *suite_id,
			size_t suite_id_len,
			const uint8_t prk[FWC_HPKE_SECRET_LEN],
			const char *label,
			const uint8_t *info,
			size_t info_len,
			uint8_t *out,
			size_t out_len)
{
	uint8_t t[FWC_HPKE_SECRET_LEN];
	uint8_t len_be[2];
	uint8_t counter = 0;
	size_t t_len = 0;
	size_t done = 0;

	if (out_len == 0 || out_len > FWC_HPKE_EXPORT_MAX)
		return FWC_HPKE_ERR_EXPORT_LENGTH;
	len_be[0] = (uint8_t)(out_len >> 8);
	len_be[1] = (uint8_t)out_len;
	while (done < out_len) {
		const fwc_hpke_seg segs[] = {
		    {t, t_len},
		    {len_be, sizeof(len_be)},
		    {fwc_hpke_version_label, sizeof(fwc_hpke_version_label)},
		    {suite_id, suite_id_len},
		    {(const uint8_t *)label, strlen(label)},
		    {info, info_len},
		    {&counter, 1},
		};
		size_t n = out_len - done < FWC_HPKE_SECRET_LEN ? out_len - done
								: FWC_HPKE_SECRET_LEN;
		int rc;

		counter++;
		rc = fwc_hpke_hmac(prk, segs, sizeof(segs) / sizeof(segs[0]), t);
		if (rc != FWC_HPKE_OK) {
			fwc_wipe(t, sizeof(t));
			fwc_wipe(out, out_len);
			return rc;
		}
		memcpy(out + done, t, n);
		done += n;
		t_len = sizeof(t);
	}
	fwc_wipe(t, sizeof(t));
	return FWC_HPKE_OK;
}

/* skR must be an ECC key pair on secp256r1 that may be used for key agreement */
static int
fwc_hpke_check_key(fwc_hpke_key_id skR)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	int ok;

	if (psa_get_key_attributes((psa_key_id_t)skR, &attr) != PSA_SUCCESS)
		return FWC_HPKE_ERR_BAD_KEY;
	ok = psa_get_key_type(&attr) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) &&
	     psa_get_key_bits(&attr) == 256 &&
	     (psa_get_key_usage_flags(&attr) & PSA_KEY_USAGE_DERIVE) != 0;
	psa_reset_key_attributes(&attr);
	return ok ? FWC_HPKE_OK : FWC_HPKE_ERR_BAD_KEY;
}

/* DeserializePublicKey(enc) with validation: importing checks the point is on the curve */
static int
fwc_hpke_check_enc_point(const uint8_t enc[FWC_HPKE_ENC_LEN])
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;
	psa_status_t rc;

	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	rc = psa_import_key(&attr, enc, FWC_HPKE_ENC_LEN, &id);
	if (rc == PSA_ERROR_INVALID_ARGUMENT || rc == PSA_ERROR_NOT_SUPPORTED)
		return FWC_HPKE_ERR_ENC_NOT_ON_CURVE;
	if (rc != PSA_SUCCESS)
		return FWC_HPKE_ERR_INTERNAL;
	psa_destroy_key(id);
	return FWC_HPKE_OK;
}

static int
fwc_hpke_check_enc(const uint8_t *enc, size_t enc_len)
{
	if (enc_len != FWC_HPKE_ENC_LEN)
		return FWC_HPKE_ERR_ENC_LENGTH;
	if (enc[0] != 0x04)
		return FWC_HPKE_ERR_ENC_FORMAT;
	return FWC_HPKE_OK;
}

/* Decap(enc, skR) for DHKEM(P-256, HKDF-SHA256); enc already checked by fwc_hpke_check_enc */
static int
fwc_hpke_decap(fwc_hpke_key_id skR,
	       const uint8_t enc[FWC_HPKE_ENC_LEN],
	       uint8_t shared_secret[FWC_HPKE_SECRET_LEN])
{
	uint8_t kem_context[2 * FWC_HPKE_ENC_LEN]; /* enc || pkRm */
	uint8_t dh[FWC_HPKE_SECRET_LEN];
	uint8_t eae_prk[FWC_HPKE_SECRET_LEN];
	size_t len = 0;
	psa_status_t prc;
	int rc;

	rc = fwc_hpke_check_key(skR);
	if (rc != FWC_HPKE_OK)
		return rc;
	rc = fwc_hpke_check_enc_point(enc);
	if (rc != FWC_HPKE_OK)
		return rc;
	memcpy(kem_context, enc, FWC_HPKE_ENC_LEN);
	if (psa_export_public_key((psa_key_id_t)skR,
				  kem_context + FWC_HPKE_ENC_LEN,
				  FWC_HPKE_ENC_LEN,
				  &len) != PSA_SUCCESS ||
	    len != FWC_HPKE_ENC_LEN)
		return FWC_HPKE_ERR_BAD_KEY;

	prc = psa_raw_key_agreement(PSA_ALG_ECDH,
				    (psa_key_id_t)skR,
				    enc,
				    FWC_HPKE_ENC_LEN,
				    dh,
				    sizeof(dh),
				    &len);
	if (prc != PSA_SUCCESS || len != sizeof(dh)) {
		fwc_wipe(dh, sizeof(dh));
		if (prc == PSA_ERROR_NOT_PERMITTED || prc == PSA_ERROR_INVALID_HANDLE)
			return FWC_HPKE_ERR_BAD_KEY;
		if (prc == PSA_ERROR_INVALID_ARGUMENT)
			return FWC_HPKE_ERR_ENC_NOT_ON_CURVE;
		return FWC_HPKE_ERR_INTERNAL;
	}

	/* ExtractAndExpand(dh, kem_context) */
	rc = fwc_hpke_labeled_extract(fwc_hpke_suite_kem,
				      sizeof(fwc_hpke_suite_kem),
				      NULL,
				      "eae_prk",
				      dh,
				      sizeof(dh),
				      eae_prk);
	fwc_wipe(dh, sizeof(dh));
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_labeled_expand(fwc_hpke_suite_kem,
					     sizeof(fwc_hpke_suite_kem),
					     eae_prk,
					     "shared_secret",
					     kem_context,
					     sizeof(kem_context),
					     shared_secret,
					     FWC_HPKE_SECRET_LEN);
	fwc_wipe(eae_prk, sizeof(eae_prk));
	return rc;
}

/* KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "") */
static int
fwc_hpke_key_schedule(fwc_hpke_ctx *ctx,
		      const uint8_t shared_secret[FWC_HPKE_SECRET_LEN],
		      const uint8_t *info,
		      size_t info_len)
{
	const uint8_t *suite = fwc_hpke_suite_hpke;
	const size_t suite_len = sizeof(fwc_hpke_suite_hpke);
	/* key_schedule_context = concat(mode, psk_id_hash, info_hash) */
	uint8_t ksc[1 + 2 * FWC_HPKE_SECRET_LEN];
	uint8_t secret[FWC_HPKE_SECRET_LEN];
	int rc;

	ksc[0] = 0x00; /* mode_base */
	rc = fwc_hpke_labeled_extract(suite, suite_len, NULL, "psk_id_hash", NULL, 0, ksc + 1);
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_labeled_extract(suite,
					      suite_len,
					      NULL,
					      "info_hash",
					      info,
					      info_len,
					      ksc + 1 + FWC_HPKE_SECRET_LEN);
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_labeled_extract(suite,
					      suite_len,
					      shared_secret,
					      "secret",
					      NULL,
					      0,
					      secret);
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_labeled_expand(suite,
					     suite_len,
					     secret,
					     "key",
					     ksc,
					     sizeof(ksc),
					     ctx->key,
					     sizeof(ctx->key));
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_labeled_expand(suite,
					     suite_len,
					     secret,
					     "base_nonce",
					     ksc,
					     sizeof(ksc),
					     ctx->base_nonce,
					     sizeof(ctx->base_nonce));
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_labeled_expand(suite,
					     suite_len,
					     secret,
					     "exp",
					     ksc,
					     sizeof(ksc),
					     ctx->exporter_secret,
					     sizeof(ctx->exporter_secret));
	fwc_wipe(secret, sizeof(secret));
	return rc;
}

void
fwc_hpke_ctx_wipe(fwc_hpke_ctx *ctx)
{
	if (ctx != NULL)
		fwc_wipe(ctx, sizeof(*ctx));
}

int
fwc_hpke_setup_receiver(fwc_hpke_ctx *ctx,
			fwc_hpke_key_id skR,
			const uint8_t *enc,
			size_t enc_len,
			const uint8_t *info,
			size_t info_len)
{
	uint8_t shared_secret[FWC_HPKE_SECRET_LEN];
	int rc;

	if (ctx == NULL)
		return FWC_HPKE_ERR_ARGUMENT;
	fwc_hpke_ctx_wipe(ctx);
	if ((enc == NULL && enc_len > 0) || (info == NULL && info_len > 0))
		return FWC_HPKE_ERR_ARGUMENT;
	if (info_len > FWC_HPKE_INFO_MAX)
		return FWC_HPKE_ERR_INFO_TOO_LONG;
	rc = fwc_hpke_check_enc(enc, enc_len);
	if (rc != FWC_HPKE_OK)
		return rc;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_HPKE_ERR_INIT;

	rc = fwc_hpke_decap(skR, enc, shared_secret);
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_key_schedule(ctx, shared_secret, info, info_len);
	fwc_wipe(shared_secret, sizeof(shared_secret));
	if (rc != FWC_HPKE_OK) {
		fwc_hpke_ctx_wipe(ctx);
		return rc;
	}
	ctx->seq = 0;
	ctx->state = FWC_HPKE_CTX_READY;
	return FWC_HPKE_OK;
}

/* the cheap checks of an open, before any crypto */
static int
fwc_hpke_check_open_args(const uint8_t *aad,
			 size_t aad_len,
			 const uint8_t *ct,
			 size_t ct_len,
			 const uint8_t *pt,
			 size_t pt_cap,
			 const size_t *pt_len)
{
	if (pt_len == NULL || (aad == NULL && aad_len > 0) || (ct == NULL && ct_len > 0) ||
	    (pt == NULL && pt_cap > 0))
		return FWC_HPKE_ERR_ARGUMENT;
	if (aad_len > FWC_HPKE_AAD_MAX)
		return FWC_HPKE_ERR_AAD_TOO_LONG;
	if (ct_len < FWC_HPKE_TAG_LEN)
		return FWC_HPKE_ERR_CT_TOO_SHORT;
	if (pt_cap < ct_len - FWC_HPKE_TAG_LEN)
		return FWC_HPKE_ERR_BUFFER_TOO_SMALL;
	return FWC_HPKE_OK;
}

int
fwc_hpke_ctx_open_at(const fwc_hpke_ctx *ctx,
		     uint64_t seq,
		     const uint8_t *aad,
		     size_t aad_len,
		     const uint8_t *ct,
		     size_t ct_len,
		     uint8_t *pt,
		     size_t pt_cap,
		     size_t *pt_len)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;
	uint8_t nonce[FWC_HPKE_NONCE_LEN];
	uint8_t dummy = 0;
	size_t out_len = 0;
	psa_status_t rc;
	int status;

	if (pt_len != NULL)
		*pt_len = 0;
	if (ctx == NULL || ctx->state != FWC_HPKE_CTX_READY)
		return FWC_HPKE_ERR_ARGUMENT;
	status = fwc_hpke_check_open_args(aad, aad_len, ct, ct_len, pt, pt_cap, pt_len);
	if (status != FWC_HPKE_OK)
		return status;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_HPKE_ERR_INIT;
	if (pt == NULL) {
		/* empty plaintext: give PSA a valid pointer */
		pt = &dummy;
		pt_cap = 0;
	}

	/* ComputeNonce(seq) = xor(base_nonce, I2OSP(seq, Nn)) */
	memcpy(nonce, ctx->base_nonce, sizeof(nonce));
	for (size_t i = 0; i < sizeof(seq); i++)
		nonce[FWC_HPKE_NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));

	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attr, 8 * FWC_HPKE_KEY_LEN);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DECRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_GCM);
	if (psa_import_key(&attr, ctx->key, sizeof(ctx->key), &id) != PSA_SUCCESS)
		return FWC_HPKE_ERR_INTERNAL;
	rc = psa_aead_decrypt(id,
			      PSA_ALG_GCM,
			      nonce,
			      sizeof(nonce),
			      aad,
			      aad_len,
			      ct,
			      ct_len,
			      pt,
			      pt_cap,
			      &out_len);
	psa_destroy_key(id);
	if (rc != PSA_SUCCESS || out_len != ct_len - FWC_HPKE_TAG_LEN) {
		fwc_wipe(pt, pt_cap);
		if (rc == PSA_ERROR_INVALID_SIGNATURE)
			return FWC_HPKE_ERR_TAG_MISMATCH;
		return FWC_HPKE_ERR_INTERNAL;
	}
	*pt_len = out_len;
	return FWC_HPKE_OK;
}

int
fwc_hpke_ctx_open(fwc_hpke_ctx *ctx,
		  const uint8_t *aad,
		  size_t aad_len,
		  const uint8_t *ct,
		  size_t ct_len,
		  uint8_t *pt,
		  size_t pt_cap,
		  size_t *pt_len)
{
	int rc;

	if (pt_len != NULL)
		*pt_len = 0;
	if (ctx == NULL || ctx->state != FWC_HPKE_CTX_READY)
		return FWC_HPKE_ERR_ARGUMENT;
	/* the next open would need seq + 1, which no longer fits: refuse this one */
	if (ctx->seq == UINT64_MAX)
		return FWC_HPKE_ERR_SEQ_OVERFLOW;
	rc = fwc_hpke_ctx_open_at(ctx, ctx->seq, aad, aad_len, ct, ct_len, pt, pt_cap, pt_len);
	if (rc == FWC_HPKE_OK)
		ctx->seq++;
	return rc;
}

int
fwc_hpke_ctx_export(const fwc_hpke_ctx *ctx,
		    const uint8_t *exporter_context,
		    size_t exporter_context_len,
		    uint8_t *out,
		    size_t out_len)
{
	if (ctx == NULL || ctx->state != FWC_HPKE_CTX_READY || out == NULL ||
	    (exporter_context == NULL && exporter_context_len > 0))
		return FWC_HPKE_ERR_ARGUMENT;
	if (exporter_context_len > FWC_HPKE_EXPORT_CONTEXT_MAX)
		return FWC_HPKE_ERR_EXPORT_CONTEXT_TOO_LONG;
	if (out_len == 0 || out_len > FWC_HPKE_EXPORT_MAX)
		return FWC_HPKE_ERR_EXPORT_LENGTH;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_HPKE_ERR_INIT;
	return fwc_hpke_labeled_expand(fwc_hpke_suite_hpke,
				       sizeof(fwc_hpke_suite_hpke),
				       ctx->exporter_secret,
				       "sec",
				       exporter_context,
				       exporter_context_len,
				       out,
				       out_len);
}

int
fwc_hpke_open(fwc_hpke_key_id skR,
	      const uint8_t *enc,
	      size_t enc_len,
	      const uint8_t *info,
	      size_t info_len,
	      const uint8_t *aad,
	      size_t aad_len,
	      const uint8_t *ct,
	      size_t ct_len,
	      uint8_t *pt,
	      size_t pt_cap,
	      size_t *pt_len)
{
	fwc_hpke_ctx ctx;
	int rc;

	if (pt_len != NULL)
		*pt_len = 0;
	/* every check that needs no crypto comes first, in a fixed order */
	if (pt_len == NULL || (enc == NULL && enc_len > 0) || (info == NULL && info_len > 0) ||
	    (aad == NULL && aad_len > 0) || (ct == NULL && ct_len > 0) ||
	    (pt == NULL && pt_cap > 0))
		return FWC_HPKE_ERR_ARGUMENT;
	if (info_len > FWC_HPKE_INFO_MAX)
		return FWC_HPKE_ERR_INFO_TOO_LONG;
	if (aad_len > FWC_HPKE_AAD_MAX)
		return FWC_HPKE_ERR_AAD_TOO_LONG;
	rc = fwc_hpke_check_enc(enc, enc_len);
	if (rc != FWC_HPKE_OK)
		return rc;
	rc = fwc_hpke_check_open_args(aad, aad_len, ct, ct_len, pt, pt_cap, pt_len);
	if (rc != FWC_HPKE_OK)
		return rc;

	rc = fwc_hpke_setup_receiver(&ctx, skR, enc, enc_len, info, info_len);
	if (rc == FWC_HPKE_OK)
		rc = fwc_hpke_ctx_open_at(&ctx, 0, aad, aad_len, ct, ct_len, pt, pt_cap, pt_len);
	fwc_hpke_ctx_wipe(&ctx);
	return rc;
}
