/*
 * COSE_Sign1 ES256 tests: the published RFC 9052 Appendix C.2.1 message and the cose-wg
 * Examples sign1 vectors through both verifiers (firmware fwc_cose, OpenSSL nusec_cose),
 * cross tests between the OpenSSL creator and both verifiers, every rejection with its
 * specific status, and the bad-input corpus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <string.h>

#include "fwc-cbor.h"
#include "fwc-cose.h"
#include "fwc-crypto.h"
#include "nusec-cose.h"
#include "nusec-error.h"
#include "nusec-pem-signer.h"
#include "nusec-test-corpus.h"

/*
 * The key of RFC 9052 Appendix C.7.1 with kid "11" (cose-wg/Examples, the "sign0" key of
 * sign1-tests/ and ecdsa-examples/): x = usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8,
 * y = IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4 (base64url), as 0x04 || X || Y.
 */
static const gchar *key11_point_hex =
    "04bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff"
    "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e";

/* RFC 9052 Appendix C.2.1 "Single ECDSA Signature": 18([h'a10126', {4: '11'},
 * 'This is the content.', sig]) */
static const gchar *c21_hex = "d28443a10126a10442313154546869732069732074686520636f6e74656e742e"
			      "58408eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0"
			      "117e2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345ca"
			      "cb36";
/* its ToBeSigned: ["Signature1", h'a10126', h'', 'This is the content.'] */
static const gchar *c21_tbs_hex =
    "846a5369676e61747572653143a101264054546869732069732074686520636f6e74656e742e";

static const gchar *content = "This is the content.";

typedef struct {
	const gchar *name; /* file in cose-wg/Examples */
	const gchar *hex;
	const gchar *aad_hex; /* external AAD, or NULL */
	const gchar *tbs_hex; /* intermediates.ToBeSign_hex, or NULL */
	fwc_cose_status fw;   /* firmware verifier (tag optional) */
	gboolean tagged;      /* the OpenSSL verifier also needs tag 18 */
} CoseWgVector;

static const CoseWgVector cose_wg[] = {
    {"RFC 9052 C.2.1", NULL, NULL, NULL, FWC_COSE_OK, TRUE},
    {"sign1-tests/sign-pass-02.json (external AAD)",
     "d28443a10126a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc176883766c5"
     "dc5ba5b8dca25dab3c2e56a551ce5705b793914348e155388b10c4f1b59a6733eab416870a945111a4b2fbdbe"
     "f33a77234b1deff2f9b",
     "11aa22bb33cc44dd55006699",
     "846a5369676e61747572653143a101264c11aa22bb33cc44dd5500669954546869732069732074686520636f"
     "6e74656e742e",
     FWC_COSE_OK,
     TRUE},
    {"sign1-tests/sign-pass-03.json (untagged)",
     "8443a10126a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc176883766c5dc"
     "5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b97c4bd"
     "b847782bff384c5794",
     NULL,
     "846a5369676e61747572653143a101264054546869732069732074686520636f6e74656e742e",
     FWC_COSE_OK,
     FALSE},
    {"ecdsa-examples/ecdsa-sig-01.json (protected content type)",
     "d28445a201260300a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc1768837"
     "66c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e172727f48461fabbba2e343492ddecac398368625"
     "0bc68e9f1a7a07d41225b59f",
     NULL,
     "846a5369676e61747572653145a2012603004054546869732069732074686520636f6e74656e742e",
     FWC_COSE_OK,
     TRUE},
    {"sign1-tests/sign-pass-01.json (alg only unprotected: outside our profile)",
     "d28441a0a201260442313154546869732069732074686520636f6e74656e742e5840eae868ecc176883766c5"
     "dc5ba5b8dca25dab3c2e56a551ce5705b793914348e11a02e5f0344bf2d4ee5c7fd75a68a9f5e0b3cc1f1fc1"
     "409c189566586ff9d610",
     NULL,
     NULL,
     FWC_COSE_ERR_ALG_NOT_PROTECTED,
     TRUE},
    {"sign1-tests/sign-fail-01.json (wrong tag 998)",
     "d903e68443a10126a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc1768837"
     "66c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b"
     "97c4bdb847782bff384c5794",
     NULL,
     NULL,
     FWC_COSE_ERR_WRONG_TAG,
     TRUE},
    {"sign1-tests/sign-fail-02.json (payload changed)",
     "d28443a10126a10442313154546869732069732074686520636f6e74656e742f5840eae868ecc176883766c5"
     "dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b97c4"
     "bdb847782bff384c5794",
     NULL,
     NULL,
     FWC_COSE_ERR_SIGNATURE,
     TRUE},
    {"sign1-tests/sign-fail-03.json (alg -999)",
     "d28445a1013903e6a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc1768837"
     "66c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b"
     "97c4bdb847782bff384c5794",
     NULL,
     NULL,
     FWC_COSE_ERR_ALG_UNSUPPORTED,
     TRUE},
    {"sign1-tests/sign-fail-04.json (alg \"unknown\")",
     "d2844aa10167756e6b6e6f776ea10442313154546869732069732074686520636f6e74656e742e5840eae868"
     "ecc176883766c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c"
     "9ba939295b97c4bdb847782bff384c5794",
     NULL,
     NULL,
     FWC_COSE_ERR_ALG_UNSUPPORTED,
     TRUE},
    {"sign1-tests/sign-fail-06.json (protected attribute added)",
     "d28445a201260300a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc1768837"
     "66c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472da301b645b293c9ba939295b"
     "97c4bdb847782bff384c5794",
     NULL,
     NULL,
     FWC_COSE_ERR_SIGNATURE,
     TRUE},
    {"sign1-tests/sign-fail-07.json (protected attribute removed)",
     "d28443a10126a10442313154546869732069732074686520636f6e74656e742e5840eae868ecc176883766c5"
     "dc5ba5b8dca25dab3c2e56a551ce5705b793914348e172727f48461fabbba2e343492ddecac3983686250bc6"
     "8e9f1a7a07d41225b59f",
     NULL,
     NULL,
     FWC_COSE_ERR_SIGNATURE,
     TRUE},
};

static GBytes *
hex_to_bytes(const gchar *hex)
{
	GByteArray *out = g_byte_array_new();
	gsize len = strlen(hex);

	g_assert_cmpuint(len % 2, ==, 0);
	for (gsize i = 0; i < len; i += 2) {
		gint hi = g_ascii_xdigit_value(hex[i]);
		gint lo = g_ascii_xdigit_value(hex[i + 1]);
		guint8 b;
		g_assert_cmpint(hi, >=, 0);
		g_assert_cmpint(lo, >=, 0);
		b = (guint8)(hi << 4 | lo);
		g_byte_array_append(out, &b, 1);
	}
	return g_byte_array_free_to_bytes(out);
}

static void
key11_point(guint8 point[FWC_P256_POINT_LEN])
{
	g_autoptr(GBytes) b = hex_to_bytes(key11_point_hex);
	g_assert_cmpuint(g_bytes_get_size(b), ==, FWC_P256_POINT_LEN);
	memcpy(point, g_bytes_get_data(b, NULL), FWC_P256_POINT_LEN);
}

static GBytes *
point_to_spki(const guint8 point[FWC_P256_POINT_LEN])
{
	guint8 spki[FWC_P256_SPKI_LEN];
	fwc_p256_point_to_spki(point, spki);
	return g_bytes_new(spki, sizeof(spki));
}

/* firmware verifier over GBytes; the status name makes failures readable */
static const gchar *
fw_verify(GBytes *msg, GBytes *aad, const guint8 *point, unsigned flags, fwc_cose_sign1 *out)
{
	fwc_cose_sign1 tmp;
	gsize len = 0, aad_len = 0;
	const guint8 *data = g_bytes_get_data(msg, &len);
	const guint8 *aad_data = aad != NULL ? g_bytes_get_data(aad, &aad_len) : NULL;

	return fwc_cose_status_name(fwc_cose_sign1_verify(data,
							  len,
							  aad_data,
							  aad_len,
							  point,
							  flags,
							  out != NULL ? out : &tmp));
}

static void
test_cose_c21(void)
{
	g_autoptr(GBytes) msg = hex_to_bytes(c21_hex);
	g_autoptr(GBytes) tbs_expect = hex_to_bytes(c21_tbs_hex);
	g_autoptr(GBytes) prot = hex_to_bytes("a10126");
	g_autoptr(GBytes) payload = g_bytes_new_static(content, strlen(content));
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GBytes) payload_out = NULL;
	g_autoptr(GBytes) kid = NULL;
	g_autoptr(GError) error = NULL;
	guint8 point[FWC_P256_POINT_LEN];
	guint8 digest[FWC_SHA256_LEN], digest_expect[FWC_SHA256_LEN];
	fwc_cose_sign1 out;

	key11_point(point);
	spki = point_to_spki(point);

	/* firmware side, tag required and optional */
	g_assert_cmpstr(fw_verify(msg, NULL, point, FWC_COSE_FLAG_TAG_REQUIRED, &out),
			==,
			"FWC_COSE_OK");
	g_assert_cmpmem(out.payload, out.payload_len, content, strlen(content));
	g_assert_cmpmem(out.kid, out.kid_len, "11", 2);
	g_assert_cmpint(out.tagged, ==, 1);
	g_assert_true(out.payload == (const guint8 *)g_bytes_get_data(msg, NULL) + 12);
	g_assert_cmpstr(fw_verify(msg, NULL, point, 0, NULL), ==, "FWC_COSE_OK");

	/* the Sig_structure: incremental firmware digest == SHA-256 of the published ToBeSign ==
	 * SHA-256 of the OpenSSL-side Sig_structure */
	g_assert_cmpint(fwc_cose_sign1_digest(&out, NULL, 0, digest), ==, FWC_COSE_OK);
	g_assert_cmpint(fwc_sha256(g_bytes_get_data(tbs_expect, NULL),
				   g_bytes_get_size(tbs_expect),
				   digest_expect),
			==,
			FWC_CRYPTO_OK);
	g_assert_cmpmem(digest, sizeof(digest), digest_expect, sizeof(digest_expect));
	tbs = nusec_cose_sig_structure(prot, NULL, payload);
	g_assert_true(g_bytes_equal(tbs, tbs_expect));

	/* OpenSSL side */
	g_assert_true(nusec_cose_sign1_verify(msg, spki, NULL, &payload_out, &error));
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(payload_out, payload));
	kid = nusec_cose_sign1_get_kid(msg, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(g_bytes_get_data(kid, NULL), g_bytes_get_size(kid), "11", 2);
}

/* every single-bit flip of C.2.1 is rejected by both verifiers, except in the unprotected
 * header map, which the signature does not cover (RFC 9052 §3) */
static void
test_cose_c21_bitflips(void)
{
	g_autoptr(GBytes) msg = hex_to_bytes(c21_hex);
	g_autoptr(GBytes) spki = NULL;
	gsize len = g_bytes_get_size(msg);
	const gsize unprot_start = 6, unprot_end = 10; /* a1 04 42 3131 */
	const gsize payload_start = 11, sig_start = 32;
	guint8 point[FWC_P256_POINT_LEN];
	guint rejected = 0;

	key11_point(point);
	spki = point_to_spki(point);
	g_assert_cmpuint(len, ==, sig_start + 2 + 64);
	for (gsize i = 0; i < len; i++) {
		for (guint bit = 0; bit < 8; bit++) {
			g_autofree guint8 *copy = g_memdup2(g_bytes_get_data(msg, NULL), len);
			g_autoptr(GBytes) bad = NULL;
			g_autoptr(GError) error = NULL;
			const gchar *fw;
			gboolean ok;

			copy[i] ^= (guint8)(1u << bit);
			bad = g_bytes_new(copy, len);
			fw = fw_verify(bad, NULL, point, 0, NULL);
			ok = nusec_cose_sign1_verify(bad, spki, NULL, NULL, &error);
			if (i >= unprot_start && i <= unprot_end) {
				/* may or may not stay well-formed; never a signature issue */
				g_assert_cmpstr(fw, !=, "FWC_COSE_ERR_SIGNATURE");
				continue;
			}
			g_assert_cmpstr(fw, !=, "FWC_COSE_OK");
			g_assert_false(ok);
			g_assert_nonnull(error);
			/* flips inside the payload text or the signature value: still well
			 * formed, rejected by the signature check alone */
			if ((i >= payload_start + 1 && i < payload_start + 1 + 20) ||
			    i >= sig_start + 2) {
				g_assert_cmpstr(fw, ==, "FWC_COSE_ERR_SIGNATURE");
				g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
			}
			rejected++;
		}
	}
	g_assert_cmpuint(rejected, ==, 8 * (len - (unprot_end - unprot_start + 1)));

	/* the protected alg -7 (0x26) flipped to -8 (0x27): not ES256 */
	{
		g_autofree guint8 *copy = g_memdup2(g_bytes_get_data(msg, NULL), len);
		g_autoptr(GBytes) bad = NULL;
		g_autoptr(GError) error = NULL;
		g_assert_cmphex(copy[5], ==, 0x26);
		copy[5] = 0x27;
		bad = g_bytes_new(copy, len);
		g_assert_cmpstr(fw_verify(bad, NULL, point, 0, NULL),
				==,
				"FWC_COSE_ERR_ALG_UNSUPPORTED");
		g_assert_false(nusec_cose_sign1_verify(bad, spki, NULL, NULL, &error));
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_SUPPORTED);
	}
}

static void
test_cose_wg_examples(void)
{
	guint8 point[FWC_P256_POINT_LEN];
	g_autoptr(GBytes) spki = NULL;

	key11_point(point);
	spki = point_to_spki(point);
	for (guint i = 0; i < G_N_ELEMENTS(cose_wg); i++) {
		const CoseWgVector *v = &cose_wg[i];
		g_autoptr(GBytes) msg = hex_to_bytes(v->hex != NULL ? v->hex : c21_hex);
		g_autoptr(GBytes) aad = v->aad_hex != NULL ? hex_to_bytes(v->aad_hex) : NULL;
		g_autoptr(GError) error = NULL;
		fwc_cose_sign1 out;
		gboolean ok;

		g_test_message("%s", v->name);
		g_assert_cmpstr(fw_verify(msg, aad, point, 0, &out),
				==,
				fwc_cose_status_name(v->fw));
		if (v->tbs_hex != NULL) {
			g_autoptr(GBytes) tbs = hex_to_bytes(v->tbs_hex);
			g_autoptr(GBytes) prot = g_bytes_new(out.protected_hdr, out.protected_len);
			g_autoptr(GBytes) payload = g_bytes_new(out.payload, out.payload_len);
			g_autoptr(GBytes) ours = nusec_cose_sig_structure(prot, aad, payload);
			g_assert_true(g_bytes_equal(ours, tbs));
		}
		ok = nusec_cose_sign1_verify(msg, spki, aad, NULL, &error);
		if (v->fw == FWC_COSE_OK && v->tagged) {
			g_assert_no_error(error);
			g_assert_true(ok);
		} else {
			g_assert_false(ok);
			g_assert_nonnull(error);
			g_test_message("  OpenSSL side: %s", error->message);
		}
		if (v->fw == FWC_COSE_OK && !v->tagged) {
			g_assert_cmpstr(
			    fw_verify(msg, aad, point, FWC_COSE_FLAG_TAG_REQUIRED, NULL),
			    ==,
			    "FWC_COSE_ERR_TAG_MISSING");
		}
		/* the external AAD is bound: without it (or with it where there was none) the
		 * signature no longer verifies */
		if (v->fw == FWC_COSE_OK) {
			g_autoptr(GBytes) other = hex_to_bytes(v->aad_hex != NULL ? "" : "00");
			g_assert_cmpstr(fw_verify(msg, other, point, 0, NULL),
					==,
					"FWC_COSE_ERR_SIGNATURE");
		}
	}
}

/* ---- cross tests: OpenSSL creator, both verifiers ---- */

typedef struct {
	NuSecSigner *signer;
	GBytes *spki;
	guint8 point[FWC_P256_POINT_LEN];
} Fixture;

static void
fixture_init(Fixture *f)
{
	g_autoptr(GError) error = NULL;

	f->signer = nusec_pem_signer_new_random(&error);
	g_assert_no_error(error);
	f->spki = nusec_signer_get_public_key(f->signer, &error);
	g_assert_no_error(error);
	g_assert_true(nusec_signer_get_public_point(f->signer, f->point, &error));
	g_assert_no_error(error);
}

static void
fixture_clear(Fixture *f)
{
	g_clear_object(&f->signer);
	g_clear_pointer(&f->spki, g_bytes_unref);
}

static void
test_cose_create_verify(void)
{
	Fixture f;
	g_autoptr(GBytes) payload = g_bytes_new_static("manifest", 8);
	g_autoptr(GBytes) kid = g_bytes_new_static("pkg-key-1", 9);
	g_autoptr(GBytes) aad = g_bytes_new_static("binding", 7);
	g_autoptr(GBytes) cose = NULL;
	g_autoptr(GBytes) payload_out = NULL;
	g_autoptr(GBytes) kid_out = NULL;
	g_autoptr(GBytes) expect_head = NULL;
	g_autoptr(GError) error = NULL;
	fwc_cose_sign1 out;
	const guint8 *data;
	gsize len;

	fixture_init(&f);
	cose = nusec_cose_sign1_create(f.signer, payload, kid, aad, &error);
	g_assert_no_error(error);
	g_assert_nonnull(cose);

	/* exact layout: 18([h'a10126', {4: h'...'}, h'manifest', h'<64>']) */
	data = g_bytes_get_data(cose, &len);
	expect_head = hex_to_bytes("d28443a10126a10449706b672d6b65792d31486d616e69666573745840");
	g_assert_cmpuint(len, ==, g_bytes_get_size(expect_head) + 64);
	g_assert_cmpmem(data,
			g_bytes_get_size(expect_head),
			g_bytes_get_data(expect_head, NULL),
			g_bytes_get_size(expect_head));
	g_assert_cmpint(fwc_cbor_validate(data, len, 0), ==, FWC_CBOR_OK);

	/* firmware side */
	g_assert_cmpstr(fw_verify(cose, aad, f.point, FWC_COSE_FLAG_TAG_REQUIRED, &out),
			==,
			"FWC_COSE_OK");
	g_assert_cmpmem(out.payload, out.payload_len, "manifest", 8);
	g_assert_cmpmem(out.kid, out.kid_len, "pkg-key-1", 9);

	/* OpenSSL side */
	g_assert_true(nusec_cose_sign1_verify(cose, f.spki, aad, &payload_out, &error));
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(payload_out, payload));
	kid_out = nusec_cose_sign1_get_kid(cose, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(kid_out, kid));

	/* ECDSA is randomized: a second message differs only in the signature */
	{
		g_autoptr(GBytes) again =
		    nusec_cose_sign1_create(f.signer, payload, kid, aad, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(g_bytes_get_size(again), ==, len);
		g_assert_cmpmem(g_bytes_get_data(again, NULL), len - 64, data, len - 64);
	}
	fixture_clear(&f);
}

static void
test_cose_create_variants(void)
{
	Fixture f;
	g_autoptr(GError) error = NULL;
	gsize sizes[] = {0, 1, 23, 24, 255, 256, 65535, 65536, 300000};

	fixture_init(&f);
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autofree guint8 *buf = g_malloc(sizes[i] + 1);
		g_autoptr(GBytes) payload = NULL;
		g_autoptr(GBytes) cose = NULL;
		g_autoptr(GBytes) payload_out = NULL;
		g_autoptr(GBytes) kid = NULL;
		fwc_cose_sign1 out;

		for (gsize j = 0; j < sizes[i]; j++)
			buf[j] = (guint8)(j * 7 + i);
		payload = g_bytes_new(buf, sizes[i]);
		/* no kid, no external AAD */
		cose = nusec_cose_sign1_create(f.signer, payload, NULL, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(fw_verify(cose, NULL, f.point, FWC_COSE_FLAG_TAG_REQUIRED, &out),
				==,
				"FWC_COSE_OK");
		g_assert_null(out.kid);
		g_assert_cmpmem(out.payload, out.payload_len, buf, sizes[i]);
		g_assert_true(nusec_cose_sign1_verify(cose, f.spki, NULL, &payload_out, &error));
		g_assert_no_error(error);
		g_assert_true(g_bytes_equal(payload_out, payload));
		/* an empty AAD is the same as none */
		{
			g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
			g_assert_true(nusec_cose_sign1_verify(cose, f.spki, empty, NULL, &error));
			g_assert_no_error(error);
		}
		kid = nusec_cose_sign1_get_kid(cose, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
		g_assert_null(kid);
		g_clear_error(&error);
	}
	fixture_clear(&f);
}

static void
test_cose_wrong_key_and_aad(void)
{
	Fixture f, other;
	g_autoptr(GBytes) payload = g_bytes_new_static("order 42", 8);
	g_autoptr(GBytes) aad = g_bytes_new_static("programmer-A", 12);
	g_autoptr(GBytes) aad_other = g_bytes_new_static("programmer-B", 12);
	g_autoptr(GBytes) cose = NULL;
	g_autoptr(GBytes) cose_noaad = NULL;
	g_autoptr(GError) error = NULL;
	guint8 bad_point[FWC_P256_POINT_LEN];

	fixture_init(&f);
	fixture_init(&other);
	cose = nusec_cose_sign1_create(f.signer, payload, NULL, aad, &error);
	g_assert_no_error(error);
	cose_noaad = nusec_cose_sign1_create(f.signer, payload, NULL, NULL, &error);
	g_assert_no_error(error);

	/* wrong key */
	g_assert_cmpstr(fw_verify(cose, aad, other.point, 0, NULL), ==, "FWC_COSE_ERR_SIGNATURE");
	g_assert_false(nusec_cose_sign1_verify(cose, other.spki, aad, NULL, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);

	/* external AAD mismatch, missing, or added */
	g_assert_cmpstr(fw_verify(cose, aad_other, f.point, 0, NULL), ==, "FWC_COSE_ERR_SIGNATURE");
	g_assert_cmpstr(fw_verify(cose, NULL, f.point, 0, NULL), ==, "FWC_COSE_ERR_SIGNATURE");
	g_assert_cmpstr(fw_verify(cose_noaad, aad, f.point, 0, NULL), ==, "FWC_COSE_ERR_SIGNATURE");
	g_assert_false(nusec_cose_sign1_verify(cose, f.spki, aad_other, NULL, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);
	g_assert_false(nusec_cose_sign1_verify(cose, f.spki, NULL, NULL, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);
	g_assert_false(nusec_cose_sign1_verify(cose_noaad, f.spki, aad, NULL, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);

	/* not a key at all */
	memcpy(bad_point, f.point, sizeof(bad_point));
	bad_point[0] = 0x05;
	g_assert_cmpstr(fw_verify(cose, aad, bad_point, 0, NULL), ==, "FWC_COSE_ERR_BAD_KEY");
	memcpy(bad_point, f.point, sizeof(bad_point));
	bad_point[64] ^= 0x01; /* off the curve */
	g_assert_cmpstr(fw_verify(cose, aad, bad_point, 0, NULL), ==, "FWC_COSE_ERR_BAD_KEY");
	{
		g_autoptr(GBytes) junk = g_bytes_new_static("not a key", 9);
		g_assert_false(nusec_cose_sign1_verify(cose, junk, aad, NULL, &error));
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA);
		g_clear_error(&error);
	}
	fixture_clear(&f);
	fixture_clear(&other);
}

/* builds a COSE_Sign1 from raw parts; NULL payload writes nil; signs the Sig_structure
 * with @f's key when @sig is NULL */
static GBytes *
build_sign1(Fixture *f,
	    gboolean tagged,
	    const gchar *prot_hex,
	    const gchar *unprot_hex,
	    GBytes *payload,
	    GBytes *sig)
{
	g_autoptr(GBytes) prot = hex_to_bytes(prot_hex);
	g_autoptr(GBytes) unprot = hex_to_bytes(unprot_hex);
	g_autoptr(GBytes) signature = NULL;
	g_autoptr(GError) error = NULL;
	guint8 buf[4096];
	fwc_cbor_writer w;
	gsize len;
	const guint8 *data;

	if (sig != NULL) {
		signature = g_bytes_ref(sig);
	} else {
		g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
		g_autoptr(GBytes) tbs =
		    nusec_cose_sig_structure(prot, NULL, payload != NULL ? payload : empty);
		signature = nusec_signer_sign_data(f->signer,
						   g_bytes_get_data(tbs, NULL),
						   g_bytes_get_size(tbs),
						   &error);
		g_assert_no_error(error);
	}
	fwc_cbor_writer_init(&w, buf, sizeof(buf));
	if (tagged)
		fwc_cbor_write_tag(&w, 18);
	fwc_cbor_write_array(&w, 4);
	data = g_bytes_get_data(prot, &len);
	fwc_cbor_write_bstr(&w, data, len);
	data = g_bytes_get_data(unprot, &len);
	fwc_cbor_write_raw(&w, data, len);
	if (payload != NULL) {
		data = g_bytes_get_data(payload, &len);
		fwc_cbor_write_bstr(&w, data, len);
	} else {
		fwc_cbor_write_null(&w);
	}
	data = g_bytes_get_data(signature, &len);
	fwc_cbor_write_bstr(&w, data, len);
	g_assert_cmpint(fwc_cbor_writer_status(&w), ==, FWC_CBOR_OK);
	return g_bytes_new(buf, w.len);
}

typedef struct {
	const gchar *what;
	gboolean tagged;
	const gchar *prot_hex;
	const gchar *unprot_hex;
	fwc_cose_status expect;
	gint gerror; /* OpenSSL side: a NuSecError */
} HeaderCase;

/* properly signed messages whose headers break the profile: the signature alone would
 * pass, so each is rejected for its header, with its specific status */
static void
test_cose_header_rules(void)
{
	Fixture f;
	g_autoptr(GBytes) payload = g_bytes_new_static("payload", 7);
	const HeaderCase cases[] = {
	    {"our profile", TRUE, "a10126", "a0", FWC_COSE_OK, 0},
	    {"kid protected", TRUE, "a201260442abcd", "a0", FWC_COSE_OK, 0},
	    {"content type ignored", TRUE, "a201260300", "a10442abcd", FWC_COSE_OK, 0},
	    {"unknown labels ignored", TRUE, "a10126", "a2182a00636b657982f5f4", FWC_COSE_OK, 0},
	    {"ES384",
	     TRUE,
	     "a1013822",
	     "a0",
	     FWC_COSE_ERR_ALG_UNSUPPORTED,
	     NUSEC_ERROR_NOT_SUPPORTED},
	    {"EdDSA",
	     TRUE,
	     "a10127",
	     "a0",
	     FWC_COSE_ERR_ALG_UNSUPPORTED,
	     NUSEC_ERROR_NOT_SUPPORTED},
	    {"alg 7 (positive)",
	     TRUE,
	     "a10107",
	     "a0",
	     FWC_COSE_ERR_ALG_UNSUPPORTED,
	     NUSEC_ERROR_NOT_SUPPORTED},
	    {"alg as text",
	     TRUE,
	     "a101654553323536",
	     "a0",
	     FWC_COSE_ERR_ALG_UNSUPPORTED,
	     NUSEC_ERROR_NOT_SUPPORTED},
	    {"alg as array",
	     TRUE,
	     "a1018126",
	     "a0",
	     FWC_COSE_ERR_ALG_UNSUPPORTED,
	     NUSEC_ERROR_NOT_SUPPORTED},
	    {"crit", TRUE, "a2012602811863", "a0", FWC_COSE_ERR_CRIT, NUSEC_ERROR_NOT_SUPPORTED},
	    {"crit unprotected",
	     TRUE,
	     "a10126",
	     "a102811863",
	     FWC_COSE_ERR_CRIT,
	     NUSEC_ERROR_NOT_SUPPORTED},
	    {"no alg", TRUE, "a10300", "a0", FWC_COSE_ERR_ALG_MISSING, NUSEC_ERROR_INVALID_DATA},
	    {"empty protected", TRUE, "", "a0", FWC_COSE_ERR_ALG_MISSING, NUSEC_ERROR_INVALID_DATA},
	    {"empty protected map",
	     TRUE,
	     "a0",
	     "a0",
	     FWC_COSE_ERR_ALG_MISSING,
	     NUSEC_ERROR_INVALID_DATA},
	    {"alg unprotected",
	     TRUE,
	     "",
	     "a10126",
	     FWC_COSE_ERR_ALG_NOT_PROTECTED,
	     NUSEC_ERROR_INVALID_DATA},
	    {"alg in both",
	     TRUE,
	     "a10126",
	     "a10126",
	     FWC_COSE_ERR_DUPLICATE_LABEL,
	     NUSEC_ERROR_INVALID_DATA},
	    {"kid in both",
	     TRUE,
	     "a201260441aa",
	     "a10441aa",
	     FWC_COSE_ERR_DUPLICATE_LABEL,
	     NUSEC_ERROR_INVALID_DATA},
	    {"private label in both",
	     TRUE,
	     "a20126397a2d00",
	     "a1397a2d00",
	     FWC_COSE_ERR_DUPLICATE_LABEL,
	     NUSEC_ERROR_INVALID_DATA},
	    {"kid not bstr",
	     TRUE,
	     "a10126",
	     "a1046131",
	     FWC_COSE_ERR_BAD_KID,
	     NUSEC_ERROR_INVALID_DATA},
	    {"label bstr",
	     TRUE,
	     "a10126",
	     "a14100f6",
	     FWC_COSE_ERR_HEADER_LABEL,
	     NUSEC_ERROR_INVALID_DATA},
	    {"protected keys unordered",
	     TRUE,
	     "a20442abcd0126",
	     "a0",
	     FWC_COSE_ERR_PROTECTED,
	     NUSEC_ERROR_INVALID_DATA},
	    {"protected not shortest",
	     TRUE,
	     "a1011806",
	     "a0",
	     FWC_COSE_ERR_PROTECTED,
	     NUSEC_ERROR_INVALID_DATA},
	    {"protected array",
	     TRUE,
	     "820126",
	     "a0",
	     FWC_COSE_ERR_PROTECTED,
	     NUSEC_ERROR_INVALID_DATA},
	    {"protected trailing",
	     TRUE,
	     "a1012600",
	     "a0",
	     FWC_COSE_ERR_PROTECTED,
	     NUSEC_ERROR_INVALID_DATA},
	    {"unprotected array",
	     TRUE,
	     "a10126",
	     "80",
	     FWC_COSE_ERR_UNPROTECTED,
	     NUSEC_ERROR_INVALID_DATA},
	    {"unprotected keys unordered",
	     TRUE,
	     "a10126",
	     "a20441000300",
	     FWC_COSE_ERR_CBOR,
	     NUSEC_ERROR_INVALID_DATA},
	    {"untagged", FALSE, "a10126", "a0", FWC_COSE_OK, NUSEC_ERROR_INVALID_DATA},
	};

	fixture_init(&f);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const HeaderCase *c = &cases[i];
		g_autoptr(GBytes) msg =
		    build_sign1(&f, c->tagged, c->prot_hex, c->unprot_hex, payload, NULL);
		g_autoptr(GError) error = NULL;
		gboolean ok;

		g_test_message("header case: %s", c->what);
		g_assert_cmpstr(fw_verify(msg, NULL, f.point, 0, NULL),
				==,
				fwc_cose_status_name(c->expect));
		ok = nusec_cose_sign1_verify(msg, f.spki, NULL, NULL, &error);
		if (c->expect == FWC_COSE_OK && c->tagged) {
			g_assert_no_error(error);
			g_assert_true(ok);
		} else {
			g_assert_error(error, NUSEC_ERROR, c->gerror);
			if (c->expect != FWC_COSE_OK)
				g_assert_nonnull(
				    strstr(error->message, fwc_cose_strerror(c->expect)));
		}
	}
	fixture_clear(&f);
}

/* each field of a message we made, tampered with */
static void
test_cose_tamper_fields(void)
{
	Fixture f;
	g_autoptr(GBytes) payload = g_bytes_new_static("firmware manifest", 17);
	g_autoptr(GBytes) kid = g_bytes_new_static("k1", 2);
	g_autoptr(GBytes) cose = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) sig = NULL;
	const guint8 *data;
	gsize len;
	struct {
		const gchar *what;
		GBytes *msg;
		fwc_cose_status expect;
		gint gerror;
		int cbor;
	} cases[16];
	guint n = 0;

	fixture_init(&f);
	cose = nusec_cose_sign1_create(f.signer, payload, kid, NULL, &error);
	g_assert_no_error(error);
	data = g_bytes_get_data(cose, &len);
	sig = g_bytes_new(data + len - 64, 64);

#define ADD_CASE(w, m, e, g, c)                                                                    \
	do {                                                                                       \
		cases[n].what = (w);                                                               \
		cases[n].msg = (m);                                                                \
		cases[n].expect = (e);                                                             \
		cases[n].gerror = (g);                                                             \
		cases[n].cbor = (c);                                                               \
		n++;                                                                               \
	} while (0)

	/* a payload byte */
	{
		g_autofree guint8 *c = g_memdup2(data, len);
		c[len - 66 - 1] ^= 0x01;
		ADD_CASE("payload byte",
			 g_bytes_new(c, len),
			 FWC_COSE_ERR_SIGNATURE,
			 NUSEC_ERROR_SIGNATURE_INVALID,
			 0);
	}
	/* a signature byte (r, then s) */
	{
		g_autofree guint8 *c = g_memdup2(data, len);
		c[len - 64] ^= 0x80;
		ADD_CASE("signature r",
			 g_bytes_new(c, len),
			 FWC_COSE_ERR_SIGNATURE,
			 NUSEC_ERROR_SIGNATURE_INVALID,
			 0);
	}
	{
		g_autofree guint8 *c = g_memdup2(data, len);
		c[len - 1] ^= 0x01;
		ADD_CASE("signature s",
			 g_bytes_new(c, len),
			 FWC_COSE_ERR_SIGNATURE,
			 NUSEC_ERROR_SIGNATURE_INVALID,
			 0);
	}
	/* the tag */
	{
		g_autofree guint8 *c = g_memdup2(data, len);
		c[0] = 0xd3;
		ADD_CASE("tag 19",
			 g_bytes_new(c, len),
			 FWC_COSE_ERR_WRONG_TAG,
			 NUSEC_ERROR_INVALID_DATA,
			 0);
	}
	ADD_CASE("tag removed",
		 g_bytes_new(data + 1, len - 1),
		 FWC_COSE_ERR_TAG_MISSING,
		 NUSEC_ERROR_INVALID_DATA,
		 0);
	/* the protected alg */
	{
		g_autofree guint8 *c = g_memdup2(data, len);
		g_assert_cmphex(c[5], ==, 0x26);
		c[5] = 0x38; /* -25 with a one-byte argument that is not there: CBOR error */
		ADD_CASE("protected garbled",
			 g_bytes_new(c, len),
			 FWC_COSE_ERR_PROTECTED,
			 NUSEC_ERROR_INVALID_DATA,
			 FWC_CBOR_ERR_TRUNCATED);
	}
	/* structure */
	ADD_CASE("truncated",
		 g_bytes_new(data, len - 1),
		 FWC_COSE_ERR_CBOR,
		 NUSEC_ERROR_INVALID_DATA,
		 FWC_CBOR_ERR_LENGTH);
	{
		g_autofree guint8 *c = g_malloc(len + 1);
		memcpy(c, data, len);
		c[len] = 0x00;
		ADD_CASE("trailing byte",
			 g_bytes_new(c, len + 1),
			 FWC_COSE_ERR_CBOR,
			 NUSEC_ERROR_INVALID_DATA,
			 FWC_CBOR_ERR_TRAILING);
	}
	/* the signature's length and form */
	{
		g_autoptr(GBytes) short_sig = g_bytes_new(data + len - 64, 63);
		ADD_CASE("signature 63 bytes",
			 build_sign1(&f, TRUE, "a10126", "a104426b31", payload, short_sig),
			 FWC_COSE_ERR_SIGNATURE_FORMAT,
			 NUSEC_ERROR_INVALID_DATA,
			 0);
	}
	{
		g_autoptr(GBytes) der = nusec_signer_sign_digest_der(f.signer, data + 10, &error);
		g_assert_no_error(error);
		ADD_CASE("DER signature",
			 build_sign1(&f, TRUE, "a10126", "a104426b31", payload, der),
			 FWC_COSE_ERR_SIGNATURE_FORMAT,
			 NUSEC_ERROR_INVALID_DATA,
			 0);
	}
	/* detached payload */
	ADD_CASE("payload nil",
		 build_sign1(&f, TRUE, "a10126", "a104426b31", NULL, NULL),
		 FWC_COSE_ERR_DETACHED,
		 NUSEC_ERROR_NOT_SUPPORTED,
		 0);
	/* the kid is not signed (RFC 9052): changing it keeps the signature valid, which is why
	 * NuSEC only uses it to choose a key, never to trust one */
	ADD_CASE("kid changed",
		 build_sign1(&f, TRUE, "a10126", "a104426b32", payload, sig),
		 FWC_COSE_OK,
		 0,
		 0);
#undef ADD_CASE

	for (guint i = 0; i < n; i++) {
		fwc_cose_sign1 out;
		gboolean ok;

		g_test_message("tamper: %s", cases[i].what);
		g_clear_error(&error);
		g_assert_cmpstr(
		    fw_verify(cases[i].msg, NULL, f.point, FWC_COSE_FLAG_TAG_REQUIRED, &out),
		    ==,
		    fwc_cose_status_name(cases[i].expect));
		g_assert_cmpint(out.cbor_status, ==, cases[i].cbor);
		if (cases[i].expect != FWC_COSE_OK) {
			g_assert_null(out.payload);
			g_assert_null(out.kid);
		}
		ok = nusec_cose_sign1_verify(cases[i].msg, f.spki, NULL, NULL, &error);
		if (cases[i].expect == FWC_COSE_OK) {
			g_assert_no_error(error);
			g_assert_true(ok);
		} else {
			g_assert_false(ok);
			g_assert_error(error, NUSEC_ERROR, cases[i].gerror);
		}
		g_bytes_unref(cases[i].msg);
	}
	/* without FWC_COSE_FLAG_TAG_REQUIRED, the untagged message verifies */
	{
		g_autoptr(GBytes) untagged = g_bytes_new(data + 1, len - 1);
		g_assert_cmpstr(fw_verify(untagged, NULL, f.point, 0, NULL), ==, "FWC_COSE_OK");
	}
	fixture_clear(&f);
}

static void
test_cose_strerror(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int s = 0; s <= FWC_COSE_STATUS_LAST; s++) {
		const gchar *msg = fwc_cose_strerror(s);
		g_assert_nonnull(fwc_cose_status_name(s));
		g_assert_true(g_str_has_prefix(fwc_cose_status_name(s), "FWC_COSE_"));
		g_assert_cmpstr(msg, !=, "unknown COSE error");
		g_assert_false(g_hash_table_contains(seen, msg));
		g_hash_table_add(seen, (gpointer)msg);
	}
	g_assert_null(fwc_cose_status_name(FWC_COSE_STATUS_LAST + 1));
	g_assert_cmpint(fwc_cose_sign1_parse(NULL, 0, 0, NULL), ==, FWC_COSE_ERR_INVALID_ARG);
}

/* corpus/expected.txt: "<file> <FWC_COSE_...> [<FWC_CBOR_...>]", checked with the C.7.1 key,
 * no external AAD, tag optional (what fuzz-cose.c does) */
static gboolean
test_cose_corpus_run(GBytes *data, const gchar **got, gpointer user_data)
{
	const guint8 *point = user_data;
	fwc_cose_sign1 out;
	int rc = fwc_cose_sign1_verify(g_bytes_get_data(data, NULL),
				       g_bytes_get_size(data),
				       NULL,
				       0,
				       point,
				       0,
				       &out);
	got[0] = fwc_cose_status_name(rc);
	got[1] = fwc_cbor_status_name(out.cbor_status);
	return rc == FWC_COSE_OK;
}

static void
test_cose_corpus_expected(void)
{
	guint8 point[FWC_P256_POINT_LEN];
	NuSecTestCorpus corpus = {.component = "cose",
				  .n_columns = 2,
				  .n_columns_required = 1,
				  .omitted_status = "FWC_CBOR_OK",
				  .min_files = 20,
				  .run = test_cose_corpus_run,
				  .user_data = point};

	key11_point(point);
	nusec_test_corpus_check(&corpus);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cose/rfc9052-c21", test_cose_c21);
	g_test_add_func("/cose/rfc9052-c21-bitflips", test_cose_c21_bitflips);
	g_test_add_func("/cose/cose-wg-examples", test_cose_wg_examples);
	g_test_add_func("/cose/create-verify", test_cose_create_verify);
	g_test_add_func("/cose/create-variants", test_cose_create_variants);
	g_test_add_func("/cose/wrong-key-and-aad", test_cose_wrong_key_and_aad);
	g_test_add_func("/cose/header-rules", test_cose_header_rules);
	g_test_add_func("/cose/tamper-fields", test_cose_tamper_fields);
	g_test_add_func("/cose/strerror", test_cose_strerror);
	g_test_add_func("/cose/corpus-expected", test_cose_corpus_expected);
	return g_test_run();
}
