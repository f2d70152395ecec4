/*
 * The cloud's message formats: round trips with real signatures, tampering, the encodings
 * documented in docs/formats/package.md (byte for byte), and every corpus file rejected with
 * its specific error (corpus/expected.txt).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "cloud-formats-dispatch.h"
#include "nusec-error.h"
#include "nusec-pem-signer.h"

static gchar *
hex(GBytes *b)
{
	GString *s = g_string_new(NULL);
	gsize len = 0;
	const guint8 *d = g_bytes_get_data(b, &len);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", d[i]);
	return g_string_free(s, FALSE);
}

static GBytes *
point_of(NuSecSigner *signer)
{
	guint8 p[65];
	g_autoptr(GError) error = NULL;
	g_assert_true(nusec_signer_get_public_point(signer, p, &error));
	return g_bytes_new(p, sizeof(p));
}

static void
test_formats_roundtrip(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) ident = nusec_pem_signer_new_random(&error);
	g_autoptr(NuSecSigner) enc_signer = nusec_pem_signer_new_random(&error);
	g_autoptr(NuSecSigner) other = nusec_pem_signer_new_random(&error);
	g_autoptr(GBytes) ident_point = point_of(ident);
	g_autoptr(GBytes) enc_point = point_of(enc_signer);
	g_autoptr(GBytes) other_point = point_of(other);
	g_autoptr(GBytes) bundle = NULL;
	g_autoptr(NuSecCloudSetupBundle) parsed = NULL;
	g_autoptr(GBytes) csr = g_bytes_new_static("\x30\x01\x00", 3);
	NuSecCloudDeviceRequest dr = {.order_id = (gchar *)"ord-1",
				      .chip_id = (gchar *)"CHIP-1",
				      .csr = csr,
				      .counter = 42,
				      .programmer_serial = (gchar *)"NL3-1"};
	g_autoptr(GBytes) req = NULL;
	g_autoptr(NuSecCloudDeviceRequest) dr2 = NULL;

	bundle = nusec_cloud_setup_bundle_build(ident, "NL3-1", enc_point, "m", &error);
	g_assert_no_error(error);
	parsed = nusec_cloud_setup_bundle_parse(bundle, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(parsed->serial, ==, "NL3-1");
	g_assert_cmpstr(parsed->model, ==, "m");
	g_assert_true(g_bytes_equal(parsed->identity_point, ident_point));
	g_assert_true(g_bytes_equal(parsed->encryption_point, enc_point));
	/* every single-bit flip of the bundle is refused */
	for (gsize i = 0; i < g_bytes_get_size(bundle); i++) {
		g_autoptr(GByteArray) t = g_byte_array_new();
		g_autoptr(GBytes) tb = NULL;
		g_autoptr(NuSecCloudSetupBundle) none = NULL;
		g_autoptr(GError) e2 = NULL;
		g_byte_array_append(t, g_bytes_get_data(bundle, NULL), g_bytes_get_size(bundle));
		t->data[i] ^= 0x01;
		tb = g_byte_array_free_to_bytes(g_steal_pointer(&t));
		none = nusec_cloud_setup_bundle_parse(tb, &e2);
		g_assert_null(none);
		g_assert_nonnull(e2);
	}

	req = nusec_cloud_device_request_build(ident, &dr, &error);
	g_assert_no_error(error);
	dr2 = nusec_cloud_device_request_parse(req, ident_point, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(dr2->order_id, ==, "ord-1");
	g_assert_cmpstr(dr2->chip_id, ==, "CHIP-1");
	g_assert_cmpuint(dr2->counter, ==, 42);
	g_assert_true(g_bytes_equal(dr2->csr, csr));
	g_clear_pointer(&dr2, nusec_cloud_device_request_free);
	dr2 = nusec_cloud_device_request_parse(req, other_point, &error);
	g_assert_null(dr2);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);
	/* a request is not an abort, nor a receipt: domain separation by external_aad */
	{
		g_autoptr(NuSecCloudAbort) ab = nusec_cloud_abort_parse(req, ident_point, &error);
		g_assert_null(ab);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
		g_clear_error(&error);
	}
}

/* the bytes docs/formats/package.md shows */
static void
test_formats_vectors(void)
{
	g_autoptr(GError) error = NULL;
	guint8 h0[32], h1[32], h2[32], h3[32];
	NuSecCloudManifest m = {0};
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) aad = nusec_cloud_envelope_header("nusec-package");
	g_autoptr(GBytes) aad0 = nusec_cloud_firmware_aad("ord-1", 0, 1, 3200);
	g_autofree gchar *mhex = NULL;
	g_autofree gchar *ahex = hex(aad);
	g_autofree gchar *a0hex = hex(aad0);
	g_autoptr(NuSecCloudManifest) back = NULL;

	memset(h0, 0x00, 32);
	memset(h1, 0x11, 32);
	memset(h2, 0x22, 32);
	memset(h3, 0x33, 32);
	m.package_id = (gchar *)"pkg-1";
	m.order_id = (gchar *)"ord-1";
	m.programmer_serial = (gchar *)"NL3-0001";
	m.programmer_key_hash = g_bytes_new_static(h0, 32);
	m.product_id = (gchar *)"prd-1";
	m.rot_key_hash = g_bytes_new_static(h1, 32);
	m.firmware_version = (gchar *)"1.2.3+4";
	m.security_counter = 7;
	m.image_size = 3200;
	m.image_sha256 = g_bytes_new_static(h2, 32);
	m.limit = 500;
	m.not_before = 0;
	m.not_after = 253402300799;
	m.token = g_bytes_new_static(h3, 32);
	m.issued_at = 1764061200;
	enc = nusec_cloud_manifest_encode(&m, &error);
	g_assert_no_error(error);
	mhex = hex(enc);
	g_assert_true(g_str_has_prefix(mhex,
				       "ad01010265706b672d3103656f72642d3104684e4c332d30303031"
				       "05582000"));
	g_assert_cmpint(fwc_cbor_validate(g_bytes_get_data(enc, NULL), g_bytes_get_size(enc), 0),
			==,
			FWC_CBOR_OK);
	back = nusec_cloud_manifest_decode(enc, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(back->firmware_version, ==, "1.2.3+4");
	g_assert_cmpuint(back->not_after, ==, 253402300799);
	g_assert_cmpuint(back->issued_at, ==, 1764061200);
	g_assert_true(g_bytes_equal(back->token, m.token));
	g_assert_cmpstr(ahex, ==, "82016d6e757365632d7061636b616765");
	g_assert_cmpstr(a0hex,
			==,
			"86016e6e757365632d6669726d7761726565"
			"6f72642d3100011"
			"90c80");
	g_bytes_unref(m.programmer_key_hash);
	g_bytes_unref(m.rot_key_hash);
	g_bytes_unref(m.image_sha256);
	g_bytes_unref(m.token);
}

static int
error_code_from_name(const gchar *name)
{
	const gchar *names[] = {"NUSEC_ERROR_INTERNAL",
				"NUSEC_ERROR_INVALID_ARGUMENT",
				"NUSEC_ERROR_INVALID_DATA",
				"NUSEC_ERROR_SIGNATURE_INVALID",
				"NUSEC_ERROR_NOT_FOUND",
				"NUSEC_ERROR_NOT_SUPPORTED"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_strcmp0(names[i], name) == 0)
			return i;
	}
	g_error("unknown error name %s", name);
	return -1;
}

static void
test_formats_corpus(void)
{
	g_autofree gchar *dir = g_test_build_filename(G_TEST_DIST, "cloud", "corpus", NULL);
	g_autofree gchar *list = g_build_filename(dir, "expected.txt", NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;
	guint checked = 0;

	g_assert_true(g_file_get_contents(list, &text, NULL, &error));
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], " ", 3);
		g_autofree gchar *path = NULL;
		g_autofree gchar *data = NULL;
		g_autoptr(GError) e2 = NULL;
		gsize len = 0;
		if (lines[i][0] == '\0')
			continue;
		g_assert_cmpuint(g_strv_length(f), >=, 2);
		path = g_build_filename(dir, f[0], NULL);
		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		if (cloud_formats_dispatch((const guint8 *)data, len, &e2))
			g_error("%s was accepted", f[0]);
		if (!g_error_matches(e2, NUSEC_ERROR, error_code_from_name(f[1])))
			g_error("%s: expected %s, got %d: %s", f[0], f[1], e2->code, e2->message);
		if (f[2] != NULL && strstr(e2->message, f[2]) == NULL)
			g_error("%s: message '%s' lacks '%s'", f[0], e2->message, f[2]);
		checked++;
	}
	g_assert_cmpuint(checked, >=, 30);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cloud/formats/roundtrip", test_formats_roundtrip);
	g_test_add_func("/cloud/formats/vectors", test_formats_vectors);
	g_test_add_func("/cloud/formats/corpus", test_formats_corpus);
	return g_test_run();
}
