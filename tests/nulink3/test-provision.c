/*
 * nulink3-sim driving target-sim processes, one per gang slot: the whole production flow with
 * a package and sealed firmware built by the cloud's own code and an image signed by
 * `nusec image sign`; four slots provisioned concurrently, each target booting the firmware
 * (the issue's "done when"); quota exhaustion (the fourth device refused before its target is
 * touched); kill -9 inside DEVICE_BEGIN and DEVICE_COMPLETE, then resume without double
 * counting; abort records.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <openssl/evp.h>
#include <string.h>

#include "fwc-cose.h"
#include "fwc-link.h"
#include "fwc-tlink.h"
#include "nl3-test-util.h"
#include "nusec-cloud-formats.h"
#include "nusec-cose.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"
#include "target-test-util.h"

#define SLOTS 4

/* the PSA core of mbedTLS 2.28 (fwc_cose verification) is not thread-safe */
static GMutex psa_lock;

typedef struct {
	Nl3Pki pki;
	Nl3Sim nl;
	GSubprocess *target[SLOTS];
	gchar *target_sock[SLOTS];
	gchar *chip[SLOTS];
	Nl3Keys keys;
	GBytes *image;
	guint8 rot[32];
	NuSecCloudManifest *m;
} Line;

static void
target_start_vendor(Line *l, guint i, const gchar *speed, const gchar *vkey, const gchar *vcert);

static void
target_start(Line *l, guint i, const gchar *speed)
{
	target_start_vendor(l, i, speed, l->pki.vendor_key, l->pki.vendor_cert);
}

static void
target_start_vendor(Line *l, guint i, const gchar *speed, const gchar *vkey, const gchar *vcert)
{
	g_autoptr(GSubprocessLauncher) sl = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autofree gchar *line = NULL;
	g_autofree gchar *state = g_strdup_printf("%s/target-%u-%s",
						  l->pki.dir,
						  i,
						  vkey == l->pki.vendor_key ? "a" : "b");
	const gchar *argv[] = {TARGET_SIM,
			       "--socket",
			       l->target_sock[i],
			       "--state-dir",
			       state,
			       "--vendor-ca-key",
			       vkey,
			       "--vendor-ca-cert",
			       vcert,
			       "--flash-size",
			       "256K",
			       speed != NULL ? "--flash-speed" : NULL,
			       speed,
			       NULL};
	g_subprocess_launcher_set_child_setup(sl, nl3_child_setup, NULL, NULL);
	l->target[i] = g_subprocess_launcher_spawnv(sl, argv, &error);
	g_assert_no_error(error);
	in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(l->target[i]));
	line = g_data_input_stream_read_line(in, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "target-sim: chip "));
	l->chip[i] = g_strndup(line + strlen("target-sim: chip "), 32);
}

static void
target_stop(Line *l, guint i)
{
	if (l->target[i] == NULL)
		return;
	g_subprocess_send_signal(l->target[i], SIGKILL);
	g_subprocess_wait(l->target[i], NULL, NULL);
	g_clear_object(&l->target[i]);
}

/* `nusec image sign` of a random body with the boot key; the ROT hash of that key */
static void
line_image(Line *l, gsize body_len)
{
	g_autofree gchar *body_path = g_build_filename(l->pki.dir, "body.bin", NULL);
	g_autofree gchar *img_path = g_build_filename(l->pki.dir, "app.img", NULL);
	g_autofree gchar *der_path = g_build_filename(l->pki.dir, "boot.der", NULL);
	g_autofree guint8 *body = g_malloc(body_len);
	g_autofree gchar *img = NULL;
	g_autofree gchar *der = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	const gchar *cli = g_getenv("NUSEC_CLI");
	gsize len = 0, dlen = 32;

	for (gsize i = 0; i < body_len; i++)
		body[i] = (guint8)g_random_int();
	g_assert_true(g_file_set_contents(body_path, (const gchar *)body, body_len, &error));
	g_assert_nonnull(cli);
	{
		const gchar *argv[] = {cli,
				       "image",
				       "sign",
				       "--key",
				       l->pki.boot_key,
				       "--version",
				       "1.2.3",
				       "--security-counter",
				       "5",
				       "--pubkey-mode",
				       "full",
				       body_path,
				       img_path,
				       NULL};
		const gchar *pk[] = {"openssl",
				     "pkey",
				     "-in",
				     l->pki.boot_key,
				     "-pubout",
				     "-outform",
				     "DER",
				     "-out",
				     der_path,
				     NULL};
		nl3_run(argv);
		nl3_run(pk);
	}
	g_assert_true(g_file_get_contents(img_path, &img, &len, &error));
	l->image = g_bytes_new(img, len);
	g_assert_true(g_file_get_contents(der_path, &der, &len, &error));
	g_checksum_update(ck, (const guint8 *)der, len);
	g_checksum_get_digest(ck, l->rot, &dlen);
}

static void
line_import(Line *l, const gchar *order, guint64 limit)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) tls = g_bytes_new(l->keys.tls, 65);
	g_autoptr(GBytes) enc = g_bytes_new(l->keys.enc, 65);
	g_autoptr(GBytes) pkg = NULL;
	g_autoptr(GBytes) sealed = NULL;
	guint8 token[32];
	NuSecCloudManifest *m = g_new0(NuSecCloudManifest, 1);
	guint64 now = (guint64)g_get_real_time() / G_USEC_PER_SEC;

	memset(token, 0x44, sizeof(token));
	m->package_id = g_strdup_printf("pkg-%s", order);
	m->order_id = g_strdup(order);
	m->programmer_serial = g_strdup(l->nl.serial);
	m->programmer_key_hash = nusec_cloud_sha256(tls);
	m->product_id = g_strdup("widget");
	m->rot_key_hash = g_bytes_new(l->rot, 32);
	m->firmware_version = g_strdup("1.2.3");
	m->security_counter = 5;
	m->image_size = g_bytes_get_size(l->image);
	m->image_sha256 = nusec_cloud_sha256(l->image);
	m->limit = limit;
	m->not_before = now - 3600;
	m->not_after = now + 3600;
	m->token = g_bytes_new(token, 32);
	m->issued_at = now;
	pkg = nusec_cloud_package_build(l->pki.package_key, m, enc, &error);
	g_assert_no_error(error);
	nl3_assert_rc(nl3_xfer(&l->nl,
			       FWN_CMD_PACKAGE_IMPORT,
			       g_bytes_get_data(pkg, NULL),
			       g_bytes_get_size(pkg),
			       NULL),
		      FWN_RC_OK);
	sealed = nusec_cloud_firmware_seal(l->image, order, enc, &error);
	g_assert_no_error(error);
	for (gsize off = 0; off < g_bytes_get_size(sealed); off += 12000) {
		gsize n = MIN(12000, g_bytes_get_size(sealed) - off);
		g_autoptr(GBytes) req = NULL;
		Nl3Cbor c;
		nl3_cbor_init(&c);
		fwc_cbor_write_map(&c.w, 4);
		fwc_cbor_write_uint(&c.w, 1);
		fwc_cbor_write_tstr(&c.w, order, strlen(order));
		fwc_cbor_write_uint(&c.w, 2);
		fwc_cbor_write_uint(&c.w, off);
		fwc_cbor_write_uint(&c.w, 3);
		fwc_cbor_write_uint(&c.w, g_bytes_get_size(sealed));
		fwc_cbor_write_uint(&c.w, 4);
		fwc_cbor_write_bstr(&c.w, (const guint8 *)g_bytes_get_data(sealed, NULL) + off, n);
		req = nl3_cbor_bytes(&c);
		nl3_assert_rc(nl3_xfer(&l->nl,
				       FWN_CMD_FIRMWARE_LOAD,
				       g_bytes_get_data(req, NULL),
				       g_bytes_get_size(req),
				       NULL),
			      FWN_RC_OK);
	}
	if (l->m != NULL)
		nusec_cloud_manifest_free(l->m);
	l->m = m;
}

static void
line_init(Line *l, guint64 limit, const gchar *speed, gsize image_len)
{
	memset(l, 0, sizeof(*l));
	nl3_pki_init(&l->pki);
	nl3_sim_init(&l->nl, &l->pki, "nl3", "NL3-LINE");
	for (guint i = 0; i < SLOTS; i++) {
		l->target_sock[i] = g_strdup_printf("%s/target-%u.sock", l->pki.dir, i);
		target_start(l, i, speed);
		g_ptr_array_add(l->nl.extra, g_strdup("--slot"));
		g_ptr_array_add(l->nl.extra, g_strdup_printf("%u=%s", i, l->target_sock[i]));
	}
	g_assert_true(nl3_sim_start(&l->nl, NULL));
	nl3_setup(&l->nl, &l->keys);
	line_image(l, image_len);
	line_import(l, "order-1", limit);
}

static void
line_clear(Line *l)
{
	for (guint i = 0; i < SLOTS; i++) {
		target_stop(l, i);
		g_free(l->target_sock[i]);
		g_free(l->chip[i]);
	}
	nl3_sim_clear(&l->nl);
	g_clear_pointer(&l->image, g_bytes_unref);
	g_clear_pointer(&l->m, nusec_cloud_manifest_free);
	nl3_pki_clear(&l->pki);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Line, line_clear)

static GBytes *
slot_req(guint slot, const gchar *order)
{
	Nl3Cbor c;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, order != NULL ? 2 : 1);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_uint(&c.w, slot);
	if (order != NULL) {
		fwc_cbor_write_uint(&c.w, 2);
		fwc_cbor_write_tstr(&c.w, order, strlen(order));
	}
	return nl3_cbor_bytes(&c);
}

static int
device_begin(int fd, guint slot, GBytes **out)
{
	g_autoptr(GBytes) req = slot_req(slot, "order-1");
	return nl3_xfer_fd(fd,
			   FWN_CMD_DEVICE_BEGIN,
			   g_bytes_get_data(req, NULL),
			   g_bytes_get_size(req),
			   out);
}

/* the cloud's part: verify the request with the request key, issue the chain */
static GBytes *
cloud_issue(Line *l, GBytes *begin, const gchar *chip, guint64 counter, guint8 dev_point[65])
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) cose = nl3_get_bstr(begin, 1);
	g_autoptr(GBytes) req_point = g_bytes_new(l->keys.req, 65);
	g_autoptr(GBytes) tls_point = g_bytes_new(l->keys.tls, 65);
	g_autoptr(NuSecCloudDeviceRequest) dr = NULL;
	g_autoptr(NuSecCloudDeviceRequest) bad = NULL;
	g_autoptr(EVP_PKEY) dev = NULL;
	g_autoptr(GBytes) leaf = NULL;
	g_autofree gchar *cn = NULL;
	Nl3Cbor c;

	/* signed by the request key, not by the TLS key */
	dr = nusec_cloud_device_request_parse(cose, req_point, &error);
	g_assert_no_error(error);
	bad = nusec_cloud_device_request_parse(cose, tls_point, &error);
	g_assert_null(bad);
	g_clear_error(&error);
	g_assert_cmpstr(dr->order_id, ==, "order-1");
	g_assert_cmpstr(dr->chip_id, ==, chip);
	g_assert_cmpstr(dr->programmer_serial, ==, "NL3-LINE");
	g_assert_cmpuint(dr->counter, ==, counter);
	tt_check_csr(g_bytes_get_data(dr->csr, NULL), g_bytes_get_size(dr->csr), &cn, dev_point);
	g_assert_cmpstr(cn, ==, chip);
	dev = tt_point_to_pkey(dev_point);
	leaf = tt_make_cert(dev, l->pki.cloud_ca_key, chip);
	nl3_cbor_init(&c);
	fwc_cbor_write_array(&c.w, 2);
	fwc_cbor_write_bstr(&c.w, g_bytes_get_data(leaf, NULL), g_bytes_get_size(leaf));
	fwc_cbor_write_bstr(&c.w,
			    g_bytes_get_data(l->pki.cloud_ca, NULL),
			    g_bytes_get_size(l->pki.cloud_ca));
	return nl3_cbor_bytes(&c);
}

static int
device_complete(int fd, guint slot, GBytes *chain, GBytes **out)
{
	Nl3Cbor c;
	g_autoptr(GBytes) req = NULL;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 2);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_uint(&c.w, slot);
	fwc_cbor_write_uint(&c.w, 2);
	fwc_cbor_write_raw(&c.w, g_bytes_get_data(chain, NULL), g_bytes_get_size(chain));
	req = nl3_cbor_bytes(&c);
	return nl3_xfer_fd(fd,
			   FWN_CMD_DEVICE_COMPLETE,
			   g_bytes_get_data(req, NULL),
			   g_bytes_get_size(req),
			   out);
}

/* the result of a completed device: booted, the receipt signed by the device key */
static void
check_done(Line *l, GBytes *done, const gchar *chip, const guint8 dev_point[65])
{
	g_autoptr(GBytes) boot = nl3_get_bstr(done, 1);
	g_autoptr(GBytes) receipt = nl3_get_bstr(done, 2);
	g_autofree gchar *chip_got = nl3_get_tstr(done, 3);
	g_autoptr(GBytes) img_hash = NULL;
	g_autoptr(GBytes) pl = NULL;
	fwc_tlink_boot_result br;
	fwc_cose_sign1 parsed;

	g_assert_cmpstr(chip_got, ==, chip);
	g_assert_cmpint(
	    fwc_tlink_boot_result_decode(g_bytes_get_data(boot, NULL), g_bytes_get_size(boot), &br),
	    ==,
	    FWC_TLINK_OK);
	g_assert_cmpuint(br.boot_state, ==, FWC_TLINK_BOOT_ACCEPTED);
	g_assert_cmpuint(br.image_counter, ==, 5);
	g_assert_cmpint(fwc_cose_sign1_verify(g_bytes_get_data(receipt, NULL),
					      g_bytes_get_size(receipt),
					      NULL,
					      0,
					      dev_point,
					      FWC_COSE_FLAG_TAG_REQUIRED,
					      &parsed),
			==,
			FWC_COSE_OK);
	pl = g_bytes_new(parsed.payload, parsed.payload_len);
	g_assert_cmpuint(nl3_get_uint(pl, FWC_TLINK_RCPT_LIFECYCLE), ==, FWC_TLINK_LC_LOCKED);
	g_assert_cmpuint(nl3_get_uint(pl, FWC_TLINK_RCPT_BOOT_STATE), ==, FWC_TLINK_BOOT_ACCEPTED);
	img_hash = nl3_get_bstr(pl, FWC_TLINK_RCPT_IMAGE_HASH);
	g_assert_cmpmem(g_bytes_get_data(img_hash, NULL), 32, br.image_hash, 32);
}

typedef struct {
	Line *l;
	guint slot;
	gint64 elapsed;
} Job;

/* one device in one slot, on a connection of its own */
static gpointer
provision_one(gpointer data)
{
	Job *j = data;
	int fd = nl3_connect(j->l->nl.sock);
	g_autoptr(GBytes) begin = NULL;
	g_autoptr(GBytes) chain = NULL;
	g_autoptr(GBytes) done = NULL;
	g_autofree gchar *chip = NULL;
	guint8 dev_point[65];
	gint64 t0 = g_get_monotonic_time();

	nl3_assert_rc(device_begin(fd, j->slot, &begin), FWN_RC_OK);
	chip = nl3_get_tstr(begin, 2);
	g_assert_cmpstr(chip, ==, j->l->chip[j->slot]);
	g_mutex_lock(&psa_lock);
	chain = cloud_issue(j->l, begin, chip, nl3_get_uint(begin, 3), dev_point);
	g_mutex_unlock(&psa_lock);
	nl3_assert_rc(device_complete(fd, j->slot, chain, &done), FWN_RC_OK);
	g_mutex_lock(&psa_lock);
	check_done(j->l, done, chip, dev_point);
	g_mutex_unlock(&psa_lock);
	j->elapsed = g_get_monotonic_time() - t0;
	close(fd);
	return NULL;
}

static guint64
used(Line *l)
{
	Nl3Cbor c;
	g_autoptr(GBytes) req = NULL;
	g_autoptr(GBytes) st = NULL;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 1);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_tstr(&c.w, "order-1", 7);
	req = nl3_cbor_bytes(&c);
	nl3_assert_rc(nl3_xfer(&l->nl,
			       FWN_CMD_ORDER_STATUS,
			       g_bytes_get_data(req, NULL),
			       g_bytes_get_size(req),
			       &st),
		      FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(st, 4) - nl3_get_uint(st, 5), ==, nl3_get_uint(st, 6));
	return nl3_get_uint(st, 5);
}

static void
test_provision_parallel(void)
{
	g_auto(Line) l;
	GThread *th[SLOTS];
	Job jobs[SLOTS];
	gint64 t0, total, longest = 0;

	/* slow flash (64 KiB/s) and a 64000-byte image: about one second of flash writing per
	 * device, four seconds if the slots ran one after the other */
	line_init(&l, SLOTS, "64K", 64000);
	t0 = g_get_monotonic_time();
	for (guint i = 0; i < SLOTS; i++) {
		jobs[i] = (Job){.l = &l, .slot = i};
		th[i] = g_thread_new("slot", provision_one, &jobs[i]);
	}
	for (guint i = 0; i < SLOTS; i++) {
		g_thread_join(th[i]);
		longest = MAX(longest, jobs[i].elapsed);
	}
	total = g_get_monotonic_time() - t0;
	g_test_message("4 slots in %" G_GINT64_FORMAT " ms, longest device %" G_GINT64_FORMAT " ms",
		       total / 1000,
		       longest / 1000);
	/* concurrent: the four devices together take well under four flash-write times */
	g_assert_cmpint(total, <, (gint64)3 * 64000 * G_USEC_PER_SEC / 65536);
	g_assert_cmpint(longest, >=, (gint64)64000 * G_USEC_PER_SEC / 65536 * 9 / 10);
	g_assert_cmpuint(used(&l), ==, SLOTS);
	/* the limit is reached: the next device is refused */
	{
		int fd = nl3_connect(l.nl.sock);
		nl3_assert_rc(device_begin(fd, 0, NULL), FWN_RC_QUOTA_EXHAUSTED);
		close(fd);
	}
}

static int
target_direct_info(Line *l, guint i, fwc_tlink_info *info)
{
	g_autoptr(GBytes) req = tt_request(FWC_TLINK_CMD_GET_INFO, NULL, 0);
	int fd = nl3_connect(l->target_sock[i]);
	guint8 buf[FWC_LINK_MAX_FRAME];
	gsize got = 0;
	fwc_link_frame f;
	g_assert_cmpint(write(fd, g_bytes_get_data(req, NULL), g_bytes_get_size(req)),
			==,
			(gssize)g_bytes_get_size(req));
	while (got < FWC_LINK_HEADER_SIZE + FWC_TLINK_INFO_LEN + 4) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		g_assert_cmpint(n, >, 0);
		got += (gsize)n;
	}
	close(fd);
	g_assert_cmpint(fwc_link_decode_response(buf, got, FWC_TLINK_CMD_GET_INFO, &f), ==, 0);
	return fwc_tlink_info_decode(f.payload, f.payload_len, info);
}

static void
test_provision_quota(void)
{
	g_auto(Line) l;
	fwc_tlink_info info;

	line_init(&l, 3, NULL, 20000);
	for (guint i = 0; i < 3; i++) {
		Job j = {.l = &l, .slot = i};
		provision_one(&j);
	}
	g_assert_cmpuint(used(&l), ==, 3);
	{
		int fd = nl3_connect(l.nl.sock);
		nl3_assert_rc(device_begin(fd, 3, NULL), FWN_RC_QUOTA_EXHAUSTED);
		close(fd);
	}
	g_assert_cmpuint(used(&l), ==, 3);
	/* the fourth target was not touched: no root of trust, no key */
	nl3_sim_kill9(&l.nl);
	g_assert_cmpint(target_direct_info(&l, 3, &info), ==, FWC_TLINK_OK);
	g_assert_cmpuint(info.otp_flags, ==, 0);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, ==, 0);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_OPEN);
	/* and the count survives a restart */
	g_assert_true(nl3_sim_start(&l.nl, NULL));
	g_assert_cmpuint(used(&l), ==, 3);
}

static guint64
slot_state(Line *l, guint slot)
{
	g_autoptr(GBytes) req = slot_req(slot, NULL);
	g_autoptr(GBytes) st = NULL;
	nl3_assert_rc(nl3_xfer(&l->nl,
			       FWN_CMD_SLOT_STATUS,
			       g_bytes_get_data(req, NULL),
			       g_bytes_get_size(req),
			       &st),
		      FWN_RC_OK);
	return nl3_get_uint(st, 1);
}

/* a credit as the cloud signs it (server/nusec-cloud-api.c, docs/formats/cloud-messages.md) */
static GBytes *
credit_build(NuSecSigner *key, const gchar *order, const gchar *serial, guint64 total)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) ext = g_bytes_new_static("nusec credit v1", 15);
	GBytes *cose;
	Nl3Cbor c;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 4);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_uint(&c.w, 2);
	fwc_cbor_write_tstr(&c.w, order, strlen(order));
	fwc_cbor_write_uint(&c.w, 3);
	fwc_cbor_write_tstr(&c.w, serial, strlen(serial));
	fwc_cbor_write_uint(&c.w, 4);
	fwc_cbor_write_uint(&c.w, total);
	payload = nl3_cbor_bytes(&c);
	cose = nusec_cose_sign1_create(key, payload, NULL, ext, &error);
	g_assert_no_error(error);
	return cose;
}

static int
credit(Line *l, GBytes *cose)
{
	return nl3_xfer(&l->nl,
			FWN_CMD_ORDER_CREDIT,
			g_bytes_get_data(cose, NULL),
			g_bytes_get_size(cose),
			NULL);
}

static guint64
limit(Line *l)
{
	Nl3Cbor c;
	g_autoptr(GBytes) req = NULL;
	g_autoptr(GBytes) st = NULL;
	nl3_cbor_init(&c);
	fwc_cbor_write_map(&c.w, 1);
	fwc_cbor_write_uint(&c.w, 1);
	fwc_cbor_write_tstr(&c.w, "order-1", 7);
	req = nl3_cbor_bytes(&c);
	nl3_assert_rc(nl3_xfer(&l->nl,
			       FWN_CMD_ORDER_STATUS,
			       g_bytes_get_data(req, NULL),
			       g_bytes_get_size(req),
			       &st),
		      FWN_RC_OK);
	return nl3_get_uint(st, 4);
}

/* restarts nulink3-sim with a crash point; the next command that reaches it dies */
static void
restart(Line *l, const gchar *crash)
{
	if (l->nl.proc != NULL)
		nl3_sim_kill9(&l->nl);
	g_assert_true(nl3_sim_start(&l->nl, crash));
}

static void
test_provision_kill(void)
{
	g_auto(Line) l;
	g_autoptr(GBytes) begin = NULL;
	g_autoptr(GBytes) chain = NULL;
	g_autoptr(GBytes) done = NULL;
	g_autofree gchar *chip = NULL;
	guint8 dev_point[65];
	int fd;

	line_init(&l, 4, NULL, 20000);

	/* slot 0: killed after the target work, before the unit is spent: nothing counted */
	restart(&l, "begin:before-spend");
	fd = nl3_connect(l.nl.sock);
	g_assert_cmpint(device_begin(fd, 0, NULL), ==, -1);
	close(fd);
	g_assert_cmpint(nl3_sim_wait(&l.nl), ==, 99);
	restart(&l, NULL);
	g_assert_cmpuint(used(&l), ==, 0);
	g_assert_cmpuint(slot_state(&l, 0), ==, 0);

	/* killed after the unit is persisted, before the request left: spent once, and the
	 * same chip gets the same unit again */
	restart(&l, "begin:spent");
	fd = nl3_connect(l.nl.sock);
	g_assert_cmpint(device_begin(fd, 0, NULL), ==, -1);
	close(fd);
	g_assert_cmpint(nl3_sim_wait(&l.nl), ==, 99);
	restart(&l, NULL);
	g_assert_cmpuint(used(&l), ==, 1);
	g_assert_cmpuint(slot_state(&l, 0), ==, 1);
	fd = nl3_connect(l.nl.sock);
	nl3_assert_rc(device_begin(fd, 0, &begin), FWN_RC_OK);
	g_assert_cmpuint(nl3_get_uint(begin, 3), ==, 1);
	g_assert_cmpuint(used(&l), ==, 1);
	chip = nl3_get_tstr(begin, 2);
	chain = cloud_issue(&l, begin, chip, 1, dev_point);
	close(fd);

	/* killed in DEVICE_COMPLETE after programming, then after locking: it resumes */
	restart(&l, "complete:programmed");
	fd = nl3_connect(l.nl.sock);
	g_assert_cmpint(device_complete(fd, 0, chain, NULL), ==, -1);
	close(fd);
	g_assert_cmpint(nl3_sim_wait(&l.nl), ==, 99);
	restart(&l, "complete:locked");
	fd = nl3_connect(l.nl.sock);
	g_assert_cmpint(device_complete(fd, 0, chain, NULL), ==, -1);
	close(fd);
	g_assert_cmpint(nl3_sim_wait(&l.nl), ==, 99);
	restart(&l, NULL);
	g_assert_cmpuint(slot_state(&l, 0), ==, 1);
	fd = nl3_connect(l.nl.sock);
	nl3_assert_rc(device_complete(fd, 0, chain, &done), FWN_RC_OK);
	close(fd);
	check_done(&l, done, chip, dev_point);
	g_assert_cmpuint(slot_state(&l, 0), ==, 0);
	g_assert_cmpuint(used(&l), ==, 1);

	/* killed between the state record and the monotonic counter: the record is taken */
	restart(&l, "state:written");
	fd = nl3_connect(l.nl.sock);
	g_assert_cmpint(device_begin(fd, 1, NULL), ==, -1);
	close(fd);
	g_assert_cmpint(nl3_sim_wait(&l.nl), ==, 99);
	restart(&l, NULL);
	g_assert_cmpuint(used(&l), ==, 2);
	g_assert_cmpuint(slot_state(&l, 1), ==, 1);

	/* an abort: a record signed by the request key; the unit stays spent */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) resp = NULL;
		g_autoptr(GBytes) rec = NULL;
		g_autoptr(GBytes) req_point = g_bytes_new(l.keys.req, 65);
		g_autoptr(NuSecCloudAbort) ab = NULL;
		Nl3Cbor c;
		g_autoptr(GBytes) req = NULL;
		nl3_cbor_init(&c);
		fwc_cbor_write_map(&c.w, 2);
		fwc_cbor_write_uint(&c.w, 1);
		fwc_cbor_write_uint(&c.w, 1);
		fwc_cbor_write_uint(&c.w, 2);
		fwc_cbor_write_tstr(&c.w, "operator abort", 14);
		req = nl3_cbor_bytes(&c);
		nl3_assert_rc(nl3_xfer(&l.nl,
				       FWN_CMD_DEVICE_ABORT,
				       g_bytes_get_data(req, NULL),
				       g_bytes_get_size(req),
				       &resp),
			      FWN_RC_OK);
		rec = nl3_get_bstr(resp, 1);
		ab = nusec_cloud_abort_parse(rec, req_point, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(ab->chip_id, ==, l.chip[1]);
		g_assert_cmpstr(ab->reason, ==, "operator abort");
		g_assert_cmpuint(slot_state(&l, 1), ==, 0);
		g_assert_cmpuint(used(&l), ==, 2);
		/* nothing left to abort or complete on that slot */
		nl3_assert_rc(nl3_xfer(&l.nl,
				       FWN_CMD_DEVICE_ABORT,
				       g_bytes_get_data(req, NULL),
				       g_bytes_get_size(req),
				       NULL),
			      FWN_RC_SLOT_STATE);
	}
	/* the unit comes back only with the cloud's credit, once */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) c1 = credit_build(l.pki.package_key, "order-1", "NL3-LINE", 1);
		g_autoptr(NuSecSigner) rogue = nusec_pem_signer_new_random(&error);
		g_autoptr(GBytes) forged = credit_build(rogue, "order-1", "NL3-LINE", 5);
		g_autoptr(GBytes) other = credit_build(l.pki.package_key, "order-1", "NL3-XXXX", 5);
		g_autoptr(GBytes) unknown =
		    credit_build(l.pki.package_key, "order-9", "NL3-LINE", 5);
		g_assert_cmpuint(limit(&l), ==, 4);
		nl3_assert_rc(credit(&l, forged), FWN_RC_PKG_SIGNATURE);
		nl3_assert_rc(credit(&l, other), FWN_RC_PKG_OTHER_PROGRAMMER);
		nl3_assert_rc(credit(&l, unknown), FWN_RC_NO_ORDER);
		nl3_assert_rc(credit(&l, c1), FWN_RC_OK);
		g_assert_cmpuint(limit(&l), ==, 5);
		nl3_assert_rc(credit(&l, c1), FWN_RC_CREDIT_STALE);
		nl3_sim_kill9(&l.nl);
		g_assert_true(nl3_sim_start(&l.nl, NULL));
		g_assert_cmpuint(limit(&l), ==, 5);
		nl3_assert_rc(credit(&l, c1), FWN_RC_CREDIT_STALE);
	}
	/* a chip of another silicon vendor (not the CA installed at setup): refused at ATTEST,
	 * before anything is written to it or spent */
	{
		g_autofree gchar *vkey = g_build_filename(l.pki.dir, "other-vendor.key", NULL);
		g_autofree gchar *vcert = g_build_filename(l.pki.dir, "other-vendor.pem", NULL);
		const gchar *a1[] = {"openssl",
				     "ecparam",
				     "-genkey",
				     "-name",
				     "prime256v1",
				     "-noout",
				     "-out",
				     vkey,
				     NULL};
		const gchar *a2[] = {"openssl",
				     "req",
				     "-x509",
				     "-new",
				     "-key",
				     vkey,
				     "-subj",
				     "/CN=Other Vendor CA",
				     "-days",
				     "30",
				     "-out",
				     vcert,
				     NULL};
		fwc_tlink_info info;
		nl3_run(a1);
		nl3_run(a2);
		target_stop(&l, 3);
		g_free(l.chip[3]);
		target_start_vendor(&l, 3, NULL, vkey, vcert);
		fd = nl3_connect(l.nl.sock);
		nl3_assert_rc(device_begin(fd, 3, NULL), FWN_RC_ATTESTATION);
		close(fd);
		g_assert_cmpuint(used(&l), ==, 2);
		g_assert_cmpuint(slot_state(&l, 3), ==, 0);
		nl3_sim_kill9(&l.nl);
		g_assert_cmpint(target_direct_info(&l, 3, &info), ==, FWC_TLINK_OK);
		g_assert_cmpuint(info.otp_flags, ==, 0);
		g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, ==, 0);
		g_assert_true(nl3_sim_start(&l.nl, NULL));
	}
	/* wrong slots */
	fd = nl3_connect(l.nl.sock);
	nl3_assert_rc(device_begin(fd, 7, NULL), FWN_RC_BAD_SLOT);
	nl3_assert_rc(device_complete(fd, 2, chain, NULL), FWN_RC_SLOT_STATE);
	close(fd);
}

/* one device in one slot, resuming whatever state a kill left; stops when the programmer dies */
static gpointer
provision_resume(gpointer data)
{
	Job *j = data;
	int fd = nl3_connect(j->l->nl.sock);
	g_autoptr(GBytes) begin = NULL;
	g_autoptr(GBytes) chain = NULL;
	g_autoptr(GBytes) done = NULL;
	g_autofree gchar *chip = NULL;
	guint8 dev_point[65];
	int rc;

	rc = device_begin(fd, j->slot, &begin);
	if (rc != -1) {
		nl3_assert_rc(rc, FWN_RC_OK);
		chip = nl3_get_tstr(begin, 2);
		g_mutex_lock(&psa_lock);
		chain = cloud_issue(j->l, begin, chip, nl3_get_uint(begin, 3), dev_point);
		g_mutex_unlock(&psa_lock);
		rc = device_complete(fd, j->slot, chain, &done);
		if (rc != -1) {
			nl3_assert_rc(rc, FWN_RC_OK);
			g_mutex_lock(&psa_lock);
			check_done(j->l, done, chip, dev_point);
			g_mutex_unlock(&psa_lock);
		}
	}
	close(fd);
	return NULL;
}

/* the target's own view: locked and running the image */
static gboolean
target_done(Line *l, guint i)
{
	fwc_tlink_info info;
	g_assert_cmpint(target_direct_info(l, i, &info), ==, FWC_TLINK_OK);
	return info.lifecycle == FWC_TLINK_LC_LOCKED && info.boot_state == FWC_TLINK_BOOT_ACCEPTED;
}

/*
 * kill -9 at random moments while four slots provision; after each kill the count never
 * exceeds the limit, every finished device holds a unit, and in the end the four devices
 * have used exactly four units: none lost, none counted twice.
 */
static void
test_provision_random_kill(void)
{
	g_auto(Line) l;
	g_autoptr(GRand) rnd = g_rand_new();
	gboolean done[SLOTS] = {FALSE};
	guint n_done = 0, round;

	line_init(&l, 6, "24K", 16000);
	for (round = 0; round < 10 && n_done < SLOTS; round++) {
		GThread *th[SLOTS] = {NULL};
		Job jobs[SLOTS];
		guint64 u;
		for (guint i = 0; i < SLOTS; i++) {
			if (done[i])
				continue;
			jobs[i] = (Job){.l = &l, .slot = i};
			th[i] = g_thread_new("slot", provision_resume, &jobs[i]);
		}
		g_usleep(g_rand_int_range(rnd, 30, 1200) * 1000);
		nl3_sim_kill9(&l.nl);
		for (guint i = 0; i < SLOTS; i++) {
			if (th[i] != NULL)
				g_thread_join(th[i]);
		}
		n_done = 0;
		for (guint i = 0; i < SLOTS; i++) {
			done[i] = target_done(&l, i);
			n_done += done[i];
		}
		g_assert_true(nl3_sim_start(&l.nl, NULL));
		u = used(&l);
		g_assert_cmpuint(u, <=, SLOTS);
		g_assert_cmpuint(u, >=, n_done);
	}
	g_test_message("%u rounds", round);
	/* whatever was left finishes without a kill */
	for (guint i = 0; i < SLOTS; i++) {
		Job j = {.l = &l, .slot = i};
		if (!done[i])
			provision_resume(&j);
	}
	/* a target-sim serves one link at a time: ask the targets while the programmer is down */
	nl3_sim_kill9(&l.nl);
	for (guint i = 0; i < SLOTS; i++)
		g_assert_true(target_done(&l, i));
	g_assert_true(nl3_sim_start(&l.nl, NULL));
	for (guint i = 0; i < SLOTS; i++)
		g_assert_cmpuint(slot_state(&l, i), ==, 0);
	g_assert_cmpuint(used(&l), ==, SLOTS);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nulink3/provision/parallel", test_provision_parallel);
	g_test_add_func("/nulink3/provision/quota", test_provision_quota);
	g_test_add_func("/nulink3/provision/kill", test_provision_kill);
	g_test_add_func("/nulink3/provision/random-kill", test_provision_random_kill);
	return g_test_run();
}
