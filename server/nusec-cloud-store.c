/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-store.h"

#include <string.h>

G_DEFINE_QUARK(nusec - cloud - store - error - quark, nusec_cloud_store_error)

gchar *
nusec_cloud_store_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

gchar *
nusec_cloud_store_new_id(const gchar *prefix)
{
	GString *id = g_string_new(prefix);
	g_string_append_c(id, '-');
	for (guint i = 0; i < 4; i++)
		g_string_append_printf(id, "%08x", g_random_int());
	return g_string_free(id, FALSE);
}

gboolean
nusec_cloud_store_order_spend(NuSecCloudDbConn *conn,
			      const gchar *order_id,
			      gint64 units,
			      gint64 *used_out,
			      GError **error)
{
	NuSecCloudDbParam p[] = {NUSEC_DB_TEXT(order_id), NUSEC_DB_INT(units)};
	g_autoptr(NuSecCloudDbResult) res = NULL;
	g_autoptr(NuSecCloudDbResult) why = NULL;

	res = nusec_cloud_db_exec(
	    conn,
	    "UPDATE orders SET used = used + $2 WHERE id = $1 AND state = 'open'"
	    " AND used + $2 <= quota_limit RETURNING used",
	    p,
	    G_N_ELEMENTS(p),
	    error);
	if (res == NULL)
		return FALSE;
	if (nusec_cloud_db_result_rows(res) == 1) {
		if (used_out != NULL)
			*used_out = nusec_cloud_db_result_int(res, 0, 0);
		return TRUE;
	}
	/* only to pick the error: the decision above was the database's */
	why = nusec_cloud_db_exec(conn, "SELECT state FROM orders WHERE id = $1", p, 1, error);
	if (why == NULL)
		return FALSE;
	if (nusec_cloud_db_result_rows(why) == 0) {
		g_set_error(error,
			    NUSEC_CLOUD_STORE_ERROR,
			    NUSEC_CLOUD_STORE_ERROR_NOT_FOUND,
			    "no order %s",
			    order_id);
	} else if (g_strcmp0(nusec_cloud_db_result_text(why, 0, 0), "open") != 0) {
		g_set_error(error,
			    NUSEC_CLOUD_STORE_ERROR,
			    NUSEC_CLOUD_STORE_ERROR_ORDER_CLOSED,
			    "order %s is %s",
			    order_id,
			    nusec_cloud_db_result_text(why, 0, 0));
	} else {
		g_set_error(error,
			    NUSEC_CLOUD_STORE_ERROR,
			    NUSEC_CLOUD_STORE_ERROR_QUOTA_EXHAUSTED,
			    "order %s has no unit left",
			    order_id);
	}
	return FALSE;
}

static void
nusec_cloud_audit_hash_lp(GChecksum *sum, const gchar *text)
{
	gsize len = text != NULL ? strlen(text) : 0;
	guint8 be[4] = {len >> 24, len >> 16, len >> 8, len};
	g_checksum_update(sum, be, sizeof(be));
	if (len > 0)
		g_checksum_update(sum, (const guchar *)text, len);
}

void
nusec_cloud_audit_hash(const guint8 prev[NUSEC_CLOUD_AUDIT_HASH_LEN],
		       gint64 seq,
		       const gchar *time,
		       const gchar *actor,
		       const gchar *action,
		       const gchar *object,
		       const gchar *detail,
		       guint8 out[NUSEC_CLOUD_AUDIT_HASH_LEN])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 be[8];
	gsize len = NUSEC_CLOUD_AUDIT_HASH_LEN;

	for (guint i = 0; i < 8; i++)
		be[i] = (guint64)seq >> (56 - 8 * i);
	g_checksum_update(sum, prev, NUSEC_CLOUD_AUDIT_HASH_LEN);
	g_checksum_update(sum, be, sizeof(be));
	nusec_cloud_audit_hash_lp(sum, time);
	nusec_cloud_audit_hash_lp(sum, actor);
	nusec_cloud_audit_hash_lp(sum, action);
	nusec_cloud_audit_hash_lp(sum, object);
	nusec_cloud_audit_hash_lp(sum, detail);
	g_checksum_get_digest(sum, out, &len);
}

gint64
nusec_cloud_audit_append(NuSecCloudDbConn *conn,
			 const gchar *actor,
			 const gchar *action,
			 const gchar *object,
			 const gchar *detail,
			 GError **error)
{
	g_autoptr(NuSecCloudDbResult) head = NULL;
	g_autoptr(NuSecCloudDbResult) ins = NULL;
	g_autoptr(NuSecCloudDbResult) upd = NULL;
	g_autoptr(GBytes) prev = NULL;
	g_autoptr(GBytes) hash = NULL;
	g_autofree gchar *now = nusec_cloud_store_now();
	guint8 digest[NUSEC_CLOUD_AUDIT_HASH_LEN];
	gint64 seq;

	g_return_val_if_fail(nusec_cloud_db_in_transaction(conn), 0);
	if (detail == NULL)
		detail = "{}";
	/* the UPDATE takes the head row's lock (PostgreSQL) before reading it */
	head = nusec_cloud_db_exec(conn,
				   "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 "
				   "RETURNING seq, hash",
				   NULL,
				   0,
				   error);
	if (head == NULL)
		return 0;
	if (nusec_cloud_db_result_rows(head) != 1) {
		g_set_error_literal(error,
				    NUSEC_CLOUD_STORE_ERROR,
				    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
				    "audit log head row is missing");
		return 0;
	}
	seq = nusec_cloud_db_result_int(head, 0, 0);
	prev = nusec_cloud_db_result_bytes(head, 0, 1);
	if (prev == NULL || g_bytes_get_size(prev) != NUSEC_CLOUD_AUDIT_HASH_LEN) {
		g_set_error_literal(error,
				    NUSEC_CLOUD_STORE_ERROR,
				    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
				    "audit log head hash is malformed");
		return 0;
	}
	nusec_cloud_audit_hash(g_bytes_get_data(prev, NULL),
			       seq,
			       now,
			       actor,
			       action,
			       object,
			       detail,
			       digest);
	hash = g_bytes_new(digest, sizeof(digest));
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_INT(seq),
					 NUSEC_DB_TEXT(now),
					 NUSEC_DB_TEXT(actor),
					 NUSEC_DB_TEXT(action),
					 NUSEC_DB_TEXT(object),
					 NUSEC_DB_TEXT(detail),
					 NUSEC_DB_BLOB(prev),
					 NUSEC_DB_BLOB(hash)};
		ins = nusec_cloud_db_exec(
		    conn,
		    "INSERT INTO audit (seq, time, actor, action, object, detail,"
		    " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		    p,
		    G_N_ELEMENTS(p),
		    error);
		if (ins == NULL)
			return 0;
	}
	{
		NuSecCloudDbParam p[] = {NUSEC_DB_BLOB(hash)};
		upd = nusec_cloud_db_exec(conn,
					  "UPDATE audit_head SET hash = $1 WHERE id = 1",
					  p,
					  1,
					  error);
		if (upd == NULL)
			return 0;
	}
	return seq;
}

#define NUSEC_CLOUD_AUDIT_PAGE 1000

gboolean
nusec_cloud_audit_verify(NuSecCloudDbConn *conn, gint64 *entries_out, GError **error)
{
	guint8 prev[NUSEC_CLOUD_AUDIT_HASH_LEN] = {0};
	gint64 expected = 1;
	g_autoptr(NuSecCloudDbResult) head = NULL;
	g_autoptr(NuSecCloudDbResult) cps = NULL;
	g_autoptr(GHashTable) hashes = g_hash_table_new_full(g_int64_hash,
							     g_int64_equal,
							     g_free,
							     (GDestroyNotify)g_bytes_unref);

	for (;;) {
		NuSecCloudDbParam p[] = {NUSEC_DB_INT(expected - 1),
					 NUSEC_DB_INT(NUSEC_CLOUD_AUDIT_PAGE)};
		g_autoptr(NuSecCloudDbResult) res = NULL;
		guint rows;

		res = nusec_cloud_db_exec(
		    conn,
		    "SELECT seq, time, actor, action, object, detail, prev_hash,"
		    " hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
		    p,
		    G_N_ELEMENTS(p),
		    error);
		if (res == NULL)
			return FALSE;
		rows = nusec_cloud_db_result_rows(res);
		for (guint r = 0; r < rows; r++) {
			gint64 seq = nusec_cloud_db_result_int(res, r, 0);
			g_autoptr(GBytes) ph = nusec_cloud_db_result_bytes(res, r, 6);
			g_autoptr(GBytes) h = nusec_cloud_db_result_bytes(res, r, 7);
			guint8 digest[NUSEC_CLOUD_AUDIT_HASH_LEN];

			if (seq != expected) {
				g_set_error(error,
					    NUSEC_CLOUD_STORE_ERROR,
					    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
					    "audit entry %" G_GINT64_FORMAT
					    " is missing (next is %" G_GINT64_FORMAT ")",
					    expected,
					    seq);
				return FALSE;
			}
			if (ph == NULL || g_bytes_get_size(ph) != sizeof(prev) ||
			    memcmp(g_bytes_get_data(ph, NULL), prev, sizeof(prev)) != 0) {
				g_set_error(error,
					    NUSEC_CLOUD_STORE_ERROR,
					    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
					    "audit entry %" G_GINT64_FORMAT
					    " does not chain to entry %" G_GINT64_FORMAT,
					    seq,
					    seq - 1);
				return FALSE;
			}
			nusec_cloud_audit_hash(prev,
					       seq,
					       nusec_cloud_db_result_text(res, r, 1),
					       nusec_cloud_db_result_text(res, r, 2),
					       nusec_cloud_db_result_text(res, r, 3),
					       nusec_cloud_db_result_text(res, r, 4),
					       nusec_cloud_db_result_text(res, r, 5),
					       digest);
			if (h == NULL || g_bytes_get_size(h) != sizeof(digest) ||
			    memcmp(g_bytes_get_data(h, NULL), digest, sizeof(digest)) != 0) {
				g_set_error(error,
					    NUSEC_CLOUD_STORE_ERROR,
					    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
					    "audit entry %" G_GINT64_FORMAT
					    " was modified (hash mismatch)",
					    seq);
				return FALSE;
			}
			memcpy(prev, digest, sizeof(prev));
			g_hash_table_insert(hashes,
					    g_memdup2(&seq, sizeof(seq)),
					    g_bytes_new(digest, sizeof(digest)));
			expected++;
		}
		if (rows < NUSEC_CLOUD_AUDIT_PAGE)
			break;
	}
	head = nusec_cloud_db_exec(conn,
				   "SELECT seq, hash FROM audit_head WHERE id = 1",
				   NULL,
				   0,
				   error);
	if (head == NULL)
		return FALSE;
	if (nusec_cloud_db_result_rows(head) != 1 ||
	    nusec_cloud_db_result_int(head, 0, 0) != expected - 1) {
		g_set_error(error,
			    NUSEC_CLOUD_STORE_ERROR,
			    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
			    "audit log ends at entry %" G_GINT64_FORMAT
			    " but its head says %" G_GINT64_FORMAT " (entries removed at the end)",
			    expected - 1,
			    nusec_cloud_db_result_rows(head) == 1
				? nusec_cloud_db_result_int(head, 0, 0)
				: -1);
		return FALSE;
	}
	{
		g_autoptr(GBytes) hh = nusec_cloud_db_result_bytes(head, 0, 1);
		if (hh == NULL || g_bytes_get_size(hh) != sizeof(prev) ||
		    memcmp(g_bytes_get_data(hh, NULL), prev, sizeof(prev)) != 0) {
			g_set_error_literal(error,
					    NUSEC_CLOUD_STORE_ERROR,
					    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
					    "audit log head hash differs from the last entry");
			return FALSE;
		}
	}
	cps = nusec_cloud_db_exec(conn, "SELECT seq, hash FROM audit_checkpoints", NULL, 0, error);
	if (cps == NULL)
		return FALSE;
	for (guint r = 0; r < nusec_cloud_db_result_rows(cps); r++) {
		gint64 seq = nusec_cloud_db_result_int(cps, r, 0);
		g_autoptr(GBytes) h = nusec_cloud_db_result_bytes(cps, r, 1);
		GBytes *entry = g_hash_table_lookup(hashes, &seq);
		if (entry == NULL || h == NULL || !g_bytes_equal(entry, h)) {
			g_set_error(error,
				    NUSEC_CLOUD_STORE_ERROR,
				    NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,
				    "audit checkpoint at entry %" G_GINT64_FORMAT
				    " does not match the log",
				    seq);
			return FALSE;
		}
	}
	if (entries_out != NULL)
		*entries_out = expected - 1;
	return TRUE;
}
