/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-context.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <string.h>

#include "nusec-cloud-store.h"
#include "nusec-cloud-x509.h"
#include "nusec-error.h"
#include "nusec-openssl.h"
#include "nusec-pkcs11-signer.h"

#define NUSEC_CLOUD_CA_YEARS 30
#define NUSEC_CLOUD_TLS_DAYS 825

void
nusec_cloud_config_free(NuSecCloudConfig *self)
{
	if (self == NULL)
		return;
	g_free(self->state_dir);
	g_free(self->config_path);
	g_free(self->listen);
	g_free(self->database);
	g_free(self->organization);
	g_free(self->tls_san);
	g_free(self->pkcs11_module);
	g_free(self->token);
	g_free(self->pin_file);
	g_free(self);
}

static gboolean
nusec_cloud_config_string(GKeyFile *kf,
			  const gchar *group,
			  const gchar *key,
			  gchar **value,
			  GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gchar *v = g_key_file_get_string(kf, group, key, &error_local);
	if (v == NULL) {
		if (g_error_matches(error_local,
				    G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
		    g_error_matches(error_local,
				    G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	g_free(*value);
	*value = v;
	return TRUE;
}

static gboolean
nusec_cloud_config_uint(GKeyFile *kf,
			const gchar *group,
			const gchar *key,
			guint64 min,
			guint64 max,
			guint64 *value,
			GError **error)
{
	g_autofree gchar *text = NULL;
	guint64 v = 0;
	if (!nusec_cloud_config_string(kf, group, key, &text, error))
		return FALSE;
	if (text == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(text, 10, min, max, &v, NULL)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "[%s] %s=%s: not a number in %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
			    group,
			    key,
			    text,
			    min,
			    max);
		return FALSE;
	}
	*value = v;
	return TRUE;
}

NuSecCloudConfig *
nusec_cloud_config_load(const gchar *state_dir, const gchar *config_path, GError **error)
{
	g_autoptr(NuSecCloudConfig) self = g_new0(NuSecCloudConfig, 1);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	guint64 port = 8443, threads = 32, max_body = 64 * 1024 * 1024, every = 1000;
	gboolean softhsm = TRUE;

	if (state_dir == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "no state folder: pass --state DIR");
		return NULL;
	}
	self->state_dir = g_canonicalize_filename(state_dir, NULL);
	self->config_path = config_path != NULL
				? g_canonicalize_filename(config_path, NULL)
				: g_build_filename(self->state_dir, "cloud.conf", NULL);
	self->listen = g_strdup("127.0.0.1");
	self->database = g_strdup_printf("sqlite:%s" G_DIR_SEPARATOR_S "cloud.db", self->state_dir);
	self->organization = g_strdup("NuSEC OEM");
	self->tls_san = g_strdup("DNS:localhost,IP:127.0.0.1");
	self->token = g_strdup("nusec-cloud");
	self->pin_file = g_build_filename(self->state_dir, "hsm-pin", NULL);

	if (g_file_test(self->config_path, G_FILE_TEST_EXISTS)) {
		g_autofree gchar *soft = NULL;
		if (!g_key_file_load_from_file(kf, self->config_path, G_KEY_FILE_NONE, error)) {
			g_prefix_error(error, "%s: ", self->config_path);
			return NULL;
		}
		if (!nusec_cloud_config_string(kf, "cloud", "listen", &self->listen, error) ||
		    !nusec_cloud_config_uint(kf, "cloud", "port", 0, 65535, &port, error) ||
		    !nusec_cloud_config_string(kf, "cloud", "database", &self->database, error) ||
		    !nusec_cloud_config_uint(kf, "cloud", "threads", 1, 1024, &threads, error) ||
		    !nusec_cloud_config_uint(kf,
					     "cloud",
					     "max-body",
					     1,
					     G_MAXUINT32,
					     &max_body,
					     error) ||
		    !nusec_cloud_config_uint(kf,
					     "cloud",
					     "audit-checkpoint-every",
					     1,
					     G_MAXUINT32,
					     &every,
					     error) ||
		    !nusec_cloud_config_string(kf,
					       "cloud",
					       "organization",
					       &self->organization,
					       error) ||
		    !nusec_cloud_config_string(kf, "cloud", "tls-san", &self->tls_san, error) ||
		    !nusec_cloud_config_string(kf, "hsm", "softhsm", &soft, error) ||
		    !nusec_cloud_config_string(kf, "hsm", "module", &self->pkcs11_module, error) ||
		    !nusec_cloud_config_string(kf, "hsm", "token", &self->token, error) ||
		    !nusec_cloud_config_string(kf, "hsm", "pin-file", &self->pin_file, error)) {
			g_prefix_error(error, "%s: ", self->config_path);
			return NULL;
		}
		if (soft != NULL && g_strcmp0(soft, "true") != 0 && g_strcmp0(soft, "false") != 0) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "%s: [hsm] softhsm must be true or false",
				    self->config_path);
			return NULL;
		}
		if (soft != NULL)
			softhsm = g_strcmp0(soft, "true") == 0;
	}
	self->port = port;
	self->threads = threads;
	self->max_body = max_body;
	self->audit_checkpoint_every = every;
	self->softhsm = softhsm;
	/* SoftHSM reads its configuration at C_Initialize: set it before any module load */
	if (self->softhsm) {
		g_autofree gchar *conf = g_build_filename(self->state_dir, "softhsm2.conf", NULL);
		g_setenv("SOFTHSM2_CONF", conf, TRUE);
	}
	return g_steal_pointer(&self);
}

void
nusec_cloud_free(NuSecCloud *self)
{
	if (self == NULL)
		return;
	g_clear_pointer(&self->db, nusec_cloud_db_free);
	g_clear_object(&self->root);
	g_clear_object(&self->device_ca);
	g_clear_object(&self->programmer_ca);
	g_clear_object(&self->operator_ca);
	g_clear_object(&self->package);
	g_clear_object(&self->audit);
	g_clear_pointer(&self->device_ca_pkey, EVP_PKEY_free);
	g_clear_pointer(&self->programmer_ca_pkey, EVP_PKEY_free);
	g_clear_pointer(&self->operator_ca_pkey, EVP_PKEY_free);
	g_clear_pointer(&self->root_cert, X509_free);
	g_clear_pointer(&self->device_ca_cert, X509_free);
	g_clear_pointer(&self->programmer_ca_cert, X509_free);
	g_clear_pointer(&self->operator_ca_cert, X509_free);
	g_clear_pointer(&self->package_spki, g_bytes_unref);
	g_clear_pointer(&self->device_ca_der, g_bytes_unref);
	g_clear_pointer(&self->root_der, g_bytes_unref);
	g_free(self->device_chain_pem);
	g_clear_pointer(&self->boot_signers, g_hash_table_unref);
	g_mutex_clear(&self->boot_mutex);
	g_free(self);
}

static NuSecCloud *
nusec_cloud_new(NuSecCloudConfig *config)
{
	NuSecCloud *self = g_new0(NuSecCloud, 1);
	self->config = config;
	g_mutex_init(&self->boot_mutex);
	self->boot_signers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	return self;
}

gchar *
nusec_cloud_key_uri(NuSecCloud *self, const gchar *label)
{
	GString *uri = g_string_new("pkcs11:token=");
	g_string_append_uri_escaped(uri, self->config->token, NULL, FALSE);
	g_string_append(uri, ";object=");
	g_string_append_uri_escaped(uri, label, NULL, FALSE);
	g_string_append(uri, ";type=private?pin-source=file:");
	g_string_append_uri_escaped(uri, self->config->pin_file, "/", FALSE);
	if (self->config->pkcs11_module != NULL) {
		g_string_append(uri, "&module-path=");
		g_string_append_uri_escaped(uri, self->config->pkcs11_module, "/", FALSE);
	}
	return g_string_free(uri, FALSE);
}

static gchar *
nusec_cloud_path(NuSecCloud *self, const gchar *name)
{
	return g_build_filename(self->config->state_dir, name, NULL);
}

static gchar *
nusec_cloud_random_pin(void)
{
	guint8 raw[12];
	gchar *pin;
	RAND_bytes(raw, sizeof(raw));
	pin = g_base64_encode(raw, sizeof(raw));
	for (gchar *p = pin; *p != '\0'; p++) {
		if (*p == '/' || *p == '+')
			*p = 'x';
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return pin;
}

static gboolean
nusec_cloud_softhsm_create(NuSecCloud *self, GError **error)
{
	g_autofree gchar *conf = nusec_cloud_path(self, "softhsm2.conf");
	g_autofree gchar *tokens = nusec_cloud_path(self, "tokens");
	g_autofree gchar *so_pin_file = nusec_cloud_path(self, "hsm-so-pin");
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *pin = nusec_cloud_random_pin();
	g_autofree gchar *so_pin = nusec_cloud_random_pin();
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;
	const gchar *argv[] = {"softhsm2-util",
			       "--init-token",
			       "--free",
			       "--label",
			       self->config->token,
			       "--so-pin",
			       so_pin,
			       "--pin",
			       pin,
			       NULL};

	conf_text = g_strdup_printf("directories.tokendir = %s\nobjectstore.backend = file\n"
				    "log.level = ERROR\nslots.removable = false\n",
				    tokens);
	if (g_mkdir_with_parents(tokens, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", tokens);
		return FALSE;
	}
	if (!g_file_set_contents(conf, conf_text, -1, error))
		return FALSE;
	if (!nusec_cloud_write_file_private(self->config->pin_file, pin, strlen(pin), error) ||
	    !nusec_cloud_write_file_private(so_pin_file, so_pin, strlen(so_pin), error))
		return FALSE;
	g_setenv("SOFTHSM2_CONF", conf, TRUE);
	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH,
			  NULL,
			  NULL,
			  &out,
			  &err,
			  &status,
			  error)) {
		g_prefix_error(error, "softhsm2-util: ");
		return FALSE;
	}
	OPENSSL_cleanse(pin, strlen(pin));
	OPENSSL_cleanse(so_pin, strlen(so_pin));
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_PKCS11,
			    "softhsm2-util --init-token failed: %s",
			    err != NULL ? err : "");
		return FALSE;
	}
	return TRUE;
}

static NuSecSigner *
nusec_cloud_key(NuSecCloud *self, const gchar *label, gboolean create, GError **error)
{
	g_autofree gchar *uri = nusec_cloud_key_uri(self, label);
	NuSecSigner *signer = create ? nusec_pkcs11_signer_generate(uri, error)
				     : nusec_pkcs11_signer_new_from_uri(uri, error);
	if (signer == NULL)
		g_prefix_error(error, "HSM key %s: ", label);
	return signer;
}

static gboolean
nusec_cloud_write_cert(NuSecCloud *self, const gchar *name, X509 *cert, GError **error)
{
	g_autofree gchar *path = nusec_cloud_path(self, name);
	g_autofree gchar *pem = nusec_cloud_x509_to_pem(cert);
	return g_file_set_contents(path, pem, -1, error);
}

static X509 *
nusec_cloud_make_ca(NuSecCloud *self,
		    const gchar *cn,
		    NuSecSigner *subject,
		    gint pathlen,
		    GError **error)
{
	g_autoptr(EVP_PKEY) subject_key = nusec_signer_to_evp_pkey(subject, error);
	g_autoptr(EVP_PKEY) root_key = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	NuSecCloudCertSpec spec = {
	    .kind = NUSEC_CLOUD_CERT_CA,
	    .pathlen = pathlen,
	    .common_name = cn,
	    .organization = self->config->organization,
	    .subject_key = subject_key,
	    .issuer = self->root_cert,
	    .not_before = now - 60,
	    .not_after = now + (gint64)NUSEC_CLOUD_CA_YEARS * 365 * 86400,
	};
	if (subject_key == NULL)
		return NULL;
	root_key = nusec_signer_to_evp_pkey(self->root, error);
	if (root_key == NULL)
		return NULL;
	spec.issuer_key = root_key;
	return nusec_cloud_x509_issue(&spec, error);
}

gboolean
nusec_cloud_issue_operator(NuSecCloud *self, const gchar *name, GError **error)
{
	g_autofree gchar *dir = nusec_cloud_path(self, "operator");
	g_autofree gchar *key_name = g_strdup_printf("%s-key.pem", name);
	g_autofree gchar *cert_name = g_strdup_printf("%s.pem", name);
	g_autofree gchar *key_path = g_build_filename(dir, key_name, NULL);
	g_autofree gchar *cert_path = g_build_filename(dir, cert_name, NULL);
	g_autofree gchar *pem = NULL;
	g_autoptr(EVP_PKEY) key = NULL;
	g_autoptr(X509) cert = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	NuSecCloudCertSpec spec = {
	    .kind = NUSEC_CLOUD_CERT_TLS_CLIENT,
	    .common_name = name,
	    .organization = self->config->organization,
	    .issuer = self->operator_ca_cert,
	    .issuer_key = self->operator_ca_pkey,
	    .not_before = now - 60,
	    .not_after = now + (gint64)NUSEC_CLOUD_TLS_DAYS * 86400,
	};

	if (name[0] == '\0' || strchr(name, '/') != NULL || name[0] == '.') {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "invalid operator name '%s'",
			    name);
		return FALSE;
	}
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", dir);
		return FALSE;
	}
	key = nusec_cloud_pkey_generate_file(key_path, error);
	if (key == NULL)
		return FALSE;
	spec.subject_key = key;
	cert = nusec_cloud_x509_issue(&spec, error);
	if (cert == NULL)
		return FALSE;
	pem = nusec_cloud_x509_to_pem(cert);
	return g_file_set_contents(cert_path, pem, -1, error);
}

static gboolean
nusec_cloud_load_delegates(NuSecCloud *self, GError **error)
{
	self->device_ca_pkey = nusec_signer_to_evp_pkey(self->device_ca, error);
	if (self->device_ca_pkey == NULL)
		return FALSE;
	self->programmer_ca_pkey = nusec_signer_to_evp_pkey(self->programmer_ca, error);
	if (self->programmer_ca_pkey == NULL)
		return FALSE;
	self->operator_ca_pkey = nusec_signer_to_evp_pkey(self->operator_ca, error);
	if (self->operator_ca_pkey == NULL)
		return FALSE;
	self->package_spki = nusec_signer_get_public_key(self->package, error);
	if (self->package_spki == NULL)
		return FALSE;
	if (self->root_cert != NULL && self->device_ca_cert != NULL) {
		g_autofree gchar *ca = nusec_cloud_x509_to_pem(self->device_ca_cert);
		g_autofree gchar *root = nusec_cloud_x509_to_pem(self->root_cert);
		self->device_ca_der = nusec_cloud_x509_to_der(self->device_ca_cert);
		self->root_der = nusec_cloud_x509_to_der(self->root_cert);
		self->device_chain_pem = g_strconcat(ca, root, NULL);
	}
	return TRUE;
}

static gboolean
nusec_cloud_write_config(NuSecCloud *self, GError **error)
{
	NuSecCloudConfig *c = self->config;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree gchar *data = NULL;
	g_key_file_set_string(kf, "cloud", "listen", c->listen);
	g_key_file_set_uint64(kf, "cloud", "port", c->port);
	g_key_file_set_string(kf, "cloud", "database", c->database);
	g_key_file_set_uint64(kf, "cloud", "threads", c->threads);
	g_key_file_set_uint64(kf, "cloud", "max-body", c->max_body);
	g_key_file_set_uint64(kf, "cloud", "audit-checkpoint-every", c->audit_checkpoint_every);
	g_key_file_set_string(kf, "cloud", "organization", c->organization);
	g_key_file_set_string(kf, "cloud", "tls-san", c->tls_san);
	g_key_file_set_string(kf, "hsm", "softhsm", c->softhsm ? "true" : "false");
	if (c->pkcs11_module != NULL)
		g_key_file_set_string(kf, "hsm", "module", c->pkcs11_module);
	g_key_file_set_string(kf, "hsm", "token", c->token);
	g_key_file_set_string(kf, "hsm", "pin-file", c->pin_file);
	data = g_key_file_to_data(kf, NULL, NULL);
	return g_file_set_contents(c->config_path, data, -1, error);
}

NuSecCloud *
nusec_cloud_init(NuSecCloudConfig *config, const gchar *operator_name, GError **error)
{
	g_autoptr(NuSecCloud) self = nusec_cloud_new(config);
	g_autoptr(EVP_PKEY) root_key = NULL;
	g_autoptr(EVP_PKEY) tls_key = NULL;
	g_autoptr(X509) tls_cert = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autofree gchar *marker = nusec_cloud_path(self, "root-ca.pem");
	g_autofree gchar *tls_key_path = nusec_cloud_path(self, "tls-key.pem");
	g_autofree gchar *bundle_path = nusec_cloud_path(self, "ca-bundle.pem");
	g_autoptr(GString) bundle = g_string_new(NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (g_mkdir_with_parents(config->state_dir, 0700) != 0) {
		g_set_error(error,
			    G_FILE_ERROR,
			    G_FILE_ERROR_FAILED,
			    "cannot create %s",
			    config->state_dir);
		return NULL;
	}
	if (g_file_test(marker, G_FILE_TEST_EXISTS)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "%s is already initialised",
			    config->state_dir);
		return NULL;
	}
	if (config->softhsm && !nusec_cloud_softhsm_create(self, error))
		return NULL;

	/* every CA and signing key is generated inside the token, not extractable */
	if ((self->root = nusec_cloud_key(self, NUSEC_CLOUD_KEY_ROOT, TRUE, error)) == NULL ||
	    (self->device_ca = nusec_cloud_key(self, NUSEC_CLOUD_KEY_DEVICE_CA, TRUE, error)) ==
		NULL ||
	    (self->programmer_ca = nusec_cloud_key(self, NUSEC_CLOUD_KEY_PROG_CA, TRUE, error)) ==
		NULL ||
	    (self->operator_ca = nusec_cloud_key(self, NUSEC_CLOUD_KEY_OPER_CA, TRUE, error)) ==
		NULL ||
	    (self->package = nusec_cloud_key(self, NUSEC_CLOUD_KEY_PACKAGE, TRUE, error)) == NULL ||
	    (self->audit = nusec_cloud_key(self, NUSEC_CLOUD_KEY_AUDIT, TRUE, error)) == NULL)
		return NULL;

	root_key = nusec_signer_to_evp_pkey(self->root, error);
	if (root_key == NULL)
		return NULL;
	{
		NuSecCloudCertSpec spec = {
		    .kind = NUSEC_CLOUD_CERT_CA,
		    .pathlen = 1,
		    .common_name = "NuSEC OEM Root CA",
		    .organization = config->organization,
		    .subject_key = root_key,
		    .issuer_key = root_key,
		    .not_before = now - 60,
		    .not_after = now + (gint64)NUSEC_CLOUD_CA_YEARS * 365 * 86400,
		};
		self->root_cert = nusec_cloud_x509_issue(&spec, error);
		if (self->root_cert == NULL)
			return NULL;
	}
	if ((self->device_ca_cert =
		 nusec_cloud_make_ca(self, "NuSEC Device Issuing CA", self->device_ca, 0, error)) ==
		NULL ||
	    (self->programmer_ca_cert =
		 nusec_cloud_make_ca(self, "NuSEC Programmer CA", self->programmer_ca, 0, error)) ==
		NULL ||
	    (self->operator_ca_cert =
		 nusec_cloud_make_ca(self, "NuSEC Operator CA", self->operator_ca, 0, error)) ==
		NULL)
		return NULL;
	if (!nusec_cloud_load_delegates(self, error))
		return NULL;

	/* the TLS server key is the only key outside the HSM (MHD needs it in memory) */
	tls_key = nusec_cloud_pkey_generate_file(tls_key_path, error);
	if (tls_key == NULL)
		return NULL;
	{
		NuSecCloudCertSpec spec = {
		    .kind = NUSEC_CLOUD_CERT_TLS_SERVER,
		    .common_name = "nusec-cloud",
		    .organization = config->organization,
		    .subject_key = tls_key,
		    .issuer = self->root_cert,
		    .issuer_key = root_key,
		    .not_before = now - 60,
		    .not_after = now + (gint64)NUSEC_CLOUD_TLS_DAYS * 86400,
		    .san = config->tls_san,
		};
		tls_cert = nusec_cloud_x509_issue(&spec, error);
		if (tls_cert == NULL)
			return NULL;
	}
	if (!nusec_cloud_write_cert(self, "device-ca.pem", self->device_ca_cert, error) ||
	    !nusec_cloud_write_cert(self, "programmer-ca.pem", self->programmer_ca_cert, error) ||
	    !nusec_cloud_write_cert(self, "operator-ca.pem", self->operator_ca_cert, error) ||
	    !nusec_cloud_write_cert(self, "tls-cert.pem", tls_cert, error))
		return NULL;
	{
		X509 *certs[] = {self->root_cert,
				 self->device_ca_cert,
				 self->programmer_ca_cert,
				 self->operator_ca_cert};
		for (guint i = 0; i < G_N_ELEMENTS(certs); i++) {
			g_autofree gchar *pem = nusec_cloud_x509_to_pem(certs[i]);
			g_string_append(bundle, pem);
		}
		if (!g_file_set_contents(bundle_path, bundle->str, bundle->len, error))
			return NULL;
	}
	if (!nusec_cloud_issue_operator(self, operator_name, error))
		return NULL;
	if (!g_file_test(config->config_path, G_FILE_TEST_EXISTS) &&
	    !nusec_cloud_write_config(self, error))
		return NULL;

	self->db = nusec_cloud_db_open(config->database, 2, error);
	if (self->db == NULL)
		return NULL;
	conn = nusec_cloud_db_acquire(self->db, error);
	if (conn == NULL || !nusec_cloud_db_begin_write(conn, error))
		return NULL;
	{
		g_autofree gchar *detail = g_strdup_printf("{\"operator\":\"%s\"}", operator_name);
		if (nusec_cloud_audit_append(conn, "init", "cloud.init", "cloud", detail, error) ==
		    0)
			return NULL;
	}
	if (!nusec_cloud_db_commit(conn, error))
		return NULL;
	/* the root certificate last: its presence marks a complete init */
	if (!nusec_cloud_write_cert(self, "root-ca.pem", self->root_cert, error))
		return NULL;
	return g_steal_pointer(&self);
}

NuSecCloud *
nusec_cloud_open(NuSecCloudConfig *config, guint db_conns, GError **error)
{
	g_autoptr(NuSecCloud) self = nusec_cloud_new(config);
	struct {
		const gchar *file;
		X509 **cert;
	} certs[] = {
	    {"root-ca.pem", &self->root_cert},
	    {"device-ca.pem", &self->device_ca_cert},
	    {"programmer-ca.pem", &self->programmer_ca_cert},
	    {"operator-ca.pem", &self->operator_ca_cert},
	};
	for (guint i = 0; i < G_N_ELEMENTS(certs); i++) {
		g_autofree gchar *path = nusec_cloud_path(self, certs[i].file);
		*certs[i].cert = nusec_cloud_x509_load(path, error);
		if (*certs[i].cert == NULL) {
			g_prefix_error(error, "not an initialised state folder: ");
			return NULL;
		}
	}
	if ((self->root = nusec_cloud_key(self, NUSEC_CLOUD_KEY_ROOT, FALSE, error)) == NULL ||
	    (self->device_ca = nusec_cloud_key(self, NUSEC_CLOUD_KEY_DEVICE_CA, FALSE, error)) ==
		NULL ||
	    (self->programmer_ca = nusec_cloud_key(self, NUSEC_CLOUD_KEY_PROG_CA, FALSE, error)) ==
		NULL ||
	    (self->operator_ca = nusec_cloud_key(self, NUSEC_CLOUD_KEY_OPER_CA, FALSE, error)) ==
		NULL ||
	    (self->package = nusec_cloud_key(self, NUSEC_CLOUD_KEY_PACKAGE, FALSE, error)) ==
		NULL ||
	    (self->audit = nusec_cloud_key(self, NUSEC_CLOUD_KEY_AUDIT, FALSE, error)) == NULL)
		return NULL;
	if (!nusec_cloud_load_delegates(self, error))
		return NULL;
	self->db = nusec_cloud_db_open(config->database, db_conns, error);
	if (self->db == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

NuSecSigner *
nusec_cloud_boot_signer(NuSecCloud *self, const gchar *product_id, gboolean create, GError **error)
{
	g_autofree gchar *label = g_strconcat(NUSEC_CLOUD_KEY_BOOT_PREFIX, product_id, NULL);
	NuSecSigner *signer;
	g_mutex_lock(&self->boot_mutex);
	signer = g_hash_table_lookup(self->boot_signers, product_id);
	if (signer != NULL) {
		g_object_ref(signer);
		g_mutex_unlock(&self->boot_mutex);
		return signer;
	}
	signer = nusec_cloud_key(self, label, create, error);
	if (signer != NULL)
		g_hash_table_insert(self->boot_signers, g_strdup(product_id), g_object_ref(signer));
	g_mutex_unlock(&self->boot_mutex);
	return signer;
}
