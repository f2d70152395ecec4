/*
 * NuSecCloudDb: the cloud's storage, SQLite (default) or PostgreSQL (libpq), behind one small
 * interface: a pool of connections (one per concurrent request), write transactions (SQLite:
 * BEGIN IMMEDIATE, WAL, busy timeout; PostgreSQL: READ COMMITTED), statements with $1..$N
 * parameters, and ONE set of schema migrations for both (dialect words in braces:
 * {blob}, {serial}).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NUSEC_CLOUD_DB_ERROR nusec_cloud_db_error_quark()

/**
 * NuSecCloudDbError:
 * @NUSEC_CLOUD_DB_ERROR_UNAVAILABLE: cannot connect, or the connection broke (HTTP 503)
 * @NUSEC_CLOUD_DB_ERROR_CONSTRAINT: a UNIQUE or foreign key constraint refused the write
 * @NUSEC_CLOUD_DB_ERROR_FAILED: any other statement failure (a bug: HTTP 500)
 * @NUSEC_CLOUD_DB_ERROR_SCHEMA: the database schema is newer than this build knows
 */
typedef enum {
	NUSEC_CLOUD_DB_ERROR_UNAVAILABLE,
	NUSEC_CLOUD_DB_ERROR_CONSTRAINT,
	NUSEC_CLOUD_DB_ERROR_FAILED,
	NUSEC_CLOUD_DB_ERROR_SCHEMA,
} NuSecCloudDbError;

GQuark
nusec_cloud_db_error_quark(void);

typedef enum {
	NUSEC_CLOUD_DB_SQLITE,
	NUSEC_CLOUD_DB_POSTGRESQL,
} NuSecCloudDbKind;

typedef struct _NuSecCloudDb NuSecCloudDb;
typedef struct _NuSecCloudDbConn NuSecCloudDbConn;
typedef struct _NuSecCloudDbResult NuSecCloudDbResult;

/* a statement parameter */
typedef enum {
	NUSEC_CLOUD_DB_NULL,
	NUSEC_CLOUD_DB_INT,
	NUSEC_CLOUD_DB_TEXT,
	NUSEC_CLOUD_DB_BLOB,
} NuSecCloudDbType;

typedef struct {
	NuSecCloudDbType type;
	gint64 i;
	const gchar *s;
	GBytes *b;
} NuSecCloudDbParam;

#define NUSEC_DB_INT(v)	 ((NuSecCloudDbParam){.type = NUSEC_CLOUD_DB_INT, .i = (v)})
#define NUSEC_DB_TEXT(v) ((NuSecCloudDbParam){.type = NUSEC_CLOUD_DB_TEXT, .s = (v)})
#define NUSEC_DB_BLOB(v) ((NuSecCloudDbParam){.type = NUSEC_CLOUD_DB_BLOB, .b = (v)})
#define NUSEC_DB_NULL	 ((NuSecCloudDbParam){.type = NUSEC_CLOUD_DB_NULL})

/*
 * @uri: "sqlite:PATH" (or a plain path) or "postgresql:CONNINFO" (a libpq connection string,
 * e.g. "postgresql:host=127.0.0.1 port=5432 dbname=nusec"). @max_conns bounds the pool.
 * Opens one connection and applies the schema migrations (serialised between processes).
 */
NuSecCloudDb *
nusec_cloud_db_open(const gchar *uri, guint max_conns, GError **error);
void
nusec_cloud_db_free(NuSecCloudDb *self);
NuSecCloudDbKind
nusec_cloud_db_get_kind(NuSecCloudDb *self);
/* the schema version the database is at after the migrations */
gint64
nusec_cloud_db_get_schema_version(NuSecCloudDb *self);
/* the latest schema version this build knows */
gint64
nusec_cloud_db_schema_latest(void);

/* a connection from the pool (blocks while all are in use); give it back with _release */
NuSecCloudDbConn *
nusec_cloud_db_acquire(NuSecCloudDb *self, GError **error);
void
nusec_cloud_db_release(NuSecCloudDbConn *conn);

/* SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN */
gboolean
nusec_cloud_db_begin_write(NuSecCloudDbConn *conn, GError **error);
/* a read-only snapshot (SQLite BEGIN DEFERRED; PostgreSQL REPEATABLE READ READ ONLY) */
gboolean
nusec_cloud_db_begin_read(NuSecCloudDbConn *conn, GError **error);
gboolean
nusec_cloud_db_commit(NuSecCloudDbConn *conn, GError **error);
/* never fails the caller: a broken connection is dropped from the pool */
void
nusec_cloud_db_rollback(NuSecCloudDbConn *conn);
gboolean
nusec_cloud_db_in_transaction(NuSecCloudDbConn *conn);

/* runs one statement with $1..$N parameters; returns its rows (possibly none) */
NuSecCloudDbResult *
nusec_cloud_db_exec(NuSecCloudDbConn *conn,
		    const gchar *sql,
		    const NuSecCloudDbParam *params,
		    guint n_params,
		    GError **error);

guint
nusec_cloud_db_result_rows(NuSecCloudDbResult *res);
guint
nusec_cloud_db_result_cols(NuSecCloudDbResult *res);
gboolean
nusec_cloud_db_result_is_null(NuSecCloudDbResult *res, guint row, guint col);
/* the value as text (NULL for SQL NULL); owned by @res */
const gchar *
nusec_cloud_db_result_text(NuSecCloudDbResult *res, guint row, guint col);
gint64
nusec_cloud_db_result_int(NuSecCloudDbResult *res, guint row, guint col);
/* the value as bytes (bytea / BLOB decoded); NULL for SQL NULL */
GBytes *
nusec_cloud_db_result_bytes(NuSecCloudDbResult *res, guint row, guint col);
void
nusec_cloud_db_result_free(NuSecCloudDbResult *res);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudDbResult, nusec_cloud_db_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudDb, nusec_cloud_db_free)

/* releases the connection, rolling back any transaction left open (error paths) */
void
nusec_cloud_db_conn_done(NuSecCloudDbConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecCloudDbConn, nusec_cloud_db_conn_done)

G_END_DECLS
