/*
 * The /v1 JSON API (docs/api.md): one request, already authenticated, in; one response out.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-cloud-context.h"

G_BEGIN_DECLS

typedef enum {
	NUSEC_CLOUD_REALM_NONE,
	NUSEC_CLOUD_REALM_OEM,	      /* client certificate issued by the operator CA */
	NUSEC_CLOUD_REALM_PROGRAMMER, /* client certificate issued by the programmer CA */
} NuSecCloudRealm;

/* the verified client of one TLS connection */
typedef struct {
	gboolean checked;
	NuSecCloudRealm realm;
	gchar *subject;	    /* CN */
	gchar *cert_serial; /* hex */
	gchar *failure;	    /* why it has no realm */
} NuSecCloudPeer;

typedef struct {
	NuSecCloud *cloud;
	const NuSecCloudPeer *peer;
	const gchar *method;
	gchar **parts; /* path segments after /v1 */
	guint n_parts;
	GBytes *body;
	/* query string lookup */
	const gchar *(*query)(gpointer ctx, const gchar *key);
	gpointer query_ctx;
	/* the response */
	guint status;
	gchar *content_type;
	GBytes *response;
	gchar *disposition; /* Content-Disposition filename, or NULL */
} NuSecCloudRequest;

/* fills req->status, content_type and response */
void
nusec_cloud_api_handle(NuSecCloudRequest *req);

/* an error response {"code": code, "message": message} */
void
nusec_cloud_api_error(NuSecCloudRequest *req,
		      guint status,
		      const gchar *code,
		      const gchar *message);

G_END_DECLS
