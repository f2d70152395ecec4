/*
 * nulink3-sim as a process: setup and lock with every refusal in the wrong state, the three
 * keys checked with OpenSSL and COSE, SIGN_TLS, keys and state sealed at rest (tampering and
 * rollback refused), factory reset; package import with packages built by the cloud's own
 * code (server/nusec-cloud-formats.c) and each refusal; firmware load and proof against the
 * cloud's sealing and proof functions; malformed frames.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "fwc-cose.h"
#include "fwc-link.h"
#include "nl3-test-util.h"
#include "nusec-cloud-formats.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"
#include "target-test-util.h"

#define NOW 1700000000ull

static void
sim_with_time(Nl3Sim *s)
{
	g_ptr_array_add(s->extra, g_strdup("--time"));
	g_ptr_array_add(s->extra, g_strdup_printf("%llu", NOW));
}

/* ------------------------------------------------------------------------------------------ */

static void
test_sim_setup(void)
{
	g_auto(Nl3Pki) pki;
	g_auto(Nl3Sim) s;
	g_autoptr(GBytes) info = NULL;
	g_autoptr(GBytes) begin = NULL;
	g_autoptr(GBytes) begin2 = NULL;
	g_autoptr(GBytes) csr = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GBytes) sig2 = NULL;
	g_autofree gchar *cn = NULL;
	g_autofree gchar *serial = NULL;
	guint8 csr_point[65];
	guint8 digest[32];
	Nl3Keys keys;

	nl3_pki_init(&pki);
	nl3_sim_init(&s, &pki, "p1", "NL3-0001");
	g_assert_true(nl3_sim_start(&s, NULL));

	/* blank: GET_INFO, and every other command refused for the right reason */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, &info), FWN_RC_OK);
	serial = nl3_get_tstr(info, 2);
	g_assert_cmpstr(serial, ==, "NL3-0001");
	g_assert_cmpuint(nl3_get_uint(info, 5), ==, 0);
	g_assert_cmpuint(nl3_get_uint(info, 6), ==, 4);
	memset(digest, 0x11, sizeof(digest));
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, NULL), FWN_RC_NOT_SET_UP);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_LOCK, NULL, 0, NULL), FWN_RC_NOT_SET_UP);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_INSTALL, (const guint8 *)"\xa0", 1, NULL),
		      FWN_RC_NOT_SET_UP);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_PACKAGE_IMPORT, (const guint8 *)"\x80", 1, NULL),
		      FWN_RC_NOT_LOCKED);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_DEVICE_BEGIN, (const guint8 *)"\xa0", 1, NULL),
		      FWN_RC_NOT_LOCKED);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, (const guint8 *)"x", 1, NULL),
		      FWN_RC_BAD_LENGTH);
	nl3_assert_rc(nl3_xfer(&s, 0x55, NULL, 0, NULL), FWN_RC_UNKNOWN_COMMAND);

	/* SETUP_BEGIN: the CSR of the TLS key, and the three keys bound by two signatures */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_BEGIN, NULL, 0, &begin), FWN_RC_OK);
	csr = nl3_get_bstr(begin, 2);
	tt_check_csr(g_bytes_get_data(csr, NULL), g_bytes_get_size(csr), &cn, csr_point);
	g_assert_cmpstr(cn, ==, "NL3-0001");
	{
		g_autoptr(GBytes) tls = nl3_get_bstr(begin, 5);
		g_autoptr(GBytes) req = nl3_get_bstr(begin, 6);
		g_autoptr(GBytes) enc = nl3_get_bstr(begin, 7);
		g_autoptr(GBytes) by_tls = nl3_get_bstr(begin, 3);
		g_autoptr(GBytes) by_req = nl3_get_bstr(begin, 4);
		const gchar *aad = "nusec setup bundle v1";
		fwc_cose_sign1 p1, p2, p3;
		g_autoptr(GBytes) pl = NULL;
		g_autoptr(GBytes) pt = NULL;
		g_autoptr(GBytes) pe = NULL;
		g_autoptr(GBytes) pr = NULL;
		g_assert_cmpmem(g_bytes_get_data(tls, NULL), 65, csr_point, 65);
		g_assert_false(g_bytes_equal(tls, req));
		g_assert_false(g_bytes_equal(tls, enc));
		g_assert_false(g_bytes_equal(req, enc));
		g_assert_cmpint(fwc_cose_sign1_verify(g_bytes_get_data(by_tls, NULL),
						      g_bytes_get_size(by_tls),
						      (const guint8 *)aad,
						      strlen(aad),
						      g_bytes_get_data(tls, NULL),
						      FWC_COSE_FLAG_TAG_REQUIRED,
						      &p1),
				==,
				FWC_COSE_OK);
		g_assert_cmpint(fwc_cose_sign1_verify(g_bytes_get_data(by_req, NULL),
						      g_bytes_get_size(by_req),
						      (const guint8 *)aad,
						      strlen(aad),
						      g_bytes_get_data(req, NULL),
						      FWC_COSE_FLAG_TAG_REQUIRED,
						      &p2),
				==,
				FWC_COSE_OK);
		/* the request key does not verify the TLS key's bundle and vice versa */
		g_assert_cmpint(fwc_cose_sign1_verify(g_bytes_get_data(by_tls, NULL),
						      g_bytes_get_size(by_tls),
						      (const guint8 *)aad,
						      strlen(aad),
						      g_bytes_get_data(req, NULL),
						      FWC_COSE_FLAG_TAG_REQUIRED,
						      &p3),
				==,
				FWC_COSE_ERR_SIGNATURE);
		/* one payload, holding all three keys */
		g_assert_cmpmem(p1.payload, p1.payload_len, p2.payload, p2.payload_len);
		pl = g_bytes_new(p1.payload, p1.payload_len);
		pt = nl3_get_bstr(pl, 3);
		pe = nl3_get_bstr(pl, 4);
		pr = nl3_get_bstr(pl, 6);
		g_assert_true(g_bytes_equal(pt, tls));
		g_assert_true(g_bytes_equal(pe, enc));
		g_assert_true(g_bytes_equal(pr, req));
		g_assert_cmpuint(nl3_get_uint(pl, 1), ==, 1);
		/* the cloud's own parser accepts it: both signatures, the three keys */
		{
			g_autoptr(GError) error = NULL;
			g_autoptr(NuSecCloudSetupBundle) b =
			    nusec_cloud_setup_bundle_parse(by_tls, &error);
			g_assert_no_error(error);
			g_assert_cmpstr(b->serial, ==, "NL3-0001");
			g_assert_true(g_bytes_equal(b->identity_point, tls));
			g_assert_true(g_bytes_equal(b->encryption_point, enc));
			g_assert_nonnull(b->request_point);
			g_assert_true(g_bytes_equal(b->request_point, req));
			g_assert_true(nusec_cloud_setup_bundle_check_request(b, by_req, &error));
			g_assert_no_error(error);
			g_assert_false(nusec_cloud_setup_bundle_check_request(b, by_tls, &error));
			g_assert_nonnull(error);
		}
	}
	/* again before lock: the same keys (an interrupted setup resumes) */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_BEGIN, NULL, 0, &begin2), FWN_RC_OK);
	{
		g_autoptr(GBytes) a = nl3_get_bstr(begin, 5);
		g_autoptr(GBytes) b = nl3_get_bstr(begin2, 5);
		g_autoptr(GBytes) e1 = nl3_get_bstr(begin, 7);
		g_autoptr(GBytes) e2 = nl3_get_bstr(begin2, 7);
		g_assert_true(g_bytes_equal(a, b));
		g_assert_true(g_bytes_equal(e1, e2));
	}
	/* SIGN_TLS needs the certificate; LOCK needs INSTALL */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, NULL), FWN_RC_NOT_INSTALLED);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_LOCK, NULL, 0, NULL), FWN_RC_NOT_INSTALLED);
	/* a certificate for another key is refused */
	{
		g_autoptr(EVP_PKEY) other = tt_random_key();
		g_autoptr(GBytes) cert = tt_make_cert(other, pki.cloud_ca_key, "NL3-0001");
		g_autoptr(GBytes) bad = NULL;
		Nl3Cbor c;
		nl3_cbor_init(&c);
		fwc_cbor_write_map(&c.w, 4);
		fwc_cbor_write_uint(&c.w, 1);
		fwc_cbor_write_bstr(&c.w, g_bytes_get_data(cert, NULL), g_bytes_get_size(cert));
		fwc_cbor_write_uint(&c.w, 2);
		fwc_cbor_write_array(&c.w, 1);
		fwc_cbor_write_bstr(&c.w,
				    g_bytes_get_data(pki.cloud_ca, NULL),
				    g_bytes_get_size(pki.cloud_ca));
		fwc_cbor_write_uint(&c.w, 3);
		fwc_cbor_write_bstr(&c.w, pki.package_point, 65);
		fwc_cbor_write_uint(&c.w, 4);
		fwc_cbor_write_tstr(&c.w, "https://x", 9);
		bad = nl3_cbor_bytes(&c);
		nl3_assert_rc(nl3_xfer(&s,
				       FWN_CMD_SETUP_INSTALL,
				       g_bytes_get_data(bad, NULL),
				       g_bytes_get_size(bad),
				       NULL),
			      FWN_RC_CERT_CHAIN);
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_INSTALL, (const guint8 *)"\xa0", 1, NULL),
			      FWN_RC_BAD_PAYLOAD);
	}
	nl3_setup(&s, &keys);
	g_assert_cmpmem(keys.tls, 65, csr_point, 65);
	/* locked: no setup command any more */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_BEGIN, NULL, 0, NULL), FWN_RC_SETUP_LOCKED);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_INSTALL, (const guint8 *)"\xa0", 1, NULL),
		      FWN_RC_SETUP_LOCKED);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_LOCK, NULL, 0, NULL), FWN_RC_SETUP_LOCKED);
	/* SIGN_TLS: raw r||s over the digest, checked with OpenSSL, only with the TLS key */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 31, NULL), FWN_RC_BAD_LENGTH);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, &sig), FWN_RC_OK);
	g_assert_cmpuint(g_bytes_get_size(sig), ==, 64);
	{
		g_autoptr(EVP_PKEY) tls = tt_point_to_pkey(keys.tls);
		g_autoptr(EVP_PKEY) req = tt_point_to_pkey(keys.req);
		g_assert_true(tt_verify_digest(tls, digest, g_bytes_get_data(sig, NULL)));
		g_assert_false(tt_verify_digest(req, digest, g_bytes_get_data(sig, NULL)));
	}

	/* restart: the keys come back from the sealed store */
	nl3_sim_kill9(&s);
	g_assert_true(nl3_sim_start(&s, NULL));
	g_clear_pointer(&info, g_bytes_unref);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, &info), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(info, 5), ==, 3);
	g_assert_cmpuint(nl3_get_uint(info, 7), ==, 0);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, &sig2), FWN_RC_OK);
	{
		g_autoptr(EVP_PKEY) tls = tt_point_to_pkey(keys.tls);
		g_assert_true(tt_verify_digest(tls, digest, g_bytes_get_data(sig2, NULL)));
	}
	/* every record at rest is sealed: magic "NLS1", and no public key in clear either */
	{
		g_autoptr(GDir) dir = g_dir_open(s.state, 0, NULL);
		const gchar *name;
		guint n = 0;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = g_build_filename(s.state, name, NULL);
			g_autofree gchar *data = NULL;
			gsize len = 0;
			if (!g_str_has_prefix(name, "record-"))
				continue;
			g_assert_true(g_file_get_contents(path, &data, &len, NULL));
			g_assert_cmpuint(len, >, 40);
			g_assert_cmpmem(data, 4, "NLS1", 4);
			g_assert_null(g_strstr_len(data, len, "https://cloud.test"));
			g_assert_null(memmem(data, len, keys.tls + 1, 32));
			n++;
		}
		g_assert_cmpuint(n, ==, 4); /* three keys, config (no state before any order) */
	}
	/* a record copied over another does not unseal: the programmer refuses to work */
	{
		g_autofree gchar *a = g_build_filename(s.state, "record-1.sealed", NULL);
		g_autofree gchar *b = g_build_filename(s.state, "record-2.sealed", NULL);
		g_autofree gchar *keep = g_build_filename(s.state, "keep", NULL);
		g_autofree gchar *data = NULL;
		gsize len = 0;
		nl3_sim_kill9(&s);
		g_assert_cmpint(g_rename(b, keep), ==, 0);
		g_assert_true(g_file_get_contents(a, &data, &len, NULL));
		g_assert_true(g_file_set_contents(b, data, len, NULL));
		g_assert_true(nl3_sim_start(&s, NULL));
		g_clear_pointer(&info, g_bytes_unref);
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, &info), FWN_RC_OK);
		g_assert_cmpuint(nl3_get_uint(info, 7), ==, FWN_RC_STORAGE);
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, NULL), FWN_RC_STORAGE);
		nl3_sim_kill9(&s);
		g_assert_cmpint(g_rename(keep, b), ==, 0);
		g_assert_true(nl3_sim_start(&s, NULL));
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, NULL), FWN_RC_OK);
	}

	/* factory reset: confirmation needed; then blank, with new keys */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_FACTORY_RESET, (const guint8 *)"yes", 3, NULL),
		      FWN_RC_BAD_PAYLOAD);
	nl3_assert_rc(
	    nl3_xfer(&s, FWN_CMD_FACTORY_RESET, (const guint8 *)"FACTORY RESET", 13, NULL),
	    FWN_RC_OK);
	g_clear_pointer(&info, g_bytes_unref);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, &info), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(info, 5), ==, 0);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SIGN_TLS, digest, 32, NULL), FWN_RC_NOT_SET_UP);
	nl3_sim_kill9(&s);
	g_assert_true(nl3_sim_start(&s, NULL));
	g_clear_pointer(&begin2, g_bytes_unref);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_SETUP_BEGIN, NULL, 0, &begin2), FWN_RC_OK);
	{
		g_autoptr(GBytes) a = nl3_get_bstr(begin, 5);
		g_autoptr(GBytes) b = nl3_get_bstr(begin2, 5);
		g_assert_false(g_bytes_equal(a, b));
	}
}

/* ------------------------------------------------------------------------------------------ */
/* packages built by the cloud's code */

static NuSecCloudManifest *
manifest_new(const Nl3Keys *keys, const gchar *order, guint64 limit, guint64 issued)
{
	NuSecCloudManifest *m = g_new0(NuSecCloudManifest, 1);
	g_autoptr(GBytes) tls = g_bytes_new(keys->tls, 65);
	guint8 rot[32], img[32], token[32];
	memset(rot, 0x52, sizeof(rot));
	memset(img, 0x49, sizeof(img));
	memset(token, 0x7a, sizeof(token));
	m->package_id = g_strdup_printf("pkg-%s-%" G_GUINT64_FORMAT, order, issued);
	m->order_id = g_strdup(order);
	m->programmer_serial = g_strdup("NL3-0002");
	m->programmer_key_hash = nusec_cloud_sha256(tls);
	m->product_id = g_strdup("widget");
	m->rot_key_hash = g_bytes_new(rot, 32);
	m->firmware_version = g_strdup("1.2.3");
	m->security_counter = 3;
	m->image_size = 1000;
	m->image_sha256 = g_bytes_new(img, 32);
	m->limit = limit;
	m->not_before = NOW - 3600;
	m->not_after = NOW + 3600;
	m->token = g_bytes_new(token, 32);
	m->issued_at = issued;
	return m;
}

static GBytes *
package_build(const Nl3Pki *pki, const Nl3Keys *keys, const NuSecCloudManifest *m)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) enc = g_bytes_new(keys->enc, 65);
	GBytes *pkg = nusec_cloud_package_build(pki->package_key, m, enc, &error);
	g_assert_no_error(error);
	return pkg;
}

static int
import(Nl3Sim *s, GBytes *pkg, GBytes **out)
{
	return nl3_xfer(s,
			FWN_CMD_PACKAGE_IMPORT,
			g_bytes_get_data(pkg, NULL),
			g_bytes_get_size(pkg),
			out);
}

static int
order_status(Nl3Sim *s, const gchar *order, GBytes **out)
{
	Nl3Cbor c;
	g_autoptr(GBytes) req = NULL;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 1);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_tstr(&c.w, order, strlen(order));
	req = nl3_cbor_bytes(&c);
	return nl3_xfer(s,
			FWN_CMD_ORDER_STATUS,
			g_bytes_get_data(req, NULL),
			g_bytes_get_size(req),
			out);
}

static void
test_sim_package(void)
{
	g_auto(Nl3Pki) pki;
	g_auto(Nl3Sim) s;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudManifest) m = NULL;
	g_autoptr(GBytes) pkg = NULL;
	g_autoptr(GBytes) resp = NULL;
	g_autoptr(GBytes) st = NULL;
	Nl3Keys keys;

	nl3_pki_init(&pki);
	nl3_sim_init(&s, &pki, "p2", "NL3-0002");
	sim_with_time(&s);
	g_assert_true(nl3_sim_start(&s, NULL));
	nl3_setup(&s, &keys);

	m = manifest_new(&keys, "order-1", 3, 100);
	pkg = package_build(&pki, &keys, m);
	/* the cloud's reference opener agrees it is ours (same code the cloud tests use) */
	nl3_assert_rc(import(&s, pkg, &resp), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(resp, 4), ==, 3);
	g_assert_cmpuint(nl3_get_uint(resp, 5), ==, 0);
	nl3_assert_rc(order_status(&s, "order-1", &st), FWN_RC_OK);
	{
		g_autofree gchar *product = nl3_get_tstr(st, 2);
		g_autofree gchar *version = nl3_get_tstr(st, 3);
		guint8 token[32];
		memset(token, 0x7a, sizeof(token));
		g_assert_cmpstr(product, ==, "widget");
		g_assert_cmpstr(version, ==, "1.2.3");
		g_assert_cmpuint(nl3_get_uint(st, 4), ==, 3);
		g_assert_cmpuint(nl3_get_uint(st, 5), ==, 0);
		g_assert_cmpuint(nl3_get_uint(st, 6), ==, 3);
		/* never the token */
		g_assert_null(memmem(g_bytes_get_data(st, NULL), g_bytes_get_size(st), token, 8));
	}
	nl3_assert_rc(order_status(&s, "order-x", NULL), FWN_RC_NO_ORDER);
	nl3_assert_rc(order_status(&s, "", NULL), FWN_RC_BAD_PAYLOAD);

	/* replay of the same package, and an older one */
	nl3_assert_rc(import(&s, pkg, NULL), FWN_RC_PKG_REPLAY);
	{
		g_autoptr(NuSecCloudManifest) old = manifest_new(&keys, "order-1", 10, 99);
		g_autoptr(GBytes) p = package_build(&pki, &keys, old);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_REPLAY);
	}
	/* tampered ciphertext, truncated, garbage */
	{
		gsize len = 0;
		const guint8 *d = g_bytes_get_data(pkg, &len);
		g_autofree guint8 *t = g_memdup2(d, len);
		g_autoptr(GBytes) tb = NULL;
		t[len - 5] ^= 1;
		tb = g_bytes_new(t, len);
		nl3_assert_rc(import(&s, tb, NULL), FWN_RC_PKG_DECRYPT);
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_PACKAGE_IMPORT, d, len - 1, NULL),
			      FWN_RC_PKG_FORMAT);
		nl3_assert_rc(
		    nl3_xfer(&s, FWN_CMD_PACKAGE_IMPORT, (const guint8 *)"\x84\x01", 2, NULL),
		    FWN_RC_PKG_FORMAT);
	}
	/* sealed to another programmer's encryption key */
	{
		Nl3Keys other = keys;
		g_autoptr(EVP_PKEY) k = tt_random_key();
		gsize plen = 65;
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-2", 3, 100);
		g_autoptr(GBytes) p = NULL;
		g_assert_true(
		    EVP_PKEY_get_octet_string_param(k, "pub", other.enc, sizeof(other.enc), &plen));
		p = package_build(&pki, &other, mm);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_DECRYPT);
	}
	/* signed by a key that is not the installed package key */
	{
		g_autoptr(NuSecSigner) rogue = nusec_pem_signer_new_random(&error);
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-2", 3, 100);
		g_autoptr(GBytes) enc = g_bytes_new(keys.enc, 65);
		g_autoptr(GBytes) p = nusec_cloud_package_build(rogue, mm, enc, &error);
		g_assert_no_error(error);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_SIGNATURE);
	}
	/* bound to another serial, or to another identity key */
	{
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-2", 3, 100);
		g_autoptr(GBytes) p = NULL;
		g_free(mm->programmer_serial);
		mm->programmer_serial = g_strdup("NL3-9999");
		p = package_build(&pki, &keys, mm);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_OTHER_PROGRAMMER);
	}
	{
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-2", 3, 100);
		g_autoptr(GBytes) req = g_bytes_new(keys.req, 65);
		g_autoptr(GBytes) p = NULL;
		g_bytes_unref(mm->programmer_key_hash);
		mm->programmer_key_hash = nusec_cloud_sha256(req);
		p = package_build(&pki, &keys, mm);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_OTHER_PROGRAMMER);
	}
	/* validity window */
	{
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-2", 3, 100);
		g_autoptr(GBytes) p = NULL;
		mm->not_before = NOW + 10;
		p = package_build(&pki, &keys, mm);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_NOT_YET_VALID);
	}
	{
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-2", 3, 100);
		g_autoptr(GBytes) p = NULL;
		mm->not_after = NOW - 1;
		mm->not_before = NOW - 100;
		p = package_build(&pki, &keys, mm);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_PKG_EXPIRED);
	}
	/* none of the refused packages created an order */
	nl3_assert_rc(order_status(&s, "order-2", NULL), FWN_RC_NO_ORDER);
	/* a newer package for the same order raises the limit and keeps the count */
	{
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-1", 5, 200);
		g_autoptr(GBytes) p = package_build(&pki, &keys, mm);
		g_autoptr(GBytes) r = NULL;
		nl3_assert_rc(import(&s, p, &r), FWN_RC_OK);
		g_assert_cmpuint(nl3_get_uint(r, 4), ==, 5);
		/* and the older one can no longer come back */
		nl3_assert_rc(import(&s, pkg, NULL), FWN_RC_PKG_REPLAY);
	}
	/* it survives a restart */
	nl3_sim_kill9(&s);
	g_assert_true(nl3_sim_start(&s, NULL));
	g_clear_pointer(&st, g_bytes_unref);
	nl3_assert_rc(order_status(&s, "order-1", &st), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(st, 4), ==, 5);
	g_assert_cmpuint(nl3_get_uint(st, 10), ==, 200);

	/* rollback of the state record (an old copy put back) is refused */
	{
		g_autofree gchar *rec = g_build_filename(s.state, "record-5.sealed", NULL);
		g_autofree gchar *old = NULL;
		gsize len = 0;
		g_autoptr(NuSecCloudManifest) mm = manifest_new(&keys, "order-3", 2, 100);
		g_autoptr(GBytes) p = package_build(&pki, &keys, mm);
		g_autoptr(GBytes) info = NULL;
		g_assert_true(g_file_get_contents(rec, &old, &len, NULL));
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_OK);
		nl3_sim_kill9(&s);
		g_assert_true(g_file_set_contents(rec, old, len, NULL));
		g_assert_true(nl3_sim_start(&s, NULL));
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, &info), FWN_RC_OK);
		g_assert_cmpuint(nl3_get_uint(info, 7), ==, FWN_RC_STORAGE);
		nl3_assert_rc(order_status(&s, "order-1", NULL), FWN_RC_STORAGE);
		nl3_assert_rc(import(&s, p, NULL), FWN_RC_STORAGE);
	}
}

/* ------------------------------------------------------------------------------------------ */

static GBytes *
fw_piece(const gchar *order, gsize off, gsize total, const guint8 *data, gsize n)
{
	Nl3Cbor c;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 4);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_tstr(&c.w, order, strlen(order));
	fwc_cbor_write_uint(&c.w, 2);
	fwc_cbor_write_uint(&c.w, off);
	fwc_cbor_write_uint(&c.w, 3);
	fwc_cbor_write_uint(&c.w, total);
	fwc_cbor_write_uint(&c.w, 4);
	fwc_cbor_write_bstr(&c.w, data, n);
	return nl3_cbor_bytes(&c);
}

static void
test_sim_firmware(void)
{
	g_auto(Nl3Pki) pki;
	g_auto(Nl3Sim) s;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudManifest) m = NULL;
	g_autoptr(GBytes) pkg = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) sealed = NULL;
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) st = NULL;
	g_autoptr(GBytes) proof = NULL;
	guint8 *img;
	gsize img_len = 10000;
	Nl3Keys keys;

	nl3_pki_init(&pki);
	nl3_sim_init(&s, &pki, "p3", "NL3-0002");
	sim_with_time(&s);
	g_assert_true(nl3_sim_start(&s, NULL));
	nl3_setup(&s, &keys);
	img = g_malloc(img_len);
	for (gsize i = 0; i < img_len; i++)
		img[i] = (guint8)(i * 7 + 3);
	image = g_bytes_new_take(img, img_len);
	m = manifest_new(&keys, "order-f", 3, 100);
	m->image_size = img_len;
	g_bytes_unref(m->image_sha256);
	m->image_sha256 = nusec_cloud_sha256(image);
	pkg = package_build(&pki, &keys, m);
	nl3_assert_rc(import(&s, pkg, NULL), FWN_RC_OK);
	enc = g_bytes_new(keys.enc, 65);
	sealed = nusec_cloud_firmware_seal(image, "order-f", enc, &error);
	g_assert_no_error(error);

	/* in pieces of 3000 bytes; a piece out of order is refused and changes nothing */
	{
		gsize total = g_bytes_get_size(sealed);
		const guint8 *d = g_bytes_get_data(sealed, NULL);
		g_assert_cmpuint(total, >, 6000);
		for (gsize off = 0; off < total; off += 3000) {
			gsize n = MIN(3000, total - off);
			g_autoptr(GBytes) r = NULL;
			if (off == 3000) {
				g_autoptr(GBytes) bad =
				    fw_piece("order-f", 0x10, total, d + off, n);
				nl3_assert_rc(nl3_xfer(&s,
						       FWN_CMD_FIRMWARE_LOAD,
						       g_bytes_get_data(bad, NULL),
						       g_bytes_get_size(bad),
						       NULL),
					      FWN_RC_BAD_PAYLOAD);
			}
			{
				g_autoptr(GBytes) req = fw_piece("order-f", off, total, d + off, n);
				nl3_assert_rc(nl3_xfer(&s,
						       FWN_CMD_FIRMWARE_LOAD,
						       g_bytes_get_data(req, NULL),
						       g_bytes_get_size(req),
						       &r),
					      FWN_RC_OK);
			}
			g_assert_cmpuint(nl3_get_uint(r, 2), ==, off + n == total);
			g_assert_cmpuint(nl3_get_uint(r, 1), ==, off + n);
		}
	}
	nl3_assert_rc(order_status(&s, "order-f", &st), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(st, 9), ==, 1);
	/* the image is at rest only sealed */
	{
		g_autofree gchar *rec = g_build_filename(s.state, "record-16.sealed", NULL);
		g_autofree gchar *data = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(rec, &data, &len, NULL));
		g_assert_cmpmem(data, 4, "NLS1", 4);
		g_assert_null(memmem(data, len, img + 100, 64));
	}
	/* FIRMWARE_PROOF equals the cloud's proof for the token, which never leaves */
	{
		guint8 nonce[32];
		g_autoptr(GBytes) nb = NULL;
		g_autoptr(GBytes) token = NULL;
		g_autoptr(GBytes) want = NULL;
		g_autoptr(GBytes) req = NULL;
		Nl3Cbor c;
		memset(nonce, 0x3c, sizeof(nonce));
		nb = g_bytes_new(nonce, sizeof(nonce));
		nl3_cbor_init(&c);
		fwc_cbor_write_map(&c.w, 2);
		fwc_cbor_write_uint(&c.w, 1);
		fwc_cbor_write_tstr(&c.w, "order-f", 7);
		fwc_cbor_write_uint(&c.w, 2);
		fwc_cbor_write_bstr(&c.w, nonce, sizeof(nonce));
		req = nl3_cbor_bytes(&c);
		nl3_assert_rc(nl3_xfer(&s,
				       FWN_CMD_FIRMWARE_PROOF,
				       g_bytes_get_data(req, NULL),
				       g_bytes_get_size(req),
				       &proof),
			      FWN_RC_OK);
		want = nusec_cloud_fetch_proof(m->token, "order-f", nb);
		g_assert_true(g_bytes_equal(proof, want));
	}
	/* firmware that does not match the order's digest */
	{
		guint8 *other = g_memdup2(g_bytes_get_data(image, NULL), img_len);
		g_autoptr(GBytes) ob = NULL;
		g_autoptr(GBytes) os = NULL;
		g_autoptr(GBytes) req = NULL;
		Nl3Cbor c;
		other[17] ^= 0xff;
		ob = g_bytes_new_take(other, img_len);
		os = nusec_cloud_firmware_seal(ob, "order-f", enc, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(g_bytes_get_size(os), <, 16000);
		nl3_cbor_init(&c);
		fwc_cbor_write_map(&c.w, 4);
		fwc_cbor_write_uint(&c.w, 1);
		fwc_cbor_write_tstr(&c.w, "order-f", 7);
		fwc_cbor_write_uint(&c.w, 2);
		fwc_cbor_write_uint(&c.w, 0);
		fwc_cbor_write_uint(&c.w, 3);
		fwc_cbor_write_uint(&c.w, g_bytes_get_size(os));
		fwc_cbor_write_uint(&c.w, 4);
		fwc_cbor_write_bstr(&c.w, g_bytes_get_data(os, NULL), g_bytes_get_size(os));
		req = nl3_cbor_bytes(&c);
		nl3_assert_rc(nl3_xfer(&s,
				       FWN_CMD_FIRMWARE_LOAD,
				       g_bytes_get_data(req, NULL),
				       g_bytes_get_size(req),
				       NULL),
			      FWN_RC_FIRMWARE_DIGEST);
	}
	/* the loaded image comes back after a restart */
	nl3_sim_kill9(&s);
	g_assert_true(nl3_sim_start(&s, NULL));
	g_clear_pointer(&st, g_bytes_unref);
	nl3_assert_rc(order_status(&s, "order-f", &st), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(st, 9), ==, 1);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_sim_frames(void)
{
	g_auto(Nl3Pki) pki;
	g_auto(Nl3Sim) s;
	g_autoptr(GBytes) frame = NULL;
	fwn_usb_frame f;
	guint8 buf[64];
	gsize len = 0;

	nl3_pki_init(&pki);
	nl3_sim_init(&s, &pki, "p4", "NL3-0004");
	g_ptr_array_add(s.extra, g_strdup("--frame-timeout-ms"));
	g_ptr_array_add(s.extra, g_strdup("300"));
	g_assert_true(nl3_sim_start(&s, NULL));
	/* a client silent in the middle of a frame is dropped; the next one is served */
	{
		int fd = nl3_connect(s.sock);
		guint8 b;
		g_assert_cmpint(write(fd, "NU\x01", 3), ==, 3);
		g_usleep(600 * 1000);
		g_assert_cmpint(read(fd, &b, 1), ==, 0);
		close(fd);
		nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, NULL), FWN_RC_OK);
	}
	/* a connection idle between frames stays */
	g_usleep(500 * 1000);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, NULL), FWN_RC_OK);
	/* a bad CRC: an error frame for that command, and the connection stays */
	g_assert_cmpint(fwn_usb_encode_request(FWN_CMD_GET_INFO, NULL, 0, buf, sizeof(buf), &len),
			==,
			FWN_USB_OK);
	buf[len - 1] ^= 1;
	g_assert_true(nl3_raw(&s, buf, len, &frame));
	g_assert_cmpint(fwn_usb_decode_response(g_bytes_get_data(frame, NULL),
						g_bytes_get_size(frame),
						FWN_CMD_GET_INFO,
						&f),
			==,
			FWN_USB_OK);
	g_assert_cmpuint(f.command, ==, FWN_CMD_GET_INFO | 0x80);
	g_assert_cmpuint(f.status, ==, FWN_RC_BAD_FRAME);
	g_assert_cmpuint(fwc_link_get_u16(f.payload), ==, FWN_USB_ERR_BAD_CRC);
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, NULL), FWN_RC_OK);
	/* a response frame sent as a request */
	g_assert_cmpint(fwn_usb_encode(0x81, 0, NULL, 0, buf, sizeof(buf), &len), ==, FWN_USB_OK);
	g_clear_pointer(&frame, g_bytes_unref);
	g_assert_true(nl3_raw(&s, buf, len, &frame));
	g_assert_cmpint(fwn_usb_decode_response(g_bytes_get_data(frame, NULL),
						g_bytes_get_size(frame),
						FWN_CMD_GET_INFO,
						&f),
			==,
			FWN_USB_OK);
	g_assert_cmpuint(f.status, ==, FWN_RC_BAD_FRAME);
	g_assert_cmpuint(fwc_link_get_u16(f.payload), ==, FWN_USB_ERR_NOT_REQUEST);
	/* a target-link frame (wrong magic): error frame 0xff, then the connection closes */
	g_assert_cmpint(fwc_link_encode_request(1, NULL, 0, buf, sizeof(buf), &len), ==, 0);
	g_clear_pointer(&frame, g_bytes_unref);
	g_assert_true(nl3_raw(&s, buf, len, &frame));
	g_assert_cmpint(fwn_usb_decode(g_bytes_get_data(frame, NULL), g_bytes_get_size(frame), &f),
			==,
			FWN_USB_OK);
	g_assert_cmpuint(f.command, ==, 0xff);
	g_assert_cmpuint(fwc_link_get_u16(f.payload), ==, FWN_USB_ERR_BAD_MAGIC);
	g_clear_pointer(&frame, g_bytes_unref);
	g_assert_false(nl3_raw(&s, buf, 1, &frame));
	close(s.fd);
	s.fd = -1;
	/* the programmer still serves the next connection */
	nl3_assert_rc(nl3_xfer(&s, FWN_CMD_GET_INFO, NULL, 0, NULL), FWN_RC_OK);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nulink3/sim/setup", test_sim_setup);
	g_test_add_func("/nulink3/sim/package", test_sim_package);
	g_test_add_func("/nulink3/sim/firmware", test_sim_firmware);
	g_test_add_func("/nulink3/sim/frames", test_sim_frames);
	return g_test_run();
}
