/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwt-hal-posix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fwc-link.h"

enum { KIND_OTP, KIND_COUNTER, KIND_STORE, KIND_FLASH, KIND_ERASE };
static const char *const kind_names[] = {"otp", "counter", "store", "flash", "erase"};

static void
fwt_posix_crash_point(fwt_posix_chip *chip, int kind, int done)
{
	if (chip->crash_n == 0 || strcmp(chip->crash_kind, kind_names[kind]) != 0)
		return;
	if (chip->counts[kind] == chip->crash_n && chip->crash_done == done) {
		fprintf(stderr,
			"target-sim: crash injected at %s:%u:%s\n",
			kind_names[kind],
			chip->crash_n,
			done ? "done" : "tmp");
		raise(SIGKILL);
	}
}

static int
write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* temp + fsync + rename + fsync(dir): the file is old or new after a kill -9 or power cut */
static int
fwt_posix_atomic_write(fwt_posix_chip *chip,
		       int dirfd,
		       const char *name,
		       const uint8_t *data,
		       size_t len,
		       int kind)
{
	char tmp[64];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return FWT_HAL_ERR_IO;
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return FWT_HAL_ERR_IO;
	}
	close(fd);
	if (kind >= 0) {
		chip->counts[kind]++;
		fwt_posix_crash_point(chip, kind, 0);
	}
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		unlinkat(dirfd, tmp, 0);
		return FWT_HAL_ERR_IO;
	}
	if (fsync(dirfd) != 0)
		return FWT_HAL_ERR_IO;
	if (kind >= 0)
		fwt_posix_crash_point(chip, kind, 1);
	return FWT_HAL_OK;
}

/* reads a whole small file: 1 when found, 0 when missing, -1 on error or size above cap */
static int
read_file(int dirfd, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > cap) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 1;
}

static const uint8_t *
fwt_posix_flash_map(void *ctx)
{
	fwt_posix_chip *chip = ctx;
	return chip->flash;
}

static void
page_name(uint32_t page, char name[32])
{
	snprintf(name, 32, "page-%05" PRIu32 ".bin", page);
}

static int
fwt_posix_flash_erase_page(void *ctx, uint32_t page)
{
	fwt_posix_chip *chip = ctx;
	char name[32];

	if ((uint64_t)page * chip->page_size >= chip->flash_size)
		return FWT_HAL_ERR_RANGE;
	page_name(page, name);
	chip->counts[KIND_ERASE]++;
	fwt_posix_crash_point(chip, KIND_ERASE, 0);
	if (unlinkat(chip->flashfd, name, 0) != 0 && errno != ENOENT)
		return FWT_HAL_ERR_IO;
	if (fsync(chip->flashfd) != 0)
		return FWT_HAL_ERR_IO;
	memset(chip->flash + (size_t)page * chip->page_size, 0xff, chip->page_size);
	fwt_posix_crash_point(chip, KIND_ERASE, 1);
	return FWT_HAL_OK;
}

static int
fwt_posix_flash_write_page(void *ctx, uint32_t page, const uint8_t *data)
{
	fwt_posix_chip *chip = ctx;
	char name[32];
	int rc;

	if ((uint64_t)page * chip->page_size >= chip->flash_size)
		return FWT_HAL_ERR_RANGE;
	if (chip->speed != 0) {
		uint64_t ns = (uint64_t)chip->page_size * 1000000000ull / chip->speed;
		struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
				      .tv_nsec = (long)(ns % 1000000000ull)};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	page_name(page, name);
	rc = fwt_posix_atomic_write(chip, chip->flashfd, name, data, chip->page_size, KIND_FLASH);
	if (rc == FWT_HAL_OK)
		memcpy(chip->flash + (size_t)page * chip->page_size, data, chip->page_size);
	return rc;
}

static int
fwt_posix_otp_read(void *ctx, uint8_t otp[FWT_OTP_SIZE], uint32_t *counter)
{
	fwt_posix_chip *chip = ctx;
	memcpy(otp, chip->otp, FWT_OTP_SIZE);
	*counter = chip->counter;
	return FWT_HAL_OK;
}

static int
fwt_posix_otp_save(fwt_posix_chip *chip,
		   const uint8_t otp[FWT_OTP_SIZE],
		   uint32_t counter,
		   int kind)
{
	uint8_t buf[FWT_OTP_SIZE + 4];
	int rc;

	memcpy(buf, otp, FWT_OTP_SIZE);
	fwc_link_put_u32(buf + FWT_OTP_SIZE, counter);
	rc = fwt_posix_atomic_write(chip, chip->dirfd, "otp.bin", buf, sizeof(buf), kind);
	memset(buf, 0, sizeof(buf));
	if (rc == FWT_HAL_OK) {
		memcpy(chip->otp, otp, FWT_OTP_SIZE);
		chip->counter = counter;
	}
	return rc;
}

static int
fwt_posix_otp_program(void *ctx, uint32_t offset, const uint8_t *bits, size_t len)
{
	fwt_posix_chip *chip = ctx;
	uint8_t otp[FWT_OTP_SIZE];
	int rc;

	if (offset > FWT_OTP_SIZE || len > FWT_OTP_SIZE - offset)
		return FWT_HAL_ERR_RANGE;
	memcpy(otp, chip->otp, FWT_OTP_SIZE);
	for (size_t i = 0; i < len; i++)
		otp[offset + i] |= bits[i]; /* fuses: bits only go from 0 to 1 */
	rc = fwt_posix_otp_save(chip, otp, chip->counter, KIND_OTP);
	memset(otp, 0, sizeof(otp));
	return rc;
}

static int
fwt_posix_counter_advance(void *ctx, uint32_t value)
{
	fwt_posix_chip *chip = ctx;
	if (value < chip->counter)
		return FWT_HAL_ERR_RANGE;
	if (value == chip->counter)
		return FWT_HAL_OK;
	return fwt_posix_otp_save(chip, chip->otp, value, KIND_COUNTER);
}

static int
fwt_posix_store_read(void *ctx, unsigned slot, uint8_t *buf, size_t cap, size_t *len)
{
	fwt_posix_chip *chip = ctx;
	char name[32];
	int rc;

	if (slot == 0 || slot >= FWT_STORE_SLOTS)
		return FWT_HAL_ERR_RANGE;
	snprintf(name, sizeof(name), "store-%u.bin", slot);
	rc = read_file(chip->dirfd, name, buf, cap, len);
	if (rc == 0)
		return FWT_HAL_ERR_NOT_FOUND;
	return rc == 1 ? FWT_HAL_OK : FWT_HAL_ERR_IO;
}

static int
fwt_posix_store_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
	fwt_posix_chip *chip = ctx;
	char name[32];

	if (slot == 0 || slot >= FWT_STORE_SLOTS || len > FWT_STORE_MAX)
		return FWT_HAL_ERR_RANGE;
	snprintf(name, sizeof(name), "store-%u.bin", slot);
	return fwt_posix_atomic_write(chip, chip->dirfd, name, buf, len, KIND_STORE);
}

static int
fwt_posix_rng(void *ctx, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FWT_HAL_ERR_IO;
		buf += n;
		len -= (size_t)n;
	}
	return FWT_HAL_OK;
}

/* removes the temp files an interrupted write left */
static void
remove_temps(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0)
			unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

static int
fail(char *err, size_t err_len, const char *msg, const char *detail)
{
	snprintf(err, err_len, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
	return -1;
}

static int
fwt_posix_geometry(fwt_posix_chip *chip,
		   uint32_t flash_size,
		   uint32_t page_size,
		   char *err,
		   size_t err_len)
{
	uint8_t buf[64];
	size_t len = 0;
	int rc = read_file(chip->dirfd, "geometry", buf, sizeof(buf) - 1, &len);
	unsigned long long fs = 0, ps = 0;

	if (rc < 0)
		return fail(err, err_len, "cannot read geometry", NULL);
	if (rc == 1) {
		buf[len] = '\0';
		if (sscanf((const char *)buf, "%llu %llu", &fs, &ps) != 2)
			return fail(err, err_len, "corrupt geometry file", NULL);
		if ((flash_size != 0 && flash_size != fs) || (page_size != 0 && page_size != ps))
			return fail(err,
				    err_len,
				    "this chip has another flash geometry",
				    (const char *)buf);
	} else {
		char text[64];
		fs = flash_size != 0 ? flash_size : FWT_POSIX_DEFAULT_FLASH;
		ps = page_size != 0 ? page_size : FWT_POSIX_DEFAULT_PAGE;
		snprintf(text, sizeof(text), "%llu %llu\n", fs, ps);
		if (fwt_posix_atomic_write(chip,
					   chip->dirfd,
					   "geometry",
					   (const uint8_t *)text,
					   strlen(text),
					   -1) != FWT_HAL_OK)
			return fail(err, err_len, "cannot write geometry", strerror(errno));
	}
	if (ps == 0 || ps > FWT_PAGE_MAX || (ps & (ps - 1)) != 0 || fs == 0 || fs % ps != 0 ||
	    fs > 256ull * 1024 * 1024)
		return fail(err,
			    err_len,
			    "flash size must be a multiple of the page size (a power of two up to "
			    "4096), at most 256 MiB",
			    NULL);
	chip->flash_size = (uint32_t)fs;
	chip->page_size = (uint32_t)ps;
	return 0;
}

int
fwt_posix_chip_open(fwt_posix_chip *chip,
		    const char *dir,
		    uint32_t flash_size,
		    uint32_t page_size,
		    uint64_t speed,
		    fwt_hal *hal,
		    char *err,
		    size_t err_len)
{
	const char *crash = getenv("NUSEC_TARGET_SIM_CRASH");
	uint8_t otp[FWT_OTP_SIZE + 4];
	size_t len = 0;
	int rc;

	memset(chip, 0, sizeof(*chip));
	chip->dirfd = chip->flashfd = -1;
	chip->speed = speed;
	if (crash != NULL && *crash != '\0') {
		char when[8] = "";
		if (sscanf(crash, "%15[a-z]:%u:%7s", chip->crash_kind, &chip->crash_n, when) != 3 ||
		    (strcmp(when, "tmp") != 0 && strcmp(when, "done") != 0))
			return fail(err, err_len, "bad NUSEC_TARGET_SIM_CRASH", crash);
		chip->crash_done = strcmp(when, "done") == 0;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(err, err_len, "cannot create the state directory", strerror(errno));
	chip->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chip->dirfd < 0)
		return fail(err, err_len, "cannot open the state directory", strerror(errno));
	if (mkdirat(chip->dirfd, "flash", 0700) != 0 && errno != EEXIST)
		return fail(err, err_len, "cannot create the flash directory", strerror(errno));
	chip->flashfd = openat(chip->dirfd, "flash", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chip->flashfd < 0)
		return fail(err, err_len, "cannot open the flash directory", strerror(errno));
	remove_temps(chip->dirfd);
	remove_temps(chip->flashfd);
	if (fwt_posix_geometry(chip, flash_size, page_size, err, err_len) != 0)
		return -1;

	/* OTP: missing = blank */
	rc = read_file(chip->dirfd, "otp.bin", otp, sizeof(otp), &len);
	if (rc < 0 || (rc == 1 && len != sizeof(otp)))
		return fail(err, err_len, "corrupt otp.bin", NULL);
	if (rc == 1) {
		memcpy(chip->otp, otp, FWT_OTP_SIZE);
		chip->counter = fwc_link_get_u32(otp + FWT_OTP_SIZE);
	}
	memset(otp, 0, sizeof(otp));

	/* flash: one file per programmed page */
	chip->flash = malloc(chip->flash_size);
	if (chip->flash == NULL)
		return fail(err, err_len, "out of memory", NULL);
	memset(chip->flash, 0xff, chip->flash_size);
	{
		int fd = dup(chip->flashfd);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;
		if (d == NULL)
			return fail(err, err_len, "cannot list the flash directory", NULL);
		/* the dup shares the directory offset that remove_temps() moved */
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			unsigned page;
			char check[32];
			if (de->d_name[0] == '.')
				continue;
			if (sscanf(de->d_name, "page-%u.bin", &page) != 1 ||
			    (page_name(page, check), strcmp(check, de->d_name) != 0) ||
			    (uint64_t)page * chip->page_size >= chip->flash_size ||
			    read_file(chip->flashfd,
				      de->d_name,
				      chip->flash + (size_t)page * chip->page_size,
				      chip->page_size,
				      &len) != 1 ||
			    len != chip->page_size) {
				closedir(d);
				return fail(err, err_len, "corrupt flash page", de->d_name);
			}
		}
		closedir(d);
	}

	memset(hal, 0, sizeof(*hal));
	hal->ctx = chip;
	hal->flash_size = chip->flash_size;
	hal->flash_page_size = chip->page_size;
	hal->flash_map = fwt_posix_flash_map;
	hal->flash_erase_page = fwt_posix_flash_erase_page;
	hal->flash_write_page = fwt_posix_flash_write_page;
	hal->otp_read = fwt_posix_otp_read;
	hal->otp_program = fwt_posix_otp_program;
	hal->counter_advance = fwt_posix_counter_advance;
	hal->store_read = fwt_posix_store_read;
	hal->store_write = fwt_posix_store_write;
	hal->rng = fwt_posix_rng;
	return 0;
}

void
fwt_posix_chip_close(fwt_posix_chip *chip)
{
	free(chip->flash);
	chip->flash = NULL;
	if (chip->flashfd >= 0)
		close(chip->flashfd);
	if (chip->dirfd >= 0)
		close(chip->dirfd);
	memset(chip->otp, 0, sizeof(chip->otp));
	chip->dirfd = chip->flashfd = -1;
}
