/*
 * HPKE (RFC 9180) recipient side for the firmware: base mode, DHKEM(P-256, HKDF-SHA256)
 * (kem_id 0x0010), HKDF-SHA256 (kdf_id 0x0001), AES-128-GCM (aead_id 0x0001).
 *
 * The recipient private key never leaves the PSA keystore: it is named by its key id and used
 * only through psa_raw_key_agreement. Everything else (HKDF, AES-GCM) goes through the PSA
 * Crypto API as well. No heap, no GLib: callers provide every buffer. Every intermediate secret
 * is wiped before returning. See docs/formats/hpke.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FWC_HPKE_KEM_ID	 0x0010 /* DHKEM(P-256, HKDF-SHA256) */
#define FWC_HPKE_KDF_ID	 0x0001 /* HKDF-SHA256 */
#define FWC_HPKE_AEAD_ID 0x0001 /* AES-128-GCM */

#define FWC_HPKE_ENC_LEN    65 /* Nenc: uncompressed point 0x04 || X || Y */
#define FWC_HPKE_SECRET_LEN 32 /* Nsecret = Nh */
#define FWC_HPKE_KEY_LEN    16 /* Nk */
#define FWC_HPKE_NONCE_LEN  12 /* Nn */
#define FWC_HPKE_TAG_LEN    16 /* Nt */

/* documented input bounds (docs/formats/hpke.md); the sealing side enforces the same ones */
#define FWC_HPKE_INFO_MAX	    1024
#define FWC_HPKE_AAD_MAX	    4096
#define FWC_HPKE_EXPORT_CONTEXT_MAX 256
#define FWC_HPKE_EXPORT_MAX	    (255 * FWC_HPKE_SECRET_LEN) /* 255 * Nh */

/* a psa_key_id_t: an ECC_KEY_PAIR(SECP_R1) 256-bit key, usage DERIVE, algorithm PSA_ALG_ECDH */
typedef uint32_t fwc_hpke_key_id;

typedef enum {
	FWC_HPKE_OK = 0,
	FWC_HPKE_ERR_INIT,		      /* the crypto engine failed to initialise */
	FWC_HPKE_ERR_ARGUMENT,		      /* NULL buffer with a length, or context not set up */
	FWC_HPKE_ERR_INFO_TOO_LONG,	      /* info longer than FWC_HPKE_INFO_MAX */
	FWC_HPKE_ERR_AAD_TOO_LONG,	      /* aad longer than FWC_HPKE_AAD_MAX */
	FWC_HPKE_ERR_ENC_LENGTH,	      /* enc is not FWC_HPKE_ENC_LEN (65) bytes */
	FWC_HPKE_ERR_ENC_FORMAT,	      /* enc does not start with 0x04 (not uncompressed) */
	FWC_HPKE_ERR_ENC_NOT_ON_CURVE,	      /* enc is not a point of P-256 */
	FWC_HPKE_ERR_CT_TOO_SHORT,	      /* ciphertext shorter than the 16-byte tag */
	FWC_HPKE_ERR_BUFFER_TOO_SMALL,	      /* plaintext buffer smaller than ct_len - 16 */
	FWC_HPKE_ERR_BAD_KEY,		      /* skR is not a usable P-256 ECDH key pair */
	FWC_HPKE_ERR_TAG_MISMATCH,	      /* authentication failed: wrong key, tampered data */
	FWC_HPKE_ERR_SEQ_OVERFLOW,	      /* the context's sequence number is exhausted */
	FWC_HPKE_ERR_EXPORT_CONTEXT_TOO_LONG, /* exporter context longer than the bound */
	FWC_HPKE_ERR_EXPORT_LENGTH,	      /* export length 0 or over FWC_HPKE_EXPORT_MAX */
	FWC_HPKE_ERR_KDF,		      /* HMAC-SHA256 (HKDF) computation failed */
	FWC_HPKE_ERR_INTERNAL,		      /* unexpected PSA failure */
} fwc_hpke_status;

const char *
fwc_hpke_strerror(int status);

/*
 * A recipient context (RFC 9180 §5.2): the AEAD key, base nonce, exporter secret and the next
 * sequence number. Caller-allocated; treat the fields as private. Wipe it with
 * fwc_hpke_ctx_wipe() when done (it holds secrets).
 */
typedef struct {
	uint8_t key[FWC_HPKE_KEY_LEN];
	uint8_t base_nonce[FWC_HPKE_NONCE_LEN];
	uint8_t exporter_secret[FWC_HPKE_SECRET_LEN];
	uint64_t seq;
	uint32_t state;
} fwc_hpke_ctx;

/*
 * Single-shot open (RFC 9180 §6.1, sequence number 0): decapsulates @enc with @skR, derives the
 * key schedule from @info and decrypts @ct (ciphertext || 16-byte tag) authenticated with @aad
 * into @pt. On success *@pt_len = ct_len - 16. On any failure @pt holds no plaintext.
 */
int
fwc_hpke_open(fwc_hpke_key_id skR,
	      const uint8_t *enc,
	      size_t enc_len,
	      const uint8_t *info,
	      size_t info_len,
	      const uint8_t *aad,
	      size_t aad_len,
	      const uint8_t *ct,
	      size_t ct_len,
	      uint8_t *pt,
	      size_t pt_cap,
	      size_t *pt_len);

/* SetupBaseR (RFC 9180 §5.1.1): fills @ctx, sequence number 0 */
int
fwc_hpke_setup_receiver(fwc_hpke_ctx *ctx,
			fwc_hpke_key_id skR,
			const uint8_t *enc,
			size_t enc_len,
			const uint8_t *info,
			size_t info_len);

/* ContextR.Open at the context's sequence number, which moves on by one after a success */
int
fwc_hpke_ctx_open(fwc_hpke_ctx *ctx,
		  const uint8_t *aad,
		  size_t aad_len,
		  const uint8_t *ct,
		  size_t ct_len,
		  uint8_t *pt,
		  size_t pt_cap,
		  size_t *pt_len);

/* ContextR.Open at an explicit sequence number; the context's own counter does not move */
int
fwc_hpke_ctx_open_at(const fwc_hpke_ctx *ctx,
		     uint64_t seq,
		     const uint8_t *aad,
		     size_t aad_len,
		     const uint8_t *ct,
		     size_t ct_len,
		     uint8_t *pt,
		     size_t pt_cap,
		     size_t *pt_len);

/* Context.Export (RFC 9180 §5.3): @out_len bytes (1..FWC_HPKE_EXPORT_MAX) into @out */
int
fwc_hpke_ctx_export(const fwc_hpke_ctx *ctx,
		    const uint8_t *exporter_context,
		    size_t exporter_context_len,
		    uint8_t *out,
		    size_t out_len);

/* wipes every secret of @ctx; it must be set up again before use */
void
fwc_hpke_ctx_wipe(fwc_hpke_ctx *ctx);
