/*
 * The host HAL of nulink3-sim: a state directory holding the simulated fuses (device-unique
 * secret and serial), the monotonic counter and the sealed keystore records, each file
 * replaced atomically (write, fsync, rename, fsync of the directory); targets reached through
 * the Unix sockets of target-sim processes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "fwn-hal.h"

typedef struct {
	char *dir;
	char *target_path[FWN_SLOTS_MAX];
	int target_fd[FWN_SLOTS_MAX];
	pthread_mutex_t lock;
	pthread_mutex_t mono_lock;
	int64_t fixed_time; /* -1: the system clock */
} fwn_posix;

/*
 * Opens (or creates, with @serial) the state directory. A new directory gets a random device
 * secret; an existing one keeps its serial (@serial NULL or equal). Returns 0 or -1 with a
 * message on stderr.
 */
int
fwn_posix_open(fwn_posix *px, fwn_hal *hal, const char *dir, const char *serial);
void
fwn_posix_close(fwn_posix *px);
