/*
 * X.509 for the cloud: CA, TLS and device certificates signed by a key that stays in the HSM
 * (an EVP_PKEY from nusec_signer_to_evp_pkey), and CSR checks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

typedef enum {
	NUSEC_CLOUD_CERT_CA,	     /* basicConstraints critical CA:TRUE[, pathlen]; keyCertSign */
	NUSEC_CLOUD_CERT_TLS_SERVER, /* digitalSignature; serverAuth; subjectAltName */
	NUSEC_CLOUD_CERT_TLS_CLIENT, /* digitalSignature; clientAuth (operators, programmers) */
	NUSEC_CLOUD_CERT_DEVICE,     /* DESIGN.md's device profile */
} NuSecCloudCertKind;

/* notAfter 99991231235959Z (IEEE 802.1AR: no well-defined expiration) */
#define NUSEC_CLOUD_CERT_NOT_AFTER_NONE G_MAXINT64

typedef struct {
	NuSecCloudCertKind kind;
	gint pathlen; /* CA only; -1: no pathLenConstraint */
	const gchar *common_name;
	const gchar *organization; /* may be NULL */
	EVP_PKEY *subject_key;	   /* the public key certified */
	X509 *issuer;		   /* NULL: self-signed by issuer_key */
	EVP_PKEY *issuer_key;	   /* signs; may live in the HSM */
	gint64 not_before;	   /* Unix time */
	gint64 not_after;	   /* Unix time or NUSEC_CLOUD_CERT_NOT_AFTER_NONE */
	const gchar *san;	   /* TLS server: "DNS:localhost,IP:127.0.0.1" */
} NuSecCloudCertSpec;

/* a random positive 128-bit serial number; the certificate is verified after signing */
X509 *
nusec_cloud_x509_issue(const NuSecCloudCertSpec *spec, GError **error);

gchar *
nusec_cloud_x509_to_pem(X509 *cert);
GBytes *
nusec_cloud_x509_to_der(X509 *cert);
X509 *
nusec_cloud_x509_from_pem(const gchar *pem, gsize len, GError **error);
X509 *
nusec_cloud_x509_from_der(GBytes *der, GError **error);
X509 *
nusec_cloud_x509_load(const gchar *path, GError **error);
/* the serial number as lower-case hex */
gchar *
nusec_cloud_x509_serial_hex(X509 *cert);
/* the subject CN (NULL when absent or not exactly one) */
gchar *
nusec_cloud_x509_get_cn(X509_NAME *name);
/* SHA-256 of the DER certificate */
GBytes *
nusec_cloud_x509_sha256(X509 *cert);

/* DER SubjectPublicKeyInfo of @pkey */
GBytes *
nusec_cloud_pkey_to_spki(EVP_PKEY *pkey);
/* a P-256 public key from a DER SPKI or a 65-byte point; anything else is refused */
EVP_PKEY *
nusec_cloud_pkey_from_spki_or_point(GBytes *data, GError **error);

/*
 * Parses a DER (or PEM) PKCS#10 request and checks: self-signature valid, ECDSA P-256 key,
 * exactly one subject CN equal to @expected_cn (when not NULL). Errors are
 * NUSEC_ERROR_INVALID_DATA (malformed, wrong key type, subject) or
 * NUSEC_ERROR_SIGNATURE_INVALID.
 */
X509_REQ *
nusec_cloud_csr_parse_check(GBytes *csr, const gchar *expected_cn, GError **error);

/* writes a fresh P-256 key in PEM (PKCS#8) to @path with mode 0600; returns it */
EVP_PKEY *
nusec_cloud_pkey_generate_file(const gchar *path, GError **error);
gboolean
nusec_cloud_write_file_private(const gchar *path, const gchar *data, gsize len, GError **error);

G_END_DECLS
