/*
 * NuSecPkcs11Signer against SoftHSM2: key generation inside the token, lookup by RFC 7512 URI,
 * PIN handling, ECDSA signatures checked with OpenSSL, concurrent signing, and the OpenSSL
 * delegation glue (a CSR signed by the token key).
 *
 * PKCS#11 state is per process and SoftHSM reads its configuration at C_Initialize, so the
 * whole program shares one temporary token folder, set up in main() before any module load:
 * token "nusec-test" (user PIN 1234) and token "nusec-other" (user PIN 9999). Each test
 * uses its own key labels.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <string.h>

#include "nusec-error.h"
#include "nusec-openssl.h"
#include "nusec-pkcs11-signer.h"
#include "nusec-signer-open.h"

#define TOKEN	    "nusec-test"
#define PIN	    "1234"
#define SO_PIN	    "5678"
#define TOKEN_OTHER "nusec-other"
#define PIN_OTHER   "9999"

static const gchar *skip_reason = NULL;
static gchar *tmpdir = NULL;
static gchar *softhsm_module = NULL;

#define SKIP_IF_NO_SOFTHSM()                                                                       \
	do {                                                                                       \
		if (skip_reason != NULL) {                                                         \
			g_test_skip(skip_reason);                                                  \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* pkcs11:token=nusec-test;object=LABEL?pin-value=1234 */
static gchar *
key_uri(const gchar *label)
{
	return g_strdup_printf("pkcs11:token=" TOKEN ";object=%s;type=private?pin-value=" PIN,
			       label);
}

static void
random_digest(guint8 digest[NUSEC_SIGNER_DIGEST_LEN])
{
	g_assert_cmpint(RAND_bytes(digest, NUSEC_SIGNER_DIGEST_LEN), ==, 1);
}

/* an independent check of a raw r||s signature with OpenSSL alone */
static gboolean
openssl_verify(GBytes *spki,
	       const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
	       const guint8 sig[NUSEC_SIGNER_SIG_LEN])
{
	const guint8 *p = g_bytes_get_data(spki, NULL);
	g_autoptr(EVP_PKEY) pkey = d2i_PUBKEY(NULL, &p, g_bytes_get_size(spki));
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	g_autoptr(ECDSA_SIG) esig = ECDSA_SIG_new();
	guint8 *der = NULL;
	int der_len;
	int rc;

	g_assert_nonnull(pkey);
	g_assert_cmpint(EVP_PKEY_get_base_id(pkey), ==, EVP_PKEY_EC);
	g_assert_cmpint(EVP_PKEY_get_bits(pkey), ==, 256);
	g_assert_cmpint(
	    ECDSA_SIG_set0(esig, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)),
	    ==,
	    1);
	der_len = i2d_ECDSA_SIG(esig, &der);
	g_assert_cmpint(der_len, >, 0);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	g_assert_nonnull(ctx);
	g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
	rc = EVP_PKEY_verify(ctx, der, der_len, digest, NUSEC_SIGNER_DIGEST_LEN);
	OPENSSL_free(der);
	ERR_clear_error();
	return rc == 1;
}

static void
assert_signs(NuSecSigner *signer, GBytes *spki)
{
	for (guint i = 0; i < 16; i++) {
		guint8 digest[NUSEC_SIGNER_DIGEST_LEN];
		guint8 sig[NUSEC_SIGNER_SIG_LEN];
		g_autoptr(GError) error = NULL;

		random_digest(digest);
		g_assert_true(nusec_signer_sign_digest(signer, digest, sig, &error));
		g_assert_no_error(error);
		g_assert_true(nusec_ecdsa_verify_digest(spki, digest, sig, &error));
		g_assert_no_error(error);
		g_assert_true(openssl_verify(spki, digest, sig));
		/* and not for another digest */
		digest[i] ^= 0x01;
		g_assert_false(openssl_verify(spki, digest, sig));
		g_assert_false(nusec_ecdsa_verify_digest(spki, digest, sig, &error));
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	}
}

static NuSecSigner *
generate(const gchar *uri)
{
	g_autoptr(GError) error = NULL;
	NuSecSigner *signer = nusec_pkcs11_signer_generate(uri, &error);
	g_assert_no_error(error);
	g_assert_nonnull(signer);
	g_assert_true(NUSEC_IS_PKCS11_SIGNER(signer));
	return signer;
}

static void
test_generate_sign(void)
{
	g_autofree gchar *uri = key_uri("gen-sign");
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GError) error = NULL;
	/* SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04... } */
	static const guint8 spki_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					     0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					     0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

	SKIP_IF_NO_SOFTHSM();
	signer = generate(uri);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_bytes_get_size(spki), ==, 91);
	g_assert_cmpmem(g_bytes_get_data(spki, NULL),
			sizeof(spki_prefix),
			spki_prefix,
			sizeof(spki_prefix));
	assert_signs(signer, spki);
}

static void
assert_same_key(const gchar *uri, GBytes *spki, NuSecSigner *original)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = nusec_pkcs11_signer_new_from_uri(uri, &error);
	g_autoptr(GBytes) spki2 = NULL;
	guint8 digest[NUSEC_SIGNER_DIGEST_LEN];
	guint8 sig[NUSEC_SIGNER_SIG_LEN];

	g_test_message("reopening %s", uri);
	g_assert_no_error(error);
	g_assert_nonnull(signer);
	spki2 = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(spki, spki2));
	random_digest(digest);
	g_assert_true(nusec_signer_sign_digest(signer, digest, sig, &error));
	g_assert_no_error(error);
	g_assert_true(openssl_verify(spki, digest, sig));
	/* and the original object still signs after another one shared the token */
	g_assert_true(nusec_signer_sign_digest(original, digest, sig, &error));
	g_assert_no_error(error);
	g_assert_true(openssl_verify(spki, digest, sig));
}

static CK_FUNCTION_LIST *
test_module(void)
{
	static CK_FUNCTION_LIST *module = NULL;
	if (module == NULL) {
		CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
		CK_RV rv;
		module = p11_kit_module_load(softhsm_module, 0);
		g_assert_nonnull(module);
		rv = module->C_Initialize(&args);
		g_assert_true(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED);
	}
	return module;
}

static CK_SLOT_ID
test_slot(const gchar *label, CK_TOKEN_INFO *info_out)
{
	CK_FUNCTION_LIST *m = test_module();
	CK_SLOT_ID slots[16];
	CK_ULONG n = G_N_ELEMENTS(slots);

	g_assert_cmpint(m->C_GetSlotList(CK_TRUE, slots, &n), ==, CKR_OK);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;
		g_autofree gchar *l = NULL;
		g_assert_cmpint(m->C_GetTokenInfo(slots[i], &info), ==, CKR_OK);
		l = g_strchomp(g_strndup((const gchar *)info.label, sizeof(info.label)));
		if (g_strcmp0(l, label) == 0) {
			if (info_out != NULL)
				*info_out = info;
			return slots[i];
		}
	}
	g_assert_not_reached();
}

static gchar *
token_field(const CK_UTF8CHAR *buf, gsize len)
{
	g_autofree gchar *s = g_strchomp(g_strndup((const gchar *)buf, len));
	return g_uri_escape_string(s, NULL, FALSE);
}

static void
test_reopen(void)
{
	g_autofree gchar *uri = NULL;
	g_autofree gchar *serial = NULL;
	g_autofree gchar *model = NULL;
	g_autofree gchar *manufacturer = NULL;
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(NuSecSigner) opened = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GError) error = NULL;
	CK_TOKEN_INFO info;
	const gchar *id = "%4e%75%53%45%43%2d%69%64"; /* "NuSEC-id" */

	SKIP_IF_NO_SOFTHSM();
	signer = generate("pkcs11:token=" TOKEN ";object=reopen-key;id=%4e%75%53%45%43%2d%69%64"
			  "?pin-value=" PIN);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);

	test_slot(TOKEN, &info);
	serial = token_field(info.serialNumber, sizeof(info.serialNumber));
	model = token_field(info.model, sizeof(info.model));
	manufacturer = token_field(info.manufacturerID, sizeof(info.manufacturerID));

	uri = key_uri("reopen-key");
	assert_same_key(uri, spki, signer);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";id=%s?pin-value=" PIN, id);
	assert_same_key(uri, spki, signer);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=reopen-key;id=%s;type=private"
			      "?pin-value=" PIN,
			      id);
	assert_same_key(uri, spki, signer);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:serial=%s;object=reopen-key?pin-value=" PIN, serial);
	assert_same_key(uri, spki, signer);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:model=%s;manufacturer=%s;serial=%s;object=reopen-key"
			      "?pin-value=" PIN,
			      model,
			      manufacturer,
			      serial);
	assert_same_key(uri, spki, signer);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=reopen-key?pin-value=" PIN
			      "&module-path=%s",
			      softhsm_module);
	assert_same_key(uri, spki, signer);
	if (g_file_test("/usr/share/p11-kit/modules/softhsm2.module", G_FILE_TEST_EXISTS)) {
		g_free(uri);
		uri = g_strdup("pkcs11:token=" TOKEN ";object=reopen-key?pin-value=" PIN
			       "&module-name=softhsm2");
		assert_same_key(uri, spki, signer);
	}

	/* the generic entry point picks the PKCS#11 signer */
	g_free(uri);
	uri = key_uri("reopen-key");
	opened = nusec_signer_open(uri, &error);
	g_assert_no_error(error);
	g_assert_true(NUSEC_IS_PKCS11_SIGNER(opened));

	/* a matching id with another label is not the key */
	g_clear_object(&opened);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=other;id=%s?pin-value=" PIN, id);
	opened = nusec_pkcs11_signer_new_from_uri(uri, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
	g_assert_null(opened);
	g_clear_error(&error);

	/* the key is not on the other token */
	opened = nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN_OTHER ";object=reopen-key"
						  "?pin-value=" PIN_OTHER,
						  &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* two tokens match a URI that names none */
	opened =
	    nusec_pkcs11_signer_new_from_uri("pkcs11:object=reopen-key?pin-value=" PIN, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "2 tokens"));
	g_clear_error(&error);

	/* an unknown token */
	opened = nusec_pkcs11_signer_new_from_uri("pkcs11:token=nope;object=reopen-key"
						  "?pin-value=" PIN,
						  &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
}

static gboolean
get_bool(CK_FUNCTION_LIST *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL value = 0xaa;
	CK_ATTRIBUTE attr = {type, &value, sizeof(value)};
	g_assert_cmpint(m->C_GetAttributeValue(s, obj, &attr, 1), ==, CKR_OK);
	g_assert_true(value == CK_TRUE || value == CK_FALSE);
	return value == CK_TRUE;
}

static CK_OBJECT_HANDLE
find_one(CK_FUNCTION_LIST *m, CK_SESSION_HANDLE s, CK_OBJECT_CLASS klass, const gchar *label)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &klass, sizeof(klass)},
			       {CKA_LABEL, (gpointer)label, strlen(label)}};
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;

	g_assert_cmpint(m->C_FindObjectsInit(s, tmpl, G_N_ELEMENTS(tmpl)), ==, CKR_OK);
	g_assert_cmpint(m->C_FindObjects(s, found, 2, &n), ==, CKR_OK);
	g_assert_cmpint(m->C_FindObjectsFinal(s), ==, CKR_OK);
	g_assert_cmpuint(n, ==, 1);
	return found[0];
}

/* the key really is sensitive and not extractable, read back through the module itself */
static void
test_attributes(void)
{
	g_autofree gchar *uri = key_uri("attr-key");
	g_autoptr(NuSecSigner) signer = NULL;
	CK_FUNCTION_LIST *m;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv;
	CK_OBJECT_HANDLE pub;
	CK_RV rv;
	guint8 value[256];
	CK_ATTRIBUTE attr = {CKA_VALUE, NULL, 0};
	guint8 priv_id[64];
	guint8 pub_id[64];
	CK_ATTRIBUTE priv_id_attr = {CKA_ID, priv_id, sizeof(priv_id)};
	CK_ATTRIBUTE pub_id_attr = {CKA_ID, pub_id, sizeof(pub_id)};
	CK_KEY_TYPE key_type = 0;
	CK_ATTRIBUTE key_type_attr = {CKA_KEY_TYPE, &key_type, sizeof(key_type)};
	static const guint8 p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	guint8 params[32];
	CK_ATTRIBUTE params_attr = {CKA_EC_PARAMS, params, sizeof(params)};

	SKIP_IF_NO_SOFTHSM();
	signer = generate(uri);

	m = test_module();
	g_assert_cmpint(
	    m->C_OpenSession(test_slot(TOKEN, NULL), CKF_SERIAL_SESSION, NULL, NULL, &s),
	    ==,
	    CKR_OK);
	rv = m->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)PIN, strlen(PIN));
	g_assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
	priv = find_one(m, s, CKO_PRIVATE_KEY, "attr-key");
	pub = find_one(m, s, CKO_PUBLIC_KEY, "attr-key");

	g_assert_true(get_bool(m, s, priv, CKA_SENSITIVE));
	g_assert_false(get_bool(m, s, priv, CKA_EXTRACTABLE));
	g_assert_true(get_bool(m, s, priv, CKA_ALWAYS_SENSITIVE));
	g_assert_true(get_bool(m, s, priv, CKA_NEVER_EXTRACTABLE));
	g_assert_true(get_bool(m, s, priv, CKA_PRIVATE));
	g_assert_true(get_bool(m, s, priv, CKA_TOKEN));
	g_assert_true(get_bool(m, s, priv, CKA_SIGN));
	g_assert_false(get_bool(m, s, priv, CKA_DERIVE));
	g_assert_true(get_bool(m, s, pub, CKA_TOKEN));
	g_assert_true(get_bool(m, s, pub, CKA_VERIFY));
	g_assert_cmpint(m->C_GetAttributeValue(s, priv, &key_type_attr, 1), ==, CKR_OK);
	g_assert_cmpuint(key_type, ==, CKK_EC);
	g_assert_cmpint(m->C_GetAttributeValue(s, priv, &params_attr, 1), ==, CKR_OK);
	g_assert_cmpmem(params, params_attr.ulValueLen, p256, sizeof(p256));

	/* the private value cannot be read, neither its size nor its bytes */
	rv = m->C_GetAttributeValue(s, priv, &attr, 1);
	g_assert_cmpint(rv, ==, CKR_ATTRIBUTE_SENSITIVE);
	g_assert_cmpuint(attr.ulValueLen, ==, CK_UNAVAILABLE_INFORMATION);
	memset(value, 0, sizeof(value));
	attr.pValue = value;
	attr.ulValueLen = sizeof(value);
	rv = m->C_GetAttributeValue(s, priv, &attr, 1);
	g_assert_cmpint(rv, ==, CKR_ATTRIBUTE_SENSITIVE);
	g_assert_cmpuint(attr.ulValueLen, ==, CK_UNAVAILABLE_INFORMATION);
	for (guint i = 0; i < sizeof(value); i++)
		g_assert_cmpuint(value[i], ==, 0);

	/* both halves share a random 16-byte CKA_ID */
	g_assert_cmpint(m->C_GetAttributeValue(s, priv, &priv_id_attr, 1), ==, CKR_OK);
	g_assert_cmpint(m->C_GetAttributeValue(s, pub, &pub_id_attr, 1), ==, CKR_OK);
	g_assert_cmpuint(priv_id_attr.ulValueLen, ==, 16);
	g_assert_cmpmem(priv_id, priv_id_attr.ulValueLen, pub_id, pub_id_attr.ulValueLen);

	g_assert_cmpint(m->C_CloseSession(s), ==, CKR_OK);
}

static void
test_pin(void)
{
	g_autofree gchar *uri = key_uri("pin-key");
	g_autofree gchar *pin_file = g_build_filename(tmpdir, "pin", NULL);
	g_autofree gchar *pin_file_crlf = g_build_filename(tmpdir, "pin-crlf", NULL);
	g_autofree gchar *pin_file_wrong = g_build_filename(tmpdir, "pin-wrong", NULL);
	g_autofree gchar *file_uri = NULL;
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(NuSecSigner) opened = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GError) error = NULL;

	SKIP_IF_NO_SOFTHSM();
	signer = generate(uri);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);

	/* wrong PIN, while the process is logged in to the token and after */
	opened =
	    nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN ";object=pin-key?pin-value=0000",
					     &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "wrong PIN"));
	g_assert_null(opened);
	g_clear_error(&error);
	opened =
	    nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN_OTHER ";object=x?pin-value=0000",
					     &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "wrong PIN"));
	g_clear_error(&error);

	/* no PIN at all */
	opened = nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN ";object=pin-key", &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "needs a PIN"));
	g_clear_error(&error);

	/* pin-source, with the newline echo adds */
	g_assert_true(g_file_set_contents(pin_file, PIN "\n", -1, &error));
	g_assert_true(g_file_set_contents(pin_file_crlf, PIN "\r\n", -1, &error));
	g_assert_true(g_file_set_contents(pin_file_wrong, "12345\n", -1, &error));
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=pin-key?pin-source=file:%s", pin_file);
	assert_same_key(uri, spki, signer);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=pin-key?pin-source=%s", pin_file_crlf);
	assert_same_key(uri, spki, signer);
	file_uri = g_filename_to_uri(pin_file, NULL, &error);
	g_assert_no_error(error);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=pin-key?pin-source=%s", file_uri);
	assert_same_key(uri, spki, signer);

	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=pin-key?pin-source=file:%s",
			      pin_file_wrong);
	opened = nusec_pkcs11_signer_new_from_uri(uri, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_AUTH_FAILED);
	g_clear_error(&error);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=pin-key?pin-source=file:%s/nope",
			      tmpdir);
	opened = nusec_pkcs11_signer_new_from_uri(uri, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_free(uri);
	uri = g_strdup_printf("pkcs11:token=" TOKEN ";object=pin-key?pin-source=file:%s"
			      "&pin-value=" PIN,
			      pin_file);
	opened = nusec_pkcs11_signer_new_from_uri(uri, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	opened = nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN
						  ";object=pin-key?pin-source=%7cpinentry",
						  &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_SUPPORTED);
}

static void
test_not_found(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = NULL;

	SKIP_IF_NO_SOFTHSM();
	signer = nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN
						  ";object=no-such-key?pin-value=" PIN,
						  &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
	g_assert_null(signer);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "pkcs11:token=" TOKEN ";object=no-such-key"));
	/* the PIN is not in the message */
	g_assert_null(strstr(error->message, "pin-value"));
	g_assert_null(strstr(error->message, PIN));
	g_clear_error(&error);

	signer = nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN ";object=x?pin-value=" PIN
						  "&module-path=/nonexistent/libnothing.so",
						  &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
	g_clear_error(&error);
	signer = nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN ";object=x?pin-value=" PIN
						  "&module-name=no-such-module",
						  &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_FOUND);
}

static void
test_duplicate(void)
{
	g_autofree gchar *uri = key_uri("dup-key");
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(NuSecSigner) again = NULL;
	g_autoptr(GError) error = NULL;

	SKIP_IF_NO_SOFTHSM();
	signer = generate(uri);
	again = nusec_pkcs11_signer_generate(uri, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "already exists"));
	g_assert_null(again);
	g_clear_error(&error);

	/* the same id under another label */
	g_clear_object(&signer);
	signer = generate("pkcs11:token=" TOKEN ";object=dup-id-1;id=%01%02%03?pin-value=" PIN);
	again = nusec_pkcs11_signer_generate("pkcs11:token=" TOKEN
					     ";object=dup-id-2;id=%01%02%03?pin-value=" PIN,
					     &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* a label is needed */
	again = nusec_pkcs11_signer_generate("pkcs11:token=" TOKEN "?pin-value=" PIN, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* a refused generation left nothing behind: still exactly one key under each label */
	g_clear_object(&signer);
	signer = nusec_pkcs11_signer_new_from_uri(uri, &error);
	g_assert_no_error(error);
	g_clear_object(&signer);
	signer =
	    nusec_pkcs11_signer_new_from_uri("pkcs11:token=" TOKEN ";id=%01%02%03?pin-value=" PIN,
					     &error);
	g_assert_no_error(error);
}

static void
test_malformed(void)
{
	const gchar *bad[] = {
	    "",
	    "file:/etc/key.pem",
	    "/etc/key.pem",
	    "pkcs11",
	    "pkcs11:object=a%zz?pin-value=" PIN,
	    "pkcs11:object=a%?pin-value=" PIN,
	    "pkcs11:object=a%4?pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a?pin-value=%g1",
	    "pkcs11:token=" TOKEN ";objet=a?pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a;type=bogus?pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a;type=cert?pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a;type=public?pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a;object=b?pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a?pin-value=" PIN "&pin-value=" PIN,
	    "pkcs11:token=" TOKEN ";object=a?pin-valu=" PIN,
	    "pkcs11:token=" TOKEN ";object=a?module-name=../../tmp/evil&pin-value=" PIN,
	};

	SKIP_IF_NO_SOFTHSM();
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(NuSecSigner) signer = nusec_pkcs11_signer_new_from_uri(bad[i], &error);
		g_autoptr(NuSecSigner) generated = NULL;

		g_test_message("'%s': %s", bad[i], error != NULL ? error->message : "accepted");
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(signer);
		/* no PIN, not even a misspelt one, in messages */
		g_assert_null(strstr(error->message, "=" PIN));
		g_clear_error(&error);
		generated = nusec_pkcs11_signer_generate(bad[i], &error);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
		g_assert_null(generated);
	}
}

#define N_THREADS    4
#define N_SIGNATURES 200

typedef struct {
	NuSecSigner *signer;
	guint index;
	guint8 digests[N_SIGNATURES][NUSEC_SIGNER_DIGEST_LEN];
	guint8 sigs[N_SIGNATURES][NUSEC_SIGNER_SIG_LEN];
	guint failures;
	gchar *first_error;
} ThreadJob;

static gpointer
sign_thread(gpointer data)
{
	ThreadJob *job = data;
	for (guint i = 0; i < N_SIGNATURES; i++) {
		g_autoptr(GError) error = NULL;
		guint32 tag[2] = {job->index, i};

		SHA256((const guint8 *)tag, sizeof(tag), job->digests[i]);
		if (!nusec_signer_sign_digest(job->signer, job->digests[i], job->sigs[i], &error)) {
			if (job->failures++ == 0)
				job->first_error = g_strdup(error->message);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autofree gchar *uri = key_uri("thread-key");
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GError) error = NULL;
	ThreadJob *jobs = g_new0(ThreadJob, N_THREADS);
	GThread *threads[N_THREADS];
	gint64 start;

	SKIP_IF_NO_SOFTHSM();
	signer = generate(uri);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);

	start = g_get_monotonic_time();
	for (guint t = 0; t < N_THREADS; t++) {
		jobs[t].signer = signer;
		jobs[t].index = t;
		threads[t] = g_thread_new("signer", sign_thread, &jobs[t]);
	}
	for (guint t = 0; t < N_THREADS; t++)
		g_thread_join(threads[t]);
	g_test_message("%u signatures from %u threads in %.1f ms",
		       N_THREADS * N_SIGNATURES,
		       N_THREADS,
		       (g_get_monotonic_time() - start) / 1000.0);

	for (guint t = 0; t < N_THREADS; t++) {
		if (jobs[t].first_error != NULL)
			g_test_message("thread %u: %s", t, jobs[t].first_error);
		g_assert_cmpuint(jobs[t].failures, ==, 0);
		for (guint i = 0; i < N_SIGNATURES; i++) {
			g_assert_true(nusec_ecdsa_verify_digest(spki,
								jobs[t].digests[i],
								jobs[t].sigs[i],
								&error));
			g_assert_no_error(error);
		}
	}
	/* the digests really differed between threads */
	g_assert_true(memcmp(jobs[0].digests[0], jobs[1].digests[0], 32) != 0);
	for (guint t = 0; t < N_THREADS; t++)
		g_free(jobs[t].first_error);
	g_free(jobs);
}

/* nusec_signer_to_evp_pkey: OpenSSL signs a CSR through the token */
static void
test_csr(void)
{
	g_autofree gchar *uri = key_uri("csr-key");
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	g_autoptr(EVP_PKEY) pub = NULL;
	g_autoptr(X509_REQ) req = X509_REQ_new();
	g_autoptr(X509_REQ) req2 = NULL;
	X509_NAME *name;
	guint8 *der = NULL;
	const guint8 *p;
	int der_len;

	SKIP_IF_NO_SOFTHSM();
	signer = generate(uri);
	spki = nusec_signer_get_public_key(signer, &error);
	g_assert_no_error(error);
	p = g_bytes_get_data(spki, NULL);
	pub = d2i_PUBKEY(NULL, &p, g_bytes_get_size(spki));
	g_assert_nonnull(pub);

	pkey = nusec_signer_to_evp_pkey(signer, &error);
	g_assert_no_error(error);
	g_assert_nonnull(pkey);
	g_assert_cmpint(EVP_PKEY_eq(pkey, pub), ==, 1);

	g_assert_cmpint(X509_REQ_set_version(req, 0), ==, 1);
	name = X509_REQ_get_subject_name(req);
	g_assert_cmpint(X509_NAME_add_entry_by_txt(name,
						   "CN",
						   MBSTRING_ASC,
						   (const guint8 *)"nusec-pkcs11-test",
						   -1,
						   -1,
						   0),
			==,
			1);
	g_assert_cmpint(X509_REQ_set_pubkey(req, pkey), ==, 1);
	g_assert_cmpint(X509_REQ_sign(req, pkey, EVP_sha256()), >, 0);
	g_assert_cmpint(X509_REQ_verify(req, pub), ==, 1);

	/* and once more after a DER round trip, with the key the request carries */
	der_len = i2d_X509_REQ(req, &der);
	g_assert_cmpint(der_len, >, 0);
	p = der;
	req2 = d2i_X509_REQ(NULL, &p, der_len);
	OPENSSL_free(der);
	g_assert_nonnull(req2);
	g_assert_cmpint(X509_REQ_verify(req2, X509_REQ_get0_pubkey(req2)), ==, 1);

	/* a tampered request does not verify */
	name = X509_REQ_get_subject_name(req2);
	g_assert_cmpint(X509_NAME_add_entry_by_txt(name,
						   "O",
						   MBSTRING_ASC,
						   (const guint8 *)"tampered",
						   -1,
						   -1,
						   0),
			==,
			1);
	X509_REQ_set_subject_name(req2, name);
	g_assert_cmpint(X509_REQ_verify(req2, pub), !=, 1);
	ERR_clear_error();
}

/* ---- setup ---- */

static gboolean
run(const gchar *const *argv, GError **error)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;

	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH,
			  NULL,
			  NULL,
			  &out,
			  &err,
			  &status,
			  error))
		return FALSE;
	if (!g_spawn_check_wait_status(status, error)) {
		g_prefix_error(error, "%s: %s", argv[0], err);
		return FALSE;
	}
	return TRUE;
}

static void
rm_rf(const gchar *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			rm_rf(child);
		}
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

static const gchar *
setup_softhsm(void)
{
	const gchar *module = g_getenv("NUSEC_SOFTHSM_MODULE");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tokens = NULL;
	g_autofree gchar *conf = NULL;
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *util = g_find_program_in_path("softhsm2-util");

	if (module == NULL || module[0] == '\0')
		return "NUSEC_SOFTHSM_MODULE is not set";
	if (!g_file_test(module, G_FILE_TEST_EXISTS))
		return "NUSEC_SOFTHSM_MODULE does not exist";
	if (util == NULL)
		return "softhsm2-util is not installed";
	softhsm_module = g_strdup(module);

	tmpdir = g_dir_make_tmp("nusec-pkcs11-XXXXXX", &error);
	g_assert_no_error(error);
	tokens = g_build_filename(tmpdir, "tokens", NULL);
	g_assert_cmpint(g_mkdir(tokens, 0700), ==, 0);
	conf = g_build_filename(tmpdir, "softhsm2.conf", NULL);
	conf_text = g_strdup_printf("directories.tokendir = %s\n"
				    "objectstore.backend = file\n"
				    "log.level = ERROR\n",
				    tokens);
	g_assert_true(g_file_set_contents(conf, conf_text, -1, &error));
	/* before the module is first loaded: SoftHSM reads it in C_Initialize */
	g_setenv("SOFTHSM2_CONF", conf, TRUE);
	/* the module the signer uses when a URI has no module-path= */
	g_setenv("NUSEC_PKCS11_MODULE", module, TRUE);
	{
		const gchar *argv[] = {util,
				       "--init-token",
				       "--free",
				       "--label",
				       TOKEN,
				       "--so-pin",
				       SO_PIN,
				       "--pin",
				       PIN,
				       NULL};
		const gchar *argv_other[] = {util,
					     "--init-token",
					     "--free",
					     "--label",
					     TOKEN_OTHER,
					     "--so-pin",
					     SO_PIN,
					     "--pin",
					     PIN_OTHER,
					     NULL};
		if (!run(argv, &error) || !run(argv_other, &error))
			g_error("cannot create the test tokens: %s", error->message);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	skip_reason = setup_softhsm();

	g_test_add_func("/pkcs11/generate-sign", test_generate_sign);
	g_test_add_func("/pkcs11/reopen", test_reopen);
	g_test_add_func("/pkcs11/attributes", test_attributes);
	g_test_add_func("/pkcs11/pin", test_pin);
	g_test_add_func("/pkcs11/not-found", test_not_found);
	g_test_add_func("/pkcs11/duplicate", test_duplicate);
	g_test_add_func("/pkcs11/malformed", test_malformed);
	g_test_add_func("/pkcs11/threads", test_threads);
	g_test_add_func("/pkcs11/csr", test_csr);
	rc = g_test_run();
	/* exit code 77: meson reports the test as skipped */
	if (skip_reason != NULL && rc == 0)
		rc = 77;

	if (tmpdir != NULL)
		rm_rf(tmpdir);
	g_free(tmpdir);
	g_free(softhsm_module);
	return rc;
}
