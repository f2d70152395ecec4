/*
 * HPKE tests: RFC 9180 Appendix A.3.1 (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM,
 * base mode) on the OpenSSL side (nusec-hpke) and the firmware side (fwc-hpke, PSA Crypto),
 * cross tests between them with random keys, tampering, bounds and the fuzz corpus.
 *
 * The vector values are copied from the text of RFC 9180, Appendix A.3.1 (and cross-checked
 * against the CFRG test-vectors.json as used by public HPKE implementations).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <openssl/core_names.h>
#include <psa/crypto.h>
#include <string.h>

#include "fuzz-hpke-input.h"
#include "fwc-crypto.h"
#include "fwc-hpke.h"
#include "nusec-error.h"
#include "nusec-hpke-private.h"
#include "nusec-hpke.h"
#include "nusec-openssl.h"
#include "nusec-test-corpus.h"

/* ---- RFC 9180 A.3.1 Base Setup Information (mode 0, kem 16, kdf 1, aead 1) ---- */
#define A31_INFO "4f6465206f6e2061204772656369616e2055726e"
#define A31_IKME "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e"
#define A31_PKEM                                                                                   \
	"04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b32"                           \
	"5ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4"
#define A31_SKEM "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb"
#define A31_IKMR "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550"
#define A31_PKRM                                                                                   \
	"04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f70"                           \
	"6a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0"
#define A31_SKRM "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2"
#define A31_ENC                                                                                    \
	"04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325"                          \
	"ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4"
#define A31_SHARED_SECRET "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8"
#define A31_KEY_SCHEDULE_CONTEXT                                                                   \
	"00b88d4e6d91759e65e87c470e8b9141113e9ad5f0c8ce"                                           \
	"efc1e088c82e6980500798e486f9c9c09c9b5c753ac72d6005de254c607d1b534ed1"                     \
	"1d493ae1c1d9ac85"
#define A31_SECRET	    "2eb7b6bf138f6b5aff857414a058a3f1750054a9ba1f72c2cf0684a6f20b10e1"
#define A31_KEY		    "868c066ef58aae6dc589b6cfdd18f97e"
#define A31_BASE_NONCE	    "4e0bc5018beba4bf004cca59"
#define A31_EXPORTER_SECRET "14ad94af484a7ad3ef40e9f3be99ecc6fa9036df9d4920548424df127ee0d99f"
#define A31_PT		    "4265617574792069732074727574682c20747275746820626561757479"

/* A.3.1.1 Encryptions */
typedef struct {
	guint64 seq;
	const gchar *aad;
	const gchar *nonce;
	const gchar *ct;
} HpkeVectorEncryption;

static const HpkeVectorEncryption a31_encryptions[] = {
    {0,
     "436f756e742d30",
     "4e0bc5018beba4bf004cca59",
     "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f"
     "9076ac232e3ab2523f39513434"},
    {1,
     "436f756e742d31",
     "4e0bc5018beba4bf004cca58",
     "fa6f037b47fc21826b610172ca9637e82d6e5801eb31cbd3748271affd4ecb06"
     "646e0329cbdf3c3cd655b28e82"},
    {2,
     "436f756e742d32",
     "4e0bc5018beba4bf004cca5b",
     "895cabfac50ce6c6eb02ffe6c048bf53b7f7be9a91fc559402cbc5b8dcaeb52b"
     "2ccc93e466c28fb55fed7a7fec"},
    {4,
     "436f756e742d34",
     "4e0bc5018beba4bf004cca5d",
     "8787491ee8df99bc99a246c4b3216d3d57ab5076e18fa27133f520703bc70ec9"
     "99dd36ce042e44f0c3169a6a8f"},
    {255,
     "436f756e742d323535",
     "4e0bc5018beba4bf004ccaa6",
     "2ad71c85bf3f45c6eca301426289854b31448bcf8a8ccb1deef3ebd87f60848a"
     "a53c538c30a4dac71d619ee2cd"},
    {256,
     "436f756e742d323536",
     "4e0bc5018beba4bf004ccb59",
     "10f179686aa2caec1758c8e554513f16472bd0a11e2a907dde0b212cbe87d74f"
     "367f8ffe5e41cd3e9962a6afb2"},
};

/* A.3.1.2 Exported Values */
typedef struct {
	const gchar *exporter_context;
	gsize length;
	const gchar *exported_value;
} HpkeVectorExport;

static const HpkeVectorExport a31_exports[] = {
    {"", 32, "5e9bc3d236e1911d95e65b576a8a86d478fb827e8bdfe77b741b289890490d4d"},
    {"00", 32, "6cff87658931bda83dc857e6353efe4987a201b849658d9b047aab4cf216e796"},
    {"54657374436f6e74657874",
     32,
     "d8f1ea7942adbba7412c6d431c62d01371ea476b823eb697e1f6e6cae1dab85a"},
};

/* ---- helpers ---- */

static GBytes *
hex_bytes(const gchar *hex)
{
	gsize len = strlen(hex);
	guint8 *buf;

	g_assert_cmpuint(len % 2, ==, 0);
	buf = g_malloc(len / 2 + 1);
	for (gsize i = 0; i < len / 2; i++) {
		gint hi = g_ascii_xdigit_value(hex[2 * i]);
		gint lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		g_assert_cmpint(hi, >=, 0);
		g_assert_cmpint(lo, >=, 0);
		buf[i] = (guint8)(hi << 4 | lo);
	}
	return g_bytes_new_take(buf, len / 2);
}

static void
assert_bytes_hex(GBytes *bytes, const gchar *hex)
{
	g_autoptr(GBytes) expected = hex_bytes(hex);
	g_assert_nonnull(bytes);
	if (!g_bytes_equal(bytes, expected)) {
		g_autoptr(GString) got = g_string_new(NULL);
		for (gsize i = 0; i < g_bytes_get_size(bytes); i++)
			g_string_append_printf(got,
					       "%02x",
					       ((const guint8 *)g_bytes_get_data(bytes, NULL))[i]);
		g_test_message("got      %s", got->str);
		g_test_message("expected %s", hex);
	}
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL),
			g_bytes_get_size(bytes),
			g_bytes_get_data(expected, NULL),
			g_bytes_get_size(expected));
}

static void
assert_mem_hex(const guint8 *buf, gsize len, const gchar *hex)
{
	g_autoptr(GBytes) bytes = g_bytes_new(buf, len);
	assert_bytes_hex(bytes, hex);
}

static GBytes *
flip_byte(GBytes *bytes, gsize idx, guint8 mask)
{
	gsize len = 0;
	guint8 *buf = g_memdup2(g_bytes_get_data(bytes, &len), g_bytes_get_size(bytes));
	g_assert_cmpuint(idx, <, len);
	buf[idx] ^= mask;
	return g_bytes_new_take(buf, len);
}

static GBytes *
random_bytes(gsize len)
{
	guint8 *buf = g_malloc(len + 1);
	for (gsize i = 0; i < len; i++)
		buf[i] = (guint8)g_random_int_range(0, 256);
	return g_bytes_new_take(buf, len);
}

/* the private scalar and public point of an OpenSSL key, for comparison with the vectors */
static void
assert_pkey_matches(EVP_PKEY *pkey, const gchar *sk_hex, const gchar *pk_hex)
{
	BIGNUM *priv = NULL;
	guint8 sk[32];
	guint8 pk[65];
	gsize pk_len = 0;

	g_assert_nonnull(pkey);
	g_assert_cmpint(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv), ==, 1);
	g_assert_cmpint(BN_bn2binpad(priv, sk, sizeof(sk)), ==, 32);
	BN_clear_free(priv);
	assert_mem_hex(sk, sizeof(sk), sk_hex);
	g_assert_cmpint(
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pk, sizeof(pk), &pk_len),
	    ==,
	    1);
	assert_mem_hex(pk, pk_len, pk_hex);
}

static EVP_PKEY *
a31_recipient_pkey(void)
{
	g_autoptr(GBytes) ikm = hex_bytes(A31_IKMR);
	g_autoptr(GError) error = NULL;
	EVP_PKEY *pkey = nusec_hpke_derive_key_pair(ikm, &error);
	g_assert_no_error(error);
	return pkey;
}

/* a PSA ECDH key pair: the vector's skRm, or a fresh one (not exportable) when @sk is NULL */
static fwc_hpke_key_id
psa_recipient_key(GBytes *sk, psa_key_usage_t usage, psa_algorithm_t alg)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;

	g_assert_cmpint(fwc_crypto_init(), ==, FWC_CRYPTO_OK);
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, usage);
	psa_set_key_algorithm(&attr, alg);
	if (sk != NULL)
		g_assert_cmpint(
		    psa_import_key(&attr, g_bytes_get_data(sk, NULL), g_bytes_get_size(sk), &id),
		    ==,
		    PSA_SUCCESS);
	else
		g_assert_cmpint(psa_generate_key(&attr, &id), ==, PSA_SUCCESS);
	return id;
}

static fwc_hpke_key_id
psa_a31_recipient_key(void)
{
	g_autoptr(GBytes) sk = hex_bytes(A31_SKRM);
	return psa_recipient_key(sk, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
}

static GBytes *
psa_public_point(fwc_hpke_key_id id)
{
	guint8 point[65];
	size_t len = 0;
	g_assert_cmpint(psa_export_public_key(id, point, sizeof(point), &len), ==, PSA_SUCCESS);
	g_assert_cmpuint(len, ==, 65);
	return g_bytes_new(point, len);
}

/* firmware-side single-shot open of GBytes; returns the status, fills *@pt_out on success */
static int
fw_open(fwc_hpke_key_id key, GBytes *enc, GBytes *info, GBytes *aad, GBytes *ct, GBytes **pt_out)
{
	gsize ct_len = g_bytes_get_size(ct);
	gsize cap = ct_len + 1;
	g_autofree guint8 *pt = g_malloc(cap);
	size_t pt_len = 99;
	int rc;

	memset(pt, 0xaa, cap);
	rc = fwc_hpke_open(key,
			   g_bytes_get_data(enc, NULL),
			   g_bytes_get_size(enc),
			   info != NULL ? g_bytes_get_data(info, NULL) : NULL,
			   info != NULL ? g_bytes_get_size(info) : 0,
			   aad != NULL ? g_bytes_get_data(aad, NULL) : NULL,
			   aad != NULL ? g_bytes_get_size(aad) : 0,
			   g_bytes_get_data(ct, NULL),
			   ct_len,
			   pt,
			   cap,
			   &pt_len);
	if (rc != FWC_HPKE_OK) {
		g_assert_cmpuint(pt_len, ==, 0);
		/* no plaintext (nor partial plaintext) left behind after a failed open */
		if (rc == FWC_HPKE_ERR_TAG_MISMATCH) {
			for (gsize i = 0; i < cap; i++)
				g_assert_cmpuint(pt[i], ==, 0);
		}
		return rc;
	}
	g_assert_cmpuint(pt_len, ==, ct_len - FWC_HPKE_TAG_LEN);
	if (pt_out != NULL)
		*pt_out = g_bytes_new(pt, pt_len);
	return rc;
}

/* ---- OpenSSL side against the vectors ---- */

static void
test_openssl_derive_key_pair(void)
{
	g_autoptr(GBytes) ikm_e = hex_bytes(A31_IKME);
	g_autoptr(GBytes) ikm_r = hex_bytes(A31_IKMR);
	g_autoptr(GBytes) short_ikm = random_bytes(31);
	g_autoptr(EVP_PKEY) skE = NULL;
	g_autoptr(EVP_PKEY) skR = NULL;
	g_autoptr(EVP_PKEY) bad = NULL;
	g_autoptr(GError) error = NULL;

	skE = nusec_hpke_derive_key_pair(ikm_e, &error);
	g_assert_no_error(error);
	assert_pkey_matches(skE, A31_SKEM, A31_PKEM);
	skR = nusec_hpke_derive_key_pair(ikm_r, &error);
	g_assert_no_error(error);
	assert_pkey_matches(skR, A31_SKRM, A31_PKRM);

	bad = nusec_hpke_derive_key_pair(short_ikm, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_assert_null(bad);
}

static void
test_openssl_setup(void)
{
	g_autoptr(GBytes) pk_r = hex_bytes(A31_PKRM);
	g_autoptr(GBytes) ikm_e = hex_bytes(A31_IKME);
	g_autoptr(GBytes) info = hex_bytes(A31_INFO);
	g_autoptr(GError) error = NULL;
	guint8 enc[NUSEC_HPKE_ENC_LEN];
	guint8 shared_secret[NUSEC_HPKE_SECRET_LEN];
	NuSecHpkeKeySchedule ks;

	g_assert_true(nusec_hpke_encap_derand(pk_r, ikm_e, enc, shared_secret, &error));
	g_assert_no_error(error);
	assert_mem_hex(enc, sizeof(enc), A31_ENC);
	assert_mem_hex(shared_secret, sizeof(shared_secret), A31_SHARED_SECRET);

	g_assert_true(nusec_hpke_key_schedule(shared_secret, info, &ks, &error));
	g_assert_no_error(error);
	assert_mem_hex(ks.key_schedule_context,
		       sizeof(ks.key_schedule_context),
		       A31_KEY_SCHEDULE_CONTEXT);
	assert_mem_hex(ks.secret, sizeof(ks.secret), A31_SECRET);
	assert_mem_hex(ks.key, sizeof(ks.key), A31_KEY);
	assert_mem_hex(ks.base_nonce, sizeof(ks.base_nonce), A31_BASE_NONCE);
	assert_mem_hex(ks.exporter_secret, sizeof(ks.exporter_secret), A31_EXPORTER_SECRET);

	/* the vectors' nonces are ComputeNonce(seq) = base_nonce xor seq */
	for (gsize i = 0; i < G_N_ELEMENTS(a31_encryptions); i++) {
		guint8 nonce[NUSEC_HPKE_NONCE_LEN];
		memcpy(nonce, ks.base_nonce, sizeof(nonce));
		for (gsize j = 0; j < 8; j++)
			nonce[11 - j] ^= (guint8)(a31_encryptions[i].seq >> (8 * j));
		assert_mem_hex(nonce, sizeof(nonce), a31_encryptions[i].nonce);
	}
}

static void
check_exports(NuSecHpkeContext *ctx)
{
	for (gsize i = 0; i < G_N_ELEMENTS(a31_exports); i++) {
		g_autoptr(GBytes) exp_ctx = hex_bytes(a31_exports[i].exporter_context);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) value =
		    nusec_hpke_context_export(ctx, exp_ctx, a31_exports[i].length, &error);
		g_assert_no_error(error);
		assert_bytes_hex(value, a31_exports[i].exported_value);
	}
}

static void
test_openssl_seal_vectors(void)
{
	g_autoptr(GBytes) pk_r = hex_bytes(A31_PKRM);
	g_autoptr(GBytes) ikm_e = hex_bytes(A31_IKME);
	g_autoptr(GBytes) info = hex_bytes(A31_INFO);
	g_autoptr(GBytes) pt = hex_bytes(A31_PT);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecHpkeContext) ctx = NULL;
	gsize next = 0;

	ctx = nusec_hpke_setup_sender_derand(pk_r, info, ikm_e, &enc, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ctx);
	assert_bytes_hex(enc, A31_ENC);

	/* seal every sequence number up to 256; compare those the RFC lists */
	for (guint64 seq = 0; seq <= 256; seq++) {
		g_autofree gchar *aad_str = g_strdup_printf("Count-%" G_GUINT64_FORMAT, seq);
		g_autoptr(GBytes) aad = g_bytes_new(aad_str, strlen(aad_str));
		g_autoptr(GBytes) ct = NULL;

		g_assert_cmpuint(nusec_hpke_context_get_seq(ctx), ==, seq);
		ct = nusec_hpke_context_seal(ctx, aad, pt, &error);
		g_assert_no_error(error);
		g_assert_nonnull(ct);
		if (next < G_N_ELEMENTS(a31_encryptions) && a31_encryptions[next].seq == seq) {
			assert_bytes_hex(aad, a31_encryptions[next].aad);
			assert_bytes_hex(ct, a31_encryptions[next].ct);
			next++;
		}
	}
	g_assert_cmpuint(next, ==, G_N_ELEMENTS(a31_encryptions));
	check_exports(ctx);

	/* the same key with SPKI instead of the raw point gives the same enc */
	{
		guint8 spki[FWC_P256_SPKI_LEN];
		g_autoptr(GBytes) spki_bytes = NULL;
		g_autoptr(GBytes) enc2 = NULL;
		g_autoptr(NuSecHpkeContext) ctx2 = NULL;
		fwc_p256_point_to_spki(g_bytes_get_data(pk_r, NULL), spki);
		spki_bytes = g_bytes_new(spki, sizeof(spki));
		ctx2 = nusec_hpke_setup_sender_derand(spki_bytes, info, ikm_e, &enc2, &error);
		g_assert_no_error(error);
		assert_bytes_hex(enc2, A31_ENC);
		check_exports(ctx2);
	}
}

static void
test_openssl_open_vectors(void)
{
	g_autoptr(EVP_PKEY) sk_r = a31_recipient_pkey();
	g_autoptr(GBytes) enc = hex_bytes(A31_ENC);
	g_autoptr(GBytes) info = hex_bytes(A31_INFO);
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecHpkeContext) ctx = NULL;

	ctx = nusec_hpke_setup_receiver(sk_r, enc, info, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ctx);
	for (gsize i = 0; i < G_N_ELEMENTS(a31_encryptions); i++) {
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[i].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[i].ct);
		g_autoptr(GBytes) pt =
		    nusec_hpke_context_open_at(ctx, a31_encryptions[i].seq, aad, ct, &error);
		g_assert_no_error(error);
		assert_bytes_hex(pt, A31_PT);
	}
	g_assert_cmpuint(nusec_hpke_context_get_seq(ctx), ==, 0);

	/* sequential opens: 0, 1, 2, then the ct of 4 fails at 3 and leaves the counter */
	for (gsize i = 0; i < 3; i++) {
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[i].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[i].ct);
		g_autoptr(GBytes) pt = nusec_hpke_context_open(ctx, aad, ct, &error);
		g_assert_no_error(error);
		assert_bytes_hex(pt, A31_PT);
	}
	{
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[3].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[3].ct);
		g_autoptr(GBytes) pt = nusec_hpke_context_open(ctx, aad, ct, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
		g_assert_null(pt);
		g_assert_cmpuint(nusec_hpke_context_get_seq(ctx), ==, 3);
	}
	check_exports(ctx);

	/* single-shot open at sequence 0 */
	{
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[0].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[0].ct);
		g_autoptr(GError) error2 = NULL;
		g_autoptr(GBytes) pt = nusec_hpke_open(sk_r, enc, info, aad, ct, &error2);
		g_assert_no_error(error2);
		assert_bytes_hex(pt, A31_PT);
	}
}

/* ---- firmware side against the vectors ---- */

static void
test_firmware_open_vectors(void)
{
	fwc_hpke_key_id key = psa_a31_recipient_key();
	g_autoptr(GBytes) enc = hex_bytes(A31_ENC);
	g_autoptr(GBytes) info = hex_bytes(A31_INFO);
	g_autoptr(GBytes) pk = psa_public_point(key);
	fwc_hpke_ctx ctx;
	guint8 pt[64];
	size_t pt_len = 0;

	assert_bytes_hex(pk, A31_PKRM);
	g_assert_cmpint(fwc_hpke_setup_receiver(&ctx,
						key,
						g_bytes_get_data(enc, NULL),
						g_bytes_get_size(enc),
						g_bytes_get_data(info, NULL),
						g_bytes_get_size(info)),
			==,
			FWC_HPKE_OK);
	assert_mem_hex(ctx.key, sizeof(ctx.key), A31_KEY);
	assert_mem_hex(ctx.base_nonce, sizeof(ctx.base_nonce), A31_BASE_NONCE);
	assert_mem_hex(ctx.exporter_secret, sizeof(ctx.exporter_secret), A31_EXPORTER_SECRET);

	for (gsize i = 0; i < G_N_ELEMENTS(a31_encryptions); i++) {
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[i].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[i].ct);
		g_assert_cmpint(fwc_hpke_ctx_open_at(&ctx,
						     a31_encryptions[i].seq,
						     g_bytes_get_data(aad, NULL),
						     g_bytes_get_size(aad),
						     g_bytes_get_data(ct, NULL),
						     g_bytes_get_size(ct),
						     pt,
						     sizeof(pt),
						     &pt_len),
				==,
				FWC_HPKE_OK);
		assert_mem_hex(pt, pt_len, A31_PT);
		/* at any other sequence number the tag does not verify */
		g_assert_cmpint(fwc_hpke_ctx_open_at(&ctx,
						     a31_encryptions[i].seq + 1,
						     g_bytes_get_data(aad, NULL),
						     g_bytes_get_size(aad),
						     g_bytes_get_data(ct, NULL),
						     g_bytes_get_size(ct),
						     pt,
						     sizeof(pt),
						     &pt_len),
				==,
				FWC_HPKE_ERR_TAG_MISMATCH);
		g_assert_cmpuint(pt_len, ==, 0);
	}
	g_assert_cmpuint(ctx.seq, ==, 0);

	/* sequential opens 0, 1, 2; the ct of 4 at 3 fails and does not move the counter */
	for (gsize i = 0; i < 4; i++) {
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[i].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[i].ct);
		int rc = fwc_hpke_ctx_open(&ctx,
					   g_bytes_get_data(aad, NULL),
					   g_bytes_get_size(aad),
					   g_bytes_get_data(ct, NULL),
					   g_bytes_get_size(ct),
					   pt,
					   sizeof(pt),
					   &pt_len);
		if (i < 3) {
			g_assert_cmpint(rc, ==, FWC_HPKE_OK);
			assert_mem_hex(pt, pt_len, A31_PT);
		} else {
			g_assert_cmpint(rc, ==, FWC_HPKE_ERR_TAG_MISMATCH);
		}
	}
	g_assert_cmpuint(ctx.seq, ==, 3);

	for (gsize i = 0; i < G_N_ELEMENTS(a31_exports); i++) {
		g_autoptr(GBytes) exp_ctx = hex_bytes(a31_exports[i].exporter_context);
		guint8 out[32];
		g_assert_cmpuint(a31_exports[i].length, ==, sizeof(out));
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx,
						    g_bytes_get_data(exp_ctx, NULL),
						    g_bytes_get_size(exp_ctx),
						    out,
						    sizeof(out)),
				==,
				FWC_HPKE_OK);
		assert_mem_hex(out, sizeof(out), a31_exports[i].exported_value);
	}

	/* the sequence number cannot wrap */
	ctx.seq = G_MAXUINT64;
	{
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[0].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[0].ct);
		g_assert_cmpint(fwc_hpke_ctx_open(&ctx,
						  g_bytes_get_data(aad, NULL),
						  g_bytes_get_size(aad),
						  g_bytes_get_data(ct, NULL),
						  g_bytes_get_size(ct),
						  pt,
						  sizeof(pt),
						  &pt_len),
				==,
				FWC_HPKE_ERR_SEQ_OVERFLOW);
	}

	/* a wiped context is refused */
	fwc_hpke_ctx_wipe(&ctx);
	for (gsize i = 0; i < sizeof(ctx.key); i++)
		g_assert_cmpuint(ctx.key[i], ==, 0);
	g_assert_cmpint(fwc_hpke_ctx_open_at(&ctx, 0, NULL, 0, pt, 16, pt, sizeof(pt), &pt_len),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_ctx_export(&ctx, NULL, 0, pt, 32), ==, FWC_HPKE_ERR_ARGUMENT);

	/* single-shot open at sequence 0 */
	{
		g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[0].aad);
		g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[0].ct);
		g_autoptr(GBytes) out = NULL;
		g_assert_cmpint(fw_open(key, enc, info, aad, ct, &out), ==, FWC_HPKE_OK);
		assert_bytes_hex(out, A31_PT);
	}
	psa_destroy_key(key);
}

/* ---- cross tests: OpenSSL seals, firmware and OpenSSL open ---- */

static void
test_cross_random(void)
{
	static const gsize sizes[] = {0, 1, 15, 16, 17, 29, 1000, 70000};
	fwc_hpke_key_id key = psa_recipient_key(NULL, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
	g_autoptr(GBytes) point = psa_public_point(key);
	g_autoptr(EVP_PKEY) ossl_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	g_autoptr(GBytes) ossl_spki = NULL;
	guint8 *der = NULL;
	int der_len;

	g_assert_nonnull(ossl_key);
	der_len = i2d_PUBKEY(ossl_key, &der);
	g_assert_cmpint(der_len, ==, FWC_P256_SPKI_LEN);
	ossl_spki = g_bytes_new(der, der_len);
	OPENSSL_free(der);

	for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autoptr(GBytes) info = random_bytes(g_random_int_range(0, 64));
		g_autoptr(GBytes) aad = random_bytes(g_random_int_range(0, 64));
		g_autoptr(GBytes) pt = random_bytes(sizes[i]);
		g_autoptr(GBytes) enc = NULL;
		g_autoptr(GBytes) enc2 = NULL;
		g_autoptr(GBytes) enc3 = NULL;
		g_autoptr(GBytes) ct = NULL;
		g_autoptr(GBytes) ct2 = NULL;
		g_autoptr(GBytes) ct3 = NULL;
		g_autoptr(GBytes) fw_pt = NULL;
		g_autoptr(GBytes) ossl_pt = NULL;
		g_autoptr(GError) error = NULL;

		/* to the firmware key (raw point): firmware opens */
		ct = nusec_hpke_seal(point, info, aad, pt, &enc, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(g_bytes_get_size(enc), ==, 65);
		g_assert_cmpuint(g_bytes_get_size(ct), ==, sizes[i] + 16);
		g_assert_cmpint(fw_open(key, enc, info, aad, ct, &fw_pt), ==, FWC_HPKE_OK);
		g_assert_true(g_bytes_equal(fw_pt, pt));

		/* a second seal of the same message uses a new ephemeral key */
		ct2 = nusec_hpke_seal(point, info, aad, pt, &enc2, &error);
		g_assert_no_error(error);
		g_assert_false(g_bytes_equal(enc, enc2));
		g_assert_false(g_bytes_equal(ct, ct2));

		/* to an OpenSSL key (SPKI): OpenSSL opens */
		ct3 = nusec_hpke_seal(ossl_spki, info, aad, pt, &enc3, &error);
		g_assert_no_error(error);
		ossl_pt = nusec_hpke_open(ossl_key, enc3, info, aad, ct3, &error);
		g_assert_no_error(error);
		g_assert_true(g_bytes_equal(ossl_pt, pt));
	}
	psa_destroy_key(key);
}

/* the recipient of both sides is the A.3.1 key; a message sealed at random */
typedef struct {
	fwc_hpke_key_id fw_key;
	EVP_PKEY *ossl_key;
	GBytes *enc;
	GBytes *info;
	GBytes *aad;
	GBytes *pt;
	GBytes *ct;
} HpkeTamperFixture;

static void
tamper_setup(HpkeTamperFixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) pk_r = hex_bytes(A31_PKRM);
	g_autoptr(GError) error = NULL;

	f->fw_key = psa_a31_recipient_key();
	f->ossl_key = a31_recipient_pkey();
	f->info = g_bytes_new_static("NuSEC test info", 15);
	f->aad = g_bytes_new_static("NuSEC test aad", 14);
	f->pt = random_bytes(100);
	f->ct = nusec_hpke_seal(pk_r, f->info, f->aad, f->pt, &f->enc, &error);
	g_assert_no_error(error);
}

static void
tamper_teardown(HpkeTamperFixture *f, gconstpointer user_data)
{
	psa_destroy_key(f->fw_key);
	EVP_PKEY_free(f->ossl_key);
	g_bytes_unref(f->enc);
	g_bytes_unref(f->info);
	g_bytes_unref(f->aad);
	g_bytes_unref(f->pt);
	g_bytes_unref(f->ct);
}

/* both sides reject with their specific errors */
static void
assert_rejected(HpkeTamperFixture *f,
		GBytes *enc,
		GBytes *info,
		GBytes *aad,
		GBytes *ct,
		int fw_expected,
		gint ossl_expected,
		const gchar *ossl_message_part)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) pt = NULL;

	g_assert_cmpint(fw_open(f->fw_key, enc, info, aad, ct, NULL), ==, fw_expected);
	pt = nusec_hpke_open(f->ossl_key, enc, info, aad, ct, &error);
	g_assert_error(error, NUSEC_ERROR, ossl_expected);
	g_assert_nonnull(strstr(error->message, ossl_message_part));
	g_assert_null(pt);
}

static void
test_tamper(HpkeTamperFixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) fw_pt = NULL;
	g_autoptr(GBytes) ossl_pt = NULL;
	g_autoptr(GError) error = NULL;
	gsize ct_len = g_bytes_get_size(f->ct);

	/* untouched: both open */
	g_assert_cmpint(fw_open(f->fw_key, f->enc, f->info, f->aad, f->ct, &fw_pt),
			==,
			FWC_HPKE_OK);
	g_assert_true(g_bytes_equal(fw_pt, f->pt));
	ossl_pt = nusec_hpke_open(f->ossl_key, f->enc, f->info, f->aad, f->ct, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(ossl_pt, f->pt));

	/* enc: wrong length, compressed form, off the curve, another valid point */
	{
		g_autoptr(GBytes) e64 = g_bytes_new_from_bytes(f->enc, 0, 64);
		g_autoptr(GBytes) e02 = flip_byte(f->enc, 0, 0x04 ^ 0x02);
		g_autoptr(GBytes) ex = flip_byte(f->enc, 10, 0x01);
		g_autoptr(GBytes) ey = flip_byte(f->enc, 64, 0x01);
		g_autoptr(GBytes) other = hex_bytes(A31_PKEM);
		assert_rejected(f,
				e64,
				f->info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_ENC_LENGTH,
				NUSEC_ERROR_INVALID_DATA,
				"expected 65");
		assert_rejected(f,
				e02,
				f->info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_ENC_FORMAT,
				NUSEC_ERROR_INVALID_DATA,
				"not an uncompressed point");
		assert_rejected(f,
				ex,
				f->info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_ENC_NOT_ON_CURVE,
				NUSEC_ERROR_INVALID_DATA,
				"not a point of P-256");
		assert_rejected(f,
				ey,
				f->info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_ENC_NOT_ON_CURVE,
				NUSEC_ERROR_INVALID_DATA,
				"not a point of P-256");
		assert_rejected(f,
				other,
				f->info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
	}
	/* ciphertext body, tag, length */
	{
		g_autoptr(GBytes) body = flip_byte(f->ct, 0, 0x80);
		g_autoptr(GBytes) tag = flip_byte(f->ct, ct_len - 1, 0x01);
		g_autoptr(GBytes) cut = g_bytes_new_from_bytes(f->ct, 0, ct_len - 1);
		g_autoptr(GBytes) tag_only = g_bytes_new_from_bytes(f->ct, ct_len - 16, 16);
		g_autoptr(GBytes) short_ct = g_bytes_new_from_bytes(f->ct, 0, 15);
		assert_rejected(f,
				f->enc,
				f->info,
				f->aad,
				body,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				f->info,
				f->aad,
				tag,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				f->info,
				f->aad,
				cut,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				f->info,
				f->aad,
				tag_only,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				f->info,
				f->aad,
				short_ct,
				FWC_HPKE_ERR_CT_TOO_SHORT,
				NUSEC_ERROR_INVALID_DATA,
				"shorter than the 16-byte tag");
	}
	/* aad and info */
	{
		g_autoptr(GBytes) aad = flip_byte(f->aad, 3, 0x20);
		g_autoptr(GBytes) info = flip_byte(f->info, 3, 0x20);
		g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
		assert_rejected(f,
				f->enc,
				f->info,
				aad,
				f->ct,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				f->info,
				empty,
				f->ct,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
		assert_rejected(f,
				f->enc,
				empty,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_TAG_MISMATCH,
				NUSEC_ERROR_SIGNATURE_INVALID,
				"tag does not verify");
	}
	/* bounds */
	{
		g_autoptr(GBytes) long_info = random_bytes(FWC_HPKE_INFO_MAX + 1);
		g_autoptr(GBytes) long_aad = random_bytes(FWC_HPKE_AAD_MAX + 1);
		assert_rejected(f,
				f->enc,
				long_info,
				f->aad,
				f->ct,
				FWC_HPKE_ERR_INFO_TOO_LONG,
				NUSEC_ERROR_INVALID_ARGUMENT,
				"1024-byte bound");
		assert_rejected(f,
				f->enc,
				f->info,
				long_aad,
				f->ct,
				FWC_HPKE_ERR_AAD_TOO_LONG,
				NUSEC_ERROR_INVALID_ARGUMENT,
				"4096-byte bound");
	}
}

static void
test_wrong_recipient(void)
{
	fwc_hpke_key_id key = psa_a31_recipient_key();
	fwc_hpke_key_id other = psa_recipient_key(NULL, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
	g_autoptr(EVP_PKEY) ossl_key = a31_recipient_pkey();
	g_autoptr(EVP_PKEY) ossl_other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	g_autoptr(GBytes) pk_r = hex_bytes(A31_PKRM);
	g_autoptr(GBytes) info = g_bytes_new_static("info", 4);
	g_autoptr(GBytes) pt = g_bytes_new_static("firmware", 8);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) ct = NULL;
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GError) error = NULL;

	ct = nusec_hpke_seal(pk_r, info, NULL, pt, &enc, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fw_open(key, enc, info, NULL, ct, NULL), ==, FWC_HPKE_OK);
	g_assert_cmpint(fw_open(other, enc, info, NULL, ct, NULL), ==, FWC_HPKE_ERR_TAG_MISMATCH);
	out = nusec_hpke_open(ossl_other, enc, info, NULL, ct, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_assert_null(out);
	g_clear_error(&error);
	out = nusec_hpke_open(ossl_key, enc, info, NULL, ct, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(out, pt));
	psa_destroy_key(key);
	psa_destroy_key(other);
}

/* an export of the OpenSSL sender equals the firmware recipient's, at any length */
static void
test_cross_export(void)
{
	fwc_hpke_key_id key = psa_recipient_key(NULL, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
	g_autoptr(GBytes) point = psa_public_point(key);
	g_autoptr(GBytes) info = random_bytes(FWC_HPKE_INFO_MAX);
	g_autoptr(GBytes) exp_ctx = random_bytes(FWC_HPKE_EXPORT_CONTEXT_MAX);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecHpkeContext) sender = NULL;
	static const gsize lengths[] = {1, 31, 32, 33, 100, FWC_HPKE_EXPORT_MAX};
	fwc_hpke_ctx ctx;

	sender = nusec_hpke_setup_sender(point, info, &enc, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fwc_hpke_setup_receiver(&ctx,
						key,
						g_bytes_get_data(enc, NULL),
						65,
						g_bytes_get_data(info, NULL),
						g_bytes_get_size(info)),
			==,
			FWC_HPKE_OK);
	for (gsize i = 0; i < G_N_ELEMENTS(lengths); i++) {
		g_autoptr(GBytes) value =
		    nusec_hpke_context_export(sender, exp_ctx, lengths[i], &error);
		g_autofree guint8 *out = g_malloc(lengths[i]);
		g_assert_no_error(error);
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx,
						    g_bytes_get_data(exp_ctx, NULL),
						    g_bytes_get_size(exp_ctx),
						    out,
						    lengths[i]),
				==,
				FWC_HPKE_OK);
		g_assert_cmpmem(out,
				lengths[i],
				g_bytes_get_data(value, NULL),
				g_bytes_get_size(value));
	}
	/* several messages through contexts: OpenSSL sender, firmware recipient in order */
	for (guint i = 0; i < 5; i++) {
		g_autoptr(GBytes) pt = random_bytes(i * 7);
		g_autoptr(GBytes) ct = nusec_hpke_context_seal(sender, NULL, pt, &error);
		g_autofree guint8 *out = g_malloc(g_bytes_get_size(pt) + 1);
		size_t out_len = 0;
		g_assert_no_error(error);
		g_assert_cmpint(fwc_hpke_ctx_open(&ctx,
						  NULL,
						  0,
						  g_bytes_get_data(ct, NULL),
						  g_bytes_get_size(ct),
						  out,
						  g_bytes_get_size(pt),
						  &out_len),
				==,
				FWC_HPKE_OK);
		g_assert_cmpmem(out, out_len, g_bytes_get_data(pt, NULL), g_bytes_get_size(pt));
	}
	g_assert_cmpuint(ctx.seq, ==, 5);
	fwc_hpke_ctx_wipe(&ctx);
	psa_destroy_key(key);
}

/* ---- error paths ---- */

static void
test_firmware_errors(void)
{
	fwc_hpke_key_id key = psa_a31_recipient_key();
	g_autoptr(GBytes) enc = hex_bytes(A31_ENC);
	g_autoptr(GBytes) info = hex_bytes(A31_INFO);
	g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[0].aad);
	g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[0].ct);
	const guint8 *e = g_bytes_get_data(enc, NULL);
	const guint8 *c = g_bytes_get_data(ct, NULL);
	const guint8 *a = g_bytes_get_data(aad, NULL);
	const guint8 *in = g_bytes_get_data(info, NULL);
	gsize ct_len = g_bytes_get_size(ct);
	guint8 pt[64];
	size_t pt_len = 0;
	fwc_hpke_ctx ctx;

	/* output buffer one byte too small, then exactly right */
	g_assert_cmpint(
	    fwc_hpke_open(key, e, 65, in, 20, a, 7, c, ct_len, pt, ct_len - 17, &pt_len),
	    ==,
	    FWC_HPKE_ERR_BUFFER_TOO_SMALL);
	g_assert_cmpint(
	    fwc_hpke_open(key, e, 65, in, 20, a, 7, c, ct_len, pt, ct_len - 16, &pt_len),
	    ==,
	    FWC_HPKE_OK);
	/* NULL with a length, NULL out length */
	g_assert_cmpint(fwc_hpke_open(key, NULL, 65, in, 20, a, 7, c, ct_len, pt, 64, &pt_len),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_open(key, e, 65, NULL, 20, a, 7, c, ct_len, pt, 64, &pt_len),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_open(key, e, 65, in, 20, NULL, 7, c, ct_len, pt, 64, &pt_len),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_open(key, e, 65, in, 20, a, 7, NULL, ct_len, pt, 64, &pt_len),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_open(key, e, 65, in, 20, a, 7, c, ct_len, NULL, 64, &pt_len),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_open(key, e, 65, in, 20, a, 7, c, ct_len, pt, 64, NULL),
			==,
			FWC_HPKE_ERR_ARGUMENT);
	g_assert_cmpint(fwc_hpke_setup_receiver(NULL, key, e, 65, in, 20),
			==,
			FWC_HPKE_ERR_ARGUMENT);

	/* unusable recipient keys */
	{
		g_autoptr(GBytes) sk = hex_bytes(A31_SKRM);
		fwc_hpke_key_id sign_key =
		    psa_recipient_key(sk, PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
		fwc_hpke_key_id gone = psa_a31_recipient_key();
		psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
		psa_key_id_t aes = 0;
		static const guint8 aes_key[16] = {1};

		psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
		psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DERIVE);
		psa_set_key_algorithm(&attr, PSA_ALG_ECDH);
		g_assert_cmpint(psa_import_key(&attr, aes_key, sizeof(aes_key), &aes),
				==,
				PSA_SUCCESS);
		psa_destroy_key(gone);
		g_assert_cmpint(fwc_hpke_setup_receiver(&ctx, sign_key, e, 65, in, 20),
				==,
				FWC_HPKE_ERR_BAD_KEY);
		g_assert_cmpint(fwc_hpke_setup_receiver(&ctx, gone, e, 65, in, 20),
				==,
				FWC_HPKE_ERR_BAD_KEY);
		g_assert_cmpint(fwc_hpke_setup_receiver(&ctx, 0, e, 65, in, 20),
				==,
				FWC_HPKE_ERR_BAD_KEY);
		g_assert_cmpint(fwc_hpke_setup_receiver(&ctx, aes, e, 65, in, 20),
				==,
				FWC_HPKE_ERR_BAD_KEY);
		/* DERIVE usage but a policy for another algorithm than ECDH */
		{
			fwc_hpke_key_id ffdh =
			    psa_recipient_key(sk, PSA_KEY_USAGE_DERIVE, PSA_ALG_FFDH);
			g_assert_cmpint(fwc_hpke_setup_receiver(&ctx, ffdh, e, 65, in, 20),
					==,
					FWC_HPKE_ERR_BAD_KEY);
			psa_destroy_key(ffdh);
		}
		psa_destroy_key(sign_key);
		psa_destroy_key(aes);
	}

	/* export bounds */
	g_assert_cmpint(fwc_hpke_setup_receiver(&ctx, key, e, 65, in, 20), ==, FWC_HPKE_OK);
	{
		guint8 ctx_buf[FWC_HPKE_EXPORT_CONTEXT_MAX + 1] = {0};
		guint8 out[32];
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx, ctx_buf, sizeof(ctx_buf), out, 32),
				==,
				FWC_HPKE_ERR_EXPORT_CONTEXT_TOO_LONG);
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx, NULL, 0, out, 0),
				==,
				FWC_HPKE_ERR_EXPORT_LENGTH);
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx, NULL, 0, out, FWC_HPKE_EXPORT_MAX + 1),
				==,
				FWC_HPKE_ERR_EXPORT_LENGTH);
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx, NULL, 0, NULL, 32),
				==,
				FWC_HPKE_ERR_ARGUMENT);
		g_assert_cmpint(fwc_hpke_ctx_export(&ctx, NULL, 5, out, 32),
				==,
				FWC_HPKE_ERR_ARGUMENT);
	}
	fwc_hpke_ctx_wipe(&ctx);

	/* every status has its own message */
	for (int i = FWC_HPKE_OK; i <= FWC_HPKE_ERR_INTERNAL; i++) {
		g_assert_cmpstr(fwc_hpke_strerror(i), !=, "unknown HPKE error");
		for (int j = FWC_HPKE_OK; j < i; j++)
			g_assert_cmpstr(fwc_hpke_strerror(i), !=, fwc_hpke_strerror(j));
	}
	g_assert_cmpstr(fwc_hpke_strerror(FWC_HPKE_ERR_INTERNAL + 1), ==, "unknown HPKE error");
	psa_destroy_key(key);
}

static void
test_openssl_errors(void)
{
	g_autoptr(EVP_PKEY) sk_r = a31_recipient_pkey();
	g_autoptr(EVP_PKEY) p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	g_autoptr(GBytes) pk_r = hex_bytes(A31_PKRM);
	g_autoptr(GBytes) enc = hex_bytes(A31_ENC);
	g_autoptr(GBytes) info = hex_bytes(A31_INFO);
	g_autoptr(GBytes) pt = hex_bytes(A31_PT);
	g_autoptr(GBytes) aad = hex_bytes(a31_encryptions[0].aad);
	g_autoptr(GBytes) ct = hex_bytes(a31_encryptions[0].ct);
	g_autoptr(GBytes) enc_out = NULL;
	g_autoptr(NuSecHpkeContext) sender = NULL;
	g_autoptr(NuSecHpkeContext) receiver = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *out;

	/* recipient public keys that are not P-256 points */
	{
		g_autoptr(GBytes) garbage = random_bytes(40);
		g_autoptr(GBytes) off_curve = flip_byte(pk_r, 64, 0x01);
		g_autoptr(GBytes) compressed = flip_byte(pk_r, 0, 0x04 ^ 0x02);
		guint8 *der = NULL;
		int der_len = i2d_PUBKEY(p384, &der);
		g_autoptr(GBytes) p384_spki = g_bytes_new(der, der_len);
		OPENSSL_free(der);

		out = nusec_hpke_seal(garbage, info, aad, pt, &enc_out, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_seal(compressed, info, aad, pt, &enc_out, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_seal(p384_spki, info, aad, pt, &enc_out, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_seal(off_curve, info, aad, pt, &enc_out, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA);
		g_assert_nonnull(strstr(error->message, "recipient public key"));
		g_assert_null(out);
		g_assert_null(enc_out);
		g_clear_error(&error);
	}
	/* a recipient private key of another curve */
	out = nusec_hpke_open(p384, enc, info, aad, ct, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_assert_null(out);
	g_clear_error(&error);

	/* bounds on the sealing side: the firmware's */
	{
		g_autoptr(GBytes) long_info = random_bytes(NUSEC_HPKE_INFO_MAX + 1);
		g_autoptr(GBytes) long_aad = random_bytes(NUSEC_HPKE_AAD_MAX + 1);
		g_autoptr(GBytes) max_info = random_bytes(NUSEC_HPKE_INFO_MAX);
		g_autoptr(GBytes) max_aad = random_bytes(NUSEC_HPKE_AAD_MAX);
		g_autoptr(GBytes) ok_enc = NULL;
		g_autoptr(GBytes) ok_ct = NULL;

		out = nusec_hpke_seal(pk_r, long_info, aad, pt, &enc_out, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_seal(pk_r, info, long_aad, pt, &enc_out, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		ok_ct = nusec_hpke_seal(pk_r, max_info, max_aad, pt, &ok_enc, &error);
		g_assert_no_error(error);
		g_assert_nonnull(ok_ct);
	}

	/* roles, sequence exhaustion, export bounds */
	{
		g_autoptr(GBytes) ikm_e = hex_bytes(A31_IKME);
		g_autoptr(GBytes) big_ctx = random_bytes(NUSEC_HPKE_EXPORT_CONTEXT_MAX + 1);
		sender = nusec_hpke_setup_sender_derand(pk_r, info, ikm_e, &enc_out, &error);
		g_assert_no_error(error);
		receiver = nusec_hpke_setup_receiver(sk_r, enc, info, &error);
		g_assert_no_error(error);

		out = nusec_hpke_context_open(sender, aad, ct, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_context_seal(receiver, aad, pt, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);

		nusec_hpke_context_set_seq(sender, G_MAXUINT64 - 1);
		out = nusec_hpke_context_seal(sender, aad, pt, &error);
		g_assert_no_error(error);
		g_bytes_unref(out);
		g_assert_cmpuint(nusec_hpke_context_get_seq(sender), ==, G_MAXUINT64);
		out = nusec_hpke_context_seal(sender, aad, pt, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "message limit"));
		g_assert_null(out);
		g_clear_error(&error);
		g_assert_cmpuint(nusec_hpke_context_get_seq(sender), ==, G_MAXUINT64);

		out = nusec_hpke_context_export(receiver, big_ctx, 32, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_context_export(receiver, NULL, 0, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
		out = nusec_hpke_context_export(receiver, NULL, NUSEC_HPKE_EXPORT_MAX + 1, &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(out);
		g_clear_error(&error);
	}
}

/* ---- the fuzz corpus: each bad input is rejected with its specific status ---- */

static const struct {
	const gchar *name;
	int status;
} hpke_status_names[] = {
    {"FWC_HPKE_OK", FWC_HPKE_OK},
    {"FWC_HPKE_ERR_INIT", FWC_HPKE_ERR_INIT},
    {"FWC_HPKE_ERR_ARGUMENT", FWC_HPKE_ERR_ARGUMENT},
    {"FWC_HPKE_ERR_INFO_TOO_LONG", FWC_HPKE_ERR_INFO_TOO_LONG},
    {"FWC_HPKE_ERR_AAD_TOO_LONG", FWC_HPKE_ERR_AAD_TOO_LONG},
    {"FWC_HPKE_ERR_ENC_LENGTH", FWC_HPKE_ERR_ENC_LENGTH},
    {"FWC_HPKE_ERR_ENC_FORMAT", FWC_HPKE_ERR_ENC_FORMAT},
    {"FWC_HPKE_ERR_ENC_NOT_ON_CURVE", FWC_HPKE_ERR_ENC_NOT_ON_CURVE},
    {"FWC_HPKE_ERR_CT_TOO_SHORT", FWC_HPKE_ERR_CT_TOO_SHORT},
    {"FWC_HPKE_ERR_BUFFER_TOO_SMALL", FWC_HPKE_ERR_BUFFER_TOO_SMALL},
    {"FWC_HPKE_ERR_BAD_KEY", FWC_HPKE_ERR_BAD_KEY},
    {"FWC_HPKE_ERR_TAG_MISMATCH", FWC_HPKE_ERR_TAG_MISMATCH},
    {"FWC_HPKE_ERR_SEQ_OVERFLOW", FWC_HPKE_ERR_SEQ_OVERFLOW},
    {"FWC_HPKE_ERR_EXPORT_CONTEXT_TOO_LONG", FWC_HPKE_ERR_EXPORT_CONTEXT_TOO_LONG},
    {"FWC_HPKE_ERR_EXPORT_LENGTH", FWC_HPKE_ERR_EXPORT_LENGTH},
    {"FWC_HPKE_ERR_KDF", FWC_HPKE_ERR_KDF},
    {"FWC_HPKE_ERR_INTERNAL", FWC_HPKE_ERR_INTERNAL},
};

static const gchar *
hpke_status_name(int status)
{
	for (gsize i = 0; i < G_N_ELEMENTS(hpke_status_names); i++) {
		if (hpke_status_names[i].status == status)
			return hpke_status_names[i].name;
	}
	return "unknown HPKE status";
}

static gboolean
test_fuzz_corpus_run(GBytes *data, const gchar **got, gpointer user_data)
{
	fwc_hpke_key_id key = GPOINTER_TO_UINT(user_data);
	size_t pt_len = 0;
	int rc = fuzz_hpke_run(key, g_bytes_get_data(data, NULL), g_bytes_get_size(data), &pt_len);
	got[0] = hpke_status_name(rc);
	return rc == FWC_HPKE_OK;
}

static void
test_fuzz_corpus(void)
{
	fwc_hpke_key_id key = fuzz_hpke_import_key();
	/* the valid seed plus enough bad inputs */
	NuSecTestCorpus corpus = {.component = "hpke",
				  .n_columns = 1,
				  .min_files = 20,
				  .min_accepted = 1,
				  .run = test_fuzz_corpus_run,
				  .user_data = GUINT_TO_POINTER(key)};

	g_assert_cmpuint(key, !=, 0);
	nusec_test_corpus_check(&corpus);
	psa_destroy_key(key);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(fwc_crypto_init(), ==, FWC_CRYPTO_OK);

	g_test_add_func("/hpke/openssl/derive-key-pair", test_openssl_derive_key_pair);
	g_test_add_func("/hpke/openssl/setup", test_openssl_setup);
	g_test_add_func("/hpke/openssl/seal-vectors", test_openssl_seal_vectors);
	g_test_add_func("/hpke/openssl/open-vectors", test_openssl_open_vectors);
	g_test_add_func("/hpke/openssl/errors", test_openssl_errors);
	g_test_add_func("/hpke/firmware/open-vectors", test_firmware_open_vectors);
	g_test_add_func("/hpke/firmware/errors", test_firmware_errors);
	g_test_add_func("/hpke/cross/random", test_cross_random);
	g_test_add_func("/hpke/cross/export", test_cross_export);
	g_test_add_func("/hpke/cross/wrong-recipient", test_wrong_recipient);
	g_test_add("/hpke/cross/tamper",
		   HpkeTamperFixture,
		   NULL,
		   tamper_setup,
		   test_tamper,
		   tamper_teardown);
	g_test_add_func("/hpke/fuzz-corpus", test_fuzz_corpus);
	return g_test_run();
}
