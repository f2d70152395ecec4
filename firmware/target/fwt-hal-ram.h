/*
 * A chip held in RAM, for unit tests and the fuzz harness: flash, OTP, counter and keystore
 * in one struct (copy it to snapshot the chip), and a DETERMINISTIC "RNG" (splitmix64 from a
 * seed) so that runs are reproducible. Never for a real chip.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "fwt-hal.h"

#define FWT_RAM_FLASH_SIZE (64 * 1024)
#define FWT_RAM_PAGE_SIZE  1024

typedef struct {
	uint8_t flash[FWT_RAM_FLASH_SIZE];
	uint8_t otp[FWT_OTP_SIZE];
	uint32_t counter;
	uint8_t store[FWT_STORE_SLOTS][FWT_STORE_MAX];
	size_t store_len[FWT_STORE_SLOTS];
	uint8_t store_present[FWT_STORE_SLOTS];
	uint64_t rng_state;
	unsigned fail_writes; /* test hook: the next N write operations fail with FWT_HAL_ERR_IO */
} fwt_ram_chip;

/* a blank chip (flash erased, OTP blank, no slot) and the HAL that drives it */
void
fwt_ram_chip_init(fwt_ram_chip *chip, uint64_t seed, fwt_hal *hal);
