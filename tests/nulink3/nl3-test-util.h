/*
 * Helpers of the NuLink3 tests: a nulink3-sim process and its client, target-sim processes,
 * CBOR payload building and reading, and the test PKI (cloud CA, vendor CA, package key).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>

#include "fwc-cbor.h"
#include "fwn-usb.h"
#include "nusec-signer.h"

typedef struct {
	gchar *dir;
	gchar *vendor_key;  /* PEM path */
	gchar *vendor_cert; /* PEM path */
	GBytes *vendor_der;
	EVP_PKEY *cloud_ca_key;
	GBytes *cloud_ca; /* DER, CN "Test CA" */
	NuSecSigner *package_key;
	guint8 package_point[65];
	gchar *boot_key; /* PEM path */
} Nl3Pki;

void
nl3_pki_init(Nl3Pki *pki);
void
nl3_pki_clear(Nl3Pki *pki);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Nl3Pki, nl3_pki_clear)

/* GSubprocessLauncher child setup: PR_SET_PDEATHSIG */
void
nl3_child_setup(gpointer data);

/* runs a command, asserting it succeeds */
void
nl3_run(const gchar *const *argv);

typedef struct {
	const Nl3Pki *pki;
	gchar *state;
	gchar *sock;
	gchar *serial;
	GSubprocess *proc;
	int fd;
	GPtrArray *extra; /* more arguments */
} Nl3Sim;

void
nl3_sim_init(Nl3Sim *s, const Nl3Pki *pki, const gchar *name, const gchar *serial);
/* TRUE once ready; @crash sets NUSEC_NULINK3_SIM_CRASH */
gboolean
nl3_sim_start(Nl3Sim *s, const gchar *crash);
/* waits for the process to end; returns its exit status (signal: 128 + signal) */
int
nl3_sim_wait(Nl3Sim *s);
void
nl3_sim_kill9(Nl3Sim *s);
void
nl3_sim_clear(Nl3Sim *s);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Nl3Sim, nl3_sim_clear)

/* a connection of its own (one per thread) */
int
nl3_connect(const gchar *sock);
/* one request on @fd; the status, or -1 when the connection closed without an answer */
int
nl3_xfer_fd(int fd, guint8 cmd, const guint8 *payload, gsize len, GBytes **out);
int
nl3_xfer(Nl3Sim *s, guint8 cmd, const guint8 *payload, gsize len, GBytes **out);
/* raw bytes; reads one response frame into *out (whole frame) or returns FALSE */
gboolean
nl3_raw(Nl3Sim *s, const guint8 *data, gsize len, GBytes **frame);

#define nl3_assert_rc(got, want)                                                                   \
	do {                                                                                       \
		int _g = (got), _w = (want);                                                       \
		if (_g != _w)                                                                      \
			g_error("%s:%d: got %s (%d), expected %s",                                 \
				__FILE__,                                                          \
				__LINE__,                                                          \
				fwn_usb_rc_name(_g),                                               \
				_g,                                                                \
				fwn_usb_rc_name(_w));                                              \
	} while (0)

/* CBOR map building: nl3_map(n) then pairs */
typedef struct {
	guint8 buf[32768];
	fwc_cbor_writer w;
} Nl3Cbor;

void
nl3_cbor_init(Nl3Cbor *c);
GBytes *
nl3_cbor_bytes(Nl3Cbor *c);

/* reading a response map: the value of integer key @key (asserting it is there) */
guint64
nl3_get_uint(GBytes *map, guint64 key);
GBytes *
nl3_get_bstr(GBytes *map, guint64 key);
gchar *
nl3_get_tstr(GBytes *map, guint64 key);
/* raw bytes of the item under @key, or NULL */
GBytes *
nl3_get_raw(GBytes *map, guint64 key);

/* the programmer's keys after setup */
typedef struct {
	guint8 tls[65];
	guint8 req[65];
	guint8 enc[65];
} Nl3Keys;

/* SETUP_BEGIN, SETUP_INSTALL (cert for the TLS key by the test cloud CA), SETUP_LOCK */
void
nl3_setup(Nl3Sim *s, Nl3Keys *keys);
