/*
 * Hardware abstraction of the target boot ROM: flash, OTP fuses with the anti-rollback counter,
 * keystore storage and RNG. The link transport is the caller's: it hands whole frames to
 * fwt_rom_handle() (see target-sim.c). Every write operation is atomic: after a power cut the
 * page, the OTP image or the storage slot is either old or new, never half-written.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FWT_OTP_SIZE	128
#define FWT_PAGE_MAX	4096 /* largest flash page the ROM handles */
#define FWT_STORE_SLOTS 5    /* slot numbers 1..4 */
#define FWT_STORE_MAX	4096 /* largest storage slot content */

/* OTP map (docs/formats/target-link.md) */
#define FWT_OTP_CHIP_ID	   0
#define FWT_OTP_HUK	   16
#define FWT_OTP_HUK_LEN	   32
#define FWT_OTP_FAB_MARKER 48
#define FWT_OTP_ROT	   64
#define FWT_OTP_ROT_MARKER 96
#define FWT_OTP_LIFECYCLE  100
#define FWT_OTP_MARKER	   0xa5

/* keystore slots */
#define FWT_SLOT_ATTEST_KEY  1 /* sealed */
#define FWT_SLOT_ATTEST_CERT 2
#define FWT_SLOT_ID_KEY	     3 /* sealed */
#define FWT_SLOT_CERT_CHAIN  4

typedef enum {
	FWT_HAL_OK = 0,
	FWT_HAL_ERR_NOT_FOUND, /* storage slot empty */
	FWT_HAL_ERR_IO,	       /* the medium failed */
	FWT_HAL_ERR_RANGE,     /* out of bounds, or a counter that would go down */
} fwt_hal_status;

typedef struct {
	void *ctx;
	uint32_t flash_size;	  /* multiple of flash_page_size */
	uint32_t flash_page_size; /* at most FWT_PAGE_MAX */
	/* flash_size bytes, memory-mapped and read-only (erased bytes read 0xff) */
	const uint8_t *(*flash_map)(void *ctx);
	/* one page to all 0xff, atomically */
	int (*flash_erase_page)(void *ctx, uint32_t page);
	/* one whole page's new content (flash_page_size bytes), atomically */
	int (*flash_write_page)(void *ctx, uint32_t page, const uint8_t *data);
	/* the FWT_OTP_SIZE fuse bytes and the monotonic anti-rollback counter */
	int (*otp_read)(void *ctx, uint8_t otp[FWT_OTP_SIZE], uint32_t *counter);
	/* ORs @bits into the fuses at @offset (bits only go from 0 to 1), atomically */
	int (*otp_program)(void *ctx, uint32_t offset, const uint8_t *bits, size_t len);
	/* sets the counter to @value; FWT_HAL_ERR_RANGE if that would decrease it */
	int (*counter_advance)(void *ctx, uint32_t value);
	/* FWT_HAL_ERR_NOT_FOUND when the slot is empty */
	int (*store_read)(void *ctx, unsigned slot, uint8_t *buf, size_t cap, size_t *len);
	/* replaces the slot's content, atomically */
	int (*store_write)(void *ctx, unsigned slot, const uint8_t *buf, size_t len);
	/* true random bytes */
	int (*rng)(void *ctx, uint8_t *buf, size_t len);
} fwt_hal;
