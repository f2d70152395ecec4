/*
 * MCUboot image format, firmware side. See fwc-image.h and docs/formats/image.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-image.h"

#include <string.h>

/* header field offsets */
#define FWC_IMAGE_OFF_MAGIC	0
#define FWC_IMAGE_OFF_LOAD_ADDR 4
#define FWC_IMAGE_OFF_HDR_SIZE	8
#define FWC_IMAGE_OFF_PROT_SIZE 10
#define FWC_IMAGE_OFF_IMG_SIZE	12
#define FWC_IMAGE_OFF_FLAGS	16
#define FWC_IMAGE_OFF_VER_MAJOR 20
#define FWC_IMAGE_OFF_VER_MINOR 21
#define FWC_IMAGE_OFF_VER_REV	22
#define FWC_IMAGE_OFF_VER_BUILD 24

static const struct {
	fwc_image_status status;
	const char *name;
	const char *message;
} fwc_image_errors[] = {
    {FWC_IMAGE_OK, "FWC_IMAGE_OK", "success"},
    {FWC_IMAGE_ERR_ARGUMENT, "FWC_IMAGE_ERR_ARGUMENT", "invalid argument"},
    {FWC_IMAGE_ERR_NO_IMAGE, "FWC_IMAGE_ERR_NO_IMAGE", "no image: empty or erased (all 0xff)"},
    {FWC_IMAGE_ERR_TRUNCATED_HEADER,
     "FWC_IMAGE_ERR_TRUNCATED_HEADER",
     "image header truncated (shorter than 32 bytes or than hdr_size)"},
    {FWC_IMAGE_ERR_BAD_MAGIC, "FWC_IMAGE_ERR_BAD_MAGIC", "bad image magic (not 0x96f3b83d)"},
    {FWC_IMAGE_ERR_HEADER_SIZE, "FWC_IMAGE_ERR_HEADER_SIZE", "header size below 32 bytes"},
    {FWC_IMAGE_ERR_SIZE_OVERFLOW,
     "FWC_IMAGE_ERR_SIZE_OVERFLOW",
     "header, body and protected TLV sizes overflow 32 bits"},
    {FWC_IMAGE_ERR_TRUNCATED_BODY,
     "FWC_IMAGE_ERR_TRUNCATED_BODY",
     "image body truncated (img_size points past the end)"},
    {FWC_IMAGE_ERR_TRUNCATED_TLV_INFO,
     "FWC_IMAGE_ERR_TRUNCATED_TLV_INFO",
     "TLV area info header truncated"},
    {FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC,
     "FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC",
     "bad protected TLV area magic (not 0x6908)"},
    {FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH,
     "FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH",
     "protected TLV area length does not match the header's protect_tlv_size"},
    {FWC_IMAGE_ERR_BAD_TLV_MAGIC, "FWC_IMAGE_ERR_BAD_TLV_MAGIC", "bad TLV area magic (not 0x6907)"},
    {FWC_IMAGE_ERR_TLV_AREA_LENGTH,
     "FWC_IMAGE_ERR_TLV_AREA_LENGTH",
     "TLV area length smaller than its info header"},
    {FWC_IMAGE_ERR_TRUNCATED_TLV_AREA,
     "FWC_IMAGE_ERR_TRUNCATED_TLV_AREA",
     "TLV area truncated (its length points past the end)"},
    {FWC_IMAGE_ERR_TRUNCATED_TLV,
     "FWC_IMAGE_ERR_TRUNCATED_TLV",
     "TLV truncated (runs past the end of its area)"},
    {FWC_IMAGE_ERR_TRAILING_DATA,
     "FWC_IMAGE_ERR_TRAILING_DATA",
     "trailing data after the TLV area"},
    {FWC_IMAGE_ERR_UNKNOWN_PROTECTED_TLV,
     "FWC_IMAGE_ERR_UNKNOWN_PROTECTED_TLV",
     "unknown TLV in the protected area"},
    {FWC_IMAGE_ERR_DUPLICATE_TLV,
     "FWC_IMAGE_ERR_DUPLICATE_TLV",
     "duplicate TLV (security counter, hash, key or signature)"},
    {FWC_IMAGE_ERR_BAD_TLV_LENGTH, "FWC_IMAGE_ERR_BAD_TLV_LENGTH", "TLV has the wrong length"},
    {FWC_IMAGE_ERR_UNPROTECTED_SEC_CNT,
     "FWC_IMAGE_ERR_UNPROTECTED_SEC_CNT",
     "security counter TLV outside the protected area"},
    {FWC_IMAGE_ERR_ENCRYPTED, "FWC_IMAGE_ERR_ENCRYPTED", "encrypted images are not supported"},
    {FWC_IMAGE_ERR_UNSUPPORTED_FLAGS,
     "FWC_IMAGE_ERR_UNSUPPORTED_FLAGS",
     "image header has unsupported flags"},
    {FWC_IMAGE_ERR_MISSING_HASH, "FWC_IMAGE_ERR_MISSING_HASH", "no SHA256 TLV"},
    {FWC_IMAGE_ERR_HASH_MISMATCH,
     "FWC_IMAGE_ERR_HASH_MISMATCH",
     "image hash mismatch (SHA256 TLV differs from the computed hash)"},
    {FWC_IMAGE_ERR_MISSING_KEY, "FWC_IMAGE_ERR_MISSING_KEY", "no KEYHASH or PUBKEY TLV"},
    {FWC_IMAGE_ERR_MISSING_PUBKEY,
     "FWC_IMAGE_ERR_MISSING_PUBKEY",
     "no PUBKEY TLV: a key-hash trust anchor needs the full public key in the image"},
    {FWC_IMAGE_ERR_KEY_HASH_MISMATCH,
     "FWC_IMAGE_ERR_KEY_HASH_MISMATCH",
     "key hash mismatch: the image is signed by an untrusted key"},
    {FWC_IMAGE_ERR_BAD_PUBLIC_KEY,
     "FWC_IMAGE_ERR_BAD_PUBLIC_KEY",
     "public key is not a valid P-256 key"},
    {FWC_IMAGE_ERR_MISSING_SIGNATURE, "FWC_IMAGE_ERR_MISSING_SIGNATURE", "no ECDSA_SIG TLV"},
    {FWC_IMAGE_ERR_BAD_SIGNATURE_DER,
     "FWC_IMAGE_ERR_BAD_SIGNATURE_DER",
     "ECDSA_SIG TLV is not a valid DER signature"},
    {FWC_IMAGE_ERR_BAD_SIGNATURE, "FWC_IMAGE_ERR_BAD_SIGNATURE", "signature does not verify"},
    {FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER,
     "FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER",
     "no security counter TLV but a minimum security counter is required"},
    {FWC_IMAGE_ERR_ROLLBACK,
     "FWC_IMAGE_ERR_ROLLBACK",
     "rollback: security counter below the minimum"},
    {FWC_IMAGE_ERR_CRYPTO, "FWC_IMAGE_ERR_CRYPTO", "crypto engine failure"},
};

const char *
fwc_image_strerror(int status)
{
	for (size_t i = 0; i < sizeof(fwc_image_errors) / sizeof(fwc_image_errors[0]); i++) {
		if ((int)fwc_image_errors[i].status == status)
			return fwc_image_errors[i].message;
	}
	return "unknown image error";
}

const char *
fwc_image_status_name(int status)
{
	for (size_t i = 0; i < sizeof(fwc_image_errors) / sizeof(fwc_image_errors[0]); i++) {
		if ((int)fwc_image_errors[i].status == status)
			return fwc_image_errors[i].name;
	}
	return "FWC_IMAGE_ERR_UNKNOWN";
}

static uint16_t
fwc_image_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
fwc_image_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* records one TLV (value at buf[off], tlen bytes, already bounds-checked) */
static int
fwc_image_take_tlv(fwc_image_info *info,
		   const uint8_t *buf,
		   uint16_t type,
		   uint16_t tlen,
		   size_t off,
		   bool is_protected)
{
	const uint8_t *value = buf + off;

	if (is_protected) {
		/* every protected TLV is a signed statement the verifier must enforce: one it
		 * does not know (dependency, boot record, custom) cannot be honoured */
		if (type != FWC_IMAGE_TLV_SEC_CNT)
			return FWC_IMAGE_ERR_UNKNOWN_PROTECTED_TLV;
		if (info->has_security_counter)
			return FWC_IMAGE_ERR_DUPLICATE_TLV;
		if (tlen != 4)
			return FWC_IMAGE_ERR_BAD_TLV_LENGTH;
		info->has_security_counter = true;
		info->security_counter = fwc_image_rd32(value);
		return FWC_IMAGE_OK;
	}

	switch (type) {
	case FWC_IMAGE_TLV_SEC_CNT:
		return FWC_IMAGE_ERR_UNPROTECTED_SEC_CNT;
	case FWC_IMAGE_TLV_SHA256:
		if (info->has_hash)
			return FWC_IMAGE_ERR_DUPLICATE_TLV;
		if (tlen != FWC_SHA256_LEN)
			return FWC_IMAGE_ERR_BAD_TLV_LENGTH;
		info->has_hash = true;
		memcpy(info->hash, value, FWC_SHA256_LEN);
		return FWC_IMAGE_OK;
	case FWC_IMAGE_TLV_KEYHASH:
		if (info->key_kind != FWC_IMAGE_KEY_NONE)
			return FWC_IMAGE_ERR_DUPLICATE_TLV;
		if (tlen != FWC_SHA256_LEN)
			return FWC_IMAGE_ERR_BAD_TLV_LENGTH;
		info->key_kind = FWC_IMAGE_KEY_HASH;
		memcpy(info->key_hash, value, FWC_SHA256_LEN);
		return FWC_IMAGE_OK;
	case FWC_IMAGE_TLV_PUBKEY:
		if (info->key_kind != FWC_IMAGE_KEY_NONE)
			return FWC_IMAGE_ERR_DUPLICATE_TLV;
		if (tlen == 0)
			return FWC_IMAGE_ERR_BAD_TLV_LENGTH;
		info->key_kind = FWC_IMAGE_KEY_FULL;
		info->pubkey_offset = off;
		info->pubkey_len = tlen;
		/* the key hash is over the TLV value exactly as stored */
		if (fwc_sha256(value, tlen, info->key_hash) != FWC_CRYPTO_OK)
			return FWC_IMAGE_ERR_CRYPTO;
		return FWC_IMAGE_OK;
	case FWC_IMAGE_TLV_ECDSA_SIG:
		if (info->has_signature)
			return FWC_IMAGE_ERR_DUPLICATE_TLV;
		info->has_signature = true;
		info->sig_offset = off;
		info->sig_len = tlen;
		return FWC_IMAGE_OK;
	default:
		/* unprotected and unknown: not covered by the signature, so it cannot carry a
		 * constraint; skipped, as MCUboot does */
		return FWC_IMAGE_OK;
	}
}

/* walks the TLVs in buf[start, end); the caller checked end <= buffer length */
static int
fwc_image_parse_tlvs(fwc_image_info *info,
		     const uint8_t *buf,
		     size_t start,
		     size_t end,
		     bool is_protected)
{
	size_t off = start;

	while (off < end) {
		uint16_t type;
		uint16_t tlen;
		int status;

		if (end - off < FWC_IMAGE_TLV_HEADER_SIZE)
			return FWC_IMAGE_ERR_TRUNCATED_TLV;
		type = fwc_image_rd16(buf + off);
		tlen = fwc_image_rd16(buf + off + 2);
		off += FWC_IMAGE_TLV_HEADER_SIZE;
		if (tlen > end - off)
			return FWC_IMAGE_ERR_TRUNCATED_TLV;
		status = fwc_image_take_tlv(info, buf, type, tlen, off, is_protected);
		if (status != FWC_IMAGE_OK)
			return status;
		off += tlen;
		info->tlv_count++;
	}
	return FWC_IMAGE_OK;
}

int
fwc_image_parse(const uint8_t *buf, size_t len, fwc_image_info *info)
{
	uint64_t signed_len;
	size_t off;
	uint16_t magic;
	uint16_t tot;
	int status;

	if (info == NULL)
		return FWC_IMAGE_ERR_ARGUMENT;
	memset(info, 0, sizeof(*info));
	if (buf == NULL && len > 0)
		return FWC_IMAGE_ERR_ARGUMENT;
	if (len == 0)
		return FWC_IMAGE_ERR_NO_IMAGE;
	if (len < 4)
		return FWC_IMAGE_ERR_TRUNCATED_HEADER;
	if (fwc_image_rd32(buf + FWC_IMAGE_OFF_MAGIC) == FWC_IMAGE_MAGIC_ERASED)
		return FWC_IMAGE_ERR_NO_IMAGE;
	if (fwc_image_rd32(buf + FWC_IMAGE_OFF_MAGIC) != FWC_IMAGE_MAGIC)
		return FWC_IMAGE_ERR_BAD_MAGIC;
	if (len < FWC_IMAGE_HEADER_SIZE)
		return FWC_IMAGE_ERR_TRUNCATED_HEADER;

	info->load_addr = fwc_image_rd32(buf + FWC_IMAGE_OFF_LOAD_ADDR);
	info->hdr_size = fwc_image_rd16(buf + FWC_IMAGE_OFF_HDR_SIZE);
	info->protect_tlv_size = fwc_image_rd16(buf + FWC_IMAGE_OFF_PROT_SIZE);
	info->img_size = fwc_image_rd32(buf + FWC_IMAGE_OFF_IMG_SIZE);
	info->flags = fwc_image_rd32(buf + FWC_IMAGE_OFF_FLAGS);
	info->version.major = buf[FWC_IMAGE_OFF_VER_MAJOR];
	info->version.minor = buf[FWC_IMAGE_OFF_VER_MINOR];
	info->version.revision = fwc_image_rd16(buf + FWC_IMAGE_OFF_VER_REV);
	info->version.build = fwc_image_rd32(buf + FWC_IMAGE_OFF_VER_BUILD);
	info->total_len = len;

	if (info->hdr_size < FWC_IMAGE_HEADER_SIZE)
		return FWC_IMAGE_ERR_HEADER_SIZE;
	/* MCUboot offsets are 32-bit: what the hash covers must fit */
	signed_len = (uint64_t)info->hdr_size + info->img_size + info->protect_tlv_size;
	if (signed_len > UINT32_MAX)
		return FWC_IMAGE_ERR_SIZE_OVERFLOW;
	if (info->hdr_size > len)
		return FWC_IMAGE_ERR_TRUNCATED_HEADER;
	if ((uint64_t)info->hdr_size + info->img_size > len)
		return FWC_IMAGE_ERR_TRUNCATED_BODY;
	info->body_offset = info->hdr_size;
	info->body_len = info->img_size;
	off = (size_t)info->hdr_size + info->img_size;

	/* protected TLV area, present exactly when the header says so */
	if (info->protect_tlv_size != 0) {
		if (len - off < FWC_IMAGE_TLV_INFO_SIZE)
			return FWC_IMAGE_ERR_TRUNCATED_TLV_INFO;
		magic = fwc_image_rd16(buf + off);
		tot = fwc_image_rd16(buf + off + 2);
		if (magic != FWC_IMAGE_TLV_PROT_INFO_MAGIC)
			return FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC;
		if (tot != info->protect_tlv_size)
			return FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH;
		if (tot < FWC_IMAGE_TLV_INFO_SIZE)
			return FWC_IMAGE_ERR_TLV_AREA_LENGTH;
		if (tot > len - off)
			return FWC_IMAGE_ERR_TRUNCATED_TLV_AREA;
		info->prot_tlv_offset = off;
		info->prot_tlv_len = tot;
		status =
		    fwc_image_parse_tlvs(info, buf, off + FWC_IMAGE_TLV_INFO_SIZE, off + tot, true);
		if (status != FWC_IMAGE_OK)
			return status;
		off += tot;
	} else if (len - off >= 2 && fwc_image_rd16(buf + off) == FWC_IMAGE_TLV_PROT_INFO_MAGIC) {
		/* a protected area the header does not account for (it would not be hashed) */
		return FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH;
	}
	info->signed_len = off;

	/* unprotected TLV area */
	if (len - off < FWC_IMAGE_TLV_INFO_SIZE)
		return FWC_IMAGE_ERR_TRUNCATED_TLV_INFO;
	magic = fwc_image_rd16(buf + off);
	tot = fwc_image_rd16(buf + off + 2);
	if (magic != FWC_IMAGE_TLV_INFO_MAGIC)
		return FWC_IMAGE_ERR_BAD_TLV_MAGIC;
	if (tot < FWC_IMAGE_TLV_INFO_SIZE)
		return FWC_IMAGE_ERR_TLV_AREA_LENGTH;
	if (tot > len - off)
		return FWC_IMAGE_ERR_TRUNCATED_TLV_AREA;
	info->tlv_offset = off;
	info->tlv_len = tot;
	status = fwc_image_parse_tlvs(info, buf, off + FWC_IMAGE_TLV_INFO_SIZE, off + tot, false);
	if (status != FWC_IMAGE_OK)
		return status;
	off += tot;
	if (off != len)
		return FWC_IMAGE_ERR_TRAILING_DATA;
	return FWC_IMAGE_OK;
}

static int
fwc_image_check_trust(const fwc_image_trust *trust)
{
	if (trust == NULL)
		return FWC_IMAGE_ERR_ARGUMENT;
	if (trust->mode == FWC_IMAGE_TRUST_PUBLIC_KEY && trust->public_key != NULL)
		return FWC_IMAGE_OK;
	if (trust->mode == FWC_IMAGE_TRUST_KEY_HASH && trust->key_hash != NULL)
		return FWC_IMAGE_OK;
	return FWC_IMAGE_ERR_ARGUMENT;
}

/* the key that must have signed the image, as a point, checked against the trust anchor */
static int
fwc_image_signer_point(const uint8_t *buf,
		       const fwc_image_info *info,
		       const fwc_image_trust *trust,
		       uint8_t point[FWC_P256_POINT_LEN])
{
	if (info->key_kind == FWC_IMAGE_KEY_NONE)
		return FWC_IMAGE_ERR_MISSING_KEY;

	if (trust->mode == FWC_IMAGE_TRUST_PUBLIC_KEY) {
		uint8_t spki[FWC_P256_SPKI_LEN];
		uint8_t trusted_hash[FWC_SHA256_LEN];

		/* KEYHASH is SHA-256 of the SPKI; for PUBKEY info->key_hash is SHA-256 of the
		 * TLV, so equal hashes mean the very same SPKI bytes */
		fwc_p256_point_to_spki(trust->public_key, spki);
		if (fwc_sha256(spki, sizeof(spki), trusted_hash) != FWC_CRYPTO_OK)
			return FWC_IMAGE_ERR_CRYPTO;
		if (!fwc_ct_equal(info->key_hash, trusted_hash, FWC_SHA256_LEN))
			return FWC_IMAGE_ERR_KEY_HASH_MISMATCH;
		memcpy(point, trust->public_key, FWC_P256_POINT_LEN);
		return FWC_IMAGE_OK;
	}

	/* key hash in OTP: only a full key in the image can be checked against it */
	if (info->key_kind != FWC_IMAGE_KEY_FULL)
		return FWC_IMAGE_ERR_MISSING_PUBKEY;
	if (!fwc_ct_equal(info->key_hash, trust->key_hash, FWC_SHA256_LEN))
		return FWC_IMAGE_ERR_KEY_HASH_MISMATCH;
	if (fwc_p256_spki_to_point(buf + info->pubkey_offset, info->pubkey_len, point) !=
	    FWC_CRYPTO_OK)
		return FWC_IMAGE_ERR_BAD_PUBLIC_KEY;
	return FWC_IMAGE_OK;
}

int
fwc_image_verify(const uint8_t *buf, size_t len, const fwc_image_trust *trust, fwc_image_info *info)
{
	fwc_image_info local;
	uint8_t digest[FWC_SHA256_LEN];
	uint8_t point[FWC_P256_POINT_LEN];
	uint8_t sig[FWC_P256_SIG_LEN];
	int status;

	if (info == NULL)
		info = &local;
	status = fwc_image_check_trust(trust);
	if (status != FWC_IMAGE_OK) {
		memset(info, 0, sizeof(*info));
		return status;
	}
	status = fwc_image_parse(buf, len, info);
	if (status != FWC_IMAGE_OK)
		return status;

	if ((info->flags & (FWC_IMAGE_F_ENCRYPTED_AES128 | FWC_IMAGE_F_ENCRYPTED_AES256)) != 0)
		return FWC_IMAGE_ERR_ENCRYPTED;
	if ((info->flags & ~FWC_IMAGE_F_SUPPORTED) != 0)
		return FWC_IMAGE_ERR_UNSUPPORTED_FLAGS;

	/* integrity: header + body + protected area */
	if (!info->has_hash)
		return FWC_IMAGE_ERR_MISSING_HASH;
	if (fwc_sha256(buf, info->signed_len, digest) != FWC_CRYPTO_OK)
		return FWC_IMAGE_ERR_CRYPTO;
	if (!fwc_ct_equal(digest, info->hash, FWC_SHA256_LEN))
		return FWC_IMAGE_ERR_HASH_MISMATCH;

	/* authenticity: the trusted key signed that hash */
	status = fwc_image_signer_point(buf, info, trust, point);
	if (status != FWC_IMAGE_OK)
		return status;
	if (!info->has_signature)
		return FWC_IMAGE_ERR_MISSING_SIGNATURE;
	if (fwc_ecdsa_sig_der_to_raw(buf + info->sig_offset, info->sig_len, sig) != FWC_CRYPTO_OK)
		return FWC_IMAGE_ERR_BAD_SIGNATURE_DER;
	switch (fwc_ecdsa_p256_verify(point, digest, sig)) {
	case FWC_CRYPTO_OK:
		break;
	case FWC_CRYPTO_ERR_BAD_SIGNATURE:
		return FWC_IMAGE_ERR_BAD_SIGNATURE;
	case FWC_CRYPTO_ERR_BAD_PUBLIC_KEY:
		return FWC_IMAGE_ERR_BAD_PUBLIC_KEY;
	default:
		return FWC_IMAGE_ERR_CRYPTO;
	}

	/* anti-rollback, once the counter is known to be authentic */
	if (trust->min_security_counter > 0) {
		if (!info->has_security_counter)
			return FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER;
		if (info->security_counter < trust->min_security_counter)
			return FWC_IMAGE_ERR_ROLLBACK;
	}
	return FWC_IMAGE_OK;
}

void
fwc_image_tlv_iter_init(fwc_image_tlv_iter *it, const uint8_t *buf, const fwc_image_info *info)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	if (info->prot_tlv_len != 0) {
		it->off = info->prot_tlv_offset + FWC_IMAGE_TLV_INFO_SIZE;
		it->prot_end = info->prot_tlv_offset + info->prot_tlv_len;
	} else {
		it->off = info->tlv_offset + FWC_IMAGE_TLV_INFO_SIZE;
		it->prot_end = 0;
	}
	it->tlv_start = info->tlv_offset + FWC_IMAGE_TLV_INFO_SIZE;
	it->end = info->tlv_offset + info->tlv_len;
}

int
fwc_image_tlv_next(fwc_image_tlv_iter *it, fwc_image_tlv *tlv)
{
	size_t limit;

	/* leaving the protected area: jump over the unprotected area's info header */
	if (it->prot_end != 0 && it->off >= it->prot_end) {
		it->off = it->tlv_start;
		it->prot_end = 0;
	}
	if (it->buf == NULL || it->off >= it->end)
		return 0;
	limit = it->prot_end != 0 ? it->prot_end : it->end;
	if (limit - it->off < FWC_IMAGE_TLV_HEADER_SIZE)
		return 0;
	tlv->offset = it->off;
	tlv->type = fwc_image_rd16(it->buf + it->off);
	tlv->len = fwc_image_rd16(it->buf + it->off + 2);
	tlv->is_protected = it->prot_end != 0;
	if (tlv->len > limit - it->off - FWC_IMAGE_TLV_HEADER_SIZE)
		return 0;
	tlv->value = it->buf + it->off + FWC_IMAGE_TLV_HEADER_SIZE;
	it->off += FWC_IMAGE_TLV_HEADER_SIZE + tlv->len;
	return 1;
}
