/*
 * libFuzzer harness of the firmware's DER readers: ECDSA-Sig-Value and P-256 SPKI.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fwc-crypto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t raw[FWC_P256_SIG_LEN];
	uint8_t point[FWC_P256_POINT_LEN];

	if (fwc_ecdsa_sig_der_to_raw(data, size, raw) == FWC_CRYPTO_OK) {
		/* whatever is accepted re-encodes to the very same bytes (strict DER) */
		uint8_t der[FWC_P256_SIG_DER_MAX];
		size_t der_len = 0;
		fwc_ecdsa_sig_raw_to_der(raw, der, &der_len);
		if (der_len != size || memcmp(der, data, size) != 0)
			__builtin_trap();
	}
	if (fwc_p256_spki_to_point(data, size, point) == FWC_CRYPTO_OK) {
		uint8_t spki[FWC_P256_SPKI_LEN];
		fwc_p256_point_to_spki(point, spki);
		if (memcmp(spki, data, sizeof(spki)) != 0)
			__builtin_trap();
	}
	return 0;
}
