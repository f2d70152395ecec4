/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwt-hal-ram.h"

#include <string.h>

static int
fwt_ram_write_fails(fwt_ram_chip *chip)
{
	if (chip->fail_writes == 0)
		return 0;
	chip->fail_writes--;
	return 1;
}

static const uint8_t *
fwt_ram_flash_map(void *ctx)
{
	fwt_ram_chip *chip = ctx;
	return chip->flash;
}

static int
fwt_ram_flash_erase_page(void *ctx, uint32_t page)
{
	fwt_ram_chip *chip = ctx;
	if ((uint64_t)(page + 1) * FWT_RAM_PAGE_SIZE > FWT_RAM_FLASH_SIZE)
		return FWT_HAL_ERR_RANGE;
	if (fwt_ram_write_fails(chip))
		return FWT_HAL_ERR_IO;
	memset(chip->flash + (size_t)page * FWT_RAM_PAGE_SIZE, 0xff, FWT_RAM_PAGE_SIZE);
	return FWT_HAL_OK;
}

static int
fwt_ram_flash_write_page(void *ctx, uint32_t page, const uint8_t *data)
{
	fwt_ram_chip *chip = ctx;
	if ((uint64_t)(page + 1) * FWT_RAM_PAGE_SIZE > FWT_RAM_FLASH_SIZE)
		return FWT_HAL_ERR_RANGE;
	if (fwt_ram_write_fails(chip))
		return FWT_HAL_ERR_IO;
	memcpy(chip->flash + (size_t)page * FWT_RAM_PAGE_SIZE, data, FWT_RAM_PAGE_SIZE);
	return FWT_HAL_OK;
}

static int
fwt_ram_otp_read(void *ctx, uint8_t otp[FWT_OTP_SIZE], uint32_t *counter)
{
	fwt_ram_chip *chip = ctx;
	memcpy(otp, chip->otp, FWT_OTP_SIZE);
	*counter = chip->counter;
	return FWT_HAL_OK;
}

static int
fwt_ram_otp_program(void *ctx, uint32_t offset, const uint8_t *bits, size_t len)
{
	fwt_ram_chip *chip = ctx;
	if (offset > FWT_OTP_SIZE || len > FWT_OTP_SIZE - offset)
		return FWT_HAL_ERR_RANGE;
	if (fwt_ram_write_fails(chip))
		return FWT_HAL_ERR_IO;
	for (size_t i = 0; i < len; i++)
		chip->otp[offset + i] |= bits[i];
	return FWT_HAL_OK;
}

static int
fwt_ram_counter_advance(void *ctx, uint32_t value)
{
	fwt_ram_chip *chip = ctx;
	if (value < chip->counter)
		return FWT_HAL_ERR_RANGE;
	if (fwt_ram_write_fails(chip))
		return FWT_HAL_ERR_IO;
	chip->counter = value;
	return FWT_HAL_OK;
}

static int
fwt_ram_store_read(void *ctx, unsigned slot, uint8_t *buf, size_t cap, size_t *len)
{
	fwt_ram_chip *chip = ctx;
	if (slot == 0 || slot >= FWT_STORE_SLOTS)
		return FWT_HAL_ERR_RANGE;
	if (!chip->store_present[slot])
		return FWT_HAL_ERR_NOT_FOUND;
	if (chip->store_len[slot] > cap)
		return FWT_HAL_ERR_RANGE;
	memcpy(buf, chip->store[slot], chip->store_len[slot]);
	*len = chip->store_len[slot];
	return FWT_HAL_OK;
}

static int
fwt_ram_store_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
	fwt_ram_chip *chip = ctx;
	if (slot == 0 || slot >= FWT_STORE_SLOTS || len > FWT_STORE_MAX)
		return FWT_HAL_ERR_RANGE;
	if (fwt_ram_write_fails(chip))
		return FWT_HAL_ERR_IO;
	memcpy(chip->store[slot], buf, len);
	chip->store_len[slot] = len;
	chip->store_present[slot] = 1;
	return FWT_HAL_OK;
}

/* splitmix64: reproducible test bytes, NOT random */
static int
fwt_ram_rng(void *ctx, uint8_t *buf, size_t len)
{
	fwt_ram_chip *chip = ctx;
	for (size_t i = 0; i < len; i++) {
		uint64_t z = (chip->rng_state += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		buf[i] = (uint8_t)(z ^ (z >> 31));
	}
	return FWT_HAL_OK;
}

void
fwt_ram_chip_init(fwt_ram_chip *chip, uint64_t seed, fwt_hal *hal)
{
	memset(chip, 0, sizeof(*chip));
	memset(chip->flash, 0xff, sizeof(chip->flash));
	chip->rng_state = seed;
	memset(hal, 0, sizeof(*hal));
	hal->ctx = chip;
	hal->flash_size = FWT_RAM_FLASH_SIZE;
	hal->flash_page_size = FWT_RAM_PAGE_SIZE;
	hal->flash_map = fwt_ram_flash_map;
	hal->flash_erase_page = fwt_ram_flash_erase_page;
	hal->flash_write_page = fwt_ram_flash_write_page;
	hal->otp_read = fwt_ram_otp_read;
	hal->otp_program = fwt_ram_otp_program;
	hal->counter_advance = fwt_ram_counter_advance;
	hal->store_read = fwt_ram_store_read;
	hal->store_write = fwt_ram_store_write;
	hal->rng = fwt_ram_rng;
}
