/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwn-csr.h"

#include <psa/crypto.h>
#include <string.h>

#include "fwn-usb.h"

typedef struct {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int overflow;
} fwn_der;

static void
fwn_der_raw(fwn_der *d, const uint8_t *data, size_t len)
{
	if (d->overflow || len > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += len;
}

static void
fwn_der_head(fwn_der *d, uint8_t tag, size_t len)
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
	fwn_der_raw(d, h, n);
}

static size_t
fwn_der_head_size(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

static const uint8_t fwn_oid_cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
static const uint8_t fwn_alg_ecdsa_sha256[] =
    {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

int
fwn_csr_build(uint32_t key,
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
	fwn_der d = {.buf = cri_buf, .cap = sizeof(cri_buf)};

	*out_len = 0;
	if (key == 0)
		return FWN_RC_NOT_SET_UP;
	if (cn_len == 0 || cn_len > 64)
		return FWN_RC_INTERNAL;
	fwc_p256_point_to_spki(pub, spki);
	atv_len = sizeof(fwn_oid_cn) + fwn_der_head_size(cn_len) + cn_len;
	rdn_len = fwn_der_head_size(atv_len) + atv_len;
	name_len = fwn_der_head_size(rdn_len) + rdn_len;
	cri_len = 3 + fwn_der_head_size(name_len) + name_len + sizeof(spki) + 2;
	fwn_der_head(&d, 0x30, cri_len);
	fwn_der_raw(&d, (const uint8_t *)"\x02\x01\x00", 3);
	fwn_der_head(&d, 0x30, name_len);
	fwn_der_head(&d, 0x31, rdn_len);
	fwn_der_head(&d, 0x30, atv_len);
	fwn_der_raw(&d, fwn_oid_cn, sizeof(fwn_oid_cn));
	fwn_der_head(&d, 0x0c, cn_len);
	fwn_der_raw(&d, (const uint8_t *)cn, cn_len);
	fwn_der_raw(&d, spki, sizeof(spki));
	fwn_der_raw(&d, (const uint8_t *)"\xa0\x00", 2);
	if (d.overflow || d.len != fwn_der_head_size(cri_len) + cri_len)
		return FWN_RC_INTERNAL;
	if (fwc_sha256(cri_buf, d.len, digest) != FWC_CRYPTO_OK)
		return FWN_RC_CRYPTO;
	if (psa_sign_hash((psa_key_id_t)key,
			  PSA_ALG_ECDSA(PSA_ALG_SHA_256),
			  digest,
			  sizeof(digest),
			  sig,
			  sizeof(sig),
			  &sig_len) != PSA_SUCCESS ||
	    sig_len != sizeof(sig))
		return FWN_RC_CRYPTO;
	if (fwc_ecdsa_sig_raw_to_der(sig, sig_der, &sig_der_len) != FWC_CRYPTO_OK)
		return FWN_RC_CRYPTO;
	outer_len = d.len + sizeof(fwn_alg_ecdsa_sha256) + fwn_der_head_size(sig_der_len + 1) +
		    sig_der_len + 1;
	{
		fwn_der o = {.buf = out, .cap = cap};
		fwn_der_head(&o, 0x30, outer_len);
		fwn_der_raw(&o, cri_buf, d.len);
		fwn_der_raw(&o, fwn_alg_ecdsa_sha256, sizeof(fwn_alg_ecdsa_sha256));
		fwn_der_head(&o, 0x03, sig_der_len + 1);
		fwn_der_raw(&o, (const uint8_t *)"", 1);
		fwn_der_raw(&o, sig_der, sig_der_len);
		if (o.overflow)
			return FWN_RC_INTERNAL;
		*out_len = o.len;
	}
	return FWN_RC_OK;
}
