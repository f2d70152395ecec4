/*
 * The cloud's state changes that need the database's guarantees: the order quota (spent by one
 * conditional UPDATE, never read-then-write) and the hash-chained audit log. Every function
 * here runs inside the caller's write transaction.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-cloud-db.h"

G_BEGIN_DECLS

#define NUSEC_CLOUD_STORE_ERROR nusec_cloud_store_error_quark()

typedef enum {
	NUSEC_CLOUD_STORE_ERROR_QUOTA_EXHAUSTED, /* the order has no unit left */
	NUSEC_CLOUD_STORE_ERROR_NOT_FOUND,	 /* no such order */
	NUSEC_CLOUD_STORE_ERROR_ORDER_CLOSED,	 /* the order is cancelled */
	NUSEC_CLOUD_STORE_ERROR_AUDIT_BROKEN,	 /* the audit chain does not verify */
} NuSecCloudStoreError;

GQuark
nusec_cloud_store_error_quark(void);

#define NUSEC_CLOUD_AUDIT_HASH_LEN 32

/* the current time as the database stores it: "2026-11-25T09:05:00.123456Z" */
gchar *
nusec_cloud_store_now(void);

/* a fresh random identifier: PREFIX-<32 hex digits> */
gchar *
nusec_cloud_store_new_id(const gchar *prefix);

/*
 * Spends @units of order @order_id: UPDATE orders SET used = used + units WHERE id = $1 AND
 * state = 'open' AND used + units <= quota_limit RETURNING used. *@used_out gets the new count.
 */
gboolean
nusec_cloud_store_order_spend(NuSecCloudDbConn *conn,
			      const gchar *order_id,
			      gint64 units,
			      gint64 *used_out,
			      GError **error);

/*
 * Appends one entry to the audit log, chained to the previous one:
 * hash = SHA-256(prev_hash || be64(seq) || lp(time) || lp(actor) || lp(action) || lp(object)
 * || lp(detail)), lp(x) = be32(len(x)) || x. The chain head row serialises appends. Returns
 * the entry's sequence number, or 0 on error.
 */
gint64
nusec_cloud_audit_append(NuSecCloudDbConn *conn,
			 const gchar *actor,
			 const gchar *action,
			 const gchar *object,
			 const gchar *detail,
			 GError **error);

/* the entry hash (exposed for the tests and docs/api.md's description) */
void
nusec_cloud_audit_hash(const guint8 prev[NUSEC_CLOUD_AUDIT_HASH_LEN],
		       gint64 seq,
		       const gchar *time,
		       const gchar *actor,
		       const gchar *action,
		       const gchar *object,
		       const gchar *detail,
		       guint8 out[NUSEC_CLOUD_AUDIT_HASH_LEN]);

/*
 * Walks the whole log in order: sequence numbers 1..N without a gap, each prev_hash equal to
 * the previous entry's hash, each hash recomputed, the head row equal to the last entry, and
 * each checkpoint's hash equal to the entry's hash at its seq. Checkpoint signatures are
 * checked by the caller (it knows the key). *@entries_out gets N.
 */
gboolean
nusec_cloud_audit_verify(NuSecCloudDbConn *conn, gint64 *entries_out, GError **error);

G_END_DECLS
