/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-crypto.h"

#include <psa/crypto.h>
#include <string.h>

_Static_assert(sizeof(psa_hash_operation_t) <= sizeof(((fwc_sha256_ctx *)0)->opaque),
	       "fwc_sha256_ctx too small for psa_hash_operation_t");

const char *
fwc_crypto_strerror(int status)
{
	switch ((fwc_crypto_status)status) {
	case FWC_CRYPTO_OK:
		return "success";
	case FWC_CRYPTO_ERR_INIT:
		return "crypto engine failed to initialise";
	case FWC_CRYPTO_ERR_HASH:
		return "hash computation failed";
	case FWC_CRYPTO_ERR_BAD_PUBLIC_KEY:
		return "public key is not an uncompressed P-256 point on the curve";
	case FWC_CRYPTO_ERR_BAD_SIGNATURE:
		return "signature does not verify";
	case FWC_CRYPTO_ERR_BAD_DER:
		return "malformed DER encoding";
	case FWC_CRYPTO_ERR_INTERNAL:
		return "internal crypto error";
	case FWC_CRYPTO_ERR_SIGN:
		return "the key refused to sign";
	}
	return "unknown crypto error";
}

int
fwc_crypto_init(void)
{
	/* psa_crypto_init is documented as idempotent */
	if (psa_crypto_init() != PSA_SUCCESS)
		return FWC_CRYPTO_ERR_INIT;
	return FWC_CRYPTO_OK;
}

int
fwc_sha256(const uint8_t *data, size_t len, uint8_t out[FWC_SHA256_LEN])
{
	size_t out_len = 0;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_INIT;
	if (psa_hash_compute(PSA_ALG_SHA_256, data, len, out, FWC_SHA256_LEN, &out_len) !=
		PSA_SUCCESS ||
	    out_len != FWC_SHA256_LEN)
		return FWC_CRYPTO_ERR_HASH;
	return FWC_CRYPTO_OK;
}

static psa_hash_operation_t *
fwc_sha256_op(fwc_sha256_ctx *ctx)
{
	return (psa_hash_operation_t *)(void *)ctx->opaque;
}

int
fwc_sha256_begin(fwc_sha256_ctx *ctx)
{
	psa_hash_operation_t init = PSA_HASH_OPERATION_INIT;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_INIT;
	memset(ctx, 0, sizeof(*ctx));
	*fwc_sha256_op(ctx) = init;
	if (psa_hash_setup(fwc_sha256_op(ctx), PSA_ALG_SHA_256) != PSA_SUCCESS)
		return FWC_CRYPTO_ERR_HASH;
	return FWC_CRYPTO_OK;
}

int
fwc_sha256_update(fwc_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
	if (psa_hash_update(fwc_sha256_op(ctx), data, len) != PSA_SUCCESS)
		return FWC_CRYPTO_ERR_HASH;
	return FWC_CRYPTO_OK;
}

int
fwc_sha256_finish(fwc_sha256_ctx *ctx, uint8_t out[FWC_SHA256_LEN])
{
	size_t out_len = 0;
	if (psa_hash_finish(fwc_sha256_op(ctx), out, FWC_SHA256_LEN, &out_len) != PSA_SUCCESS ||
	    out_len != FWC_SHA256_LEN)
		return FWC_CRYPTO_ERR_HASH;
	return FWC_CRYPTO_OK;
}

void
fwc_sha256_abort(fwc_sha256_ctx *ctx)
{
	psa_hash_abort(fwc_sha256_op(ctx));
}

int
fwc_ecdsa_p256_verify(const uint8_t pub[FWC_P256_POINT_LEN],
		      const uint8_t hash[FWC_SHA256_LEN],
		      const uint8_t sig[FWC_P256_SIG_LEN])
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t key = 0;
	psa_status_t rc;

	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_INIT;
	if (pub[0] != 0x04)
		return FWC_CRYPTO_ERR_BAD_PUBLIC_KEY;
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_VERIFY_HASH);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	if (psa_import_key(&attr, pub, FWC_P256_POINT_LEN, &key) != PSA_SUCCESS)
		return FWC_CRYPTO_ERR_BAD_PUBLIC_KEY;
	rc = psa_verify_hash(key,
			     PSA_ALG_ECDSA(PSA_ALG_SHA_256),
			     hash,
			     FWC_SHA256_LEN,
			     sig,
			     FWC_P256_SIG_LEN);
	psa_destroy_key(key);
	if (rc == PSA_ERROR_INVALID_SIGNATURE || rc == PSA_ERROR_INVALID_ARGUMENT)
		return FWC_CRYPTO_ERR_BAD_SIGNATURE;
	if (rc != PSA_SUCCESS)
		return FWC_CRYPTO_ERR_INTERNAL;
	return FWC_CRYPTO_OK;
}

int
fwc_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	volatile uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= a[i] ^ b[i];
	return acc == 0;
}

void
fwc_wipe(void *buf, size_t len)
{
	volatile uint8_t *p = buf;
	while (len--)
		*p++ = 0;
}
