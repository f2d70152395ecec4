/*
 * The cloud's storage layer on SQLite and on PostgreSQL: migrations, typed values, constraint
 * errors, the quota spent by 8 concurrent writers (exactly the limit, never more), and the
 * audit chain detecting an edited, removed or reordered entry.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "cloud-test-db.h"
#include "nusec-cloud-db.h"
#include "nusec-cloud-store.h"

static void
insert_order(NuSecCloudDbConn *conn, const gchar *order_id, gint64 limit)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) blob = g_bytes_new_static("\x00\x01\x02", 3);
	const gchar *now = "2026-11-25T00:00:00Z";
	g_autofree gchar *product = g_strdup_printf("p-%s", order_id);
	g_autofree gchar *firmware = g_strdup_printf("f-%s", order_id);
	struct {
		const gchar *sql;
		NuSecCloudDbParam p[6];
		guint n;
	} steps[] = {
	    {"INSERT INTO products (id, name, boot_key_label, boot_key_spki, key_hash, created)"
	     " VALUES ($1, $1, 'k', $2, $2, $3)",
	     {NUSEC_DB_TEXT(product), NUSEC_DB_BLOB(blob), NUSEC_DB_TEXT(now)},
	     3},
	    {"INSERT INTO firmware (id, product_id, version, security_counter, size, image_sha256,"
	     " image, created) VALUES ($1, $2, '1.0.0', 1, 3, $3, $3, $4)",
	     {NUSEC_DB_TEXT(firmware),
	      NUSEC_DB_TEXT(product),
	      NUSEC_DB_BLOB(blob),
	      NUSEC_DB_TEXT(now)},
	     4},
	    {"INSERT INTO orders (id, product_id, firmware_id, quota_limit, not_before, not_after,"
	     " profile, token, state, created) VALUES ($1, $2, $3, $4, 0, 1, '{}', $6, 'open', "
	     "$5)",
	     {NUSEC_DB_TEXT(order_id),
	      NUSEC_DB_TEXT(product),
	      NUSEC_DB_TEXT(firmware),
	      NUSEC_DB_INT(limit),
	      NUSEC_DB_TEXT(now),
	      NUSEC_DB_BLOB(blob)},
	     6},
	};
	g_assert_true(nusec_cloud_db_begin_write(conn, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		g_autoptr(NuSecCloudDbResult) res =
		    nusec_cloud_db_exec(conn, steps[i].sql, steps[i].p, steps[i].n, &error);
		g_assert_no_error(error);
		g_assert_nonnull(res);
	}
	g_assert_true(nusec_cloud_db_commit(conn, &error));
	g_assert_no_error(error);
}

static void
test_db_migrations(gconstpointer data)
{
	g_autoptr(CloudTestDb) tdb = cloud_test_db_new(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDb) db = NULL;
	g_autoptr(NuSecCloudDb) db2 = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(GBytes) blob = g_bytes_new_static("\x00\xff\x00zero", 7);
	g_autoptr(GBytes) back = NULL;

	if (tdb == NULL)
		return;
	db = nusec_cloud_db_open(tdb->uri, 4, &error);
	g_assert_no_error(error);
	g_assert_cmpint(nusec_cloud_db_get_schema_version(db), ==, nusec_cloud_db_schema_latest());
	/* a second open (another replica) finds the schema done and applies nothing twice */
	db2 = nusec_cloud_db_open(tdb->uri, 1, &error);
	g_assert_no_error(error);
	conn = nusec_cloud_db_acquire(db, &error);
	g_assert_no_error(error);
	res = nusec_cloud_db_exec(conn, "SELECT COUNT(*) FROM schema_migrations", NULL, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpint(nusec_cloud_db_result_int(res, 0, 0), ==, nusec_cloud_db_schema_latest());
	g_clear_pointer(&res, nusec_cloud_db_result_free);

	/* typed round trip: blob with NUL bytes, text, int, NULL */
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_TEXT("k1"), NUSEC_DB_TEXT("v'1")};
		g_assert_true(nusec_cloud_db_begin_write(conn, &error));
		res = nusec_cloud_db_exec(conn,
					  "INSERT INTO meta (key, value) VALUES ($1, $2) RETURNING "
					  "key",
					  p,
					  2,
					  &error);
		g_assert_no_error(error);
		g_assert_cmpstr(nusec_cloud_db_result_text(res, 0, 0), ==, "k1");
		g_clear_pointer(&res, nusec_cloud_db_result_free);
		/* duplicate primary key: a constraint error, and the transaction rolls back */
		res = nusec_cloud_db_exec(conn,
					  "INSERT INTO meta (key, value) VALUES ($1, $2)",
					  p,
					  2,
					  &error);
		g_assert_null(res);
		g_assert_error(error, NUSEC_CLOUD_DB_ERROR, NUSEC_CLOUD_DB_ERROR_CONSTRAINT);
		g_clear_error(&error);
		nusec_cloud_db_rollback(conn);
	}
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_INT(9), NUSEC_DB_BLOB(blob)};
		res = nusec_cloud_db_exec(
		    conn,
		    "INSERT INTO audit_checkpoints (seq, hash, signature, time) "
		    "VALUES ($1, $2, $2, 'x') RETURNING seq, hash",
		    p,
		    2,
		    &error);
		g_assert_no_error(error);
		g_assert_cmpint(nusec_cloud_db_result_int(res, 0, 0), ==, 9);
		back = nusec_cloud_db_result_bytes(res, 0, 1);
		g_assert_true(g_bytes_equal(back, blob));
		g_clear_pointer(&res, nusec_cloud_db_result_free);
		res = nusec_cloud_db_exec(conn,
					  "SELECT value FROM meta WHERE key = 'k1'",
					  NULL,
					  0,
					  &error);
		g_assert_no_error(error);
		g_assert_cmpuint(nusec_cloud_db_result_rows(res), ==, 0); /* rolled back */
	}
}

typedef struct {
	NuSecCloudDb *db;
	const gchar *order_id;
	gint spent;
	gint refused;
} QuotaWorker;

static gpointer
quota_worker(gpointer data)
{
	QuotaWorker *w = data;
	for (;;) {
		g_autoptr(GError) error = NULL;
		g_autoptr(NuSecCloudDbConn) conn = nusec_cloud_db_acquire(w->db, &error);
		gint64 used = 0;
		g_assert_no_error(error);
		g_assert_true(nusec_cloud_db_begin_write(conn, &error));
		g_assert_no_error(error);
		if (!nusec_cloud_store_order_spend(conn, w->order_id, 1, &used, &error)) {
			g_assert_error(error,
				       NUSEC_CLOUD_STORE_ERROR,
				       NUSEC_CLOUD_STORE_ERROR_QUOTA_EXHAUSTED);
			w->refused++;
			return NULL;
		}
		g_assert_cmpint(nusec_cloud_audit_append(conn,
							 "test",
							 "device.certificate",
							 w->order_id,
							 "{}",
							 &error),
				>,
				0);
		g_assert_no_error(error);
		g_assert_true(nusec_cloud_db_commit(conn, &error));
		g_assert_no_error(error);
		w->spent++;
	}
}

static void
test_db_quota(gconstpointer data)
{
	g_autoptr(CloudTestDb) tdb = cloud_test_db_new(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDb) db = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	QuotaWorker workers[8] = {0};
	GThread *threads[8];
	gint total = 0;
	gint64 entries = 0;

	if (tdb == NULL)
		return;
	db = nusec_cloud_db_open(tdb->uri, 8, &error);
	g_assert_no_error(error);
	conn = nusec_cloud_db_acquire(db, &error);
	g_assert_no_error(error);
	insert_order(conn, "o-quota", 300);
	nusec_cloud_db_release(g_steal_pointer(&conn));

	for (guint i = 0; i < G_N_ELEMENTS(workers); i++) {
		workers[i].db = db;
		workers[i].order_id = "o-quota";
		threads[i] = g_thread_new("quota", quota_worker, &workers[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(workers); i++) {
		g_thread_join(threads[i]);
		total += workers[i].spent;
		g_assert_cmpint(workers[i].refused, ==, 1);
	}
	g_assert_cmpint(total, ==, 300);

	conn = nusec_cloud_db_acquire(db, &error);
	g_assert_no_error(error);
	res = nusec_cloud_db_exec(conn,
				  "SELECT used, quota_limit FROM orders WHERE id = 'o-quota'",
				  NULL,
				  0,
				  &error);
	g_assert_no_error(error);
	g_assert_cmpint(nusec_cloud_db_result_int(res, 0, 0), ==, 300);
	g_assert_true(nusec_cloud_audit_verify(conn, &entries, &error));
	g_assert_no_error(error);
	g_assert_cmpint(entries, ==, 300);

	/* unknown order and cancelled order: specific errors */
	g_assert_true(nusec_cloud_db_begin_write(conn, &error));
	g_assert_false(nusec_cloud_store_order_spend(conn, "o-none", 1, NULL, &error));
	g_assert_error(error, NUSEC_CLOUD_STORE_ERROR, NUSEC_CLOUD_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	nusec_cloud_db_rollback(conn);
}

static void
audit_expect_broken(NuSecCloudDbConn *conn, const gchar *sql, const gchar *message_part)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	gint64 entries = 0;

	g_assert_true(nusec_cloud_db_begin_write(conn, &error));
	res = nusec_cloud_db_exec(conn, sql, NULL, 0, &error);
	g_assert_no_error(error);
	g_assert_false(nusec_cloud_audit_verify(conn, &entries, &error));
	g_assert_error(error, NUSEC_CLOUD_STORE_ERROR, NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN);
	g_assert_nonnull(strstr(error->message, message_part));
	nusec_cloud_db_rollback(conn);
	g_clear_error(&error);
	/* and after the rollback the log verifies again */
	g_assert_true(nusec_cloud_audit_verify(conn, &entries, &error));
	g_assert_no_error(error);
	g_assert_cmpint(entries, ==, 5);
}

static void
test_db_audit(gconstpointer data)
{
	g_autoptr(CloudTestDb) tdb = cloud_test_db_new(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDb) db = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	g_autoptr(NuSecCloudDbResult) res = NULL;
	gint64 entries = -1;
	guint8 prev[32] = {0};
	guint8 h1[32];
	g_autoptr(GBytes) stored = NULL;

	if (tdb == NULL)
		return;
	db = nusec_cloud_db_open(tdb->uri, 2, &error);
	g_assert_no_error(error);
	conn = nusec_cloud_db_acquire(db, &error);
	g_assert_no_error(error);
	g_assert_true(nusec_cloud_audit_verify(conn, &entries, &error));
	g_assert_cmpint(entries, ==, 0);
	g_assert_true(nusec_cloud_db_begin_write(conn, &error));
	for (guint i = 1; i <= 5; i++) {
		g_autofree gchar *obj = g_strdup_printf("obj-%u", i);
		g_assert_cmpint(
		    nusec_cloud_audit_append(conn, "op", "test.action", obj, "{\"i\":1}", &error),
		    ==,
		    i);
		g_assert_no_error(error);
	}
	g_assert_true(nusec_cloud_db_commit(conn, &error));

	/* entry 1's hash, recomputed independently of the append code path */
	res = nusec_cloud_db_exec(conn,
				  "SELECT time, hash FROM audit WHERE seq = 1",
				  NULL,
				  0,
				  &error);
	g_assert_no_error(error);
	nusec_cloud_audit_hash(prev,
			       1,
			       nusec_cloud_db_result_text(res, 0, 0),
			       "op",
			       "test.action",
			       "obj-1",
			       "{\"i\":1}",
			       h1);
	stored = nusec_cloud_db_result_bytes(res, 0, 1);
	g_assert_cmpmem(g_bytes_get_data(stored, NULL), g_bytes_get_size(stored), h1, 32);
	{
		/* and against a hand-built preimage with GChecksum */
		const gchar *t = nusec_cloud_db_result_text(res, 0, 0);
		g_autoptr(GByteArray) pre = g_byte_array_new();
		const gchar *fields[] = {t, "op", "test.action", "obj-1", "{\"i\":1}"};
		guint8 seq_be[8] = {0, 0, 0, 0, 0, 0, 0, 1};
		g_autofree gchar *hex = NULL;
		g_autofree gchar *hex_stored = NULL;
		g_byte_array_append(pre, prev, 32);
		g_byte_array_append(pre, seq_be, 8);
		for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
			guint32 len = strlen(fields[i]);
			guint8 be[4] = {len >> 24, len >> 16, len >> 8, len};
			g_byte_array_append(pre, be, 4);
			g_byte_array_append(pre, (const guint8 *)fields[i], len);
		}
		hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, pre->data, pre->len);
		hex_stored = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, stored);
		{
			GString *s = g_string_new(NULL);
			for (guint i = 0; i < 32; i++)
				g_string_append_printf(s, "%02x", h1[i]);
			g_assert_cmpstr(s->str, ==, hex);
			g_string_free(s, TRUE);
		}
	}

	audit_expect_broken(conn,
			    "UPDATE audit SET detail = '{\"i\":2}' WHERE seq = 3",
			    "modified");
	audit_expect_broken(conn, "DELETE FROM audit WHERE seq = 2", "missing");
	audit_expect_broken(conn,
			    "UPDATE audit SET seq = CASE seq WHEN 2 THEN 102 ELSE 103 END "
			    "WHERE seq IN (2, 3)",
			    "missing");
	audit_expect_broken(conn,
			    "UPDATE audit SET object = CASE object WHEN 'obj-2' THEN 'obj-3' "
			    "ELSE 'obj-2' END WHERE seq IN (2, 3)",
			    "modified");
	audit_expect_broken(conn, "DELETE FROM audit WHERE seq = 5", "head");
}

static void
test_db_unavailable(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudDb) db = NULL;

	/* a PostgreSQL server that does not listen: unavailable (HTTP 503), not a bug (500) */
	db = nusec_cloud_db_open("postgresql:host=127.0.0.1 port=1 connect_timeout=2 dbname=x",
				 1,
				 &error);
	g_assert_null(db);
	g_assert_error(error, NUSEC_CLOUD_DB_ERROR, NUSEC_CLOUD_DB_ERROR_UNAVAILABLE);
	g_clear_error(&error);
	db = nusec_cloud_db_open("sqlite:/nonexistent-dir/x/cloud.db", 1, &error);
	g_assert_null(db);
	g_assert_error(error, NUSEC_CLOUD_DB_ERROR, NUSEC_CLOUD_DB_ERROR_UNAVAILABLE);
}

int
main(int argc, char **argv)
{
	const gchar *kinds[] = {"sqlite", "postgresql"};
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree gchar *p1 = g_strdup_printf("/cloud/db/%s/migrations", kinds[i]);
		g_autofree gchar *p2 = g_strdup_printf("/cloud/db/%s/quota", kinds[i]);
		g_autofree gchar *p3 = g_strdup_printf("/cloud/db/%s/audit", kinds[i]);
		g_test_add_data_func(p1, kinds[i], test_db_migrations);
		g_test_add_data_func(p2, kinds[i], test_db_quota);
		g_test_add_data_func(p3, kinds[i], test_db_audit);
	}
	g_test_add_func("/cloud/db/unavailable", test_db_unavailable);
	return g_test_run();
}
