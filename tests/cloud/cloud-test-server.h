/*
 * A nusec-cloud for one test: `init` in a temporary state folder against a test database,
 * `serve` on 127.0.0.1 with a free port (killed by pid at the end), and libcurl clients with
 * client certificates.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cloud-test-db.h"

static const gchar *cloud_binary = NULL;

typedef struct {
	CloudTestDb *db;
	gchar *state;
	gchar *root_ca;
	GPid pid;
	guint16 port;
} CloudTestServer;

static gboolean
cloud_test_run(const gchar *const *argv, gchar **out, gchar **err, gint *status)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = g_spawn_sync(NULL,
				   (gchar **)argv,
				   NULL,
				   G_SPAWN_DEFAULT,
				   NULL,
				   NULL,
				   out,
				   err,
				   status,
				   &error);
	g_assert_no_error(error);
	return ok;
}

/* the test's own config: a small body limit for the 413 check and frequent checkpoints */
static void
cloud_test_write_config(CloudTestServer *self)
{
	g_autofree gchar *path = g_build_filename(self->state, "cloud.conf", NULL);
	g_autofree gchar *pin = g_build_filename(self->state, "hsm-pin", NULL);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_key_file_set_string(kf, "cloud", "listen", "127.0.0.1");
	g_key_file_set_integer(kf, "cloud", "port", 0);
	g_key_file_set_string(kf, "cloud", "database", self->db->uri);
	g_key_file_set_integer(kf, "cloud", "threads", 24);
	g_key_file_set_integer(kf, "cloud", "max-body", 1024 * 1024);
	g_key_file_set_integer(kf, "cloud", "audit-checkpoint-every", 10);
	g_key_file_set_string(kf, "hsm", "softhsm", "true");
	g_key_file_set_string(kf, "hsm", "token", "nusec-cloud");
	g_key_file_set_string(kf, "hsm", "pin-file", pin);
	g_assert_true(g_key_file_save_to_file(kf, path, &error));
	g_assert_no_error(error);
}

/* the server dies with the test, even when an assertion aborts it */
static void
cloud_test_child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void
cloud_test_server_start(CloudTestServer *self)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *port_file = g_build_filename(self->state, "port", NULL);
	const gchar *argv[] =
	    {cloud_binary, "serve", "--state", self->state, "--port-file", port_file, NULL};
	g_unlink(port_file);
	g_assert_true(g_spawn_async(NULL,
				    (gchar **)argv,
				    NULL,
				    G_SPAWN_DO_NOT_REAP_CHILD,
				    cloud_test_child_setup,
				    NULL,
				    &self->pid,
				    &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 300; i++) {
		g_autofree gchar *text = NULL;
		if (g_file_get_contents(port_file, &text, NULL, NULL)) {
			self->port = (guint16)g_ascii_strtoull(text, NULL, 10);
			return;
		}
		if (waitpid(self->pid, NULL, WNOHANG) == self->pid)
			g_error("nusec-cloud serve exited early");
		g_usleep(20000);
	}
	g_error("nusec-cloud serve did not start");
}

/* kill -9 (@hard) or SIGTERM, by pid */
static void
cloud_test_server_stop(CloudTestServer *self, gboolean hard)
{
	int status = 0;
	if (self->pid == 0)
		return;
	kill(self->pid, hard ? SIGKILL : SIGTERM);
	waitpid(self->pid, &status, 0);
	if (!hard)
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_spawn_close_pid(self->pid);
	self->pid = 0;
}

static CloudTestServer *
cloud_test_server_new(const gchar *kind)
{
	g_autoptr(GError) error = NULL;
	CloudTestServer *self;
	CloudTestDb *db = cloud_test_db_new(kind);
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;

	if (db == NULL)
		return NULL;
	self = g_new0(CloudTestServer, 1);
	self->db = db;
	self->state = g_dir_make_tmp("nusec-cloud-state-XXXXXX", &error);
	g_assert_no_error(error);
	cloud_test_write_config(self);
	{
		const gchar *argv[] = {cloud_binary, "init", "--state", self->state, NULL};
		cloud_test_run(argv, &out, &err, &status);
		if (!g_spawn_check_wait_status(status, NULL))
			g_error("nusec-cloud init failed: %s", err);
	}
	self->root_ca = g_build_filename(self->state, "root-ca.pem", NULL);
	cloud_test_server_start(self);
	return self;
}

static void
cloud_test_server_free(CloudTestServer *self)
{
	if (self == NULL)
		return;
	cloud_test_server_stop(self, FALSE);
	cloud_test_rm_rf(self->state);
	cloud_test_db_free(self->db);
	g_free(self->state);
	g_free(self->root_ca);
	g_free(self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CloudTestServer, cloud_test_server_free)

/* one client: a certificate and key file, and a keep-alive libcurl handle */
typedef struct {
	CloudTestServer *server;
	gchar *cert;
	gchar *key;
	CURL *curl;
} CloudTestClient;

static CloudTestClient *
cloud_test_client_new(CloudTestServer *server, const gchar *cert, const gchar *key)
{
	CloudTestClient *self = g_new0(CloudTestClient, 1);
	self->server = server;
	self->cert = g_strdup(cert);
	self->key = g_strdup(key);
	self->curl = curl_easy_init();
	return self;
}

static void
cloud_test_client_free(CloudTestClient *self)
{
	if (self == NULL)
		return;
	curl_easy_cleanup(self->curl);
	g_free(self->cert);
	g_free(self->key);
	g_free(self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CloudTestClient, cloud_test_client_free)

static size_t
cloud_test_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	g_byte_array_append(userdata, (const guint8 *)ptr, size * nmemb);
	return size * nmemb;
}

/* returns the HTTP status (0 on a transport failure); *@out gets the body */
static long
cloud_test_http(CloudTestClient *self,
		const gchar *method,
		const gchar *path,
		const gchar *body,
		gsize body_len,
		GBytes **out)
{
	g_autofree gchar *url = g_strdup_printf("https://127.0.0.1:%u%s", self->server->port, path);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	long status = 0;
	CURLcode rc;

	curl_easy_reset(self->curl);
	curl_easy_setopt(self->curl, CURLOPT_URL, url);
	curl_easy_setopt(self->curl, CURLOPT_CAINFO, self->server->root_ca);
	if (self->cert != NULL) {
		curl_easy_setopt(self->curl, CURLOPT_SSLCERT, self->cert);
		curl_easy_setopt(self->curl, CURLOPT_SSLKEY, self->key);
	}
	curl_easy_setopt(self->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(self->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(self->curl, CURLOPT_WRITEFUNCTION, cloud_test_write_cb);
	curl_easy_setopt(self->curl, CURLOPT_WRITEDATA, buf);
	curl_easy_setopt(self->curl, CURLOPT_TIMEOUT, 60L);
	if (body != NULL) {
		curl_easy_setopt(self->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(self->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	rc = curl_easy_perform(self->curl);
	curl_slist_free_all(headers);
	if (rc == CURLE_OK)
		curl_easy_getinfo(self->curl, CURLINFO_RESPONSE_CODE, &status);
	else
		g_debug("curl: %s", curl_easy_strerror(rc));
	if (out != NULL)
		*out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
	return status;
}

/* JSON helpers: a request returning a parsed object */
static JsonNode *
cloud_test_json(CloudTestClient *self,
		const gchar *method,
		const gchar *path,
		const gchar *body,
		long expect_status)
{
	g_autoptr(GBytes) out = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	long status =
	    cloud_test_http(self, method, path, body, body != NULL ? strlen(body) : 0, &out);
	if (status != expect_status)
		g_error("%s %s: HTTP %ld (expected %ld): %.*s",
			method,
			path,
			status,
			expect_status,
			(int)g_bytes_get_size(out),
			(const gchar *)g_bytes_get_data(out, NULL));
	json_parser_load_from_data(parser,
				   g_bytes_get_data(out, NULL),
				   g_bytes_get_size(out),
				   &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

/* an error response: checks the status and {code, message} */
static void
cloud_test_expect_error(CloudTestClient *self,
			const gchar *method,
			const gchar *path,
			const gchar *body,
			long expect_status,
			const gchar *expect_code)
{
	g_autoptr(JsonNode) node = cloud_test_json(self, method, path, body, expect_status);
	JsonObject *obj = json_node_get_object(node);
	g_assert_cmpstr(json_object_get_string_member(obj, "code"), ==, expect_code);
	g_assert_cmpstr(json_object_get_string_member_with_default(obj, "message", ""), !=, "");
}
