/*
 * HPKE (RFC 9180), OpenSSL 3.0 side (cloud and station): base mode only, with the single suite
 * NuSEC uses: DHKEM(P-256, HKDF-SHA256) (kem_id 0x0010), HKDF-SHA256 (kdf_id 0x0001),
 * AES-128-GCM (aead_id 0x0001). OpenSSL 3.0 has no HPKE API: this is built from EVP_PKEY_derive
 * (ECDH), EVP_KDF "HKDF" (EXTRACT_ONLY / EXPAND_ONLY) and EVP AES-128-GCM.
 *
 * The firmware side (recipient only, PSA Crypto) is firmware/common/hpke/fwc-hpke.h; both
 * enforce the same input bounds. See docs/formats/hpke.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define NUSEC_HPKE_KEM_ID  0x0010 /* DHKEM(P-256, HKDF-SHA256) */
#define NUSEC_HPKE_KDF_ID  0x0001 /* HKDF-SHA256 */
#define NUSEC_HPKE_AEAD_ID 0x0001 /* AES-128-GCM */

#define NUSEC_HPKE_ENC_LEN    65 /* Nenc: uncompressed point 0x04 || X || Y */
#define NUSEC_HPKE_SECRET_LEN 32 /* Nsecret = Nh */
#define NUSEC_HPKE_KEY_LEN    16 /* Nk */
#define NUSEC_HPKE_NONCE_LEN  12 /* Nn */
#define NUSEC_HPKE_TAG_LEN    16 /* Nt */

/* the bounds the firmware enforces (FWC_HPKE_*): sealing refuses to exceed them */
#define NUSEC_HPKE_INFO_MAX	      1024
#define NUSEC_HPKE_AAD_MAX	      4096
#define NUSEC_HPKE_EXPORT_CONTEXT_MAX 256
#define NUSEC_HPKE_EXPORT_MAX	      (255 * NUSEC_HPKE_SECRET_LEN)

/*
 * Single-shot seal (RFC 9180 §6.1, SealBase) with a fresh random ephemeral key.
 * @recipient_spki_or_point: the recipient public key, either a 65-byte uncompressed P-256 point or
 * a DER SubjectPublicKeyInfo of one. Returns ciphertext || 16-byte tag and sets *@enc_out to the
 * 65-byte encapsulated key. @info and @aad may be NULL (empty).
 */
GBytes *
nusec_hpke_seal(GBytes *recipient_spki_or_point,
		GBytes *info,
		GBytes *aad,
		GBytes *plaintext,
		GBytes **enc_out,
		GError **error);

/*
 * Single-shot open (RFC 9180 §6.1, OpenBase, sequence number 0) with any EVP_PKEY holding the
 * P-256 recipient private key. Errors: NUSEC_ERROR_INVALID_DATA for a malformed @enc or a
 * ciphertext shorter than the tag, NUSEC_ERROR_SIGNATURE_INVALID when the tag does not verify
 * (wrong key, tampered enc, info, aad or ciphertext), NUSEC_ERROR_INVALID_ARGUMENT for a wrong
 * key type or an input over its bound. The returned plaintext is wiped when freed.
 */
GBytes *
nusec_hpke_open(EVP_PKEY *recipient_private,
		GBytes *enc,
		GBytes *info,
		GBytes *aad,
		GBytes *ciphertext,
		GError **error);

/* DeriveKeyPair(ikm) for P-256 (RFC 9180 §7.1.3); @ikm must be at least 32 bytes */
EVP_PKEY *
nusec_hpke_derive_key_pair(GBytes *ikm, GError **error);

/* an HPKE encryption context (RFC 9180 §5.2): a sender seals, a recipient opens */
typedef struct _NuSecHpkeContext NuSecHpkeContext;

/* SetupBaseS with a fresh random ephemeral key; *@enc_out gets the 65-byte enc */
NuSecHpkeContext *
nusec_hpke_setup_sender(GBytes *recipient_spki_or_point,
			GBytes *info,
			GBytes **enc_out,
			GError **error);

/* SetupBaseR */
NuSecHpkeContext *
nusec_hpke_setup_receiver(EVP_PKEY *recipient_private, GBytes *enc, GBytes *info, GError **error);

/* ContextS.Seal at the current sequence number, then the number moves on; sender only.
 * Fails with NUSEC_ERROR_INVALID_ARGUMENT once the sequence number is exhausted. */
GBytes *
nusec_hpke_context_seal(NuSecHpkeContext *self, GBytes *aad, GBytes *plaintext, GError **error);

/* ContextR.Open at the current sequence number, which moves on after a success; recipient only */
GBytes *
nusec_hpke_context_open(NuSecHpkeContext *self, GBytes *aad, GBytes *ciphertext, GError **error);

/* ContextR.Open at an explicit sequence number; the context's counter does not move */
GBytes *
nusec_hpke_context_open_at(NuSecHpkeContext *self,
			   guint64 seq,
			   GBytes *aad,
			   GBytes *ciphertext,
			   GError **error);

/* Context.Export(exporter_context, L), 1 <= L <= NUSEC_HPKE_EXPORT_MAX; either role */
GBytes *
nusec_hpke_context_export(NuSecHpkeContext *self,
			  GBytes *exporter_context,
			  gsize length,
			  GError **error);

/* the sequence number the next seal or open will use */
guint64
nusec_hpke_context_get_seq(NuSecHpkeContext *self);

/* wipes the context's secrets and frees it */
void
nusec_hpke_context_free(NuSecHpkeContext *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecHpkeContext, nusec_hpke_context_free)

G_END_DECLS
