/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwn-hal-posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fwc-crypto.h"
#include "fwc-link.h"

#define FWN_POSIX_FUSES	     "fuses.bin" /* 32-byte secret || serial */
#define FWN_POSIX_MONO	     "monotonic.bin"
#define FWN_POSIX_IO_TIMEOUT 30000 /* ms, target link */

static int
fwn_posix_path(const fwn_posix *px, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", px->dir, name);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int
fwn_posix_read_file(const fwn_posix *px, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	char path[4096];
	size_t total = 0;
	int fd;

	*len = 0;
	if (fwn_posix_path(px, name, path, sizeof(path)) != 0)
		return FWN_HAL_ERR_IO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? FWN_HAL_ERR_NOT_FOUND : FWN_HAL_ERR_IO;
	for (;;) {
		ssize_t n = read(fd, buf + total, cap - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return FWN_HAL_ERR_IO;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total == cap) {
			uint8_t extra;
			n = read(fd, &extra, 1);
			close(fd);
			return n == 0 ? (*len = total, FWN_HAL_OK) : FWN_HAL_ERR_RANGE;
		}
	}
	close(fd);
	*len = total;
	return FWN_HAL_OK;
}

static int
fwn_posix_write_file(const fwn_posix *px, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096], tmp[4200];
	size_t done = 0;
	int fd, dfd;

	if (fwn_posix_path(px, name, path, sizeof(path)) != 0)
		return FWN_HAL_ERR_IO;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return FWN_HAL_ERR_IO;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(tmp);
			return FWN_HAL_ERR_IO;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return FWN_HAL_ERR_IO;
	}
	dfd = open(px->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return FWN_HAL_OK;
}

static int
fwn_posix_huk_read(void *ctx, uint8_t huk[FWN_HUK_LEN])
{
	fwn_posix *px = ctx;
	uint8_t buf[FWN_HUK_LEN + FWN_SERIAL_MAX];
	size_t len = 0;
	int rc = fwn_posix_read_file(px, FWN_POSIX_FUSES, buf, sizeof(buf), &len);
	if (rc == FWN_HAL_OK && len > FWN_HUK_LEN)
		memcpy(huk, buf, FWN_HUK_LEN);
	else
		rc = FWN_HAL_ERR_IO;
	fwc_wipe(buf, sizeof(buf));
	return rc;
}

static void
fwn_posix_rec_name(unsigned rec, char *name, size_t cap)
{
	snprintf(name, cap, "record-%u.sealed", rec);
}

static int
fwn_posix_store_read(void *ctx, unsigned rec, uint8_t *buf, size_t cap, size_t *len)
{
	char name[64];
	fwn_posix_rec_name(rec, name, sizeof(name));
	return fwn_posix_read_file(ctx, name, buf, cap, len);
}

static int
fwn_posix_store_write(void *ctx, unsigned rec, const uint8_t *buf, size_t len)
{
	char name[64];
	fwn_posix_rec_name(rec, name, sizeof(name));
	return fwn_posix_write_file(ctx, name, buf, len);
}

static int
fwn_posix_store_erase(void *ctx, unsigned rec)
{
	fwn_posix *px = ctx;
	char name[64], path[4096];
	fwn_posix_rec_name(rec, name, sizeof(name));
	if (fwn_posix_path(px, name, path, sizeof(path)) != 0)
		return FWN_HAL_ERR_IO;
	if (unlink(path) != 0)
		return errno == ENOENT ? FWN_HAL_ERR_NOT_FOUND : FWN_HAL_ERR_IO;
	return FWN_HAL_OK;
}

static int
fwn_posix_mono_read(void *ctx, uint64_t *value)
{
	fwn_posix *px = ctx;
	uint8_t buf[8];
	size_t len = 0;
	int rc;

	pthread_mutex_lock(&px->mono_lock);
	rc = fwn_posix_read_file(px, FWN_POSIX_MONO, buf, sizeof(buf), &len);
	pthread_mutex_unlock(&px->mono_lock);
	if (rc == FWN_HAL_ERR_NOT_FOUND) {
		*value = 0;
		return FWN_HAL_OK;
	}
	if (rc != FWN_HAL_OK || len != 8)
		return FWN_HAL_ERR_IO;
	*value = (uint64_t)fwc_link_get_u32(buf) | ((uint64_t)fwc_link_get_u32(buf + 4) << 32);
	return FWN_HAL_OK;
}

static int
fwn_posix_mono_advance(void *ctx, uint64_t value)
{
	fwn_posix *px = ctx;
	uint64_t cur = 0;
	uint8_t buf[8];
	int rc = fwn_posix_mono_read(ctx, &cur);
	if (rc != FWN_HAL_OK)
		return rc;
	if (value < cur)
		return FWN_HAL_ERR_RANGE;
	fwc_link_put_u32(buf, (uint32_t)value);
	fwc_link_put_u32(buf + 4, (uint32_t)(value >> 32));
	pthread_mutex_lock(&px->mono_lock);
	rc = fwn_posix_write_file(px, FWN_POSIX_MONO, buf, sizeof(buf));
	pthread_mutex_unlock(&px->mono_lock);
	return rc;
}

static int
fwn_posix_rng(void *ctx, uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FWN_HAL_ERR_IO;
		done += (size_t)n;
	}
	return FWN_HAL_OK;
}

static uint64_t
fwn_posix_now(void *ctx)
{
	fwn_posix *px = ctx;
	if (px->fixed_time >= 0)
		return (uint64_t)px->fixed_time;
	return (uint64_t)time(NULL);
}

static void
fwn_posix_lock(void *ctx)
{
	pthread_mutex_lock(&((fwn_posix *)ctx)->lock);
}

static void
fwn_posix_unlock(void *ctx)
{
	pthread_mutex_unlock(&((fwn_posix *)ctx)->lock);
}

static int
fwn_posix_io(int fd, uint8_t *buf, size_t len, int writing)
{
	size_t done = 0;
	while (done < len) {
		struct pollfd pfd = {.fd = fd, .events = writing ? POLLOUT : POLLIN};
		ssize_t n;
		int pr = poll(&pfd, 1, FWN_POSIX_IO_TIMEOUT);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		n = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
			    : recv(fd, buf + done, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int
fwn_posix_target_connect(fwn_posix *px, unsigned slot)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;
	if (px->target_path[slot] == NULL || strlen(px->target_path[slot]) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, px->target_path[slot]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the slot is owned by one command at a time (the core's busy flag): no lock here */
static int
fwn_posix_target_exchange(void *ctx,
			  unsigned slot,
			  const uint8_t *req,
			  size_t req_len,
			  uint8_t *resp,
			  size_t cap,
			  size_t *resp_len)
{
	fwn_posix *px = ctx;
	fwc_link_frame frame;
	size_t frame_len = 0;

	*resp_len = 0;
	if (slot >= FWN_SLOTS_MAX || cap < FWC_LINK_HEADER_SIZE)
		return FWN_HAL_ERR_RANGE;
	/* a new connection for a lost one; a command is sent once only (never replayed) */
	if (px->target_fd[slot] < 0)
		px->target_fd[slot] = fwn_posix_target_connect(px, slot);
	if (px->target_fd[slot] < 0)
		return FWN_HAL_ERR_IO;
	if (fwn_posix_io(px->target_fd[slot], (uint8_t *)req, req_len, 1) != 0 ||
	    fwn_posix_io(px->target_fd[slot], resp, FWC_LINK_HEADER_SIZE, 0) != 0 ||
	    fwc_link_header_parse(resp, FWC_LINK_HEADER_SIZE, &frame, &frame_len) != FWC_LINK_OK ||
	    frame_len > cap ||
	    fwn_posix_io(px->target_fd[slot],
			 resp + FWC_LINK_HEADER_SIZE,
			 frame_len - FWC_LINK_HEADER_SIZE,
			 0) != 0) {
		close(px->target_fd[slot]);
		px->target_fd[slot] = -1;
		return FWN_HAL_ERR_IO;
	}
	*resp_len = frame_len;
	return FWN_HAL_OK;
}

int
fwn_posix_open(fwn_posix *px, fwn_hal *hal, const char *dir, const char *serial)
{
	uint8_t fuses[FWN_HUK_LEN + FWN_SERIAL_MAX];
	size_t len = 0;
	int rc;

	memset(hal, 0, sizeof(*hal));
	px->dir = strdup(dir);
	px->fixed_time = -1;
	for (unsigned i = 0; i < FWN_SLOTS_MAX; i++)
		px->target_fd[i] = -1;
	pthread_mutex_init(&px->lock, NULL);
	pthread_mutex_init(&px->mono_lock, NULL);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "nulink3-sim: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	rc = fwn_posix_read_file(px, FWN_POSIX_FUSES, fuses, sizeof(fuses), &len);
	if (rc == FWN_HAL_ERR_NOT_FOUND) {
		/* a new instance: program the fuses once */
		size_t slen = serial != NULL ? strlen(serial) : 0;
		if (slen == 0 || slen > FWN_SERIAL_MAX) {
			fprintf(stderr,
				"nulink3-sim: a new instance needs --serial (1..32 chars)\n");
			return -1;
		}
		for (size_t i = 0; i < slen; i++) {
			if (serial[i] <= 0x20 || serial[i] >= 0x7f) {
				fprintf(stderr,
					"nulink3-sim: the serial must be printable ASCII\n");
				return -1;
			}
		}
		if (fwn_posix_rng(px, fuses, FWN_HUK_LEN) != FWN_HAL_OK)
			return -1;
		memcpy(fuses + FWN_HUK_LEN, serial, slen);
		len = FWN_HUK_LEN + slen;
		rc = fwn_posix_write_file(px, FWN_POSIX_FUSES, fuses, len);
	}
	if (rc != FWN_HAL_OK || len <= FWN_HUK_LEN) {
		fwc_wipe(fuses, sizeof(fuses));
		fprintf(stderr, "nulink3-sim: cannot read the fuses of %s\n", dir);
		return -1;
	}
	memcpy(hal->serial, fuses + FWN_HUK_LEN, len - FWN_HUK_LEN);
	hal->serial[len - FWN_HUK_LEN] = '\0';
	fwc_wipe(fuses, sizeof(fuses));
	if (serial != NULL && strcmp(serial, hal->serial) != 0) {
		fprintf(stderr,
			"nulink3-sim: %s belongs to serial %s, not %s\n",
			dir,
			hal->serial,
			serial);
		return -1;
	}
	hal->ctx = px;
	hal->huk_read = fwn_posix_huk_read;
	hal->store_read = fwn_posix_store_read;
	hal->store_write = fwn_posix_store_write;
	hal->store_erase = fwn_posix_store_erase;
	hal->mono_read = fwn_posix_mono_read;
	hal->mono_advance = fwn_posix_mono_advance;
	hal->rng = fwn_posix_rng;
	hal->now = fwn_posix_now;
	hal->lock = fwn_posix_lock;
	hal->unlock = fwn_posix_unlock;
	hal->target_exchange = fwn_posix_target_exchange;
	return 0;
}

void
fwn_posix_close(fwn_posix *px)
{
	for (unsigned i = 0; i < FWN_SLOTS_MAX; i++) {
		if (px->target_fd[i] >= 0)
			close(px->target_fd[i]);
		free(px->target_path[i]);
		px->target_path[i] = NULL;
	}
	free(px->dir);
	px->dir = NULL;
	pthread_mutex_destroy(&px->lock);
	pthread_mutex_destroy(&px->mono_lock);
}
