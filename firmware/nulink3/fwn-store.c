/*
 * Sealed records of the NuLink3 keystore: AES-256-GCM under a key derived with HKDF-SHA256
 * (inside PSA) from the device-unique secret, salt = serial, info = "NuSEC nulink3 seal v1" ||
 * record number. Blob: "NLS1" | u8 record | 3 zero bytes | u32 plaintext length | 12-byte
 * nonce | ciphertext | 16-byte tag; AAD = the 12-byte header. A blob moved to another record,
 * another instance, or modified does not unseal.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <psa/crypto.h>
#include <string.h>

#include "fwc-link.h"
#include "fwn-store.h"

#define FWN_SEAL_INFO "NuSEC nulink3 seal v1"

static int
fwn_store_key(uint32_t huk_key, const char *serial, unsigned rec, psa_key_id_t *key)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t info[sizeof(FWN_SEAL_INFO)];
	psa_status_t st;

	*key = 0;
	if (huk_key == 0)
		return FWN_STORE_ERR_CRYPTO;
	memcpy(info, FWN_SEAL_INFO, sizeof(FWN_SEAL_INFO) - 1);
	info[sizeof(FWN_SEAL_INFO) - 1] = (uint8_t)rec;
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_GCM);
	st = psa_key_derivation_setup(&op, PSA_ALG_HKDF(PSA_ALG_SHA_256));
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_input_bytes(&op,
						    PSA_KEY_DERIVATION_INPUT_SALT,
						    (const uint8_t *)serial,
						    strlen(serial));
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_input_key(&op,
						  PSA_KEY_DERIVATION_INPUT_SECRET,
						  (psa_key_id_t)huk_key);
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_input_bytes(&op,
						    PSA_KEY_DERIVATION_INPUT_INFO,
						    info,
						    sizeof(info));
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_output_key(&attr, &op, key);
	psa_key_derivation_abort(&op);
	return st == PSA_SUCCESS ? FWN_STORE_OK : FWN_STORE_ERR_CRYPTO;
}

int
fwn_store_seal(const fwn_hal *hal,
	       uint32_t huk_key,
	       unsigned rec,
	       const uint8_t *data,
	       size_t len,
	       uint8_t *blob,
	       size_t cap,
	       size_t *blob_len)
{
	psa_key_id_t key = 0;
	size_t out_len = 0;
	psa_status_t st;
	int rc;

	*blob_len = 0;
	if (len > UINT32_MAX || cap < FWN_SEAL_OVERHEAD || cap - FWN_SEAL_OVERHEAD < len)
		return FWN_STORE_ERR_SIZE;
	memset(blob, 0, FWN_SEAL_HDR_LEN);
	memcpy(blob, "NLS1", 4);
	blob[4] = (uint8_t)rec;
	fwc_link_put_u32(blob + 8, (uint32_t)len);
	if (hal->rng(hal->ctx, blob + FWN_SEAL_HDR_LEN, FWN_SEAL_NONCE_LEN) != FWN_HAL_OK)
		return FWN_STORE_ERR_CRYPTO;
	rc = fwn_store_key(huk_key, hal->serial, rec, &key);
	if (rc != FWN_STORE_OK)
		return rc;
	st = psa_aead_encrypt(key,
			      PSA_ALG_GCM,
			      blob + FWN_SEAL_HDR_LEN,
			      FWN_SEAL_NONCE_LEN,
			      blob,
			      FWN_SEAL_HDR_LEN,
			      data,
			      len,
			      blob + FWN_SEAL_HDR_LEN + FWN_SEAL_NONCE_LEN,
			      cap - FWN_SEAL_HDR_LEN - FWN_SEAL_NONCE_LEN,
			      &out_len);
	psa_destroy_key(key);
	if (st != PSA_SUCCESS || out_len != len + FWN_SEAL_TAG_LEN)
		return FWN_STORE_ERR_CRYPTO;
	*blob_len = FWN_SEAL_OVERHEAD + len;
	return FWN_STORE_OK;
}

int
fwn_store_unseal(const fwn_hal *hal,
		 uint32_t huk_key,
		 unsigned rec,
		 const uint8_t *blob,
		 size_t blob_len,
		 uint8_t *out,
		 size_t cap,
		 size_t *out_len)
{
	psa_key_id_t key = 0;
	size_t n = 0;
	uint32_t len;
	psa_status_t st;
	int rc;

	*out_len = 0;
	if (blob_len < FWN_SEAL_OVERHEAD || memcmp(blob, "NLS1", 4) != 0 || blob[4] != rec ||
	    blob[5] != 0 || blob[6] != 0 || blob[7] != 0)
		return FWN_STORE_ERR_FORMAT;
	len = fwc_link_get_u32(blob + 8);
	if ((size_t)len != blob_len - FWN_SEAL_OVERHEAD)
		return FWN_STORE_ERR_FORMAT;
	if (len > cap)
		return FWN_STORE_ERR_SIZE;
	rc = fwn_store_key(huk_key, hal->serial, rec, &key);
	if (rc != FWN_STORE_OK)
		return rc;
	st = psa_aead_decrypt(key,
			      PSA_ALG_GCM,
			      blob + FWN_SEAL_HDR_LEN,
			      FWN_SEAL_NONCE_LEN,
			      blob,
			      FWN_SEAL_HDR_LEN,
			      blob + FWN_SEAL_HDR_LEN + FWN_SEAL_NONCE_LEN,
			      len + FWN_SEAL_TAG_LEN,
			      out,
			      cap,
			      &n);
	psa_destroy_key(key);
	if (st != PSA_SUCCESS || n != len) {
		fwc_wipe(out, cap);
		return FWN_STORE_ERR_AUTH;
	}
	*out_len = n;
	return FWN_STORE_OK;
}

const char *
fwn_store_strerror(int status)
{
	switch ((fwn_store_status)status) {
	case FWN_STORE_OK:
		return "success";
	case FWN_STORE_ERR_SIZE:
		return "record too large for the buffer";
	case FWN_STORE_ERR_FORMAT:
		return "sealed record header malformed";
	case FWN_STORE_ERR_AUTH:
		return "sealed record does not authenticate (modified, moved or another instance)";
	case FWN_STORE_ERR_CRYPTO:
		return "crypto engine failure";
	}
	return "unknown store error";
}
