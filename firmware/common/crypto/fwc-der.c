/*
 * The two DER structures the firmware reads: an ECDSA-Sig-Value and a P-256
 * SubjectPublicKeyInfo. Strict DER only: minimal lengths, minimal integers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "fwc-crypto.h"

/* SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING 00 04 X Y } */
static const uint8_t fwc_p256_spki_prefix[26] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

/* reads one DER INTEGER holding a positive value of at most 32 bytes into out[32] */
static int
fwc_der_read_uint256(const uint8_t *der, size_t len, size_t *pos, uint8_t out[32])
{
	size_t p = *pos;
	size_t ilen;

	if (p + 2 > len || der[p] != 0x02)
		return FWC_CRYPTO_ERR_BAD_DER;
	ilen = der[p + 1];
	p += 2;
	if (ilen == 0 || ilen > 33 || ilen > len - p)
		return FWC_CRYPTO_ERR_BAD_DER;
	if (der[p] & 0x80) /* negative */
		return FWC_CRYPTO_ERR_BAD_DER;
	if (der[p] == 0x00) {
		/* a leading zero is only allowed when the next byte has its top bit set */
		if (ilen == 1 || (der[p + 1] & 0x80) == 0)
			return FWC_CRYPTO_ERR_BAD_DER;
		p++;
		ilen--;
	}
	if (ilen > 32)
		return FWC_CRYPTO_ERR_BAD_DER;
	memset(out, 0, 32);
	memcpy(out + 32 - ilen, der + p, ilen);
	*pos = p + ilen;
	return FWC_CRYPTO_OK;
}

int
fwc_ecdsa_sig_der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[FWC_P256_SIG_LEN])
{
	size_t pos = 2;
	int rc;

	if (der == NULL || der_len < 8 || der_len > FWC_P256_SIG_DER_MAX)
		return FWC_CRYPTO_ERR_BAD_DER;
	/* both integers fit in 35 bytes each, so the SEQUENCE length is always short form */
	if (der[0] != 0x30 || der[1] != der_len - 2)
		return FWC_CRYPTO_ERR_BAD_DER;
	rc = fwc_der_read_uint256(der, der_len, &pos, raw);
	if (rc != FWC_CRYPTO_OK)
		return rc;
	rc = fwc_der_read_uint256(der, der_len, &pos, raw + 32);
	if (rc != FWC_CRYPTO_OK)
		return rc;
	if (pos != der_len)
		return FWC_CRYPTO_ERR_BAD_DER;
	return FWC_CRYPTO_OK;
}

static size_t
fwc_der_write_uint256(const uint8_t in[32], uint8_t *out)
{
	size_t skip = 0;
	size_t n = 0;

	while (skip < 31 && in[skip] == 0)
		skip++;
	out[n++] = 0x02;
	if (in[skip] & 0x80) {
		out[n++] = (uint8_t)(32 - skip + 1);
		out[n++] = 0x00;
	} else {
		out[n++] = (uint8_t)(32 - skip);
	}
	memcpy(out + n, in + skip, 32 - skip);
	return n + 32 - skip;
}

int
fwc_ecdsa_sig_raw_to_der(const uint8_t raw[FWC_P256_SIG_LEN],
			 uint8_t der[FWC_P256_SIG_DER_MAX],
			 size_t *der_len)
{
	size_t n = 2;
	n += fwc_der_write_uint256(raw, der + n);
	n += fwc_der_write_uint256(raw + 32, der + n);
	der[0] = 0x30;
	der[1] = (uint8_t)(n - 2);
	*der_len = n;
	return FWC_CRYPTO_OK;
}

int
fwc_p256_spki_to_point(const uint8_t *spki, size_t spki_len, uint8_t point[FWC_P256_POINT_LEN])
{
	if (spki == NULL || spki_len != FWC_P256_SPKI_LEN)
		return FWC_CRYPTO_ERR_BAD_DER;
	if (memcmp(spki, fwc_p256_spki_prefix, sizeof(fwc_p256_spki_prefix)) != 0)
		return FWC_CRYPTO_ERR_BAD_DER;
	if (spki[sizeof(fwc_p256_spki_prefix)] != 0x04)
		return FWC_CRYPTO_ERR_BAD_PUBLIC_KEY;
	memcpy(point, spki + sizeof(fwc_p256_spki_prefix), FWC_P256_POINT_LEN);
	return FWC_CRYPTO_OK;
}

void
fwc_p256_point_to_spki(const uint8_t point[FWC_P256_POINT_LEN], uint8_t spki[FWC_P256_SPKI_LEN])
{
	memcpy(spki, fwc_p256_spki_prefix, sizeof(fwc_p256_spki_prefix));
	memcpy(spki + sizeof(fwc_p256_spki_prefix), point, FWC_P256_POINT_LEN);
}
