/*
 * Host HAL of target-sim: a simulated chip kept in a state directory. Every write is atomic
 * against a kill -9 (temp file, fsync, rename, fsync of the directory), so each OTP image,
 * keystore slot and flash page is either old or new. See docs/formats/target-link.md.
 *
 * Test hook: NUSEC_TARGET_SIM_CRASH="<kind>:<n>:<when>" makes the process SIGKILL itself at
 * the n-th write of <kind> (otp, counter, store, flash, erase), <when> "tmp" (temp file
 * written, not renamed) or "done" (renamed), to test power cuts at exact points.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdint.h>

#include "fwt-hal.h"

typedef struct {
	int dirfd;
	int flashfd;
	uint8_t *flash;
	uint32_t flash_size;
	uint32_t page_size;
	uint64_t speed; /* simulated flash write speed, bytes per second; 0 = unlimited */
	uint8_t otp[FWT_OTP_SIZE];
	uint32_t counter;
	/* crash injection */
	char crash_kind[16];
	unsigned crash_n;
	int crash_done;
	unsigned counts[5];
} fwt_posix_chip;

#define FWT_POSIX_DEFAULT_FLASH (1024 * 1024)
#define FWT_POSIX_DEFAULT_PAGE	4096

/*
 * Opens (creating it when missing) the chip in @dir. @flash_size and @page_size 0 mean "as
 * stored, or the defaults for a new chip"; other values must match a stored chip. On failure
 * returns -1 with a message in @err.
 */
int
fwt_posix_chip_open(fwt_posix_chip *chip,
		    const char *dir,
		    uint32_t flash_size,
		    uint32_t page_size,
		    uint64_t speed,
		    fwt_hal *hal,
		    char *err,
		    size_t err_len);
void
fwt_posix_chip_close(fwt_posix_chip *chip);
