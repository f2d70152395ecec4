/*
 * MCUboot image format, firmware side: parse and verify a signed image held in memory.
 * Portable C, no heap, no GLib; crypto through fwc-crypto (PSA). See docs/formats/image.md.
 *
 * Layout: header (32 bytes, padded to hdr_size) | body (img_size) | protected TLV area
 * (protect_tlv_size bytes, magic 0x6908, only when protect_tlv_size != 0) | TLV area (magic
 * 0x6907). The SHA256 TLV and the ECDSA_SIG TLV cover header + body + protected TLV area.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"

#define FWC_IMAGE_MAGIC		      0x96f3b83du
#define FWC_IMAGE_MAGIC_ERASED	      0xffffffffu /* what blank flash reads */
#define FWC_IMAGE_HEADER_SIZE	      32
#define FWC_IMAGE_TLV_INFO_SIZE	      4
#define FWC_IMAGE_TLV_HEADER_SIZE     4
#define FWC_IMAGE_TLV_INFO_MAGIC      0x6907
#define FWC_IMAGE_TLV_PROT_INFO_MAGIC 0x6908

/* TLV types (u16, little-endian; imgtool writes them as u8 type + u8 0) */
#define FWC_IMAGE_TLV_KEYHASH	0x01 /* SHA-256 of the signer's DER SubjectPublicKeyInfo */
#define FWC_IMAGE_TLV_PUBKEY	0x02 /* the signer's DER SubjectPublicKeyInfo */
#define FWC_IMAGE_TLV_SHA256	0x10 /* SHA-256 of header + body + protected TLV area */
#define FWC_IMAGE_TLV_ECDSA_SIG 0x22 /* DER ECDSA-Sig-Value, P-256 / SHA-256 */
#define FWC_IMAGE_TLV_SEC_CNT	0x50 /* u32 security counter, protected area only */

/* header flags (MCUboot bootutil/image.h) */
#define FWC_IMAGE_F_PIC		     0x00000001u
#define FWC_IMAGE_F_ENCRYPTED_AES128 0x00000004u
#define FWC_IMAGE_F_ENCRYPTED_AES256 0x00000008u
#define FWC_IMAGE_F_NON_BOOTABLE     0x00000010u
#define FWC_IMAGE_F_RAM_LOAD	     0x00000020u
#define FWC_IMAGE_F_ROM_FIXED	     0x00000100u
/* the only flags an image may carry here: imgtool sets RAM_LOAD for -L and ROM_FIXED for -F */
#define FWC_IMAGE_F_SUPPORTED (FWC_IMAGE_F_RAM_LOAD | FWC_IMAGE_F_ROM_FIXED)

typedef enum {
	FWC_IMAGE_OK = 0,
	FWC_IMAGE_ERR_ARGUMENT,			/* NULL buffer, info or trust anchor; bad mode */
	FWC_IMAGE_ERR_NO_IMAGE,			/* empty buffer, or erased flash (0xffffffff) */
	FWC_IMAGE_ERR_TRUNCATED_HEADER,		/* shorter than 32 bytes or than hdr_size */
	FWC_IMAGE_ERR_BAD_MAGIC,		/* the header magic is not 0x96f3b83d */
	FWC_IMAGE_ERR_HEADER_SIZE,		/* hdr_size < 32 */
	FWC_IMAGE_ERR_SIZE_OVERFLOW,		/* hdr_size + img_size + protected area > 4 GiB */
	FWC_IMAGE_ERR_TRUNCATED_BODY,		/* hdr_size + img_size past the end of the buffer */
	FWC_IMAGE_ERR_TRUNCATED_TLV_INFO,	/* no room for a TLV area's 4-byte info header */
	FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC,	/* protect_tlv_size != 0 but no 0x6908 info */
	FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH,	/* 0x6908 total != header's protect_tlv_size */
	FWC_IMAGE_ERR_BAD_TLV_MAGIC,		/* no 0x6907 info where the TLV area starts */
	FWC_IMAGE_ERR_TLV_AREA_LENGTH,		/* a TLV area total smaller than its info header */
	FWC_IMAGE_ERR_TRUNCATED_TLV_AREA,	/* a TLV area runs past the end of the buffer */
	FWC_IMAGE_ERR_TRUNCATED_TLV,		/* a TLV header or value runs past its area */
	FWC_IMAGE_ERR_TRAILING_DATA,		/* bytes after the TLV area */
	FWC_IMAGE_ERR_UNKNOWN_PROTECTED_TLV,	/* a protected TLV this verifier cannot enforce */
	FWC_IMAGE_ERR_DUPLICATE_TLV,		/* SEC_CNT, SHA256, key or signature TLV twice */
	FWC_IMAGE_ERR_BAD_TLV_LENGTH,		/* SEC_CNT not 4 bytes, SHA256 or KEYHASH not 32 */
	FWC_IMAGE_ERR_UNPROTECTED_SEC_CNT,	/* SEC_CNT outside the protected area */
	FWC_IMAGE_ERR_ENCRYPTED,		/* ENCRYPTED_AES128/256 flag: not supported */
	FWC_IMAGE_ERR_UNSUPPORTED_FLAGS,	/* any other flag outside FWC_IMAGE_F_SUPPORTED */
	FWC_IMAGE_ERR_MISSING_HASH,		/* no SHA256 TLV */
	FWC_IMAGE_ERR_HASH_MISMATCH,		/* SHA256 TLV differs from the computed hash */
	FWC_IMAGE_ERR_MISSING_KEY,		/* neither KEYHASH nor PUBKEY TLV */
	FWC_IMAGE_ERR_MISSING_PUBKEY,		/* key-hash trust anchor but only a KEYHASH TLV */
	FWC_IMAGE_ERR_KEY_HASH_MISMATCH,	/* the image's key is not the trusted key */
	FWC_IMAGE_ERR_BAD_PUBLIC_KEY,		/* PUBKEY TLV or given key is not a P-256 key */
	FWC_IMAGE_ERR_MISSING_SIGNATURE,	/* no ECDSA_SIG TLV */
	FWC_IMAGE_ERR_BAD_SIGNATURE_DER,	/* ECDSA_SIG TLV is not a strict DER signature */
	FWC_IMAGE_ERR_BAD_SIGNATURE,		/* the signature does not verify */
	FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER, /* a minimum counter > 0 but no SEC_CNT TLV */
	FWC_IMAGE_ERR_ROLLBACK,			/* SEC_CNT below the minimum counter */
	FWC_IMAGE_ERR_CRYPTO,			/* the crypto engine failed */
} fwc_image_status;

/* a specific human-readable message */
const char *
fwc_image_strerror(int status);
/* the enumerator's name, e.g. "FWC_IMAGE_ERR_ROLLBACK" (test expectations, JSON output) */
const char *
fwc_image_status_name(int status);

typedef struct {
	uint8_t major;
	uint8_t minor;
	uint16_t revision;
	uint32_t build;
} fwc_image_version;

typedef enum {
	FWC_IMAGE_KEY_NONE = 0,
	FWC_IMAGE_KEY_HASH, /* KEYHASH TLV */
	FWC_IMAGE_KEY_FULL, /* PUBKEY TLV */
} fwc_image_key_kind;

/* what fwc_image_parse / fwc_image_verify found; offsets are from the start of the buffer */
typedef struct {
	/* header */
	uint32_t load_addr;
	uint16_t hdr_size;
	uint16_t protect_tlv_size;
	uint32_t img_size;
	uint32_t flags;
	fwc_image_version version;
	/* layout */
	size_t body_offset; /* == hdr_size */
	size_t body_len;    /* == img_size */
	size_t prot_tlv_offset;
	size_t prot_tlv_len; /* 0 when there is no protected area */
	size_t tlv_offset;
	size_t tlv_len;
	size_t signed_len; /* header + body + protected area: what the hash covers */
	size_t total_len;  /* == the buffer length */
	size_t tlv_count;  /* TLVs in both areas */
	/* TLVs */
	bool has_security_counter;
	uint32_t security_counter;
	bool has_hash;
	uint8_t hash[FWC_SHA256_LEN]; /* the SHA256 TLV; equal to the computed hash after verify */
	fwc_image_key_kind key_kind;
	uint8_t key_hash[FWC_SHA256_LEN]; /* KEYHASH TLV, or SHA-256 of the PUBKEY TLV */
	size_t pubkey_offset;		  /* PUBKEY TLV value, when key_kind == FULL */
	size_t pubkey_len;
	bool has_signature;
	size_t sig_offset; /* ECDSA_SIG TLV value */
	size_t sig_len;
} fwc_image_info;

/*
 * Structural parse, no signature check: header, sizes, both TLV areas and the TLV rules
 * (unknown or duplicate protected TLVs, duplicate known TLVs, lengths, SEC_CNT placement,
 * trailing data). Flags and the presence of SHA256/key/signature are checked by
 * fwc_image_verify only, so that a dump can show unsigned or encrypted images.
 * Returns FWC_IMAGE_OK or the first error; @info is zeroed on entry.
 */
int
fwc_image_parse(const uint8_t *buf, size_t len, fwc_image_info *info);

typedef enum {
	/* a public key given by the caller (65-byte point); the image carries KEYHASH or PUBKEY
	 * and either must name that key */
	FWC_IMAGE_TRUST_PUBLIC_KEY = 1,
	/* only SHA-256 of the signer's SPKI is trusted (OTP): the image must carry PUBKEY, whose
	 * SHA-256 must equal the hash (constant-time compare); the signature is checked with it */
	FWC_IMAGE_TRUST_KEY_HASH = 2,
} fwc_image_trust_mode;

typedef struct {
	fwc_image_trust_mode mode;
	const uint8_t *public_key; /* FWC_P256_POINT_LEN bytes, mode PUBLIC_KEY */
	const uint8_t *key_hash;   /* FWC_SHA256_LEN bytes, mode KEY_HASH */
	/* anti-rollback: SEC_CNT must be >= this; when > 0 an image without SEC_CNT is rejected */
	uint32_t min_security_counter;
} fwc_image_trust;

/*
 * Full verification: fwc_image_parse, flags, SHA-256 of header + body + protected area
 * against the SHA256 TLV, the key TLV against @trust, the ECDSA P-256 signature, then the
 * security counter against the minimum. Returns FWC_IMAGE_OK only when everything holds;
 * @info (optional, may be NULL) is filled as far as parsing went.
 */
int
fwc_image_verify(const uint8_t *buf,
		 size_t len,
		 const fwc_image_trust *trust,
		 fwc_image_info *info);

/* one TLV, as walked by fwc_image_tlv_next */
typedef struct {
	uint16_t type;
	uint16_t len;
	const uint8_t *value;
	size_t offset; /* of the TLV header */
	bool is_protected;
} fwc_image_tlv;

typedef struct {
	const uint8_t *buf;
	size_t off;
	size_t prot_end;
	size_t end;
	size_t tlv_start;
} fwc_image_tlv_iter;

/* walks the TLVs of a buffer that fwc_image_parse accepted with @info (protected first) */
void
fwc_image_tlv_iter_init(fwc_image_tlv_iter *it, const uint8_t *buf, const fwc_image_info *info);
/* 1 with @tlv filled, 0 at the end */
int
fwc_image_tlv_next(fwc_image_tlv_iter *it, fwc_image_tlv *tlv);
