/*
 * PKCS#10 CSR of the identity key, DER built here and signed through psa_sign_hash (the PSA key
 * cannot go through mbedtls_x509write_csr without MBEDTLS_USE_PSA_CRYPTO). Layout:
 * docs/formats/target-link.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <psa/crypto.h>
#include <string.h>

#include "fwt-rom.h"

typedef struct {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int overflow;
} fwt_der;

static void
fwt_der_raw(fwt_der *d, const uint8_t *data, size_t len)
{
	if (d->overflow || len > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

/* tag and definite length (short form, or long form up to 65535) */
static void
fwt_der_head(fwt_der *d, uint8_t tag, size_t len)
{
	uint8_t h[4];
	size_t n = 0;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else if (len < 0x100) {
		h[n++] = 0x81;
		h[n++] = (uint8_t)len;
	} else if (len < 0x10000) {
		h[n++] = 0x82;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		d->overflow = 1;
		return;
	}
	fwt_der_raw(d, h, n);
}

static size_t
fwt_der_head_size(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

/* OID 2.5.4.3 (commonName) */
static const uint8_t fwt_oid_cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
/* AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters */
static const uint8_t fwt_alg_ecdsa_sha256[] =
    {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

int
fwt_rom_build_csr(fwt_rom *rom, uint8_t *out, size_t cap, size_t *out_len)
{
	char cn[2 * FWC_TLINK_CHIP_ID_LEN + 1];
	uint8_t spki[FWC_P256_SPKI_LEN];
	uint8_t cri_buf[256];
	uint8_t digest[FWC_SHA256_LEN];
	uint8_t sig[FWC_P256_SIG_LEN];
	uint8_t sig_der[FWC_P256_SIG_DER_MAX];
	size_t sig_der_len = 0;
	size_t sig_len = 0;
	size_t cn_len, atv_len, rdn_len, name_len, cri_len, outer_len;
	fwt_der d = {.buf = cri_buf, .cap = sizeof(cri_buf)};

	*out_len = 0;
	if (rom->id_key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	fwt_rom_chip_id_hex(rom, cn);
	cn_len = strlen(cn);
	fwc_p256_point_to_spki(rom->id_pub, spki);

	/* CertificationRequestInfo */
	atv_len = sizeof(fwt_oid_cn) + fwt_der_head_size(cn_len) + cn_len;
	rdn_len = fwt_der_head_size(atv_len) + atv_len;
	name_len = fwt_der_head_size(rdn_len) + rdn_len;
	cri_len = 3 + fwt_der_head_size(name_len) + name_len + sizeof(spki) + 2;
	fwt_der_head(&d, 0x30, cri_len);
	fwt_der_raw(&d, (const uint8_t *)"\x02\x01\x00", 3); /* version 0 */
	fwt_der_head(&d, 0x30, name_len);
	fwt_der_head(&d, 0x31, rdn_len);
	fwt_der_head(&d, 0x30, atv_len);
	fwt_der_raw(&d, fwt_oid_cn, sizeof(fwt_oid_cn));
	fwt_der_head(&d, 0x0c, cn_len); /* UTF8String */
	fwt_der_raw(&d, (const uint8_t *)cn, cn_len);
	fwt_der_raw(&d, spki, sizeof(spki));
	fwt_der_raw(&d, (const uint8_t *)"\xa0\x00", 2); /* attributes [0] {} */
	if (d.overflow || d.len != fwt_der_head_size(cri_len) + cri_len)
		return FWC_TLINK_ERR_INTERNAL;

	/* signature over the DER of the CertificationRequestInfo */
	if (fwc_sha256(cri_buf, d.len, digest) != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	if (psa_sign_hash((psa_key_id_t)rom->id_key,
			  PSA_ALG_ECDSA(PSA_ALG_SHA_256),
			  digest,
			  sizeof(digest),
			  sig,
			  sizeof(sig),
			  &sig_len) != PSA_SUCCESS ||
	    sig_len != sizeof(sig))
		return FWC_TLINK_ERR_CRYPTO;
	if (fwc_ecdsa_sig_raw_to_der(sig, sig_der, &sig_der_len) != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;

	/* CertificationRequest */
	outer_len = d.len + sizeof(fwt_alg_ecdsa_sha256) + fwt_der_head_size(sig_der_len + 1) +
		    sig_der_len + 1;
	{
		fwt_der o = {.buf = out, .cap = cap};
		fwt_der_head(&o, 0x30, outer_len);
		fwt_der_raw(&o, cri_buf, d.len);
		fwt_der_raw(&o, fwt_alg_ecdsa_sha256, sizeof(fwt_alg_ecdsa_sha256));
		fwt_der_head(&o, 0x03, sig_der_len + 1);
		fwt_der_raw(&o, (const uint8_t *)"", 1); /* no unused bits */
		fwt_der_raw(&o, sig_der, sig_der_len);
		if (o.overflow)
			return FWC_TLINK_ERR_INTERNAL;
		*out_len = o.len;
	}
	return FWC_TLINK_OK;
}
