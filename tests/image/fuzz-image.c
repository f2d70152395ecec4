/*
 * libFuzzer harness: fwc_image_parse, the TLV iterator and fwc_image_verify under both trust
 * anchors (a public key, and a key hash as in OTP) over arbitrary bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>

#include "fuzz-image-trust.h"
#include "fwc-image.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fwc_image_info info;
	fwc_image_trust trust = {
	    .mode = FWC_IMAGE_TRUST_PUBLIC_KEY,
	    .public_key = fuzz_image_public_key,
	    .min_security_counter = FUZZ_IMAGE_MIN_SECURITY_COUNTER,
	};

	if (fwc_image_parse(data, size, &info) == FWC_IMAGE_OK) {
		fwc_image_tlv_iter it;
		fwc_image_tlv tlv;
		size_t count = 0;

		if (info.signed_len > size || info.tlv_offset + info.tlv_len != size)
			abort();
		fwc_image_tlv_iter_init(&it, data, &info);
		while (fwc_image_tlv_next(&it, &tlv)) {
			if (tlv.value < data || tlv.value + tlv.len > data + size)
				abort();
			count++;
		}
		if (count != info.tlv_count)
			abort();
	}
	if (fwc_image_verify(data, size, &trust, &info) == FWC_IMAGE_OK &&
	    (!info.has_security_counter || info.security_counter < FUZZ_IMAGE_MIN_SECURITY_COUNTER))
		abort();
	trust.mode = FWC_IMAGE_TRUST_KEY_HASH;
	trust.public_key = NULL;
	trust.key_hash = fuzz_image_key_hash;
	if (fwc_image_verify(data, size, &trust, &info) == FWC_IMAGE_OK &&
	    info.key_kind != FWC_IMAGE_KEY_FULL)
		abort();
	return 0;
}
