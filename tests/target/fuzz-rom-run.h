/*
 * Runs a byte string through a fabricated chip on the RAM HAL (deterministic, seed 42), as a
 * sequence of request frames: each frame is cut by its header's length; what cannot be cut is
 * handed over whole as the last frame. Shared by the fuzz harness and the corpus unit test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "fwt-hal-ram.h"
#include "fwt-rom.h"

#define FUZZ_ROM_MAX_FRAMES 64

static fwt_ram_chip fuzz_rom_base;
static fwt_ram_chip fuzz_rom_chip;
static fwt_hal fuzz_rom_hal;
static int fuzz_rom_ready;

static void
fuzz_rom_setup(void)
{
	fwt_rom rom;
	uint8_t pub[FWC_P256_POINT_LEN];

	if (fuzz_rom_ready)
		return;
	fwt_ram_chip_init(&fuzz_rom_chip, 42, &fuzz_rom_hal);
	if (fwt_rom_init(&rom, &fuzz_rom_hal) != FWC_TLINK_OK ||
	    fwt_rom_fab_prepare(&rom, pub) != FWC_TLINK_OK ||
	    fwt_rom_fab_set_attest_cert(&rom, (const uint8_t *)"vendor cert", 11) != FWC_TLINK_OK)
		abort();
	fwt_rom_deinit(&rom);
	memcpy(&fuzz_rom_base, &fuzz_rom_chip, sizeof(fuzz_rom_base));
	fuzz_rom_ready = 1;
}

/* the status of the last response, or -1 when no frame was handled */
static int
fuzz_rom_run(const uint8_t *data, size_t size)
{
	static uint8_t resp[FWC_LINK_MAX_FRAME];
	fwt_rom rom;
	size_t pos = 0;
	int last = -1;

	fuzz_rom_setup();
	memcpy(&fuzz_rom_chip, &fuzz_rom_base, sizeof(fuzz_rom_chip));
	if (fwt_rom_init(&rom, &fuzz_rom_hal) != FWC_TLINK_OK)
		abort();
	for (unsigned n = 0; n < FUZZ_ROM_MAX_FRAMES && (pos < size || n == 0); n++) {
		fwc_link_frame frame;
		size_t flen = 0;
		size_t take = size - pos;
		size_t rlen;

		if (fwc_link_header_parse(data + pos, size - pos, &frame, &flen) == FWC_LINK_OK &&
		    flen <= size - pos)
			take = flen;
		rlen = fwt_rom_handle(&rom, data + pos, take, resp, sizeof(resp));
		if (rlen == 0 || fwc_link_decode(resp, rlen, &frame) != FWC_LINK_OK)
			abort();
		last = frame.status;
		pos += take;
	}
	fwt_rom_deinit(&rom);
	return last;
}
