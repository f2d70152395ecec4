/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-cose.h"

#include <string.h>

#include "fwc-cbor.h"
#include "fwc-cose.h"
#include "nusec-error.h"
#include "nusec-openssl.h"

/* protected header of every message we make: {1: -7} */
static const guint8 nusec_cose_protected_es256[] = {0xa1, 0x01, 0x26};

static const guint8 *
nusec_cose_bytes_data(GBytes *bytes, gsize *len)
{
	if (bytes == NULL) {
		*len = 0;
		return NULL;
	}
	return g_bytes_get_data(bytes, len);
}

/* the Sig_structure, written with the deterministic encoder */
static void
nusec_cose_write_sig_structure(fwc_cbor_writer *w,
			       const guint8 *prot,
			       gsize prot_len,
			       const guint8 *aad,
			       gsize aad_len,
			       const guint8 *payload,
			       gsize payload_len)
{
	fwc_cbor_write_array(w, 4);
	fwc_cbor_write_tstr(w, "Signature1", 10);
	fwc_cbor_write_bstr(w, prot, prot_len);
	fwc_cbor_write_bstr(w, aad, aad_len);
	fwc_cbor_write_bstr(w, payload, payload_len);
}

GBytes *
nusec_cose_sig_structure(GBytes *protected_hdr, GBytes *external_aad, GBytes *payload)
{
	const guint8 *prot, *aad, *data;
	gsize prot_len, aad_len, data_len;
	fwc_cbor_writer w;
	guint8 *buf;

	g_return_val_if_fail(protected_hdr != NULL, NULL);
	g_return_val_if_fail(payload != NULL, NULL);

	prot = nusec_cose_bytes_data(protected_hdr, &prot_len);
	aad = nusec_cose_bytes_data(external_aad, &aad_len);
	data = nusec_cose_bytes_data(payload, &data_len);
	fwc_cbor_writer_init(&w, NULL, 0);
	nusec_cose_write_sig_structure(&w, prot, prot_len, aad, aad_len, data, data_len);
	g_return_val_if_fail(fwc_cbor_writer_status(&w) == FWC_CBOR_OK, NULL);
	buf = g_malloc(w.len);
	fwc_cbor_writer_init(&w, buf, w.len);
	nusec_cose_write_sig_structure(&w, prot, prot_len, aad, aad_len, data, data_len);
	g_assert(fwc_cbor_writer_status(&w) == FWC_CBOR_OK);
	return g_bytes_new_take(buf, w.len);
}

static gboolean
nusec_cose_digest_bstr(EVP_MD_CTX *ctx, const guint8 *data, gsize len)
{
	guint8 head[FWC_CBOR_HEAD_MAX];
	fwc_cbor_writer w;

	fwc_cbor_writer_init(&w, head, sizeof(head));
	if (fwc_cbor_write_bstr_header(&w, len) != FWC_CBOR_OK)
		return FALSE;
	if (EVP_DigestUpdate(ctx, head, w.len) != 1)
		return FALSE;
	return len == 0 || EVP_DigestUpdate(ctx, data, len) == 1;
}

/* SHA-256 of the Sig_structure, fed piece by piece (the payload is not copied) */
static gboolean
nusec_cose_tbs_digest(const guint8 *prot,
		      gsize prot_len,
		      const guint8 *aad,
		      gsize aad_len,
		      const guint8 *payload,
		      gsize payload_len,
		      guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
		      GError **error)
{
	g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new();
	guint8 head[16];
	unsigned int digest_len = 0;
	fwc_cbor_writer w;

	fwc_cbor_writer_init(&w, head, sizeof(head));
	fwc_cbor_write_array(&w, 4);
	fwc_cbor_write_tstr(&w, "Signature1", 10);
	if (ctx == NULL || fwc_cbor_writer_status(&w) != FWC_CBOR_OK ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, head, w.len) != 1 ||
	    !nusec_cose_digest_bstr(ctx, prot, prot_len) ||
	    !nusec_cose_digest_bstr(ctx, aad, aad_len) ||
	    !nusec_cose_digest_bstr(ctx, payload, payload_len) ||
	    EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1 ||
	    digest_len != NUSEC_SIGNER_DIGEST_LEN) {
		nusec_error_set_openssl(error, "cannot hash the COSE Sig_structure");
		return FALSE;
	}
	return TRUE;
}

static void
nusec_cose_write_sign1(fwc_cbor_writer *w,
		       const guint8 *kid,
		       gsize kid_len,
		       gboolean has_kid,
		       const guint8 *payload,
		       gsize payload_len,
		       const guint8 sig[NUSEC_SIGNER_SIG_LEN])
{
	fwc_cbor_write_tag(w, NUSEC_COSE_TAG_SIGN1);
	fwc_cbor_write_array(w, 4);
	fwc_cbor_write_bstr(w, nusec_cose_protected_es256, sizeof(nusec_cose_protected_es256));
	if (has_kid) {
		fwc_cbor_write_map(w, 1);
		fwc_cbor_write_uint(w, FWC_COSE_HDR_KID);
		fwc_cbor_write_bstr(w, kid, kid_len);
	} else {
		fwc_cbor_write_map(w, 0);
	}
	fwc_cbor_write_bstr(w, payload, payload_len);
	fwc_cbor_write_bstr(w, sig, NUSEC_SIGNER_SIG_LEN);
}

GBytes *
nusec_cose_sign1_create(NuSecSigner *signer,
			GBytes *payload,
			GBytes *kid,
			GBytes *external_aad,
			GError **error)
{
	const guint8 *data, *kid_data, *aad;
	gsize data_len, kid_len, aad_len;
	guint8 digest[NUSEC_SIGNER_DIGEST_LEN];
	guint8 sig[NUSEC_SIGNER_SIG_LEN];
	fwc_cbor_writer w;
	guint8 *buf;

	g_return_val_if_fail(NUSEC_IS_SIGNER(signer), NULL);
	g_return_val_if_fail(payload != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	data = nusec_cose_bytes_data(payload, &data_len);
	kid_data = nusec_cose_bytes_data(kid, &kid_len);
	aad = nusec_cose_bytes_data(external_aad, &aad_len);

	if (!nusec_cose_tbs_digest(nusec_cose_protected_es256,
				   sizeof(nusec_cose_protected_es256),
				   aad,
				   aad_len,
				   data,
				   data_len,
				   digest,
				   error))
		return NULL;
	if (!nusec_signer_sign_digest(signer, digest, sig, error)) {
		g_prefix_error(error, "cannot sign COSE_Sign1: ");
		return NULL;
	}

	/* size first, then the real pass into a buffer of exactly that size */
	fwc_cbor_writer_init(&w, NULL, 0);
	nusec_cose_write_sign1(&w, kid_data, kid_len, kid != NULL, data, data_len, sig);
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "cannot encode COSE_Sign1: %s",
			    fwc_cbor_strerror(fwc_cbor_writer_status(&w)));
		return NULL;
	}
	buf = g_malloc(w.len);
	fwc_cbor_writer_init(&w, buf, w.len);
	nusec_cose_write_sign1(&w, kid_data, kid_len, kid != NULL, data, data_len, sig);
	g_assert(fwc_cbor_writer_status(&w) == FWC_CBOR_OK);
	return g_bytes_new_take(buf, w.len);
}

/* a GError for a fwc_cose status, with the CBOR detail when there is one */
static void
nusec_cose_set_error(GError **error, int status, const fwc_cose_sign1 *parsed)
{
	gint code;

	switch (status) {
	case FWC_COSE_ERR_ALG_UNSUPPORTED:
	case FWC_COSE_ERR_CRIT:
	case FWC_COSE_ERR_DETACHED:
		code = NUSEC_ERROR_NOT_SUPPORTED;
		break;
	case FWC_COSE_ERR_SIGNATURE:
		code = NUSEC_ERROR_SIGNATURE_INVALID;
		break;
	case FWC_COSE_ERR_INVALID_ARG:
		code = NUSEC_ERROR_INVALID_ARGUMENT;
		break;
	case FWC_COSE_ERR_CRYPTO:
		code = NUSEC_ERROR_CRYPTO;
		break;
	default:
		code = NUSEC_ERROR_INVALID_DATA;
		break;
	}
	if (parsed->cbor_status != FWC_CBOR_OK) {
		g_set_error(error,
			    NUSEC_ERROR,
			    code,
			    "invalid COSE_Sign1: %s: %s",
			    fwc_cose_strerror(status),
			    fwc_cbor_strerror(parsed->cbor_status));
		return;
	}
	g_set_error(error, NUSEC_ERROR, code, "invalid COSE_Sign1: %s", fwc_cose_strerror(status));
}

static gboolean
nusec_cose_parse(GBytes *cose, fwc_cose_sign1 *parsed, GError **error)
{
	const guint8 *data;
	gsize len;
	int rc;

	data = g_bytes_get_data(cose, &len);
	rc = fwc_cose_sign1_parse(data, len, FWC_COSE_FLAG_TAG_REQUIRED, parsed);
	if (rc != FWC_COSE_OK) {
		nusec_cose_set_error(error, rc, parsed);
		return FALSE;
	}
	return TRUE;
}

gboolean
nusec_cose_sign1_verify(GBytes *cose,
			GBytes *spki,
			GBytes *external_aad,
			GBytes **payload_out,
			GError **error)
{
	fwc_cose_sign1 parsed;
	guint8 digest[NUSEC_SIGNER_DIGEST_LEN];
	const guint8 *aad;
	gsize aad_len;

	g_return_val_if_fail(cose != NULL, FALSE);
	g_return_val_if_fail(spki != NULL, FALSE);
	g_return_val_if_fail(payload_out == NULL || *payload_out == NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (!nusec_cose_parse(cose, &parsed, error))
		return FALSE;
	aad = nusec_cose_bytes_data(external_aad, &aad_len);
	if (!nusec_cose_tbs_digest(parsed.protected_hdr,
				   parsed.protected_len,
				   aad,
				   aad_len,
				   parsed.payload,
				   parsed.payload_len,
				   digest,
				   error))
		return FALSE;
	if (!nusec_ecdsa_verify_digest(spki, digest, parsed.signature, error)) {
		g_prefix_error(error, "invalid COSE_Sign1: ");
		return FALSE;
	}
	if (payload_out != NULL) {
		const guint8 *base = g_bytes_get_data(cose, NULL);
		*payload_out =
		    g_bytes_new_from_bytes(cose, parsed.payload - base, parsed.payload_len);
	}
	return TRUE;
}

GBytes *
nusec_cose_sign1_get_kid(GBytes *cose, GError **error)
{
	fwc_cose_sign1 parsed;

	g_return_val_if_fail(cose != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_cose_parse(cose, &parsed, error))
		return NULL;
	if (parsed.kid == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_NOT_FOUND,
				    "COSE_Sign1 has no kid");
		return NULL;
	}
	return g_bytes_new(parsed.kid, parsed.kid_len);
}
