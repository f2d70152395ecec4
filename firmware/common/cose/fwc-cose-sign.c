/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-cose-sign.h"

#include <string.h>

#include "fwc-cbor.h"

/* {1: -7} */
static const uint8_t fwc_cose_prot_es256[] = {0xa1, 0x01, 0x26};

int
fwc_cose_sign1_create(const uint8_t *payload,
		      size_t payload_len,
		      const uint8_t *kid,
		      size_t kid_len,
		      const uint8_t *external_aad,
		      size_t aad_len,
		      fwc_cose_sign_fn sign,
		      void *user,
		      uint8_t *out,
		      size_t cap,
		      size_t *out_len,
		      int *cbor_status)
{
	fwc_cose_sign1 parts;
	fwc_cbor_writer w;
	uint8_t digest[FWC_SHA256_LEN];
	uint8_t sig[FWC_P256_SIG_LEN];
	int rc;

	if (cbor_status != NULL)
		*cbor_status = FWC_CBOR_OK;
	if ((payload == NULL && payload_len != 0) || (kid == NULL && kid_len != 0) ||
	    (external_aad == NULL && aad_len != 0) || sign == NULL || out == NULL ||
	    out_len == NULL)
		return FWC_COSE_ERR_INVALID_ARG;
	*out_len = 0;

	memset(&parts, 0, sizeof(parts));
	parts.protected_hdr = fwc_cose_prot_es256;
	parts.protected_len = sizeof(fwc_cose_prot_es256);
	parts.payload = payload != NULL ? payload : (const uint8_t *)"";
	parts.payload_len = payload_len;
	rc = fwc_cose_sign1_digest(&parts, external_aad, aad_len, digest);
	if (rc != FWC_COSE_OK)
		return rc;
	if (sign(user, digest, sig) != 0) {
		fwc_wipe(digest, sizeof(digest));
		return FWC_COSE_ERR_CRYPTO;
	}

	fwc_cbor_writer_init(&w, out, cap);
	fwc_cbor_write_tag(&w, FWC_COSE_TAG_SIGN1);
	fwc_cbor_write_array(&w, 4);
	fwc_cbor_write_bstr(&w, fwc_cose_prot_es256, sizeof(fwc_cose_prot_es256));
	if (kid != NULL) {
		fwc_cbor_write_map(&w, 1);
		fwc_cbor_write_uint(&w, FWC_COSE_HDR_KID);
		fwc_cbor_write_bstr(&w, kid, kid_len);
	} else {
		fwc_cbor_write_map(&w, 0);
	}
	fwc_cbor_write_bstr(&w, parts.payload, payload_len);
	fwc_cbor_write_bstr(&w, sig, sizeof(sig));
	rc = fwc_cbor_writer_status(&w);
	if (rc != FWC_CBOR_OK) {
		if (cbor_status != NULL)
			*cbor_status = rc;
		return FWC_COSE_ERR_CBOR;
	}
	*out_len = w.len;
	return FWC_COSE_OK;
}
