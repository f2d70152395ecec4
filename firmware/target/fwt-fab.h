/*
 * Simulated silicon-vendor fab station (target-sim only, NOT boot ROM code): makes the chip's
 * attestation certificate, signed by the test vendor CA, with mbedTLS.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"

/*
 * X.509 v3 certificate for the attestation key @pub: subject CN = @chip_id_hex, O = "NuSEC
 * test silicon", issuer = the subject of @ca_cert_path, signed (ECDSA SHA-256) by the key in
 * @ca_key_path (PEM, must match the CA certificate), basicConstraints CA:FALSE, keyUsage
 * digitalSignature, SKI and AKI, valid from now to 99991231235959Z. DER into out[0..cap).
 * Returns 0, or -1 with a message in @err.
 */
int
fwt_fab_make_attest_cert(const char *ca_key_path,
			 const char *ca_cert_path,
			 const uint8_t pub[FWC_P256_POINT_LEN],
			 const char *chip_id_hex,
			 uint8_t *out,
			 size_t cap,
			 size_t *out_len,
			 char *err,
			 size_t err_len);
