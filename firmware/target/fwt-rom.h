/*
 * Target boot ROM: secure boot and the provisioning agent behind the target link protocol
 * (docs/formats/target-link.md). Portable C over fwt_hal, crypto through the PSA Crypto API;
 * private keys live in PSA as volatile, non-exportable keys, persisted only sealed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"
#include "fwc-link.h"
#include "fwc-tlink.h"
#include "fwt-hal.h"

#define FWT_ROM_MODEL "NuSEC-T1"

typedef struct {
	const fwt_hal *hal;
	uint8_t otp[FWT_OTP_SIZE]; /* device secret bytes wiped once imported */
	uint32_t counter;
	uint32_t huk_key;    /* psa_key_id_t of the device secret (HKDF), 0 when absent */
	uint32_t attest_key; /* psa_key_id_t, 0 when absent */
	uint32_t id_key;     /* psa_key_id_t, 0 when absent */
	uint8_t id_pub[FWC_P256_POINT_LEN];
	bool has_cert;
	uint8_t cert_hash[FWC_SHA256_LEN];
	bool has_attest_cert;
	fwc_tlink_boot_result boot;
	uint8_t page[FWT_PAGE_MAX];
} fwt_rom;

/*
 * Power-on: reads OTP, unseals and imports the keys, reads the certificate. Returns
 * FWC_TLINK_OK (also for a chip not fabricated yet), FWC_TLINK_ERR_STORAGE or _CRYPTO.
 */
int
fwt_rom_init(fwt_rom *rom, const fwt_hal *hal);
/* destroys the volatile keys */
void
fwt_rom_deinit(fwt_rom *rom);

/* true when chip ID, device secret, attestation key and certificate are all there */
bool
fwt_rom_is_fabricated(const fwt_rom *rom);

/*
 * Fab, step 1 (silicon vendor, not reachable over the link): programs chip ID and device
 * secret if absent, generates the attestation key if absent, and returns its public key.
 * Idempotent, so that a fab interrupted by a power cut resumes.
 */
int
fwt_rom_fab_prepare(fwt_rom *rom, uint8_t attest_pub[FWC_P256_POINT_LEN]);
/* fab, step 2: stores the vendor-signed attestation certificate (only while none is stored) */
int
fwt_rom_fab_set_attest_cert(fwt_rom *rom, const uint8_t *der, size_t len);

/* the chip ID as 32 lowercase hex digits and a NUL */
void
fwt_rom_chip_id_hex(const fwt_rom *rom, char out[2 * FWC_TLINK_CHIP_ID_LEN + 1]);

/*
 * Handles one request frame (whatever its bytes) and writes exactly one response frame into
 * @resp (@cap at least FWC_LINK_MAX_FRAME). Returns the response length (> 0).
 */
size_t
fwt_rom_handle(fwt_rom *rom, const uint8_t *req, size_t req_len, uint8_t *resp, size_t cap);

/* the error frame for a frame that could not be read: status BAD_FRAME, payload the u16
 * fwc_link_status; @command is the request's command or FWC_TLINK_CMD_NONE */
size_t
fwt_rom_error_frame(uint8_t command, int link_status, uint8_t *resp, size_t cap);

/* builds the PKCS#10 CSR of the identity key (fwt-csr.c) */
int
fwt_rom_build_csr(fwt_rom *rom, uint8_t *out, size_t cap, size_t *out_len);
