/*
 * Test databases for the cloud tests: a fresh SQLite file in a temporary folder, or a fresh
 * schema in the PostgreSQL server $NUSEC_TEST_PG names (dropped afterwards).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

typedef struct {
	gchar *uri;    /* for nusec_cloud_db_open / the cloud's --database */
	gchar *dir;    /* SQLite: the temporary folder */
	gchar *schema; /* PostgreSQL: the schema to drop */
} CloudTestDb;

static gboolean
cloud_test_pg_exec(const gchar *sql)
{
	PGconn *pg = PQconnectdb(g_getenv("NUSEC_TEST_PG"));
	PGresult *res;
	gboolean ok;
	if (PQstatus(pg) != CONNECTION_OK) {
		g_printerr("cannot connect to NUSEC_TEST_PG: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return FALSE;
	}
	res = PQexec(pg, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		g_printerr("%s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return ok;
}

/* NULL (and g_test_skip called) when @kind is "postgresql" and NUSEC_TEST_PG is unset */
static CloudTestDb *
cloud_test_db_new(const gchar *kind)
{
	CloudTestDb *self = g_new0(CloudTestDb, 1);
	if (g_strcmp0(kind, "postgresql") == 0) {
		g_autofree gchar *sql = NULL;
		if (g_getenv("NUSEC_TEST_PG") == NULL || g_getenv("NUSEC_TEST_PG")[0] == '\0') {
			g_test_skip("NUSEC_TEST_PG is unset: no PostgreSQL server to test against "
				    "(scripts/test.sh starts one)");
			g_free(self);
			return NULL;
		}
		self->schema = g_strdup_printf("t_%08x%08x", g_random_int(), g_random_int());
		sql = g_strdup_printf("CREATE SCHEMA %s", self->schema);
		g_assert_true(cloud_test_pg_exec(sql));
		self->uri = g_strdup_printf("postgresql:%s options='-c search_path=%s'"
					    " application_name=%s",
					    g_getenv("NUSEC_TEST_PG"),
					    self->schema,
					    self->schema);
	} else {
		g_autoptr(GError) error = NULL;
		self->dir = g_dir_make_tmp("nusec-cloud-db-XXXXXX", &error);
		g_assert_no_error(error);
		self->uri = g_strdup_printf("sqlite:%s/cloud.db", self->dir);
	}
	return self;
}

static void
cloud_test_rm_rf(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			cloud_test_rm_rf(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

static void
cloud_test_db_free(CloudTestDb *self)
{
	if (self == NULL)
		return;
	if (self->schema != NULL) {
		g_autofree gchar *sql =
		    g_strdup_printf("SET client_min_messages TO warning; DROP SCHEMA %s CASCADE",
				    self->schema);
		cloud_test_pg_exec(sql);
	}
	if (self->dir != NULL)
		cloud_test_rm_rf(self->dir);
	g_free(self->uri);
	g_free(self->dir);
	g_free(self->schema);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CloudTestDb, cloud_test_db_free)
