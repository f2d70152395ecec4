/*
 * Test-only entry points of nusec-hpke.c: deterministic encapsulation and the intermediate
 * values of the key schedule, so that the RFC 9180 test vectors can be checked step by step.
 * Production code must not use these: a reused ikmE reuses the AEAD key and nonce.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-hpke.h"

G_BEGIN_DECLS

typedef struct {
	guint8 key_schedule_context[1 + 2 * NUSEC_HPKE_SECRET_LEN];
	guint8 secret[NUSEC_HPKE_SECRET_LEN];
	guint8 key[NUSEC_HPKE_KEY_LEN];
	guint8 base_nonce[NUSEC_HPKE_NONCE_LEN];
	guint8 exporter_secret[NUSEC_HPKE_SECRET_LEN];
} NuSecHpkeKeySchedule;

/* Encap(pkR) with the ephemeral key DeriveKeyPair(@ikm_e) */
gboolean
nusec_hpke_encap_derand(GBytes *recipient_spki_or_point,
			GBytes *ikm_e,
			guint8 enc[NUSEC_HPKE_ENC_LEN],
			guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
			GError **error);

/* KeySchedule(mode_base, shared_secret, info, "", "") with every intermediate value */
gboolean
nusec_hpke_key_schedule(const guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
			GBytes *info,
			NuSecHpkeKeySchedule *out,
			GError **error);

/* SetupBaseS with the ephemeral key DeriveKeyPair(@ikm_e) */
NuSecHpkeContext *
nusec_hpke_setup_sender_derand(GBytes *recipient_spki_or_point,
			       GBytes *info,
			       GBytes *ikm_e,
			       GBytes **enc_out,
			       GError **error);

/* moves the sequence number (to test its exhaustion) */
void
nusec_hpke_context_set_seq(NuSecHpkeContext *self, guint64 seq);

G_END_DECLS
