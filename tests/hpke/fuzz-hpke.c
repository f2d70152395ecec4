/*
 * libFuzzer harness: firmware-side HPKE open with a fixed recipient key over attacker-controlled
 * enc, aad and ciphertext (layout in fuzz-hpke-input.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>

#include "fuzz-hpke-input.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fwc_hpke_key_id key = 0;
	fuzz_hpke_input in;
	size_t pt_len = 0;
	int rc;

	if (key == 0) {
		key = fuzz_hpke_import_key();
		if (key == 0)
			abort();
	}
	rc = fuzz_hpke_run(key, data, size, &pt_len);
	fuzz_hpke_split(data, size, &in);
	/* a success must account for every byte: plaintext = ciphertext - tag */
	if (rc == FWC_HPKE_OK &&
	    (in.ct_len < FWC_HPKE_TAG_LEN || pt_len != in.ct_len - FWC_HPKE_TAG_LEN))
		abort();
	if (rc != FWC_HPKE_OK && pt_len != 0)
		abort();
	if (rc < FWC_HPKE_OK || rc > FWC_HPKE_ERR_INTERNAL)
		abort();
	return 0;
}
