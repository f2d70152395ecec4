/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cloud-server.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <string.h>

#include "nusec-cloud-api.h"
#include "nusec-cloud-x509.h"
#include "nusec-error.h"
#include "nusec-openssl.h"

struct _NuSecCloudServer {
	NuSecCloud *cloud;
	struct MHD_Daemon *daemon;
	gchar *key_pem;
	gchar *cert_pem;
	gchar *trust_pem;
	guint16 port;
};

typedef struct {
	GByteArray *body;
	gboolean too_large;
} NuSecCloudUpload;

static void
nusec_cloud_peer_free(NuSecCloudPeer *peer)
{
	if (peer == NULL)
		return;
	g_free(peer->subject);
	g_free(peer->cert_serial);
	g_free(peer->failure);
	g_free(peer);
}

static void
nusec_cloud_server_notify_connection(void *cls,
				     struct MHD_Connection *connection,
				     void **socket_context,
				     enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = g_new0(NuSecCloudPeer, 1);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		g_clear_pointer((NuSecCloudPeer **)socket_context, nusec_cloud_peer_free);
}

/* once per connection: GnuTLS chain verification, then the realm by the issuing CA */
static void
nusec_cloud_server_check_peer(NuSecCloudServer *self,
			      struct MHD_Connection *connection,
			      NuSecCloudPeer *peer)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	const gnutls_datum_t *certs;
	unsigned int n_certs = 0;
	unsigned int status = 0;
	const guint8 *p;
	g_autoptr(X509) leaf = NULL;
	g_autoptr(EVP_PKEY) oper = NULL;
	g_autoptr(EVP_PKEY) prog = NULL;

	peer->checked = TRUE;
	if (info == NULL || info->tls_session == NULL) {
		peer->failure = g_strdup("no TLS session");
		return;
	}
	session = info->tls_session;
	certs = gnutls_certificate_get_peers(session, &n_certs);
	if (certs == NULL || n_certs == 0) {
		peer->failure = g_strdup("no client certificate");
		return;
	}
	if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0) {
		gnutls_datum_t out = {0};
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
		peer->failure = g_strdup_printf("client certificate rejected: %s",
						out.data != NULL ? (const gchar *)out.data : "");
		gnutls_free(out.data);
		return;
	}
	p = certs[0].data;
	leaf = d2i_X509(NULL, &p, certs[0].size);
	if (leaf == NULL) {
		ERR_clear_error();
		peer->failure = g_strdup("client certificate does not parse");
		return;
	}
	oper = X509_get_pubkey(self->cloud->operator_ca_cert);
	prog = X509_get_pubkey(self->cloud->programmer_ca_cert);
	if (X509_NAME_cmp(X509_get_issuer_name(leaf),
			  X509_get_subject_name(self->cloud->operator_ca_cert)) == 0 &&
	    X509_verify(leaf, oper) == 1) {
		peer->realm = NUSEC_CLOUD_REALM_OEM;
	} else if (X509_NAME_cmp(X509_get_issuer_name(leaf),
				 X509_get_subject_name(self->cloud->programmer_ca_cert)) == 0 &&
		   X509_verify(leaf, prog) == 1) {
		peer->realm = NUSEC_CLOUD_REALM_PROGRAMMER;
	} else {
		ERR_clear_error();
		peer->failure = g_strdup("client certificate is not from an issuing CA of a realm");
		return;
	}
	peer->subject = nusec_cloud_x509_get_cn(X509_get_subject_name(leaf));
	peer->cert_serial = nusec_cloud_x509_serial_hex(leaf);
}

static enum MHD_Result
nusec_cloud_server_reply(struct MHD_Connection *connection,
			 guint status,
			 const gchar *content_type,
			 GBytes *body,
			 const gchar *disposition)
{
	gsize len = 0;
	const guint8 *data = body != NULL ? g_bytes_get_data(body, &len) : NULL;
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (response == NULL)
		return MHD_NO;
	MHD_add_response_header(response,
				MHD_HTTP_HEADER_CONTENT_TYPE,
				content_type != NULL ? content_type : "application/json");
	MHD_add_response_header(response, "Cache-Control", "no-store");
	if (disposition != NULL) {
		g_autofree gchar *value =
		    g_strdup_printf("attachment; filename=\"%s\"", disposition);
		MHD_add_response_header(response, "Content-Disposition", value);
	}
	rc = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return rc;
}

static enum MHD_Result
nusec_cloud_server_reply_error(struct MHD_Connection *connection,
			       guint status,
			       const gchar *code,
			       const gchar *message)
{
	NuSecCloudRequest req = {0};
	enum MHD_Result rc;
	nusec_cloud_api_error(&req, status, code, message);
	rc = nusec_cloud_server_reply(connection, req.status, req.content_type, req.response, NULL);
	g_free(req.content_type);
	g_bytes_unref(req.response);
	return rc;
}

static const gchar *
nusec_cloud_server_query(gpointer ctx, const gchar *key)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result
nusec_cloud_server_handler(void *cls,
			   struct MHD_Connection *connection,
			   const char *url,
			   const char *method,
			   const char *version,
			   const char *upload_data,
			   size_t *upload_data_size,
			   void **con_cls)
{
	NuSecCloudServer *self = cls;
	NuSecCloudUpload *upload = *con_cls;
	const union MHD_ConnectionInfo *info;
	NuSecCloudPeer *peer;
	NuSecCloudRequest req = {0};
	g_auto(GStrv) parts = NULL;
	g_autoptr(GBytes) body = NULL;
	enum MHD_Result rc;
	guint64 max = self->cloud->config->max_body;

	if (upload == NULL) {
		const gchar *length = MHD_lookup_connection_value(connection,
								  MHD_HEADER_KIND,
								  MHD_HTTP_HEADER_CONTENT_LENGTH);
		guint64 declared = 0;
		upload = g_new0(NuSecCloudUpload, 1);
		upload->body = g_byte_array_new();
		*con_cls = upload;
		if (length != NULL &&
		    g_ascii_string_to_unsigned(length, 10, 0, G_MAXUINT64, &declared, NULL) &&
		    declared > max) {
			/* answer now: MHD then closes the connection, unread body and all */
			return nusec_cloud_server_reply_error(
			    connection,
			    MHD_HTTP_CONTENT_TOO_LARGE,
			    "body_too_large",
			    "request body exceeds the size limit");
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!upload->too_large && upload->body->len + *upload_data_size <= max)
			g_byte_array_append(upload->body,
					    (const guint8 *)upload_data,
					    *upload_data_size);
		else
			upload->too_large = TRUE;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (upload->too_large) {
		return nusec_cloud_server_reply_error(connection,
						      MHD_HTTP_CONTENT_TOO_LARGE,
						      "body_too_large",
						      "request body exceeds the size limit");
	}

	info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	peer = info != NULL ? info->socket_context : NULL;
	if (peer == NULL)
		return MHD_NO;
	if (!peer->checked)
		nusec_cloud_server_check_peer(self, connection, peer);
	if (peer->realm == NUSEC_CLOUD_REALM_NONE) {
		return nusec_cloud_server_reply_error(connection,
						      MHD_HTTP_FORBIDDEN,
						      "client_certificate",
						      peer->failure != NULL ? peer->failure
									    : "not allowed");
	}

	if (!g_str_has_prefix(url, "/v1/") && g_strcmp0(url, "/v1") != 0) {
		return nusec_cloud_server_reply_error(connection,
						      MHD_HTTP_NOT_FOUND,
						      "not_found",
						      "no such API version or path");
	}
	parts = g_strsplit(url + strlen("/v1"), "/", -1);
	/* drop empty segments ("/v1/orders/" and "//") */
	{
		guint j = 0;
		for (guint i = 0; parts[i] != NULL; i++) {
			if (parts[i][0] == '\0')
				g_free(parts[i]);
			else
				parts[j++] = parts[i];
		}
		parts[j] = NULL;
	}
	body = g_byte_array_free_to_bytes(g_steal_pointer(&upload->body));
	upload->body = g_byte_array_new();

	req.cloud = self->cloud;
	req.peer = peer;
	req.method = method;
	req.parts = parts;
	req.n_parts = g_strv_length(parts);
	req.body = body;
	req.query = nusec_cloud_server_query;
	req.query_ctx = connection;
	nusec_cloud_api_handle(&req);
	rc = nusec_cloud_server_reply(connection,
				      req.status,
				      req.content_type,
				      req.response,
				      req.disposition);
	g_free(req.content_type);
	g_free(req.disposition);
	g_clear_pointer(&req.response, g_bytes_unref);
	return rc;
}

static void
nusec_cloud_server_completed(void *cls,
			     struct MHD_Connection *connection,
			     void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	NuSecCloudUpload *upload = *con_cls;
	if (upload == NULL)
		return;
	if (upload->body != NULL)
		g_byte_array_unref(upload->body);
	g_free(upload);
	*con_cls = NULL;
}

static void
nusec_cloud_server_log(void *cls, const char *fmt, va_list ap)
{
	g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
	g_strchomp(msg);
	g_debug("microhttpd: %s", msg);
}

NuSecCloudServer *
nusec_cloud_server_start(NuSecCloud *cloud, GError **error)
{
	NuSecCloudServer *self = g_new0(NuSecCloudServer, 1);
	NuSecCloudConfig *config = cloud->config;
	g_autofree gchar *key_path = g_build_filename(config->state_dir, "tls-key.pem", NULL);
	g_autofree gchar *cert_path = g_build_filename(config->state_dir, "tls-cert.pem", NULL);
	g_autofree gchar *oper = nusec_cloud_x509_to_pem(cloud->operator_ca_cert);
	g_autofree gchar *prog = nusec_cloud_x509_to_pem(cloud->programmer_ca_cert);
	struct sockaddr_in addr = {0};
	const union MHD_DaemonInfo *dinfo;

	self->cloud = cloud;
	if (!g_file_get_contents(key_path, &self->key_pem, NULL, error) ||
	    !g_file_get_contents(cert_path, &self->cert_pem, NULL, error)) {
		nusec_cloud_server_stop(self);
		return NULL;
	}
	/* only the two client-issuing CAs are trust anchors: no other certificate chaining to
	 * the root (the TLS server's, a device's) can authenticate a client */
	self->trust_pem = g_strconcat(oper, prog, NULL);
	addr.sin_family = AF_INET;
	addr.sin_port = htons(config->port);
	if (inet_pton(AF_INET, config->listen, &addr.sin_addr) != 1) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "listen address '%s' is not an IPv4 address",
			    config->listen);
		nusec_cloud_server_stop(self);
		return NULL;
	}
	self->daemon =
	    MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				 MHD_USE_TLS | MHD_USE_ERROR_LOG,
			     0,
			     NULL,
			     NULL,
			     nusec_cloud_server_handler,
			     self,
			     MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&addr,
			     MHD_OPTION_HTTPS_MEM_KEY,
			     self->key_pem,
			     MHD_OPTION_HTTPS_MEM_CERT,
			     self->cert_pem,
			     MHD_OPTION_HTTPS_MEM_TRUST,
			     self->trust_pem,
			     MHD_OPTION_HTTPS_PRIORITIES,
			     "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1",
			     MHD_OPTION_NOTIFY_CONNECTION,
			     nusec_cloud_server_notify_connection,
			     self,
			     MHD_OPTION_NOTIFY_COMPLETED,
			     nusec_cloud_server_completed,
			     self,
			     MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned int)config->threads * 4,
			     MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned int)120,
			     MHD_OPTION_EXTERNAL_LOGGER,
			     nusec_cloud_server_log,
			     self,
			     MHD_OPTION_END);
	if (self->daemon == NULL) {
		g_set_error(
		    error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_INTERNAL,
		    "cannot start the HTTPS server on %s:%u (address in use, or bad TLS key)",
		    config->listen,
		    config->port);
		nusec_cloud_server_stop(self);
		return NULL;
	}
	dinfo = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
	self->port = dinfo != NULL ? dinfo->port : config->port;
	return self;
}

guint16
nusec_cloud_server_get_port(NuSecCloudServer *self)
{
	return self->port;
}

void
nusec_cloud_server_stop(NuSecCloudServer *self)
{
	if (self == NULL)
		return;
	if (self->daemon != NULL)
		MHD_stop_daemon(self->daemon);
	if (self->key_pem != NULL)
		OPENSSL_cleanse(self->key_pem, strlen(self->key_pem));
	g_free(self->key_pem);
	g_free(self->cert_pem);
	g_free(self->trust_pem);
	g_free(self);
}
