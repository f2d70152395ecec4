/*
 * Helpers of the target tests: OpenSSL checks (CSR, certificates, ECDSA) independent of the
 * firmware code, and a GLib-side client of the target link.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fwc-crypto.h"
#include "fwc-link.h"
#include "fwc-tlink.h"

/* EVP_PKEY of an uncompressed P-256 point */
EVP_PKEY *
tt_point_to_pkey(const guint8 point[FWC_P256_POINT_LEN]);
/* a new random P-256 key */
EVP_PKEY *
tt_random_key(void);
/* DER of a certificate for @subject_pub with CN @cn, signed by @issuer_key (self-signed
 * CA when @subject_pub == @issuer_key, with basicConstraints CA:TRUE) */
GBytes *
tt_make_cert(EVP_PKEY *subject_pub, EVP_PKEY *issuer_key, const gchar *cn);
/* checks the DER CSR with OpenSSL (X509_REQ_verify) and returns its CN and public point */
void
tt_check_csr(const guint8 *der, gsize len, gchar **cn, guint8 point[FWC_P256_POINT_LEN]);
/* ECDSA P-256 verify with OpenSSL: raw r||s over SHA-256 digest */
gboolean
tt_verify_digest(EVP_PKEY *pub, const guint8 digest[32], const guint8 sig[64]);
/* WRITE_CERT payload of a chain */
GBytes *
tt_chain_payload(GBytes **certs, guint n);
/* hex of bytes */
gchar *
tt_hex(const guint8 *data, gsize len);

/* a response: status and payload */
typedef struct {
	guint16 status;
	GBytes *payload;
} TtResponse;
void
tt_response_clear(TtResponse *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TtResponse, tt_response_clear)

/* a frame for @cmd with @payload (NULL = empty) */
GBytes *
tt_request(guint8 cmd, const guint8 *payload, gsize len);
/* decodes a response to @cmd, asserting it is a well-formed response */
void
tt_decode_response(const guint8 *buf, gsize len, guint8 cmd, TtResponse *out);
