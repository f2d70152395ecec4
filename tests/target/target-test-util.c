/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "target-test-util.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "nusec-openssl.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_NAME, X509_NAME_free)

EVP_PKEY *
tt_point_to_pkey(const guint8 point[FWC_P256_POINT_LEN])
{
	guint8 spki[FWC_P256_SPKI_LEN];
	const unsigned char *p = spki;
	EVP_PKEY *pkey;

	fwc_p256_point_to_spki(point, spki);
	pkey = d2i_PUBKEY(NULL, &p, sizeof(spki));
	g_assert_nonnull(pkey);
	return pkey;
}

EVP_PKEY *
tt_random_key(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	g_assert_nonnull(pkey);
	return pkey;
}

GBytes *
tt_make_cert(EVP_PKEY *subject_pub, EVP_PKEY *issuer_key, const gchar *cn)
{
	g_autoptr(X509) x = X509_new();
	g_autoptr(BIGNUM) serial = BN_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	unsigned char *der = NULL;
	int len;
	gboolean ca = subject_pub == issuer_key;

	g_assert_true(X509_set_version(x, 2));
	g_assert_true(BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY));
	g_assert_nonnull(BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)));
	name = X509_get_subject_name(x);
	g_assert_true(X509_NAME_add_entry_by_txt(name,
						 "CN",
						 MBSTRING_UTF8,
						 (const unsigned char *)cn,
						 -1,
						 -1,
						 0));
	/* issuer: the CA's CN is "Test CA" unless self-signed */
	if (ca) {
		g_assert_true(X509_set_issuer_name(x, name));
	} else {
		g_autoptr(X509_NAME) iname = X509_NAME_new();
		g_assert_true(X509_NAME_add_entry_by_txt(iname,
							 "CN",
							 MBSTRING_UTF8,
							 (const unsigned char *)"Test CA",
							 -1,
							 -1,
							 0));
		g_assert_true(X509_set_issuer_name(x, iname));
	}
	g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	g_assert_true(X509_set_pubkey(x, subject_pub));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	{
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL,
							  &ctx,
							  NID_basic_constraints,
							  ca ? "critical,CA:TRUE" : "CA:FALSE");
		g_assert_nonnull(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	g_assert_cmpint(X509_sign(x, issuer_key, EVP_sha256()), >, 0);
	len = i2d_X509(x, &der);
	g_assert_cmpint(len, >, 0);
	{
		GBytes *b = g_bytes_new(der, len);
		OPENSSL_free(der);
		return b;
	}
}

void
tt_check_csr(const guint8 *der, gsize len, gchar **cn, guint8 point[FWC_P256_POINT_LEN])
{
	const unsigned char *p = der;
	g_autoptr(X509_REQ) req = d2i_X509_REQ(NULL, &p, (long)len);
	EVP_PKEY *pub;
	X509_NAME *name;
	char buf[128];
	unsigned char *spki = NULL;
	int spki_len;

	g_assert_nonnull(req);
	g_assert_true(p == der + len);
	pub = X509_REQ_get0_pubkey(req);
	g_assert_nonnull(pub);
	g_assert_cmpint(X509_REQ_verify(req, pub), ==, 1);
	g_assert_cmpint(X509_REQ_get_version(req), ==, 0);
	name = X509_REQ_get_subject_name(req);
	g_assert_cmpint(X509_NAME_entry_count(name), ==, 1);
	g_assert_cmpint(X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof(buf)), >, 0);
	*cn = g_strdup(buf);
	spki_len = i2d_PUBKEY(pub, &spki);
	g_assert_cmpint(spki_len, ==, FWC_P256_SPKI_LEN);
	g_assert_cmpint(fwc_p256_spki_to_point(spki, spki_len, point), ==, FWC_CRYPTO_OK);
	OPENSSL_free(spki);
}

gboolean
tt_verify_digest(EVP_PKEY *pub, const guint8 digest[32], const guint8 sig[64])
{
	g_autoptr(ECDSA_SIG) s = ECDSA_SIG_new();
	g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new(pub, NULL);
	unsigned char *der = NULL;
	int der_len, rc;

	g_assert_true(ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)));
	der_len = i2d_ECDSA_SIG(s, &der);
	g_assert_cmpint(der_len, >, 0);
	g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
	rc = EVP_PKEY_verify(ctx, der, der_len, digest, 32);
	OPENSSL_free(der);
	return rc == 1;
}

GBytes *
tt_chain_payload(GBytes **certs, guint n)
{
	GByteArray *buf = g_byte_array_new();
	guint8 count = (guint8)n;

	g_byte_array_append(buf, &count, 1);
	for (guint i = 0; i < n; i++) {
		gsize len = 0;
		const guint8 *data = g_bytes_get_data(certs[i], &len);
		guint8 l[2] = {(guint8)len, (guint8)(len >> 8)};
		g_byte_array_append(buf, l, 2);
		g_byte_array_append(buf, data, len);
	}
	return g_byte_array_free_to_bytes(buf);
}

gchar *
tt_hex(const guint8 *data, gsize len)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", data[i]);
	return g_string_free(s, FALSE);
}

void
tt_response_clear(TtResponse *r)
{
	g_clear_pointer(&r->payload, g_bytes_unref);
}

GBytes *
tt_request(guint8 cmd, const guint8 *payload, gsize len)
{
	guint8 *buf = g_malloc(FWC_LINK_MAX_FRAME);
	size_t out_len = 0;

	g_assert_cmpint(
	    fwc_link_encode_request(cmd, payload, len, buf, FWC_LINK_MAX_FRAME, &out_len),
	    ==,
	    FWC_LINK_OK);
	return g_bytes_new_take(buf, out_len);
}

void
tt_decode_response(const guint8 *buf, gsize len, guint8 cmd, TtResponse *out)
{
	fwc_link_frame frame;
	int rc = fwc_link_decode_response(buf, len, cmd, &frame);

	if (rc != FWC_LINK_OK)
		g_error("bad response to %s: %s",
			fwc_tlink_cmd_name(cmd),
			fwc_link_status_name(rc));
	out->status = frame.status;
	out->payload = g_bytes_new(frame.payload, frame.payload_len);
}
