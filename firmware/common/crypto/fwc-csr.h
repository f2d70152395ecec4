/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"

/* the CSR of PSA key @key (public point @pub) with subject CN = @cn (1 to 64 bytes);
 * returns FWC_CRYPTO_OK, FWC_CRYPTO_ERR_SIGN when the key cannot sign, or
 * FWC_CRYPTO_ERR_INTERNAL for a bad argument or a buffer too small */
int
fwc_csr_build(uint32_t key,
	      const uint8_t pub[FWC_P256_POINT_LEN],
	      const char *cn,
	      uint8_t *out,
	      size_t cap,
	      size_t *out_len);
