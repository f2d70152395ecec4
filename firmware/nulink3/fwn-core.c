/*
 * NuLink3 core: power-on, KeyStore, sealed config and state, the dispatcher, setup, SIGN_TLS,
 * GET_INFO and FACTORY_RESET. Package import is in fwn-order.c, the gang slots in fwn-device.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <psa/crypto.h>
#include <string.h>

#include "fwc-cose-sign.h"
#include "fwc-csr.h"
#include "fwc-link.h"
#include "fwn-core-private.h"
#include "fwn-store.h"
#include "fwn-x509.h"

#define FWN_RESET_CONFIRM "FACTORY RESET"

/* ------------------------------------------------------------------------------------------ */
/* CBOR request maps */

bool
fwn_parse_map(const uint8_t *buf, size_t len, fwn_field *f, unsigned n)
{
	fwc_cbor_reader r;
	size_t pairs = 0;

	for (unsigned j = 0; j < n; j++) {
		f[j].present = false;
		f[j].u = 0;
		f[j].data = NULL;
		f[j].len = 0;
	}
	if (buf == NULL)
		return false;
	fwc_cbor_reader_init(&r, buf, len, 0);
	if (fwc_cbor_check_map(&r) != FWC_CBOR_OK || fwc_cbor_read_map(&r, &pairs) != FWC_CBOR_OK)
		return false;
	for (size_t i = 0; i < pairs; i++) {
		uint64_t key = 0;
		fwn_field *fld = NULL;
		int rc = FWC_CBOR_OK;
		if (fwc_cbor_read_uint(&r, &key) != FWC_CBOR_OK)
			return false;
		for (unsigned j = 0; j < n; j++) {
			if (f[j].key == key)
				fld = &f[j];
		}
		if (fld == NULL || fld->present)
			return false;
		fld->present = true;
		switch (fld->type) {
		case FWN_F_UINT:
			rc = fwc_cbor_read_uint(&r, &fld->u);
			break;
		case FWN_F_TSTR: {
			const char *text = NULL;
			rc = fwc_cbor_read_tstr(&r, &text, &fld->len);
			fld->data = (const uint8_t *)text;
			if (rc == FWC_CBOR_OK && memchr(text, '\0', fld->len) != NULL)
				rc = FWC_CBOR_ERR_BAD_UTF8;
			break;
		}
		case FWN_F_BSTR:
			rc = fwc_cbor_read_bstr(&r, &fld->data, &fld->len);
			break;
		case FWN_F_ARRAY:
		case FWN_F_MAP: {
			size_t start = r.pos;
			fwc_cbor_type type;
			rc = fwc_cbor_peek_type(&r, &type);
			if (rc == FWC_CBOR_OK &&
			    type !=
				(fld->type == FWN_F_MAP ? FWC_CBOR_TYPE_MAP : FWC_CBOR_TYPE_ARRAY))
				rc = FWC_CBOR_ERR_TYPE;
			if (rc == FWC_CBOR_OK)
				rc = fwc_cbor_skip(&r);
			fld->data = buf + start;
			fld->len = r.pos - start;
			break;
		}
		}
		if (rc != FWC_CBOR_OK)
			return false;
		if ((fld->type == FWN_F_TSTR || fld->type == FWN_F_BSTR) &&
		    (fld->len < fld->min_len || fld->len > fld->max_len))
			return false;
	}
	if (fwc_cbor_read_end(&r) != FWC_CBOR_OK)
		return false;
	for (unsigned j = 0; j < n; j++) {
		if (f[j].required && !f[j].present)
			return false;
	}
	return true;
}

void
fwn_field_text(const fwn_field *f, char *out, size_t cap)
{
	size_t n = f->len < cap - 1 ? f->len : cap - 1;
	if (f->data != NULL && n > 0)
		memcpy(out, f->data, n);
	out[n] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* keys */

int
fwn_sign_digest(uint32_t key, const uint8_t digest[FWC_SHA256_LEN], uint8_t sig[FWC_P256_SIG_LEN])
{
	size_t len = 0;
	if (key == 0)
		return FWN_RC_NOT_SET_UP;
	if (psa_sign_hash((psa_key_id_t)key,
			  PSA_ALG_ECDSA(PSA_ALG_SHA_256),
			  digest,
			  FWC_SHA256_LEN,
			  sig,
			  FWC_P256_SIG_LEN,
			  &len) != PSA_SUCCESS ||
	    len != FWC_P256_SIG_LEN)
		return FWN_RC_CRYPTO;
	return FWN_RC_OK;
}

int
fwn_cose_sign_cb(void *user, const uint8_t digest[FWC_SHA256_LEN], uint8_t sig[FWC_P256_SIG_LEN])
{
	return fwn_sign_digest(*(const uint32_t *)user, digest, sig) == FWN_RC_OK ? 0 : -1;
}

/* a volatile P-256 key, never exportable: SIGN_HASH for the TLS and request keys, DERIVE
 * (ECDH) for the encryption key */
static int
fwn_key_import(const uint8_t scalar[FWC_P256_SCALAR_LEN], bool ecdh, uint32_t *key, uint8_t *pub)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;
	size_t len = 0;

	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	if (ecdh) {
		psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DERIVE);
		psa_set_key_algorithm(&attr, PSA_ALG_ECDH);
	} else {
		psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH);
		psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	}
	if (psa_import_key(&attr, scalar, FWC_P256_SCALAR_LEN, &id) != PSA_SUCCESS)
		return FWN_RC_CRYPTO;
	if (psa_export_public_key(id, pub, FWC_P256_POINT_LEN, &len) != PSA_SUCCESS ||
	    len != FWC_P256_POINT_LEN) {
		psa_destroy_key(id);
		return FWN_RC_CRYPTO;
	}
	*key = id;
	return FWN_RC_OK;
}

static void
fwn_key_destroy(uint32_t *key)
{
	if (*key != 0)
		psa_destroy_key((psa_key_id_t)*key);
	*key = 0;
}

int
fwn_record_write(fwn_core *c, unsigned rec, const uint8_t *data, size_t len)
{
	size_t blob_len = 0;
	int rc = fwn_store_seal(c->hal,
				c->huk_key,
				rec,
				data,
				len,
				c->seal_buf,
				sizeof(c->seal_buf),
				&blob_len);
	if (rc != FWN_STORE_OK)
		return rc == FWN_STORE_ERR_CRYPTO ? FWN_RC_CRYPTO : FWN_RC_INTERNAL;
	if (c->hal->store_write(c->hal->ctx, rec, c->seal_buf, blob_len) != FWN_HAL_OK)
		return FWN_RC_STORAGE;
	return FWN_RC_OK;
}

/* FWN_RC_OK, FWN_RC_NO_ORDER when absent (a sentinel here), FWN_RC_STORAGE when it does not
 * unseal */
int
fwn_record_read(fwn_core *c, unsigned rec, uint8_t *out, size_t cap, size_t *len)
{
	size_t blob_len = 0;
	int rc = c->hal->store_read(c->hal->ctx, rec, c->seal_buf, sizeof(c->seal_buf), &blob_len);
	if (rc == FWN_HAL_ERR_NOT_FOUND)
		return FWN_RC_NO_ORDER;
	if (rc != FWN_HAL_OK)
		return FWN_RC_STORAGE;
	rc = fwn_store_unseal(c->hal, c->huk_key, rec, c->seal_buf, blob_len, out, cap, len);
	if (rc == FWN_STORE_ERR_CRYPTO)
		return FWN_RC_CRYPTO;
	if (rc != FWN_STORE_OK)
		return FWN_RC_STORAGE;
	return FWN_RC_OK;
}

static int
fwn_key_load(fwn_core *c, unsigned rec, bool ecdh, uint32_t *key, uint8_t *pub)
{
	uint8_t scalar[FWC_P256_SCALAR_LEN];
	size_t len = 0;
	int rc = fwn_record_read(c, rec, scalar, sizeof(scalar), &len);
	if (rc == FWN_RC_OK && len != sizeof(scalar))
		rc = FWN_RC_STORAGE;
	if (rc == FWN_RC_OK)
		rc = fwn_key_import(scalar, ecdh, key, pub);
	fwc_wipe(scalar, sizeof(scalar));
	return rc;
}

static int
fwn_key_generate(fwn_core *c, unsigned rec, bool ecdh, uint32_t *key, uint8_t *pub)
{
	uint8_t scalar[FWC_P256_SCALAR_LEN];
	int rc = FWN_RC_CRYPTO;

	*key = 0;
	for (unsigned attempt = 0; attempt < 8 && *key == 0; attempt++) {
		if (c->hal->rng(c->hal->ctx, scalar, sizeof(scalar)) != FWN_HAL_OK) {
			rc = FWN_RC_CRYPTO;
			break;
		}
		rc = fwn_key_import(scalar, ecdh, key, pub);
	}
	if (*key != 0)
		rc = fwn_record_write(c, rec, scalar, sizeof(scalar));
	fwc_wipe(scalar, sizeof(scalar));
	if (rc != FWN_RC_OK)
		fwn_key_destroy(key);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* config and state */

int
fwn_config_save(fwn_core *c)
{
	c->cfg.magic = FWN_CONFIG_MAGIC;
	c->cfg.size = sizeof(c->cfg);
	return fwn_record_write(c, FWN_REC_CONFIG, (const uint8_t *)&c->cfg, sizeof(c->cfg));
}

/*
 * The state record carries gen = the value the monotonic counter has once it is current:
 * written with gen = mono + 1, then the counter advances. At power-on gen == mono is current,
 * gen == mono + 1 is a save whose advance was cut (finished now), anything else is an old copy
 * put back (rollback): refused.
 */
int
fwn_state_save(fwn_core *c)
{
	uint64_t mono = 0;
	int rc;

	if (c->hal->mono_read(c->hal->ctx, &mono) != FWN_HAL_OK)
		return FWN_RC_STORAGE;
	c->st.magic = FWN_STATE_MAGIC;
	c->st.size = sizeof(c->st);
	c->st.gen = mono + 1;
	rc = fwn_record_write(c, FWN_REC_STATE, (const uint8_t *)&c->st, sizeof(c->st));
	if (rc != FWN_RC_OK)
		return rc;
	fwn_checkpoint(c, "state:written");
	if (c->hal->mono_advance(c->hal->ctx, mono + 1) != FWN_HAL_OK)
		return FWN_RC_STORAGE;
	return FWN_RC_OK;
}

static int
fwn_state_load(fwn_core *c)
{
	uint64_t mono = 0;
	size_t len = 0;
	int rc;

	if (c->hal->mono_read(c->hal->ctx, &mono) != FWN_HAL_OK)
		return FWN_RC_STORAGE;
	rc = fwn_record_read(c, FWN_REC_STATE, (uint8_t *)&c->st, sizeof(c->st), &len);
	if (rc == FWN_RC_NO_ORDER) {
		memset(&c->st, 0, sizeof(c->st));
		/* a state record removed after the counter started: not a blank programmer */
		if (mono != 0)
			return FWN_RC_STORAGE;
		return FWN_RC_OK;
	}
	if (rc != FWN_RC_OK)
		return rc;
	if (len != sizeof(c->st) || c->st.magic != FWN_STATE_MAGIC || c->st.size != sizeof(c->st))
		return FWN_RC_STORAGE;
	if (c->st.gen == mono + 1) {
		if (c->hal->mono_advance(c->hal->ctx, mono + 1) != FWN_HAL_OK)
			return FWN_RC_STORAGE;
	} else if (c->st.gen != mono) {
		return FWN_RC_STORAGE;
	}
	for (unsigned i = 0; i < FWN_ORDERS_MAX; i++) {
		fwn_order *o = &c->st.orders[i];
		o->order_id[FWN_ID_MAX] = '\0';
		o->package_id[FWN_ID_MAX] = '\0';
		o->product_id[FWN_ID_MAX] = '\0';
		o->fw_version[FWN_ID_MAX] = '\0';
		if (o->used > o->limit || o->limit != o->manifest_limit + o->credited)
			return FWN_RC_STORAGE;
	}
	return FWN_RC_OK;
}

static int
fwn_config_load(fwn_core *c)
{
	size_t len = 0;
	int rc = fwn_record_read(c, FWN_REC_CONFIG, (uint8_t *)&c->cfg, sizeof(c->cfg), &len);
	if (rc == FWN_RC_NO_ORDER) {
		memset(&c->cfg, 0, sizeof(c->cfg));
		return FWN_RC_OK;
	}
	if (rc != FWN_RC_OK)
		return rc;
	if (len != sizeof(c->cfg) || c->cfg.magic != FWN_CONFIG_MAGIC ||
	    c->cfg.size != sizeof(c->cfg) || c->cfg.setup > FWN_SETUP_LOCKED ||
	    c->cfg.cert_len > FWN_CERT_MAX || c->cfg.ca_len > FWN_CA_MAX ||
	    c->cfg.vendor_ca_len > FWN_CERT_MAX)
		return FWN_RC_STORAGE;
	c->cfg.url[FWN_URL_MAX] = '\0';
	return FWN_RC_OK;
}

static void
fwn_keys_destroy(fwn_core *c)
{
	fwn_key_destroy(&c->tls_key);
	fwn_key_destroy(&c->req_key);
	fwn_key_destroy(&c->enc_key);
}

static int
fwn_keys_load(fwn_core *c)
{
	int rc;
	if (c->cfg.setup == FWN_SETUP_BLANK)
		return FWN_RC_OK;
	rc = fwn_key_load(c, FWN_REC_KEY_TLS, false, &c->tls_key, c->tls_pub);
	if (rc == FWN_RC_OK)
		rc = fwn_key_load(c, FWN_REC_KEY_REQ, false, &c->req_key, c->req_pub);
	if (rc == FWN_RC_OK)
		rc = fwn_key_load(c, FWN_REC_KEY_ENC, true, &c->enc_key, c->enc_pub);
	if (rc == FWN_RC_NO_ORDER)
		rc = FWN_RC_STORAGE; /* a key of a set-up programmer is missing */
	if (rc != FWN_RC_OK)
		fwn_keys_destroy(c);
	return rc;
}

int
fwn_core_init(fwn_core *core, const fwn_hal *hal)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t huk[FWN_HUK_LEN];
	psa_key_id_t id = 0;
	psa_status_t st;
	int rc;

	memset(core, 0, sizeof(*core));
	core->hal = hal;
	core->fw_rx_order = -1;
	if (hal->n_slots > FWN_SLOTS_MAX || hal->serial[0] == '\0')
		return FWN_RC_INTERNAL;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWN_RC_CRYPTO;
	if (hal->huk_read(hal->ctx, huk) != FWN_HAL_OK) {
		fwc_wipe(huk, sizeof(huk));
		return FWN_RC_STORAGE;
	}
	psa_set_key_type(&attr, PSA_KEY_TYPE_DERIVE);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DERIVE);
	psa_set_key_algorithm(&attr, PSA_ALG_HKDF(PSA_ALG_SHA_256));
	st = psa_import_key(&attr, huk, sizeof(huk), &id);
	fwc_wipe(huk, sizeof(huk));
	if (st != PSA_SUCCESS)
		return FWN_RC_CRYPTO;
	core->huk_key = id;
	rc = fwn_config_load(core);
	if (rc == FWN_RC_OK)
		rc = fwn_keys_load(core);
	if (rc == FWN_RC_OK)
		rc = fwn_state_load(core);
	if (rc == FWN_RC_OK)
		fwn_order_load_images(core);
	/* a storage failure leaves the programmer up, refusing all but GET_INFO and reset */
	core->storage_rc = rc;
	return rc;
}

void
fwn_core_deinit(fwn_core *core)
{
	fwn_keys_destroy(core);
	fwn_key_destroy(&core->huk_key);
	fwc_wipe(core->image, sizeof(core->image));
	fwc_wipe(core->work, sizeof(core->work));
	fwc_wipe(core->fw_rx, sizeof(core->fw_rx));
	fwc_wipe(&core->st, sizeof(core->st));
}

/* ------------------------------------------------------------------------------------------ */
/* commands */

static int
fwn_cbor_done(fwc_cbor_writer *w, size_t *out_len)
{
	if (fwc_cbor_writer_status(w) != FWC_CBOR_OK)
		return FWN_RC_INTERNAL;
	*out_len = w->len;
	return FWN_RC_OK;
}

static int
fwn_cmd_get_info(fwn_core *c,
		 const uint8_t *p,
		 size_t plen,
		 uint8_t *out,
		 size_t cap,
		 size_t *out_len)
{
	fwc_cbor_writer w;
	size_t n_orders = 0;

	if (plen != 0)
		return FWN_RC_BAD_LENGTH;
	for (unsigned i = 0; i < FWN_ORDERS_MAX; i++)
		n_orders += c->st.orders[i].in_use ? 1 : 0;
	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_map(&w, 8);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, FWN_USB_VERSION);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_tstr(&w, c->hal->serial, strlen(c->hal->serial));
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_tstr(&w, FWN_FW_VERSION, strlen(FWN_FW_VERSION));
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_tstr(&w, FWN_MODEL, strlen(FWN_MODEL));
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_uint(&w, c->cfg.setup);
	fwc_cbor_write_uint(&w, 6);
	fwc_cbor_write_uint(&w, c->hal->n_slots);
	fwc_cbor_write_uint(&w, 7);
	fwc_cbor_write_uint(&w, (uint64_t)c->storage_rc);
	fwc_cbor_write_uint(&w, 8);
	fwc_cbor_write_array(&w, n_orders);
	for (unsigned i = 0; i < FWN_ORDERS_MAX; i++) {
		const fwn_order *o = &c->st.orders[i];
		if (!o->in_use)
			continue;
		fwc_cbor_write_map(&w, 3);
		fwc_cbor_write_uint(&w, 1);
		fwc_cbor_write_tstr(&w, o->order_id, strlen(o->order_id));
		fwc_cbor_write_uint(&w, 2);
		fwc_cbor_write_uint(&w, o->limit);
		fwc_cbor_write_uint(&w, 3);
		fwc_cbor_write_uint(&w, o->used);
	}
	return fwn_cbor_done(&w, out_len);
}

/* the setup payload both the TLS key and the request key sign: it binds the three keys */
static int
fwn_setup_payload(fwn_core *c, uint8_t *buf, size_t cap, size_t *len)
{
	fwc_cbor_writer w;
	fwc_cbor_writer_init(&w, buf, cap);
	fwc_cbor_write_map(&w, 6);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_uint(&w, FWN_FORMAT_VERSION);
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_tstr(&w, c->hal->serial, strlen(c->hal->serial));
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_bstr(&w, c->tls_pub, FWC_P256_POINT_LEN);
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_bstr(&w, c->enc_pub, FWC_P256_POINT_LEN);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_tstr(&w, FWN_MODEL, strlen(FWN_MODEL));
	fwc_cbor_write_uint(&w, 6);
	fwc_cbor_write_bstr(&w, c->req_pub, FWC_P256_POINT_LEN);
	return fwn_cbor_done(&w, len);
}

static int
fwn_cmd_setup_begin(fwn_core *c,
		    const uint8_t *p,
		    size_t plen,
		    uint8_t *out,
		    size_t cap,
		    size_t *out_len)
{
	uint8_t payload[512];
	uint8_t csr[512];
	uint8_t sig_tls[768];
	uint8_t sig_req[768];
	size_t payload_len = 0, csr_len = 0, tls_len = 0, req_len = 0;
	fwc_cbor_writer w;
	int rc;

	if (plen != 0)
		return FWN_RC_BAD_LENGTH;
	if (c->cfg.setup == FWN_SETUP_LOCKED)
		return FWN_RC_SETUP_LOCKED;
	if (c->cfg.setup == FWN_SETUP_BLANK) {
		rc = fwn_key_generate(c, FWN_REC_KEY_TLS, false, &c->tls_key, c->tls_pub);
		if (rc == FWN_RC_OK)
			rc = fwn_key_generate(c, FWN_REC_KEY_REQ, false, &c->req_key, c->req_pub);
		if (rc == FWN_RC_OK)
			rc = fwn_key_generate(c, FWN_REC_KEY_ENC, true, &c->enc_key, c->enc_pub);
		if (rc == FWN_RC_OK) {
			c->cfg.setup = FWN_SETUP_KEYS;
			rc = fwn_config_save(c);
		}
		if (rc != FWN_RC_OK) {
			fwn_keys_destroy(c);
			c->cfg.setup = FWN_SETUP_BLANK;
			return rc;
		}
	}
	/* KEYS or INSTALLED: the same keys again, so that an interrupted setup resumes */
	if (c->tls_key == 0)
		return FWN_RC_NOT_SET_UP;
	rc = fwc_csr_build(c->tls_key, c->tls_pub, c->hal->serial, csr, sizeof(csr), &csr_len);
	if (rc != FWC_CRYPTO_OK)
		return rc == FWC_CRYPTO_ERR_INTERNAL ? FWN_RC_INTERNAL : FWN_RC_CRYPTO;
	rc = fwn_setup_payload(c, payload, sizeof(payload), &payload_len);
	if (rc != FWN_RC_OK)
		return rc;
	if (fwc_cose_sign1_create(payload,
				  payload_len,
				  NULL,
				  0,
				  (const uint8_t *)FWN_AAD_SETUP,
				  strlen(FWN_AAD_SETUP),
				  fwn_cose_sign_cb,
				  &c->tls_key,
				  sig_tls,
				  sizeof(sig_tls),
				  &tls_len,
				  NULL) != FWC_COSE_OK ||
	    fwc_cose_sign1_create(payload,
				  payload_len,
				  NULL,
				  0,
				  (const uint8_t *)FWN_AAD_SETUP,
				  strlen(FWN_AAD_SETUP),
				  fwn_cose_sign_cb,
				  &c->req_key,
				  sig_req,
				  sizeof(sig_req),
				  &req_len,
				  NULL) != FWC_COSE_OK)
		return FWN_RC_CRYPTO;
	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_map(&w, 7);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_tstr(&w, c->hal->serial, strlen(c->hal->serial));
	fwc_cbor_write_uint(&w, 2);
	fwc_cbor_write_bstr(&w, csr, csr_len);
	fwc_cbor_write_uint(&w, 3);
	fwc_cbor_write_bstr(&w, sig_tls, tls_len);
	fwc_cbor_write_uint(&w, 4);
	fwc_cbor_write_bstr(&w, sig_req, req_len);
	fwc_cbor_write_uint(&w, 5);
	fwc_cbor_write_bstr(&w, c->tls_pub, FWC_P256_POINT_LEN);
	fwc_cbor_write_uint(&w, 6);
	fwc_cbor_write_bstr(&w, c->req_pub, FWC_P256_POINT_LEN);
	fwc_cbor_write_uint(&w, 7);
	fwc_cbor_write_bstr(&w, c->enc_pub, FWC_P256_POINT_LEN);
	return fwn_cbor_done(&w, out_len);
}

static int
fwn_cmd_setup_install(fwn_core *c,
		      const uint8_t *p,
		      size_t plen,
		      uint8_t *out,
		      size_t cap,
		      size_t *out_len)
{
	fwn_field f[] = {
	    {.key = 1, .type = FWN_F_BSTR, .required = true, .min_len = 1, .max_len = FWN_CERT_MAX},
	    {.key = 2, .type = FWN_F_ARRAY, .required = true},
	    {.key = 3,
	     .type = FWN_F_BSTR,
	     .required = true,
	     .min_len = FWC_P256_POINT_LEN,
	     .max_len = FWC_P256_POINT_LEN},
	    {.key = 4, .type = FWN_F_TSTR, .required = true, .min_len = 1, .max_len = FWN_URL_MAX},
	    {.key = 5,
	     .type = FWN_F_BSTR,
	     .required = false,
	     .min_len = 1,
	     .max_len = FWN_CERT_MAX},
	};
	fwc_cbor_reader r;
	size_t count = 0;
	size_t ca_len = 0;
	uint8_t spki_point[FWC_P256_POINT_LEN];
	int rc;

	if (c->cfg.setup == FWN_SETUP_LOCKED)
		return FWN_RC_SETUP_LOCKED;
	if (c->cfg.setup == FWN_SETUP_BLANK)
		return FWN_RC_NOT_SET_UP;
	if (!fwn_parse_map(p, plen, f, 5))
		return FWN_RC_BAD_PAYLOAD;
	/* the package-signing key must be a point of P-256 */
	{
		uint8_t spki[FWC_P256_SPKI_LEN];
		fwc_p256_point_to_spki(f[2].data, spki);
		if (fwc_p256_spki_to_point(spki, sizeof(spki), spki_point) != FWC_CRYPTO_OK)
			return FWN_RC_BAD_PAYLOAD;
	}
	/* the certificate must hold the TLS key and chain to the cloud CA */
	rc = fwn_x509_check_programmer_cert(f[0].data,
					    f[0].len,
					    f[1].data,
					    f[1].len,
					    c->tls_pub,
					    c->work,
					    FWN_CA_MAX,
					    &ca_len);
	if (rc != FWN_RC_OK)
		return rc;
	if (f[4].present && fwn_x509_parse_check(f[4].data, f[4].len) != FWN_RC_OK)
		return FWN_RC_CERT_CHAIN;
	fwc_cbor_reader_init(&r, f[1].data, f[1].len, 0);
	(void)fwc_cbor_read_array(&r, &count);
	memcpy(c->cfg.cert, f[0].data, f[0].len);
	c->cfg.cert_len = (uint16_t)f[0].len;
	memcpy(c->cfg.ca, c->work, ca_len);
	c->cfg.ca_len = (uint16_t)ca_len;
	memcpy(c->cfg.package_pub, f[2].data, FWC_P256_POINT_LEN);
	fwn_field_text(&f[3], c->cfg.url, sizeof(c->cfg.url));
	c->cfg.has_vendor_ca = f[4].present ? 1 : 0;
	c->cfg.vendor_ca_len = f[4].present ? (uint16_t)f[4].len : 0;
	if (f[4].present)
		memcpy(c->cfg.vendor_ca, f[4].data, f[4].len);
	c->cfg.setup = FWN_SETUP_INSTALLED;
	rc = fwn_config_save(c);
	if (rc != FWN_RC_OK)
		return rc;
	(void)out;
	(void)cap;
	*out_len = 0;
	return FWN_RC_OK;
}

static int
fwn_cmd_setup_lock(fwn_core *c,
		   const uint8_t *p,
		   size_t plen,
		   uint8_t *out,
		   size_t cap,
		   size_t *out_len)
{
	if (plen != 0)
		return FWN_RC_BAD_LENGTH;
	if (c->cfg.setup == FWN_SETUP_LOCKED)
		return FWN_RC_SETUP_LOCKED;
	if (c->cfg.setup == FWN_SETUP_BLANK)
		return FWN_RC_NOT_SET_UP;
	if (c->cfg.setup != FWN_SETUP_INSTALLED)
		return FWN_RC_NOT_INSTALLED;
	c->cfg.setup = FWN_SETUP_LOCKED;
	*out_len = 0;
	return fwn_config_save(c);
}

static int
fwn_cmd_sign_tls(fwn_core *c,
		 const uint8_t *p,
		 size_t plen,
		 uint8_t *out,
		 size_t cap,
		 size_t *out_len)
{
	int rc;
	if (plen != FWC_SHA256_LEN)
		return FWN_RC_BAD_LENGTH;
	/* the TLS key signs for the mutual TLS of a certified programmer only */
	if (c->cfg.setup < FWN_SETUP_INSTALLED)
		return c->cfg.setup == FWN_SETUP_BLANK ? FWN_RC_NOT_SET_UP : FWN_RC_NOT_INSTALLED;
	if (cap < FWC_P256_SIG_LEN)
		return FWN_RC_INTERNAL;
	rc = fwn_sign_digest(c->tls_key, p, out);
	if (rc == FWN_RC_OK)
		*out_len = FWC_P256_SIG_LEN;
	return rc;
}

static int
fwn_cmd_factory_reset(fwn_core *c,
		      const uint8_t *p,
		      size_t plen,
		      uint8_t *out,
		      size_t cap,
		      size_t *out_len)
{
	static const unsigned recs[] = {FWN_REC_KEY_TLS,
					FWN_REC_KEY_REQ,
					FWN_REC_KEY_ENC,
					FWN_REC_CONFIG,
					FWN_REC_FIRMWARE + 0,
					FWN_REC_FIRMWARE + 1,
					FWN_REC_FIRMWARE + 2,
					FWN_REC_FIRMWARE + 3};
	int rc;

	if (plen != strlen(FWN_RESET_CONFIRM) || memcmp(p, FWN_RESET_CONFIRM, plen) != 0)
		return FWN_RC_BAD_PAYLOAD;
	for (unsigned i = 0; i < FWN_SLOTS_MAX; i++) {
		if (c->slot[i].busy)
			return FWN_RC_SLOT_BUSY;
	}
	fwn_keys_destroy(c);
	memset(&c->cfg, 0, sizeof(c->cfg));
	memset(&c->st, 0, sizeof(c->st));
	fwc_wipe(c->image, sizeof(c->image));
	c->fw_rx_len = 0;
	c->fw_rx_order = -1;
	/* keys first: once they are gone nothing sealed to them is of any use */
	for (unsigned i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		int hrc = c->hal->store_erase(c->hal->ctx, recs[i]);
		if (hrc != FWN_HAL_OK && hrc != FWN_HAL_ERR_NOT_FOUND)
			return FWN_RC_STORAGE;
	}
	/* an empty state, bound to the monotonic counter (which never goes back) */
	rc = fwn_state_save(c);
	c->storage_rc = rc;
	*out_len = 0;
	return rc;
}

typedef struct {
	uint8_t cmd;
	fwn_handler fn;
	bool locked_by_handler; /* device commands: the handler takes the lock itself */
	bool needs_production;	/* refused before SETUP_LOCK */
} fwn_cmd_entry;

static const fwn_cmd_entry fwn_cmds[] = {
    {FWN_CMD_GET_INFO, fwn_cmd_get_info, false, false},
    {FWN_CMD_SETUP_BEGIN, fwn_cmd_setup_begin, false, false},
    {FWN_CMD_SETUP_INSTALL, fwn_cmd_setup_install, false, false},
    {FWN_CMD_SETUP_LOCK, fwn_cmd_setup_lock, false, false},
    {FWN_CMD_SIGN_TLS, fwn_cmd_sign_tls, false, false},
    {FWN_CMD_FACTORY_RESET, fwn_cmd_factory_reset, false, false},
    {FWN_CMD_PACKAGE_IMPORT, fwn_cmd_package_import, false, true},
    {FWN_CMD_ORDER_STATUS, fwn_cmd_order_status, false, true},
    {FWN_CMD_FIRMWARE_LOAD, fwn_cmd_firmware_load, false, true},
    {FWN_CMD_FIRMWARE_PROOF, fwn_cmd_firmware_proof, false, true},
    {FWN_CMD_ORDER_CREDIT, fwn_cmd_order_credit, false, true},
    {FWN_CMD_DEVICE_BEGIN, fwn_cmd_device_begin, true, true},
    {FWN_CMD_DEVICE_COMPLETE, fwn_cmd_device_complete, true, true},
    {FWN_CMD_DEVICE_ABORT, fwn_cmd_device_abort, true, true},
    {FWN_CMD_SLOT_STATUS, fwn_cmd_slot_status, false, true},
};

size_t
fwn_core_error_frame(uint8_t command, int usb_status, uint8_t *resp, size_t cap)
{
	uint8_t payload[2];
	size_t len = 0;
	fwc_link_put_u16(payload, (uint16_t)usb_status);
	if (fwn_usb_encode((uint8_t)(command | FWN_USB_RESPONSE_BIT),
			   FWN_RC_BAD_FRAME,
			   payload,
			   sizeof(payload),
			   resp,
			   cap,
			   &len) != FWN_USB_OK)
		return 0;
	return len;
}

size_t
fwn_core_handle(fwn_core *core, const uint8_t *req, size_t req_len, uint8_t *resp, size_t cap)
{
	fwn_usb_frame frame;
	const fwn_cmd_entry *e = NULL;
	uint8_t *out = resp + FWN_USB_HEADER_SIZE;
	size_t out_cap = FWN_USB_MAX_PAYLOAD;
	size_t out_len = 0;
	size_t len = 0;
	int rc;

	if (cap < FWN_USB_MAX_FRAME)
		return 0;
	rc = fwn_usb_decode_request(req, req_len, &frame);
	if (rc != FWN_USB_OK) {
		uint8_t cmd = FWN_CMD_NONE;
		if (req_len >= 4 && rc != FWN_USB_ERR_BAD_MAGIC && rc != FWN_USB_ERR_BAD_VERSION)
			cmd = req[3] & (uint8_t)~FWN_USB_RESPONSE_BIT;
		return fwn_core_error_frame(cmd, rc, resp, cap);
	}
	for (size_t i = 0; i < sizeof(fwn_cmds) / sizeof(fwn_cmds[0]); i++) {
		if (fwn_cmds[i].cmd == frame.command)
			e = &fwn_cmds[i];
	}
	if (e == NULL) {
		rc = FWN_RC_UNKNOWN_COMMAND;
	} else if (e->locked_by_handler) {
		core->hal->lock(core->hal->ctx);
		rc = core->storage_rc != FWN_RC_OK	   ? core->storage_rc
		     : core->cfg.setup != FWN_SETUP_LOCKED ? FWN_RC_NOT_LOCKED
							   : FWN_RC_OK;
		core->hal->unlock(core->hal->ctx);
		if (rc == FWN_RC_OK)
			rc = e->fn(core, frame.payload, frame.payload_len, out, out_cap, &out_len);
	} else {
		core->hal->lock(core->hal->ctx);
		if (core->storage_rc != FWN_RC_OK && e->cmd != FWN_CMD_GET_INFO &&
		    e->cmd != FWN_CMD_FACTORY_RESET)
			rc = core->storage_rc;
		else if (e->needs_production && core->cfg.setup != FWN_SETUP_LOCKED)
			rc = FWN_RC_NOT_LOCKED;
		else
			rc = e->fn(core, frame.payload, frame.payload_len, out, out_cap, &out_len);
		core->hal->unlock(core->hal->ctx);
	}
	/* error responses carry no payload, except TARGET_ERROR's detail */
	if (rc != FWN_RC_OK && rc != FWN_RC_TARGET_ERROR)
		out_len = 0;
	if (fwn_usb_encode((uint8_t)(frame.command | FWN_USB_RESPONSE_BIT),
			   (uint16_t)rc,
			   out,
			   out_len,
			   resp,
			   cap,
			   &len) != FWN_USB_OK)
		return 0;
	return len;
}
