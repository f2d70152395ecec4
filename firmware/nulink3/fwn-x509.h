/*
 * X.509 checks of the NuLink3 (mbedTLS x509): its own certificate against the cloud CA at
 * setup, the device chains the cloud issues, and the chips' attestation certificates against
 * the silicon vendor CA. Each returns an fwn_usb_rc.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"

/* one DER certificate that parses */
int
fwn_x509_parse_check(const uint8_t *der, size_t len);

/*
 * @cert holds @tls_pub and verifies against the CA certificates of @ca_array (a CBOR array of
 * 1..4 DER bstr, the cloud CA chain); the CA DERs are copied one after the other into
 * ca_out[0..cap). FWN_RC_CERT_CHAIN or FWN_RC_BAD_PAYLOAD otherwise.
 */
int
fwn_x509_check_programmer_cert(const uint8_t *cert,
			       size_t cert_len,
			       const uint8_t *ca_array,
			       size_t ca_array_len,
			       const uint8_t tls_pub[FWC_P256_POINT_LEN],
			       uint8_t *ca_out,
			       size_t cap,
			       size_t *ca_out_len);

/*
 * A device chain (CBOR array of 1..4 DER bstr, leaf first): the leaf's subject CN is @cn and it
 * verifies through the rest of the chain to one of the concatenated CA DERs in ca[0..ca_len).
 * Writes the target link WRITE_CERT payload (u8 count, count x (u16 length, DER)) to out.
 */
int
fwn_x509_check_device_chain(const uint8_t *chain_array,
			    size_t chain_len,
			    const uint8_t *ca,
			    size_t ca_len,
			    const char *cn,
			    uint8_t *out,
			    size_t cap,
			    size_t *out_len);

/*
 * A chip attestation: @cert (DER) has subject CN @cn, verifies against @vendor_ca, and its key
 * signed @digest with @sig (raw r||s); its public key goes to @attest_point.
 * FWN_RC_ATTESTATION otherwise.
 */
int
fwn_x509_check_attestation(const uint8_t *cert,
			   size_t cert_len,
			   const uint8_t *vendor_ca,
			   size_t vendor_ca_len,
			   const char *cn,
			   const uint8_t digest[FWC_SHA256_LEN],
			   const uint8_t sig[FWC_P256_SIG_LEN],
			   uint8_t attest_point[FWC_P256_POINT_LEN]);
