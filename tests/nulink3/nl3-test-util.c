/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nl3-test-util.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fwc-cose.h"
#include "fwc-link.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"
#include "target-test-util.h"

void
nl3_run(const gchar *const *argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint st = -1;
	if (!g_spawn_sync(NULL,
			  (gchar **)argv,
			  NULL,
			  G_SPAWN_SEARCH_PATH,
			  NULL,
			  NULL,
			  &out,
			  &err,
			  &st,
			  &error))
		g_error("cannot run %s: %s", argv[0], error->message);
	if (st != 0)
		g_error("%s failed: %s%s", argv[0], out, err);
}

void
nl3_pki_init(Nl3Pki *pki)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pem = NULL;
	gsize len = 0;

	memset(pki, 0, sizeof(*pki));
	pki->dir = g_dir_make_tmp("nulink3-XXXXXX", &error);
	g_assert_no_error(error);
	pki->vendor_key = g_build_filename(pki->dir, "vendor-ca.key", NULL);
	pki->vendor_cert = g_build_filename(pki->dir, "vendor-ca.pem", NULL);
	pki->boot_key = g_build_filename(pki->dir, "boot.key", NULL);
	{
		const gchar *a1[] = {"openssl",
				     "ecparam",
				     "-genkey",
				     "-name",
				     "prime256v1",
				     "-noout",
				     "-out",
				     pki->vendor_key,
				     NULL};
		const gchar *a2[] = {"openssl",
				     "req",
				     "-x509",
				     "-new",
				     "-key",
				     pki->vendor_key,
				     "-subj",
				     "/CN=NuSEC Test Vendor CA/O=Test Silicon",
				     "-days",
				     "3650",
				     "-out",
				     pki->vendor_cert,
				     NULL};
		const gchar *a3[] = {"openssl",
				     "ecparam",
				     "-genkey",
				     "-name",
				     "prime256v1",
				     "-noout",
				     "-out",
				     pki->boot_key,
				     NULL};
		nl3_run(a1);
		nl3_run(a2);
		nl3_run(a3);
	}
	g_assert_true(g_file_get_contents(pki->vendor_cert, &pem, &len, &error));
	{
		g_autoptr(BIO) bio = BIO_new_mem_buf(pem, (int)len);
		g_autoptr(X509) x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		unsigned char *der = NULL;
		int dlen;
		g_assert_nonnull(x);
		dlen = i2d_X509(x, &der);
		g_assert_cmpint(dlen, >, 0);
		pki->vendor_der = g_bytes_new(der, dlen);
		OPENSSL_free(der);
	}
	pki->cloud_ca_key = tt_random_key();
	pki->cloud_ca = tt_make_cert(pki->cloud_ca_key, pki->cloud_ca_key, "Test CA");
	pki->package_key = nusec_pem_signer_new_random(&error);
	g_assert_no_error(error);
	g_assert_true(nusec_signer_get_public_point(pki->package_key, pki->package_point, &error));
}

void
nl3_pki_clear(Nl3Pki *pki)
{
	if (pki->dir != NULL && g_getenv("NULINK3_TEST_KEEP") == NULL) {
		const gchar *argv[] = {"rm", "-rf", pki->dir, NULL};
		nl3_run(argv);
	}
	g_free(pki->dir);
	g_free(pki->vendor_key);
	g_free(pki->vendor_cert);
	g_free(pki->boot_key);
	g_clear_pointer(&pki->vendor_der, g_bytes_unref);
	g_clear_pointer(&pki->cloud_ca_key, EVP_PKEY_free);
	g_clear_pointer(&pki->cloud_ca, g_bytes_unref);
	g_clear_object(&pki->package_key);
}

void
nl3_sim_init(Nl3Sim *s, const Nl3Pki *pki, const gchar *name, const gchar *serial)
{
	memset(s, 0, sizeof(*s));
	s->pki = pki;
	s->fd = -1;
	s->state = g_build_filename(pki->dir, name, NULL);
	s->sock = g_strdup_printf("%s/%s.sock", pki->dir, name);
	s->serial = g_strdup(serial);
	s->extra = g_ptr_array_new_with_free_func(g_free);
}

static void
nl3_sim_disconnect(Nl3Sim *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* a simulator dies with the test process, even an aborted one */
void
nl3_child_setup(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

gboolean
nl3_sim_start(Nl3Sim *s, const gchar *crash)
{
	/* NULINK3_TEST_STDERR=1 shows the simulator's messages */
	g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	    (g_getenv("NULINK3_TEST_STDERR") != NULL ? 0 : G_SUBPROCESS_FLAGS_STDERR_SILENCE));
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GDataInputStream) in = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;

	g_assert_null(s->proc);
	g_subprocess_launcher_set_child_setup(l, nl3_child_setup, NULL, NULL);
	if (crash != NULL)
		g_subprocess_launcher_setenv(l, "NUSEC_NULINK3_SIM_CRASH", crash, TRUE);
	else
		g_subprocess_launcher_unsetenv(l, "NUSEC_NULINK3_SIM_CRASH");
	g_ptr_array_add(argv, (gpointer)NULINK3_SIM);
	g_ptr_array_add(argv, (gpointer) "--socket");
	g_ptr_array_add(argv, s->sock);
	g_ptr_array_add(argv, (gpointer) "--state-dir");
	g_ptr_array_add(argv, s->state);
	g_ptr_array_add(argv, (gpointer) "--serial");
	g_ptr_array_add(argv, s->serial);
	for (guint i = 0; i < s->extra->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(s->extra, i));
	g_ptr_array_add(argv, NULL);
	s->proc = g_subprocess_launcher_spawnv(l, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(s->proc));
	line = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	if (line == NULL)
		return FALSE;
	g_assert_true(g_str_has_prefix(line, "nulink3-sim: serial "));
	return TRUE;
}

int
nl3_sim_wait(Nl3Sim *s)
{
	g_autoptr(GError) error = NULL;
	int st;
	nl3_sim_disconnect(s);
	g_assert_true(g_subprocess_wait(s->proc, NULL, &error));
	if (g_subprocess_get_if_signaled(s->proc))
		st = 128 + g_subprocess_get_term_sig(s->proc);
	else
		st = g_subprocess_get_exit_status(s->proc);
	g_clear_object(&s->proc);
	return st;
}

void
nl3_sim_kill9(Nl3Sim *s)
{
	g_subprocess_send_signal(s->proc, SIGKILL);
	g_assert_cmpint(nl3_sim_wait(s), ==, 128 + SIGKILL);
}

void
nl3_sim_clear(Nl3Sim *s)
{
	if (s->proc != NULL)
		nl3_sim_kill9(s);
	nl3_sim_disconnect(s);
	g_free(s->state);
	g_free(s->sock);
	g_free(s->serial);
	g_clear_pointer(&s->extra, g_ptr_array_unref);
}

int
nl3_connect(const gchar *sock)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(addr.sun_path, sock, sizeof(addr.sun_path));
	g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	return fd;
}

static gboolean
nl3_read_all(int fd, guint8 *buf, gsize len)
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
nl3_write_all(int fd, const guint8 *buf, gsize len)
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

static GBytes *
nl3_read_frame(int fd)
{
	g_autofree guint8 *buf = g_malloc(FWN_USB_MAX_FRAME);
	fwn_usb_frame f;
	gsize flen = 0;
	if (!nl3_read_all(fd, buf, FWN_USB_HEADER_SIZE))
		return NULL;
	g_assert_cmpint(fwn_usb_header_parse(buf, FWN_USB_HEADER_SIZE, &f, &flen), ==, FWN_USB_OK);
	if (!nl3_read_all(fd, buf + FWN_USB_HEADER_SIZE, flen - FWN_USB_HEADER_SIZE))
		return NULL;
	return g_bytes_new(buf, flen);
}

int
nl3_xfer_fd(int fd, guint8 cmd, const guint8 *payload, gsize len, GBytes **out)
{
	g_autofree guint8 *buf = g_malloc(FWN_USB_MAX_FRAME);
	g_autoptr(GBytes) resp = NULL;
	fwn_usb_frame f;
	gsize flen = 0;

	g_assert_cmpint(fwn_usb_encode_request(cmd, payload, len, buf, FWN_USB_MAX_FRAME, &flen),
			==,
			FWN_USB_OK);
	if (!nl3_write_all(fd, buf, flen))
		return -1;
	resp = nl3_read_frame(fd);
	if (resp == NULL)
		return -1;
	g_assert_cmpint(
	    fwn_usb_decode_response(g_bytes_get_data(resp, NULL), g_bytes_get_size(resp), cmd, &f),
	    ==,
	    FWN_USB_OK);
	g_assert_cmpuint(f.command, ==, cmd | FWN_USB_RESPONSE_BIT);
	if (f.status == FWN_RC_TARGET_ERROR && f.payload_len == 3)
		g_test_message("target refused command 0x%02x with status %u",
			       f.payload[0],
			       fwc_link_get_u16(f.payload + 1));
	if (out != NULL)
		*out = g_bytes_new(f.payload, f.payload_len);
	return f.status;
}

int
nl3_xfer(Nl3Sim *s, guint8 cmd, const guint8 *payload, gsize len, GBytes **out)
{
	if (s->fd < 0)
		s->fd = nl3_connect(s->sock);
	return nl3_xfer_fd(s->fd, cmd, payload, len, out);
}

gboolean
nl3_raw(Nl3Sim *s, const guint8 *data, gsize len, GBytes **frame)
{
	if (s->fd < 0)
		s->fd = nl3_connect(s->sock);
	if (!nl3_write_all(s->fd, data, len))
		return FALSE;
	*frame = nl3_read_frame(s->fd);
	return *frame != NULL;
}

void
nl3_cbor_init(Nl3Cbor *c)
{
	fwc_cbor_writer_init(&c->w, c->buf, sizeof(c->buf));
}

GBytes *
nl3_cbor_bytes(Nl3Cbor *c)
{
	g_assert_cmpint(fwc_cbor_writer_status(&c->w), ==, FWC_CBOR_OK);
	return g_bytes_new(c->buf, c->w.len);
}

/* positions @r on the value of @key; FALSE when absent */
static gboolean
nl3_find(GBytes *map, guint64 key, fwc_cbor_reader *r)
{
	size_t pairs = 0;
	fwc_cbor_reader_init(r, g_bytes_get_data(map, NULL), g_bytes_get_size(map), 0);
	g_assert_cmpint(fwc_cbor_validate(g_bytes_get_data(map, NULL), g_bytes_get_size(map), 0),
			==,
			FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_read_map(r, &pairs), ==, FWC_CBOR_OK);
	for (size_t i = 0; i < pairs; i++) {
		uint64_t k = 0;
		g_assert_cmpint(fwc_cbor_read_uint(r, &k), ==, FWC_CBOR_OK);
		if (k == key)
			return TRUE;
		g_assert_cmpint(fwc_cbor_skip(r), ==, FWC_CBOR_OK);
	}
	return FALSE;
}

guint64
nl3_get_uint(GBytes *map, guint64 key)
{
	fwc_cbor_reader r;
	uint64_t v = 0;
	g_assert_true(nl3_find(map, key, &r));
	if (fwc_cbor_read_uint(&r, &v) != FWC_CBOR_OK) {
		bool b = false;
		fwc_cbor_reader_init(&r, g_bytes_get_data(map, NULL), g_bytes_get_size(map), 0);
		g_assert_true(nl3_find(map, key, &r));
		g_assert_cmpint(fwc_cbor_read_bool(&r, &b), ==, FWC_CBOR_OK);
		v = b;
	}
	return v;
}

GBytes *
nl3_get_bstr(GBytes *map, guint64 key)
{
	fwc_cbor_reader r;
	const uint8_t *d = NULL;
	size_t len = 0;
	g_assert_true(nl3_find(map, key, &r));
	g_assert_cmpint(fwc_cbor_read_bstr(&r, &d, &len), ==, FWC_CBOR_OK);
	return g_bytes_new(d, len);
}

gchar *
nl3_get_tstr(GBytes *map, guint64 key)
{
	fwc_cbor_reader r;
	const char *t = NULL;
	size_t len = 0;
	g_assert_true(nl3_find(map, key, &r));
	g_assert_cmpint(fwc_cbor_read_tstr(&r, &t, &len), ==, FWC_CBOR_OK);
	return g_strndup(t, len);
}

GBytes *
nl3_get_raw(GBytes *map, guint64 key)
{
	fwc_cbor_reader r;
	size_t start;
	if (!nl3_find(map, key, &r))
		return NULL;
	start = r.pos;
	g_assert_cmpint(fwc_cbor_skip(&r), ==, FWC_CBOR_OK);
	return g_bytes_new(r.buf + start, r.pos - start);
}

void
nl3_setup(Nl3Sim *s, Nl3Keys *keys)
{
	g_autoptr(GBytes) resp = NULL;
	g_autoptr(GBytes) tls = NULL;
	g_autoptr(GBytes) req = NULL;
	g_autoptr(GBytes) enc = NULL;
	g_autoptr(GBytes) install = NULL;
	g_autoptr(GBytes) cert = NULL;
	g_autoptr(EVP_PKEY) pub = NULL;
	Nl3Cbor c;

	nl3_assert_rc(nl3_xfer(s, FWN_CMD_SETUP_BEGIN, NULL, 0, &resp), FWN_RC_OK);
	tls = nl3_get_bstr(resp, 5);
	req = nl3_get_bstr(resp, 6);
	enc = nl3_get_bstr(resp, 7);
	g_assert_cmpuint(g_bytes_get_size(tls), ==, 65);
	memcpy(keys->tls, g_bytes_get_data(tls, NULL), 65);
	memcpy(keys->req, g_bytes_get_data(req, NULL), 65);
	memcpy(keys->enc, g_bytes_get_data(enc, NULL), 65);
	pub = tt_point_to_pkey(keys->tls);
	cert = tt_make_cert(pub, s->pki->cloud_ca_key, s->serial);
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 5);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_bstr(&c.w, g_bytes_get_data(cert, NULL), g_bytes_get_size(cert));
	fwc_cbor_write_uint(&c.w, 2);
	fwc_cbor_write_array(&c.w, 1);
	fwc_cbor_write_bstr(&c.w,
			    g_bytes_get_data(s->pki->cloud_ca, NULL),
			    g_bytes_get_size(s->pki->cloud_ca));
	fwc_cbor_write_uint(&c.w, 3);
	fwc_cbor_write_bstr(&c.w, s->pki->package_point, 65);
	fwc_cbor_write_uint(&c.w, 4);
	fwc_cbor_write_tstr(&c.w, "https://cloud.test:8443", 23);
	fwc_cbor_write_uint(&c.w, 5);
	fwc_cbor_write_bstr(&c.w,
			    g_bytes_get_data(s->pki->vendor_der, NULL),
			    g_bytes_get_size(s->pki->vendor_der));
	install = nl3_cbor_bytes(&c);
	nl3_assert_rc(nl3_xfer(s,
			       FWN_CMD_SETUP_INSTALL,
			       g_bytes_get_data(install, NULL),
			       g_bytes_get_size(install),
			       NULL),
		      FWN_RC_OK);
	nl3_assert_rc(nl3_xfer(s, FWN_CMD_SETUP_LOCK, NULL, 0, NULL), FWN_RC_OK);
}
