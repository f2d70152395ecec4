/*
 * PKCS#10 CSR of the identity key, subject CN = chip ID in hex (fwc_csr_build; layout:
 * docs/formats/target-link.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-csr.h"
#include "fwt-rom.h"

int
fwt_rom_build_csr(fwt_rom *rom, uint8_t *out, size_t cap, size_t *out_len)
{
	char cn[2 * FWC_TLINK_CHIP_ID_LEN + 1];
	int rc;

	*out_len = 0;
	if (rom->id_key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	fwt_rom_chip_id_hex(rom, cn);
	rc = fwc_csr_build(rom->id_key, rom->id_pub, cn, out, cap, out_len);
	if (rc == FWC_CRYPTO_ERR_INTERNAL)
		return FWC_TLINK_ERR_INTERNAL;
	if (rc != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	return FWC_TLINK_OK;
}
