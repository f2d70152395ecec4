/*
 * The cloud's binary formats (docs/formats/cloud-messages.md, docs/formats/package.md):
 * CBOR payloads in COSE_Sign1 (ES256), packages and sealed firmware in HPKE. Each side of a
 * message is here (build and parse), so the tests and the NuLink3 firmware (issue 4) have one
 * reference. Every parser is strict: deterministic CBOR, known integer keys only, exact
 * lengths, format version 1.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <openssl/evp.h>

#include "nusec-signer.h"

G_BEGIN_DECLS

#define NUSEC_CLOUD_AAD_SETUP	  "nusec setup bundle v1"
#define NUSEC_CLOUD_AAD_REQUEST	  "nusec device request v1"
#define NUSEC_CLOUD_AAD_RECEIPT	  "nusec birth receipt v1"
#define NUSEC_CLOUD_AAD_ABORT	  "nusec abort v1"
#define NUSEC_CLOUD_AAD_PACKAGE	  "nusec package v1"
#define NUSEC_CLOUD_INFO_PACKAGE  "NuSEC package v1"
#define NUSEC_CLOUD_INFO_FIRMWARE "NuSEC firmware v1"
#define NUSEC_CLOUD_FW_CHUNK	  4096
#define NUSEC_CLOUD_ID_MAX	  64

/* a NuLink3 setup bundle: COSE_Sign1 by the identity key over its own registration */
typedef struct {
	gchar *serial;
	GBytes *identity_point;	  /* 65 bytes: TLS client key, request signing key */
	GBytes *encryption_point; /* 65 bytes: HPKE recipient key */
	gchar *model;		  /* optional */
	GBytes *request_point;	  /* optional (key 6): a separate request-signing key */
	GBytes *payload;	  /* the signed payload */
} NuSecCloudSetupBundle;

void
nusec_cloud_setup_bundle_free(NuSecCloudSetupBundle *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudSetupBundle, nusec_cloud_setup_bundle_free)
NuSecCloudSetupBundle *
nusec_cloud_setup_bundle_parse(GBytes *cose, GError **error);
GBytes *
nusec_cloud_setup_bundle_build(NuSecSigner *identity,
			       const gchar *serial,
			       GBytes *encryption_point,
			       const gchar *model,
			       GError **error);
/* with a separate request key: the same payload (with key 6) signed by both keys; the second
 * signature goes to *@request_bundle */
GBytes *
nusec_cloud_setup_bundle_build_full(NuSecSigner *identity,
				    NuSecSigner *request,
				    const gchar *serial,
				    GBytes *encryption_point,
				    const gchar *model,
				    GBytes **request_bundle,
				    GError **error);
/* proof of possession of the request key: @request_bundle signs exactly the bundle's payload */
gboolean
nusec_cloud_setup_bundle_check_request(NuSecCloudSetupBundle *self,
				       GBytes *request_bundle,
				       GError **error);

/* a device certificate request: COSE_Sign1 by the programmer's identity key */
typedef struct {
	gchar *order_id;
	gchar *chip_id;
	GBytes *csr; /* DER PKCS#10 */
	guint64 counter;
	gchar *programmer_serial;
} NuSecCloudDeviceRequest;

void
nusec_cloud_device_request_free(NuSecCloudDeviceRequest *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudDeviceRequest, nusec_cloud_device_request_free)
NuSecCloudDeviceRequest *
nusec_cloud_device_request_parse(GBytes *cose, GBytes *identity_point, GError **error);
GBytes *
nusec_cloud_device_request_build(NuSecSigner *identity,
				 const NuSecCloudDeviceRequest *req,
				 GError **error);

/* a birth receipt: COSE_Sign1 by the device's own key */
typedef struct {
	gchar *chip_id;
	GBytes *cert_sha256;
	GBytes *image_sha256;
	guint64 lifecycle;
} NuSecCloudReceipt;

void
nusec_cloud_receipt_free(NuSecCloudReceipt *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudReceipt, nusec_cloud_receipt_free)
NuSecCloudReceipt *
nusec_cloud_receipt_parse(GBytes *cose, GBytes *device_point, GError **error);
GBytes *
nusec_cloud_receipt_build(NuSecSigner *device, const NuSecCloudReceipt *receipt, GError **error);

/* an abort of a unit never certified: COSE_Sign1 by the programmer's identity key */
typedef struct {
	gchar *order_id;
	gchar *chip_id;
	gchar *reason;
} NuSecCloudAbort;

void
nusec_cloud_abort_free(NuSecCloudAbort *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudAbort, nusec_cloud_abort_free)
NuSecCloudAbort *
nusec_cloud_abort_parse(GBytes *cose, GBytes *identity_point, GError **error);
GBytes *
nusec_cloud_abort_build(NuSecSigner *identity, const NuSecCloudAbort *abort, GError **error);

/* the signed package manifest */
typedef struct {
	gchar *package_id;
	gchar *order_id;
	gchar *programmer_serial;
	GBytes *programmer_key_hash; /* SHA-256 of the identity point */
	gchar *product_id;
	GBytes *rot_key_hash; /* SHA-256 of the boot key SPKI (MCUboot KEYHASH, OTP) */
	gchar *firmware_version;
	guint64 security_counter;
	guint64 image_size;
	GBytes *image_sha256;
	guint64 limit;
	guint64 not_before; /* Unix seconds */
	guint64 not_after;
	GBytes *token; /* 32-byte firmware download token */
	guint64 issued_at;
} NuSecCloudManifest;

void
nusec_cloud_manifest_free(NuSecCloudManifest *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudManifest, nusec_cloud_manifest_free)

GBytes *
nusec_cloud_manifest_encode(const NuSecCloudManifest *m, GError **error);
NuSecCloudManifest *
nusec_cloud_manifest_decode(GBytes *cbor, GError **error);

/* [1, "nusec-package", enc, HPKE(COSE_Sign1(package key, manifest))] */
GBytes *
nusec_cloud_package_build(NuSecSigner *package_key,
			  const NuSecCloudManifest *m,
			  GBytes *encryption_point,
			  GError **error);
/* the programmer's side (tests, and the reference for the NuLink3) */
NuSecCloudManifest *
nusec_cloud_package_open(EVP_PKEY *encryption_key,
			 GBytes *encryption_point,
			 GBytes *package_spki,
			 GBytes *package,
			 GError **error);

/* [1, "nusec-firmware", enc, chunk size, total size, [ct_0 .. ct_n-1]] */
GBytes *
nusec_cloud_firmware_seal(GBytes *image,
			  const gchar *order_id,
			  GBytes *encryption_point,
			  GError **error);
GBytes *
nusec_cloud_firmware_open(EVP_PKEY *encryption_key,
			  GBytes *encryption_point,
			  const gchar *order_id,
			  GBytes *sealed,
			  GError **error);

/* HMAC-SHA256(token, "nusec firmware fetch v1" || order_id || 0x00 || nonce) */
GBytes *
nusec_cloud_fetch_proof(GBytes *token, const gchar *order_id, GBytes *nonce);

/* the AADs: CBOR [1, @type] for a package, [1, "nusec-firmware", order, i, n, total] for
 * firmware chunk i (docs/formats/package.md) */
GBytes *
nusec_cloud_envelope_header(const gchar *type);
GBytes *
nusec_cloud_firmware_aad(const gchar *order_id, guint64 index, guint64 count, guint64 total);

/* SHA-256 */
GBytes *
nusec_cloud_sha256(GBytes *data);

G_END_DECLS
