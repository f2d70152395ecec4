/*
 * target-sim as a process: the whole provisioning sequence with an image signed by
 * `nusec image sign` (the "done when"), OpenSSL checks of the attestation
 * (`openssl verify` against the test vendor CA), the CSR (`openssl req -verify`) and the
 * receipt, persistence across restarts, options, malformed frames and misbehaving clients,
 * and kill -9 during each writing command (exact points injected with NUSEC_TARGET_SIM_CRASH,
 * and at random moments).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fwc-cbor.h"
#include "fwc-image.h"
#include "nusec-cose.h"
#include "nusec-error.h"
#include "nusec-openssl.h"
#include "target-test-util.h"

#ifndef TARGET_SIM
#error TARGET_SIM must name the target-sim binary
#endif

/* ------------------------------------------------------------------------------------------ */
/* a test directory with a vendor CA */

typedef struct {
	gchar *dir;
	gchar *ca_key;
	gchar *ca_cert;
} Fixture;

static gboolean
run(gchar **out, gint *status, const gchar *const *argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *o = NULL;
	gint st = -1;

	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH,
			  NULL,
			  NULL,
			  &o,
			  &err,
			  &st,
			  &error))
		g_error("cannot run %s: %s", argv[0], error->message);
	if (status != NULL)
		*status = st;
	if (out != NULL)
		*out = g_strconcat(o, err, NULL);
	if (st != 0 && status == NULL)
		g_error("%s failed: %s%s", argv[0], o, err);
	return st == 0;
}

static void
fixture_init(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	f->dir = g_dir_make_tmp("target-sim-XXXXXX", &error);
	g_assert_no_error(error);
	f->ca_key = g_build_filename(f->dir, "vendor-ca.key", NULL);
	f->ca_cert = g_build_filename(f->dir, "vendor-ca.pem", NULL);
	{
		const gchar *a1[] = {"openssl",
				     "ecparam",
				     "-genkey",
				     "-name",
				     "prime256v1",
				     "-noout",
				     "-out",
				     f->ca_key,
				     NULL};
		const gchar *a2[] = {"openssl",
				     "req",
				     "-x509",
				     "-new",
				     "-key",
				     f->ca_key,
				     "-subj",
				     "/CN=NuSEC Test Vendor CA/O=Test Silicon",
				     "-days",
				     "3650",
				     "-out",
				     f->ca_cert,
				     NULL};
		run(NULL, NULL, a1);
		run(NULL, NULL, a2);
	}
}

static void
fixture_clear(Fixture *f)
{
	const gchar *argv[] = {"rm", "-rf", f->dir, NULL};
	if (g_getenv("TARGET_TEST_KEEP") == NULL)
		run(NULL, NULL, argv);
	g_free(f->dir);
	g_free(f->ca_key);
	g_free(f->ca_cert);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fixture, fixture_clear)

/* ------------------------------------------------------------------------------------------ */
/* one simulated chip */

typedef struct {
	const Fixture *f;
	gchar *state;
	gchar *sock;
	GSubprocess *proc;
	int fd;
	gchar *chip;
	gchar *stderr_text;
} Sim;

static void
sim_disconnect(Sim *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void
sim_init(Sim *s, const Fixture *f, const gchar *name)
{
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->fd = -1;
	s->state = g_build_filename(f->dir, name, NULL);
	s->sock = g_strdup_printf("%s/%s.sock", f->dir, name);
}

/* a simulator never outlives a test that aborts */
static void
sim_child_setup(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* starts the process; TRUE once it printed its ready line, FALSE if it exited first */
static gboolean
sim_start_full(Sim *s, const gchar *crash, const gchar *const *extra)
{
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;

	g_assert_null(s->proc);
	g_subprocess_launcher_set_child_setup(l, sim_child_setup, NULL, NULL);
	if (crash != NULL)
		g_subprocess_launcher_setenv(l, "NUSEC_TARGET_SIM_CRASH", crash, TRUE);
	else
		g_subprocess_launcher_unsetenv(l, "NUSEC_TARGET_SIM_CRASH");
	g_ptr_array_add(argv, (gpointer)TARGET_SIM);
	g_ptr_array_add(argv, (gpointer) "--socket");
	g_ptr_array_add(argv, s->sock);
	g_ptr_array_add(argv, (gpointer) "--state-dir");
	g_ptr_array_add(argv, s->state);
	g_ptr_array_add(argv, (gpointer) "--vendor-ca-key");
	g_ptr_array_add(argv, s->f->ca_key);
	g_ptr_array_add(argv, (gpointer) "--vendor-ca-cert");
	g_ptr_array_add(argv, s->f->ca_cert);
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)extra[i]);
	g_ptr_array_add(argv, NULL);
	s->proc = g_subprocess_launcher_spawnv(l, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(s->proc));
	line = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	if (line == NULL)
		return FALSE;
	g_assert_true(g_str_has_prefix(line, "target-sim: chip "));
	g_free(s->chip);
	s->chip = g_strndup(line + strlen("target-sim: chip "), 32);
	return TRUE;
}

static void
sim_start(Sim *s, const gchar *crash)
{
	if (!sim_start_full(s, crash, NULL))
		g_error("target-sim did not start");
}

static void
sim_connect(Sim *s)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	sim_disconnect(s);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(s->fd, >=, 0);
	g_strlcpy(addr.sun_path, s->sock, sizeof(addr.sun_path));
	g_assert_cmpint(connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
}

/* waits for the process; returns the signal that killed it, or 0 */
static int
sim_wait(Sim *s, int *exit_status)
{
	g_autoptr(GError) error = NULL;
	int sig = 0;
	GInputStream *err;
	gchar buf[4096];
	gssize n;

	sim_disconnect(s);
	g_assert_true(g_subprocess_wait(s->proc, NULL, &error));
	if (g_subprocess_get_if_signaled(s->proc))
		sig = g_subprocess_get_term_sig(s->proc);
	else if (exit_status != NULL)
		*exit_status = g_subprocess_get_exit_status(s->proc);
	err = g_subprocess_get_stderr_pipe(s->proc);
	n = g_input_stream_read(err, buf, sizeof(buf) - 1, NULL, NULL);
	g_free(s->stderr_text);
	s->stderr_text = g_strndup(buf, n > 0 ? (gsize)n : 0);
	g_clear_object(&s->proc);
	return sig;
}

static void
sim_kill9(Sim *s)
{
	g_subprocess_send_signal(s->proc, SIGKILL);
	g_assert_cmpint(sim_wait(s, NULL), ==, SIGKILL);
}

static void
sim_stop(Sim *s)
{
	int st = -1;
	g_subprocess_send_signal(s->proc, SIGTERM);
	g_assert_cmpint(sim_wait(s, &st), ==, 0);
	g_assert_cmpint(st, ==, 0);
}

static void
sim_clear(Sim *s)
{
	if (s->proc != NULL)
		sim_kill9(s);
	sim_disconnect(s);
	g_free(s->state);
	g_free(s->sock);
	g_free(s->chip);
	g_free(s->stderr_text);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Sim, sim_clear)

static gboolean
read_all(int fd, guint8 *buf, gsize len)
{
	gsize got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		got += (gsize)n;
	}
	return TRUE;
}

static gboolean
write_all(int fd, const guint8 *buf, gsize len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* reads one response frame; FALSE when the connection closed first */
static gboolean
read_response(Sim *s, guint8 cmd, TtResponse *r)
{
	guint8 buf[FWC_LINK_MAX_FRAME];
	fwc_link_frame f;
	gsize flen = 0;

	if (!read_all(s->fd, buf, FWC_LINK_HEADER_SIZE))
		return FALSE;
	g_assert_cmpint(fwc_link_header_parse(buf, FWC_LINK_HEADER_SIZE, &f, &flen), ==, 0);
	if (!read_all(s->fd, buf + FWC_LINK_HEADER_SIZE, flen - FWC_LINK_HEADER_SIZE))
		return FALSE;
	tt_decode_response(buf, flen, cmd, r);
	return TRUE;
}

static int
sock_send(void *user, const uint8_t *buf, size_t len)
{
	Sim *s = user;
	return write_all(s->fd, buf, len) ? 0 : -1;
}

static int
sock_recv(void *user, uint8_t *buf, size_t len)
{
	Sim *s = user;
	return read_all(s->fd, buf, len) ? 0 : -1;
}

/* one exchange through the programmer-side client (fwc_tlink_xfer) over the socket;
 * -1 when the chip died (connection closed without an answer) */
static int
sim_xfer(Sim *s, guint8 cmd, const void *payload, gsize len, GBytes **out)
{
	static guint8 scratch[FWC_LINK_MAX_FRAME];
	fwc_tlink_client client = {.send = sock_send,
				   .recv = sock_recv,
				   .user = s,
				   .buf = scratch,
				   .buf_len = sizeof(scratch)};
	const uint8_t *p = NULL;
	size_t plen = 0;
	uint16_t status = 0;
	int link = 0;
	int rc;

	if (s->fd < 0)
		sim_connect(s);
	rc = fwc_tlink_xfer(&client, cmd, payload, len, &status, &p, &plen, &link);
	if (rc == FWC_TLINK_XFER_ERR_SEND || rc == FWC_TLINK_XFER_ERR_RECV)
		return -1;
	if (rc != FWC_TLINK_XFER_OK)
		g_error("exchange %s failed: %d (%s)",
			fwc_tlink_cmd_name(cmd),
			rc,
			fwc_link_status_name(link));
	if (out != NULL)
		*out = g_bytes_new(p, plen);
	return status;
}

#define assert_status(got, want)                                                                   \
	do {                                                                                       \
		int _g = (got), _w = (want);                                                       \
		if (_g != _w)                                                                      \
			g_error("%s:%d: got %s, expected %s",                                      \
				__FILE__,                                                          \
				__LINE__,                                                          \
				_g < 0 ? "(no answer)" : fwc_tlink_status_name(_g),                \
				_w < 0 ? "(no answer)" : fwc_tlink_status_name(_w));               \
	} while (0)

static void
sim_info(Sim *s, fwc_tlink_info *info)
{
	g_autoptr(GBytes) out = NULL;
	assert_status(sim_xfer(s, FWC_TLINK_CMD_GET_INFO, NULL, 0, &out), FWC_TLINK_OK);
	g_assert_cmpint(
	    fwc_tlink_info_decode(g_bytes_get_data(out, NULL), g_bytes_get_size(out), info),
	    ==,
	    FWC_TLINK_OK);
}

static int
sim_range(Sim *s, guint8 cmd, guint32 off, guint32 len, GBytes **out)
{
	guint8 p[8];
	fwc_link_put_u32(p, off);
	fwc_link_put_u32(p + 4, len);
	return sim_xfer(s, cmd, p, 8, out);
}

static int
sim_flash_write(Sim *s, guint32 off, const guint8 *data, gsize len)
{
	g_autofree guint8 *p = g_malloc(4 + len);
	fwc_link_put_u32(p, off);
	memcpy(p + 4, data, len);
	return sim_xfer(s, FWC_TLINK_CMD_FLASH_WRITE, p, 4 + len, NULL);
}

static void
sim_program(Sim *s, GBytes *image)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(image, &len);
	g_autoptr(GBytes) hash = NULL;
	guint8 want[32];
	fwc_tlink_info info;
	guint32 erase;

	sim_info(s, &info);
	erase = (guint32)((len + info.flash_page_size - 1) / info.flash_page_size *
			  info.flash_page_size);
	assert_status(sim_range(s, FWC_TLINK_CMD_FLASH_ERASE, 0, erase, NULL), FWC_TLINK_OK);
	for (gsize off = 0; off < len; off += FWC_TLINK_FLASH_CHUNK)
		assert_status(sim_flash_write(s,
					      (guint32)off,
					      data + off,
					      MIN(FWC_TLINK_FLASH_CHUNK, len - off)),
			      FWC_TLINK_OK);
	assert_status(sim_range(s, FWC_TLINK_CMD_FLASH_HASH, 0, (guint32)len, &hash), FWC_TLINK_OK);
	g_assert_cmpint(fwc_sha256(data, len, want), ==, 0);
	g_assert_cmpmem(g_bytes_get_data(hash, NULL), g_bytes_get_size(hash), want, 32);
}

static int
sim_boot(Sim *s, fwc_tlink_boot_result *br)
{
	g_autoptr(GBytes) out = NULL;
	int st = sim_xfer(s, FWC_TLINK_CMD_BOOT, NULL, 0, &out);
	if (st < 0)
		return st;
	g_assert_cmpint(
	    fwc_tlink_boot_result_decode(g_bytes_get_data(out, NULL), g_bytes_get_size(out), br),
	    ==,
	    FWC_TLINK_OK);
	if (st != FWC_TLINK_OK)
		fprintf(stderr,
			"BOOT: %s, image %s\n",
			fwc_tlink_status_name(st),
			fwc_image_status_name(br->image_status));
	return st;
}

/* ------------------------------------------------------------------------------------------ */
/* keys and images made outside the firmware */

static gchar *
write_file(const Fixture *f, const gchar *name, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(f->dir, name, NULL);
	g_assert_true(g_file_set_contents(path, (const gchar *)data, len, &error));
	return path;
}

static gchar *
make_key(const Fixture *f, const gchar *name)
{
	gchar *path = g_build_filename(f->dir, name, NULL);
	const gchar *argv[] = {"openssl",
			       "genpkey",
			       "-algorithm",
			       "EC",
			       "-pkeyopt",
			       "ec_paramgen_curve:P-256",
			       "-out",
			       path,
			       NULL};
	run(NULL, NULL, argv);
	return path;
}

/* SHA-256 of the key's DER SubjectPublicKeyInfo, with openssl and GLib */
static void
key_hash(const Fixture *f, const gchar *key, guint8 out[32])
{
	g_autofree gchar *der_path = g_build_filename(f->dir, "pub.der", NULL);
	g_autofree gchar *der = NULL;
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GError) error = NULL;
	const gchar *argv[] =
	    {"openssl", "pkey", "-in", key, "-pubout", "-outform", "DER", "-out", der_path, NULL};
	gsize len = 0, dlen = 32;

	run(NULL, NULL, argv);
	g_assert_true(g_file_get_contents(der_path, &der, &len, &error));
	g_assert_cmpuint(len, ==, FWC_P256_SPKI_LEN);
	g_checksum_update(ck, (const guint8 *)der, len);
	g_checksum_get_digest(ck, out, &dlen);
}

/* `nusec image sign` */
static GBytes *
cli_sign(const Fixture *f,
	 const gchar *key,
	 const gchar *version,
	 const gchar *counter,
	 gsize body_len)
{
	const gchar *cli = g_getenv("NUSEC_CLI");
	g_autofree guint8 *body = g_malloc(body_len);
	g_autofree gchar *body_path = NULL;
	g_autofree gchar *img_path = g_build_filename(f->dir, "app.img", NULL);
	g_autofree gchar *img = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	g_assert_nonnull(cli);
	for (gsize i = 0; i < body_len; i++)
		body[i] = (guint8)g_random_int();
	body_path = write_file(f, "body.bin", body, body_len);
	{
		const gchar *argv[] = {cli,
				       "image",
				       "sign",
				       "--key",
				       key,
				       "--version",
				       version,
				       "--security-counter",
				       counter,
				       "--pubkey-mode",
				       "full",
				       body_path,
				       img_path,
				       NULL};
		run(NULL, NULL, argv);
	}
	g_assert_true(g_file_get_contents(img_path, &img, &len, &error));
	return g_bytes_new(img, len);
}

/* SHA-256 of header + body + protected area, from the header fields */
static void
image_hash(GBytes *img, guint8 out[32])
{
	const guint8 *d = g_bytes_get_data(img, NULL);
	gsize signed_len =
	    fwc_link_get_u16(d + 8) + fwc_link_get_u32(d + 12) + fwc_link_get_u16(d + 10);
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	gsize dlen = 32;
	g_checksum_update(ck, d, signed_len);
	g_checksum_get_digest(ck, out, &dlen);
}

static GBytes *
flip(GBytes *b, gsize off)
{
	gsize len = g_bytes_get_size(b);
	guint8 *d = g_memdup2(g_bytes_get_data(b, NULL), len);
	d[off] ^= 0x01;
	return g_bytes_new_take(d, len);
}

/* ------------------------------------------------------------------------------------------ */

typedef struct {
	EVP_PKEY *device_ca;
	GBytes *device_ca_cert;
	GBytes *leaf;
	guint8 pub[FWC_P256_POINT_LEN];
} Identity;

static void
identity_clear(Identity *id)
{
	g_clear_pointer(&id->device_ca, EVP_PKEY_free);
	g_clear_pointer(&id->device_ca_cert, g_bytes_unref);
	g_clear_pointer(&id->leaf, g_bytes_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Identity, identity_clear)

/* GEN_KEY, GET_CSR checked by `openssl req -verify`, certificate chain written */
static void
sim_identity(Sim *s, Identity *id)
{
	g_autoptr(GBytes) key = NULL;
	g_autoptr(GBytes) csr = NULL;
	g_autoptr(GBytes) chain = NULL;
	g_autoptr(EVP_PKEY) chip_key = NULL;
	g_autofree gchar *csr_path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *cn = NULL;
	guint8 point[FWC_P256_POINT_LEN];
	gint st = -1;

	assert_status(sim_xfer(s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
	memcpy(id->pub, g_bytes_get_data(key, NULL), FWC_P256_POINT_LEN);
	assert_status(sim_xfer(s, FWC_TLINK_CMD_GET_CSR, NULL, 0, &csr), FWC_TLINK_OK);
	csr_path = write_file(s->f, "chip.csr", g_bytes_get_data(csr, NULL), g_bytes_get_size(csr));
	{
		const gchar *argv[] = {"openssl",
				       "req",
				       "-inform",
				       "DER",
				       "-in",
				       csr_path,
				       "-verify",
				       "-noout",
				       "-subject",
				       NULL};
		run(&out, &st, argv);
		g_assert_cmpint(st, ==, 0);
		g_assert_nonnull(strstr(out, "verify OK"));
		g_assert_nonnull(strstr(out, s->chip));
	}
	tt_check_csr(g_bytes_get_data(csr, NULL), g_bytes_get_size(csr), &cn, point);
	g_assert_cmpstr(cn, ==, s->chip);
	g_assert_cmpmem(point, sizeof(point), id->pub, sizeof(id->pub));
	/* a tampered CSR does not verify */
	{
		g_autoptr(GBytes) bad = flip(csr, 40);
		g_autofree gchar *bad_path =
		    write_file(s->f, "bad.csr", g_bytes_get_data(bad, NULL), g_bytes_get_size(bad));
		g_autofree gchar *o2 = NULL;
		const gchar *argv[] = {"openssl",
				       "req",
				       "-inform",
				       "DER",
				       "-in",
				       bad_path,
				       "-verify",
				       "-noout",
				       NULL};
		/* OpenSSL 3.0 exits 0 even then: read what it says */
		run(&o2, &st, argv);
		g_assert_null(strstr(o2, "verify OK"));
		g_assert_nonnull(strstr(o2, "verify failure"));
	}
	id->device_ca = tt_random_key();
	id->device_ca_cert = tt_make_cert(id->device_ca, id->device_ca, "Test CA");
	chip_key = tt_point_to_pkey(id->pub);
	id->leaf = tt_make_cert(chip_key, id->device_ca, s->chip);
	{
		GBytes *certs[] = {id->leaf, id->device_ca_cert};
		chain = tt_chain_payload(certs, 2);
	}
	assert_status(sim_xfer(s,
			       FWC_TLINK_CMD_WRITE_CERT,
			       g_bytes_get_data(chain, NULL),
			       g_bytes_get_size(chain),
			       NULL),
		      FWC_TLINK_OK);
}

static void
check_attestation(Sim *s)
{
	g_autoptr(GBytes) out = NULL;
	g_autofree gchar *cert_path = NULL;
	g_autofree gchar *pem_path = g_build_filename(s->f->dir, "attest.pem", NULL);
	g_autofree gchar *text = NULL;
	g_autoptr(X509) cert = NULL;
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 nonce[32], digest[32], chip_id[16];
	const guint8 *d, *p;
	gsize len = 0, dlen = 32;
	gint st = -1;
	char cn[64];

	for (guint i = 0; i < sizeof(nonce); i++)
		nonce[i] = (guint8)g_random_int();
	assert_status(sim_xfer(s, FWC_TLINK_CMD_ATTEST, nonce, sizeof(nonce), &out), FWC_TLINK_OK);
	d = g_bytes_get_data(out, &len);
	g_assert_cmpuint(len, >, 64);
	cert_path = write_file(s->f, "attest.der", d + 64, len - 64);
	{
		const gchar *a1[] =
		    {"openssl", "x509", "-inform", "DER", "-in", cert_path, "-out", pem_path, NULL};
		const gchar *a2[] = {"openssl", "verify", "-CAfile", s->f->ca_cert, pem_path, NULL};
		run(NULL, NULL, a1);
		run(&text, &st, a2);
		g_assert_cmpint(st, ==, 0);
	}
	p = d + 64;
	cert = d2i_X509(NULL, &p, (long)(len - 64));
	g_assert_nonnull(cert);
	g_assert_cmpint(
	    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)),
	    >,
	    0);
	g_assert_cmpstr(cn, ==, s->chip);
	for (guint i = 0; i < 16; i++)
		chip_id[i] =
		    (guint8)g_ascii_strtoull((gchar[]){s->chip[2 * i], s->chip[2 * i + 1], 0},
					     NULL,
					     16);
	g_checksum_update(ck, (const guint8 *)FWC_TLINK_ATTEST_CONTEXT, 22);
	g_checksum_update(ck, chip_id, 16);
	g_checksum_update(ck, nonce, 32);
	g_checksum_get_digest(ck, digest, &dlen);
	g_assert_true(tt_verify_digest(X509_get0_pubkey(cert), digest, d));
	digest[0] ^= 1;
	g_assert_false(tt_verify_digest(X509_get0_pubkey(cert), digest, d));
}

/* ATTEST_KEY checked against the attestation certificate ATTEST returned (attest.der) */
static void
check_key_attestation(Sim *s, const guint8 pub[FWC_P256_POINT_LEN])
{
	g_autoptr(GBytes) out = NULL;
	g_autofree gchar *der = NULL;
	g_autofree gchar *path = g_build_filename(s->f->dir, "attest.der", NULL);
	g_autoptr(X509) cert = NULL;
	guint8 nonce[32], chip_id[16], digest[32];
	const unsigned char *p;
	const guint8 *d;
	gsize len = 0;

	for (guint i = 0; i < sizeof(nonce); i++)
		nonce[i] = (guint8)g_random_int();
	for (guint i = 0; i < 16; i++)
		chip_id[i] =
		    (guint8)g_ascii_strtoull((gchar[]){s->chip[2 * i], s->chip[2 * i + 1], 0},
					     NULL,
					     16);
	assert_status(sim_xfer(s, FWC_TLINK_CMD_ATTEST_KEY, nonce, sizeof(nonce), &out),
		      FWC_TLINK_OK);
	d = g_bytes_get_data(out, &len);
	g_assert_cmpuint(len, ==, 65 + 64);
	g_assert_cmpmem(d, 65, pub, 65);
	g_assert_true(g_file_get_contents(path, &der, &len, NULL));
	p = (const unsigned char *)der;
	cert = d2i_X509(NULL, &p, (long)len);
	g_assert_nonnull(cert);
	g_assert_cmpint(fwc_tlink_attest_key_digest(chip_id, nonce, pub, digest), ==, 0);
	g_assert_true(tt_verify_digest(X509_get0_pubkey(cert), digest, d + 65));
}

/* the receipt verified with the station-side COSE verifier (OpenSSL) against the CSR key */
static void
check_receipt(Sim *s,
	      const Identity *id,
	      const guint8 *want_image_hash,
	      guint want_lifecycle,
	      guint want_boot_state,
	      guint want_image_status)
{
	g_autoptr(GBytes) receipt = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GError) error = NULL;
	guint8 spki_buf[FWC_P256_SPKI_LEN];
	guint8 cert_hash[32];
	guint8 nonce[16];
	fwc_cbor_reader r;
	size_t pairs = 0;
	guint64 key, v;
	const uint8_t *b;
	size_t blen;

	for (guint i = 0; i < sizeof(nonce); i++)
		nonce[i] = (guint8)g_random_int();
	assert_status(sim_xfer(s, FWC_TLINK_CMD_GET_RECEIPT, nonce, sizeof(nonce), &receipt),
		      FWC_TLINK_OK);
	fwc_p256_point_to_spki(id->pub, spki_buf);
	spki = g_bytes_new(spki_buf, sizeof(spki_buf));
	g_assert_true(nusec_cose_sign1_verify(receipt, spki, NULL, &payload, &error));
	g_assert_no_error(error);
	/* a flipped signature byte fails */
	{
		g_autoptr(GBytes) bad = flip(receipt, g_bytes_get_size(receipt) - 5);
		g_autoptr(GError) e2 = NULL;
		g_assert_false(nusec_cose_sign1_verify(bad, spki, NULL, NULL, &e2));
		g_assert_error(e2, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	}
	g_assert_cmpint(
	    fwc_sha256(g_bytes_get_data(id->leaf, NULL), g_bytes_get_size(id->leaf), cert_hash),
	    ==,
	    0);
	fwc_cbor_reader_init(&r, g_bytes_get_data(payload, NULL), g_bytes_get_size(payload), 0);
	g_assert_cmpint(fwc_cbor_read_map(&r, &pairs), ==, 0);
	g_assert_cmpuint(pairs, ==, 9);
	/* 1 chip ID */
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
	{
		g_autofree gchar *hex = tt_hex(b, blen);
		g_assert_cmpstr(hex, ==, s->chip);
	}
	/* 2 certificate hash */
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpuint(key, ==, 2);
	g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
	g_assert_cmpmem(b, blen, cert_hash, 32);
	/* 3 image hash */
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpuint(key, ==, 3);
	if (want_image_hash != NULL) {
		g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
		g_assert_cmpmem(b, blen, want_image_hash, 32);
	} else {
		g_assert_cmpint(fwc_cbor_read_null(&r), ==, 0);
	}
	/* 4 lifecycle, 5 boot state, 6 boot status, 7 image status, 8 counter */
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
	g_assert_cmpuint(v, ==, want_lifecycle);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
	g_assert_cmpuint(v, ==, want_boot_state);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
	g_assert_cmpuint(v, ==, want_image_status);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
	/* 9 nonce */
	g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
	g_assert_cmpuint(key, ==, 9);
	g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
	g_assert_cmpmem(b, blen, nonce, sizeof(nonce));
	g_assert_cmpint(fwc_cbor_read_end(&r), ==, 0);
}

/* ------------------------------------------------------------------------------------------ */

/* the "done when": a fresh chip through the whole provisioning sequence */
static void
test_sim_e2e(void)
{
	g_auto(Fixture) f = {0};
	g_auto(Sim) s = {0};
	g_auto(Identity) id = {0};
	g_autofree gchar *boot_key = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) tampered = NULL;
	g_autoptr(GBytes) older = NULL;
	guint8 rot[32], ihash[32];
	guint8 lc;
	fwc_tlink_info info;
	fwc_tlink_boot_result br;

	fixture_init(&f);
	sim_init(&s, &f, "chip");
	sim_start(&s, NULL);
	sim_info(&s, &info);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_OPEN);
	g_assert_cmpuint(info.key_flags, ==, FWC_TLINK_KEY_ATTEST);
	g_assert_cmpuint(info.flash_size, ==, 1024 * 1024);
	{
		g_autofree gchar *hex = tt_hex(info.chip_id, 16);
		g_assert_cmpstr(hex, ==, s.chip);
	}
	/* 1. the chip is genuine */
	check_attestation(&s);
	/* 2. root of trust: the boot key's hash */
	boot_key = make_key(&f, "boot.pem");
	key_hash(&f, boot_key, rot);
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_WRITE_ROT, rot, 32, NULL), FWC_TLINK_OK);
	/* 3. key, CSR, certificate */
	sim_identity(&s, &id);
	/* the CSR's key was made inside this genuine chip */
	check_key_attestation(&s, id.pub);
	lc = FWC_TLINK_LC_PROVISIONED;
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1, NULL), FWC_TLINK_OK);
	/* 4. firmware signed by `nusec image sign`; a tampered copy is refused */
	image = cli_sign(&f, boot_key, "1.2.3", "5", 20000);
	image_hash(image, ihash);
	tampered = flip(image, 0x20 + 1000);
	sim_program(&s, tampered);
	assert_status(sim_boot(&s, &br), FWC_TLINK_ERR_BOOT_REJECTED);
	g_assert_cmpuint(br.image_status, ==, FWC_IMAGE_ERR_HASH_MISMATCH);
	g_assert_cmpuint(br.boot_state, ==, FWC_TLINK_BOOT_REJECTED);
	sim_program(&s, image);
	/* 5. lock, reset (a new process: power cycle), boot */
	lc = FWC_TLINK_LC_LOCKED;
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1, NULL), FWC_TLINK_OK);
	sim_stop(&s);
	sim_start(&s, NULL);
	sim_info(&s, &info);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_LOCKED);
	g_assert_cmpuint(info.debug, ==, 0);
	g_assert_cmpuint(info.boot_state, ==, FWC_TLINK_BOOT_NONE);
	assert_status(sim_boot(&s, &br), FWC_TLINK_OK);
	g_assert_cmpuint(br.boot_state, ==, FWC_TLINK_BOOT_ACCEPTED);
	g_assert_cmpmem(br.image_hash, 32, ihash, 32);
	g_assert_cmpuint(br.image_counter, ==, 5);
	g_assert_cmpuint(br.security_counter, ==, 5);
	g_assert_cmpuint(br.version[0], ==, 1);
	g_assert_cmpuint(br.version[1], ==, 2);
	/* 6. the birth receipt verifies */
	check_receipt(&s, &id, ihash, FWC_TLINK_LC_LOCKED, FWC_TLINK_BOOT_ACCEPTED, FWC_IMAGE_OK);
	/* LOCKED: no writes, no debug */
	assert_status(sim_flash_write(&s, 0x80000, rot, 4), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(sim_range(&s, FWC_TLINK_CMD_FLASH_READ, 0, 16, NULL),
		      FWC_TLINK_ERR_DEBUG_LOCKED);
	assert_status(sim_range(&s, FWC_TLINK_CMD_FLASH_HASH, 0, 1, NULL),
		      FWC_TLINK_ERR_DEBUG_LOCKED);
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_LIFECYCLE);
	/* someone edits the flash behind the chip's back: it refuses to boot it */
	sim_stop(&s);
	{
		g_autofree gchar *page = g_build_filename(s.state, "flash", "page-00000.bin", NULL);
		g_autofree gchar *data = NULL;
		g_autoptr(GError) error = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(page, &data, &len, &error));
		data[0x20 + 7] ^= 0x40;
		g_assert_true(g_file_set_contents(page, data, len, &error));
	}
	sim_start(&s, NULL);
	assert_status(sim_boot(&s, &br), FWC_TLINK_ERR_BOOT_REJECTED);
	g_assert_cmpuint(br.image_status, ==, FWC_IMAGE_ERR_HASH_MISMATCH);
	check_receipt(&s,
		      &id,
		      NULL,
		      FWC_TLINK_LC_LOCKED,
		      FWC_TLINK_BOOT_REJECTED,
		      FWC_IMAGE_ERR_HASH_MISMATCH);
	(void)older;
}

/* a chip keeps its identity across restarts; a new directory is a new chip */
static void
test_sim_restart(void)
{
	g_auto(Fixture) f = {0};
	g_auto(Sim) s = {0};
	g_auto(Sim) t = {0};
	g_autoptr(GBytes) key1 = NULL;
	g_autoptr(GBytes) csr = NULL;
	g_autofree gchar *chip = NULL;
	g_autofree gchar *cn = NULL;
	guint8 point[FWC_P256_POINT_LEN];
	gint st = -1;

	fixture_init(&f);
	sim_init(&s, &f, "a");
	sim_start(&s, NULL);
	chip = g_strdup(s.chip);
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key1), FWC_TLINK_OK);
	sim_kill9(&s);
	sim_start(&s, NULL);
	g_assert_cmpstr(s.chip, ==, chip);
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_KEY_EXISTS);
	assert_status(sim_xfer(&s, FWC_TLINK_CMD_GET_CSR, NULL, 0, &csr), FWC_TLINK_OK);
	tt_check_csr(g_bytes_get_data(csr, NULL), g_bytes_get_size(csr), &cn, point);
	g_assert_cmpmem(point, sizeof(point), g_bytes_get_data(key1, NULL), 65);
	check_attestation(&s);
	sim_stop(&s);
	/* no private key material in clear in the state directory: the sealed blobs are
	 * 68 bytes, the only other files are public */
	{
		g_autofree gchar *blob = NULL;
		g_autofree gchar *p = g_build_filename(s.state, "store-3.bin", NULL);
		gsize len = 0;
		g_assert_true(g_file_get_contents(p, &blob, &len, NULL));
		g_assert_cmpuint(len, ==, 68);
		g_assert_cmpmem(blob, 4, "NSB1", 4);
	}
	/* nothing was written into the current directory (no PSA ITS files) */
	g_assert_false(g_file_test("00000000000000000000000000000001.psa_its", G_FILE_TEST_EXISTS));

	sim_init(&t, &f, "b");
	sim_start(&t, NULL);
	g_assert_cmpstr(t.chip, !=, chip);
	sim_stop(&t);

	/* a fresh chip without the vendor CA cannot be made */
	{
		g_autofree gchar *dir = g_build_filename(f.dir, "c", NULL);
		g_autofree gchar *sock = g_build_filename(f.dir, "c.sock", NULL);
		g_autofree gchar *out = NULL;
		const gchar *argv[] = {TARGET_SIM, "--socket", sock, "--state-dir", dir, NULL};
		run(&out, &st, argv);
		g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
		g_assert_nonnull(strstr(out, "--vendor-ca-key"));
	}
	/* a CA key that does not match the CA certificate */
	{
		g_autofree gchar *dir = g_build_filename(f.dir, "d", NULL);
		g_autofree gchar *sock = g_build_filename(f.dir, "d.sock", NULL);
		g_autofree gchar *other = make_key(&f, "other.pem");
		g_autofree gchar *out = NULL;
		const gchar *argv[] = {TARGET_SIM,
				       "--socket",
				       sock,
				       "--state-dir",
				       dir,
				       "--vendor-ca-key",
				       other,
				       "--vendor-ca-cert",
				       f.ca_cert,
				       NULL};
		run(&out, &st, argv);
		g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
		g_assert_nonnull(strstr(out, "does not match"));
	}
	/* another geometry for an existing chip */
	{
		g_autofree gchar *out = NULL;
		const gchar *argv[] = {TARGET_SIM,
				       "--socket",
				       s.sock,
				       "--state-dir",
				       s.state,
				       "--flash-size",
				       "64K",
				       NULL};
		run(&out, &st, argv);
		g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
		g_assert_nonnull(strstr(out, "geometry"));
	}
	/* bad options */
	{
		g_autofree gchar *out = NULL;
		const gchar *argv[] = {TARGET_SIM,
				       "--socket",
				       s.sock,
				       "--state-dir",
				       s.state,
				       "--flash-speed",
				       "fast",
				       NULL};
		run(&out, &st, argv);
		g_assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	}
}

static void
test_sim_options(void)
{
	g_auto(Fixture) f = {0};
	g_auto(Sim) s = {0};
	const gchar *extra[] =
	    {"--flash-size", "64K", "--page-size", "1024", "--flash-speed", "32K", NULL};
	guint8 data[4096];
	fwc_tlink_info info;
	gint64 t0;

	fixture_init(&f);
	sim_init(&s, &f, "chip");
	g_assert_true(sim_start_full(&s, NULL, extra));
	sim_info(&s, &info);
	g_assert_cmpuint(info.flash_size, ==, 65536);
	g_assert_cmpuint(info.flash_page_size, ==, 1024);
	memset(data, 0xa5, sizeof(data));
	/* 4 KiB = 4 pages at 32 KiB/s: at least 125 ms */
	t0 = g_get_monotonic_time();
	assert_status(sim_flash_write(&s, 0, data, 2048), FWC_TLINK_OK);
	assert_status(sim_flash_write(&s, 2048, data, 2048), FWC_TLINK_OK);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 120000);
	assert_status(sim_range(&s, FWC_TLINK_CMD_FLASH_ERASE, 0, 65536 + 1024, NULL),
		      FWC_TLINK_ERR_FLASH_RANGE);
	sim_stop(&s);
	/* stored geometry is used when none is given */
	sim_start(&s, NULL);
	sim_info(&s, &info);
	g_assert_cmpuint(info.flash_size, ==, 65536);
}

/* malformed frames answered with an error frame; clients that misbehave do not hurt */
static void
test_sim_malformed(void)
{
	g_auto(Fixture) f = {0};
	g_auto(Sim) s = {0};
	const gchar *extra[] = {"--frame-timeout-ms", "300", NULL};
	g_autoptr(GBytes) good = tt_request(FWC_TLINK_CMD_GET_INFO, NULL, 0);
	g_auto(TtResponse) r = {0};
	fwc_tlink_info info;
	guint8 buf[64];
	gsize len = g_bytes_get_size(good);

	fixture_init(&f);
	sim_init(&s, &f, "chip");
	g_assert_true(sim_start_full(&s, NULL, extra));

	/* bad CRC: an error frame, and the connection goes on */
	memcpy(buf, g_bytes_get_data(good, NULL), len);
	buf[len - 1] ^= 0xff;
	sim_connect(&s);
	g_assert_true(write_all(s.fd, buf, len));
	g_assert_true(read_response(&s, FWC_TLINK_CMD_GET_INFO, &r));
	assert_status(r.status, FWC_TLINK_ERR_BAD_FRAME);
	g_assert_cmpuint(fwc_link_get_u16(g_bytes_get_data(r.payload, NULL)),
			 ==,
			 FWC_LINK_ERR_BAD_CRC);
	tt_response_clear(&r);
	sim_info(&s, &info);

	/* bad magic: an error frame at once, then the chip hangs up */
	g_assert_true(write_all(s.fd, (const guint8 *)"GET", 3));
	g_assert_true(read_response(&s, 0x7f, &r));
	assert_status(r.status, FWC_TLINK_ERR_BAD_FRAME);
	g_assert_cmpuint(fwc_link_get_u16(g_bytes_get_data(r.payload, NULL)),
			 ==,
			 FWC_LINK_ERR_BAD_MAGIC);
	tt_response_clear(&r);
	g_assert_cmpint(read(s.fd, buf, 1), ==, 0);

	/* too long a payload */
	sim_connect(&s);
	memcpy(buf, g_bytes_get_data(good, NULL), 8);
	fwc_link_put_u16(buf + 6, 0xffff);
	g_assert_true(write_all(s.fd, buf, 8));
	g_assert_true(read_response(&s, 0x7f, &r));
	g_assert_cmpuint(fwc_link_get_u16(g_bytes_get_data(r.payload, NULL)),
			 ==,
			 FWC_LINK_ERR_TOO_LONG);
	tt_response_clear(&r);

	/* a client that leaves in the middle of a frame, or right after a command */
	sim_connect(&s);
	g_assert_true(write_all(s.fd, g_bytes_get_data(good, NULL), 5));
	sim_disconnect(&s);
	{
		guint8 key_req[16];
		g_autoptr(GBytes) gen = tt_request(FWC_TLINK_CMD_GEN_KEY, NULL, 0);
		memcpy(key_req, g_bytes_get_data(gen, NULL), g_bytes_get_size(gen));
		sim_connect(&s);
		g_assert_true(write_all(s.fd, key_req, g_bytes_get_size(gen)));
		sim_disconnect(&s);
	}
	/* a client that stalls inside a frame is dropped after the frame timeout */
	sim_connect(&s);
	g_assert_true(write_all(s.fd, g_bytes_get_data(good, NULL), 9));
	g_assert_cmpint(read(s.fd, buf, 1), ==, 0);
	/* the chip still works, and the GEN_KEY whose answer nobody read happened */
	sim_disconnect(&s);
	sim_info(&s, &info);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, !=, 0);

	/* random garbage, many times, each on its own connection */
	for (guint i = 0; i < 200; i++) {
		guint8 junk[48];
		gsize n = 1 + g_random_int_range(0, sizeof(junk));
		for (gsize k = 0; k < n; k++)
			junk[k] = (guint8)g_random_int();
		if (i % 2 == 0) {
			junk[0] = 'N';
			if (n > 1)
				junk[1] = 'T';
			if (n > 2)
				junk[2] = 1;
		}
		sim_connect(&s);
		g_assert_true(write_all(s.fd, junk, n));
		shutdown(s.fd, SHUT_WR);
		/* whatever comes back is whole frames */
		while (read_response(&s, junk[3 % n] & 0x7f, &r) || FALSE) {
			tt_response_clear(&r);
			break;
		}
		sim_disconnect(&s);
	}
	sim_info(&s, &info);
	sim_stop(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* kill -9 */

typedef struct {
	Fixture f;
	Sim s;
	gchar *boot_key;
	guint8 rot[32];
} Crash;

static void
crash_init(Crash *c)
{
	fixture_init(&c->f);
	sim_init(&c->s, &c->f, "chip");
	sim_start(&c->s, NULL);
	c->boot_key = make_key(&c->f, "boot.pem");
	key_hash(&c->f, c->boot_key, c->rot);
}

static void
crash_clear(Crash *c)
{
	sim_clear(&c->s);
	fixture_clear(&c->f);
	g_free(c->boot_key);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Crash, crash_clear)

/* restarts with a crash point armed, runs the command, expects the chip to die at that point
 * without answering, and restarts it normally */
static void
crash_at(Crash *c, const gchar *point, guint8 cmd, const void *payload, gsize len)
{
	sim_stop(&c->s);
	sim_start(&c->s, point);
	assert_status(sim_xfer(&c->s, cmd, payload, len, NULL), -1);
	g_assert_cmpint(sim_wait(&c->s, NULL), ==, SIGKILL);
	g_assert_nonnull(strstr(c->s.stderr_text, "crash injected"));
	sim_start(&c->s, NULL);
}

static void
test_sim_kill9_write_rot(void)
{
	g_auto(Crash) c = {0};
	fwc_tlink_info info;
	guint8 other[32];

	crash_init(&c);
	memset(other, 0xff, sizeof(other));
	/* before the hash lands: nothing */
	crash_at(&c, "otp:1:tmp", FWC_TLINK_CMD_WRITE_ROT, c.rot, 32);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.otp_flags, ==, 0);
	/* hash programmed, no commit marker: dirty, not set; nothing boots */
	crash_at(&c, "otp:1:done", FWC_TLINK_CMD_WRITE_ROT, c.rot, 32);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.otp_flags, ==, FWC_TLINK_OTP_ROT_DIRTY);
	{
		fwc_tlink_boot_result br;
		assert_status(sim_boot(&c.s, &br), FWC_TLINK_ERR_ROT_NOT_SET);
	}
	/* a different value whose bits conflict is refused; the same value completes it */
	for (guint i = 0; i < 32; i++)
		other[i] = (guint8)~c.rot[i];
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_WRITE_ROT, other, 32, NULL),
		      FWC_TLINK_ERR_OTP_DIRTY);
	/* the marker's write cut before its rename: still dirty */
	crash_at(&c, "otp:2:tmp", FWC_TLINK_CMD_WRITE_ROT, c.rot, 32);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.otp_flags, ==, FWC_TLINK_OTP_ROT_DIRTY);
	/* the marker written, the answer lost: set */
	crash_at(&c, "otp:2:done", FWC_TLINK_CMD_WRITE_ROT, c.rot, 32);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.otp_flags, ==, FWC_TLINK_OTP_ROT_SET);
	g_assert_cmpmem(info.rot_hash, 32, c.rot, 32);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_WRITE_ROT, c.rot, 32, NULL), FWC_TLINK_OK);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_WRITE_ROT, other, 32, NULL),
		      FWC_TLINK_ERR_ROT_ALREADY_SET);
}

static void
test_sim_kill9_gen_key(void)
{
	g_auto(Crash) c = {0};
	g_autoptr(GBytes) key = NULL;
	fwc_tlink_info info;

	crash_init(&c);
	crash_at(&c, "store:1:tmp", FWC_TLINK_CMD_GEN_KEY, NULL, 0);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, ==, 0);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_GET_CSR, NULL, 0, NULL), FWC_TLINK_ERR_NO_KEY);
	crash_at(&c, "store:1:done", FWC_TLINK_CMD_GEN_KEY, NULL, 0);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, !=, 0);
	/* the key is whole: it signs a CSR that verifies */
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL),
		      FWC_TLINK_ERR_KEY_EXISTS);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_GET_CSR, NULL, 0, &key), FWC_TLINK_OK);
	{
		g_autofree gchar *cn = NULL;
		guint8 point[65];
		tt_check_csr(g_bytes_get_data(key, NULL), g_bytes_get_size(key), &cn, point);
	}
}

static void
test_sim_kill9_write_cert(void)
{
	g_auto(Crash) c = {0};
	g_autoptr(GBytes) key = NULL;
	g_autoptr(GBytes) leaf = NULL;
	g_autoptr(GBytes) chain = NULL;
	g_autoptr(GBytes) back = NULL;
	g_autoptr(EVP_PKEY) ca = tt_random_key();
	g_autoptr(EVP_PKEY) chip_key = NULL;
	fwc_tlink_info info;

	crash_init(&c);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
	chip_key = tt_point_to_pkey(g_bytes_get_data(key, NULL));
	leaf = tt_make_cert(chip_key, ca, c.s.chip);
	chain = tt_chain_payload(&leaf, 1);
	crash_at(&c,
		 "store:1:tmp",
		 FWC_TLINK_CMD_WRITE_CERT,
		 g_bytes_get_data(chain, NULL),
		 g_bytes_get_size(chain));
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_CERT, ==, 0);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_GET_CERT, NULL, 0, NULL), FWC_TLINK_ERR_NO_CERT);
	crash_at(&c,
		 "store:1:done",
		 FWC_TLINK_CMD_WRITE_CERT,
		 g_bytes_get_data(chain, NULL),
		 g_bytes_get_size(chain));
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_GET_CERT, NULL, 0, &back), FWC_TLINK_OK);
	g_assert_true(g_bytes_equal(back, chain));
}

static void
test_sim_kill9_lifecycle(void)
{
	g_auto(Crash) c = {0};
	g_auto(Identity) id = {0};
	fwc_tlink_info info;
	guint8 lc = FWC_TLINK_LC_PROVISIONED;

	crash_init(&c);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_WRITE_ROT, c.rot, 32, NULL), FWC_TLINK_OK);
	sim_identity(&c.s, &id);
	crash_at(&c, "otp:1:tmp", FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_OPEN);
	crash_at(&c, "otp:1:done", FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_PROVISIONED);
	lc = FWC_TLINK_LC_LOCKED;
	crash_at(&c, "otp:1:tmp", FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_PROVISIONED);
	crash_at(&c, "otp:1:done", FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_LOCKED);
	g_assert_cmpuint(info.debug, ==, 0);
}

/* each page old or new (read in chunks FLASH_READ allows) */
static void
check_pages(Sim *s,
	    guint32 page_size,
	    guint npages,
	    const guint8 *old,
	    const guint8 *new_data,
	    guint *n_new)
{
	g_autofree guint8 *page = g_malloc(page_size);

	*n_new = 0;
	for (guint p = 0; p < npages; p++) {
		for (guint32 off = 0; off < page_size; off += FWC_TLINK_FLASH_CHUNK) {
			g_autoptr(GBytes) out = NULL;
			guint32 n = MIN(FWC_TLINK_FLASH_CHUNK, page_size - off);
			assert_status(
			    sim_range(s, FWC_TLINK_CMD_FLASH_READ, p * page_size + off, n, &out),
			    FWC_TLINK_OK);
			memcpy(page + off, g_bytes_get_data(out, NULL), n);
		}
		if (memcmp(page, new_data + p * page_size, page_size) == 0)
			(*n_new)++;
		else if (memcmp(page, old + p * page_size, page_size) != 0)
			g_error("page %u is neither old nor new", p);
	}
}

/* a write across two pages cut between them: the first page new, the second old */
static void
test_sim_kill9_flash(void)
{
	g_auto(Crash) c = {0};
	guint8 req[4 + 2048];
	guint8 erased[8192];
	guint8 new_data[8192];
	guint8 pp[8];
	guint n_new = 0;

	crash_init(&c);
	memset(erased, 0xff, sizeof(erased));
	memcpy(new_data, erased, sizeof(new_data));
	for (guint i = 0; i < 2048; i++)
		new_data[3072 + i] = (guint8)(i * 13 + 1);
	/* default geometry, 4096-byte pages: 2048 bytes at 3072 touch pages 0 and 1 */
	fwc_link_put_u32(req, 3072);
	memcpy(req + 4, new_data + 3072, 2048);
	fwc_link_put_u32(pp, 0);
	fwc_link_put_u32(pp + 4, 8192);
	crash_at(&c, "flash:1:tmp", FWC_TLINK_CMD_FLASH_WRITE, req, sizeof(req));
	check_pages(&c.s, 4096, 2, erased, new_data, &n_new);
	g_assert_cmpuint(n_new, ==, 0);
	crash_at(&c, "flash:2:tmp", FWC_TLINK_CMD_FLASH_WRITE, req, sizeof(req));
	check_pages(&c.s, 4096, 2, erased, new_data, &n_new);
	g_assert_cmpuint(n_new, ==, 1);
	{
		g_autoptr(GBytes) out = NULL;
		assert_status(sim_range(&c.s, FWC_TLINK_CMD_FLASH_READ, 4096, 16, &out),
			      FWC_TLINK_OK);
		g_assert_cmpuint(((const guint8 *)g_bytes_get_data(out, NULL))[0], ==, 0xff);
	}
	/* the programmer's recovery: erase, write again */
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_FLASH_WRITE, req, sizeof(req), NULL),
		      FWC_TLINK_ERR_FLASH_NOT_ERASED);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_FLASH_ERASE, pp, 8, NULL), FWC_TLINK_OK);
	crash_at(&c, "flash:2:done", FWC_TLINK_CMD_FLASH_WRITE, req, sizeof(req));
	check_pages(&c.s, 4096, 2, erased, new_data, &n_new);
	g_assert_cmpuint(n_new, ==, 2);
}

static void
test_sim_kill9_flash_pages(void)
{
	g_auto(Crash) c = {0};
	g_autofree guint8 *erased = g_malloc(3 * 4096);
	g_autofree guint8 *full = g_malloc(3 * 4096);
	g_autofree guint8 *req = g_malloc(4 + 2048);
	guint n_new = 0;

	crash_init(&c);
	memset(erased, 0xff, 3 * 4096);
	/* fill 3 pages: page-sized writes, 2 chunks per page */
	for (guint i = 0; i < 3 * 4096; i++)
		full[i] = (guint8)(i * 7 + 3);
	for (guint off = 0; off < 3 * 4096; off += 2048) {
		/* the second chunk of a page crashes before its rename: the page keeps its first
		 * half only; every other page is whole */
		fwc_link_put_u32(req, off);
		memcpy(req + 4, full + off, 2048);
		if (off == 4096 + 2048) {
			crash_at(&c, "flash:1:tmp", FWC_TLINK_CMD_FLASH_WRITE, req, 4 + 2048);
			/* page 1 holds its first half (old) and not the second */
			{
				g_autoptr(GBytes) out = NULL;
				const guint8 *d;
				assert_status(sim_range(&c.s,
							FWC_TLINK_CMD_FLASH_READ,
							4096 + 2048,
							2048,
							&out),
					      FWC_TLINK_OK);
				d = g_bytes_get_data(out, NULL);
				for (guint k = 0; k < 2048; k++)
					g_assert_cmpuint(d[k], ==, 0xff);
			}
		}
		assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_FLASH_WRITE, req, 4 + 2048, NULL),
			      FWC_TLINK_OK);
	}
	check_pages(&c.s, 4096, 3, erased, full, &n_new);
	g_assert_cmpuint(n_new, ==, 3);
	/* erase of 3 pages cut after the second page: pages 0-1 erased, page 2 intact */
	{
		guint8 p[8];
		g_autofree guint8 *mixed = g_memdup2(full, 3 * 4096);
		memset(mixed, 0xff, 2 * 4096);
		fwc_link_put_u32(p, 0);
		fwc_link_put_u32(p + 4, 3 * 4096);
		crash_at(&c, "erase:2:done", FWC_TLINK_CMD_FLASH_ERASE, p, 8);
		check_pages(&c.s, 4096, 3, full, mixed, &n_new);
		g_assert_cmpuint(n_new, ==, 3);
	}
}

static void
test_sim_kill9_boot_counter(void)
{
	g_auto(Crash) c = {0};
	g_autoptr(GBytes) image = NULL;
	fwc_tlink_boot_result br;
	fwc_tlink_info info;

	crash_init(&c);
	assert_status(sim_xfer(&c.s, FWC_TLINK_CMD_WRITE_ROT, c.rot, 32, NULL), FWC_TLINK_OK);
	image = cli_sign(&c.f, c.boot_key, "2.0.0", "9", 3000);
	sim_program(&c.s, image);
	crash_at(&c, "counter:1:tmp", FWC_TLINK_CMD_BOOT, NULL, 0);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.security_counter, ==, 0);
	g_assert_cmpuint(info.boot_state, ==, FWC_TLINK_BOOT_NONE);
	crash_at(&c, "counter:1:done", FWC_TLINK_CMD_BOOT, NULL, 0);
	sim_info(&c.s, &info);
	g_assert_cmpuint(info.security_counter, ==, 9);
	assert_status(sim_boot(&c.s, &br), FWC_TLINK_OK);
	g_assert_cmpuint(br.security_counter, ==, 9);
}

/* a power cut during the fab: the chip keeps its ID and completes its fab at the next start */
static void
test_sim_kill9_fab(void)
{
	g_auto(Fixture) f = {0};
	g_auto(Sim) s = {0};
	g_autofree gchar *otp = NULL;
	g_autofree gchar *otp_path = NULL;
	g_autofree gchar *otp2 = NULL;
	gsize len = 0;

	fixture_init(&f);
	sim_init(&s, &f, "chip");
	g_assert_false(sim_start_full(&s, "otp:1:tmp", NULL));
	g_assert_cmpint(sim_wait(&s, NULL), ==, SIGKILL);
	g_assert_false(sim_start_full(&s, "store:1:done", NULL));
	g_assert_cmpint(sim_wait(&s, NULL), ==, SIGKILL);
	otp_path = g_build_filename(s.state, "otp.bin", NULL);
	g_assert_true(g_file_get_contents(otp_path, &otp, &len, NULL));
	g_assert_false(sim_start_full(&s, "store:1:tmp", NULL)); /* the attestation cert */
	g_assert_cmpint(sim_wait(&s, NULL), ==, SIGKILL);
	sim_start(&s, NULL);
	check_attestation(&s);
	g_assert_true(g_file_get_contents(otp_path, &otp2, &len, NULL));
	g_assert_cmpmem(otp, 132, otp2, 132);
}

/* kill -9 at random moments of a slow flash programming: every page old or new */
static gpointer
killer_thread(gpointer data)
{
	GSubprocess *proc = data;
	g_usleep(g_random_int_range(1000, 400000));
	g_subprocess_send_signal(proc, SIGKILL);
	return NULL;
}

static void
test_sim_kill9_random(void)
{
	g_auto(Fixture) f = {0};
	g_auto(Sim) s = {0};
	const gchar *extra[] =
	    {"--flash-size", "32K", "--page-size", "1024", "--flash-speed", "64K", NULL};
	g_autofree guint8 *gen = g_malloc(32768);
	g_autofree guint8 *cur = g_malloc(32768);
	g_autofree guint8 *erased = g_malloc(32768);

	fixture_init(&f);
	sim_init(&s, &f, "chip");
	g_assert_true(sim_start_full(&s, NULL, extra));
	memset(erased, 0xff, 32768);
	for (guint round = 0; round < 6; round++) {
		GThread *killer;
		guint n_new = 0;
		guint8 pp[8];

		/* start from erased flash, program a new generation until killed */
		fwc_link_put_u32(pp, 0);
		fwc_link_put_u32(pp + 4, 32768);
		assert_status(sim_xfer(&s, FWC_TLINK_CMD_FLASH_ERASE, pp, 8, NULL), FWC_TLINK_OK);
		for (guint i = 0; i < 32768; i++)
			gen[i] = (guint8)(i + round * 31 + 1);
		killer = g_thread_new("killer", killer_thread, s.proc);
		for (guint off = 0; off < 32768; off += 2048) {
			if (sim_flash_write(&s, off, gen + off, 2048) < 0)
				break;
		}
		g_thread_join(killer);
		g_assert_cmpint(sim_wait(&s, NULL), ==, SIGKILL);
		g_assert_true(sim_start_full(&s, NULL, extra));
		check_pages(&s, 1024, 32, erased, gen, &n_new);
		g_test_message("round %u: %u of 32 pages written before the kill", round, n_new);
		/* GEN_KEY killed at a random moment: a key or none, never half */
		if (round == 0 || round == 3) {
			fwc_tlink_info info;
			g_autoptr(GBytes) csr = NULL;
			GThread *k2;
			sim_connect(&s);
			k2 = g_thread_new("killer", killer_thread, s.proc);
			(void)sim_xfer(&s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL);
			g_thread_join(k2);
			g_assert_cmpint(sim_wait(&s, NULL), ==, SIGKILL);
			g_assert_true(sim_start_full(&s, NULL, extra));
			sim_info(&s, &info);
			if (info.key_flags & FWC_TLINK_KEY_IDENTITY) {
				g_autofree gchar *cn = NULL;
				guint8 point[65];
				assert_status(sim_xfer(&s, FWC_TLINK_CMD_GET_CSR, NULL, 0, &csr),
					      FWC_TLINK_OK);
				tt_check_csr(g_bytes_get_data(csr, NULL),
					     g_bytes_get_size(csr),
					     &cn,
					     point);
			} else {
				assert_status(sim_xfer(&s, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL),
					      FWC_TLINK_OK);
			}
		}
	}
	(void)cur;
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/target/sim/e2e", test_sim_e2e);
	g_test_add_func("/target/sim/restart", test_sim_restart);
	g_test_add_func("/target/sim/options", test_sim_options);
	g_test_add_func("/target/sim/malformed", test_sim_malformed);
	g_test_add_func("/target/sim/kill9/write-rot", test_sim_kill9_write_rot);
	g_test_add_func("/target/sim/kill9/gen-key", test_sim_kill9_gen_key);
	g_test_add_func("/target/sim/kill9/write-cert", test_sim_kill9_write_cert);
	g_test_add_func("/target/sim/kill9/set-lifecycle", test_sim_kill9_lifecycle);
	g_test_add_func("/target/sim/kill9/flash-write", test_sim_kill9_flash);
	g_test_add_func("/target/sim/kill9/flash-pages", test_sim_kill9_flash_pages);
	g_test_add_func("/target/sim/kill9/boot-counter", test_sim_kill9_boot_counter);
	g_test_add_func("/target/sim/kill9/fab", test_sim_kill9_fab);
	g_test_add_func("/target/sim/kill9/random", test_sim_kill9_random);
	return g_test_run();
}
