/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK(nusec - cloud - db - error - quark, nusec_cloud_db_error)

#define NUSEC_CLOUD_DB_BUSY_TIMEOUT_MS 30000
#define NUSEC_CLOUD_DB_PG_LOCK_ID      0x6e75736563 /* "nusec": serialises migrations */
#define NUSEC_PG_BYTEAOID	       17

/*
 * The schema migrations, shared by both databases. Dialect words: {blob} (BLOB / BYTEA),
 * {serial} (an auto-incremented integer primary key), {zero32} (32 zero bytes literal).
 * Never edit a released step: append a new one.
 */
static const gchar *const nusec_cloud_db_migrations[] = {
    /* 1: the initial schema */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE products ("
    " id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, boot_key_label TEXT NOT NULL,"
    " boot_key_spki {blob} NOT NULL, key_hash {blob} NOT NULL, created TEXT NOT NULL);"
    "CREATE TABLE firmware ("
    " id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES products(id),"
    " version TEXT NOT NULL, security_counter BIGINT NOT NULL, size BIGINT NOT NULL,"
    " image_sha256 {blob} NOT NULL, image {blob} NOT NULL, created TEXT NOT NULL,"
    " UNIQUE (product_id, version));"
    "CREATE TABLE programmers ("
    " id TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE, identity_key {blob} NOT NULL,"
    " encryption_key {blob} NOT NULL, cert_der {blob} NOT NULL, cert_serial TEXT NOT NULL UNIQUE,"
    " state TEXT NOT NULL CHECK (state IN ('active', 'revoked')), created TEXT NOT NULL,"
    " revoked TEXT);"
    "CREATE TABLE orders ("
    " id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES products(id),"
    " firmware_id TEXT NOT NULL REFERENCES firmware(id),"
    " quota_limit BIGINT NOT NULL CHECK (quota_limit > 0),"
    " used BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0),"
    " aborted BIGINT NOT NULL DEFAULT 0,"
    " not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, profile TEXT NOT NULL,"
    " token {blob} NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('open', 'cancelled')), created TEXT NOT NULL,"
    " CHECK (used <= quota_limit));"
    "CREATE TABLE order_programmers ("
    " order_id TEXT NOT NULL REFERENCES orders(id),"
    " programmer_id TEXT NOT NULL REFERENCES programmers(id),"
    " PRIMARY KEY (order_id, programmer_id));"
    "CREATE TABLE devices ("
    " chip_id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id),"
    " programmer_id TEXT NOT NULL REFERENCES programmers(id),"
    " cert_serial TEXT NOT NULL UNIQUE, key_sha256 {blob} NOT NULL, cert_der {blob} NOT NULL,"
    " counter BIGINT NOT NULL, created TEXT NOT NULL, receipt {blob}, receipt_time TEXT,"
    " image_sha256 {blob}, lifecycle BIGINT);"
    "CREATE INDEX devices_order ON devices (order_id, created);"
    "CREATE INDEX devices_programmer ON devices (programmer_id);"
    "CREATE TABLE packages ("
    " id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders(id),"
    " programmer_id TEXT NOT NULL REFERENCES programmers(id), sha256 {blob} NOT NULL,"
    " created TEXT NOT NULL);"
    "CREATE TABLE aborts ("
    " id {serial}, order_id TEXT NOT NULL REFERENCES orders(id),"
    " programmer_id TEXT NOT NULL REFERENCES programmers(id), chip_id TEXT NOT NULL,"
    " reason TEXT NOT NULL, created TEXT NOT NULL, UNIQUE (order_id, chip_id));"
    "CREATE TABLE audit ("
    " seq BIGINT PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " object TEXT NOT NULL, detail TEXT NOT NULL, prev_hash {blob} NOT NULL,"
    " hash {blob} NOT NULL);"
    "CREATE TABLE audit_head ("
    " id BIGINT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash {blob} NOT NULL);"
    "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, {zero32});"
    "CREATE TABLE audit_checkpoints ("
    " seq BIGINT PRIMARY KEY, hash {blob} NOT NULL, signature {blob} NOT NULL,"
    " time TEXT NOT NULL);",
    /* 2: a separate request-signing key per programmer (NULL: the identity key signs) */
    "ALTER TABLE programmers ADD COLUMN request_key {blob};",
};

typedef struct {
	guint8 *data; /* NUL-terminated copy; NULL for SQL NULL */
	gsize len;
} NuSecCloudDbCell;

struct _NuSecCloudDbResult {
	guint rows;
	guint cols;
	NuSecCloudDbCell *cells;
};

struct _NuSecCloudDb {
	NuSecCloudDbKind kind;
	gchar *target; /* SQLite path or libpq conninfo */
	guint max_conns;
	guint n_conns;
	GPtrArray *idle; /* of NuSecCloudDbConn */
	GMutex mutex;
	GCond cond;
	gint64 schema_version;
};

struct _NuSecCloudDbConn {
	NuSecCloudDb *db;
	sqlite3 *sqlite;
	PGconn *pg;
	gboolean in_txn;
	gboolean broken;
};

gint64
nusec_cloud_db_schema_latest(void)
{
	return G_N_ELEMENTS(nusec_cloud_db_migrations);
}

NuSecCloudDbKind
nusec_cloud_db_get_kind(NuSecCloudDb *self)
{
	return self->kind;
}

gint64
nusec_cloud_db_get_schema_version(NuSecCloudDb *self)
{
	return self->schema_version;
}

/* ---- results ---- */

static NuSecCloudDbResult *
nusec_cloud_db_result_new(guint rows, guint cols)
{
	NuSecCloudDbResult *res = g_new0(NuSecCloudDbResult, 1);
	res->rows = rows;
	res->cols = cols;
	res->cells = g_new0(NuSecCloudDbCell, (gsize)rows * cols + 1);
	return res;
}

static void
nusec_cloud_db_cell_set(NuSecCloudDbResult *res, guint row, guint col, const void *data, gsize len)
{
	NuSecCloudDbCell *cell = &res->cells[row * res->cols + col];
	cell->data = g_malloc(len + 1);
	if (len > 0)
		memcpy(cell->data, data, len);
	cell->data[len] = '\0';
	cell->len = len;
}

void
nusec_cloud_db_result_free(NuSecCloudDbResult *res)
{
	if (res == NULL)
		return;
	for (gsize i = 0; i < (gsize)res->rows * res->cols; i++)
		g_free(res->cells[i].data);
	g_free(res->cells);
	g_free(res);
}

guint
nusec_cloud_db_result_rows(NuSecCloudDbResult *res)
{
	return res->rows;
}

guint
nusec_cloud_db_result_cols(NuSecCloudDbResult *res)
{
	return res->cols;
}

static NuSecCloudDbCell *
nusec_cloud_db_result_cell(NuSecCloudDbResult *res, guint row, guint col)
{
	g_return_val_if_fail(row < res->rows && col < res->cols, NULL);
	return &res->cells[row * res->cols + col];
}

gboolean
nusec_cloud_db_result_is_null(NuSecCloudDbResult *res, guint row, guint col)
{
	NuSecCloudDbCell *cell = nusec_cloud_db_result_cell(res, row, col);
	return cell == NULL || cell->data == NULL;
}

const gchar *
nusec_cloud_db_result_text(NuSecCloudDbResult *res, guint row, guint col)
{
	NuSecCloudDbCell *cell = nusec_cloud_db_result_cell(res, row, col);
	return cell != NULL ? (const gchar *)cell->data : NULL;
}

gint64
nusec_cloud_db_result_int(NuSecCloudDbResult *res, guint row, guint col)
{
	const gchar *text = nusec_cloud_db_result_text(res, row, col);
	return text != NULL ? g_ascii_strtoll(text, NULL, 10) : 0;
}

GBytes *
nusec_cloud_db_result_bytes(NuSecCloudDbResult *res, guint row, guint col)
{
	NuSecCloudDbCell *cell = nusec_cloud_db_result_cell(res, row, col);
	if (cell == NULL || cell->data == NULL)
		return NULL;
	return g_bytes_new(cell->data, cell->len);
}

/* ---- SQLite ---- */

static void
nusec_cloud_db_sqlite_set_error(NuSecCloudDbConn *conn, GError **error, int rc, const gchar *what)
{
	int code = NUSEC_CLOUD_DB_ERROR_FAILED;
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		code = NUSEC_CLOUD_DB_ERROR_CONSTRAINT;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_NOMEM:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
		code = NUSEC_CLOUD_DB_ERROR_UNAVAILABLE;
		break;
	default:
		break;
	}
	g_set_error(error,
		    NUSEC_CLOUD_DB_ERROR,
		    code,
		    "SQLite %s: %s (%s)",
		    what,
		    conn->sqlite != NULL ? sqlite3_errmsg(conn->sqlite) : "no connection",
		    sqlite3_errstr(rc));
}

/* $1..$N -> ?1..?N outside string literals */
static gchar *
nusec_cloud_db_sqlite_sql(const gchar *sql)
{
	GString *out = g_string_sized_new(strlen(sql));
	gboolean quoted = FALSE;
	for (const gchar *p = sql; *p != '\0'; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (!quoted && *p == '$' && g_ascii_isdigit(p[1]))
			g_string_append_c(out, '?');
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static gboolean
nusec_cloud_db_sqlite_script(NuSecCloudDbConn *conn, const gchar *sql, GError **error)
{
	gchar *msg = NULL;
	int rc = sqlite3_exec(conn->sqlite, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		nusec_cloud_db_sqlite_set_error(conn, error, rc, "script");
		g_prefix_error(error, "%s: ", msg != NULL ? msg : "");
		sqlite3_free(msg);
		return FALSE;
	}
	return TRUE;
}

static gboolean
nusec_cloud_db_sqlite_connect(NuSecCloudDbConn *conn, GError **error)
{
	const gchar *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			       "PRAGMA foreign_keys=ON;";
	int rc = sqlite3_open_v2(conn->db->target,
				 &conn->sqlite,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		nusec_cloud_db_sqlite_set_error(conn, error, rc, "open");
		g_prefix_error(error, "%s: ", conn->db->target);
		return FALSE;
	}
	sqlite3_busy_timeout(conn->sqlite, NUSEC_CLOUD_DB_BUSY_TIMEOUT_MS);
	return nusec_cloud_db_sqlite_script(conn, pragmas, error);
}

static NuSecCloudDbResult *
nusec_cloud_db_sqlite_exec(NuSecCloudDbConn *conn,
			   const gchar *sql,
			   const NuSecCloudDbParam *params,
			   guint n_params,
			   GError **error)
{
	g_autofree gchar *text = nusec_cloud_db_sqlite_sql(sql);
	sqlite3_stmt *stmt = NULL;
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	NuSecCloudDbResult *res;
	guint cols;
	int rc;

	rc = sqlite3_prepare_v2(conn->sqlite, text, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		nusec_cloud_db_sqlite_set_error(conn, error, rc, "prepare");
		g_ptr_array_unref(rows);
		return NULL;
	}
	for (guint i = 0; i < n_params; i++) {
		const NuSecCloudDbParam *p = &params[i];
		switch (p->type) {
		case NUSEC_CLOUD_DB_INT:
			rc = sqlite3_bind_int64(stmt, i + 1, p->i);
			break;
		case NUSEC_CLOUD_DB_TEXT:
			rc = p->s != NULL ? sqlite3_bind_text(stmt, i + 1, p->s, -1, SQLITE_STATIC)
					  : sqlite3_bind_null(stmt, i + 1);
			break;
		case NUSEC_CLOUD_DB_BLOB:
			if (p->b == NULL) {
				rc = sqlite3_bind_null(stmt, i + 1);
			} else {
				gsize len = 0;
				const guint8 *data = g_bytes_get_data(p->b, &len);
				rc = sqlite3_bind_blob64(stmt,
							 i + 1,
							 len > 0 ? (const void *)data : "",
							 len,
							 SQLITE_STATIC);
			}
			break;
		default:
			rc = sqlite3_bind_null(stmt, i + 1);
			break;
		}
		if (rc != SQLITE_OK) {
			nusec_cloud_db_sqlite_set_error(conn, error, rc, "bind");
			sqlite3_finalize(stmt);
			g_ptr_array_unref(rows);
			return NULL;
		}
	}
	cols = sqlite3_column_count(stmt);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		GPtrArray *row = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
		for (guint c = 0; c < cols; c++) {
			int type = sqlite3_column_type(stmt, c);
			if (type == SQLITE_NULL) {
				g_ptr_array_add(row, NULL);
			} else if (type == SQLITE_BLOB) {
				const void *data = sqlite3_column_blob(stmt, c);
				g_ptr_array_add(row,
						g_bytes_new(data, sqlite3_column_bytes(stmt, c)));
			} else {
				const guchar *data = sqlite3_column_text(stmt, c);
				g_ptr_array_add(row,
						g_bytes_new(data, sqlite3_column_bytes(stmt, c)));
			}
		}
		g_ptr_array_add(rows, row);
	}
	if (rc != SQLITE_DONE) {
		nusec_cloud_db_sqlite_set_error(conn, error, rc, "step");
		sqlite3_finalize(stmt);
		g_ptr_array_unref(rows);
		return NULL;
	}
	sqlite3_finalize(stmt);
	res = nusec_cloud_db_result_new(rows->len, cols);
	for (guint r = 0; r < rows->len; r++) {
		GPtrArray *row = g_ptr_array_index(rows, r);
		for (guint c = 0; c < cols; c++) {
			GBytes *b = g_ptr_array_index(row, c);
			gsize len = 0;
			const guint8 *data;
			if (b == NULL)
				continue;
			data = g_bytes_get_data(b, &len);
			nusec_cloud_db_cell_set(res, r, c, data, len);
		}
	}
	g_ptr_array_unref(rows);
	return res;
}

/* ---- PostgreSQL ---- */

static void
nusec_cloud_db_pg_set_error(NuSecCloudDbConn *conn,
			    GError **error,
			    PGresult *res,
			    const gchar *what)
{
	const gchar *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int code = NUSEC_CLOUD_DB_ERROR_FAILED;
	g_autofree gchar *msg = g_strdup(conn->pg != NULL ? PQerrorMessage(conn->pg) : "");

	if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
		conn->broken = TRUE;
		code = NUSEC_CLOUD_DB_ERROR_UNAVAILABLE;
	} else if (state != NULL && g_str_has_prefix(state, "23")) {
		code = NUSEC_CLOUD_DB_ERROR_CONSTRAINT;
	} else if (state != NULL &&
		   (g_str_has_prefix(state, "08") || g_str_has_prefix(state, "57") ||
		    g_str_has_prefix(state, "53") || g_str_has_prefix(state, "40"))) {
		code = NUSEC_CLOUD_DB_ERROR_UNAVAILABLE;
	}
	g_strchomp(msg);
	g_set_error(error,
		    NUSEC_CLOUD_DB_ERROR,
		    code,
		    "PostgreSQL %s: %s%s%s",
		    what,
		    msg,
		    state != NULL ? " SQLSTATE " : "",
		    state != NULL ? state : "");
}

static gboolean
nusec_cloud_db_pg_connect(NuSecCloudDbConn *conn, GError **error)
{
	PGresult *res;
	conn->pg = PQconnectdb(conn->db->target);
	if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
		nusec_cloud_db_pg_set_error(conn, error, NULL, "connect");
		return FALSE;
	}
	res = PQexec(conn->pg, "SET client_min_messages TO warning");
	PQclear(res);
	return TRUE;
}

static gboolean
nusec_cloud_db_pg_script(NuSecCloudDbConn *conn, const gchar *sql, GError **error)
{
	PGresult *res = PQexec(conn->pg, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		nusec_cloud_db_pg_set_error(conn, error, res, "script");
		PQclear(res);
		return FALSE;
	}
	PQclear(res);
	return TRUE;
}

static NuSecCloudDbResult *
nusec_cloud_db_pg_exec(NuSecCloudDbConn *conn,
		       const gchar *sql,
		       const NuSecCloudDbParam *params,
		       guint n_params,
		       GError **error)
{
	g_autofree const char **values = g_new0(const char *, n_params + 1);
	g_autofree int *lengths = g_new0(int, n_params + 1);
	g_autofree int *formats = g_new0(int, n_params + 1);
	g_autoptr(GPtrArray) ints = g_ptr_array_new_with_free_func(g_free);
	NuSecCloudDbResult *out;
	PGresult *res;
	ExecStatusType st;
	guint rows, cols;

	for (guint i = 0; i < n_params; i++) {
		const NuSecCloudDbParam *p = &params[i];
		switch (p->type) {
		case NUSEC_CLOUD_DB_INT: {
			gchar *text = g_strdup_printf("%" G_GINT64_FORMAT, p->i);
			g_ptr_array_add(ints, text);
			values[i] = text;
			break;
		}
		case NUSEC_CLOUD_DB_TEXT:
			values[i] = p->s;
			break;
		case NUSEC_CLOUD_DB_BLOB:
			if (p->b != NULL) {
				gsize len = 0;
				const guint8 *data = g_bytes_get_data(p->b, &len);
				values[i] = len > 0 ? (const char *)data : "";
				lengths[i] = (int)len;
				formats[i] = 1;
			}
			break;
		default:
			break;
		}
	}
	res = PQexecParams(conn->pg, sql, n_params, NULL, values, lengths, formats, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		nusec_cloud_db_pg_set_error(conn, error, res, "statement");
		PQclear(res);
		return NULL;
	}
	rows = PQntuples(res);
	cols = PQnfields(res);
	out = nusec_cloud_db_result_new(rows, cols);
	for (guint c = 0; c < cols; c++) {
		gboolean bytea = PQftype(res, c) == NUSEC_PG_BYTEAOID;
		for (guint r = 0; r < rows; r++) {
			const char *v;
			if (PQgetisnull(res, r, c))
				continue;
			v = PQgetvalue(res, r, c);
			if (bytea) {
				size_t len = 0;
				guchar *bin = PQunescapeBytea((const guchar *)v, &len);
				if (bin == NULL) {
					g_set_error_literal(
					    error,
					    NUSEC_CLOUD_DB_ERROR,
					    NUSEC_CLOUD_DB_ERROR_FAILED,
					    "PostgreSQL: cannot decode a bytea value");
					PQclear(res);
					nusec_cloud_db_result_free(out);
					return NULL;
				}
				nusec_cloud_db_cell_set(out, r, c, bin, len);
				PQfreemem(bin);
			} else {
				nusec_cloud_db_cell_set(out, r, c, v, PQgetlength(res, r, c));
			}
		}
	}
	PQclear(res);
	return out;
}

/* ---- connections and pool ---- */

static void
nusec_cloud_db_conn_close(NuSecCloudDbConn *conn)
{
	if (conn->sqlite != NULL)
		sqlite3_close_v2(conn->sqlite);
	if (conn->pg != NULL)
		PQfinish(conn->pg);
	g_free(conn);
}

static NuSecCloudDbConn *
nusec_cloud_db_conn_open(NuSecCloudDb *db, GError **error)
{
	NuSecCloudDbConn *conn = g_new0(NuSecCloudDbConn, 1);
	gboolean ok;
	conn->db = db;
	if (db->kind == NUSEC_CLOUD_DB_SQLITE)
		ok = nusec_cloud_db_sqlite_connect(conn, error);
	else
		ok = nusec_cloud_db_pg_connect(conn, error);
	if (!ok) {
		nusec_cloud_db_conn_close(conn);
		return NULL;
	}
	return conn;
}

NuSecCloudDbConn *
nusec_cloud_db_acquire(NuSecCloudDb *self, GError **error)
{
	NuSecCloudDbConn *conn = NULL;
	g_mutex_lock(&self->mutex);
	while (self->idle->len == 0 && self->n_conns >= self->max_conns)
		g_cond_wait(&self->cond, &self->mutex);
	if (self->idle->len > 0) {
		conn = g_ptr_array_steal_index(self->idle, self->idle->len - 1);
		g_mutex_unlock(&self->mutex);
		/* a PostgreSQL server restart breaks idle connections: reconnect once */
		if (conn->pg != NULL && PQstatus(conn->pg) != CONNECTION_OK) {
			PQreset(conn->pg);
			if (PQstatus(conn->pg) != CONNECTION_OK) {
				nusec_cloud_db_pg_set_error(conn, error, NULL, "reconnect");
				conn->broken = TRUE;
				nusec_cloud_db_release(conn);
				return NULL;
			}
		}
		return conn;
	}
	self->n_conns++;
	g_mutex_unlock(&self->mutex);
	conn = nusec_cloud_db_conn_open(self, error);
	if (conn == NULL) {
		g_mutex_lock(&self->mutex);
		self->n_conns--;
		g_cond_signal(&self->cond);
		g_mutex_unlock(&self->mutex);
	}
	return conn;
}

void
nusec_cloud_db_release(NuSecCloudDbConn *conn)
{
	NuSecCloudDb *self;
	if (conn == NULL)
		return;
	self = conn->db;
	if (conn->in_txn)
		nusec_cloud_db_rollback(conn);
	g_mutex_lock(&self->mutex);
	if (conn->broken) {
		self->n_conns--;
		nusec_cloud_db_conn_close(conn);
	} else {
		g_ptr_array_add(self->idle, conn);
	}
	g_cond_signal(&self->cond);
	g_mutex_unlock(&self->mutex);
}

void
nusec_cloud_db_conn_done(NuSecCloudDbConn *conn)
{
	nusec_cloud_db_release(conn);
}

/* ---- statements and transactions ---- */

static gboolean
nusec_cloud_db_script(NuSecCloudDbConn *conn, const gchar *sql, GError **error)
{
	if (conn->sqlite != NULL)
		return nusec_cloud_db_sqlite_script(conn, sql, error);
	return nusec_cloud_db_pg_script(conn, sql, error);
}

NuSecCloudDbResult *
nusec_cloud_db_exec(NuSecCloudDbConn *conn,
		    const gchar *sql,
		    const NuSecCloudDbParam *params,
		    guint n_params,
		    GError **error)
{
	if (conn->sqlite != NULL)
		return nusec_cloud_db_sqlite_exec(conn, sql, params, n_params, error);
	return nusec_cloud_db_pg_exec(conn, sql, params, n_params, error);
}

gboolean
nusec_cloud_db_begin_write(NuSecCloudDbConn *conn, GError **error)
{
	g_return_val_if_fail(!conn->in_txn, FALSE);
	if (!nusec_cloud_db_script(conn, conn->sqlite != NULL ? "BEGIN IMMEDIATE" : "BEGIN", error))
		return FALSE;
	conn->in_txn = TRUE;
	return TRUE;
}

gboolean
nusec_cloud_db_begin_read(NuSecCloudDbConn *conn, GError **error)
{
	g_return_val_if_fail(!conn->in_txn, FALSE);
	if (!nusec_cloud_db_script(conn,
				   conn->sqlite != NULL
				       ? "BEGIN DEFERRED"
				       : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
				   error))
		return FALSE;
	conn->in_txn = TRUE;
	return TRUE;
}

gboolean
nusec_cloud_db_commit(NuSecCloudDbConn *conn, GError **error)
{
	g_return_val_if_fail(conn->in_txn, FALSE);
	if (!nusec_cloud_db_script(conn, "COMMIT", error)) {
		/* the outcome of a failed COMMIT is unknown to us: never reuse the connection */
		nusec_cloud_db_rollback(conn);
		conn->broken = TRUE;
		return FALSE;
	}
	conn->in_txn = FALSE;
	return TRUE;
}

void
nusec_cloud_db_rollback(NuSecCloudDbConn *conn)
{
	g_autoptr(GError) error = NULL;
	if (!conn->in_txn)
		return;
	conn->in_txn = FALSE;
	if (conn->sqlite != NULL && sqlite3_get_autocommit(conn->sqlite))
		return; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
	if (!nusec_cloud_db_script(conn, "ROLLBACK", &error)) {
		g_debug("rollback failed, dropping the connection: %s", error->message);
		conn->broken = TRUE;
	}
}

gboolean
nusec_cloud_db_in_transaction(NuSecCloudDbConn *conn)
{
	return conn->in_txn;
}

/* ---- migrations ---- */

static gchar *
nusec_cloud_db_dialect(NuSecCloudDbKind kind, const gchar *sql)
{
	g_autoptr(GString) out = g_string_new(sql);
	gboolean lite = kind == NUSEC_CLOUD_DB_SQLITE;
	g_string_replace(out, "{blob}", lite ? "BLOB" : "BYTEA", 0);
	g_string_replace(out,
			 "{serial}",
			 lite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY",
			 0);
	g_string_replace(out,
			 "{zero32}",
			 lite ? "zeroblob(32)" : "decode(repeat('00', 32), 'hex')",
			 0);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
nusec_cloud_db_migrate(NuSecCloudDb *self, GError **error)
{
	g_autoptr(NuSecCloudDbConn) conn = nusec_cloud_db_acquire(self, error);
	g_autoptr(NuSecCloudDbResult) res = NULL;
	gint64 version;

	if (conn == NULL)
		return FALSE;
	if (!nusec_cloud_db_begin_write(conn, error))
		return FALSE;
	if (self->kind == NUSEC_CLOUD_DB_POSTGRESQL) {
		g_autofree gchar *lock =
		    g_strdup_printf("SELECT pg_advisory_xact_lock(%" G_GINT64_FORMAT ")",
				    (gint64)NUSEC_CLOUD_DB_PG_LOCK_ID);
		if (!nusec_cloud_db_script(conn, lock, error))
			return FALSE;
	}
	if (!nusec_cloud_db_script(conn,
				   "CREATE TABLE IF NOT EXISTS schema_migrations ("
				   " version BIGINT PRIMARY KEY, applied TEXT NOT NULL)",
				   error))
		return FALSE;
	res = nusec_cloud_db_exec(conn,
				  "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
				  NULL,
				  0,
				  error);
	if (res == NULL)
		return FALSE;
	version = nusec_cloud_db_result_int(res, 0, 0);
	if (version > nusec_cloud_db_schema_latest()) {
		g_set_error(error,
			    NUSEC_CLOUD_DB_ERROR,
			    NUSEC_CLOUD_DB_ERROR_SCHEMA,
			    "the database schema is at version %" G_GINT64_FORMAT
			    ", newer than this build (%" G_GINT64_FORMAT ")",
			    version,
			    nusec_cloud_db_schema_latest());
		return FALSE;
	}
	for (gint64 v = version + 1; v <= nusec_cloud_db_schema_latest(); v++) {
		g_autofree gchar *sql =
		    nusec_cloud_db_dialect(self->kind, nusec_cloud_db_migrations[v - 1]);
		g_autoptr(GDateTime) now = g_date_time_new_now_utc();
		g_autofree gchar *stamp = g_date_time_format_iso8601(now);
		NuSecCloudDbParam p[] = {NUSEC_DB_INT(v), NUSEC_DB_TEXT(stamp)};
		g_autoptr(NuSecCloudDbResult) ins = NULL;
		if (!nusec_cloud_db_script(conn, sql, error)) {
			g_prefix_error(error, "schema migration %" G_GINT64_FORMAT ": ", v);
			return FALSE;
		}
		ins = nusec_cloud_db_exec(conn,
					  "INSERT INTO schema_migrations (version, applied) "
					  "VALUES ($1, $2)",
					  p,
					  G_N_ELEMENTS(p),
					  error);
		if (ins == NULL)
			return FALSE;
	}
	if (!nusec_cloud_db_commit(conn, error))
		return FALSE;
	self->schema_version = nusec_cloud_db_schema_latest();
	return TRUE;
}

NuSecCloudDb *
nusec_cloud_db_open(const gchar *uri, guint max_conns, GError **error)
{
	g_autoptr(NuSecCloudDb) self = g_new0(NuSecCloudDb, 1);

	g_mutex_init(&self->mutex);
	g_cond_init(&self->cond);
	self->idle = g_ptr_array_new();
	self->max_conns = MAX(max_conns, 1);
	if (g_str_has_prefix(uri, "postgresql:")) {
		self->kind = NUSEC_CLOUD_DB_POSTGRESQL;
		self->target = g_strdup(uri + strlen("postgresql:"));
	} else if (g_str_has_prefix(uri, "sqlite:")) {
		self->kind = NUSEC_CLOUD_DB_SQLITE;
		self->target = g_strdup(uri + strlen("sqlite:"));
	} else {
		self->kind = NUSEC_CLOUD_DB_SQLITE;
		self->target = g_strdup(uri);
	}
	if (!nusec_cloud_db_migrate(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

void
nusec_cloud_db_free(NuSecCloudDb *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; i < self->idle->len; i++)
		nusec_cloud_db_conn_close(g_ptr_array_index(self->idle, i));
	g_ptr_array_unref(self->idle);
	g_mutex_clear(&self->mutex);
	g_cond_clear(&self->cond);
	g_free(self->target);
	g_free(self);
}
