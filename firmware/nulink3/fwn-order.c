/*
 * NuLink3 orders: PACKAGE_IMPORT (HPKE open, COSE_Sign1 verify with the installed
 * package-signing key, binding to this programmer, validity window, no rollback by
 * re-import), ORDER_STATUS, FIRMWARE_LOAD (sealed firmware opened inside, checked against the
 * order's digest, re-sealed at rest under the device secret) and FIRMWARE_PROOF. Formats:
 * docs/formats/package.md (server/nusec-cloud-formats.c is the cloud's side).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <psa/crypto.h>
#include <string.h>

#include "fwc-cose.h"
#include "fwc-hpke.h"
#include "fwn-core-private.h"

int
fwn_order_find(fwn_core *c, const char *order_id, size_t len)
{
	for (unsigned i = 0; i < FWN_ORDERS_MAX; i++) {
		const fwn_order *o = &c->st.orders[i];
		if (o->in_use && strlen(o->order_id) == len &&
		    memcmp(o->order_id, order_id, len) == 0)
			return (int)i;
	}
	return -1;
}

void
fwn_order_load_images(fwn_core *c)
{
	for (unsigned i = 0; i < FWN_ORDERS_MAX; i++) {
		fwn_order *o = &c->st.orders[i];
		uint8_t digest[FWC_SHA256_LEN];
		size_t len = 0;
		if (!o->in_use || !o->fw_loaded)
			continue;
		/* a firmware record that does not unseal or match is simply not loaded */
		if (fwn_record_read(c, FWN_REC_FIRMWARE + i, c->image[i], FWN_IMAGE_MAX, &len) !=
			FWN_RC_OK ||
		    len != o->image_size || fwc_sha256(c->image[i], len, digest) != FWC_CRYPTO_OK ||
		    !fwc_ct_equal(digest, o->image_sha256, sizeof(digest))) {
			fwc_wipe(c->image[i], FWN_IMAGE_MAX);
			o->fw_loaded = 0;
		}
	}
}

/* info = label || SHA-256(encryption point) (server: nusec_cloud_hpke_info) */
static int
fwn_hpke_info(fwn_core *c, const char *label, uint8_t *info, size_t *len)
{
	size_t n = strlen(label);
	memcpy(info, label, n);
	if (fwc_sha256(c->enc_pub, FWC_P256_POINT_LEN, info + n) != FWC_CRYPTO_OK)
		return FWN_RC_CRYPTO;
	*len = n + FWC_SHA256_LEN;
	return FWN_RC_OK;
}

/* reads [1, type, enc, ...]: FWN_RC_OK with the reader after enc */
static int
fwn_envelope_read(fwc_cbor_reader *r, const char *type, size_t items, const uint8_t **enc)
{
	size_t count = 0, text_len = 0, enc_len = 0;
	uint64_t version = 0;
	const char *text = NULL;

	if (fwc_cbor_read_array(r, &count) != FWC_CBOR_OK || count != items ||
	    fwc_cbor_read_uint(r, &version) != FWC_CBOR_OK || version != FWN_FORMAT_VERSION ||
	    fwc_cbor_read_tstr(r, &text, &text_len) != FWC_CBOR_OK || text_len != strlen(type) ||
	    memcmp(text, type, text_len) != 0 ||
	    fwc_cbor_read_bstr(r, enc, &enc_len) != FWC_CBOR_OK || enc_len != FWC_HPKE_ENC_LEN)
		return -1;
	return 0;
}

static int
fwn_hpke_rc(int rc)
{
	switch (rc) {
	case FWC_HPKE_ERR_ENC_LENGTH:
	case FWC_HPKE_ERR_ENC_FORMAT:
	case FWC_HPKE_ERR_ENC_NOT_ON_CURVE:
	case FWC_HPKE_ERR_CT_TOO_SHORT:
		return FWN_RC_PKG_FORMAT;
	case FWC_HPKE_ERR_TAG_MISMATCH:
		return FWN_RC_PKG_DECRYPT;
	default:
		return FWN_RC_CRYPTO;
	}
}

/* the manifest (docs/formats/package.md) into @o; FWN_RC_PKG_FORMAT on any deviation */
static int
fwn_manifest_parse(const uint8_t *buf, size_t len, fwn_order *o)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_UINT, .required = true},
	    {.key = 2, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 3, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 4, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 5, .type = FWN_F_BSTR, .required = true, .min_len = 32, .max_len = 32},
	    {.key = 6, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 7, .type = FWN_F_BSTR, .required = true, .min_len = 32, .max_len = 32},
	    {.key = 8, .type = FWN_F_MAP, .required = true},
	    {.key = 9, .type = FWN_F_UINT, .required = true},
	    {.key = 10, .type = FWN_F_UINT, .required = true},
	    {.key = 11, .type = FWN_F_UINT, .required = true},
	    {.key = 12, .type = FWN_F_BSTR, .required = true, .min_len = 32, .max_len = 32},
	    {.key = 13, .type = FWN_F_UINT, .required = true},
	};
	fwn_field fw[] = {
	    {.key = 1, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 2, .type = FWN_F_UINT, .required = true},
	    {.key = 3, .type = FWN_F_UINT, .required = true},
	    {.key = 4, .type = FWN_F_BSTR, .required = true, .min_len = 32, .max_len = 32},
	};
	if (!fwn_parse_map(buf, len, f, 13) || f[0].u != FWN_FORMAT_VERSION) {
		return FWN_RC_PKG_FORMAT;
	}
	if (!fwn_parse_map(f[7].data, f[7].len, fw, 4)) {
		return FWN_RC_PKG_FORMAT;
	}
	memset(o, 0, sizeof(*o));
	fwn_field_text(&f[1], o->package_id, sizeof(o->package_id));
	fwn_field_text(&f[2], o->order_id, sizeof(o->order_id));
	/* f[3] serial, f[4] key hash: checked by the caller against this programmer */
	fwn_field_text(&f[5], o->product_id, sizeof(o->product_id));
	memcpy(o->rot_hash, f[6].data, 32);
	fwn_field_text(&fw[0], o->fw_version, sizeof(o->fw_version));
	o->security_counter = fw[1].u;
	o->image_size = fw[2].u;
	memcpy(o->image_sha256, fw[3].data, 32);
	o->manifest_limit = f[8].u;
	o->limit = f[8].u;
	o->not_before = f[9].u;
	o->not_after = f[10].u;
	memcpy(o->token, f[11].data, 32);
	o->issued_at = f[12].u;
	if (o->not_before > o->not_after || o->image_size == 0 || o->image_size > FWN_IMAGE_MAX)
		return FWN_RC_PKG_FORMAT;
	return FWN_RC_OK;
}

static int
fwn_manifest_binding(fwn_core *c, const uint8_t *buf, size_t len)
{
	/* re-read the two binding fields */
	fwn_field f[] = {
	    {.key = 4, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 5, .type = FWN_F_BSTR, .required = true, .min_len = 32, .max_len = 32},
	};
	fwc_cbor_reader r;
	size_t pairs = 0;
	uint8_t hash[FWC_SHA256_LEN];

	fwc_cbor_reader_init(&r, buf, len, 0);
	if (fwc_cbor_read_map(&r, &pairs) != FWC_CBOR_OK)
		return FWN_RC_PKG_FORMAT;
	for (size_t i = 0; i < pairs; i++) {
		uint64_t key = 0;
		if (fwc_cbor_read_uint(&r, &key) != FWC_CBOR_OK)
			return FWN_RC_PKG_FORMAT;
		if (key == 4 || key == 5) {
			fwn_field *fld = &f[key - 4];
			int rc = key == 4
				     ? fwc_cbor_read_tstr(&r, (const char **)&fld->data, &fld->len)
				     : fwc_cbor_read_bstr(&r, &fld->data, &fld->len);
			if (rc != FWC_CBOR_OK)
				return FWN_RC_PKG_FORMAT;
			fld->present = true;
		} else if (fwc_cbor_skip(&r) != FWC_CBOR_OK) {
			return FWN_RC_PKG_FORMAT;
		}
	}
	if (!f[0].present || !f[1].present || f[1].len != 32)
		return FWN_RC_PKG_FORMAT;
	if (f[0].len != strlen(c->hal->serial) || memcmp(f[0].data, c->hal->serial, f[0].len) != 0)
		return FWN_RC_PKG_OTHER_PROGRAMMER;
	/* the key hash names this programmer's identity (TLS) key */
	if (fwc_sha256(c->tls_pub, FWC_P256_POINT_LEN, hash) != FWC_CRYPTO_OK)
		return FWN_RC_CRYPTO;
	if (!fwc_ct_equal(hash, f[1].data, sizeof(hash)))
		return FWN_RC_PKG_OTHER_PROGRAMMER;
	return FWN_RC_OK;
}

static int
fwn_order_reply(const fwn_order *o, uint8_t *out, size_t cap, size_t *out_len)
{
	fwc_cbor_writer w;
	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_map(&w, 10);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_tstr(&w, o->order_id, strlen(o->order_id));
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_tstr(&w, o->product_id, strlen(o->product_id));
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_tstr(&w, o->fw_version, strlen(o->fw_version));
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_uint(&w, o->limit);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_uint(&w, o->used);
	fwc_cbor_write_uint(&w, 6);
	fwc_cbor_write_uint(&w, o->limit - o->used);
	fwc_cbor_write_uint(&w, 7);
	fwc_cbor_write_tstr(&w, o->package_id, strlen(o->package_id));
	fwc_cbor_write_uint(&w, 8);
	fwc_cbor_write_uint(&w, o->not_after);
	fwc_cbor_write_uint(&w, 9);
	fwc_cbor_write_bool(&w, o->fw_loaded != 0);
	fwc_cbor_write_uint(&w, 10);
	fwc_cbor_write_uint(&w, o->issued_at);
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
		return FWN_RC_INTERNAL;
	*out_len = w.len;
	return FWN_RC_OK;
}

int
fwn_cmd_package_import(fwn_core *c,
		       const uint8_t *p,
		       size_t plen,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len)
{
	uint8_t aad[32];
	uint8_t info[64];
	size_t info_len = 0, pt_len = 0, ct_len = 0;
	const uint8_t *enc = NULL, *ct = NULL;
	fwc_cbor_reader r;
	fwc_cbor_writer aw;
	fwc_cose_sign1 cose;
	fwn_order o;
	uint64_t now;
	int idx, rc;

	fwc_cbor_reader_init(&r, p, plen, 0);
	if (fwn_envelope_read(&r, "nusec-package", 4, &enc) != 0 ||
	    fwc_cbor_read_bstr(&r, &ct, &ct_len) != FWC_CBOR_OK ||
	    fwc_cbor_read_end(&r) != FWC_CBOR_OK) {
		return FWN_RC_PKG_FORMAT;
	}
	fwc_cbor_writer_init(&aw, aad, sizeof(aad));
	fwc_cbor_write_array(&aw, 2);
	fwc_cbor_write_uint(&aw, FWN_FORMAT_VERSION);
	fwc_cbor_write_tstr(&aw, "nusec-package", strlen("nusec-package"));
	rc = fwn_hpke_info(c, FWN_INFO_PACKAGE, info, &info_len);
	if (rc != FWN_RC_OK)
		return rc;
	rc = fwc_hpke_open(c->enc_key,
			   enc,
			   FWC_HPKE_ENC_LEN,
			   info,
			   info_len,
			   aad,
			   aw.len,
			   ct,
			   ct_len,
			   c->work,
			   sizeof(c->work),
			   &pt_len);
	if (rc != FWC_HPKE_OK) {
		return fwn_hpke_rc(rc);
	}
	rc = fwc_cose_sign1_verify(c->work,
				   pt_len,
				   (const uint8_t *)FWN_AAD_PACKAGE,
				   strlen(FWN_AAD_PACKAGE),
				   c->cfg.package_pub,
				   FWC_COSE_FLAG_TAG_REQUIRED,
				   &cose);
	if (rc == FWC_COSE_ERR_SIGNATURE)
		rc = FWN_RC_PKG_SIGNATURE;
	else if (rc != FWC_COSE_OK) {
		rc = FWN_RC_PKG_FORMAT;
	} else
		rc = fwn_manifest_parse(cose.payload, cose.payload_len, &o);
	if (rc == FWN_RC_OK)
		rc = fwn_manifest_binding(c, cose.payload, cose.payload_len);
	fwc_wipe(c->work, pt_len);
	if (rc != FWN_RC_OK) {
		fwc_wipe(&o, sizeof(o));
		return rc;
	}
	now = c->hal->now(c->hal->ctx);
	if (now < o.not_before)
		rc = FWN_RC_PKG_NOT_YET_VALID;
	else if (now > o.not_after)
		rc = FWN_RC_PKG_EXPIRED;
	idx = fwn_order_find(c, o.order_id, strlen(o.order_id));
	if (rc == FWN_RC_OK && idx >= 0) {
		const fwn_order *old = &c->st.orders[idx];
		/* a re-import never moves the counter back: the package must be newer, and the
		 * units already spent stay spent */
		o.credited = old->credited;
		o.limit = o.manifest_limit + o.credited;
		if (o.limit < o.manifest_limit)
			rc = FWN_RC_PKG_FORMAT;
		else if (o.issued_at <= old->issued_at)
			rc = FWN_RC_PKG_REPLAY;
		else if (o.limit < old->used)
			rc = FWN_RC_PKG_LIMIT_DOWN;
		o.used = old->used;
		o.fw_loaded = old->fw_loaded && old->image_size == o.image_size &&
			      memcmp(old->image_sha256, o.image_sha256, 32) == 0;
	}
	if (rc == FWN_RC_OK && idx < 0) {
		for (unsigned i = 0; i < FWN_ORDERS_MAX && idx < 0; i++) {
			if (!c->st.orders[i].in_use)
				idx = (int)i;
		}
		if (idx < 0)
			rc = FWN_RC_ORDERS_FULL;
	}
	if (rc == FWN_RC_OK) {
		fwn_order saved = c->st.orders[idx];
		o.in_use = 1;
		c->st.orders[idx] = o;
		rc = fwn_state_save(c);
		if (rc != FWN_RC_OK)
			c->st.orders[idx] = saved;
		else if (!o.fw_loaded)
			fwc_wipe(c->image[idx], FWN_IMAGE_MAX);
		fwc_wipe(&saved, sizeof(saved));
	}
	if (rc == FWN_RC_OK)
		rc = fwn_order_reply(&c->st.orders[idx], out, cap, out_len);
	fwc_wipe(&o, sizeof(o));
	return rc;
}

int
fwn_cmd_order_status(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	};
	int idx;
	if (!fwn_parse_map(p, plen, f, 1))
		return FWN_RC_BAD_PAYLOAD;
	idx = fwn_order_find(c, (const char *)f[0].data, f[0].len);
	if (idx < 0)
		return FWN_RC_NO_ORDER;
	return fwn_order_reply(&c->st.orders[idx], out, cap, out_len);
}

/* opens the assembled sealed firmware of order @idx into c->work; *len its size */
static int
fwn_firmware_open(fwn_core *c, int idx, size_t *len)
{
	const fwn_order *o = &c->st.orders[idx];
	fwc_cbor_reader r;
	fwc_hpke_ctx ctx;
	const uint8_t *enc = NULL;
	uint64_t chunk = 0, total = 0;
	size_t count = 0, info_len = 0, pos = 0;
	uint8_t info[64];
	uint8_t digest[FWC_SHA256_LEN];
	int rc;

	*len = 0;
	fwc_cbor_reader_init(&r, c->fw_rx, c->fw_rx_len, 0);
	if (fwn_envelope_read(&r, "nusec-firmware", 6, &enc) != 0 ||
	    fwc_cbor_read_uint(&r, &chunk) != FWC_CBOR_OK || chunk != FWN_FW_CHUNK ||
	    fwc_cbor_read_uint(&r, &total) != FWC_CBOR_OK || total == 0 ||
	    fwc_cbor_read_array(&r, &count) != FWC_CBOR_OK || count != (total + chunk - 1) / chunk)
		return FWN_RC_FIRMWARE_FORMAT;
	if (total != o->image_size)
		return FWN_RC_FIRMWARE_DIGEST;
	rc = fwn_hpke_info(c, FWN_INFO_FIRMWARE, info, &info_len);
	if (rc != FWN_RC_OK)
		return rc;
	if (fwc_hpke_setup_receiver(&ctx, c->enc_key, enc, FWC_HPKE_ENC_LEN, info, info_len) !=
	    FWC_HPKE_OK)
		return FWN_RC_FIRMWARE_FORMAT;
	rc = FWN_RC_OK;
	for (size_t i = 0; i < count && rc == FWN_RC_OK; i++) {
		uint8_t aad[160];
		fwc_cbor_writer w;
		const uint8_t *ct = NULL;
		size_t ct_len = 0, pt_len = 0;
		size_t expect = total - i * chunk < chunk ? total - i * chunk : chunk;
		fwc_cbor_writer_init(&w, aad, sizeof(aad));
		fwc_cbor_write_array(&w, 6);
		fwc_cbor_write_uint(&w, FWN_FORMAT_VERSION);
		fwc_cbor_write_tstr(&w, "nusec-firmware", strlen("nusec-firmware"));
		fwc_cbor_write_tstr(&w, o->order_id, strlen(o->order_id));
		fwc_cbor_write_uint(&w, i);
		fwc_cbor_write_uint(&w, count);
		fwc_cbor_write_uint(&w, total);
		if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK ||
		    fwc_cbor_read_bstr(&r, &ct, &ct_len) != FWC_CBOR_OK ||
		    ct_len != expect + FWC_HPKE_TAG_LEN) {
			rc = FWN_RC_FIRMWARE_FORMAT;
			break;
		}
		if (fwc_hpke_ctx_open(&ctx,
				      aad,
				      w.len,
				      ct,
				      ct_len,
				      c->work + pos,
				      sizeof(c->work) - pos,
				      &pt_len) != FWC_HPKE_OK)
			rc = FWN_RC_FIRMWARE_FORMAT;
		pos += pt_len;
	}
	fwc_hpke_ctx_wipe(&ctx);
	if (rc == FWN_RC_OK && fwc_cbor_read_end(&r) != FWC_CBOR_OK)
		rc = FWN_RC_FIRMWARE_FORMAT;
	if (rc == FWN_RC_OK && fwc_sha256(c->work, pos, digest) != FWC_CRYPTO_OK)
		rc = FWN_RC_CRYPTO;
	if (rc == FWN_RC_OK && !fwc_ct_equal(digest, o->image_sha256, sizeof(digest)))
		rc = FWN_RC_FIRMWARE_DIGEST;
	if (rc != FWN_RC_OK) {
		fwc_wipe(c->work, pos);
		return rc;
	}
	*len = pos;
	return FWN_RC_OK;
}

int
fwn_cmd_firmware_load(fwn_core *c,
		      const uint8_t *p,
		      size_t plen,
		      uint8_t *out,
		      size_t cap,
		      size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 2, .type = FWN_F_UINT, .required = true},
	    {.key = 3, .type = FWN_F_UINT, .required = true},
	    {.key = 4,
	     .type = FWN_F_BSTR,
	     .required = true,
	     .min_len = 1,
	     .max_len = FWN_USB_MAX_PAYLOAD},
	};
	fwc_cbor_writer w;
	bool complete = false;
	int idx, rc = FWN_RC_OK;

	if (!fwn_parse_map(p, plen, f, 4))
		return FWN_RC_BAD_PAYLOAD;
	idx = fwn_order_find(c, (const char *)f[0].data, f[0].len);
	if (idx < 0)
		return FWN_RC_NO_ORDER;
	if (f[2].u == 0 || f[2].u > FWN_SEALED_MAX || f[1].u > f[2].u || f[3].len > f[2].u - f[1].u)
		return FWN_RC_BAD_PAYLOAD;
	for (unsigned s = 0; s < FWN_SLOTS_MAX; s++) {
		if (c->slot[s].busy && c->st.slots[s].order == idx)
			return FWN_RC_SLOT_BUSY;
	}
	/* pieces in order: offset 0 starts again, anything else continues */
	if (f[1].u == 0) {
		c->fw_rx_len = 0;
		c->fw_rx_order = idx;
	} else if (c->fw_rx_order != idx || f[1].u != c->fw_rx_len) {
		return FWN_RC_BAD_PAYLOAD;
	}
	memcpy(c->fw_rx + c->fw_rx_len, f[3].data, f[3].len);
	c->fw_rx_len += f[3].len;
	if (c->fw_rx_len == f[2].u) {
		size_t len = 0;
		fwn_order *o = &c->st.orders[idx];
		c->fw_rx_order = -1;
		rc = fwn_firmware_open(c, idx, &len);
		/* kept at rest only sealed, under this programmer's own device secret */
		if (rc == FWN_RC_OK)
			rc = fwn_record_write(c, FWN_REC_FIRMWARE + (unsigned)idx, c->work, len);
		if (rc == FWN_RC_OK) {
			memcpy(c->image[idx], c->work, len);
			o->fw_loaded = 1;
			rc = fwn_state_save(c);
			if (rc != FWN_RC_OK)
				o->fw_loaded = 0;
		}
		fwc_wipe(c->work, len);
		c->fw_rx_len = 0;
		complete = rc == FWN_RC_OK;
	}
	if (rc != FWN_RC_OK)
		return rc;
	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_map(&w, 2);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, complete ? f[2].u : c->fw_rx_len);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_bool(&w, complete);
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
		return FWN_RC_INTERNAL;
	*out_len = w.len;
	return FWN_RC_OK;
}

/*
 * A credit from the cloud for aborted units (docs/formats/cloud-messages.md): COSE_Sign1 by the
 * package-signing key, external AAD "nusec credit v1", {1: 1, 2: order ID, 3: serial, 4: total
 * credited}. The total is monotonic: the limit becomes manifest limit + the highest total seen.
 */
int
fwn_cmd_order_credit(fwn_core *c,
		     const uint8_t *p,
		     size_t plen,
		     uint8_t *out,
		     size_t cap,
		     size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_UINT, .required = true},
	    {.key = 2, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 3, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 4, .type = FWN_F_UINT, .required = true},
	};
	fwc_cose_sign1 cose;
	fwn_order *o;
	uint64_t saved_limit, saved_credited;
	int idx, rc;

	rc = fwc_cose_sign1_verify(p,
				   plen,
				   (const uint8_t *)FWN_AAD_CREDIT,
				   strlen(FWN_AAD_CREDIT),
				   c->cfg.package_pub,
				   FWC_COSE_FLAG_TAG_REQUIRED,
				   &cose);
	if (rc == FWC_COSE_ERR_SIGNATURE)
		return FWN_RC_PKG_SIGNATURE;
	if (rc != FWC_COSE_OK || !fwn_parse_map(cose.payload, cose.payload_len, f, 4) ||
	    f[0].u != FWN_FORMAT_VERSION)
		return FWN_RC_PKG_FORMAT;
	if (f[2].len != strlen(c->hal->serial) || memcmp(f[2].data, c->hal->serial, f[2].len) != 0)
		return FWN_RC_PKG_OTHER_PROGRAMMER;
	idx = fwn_order_find(c, (const char *)f[1].data, f[1].len);
	if (idx < 0)
		return FWN_RC_NO_ORDER;
	o = &c->st.orders[idx];
	if (f[3].u <= o->credited)
		return FWN_RC_CREDIT_STALE;
	if (o->manifest_limit + f[3].u < o->manifest_limit)
		return FWN_RC_PKG_FORMAT;
	saved_limit = o->limit;
	saved_credited = o->credited;
	o->credited = f[3].u;
	o->limit = o->manifest_limit + o->credited;
	rc = fwn_state_save(c);
	if (rc != FWN_RC_OK) {
		o->limit = saved_limit;
		o->credited = saved_credited;
		return rc;
	}
	return fwn_order_reply(o, out, cap, out_len);
}

/* HMAC-SHA256(token, "nusec firmware fetch v1" || order_id || 0x00 || nonce) */
int
fwn_cmd_firmware_proof(fwn_core *c,
		       const uint8_t *p,
		       size_t plen,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_ID_MAX},
	    {.key = 2, .type = FWN_F_BSTR, .required = true, .min_len = 16, .max_len = 64},
	};
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	psa_key_id_t key = 0;
	const uint8_t zero = 0;
	size_t mac_len = 0;
	psa_status_t st;
	int idx;

	if (!fwn_parse_map(p, plen, f, 2))
		return FWN_RC_BAD_PAYLOAD;
	idx = fwn_order_find(c, (const char *)f[0].data, f[0].len);
	if (idx < 0)
		return FWN_RC_NO_ORDER;
	if (cap < 32)
		return FWN_RC_INTERNAL;
	psa_set_key_type(&attr, PSA_KEY_TYPE_HMAC);
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH);
	psa_set_key_algorithm(&attr, PSA_ALG_HMAC(PSA_ALG_SHA_256));
	st = psa_import_key(&attr, c->st.orders[idx].token, 32, &key);
	if (st == PSA_SUCCESS)
		st = psa_mac_sign_setup(&op, key, PSA_ALG_HMAC(PSA_ALG_SHA_256));
	if (st == PSA_SUCCESS)
		st = psa_mac_update(&op, (const uint8_t *)FWN_FETCH_LABEL, strlen(FWN_FETCH_LABEL));
	if (st == PSA_SUCCESS)
		st = psa_mac_update(&op, f[0].data, f[0].len);
	if (st == PSA_SUCCESS)
		st = psa_mac_update(&op, &zero, 1);
	if (st == PSA_SUCCESS)
		st = psa_mac_update(&op, f[1].data, f[1].len);
	if (st == PSA_SUCCESS)
		st = psa_mac_sign_finish(&op, out, 32, &mac_len);
	psa_mac_abort(&op);
	if (key != 0)
		psa_destroy_key(key);
	if (st != PSA_SUCCESS || mac_len != 32)
		return FWN_RC_CRYPTO;
	*out_len = 32;
	return FWN_RC_OK;
}
