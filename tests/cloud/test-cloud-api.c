/*
 * nusec-cloud end to end over real HTTPS with client certificates (libcurl), on SQLite and on
 * PostgreSQL: every endpoint, the device certificate profile checked with OpenSSL, packages
 * and sealed firmware opened with the programmer's key, the bad-input answers, 16 concurrent
 * programmers on one order of limit 500, kill -9, and `nusec-cloud audit verify`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <string.h>

#include "cloud-test-server.h"
#include "fwc-image.h"
#include "nusec-cloud-formats.h"
#include "nusec-cloud-x509.h"
#include "nusec-cose.h"
#include "nusec-error.h"
#include "nusec-image.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_STORE_CTX, X509_STORE_CTX_free)

/* ---- helpers ---- */

static gchar *
b64(GBytes *data)
{
	return g_base64_encode(g_bytes_get_data(data, NULL), g_bytes_get_size(data));
}

static GBytes *
unb64(const gchar *text)
{
	gsize len = 0;
	guchar *data = g_base64_decode(text, &len);
	return g_bytes_new_take(data, len);
}

static const gchar *
member(JsonNode *node, const gchar *name)
{
	return json_object_get_string_member(json_node_get_object(node), name);
}

static gint64
member_int(JsonNode *node, const gchar *name)
{
	return json_object_get_int_member(json_node_get_object(node), name);
}

static EVP_PKEY *
write_new_key(const gchar *path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	BIO *bio = BIO_new_file(path, "w");
	g_assert_nonnull(key);
	g_assert_nonnull(bio);
	g_assert_cmpint(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
	BIO_free(bio);
	return key;
}

static GBytes *
pkey_point(EVP_PKEY *key)
{
	guint8 buf[65];
	size_t len = 0;
	g_assert_cmpint(EVP_PKEY_get_octet_string_param(key, "pub", buf, sizeof(buf), &len), ==, 1);
	g_assert_cmpuint(len, ==, 65);
	return g_bytes_new(buf, len);
}

/* a PKCS#10 request with subject CN = @cn signed by @key */
static GBytes *
make_csr(EVP_PKEY *key, const gchar *cn)
{
	g_autoptr(X509_REQ) req = X509_REQ_new();
	X509_NAME *name = X509_REQ_get_subject_name(req);
	guint8 *der = NULL;
	int len;
	GBytes *out;
	g_assert_cmpint(
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const guchar *)cn, -1, -1, 0),
	    ==,
	    1);
	g_assert_cmpint(X509_REQ_set_pubkey(req, key), ==, 1);
	g_assert_cmpint(X509_REQ_sign(req, key, EVP_sha256()), >, 0);
	len = i2d_X509_REQ(req, &der);
	g_assert_cmpint(len, >, 0);
	out = g_bytes_new(der, len);
	OPENSSL_free(der);
	return out;
}

typedef struct {
	gchar *serial;
	gchar *id;
	gchar *key_path;
	gchar *cert_path;
	NuSecSigner *identity;
	EVP_PKEY *enc;
	GBytes *enc_point;
	CloudTestClient *client;
} TestProgrammer;

static void
test_programmer_free(TestProgrammer *self)
{
	g_free(self->serial);
	g_free(self->id);
	g_free(self->key_path);
	g_free(self->cert_path);
	g_clear_object(&self->identity);
	EVP_PKEY_free(self->enc);
	g_clear_pointer(&self->enc_point, g_bytes_unref);
	cloud_test_client_free(self->client);
	g_free(self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestProgrammer, test_programmer_free)

static GBytes *
programmer_bundle(TestProgrammer *self)
{
	g_autoptr(GError) error = NULL;
	GBytes *bundle = nusec_cloud_setup_bundle_build(self->identity,
							self->serial,
							self->enc_point,
							"NuLink3-test",
							&error);
	g_assert_no_error(error);
	return bundle;
}

/* a NuLink3 stand-in: identity and encryption keys, enrolled by @oper */
static TestProgrammer *
test_programmer_new(CloudTestServer *server, CloudTestClient *oper, const gchar *serial)
{
	TestProgrammer *self = g_new0(TestProgrammer, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(EVP_PKEY) ident = NULL;
	g_autoptr(GBytes) bundle = NULL;
	g_autofree gchar *bundle64 = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(JsonNode) res = NULL;
	g_autofree gchar *name = g_strdup_printf("%s-key.pem", serial);
	g_autofree gchar *cname = g_strdup_printf("%s.pem", serial);

	self->serial = g_strdup(serial);
	self->key_path = g_build_filename(server->state, name, NULL);
	self->cert_path = g_build_filename(server->state, cname, NULL);
	ident = write_new_key(self->key_path);
	self->identity = nusec_pem_signer_new_from_file(self->key_path, &error);
	g_assert_no_error(error);
	self->enc = EVP_EC_gen("P-256");
	self->enc_point = pkey_point(self->enc);
	bundle = programmer_bundle(self);
	bundle64 = b64(bundle);
	body = g_strdup_printf("{\"bundle\":\"%s\"}", bundle64);
	res = cloud_test_json(oper, "POST", "/v1/programmers", body, 201);
	self->id = g_strdup(member(res, "id"));
	g_assert_cmpstr(member(res, "serial"), ==, serial);
	g_assert_cmpstr(member(res, "state"), ==, "active");
	g_assert_true(g_file_set_contents(self->cert_path, member(res, "certificate"), -1, NULL));
	self->client = cloud_test_client_new(server, self->cert_path, self->key_path);
	return self;
}

static gchar *
device_request_body(TestProgrammer *prog,
		    NuSecSigner *signer,
		    const gchar *order,
		    const gchar *chip,
		    GBytes *csr,
		    guint64 counter)
{
	g_autoptr(GError) error = NULL;
	NuSecCloudDeviceRequest dr = {
	    .order_id = (gchar *)order,
	    .chip_id = (gchar *)chip,
	    .csr = csr,
	    .counter = counter,
	    .programmer_serial = prog->serial,
	};
	g_autoptr(GBytes) cose =
	    nusec_cloud_device_request_build(signer != NULL ? signer : prog->identity, &dr, &error);
	g_autofree gchar *text = NULL;
	g_assert_no_error(error);
	text = b64(cose);
	return g_strdup_printf("{\"request\":\"%s\"}", text);
}

static CloudTestClient *
operator_client(CloudTestServer *server)
{
	g_autofree gchar *cert = g_build_filename(server->state, "operator", "operator.pem", NULL);
	g_autofree gchar *key =
	    g_build_filename(server->state, "operator", "operator-key.pem", NULL);
	return cloud_test_client_new(server, cert, key);
}

/* product + firmware + order for @progs; returns the order id; *image_out the signed image */
static gchar *
make_order(CloudTestClient *oper,
	   TestProgrammer **progs,
	   guint n_progs,
	   gint64 limit,
	   gchar **product_out,
	   GBytes **image_out)
{
	g_autofree gchar *name = g_strdup_printf("widget-%08x", g_random_int());
	g_autofree gchar *body = g_strdup_printf("{\"name\":\"%s\"}", name);
	g_autoptr(JsonNode) product = cloud_test_json(oper, "POST", "/v1/products", body, 201);
	g_autoptr(JsonNode) fw = NULL;
	g_autoptr(JsonNode) order = NULL;
	g_autoptr(GString) list = g_string_new(NULL);
	guint8 raw[3000];
	g_autoptr(GBytes) plain = NULL;
	g_autofree gchar *plain64 = NULL;
	g_autofree gchar *path = NULL;

	for (guint i = 0; i < sizeof(raw); i++)
		raw[i] = (guint8)(i * 7 + 3);
	plain = g_bytes_new(raw, sizeof(raw));
	plain64 = b64(plain);
	g_free(body);
	body = g_strdup_printf("{\"version\":\"1.2.3+4\",\"security_counter\":7,\"image\":\"%s\"}",
			       plain64);
	path = g_strdup_printf("/v1/products/%s/firmware", member(product, "id"));
	fw = cloud_test_json(oper, "POST", path, body, 201);
	g_assert_cmpstr(member(fw, "version"), ==, "1.2.3+4");
	g_assert_cmpint(member_int(fw, "security_counter"), ==, 7);
	if (image_out != NULL) {
		g_autofree gchar *ipath =
		    g_strdup_printf("/v1/firmware/%s/image", member(fw, "id"));
		g_assert_cmpint(cloud_test_http(oper, "GET", ipath, NULL, 0, image_out), ==, 200);
	}
	for (guint i = 0; i < n_progs; i++)
		g_string_append_printf(list, "%s\"%s\"", i > 0 ? "," : "", progs[i]->id);
	g_free(body);
	body = g_strdup_printf("{\"product\":\"%s\",\"firmware\":\"%s\",\"programmers\":[%s],"
			       "\"limit\":%" G_GINT64_FORMAT ",\"profile\":{\"organization\":"
			       "\"ACME Devices\"}}",
			       member(product, "id"),
			       member(fw, "id"),
			       list->str,
			       limit);
	order = cloud_test_json(oper, "POST", "/v1/orders", body, 201);
	g_assert_cmpint(member_int(order, "limit"), ==, limit);
	g_assert_cmpint(member_int(order, "used"), ==, 0);
	if (product_out != NULL)
		*product_out = g_strdup(member(product, "id"));
	return g_strdup(member(order, "id"));
}

/* DESIGN.md's device certificate profile, checked independently with OpenSSL */
static void
check_device_certificate(CloudTestServer *server, JsonNode *res, const gchar *chip, EVP_PKEY *key)
{
	JsonArray *chain = json_object_get_array_member(json_node_get_object(res), "chain");
	g_autoptr(GBytes) der = unb64(member(res, "certificate"));
	g_autoptr(GBytes) ca_der = unb64(json_array_get_string_element(chain, 1));
	g_autoptr(GBytes) root_der = unb64(json_array_get_string_element(chain, 2));
	g_autoptr(X509) cert = nusec_cloud_x509_from_der(der, NULL);
	g_autoptr(X509) ca = nusec_cloud_x509_from_der(ca_der, NULL);
	g_autoptr(X509) root = nusec_cloud_x509_from_der(root_der, NULL);
	g_autoptr(X509) root_file = nusec_cloud_x509_load(server->root_ca, NULL);
	g_autoptr(X509_STORE) store = X509_STORE_new();
	g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	g_autofree gchar *cn = NULL;
	g_autoptr(EVP_PKEY) cert_key = NULL;
	ASN1_BIT_STRING *ku;
	BASIC_CONSTRAINTS *bc;
	int crit = -1;
	char nb[32];

	g_assert_cmpuint(json_array_get_length(chain), ==, 3);
	g_assert_nonnull(cert);
	/* the PEM chain starts with the same certificate and holds the three */
	{
		const gchar *pem = member(res, "pem");
		g_autoptr(X509) first = nusec_cloud_x509_from_pem(pem, strlen(pem), NULL);
		g_assert_nonnull(first);
		g_assert_cmpint(X509_cmp(first, cert), ==, 0);
		g_assert_nonnull(strstr(strstr(strstr(pem, "BEGIN") + 1, "BEGIN") + 1, "BEGIN"));
	}
	g_assert_nonnull(ca);
	g_assert_cmpint(X509_cmp(root, root_file), ==, 0);
	/* chain: root (trusted, from init's files) -> device issuing CA -> device */
	X509_STORE_add_cert(store, root_file);
	sk_X509_push(untrusted, ca);
	X509_STORE_CTX_init(ctx, store, cert, untrusted);
	g_assert_cmpint(X509_verify_cert(ctx), ==, 1);
	sk_X509_free(untrusted);
	g_assert_cmpint(X509_get_version(cert), ==, 2);
	cn = nusec_cloud_x509_get_cn(X509_get_subject_name(cert));
	g_assert_cmpstr(cn, ==, chip);
	cert_key = X509_get_pubkey(cert);
	g_assert_cmpint(EVP_PKEY_eq(cert_key, key), ==, 1);
	g_assert_cmpint(X509_get_signature_nid(cert), ==, NID_ecdsa_with_SHA256);
	ku = X509_get_ext_d2i(cert, NID_key_usage, &crit, NULL);
	g_assert_nonnull(ku);
	g_assert_cmpint(crit, ==, 1);
	g_assert_cmpuint(X509_get_key_usage(cert), ==, KU_DIGITAL_SIGNATURE);
	ASN1_BIT_STRING_free(ku);
	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	g_assert_nonnull(bc);
	g_assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	g_assert_nonnull(X509_get0_subject_key_id(cert));
	g_assert_nonnull(X509_get0_authority_key_id(cert));
	g_assert_cmpint(
	    ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert), X509_get0_subject_key_id(ca)),
	    ==,
	    0);
	/* notAfter 99991231235959Z (GeneralizedTime) */
	g_assert_cmpint(ASN1_STRING_length(X509_get0_notAfter(cert)), ==, 15);
	memcpy(nb, ASN1_STRING_get0_data(X509_get0_notAfter(cert)), 15);
	nb[15] = '\0';
	g_assert_cmpstr(nb, ==, "99991231235959Z");
	/* organization from the order's profile */
	{
		X509_NAME *subject = X509_get_subject_name(cert);
		int idx = X509_NAME_get_index_by_NID(subject, NID_organizationName, -1);
		g_assert_cmpint(idx, >=, 0);
	}
}

/* ---- the full flow ---- */

static void
test_api_flow(gconstpointer data)
{
	g_autoptr(CloudTestServer) server = cloud_test_server_new(data);
	g_autoptr(CloudTestClient) oper = NULL;
	g_autoptr(TestProgrammer) prog = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autofree gchar *product = NULL;
	g_autofree gchar *order = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(JsonNode) res = NULL;
	g_autoptr(JsonNode) prod = NULL;
	g_autoptr(EVP_PKEY) dev_key = EVP_EC_gen("P-256");
	g_autoptr(GBytes) csr = NULL;
	g_autoptr(GBytes) package = NULL;
	g_autoptr(GBytes) package_spki = NULL;
	g_autoptr(NuSecCloudManifest) m = NULL;
	g_autoptr(GBytes) cert_der = NULL;

	if (server == NULL)
		return;
	oper = operator_client(server);
	res = cloud_test_json(oper, "GET", "/v1/ping", NULL, 200);
	g_assert_cmpstr(member(res, "realm"), ==, "oem");
	g_clear_pointer(&res, json_node_unref);

	prog = test_programmer_new(server, oper, "NL3-0001");
	res = cloud_test_json(prog->client, "GET", "/v1/ping", NULL, 200);
	g_assert_cmpstr(member(res, "realm"), ==, "programmer");
	g_assert_cmpstr(member(res, "subject"), ==, "NL3-0001");
	g_clear_pointer(&res, json_node_unref);

	order = make_order(oper, &prog, 1, 5, &product, &image);

	/* the signed image verifies against the product's key hash (what goes into OTP) */
	path = g_strdup_printf("/v1/products/%s", product);
	prod = cloud_test_json(oper, "GET", path, NULL, 200);
	{
		g_autoptr(GBytes) spki = unb64(member(prod, "public_key"));
		g_autofree gchar *hash_hex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, spki);
		guint8 hash[32];
		fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_KEY_HASH, .key_hash = hash};
		fwc_image_info info;
		g_assert_cmpstr(hash_hex, ==, member(prod, "key_hash"));
		for (guint i = 0; i < 32; i++)
			hash[i] = g_ascii_xdigit_value(hash_hex[2 * i]) << 4 |
				  g_ascii_xdigit_value(hash_hex[2 * i + 1]);
		g_assert_true(nusec_image_verify(image, &trust, &info, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(info.security_counter, ==, 7);
	}
	g_clear_pointer(&res, json_node_unref);
	g_free(path);
	path = g_strdup_printf("/v1/products/%s/firmware", product);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(res)), ==, 1);
	g_clear_pointer(&res, json_node_unref);

	/* the package, opened as the NuLink3 would */
	g_free(path);
	path = g_strdup_printf("/v1/orders/%s/packages", order);
	g_free(body);
	body = g_strdup_printf("{\"programmer\":\"%s\"}", prog->id);
	res = cloud_test_json(oper, "POST", path, body, 201);
	package = unb64(member(res, "package"));
	{
		g_autoptr(JsonNode) p = cloud_test_json(oper, "GET", "/v1/programmers", NULL, 200);
		g_assert_cmpuint(json_array_get_length(json_node_get_array(p)), ==, 1);
	}
	g_clear_pointer(&res, json_node_unref);
	{
		/* a second enrolment of the same serial is refused */
		g_autoptr(GBytes) bundle = programmer_bundle(prog);
		g_autofree gchar *bundle64 = b64(bundle);
		g_autofree gchar *b2 = g_strdup_printf("{\"bundle\":\"%s\"}", bundle64);
		cloud_test_expect_error(oper,
					"POST",
					"/v1/programmers",
					b2,
					409,
					"programmer_exists");
	}
	{
		/* the package public key, as an enrolment returns it in "setup" */
		g_autoptr(EVP_PKEY) tmp_ident = NULL;
		g_autofree gchar *kp = g_build_filename(server->state, "pk-probe-key.pem", NULL);
		g_autoptr(NuSecSigner) s = NULL;
		g_autoptr(GBytes) bundle = NULL;
		g_autofree gchar *bundle64 = NULL;
		g_autofree gchar *b2 = NULL;
		g_autoptr(JsonNode) enrol = NULL;
		g_autoptr(EVP_PKEY) e = EVP_EC_gen("P-256");
		g_autoptr(GBytes) ep = pkey_point(e);
		JsonObject *setup;
		tmp_ident = write_new_key(kp);
		s = nusec_pem_signer_new_from_file(kp, &error);
		g_assert_no_error(error);
		bundle = nusec_cloud_setup_bundle_build(s, "NL3-PROBE", ep, NULL, &error);
		g_assert_no_error(error);
		bundle64 = b64(bundle);
		b2 = g_strdup_printf("{\"bundle\":\"%s\"}", bundle64);
		enrol = cloud_test_json(oper, "POST", "/v1/programmers", b2, 201);
		setup = json_object_get_object_member(json_node_get_object(enrol), "setup");
		package_spki = unb64(json_object_get_string_member(setup, "package_public_key"));
	}
	m = nusec_cloud_package_open(prog->enc, prog->enc_point, package_spki, package, &error);
	g_assert_no_error(error);
	g_assert_nonnull(m);
	g_assert_cmpstr(m->order_id, ==, order);
	g_assert_cmpstr(m->programmer_serial, ==, "NL3-0001");
	g_assert_cmpstr(m->product_id, ==, product);
	g_assert_cmpuint(m->limit, ==, 5);
	g_assert_cmpuint(m->security_counter, ==, 7);
	g_assert_cmpstr(m->firmware_version, ==, "1.2.3+4");
	g_assert_cmpuint(m->image_size, ==, g_bytes_get_size(image));
	{
		g_autoptr(GBytes) sha = nusec_cloud_sha256(image);
		g_assert_true(g_bytes_equal(sha, m->image_sha256));
	}
	/* another programmer's key cannot open it */
	{
		g_autoptr(EVP_PKEY) wrong = EVP_EC_gen("P-256");
		g_autoptr(NuSecCloudManifest) none =
		    nusec_cloud_package_open(wrong, prog->enc_point, package_spki, package, &error);
		g_assert_null(none);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
		g_clear_error(&error);
	}

	/* sealed firmware: proof of the token from the package, opened with the enc key */
	{
		guint8 nonce_raw[16];
		g_autoptr(GBytes) nonce = NULL;
		g_autoptr(GBytes) proof = NULL;
		g_autofree gchar *n64 = NULL;
		g_autofree gchar *p64 = NULL;
		g_autoptr(GBytes) sealed = NULL;
		g_autoptr(GBytes) opened = NULL;
		for (guint i = 0; i < sizeof(nonce_raw); i++)
			nonce_raw[i] = g_random_int();
		nonce = g_bytes_new(nonce_raw, sizeof(nonce_raw));
		proof = nusec_cloud_fetch_proof(m->token, order, nonce);
		n64 = b64(nonce);
		p64 = b64(proof);
		g_free(body);
		body = g_strdup_printf("{\"order\":\"%s\",\"nonce\":\"%s\",\"proof\":\"%s\"}",
				       order,
				       n64,
				       p64);
		g_assert_cmpint(cloud_test_http(prog->client,
						"POST",
						"/v1/programmer/firmware",
						body,
						strlen(body),
						&sealed),
				==,
				200);
		opened =
		    nusec_cloud_firmware_open(prog->enc, prog->enc_point, order, sealed, &error);
		g_assert_no_error(error);
		g_assert_true(g_bytes_equal(opened, image));
		/* bound to the order: another order id in the AAD fails */
		g_clear_pointer(&opened, g_bytes_unref);
		opened =
		    nusec_cloud_firmware_open(prog->enc, prog->enc_point, "ord-x", sealed, &error);
		g_assert_null(opened);
		g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
		g_clear_error(&error);
		/* a wrong proof */
		g_free(body);
		body = g_strdup_printf("{\"order\":\"%s\",\"nonce\":\"%s\",\"proof\":\"%s\"}",
				       order,
				       p64,
				       n64);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/firmware",
					body,
					403,
					"bad_token_proof");
	}

	/* device certificate */
	csr = make_csr(dev_key, "CHIP-0001");
	g_free(body);
	body = device_request_body(prog, NULL, order, "CHIP-0001", csr, 1);
	res = cloud_test_json(prog->client, "POST", "/v1/programmer/devices", body, 201);
	check_device_certificate(server, res, "CHIP-0001", dev_key);
	cert_der = unb64(member(res, "certificate"));
	g_clear_pointer(&res, json_node_unref);
	/* the same request again (a lost response): the same certificate, no second unit */
	res = cloud_test_json(prog->client, "POST", "/v1/programmer/devices", body, 200);
	{
		g_autoptr(GBytes) again = unb64(member(res, "certificate"));
		g_assert_true(g_bytes_equal(again, cert_der));
	}
	g_clear_pointer(&res, json_node_unref);
	/* a different key for the same chip is refused */
	{
		g_autoptr(EVP_PKEY) k2 = EVP_EC_gen("P-256");
		g_autoptr(GBytes) csr2 = make_csr(k2, "CHIP-0001");
		g_autofree gchar *b2 = device_request_body(prog, NULL, order, "CHIP-0001", csr2, 2);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b2,
					409,
					"chip_already_provisioned");
	}
	g_free(path);
	path = g_strdup_printf("/v1/orders/%s", order);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	g_assert_cmpint(member_int(res, "used"), ==, 1);
	g_assert_cmpint(member_int(res, "remaining"), ==, 4);
	g_clear_pointer(&res, json_node_unref);

	/* birth receipt, signed by the device key */
	{
		g_autofree gchar *kp = g_build_filename(server->state, "dev-key.pem", NULL);
		BIO *bio = BIO_new_file(kp, "w");
		g_autoptr(NuSecSigner) dev = NULL;
		NuSecCloudReceipt r = {0};
		g_autoptr(GBytes) cose = NULL;
		g_autofree gchar *c64 = NULL;
		g_autoptr(GBytes) wrong_img =
		    g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
		PEM_write_bio_PrivateKey(bio, dev_key, NULL, NULL, 0, NULL, NULL);
		BIO_free(bio);
		dev = nusec_pem_signer_new_from_file(kp, &error);
		g_assert_no_error(error);
		r.chip_id = (gchar *)"CHIP-0001";
		r.cert_sha256 = nusec_cloud_sha256(cert_der);
		r.image_sha256 = wrong_img;
		r.lifecycle = 3;
		cose = nusec_cloud_receipt_build(dev, &r, &error);
		g_assert_no_error(error);
		c64 = b64(cose);
		g_free(body);
		body = g_strdup_printf("{\"chip_id\":\"CHIP-0001\",\"receipt\":\"%s\"}", c64);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/receipts",
					body,
					400,
					"receipt_image_mismatch");
		g_clear_pointer(&cose, g_bytes_unref);
		g_free(c64);
		r.image_sha256 = nusec_cloud_sha256(image);
		cose = nusec_cloud_receipt_build(dev, &r, &error);
		g_assert_no_error(error);
		c64 = b64(cose);
		g_free(body);
		body = g_strdup_printf("{\"chip_id\":\"CHIP-0001\",\"receipt\":\"%s\"}", c64);
		res = cloud_test_json(prog->client, "POST", "/v1/programmer/receipts", body, 201);
		g_clear_pointer(&res, json_node_unref);
		res = cloud_test_json(prog->client, "POST", "/v1/programmer/receipts", body, 200);
		g_clear_pointer(&res, json_node_unref);
		/* signed by another key */
		{
			g_autoptr(NuSecSigner) other = nusec_pem_signer_new_random(&error);
			g_autoptr(GBytes) forged = nusec_cloud_receipt_build(other, &r, &error);
			g_autofree gchar *f64 = b64(forged);
			g_autofree gchar *fb =
			    g_strdup_printf("{\"chip_id\":\"CHIP-0001\",\"receipt\":\"%s\"}", f64);
			cloud_test_expect_error(prog->client,
						"POST",
						"/v1/programmer/receipts",
						fb,
						400,
						"bad_receipt_signature");
		}
		g_bytes_unref(r.cert_sha256);
		g_bytes_unref(r.image_sha256);
	}

	/* devices list, with the receipt; exports */
	g_free(path);
	path = g_strdup_printf("/v1/devices?order=%s", order);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	{
		JsonArray *arr = json_node_get_array(res);
		JsonObject *d;
		g_assert_cmpuint(json_array_get_length(arr), ==, 1);
		d = json_array_get_object_element(arr, 0);
		g_assert_cmpstr(json_object_get_string_member(d, "chip_id"), ==, "CHIP-0001");
		g_assert_cmpstr(json_object_get_string_member(d, "programmer"), ==, prog->id);
		g_assert_true(json_object_has_member(d, "receipt"));
		g_assert_cmpint(
		    json_object_get_int_member(json_object_get_object_member(d, "receipt"),
					       "lifecycle"),
		    ==,
		    3);
	}
	g_clear_pointer(&res, json_node_unref);
	{
		g_autoptr(GBytes) pem = NULL;
		g_autoptr(GBytes) csv = NULL;
		g_autofree gchar *p1 = g_strdup_printf("/v1/orders/%s/certificates.pem", order);
		g_autofree gchar *p2 = g_strdup_printf("/v1/orders/%s/certificates.csv", order);
		g_autoptr(X509) c = NULL;
		g_assert_cmpint(cloud_test_http(oper, "GET", p1, NULL, 0, &pem), ==, 200);
		c = nusec_cloud_x509_from_pem(g_bytes_get_data(pem, NULL),
					      g_bytes_get_size(pem),
					      &error);
		g_assert_no_error(error);
		{
			g_autoptr(GBytes) d = nusec_cloud_x509_to_der(c);
			g_assert_true(g_bytes_equal(d, cert_der));
		}
		g_assert_cmpint(cloud_test_http(oper, "GET", p2, NULL, 0, &csv), ==, 200);
		g_assert_nonnull(g_strstr_len(g_bytes_get_data(csv, NULL),
					      g_bytes_get_size(csv),
					      "\nCHIP-0001,"));
	}

	/* abort of a unit never certified: recorded once, credit signed by the package key */
	{
		NuSecCloudAbort ab = {.order_id = order,
				      .chip_id = (gchar *)"CHIP-0002",
				      .reason = (gchar *)"attestation failed"};
		g_autoptr(GBytes) cose = nusec_cloud_abort_build(prog->identity, &ab, &error);
		g_autofree gchar *a64 = b64(cose);
		g_autoptr(GBytes) credit = NULL;
		g_autoptr(GBytes) payload = NULL;
		g_autoptr(GBytes) ext = g_bytes_new_static("nusec credit v1", 15);
		g_assert_no_error(error);
		g_free(body);
		body = g_strdup_printf("{\"abort\":\"%s\"}", a64);
		res = cloud_test_json(prog->client, "POST", "/v1/programmer/aborts", body, 201);
		g_assert_cmpint(member_int(res, "credited_total"), ==, 1);
		credit = unb64(member(res, "credit"));
		g_assert_true(nusec_cose_sign1_verify(credit, package_spki, ext, &payload, &error));
		g_assert_no_error(error);
		g_clear_pointer(&res, json_node_unref);
		res = cloud_test_json(prog->client, "POST", "/v1/programmer/aborts", body, 200);
		g_assert_cmpint(member_int(res, "credited_total"), ==, 1);
		g_clear_pointer(&res, json_node_unref);
		/* a certified chip cannot be aborted */
		ab.chip_id = (gchar *)"CHIP-0001";
		g_clear_pointer(&cose, g_bytes_unref);
		cose = nusec_cloud_abort_build(prog->identity, &ab, &error);
		g_free(a64);
		a64 = b64(cose);
		g_free(body);
		body = g_strdup_printf("{\"abort\":\"%s\"}", a64);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/aborts",
					body,
					409,
					"chip_certified");
	}
	g_free(path);
	path = g_strdup_printf("/v1/orders/%s", order);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	g_assert_cmpint(member_int(res, "aborted"), ==, 1);
	g_assert_cmpint(member_int(res, "receipts"), ==, 1);
	g_clear_pointer(&res, json_node_unref);

	/* revocation takes effect at once */
	g_free(path);
	path = g_strdup_printf("/v1/programmers/%s/revoke", prog->id);
	res = cloud_test_json(oper, "POST", path, NULL, 200);
	g_assert_cmpstr(member(res, "state"), ==, "revoked");
	g_clear_pointer(&res, json_node_unref);
	{
		g_autoptr(EVP_PKEY) k3 = EVP_EC_gen("P-256");
		g_autoptr(GBytes) csr3 = make_csr(k3, "CHIP-0003");
		g_autofree gchar *b3 = device_request_body(prog, NULL, order, "CHIP-0003", csr3, 3);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b3,
					403,
					"programmer_revoked");
	}

	/* the audit log verifies, through the API and the CLI */
	res = cloud_test_json(oper, "GET", "/v1/audit/verify", NULL, 200);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(res), "ok"));
	g_assert_cmpint(member_int(res, "entries"), >=, 10);
	g_assert_cmpint(member_int(res, "checkpoints"), >=, 1);
	g_clear_pointer(&res, json_node_unref);
	res = cloud_test_json(oper, "GET", "/v1/audit?after=0&limit=3", NULL, 200);
	{
		JsonArray *arr = json_node_get_array(res);
		g_assert_cmpuint(json_array_get_length(arr), ==, 3);
		g_assert_cmpstr(
		    json_object_get_string_member(json_array_get_object_element(arr, 0), "action"),
		    ==,
		    "cloud.init");
		g_assert_cmpstr(
		    json_object_get_string_member(json_array_get_object_element(arr, 1), "action"),
		    ==,
		    "programmer.enrol");
	}
	g_clear_pointer(&res, json_node_unref);
	{
		const gchar *argv[] =
		    {cloud_binary, "audit", "verify", "--state", server->state, NULL};
		g_autofree gchar *out = NULL;
		g_autofree gchar *err = NULL;
		gint status = 0;
		cloud_test_run(argv, &out, &err, &status);
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		g_assert_nonnull(strstr(out, "audit log OK"));
	}

	/* cancelling the order stops issuing */
	{
		g_autoptr(TestProgrammer) p2 = test_programmer_new(server, oper, "NL3-0003");
		TestProgrammer *arr[] = {p2};
		g_autofree gchar *o2 = make_order(oper, arr, 1, 3, NULL, NULL);
		g_autofree gchar *cp = g_strdup_printf("/v1/orders/%s/cancel", o2);
		g_autoptr(EVP_PKEY) k4 = EVP_EC_gen("P-256");
		g_autoptr(GBytes) csr4 = make_csr(k4, "CHIP-0004");
		g_autofree gchar *b4 = device_request_body(p2, NULL, o2, "CHIP-0004", csr4, 1);
		g_autoptr(JsonNode) c = cloud_test_json(oper, "POST", cp, NULL, 200);
		g_assert_cmpstr(member(c, "state"), ==, "cancelled");
		cloud_test_expect_error(p2->client,
					"POST",
					"/v1/programmer/devices",
					b4,
					409,
					"order_cancelled");
		cloud_test_expect_error(oper, "POST", cp, NULL, 409, "order_cancelled");
	}
}

/* ---- bad input ---- */

static void
test_api_errors(gconstpointer data)
{
	g_autoptr(CloudTestServer) server = cloud_test_server_new(data);
	g_autoptr(CloudTestClient) oper = NULL;
	g_autoptr(CloudTestClient) anon = NULL;
	g_autoptr(TestProgrammer) prog = NULL;
	g_autoptr(TestProgrammer) other = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *order = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(EVP_PKEY) k = EVP_EC_gen("P-256");
	g_autoptr(GBytes) csr = NULL;

	if (server == NULL)
		return;
	oper = operator_client(server);
	anon = cloud_test_client_new(server, NULL, NULL);
	prog = test_programmer_new(server, oper, "NL3-E1");
	other = test_programmer_new(server, oper, "NL3-E2");
	order = make_order(oper, &prog, 1, 2, NULL, NULL);

	/* no client certificate, unknown paths */
	cloud_test_expect_error(anon, "GET", "/v1/ping", NULL, 403, "client_certificate");
	cloud_test_expect_error(oper, "GET", "/v1/nothing", NULL, 404, "not_found");
	cloud_test_expect_error(oper, "GET", "/v2/ping", NULL, 404, "not_found");
	cloud_test_expect_error(oper, "GET", "/v1/orders/ord-none", NULL, 404, "order_not_found");

	/* malformed JSON and fields */
	cloud_test_expect_error(oper, "POST", "/v1/products", "{\"name\":", 400, "invalid_json");
	cloud_test_expect_error(oper, "POST", "/v1/products", "[1,2]", 400, "invalid_json");
	cloud_test_expect_error(oper, "POST", "/v1/products", "{}", 400, "missing_field");
	cloud_test_expect_error(oper, "POST", "/v1/products", "{\"name\":5}", 400, "bad_field");
	cloud_test_expect_error(oper,
				"POST",
				"/v1/programmers",
				"{\"bundle\":\"@@@@\"}",
				400,
				"bad_field");
	cloud_test_expect_error(oper,
				"POST",
				"/v1/programmers",
				"{\"bundle\":\"AAAA\"}",
				400,
				"bad_bundle");
	{
		/* a bundle whose signature is not by the key it carries */
		g_autoptr(NuSecSigner) rnd = nusec_pem_signer_new_random(&error);
		g_autoptr(GBytes) bundle = NULL;
		g_autoptr(GByteArray) tampered = NULL;
		g_autofree gchar *b64t = NULL;
		g_autofree gchar *bb = NULL;
		bundle =
		    nusec_cloud_setup_bundle_build(rnd, "NL3-X", prog->enc_point, NULL, &error);
		g_assert_no_error(error);
		tampered = g_byte_array_new();
		g_byte_array_append(tampered,
				    g_bytes_get_data(bundle, NULL),
				    g_bytes_get_size(bundle));
		tampered->data[tampered->len - 1] ^= 0x01;
		b64t = g_base64_encode(tampered->data, tampered->len);
		bb = g_strdup_printf("{\"bundle\":\"%s\"}", b64t);
		cloud_test_expect_error(oper,
					"POST",
					"/v1/programmers",
					bb,
					400,
					"bad_bundle_signature");
	}

	/* wrong realm both ways */
	cloud_test_expect_error(prog->client, "GET", "/v1/products", NULL, 403, "wrong_realm");
	cloud_test_expect_error(prog->client, "POST", "/v1/orders", "{}", 403, "wrong_realm");
	cloud_test_expect_error(oper, "POST", "/v1/programmer/devices", "{}", 403, "wrong_realm");

	/* device requests: bad signature, other programmer, CSR subject, not in order */
	csr = make_csr(k, "CHIP-E1");
	{
		g_autoptr(NuSecSigner) rnd = nusec_pem_signer_new_random(&error);
		g_autofree gchar *b = device_request_body(prog, rnd, order, "CHIP-E1", csr, 1);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b,
					400,
					"bad_request_signature");
	}
	{
		g_autofree gchar *b = device_request_body(prog, NULL, order, "CHIP-E2", csr, 1);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b,
					400,
					"bad_csr");
	}
	{
		g_autoptr(GBytes) junk = g_bytes_new_static("\x30\x03\x02\x01\x01", 5);
		g_autofree gchar *b = device_request_body(prog, NULL, order, "CHIP-E1", junk, 1);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b,
					400,
					"bad_csr");
	}
	{
		g_autofree gchar *b = device_request_body(other, NULL, order, "CHIP-E1", csr, 1);
		cloud_test_expect_error(other->client,
					"POST",
					"/v1/programmer/devices",
					b,
					403,
					"programmer_not_in_order");
	}
	{
		/* a request signed by the right key but naming another programmer */
		g_autofree gchar *saved = prog->serial;
		g_autofree gchar *b = NULL;
		prog->serial = g_strdup("NL3-E2");
		b = device_request_body(prog, NULL, order, "CHIP-E1", csr, 1);
		g_free(prog->serial);
		prog->serial = g_steal_pointer(&saved);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b,
					400,
					"wrong_programmer");
	}
	{
		g_autofree gchar *b =
		    device_request_body(prog, NULL, "ord-none", "CHIP-E1", csr, 1);
		cloud_test_expect_error(prog->client,
					"POST",
					"/v1/programmer/devices",
					b,
					404,
					"order_not_found");
	}
	cloud_test_expect_error(prog->client,
				"POST",
				"/v1/programmer/devices",
				"{\"request\":\"AAAA\"}",
				400,
				"bad_request");

	/* quota: limit 2 */
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *chip = g_strdup_printf("CHIP-Q%u", i);
		g_autoptr(EVP_PKEY) kq = EVP_EC_gen("P-256");
		g_autoptr(GBytes) cq = make_csr(kq, chip);
		g_autofree gchar *b = device_request_body(prog, NULL, order, chip, cq, i + 1);
		if (i < 2) {
			g_autoptr(JsonNode) r =
			    cloud_test_json(prog->client, "POST", "/v1/programmer/devices", b, 201);
		} else {
			cloud_test_expect_error(prog->client,
						"POST",
						"/v1/programmer/devices",
						b,
						409,
						"quota_exhausted");
		}
	}

	/* a NuLink3 with a separate request key (issue 4's KeyStore: TLS, request, encryption):
	 * enrolment needs both signatures over one payload, requests are checked with the
	 * request key only */
	{
		g_autofree gchar *kp = g_build_filename(server->state, "NL3-R-key.pem", NULL);
		g_autofree gchar *cp = g_build_filename(server->state, "NL3-R.pem", NULL);
		g_autoptr(EVP_PKEY) tls = write_new_key(kp);
		g_autoptr(NuSecSigner) tls_signer = nusec_pem_signer_new_from_file(kp, &error);
		g_autoptr(NuSecSigner) req_signer = nusec_pem_signer_new_random(&error);
		g_autoptr(EVP_PKEY) e = EVP_EC_gen("P-256");
		g_autoptr(GBytes) ep = pkey_point(e);
		g_autoptr(GBytes) rb = NULL;
		g_autoptr(GBytes) wrong_rb = NULL;
		g_autoptr(GBytes) bundle = nusec_cloud_setup_bundle_build_full(tls_signer,
									       req_signer,
									       "NL3-R",
									       ep,
									       NULL,
									       &rb,
									       &error);
		g_autofree gchar *b1 = b64(bundle);
		g_autofree gchar *r1 = b64(rb);
		g_autofree gchar *w1 = NULL;
		g_autofree gchar *body1 = g_strdup_printf("{\"bundle\":\"%s\"}", b1);
		g_autofree gchar *body2 = NULL;
		g_autofree gchar *body3 = NULL;
		g_autoptr(JsonNode) enrol = NULL;
		g_autoptr(TestProgrammer) rp = g_new0(TestProgrammer, 1);
		TestProgrammer *arr[1];
		g_autofree gchar *o2 = NULL;
		g_assert_no_error(error);
		cloud_test_expect_error(oper,
					"POST",
					"/v1/programmers",
					body1,
					400,
					"missing_field");
		/* the TLS signature where the request key's should be */
		w1 = b64(bundle);
		body3 = g_strdup_printf("{\"bundle\":\"%s\",\"request_bundle\":\"%s\"}", b1, w1);
		cloud_test_expect_error(oper,
					"POST",
					"/v1/programmers",
					body3,
					400,
					"bad_bundle_signature");
		(void)wrong_rb;
		body2 = g_strdup_printf("{\"bundle\":\"%s\",\"request_bundle\":\"%s\"}", b1, r1);
		enrol = cloud_test_json(oper, "POST", "/v1/programmers", body2, 201);
		g_assert_true(g_file_set_contents(cp, member(enrol, "certificate"), -1, NULL));
		rp->serial = g_strdup("NL3-R");
		rp->id = g_strdup(member(enrol, "id"));
		rp->key_path = g_strdup(kp);
		rp->cert_path = g_strdup(cp);
		rp->identity = g_object_ref(req_signer);
		rp->client = cloud_test_client_new(server, cp, kp);
		arr[0] = rp;
		o2 = make_order(oper, arr, 1, 2, NULL, NULL);
		{
			g_autoptr(EVP_PKEY) kr = EVP_EC_gen("P-256");
			g_autoptr(GBytes) cr = make_csr(kr, "CHIP-R1");
			g_autofree gchar *by_tls =
			    device_request_body(rp, tls_signer, o2, "CHIP-R1", cr, 1);
			g_autofree gchar *by_req =
			    device_request_body(rp, NULL, o2, "CHIP-R1", cr, 1);
			g_autoptr(JsonNode) ok = NULL;
			cloud_test_expect_error(rp->client,
						"POST",
						"/v1/programmer/devices",
						by_tls,
						400,
						"bad_request_signature");
			ok = cloud_test_json(rp->client,
					     "POST",
					     "/v1/programmer/devices",
					     by_req,
					     201);
		}
	}

	/* oversized body: 413, declared (Content-Length) */
	{
		gsize big = 2 * 1024 * 1024;
		g_autofree gchar *huge = g_malloc(big + 1);
		g_autoptr(GBytes) out = NULL;
		memset(huge, 'a', big);
		huge[big] = '\0';
		g_assert_cmpint(cloud_test_http(oper, "POST", "/v1/products", huge, big, &out),
				==,
				413);
		g_assert_nonnull(g_strstr_len(g_bytes_get_data(out, NULL),
					      g_bytes_get_size(out),
					      "body_too_large"));
	}
	/* and the server still answers */
	{
		g_autoptr(JsonNode) r = cloud_test_json(oper, "GET", "/v1/ping", NULL, 200);
	}
}

/* ---- 16 concurrent programmers on one order of limit 500 ---- */

typedef struct {
	TestProgrammer *prog;
	const gchar *order;
	guint index;
	gint issued;
	gint refused;
	gint other;
} ConcurrentWorker;

static gpointer
concurrent_worker(gpointer data)
{
	ConcurrentWorker *w = data;
	g_autoptr(CloudTestClient) client =
	    cloud_test_client_new(w->prog->client->server, w->prog->cert_path, w->prog->key_path);
	for (guint i = 0;; i++) {
		g_autofree gchar *chip = g_strdup_printf("CC-%02u-%05u", w->index, i);
		g_autoptr(EVP_PKEY) k = EVP_EC_gen("P-256");
		g_autoptr(GBytes) csr = make_csr(k, chip);
		g_autofree gchar *body = device_request_body(w->prog, NULL, w->order, chip, csr, i);
		g_autoptr(GBytes) out = NULL;
		long status = cloud_test_http(client,
					      "POST",
					      "/v1/programmer/devices",
					      body,
					      strlen(body),
					      &out);
		if (status == 201) {
			w->issued++;
		} else if (status == 409 && g_strstr_len(g_bytes_get_data(out, NULL),
							 g_bytes_get_size(out),
							 "quota_exhausted") != NULL) {
			w->refused++;
			return NULL;
		} else {
			g_printerr("unexpected HTTP %ld: %.*s\n",
				   status,
				   (int)g_bytes_get_size(out),
				   (const gchar *)g_bytes_get_data(out, NULL));
			w->other++;
			return NULL;
		}
	}
}

static void
test_api_concurrent(gconstpointer data)
{
	g_autoptr(CloudTestServer) server = cloud_test_server_new(data);
	g_autoptr(CloudTestClient) oper = NULL;
	TestProgrammer *progs[16] = {NULL};
	ConcurrentWorker workers[16] = {0};
	GThread *threads[16];
	g_autofree gchar *order = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(JsonNode) res = NULL;
	gint total = 0;
	guint devices = 0;

	if (server == NULL)
		return;
	oper = operator_client(server);
	for (guint i = 0; i < G_N_ELEMENTS(progs); i++) {
		g_autofree gchar *serial = g_strdup_printf("NL3-C%02u", i);
		progs[i] = test_programmer_new(server, oper, serial);
	}
	order = make_order(oper, progs, G_N_ELEMENTS(progs), 500, NULL, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(workers); i++) {
		workers[i].prog = progs[i];
		workers[i].order = order;
		workers[i].index = i;
		threads[i] = g_thread_new("programmer", concurrent_worker, &workers[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(workers); i++) {
		g_thread_join(threads[i]);
		total += workers[i].issued;
		g_assert_cmpint(workers[i].other, ==, 0);
		g_assert_cmpint(workers[i].refused, ==, 1);
	}
	g_assert_cmpint(total, ==, 500);
	path = g_strdup_printf("/v1/orders/%s", order);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	g_assert_cmpint(member_int(res, "used"), ==, 500);
	g_assert_cmpint(member_int(res, "remaining"), ==, 0);
	g_clear_pointer(&res, json_node_unref);
	for (guint offset = 0;; offset += 1000) {
		g_autofree gchar *p =
		    g_strdup_printf("/v1/devices?order=%s&limit=1000&offset=%u", order, offset);
		g_autoptr(JsonNode) list = cloud_test_json(oper, "GET", p, NULL, 200);
		guint n = json_array_get_length(json_node_get_array(list));
		devices += n;
		if (n < 1000)
			break;
	}
	g_assert_cmpuint(devices, ==, 500);
	res = cloud_test_json(oper, "GET", "/v1/audit/verify", NULL, 200);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(res), "ok"));
	for (guint i = 0; i < G_N_ELEMENTS(progs); i++)
		test_programmer_free(progs[i]);
}

/* ---- kill -9 loses nothing committed, issues nothing twice; audit tampering ---- */

static void
test_api_crash_and_tamper(gconstpointer data)
{
	g_autoptr(CloudTestServer) server = cloud_test_server_new(data);
	g_autoptr(CloudTestClient) oper = NULL;
	g_autoptr(TestProgrammer) prog = NULL;
	g_autofree gchar *order = NULL;
	g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autofree gchar *path = NULL;
	g_autoptr(JsonNode) res = NULL;

	if (server == NULL)
		return;
	oper = operator_client(server);
	prog = test_programmer_new(server, oper, "NL3-K1");
	order = make_order(oper, &prog, 1, 10, NULL, NULL);
	for (guint i = 0; i < 5; i++) {
		g_autofree gchar *chip = g_strdup_printf("CHIP-K%u", i);
		g_autoptr(EVP_PKEY) k = EVP_EC_gen("P-256");
		g_autoptr(GBytes) csr = make_csr(k, chip);
		gchar *body = device_request_body(prog, NULL, order, chip, csr, i + 1);
		g_autoptr(JsonNode) r =
		    cloud_test_json(prog->client, "POST", "/v1/programmer/devices", body, 201);
		g_ptr_array_add(certs, unb64(member(r, "certificate")));
		g_ptr_array_add(bodies, body);
	}
	cloud_test_server_stop(server, TRUE);
	cloud_test_server_start(server);
	/* a fresh handle: the old keep-alive connection died with the server */
	cloud_test_client_free(prog->client);
	prog->client = cloud_test_client_new(server, prog->cert_path, prog->key_path);
	cloud_test_client_free(oper);
	oper = operator_client(server);
	for (guint i = 0; i < bodies->len; i++) {
		g_autoptr(JsonNode) r = cloud_test_json(prog->client,
							"POST",
							"/v1/programmer/devices",
							g_ptr_array_index(bodies, i),
							200);
		g_autoptr(GBytes) again = unb64(member(r, "certificate"));
		g_assert_true(g_bytes_equal(again, g_ptr_array_index(certs, i)));
	}
	path = g_strdup_printf("/v1/orders/%s", order);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	g_assert_cmpint(member_int(res, "used"), ==, 5);
	g_clear_pointer(&res, json_node_unref);
	cloud_test_server_stop(server, FALSE);

	/* edit one audit entry behind the cloud's back: `audit verify` must fail */
	{
		const gchar *argv[] =
		    {cloud_binary, "audit", "verify", "--state", server->state, NULL};
		g_autofree gchar *out = NULL;
		g_autofree gchar *err = NULL;
		gint status = 0;
		cloud_test_run(argv, &out, &err, &status);
		g_assert_true(g_spawn_check_wait_status(status, NULL));
		if (server->db->schema != NULL) {
			g_autofree gchar *sql =
			    g_strdup_printf("UPDATE %s.audit SET detail = '{}' WHERE seq = 3",
					    server->db->schema);
			g_assert_true(cloud_test_pg_exec(sql));
		} else {
			g_autofree gchar *dbp = g_build_filename(server->db->dir, "cloud.db", NULL);
			sqlite3 *db = NULL;
			g_assert_cmpint(sqlite3_open(dbp, &db), ==, SQLITE_OK);
			g_assert_cmpint(sqlite3_exec(db,
						     "UPDATE audit SET detail = '{}' WHERE seq = 3",
						     NULL,
						     NULL,
						     NULL),
					==,
					SQLITE_OK);
			g_assert_cmpint(sqlite3_changes(db), ==, 1);
			sqlite3_close(db);
		}
		g_free(out);
		g_free(err);
		out = NULL;
		err = NULL;
		cloud_test_run(argv, &out, &err, &status);
		g_assert_false(g_spawn_check_wait_status(status, NULL));
		g_assert_nonnull(strstr(err, "entry 3 was modified"));
	}
}

/* ---- the database connection breaks under the server: 503, nothing half-written ---- */

static void
test_api_db_lost(void)
{
	g_autoptr(CloudTestServer) server = cloud_test_server_new("postgresql");
	g_autoptr(CloudTestClient) oper = NULL;
	g_autoptr(TestProgrammer) prog = NULL;
	g_autofree gchar *order = NULL;
	g_autofree gchar *kill_sql = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(JsonNode) res = NULL;
	guint issued = 0, unavailable = 0;

	if (server == NULL)
		return;
	oper = operator_client(server);
	prog = test_programmer_new(server, oper, "NL3-DB");
	order = make_order(oper, &prog, 1, 50, NULL, NULL);
	kill_sql = g_strdup_printf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
				   " WHERE application_name = '%s'",
				   server->db->schema);
	for (guint i = 0; i < 12; i++) {
		g_autofree gchar *chip = g_strdup_printf("CHIP-DB%u", i);
		g_autoptr(EVP_PKEY) k = EVP_EC_gen("P-256");
		g_autoptr(GBytes) csr = make_csr(k, chip);
		g_autofree gchar *body = device_request_body(prog, NULL, order, chip, csr, i + 1);
		g_autoptr(GBytes) out = NULL;
		long status;
		/* every third request, every connection of this cloud is cut first */
		if (i % 3 == 1) {
			PGconn *pg = PQconnectdb(g_getenv("NUSEC_TEST_PG"));
			PGresult *r = PQexec(pg, kill_sql);
			g_assert_cmpint(PQresultStatus(r), ==, PGRES_TUPLES_OK);
			PQclear(r);
			PQfinish(pg);
		}
		for (guint attempt = 0; attempt < 40; attempt++) {
			g_clear_pointer(&out, g_bytes_unref);
			status = cloud_test_http(prog->client,
						 "POST",
						 "/v1/programmer/devices",
						 body,
						 strlen(body),
						 &out);
			if (status == 201) {
				issued++;
				break;
			}
			g_assert_cmpint(status, ==, 503);
			g_assert_nonnull(g_strstr_len(g_bytes_get_data(out, NULL),
						      g_bytes_get_size(out),
						      "database_unavailable"));
			unavailable++;
		}
		g_assert_cmpint(status, ==, 201);
	}
	g_assert_cmpuint(issued, ==, 12);
	g_assert_cmpuint(unavailable, >, 0);
	/* exactly one unit per device: no failed attempt spent anything */
	path = g_strdup_printf("/v1/orders/%s", order);
	res = cloud_test_json(oper, "GET", path, NULL, 200);
	g_assert_cmpint(member_int(res, "used"), ==, 12);
	g_clear_pointer(&res, json_node_unref);
	res = cloud_test_json(oper, "GET", "/v1/audit/verify", NULL, 200);
	g_assert_true(json_object_get_boolean_member(json_node_get_object(res), "ok"));
}

int
main(int argc, char **argv)
{
	const gchar *kinds[] = {"sqlite", "postgresql"};
	/* the last argument (from meson) is the nusec-cloud binary */
	if (argc >= 2 && argv[argc - 1][0] != '-') {
		cloud_binary = argv[argc - 1];
		argc--;
	}
	if (cloud_binary == NULL)
		cloud_binary = g_getenv("NUSEC_CLOUD");
	g_test_init(&argc, &argv, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cloud_binary == NULL) {
		g_printerr("usage: test-cloud-api PATH-TO-nusec-cloud\n");
		return 1;
	}
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree gchar *p1 = g_strdup_printf("/cloud/api/%s/flow", kinds[i]);
		g_autofree gchar *p2 = g_strdup_printf("/cloud/api/%s/errors", kinds[i]);
		g_autofree gchar *p3 = g_strdup_printf("/cloud/api/%s/concurrent", kinds[i]);
		g_autofree gchar *p4 = g_strdup_printf("/cloud/api/%s/crash-and-tamper", kinds[i]);
		g_test_add_data_func(p1, kinds[i], test_api_flow);
		g_test_add_data_func(p2, kinds[i], test_api_errors);
		g_test_add_data_func(p3, kinds[i], test_api_concurrent);
		g_test_add_data_func(p4, kinds[i], test_api_crash_and_tamper);
	}
	g_test_add_func("/cloud/api/postgresql/db-lost", test_api_db_lost);
	return g_test_run();
}
