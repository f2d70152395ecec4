/*
 * bench-cloud: device certificates per second over mutual TLS with 1, 4 and 16 concurrent
 * programmer clients, on SQLite and on PostgreSQL, beside two baselines measured in the same
 * run: the raw SoftHSM2 ECDSA P-256 signing rate (the ceiling) and Debian's cfssl
 * (`cfssl serve`) signing the same CSRs. Not a test: prints a table.
 *
 *   bench-cloud --cloud build/server/nusec-cloud [--pg CONNINFO] [--count N] [--cfssl PATH]
 *
 * Every certificate the cloud returns has been committed (device row, quota, audit entry).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <curl/curl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "nusec-cloud-formats.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"
#include "nusec-pkcs11-signer.h"

static gchar *opt_cloud = NULL;
static gchar *opt_pg = NULL;
static gchar *opt_cfssl = NULL;
static gint opt_count = 3000;

static const GOptionEntry entries[] = {
    {"cloud", 0, 0, G_OPTION_ARG_FILENAME, &opt_cloud, "nusec-cloud binary", "PATH"},
    {"pg",
     0,
     0,
     G_OPTION_ARG_STRING,
     &opt_pg,
     "PostgreSQL conninfo (default $NUSEC_TEST_PG)",
     "CONNINFO"},
    {"cfssl", 0, 0, G_OPTION_ARG_FILENAME, &opt_cfssl, "cfssl binary (default: cfssl)", "PATH"},
    {"count", 'n', 0, G_OPTION_ARG_INT, &opt_count, "certificates per measurement", "N"},
    {NULL},
};

static void
die(const gchar *what, GError *error)
{
	g_printerr("bench-cloud: %s: %s\n", what, error != NULL ? error->message : "failed");
	exit(1);
}

static void
child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid
spawn(const gchar *const *argv, gboolean quiet)
{
	g_autoptr(GError) error = NULL;
	GPid pid = 0;
	GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH;
	if (quiet)
		flags |= G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL;
	if (!g_spawn_async(NULL, (gchar **)argv, NULL, flags, child_setup, NULL, &pid, &error))
		die(argv[0], error);
	return pid;
}

static void
stop(GPid pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
}

static guint16
free_port(void)
{
	/* let the kernel choose, as the tests do */
	g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_socket_bind(s, addr, TRUE, NULL);
	bound = g_socket_get_local_address(s, NULL);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void
rm_rf(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			rm_rf(child);
		else
			g_unlink(child);
	}
	g_rmdir(path);
}

static gboolean
pg_exec(const gchar *conninfo, const gchar *sql)
{
	PGconn *pg = PQconnectdb(conninfo);
	PGresult *res = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, sql) : NULL;
	gboolean ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		g_printerr("bench-cloud: %s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return ok;
}

/* ---- HTTP ---- */

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	g_byte_array_append(userdata, (const guint8 *)ptr, size * nmemb);
	return size * nmemb;
}

typedef struct {
	const gchar *base;
	const gchar *ca;
	const gchar *cert;
	const gchar *key;
} Endpoint;

static long
post(CURL *curl, const Endpoint *ep, const gchar *path, const gchar *body, GByteArray *out)
{
	g_autofree gchar *url = g_strconcat(ep->base, path, NULL);
	long status = 0;
	g_byte_array_set_size(out, 0);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (ep->ca != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ep->ca);
	if (ep->cert != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, ep->cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, ep->key);
	}
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static JsonNode *
post_json(const Endpoint *ep, const gchar *path, const gchar *body, long expect)
{
	CURL *curl = curl_easy_init();
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(JsonParser) parser = json_parser_new();
	long status = post(curl, ep, path, body, out);
	curl_easy_cleanup(curl);
	if (status != expect) {
		g_printerr("bench-cloud: POST %s: HTTP %ld: %.*s\n",
			   path,
			   status,
			   (int)out->len,
			   (const gchar *)out->data);
		exit(1);
	}
	if (!json_parser_load_from_data(parser, (const gchar *)out->data, out->len, NULL))
		die("bad JSON", NULL);
	return json_node_copy(json_parser_get_root(parser));
}

static const gchar *
member(JsonNode *n, const gchar *name)
{
	return json_object_get_string_member(json_node_get_object(n), name);
}

/* ---- load ---- */

typedef struct {
	const Endpoint *ep;
	const gchar *path;
	GPtrArray *bodies; /* this worker's requests */
	long expect;
	const gchar *must_contain;
	guint ok;
} Worker;

static gpointer
worker_run(gpointer data)
{
	Worker *w = data;
	CURL *curl = curl_easy_init();
	g_autoptr(GByteArray) out = g_byte_array_new();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip for bodies over 1 KiB */
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	for (guint i = 0; i < w->bodies->len; i++) {
		long status = post(curl, w->ep, w->path, g_ptr_array_index(w->bodies, i), out);
		if (status == w->expect &&
		    g_strstr_len((const gchar *)out->data, out->len, w->must_contain) != NULL)
			w->ok++;
		else if (w->ok == 0 && i == 0)
			g_printerr("bench-cloud: HTTP %ld: %.*s\n",
				   status,
				   (int)MIN(out->len, 300),
				   (const gchar *)out->data);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return NULL;
}

/* runs @n_workers threads over their bodies; returns successes per second */
static gdouble
run_load(Worker *workers, guint n_workers, guint *ok_total)
{
	GThread *threads[64];
	gint64 start = g_get_monotonic_time();
	gint64 end;
	guint ok = 0;
	for (guint i = 0; i < n_workers; i++)
		threads[i] = g_thread_new("load", worker_run, &workers[i]);
	for (guint i = 0; i < n_workers; i++) {
		g_thread_join(threads[i]);
		ok += workers[i].ok;
	}
	end = g_get_monotonic_time();
	*ok_total = ok;
	return ok / ((end - start) / 1e6);
}

/* ---- fixtures ---- */

typedef struct {
	EVP_PKEY *key;
	GBytes *der;
	gchar *pem;
	gchar *chip;
} Csr;

static Csr *
csr_new(guint index)
{
	Csr *c = g_new0(Csr, 1);
	g_autoptr(X509_REQ) req = X509_REQ_new();
	guint8 *der = NULL;
	int len;
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;
	c->chip = g_strdup_printf("BENCH-%08x-%06u", g_random_int(), index);
	c->key = EVP_EC_gen("P-256");
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req),
				   "CN",
				   MBSTRING_UTF8,
				   (const guchar *)c->chip,
				   -1,
				   -1,
				   0);
	X509_REQ_set_pubkey(req, c->key);
	X509_REQ_sign(req, c->key, EVP_sha256());
	len = i2d_X509_REQ(req, &der);
	c->der = g_bytes_new(der, len);
	OPENSSL_free(der);
	PEM_write_bio_X509_REQ(bio, req);
	BIO_get_mem_ptr(bio, &mem);
	c->pem = g_strndup(mem->data, mem->length);
	BIO_free(bio);
	return c;
}

static void
csr_free(Csr *c)
{
	EVP_PKEY_free(c->key);
	g_bytes_unref(c->der);
	g_free(c->pem);
	g_free(c->chip);
	g_free(c);
}

typedef struct {
	gchar *serial;
	gchar *id;
	gchar *cert;
	gchar *key;
	NuSecSigner *signer;
} Programmer;

static void
write_key(EVP_PKEY *key, const gchar *path)
{
	BIO *bio = BIO_new_file(path, "w");
	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	BIO_free(bio);
}

typedef struct {
	gchar *label;
	gdouble rate[3]; /* 1, 4, 16 clients */
} Row;

static const guint client_counts[] = {1, 4, 16};

static gchar *
json_escape(const gchar *text)
{
	GString *s = g_string_new(NULL);
	for (const gchar *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append(s, "\\n");
		else if (*p == '"' || *p == '\\')
			g_string_append_printf(s, "\\%c", *p);
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

/* one nusec-cloud on @database: enrol 16 programmers, one order, then the three loads */
static void
bench_cloud(const gchar *label, const gchar *database, GPtrArray *csrs, Row *row)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *state = g_dir_make_tmp("nusec-bench-XXXXXX", &error);
	g_autofree gchar *conf = g_build_filename(state, "cloud.conf", NULL);
	g_autofree gchar *pin = g_build_filename(state, "hsm-pin", NULL);
	g_autofree gchar *root = g_build_filename(state, "root-ca.pem", NULL);
	g_autofree gchar *oper_cert = g_build_filename(state, "operator", "operator.pem", NULL);
	g_autofree gchar *oper_key = g_build_filename(state, "operator", "operator-key.pem", NULL);
	g_autofree gchar *base = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	guint16 port = free_port();
	Programmer progs[16];
	Endpoint oper;
	g_autoptr(GString) ids = g_string_new(NULL);
	g_autoptr(JsonNode) product = NULL;
	g_autoptr(JsonNode) fw = NULL;
	g_autoptr(JsonNode) order = NULL;
	g_autofree gchar *body = NULL;
	GPid pid;
	guint used = 0;

	row->label = g_strdup(label);
	if (state == NULL)
		die("temporary folder", error);
	g_key_file_set_string(kf, "cloud", "listen", "127.0.0.1");
	g_key_file_set_integer(kf, "cloud", "port", port);
	if (g_strcmp0(database, "sqlite:") == 0) {
		g_autofree gchar *db = g_strdup_printf("sqlite:%s/cloud.db", state);
		g_key_file_set_string(kf, "cloud", "database", db);
	} else {
		g_key_file_set_string(kf, "cloud", "database", database);
	}
	g_key_file_set_integer(kf, "cloud", "threads", 32);
	g_key_file_set_string(kf, "hsm", "softhsm", "true");
	g_key_file_set_string(kf, "hsm", "token", "nusec-cloud");
	g_key_file_set_string(kf, "hsm", "pin-file", pin);
	if (!g_key_file_save_to_file(kf, conf, &error))
		die("config", error);
	{
		const gchar *argv[] = {opt_cloud, "init", "--state", state, NULL};
		gint status = 0;
		g_autofree gchar *err = NULL;
		if (!g_spawn_sync(NULL,
				  (gchar **)argv,
				  NULL,
				  0,
				  NULL,
				  NULL,
				  NULL,
				  &err,
				  &status,
				  &error) ||
		    !g_spawn_check_wait_status(status, NULL)) {
			g_printerr("%s", err != NULL ? err : "");
			die("nusec-cloud init", error);
		}
	}
	{
		const gchar *argv[] = {opt_cloud, "serve", "--state", state, NULL};
		pid = spawn(argv, TRUE);
	}
	base = g_strdup_printf("https://127.0.0.1:%u", port);
	oper = (Endpoint){.base = base, .ca = root, .cert = oper_cert, .key = oper_key};
	for (guint i = 0; i < 100; i++) {
		CURL *curl = curl_easy_init();
		g_autoptr(GByteArray) out = g_byte_array_new();
		g_autofree gchar *url = g_strconcat(base, "/v1/ping", NULL);
		long status = 0;
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_CAINFO, root);
		curl_easy_setopt(curl, CURLOPT_SSLCERT, oper_cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, oper_key);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(curl);
		if (status == 200)
			break;
		g_usleep(50000);
	}
	for (guint i = 0; i < 16; i++) {
		g_autoptr(EVP_PKEY) ident = EVP_EC_gen("P-256");
		g_autoptr(EVP_PKEY) enc = EVP_EC_gen("P-256");
		guint8 pt[65];
		size_t len = 0;
		g_autoptr(GBytes) ep = NULL;
		g_autoptr(GBytes) bundle = NULL;
		g_autofree gchar *b64 = NULL;
		g_autofree gchar *b = NULL;
		g_autoptr(JsonNode) res = NULL;
		progs[i].serial = g_strdup_printf("NL3-B%02u", i);
		progs[i].key = g_strdup_printf("%s/%s-key.pem", state, progs[i].serial);
		progs[i].cert = g_strdup_printf("%s/%s.pem", state, progs[i].serial);
		write_key(ident, progs[i].key);
		progs[i].signer = nusec_pem_signer_new_from_file(progs[i].key, &error);
		EVP_PKEY_get_octet_string_param(enc, "pub", pt, sizeof(pt), &len);
		ep = g_bytes_new(pt, len);
		bundle = nusec_cloud_setup_bundle_build(progs[i].signer,
							progs[i].serial,
							ep,
							NULL,
							&error);
		b64 = g_base64_encode(g_bytes_get_data(bundle, NULL), g_bytes_get_size(bundle));
		b = g_strdup_printf("{\"bundle\":\"%s\"}", b64);
		res = post_json(&oper, "/v1/programmers", b, 201);
		progs[i].id = g_strdup(member(res, "id"));
		g_file_set_contents(progs[i].cert, member(res, "certificate"), -1, NULL);
		g_string_append_printf(ids, "%s\"%s\"", i > 0 ? "," : "", progs[i].id);
	}
	product = post_json(&oper, "/v1/products", "{\"name\":\"bench\"}", 201);
	{
		g_autofree gchar *path =
		    g_strdup_printf("/v1/products/%s/firmware", member(product, "id"));
		fw = post_json(&oper, path, "{\"version\":\"1.0.0\",\"image\":\"AAAAAAAA\"}", 201);
	}
	body = g_strdup_printf("{\"product\":\"%s\",\"firmware\":\"%s\",\"programmers\":[%s],"
			       "\"limit\":100000000}",
			       member(product, "id"),
			       member(fw, "id"),
			       ids->str);
	order = post_json(&oper, "/v1/orders", body, 201);

	for (guint c = 0; c < G_N_ELEMENTS(client_counts); c++) {
		guint n = client_counts[c];
		Worker workers[16] = {0};
		Endpoint eps[16];
		guint ok = 0;
		/* the request bodies (signed by each programmer) are built before the clock */
		for (guint i = 0; i < n; i++) {
			eps[i] = (Endpoint){.base = base,
					    .ca = root,
					    .cert = progs[i].cert,
					    .key = progs[i].key};
			workers[i].ep = &eps[i];
			workers[i].path = "/v1/programmer/devices";
			workers[i].expect = 201;
			workers[i].must_contain = "\"certificate\"";
			workers[i].bodies = g_ptr_array_new_with_free_func(g_free);
		}
		for (guint k = 0; k < csrs->len; k++) {
			Csr *csr = g_ptr_array_index(csrs, k);
			guint i = k % n;
			NuSecCloudDeviceRequest dr = {.order_id = (gchar *)member(order, "id"),
						      .chip_id = csr->chip,
						      .csr = csr->der,
						      .counter = k,
						      .programmer_serial = progs[i].serial};
			g_autoptr(GBytes) cose = NULL;
			g_autofree gchar *b64 = NULL;
			if (c > 0) {
				/* the CSR's CN is the chip ID, and each round needs chips of its
				 * own: new CSRs (made before the clock starts) */
				Csr *again = csr_new(k + c * 1000000);
				g_ptr_array_index(csrs, k) = again;
				csr_free(csr);
				csr = again;
				dr.chip_id = csr->chip;
				dr.csr = csr->der;
			}
			cose = nusec_cloud_device_request_build(progs[i].signer, &dr, &error);
			if (cose == NULL)
				die("device request", error);
			b64 = g_base64_encode(g_bytes_get_data(cose, NULL), g_bytes_get_size(cose));
			g_ptr_array_add(workers[i].bodies,
					g_strdup_printf("{\"request\":\"%s\"}", b64));
		}
		row->rate[c] = run_load(workers, n, &ok);
		used += ok;
		if (ok != csrs->len)
			g_printerr("bench-cloud: %s with %u clients: %u of %u certificates\n",
				   label,
				   n,
				   ok,
				   csrs->len);
		for (guint i = 0; i < n; i++)
			g_ptr_array_unref(workers[i].bodies);
	}
	{
		CURL *curl = curl_easy_init();
		g_autoptr(GByteArray) out = g_byte_array_new();
		g_autofree gchar *url =
		    g_strdup_printf("%s/v1/orders/%s", base, member(order, "id"));
		g_autoptr(JsonParser) parser = json_parser_new();
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_CAINFO, root);
		curl_easy_setopt(curl, CURLOPT_SSLCERT, oper_cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, oper_key);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
		curl_easy_perform(curl);
		curl_easy_cleanup(curl);
		if (json_parser_load_from_data(parser, (const gchar *)out->data, out->len, NULL)) {
			gint64 u = json_object_get_int_member(
			    json_node_get_object(json_parser_get_root(parser)),
			    "used");
			if (u != used)
				g_printerr("bench-cloud: %s: order says %" G_GINT64_FORMAT
					   " used, clients got %u\n",
					   label,
					   u,
					   used);
		}
	}
	stop(pid);
	for (guint i = 0; i < 16; i++) {
		g_free(progs[i].serial);
		g_free(progs[i].id);
		g_free(progs[i].cert);
		g_free(progs[i].key);
		g_object_unref(progs[i].signer);
	}
	rm_rf(state);
}

/* ---- baseline: raw SoftHSM2 ECDSA P-256 signing ---- */

typedef struct {
	NuSecSigner *signer;
	gint64 deadline;
	guint count;
} SignWorker;

static gpointer
sign_run(gpointer data)
{
	SignWorker *w = data;
	guint8 digest[32] = {1};
	guint8 sig[64];
	while (g_get_monotonic_time() < w->deadline) {
		for (guint i = 0; i < 100; i++) {
			digest[1] = i;
			if (!nusec_signer_sign_digest(w->signer, digest, sig, NULL))
				return NULL;
			w->count++;
		}
	}
	return NULL;
}

static void
bench_softhsm(Row *row)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("nusec-bench-hsm-XXXXXX", &error);
	g_autofree gchar *conf = g_build_filename(dir, "softhsm2.conf", NULL);
	g_autofree gchar *tokens = g_build_filename(dir, "tokens", NULL);
	g_autofree gchar *text = g_strdup_printf("directories.tokendir = %s\n"
						 "objectstore.backend = file\nlog.level = ERROR\n",
						 tokens);
	g_autoptr(NuSecSigner) signer = NULL;
	const gchar *argv[] = {"softhsm2-util",
			       "--init-token",
			       "--free",
			       "--label",
			       "bench",
			       "--so-pin",
			       "5678",
			       "--pin",
			       "1234",
			       NULL};
	gint status = 0;

	row->label = g_strdup("SoftHSM2 C_Sign, P-256 (ceiling)");
	g_mkdir_with_parents(tokens, 0700);
	g_file_set_contents(conf, text, -1, NULL);
	g_setenv("SOFTHSM2_CONF", conf, TRUE);
	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
			  NULL,
			  NULL,
			  NULL,
			  NULL,
			  &status,
			  &error))
		die("softhsm2-util", error);
	signer =
	    nusec_pkcs11_signer_generate("pkcs11:token=bench;object=k;type=private?pin-value=1234",
					 &error);
	if (signer == NULL)
		die("SoftHSM2 key", error);
	for (guint c = 0; c < G_N_ELEMENTS(client_counts); c++) {
		SignWorker w[16] = {0};
		GThread *t[16];
		guint total = 0;
		gint64 start = g_get_monotonic_time();
		for (guint i = 0; i < client_counts[c]; i++) {
			w[i].signer = signer;
			w[i].deadline = start + 2 * G_USEC_PER_SEC;
			t[i] = g_thread_new("sign", sign_run, &w[i]);
		}
		for (guint i = 0; i < client_counts[c]; i++) {
			g_thread_join(t[i]);
			total += w[i].count;
		}
		row->rate[c] = total / ((g_get_monotonic_time() - start) / 1e6);
	}
	rm_rf(dir);
}

/* ---- baseline: cfssl serve ---- */

static void
bench_cfssl(GPtrArray *csrs, Row *row)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("nusec-bench-cfssl-XXXXXX", &error);
	g_autofree gchar *ca = g_build_filename(dir, "ca.pem", NULL);
	g_autofree gchar *ca_key = g_build_filename(dir, "ca-key.pem", NULL);
	g_autofree gchar *cfg = g_build_filename(dir, "config.json", NULL);
	g_autofree gchar *port_s = NULL;
	g_autofree gchar *base = NULL;
	guint16 port = free_port();
	GPid pid;
	Endpoint ep;

	row->label = g_strdup("cfssl serve (HTTP, no mTLS, no database)");
	{
		const gchar *argv[] = {"openssl",
				       "req",
				       "-x509",
				       "-newkey",
				       "ec",
				       "-pkeyopt",
				       "ec_paramgen_curve:P-256",
				       "-nodes",
				       "-keyout",
				       ca_key,
				       "-out",
				       ca,
				       "-days",
				       "3650",
				       "-subj",
				       "/CN=cfssl bench CA",
				       NULL};
		gint status = 0;
		if (!g_spawn_sync(NULL,
				  (gchar **)argv,
				  NULL,
				  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				      G_SPAWN_STDERR_TO_DEV_NULL,
				  NULL,
				  NULL,
				  NULL,
				  NULL,
				  &status,
				  &error) ||
		    !g_spawn_check_wait_status(status, NULL))
			die("openssl req", error);
	}
	g_file_set_contents(cfg,
			    "{\"signing\":{\"default\":{\"expiry\":\"87600h\","
			    "\"usages\":[\"digital signature\"]}}}",
			    -1,
			    NULL);
	port_s = g_strdup_printf("%u", port);
	{
		g_autofree gchar *ca_arg = g_strdup_printf("-ca=%s", ca);
		g_autofree gchar *key_arg = g_strdup_printf("-ca-key=%s", ca_key);
		g_autofree gchar *cfg_arg = g_strdup_printf("-config=%s", cfg);
		g_autofree gchar *port_arg = g_strdup_printf("-port=%u", port);
		const gchar *argv[] = {opt_cfssl != NULL ? opt_cfssl : "cfssl",
				       "serve",
				       "-address=127.0.0.1",
				       port_arg,
				       ca_arg,
				       key_arg,
				       cfg_arg,
				       NULL};
		pid = spawn(argv, TRUE);
	}
	base = g_strdup_printf("http://127.0.0.1:%u", port);
	ep = (Endpoint){.base = base};
	for (guint i = 0; i < 100; i++) {
		CURL *curl = curl_easy_init();
		g_autoptr(GByteArray) out = g_byte_array_new();
		g_autofree gchar *url = g_strconcat(base, "/api/v1/cfssl/health", NULL);
		long status = 0;
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(curl);
		if (status != 0)
			break;
		g_usleep(50000);
	}
	for (guint c = 0; c < G_N_ELEMENTS(client_counts); c++) {
		guint n = client_counts[c];
		Worker workers[16] = {0};
		guint ok = 0;
		for (guint i = 0; i < n; i++) {
			workers[i].ep = &ep;
			workers[i].path = "/api/v1/cfssl/sign";
			workers[i].expect = 200;
			workers[i].must_contain = "\"success\":true";
			workers[i].bodies = g_ptr_array_new_with_free_func(g_free);
		}
		for (guint k = 0; k < csrs->len; k++) {
			Csr *csr = g_ptr_array_index(csrs, k);
			g_autofree gchar *esc = json_escape(csr->pem);
			g_ptr_array_add(workers[k % n].bodies,
					g_strdup_printf("{\"certificate_request\":\"%s\"}", esc));
		}
		row->rate[c] = run_load(workers, n, &ok);
		if (ok != csrs->len)
			g_printerr("bench-cloud: cfssl with %u clients: %u of %u signed\n",
				   n,
				   ok,
				   csrs->len);
		for (guint i = 0; i < n; i++)
			g_ptr_array_unref(workers[i].bodies);
	}
	stop(pid);
	rm_rf(dir);
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- nusec-cloud issuing benchmark");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) csrs = g_ptr_array_new_with_free_func((GDestroyNotify)csr_free);
	Row rows[5] = {0};
	guint n_rows = 0;
	const gchar *pg;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error))
		die("options", error);
	if (opt_cloud == NULL)
		die("--cloud PATH is required", NULL);
	pg = opt_pg != NULL ? opt_pg : g_getenv("NUSEC_TEST_PG");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (gint i = 0; i < opt_count; i++)
		g_ptr_array_add(csrs, csr_new(i));

	bench_softhsm(&rows[n_rows++]);
	bench_cfssl(csrs, &rows[n_rows++]);
	bench_cloud("sqlite", "sqlite:", csrs, &rows[n_rows]);
	g_free(rows[n_rows].label);
	rows[n_rows++].label = g_strdup("nusec-cloud, mTLS, SQLite (WAL, FULL sync)");
	if (pg != NULL && pg[0] != '\0') {
		g_autofree gchar *schema =
		    g_strdup_printf("bench_%08x%08x", g_random_int(), g_random_int());
		g_autofree gchar *create = g_strdup_printf("CREATE SCHEMA %s", schema);
		g_autofree gchar *drop = g_strdup_printf("SET client_min_messages TO warning;"
							 " DROP SCHEMA %s CASCADE",
							 schema);
		g_autofree gchar *uri =
		    g_strdup_printf("postgresql:%s options='-c search_path=%s'", pg, schema);
		if (!pg_exec(pg, create))
			die("PostgreSQL", NULL);
		bench_cloud("pg", uri, csrs, &rows[n_rows]);
		pg_exec(pg, drop);
		g_free(rows[n_rows].label);
		rows[n_rows++].label = g_strdup("nusec-cloud, mTLS, PostgreSQL");
	} else {
		g_printerr("bench-cloud: no PostgreSQL (--pg or NUSEC_TEST_PG): skipped\n");
	}

	g_print("\nDevice certificates per second (%d per measurement, %u CPU cores)\n",
		opt_count,
		g_get_num_processors());
	g_print("%-46s %10s %10s %10s\n", "", "1 client", "4 clients", "16 clients");
	for (guint i = 0; i < n_rows; i++) {
		g_print("%-46s %10.0f %10.0f %10.0f\n",
			rows[i].label,
			rows[i].rate[0],
			rows[i].rate[1],
			rows[i].rate[2]);
		g_free(rows[i].label);
	}
	return 0;
}
