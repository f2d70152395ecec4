/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-x509.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

#include "nusec-error.h"
#include "nusec-openssl.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ASN1_TIME, ASN1_TIME_free)

static gboolean
nusec_cloud_x509_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const gchar *value, GError **error)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (ext == NULL) {
		nusec_error_set_openssl(error, "cannot build a certificate extension");
		g_prefix_error(error, "%s=%s: ", OBJ_nid2sn(nid), value);
		return FALSE;
	}
	if (X509_add_ext(cert, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		nusec_error_set_openssl(error, "cannot add a certificate extension");
		return FALSE;
	}
	X509_EXTENSION_free(ext);
	return TRUE;
}

static gboolean
nusec_cloud_x509_set_serial(X509 *cert, GError **error)
{
	guint8 buf[16];
	g_autoptr(BIGNUM) bn = NULL;
	ASN1_INTEGER *serial;

	if (RAND_bytes(buf, sizeof(buf)) != 1) {
		nusec_error_set_openssl(error, "no random serial number");
		return FALSE;
	}
	buf[0] &= 0x7f; /* positive */
	buf[0] |= 0x40; /* and always 16 bytes long */
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	serial = X509_get_serialNumber(cert);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, serial) == NULL) {
		nusec_error_set_openssl(error, "cannot set the serial number");
		return FALSE;
	}
	return TRUE;
}

static gboolean
nusec_cloud_x509_set_name(X509_NAME *name, const NuSecCloudCertSpec *spec, GError **error)
{
	if (spec->organization != NULL &&
	    X509_NAME_add_entry_by_txt(name,
				       "O",
				       MBSTRING_UTF8,
				       (const guchar *)spec->organization,
				       -1,
				       -1,
				       0) != 1) {
		nusec_error_set_openssl(error, "invalid organization");
		return FALSE;
	}
	if (X509_NAME_add_entry_by_txt(name,
				       "CN",
				       MBSTRING_UTF8,
				       (const guchar *)spec->common_name,
				       -1,
				       -1,
				       0) != 1) {
		nusec_error_set_openssl(error, "invalid common name");
		return FALSE;
	}
	return TRUE;
}

X509 *
nusec_cloud_x509_issue(const NuSecCloudCertSpec *spec, GError **error)
{
	g_autoptr(X509) cert = X509_new();
	X509_NAME *subject = X509_get_subject_name(cert);
	X509V3_CTX ctx;
	g_autoptr(EVP_PKEY) issuer_pub = NULL;
	gboolean ok = TRUE;

	g_return_val_if_fail(spec->common_name != NULL, NULL);
	g_return_val_if_fail(spec->subject_key != NULL && spec->issuer_key != NULL, NULL);

	if (X509_set_version(cert, 2) != 1 || !nusec_cloud_x509_set_serial(cert, error))
		return NULL;
	if (!nusec_cloud_x509_set_name(subject, spec, error))
		return NULL;
	if (X509_set_issuer_name(cert,
				 spec->issuer != NULL ? X509_get_subject_name(spec->issuer)
						      : subject) != 1 ||
	    X509_set_pubkey(cert, spec->subject_key) != 1) {
		nusec_error_set_openssl(error, "cannot set the certificate names or key");
		return NULL;
	}
	if (ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)spec->not_before) == NULL) {
		nusec_error_set_openssl(error, "invalid notBefore");
		return NULL;
	}
	if (spec->not_after == NUSEC_CLOUD_CERT_NOT_AFTER_NONE)
		ok = ASN1_TIME_set_string(X509_getm_notAfter(cert), "99991231235959Z") == 1;
	else
		ok = ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)spec->not_after) != NULL;
	if (!ok || spec->not_after <= spec->not_before) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "invalid certificate validity");
		return NULL;
	}

	X509V3_set_ctx(&ctx, spec->issuer != NULL ? spec->issuer : cert, cert, NULL, NULL, 0);
	switch (spec->kind) {
	case NUSEC_CLOUD_CERT_CA: {
		g_autofree gchar *bc =
		    spec->pathlen >= 0
			? g_strdup_printf("critical,CA:TRUE,pathlen:%d", spec->pathlen)
			: g_strdup("critical,CA:TRUE");
		ok = nusec_cloud_x509_add_ext(cert, &ctx, NID_basic_constraints, bc, error) &&
		     nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_key_usage,
					      "critical,keyCertSign,cRLSign",
					      error);
		break;
	}
	case NUSEC_CLOUD_CERT_TLS_SERVER:
		ok = nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_basic_constraints,
					      "critical,CA:FALSE",
					      error) &&
		     nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_key_usage,
					      "critical,digitalSignature",
					      error) &&
		     nusec_cloud_x509_add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth", error) &&
		     (spec->san == NULL ||
		      nusec_cloud_x509_add_ext(cert, &ctx, NID_subject_alt_name, spec->san, error));
		break;
	case NUSEC_CLOUD_CERT_TLS_CLIENT:
		ok = nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_basic_constraints,
					      "critical,CA:FALSE",
					      error) &&
		     nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_key_usage,
					      "critical,digitalSignature",
					      error) &&
		     nusec_cloud_x509_add_ext(cert, &ctx, NID_ext_key_usage, "clientAuth", error);
		break;
	case NUSEC_CLOUD_CERT_DEVICE:
		ok = nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_basic_constraints,
					      "critical,CA:FALSE",
					      error) &&
		     nusec_cloud_x509_add_ext(cert,
					      &ctx,
					      NID_key_usage,
					      "critical,digitalSignature",
					      error);
		break;
	default:
		g_assert_not_reached();
	}
	if (!ok)
		return NULL;
	if (!nusec_cloud_x509_add_ext(cert, &ctx, NID_subject_key_identifier, "hash", error))
		return NULL;
	/* a self-signed certificate names its own SKI: the context must see it first */
	if (spec->issuer == NULL)
		X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if (!nusec_cloud_x509_add_ext(cert,
				      &ctx,
				      NID_authority_key_identifier,
				      "keyid:always",
				      error))
		return NULL;
	if (X509_sign(cert, spec->issuer_key, EVP_sha256()) <= 0) {
		nusec_error_set_openssl(error, "cannot sign the certificate");
		return NULL;
	}
	/* fail closed: a faulty HSM must not make us hand out a broken certificate */
	issuer_pub = spec->issuer != NULL ? X509_get_pubkey(spec->issuer)
					  : (EVP_PKEY_up_ref(spec->issuer_key), spec->issuer_key);
	if (issuer_pub == NULL || X509_verify(cert, issuer_pub) != 1) {
		nusec_error_set_openssl(error, "the new certificate's signature does not verify");
		return NULL;
	}
	return g_steal_pointer(&cert);
}

gchar *
nusec_cloud_x509_to_pem(X509 *cert)
{
	g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;
	if (PEM_write_bio_X509(bio, cert) != 1)
		return NULL;
	BIO_get_mem_ptr(bio, &mem);
	return g_strndup(mem->data, mem->length);
}

GBytes *
nusec_cloud_x509_to_der(X509 *cert)
{
	guint8 *der = NULL;
	int len = i2d_X509(cert, &der);
	GBytes *out;
	if (len <= 0)
		return NULL;
	out = g_bytes_new(der, len);
	OPENSSL_free(der);
	return out;
}

X509 *
nusec_cloud_x509_from_pem(const gchar *pem, gsize len, GError **error)
{
	g_autoptr(BIO) bio = BIO_new_mem_buf(pem, (int)len);
	X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (cert == NULL)
		nusec_error_set_openssl(error, "not a PEM certificate");
	return cert;
}

X509 *
nusec_cloud_x509_from_der(GBytes *der, GError **error)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(der, &len);
	const guint8 *end = p + len;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	if (cert == NULL || p != end) {
		X509_free(cert);
		nusec_error_set_openssl(error, "not a DER certificate");
		if (error != NULL && *error != NULL)
			(*error)->code = NUSEC_ERROR_INVALID_DATA;
		return NULL;
	}
	return cert;
}

X509 *
nusec_cloud_x509_load(const gchar *path, GError **error)
{
	g_autofree gchar *pem = NULL;
	gsize len = 0;
	X509 *cert;
	if (!g_file_get_contents(path, &pem, &len, error))
		return NULL;
	cert = nusec_cloud_x509_from_pem(pem, len, error);
	if (cert == NULL)
		g_prefix_error(error, "%s: ", path);
	return cert;
}

gchar *
nusec_cloud_x509_serial_hex(X509 *cert)
{
	g_autoptr(BIGNUM) bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	gchar *out = hex != NULL ? g_ascii_strdown(hex, -1) : NULL;
	OPENSSL_free(hex);
	return out;
}

gchar *
nusec_cloud_x509_get_cn(X509_NAME *name)
{
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	X509_NAME_ENTRY *entry;
	guchar *utf8 = NULL;
	int len;
	gchar *out;

	if (idx < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
		return NULL;
	entry = X509_NAME_get_entry(name, idx);
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
	if (len < 0)
		return NULL;
	if ((gsize)len != strlen((const gchar *)utf8)) {
		OPENSSL_free(utf8);
		return NULL;
	}
	out = g_strndup((const gchar *)utf8, len);
	OPENSSL_free(utf8);
	return out;
}

GBytes *
nusec_cloud_x509_sha256(X509 *cert)
{
	g_autoptr(GBytes) der = nusec_cloud_x509_to_der(cert);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize len = sizeof(digest);
	if (der == NULL)
		return NULL;
	g_checksum_update(sum, g_bytes_get_data(der, NULL), g_bytes_get_size(der));
	g_checksum_get_digest(sum, digest, &len);
	return g_bytes_new(digest, len);
}

GBytes *
nusec_cloud_pkey_to_spki(EVP_PKEY *pkey)
{
	guint8 *der = NULL;
	int len = i2d_PUBKEY(pkey, &der);
	GBytes *out;
	if (len <= 0)
		return NULL;
	out = g_bytes_new(der, len);
	OPENSSL_free(der);
	return out;
}

static gboolean
nusec_cloud_pkey_is_p256(EVP_PKEY *pkey)
{
	char group[32] = {0};
	size_t len = 0;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return FALSE;
	if (EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group), &len) != 1)
		return FALSE;
	return g_strcmp0(group, "prime256v1") == 0;
}

EVP_PKEY *
nusec_cloud_pkey_from_spki_or_point(GBytes *data, GError **error)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(data, &len);
	g_autoptr(EVP_PKEY) pkey = NULL;

	if (len == 65 && p[0] == 0x04) {
		g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		OSSL_PARAM params[] = {
		    OSSL_PARAM_construct_utf8_string("group", (char *)"prime256v1", 0),
		    OSSL_PARAM_construct_octet_string("pub", (void *)p, len),
		    OSSL_PARAM_construct_end(),
		};
		if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
		    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
			pkey = NULL;
		}
	} else {
		const guint8 *end = p + len;
		pkey = d2i_PUBKEY(NULL, &p, (long)len);
		if (pkey != NULL && p != end)
			g_clear_pointer(&pkey, EVP_PKEY_free);
	}
	if (pkey == NULL || !nusec_cloud_pkey_is_p256(pkey)) {
		ERR_clear_error();
		g_set_error_literal(
		    error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_INVALID_DATA,
		    "not a P-256 public key (SubjectPublicKeyInfo or 65-byte point)");
		return NULL;
	}
	/* an off-curve point must not get this far */
	{
		g_autoptr(EVP_PKEY_CTX) check = EVP_PKEY_CTX_new(pkey, NULL);
		if (check == NULL || EVP_PKEY_public_check(check) != 1) {
			ERR_clear_error();
			g_set_error_literal(error,
					    NUSEC_ERROR,
					    NUSEC_ERROR_INVALID_DATA,
					    "public key point is not on P-256");
			return NULL;
		}
	}
	return g_steal_pointer(&pkey);
}

X509_REQ *
nusec_cloud_csr_parse_check(GBytes *csr, const gchar *expected_cn, GError **error)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(csr, &len);
	const guint8 *end = p + len;
	g_autoptr(X509_REQ) req = NULL;
	g_autoptr(EVP_PKEY) key = NULL;
	g_autofree gchar *cn = NULL;

	if (len > 0 && p[0] == '-') {
		g_autoptr(BIO) bio = BIO_new_mem_buf(p, (int)len);
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	} else {
		req = d2i_X509_REQ(NULL, &p, (long)len);
		if (req != NULL && p != end)
			g_clear_pointer(&req, X509_REQ_free);
	}
	if (req == NULL) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "CSR is not a well-formed PKCS#10 request");
		return NULL;
	}
	key = X509_REQ_get_pubkey(req);
	if (key == NULL || !nusec_cloud_pkey_is_p256(key)) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "CSR key is not ECDSA P-256");
		return NULL;
	}
	if (X509_REQ_verify(req, key) != 1) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_SIGNATURE_INVALID,
				    "CSR signature does not verify");
		return NULL;
	}
	cn = nusec_cloud_x509_get_cn(X509_REQ_get_subject_name(req));
	if (cn == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "CSR subject has no single common name");
		return NULL;
	}
	if (expected_cn != NULL && g_strcmp0(cn, expected_cn) != 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "CSR subject CN '%s' is not the chip ID '%s'",
			    cn,
			    expected_cn);
		return NULL;
	}
	return g_steal_pointer(&req);
}

gboolean
nusec_cloud_write_file_private(const gchar *path, const gchar *data, gsize len, GError **error)
{
	int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	gsize done = 0;
	if (fd < 0) {
		int saved = errno;
		g_set_error(error,
			    G_FILE_ERROR,
			    g_file_error_from_errno(saved),
			    "cannot create %s: %s",
			    path,
			    g_strerror(saved));
		return FALSE;
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;
			close(fd);
			g_set_error(error,
				    G_FILE_ERROR,
				    g_file_error_from_errno(saved),
				    "cannot write %s: %s",
				    path,
				    g_strerror(saved));
			return FALSE;
		}
		done += n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s", path);
		return FALSE;
	}
	return TRUE;
}

EVP_PKEY *
nusec_cloud_pkey_generate_file(const gchar *path, GError **error)
{
	g_autoptr(EVP_PKEY) pkey = EVP_EC_gen("P-256");
	g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;
	gboolean ok;

	if (pkey == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		nusec_error_set_openssl(error, "cannot generate a P-256 key");
		return NULL;
	}
	BIO_get_mem_ptr(bio, &mem);
	ok = nusec_cloud_write_file_private(path, mem->data, mem->length, error);
	OPENSSL_cleanse(mem->data, mem->length);
	if (!ok)
		return NULL;
	return g_steal_pointer(&pkey);
}
