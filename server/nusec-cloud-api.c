/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-api.h"

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "fwc-cbor.h"
#include "nusec-cloud-formats.h"
#include "nusec-cloud-store.h"
#include "nusec-cloud-x509.h"
#include "nusec-cose.h"
#include "nusec-error.h"
#include "nusec-image.h"
#include "nusec-openssl.h"

#define API_NAME_MAX	     64
#define API_DEVICE_LIST	     1000
#define API_AUDIT_LIST	     1000
#define API_TOKEN_LEN	     32
#define API_NONCE_MIN	     16
#define API_NONCE_MAX	     64
#define API_IMAGE_MAX	     (16 * 1024 * 1024)
#define API_FOREVER	     G_MAXINT64
#define API_PROGRAMMER_YEARS 20

/* ---- responses ---- */

static void
api_reply_node(NuSecCloudRequest *req, guint status, JsonNode *node)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	gsize len = 0;
	gchar *text;
	json_generator_set_root(gen, node);
	text = json_generator_to_data(gen, &len);
	req->status = status;
	g_free(req->content_type);
	req->content_type = g_strdup("application/json");
	g_clear_pointer(&req->response, g_bytes_unref);
	req->response = g_bytes_new_take(text, len);
}

static void
api_reply_builder(NuSecCloudRequest *req, guint status, JsonBuilder *builder)
{
	g_autoptr(JsonNode) node = json_builder_get_root(builder);
	api_reply_node(req, status, node);
}

static void
api_reply_bytes(NuSecCloudRequest *req,
		guint status,
		const gchar *content_type,
		GBytes *data,
		const gchar *filename)
{
	req->status = status;
	g_free(req->content_type);
	req->content_type = g_strdup(content_type);
	g_clear_pointer(&req->response, g_bytes_unref);
	req->response = g_bytes_ref(data);
	g_free(req->disposition);
	req->disposition = g_strdup(filename);
}

void
nusec_cloud_api_error(NuSecCloudRequest *req, guint status, const gchar *code, const gchar *message)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, code);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, message);
	json_builder_end_object(b);
	api_reply_builder(req, status, b);
}

static void G_GNUC_PRINTF(4, 5)
    api_errorf(NuSecCloudRequest *req, guint status, const gchar *code, const gchar *fmt, ...)
{
	va_list ap;
	g_autofree gchar *msg = NULL;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	nusec_cloud_api_error(req, status, code, msg);
}

/* infrastructure failures have fixed answers; everything else takes the caller's code */
static void
api_gerror(NuSecCloudRequest *req, const GError *error, guint status, const gchar *code)
{
	if (error->domain == NUSEC_CLOUD_DB_ERROR) {
		if (error->code == NUSEC_CLOUD_DB_ERROR_UNAVAILABLE) {
			nusec_cloud_api_error(req, 503, "database_unavailable", error->message);
			return;
		}
		if (error->code == NUSEC_CLOUD_DB_ERROR_CONSTRAINT) {
			nusec_cloud_api_error(req,
					      409,
					      code != NULL ? code : "conflict",
					      error->message);
			return;
		}
		g_warning("database: %s", error->message);
		nusec_cloud_api_error(req, 500, "internal", "database statement failed");
		return;
	}
	if (error->domain == NUSEC_CLOUD_STORE_ERROR) {
		switch (error->code) {
		case NUSEC_CLOUD_STORE_ERROR_QUOTA_EXHAUSTED:
			nusec_cloud_api_error(req, 409, "quota_exhausted", error->message);
			return;
		case NUSEC_CLOUD_STORE_ERROR_ORDER_CLOSED:
			nusec_cloud_api_error(req, 409, "order_cancelled", error->message);
			return;
		case NUSEC_CLOUD_STORE_ERROR_NOT_FOUND:
			nusec_cloud_api_error(req, 404, "order_not_found", error->message);
			return;
		default:
			nusec_cloud_api_error(req, 500, "audit_broken", error->message);
			return;
		}
	}
	if (error->domain == NUSEC_ERROR &&
	    (error->code == NUSEC_ERROR_PKCS11 || error->code == NUSEC_ERROR_AUTH_FAILED)) {
		nusec_cloud_api_error(req, 503, "hsm_unavailable", error->message);
		return;
	}
	if (status == 0 || code == NULL) {
		g_warning("internal error: %s", error->message);
		nusec_cloud_api_error(req, 500, "internal", error->message);
		return;
	}
	nusec_cloud_api_error(req, status, code, error->message);
}

/* ---- request parsing ---- */

static JsonObject *
api_body_object(NuSecCloudRequest *req, JsonParser **parser_out)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(req->body, &len);
	JsonNode *root;

	if (len == 0 || !g_utf8_validate(data, len, NULL) ||
	    !json_parser_load_from_data(parser, data, len, &error)) {
		api_errorf(req,
			   400,
			   "invalid_json",
			   "request body is not JSON: %s",
			   error != NULL ? error->message : "empty or not UTF-8");
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		nusec_cloud_api_error(req,
				      400,
				      "invalid_json",
				      "request body is not a JSON object");
		return NULL;
	}
	*parser_out = g_steal_pointer(&parser);
	return json_node_get_object(root);
}

static gboolean
api_get_string(NuSecCloudRequest *req,
	       JsonObject *obj,
	       const gchar *name,
	       gboolean required,
	       gsize max_len,
	       const gchar **out)
{
	JsonNode *node = json_object_get_member(obj, name);
	const gchar *value;
	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		if (!required)
			return TRUE;
		api_errorf(req, 400, "missing_field", "field '%s' is required", name);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		api_errorf(req, 400, "bad_field", "field '%s' must be a string", name);
		return FALSE;
	}
	value = json_node_get_string(node);
	if (value[0] == '\0' || strlen(value) > max_len) {
		api_errorf(req,
			   400,
			   "bad_field",
			   "field '%s' must have 1 to %" G_GSIZE_FORMAT " characters",
			   name,
			   max_len);
		return FALSE;
	}
	*out = value;
	return TRUE;
}

static gboolean
api_get_int(NuSecCloudRequest *req,
	    JsonObject *obj,
	    const gchar *name,
	    gboolean required,
	    gint64 min,
	    gint64 max,
	    gint64 *out)
{
	JsonNode *node = json_object_get_member(obj, name);
	gint64 v;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		if (!required)
			return TRUE;
		api_errorf(req, 400, "missing_field", "field '%s' is required", name);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
		api_errorf(req, 400, "bad_field", "field '%s' must be an integer", name);
		return FALSE;
	}
	v = json_node_get_int(node);
	if (v < min || v > max) {
		api_errorf(req,
			   400,
			   "bad_field",
			   "field '%s' must be in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
			   name,
			   min,
			   max);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

/* strict base64 (no whitespace), at most @max decoded bytes */
static GBytes *
api_get_base64(NuSecCloudRequest *req, JsonObject *obj, const gchar *name, gsize max)
{
	const gchar *text = NULL;
	guchar *data;
	gsize len = 0;
	gsize text_len;
	if (!api_get_string(req, obj, name, TRUE, (max + 2) / 3 * 4, &text))
		return NULL;
	text_len = strlen(text);
	for (gsize i = 0; i < text_len; i++) {
		gchar c = text[i];
		if (!(g_ascii_isalnum(c) || c == '+' || c == '/' ||
		      (c == '=' && i >= text_len - 2))) {
			api_errorf(req, 400, "bad_field", "field '%s' is not base64", name);
			return NULL;
		}
	}
	if (text_len % 4 != 0) {
		api_errorf(req, 400, "bad_field", "field '%s' is not base64", name);
		return NULL;
	}
	data = g_base64_decode(text, &len);
	if (len == 0 || len > max) {
		g_free(data);
		api_errorf(req, 400, "bad_field", "field '%s' is empty or too long", name);
		return NULL;
	}
	return g_bytes_new_take(data, len);
}

static gboolean
api_valid_name(const gchar *text)
{
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_.:", *p) == NULL)
			return FALSE;
	}
	return text[0] != '\0' && strlen(text) <= API_NAME_MAX;
}

static gchar *
api_hex(GBytes *bytes)
{
	GString *s = g_string_new(NULL);
	gsize len = 0;
	const guint8 *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", data[i]);
	return g_string_free(s, FALSE);
}

static gchar *
api_b64(GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	return g_base64_encode(data, len);
}

static void
api_add_string(JsonBuilder *b, const gchar *name, const gchar *value)
{
	json_builder_set_member_name(b, name);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void
api_add_int(JsonBuilder *b, const gchar *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static void
api_add_hex(JsonBuilder *b, const gchar *name, GBytes *value)
{
	g_autofree gchar *hex = value != NULL ? api_hex(value) : NULL;
	api_add_string(b, name, hex);
}

static void
api_add_b64(JsonBuilder *b, const gchar *name, GBytes *value)
{
	g_autofree gchar *text = value != NULL ? api_b64(value) : NULL;
	api_add_string(b, name, text);
}

static gchar *
api_time_iso(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = NULL;
	if (unix_time == API_FOREVER)
		return g_strdup("9999-12-31T23:59:59Z");
	dt = g_date_time_new_from_unix_utc(unix_time);
	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("invalid");
}

static gboolean
api_parse_time(NuSecCloudRequest *req, JsonObject *obj, const gchar *name, gint64 *out)
{
	const gchar *text = NULL;
	g_autoptr(GDateTime) dt = NULL;
	if (!api_get_string(req, obj, name, FALSE, 64, &text))
		return FALSE;
	if (text == NULL)
		return TRUE;
	dt = g_date_time_new_from_iso8601(text, NULL);
	if (dt == NULL) {
		api_errorf(req,
			   400,
			   "bad_field",
			   "field '%s' is not an ISO 8601 time with zone",
			   name);
		return FALSE;
	}
	*out = g_date_time_to_unix(dt);
	return TRUE;
}

/* ---- database helpers ---- */

static NuSecCloudDbConn *
api_conn(NuSecCloudRequest *req)
{
	g_autoptr(GError) error = NULL;
	NuSecCloudDbConn *conn = nusec_cloud_db_acquire(req->cloud->db, &error);
	if (conn == NULL)
		api_gerror(req, error, 0, NULL);
	return conn;
}

static NuSecCloudDbResult *
api_exec(NuSecCloudRequest *req,
	 NuSecCloudDbConn *conn,
	 const gchar *sql,
	 const NuSecCloudDbParam *params,
	 guint n_params,
	 const gchar *conflict_code)
{
	g_autoptr(GError) error = NULL;
	NuSecCloudDbResult *res = nusec_cloud_db_exec(conn, sql, params, n_params, &error);
	if (res == NULL)
		api_gerror(req, error, 409, conflict_code);
	return res;
}

static gboolean
api_begin(NuSecCloudRequest *req, NuSecCloudDbConn *conn)
{
	g_autoptr(GError) error = NULL;
	if (!nusec_cloud_db_begin_write(conn, &error)) {
		api_gerror(req, error, 0, NULL);
		return FALSE;
	}
	return TRUE;
}

static gboolean
api_commit(NuSecCloudRequest *req, NuSecCloudDbConn *conn)
{
	g_autoptr(GError) error = NULL;
	if (!nusec_cloud_db_commit(conn, &error)) {
		api_gerror(req, error, 0, NULL);
		return FALSE;
	}
	return TRUE;
}

static gchar *
api_actor(NuSecCloudRequest *req)
{
	return g_strdup_printf("%s:%s",
			       req->peer->realm == NUSEC_CLOUD_REALM_OEM ? "operator"
									 : "programmer",
			       req->peer->subject != NULL ? req->peer->subject : "?");
}

/* SHA-256("nusec audit checkpoint v1" || be64(seq) || entry hash) signed by the audit key */
static GBytes *
api_checkpoint_digest(gint64 seq, GBytes *hash)
{
	const gchar *label = "nusec audit checkpoint v1";
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 be[8];
	guint8 digest[32];
	gsize len = sizeof(digest);
	for (guint i = 0; i < 8; i++)
		be[i] = (guint64)seq >> (56 - 8 * i);
	g_checksum_update(sum, (const guchar *)label, strlen(label));
	g_checksum_update(sum, be, sizeof(be));
	g_checksum_update(sum, g_bytes_get_data(hash, NULL), g_bytes_get_size(hash));
	g_checksum_get_digest(sum, digest, &len);
	return g_bytes_new(digest, len);
}

/* an audit entry (and every N entries a checkpoint signed in the HSM), in the transaction */
static gboolean
api_audit(NuSecCloudRequest *req,
	  NuSecCloudDbConn *conn,
	  const gchar *action,
	  const gchar *object,
	  JsonBuilder *detail)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *actor = api_actor(req);
	g_autofree gchar *text = NULL;
	gint64 seq;
	guint every = req->cloud->config->audit_checkpoint_every;

	if (detail != NULL) {
		g_autoptr(JsonNode) node = json_builder_get_root(detail);
		text = json_to_string(node, FALSE);
	}
	seq = nusec_cloud_audit_append(conn, actor, action, object, text, &error);
	if (seq == 0) {
		api_gerror(req, error, 0, NULL);
		return FALSE;
	}
	if (every > 0 && seq % every == 0) {
		NuSecCloudDbParam p[] = {NUSEC_DB_INT(seq)};
		g_autoptr(NuSecCloudDbResult) res =
		    api_exec(req, conn, "SELECT hash FROM audit WHERE seq = $1", p, 1, NULL);
		g_autoptr(GBytes) hash = NULL;
		g_autoptr(GBytes) digest = NULL;
		g_autoptr(GBytes) sig = NULL;
		g_autoptr(NuSecCloudDbResult) ins = NULL;
		g_autofree gchar *now = nusec_cloud_store_now();
		guint8 raw[64];
		if (res == NULL)
			return FALSE;
		hash = nusec_cloud_db_result_bytes(res, 0, 0);
		digest = api_checkpoint_digest(seq, hash);
		if (!nusec_signer_sign_digest(req->cloud->audit,
					      g_bytes_get_data(digest, NULL),
					      raw,
					      &error)) {
			api_gerror(req, error, 0, NULL);
			return FALSE;
		}
		sig = g_bytes_new(raw, sizeof(raw));
		{
			NuSecCloudDbParam q[] = {NUSEC_DB_INT(seq),
						 NUSEC_DB_BLOB(hash),
						 NUSEC_DB_BLOB(sig),
						 NUSEC_DB_TEXT(now)};
			ins = api_exec(req,
				       conn,
				       "INSERT INTO audit_checkpoints (seq, hash, signature, time) "
				       "VALUES ($1, $2, $3, $4)",
				       q,
				       G_N_ELEMENTS(q),
				       NULL);
			if (ins == NULL)
				return FALSE;
		}
	}
	return TRUE;
}

static JsonBuilder *
api_detail_new(void)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	return b;
}

static JsonBuilder *
api_detail_end(JsonBuilder *b)
{
	json_builder_end_object(b);
	return b;
}

/* ---- products ---- */

#define PRODUCT_COLS "id, name, key_hash, boot_key_spki, created"

static void
api_add_product(JsonBuilder *b, NuSecCloudDbResult *res, guint row)
{
	g_autoptr(GBytes) hash = nusec_cloud_db_result_bytes(res, row, 2);
	g_autoptr(GBytes) spki = nusec_cloud_db_result_bytes(res, row, 3);
	json_builder_begin_object(b);
	api_add_string(b, "id", nusec_cloud_db_result_text(res, row, 0));
	api_add_string(b, "name", nusec_cloud_db_result_text(res, row, 1));
	api_add_hex(b, "key_hash", hash);
	api_add_b64(b, "public_key", spki);
	api_add_string(b, "created", nusec_cloud_db_result_text(res, row, 4));
	json_builder_end_object(b);
}

static void
api_products_create(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	const gchar *name = NULL;
	g_autofree gchar *id = nusec_cloud_store_new_id("prd");
	g_autofree gchar *label = g_strconcat(NUSEC_CLOUD_KEY_BOOT_PREFIX, id, NULL);
	g_autofree gchar *now = nusec_cloud_store_now();
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GBytes) hash = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();

	if (obj == NULL || !api_get_string(req, obj, "name", TRUE, API_NAME_MAX, &name))
		return;
	if (!g_utf8_validate(name, -1, NULL)) {
		nusec_cloud_api_error(req, 400, "bad_field", "product name is not UTF-8");
		return;
	}
	/* the boot key is born in the HSM and never leaves it */
	signer = nusec_cloud_boot_signer(req->cloud, id, TRUE, &error);
	if (signer == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	spki = nusec_signer_get_public_key(signer, &error);
	hash = spki != NULL ? nusec_signer_get_key_hash(signer, &error) : NULL;
	if (hash == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	conn = api_conn(req);
	if (conn == NULL || !api_begin(req, conn))
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id),
					 NUSEC_DB_TEXT(name),
					 NUSEC_DB_TEXT(label),
					 NUSEC_DB_BLOB(spki),
					 NUSEC_DB_BLOB(hash),
					 NUSEC_DB_TEXT(now)};
		res = api_exec(
		    req,
		    conn,
		    "INSERT INTO products (id, name, boot_key_label, boot_key_spki, key_hash,"
		    " created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING " PRODUCT_COLS,
		    p,
		    G_N_ELEMENTS(p),
		    "product_exists");
		if (res == NULL)
			return;
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		g_autofree gchar *hex = api_hex(hash);
		api_add_string(d, "name", name);
		api_add_string(d, "key_hash", hex);
		if (!api_audit(req, conn, "product.create", id, api_detail_end(d)))
			return;
	}
	if (!api_commit(req, conn))
		return;
	api_add_product(b, res, 0);
	api_reply_builder(req, 201, b);
}

static void
api_products_list(NuSecCloudRequest *req)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	if (conn == NULL)
		return;
	res = api_exec(req,
		       conn,
		       "SELECT " PRODUCT_COLS " FROM products ORDER BY created, id",
		       NULL,
		       0,
		       NULL);
	if (res == NULL)
		return;
	json_builder_begin_array(b);
	for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++)
		api_add_product(b, res, i);
	json_builder_end_array(b);
	api_reply_builder(req, 200, b);
}

static void
api_products_get(NuSecCloudRequest *req, const gchar *id)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id)};
	if (conn == NULL)
		return;
	res =
	    api_exec(req, conn, "SELECT " PRODUCT_COLS " FROM products WHERE id = $1", p, 1, NULL);
	if (res == NULL)
		return;
	if (nusec_cloud_db_result_rows(res) == 0) {
		api_errorf(req, 404, "product_not_found", "no product %s", id);
		return;
	}
	api_add_product(b, res, 0);
	api_reply_builder(req, 200, b);
}

/* ---- firmware ---- */

static GMutex api_image_mutex;

#define FIRMWARE_COLS "id, product_id, version, security_counter, size, image_sha256, created"

static void
api_add_firmware(JsonBuilder *b, NuSecCloudDbResult *res, guint row)
{
	g_autoptr(GBytes) sha = nusec_cloud_db_result_bytes(res, row, 5);
	json_builder_begin_object(b);
	api_add_string(b, "id", nusec_cloud_db_result_text(res, row, 0));
	api_add_string(b, "product", nusec_cloud_db_result_text(res, row, 1));
	api_add_string(b, "version", nusec_cloud_db_result_text(res, row, 2));
	api_add_int(b, "security_counter", nusec_cloud_db_result_int(res, row, 3));
	api_add_int(b, "size", nusec_cloud_db_result_int(res, row, 4));
	api_add_hex(b, "sha256", sha);
	api_add_string(b, "created", nusec_cloud_db_result_text(res, row, 6));
	json_builder_end_object(b);
}

static void
api_firmware_create(NuSecCloudRequest *req, const gchar *product_id)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	const gchar *version = NULL;
	gint64 counter = -1;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) sha = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *id = nusec_cloud_store_new_id("fw");
	g_autofree gchar *now = nusec_cloud_store_now();
	NuSecImageSignOptions opts;
	guint32 sec;

	if (obj == NULL || !api_get_string(req, obj, "version", TRUE, 32, &version) ||
	    !api_get_int(req, obj, "security_counter", FALSE, 0, G_MAXUINT32, &counter))
		return;
	body = api_get_base64(req, obj, "image", API_IMAGE_MAX);
	if (body == NULL)
		return;
	nusec_image_sign_options_init(&opts);
	if (!nusec_image_version_parse(version, &opts.version, &error)) {
		api_gerror(req, error, 400, "bad_version");
		return;
	}
	if (counter >= 0) {
		opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_VALUE;
		opts.security_counter = counter;
		sec = counter;
	} else {
		opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_AUTO;
		sec = nusec_image_security_counter_auto(&opts.version);
	}
	/* the target's OTP holds the key hash: the image carries the full public key */
	opts.pubkey_mode = NUSEC_IMAGE_PUBKEY_FULL;

	conn = api_conn(req);
	if (conn == NULL)
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(product_id)};
		g_autoptr(NuSecCloudDbResult) prod =
		    api_exec(req, conn, "SELECT id FROM products WHERE id = $1", p, 1, NULL);
		if (prod == NULL)
			return;
		if (nusec_cloud_db_result_rows(prod) == 0) {
			api_errorf(req, 404, "product_not_found", "no product %s", product_id);
			return;
		}
	}
	signer = nusec_cloud_boot_signer(req->cloud, product_id, FALSE, &error);
	if (signer == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	/* nusec_image_sign checks its result with fwc_image_verify (PSA Crypto, whose key store
	 * is not thread-safe in mbedTLS 2.28): one image at a time */
	g_mutex_lock(&api_image_mutex);
	image = nusec_image_sign(signer, body, &opts, &error);
	g_mutex_unlock(&api_image_mutex);
	if (image == NULL) {
		api_gerror(req, error, 400, "bad_image");
		return;
	}
	sha = nusec_cloud_sha256(image);
	if (!api_begin(req, conn))
		return;
	{
		g_autofree gchar *vtext = nusec_image_version_to_string(&opts.version);
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id),
					 NUSEC_DB_TEXT(product_id),
					 NUSEC_DB_TEXT(vtext),
					 NUSEC_DB_INT(sec),
					 NUSEC_DB_INT(g_bytes_get_size(image)),
					 NUSEC_DB_BLOB(sha),
					 NUSEC_DB_BLOB(image),
					 NUSEC_DB_TEXT(now)};
		res = api_exec(
		    req,
		    conn,
		    "INSERT INTO firmware (id, product_id, version, security_counter, size,"
		    " image_sha256, image, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
		    " RETURNING " FIRMWARE_COLS,
		    p,
		    G_N_ELEMENTS(p),
		    "firmware_exists");
		if (res == NULL)
			return;
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		api_add_string(d, "product", product_id);
		api_add_string(d, "version", nusec_cloud_db_result_text(res, 0, 2));
		api_add_hex(d, "sha256", sha);
		api_add_int(d, "security_counter", sec);
		if (!api_audit(req, conn, "firmware.sign", id, api_detail_end(d)))
			return;
	}
	if (!api_commit(req, conn))
		return;
	api_add_firmware(b, res, 0);
	api_reply_builder(req, 201, b);
}

static void
api_firmware_list(NuSecCloudRequest *req, const gchar *product_id)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(product_id)};
	if (conn == NULL)
		return;
	res = api_exec(req,
		       conn,
		       "SELECT " FIRMWARE_COLS " FROM firmware WHERE product_id = $1 "
		       "ORDER BY created, id",
		       p,
		       1,
		       NULL);
	if (res == NULL)
		return;
	json_builder_begin_array(b);
	for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++)
		api_add_firmware(b, res, i);
	json_builder_end_array(b);
	api_reply_builder(req, 200, b);
}

static void
api_firmware_get(NuSecCloudRequest *req, const gchar *id, gboolean image)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id)};
	if (conn == NULL)
		return;
	res = api_exec(req,
		       conn,
		       image ? "SELECT image, version FROM firmware WHERE id = $1"
			     : "SELECT " FIRMWARE_COLS " FROM firmware WHERE id = $1",
		       p,
		       1,
		       NULL);
	if (res == NULL)
		return;
	if (nusec_cloud_db_result_rows(res) == 0) {
		api_errorf(req, 404, "firmware_not_found", "no firmware %s", id);
		return;
	}
	if (image) {
		g_autoptr(GBytes) data = nusec_cloud_db_result_bytes(res, 0, 0);
		g_autofree gchar *name =
		    g_strdup_printf("%s-%s.signed.bin", id, nusec_cloud_db_result_text(res, 0, 1));
		api_reply_bytes(req, 200, "application/octet-stream", data, name);
	} else {
		g_autoptr(JsonBuilder) b = json_builder_new();
		api_add_firmware(b, res, 0);
		api_reply_builder(req, 200, b);
	}
}

/* ---- programmers ---- */

#define PROGRAMMER_COLS                                                                            \
	"id, serial, identity_key, encryption_key, cert_der, cert_serial, state,"                  \
	" created, revoked, request_key"

static void
api_add_programmer_members(JsonBuilder *b, NuSecCloudDbResult *res, guint row)
{
	g_autoptr(GBytes) ident = nusec_cloud_db_result_bytes(res, row, 2);
	g_autoptr(GBytes) enc = nusec_cloud_db_result_bytes(res, row, 3);
	g_autoptr(GBytes) der = nusec_cloud_db_result_bytes(res, row, 4);
	g_autoptr(X509) cert = nusec_cloud_x509_from_der(der, NULL);
	g_autofree gchar *pem = cert != NULL ? nusec_cloud_x509_to_pem(cert) : NULL;
	json_builder_begin_object(b);
	api_add_string(b, "id", nusec_cloud_db_result_text(res, row, 0));
	api_add_string(b, "serial", nusec_cloud_db_result_text(res, row, 1));
	api_add_b64(b, "identity_key", ident);
	api_add_b64(b, "encryption_key", enc);
	api_add_string(b, "certificate", pem);
	api_add_string(b, "certificate_serial", nusec_cloud_db_result_text(res, row, 5));
	api_add_string(b, "state", nusec_cloud_db_result_text(res, row, 6));
	api_add_string(b, "created", nusec_cloud_db_result_text(res, row, 7));
	api_add_string(b, "revoked", nusec_cloud_db_result_text(res, row, 8));
	{
		g_autoptr(GBytes) rk = nusec_cloud_db_result_bytes(res, row, 9);
		api_add_b64(b, "request_key", rk);
	}
}

static void
api_add_programmer(JsonBuilder *b, NuSecCloudDbResult *res, guint row)
{
	api_add_programmer_members(b, res, row);
	json_builder_end_object(b);
}

static void
api_programmers_create(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudSetupBundle) bundle = NULL;
	g_autoptr(EVP_PKEY) identity = NULL;
	g_autoptr(EVP_PKEY) enc = NULL;
	g_autoptr(X509) cert = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *id = nusec_cloud_store_new_id("prg");
	g_autofree gchar *now = nusec_cloud_store_now();
	g_autofree gchar *serial_hex = NULL;
	gint64 t = g_get_real_time() / G_USEC_PER_SEC;

	if (obj == NULL)
		return;
	raw = api_get_base64(req, obj, "bundle", 4096);
	if (raw == NULL)
		return;
	bundle = nusec_cloud_setup_bundle_parse(raw, &error);
	if (bundle == NULL) {
		api_gerror(req,
			   error,
			   400,
			   g_error_matches(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID)
			       ? "bad_bundle_signature"
			       : "bad_bundle");
		return;
	}
	if (!api_valid_name(bundle->serial)) {
		nusec_cloud_api_error(req,
				      400,
				      "bad_bundle",
				      "programmer serial has invalid characters");
		return;
	}
	identity = nusec_cloud_pkey_from_spki_or_point(bundle->identity_point, &error);
	if (identity == NULL) {
		api_gerror(req, error, 400, "bad_bundle");
		return;
	}
	enc = nusec_cloud_pkey_from_spki_or_point(bundle->encryption_point, &error);
	if (enc == NULL) {
		api_gerror(req, error, 400, "bad_bundle");
		return;
	}
	if (g_bytes_equal(bundle->identity_point, bundle->encryption_point) ||
	    (bundle->request_point != NULL &&
	     (g_bytes_equal(bundle->request_point, bundle->identity_point) ||
	      g_bytes_equal(bundle->request_point, bundle->encryption_point)))) {
		nusec_cloud_api_error(req, 400, "bad_bundle", "the programmer's keys must differ");
		return;
	}
	if (bundle->request_point != NULL) {
		/* a separate request key proves possession by signing the same payload */
		g_autoptr(GBytes) rb = api_get_base64(req, obj, "request_bundle", 4096);
		g_autoptr(EVP_PKEY) rk = NULL;
		if (rb == NULL)
			return;
		rk = nusec_cloud_pkey_from_spki_or_point(bundle->request_point, &error);
		if (rk == NULL) {
			api_gerror(req, error, 400, "bad_bundle");
			return;
		}
		if (!nusec_cloud_setup_bundle_check_request(bundle, rb, &error)) {
			api_gerror(
			    req,
			    error,
			    400,
			    g_error_matches(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID)
				? "bad_bundle_signature"
				: "bad_bundle");
			return;
		}
	}
	{
		NuSecCloudCertSpec spec = {
		    .kind = NUSEC_CLOUD_CERT_TLS_CLIENT,
		    .common_name = bundle->serial,
		    .organization = req->cloud->config->organization,
		    .subject_key = identity,
		    .issuer = req->cloud->programmer_ca_cert,
		    .issuer_key = req->cloud->programmer_ca_pkey,
		    .not_before = t - 60,
		    .not_after = t + (gint64)API_PROGRAMMER_YEARS * 365 * 86400,
		};
		cert = nusec_cloud_x509_issue(&spec, &error);
		if (cert == NULL) {
			api_gerror(req, error, 0, NULL);
			return;
		}
	}
	der = nusec_cloud_x509_to_der(cert);
	serial_hex = nusec_cloud_x509_serial_hex(cert);
	conn = api_conn(req);
	if (conn == NULL || !api_begin(req, conn))
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id),
					 NUSEC_DB_TEXT(bundle->serial),
					 NUSEC_DB_BLOB(bundle->identity_point),
					 NUSEC_DB_BLOB(bundle->encryption_point),
					 NUSEC_DB_BLOB(der),
					 NUSEC_DB_TEXT(serial_hex),
					 NUSEC_DB_TEXT(now),
					 NUSEC_DB_BLOB(bundle->request_point)};
		res =
		    api_exec(req,
			     conn,
			     "INSERT INTO programmers (id, serial, identity_key, encryption_key,"
			     " cert_der, cert_serial, state, created, request_key) VALUES ($1, $2,"
			     " $3, $4, $5, $6, 'active', $7, $8) RETURNING " PROGRAMMER_COLS,
			     p,
			     G_N_ELEMENTS(p),
			     "programmer_exists");
		if (res == NULL)
			return;
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		api_add_string(d, "serial", bundle->serial);
		api_add_string(d, "certificate_serial", serial_hex);
		if (!api_audit(req, conn, "programmer.enrol", id, api_detail_end(d)))
			return;
	}
	if (!api_commit(req, conn))
		return;
	{
		g_autofree gchar *root = nusec_cloud_x509_to_pem(req->cloud->root_cert);
		g_autofree gchar *ca = nusec_cloud_x509_to_pem(req->cloud->programmer_ca_cert);
		g_autofree gchar *chain = g_strconcat(ca, root, NULL);
		api_add_programmer_members(b, res, 0);
		/* what the station writes into the NuLink3 (DESIGN.md flow 2) */
		json_builder_set_member_name(b, "setup");
		json_builder_begin_object(b);
		api_add_string(b, "certificate_chain", chain);
		api_add_string(b, "cloud_ca", root);
		api_add_b64(b, "package_public_key", req->cloud->package_spki);
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	api_reply_builder(req, 201, b);
}

static void
api_programmers_list(NuSecCloudRequest *req, const gchar *id)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id)};
	if (conn == NULL)
		return;
	res = api_exec(req,
		       conn,
		       id != NULL ? "SELECT " PROGRAMMER_COLS " FROM programmers WHERE id = $1"
				  : "SELECT " PROGRAMMER_COLS
				    " FROM programmers ORDER BY created, id",
		       p,
		       id != NULL ? 1 : 0,
		       NULL);
	if (res == NULL)
		return;
	if (id != NULL) {
		if (nusec_cloud_db_result_rows(res) == 0) {
			api_errorf(req, 404, "programmer_not_found", "no programmer %s", id);
			return;
		}
		api_add_programmer(b, res, 0);
	} else {
		json_builder_begin_array(b);
		for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++)
			api_add_programmer(b, res, i);
		json_builder_end_array(b);
	}
	api_reply_builder(req, 200, b);
}

static void
api_programmers_revoke(NuSecCloudRequest *req, const gchar *id)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *now = nusec_cloud_store_now();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id), NUSEC_DB_TEXT(now)};
	if (conn == NULL || !api_begin(req, conn))
		return;
	res = api_exec(req,
		       conn,
		       "UPDATE programmers SET state = 'revoked', revoked = $2 WHERE id = $1 "
		       "AND state = 'active' RETURNING " PROGRAMMER_COLS,
		       p,
		       2,
		       NULL);
	if (res == NULL)
		return;
	if (nusec_cloud_db_result_rows(res) == 0) {
		g_autoptr(NuSecCloudDbResult) cur =
		    api_exec(req, conn, "SELECT state FROM programmers WHERE id = $1", p, 1, NULL);
		if (cur == NULL)
			return;
		if (nusec_cloud_db_result_rows(cur) == 0)
			api_errorf(req, 404, "programmer_not_found", "no programmer %s", id);
		else
			api_errorf(req,
				   409,
				   "programmer_revoked",
				   "programmer %s is already revoked",
				   id);
		return;
	}
	if (!api_audit(req, conn, "programmer.revoke", id, NULL) || !api_commit(req, conn))
		return;
	api_add_programmer(b, res, 0);
	api_reply_builder(req, 200, b);
}

/* ---- orders ---- */

#define ORDER_COLS                                                                                 \
	"id, product_id, firmware_id, quota_limit, used, aborted, not_before,"                     \
	" not_after, profile, state, created"

static void
api_add_order(NuSecCloudRequest *req,
	      NuSecCloudDbConn *conn,
	      JsonBuilder *b,
	      NuSecCloudDbResult *res,
	      guint row)
{
	const gchar *id = nusec_cloud_db_result_text(res, row, 0);
	gint64 limit = nusec_cloud_db_result_int(res, row, 3);
	gint64 used = nusec_cloud_db_result_int(res, row, 4);
	g_autofree gchar *nb = api_time_iso(nusec_cloud_db_result_int(res, row, 6));
	g_autofree gchar *na = api_time_iso(nusec_cloud_db_result_int(res, row, 7));
	g_autoptr(JsonParser) parser = json_parser_new();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id)};
	g_autoptr(NuSecCloudDbResult) progs =
	    nusec_cloud_db_exec(conn,
				"SELECT programmer_id FROM order_programmers WHERE order_id = $1 "
				"ORDER BY programmer_id",
				p,
				1,
				NULL);
	g_autoptr(NuSecCloudDbResult) receipts = nusec_cloud_db_exec(
	    conn,
	    "SELECT COUNT(*) FROM devices WHERE order_id = $1 AND receipt IS NOT NULL",
	    p,
	    1,
	    NULL);

	json_builder_begin_object(b);
	api_add_string(b, "id", id);
	api_add_string(b, "product", nusec_cloud_db_result_text(res, row, 1));
	api_add_string(b, "firmware", nusec_cloud_db_result_text(res, row, 2));
	api_add_int(b, "limit", limit);
	api_add_int(b, "used", used);
	api_add_int(b, "remaining", limit - used);
	api_add_int(b, "aborted", nusec_cloud_db_result_int(res, row, 5));
	api_add_int(b,
		    "receipts",
		    receipts != NULL ? nusec_cloud_db_result_int(receipts, 0, 0) : 0);
	api_add_string(b, "not_before", nb);
	api_add_string(b, "not_after", na);
	json_builder_set_member_name(b, "profile");
	if (json_parser_load_from_data(parser, nusec_cloud_db_result_text(res, row, 8), -1, NULL))
		json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
	else
		json_builder_add_null_value(b);
	api_add_string(b, "state", nusec_cloud_db_result_text(res, row, 9));
	api_add_string(b, "created", nusec_cloud_db_result_text(res, row, 10));
	json_builder_set_member_name(b, "programmers");
	json_builder_begin_array(b);
	for (guint i = 0; progs != NULL && i < nusec_cloud_db_result_rows(progs); i++)
		json_builder_add_string_value(b, nusec_cloud_db_result_text(progs, i, 0));
	json_builder_end_array(b);
	json_builder_end_object(b);
}

/* the certificate profile: {"organization": "...", "validity_days": N} (both optional) */
static gchar *
api_order_profile(NuSecCloudRequest *req, JsonObject *obj)
{
	JsonNode *node = json_object_get_member(obj, "profile");
	JsonObject *prof;
	const gchar *org = NULL;
	gint64 days = 0;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	if (node != NULL && !JSON_NODE_HOLDS_NULL(node)) {
		GList *members;
		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			nusec_cloud_api_error(req, 400, "bad_field", "profile must be an object");
			return NULL;
		}
		prof = json_node_get_object(node);
		members = json_object_get_members(prof);
		for (GList *l = members; l != NULL; l = l->next) {
			if (g_strcmp0(l->data, "organization") != 0 &&
			    g_strcmp0(l->data, "validity_days") != 0) {
				api_errorf(req,
					   400,
					   "bad_field",
					   "profile has unknown member '%s'",
					   (const gchar *)l->data);
				g_list_free(members);
				return NULL;
			}
		}
		g_list_free(members);
		if (!api_get_string(req, prof, "organization", FALSE, API_NAME_MAX, &org) ||
		    !api_get_int(req, prof, "validity_days", FALSE, 1, 365 * 100, &days))
			return NULL;
	}
	json_builder_begin_object(b);
	if (org != NULL)
		api_add_string(b, "organization", org);
	if (days > 0)
		api_add_int(b, "validity_days", days);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

static void
api_orders_create(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	const gchar *product = NULL;
	const gchar *firmware = NULL;
	gint64 limit = 0;
	gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
	gint64 not_before = now_s;
	gint64 not_after = API_FOREVER;
	g_autofree gchar *profile = NULL;
	JsonNode *progs_node;
	JsonArray *progs;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *id = nusec_cloud_store_new_id("ord");
	g_autofree gchar *now = nusec_cloud_store_now();
	guint8 token_raw[API_TOKEN_LEN];
	g_autoptr(GBytes) token = NULL;

	if (obj == NULL || !api_get_string(req, obj, "product", TRUE, API_NAME_MAX, &product) ||
	    !api_get_string(req, obj, "firmware", TRUE, API_NAME_MAX, &firmware) ||
	    !api_get_int(req, obj, "limit", TRUE, 1, 100000000, &limit) ||
	    !api_parse_time(req, obj, "not_before", &not_before) ||
	    !api_parse_time(req, obj, "not_after", &not_after))
		return;
	if (not_after <= not_before) {
		nusec_cloud_api_error(req, 400, "bad_field", "not_after must be after not_before");
		return;
	}
	profile = api_order_profile(req, obj);
	if (profile == NULL)
		return;
	progs_node = json_object_get_member(obj, "programmers");
	if (progs_node == NULL || !JSON_NODE_HOLDS_ARRAY(progs_node) ||
	    json_array_get_length(json_node_get_array(progs_node)) == 0) {
		nusec_cloud_api_error(req,
				      400,
				      "missing_field",
				      "field 'programmers' must be a non-empty array of ids");
		return;
	}
	progs = json_node_get_array(progs_node);
	if (RAND_bytes(token_raw, sizeof(token_raw)) != 1) {
		nusec_cloud_api_error(req, 503, "rng_unavailable", "no random token");
		return;
	}
	token = g_bytes_new(token_raw, sizeof(token_raw));
	OPENSSL_cleanse(token_raw, sizeof(token_raw));

	conn = api_conn(req);
	if (conn == NULL || !api_begin(req, conn))
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(firmware), NUSEC_DB_TEXT(product)};
		g_autoptr(NuSecCloudDbResult) fw =
		    api_exec(req,
			     conn,
			     "SELECT product_id FROM firmware WHERE id = $1",
			     p,
			     1,
			     NULL);
		if (fw == NULL)
			return;
		if (nusec_cloud_db_result_rows(fw) == 0) {
			api_errorf(req, 404, "firmware_not_found", "no firmware %s", firmware);
			return;
		}
		if (g_strcmp0(nusec_cloud_db_result_text(fw, 0, 0), product) != 0) {
			api_errorf(req,
				   400,
				   "firmware_product_mismatch",
				   "firmware %s is not for product %s",
				   firmware,
				   product);
			return;
		}
	}
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id),
					 NUSEC_DB_TEXT(product),
					 NUSEC_DB_TEXT(firmware),
					 NUSEC_DB_INT(limit),
					 NUSEC_DB_INT(not_before),
					 NUSEC_DB_INT(not_after),
					 NUSEC_DB_TEXT(profile),
					 NUSEC_DB_BLOB(token),
					 NUSEC_DB_TEXT(now)};
		res = api_exec(
		    req,
		    conn,
		    "INSERT INTO orders (id, product_id, firmware_id, quota_limit, not_before,"
		    " not_after, profile, token, state, created) VALUES ($1, $2, $3, $4,"
		    " $5, $6, $7, $8, 'open', $9) RETURNING " ORDER_COLS,
		    p,
		    G_N_ELEMENTS(p),
		    "order_exists");
		if (res == NULL)
			return;
	}
	for (guint i = 0; i < json_array_get_length(progs); i++) {
		JsonNode *n = json_array_get_element(progs, i);
		const gchar *pid;
		g_autoptr(NuSecCloudDbResult) st = NULL;
		g_autoptr(NuSecCloudDbResult) ins = NULL;
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
			nusec_cloud_api_error(req, 400, "bad_field", "programmers must be strings");
			return;
		}
		pid = json_node_get_string(n);
		{
			NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(pid)};
			st = api_exec(req,
				      conn,
				      "SELECT state FROM programmers WHERE id = $1",
				      p,
				      1,
				      NULL);
			if (st == NULL)
				return;
			if (nusec_cloud_db_result_rows(st) == 0) {
				api_errorf(req,
					   404,
					   "programmer_not_found",
					   "no programmer %s",
					   pid);
				return;
			}
			if (g_strcmp0(nusec_cloud_db_result_text(st, 0, 0), "active") != 0) {
				api_errorf(req,
					   409,
					   "programmer_revoked",
					   "programmer %s is revoked",
					   pid);
				return;
			}
		}
		{
			NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id), NUSEC_DB_TEXT(pid)};
			ins = api_exec(req,
				       conn,
				       "INSERT INTO order_programmers (order_id, programmer_id) "
				       "VALUES ($1, $2)",
				       p,
				       2,
				       "duplicate_programmer");
			if (ins == NULL)
				return;
		}
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		api_add_string(d, "product", product);
		api_add_string(d, "firmware", firmware);
		api_add_int(d, "limit", limit);
		api_add_int(d, "not_before", not_before);
		api_add_int(d, "not_after", not_after);
		api_add_string(d, "profile", profile);
		if (!api_audit(req, conn, "order.create", id, api_detail_end(d)))
			return;
	}
	if (!api_commit(req, conn))
		return;
	api_add_order(req, conn, b, res, 0);
	api_reply_builder(req, 201, b);
}

static void
api_orders_get(NuSecCloudRequest *req, const gchar *id)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id)};
	if (conn == NULL)
		return;
	res = api_exec(req,
		       conn,
		       id != NULL ? "SELECT " ORDER_COLS " FROM orders WHERE id = $1"
				  : "SELECT " ORDER_COLS " FROM orders ORDER BY created, id",
		       p,
		       id != NULL ? 1 : 0,
		       NULL);
	if (res == NULL)
		return;
	if (id != NULL) {
		if (nusec_cloud_db_result_rows(res) == 0) {
			api_errorf(req, 404, "order_not_found", "no order %s", id);
			return;
		}
		api_add_order(req, conn, b, res, 0);
	} else {
		json_builder_begin_array(b);
		for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++)
			api_add_order(req, conn, b, res, i);
		json_builder_end_array(b);
	}
	api_reply_builder(req, 200, b);
}

static void
api_orders_cancel(NuSecCloudRequest *req, const gchar *id)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(id)};
	if (conn == NULL || !api_begin(req, conn))
		return;
	res = api_exec(req,
		       conn,
		       "UPDATE orders SET state = 'cancelled' WHERE id = $1 AND state = 'open' "
		       "RETURNING " ORDER_COLS,
		       p,
		       1,
		       NULL);
	if (res == NULL)
		return;
	if (nusec_cloud_db_result_rows(res) == 0) {
		g_autoptr(NuSecCloudDbResult) cur =
		    api_exec(req, conn, "SELECT state FROM orders WHERE id = $1", p, 1, NULL);
		if (cur == NULL)
			return;
		if (nusec_cloud_db_result_rows(cur) == 0)
			api_errorf(req, 404, "order_not_found", "no order %s", id);
		else
			api_errorf(req,
				   409,
				   "order_cancelled",
				   "order %s is already cancelled",
				   id);
		return;
	}
	if (!api_audit(req, conn, "order.cancel", id, NULL))
		return;
	if (!api_commit(req, conn))
		return;
	api_add_order(req, conn, b, res, 0);
	api_reply_builder(req, 200, b);
}

/* ---- packages ---- */

static void
api_packages_create(NuSecCloudRequest *req, const gchar *order_id)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	const gchar *pid = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(NuSecCloudDbResult) ins = NULL;
	g_autoptr(NuSecCloudManifest) m = g_new0(NuSecCloudManifest, 1);
	g_autoptr(GBytes) enc_point = NULL;
	g_autoptr(GBytes) ident = NULL;
	g_autoptr(GBytes) package = NULL;
	g_autoptr(GBytes) sha = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *now = nusec_cloud_store_now();

	if (obj == NULL || !api_get_string(req, obj, "programmer", TRUE, API_NAME_MAX, &pid))
		return;
	conn = api_conn(req);
	if (conn == NULL || !api_begin(req, conn))
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(order_id), NUSEC_DB_TEXT(pid)};
		res = api_exec(
		    req,
		    conn,
		    "SELECT o.state, o.quota_limit, o.not_before, o.not_after, o.token, "
		    "o.product_id,"
		    " p.key_hash, f.version, f.security_counter, f.size, f.image_sha256, g.serial,"
		    " g.identity_key, g.encryption_key, g.state,"
		    " (SELECT COUNT(*) FROM order_programmers x WHERE x.order_id = o.id"
		    "  AND x.programmer_id = g.id)"
		    " FROM orders o JOIN products p ON p.id = o.product_id"
		    " JOIN firmware f ON f.id = o.firmware_id, programmers g"
		    " WHERE o.id = $1 AND g.id = $2",
		    p,
		    2,
		    NULL);
		if (res == NULL)
			return;
	}
	if (nusec_cloud_db_result_rows(res) == 0) {
		api_errorf(req, 404, "not_found", "no order %s or no programmer %s", order_id, pid);
		return;
	}
	if (g_strcmp0(nusec_cloud_db_result_text(res, 0, 0), "open") != 0) {
		api_errorf(req, 409, "order_cancelled", "order %s is cancelled", order_id);
		return;
	}
	if (g_strcmp0(nusec_cloud_db_result_text(res, 0, 14), "active") != 0) {
		api_errorf(req, 409, "programmer_revoked", "programmer %s is revoked", pid);
		return;
	}
	if (nusec_cloud_db_result_int(res, 0, 15) != 1) {
		api_errorf(req,
			   400,
			   "programmer_not_in_order",
			   "programmer %s is not in order %s",
			   pid,
			   order_id);
		return;
	}
	ident = nusec_cloud_db_result_bytes(res, 0, 12);
	enc_point = nusec_cloud_db_result_bytes(res, 0, 13);
	m->package_id = nusec_cloud_store_new_id("pkg");
	m->order_id = g_strdup(order_id);
	m->programmer_serial = g_strdup(nusec_cloud_db_result_text(res, 0, 11));
	m->programmer_key_hash = nusec_cloud_sha256(ident);
	m->product_id = g_strdup(nusec_cloud_db_result_text(res, 0, 5));
	m->rot_key_hash = nusec_cloud_db_result_bytes(res, 0, 6);
	m->firmware_version = g_strdup(nusec_cloud_db_result_text(res, 0, 7));
	m->security_counter = nusec_cloud_db_result_int(res, 0, 8);
	m->image_size = nusec_cloud_db_result_int(res, 0, 9);
	m->image_sha256 = nusec_cloud_db_result_bytes(res, 0, 10);
	m->limit = nusec_cloud_db_result_int(res, 0, 1);
	m->not_before = MAX(nusec_cloud_db_result_int(res, 0, 2), 0);
	m->not_after = nusec_cloud_db_result_int(res, 0, 3);
	m->token = nusec_cloud_db_result_bytes(res, 0, 4);
	m->issued_at = g_get_real_time() / G_USEC_PER_SEC;
	package = nusec_cloud_package_build(req->cloud->package, m, enc_point, &error);
	if (package == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	sha = nusec_cloud_sha256(package);
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(m->package_id),
					 NUSEC_DB_TEXT(order_id),
					 NUSEC_DB_TEXT(pid),
					 NUSEC_DB_BLOB(sha),
					 NUSEC_DB_TEXT(now)};
		ins = api_exec(req,
			       conn,
			       "INSERT INTO packages (id, order_id, programmer_id, sha256, created)"
			       " VALUES ($1, $2, $3, $4, $5)",
			       p,
			       G_N_ELEMENTS(p),
			       NULL);
		if (ins == NULL)
			return;
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		api_add_string(d, "order", order_id);
		api_add_string(d, "programmer", pid);
		api_add_hex(d, "sha256", sha);
		if (!api_audit(req, conn, "package.build", m->package_id, api_detail_end(d)))
			return;
	}
	if (!api_commit(req, conn))
		return;
	json_builder_begin_object(b);
	api_add_string(b, "id", m->package_id);
	api_add_string(b, "order", order_id);
	api_add_string(b, "programmer", pid);
	api_add_hex(b, "sha256", sha);
	api_add_b64(b, "package", package);
	json_builder_end_object(b);
	api_reply_builder(req, 201, b);
}

/* ---- devices ---- */

static void
api_add_device(JsonBuilder *b, NuSecCloudDbResult *res, guint row)
{
	g_autoptr(GBytes) der = nusec_cloud_db_result_bytes(res, row, 4);
	g_autoptr(X509) cert = der != NULL ? nusec_cloud_x509_from_der(der, NULL) : NULL;
	g_autofree gchar *pem = cert != NULL ? nusec_cloud_x509_to_pem(cert) : NULL;
	json_builder_begin_object(b);
	api_add_string(b, "chip_id", nusec_cloud_db_result_text(res, row, 0));
	api_add_string(b, "order", nusec_cloud_db_result_text(res, row, 1));
	api_add_string(b, "programmer", nusec_cloud_db_result_text(res, row, 2));
	api_add_string(b, "certificate_serial", nusec_cloud_db_result_text(res, row, 3));
	api_add_string(b, "certificate", pem);
	api_add_int(b, "counter", nusec_cloud_db_result_int(res, row, 5));
	api_add_string(b, "created", nusec_cloud_db_result_text(res, row, 6));
	json_builder_set_member_name(b, "receipt");
	if (nusec_cloud_db_result_is_null(res, row, 7)) {
		json_builder_add_null_value(b);
	} else {
		g_autoptr(GBytes) receipt = nusec_cloud_db_result_bytes(res, row, 7);
		g_autoptr(GBytes) img = nusec_cloud_db_result_bytes(res, row, 9);
		json_builder_begin_object(b);
		api_add_string(b, "time", nusec_cloud_db_result_text(res, row, 8));
		api_add_hex(b, "image_sha256", img);
		api_add_int(b, "lifecycle", nusec_cloud_db_result_int(res, row, 10));
		api_add_b64(b, "cose", receipt);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
}

#define DEVICE_COLS                                                                                \
	"chip_id, order_id, programmer_id, cert_serial, cert_der, counter, created,"               \
	" receipt, receipt_time, image_sha256, lifecycle"

static void
api_devices_list(NuSecCloudRequest *req, const gchar *order_filter, const gchar *format)
{
	const gchar *order = order_filter != NULL ? order_filter
						  : req->query(req->query_ctx, "order");
	const gchar *programmer = req->query(req->query_ctx, "programmer");
	const gchar *chip = req->query(req->query_ctx, "chip_id");
	const gchar *limit_text = req->query(req->query_ctx, "limit");
	const gchar *offset_text = req->query(req->query_ctx, "offset");
	guint64 limit = format != NULL ? G_MAXINT32 : API_DEVICE_LIST;
	guint64 offset = 0;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();

	if ((limit_text != NULL &&
	     !g_ascii_string_to_unsigned(limit_text, 10, 1, API_DEVICE_LIST, &limit, NULL)) ||
	    (offset_text != NULL &&
	     !g_ascii_string_to_unsigned(offset_text, 10, 0, G_MAXINT32, &offset, NULL))) {
		nusec_cloud_api_error(req, 400, "bad_query", "limit must be 1..1000, offset >= 0");
		return;
	}
	conn = api_conn(req);
	if (conn == NULL)
		return;
	{
		NuSecCloudDbParam p[] = {order != NULL ? NUSEC_DB_TEXT(order) : NUSEC_DB_NULL,
					 programmer != NULL ? NUSEC_DB_TEXT(programmer)
							    : NUSEC_DB_NULL,
					 chip != NULL ? NUSEC_DB_TEXT(chip) : NUSEC_DB_NULL,
					 NUSEC_DB_INT(limit),
					 NUSEC_DB_INT(offset)};
		res = api_exec(req,
			       conn,
			       "SELECT " DEVICE_COLS " FROM devices WHERE"
			       " (CAST($1 AS TEXT) IS NULL OR order_id = CAST($1 AS TEXT)) AND"
			       " (CAST($2 AS TEXT) IS NULL OR programmer_id = CAST($2 AS TEXT)) AND"
			       " (CAST($3 AS TEXT) IS NULL OR chip_id = CAST($3 AS TEXT))"
			       " ORDER BY created, chip_id LIMIT $4 OFFSET $5",
			       p,
			       G_N_ELEMENTS(p),
			       NULL);
		if (res == NULL)
			return;
	}
	if (g_strcmp0(format, "pem") == 0 || g_strcmp0(format, "csv") == 0) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(GBytes) bytes = NULL;
		g_autofree gchar *name = g_strdup_printf("%s-certificates.%s", order, format);
		gboolean csv = g_strcmp0(format, "csv") == 0;
		if (csv)
			g_string_append(out,
					"chip_id,certificate_serial,programmer,created,"
					"receipt_time,certificate_sha256\n");
		for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++) {
			g_autoptr(GBytes) der = nusec_cloud_db_result_bytes(res, i, 4);
			g_autoptr(X509) cert = nusec_cloud_x509_from_der(der, NULL);
			if (cert == NULL)
				continue;
			if (csv) {
				g_autoptr(GBytes) sha = nusec_cloud_x509_sha256(cert);
				g_autofree gchar *hex = api_hex(sha);
				const gchar *rt = nusec_cloud_db_result_text(res, i, 8);
				g_string_append_printf(out,
						       "%s,%s,%s,%s,%s,%s\n",
						       nusec_cloud_db_result_text(res, i, 0),
						       nusec_cloud_db_result_text(res, i, 3),
						       nusec_cloud_db_result_text(res, i, 2),
						       nusec_cloud_db_result_text(res, i, 6),
						       rt != NULL ? rt : "",
						       hex);
			} else {
				g_autofree gchar *pem = nusec_cloud_x509_to_pem(cert);
				g_string_append(out, pem);
			}
		}
		bytes = g_bytes_new(out->str, out->len);
		api_reply_bytes(req, 200, csv ? "text/csv" : "application/x-pem-file", bytes, name);
		return;
	}
	json_builder_begin_array(b);
	for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++)
		api_add_device(b, res, i);
	json_builder_end_array(b);
	api_reply_builder(req, 200, b);
}

/* ---- audit ---- */

static void
api_audit_list(NuSecCloudRequest *req)
{
	const gchar *after_text = req->query(req->query_ctx, "after");
	const gchar *limit_text = req->query(req->query_ctx, "limit");
	guint64 after = 0, limit = 100;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();

	if ((after_text != NULL &&
	     !g_ascii_string_to_unsigned(after_text, 10, 0, G_MAXINT64, &after, NULL)) ||
	    (limit_text != NULL &&
	     !g_ascii_string_to_unsigned(limit_text, 10, 1, API_AUDIT_LIST, &limit, NULL))) {
		nusec_cloud_api_error(req, 400, "bad_query", "after >= 0, limit 1..1000");
		return;
	}
	conn = api_conn(req);
	if (conn == NULL)
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_INT(after), NUSEC_DB_INT(limit)};
		res = api_exec(req,
			       conn,
			       "SELECT seq, time, actor, action, object, detail, prev_hash, hash"
			       " FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
			       p,
			       2,
			       NULL);
		if (res == NULL)
			return;
	}
	json_builder_begin_array(b);
	for (guint i = 0; i < nusec_cloud_db_result_rows(res); i++) {
		g_autoptr(GBytes) prev = nusec_cloud_db_result_bytes(res, i, 6);
		g_autoptr(GBytes) hash = nusec_cloud_db_result_bytes(res, i, 7);
		json_builder_begin_object(b);
		api_add_int(b, "seq", nusec_cloud_db_result_int(res, i, 0));
		api_add_string(b, "time", nusec_cloud_db_result_text(res, i, 1));
		api_add_string(b, "actor", nusec_cloud_db_result_text(res, i, 2));
		api_add_string(b, "action", nusec_cloud_db_result_text(res, i, 3));
		api_add_string(b, "object", nusec_cloud_db_result_text(res, i, 4));
		api_add_string(b, "detail", nusec_cloud_db_result_text(res, i, 5));
		api_add_hex(b, "prev_hash", prev);
		api_add_hex(b, "hash", hash);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	api_reply_builder(req, 200, b);
}

/* chain, head and checkpoint hashes, then each checkpoint's HSM signature */
gboolean
nusec_cloud_api_audit_verify(NuSecCloud *cloud,
			     NuSecCloudDbConn *conn,
			     gint64 *entries,
			     gint64 *checkpoints,
			     GError **error);

gboolean
nusec_cloud_api_audit_verify(NuSecCloud *cloud,
			     NuSecCloudDbConn *conn,
			     gint64 *entries,
			     gint64 *checkpoints,
			     GError **error)
{
	g_autoptr(NuSecCloudDbResult) cps = NULL;
	g_autoptr(GBytes) spki = NULL;

	if (!nusec_cloud_db_begin_read(conn, error))
		return FALSE;
	if (!nusec_cloud_audit_verify(conn, entries, error))
		return FALSE;
	cps = nusec_cloud_db_exec(conn,
				  "SELECT seq, hash, signature FROM audit_checkpoints ORDER BY seq",
				  NULL,
				  0,
				  error);
	nusec_cloud_db_rollback(conn);
	if (cps == NULL)
		return FALSE;
	spki = nusec_signer_get_public_key(cloud->audit, error);
	if (spki == NULL)
		return FALSE;
	for (guint i = 0; i < nusec_cloud_db_result_rows(cps); i++) {
		gint64 seq = nusec_cloud_db_result_int(cps, i, 0);
		g_autoptr(GBytes) hash = nusec_cloud_db_result_bytes(cps, i, 1);
		g_autoptr(GBytes) sig = nusec_cloud_db_result_bytes(cps, i, 2);
		g_autoptr(GBytes) digest = api_checkpoint_digest(seq, hash);
		if (sig == NULL || g_bytes_get_size(sig) != 64 ||
		    !nusec_ecdsa_verify_digest(spki,
					       g_bytes_get_data(digest, NULL),
					       g_bytes_get_data(sig, NULL),
					       NULL)) {
			g_set_error(error,
				    NUSEC_CLOUD_STORE_ERROR,
				    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
				    "audit checkpoint at entry %" G_GINT64_FORMAT
				    " has a bad signature",
				    seq);
			return FALSE;
		}
	}
	if (checkpoints != NULL)
		*checkpoints = nusec_cloud_db_result_rows(cps);
	return TRUE;
}

static void
api_audit_verify(NuSecCloudRequest *req)
{
	g_autoptr(NuSecCloudDbConn) conn = api_conn(req);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	gint64 entries = 0, checkpoints = 0;
	gboolean ok;
	if (conn == NULL)
		return;
	ok = nusec_cloud_api_audit_verify(req->cloud, conn, &entries, &checkpoints, &error);
	if (!ok && error->domain != NUSEC_CLOUD_STORE_ERROR) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, ok);
	api_add_int(b, "entries", entries);
	api_add_int(b, "checkpoints", checkpoints);
	api_add_string(b, "error", ok ? NULL : error->message);
	json_builder_end_object(b);
	api_reply_builder(req, 200, b);
}

/* ---- programmer realm ---- */

typedef struct {
	gchar *id;
	gchar *serial;
	GBytes *identity_key;
	GBytes *encryption_key;
} ApiProgrammer;

static void
api_programmer_free(ApiProgrammer *p)
{
	g_free(p->id);
	g_free(p->serial);
	g_clear_pointer(&p->identity_key, g_bytes_unref);
	g_clear_pointer(&p->encryption_key, g_bytes_unref);
	g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiProgrammer, api_programmer_free)

/* the calling programmer, active (revocation takes effect on the next request) */
static ApiProgrammer *
api_programmer_self(NuSecCloudRequest *req, NuSecCloudDbConn *conn)
{
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(req->peer->cert_serial)};
	g_autoptr(NuSecCloudDbResult) res =
	    api_exec(req,
		     conn,
		     "SELECT id, serial, COALESCE(request_key, identity_key), encryption_key,"
		     " state FROM programmers"
		     " WHERE cert_serial = $1",
		     p,
		     1,
		     NULL);
	ApiProgrammer *self;
	if (res == NULL)
		return NULL;
	if (nusec_cloud_db_result_rows(res) == 0) {
		nusec_cloud_api_error(req,
				      403,
				      "unknown_programmer",
				      "no programmer is enrolled with this certificate");
		return NULL;
	}
	if (g_strcmp0(nusec_cloud_db_result_text(res, 0, 4), "active") != 0) {
		nusec_cloud_api_error(req, 403, "programmer_revoked", "this programmer is revoked");
		return NULL;
	}
	self = g_new0(ApiProgrammer, 1);
	self->id = g_strdup(nusec_cloud_db_result_text(res, 0, 0));
	self->serial = g_strdup(nusec_cloud_db_result_text(res, 0, 1));
	self->identity_key = nusec_cloud_db_result_bytes(res, 0, 2);
	self->encryption_key = nusec_cloud_db_result_bytes(res, 0, 3);
	return self;
}

typedef struct {
	gchar *state;
	gint64 not_before;
	gint64 not_after;
	gchar *profile;
	GBytes *token;
	gchar *firmware_id;
	GBytes *image_sha256;
} ApiOrder;

static void
api_order_free(ApiOrder *o)
{
	g_free(o->state);
	g_free(o->profile);
	g_free(o->firmware_id);
	g_clear_pointer(&o->token, g_bytes_unref);
	g_clear_pointer(&o->image_sha256, g_bytes_unref);
	g_free(o);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiOrder, api_order_free)

/* the order, if this programmer is in it; with @usable, also open and within its window */
static ApiOrder *
api_programmer_order(NuSecCloudRequest *req,
		     NuSecCloudDbConn *conn,
		     ApiProgrammer *prog,
		     const gchar *order_id,
		     gboolean usable)
{
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(order_id), NUSEC_DB_TEXT(prog->id)};
	g_autoptr(NuSecCloudDbResult) res = api_exec(
	    req,
	    conn,
	    "SELECT o.state, o.not_before, o.not_after, o.profile, o.token, o.firmware_id,"
	    " f.image_sha256, (SELECT COUNT(*) FROM order_programmers x WHERE x.order_id = o.id"
	    " AND x.programmer_id = $2) FROM orders o JOIN firmware f ON f.id = o.firmware_id"
	    " WHERE o.id = $1",
	    p,
	    2,
	    NULL);
	g_autoptr(ApiOrder) o = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	if (res == NULL)
		return NULL;
	if (nusec_cloud_db_result_rows(res) == 0) {
		api_errorf(req, 404, "order_not_found", "no order %s", order_id);
		return NULL;
	}
	if (nusec_cloud_db_result_int(res, 0, 7) != 1) {
		api_errorf(req,
			   403,
			   "programmer_not_in_order",
			   "this programmer is not in order %s",
			   order_id);
		return NULL;
	}
	o = g_new0(ApiOrder, 1);
	o->state = g_strdup(nusec_cloud_db_result_text(res, 0, 0));
	o->not_before = nusec_cloud_db_result_int(res, 0, 1);
	o->not_after = nusec_cloud_db_result_int(res, 0, 2);
	o->profile = g_strdup(nusec_cloud_db_result_text(res, 0, 3));
	o->token = nusec_cloud_db_result_bytes(res, 0, 4);
	o->firmware_id = g_strdup(nusec_cloud_db_result_text(res, 0, 5));
	o->image_sha256 = nusec_cloud_db_result_bytes(res, 0, 6);
	if (usable && g_strcmp0(o->state, "open") != 0) {
		api_errorf(req, 409, "order_cancelled", "order %s is cancelled", order_id);
		return NULL;
	}
	if (usable && (now < o->not_before || now >= o->not_after)) {
		api_errorf(req,
			   409,
			   "order_not_valid",
			   "order %s is outside its validity window",
			   order_id);
		return NULL;
	}
	return g_steal_pointer(&o);
}

/* PEM of a DER certificate, without parsing it again */
static gchar *
api_der_to_pem(GBytes *der)
{
	g_autofree gchar *b64 = api_b64(der);
	GString *out = g_string_new("-----BEGIN CERTIFICATE-----\n");
	gsize len = strlen(b64);
	for (gsize i = 0; i < len; i += 64) {
		g_string_append_len(out, b64 + i, MIN(64, len - i));
		g_string_append_c(out, '\n');
	}
	g_string_append(out, "-----END CERTIFICATE-----\n");
	return g_string_free(out, FALSE);
}

static void
api_device_reply(NuSecCloudRequest *req, guint status, const gchar *chip_id, GBytes *der)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *pem = api_der_to_pem(der);
	g_autofree gchar *chain_pem = g_strconcat(pem, req->cloud->device_chain_pem, NULL);

	json_builder_begin_object(b);
	api_add_string(b, "chip_id", chip_id);
	api_add_b64(b, "certificate", der);
	json_builder_set_member_name(b, "chain");
	json_builder_begin_array(b);
	{
		GBytes *items[] = {der, req->cloud->device_ca_der, req->cloud->root_der};
		for (guint i = 0; i < G_N_ELEMENTS(items); i++) {
			g_autofree gchar *t = api_b64(items[i]);
			json_builder_add_string_value(b, t);
		}
	}
	json_builder_end_array(b);
	api_add_string(b, "pem", chain_pem);
	json_builder_end_object(b);
	api_reply_builder(req, status, b);
}

static X509 *
api_device_certificate(NuSecCloudRequest *req,
		       X509_REQ *csr,
		       const gchar *chip_id,
		       const gchar *profile,
		       GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(EVP_PKEY) key = X509_REQ_get_pubkey(csr);
	const gchar *org = NULL;
	gint64 days = 0;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	NuSecCloudCertSpec spec = {
	    .kind = NUSEC_CLOUD_CERT_DEVICE,
	    .common_name = chip_id,
	    .subject_key = key,
	    .issuer = req->cloud->device_ca_cert,
	    .issuer_key = req->cloud->device_ca_pkey,
	    .not_before = now,
	    .not_after = NUSEC_CLOUD_CERT_NOT_AFTER_NONE,
	};
	if (json_parser_load_from_data(parser, profile, -1, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		JsonObject *obj = json_node_get_object(json_parser_get_root(parser));
		org = json_object_get_string_member_with_default(obj, "organization", NULL);
		days = json_object_get_int_member_with_default(obj, "validity_days", 0);
	}
	spec.organization = org;
	if (days > 0)
		spec.not_after = now + days * 86400;
	return nusec_cloud_x509_issue(&spec, error);
}

static gboolean
api_valid_chip_id(const gchar *chip_id)
{
	return api_valid_name(chip_id);
}

typedef enum {
	ISSUE_DONE,  /* committed: reply with the new certificate */
	ISSUE_SAME,  /* the chip already has this certificate: reply with it */
	ISSUE_ERROR, /* the response is set */
	ISSUE_RETRY, /* a concurrent request for the same chip won: try again */
	ISSUE_FATAL, /* the transaction is broken: the response is set, the batch fails */
} ApiIssueResult;

/* one device certificate waiting for its commit */
typedef struct {
	NuSecCloudRequest *req;
	ApiProgrammer *prog;
	NuSecCloudDeviceRequest *dr;
	GBytes *key_hash;
	X509 *cert;
	gboolean done;
	ApiIssueResult result;
	GBytes *der_out;
} ApiIssueJob;

/* the device's records, inside the batch's transaction */
static ApiIssueResult
api_device_record(NuSecCloudDbConn *conn, ApiIssueJob *job)
{
	NuSecCloudRequest *req = job->req;
	NuSecCloudDeviceRequest *dr = job->dr;
	g_autoptr(NuSecCloudDbResult) existing = NULL;
	g_autoptr(NuSecCloudDbResult) ins = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) der = nusec_cloud_x509_to_der(job->cert);
	g_autofree gchar *serial = nusec_cloud_x509_serial_hex(job->cert);
	g_autofree gchar *now = nusec_cloud_store_now();
	gint64 used = 0;

	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(dr->chip_id)};
		existing = api_exec(req,
				    conn,
				    "SELECT key_sha256, cert_der, order_id FROM devices"
				    " WHERE chip_id = $1",
				    p,
				    1,
				    NULL);
		if (existing == NULL)
			return ISSUE_FATAL;
	}
	if (nusec_cloud_db_result_rows(existing) == 1) {
		g_autoptr(GBytes) old_hash = nusec_cloud_db_result_bytes(existing, 0, 0);
		if (!g_bytes_equal(old_hash, job->key_hash) ||
		    g_strcmp0(nusec_cloud_db_result_text(existing, 0, 2), dr->order_id) != 0) {
			api_errorf(req,
				   409,
				   "chip_already_provisioned",
				   "chip %s already has a certificate for another key or order",
				   dr->chip_id);
			return ISSUE_ERROR;
		}
		job->der_out = nusec_cloud_db_result_bytes(existing, 0, 1);
		return ISSUE_SAME;
	}
	if (!nusec_cloud_store_order_spend(conn, dr->order_id, 1, &used, &error)) {
		api_gerror(req, error, 0, NULL);
		return error->domain == NUSEC_CLOUD_STORE_ERROR ? ISSUE_ERROR : ISSUE_FATAL;
	}
	{
		NuSecCloudDbParam p[] = {
		    NUSEC_DB_TEXT(dr->chip_id),
		    NUSEC_DB_TEXT(dr->order_id),
		    NUSEC_DB_TEXT(job->prog->id),
		    NUSEC_DB_TEXT(serial),
		    NUSEC_DB_BLOB(job->key_hash),
		    NUSEC_DB_BLOB(der),
		    NUSEC_DB_INT((gint64)MIN(dr->counter, (guint64)G_MAXINT64)),
		    NUSEC_DB_TEXT(now)};
		ins = nusec_cloud_db_exec(conn,
					  "INSERT INTO devices (chip_id, order_id, programmer_id,"
					  " cert_serial, key_sha256, cert_der, counter, created)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
					  p,
					  G_N_ELEMENTS(p),
					  &error);
		if (ins == NULL) {
			if (g_error_matches(error,
					    NUSEC_CLOUD_DB_ERROR,
					    NUSEC_CLOUD_DB_ERROR_CONSTRAINT))
				return ISSUE_RETRY;
			api_gerror(req, error, 0, NULL);
			return ISSUE_FATAL;
		}
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		api_add_string(d, "order", dr->order_id);
		api_add_string(d, "programmer", job->prog->id);
		api_add_string(d, "certificate_serial", serial);
		api_add_hex(d, "key_sha256", job->key_hash);
		api_add_int(d, "used", used);
		if (!api_audit(req, conn, "device.certificate", dr->chip_id, api_detail_end(d)))
			return ISSUE_FATAL;
	}
	job->der_out = g_steal_pointer(&der);
	return ISSUE_DONE;
}

static gboolean
api_savepoint(NuSecCloudDbConn *conn, const gchar *sql, GError **error)
{
	g_autoptr(NuSecCloudDbResult) res = nusec_cloud_db_exec(conn, sql, NULL, 0, error);
	return res != NULL;
}

/* a failed batch: every job gets @src's answer (nothing of the batch was committed) */
static void
api_batch_fail(GPtrArray *jobs, NuSecCloudRequest *src)
{
	for (guint i = 0; i < jobs->len; i++) {
		ApiIssueJob *job = g_ptr_array_index(jobs, i);
		g_clear_pointer(&job->der_out, g_bytes_unref);
		job->result = ISSUE_ERROR;
		if (job->req == src)
			continue;
		job->req->status = src->status;
		g_free(job->req->content_type);
		job->req->content_type = g_strdup(src->content_type);
		g_clear_pointer(&job->req->response, g_bytes_unref);
		job->req->response = src->response != NULL ? g_bytes_ref(src->response) : NULL;
	}
}

/*
 * Group commit: the certificates of all the requests waiting at this moment are recorded in
 * one write transaction (one fsync, one round of locks on the order and audit head rows),
 * each job inside its own savepoint so that one refused job does not undo the others.
 */
static void
api_batch_run(GPtrArray *jobs)
{
	ApiIssueJob *first = g_ptr_array_index(jobs, 0);
	g_autoptr(NuSecCloudDbConn) conn = api_conn(first->req);
	g_autoptr(GError) error = NULL;

	if (conn == NULL || !api_begin(first->req, conn)) {
		api_batch_fail(jobs, first->req);
		return;
	}
	for (guint i = 0; i < jobs->len; i++) {
		ApiIssueJob *job = g_ptr_array_index(jobs, i);
		if (!api_savepoint(conn, "SAVEPOINT issue", &error)) {
			api_gerror(job->req, error, 0, NULL);
			api_batch_fail(jobs, job->req);
			return;
		}
		job->result = api_device_record(conn, job);
		if (job->result == ISSUE_FATAL) {
			api_batch_fail(jobs, job->req);
			return;
		}
		if (!api_savepoint(conn,
				   job->result == ISSUE_DONE ? "RELEASE SAVEPOINT issue"
							     : "ROLLBACK TO SAVEPOINT issue",
				   &error) ||
		    (job->result != ISSUE_DONE &&
		     !api_savepoint(conn, "RELEASE SAVEPOINT issue", &error))) {
			api_gerror(job->req, error, 0, NULL);
			api_batch_fail(jobs, job->req);
			return;
		}
	}
	/* the certificates leave only once their records are durable */
	if (!nusec_cloud_db_commit(conn, &error)) {
		api_gerror(first->req, error, 0, NULL);
		api_batch_fail(jobs, first->req);
	}
}

#define API_BATCH_MAX 256

static GMutex api_batch_mutex;
static GCond api_batch_cond;
static GQueue api_batch_queue = G_QUEUE_INIT;
static gboolean api_batch_leader = FALSE;

/* queues @job; the first waiting thread becomes the leader and commits for everyone */
static void
api_device_commit(ApiIssueJob *job)
{
	g_mutex_lock(&api_batch_mutex);
	g_queue_push_tail(&api_batch_queue, job);
	while (!job->done) {
		if (!api_batch_leader) {
			g_autoptr(GPtrArray) jobs = g_ptr_array_new();
			api_batch_leader = TRUE;
			while (jobs->len < API_BATCH_MAX && !g_queue_is_empty(&api_batch_queue))
				g_ptr_array_add(jobs, g_queue_pop_head(&api_batch_queue));
			g_mutex_unlock(&api_batch_mutex);
			api_batch_run(jobs);
			g_mutex_lock(&api_batch_mutex);
			for (guint i = 0; i < jobs->len; i++)
				((ApiIssueJob *)g_ptr_array_index(jobs, i))->done = TRUE;
			api_batch_leader = FALSE;
			g_cond_broadcast(&api_batch_cond);
		} else {
			g_cond_wait(&api_batch_cond, &api_batch_mutex);
		}
	}
	g_mutex_unlock(&api_batch_mutex);
}

static void
api_programmer_device(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(ApiProgrammer) prog = NULL;
	g_autoptr(ApiOrder) order = NULL;
	g_autoptr(NuSecCloudDeviceRequest) dr = NULL;
	g_autoptr(X509_REQ) csr = NULL;
	g_autoptr(EVP_PKEY) key = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GBytes) key_hash = NULL;
	g_autoptr(X509) cert = NULL;

	if (obj == NULL)
		return;
	raw = api_get_base64(req, obj, "request", 4096);
	if (raw == NULL)
		return;
	conn = api_conn(req);
	if (conn == NULL)
		return;
	prog = api_programmer_self(req, conn);
	if (prog == NULL)
		return;
	dr = nusec_cloud_device_request_parse(raw, prog->identity_key, &error);
	if (dr == NULL) {
		api_gerror(req,
			   error,
			   400,
			   g_error_matches(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID)
			       ? "bad_request_signature"
			       : "bad_request");
		return;
	}
	if (g_strcmp0(dr->programmer_serial, prog->serial) != 0) {
		nusec_cloud_api_error(req,
				      400,
				      "wrong_programmer",
				      "the request names another programmer");
		return;
	}
	if (!api_valid_chip_id(dr->chip_id)) {
		nusec_cloud_api_error(req, 400, "bad_chip_id", "chip ID has invalid characters");
		return;
	}
	order = api_programmer_order(req, conn, prog, dr->order_id, TRUE);
	if (order == NULL)
		return;
	nusec_cloud_db_release(g_steal_pointer(&conn));
	csr = nusec_cloud_csr_parse_check(dr->csr, dr->chip_id, &error);
	if (csr == NULL) {
		api_gerror(req, error, 400, "bad_csr");
		return;
	}
	key = X509_REQ_get_pubkey(csr);
	spki = nusec_cloud_pkey_to_spki(key);
	key_hash = nusec_cloud_sha256(spki);
	/* signed before the transaction, so the quota row is held for as short as possible; a
	 * certificate that is not committed is discarded and never leaves the cloud */
	cert = api_device_certificate(req, csr, dr->chip_id, order->profile, &error);
	if (cert == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	for (guint attempt = 0; attempt < 3; attempt++) {
		ApiIssueJob job = {.req = req,
				   .prog = prog,
				   .dr = dr,
				   .key_hash = key_hash,
				   .cert = cert};
		g_autoptr(GBytes) der = NULL;
		api_device_commit(&job);
		der = g_steal_pointer(&job.der_out);
		if (job.result == ISSUE_RETRY)
			continue;
		if (job.result != ISSUE_DONE && job.result != ISSUE_SAME)
			return;
		api_device_reply(req, job.result == ISSUE_DONE ? 201 : 200, dr->chip_id, der);
		return;
	}
	nusec_cloud_api_error(req, 503, "busy", "concurrent requests for the same chip");
}

static void
api_programmer_receipt(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	const gchar *chip_id = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(ApiProgrammer) prog = NULL;
	g_autoptr(NuSecCloudDbResult) dev = NULL;
	g_autoptr(NuSecCloudDbResult) upd = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autoptr(X509) cert = NULL;
	g_autoptr(EVP_PKEY) pub = NULL;
	g_autoptr(GBytes) point = NULL;
	g_autoptr(GBytes) cert_hash = NULL;
	g_autoptr(NuSecCloudReceipt) receipt = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *now = nusec_cloud_store_now();

	if (obj == NULL || !api_get_string(req, obj, "chip_id", TRUE, API_NAME_MAX, &chip_id))
		return;
	raw = api_get_base64(req, obj, "receipt", 4096);
	if (raw == NULL)
		return;
	conn = api_conn(req);
	if (conn == NULL)
		return;
	prog = api_programmer_self(req, conn);
	if (prog == NULL || !api_begin(req, conn))
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(chip_id)};
		dev = api_exec(req,
			       conn,
			       "SELECT d.cert_der, d.programmer_id, d.receipt, f.image_sha256,"
			       " d.order_id FROM devices d JOIN orders o ON o.id = d.order_id"
			       " JOIN firmware f ON f.id = o.firmware_id WHERE d.chip_id = $1",
			       p,
			       1,
			       NULL);
		if (dev == NULL)
			return;
	}
	if (nusec_cloud_db_result_rows(dev) == 0) {
		api_errorf(req,
			   404,
			   "device_not_found",
			   "no certificate was issued to chip %s",
			   chip_id);
		return;
	}
	if (g_strcmp0(nusec_cloud_db_result_text(dev, 0, 1), prog->id) != 0) {
		nusec_cloud_api_error(req,
				      403,
				      "wrong_programmer",
				      "the device was provisioned by another programmer");
		return;
	}
	der = nusec_cloud_db_result_bytes(dev, 0, 0);
	cert = nusec_cloud_x509_from_der(der, &error);
	if (cert == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	pub = X509_get_pubkey(cert);
	{
		guint8 buf[65];
		size_t len = 0;
		if (pub == NULL ||
		    EVP_PKEY_get_octet_string_param(pub, "pub", buf, sizeof(buf), &len) != 1 ||
		    len != sizeof(buf)) {
			nusec_cloud_api_error(req,
					      500,
					      "internal",
					      "device key is not a P-256 point");
			return;
		}
		point = g_bytes_new(buf, len);
	}
	receipt = nusec_cloud_receipt_parse(raw, point, &error);
	if (receipt == NULL) {
		api_gerror(req,
			   error,
			   400,
			   g_error_matches(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID)
			       ? "bad_receipt_signature"
			       : "bad_receipt");
		return;
	}
	cert_hash = nusec_cloud_sha256(der);
	if (g_strcmp0(receipt->chip_id, chip_id) != 0) {
		nusec_cloud_api_error(req, 400, "receipt_mismatch", "receipt names another chip");
		return;
	}
	if (!g_bytes_equal(receipt->cert_sha256, cert_hash)) {
		nusec_cloud_api_error(req,
				      400,
				      "receipt_mismatch",
				      "receipt names another certificate");
		return;
	}
	{
		g_autoptr(GBytes) expected = nusec_cloud_db_result_bytes(dev, 0, 3);
		if (!g_bytes_equal(receipt->image_sha256, expected)) {
			nusec_cloud_api_error(req,
					      400,
					      "receipt_image_mismatch",
					      "the device booted another image than the order's");
			return;
		}
	}
	if (!nusec_cloud_db_result_is_null(dev, 0, 2)) {
		g_autoptr(GBytes) old = nusec_cloud_db_result_bytes(dev, 0, 2);
		if (g_bytes_equal(old, raw)) {
			nusec_cloud_db_rollback(conn);
			json_builder_begin_object(b);
			api_add_string(b, "chip_id", chip_id);
			api_add_string(b, "state", "recorded");
			json_builder_end_object(b);
			api_reply_builder(req, 200, b);
			return;
		}
		nusec_cloud_api_error(req,
				      409,
				      "receipt_exists",
				      "a different receipt is recorded");
		return;
	}
	{
		NuSecCloudDbParam p[] = {
		    NUSEC_DB_TEXT(chip_id),
		    NUSEC_DB_BLOB(raw),
		    NUSEC_DB_TEXT(now),
		    NUSEC_DB_BLOB(receipt->image_sha256),
		    NUSEC_DB_INT((gint64)MIN(receipt->lifecycle, (guint64)G_MAXINT64))};
		upd = api_exec(
		    req,
		    conn,
		    "UPDATE devices SET receipt = $2, receipt_time = $3, image_sha256 = $4,"
		    " lifecycle = $5 WHERE chip_id = $1 AND receipt IS NULL",
		    p,
		    G_N_ELEMENTS(p),
		    NULL);
		if (upd == NULL)
			return;
	}
	{
		g_autoptr(JsonBuilder) d = api_detail_new();
		api_add_string(d, "order", nusec_cloud_db_result_text(dev, 0, 4));
		api_add_hex(d, "image_sha256", receipt->image_sha256);
		api_add_int(d, "lifecycle", receipt->lifecycle);
		if (!api_audit(req, conn, "device.receipt", chip_id, api_detail_end(d)))
			return;
	}
	if (!api_commit(req, conn))
		return;
	json_builder_begin_object(b);
	api_add_string(b, "chip_id", chip_id);
	api_add_string(b, "state", "recorded");
	json_builder_end_object(b);
	api_reply_builder(req, 201, b);
}

/* COSE_Sign1(package key, {1: 1, 2: order, 3: programmer serial, 4: total credited}) */
static GBytes *
api_credit_build(NuSecCloudRequest *req,
		 const gchar *order_id,
		 const gchar *serial,
		 gint64 total,
		 GError **error);

static void
api_programmer_abort(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(ApiProgrammer) prog = NULL;
	g_autoptr(ApiOrder) order = NULL;
	g_autoptr(NuSecCloudAbort) ab = NULL;
	g_autoptr(NuSecCloudDbResult) dev = NULL;
	g_autoptr(NuSecCloudDbResult) ins = NULL;
	g_autoptr(NuSecCloudDbResult) count = NULL;
	g_autoptr(GBytes) credit = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *now = nusec_cloud_store_now();
	gboolean fresh;
	gint64 total;

	if (obj == NULL)
		return;
	raw = api_get_base64(req, obj, "abort", 4096);
	if (raw == NULL)
		return;
	conn = api_conn(req);
	if (conn == NULL)
		return;
	prog = api_programmer_self(req, conn);
	if (prog == NULL)
		return;
	ab = nusec_cloud_abort_parse(raw, prog->identity_key, &error);
	if (ab == NULL) {
		api_gerror(req,
			   error,
			   400,
			   g_error_matches(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID)
			       ? "bad_abort_signature"
			       : "bad_abort");
		return;
	}
	order = api_programmer_order(req, conn, prog, ab->order_id, FALSE);
	if (order == NULL || !api_begin(req, conn))
		return;
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(ab->chip_id)};
		dev = api_exec(req,
			       conn,
			       "SELECT order_id FROM devices WHERE chip_id = $1",
			       p,
			       1,
			       NULL);
		if (dev == NULL)
			return;
		if (nusec_cloud_db_result_rows(dev) > 0) {
			api_errorf(req,
				   409,
				   "chip_certified",
				   "chip %s has a certificate: its unit was spent",
				   ab->chip_id);
			return;
		}
	}
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(ab->order_id),
					 NUSEC_DB_TEXT(prog->id),
					 NUSEC_DB_TEXT(ab->chip_id),
					 NUSEC_DB_TEXT(ab->reason),
					 NUSEC_DB_TEXT(now)};
		/* once per chip and order: a replayed abort credits nothing more */
		ins = api_exec(
		    req,
		    conn,
		    "INSERT INTO aborts (order_id, programmer_id, chip_id, reason, created)"
		    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, chip_id) DO NOTHING"
		    " RETURNING id",
		    p,
		    G_N_ELEMENTS(p),
		    NULL);
		if (ins == NULL)
			return;
		fresh = nusec_cloud_db_result_rows(ins) == 1;
	}
	if (fresh) {
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(ab->order_id)};
		g_autoptr(NuSecCloudDbResult) upd =
		    api_exec(req,
			     conn,
			     "UPDATE orders SET aborted = aborted + 1 WHERE id = $1",
			     p,
			     1,
			     NULL);
		g_autoptr(JsonBuilder) d = api_detail_new();
		if (upd == NULL)
			return;
		api_add_string(d, "order", ab->order_id);
		api_add_string(d, "programmer", prog->id);
		api_add_string(d, "reason", ab->reason);
		if (!api_audit(req, conn, "device.abort", ab->chip_id, api_detail_end(d)))
			return;
	}
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(ab->order_id), NUSEC_DB_TEXT(prog->id)};
		count = api_exec(
		    req,
		    conn,
		    "SELECT COUNT(*) FROM aborts WHERE order_id = $1 AND programmer_id = $2",
		    p,
		    2,
		    NULL);
		if (count == NULL)
			return;
		total = nusec_cloud_db_result_int(count, 0, 0);
	}
	if (!api_commit(req, conn))
		return;
	credit = api_credit_build(req, ab->order_id, prog->serial, total, &error);
	if (credit == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	json_builder_begin_object(b);
	api_add_string(b, "chip_id", ab->chip_id);
	api_add_int(b, "credited_total", total);
	api_add_b64(b, "credit", credit);
	json_builder_end_object(b);
	api_reply_builder(req, fresh ? 201 : 200, b);
}

static void
api_programmer_firmware(NuSecCloudRequest *req)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonObject *obj = api_body_object(req, &parser);
	const gchar *order_id = NULL;
	g_autoptr(GBytes) nonce = NULL;
	g_autoptr(GBytes) proof = NULL;
	g_autoptr(GBytes) expected = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(ApiProgrammer) prog = NULL;
	g_autoptr(ApiOrder) order = NULL;
	g_autoptr(NuSecCloudDbResult) fw = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) sealed = NULL;

	if (obj == NULL || !api_get_string(req, obj, "order", TRUE, API_NAME_MAX, &order_id))
		return;
	nonce = api_get_base64(req, obj, "nonce", API_NONCE_MAX);
	if (nonce == NULL)
		return;
	proof = api_get_base64(req, obj, "proof", 32);
	if (proof == NULL)
		return;
	if (g_bytes_get_size(nonce) < API_NONCE_MIN) {
		nusec_cloud_api_error(req, 400, "bad_field", "nonce must have 16 to 64 bytes");
		return;
	}
	conn = api_conn(req);
	if (conn == NULL)
		return;
	prog = api_programmer_self(req, conn);
	if (prog == NULL)
		return;
	order = api_programmer_order(req, conn, prog, order_id, TRUE);
	if (order == NULL)
		return;
	expected = nusec_cloud_fetch_proof(order->token, order_id, nonce);
	if (expected == NULL || g_bytes_get_size(proof) != g_bytes_get_size(expected) ||
	    CRYPTO_memcmp(g_bytes_get_data(proof, NULL),
			  g_bytes_get_data(expected, NULL),
			  g_bytes_get_size(expected)) != 0) {
		nusec_cloud_api_error(req,
				      403,
				      "bad_token_proof",
				      "the proof of the order's download token is wrong");
		return;
	}
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(order->firmware_id)};
		fw = api_exec(req, conn, "SELECT image FROM firmware WHERE id = $1", p, 1, NULL);
		if (fw == NULL || nusec_cloud_db_result_rows(fw) != 1) {
			if (fw != NULL)
				nusec_cloud_api_error(req,
						      404,
						      "firmware_not_found",
						      "no firmware");
			return;
		}
	}
	image = nusec_cloud_db_result_bytes(fw, 0, 0);
	sealed = nusec_cloud_firmware_seal(image, order_id, prog->encryption_key, &error);
	if (sealed == NULL) {
		api_gerror(req, error, 0, NULL);
		return;
	}
	api_reply_bytes(req, 200, "application/octet-stream", sealed, NULL);
}

static GBytes *
api_credit_build(NuSecCloudRequest *req,
		 const gchar *order_id,
		 const gchar *serial,
		 gint64 total,
		 GError **error)
{
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) ext = g_bytes_new_static("nusec credit v1", 15);
	guint8 buf[256];
	fwc_cbor_writer w;

	fwc_cbor_writer_init(&w, buf, sizeof(buf));
	fwc_cbor_write_map(&w, 4);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_tstr(&w, order_id, strlen(order_id));
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_tstr(&w, serial, strlen(serial));
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_uint(&w, (guint64)total);
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INTERNAL,
				    "cannot encode credit");
		return NULL;
	}
	payload = g_bytes_new(buf, w.len);
	return nusec_cose_sign1_create(req->cloud->package, payload, NULL, ext, error);
}

/* ---- routing ---- */

static gboolean
api_is(NuSecCloudRequest *req, const gchar *method, guint n, ...)
{
	va_list ap;
	gboolean ok = TRUE;
	if (g_strcmp0(req->method, method) != 0 || req->n_parts != n)
		return FALSE;
	va_start(ap, n);
	for (guint i = 0; i < n; i++) {
		const gchar *want = va_arg(ap, const gchar *);
		if (g_strcmp0(want, "*") != 0 && g_strcmp0(want, req->parts[i]) != 0)
			ok = FALSE;
	}
	va_end(ap);
	return ok;
}

static gboolean
api_require(NuSecCloudRequest *req, NuSecCloudRealm realm)
{
	if (req->peer->realm == realm)
		return TRUE;
	nusec_cloud_api_error(req,
			      403,
			      "wrong_realm",
			      realm == NUSEC_CLOUD_REALM_OEM ? "this endpoint is for OEM operators"
							     : "this endpoint is for programmers");
	return FALSE;
}

#define OEM_ONLY()                                                                                 \
	if (!api_require(req, NUSEC_CLOUD_REALM_OEM))                                              \
	return
#define PROGRAMMER_ONLY()                                                                          \
	if (!api_require(req, NUSEC_CLOUD_REALM_PROGRAMMER))                                       \
	return

void
nusec_cloud_api_handle(NuSecCloudRequest *req)
{
	gchar **p = req->parts;

	if (api_is(req, "GET", 1, "ping")) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		api_add_string(b,
			       "realm",
			       req->peer->realm == NUSEC_CLOUD_REALM_OEM ? "oem" : "programmer");
		api_add_string(b, "subject", req->peer->subject);
		json_builder_end_object(b);
		api_reply_builder(req, 200, b);
		return;
	}
	/* programmer realm */
	if (req->n_parts >= 1 && g_strcmp0(p[0], "programmer") == 0) {
		PROGRAMMER_ONLY();
		if (api_is(req, "POST", 2, "programmer", "devices"))
			return api_programmer_device(req);
		if (api_is(req, "POST", 2, "programmer", "receipts"))
			return api_programmer_receipt(req);
		if (api_is(req, "POST", 2, "programmer", "aborts"))
			return api_programmer_abort(req);
		if (api_is(req, "POST", 2, "programmer", "firmware"))
			return api_programmer_firmware(req);
		nusec_cloud_api_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	/* OEM realm */
	if (api_is(req, "POST", 1, "products")) {
		OEM_ONLY();
		return api_products_create(req);
	}
	if (api_is(req, "GET", 1, "products")) {
		OEM_ONLY();
		return api_products_list(req);
	}
	if (api_is(req, "GET", 2, "products", "*")) {
		OEM_ONLY();
		return api_products_get(req, p[1]);
	}
	if (api_is(req, "POST", 3, "products", "*", "firmware")) {
		OEM_ONLY();
		return api_firmware_create(req, p[1]);
	}
	if (api_is(req, "GET", 3, "products", "*", "firmware")) {
		OEM_ONLY();
		return api_firmware_list(req, p[1]);
	}
	if (api_is(req, "GET", 2, "firmware", "*")) {
		OEM_ONLY();
		return api_firmware_get(req, p[1], FALSE);
	}
	if (api_is(req, "GET", 3, "firmware", "*", "image")) {
		OEM_ONLY();
		return api_firmware_get(req, p[1], TRUE);
	}
	if (api_is(req, "POST", 1, "programmers")) {
		OEM_ONLY();
		return api_programmers_create(req);
	}
	if (api_is(req, "GET", 1, "programmers")) {
		OEM_ONLY();
		return api_programmers_list(req, NULL);
	}
	if (api_is(req, "GET", 2, "programmers", "*")) {
		OEM_ONLY();
		return api_programmers_list(req, p[1]);
	}
	if (api_is(req, "POST", 3, "programmers", "*", "revoke")) {
		OEM_ONLY();
		return api_programmers_revoke(req, p[1]);
	}
	if (api_is(req, "POST", 1, "orders")) {
		OEM_ONLY();
		return api_orders_create(req);
	}
	if (api_is(req, "GET", 1, "orders")) {
		OEM_ONLY();
		return api_orders_get(req, NULL);
	}
	if (api_is(req, "GET", 2, "orders", "*")) {
		OEM_ONLY();
		return api_orders_get(req, p[1]);
	}
	if (api_is(req, "POST", 3, "orders", "*", "cancel")) {
		OEM_ONLY();
		return api_orders_cancel(req, p[1]);
	}
	if (api_is(req, "POST", 3, "orders", "*", "packages")) {
		OEM_ONLY();
		return api_packages_create(req, p[1]);
	}
	if (api_is(req, "GET", 3, "orders", "*", "certificates.pem")) {
		OEM_ONLY();
		return api_devices_list(req, p[1], "pem");
	}
	if (api_is(req, "GET", 3, "orders", "*", "certificates.csv")) {
		OEM_ONLY();
		return api_devices_list(req, p[1], "csv");
	}
	if (api_is(req, "GET", 1, "devices")) {
		OEM_ONLY();
		return api_devices_list(req, NULL, NULL);
	}
	if (api_is(req, "GET", 1, "audit")) {
		OEM_ONLY();
		return api_audit_list(req);
	}
	if (api_is(req, "GET", 2, "audit", "verify")) {
		OEM_ONLY();
		return api_audit_verify(req);
	}
	nusec_cloud_api_error(req, 404, "not_found", "no such endpoint");
}
