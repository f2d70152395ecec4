/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-cose.h"

#include <string.h>

#include "fwc-cbor.h"

/* "Signature1" context of a COSE_Sign1 Sig_structure: array(4), tstr(10) "Signature1" */
static const uint8_t fwc_cose_sig1_prefix[] =
    {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};

const char *
fwc_cose_strerror(int status)
{
	switch ((fwc_cose_status)status) {
	case FWC_COSE_OK:
		return "success";
	case FWC_COSE_ERR_INVALID_ARG:
		return "invalid argument";
	case FWC_COSE_ERR_CBOR:
		return "COSE message is not well-formed deterministic CBOR";
	case FWC_COSE_ERR_TAG_MISSING:
		return "COSE_Sign1 tag 18 is required";
	case FWC_COSE_ERR_WRONG_TAG:
		return "COSE message has a tag other than COSE_Sign1 (18)";
	case FWC_COSE_ERR_STRUCTURE:
		return "COSE_Sign1 is not an array of four items";
	case FWC_COSE_ERR_PROTECTED:
		return "COSE protected header is not a byte string holding a map";
	case FWC_COSE_ERR_UNPROTECTED:
		return "COSE unprotected header is not a map";
	case FWC_COSE_ERR_HEADER_LABEL:
		return "COSE header label is neither an integer nor a text string";
	case FWC_COSE_ERR_DUPLICATE_LABEL:
		return "COSE header label is in both the protected and unprotected headers";
	case FWC_COSE_ERR_ALG_MISSING:
		return "COSE protected header has no algorithm";
	case FWC_COSE_ERR_ALG_NOT_PROTECTED:
		return "COSE algorithm is not in the protected header";
	case FWC_COSE_ERR_ALG_UNSUPPORTED:
		return "COSE algorithm is not ES256";
	case FWC_COSE_ERR_CRIT:
		return "COSE critical header parameters are not supported";
	case FWC_COSE_ERR_BAD_KID:
		return "COSE kid is not a byte string";
	case FWC_COSE_ERR_DETACHED:
		return "COSE detached payload is not supported";
	case FWC_COSE_ERR_PAYLOAD:
		return "COSE payload is not a byte string";
	case FWC_COSE_ERR_SIGNATURE_FORMAT:
		return "COSE signature is not a 64-byte ES256 signature";
	case FWC_COSE_ERR_BAD_KEY:
		return "COSE verification key is not a P-256 public point";
	case FWC_COSE_ERR_SIGNATURE:
		return "COSE signature does not verify";
	case FWC_COSE_ERR_CRYPTO:
		return "COSE hash computation failed";
	}
	return "unknown COSE error";
}

const char *
fwc_cose_status_name(int status)
{
	switch ((fwc_cose_status)status) {
	case FWC_COSE_OK:
		return "FWC_COSE_OK";
	case FWC_COSE_ERR_INVALID_ARG:
		return "FWC_COSE_ERR_INVALID_ARG";
	case FWC_COSE_ERR_CBOR:
		return "FWC_COSE_ERR_CBOR";
	case FWC_COSE_ERR_TAG_MISSING:
		return "FWC_COSE_ERR_TAG_MISSING";
	case FWC_COSE_ERR_WRONG_TAG:
		return "FWC_COSE_ERR_WRONG_TAG";
	case FWC_COSE_ERR_STRUCTURE:
		return "FWC_COSE_ERR_STRUCTURE";
	case FWC_COSE_ERR_PROTECTED:
		return "FWC_COSE_ERR_PROTECTED";
	case FWC_COSE_ERR_UNPROTECTED:
		return "FWC_COSE_ERR_UNPROTECTED";
	case FWC_COSE_ERR_HEADER_LABEL:
		return "FWC_COSE_ERR_HEADER_LABEL";
	case FWC_COSE_ERR_DUPLICATE_LABEL:
		return "FWC_COSE_ERR_DUPLICATE_LABEL";
	case FWC_COSE_ERR_ALG_MISSING:
		return "FWC_COSE_ERR_ALG_MISSING";
	case FWC_COSE_ERR_ALG_NOT_PROTECTED:
		return "FWC_COSE_ERR_ALG_NOT_PROTECTED";
	case FWC_COSE_ERR_ALG_UNSUPPORTED:
		return "FWC_COSE_ERR_ALG_UNSUPPORTED";
	case FWC_COSE_ERR_CRIT:
		return "FWC_COSE_ERR_CRIT";
	case FWC_COSE_ERR_BAD_KID:
		return "FWC_COSE_ERR_BAD_KID";
	case FWC_COSE_ERR_DETACHED:
		return "FWC_COSE_ERR_DETACHED";
	case FWC_COSE_ERR_PAYLOAD:
		return "FWC_COSE_ERR_PAYLOAD";
	case FWC_COSE_ERR_SIGNATURE_FORMAT:
		return "FWC_COSE_ERR_SIGNATURE_FORMAT";
	case FWC_COSE_ERR_BAD_KEY:
		return "FWC_COSE_ERR_BAD_KEY";
	case FWC_COSE_ERR_SIGNATURE:
		return "FWC_COSE_ERR_SIGNATURE";
	case FWC_COSE_ERR_CRYPTO:
		return "FWC_COSE_ERR_CRYPTO";
	}
	return NULL;
}

/* what the headers said so far */
typedef struct {
	int alg_seen;
	const uint8_t *kid;
	size_t kid_len;
	int kid_seen;
} fwc_cose_hdr_state;

/* 1 if the encoded label key[0..key_len) is also a key of the (validated) protected map */
static int
fwc_cose_label_in_map(const uint8_t *map, size_t map_len, const uint8_t *key, size_t key_len)
{
	fwc_cbor_reader r;
	size_t pairs;

	if (map_len == 0)
		return 0;
	fwc_cbor_reader_init(&r, map, map_len, 0);
	if (fwc_cbor_read_map(&r, &pairs) != FWC_CBOR_OK)
		return 0;
	for (size_t i = 0; i < pairs; i++) {
		size_t start = r.pos;
		if (fwc_cbor_skip(&r) != FWC_CBOR_OK)
			return 0;
		if (r.pos - start == key_len && memcmp(map + start, key, key_len) == 0)
			return 1;
		if (fwc_cbor_skip(&r) != FWC_CBOR_OK)
			return 0;
	}
	return 0;
}

/* a CBOR failure inside a header map: the detail goes to out->cbor_status */
static int
fwc_cose_header_cbor_error(const fwc_cbor_reader *r, int is_protected, fwc_cose_sign1 *out)
{
	out->cbor_status = fwc_cbor_reader_status(r);
	return is_protected ? FWC_COSE_ERR_PROTECTED : FWC_COSE_ERR_CBOR;
}

/* one header parameter whose label has just been read */
static int
fwc_cose_parse_param(fwc_cbor_reader *r,
		     int is_protected,
		     uint64_t label,
		     fwc_cose_hdr_state *st,
		     fwc_cose_sign1 *out)
{
	fwc_cbor_type type;
	uint64_t arg;

	switch (label) {
	case FWC_COSE_HDR_ALG:
		if (!is_protected)
			return FWC_COSE_ERR_ALG_NOT_PROTECTED;
		if (fwc_cbor_peek_type(r, &type) != FWC_CBOR_OK)
			return fwc_cose_header_cbor_error(r, is_protected, out);
		if (type != FWC_CBOR_TYPE_NINT)
			return FWC_COSE_ERR_ALG_UNSUPPORTED;
		if (fwc_cbor_read_nint(r, &arg) != FWC_CBOR_OK)
			return fwc_cose_header_cbor_error(r, is_protected, out);
		/* -7 is the negative integer with argument 6 */
		if (arg != (uint64_t)(-1 - FWC_COSE_ALG_ES256))
			return FWC_COSE_ERR_ALG_UNSUPPORTED;
		st->alg_seen = 1;
		return FWC_COSE_OK;
	case FWC_COSE_HDR_CRIT:
		return FWC_COSE_ERR_CRIT;
	case FWC_COSE_HDR_KID:
		if (fwc_cbor_peek_type(r, &type) != FWC_CBOR_OK)
			return fwc_cose_header_cbor_error(r, is_protected, out);
		if (type != FWC_CBOR_TYPE_BSTR)
			return FWC_COSE_ERR_BAD_KID;
		if (fwc_cbor_read_bstr(r, &st->kid, &st->kid_len) != FWC_CBOR_OK)
			return fwc_cose_header_cbor_error(r, is_protected, out);
		st->kid_seen = 1;
		return FWC_COSE_OK;
	default:
		/* content type and labels we do not understand: ignored, still well-formed */
		if (fwc_cbor_skip(r) != FWC_CBOR_OK)
			return fwc_cose_header_cbor_error(r, is_protected, out);
		return FWC_COSE_OK;
	}
}

/*
 * Walks one header map. @r is at the map; @is_protected tells the bucket; for the
 * unprotected bucket, @prot / @prot_len is the protected map for the duplicate check.
 */
static int
fwc_cose_parse_headers(fwc_cbor_reader *r,
		       int is_protected,
		       const uint8_t *prot,
		       size_t prot_len,
		       fwc_cose_hdr_state *st,
		       fwc_cose_sign1 *out)
{
	size_t pairs;

	out->cbor_status = fwc_cbor_check_map(r);
	if (out->cbor_status != FWC_CBOR_OK) {
		if (out->cbor_status == FWC_CBOR_ERR_TYPE)
			return is_protected ? FWC_COSE_ERR_PROTECTED : FWC_COSE_ERR_UNPROTECTED;
		return is_protected ? FWC_COSE_ERR_PROTECTED : FWC_COSE_ERR_CBOR;
	}
	if (fwc_cbor_read_map(r, &pairs) != FWC_CBOR_OK)
		return fwc_cose_header_cbor_error(r, is_protected, out);
	for (size_t i = 0; i < pairs; i++) {
		const uint8_t *key = r->buf + r->pos;
		fwc_cbor_type type;
		uint64_t label = 0; /* 0: no label we understand */
		int rc;

		if (fwc_cbor_peek_type(r, &type) != FWC_CBOR_OK)
			return fwc_cose_header_cbor_error(r, is_protected, out);
		if (type == FWC_CBOR_TYPE_UINT) {
			if (fwc_cbor_read_uint(r, &label) != FWC_CBOR_OK)
				return fwc_cose_header_cbor_error(r, is_protected, out);
		} else if (type == FWC_CBOR_TYPE_NINT || type == FWC_CBOR_TYPE_TSTR) {
			if (fwc_cbor_skip(r) != FWC_CBOR_OK)
				return fwc_cose_header_cbor_error(r, is_protected, out);
		} else {
			return FWC_COSE_ERR_HEADER_LABEL;
		}
		if (!is_protected &&
		    fwc_cose_label_in_map(prot, prot_len, key, (size_t)(r->buf + r->pos - key)))
			return FWC_COSE_ERR_DUPLICATE_LABEL;
		rc = fwc_cose_parse_param(r, is_protected, label, st, out);
		if (rc != FWC_COSE_OK)
			return rc;
	}
	return FWC_COSE_OK;
}

static int
fwc_cose_sign1_parse_inner(const uint8_t *msg, size_t msg_len, unsigned flags, fwc_cose_sign1 *out)
{
	fwc_cose_hdr_state st = {0};
	fwc_cbor_reader r, pr;
	fwc_cbor_type type;
	const uint8_t *sig = NULL;
	size_t count, sig_len = 0;
	int rc;

	/* the whole message: exactly one well-formed deterministic item, no floats */
	rc = fwc_cbor_validate(msg, msg_len, 0);
	if (rc != FWC_CBOR_OK) {
		out->cbor_status = rc;
		return FWC_COSE_ERR_CBOR;
	}
	fwc_cbor_reader_init(&r, msg, msg_len, 0);

	/* optional tag 18 */
	if (fwc_cbor_peek_type(&r, &type) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (type == FWC_CBOR_TYPE_TAG) {
		uint64_t tag;
		if (fwc_cbor_read_tag(&r, &tag) != FWC_CBOR_OK)
			return FWC_COSE_ERR_CBOR;
		if (tag != FWC_COSE_TAG_SIGN1)
			return FWC_COSE_ERR_WRONG_TAG;
		out->tagged = 1;
		if (fwc_cbor_peek_type(&r, &type) != FWC_CBOR_OK)
			return FWC_COSE_ERR_CBOR;
		if (type == FWC_CBOR_TYPE_TAG)
			return FWC_COSE_ERR_WRONG_TAG;
	} else if (flags & FWC_COSE_FLAG_TAG_REQUIRED) {
		return FWC_COSE_ERR_TAG_MISSING;
	}

	/* [protected, unprotected, payload, signature] */
	if (type != FWC_CBOR_TYPE_ARRAY)
		return FWC_COSE_ERR_STRUCTURE;
	if (fwc_cbor_read_array(&r, &count) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (count != 4)
		return FWC_COSE_ERR_STRUCTURE;

	if (fwc_cbor_peek_type(&r, &type) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (type != FWC_CBOR_TYPE_BSTR)
		return FWC_COSE_ERR_PROTECTED;
	if (fwc_cbor_read_bstr(&r, &out->protected_hdr, &out->protected_len) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;

	/* the protected map is checked first: the unprotected check needs it */
	if (out->protected_len > 0) {
		rc = fwc_cbor_validate(out->protected_hdr, out->protected_len, 0);
		if (rc != FWC_CBOR_OK) {
			out->cbor_status = rc;
			return FWC_COSE_ERR_PROTECTED;
		}
		fwc_cbor_reader_init(&pr, out->protected_hdr, out->protected_len, 0);
		rc = fwc_cose_parse_headers(&pr, 1, NULL, 0, &st, out);
		if (rc != FWC_COSE_OK)
			return rc;
	}

	if (fwc_cbor_peek_type(&r, &type) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (type != FWC_CBOR_TYPE_MAP)
		return FWC_COSE_ERR_UNPROTECTED;
	{
		const uint8_t *pkid = st.kid;
		size_t pkid_len = st.kid_len;
		int pkid_seen = st.kid_seen;

		rc =
		    fwc_cose_parse_headers(&r, 0, out->protected_hdr, out->protected_len, &st, out);
		if (rc != FWC_COSE_OK)
			return rc;
		/* a kid in both buckets was caught as a duplicate label */
		if (pkid_seen) {
			st.kid = pkid;
			st.kid_len = pkid_len;
		}
	}
	if (!st.alg_seen)
		return FWC_COSE_ERR_ALG_MISSING;

	if (fwc_cbor_peek_type(&r, &type) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (type == FWC_CBOR_TYPE_SIMPLE) {
		uint8_t simple;
		if (fwc_cbor_read_simple(&r, &simple) != FWC_CBOR_OK)
			return FWC_COSE_ERR_CBOR;
		return simple == FWC_CBOR_SIMPLE_NULL ? FWC_COSE_ERR_DETACHED
						      : FWC_COSE_ERR_PAYLOAD;
	}
	if (type != FWC_CBOR_TYPE_BSTR)
		return FWC_COSE_ERR_PAYLOAD;
	if (fwc_cbor_read_bstr(&r, &out->payload, &out->payload_len) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;

	if (fwc_cbor_peek_type(&r, &type) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (type != FWC_CBOR_TYPE_BSTR)
		return FWC_COSE_ERR_SIGNATURE_FORMAT;
	if (fwc_cbor_read_bstr(&r, &sig, &sig_len) != FWC_CBOR_OK)
		return FWC_COSE_ERR_CBOR;
	if (sig_len != FWC_P256_SIG_LEN)
		return FWC_COSE_ERR_SIGNATURE_FORMAT;
	if (fwc_cbor_read_end(&r) != FWC_CBOR_OK) {
		out->cbor_status = fwc_cbor_reader_status(&r);
		return FWC_COSE_ERR_CBOR;
	}
	out->signature = sig;
	if (st.kid_seen) {
		out->kid = st.kid;
		out->kid_len = st.kid_len;
	}
	return FWC_COSE_OK;
}

int
fwc_cose_sign1_parse(const uint8_t *msg, size_t msg_len, unsigned flags, fwc_cose_sign1 *out)
{
	int rc;

	if (out == NULL)
		return FWC_COSE_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (msg == NULL && msg_len != 0)
		return FWC_COSE_ERR_INVALID_ARG;
	rc = fwc_cose_sign1_parse_inner(msg, msg_len, flags, out);
	if (rc != FWC_COSE_OK) {
		/* nothing of a rejected message is usable: keep only the details */
		int cbor_status = out->cbor_status;
		memset(out, 0, sizeof(*out));
		out->cbor_status = cbor_status;
	}
	return rc;
}

static int
fwc_cose_hash_bstr(fwc_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
	uint8_t head[FWC_CBOR_HEAD_MAX];
	fwc_cbor_writer w;

	fwc_cbor_writer_init(&w, head, sizeof(head));
	if (fwc_cbor_write_bstr_header(&w, len) != FWC_CBOR_OK)
		return FWC_CRYPTO_ERR_INTERNAL;
	if (fwc_sha256_update(ctx, head, w.len) != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_HASH;
	if (len > 0 && fwc_sha256_update(ctx, data, len) != FWC_CRYPTO_OK)
		return FWC_CRYPTO_ERR_HASH;
	return FWC_CRYPTO_OK;
}

int
fwc_cose_sign1_digest(const fwc_cose_sign1 *parsed,
		      const uint8_t *external_aad,
		      size_t aad_len,
		      uint8_t digest[FWC_SHA256_LEN])
{
	fwc_sha256_ctx ctx;
	int rc;

	if (parsed == NULL || digest == NULL || (external_aad == NULL && aad_len != 0) ||
	    (parsed->protected_hdr == NULL && parsed->protected_len != 0) ||
	    (parsed->payload == NULL && parsed->payload_len != 0))
		return FWC_COSE_ERR_INVALID_ARG;
	rc = fwc_sha256_begin(&ctx);
	if (rc != FWC_CRYPTO_OK)
		return FWC_COSE_ERR_CRYPTO;
	if (fwc_sha256_update(&ctx, fwc_cose_sig1_prefix, sizeof(fwc_cose_sig1_prefix)) !=
		FWC_CRYPTO_OK ||
	    fwc_cose_hash_bstr(&ctx, parsed->protected_hdr, parsed->protected_len) !=
		FWC_CRYPTO_OK ||
	    fwc_cose_hash_bstr(&ctx, external_aad, aad_len) != FWC_CRYPTO_OK ||
	    fwc_cose_hash_bstr(&ctx, parsed->payload, parsed->payload_len) != FWC_CRYPTO_OK ||
	    fwc_sha256_finish(&ctx, digest) != FWC_CRYPTO_OK) {
		fwc_sha256_abort(&ctx);
		return FWC_COSE_ERR_CRYPTO;
	}
	return FWC_COSE_OK;
}

int
fwc_cose_sign1_verify(const uint8_t *msg,
		      size_t msg_len,
		      const uint8_t *external_aad,
		      size_t aad_len,
		      const uint8_t pub[FWC_P256_POINT_LEN],
		      unsigned flags,
		      fwc_cose_sign1 *out)
{
	uint8_t digest[FWC_SHA256_LEN];
	int rc;

	if (out == NULL)
		return FWC_COSE_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (pub == NULL || (external_aad == NULL && aad_len != 0))
		return FWC_COSE_ERR_INVALID_ARG;
	rc = fwc_cose_sign1_parse(msg, msg_len, flags, out);
	if (rc != FWC_COSE_OK)
		return rc;
	rc = fwc_cose_sign1_digest(out, external_aad, aad_len, digest);
	if (rc == FWC_COSE_OK) {
		int crc = fwc_ecdsa_p256_verify(pub, digest, out->signature);
		if (crc == FWC_CRYPTO_OK)
			return FWC_COSE_OK;
		rc = crc == FWC_CRYPTO_ERR_BAD_SIGNATURE    ? FWC_COSE_ERR_SIGNATURE
		     : crc == FWC_CRYPTO_ERR_BAD_PUBLIC_KEY ? FWC_COSE_ERR_BAD_KEY
							    : FWC_COSE_ERR_CRYPTO;
		memset(out, 0, sizeof(*out));
		out->crypto_status = crc;
		return rc;
	}
	memset(out, 0, sizeof(*out));
	return rc;
}
