/*
 * PKCS#10 CSR (DER) of a PSA P-256 key with subject CN, built here and signed through
 * psa_sign_hash (the same layout as the target's, docs/formats/target-link.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"

/* returns an fwn_usb_rc */
int
fwn_csr_build(uint32_t key,
	      const uint8_t pub[FWC_P256_POINT_LEN],
	      const char *cn,
	      uint8_t *out,
	      size_t cap,
	      size_t *out_len);
