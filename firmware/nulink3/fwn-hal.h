/*
 * Hardware abstraction of the NuLink3 firmware: keystore storage (records replaced
 * atomically), the device-unique secret, a hardware monotonic counter, RNG, clock, a lock for
 * the shared state, and one target link per gang slot. The USB transport is the caller's: it
 * hands whole frames to fwn_core_handle().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FWN_HUK_LEN    32
#define FWN_SLOTS_MAX  8
#define FWN_SERIAL_MAX 32

typedef enum {
	FWN_HAL_OK = 0,
	FWN_HAL_ERR_NOT_FOUND, /* storage record absent */
	FWN_HAL_ERR_IO,	       /* the medium or the link failed */
	FWN_HAL_ERR_RANGE,     /* too large, or a counter that would go down */
} fwn_hal_status;

typedef struct {
	void *ctx;
	/* factory-programmed serial number (printable ASCII, NUL-terminated) */
	char serial[FWN_SERIAL_MAX + 1];
	unsigned n_slots; /* gang slots, at most FWN_SLOTS_MAX */
	/* the FWN_HUK_LEN-byte device-unique secret (fuses: only the firmware reads it) */
	int (*huk_read)(void *ctx, uint8_t huk[FWN_HUK_LEN]);
	/* record storage: FWN_HAL_ERR_NOT_FOUND when absent; writes replace atomically */
	int (*store_read)(void *ctx, unsigned rec, uint8_t *buf, size_t cap, size_t *len);
	int (*store_write)(void *ctx, unsigned rec, const uint8_t *buf, size_t len);
	int (*store_erase)(void *ctx, unsigned rec);
	/* monotonic counter: read, and advance to @value (FWN_HAL_ERR_RANGE if lower) */
	int (*mono_read)(void *ctx, uint64_t *value);
	int (*mono_advance)(void *ctx, uint64_t value);
	int (*rng)(void *ctx, uint8_t *buf, size_t len);
	/* Unix time in seconds */
	uint64_t (*now)(void *ctx);
	/* the lock of the shared state (orders, counters); slots run outside it */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
	/* one request frame to the target in @slot, one response frame back */
	int (*target_exchange)(void *ctx,
			       unsigned slot,
			       const uint8_t *req,
			       size_t req_len,
			       uint8_t *resp,
			       size_t cap,
			       size_t *resp_len);
	/* optional: named points where tests cut the power (NULL in production) */
	void (*checkpoint)(void *ctx, const char *name);
} fwn_hal;
