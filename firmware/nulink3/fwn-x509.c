/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwn-x509.h"

#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <string.h>

#include "fwc-cbor.h"
#include "fwc-link.h"
#include "fwn-usb.h"

#define FWN_CHAIN_MAX 4

int
fwn_x509_parse_check(const uint8_t *der, size_t len)
{
	mbedtls_x509_crt crt;
	int ret;
	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse_der(&crt, der, len);
	mbedtls_x509_crt_free(&crt);
	return ret == 0 ? FWN_RC_OK : FWN_RC_CERT_CHAIN;
}

/* the uncompressed P-256 point of a certificate's key */
static int
fwn_x509_point(const mbedtls_x509_crt *crt, uint8_t point[FWC_P256_POINT_LEN])
{
	const mbedtls_ecp_keypair *kp;
	size_t olen = 0;
	if (mbedtls_pk_get_type(&crt->pk) != MBEDTLS_PK_ECKEY)
		return -1;
	kp = mbedtls_pk_ec(crt->pk);
	if (kp == NULL || kp->grp.id != MBEDTLS_ECP_DP_SECP256R1)
		return -1;
	if (mbedtls_ecp_point_write_binary(&kp->grp,
					   &kp->Q,
					   MBEDTLS_ECP_PF_UNCOMPRESSED,
					   &olen,
					   point,
					   FWC_P256_POINT_LEN) != 0 ||
	    olen != FWC_P256_POINT_LEN)
		return -1;
	return 0;
}

static int
fwn_x509_cn_is(const mbedtls_x509_crt *crt, const char *cn)
{
	size_t n = strlen(cn);
	int found = 0;
	for (const mbedtls_x509_name *name = &crt->subject; name != NULL; name = name->next) {
		if (name->oid.p == NULL || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) != 0)
			continue;
		if (found)
			return 0; /* two CNs: ambiguous */
		found = name->val.len == n && memcmp(name->val.p, cn, n) == 0;
		if (!found)
			return 0;
	}
	return found;
}

/* reads a CBOR array of 1..FWN_CHAIN_MAX DER bstr into @crt (appended in order) */
static int
fwn_x509_parse_array(const uint8_t *arr,
		     size_t len,
		     mbedtls_x509_crt *crt,
		     const uint8_t **ders,
		     size_t *der_lens,
		     size_t *count)
{
	fwc_cbor_reader r;
	size_t n = 0;

	fwc_cbor_reader_init(&r, arr, len, 0);
	if (fwc_cbor_read_array(&r, &n) != FWC_CBOR_OK || n == 0 || n > FWN_CHAIN_MAX)
		return FWN_RC_BAD_PAYLOAD;
	for (size_t i = 0; i < n; i++) {
		if (fwc_cbor_read_bstr(&r, &ders[i], &der_lens[i]) != FWC_CBOR_OK ||
		    der_lens[i] == 0 || der_lens[i] > 0xffff)
			return FWN_RC_BAD_PAYLOAD;
		if (mbedtls_x509_crt_parse_der(crt, ders[i], der_lens[i]) != 0)
			return FWN_RC_CERT_CHAIN;
	}
	if (fwc_cbor_read_end(&r) != FWC_CBOR_OK)
		return FWN_RC_BAD_PAYLOAD;
	*count = n;
	return FWN_RC_OK;
}

int
fwn_x509_check_programmer_cert(const uint8_t *cert,
			       size_t cert_len,
			       const uint8_t *ca_array,
			       size_t ca_array_len,
			       const uint8_t tls_pub[FWC_P256_POINT_LEN],
			       uint8_t *ca_out,
			       size_t cap,
			       size_t *ca_out_len)
{
	mbedtls_x509_crt leaf, ca;
	const uint8_t *ders[FWN_CHAIN_MAX];
	size_t lens[FWN_CHAIN_MAX];
	size_t count = 0, total = 0;
	uint8_t point[FWC_P256_POINT_LEN];
	uint32_t flags = 0;
	int rc;

	*ca_out_len = 0;
	mbedtls_x509_crt_init(&leaf);
	mbedtls_x509_crt_init(&ca);
	rc = fwn_x509_parse_array(ca_array, ca_array_len, &ca, ders, lens, &count);
	if (rc == FWN_RC_OK && mbedtls_x509_crt_parse_der(&leaf, cert, cert_len) != 0)
		rc = FWN_RC_CERT_CHAIN;
	if (rc == FWN_RC_OK &&
	    (fwn_x509_point(&leaf, point) != 0 || !fwc_ct_equal(point, tls_pub, sizeof(point))))
		rc = FWN_RC_CERT_CHAIN;
	if (rc == FWN_RC_OK &&
	    mbedtls_x509_crt_verify(&leaf, &ca, NULL, NULL, &flags, NULL, NULL) != 0)
		rc = FWN_RC_CERT_CHAIN;
	for (size_t i = 0; rc == FWN_RC_OK && i < count; i++) {
		if (lens[i] > cap - total) {
			rc = FWN_RC_BAD_PAYLOAD;
			break;
		}
		memcpy(ca_out + total, ders[i], lens[i]);
		total += lens[i];
	}
	mbedtls_x509_crt_free(&leaf);
	mbedtls_x509_crt_free(&ca);
	if (rc == FWN_RC_OK)
		*ca_out_len = total;
	return rc;
}

/* parses concatenated DER certificates */
static int
fwn_x509_parse_concat(mbedtls_x509_crt *crt, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		size_t n;
		/* SEQUENCE with a 2-byte long-form length */
		if (len - off < 4 || buf[off] != 0x30 || buf[off + 1] != 0x82)
			return -1;
		n = 4 + ((size_t)buf[off + 2] << 8 | buf[off + 3]);
		if (n > len - off || mbedtls_x509_crt_parse_der(crt, buf + off, n) != 0)
			return -1;
		off += n;
	}
	return off == len && len > 0 ? 0 : -1;
}

int
fwn_x509_check_device_chain(const uint8_t *chain_array,
			    size_t chain_len,
			    const uint8_t *ca,
			    size_t ca_len,
			    const char *cn,
			    uint8_t *out,
			    size_t cap,
			    size_t *out_len)
{
	mbedtls_x509_crt chain, trust;
	const uint8_t *ders[FWN_CHAIN_MAX];
	size_t lens[FWN_CHAIN_MAX];
	size_t count = 0, pos = 1;
	uint32_t flags = 0;
	int rc;

	*out_len = 0;
	mbedtls_x509_crt_init(&chain);
	mbedtls_x509_crt_init(&trust);
	rc = fwn_x509_parse_array(chain_array, chain_len, &chain, ders, lens, &count);
	if (rc == FWN_RC_BAD_PAYLOAD)
		rc = FWN_RC_CERT_CHAIN;
	if (rc == FWN_RC_OK && fwn_x509_parse_concat(&trust, ca, ca_len) != 0)
		rc = FWN_RC_STORAGE;
	if (rc == FWN_RC_OK && !fwn_x509_cn_is(&chain, cn))
		rc = FWN_RC_CERT_CHAIN;
	if (rc == FWN_RC_OK &&
	    mbedtls_x509_crt_verify(&chain, &trust, NULL, NULL, &flags, NULL, NULL) != 0)
		rc = FWN_RC_CERT_CHAIN;
	if (rc == FWN_RC_OK) {
		if (cap < 1)
			rc = FWN_RC_INTERNAL;
		else
			out[0] = (uint8_t)count;
	}
	for (size_t i = 0; rc == FWN_RC_OK && i < count; i++) {
		if (lens[i] + 2 > cap - pos) {
			rc = FWN_RC_CERT_CHAIN;
			break;
		}
		fwc_link_put_u16(out + pos, (uint16_t)lens[i]);
		memcpy(out + pos + 2, ders[i], lens[i]);
		pos += 2 + lens[i];
	}
	mbedtls_x509_crt_free(&chain);
	mbedtls_x509_crt_free(&trust);
	if (rc == FWN_RC_OK)
		*out_len = pos;
	return rc;
}

int
fwn_x509_check_attestation(const uint8_t *cert,
			   size_t cert_len,
			   const uint8_t *vendor_ca,
			   size_t vendor_ca_len,
			   const char *cn,
			   const uint8_t digest[FWC_SHA256_LEN],
			   const uint8_t sig[FWC_P256_SIG_LEN],
			   uint8_t attest_point[FWC_P256_POINT_LEN])
{
	mbedtls_x509_crt crt, ca;
	uint8_t point[FWC_P256_POINT_LEN];
	uint32_t flags = 0;
	int rc = FWN_RC_OK;

	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&ca);
	if (mbedtls_x509_crt_parse_der(&crt, cert, cert_len) != 0 ||
	    mbedtls_x509_crt_parse_der(&ca, vendor_ca, vendor_ca_len) != 0 ||
	    !fwn_x509_cn_is(&crt, cn) ||
	    mbedtls_x509_crt_verify(&crt, &ca, NULL, NULL, &flags, NULL, NULL) != 0 ||
	    fwn_x509_point(&crt, point) != 0 ||
	    fwc_ecdsa_p256_verify(point, digest, sig) != FWC_CRYPTO_OK)
		rc = FWN_RC_ATTESTATION;
	else
		memcpy(attest_point, point, FWC_P256_POINT_LEN);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&ca);
	return rc;
}
