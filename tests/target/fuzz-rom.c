/*
 * libFuzzer harness of the boot ROM's frame and command parser: every input is a sequence of
 * request frames sent to a fabricated chip (RAM HAL); every response must be a valid frame.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fuzz-rom-run.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fuzz_rom_run(data, size);
	return 0;
}
