/*
 * libFuzzer harness for the firmware COSE_Sign1 verifier, with the fixed public key of
 * RFC 9052 Appendix C.7.1 (kid "11"). Aborts when the verifier breaks its own contract:
 *  - verify and parse disagree on the structure (verify may only add signature or key errors);
 *  - an accepted message's payload or kid is not inside the input;
 *  - a rejected message leaves pointers behind;
 *  - the tag-required mode accepts something the tag-optional mode rejects.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>

#include "fwc-cose.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key11[FWC_P256_POINT_LEN] = {
    0x04, 0xba, 0xc5, 0xb1, 0x1c, 0xad, 0x8f, 0x99, 0xf9, 0xc7, 0x2b, 0x05, 0xcf,
    0x4b, 0x9e, 0x26, 0xd2, 0x44, 0xdc, 0x18, 0x9f, 0x74, 0x52, 0x28, 0x25, 0x5a,
    0x21, 0x9a, 0x86, 0xd6, 0xa0, 0x9e, 0xff, 0x20, 0x13, 0x8b, 0xf8, 0x2d, 0xc1,
    0xb6, 0xd5, 0x62, 0xbe, 0x0f, 0xa5, 0x4a, 0xb7, 0x80, 0x4a, 0x3a, 0x64, 0xb6,
    0xd7, 0x2c, 0xcf, 0xed, 0x6b, 0x6f, 0xb6, 0xed, 0x28, 0xbb, 0xfc, 0x11, 0x7e,
};

static int
fuzz_inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	return p != NULL && p >= data && len <= size && (size_t)(p - data) <= size - len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fwc_cose_sign1 parsed, out, out_req;
	int prc, vrc, rrc;

	prc = fwc_cose_sign1_parse(data, size, 0, &parsed);
	vrc = fwc_cose_sign1_verify(data, size, NULL, 0, key11, 0, &out);
	rrc =
	    fwc_cose_sign1_verify(data, size, NULL, 0, key11, FWC_COSE_FLAG_TAG_REQUIRED, &out_req);

	if (fwc_cose_status_name(prc) == NULL || fwc_cose_status_name(vrc) == NULL ||
	    fwc_cose_status_name(rrc) == NULL)
		abort();
	if (prc != FWC_COSE_OK) {
		if (vrc != prc || parsed.payload != NULL || parsed.kid != NULL ||
		    parsed.signature != NULL)
			abort();
	} else {
		if (vrc != FWC_COSE_OK && vrc != FWC_COSE_ERR_SIGNATURE)
			abort();
		if (!fuzz_inside(parsed.payload, parsed.payload_len, data, size) ||
		    !fuzz_inside(parsed.signature, FWC_P256_SIG_LEN, data, size) ||
		    (parsed.protected_len > 0 &&
		     !fuzz_inside(parsed.protected_hdr, parsed.protected_len, data, size)) ||
		    (parsed.kid != NULL && !fuzz_inside(parsed.kid, parsed.kid_len, data, size)))
			abort();
	}
	if (vrc != FWC_COSE_OK && (out.payload != NULL || out.kid != NULL))
		abort();
	if (rrc == FWC_COSE_OK && vrc != FWC_COSE_OK)
		abort();
	if (vrc == FWC_COSE_OK && rrc != FWC_COSE_OK &&
	    (rrc != FWC_COSE_ERR_TAG_MISSING || out.tagged))
		abort();
	return 0;
}
