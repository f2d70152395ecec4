/*
 * NuSecCloud: the cloud's configuration, HSM keys, CA certificates and database, shared by
 * `nusec-cloud init`, `serve` and `audit verify`.
 *
 * State folder (created by init, mode 0700):
 *   cloud.conf            the configuration (GKeyFile, see data/nusec-cloud.conf)
 *   softhsm2.conf tokens/ the SoftHSM2 token (unless [hsm] softhsm=false: a real HSM)
 *   hsm-pin hsm-so-pin    the token PINs (0600)
 *   root-ca.pem device-ca.pem programmer-ca.pem operator-ca.pem
 *   ca-bundle.pem         root + the three issuing CAs (what clients trust)
 *   tls-cert.pem tls-key.pem   the HTTPS server credential (the only key outside the HSM)
 *   operator/NAME.pem operator/NAME-key.pem   the first OEM operator credential
 *   cloud.db              the SQLite database (unless [cloud] database=postgresql:...)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <openssl/x509.h>

#include "nusec-cloud-db.h"
#include "nusec-signer.h"

G_BEGIN_DECLS

#define NUSEC_CLOUD_KEY_ROOT	    "oem-root-ca"
#define NUSEC_CLOUD_KEY_DEVICE_CA   "device-ca"
#define NUSEC_CLOUD_KEY_PROG_CA	    "programmer-ca"
#define NUSEC_CLOUD_KEY_OPER_CA	    "operator-ca"
#define NUSEC_CLOUD_KEY_PACKAGE	    "package-signing"
#define NUSEC_CLOUD_KEY_AUDIT	    "audit-checkpoint"
#define NUSEC_CLOUD_KEY_BOOT_PREFIX "boot-"

typedef struct {
	gchar *state_dir;
	gchar *config_path;
	gchar *listen;
	guint port;
	gchar *database;
	guint threads;		      /* DB pool size and connection limit */
	guint64 max_body;	      /* bytes; larger requests get 413 */
	guint audit_checkpoint_every; /* sign a checkpoint every N audit entries */
	gchar *organization;
	gchar *tls_san;
	/* [hsm] */
	gboolean softhsm; /* init creates a SoftHSM2 token inside the state folder */
	gchar *pkcs11_module;
	gchar *token;
	gchar *pin_file;
} NuSecCloudConfig;

void
nusec_cloud_config_free(NuSecCloudConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudConfig, nusec_cloud_config_free)

/* defaults for @state_dir, then @config_path (default STATE/cloud.conf, if it exists) */
NuSecCloudConfig *
nusec_cloud_config_load(const gchar *state_dir, const gchar *config_path, GError **error);

typedef struct {
	NuSecCloudConfig *config;
	NuSecCloudDb *db;
	NuSecSigner *root;
	NuSecSigner *device_ca;
	NuSecSigner *programmer_ca;
	NuSecSigner *operator_ca;
	NuSecSigner *package;
	NuSecSigner *audit;
	EVP_PKEY *device_ca_pkey;     /* delegated to the HSM */
	EVP_PKEY *programmer_ca_pkey; /* delegated to the HSM */
	EVP_PKEY *operator_ca_pkey;   /* delegated to the HSM */
	X509 *root_cert;
	X509 *device_ca_cert;
	X509 *programmer_ca_cert;
	X509 *operator_ca_cert;
	GBytes *package_spki;
	GBytes *device_ca_der; /* the device chain, precomputed for every answer */
	GBytes *root_der;
	gchar *device_chain_pem; /* device CA then root, PEM */
	GMutex boot_mutex;
	GHashTable *boot_signers; /* product id -> NuSecSigner */
} NuSecCloud;

void
nusec_cloud_free(NuSecCloud *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloud, nusec_cloud_free)

/* creates the token, keys, certificates, the first operator credential and the database */
NuSecCloud *
nusec_cloud_init(NuSecCloudConfig *config, const gchar *operator_name, GError **error);

/* opens an initialised state: keys, certificates, database (with @db_conns connections) */
NuSecCloud *
nusec_cloud_open(NuSecCloudConfig *config, guint db_conns, GError **error);

/* the PKCS#11 URI of a key in the cloud's token */
gchar *
nusec_cloud_key_uri(NuSecCloud *self, const gchar *label);

/* a product's boot key (cached); @create generates it in the HSM */
NuSecSigner *
nusec_cloud_boot_signer(NuSecCloud *self, const gchar *product_id, gboolean create, GError **error);

/* issues a client certificate for an OEM operator into DIR/operator/NAME{,-key}.pem */
gboolean
nusec_cloud_issue_operator(NuSecCloud *self, const gchar *name, GError **error);

G_END_DECLS
