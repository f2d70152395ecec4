/*
 * PKCS#10 certification request (DER) of a PSA P-256 key, subject CN only, built here and signed
 * through psa_sign_hash: a PSA key cannot go through mbedtls_x509write_csr without
 * MBEDTLS_USE_PSA_CRYPTO, which Debian's mbedTLS 2.28 lacks. Used by the target (identity key,
 * CN = chip ID) and the NuLink3 (TLS key, CN = serial). Layout: docs/formats/target-link.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-csr.h"

#include <psa/crypto.h>
#include <string.h>

typedef struct {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int overflow;
} fwc_der_w;

static void
fwc_der_w_raw(fwc_der_w *d, const uint8_t *data, size_t len)
{
	if (d->overflow || len > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

static void
fwc_der_w_head(fwc_der_w *d, uint8_t tag, size_t len)
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
	fwc_der_w_raw(d, h, n);
}

static size_t
fwc_der_w_head_size(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

static const uint8_t fwc_csr_oid_cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
static const uint8_t fwc_csr_alg_ecdsa_sha256[] =
    {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

int
fwc_csr_build(uint32_t key,
	      const uint8_t pub[FWC_P256_POINT_LEN],
	      const char *cn,
	      uint8_t *out,
	      size_t cap,
	      size_t *out_len)
{
	uint8_t spki[FWC_P256_SPKI_LEN];
	uint8_t cri_buf[256];
	uint8_t digest[FWC_SHA256_LEN];
	uint8_t sig[FWC_P256_SIG_LEN];
	uint8_t sig_der[FWC_P256_SIG_DER_MAX];
	size_t sig_der_len = 0;
	size_t sig_len = 0;
	size_t cn_len = strlen(cn);
	size_t atv_len, rdn_len, name_len, cri_len, outer_len;
	fwc_der_w d = {.buf = cri_buf, .cap = sizeof(cri_buf)};

	*out_len = 0;
	if (key == 0 || cn_len == 0 || cn_len > 64)
		return FWC_CRYPTO_ERR_INTERNAL;
	fwc_p256_point_to_spki(pub, spki);
	atv_len = sizeof(fwc_csr_oid_cn) + fwc_der_w_head_size(cn_len) + cn_len;
	rdn_len = fwc_der_w_head_size(atv_len) + atv_len;
	name_len = fwc_der_w_head_size(rdn_len) + rdn_len;
	cri_len = 3 + fwc_der_w_head_size(name_len) + name_len + sizeof(spki) + 2;
	fwc_der_w_head(&d, 0x30, cri_len);
	fwc_der_w_raw(&d, (const uint8_t *)"\x02\x01\x00", 3);
	fwc_der_w_head(&d, 0x30, name_len);
	fwc_der_w_head(&d, 0x31, rdn_len);
	fwc_der_w_head(&d, 0x30, atv_len);
	fwc_der_w_raw(&d, fwc_csr_oid_cn, sizeof(fwc_csr_oid_cn));
	fwc_der_w_head(&d, 0x0c, cn_len);
	fwc_der_w_raw(&d, (const uint8_t *)cn, cn_len);
	fwc_der_w_raw(&d, spki, sizeof(spki));
	fwc_der_w_raw(&d, (const uint8_t *)"\xa0\x00", 2);
	if (d.overflow || d.len != fwc_der_w_head_size(cri_len) + cri_len)
		return FWC_CRYPTO_ERR_INTERNAL;
	if (fwc_sha256(cri_buf, d.len, digest) != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_HASH;
	if (psa_sign_hash((psa_key_id_t)key,
			  PSA_ALG_ECDSA(PSA_ALG_SHA_256),
			  digest,
			  sizeof(digest),
			  sig,
			  sizeof(sig),
			  &sig_len) != PSA_SUCCESS ||
	    sig_len != sizeof(sig))
		return FWC_CRYPTO_ERR_SIGN;
	if (fwc_ecdsa_sig_raw_to_der(sig, sig_der, &sig_der_len) != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_SIGN;
	outer_len = d.len + sizeof(fwc_csr_alg_ecdsa_sha256) +
		    fwc_der_w_head_size(sig_der_len + 1) + sig_der_len + 1;
	{
		fwc_der_w o = {.buf = out, .cap = cap};
		fwc_der_w_head(&o, 0x30, outer_len);
		fwc_der_w_raw(&o, cri_buf, d.len);
		fwc_der_w_raw(&o, fwc_csr_alg_ecdsa_sha256, sizeof(fwc_csr_alg_ecdsa_sha256));
		fwc_der_w_head(&o, 0x03, sig_der_len + 1);
		fwc_der_w_raw(&o, (const uint8_t *)"", 1);
		fwc_der_w_raw(&o, sig_der, sig_der_len);
		if (o.overflow)
			return FWC_CRYPTO_ERR_INTERNAL;
		*out_len = o.len;
	}
	return FWC_CRYPTO_OK;
}
