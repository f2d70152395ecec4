/*
 * nusec-cloud: init, serve, audit verify, operator add. See docs/api.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>

#include "nusec-cloud-context.h"
#include "nusec-cloud-server.h"

gboolean
nusec_cloud_api_audit_verify(NuSecCloud *cloud,
			     NuSecCloudDbConn *conn,
			     gint64 *entries,
			     gint64 *checkpoints,
			     GError **error);

static gchar *opt_state = NULL;
static gchar *opt_config = NULL;
static gchar *opt_listen = NULL;
static gint opt_port = -1;
static gchar *opt_database = NULL;
static gchar *opt_operator = NULL;
static gchar *opt_port_file = NULL;

static GOptionEntry common_entries[] = {
    {"state", 's', 0, G_OPTION_ARG_FILENAME, &opt_state, "State folder", "DIR"},
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config, "Configuration file", "FILE"},
    {"listen", 0, 0, G_OPTION_ARG_STRING, &opt_listen, "Listen address (IPv4)", "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &opt_port, "TCP port (0: any free port)", "PORT"},
    {"database",
     0,
     0,
     G_OPTION_ARG_STRING,
     &opt_database,
     "sqlite:PATH or postgresql:CONNINFO",
     "URI"},
    {"operator",
     0,
     0,
     G_OPTION_ARG_STRING,
     &opt_operator,
     "Name of the OEM operator credential (init, operator-add)",
     "NAME"},
    {"port-file",
     0,
     0,
     G_OPTION_ARG_FILENAME,
     &opt_port_file,
     "serve: write the bound port to FILE once listening",
     "FILE"},
    {NULL},
};

static NuSecCloudConfig *
load_config(GError **error)
{
	NuSecCloudConfig *config = nusec_cloud_config_load(opt_state, opt_config, error);
	if (config == NULL)
		return NULL;
	if (opt_listen != NULL) {
		g_free(config->listen);
		config->listen = g_strdup(opt_listen);
	}
	if (opt_port >= 0)
		config->port = opt_port;
	if (opt_database != NULL) {
		g_free(config->database);
		config->database = g_strdup(opt_database);
	}
	return config;
}

static gboolean
quit_cb(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

static int
cmd_init(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudConfig) config = load_config(&error);
	g_autoptr(NuSecCloud) cloud = NULL;
	if (config == NULL) {
		g_printerr("nusec-cloud init: %s\n", error->message);
		return 2;
	}
	cloud = nusec_cloud_init(config, opt_operator != NULL ? opt_operator : "operator", &error);
	if (cloud == NULL) {
		g_printerr("nusec-cloud init: %s\n", error->message);
		return 1;
	}
	g_print("initialised %s\n", config->state_dir);
	g_print("  CA bundle:  %s/ca-bundle.pem\n", config->state_dir);
	g_print("  operator:   %s/operator/%s.pem (key %s-key.pem)\n",
		config->state_dir,
		opt_operator != NULL ? opt_operator : "operator",
		opt_operator != NULL ? opt_operator : "operator");
	return 0;
}

static int
cmd_operator_add(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudConfig) config = load_config(&error);
	g_autoptr(NuSecCloud) cloud = NULL;
	if (config == NULL || opt_operator == NULL) {
		g_printerr("nusec-cloud operator-add: %s\n",
			   error != NULL ? error->message : "--operator NAME is required");
		return 2;
	}
	cloud = nusec_cloud_open(config, 1, &error);
	if (cloud == NULL || !nusec_cloud_issue_operator(cloud, opt_operator, &error)) {
		g_printerr("nusec-cloud operator-add: %s\n", error->message);
		return 1;
	}
	g_print("%s/operator/%s.pem\n", config->state_dir, opt_operator);
	return 0;
}

static int
cmd_serve(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudConfig) config = load_config(&error);
	g_autoptr(NuSecCloud) cloud = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	NuSecCloudServer *server;
	if (config == NULL) {
		g_printerr("nusec-cloud serve: %s\n", error->message);
		return 2;
	}
	cloud = nusec_cloud_open(config, config->threads, &error);
	if (cloud == NULL) {
		g_printerr("nusec-cloud serve: %s\n", error->message);
		return 1;
	}
	server = nusec_cloud_server_start(cloud, &error);
	if (server == NULL) {
		g_printerr("nusec-cloud serve: %s\n", error->message);
		return 1;
	}
	if (opt_port_file != NULL) {
		g_autofree gchar *text =
		    g_strdup_printf("%u\n", nusec_cloud_server_get_port(server));
		g_autofree gchar *tmp = g_strconcat(opt_port_file, ".tmp", NULL);
		if (!g_file_set_contents(tmp, text, -1, &error) ||
		    g_rename(tmp, opt_port_file) != 0) {
			g_printerr("nusec-cloud serve: cannot write the port file\n");
			nusec_cloud_server_stop(server);
			return 1;
		}
	}
	g_print("nusec-cloud: listening on https://%s:%u/v1\n",
		config->listen,
		nusec_cloud_server_get_port(server));
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, quit_cb, loop);
	g_unix_signal_add(SIGINT, quit_cb, loop);
	g_main_loop_run(loop);
	nusec_cloud_server_stop(server);
	return 0;
}

static int
cmd_audit_verify(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecCloudConfig) config = load_config(&error);
	g_autoptr(NuSecCloud) cloud = NULL;
	g_autoptr(NuSecCloudDbConn) conn = NULL;
	gint64 entries = 0, checkpoints = 0;
	if (config == NULL) {
		g_printerr("nusec-cloud audit verify: %s\n", error->message);
		return 2;
	}
	cloud = nusec_cloud_open(config, 1, &error);
	if (cloud == NULL || (conn = nusec_cloud_db_acquire(cloud->db, &error)) == NULL) {
		g_printerr("nusec-cloud audit verify: %s\n", error->message);
		return 1;
	}
	if (!nusec_cloud_api_audit_verify(cloud, conn, &entries, &checkpoints, &error)) {
		g_printerr("audit log BROKEN: %s\n", error->message);
		return 1;
	}
	g_print("audit log OK: %" G_GINT64_FORMAT " entries, %" G_GINT64_FORMAT
		" signed checkpoints\n",
		entries,
		checkpoints);
	return 0;
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("init | serve | audit verify | operator-add");
	g_autoptr(GError) error = NULL;

	setlocale(LC_ALL, "");
	g_option_context_set_summary(
	    ctx,
	    "The NuSEC cloud: HSM-backed signing and issuing server.\n\n"
	    "  init          create the HSM keys, CA chain, TLS certificate,\n"
	    "                first operator credential and database\n"
	    "  serve         serve the /v1 API over mutual TLS\n"
	    "  audit verify  check the audit log's hash chain and signatures\n"
	    "  operator-add  issue another OEM operator credential");
	g_option_context_add_main_entries(ctx, common_entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("nusec-cloud: %s\n", error->message);
		return 2;
	}
	if (argc >= 2 && g_strcmp0(argv[1], "init") == 0 && argc == 2)
		return cmd_init();
	if (argc >= 2 && g_strcmp0(argv[1], "serve") == 0 && argc == 2)
		return cmd_serve();
	if (argc == 3 && g_strcmp0(argv[1], "audit") == 0 && g_strcmp0(argv[2], "verify") == 0)
		return cmd_audit_verify();
	if (argc == 2 && g_strcmp0(argv[1], "operator-add") == 0)
		return cmd_operator_add();
	g_printerr("nusec-cloud: unknown command (see --help)\n");
	return 2;
}
