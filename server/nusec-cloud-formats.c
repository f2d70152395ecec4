/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-formats.h"

#include <openssl/hmac.h>
#include <string.h>

#include "fwc-cbor.h"
#include "fwc-cose.h"
#include "fwc-crypto.h"
#include "nusec-cloud-x509.h"
#include "nusec-cose.h"
#include "nusec-error.h"
#include "nusec-hpke.h"
#include "nusec-openssl.h"

#define NUSEC_CLOUD_FORMAT_VERSION 1
#define NUSEC_CLOUD_CSR_MAX	   2048
#define NUSEC_CLOUD_TEXT_MAX	   256

GBytes *
nusec_cloud_sha256(GBytes *data)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize len = sizeof(digest);
	g_checksum_update(sum, g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	g_checksum_get_digest(sum, digest, &len);
	return g_bytes_new(digest, len);
}

/* ---- a strict reader for maps of small integer keys ---- */

typedef enum {
	FIELD_UINT,
	FIELD_TSTR,
	FIELD_BSTR,
	FIELD_MAP, /* a nested map: only its raw bytes are returned */
} FieldType;

typedef struct {
	guint64 key;
	FieldType type;
	gboolean required;
	gsize min_len;
	gsize max_len;
	/* out */
	gboolean present;
	guint64 u;
	const guint8 *data;
	gsize len;
} Field;

static gboolean
nusec_cloud_cbor_fail(GError **error, const gchar *what, const gchar *why)
{
	g_set_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA, "%s: %s", what, why);
	return FALSE;
}

static gboolean
nusec_cloud_parse_map(const guint8 *buf,
		      gsize len,
		      Field *fields,
		      guint n_fields,
		      const gchar *what,
		      GError **error)
{
	fwc_cbor_reader r;
	size_t pairs = 0;
	int rc;

	fwc_cbor_reader_init(&r, buf, len, 0);
	rc = fwc_cbor_check_map(&r);
	if (rc != FWC_CBOR_OK)
		return nusec_cloud_cbor_fail(error, what, fwc_cbor_strerror(rc));
	if (fwc_cbor_read_map(&r, &pairs) != FWC_CBOR_OK)
		return nusec_cloud_cbor_fail(error, what, fwc_cbor_strerror(r.error));
	for (size_t i = 0; i < pairs; i++) {
		uint64_t key = 0;
		Field *f = NULL;
		if (fwc_cbor_read_uint(&r, &key) != FWC_CBOR_OK)
			return nusec_cloud_cbor_fail(error,
						     what,
						     "a key is not an unsigned integer");
		for (guint j = 0; j < n_fields; j++) {
			if (fields[j].key == key)
				f = &fields[j];
		}
		if (f == NULL) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "%s: unknown field %" G_GUINT64_FORMAT,
				    what,
				    key);
			return FALSE;
		}
		f->present = TRUE;
		switch (f->type) {
		case FIELD_UINT:
			rc = fwc_cbor_read_uint(&r, &f->u);
			break;
		case FIELD_TSTR: {
			const char *text = NULL;
			rc = fwc_cbor_read_tstr(&r, &text, &f->len);
			f->data = (const guint8 *)text;
			if (rc == FWC_CBOR_OK && memchr(text, '\0', f->len) != NULL)
				rc = FWC_CBOR_ERR_BAD_UTF8;
			break;
		}
		case FIELD_BSTR:
			rc = fwc_cbor_read_bstr(&r, &f->data, &f->len);
			break;
		case FIELD_MAP: {
			size_t start = r.pos;
			fwc_cbor_type type;
			rc = fwc_cbor_peek_type(&r, &type);
			if (rc == FWC_CBOR_OK && type != FWC_CBOR_TYPE_MAP)
				rc = FWC_CBOR_ERR_TYPE;
			if (rc == FWC_CBOR_OK)
				rc = fwc_cbor_skip(&r);
			f->data = buf + start;
			f->len = r.pos - start;
			break;
		}
		default:
			g_assert_not_reached();
		}
		if (rc != FWC_CBOR_OK) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "%s: field %" G_GUINT64_FORMAT ": %s",
				    what,
				    key,
				    fwc_cbor_strerror(rc));
			return FALSE;
		}
		if ((f->type == FIELD_TSTR || f->type == FIELD_BSTR) &&
		    (f->len < f->min_len || f->len > f->max_len)) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "%s: field %" G_GUINT64_FORMAT " has length %" G_GSIZE_FORMAT
				    " (expected %" G_GSIZE_FORMAT "..%" G_GSIZE_FORMAT ")",
				    what,
				    key,
				    f->len,
				    f->min_len,
				    f->max_len);
			return FALSE;
		}
	}
	rc = fwc_cbor_read_end(&r);
	if (rc != FWC_CBOR_OK)
		return nusec_cloud_cbor_fail(error, what, fwc_cbor_strerror(rc));
	for (guint j = 0; j < n_fields; j++) {
		if (fields[j].required && !fields[j].present) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "%s: field %" G_GUINT64_FORMAT " is missing",
				    what,
				    fields[j].key);
			return FALSE;
		}
	}
	/* field 1 is always the format version */
	if (n_fields > 0 && fields[0].key == 1 && fields[0].type == FIELD_UINT &&
	    fields[0].u != NUSEC_CLOUD_FORMAT_VERSION) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_SUPPORTED,
			    "%s: format version %" G_GUINT64_FORMAT " is not supported",
			    what,
			    fields[0].u);
		return FALSE;
	}
	return TRUE;
}

static gchar *
field_text(const Field *f)
{
	return f->present ? g_strndup((const gchar *)f->data, f->len) : NULL;
}

static GBytes *
field_bytes(const Field *f)
{
	return f->present ? g_bytes_new(f->data, f->len) : NULL;
}

#define F_VERSION                                                                                  \
	{                                                                                          \
		.key = 1, .type = FIELD_UINT, .required = TRUE                                     \
	}
#define F_TEXT(k, req, max)                                                                        \
	{                                                                                          \
		.key = (k), .type = FIELD_TSTR, .required = (req), .min_len = 1, .max_len = (max)  \
	}
#define F_BYTES(k, min, max)                                                                       \
	{                                                                                          \
		.key = (k), .type = FIELD_BSTR, .required = TRUE, .min_len = (min),                \
		.max_len = (max)                                                                   \
	}
#define F_UINT(k)                                                                                  \
	{                                                                                          \
		.key = (k), .type = FIELD_UINT, .required = TRUE                                   \
	}

/* ---- writing ---- */

static void
w_tstr(fwc_cbor_writer *w, const gchar *text)
{
	fwc_cbor_write_tstr(w, text, strlen(text));
}

static void
w_bytes(fwc_cbor_writer *w, GBytes *b)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(b, &len);
	fwc_cbor_write_bstr(w, data, len);
}

static GBytes *
w_finish(fwc_cbor_writer *w, guint8 *buf, GError **error)
{
	if (fwc_cbor_writer_status(w) != FWC_CBOR_OK) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "cannot encode: %s",
			    fwc_cbor_strerror(fwc_cbor_writer_status(w)));
		g_free(buf);
		return NULL;
	}
	return g_bytes_new_take(buf, w->len);
}

static GBytes *
nusec_cloud_sign(NuSecSigner *signer, GBytes *payload, const gchar *aad, GError **error)
{
	g_autoptr(GBytes) ext = g_bytes_new_static(aad, strlen(aad));
	return nusec_cose_sign1_create(signer, payload, NULL, ext, error);
}

/*
 * The SPKI of a point, checked once (OpenSSL 3's full public-key check multiplies by the
 * group order: far too slow to repeat for every request of an enrolled programmer).
 */
#define NUSEC_CLOUD_SPKI_CACHE_MAX 4096

static GMutex nusec_cloud_spki_mutex;
static GHashTable *nusec_cloud_spki_cache = NULL;

static GBytes *
nusec_cloud_point_spki(GBytes *point, GError **error)
{
	g_autoptr(EVP_PKEY) pkey = NULL;
	GBytes *spki;

	g_mutex_lock(&nusec_cloud_spki_mutex);
	if (nusec_cloud_spki_cache == NULL)
		nusec_cloud_spki_cache = g_hash_table_new_full(g_bytes_hash,
							       g_bytes_equal,
							       (GDestroyNotify)g_bytes_unref,
							       (GDestroyNotify)g_bytes_unref);
	spki = g_hash_table_lookup(nusec_cloud_spki_cache, point);
	if (spki != NULL) {
		g_bytes_ref(spki);
		g_mutex_unlock(&nusec_cloud_spki_mutex);
		return spki;
	}
	g_mutex_unlock(&nusec_cloud_spki_mutex);
	pkey = nusec_cloud_pkey_from_spki_or_point(point, error);
	if (pkey == NULL)
		return NULL;
	spki = nusec_cloud_pkey_to_spki(pkey);
	g_mutex_lock(&nusec_cloud_spki_mutex);
	if (g_hash_table_size(nusec_cloud_spki_cache) >= NUSEC_CLOUD_SPKI_CACHE_MAX)
		g_hash_table_remove_all(nusec_cloud_spki_cache);
	g_hash_table_insert(nusec_cloud_spki_cache, g_bytes_ref(point), g_bytes_ref(spki));
	g_mutex_unlock(&nusec_cloud_spki_mutex);
	return spki;
}

/*
 * verifies @cose with @point and returns its payload (a copy). OpenSSL only: the server is
 * multi-threaded and mbedTLS 2.28's PSA key store (fwc_cose_sign1_verify) is not thread-safe.
 */
static GBytes *
nusec_cloud_verify(GBytes *cose, GBytes *point, const gchar *aad, const gchar *what, GError **error)
{
	g_autoptr(GBytes) ext = g_bytes_new_static(aad, strlen(aad));
	g_autoptr(GBytes) spki = NULL;
	GBytes *payload = NULL;

	if (point == NULL || g_bytes_get_size(point) != FWC_P256_POINT_LEN) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "%s: no key to verify with",
			    what);
		return NULL;
	}
	spki = nusec_cloud_point_spki(point, error);
	if (spki == NULL) {
		g_prefix_error(error, "%s: ", what);
		return NULL;
	}
	if (!nusec_cose_sign1_verify(cose, spki, ext, &payload, error)) {
		g_prefix_error(error, "%s: ", what);
		return NULL;
	}
	return payload;
}

/* ---- setup bundle ---- */

void
nusec_cloud_setup_bundle_free(NuSecCloudSetupBundle *self)
{
	if (self == NULL)
		return;
	g_free(self->serial);
	g_clear_pointer(&self->identity_point, g_bytes_unref);
	g_clear_pointer(&self->encryption_point, g_bytes_unref);
	g_free(self->model);
	g_clear_pointer(&self->request_point, g_bytes_unref);
	g_clear_pointer(&self->payload, g_bytes_unref);
	g_free(self);
}

NuSecCloudSetupBundle *
nusec_cloud_setup_bundle_parse(GBytes *cose, GError **error)
{
	Field f[] = {F_VERSION,
		     F_TEXT(2, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_BYTES(3, FWC_P256_POINT_LEN, FWC_P256_POINT_LEN),
		     F_BYTES(4, FWC_P256_POINT_LEN, FWC_P256_POINT_LEN),
		     F_TEXT(5, FALSE, NUSEC_CLOUD_ID_MAX),
		     {.key = 6,
		      .type = FIELD_BSTR,
		      .required = FALSE,
		      .min_len = FWC_P256_POINT_LEN,
		      .max_len = FWC_P256_POINT_LEN}};
	g_autoptr(NuSecCloudSetupBundle) self = g_new0(NuSecCloudSetupBundle, 1);
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) identity = NULL;
	fwc_cose_sign1 parsed;
	gsize len = 0;
	const guint8 *msg = g_bytes_get_data(cose, &len);
	int rc;

	/* the key is inside the payload: read it first, then prove possession with it */
	rc = fwc_cose_sign1_parse(msg, len, FWC_COSE_FLAG_TAG_REQUIRED, &parsed);
	if (rc != FWC_COSE_OK) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "setup bundle: %s",
			    fwc_cose_strerror(rc));
		return NULL;
	}
	if (!nusec_cloud_parse_map(parsed.payload,
				   parsed.payload_len,
				   f,
				   G_N_ELEMENTS(f),
				   "setup bundle",
				   error))
		return NULL;
	identity = field_bytes(&f[2]);
	payload = nusec_cloud_verify(cose, identity, NUSEC_CLOUD_AAD_SETUP, "setup bundle", error);
	if (payload == NULL)
		return NULL;
	self->serial = field_text(&f[1]);
	self->identity_point = g_steal_pointer(&identity);
	self->encryption_point = field_bytes(&f[3]);
	self->model = field_text(&f[4]);
	self->request_point = field_bytes(&f[5]);
	self->payload = g_steal_pointer(&payload);
	return g_steal_pointer(&self);
}

gboolean
nusec_cloud_setup_bundle_check_request(NuSecCloudSetupBundle *self,
				       GBytes *request_bundle,
				       GError **error)
{
	g_autoptr(GBytes) payload = NULL;
	if (self->request_point == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "setup bundle: no request key");
		return FALSE;
	}
	payload = nusec_cloud_verify(request_bundle,
				     self->request_point,
				     NUSEC_CLOUD_AAD_SETUP,
				     "setup bundle (request key)",
				     error);
	if (payload == NULL)
		return FALSE;
	if (!g_bytes_equal(payload, self->payload)) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "setup bundle: the request key signed another payload");
		return FALSE;
	}
	return TRUE;
}

GBytes *
nusec_cloud_setup_bundle_build_full(NuSecSigner *identity,
				    NuSecSigner *request,
				    const gchar *serial,
				    GBytes *encryption_point,
				    const gchar *model,
				    GBytes **request_bundle,
				    GError **error)
{
	guint8 point[65];
	guint8 req_point[65];
	gsize cap = 512;
	guint8 *buf = g_malloc(cap);
	fwc_cbor_writer w;
	g_autoptr(GBytes) payload = NULL;
	guint pairs = 4 + (model != NULL ? 1 : 0) + (request != NULL ? 1 : 0);

	if (!nusec_signer_get_public_point(identity, point, error) ||
	    (request != NULL && !nusec_signer_get_public_point(request, req_point, error))) {
		g_free(buf);
		return NULL;
	}
	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_map(&w, pairs);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	w_tstr(&w, serial);
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_bstr(&w, point, sizeof(point));
	fwc_cbor_write_uint(&w, 4);
	w_bytes(&w, encryption_point);
	if (model != NULL) {
		fwc_cbor_write_uint(&w, 5);
		w_tstr(&w, model);
	}
	if (request != NULL) {
		fwc_cbor_write_uint(&w, 6);
		fwc_cbor_write_bstr(&w, req_point, sizeof(req_point));
	}
	payload = w_finish(&w, buf, error);
	if (payload == NULL)
		return NULL;
	if (request != NULL) {
		*request_bundle = nusec_cloud_sign(request, payload, NUSEC_CLOUD_AAD_SETUP, error);
		if (*request_bundle == NULL)
			return NULL;
	}
	return nusec_cloud_sign(identity, payload, NUSEC_CLOUD_AAD_SETUP, error);
}

GBytes *
nusec_cloud_setup_bundle_build(NuSecSigner *identity,
			       const gchar *serial,
			       GBytes *encryption_point,
			       const gchar *model,
			       GError **error)
{
	return nusec_cloud_setup_bundle_build_full(identity,
						   NULL,
						   serial,
						   encryption_point,
						   model,
						   NULL,
						   error);
}

/* ---- device request ---- */

void
nusec_cloud_device_request_free(NuSecCloudDeviceRequest *self)
{
	if (self == NULL)
		return;
	g_free(self->order_id);
	g_free(self->chip_id);
	g_clear_pointer(&self->csr, g_bytes_unref);
	g_free(self->programmer_serial);
	g_free(self);
}

NuSecCloudDeviceRequest *
nusec_cloud_device_request_parse(GBytes *cose, GBytes *identity_point, GError **error)
{
	Field f[] = {F_VERSION,
		     F_TEXT(2, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_TEXT(3, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_BYTES(4, 1, NUSEC_CLOUD_CSR_MAX),
		     F_UINT(5),
		     F_TEXT(6, TRUE, NUSEC_CLOUD_ID_MAX)};
	g_autoptr(GBytes) payload = nusec_cloud_verify(cose,
						       identity_point,
						       NUSEC_CLOUD_AAD_REQUEST,
						       "device request",
						       error);
	NuSecCloudDeviceRequest *self;

	if (payload == NULL)
		return NULL;
	if (!nusec_cloud_parse_map(g_bytes_get_data(payload, NULL),
				   g_bytes_get_size(payload),
				   f,
				   G_N_ELEMENTS(f),
				   "device request",
				   error))
		return NULL;
	self = g_new0(NuSecCloudDeviceRequest, 1);
	self->order_id = field_text(&f[1]);
	self->chip_id = field_text(&f[2]);
	self->csr = field_bytes(&f[3]);
	self->counter = f[4].u;
	self->programmer_serial = field_text(&f[5]);
	return self;
}

GBytes *
nusec_cloud_device_request_build(NuSecSigner *identity,
				 const NuSecCloudDeviceRequest *req,
				 GError **error)
{
	gsize cap = 512 + g_bytes_get_size(req->csr);
	guint8 *buf = g_malloc(cap);
	fwc_cbor_writer w;
	g_autoptr(GBytes) payload = NULL;

	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_map(&w, 6);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	w_tstr(&w, req->order_id);
	fwc_cbor_write_uint(&w, 3);
	w_tstr(&w, req->chip_id);
	fwc_cbor_write_uint(&w, 4);
	w_bytes(&w, req->csr);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_uint(&w, req->counter);
	fwc_cbor_write_uint(&w, 6);
	w_tstr(&w, req->programmer_serial);
	payload = w_finish(&w, buf, error);
	if (payload == NULL)
		return NULL;
	return nusec_cloud_sign(identity, payload, NUSEC_CLOUD_AAD_REQUEST, error);
}

/* ---- birth receipt ---- */

void
nusec_cloud_receipt_free(NuSecCloudReceipt *self)
{
	if (self == NULL)
		return;
	g_free(self->chip_id);
	g_clear_pointer(&self->cert_sha256, g_bytes_unref);
	g_clear_pointer(&self->image_sha256, g_bytes_unref);
	g_free(self);
}

NuSecCloudReceipt *
nusec_cloud_receipt_parse(GBytes *cose, GBytes *device_point, GError **error)
{
	Field f[] = {F_VERSION,
		     F_TEXT(2, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_BYTES(3, 32, 32),
		     F_BYTES(4, 32, 32),
		     F_UINT(5)};
	g_autoptr(GBytes) payload =
	    nusec_cloud_verify(cose, device_point, NUSEC_CLOUD_AAD_RECEIPT, "birth receipt", error);
	NuSecCloudReceipt *self;

	if (payload == NULL)
		return NULL;
	if (!nusec_cloud_parse_map(g_bytes_get_data(payload, NULL),
				   g_bytes_get_size(payload),
				   f,
				   G_N_ELEMENTS(f),
				   "birth receipt",
				   error))
		return NULL;
	self = g_new0(NuSecCloudReceipt, 1);
	self->chip_id = field_text(&f[1]);
	self->cert_sha256 = field_bytes(&f[2]);
	self->image_sha256 = field_bytes(&f[3]);
	self->lifecycle = f[4].u;
	return self;
}

GBytes *
nusec_cloud_receipt_build(NuSecSigner *device, const NuSecCloudReceipt *receipt, GError **error)
{
	gsize cap = 512;
	guint8 *buf = g_malloc(cap);
	fwc_cbor_writer w;
	g_autoptr(GBytes) payload = NULL;

	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_map(&w, 5);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	w_tstr(&w, receipt->chip_id);
	fwc_cbor_write_uint(&w, 3);
	w_bytes(&w, receipt->cert_sha256);
	fwc_cbor_write_uint(&w, 4);
	w_bytes(&w, receipt->image_sha256);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_uint(&w, receipt->lifecycle);
	payload = w_finish(&w, buf, error);
	if (payload == NULL)
		return NULL;
	return nusec_cloud_sign(device, payload, NUSEC_CLOUD_AAD_RECEIPT, error);
}

/* ---- abort ---- */

void
nusec_cloud_abort_free(NuSecCloudAbort *self)
{
	if (self == NULL)
		return;
	g_free(self->order_id);
	g_free(self->chip_id);
	g_free(self->reason);
	g_free(self);
}

NuSecCloudAbort *
nusec_cloud_abort_parse(GBytes *cose, GBytes *identity_point, GError **error)
{
	Field f[] = {F_VERSION,
		     F_TEXT(2, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_TEXT(3, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_TEXT(4, TRUE, NUSEC_CLOUD_TEXT_MAX)};
	g_autoptr(GBytes) payload =
	    nusec_cloud_verify(cose, identity_point, NUSEC_CLOUD_AAD_ABORT, "abort", error);
	NuSecCloudAbort *self;

	if (payload == NULL)
		return NULL;
	if (!nusec_cloud_parse_map(g_bytes_get_data(payload, NULL),
				   g_bytes_get_size(payload),
				   f,
				   G_N_ELEMENTS(f),
				   "abort",
				   error))
		return NULL;
	self = g_new0(NuSecCloudAbort, 1);
	self->order_id = field_text(&f[1]);
	self->chip_id = field_text(&f[2]);
	self->reason = field_text(&f[3]);
	return self;
}

GBytes *
nusec_cloud_abort_build(NuSecSigner *identity, const NuSecCloudAbort *abort, GError **error)
{
	gsize cap = 1024;
	guint8 *buf = g_malloc(cap);
	fwc_cbor_writer w;
	g_autoptr(GBytes) payload = NULL;

	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_map(&w, 4);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	w_tstr(&w, abort->order_id);
	fwc_cbor_write_uint(&w, 3);
	w_tstr(&w, abort->chip_id);
	fwc_cbor_write_uint(&w, 4);
	w_tstr(&w, abort->reason);
	payload = w_finish(&w, buf, error);
	if (payload == NULL)
		return NULL;
	return nusec_cloud_sign(identity, payload, NUSEC_CLOUD_AAD_ABORT, error);
}

/* ---- package ---- */

void
nusec_cloud_manifest_free(NuSecCloudManifest *self)
{
	if (self == NULL)
		return;
	g_free(self->package_id);
	g_free(self->order_id);
	g_free(self->programmer_serial);
	g_clear_pointer(&self->programmer_key_hash, g_bytes_unref);
	g_free(self->product_id);
	g_clear_pointer(&self->rot_key_hash, g_bytes_unref);
	g_free(self->firmware_version);
	g_clear_pointer(&self->image_sha256, g_bytes_unref);
	g_clear_pointer(&self->token, g_bytes_unref);
	g_free(self);
}

GBytes *
nusec_cloud_manifest_encode(const NuSecCloudManifest *m, GError **error)
{
	gsize cap = 2048;
	guint8 *buf = g_malloc(cap);
	fwc_cbor_writer w;

	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_map(&w, 13);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	w_tstr(&w, m->package_id);
	fwc_cbor_write_uint(&w, 3);
	w_tstr(&w, m->order_id);
	fwc_cbor_write_uint(&w, 4);
	w_tstr(&w, m->programmer_serial);
	fwc_cbor_write_uint(&w, 5);
	w_bytes(&w, m->programmer_key_hash);
	fwc_cbor_write_uint(&w, 6);
	w_tstr(&w, m->product_id);
	fwc_cbor_write_uint(&w, 7);
	w_bytes(&w, m->rot_key_hash);
	fwc_cbor_write_uint(&w, 8);
	fwc_cbor_write_map(&w, 4);
	fwc_cbor_write_uint(&w, 1);
	w_tstr(&w, m->firmware_version);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_uint(&w, m->security_counter);
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_uint(&w, m->image_size);
	fwc_cbor_write_uint(&w, 4);
	w_bytes(&w, m->image_sha256);
	fwc_cbor_write_uint(&w, 9);
	fwc_cbor_write_uint(&w, m->limit);
	fwc_cbor_write_uint(&w, 10);
	fwc_cbor_write_uint(&w, m->not_before);
	fwc_cbor_write_uint(&w, 11);
	fwc_cbor_write_uint(&w, m->not_after);
	fwc_cbor_write_uint(&w, 12);
	w_bytes(&w, m->token);
	fwc_cbor_write_uint(&w, 13);
	fwc_cbor_write_uint(&w, m->issued_at);
	return w_finish(&w, buf, error);
}

NuSecCloudManifest *
nusec_cloud_manifest_decode(GBytes *cbor, GError **error)
{
	Field f[] = {F_VERSION,
		     F_TEXT(2, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_TEXT(3, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_TEXT(4, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_BYTES(5, 32, 32),
		     F_TEXT(6, TRUE, NUSEC_CLOUD_ID_MAX),
		     F_BYTES(7, 32, 32),
		     {.key = 8, .type = FIELD_MAP, .required = TRUE},
		     F_UINT(9),
		     F_UINT(10),
		     F_UINT(11),
		     F_BYTES(12, 32, 32),
		     F_UINT(13)};
	Field fw[] = {{.key = 1, .type = FIELD_TSTR, .required = TRUE, .min_len = 1, .max_len = 64},
		      F_UINT(2),
		      F_UINT(3),
		      F_BYTES(4, 32, 32)};
	NuSecCloudManifest *m;

	if (!nusec_cloud_parse_map(g_bytes_get_data(cbor, NULL),
				   g_bytes_get_size(cbor),
				   f,
				   G_N_ELEMENTS(f),
				   "package manifest",
				   error))
		return NULL;
	/* the nested map's key 1 is the version text, not a format version */
	if (!nusec_cloud_parse_map(f[7].data,
				   f[7].len,
				   fw,
				   G_N_ELEMENTS(fw),
				   "package manifest firmware",
				   error))
		return NULL;
	m = g_new0(NuSecCloudManifest, 1);
	m->package_id = field_text(&f[1]);
	m->order_id = field_text(&f[2]);
	m->programmer_serial = field_text(&f[3]);
	m->programmer_key_hash = field_bytes(&f[4]);
	m->product_id = field_text(&f[5]);
	m->rot_key_hash = field_bytes(&f[6]);
	m->firmware_version = field_text(&fw[0]);
	m->security_counter = fw[1].u;
	m->image_size = fw[2].u;
	m->image_sha256 = field_bytes(&fw[3]);
	m->limit = f[8].u;
	m->not_before = f[9].u;
	m->not_after = f[10].u;
	m->token = field_bytes(&f[11]);
	m->issued_at = f[12].u;
	return m;
}

static GBytes *
nusec_cloud_hpke_info(const gchar *label, GBytes *encryption_point)
{
	g_autoptr(GBytes) hash = nusec_cloud_sha256(encryption_point);
	GByteArray *info = g_byte_array_new();
	g_byte_array_append(info, (const guint8 *)label, strlen(label));
	g_byte_array_append(info, g_bytes_get_data(hash, NULL), g_bytes_get_size(hash));
	return g_byte_array_free_to_bytes(info);
}

/* the CBOR encoding of [1, "nusec-package"]: the package AAD */
GBytes *
nusec_cloud_envelope_header(const gchar *type)
{
	guint8 buf[64];
	fwc_cbor_writer w;
	fwc_cbor_writer_init(&w, buf, sizeof(buf));
	fwc_cbor_write_array(&w, 2);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	w_tstr(&w, type);
	g_assert_cmpint(fwc_cbor_writer_status(&w), ==, FWC_CBOR_OK);
	return g_bytes_new(buf, w.len);
}

GBytes *
nusec_cloud_package_build(NuSecSigner *package_key,
			  const NuSecCloudManifest *m,
			  GBytes *encryption_point,
			  GError **error)
{
	g_autoptr(GBytes) manifest = nusec_cloud_manifest_encode(m, error);
	g_autoptr(GBytes) signed_manifest = NULL;
	g_autoptr(GBytes) info = NULL;
	g_autoptr(GBytes) aad = nusec_cloud_envelope_header("nusec-package");
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) ct = NULL;
	gsize cap;
	guint8 *buf;
	fwc_cbor_writer w;

	if (manifest == NULL)
		return NULL;
	signed_manifest = nusec_cloud_sign(package_key, manifest, NUSEC_CLOUD_AAD_PACKAGE, error);
	if (signed_manifest == NULL)
		return NULL;
	info = nusec_cloud_hpke_info(NUSEC_CLOUD_INFO_PACKAGE, encryption_point);
	ct = nusec_hpke_seal(encryption_point, info, aad, signed_manifest, &enc, error);
	if (ct == NULL)
		return NULL;
	cap = g_bytes_get_size(ct) + 128;
	buf = g_malloc(cap);
	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_array(&w, 4);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	w_tstr(&w, "nusec-package");
	w_bytes(&w, enc);
	w_bytes(&w, ct);
	return w_finish(&w, buf, error);
}

/* reads [1, type, enc, ...] and returns the reader after enc */
static gboolean
nusec_cloud_envelope_read(fwc_cbor_reader *r,
			  const gchar *type,
			  size_t items,
			  GBytes **enc,
			  GError **error)
{
	size_t count = 0;
	uint64_t version = 0;
	const char *text = NULL;
	size_t text_len = 0;
	const guint8 *data = NULL;
	size_t len = 0;

	if (fwc_cbor_read_array(r, &count) != FWC_CBOR_OK || count != items ||
	    fwc_cbor_read_uint(r, &version) != FWC_CBOR_OK ||
	    fwc_cbor_read_tstr(r, &text, &text_len) != FWC_CBOR_OK || text_len != strlen(type) ||
	    memcmp(text, type, text_len) != 0 ||
	    fwc_cbor_read_bstr(r, &data, &len) != FWC_CBOR_OK || len != NUSEC_HPKE_ENC_LEN) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "not a %s envelope",
			    type);
		return FALSE;
	}
	if (version != NUSEC_CLOUD_FORMAT_VERSION) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_SUPPORTED,
			    "%s version %" G_GUINT64_FORMAT " is not supported",
			    type,
			    version);
		return FALSE;
	}
	*enc = g_bytes_new(data, len);
	return TRUE;
}

NuSecCloudManifest *
nusec_cloud_package_open(EVP_PKEY *encryption_key,
			 GBytes *encryption_point,
			 GBytes *package_spki,
			 GBytes *package,
			 GError **error)
{
	fwc_cbor_reader r;
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) ct = NULL;
	g_autoptr(GBytes) info = NULL;
	g_autoptr(GBytes) aad = nusec_cloud_envelope_header("nusec-package");
	g_autoptr(GBytes) plain = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) ext =
	    g_bytes_new_static(NUSEC_CLOUD_AAD_PACKAGE, strlen(NUSEC_CLOUD_AAD_PACKAGE));
	const guint8 *data = NULL;
	size_t len = 0;

	fwc_cbor_reader_init(&r, g_bytes_get_data(package, NULL), g_bytes_get_size(package), 0);
	if (!nusec_cloud_envelope_read(&r, "nusec-package", 4, &enc, error))
		return NULL;
	if (fwc_cbor_read_bstr(&r, &data, &len) != FWC_CBOR_OK ||
	    fwc_cbor_read_end(&r) != FWC_CBOR_OK) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "package: malformed ciphertext");
		return NULL;
	}
	ct = g_bytes_new(data, len);
	info = nusec_cloud_hpke_info(NUSEC_CLOUD_INFO_PACKAGE, encryption_point);
	plain = nusec_hpke_open(encryption_key, enc, info, aad, ct, error);
	if (plain == NULL)
		return NULL;
	if (!nusec_cose_sign1_verify(plain, package_spki, ext, &payload, error))
		return NULL;
	return nusec_cloud_manifest_decode(payload, error);
}

/* ---- sealed firmware ---- */

GBytes *
nusec_cloud_firmware_aad(const gchar *order_id, guint64 index, guint64 count, guint64 total)
{
	guint8 buf[160];
	fwc_cbor_writer w;
	fwc_cbor_writer_init(&w, buf, sizeof(buf));
	fwc_cbor_write_array(&w, 6);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	w_tstr(&w, "nusec-firmware");
	w_tstr(&w, order_id);
	fwc_cbor_write_uint(&w, index);
	fwc_cbor_write_uint(&w, count);
	fwc_cbor_write_uint(&w, total);
	g_assert_cmpint(fwc_cbor_writer_status(&w), ==, FWC_CBOR_OK);
	return g_bytes_new(buf, w.len);
}

GBytes *
nusec_cloud_firmware_seal(GBytes *image,
			  const gchar *order_id,
			  GBytes *encryption_point,
			  GError **error)
{
	gsize total = g_bytes_get_size(image);
	gsize count = (total + NUSEC_CLOUD_FW_CHUNK - 1) / NUSEC_CLOUD_FW_CHUNK;
	g_autoptr(GBytes) info = nusec_cloud_hpke_info(NUSEC_CLOUD_INFO_FIRMWARE, encryption_point);
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(NuSecHpkeContext) ctx = NULL;
	gsize cap = total + count * 32 + 256;
	guint8 *buf;
	fwc_cbor_writer w;

	if (total == 0 || strlen(order_id) > NUSEC_CLOUD_ID_MAX) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "nothing to seal");
		return NULL;
	}
	ctx = nusec_hpke_setup_sender(encryption_point, info, &enc, error);
	if (ctx == NULL)
		return NULL;
	buf = g_malloc(cap);
	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_array(&w, 6);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FORMAT_VERSION);
	w_tstr(&w, "nusec-firmware");
	w_bytes(&w, enc);
	fwc_cbor_write_uint(&w, NUSEC_CLOUD_FW_CHUNK);
	fwc_cbor_write_uint(&w, total);
	fwc_cbor_write_array(&w, count);
	for (gsize i = 0; i < count; i++) {
		gsize off = i * NUSEC_CLOUD_FW_CHUNK;
		gsize n = MIN(NUSEC_CLOUD_FW_CHUNK, total - off);
		g_autoptr(GBytes) chunk = g_bytes_new_from_bytes(image, off, n);
		g_autoptr(GBytes) aad = nusec_cloud_firmware_aad(order_id, i, count, total);
		g_autoptr(GBytes) ct = nusec_hpke_context_seal(ctx, aad, chunk, error);
		if (ct == NULL) {
			g_free(buf);
			return NULL;
		}
		w_bytes(&w, ct);
	}
	return w_finish(&w, buf, error);
}

GBytes *
nusec_cloud_firmware_open(EVP_PKEY *encryption_key,
			  GBytes *encryption_point,
			  const gchar *order_id,
			  GBytes *sealed,
			  GError **error)
{
	fwc_cbor_reader r;
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) info = nusec_cloud_hpke_info(NUSEC_CLOUD_INFO_FIRMWARE, encryption_point);
	g_autoptr(NuSecHpkeContext) ctx = NULL;
	g_autoptr(GByteArray) out = g_byte_array_new();
	uint64_t chunk = 0, total = 0;
	size_t count = 0;

	fwc_cbor_reader_init(&r, g_bytes_get_data(sealed, NULL), g_bytes_get_size(sealed), 0);
	if (!nusec_cloud_envelope_read(&r, "nusec-firmware", 6, &enc, error))
		return NULL;
	if (fwc_cbor_read_uint(&r, &chunk) != FWC_CBOR_OK || chunk != NUSEC_CLOUD_FW_CHUNK ||
	    fwc_cbor_read_uint(&r, &total) != FWC_CBOR_OK || total == 0 ||
	    fwc_cbor_read_array(&r, &count) != FWC_CBOR_OK ||
	    count != (total + chunk - 1) / chunk) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "sealed firmware: inconsistent sizes");
		return NULL;
	}
	ctx = nusec_hpke_setup_receiver(encryption_key, enc, info, error);
	if (ctx == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const guint8 *data = NULL;
		size_t len = 0;
		g_autoptr(GBytes) ct = NULL;
		g_autoptr(GBytes) aad = nusec_cloud_firmware_aad(order_id, i, count, total);
		g_autoptr(GBytes) plain = NULL;
		gsize expect = MIN(chunk, total - i * chunk);
		if (fwc_cbor_read_bstr(&r, &data, &len) != FWC_CBOR_OK ||
		    len != expect + NUSEC_HPKE_TAG_LEN) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "sealed firmware: chunk %" G_GSIZE_FORMAT " is malformed",
				    i);
			return NULL;
		}
		ct = g_bytes_new(data, len);
		plain = nusec_hpke_context_open(ctx, aad, ct, error);
		if (plain == NULL)
			return NULL;
		g_byte_array_append(out, g_bytes_get_data(plain, NULL), g_bytes_get_size(plain));
	}
	if (fwc_cbor_read_end(&r) != FWC_CBOR_OK) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "sealed firmware: trailing bytes");
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

GBytes *
nusec_cloud_fetch_proof(GBytes *token, const gchar *order_id, GBytes *nonce)
{
	const gchar *label = "nusec firmware fetch v1";
	g_autoptr(GByteArray) msg = g_byte_array_new();
	guint8 mac[32];
	unsigned int mac_len = sizeof(mac);
	guint8 zero = 0;

	g_byte_array_append(msg, (const guint8 *)label, strlen(label));
	g_byte_array_append(msg, (const guint8 *)order_id, strlen(order_id));
	g_byte_array_append(msg, &zero, 1);
	g_byte_array_append(msg, g_bytes_get_data(nonce, NULL), g_bytes_get_size(nonce));
	if (HMAC(EVP_sha256(),
		 g_bytes_get_data(token, NULL),
		 (int)g_bytes_get_size(token),
		 msg->data,
		 msg->len,
		 mac,
		 &mac_len) == NULL)
		return NULL;
	return g_bytes_new(mac, mac_len);
}
