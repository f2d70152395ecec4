/*
 * The firmware-side crypto glue (fwc-crypto, fwc-der) checked against OpenSSL, and the
 * station-side signers (PEM, delegation into OpenSSL key objects).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "fwc-crypto.h"
#include "nusec-error.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"

/* FIPS 180-2 "abc" */
static void
test_sha256_vector(void)
{
	static const guint8 expected[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
					    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
					    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
					    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	guint8 out[32];
	fwc_sha256_ctx ctx;

	g_assert_cmpint(fwc_sha256((const guint8 *)"abc", 3, out), ==, FWC_CRYPTO_OK);
	g_assert_cmpmem(out, 32, expected, 32);

	memset(out, 0, sizeof(out));
	g_assert_cmpint(fwc_sha256_begin(&ctx), ==, FWC_CRYPTO_OK);
	g_assert_cmpint(fwc_sha256_update(&ctx, (const guint8 *)"a", 1), ==, FWC_CRYPTO_OK);
	g_assert_cmpint(fwc_sha256_update(&ctx, (const guint8 *)"bc", 2), ==, FWC_CRYPTO_OK);
	g_assert_cmpint(fwc_sha256_finish(&ctx, out), ==, FWC_CRYPTO_OK);
	g_assert_cmpmem(out, 32, expected, 32);
}

/* raw -> DER -> raw round trip, and OpenSSL decodes our DER to the same integers */
static void
test_der_roundtrip(void)
{
	for (guint i = 0; i < 2000; i++) {
		guint8 raw[64];
		guint8 back[64];
		guint8 der[FWC_P256_SIG_DER_MAX];
		gsize der_len = 0;
		const guint8 *p = der;
		g_autoptr(ECDSA_SIG) sig = NULL;
		guint8 r[32];
		guint8 s[32];

		RAND_bytes(raw, sizeof(raw));
		/* exercise leading zero bytes and high bits */
		if (i % 3 == 0)
			memset(raw, 0, 1 + i % 5);
		if (i % 4 == 0)
			raw[32] |= 0x80;
		g_assert_cmpint(fwc_ecdsa_sig_raw_to_der(raw, der, &der_len), ==, FWC_CRYPTO_OK);
		g_assert_cmpint(fwc_ecdsa_sig_der_to_raw(der, der_len, back), ==, FWC_CRYPTO_OK);
		g_assert_cmpmem(raw, 64, back, 64);
		sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
		g_assert_nonnull(sig);
		g_assert_true(p == der + der_len);
		BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(sig), s, 32);
		g_assert_cmpmem(raw, 32, r, 32);
		g_assert_cmpmem(raw + 32, 32, s, 32);
	}
}

static void
test_der_rejects(void)
{
	/* each is a malformed ECDSA-Sig-Value */
	static const struct {
		const gchar *name;
		const gchar *hex;
	} bad[] = {
	    {"empty", ""},
	    {"not a sequence", "31060201010201010000"},
	    {"length too long", "3007020101020101"},
	    {"length too short", "3005020101020101"},
	    {"negative r", "3006020181020101"},
	    {"non-minimal r", "300702020001020101"},
	    {"zero-length r", "30050200020101"},
	    {"trailing byte", "300702010102010100"},
	    {"r too big",
	     "3026022200"
	     "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	     "21"
	     "020101"},
	    {"integer tag wrong", "3006030101020101"},
	    {"missing s", "3003020101"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GBytes) der = NULL;
		guint8 raw[64];
		gsize len = strlen(bad[i].hex) / 2;
		guint8 buf[80];
		for (gsize j = 0; j < len; j++) {
			gchar tmp[3] = {bad[i].hex[2 * j], bad[i].hex[2 * j + 1], 0};
			buf[j] = (guint8)g_ascii_strtoull(tmp, NULL, 16);
		}
		g_test_message("%s", bad[i].name);
		g_assert_cmpint(fwc_ecdsa_sig_der_to_raw(buf, len, raw),
				==,
				FWC_CRYPTO_ERR_BAD_DER);
	}
}

/* a signature made by OpenSSL verifies through PSA; a modified one does not */
static void
test_psa_verify_openssl_signature(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = nusec_pem_signer_new_random(&error);
	g_autoptr(GBytes) spki = NULL;
	guint8 point[65];
	guint8 digest[32];
	guint8 sig[64];

	g_assert_no_error(error);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_bytes_get_size(spki), ==, FWC_P256_SPKI_LEN);
	g_assert_cmpint(
	    fwc_p256_spki_to_point(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki), point),
	    ==,
	    FWC_CRYPTO_OK);
	/* SPKI round trip is byte-exact with OpenSSL's encoding */
	{
		guint8 spki2[FWC_P256_SPKI_LEN];
		fwc_p256_point_to_spki(point, spki2);
		g_assert_cmpmem(spki2, sizeof(spki2), g_bytes_get_data(spki, NULL), 91);
	}
	SHA256((const guint8 *)"nusec", 5, digest);
	g_assert_true(nusec_signer_sign_digest(signer, digest, sig, &error));
	g_assert_no_error(error);
	g_assert_cmpint(fwc_ecdsa_p256_verify(point, digest, sig), ==, FWC_CRYPTO_OK);
	g_assert_true(nusec_ecdsa_verify_digest(spki, digest, sig, &error));
	g_assert_no_error(error);

	digest[5] ^= 1;
	g_assert_cmpint(fwc_ecdsa_p256_verify(point, digest, sig),
			==,
			FWC_CRYPTO_ERR_BAD_SIGNATURE);
	g_assert_false(nusec_ecdsa_verify_digest(spki, digest, sig, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);
	digest[5] ^= 1;
	sig[63] ^= 1;
	g_assert_cmpint(fwc_ecdsa_p256_verify(point, digest, sig),
			==,
			FWC_CRYPTO_ERR_BAD_SIGNATURE);
	sig[63] ^= 1;
	/* a point off the curve is refused as a key, not as a signature */
	point[64] ^= 1;
	g_assert_cmpint(fwc_ecdsa_p256_verify(point, digest, sig),
			==,
			FWC_CRYPTO_ERR_BAD_PUBLIC_KEY);
	point[0] = 0x02;
	g_assert_cmpint(fwc_ecdsa_p256_verify(point, digest, sig),
			==,
			FWC_CRYPTO_ERR_BAD_PUBLIC_KEY);
}

static void
test_spki_rejects(void)
{
	g_autoptr(EVP_PKEY) rsa = EVP_RSA_gen(1024);
	g_autoptr(EVP_PKEY) p384 = EVP_EC_gen("P-384");
	guint8 *der = NULL;
	guint8 point[65];
	int len;

	len = i2d_PUBKEY(rsa, &der);
	g_assert_cmpint(fwc_p256_spki_to_point(der, len, point), ==, FWC_CRYPTO_ERR_BAD_DER);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_PUBKEY(p384, &der);
	g_assert_cmpint(fwc_p256_spki_to_point(der, len, point), ==, FWC_CRYPTO_ERR_BAD_DER);
	OPENSSL_free(der);
	g_assert_cmpint(fwc_p256_spki_to_point(NULL, 0, point), ==, FWC_CRYPTO_ERR_BAD_DER);
}

static void
test_pem_signer_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("nusec-test-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "key.pem", NULL);
	g_autofree gchar *bad = g_build_filename(dir, "bad.pem", NULL);
	g_autofree gchar *p384 = g_build_filename(dir, "p384.pem", NULL);
	g_autoptr(EVP_PKEY) pkey = EVP_EC_gen("P-256");
	g_autoptr(EVP_PKEY) pkey384 = EVP_EC_gen("P-384");
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GBytes) hash = NULL;
	g_autoptr(BIO) bio = NULL;
	guint8 *der = NULL;
	guint8 expected_hash[32];
	int len;

	g_assert_no_error(error);
	bio = BIO_new_file(path, "w");
	g_assert_true(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL));
	g_clear_pointer(&bio, BIO_free_all);
	bio = BIO_new_file(p384, "w");
	g_assert_true(PEM_write_bio_PrivateKey(bio, pkey384, NULL, NULL, 0, NULL, NULL));
	g_clear_pointer(&bio, BIO_free_all);

	signer = nusec_pem_signer_new_from_file(path, &error);
	g_assert_no_error(error);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);
	len = i2d_PUBKEY(pkey, &der);
	g_assert_cmpmem(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki), der, len);
	SHA256(der, len, expected_hash);
	OPENSSL_free(der);
	hash = nusec_signer_get_key_hash(signer, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(hash, NULL), g_bytes_get_size(hash), expected_hash, 32);

	g_assert_true(g_file_set_contents(bad, "-----BEGIN NOTHING-----\n", -1, NULL));
	g_assert_null(nusec_pem_signer_new_from_file(bad, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "bad.pem"));
	g_clear_error(&error);
	g_assert_null(nusec_pem_signer_new_from_file(p384, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	g_assert_null(nusec_pem_signer_new_from_file("/nonexistent/key.pem", &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

	g_unlink(path);
	g_unlink(bad);
	g_unlink(p384);
	g_rmdir(dir);
}

/* the delegated EVP_PKEY signs an X.509 request through the signer, and it verifies */
static void
test_signer_to_evp_pkey(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = nusec_pem_signer_new_random(&error);
	g_autoptr(EVP_PKEY) delegated = NULL;
	g_autoptr(X509_REQ) req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();

	g_assert_no_error(error);
	delegated = nusec_signer_to_evp_pkey(signer, &error);
	g_assert_no_error(error);
	g_assert_nonnull(delegated);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const guint8 *)"chip-1", -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_NAME_free(name);
	g_assert_cmpint(X509_REQ_set_pubkey(req, delegated), ==, 1);
	g_assert_cmpint(X509_REQ_sign(req, delegated, EVP_sha256()), >, 0);
	g_assert_cmpint(X509_REQ_verify(req, delegated), ==, 1);
	/* and SHA-384 digests (leftmost 256 bits) also give valid signatures */
	g_assert_cmpint(X509_REQ_sign(req, delegated, EVP_sha384()), >, 0);
	g_assert_cmpint(X509_REQ_verify(req, delegated), ==, 1);
	/* the request holds the signer's public key, and a different key does not verify it */
	{
		g_autoptr(EVP_PKEY) other = EVP_EC_gen("P-256");
		g_assert_cmpint(X509_REQ_verify(req, other), !=, 1);
		ERR_clear_error();
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/crypto/sha256", test_sha256_vector);
	g_test_add_func("/crypto/der/roundtrip", test_der_roundtrip);
	g_test_add_func("/crypto/der/rejects", test_der_rejects);
	g_test_add_func("/crypto/spki/rejects", test_spki_rejects);
	g_test_add_func("/crypto/psa-verify", test_psa_verify_openssl_signature);
	g_test_add_func("/crypto/pem-signer/file", test_pem_signer_file);
	g_test_add_func("/crypto/signer/evp-pkey", test_signer_to_evp_pkey);
	return g_test_run();
}
