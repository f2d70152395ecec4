/*
 * target-sim: one simulated NuSEC target chip (boot ROM) serving the target link protocol on
 * a Unix stream socket. A fresh state directory is a fresh chip: at its first start the
 * simulated vendor fab gives it a chip ID, a device-unique secret, an attestation key and the
 * attestation certificate signed by the test vendor CA. See docs/formats/target-link.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fwt-fab.h"
#include "fwt-hal-posix.h"
#include "fwt-rom.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t quit_requested;

static void
on_signal(int sig)
{
	(void)sig;
	quit_requested = 1;
}

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: target-sim --socket PATH --state-dir DIR [options]\n"
	    "\n"
	    "One simulated target chip on a Unix socket (docs/formats/target-link.md).\n"
	    "\n"
	    "  --socket PATH           Unix socket to serve the target link on\n"
	    "  --state-dir DIR         the chip's flash, OTP and keystore (a new directory is a\n"
	    "                          new chip)\n"
	    "  --flash-size N          flash size in bytes, K or M suffix (new chip: default 1M)\n"
	    "  --page-size N           flash page size, power of two up to 4096 (default 4096)\n"
	    "  --flash-speed N         simulated flash write speed in bytes/s, K or M suffix\n"
	    "                          (default unlimited)\n"
	    "  --vendor-ca-key PEM     test silicon vendor CA key (needed for a new chip's fab)\n"
	    "  --vendor-ca-cert PEM    test silicon vendor CA certificate (same)\n"
	    "  --frame-timeout-ms N    drop a client silent this long inside a frame (10000)\n"
	    "  --help\n");
}

static int
parse_size(const char *text, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno != 0 || end == text || text[0] == '-')
		return -1;
	if (*end == 'K' || *end == 'k') {
		v *= 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		v *= 1024 * 1024;
		end++;
	}
	if (*end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* reads exactly @len bytes; while @header_check, every byte read is checked against the frame
 * header so that a bad magic or version is answered at once. Returns the bytes read (< len on
 * EOF, timeout or error) */
static size_t
read_frame_bytes(int fd, uint8_t *buf, size_t len, int first_wait_ms, int timeout_ms, int *hdr_rc)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, got == 0 ? first_wait_ms : timeout_ms);
		ssize_t n;
		if (pr < 0 && errno == EINTR) {
			if (quit_requested)
				return got;
			continue;
		}
		if (pr <= 0)
			return got;
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return got;
		got += (size_t)n;
		if (hdr_rc != NULL) {
			fwc_link_frame f;
			size_t flen;
			int rc = fwc_link_header_parse(buf, got, &f, &flen);
			if (rc != FWC_LINK_OK && rc != FWC_LINK_ERR_TRUNCATED) {
				*hdr_rc = rc;
				return got;
			}
		}
	}
	return got;
}

static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* one programmer connection, until it closes, stalls inside a frame or sends a bad header */
static void
serve(fwt_rom *rom, int fd, int timeout_ms)
{
	static uint8_t req[FWC_LINK_MAX_FRAME];
	static uint8_t resp[FWC_LINK_MAX_FRAME];

	while (!quit_requested) {
		fwc_link_frame f;
		size_t flen = 0;
		size_t n;
		int hdr_rc = FWC_LINK_OK;

		n = read_frame_bytes(fd, req, FWC_LINK_HEADER_SIZE, -1, timeout_ms, &hdr_rc);
		if (hdr_rc != FWC_LINK_OK) {
			/* no way to find the next frame: answer, then hang up */
			n = fwt_rom_error_frame(FWC_TLINK_CMD_NONE, hdr_rc, resp, sizeof(resp));
			(void)write_all(fd, resp, n);
			return;
		}
		if (n < FWC_LINK_HEADER_SIZE)
			return; /* closed or stalled */
		hdr_rc = fwc_link_header_parse(req, n, &f, &flen);
		if (hdr_rc != FWC_LINK_OK) {
			n = fwt_rom_error_frame(FWC_TLINK_CMD_NONE, hdr_rc, resp, sizeof(resp));
			(void)write_all(fd, resp, n);
			return;
		}
		if (read_frame_bytes(fd,
				     req + FWC_LINK_HEADER_SIZE,
				     flen - FWC_LINK_HEADER_SIZE,
				     timeout_ms,
				     timeout_ms,
				     NULL) != flen - FWC_LINK_HEADER_SIZE)
			return;
		/* the command runs to completion whatever the client does next */
		n = fwt_rom_handle(rom, req, flen, resp, sizeof(resp));
		if (n == 0 || write_all(fd, resp, n) != 0)
			return;
	}
}

static int
fab(fwt_rom *rom, const char *ca_key, const char *ca_cert)
{
	static uint8_t der[FWT_STORE_MAX];
	uint8_t pub[FWC_P256_POINT_LEN];
	char hex[2 * FWC_TLINK_CHIP_ID_LEN + 1];
	char err[256];
	size_t len = 0;
	int rc;

	if (ca_key == NULL || ca_cert == NULL) {
		fprintf(stderr,
			"target-sim: a new chip needs --vendor-ca-key and --vendor-ca-cert for its "
			"fab\n");
		return EXIT_USAGE;
	}
	rc = fwt_rom_fab_prepare(rom, pub);
	if (rc != FWC_TLINK_OK) {
		fprintf(stderr, "target-sim: fab failed: %s\n", fwc_tlink_strerror(rc));
		return EXIT_FAILURE;
	}
	fwt_rom_chip_id_hex(rom, hex);
	if (fwt_fab_make_attest_cert(ca_key,
				     ca_cert,
				     pub,
				     hex,
				     der,
				     sizeof(der),
				     &len,
				     err,
				     sizeof(err)) != 0) {
		fprintf(stderr, "target-sim: fab failed: %s\n", err);
		return EXIT_USAGE;
	}
	rc = fwt_rom_fab_set_attest_cert(rom, der, len);
	if (rc != FWC_TLINK_OK) {
		fprintf(stderr, "target-sim: fab failed: %s\n", fwc_tlink_strerror(rc));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"flash-size", required_argument, NULL, 'f'},
	    {"page-size", required_argument, NULL, 'p'},
	    {"flash-speed", required_argument, NULL, 'w'},
	    {"vendor-ca-key", required_argument, NULL, 'k'},
	    {"vendor-ca-cert", required_argument, NULL, 'c'},
	    {"frame-timeout-ms", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_path = NULL, *state_dir = NULL, *ca_key = NULL, *ca_cert = NULL;
	uint64_t flash_size = 0, page_size = 0, speed = 0, timeout_ms = 10000;
	fwt_posix_chip chip;
	fwt_hal hal;
	fwt_rom rom;
	struct sockaddr_un addr;
	struct sigaction sa;
	char err[256];
	char hex[2 * FWC_TLINK_CHIP_ID_LEN + 1];
	int lfd, rc, opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'f':
			if (parse_size(optarg, 256u * 1024 * 1024, &flash_size) != 0 ||
			    flash_size == 0) {
				fprintf(stderr, "target-sim: bad --flash-size '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_size(optarg, FWT_PAGE_MAX, &page_size) != 0 || page_size == 0) {
				fprintf(stderr, "target-sim: bad --page-size '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (parse_size(optarg, UINT32_MAX, &speed) != 0) {
				fprintf(stderr, "target-sim: bad --flash-speed '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'k':
			ca_key = optarg;
			break;
		case 'c':
			ca_cert = optarg;
			break;
		case 't':
			if (parse_size(optarg, 3600000, &timeout_ms) != 0 || timeout_ms == 0) {
				fprintf(stderr,
					"target-sim: bad --frame-timeout-ms '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || socket_path == NULL || state_dir == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "target-sim: socket path too long\n");
		return EXIT_USAGE;
	}

	if (fwt_posix_chip_open(&chip,
				state_dir,
				(uint32_t)flash_size,
				(uint32_t)page_size,
				speed,
				&hal,
				err,
				sizeof(err)) != 0) {
		fprintf(stderr, "target-sim: %s: %s\n", state_dir, err);
		fwt_posix_chip_close(&chip);
		return EXIT_FAILURE;
	}
	rc = fwt_rom_init(&rom, &hal);
	if (rc != FWC_TLINK_OK) {
		fprintf(stderr,
			"target-sim: the chip does not start: %s\n",
			fwc_tlink_strerror(rc));
		fwt_posix_chip_close(&chip);
		return EXIT_FAILURE;
	}
	if (!fwt_rom_is_fabricated(&rom)) {
		rc = fab(&rom, ca_key, ca_cert);
		if (rc != EXIT_SUCCESS) {
			fwt_rom_deinit(&rom);
			fwt_posix_chip_close(&chip);
			return rc;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	unlink(socket_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(lfd, 4) != 0) {
		fprintf(stderr,
			"target-sim: cannot listen on %s: %s\n",
			socket_path,
			strerror(errno));
		fwt_rom_deinit(&rom);
		fwt_posix_chip_close(&chip);
		return EXIT_FAILURE;
	}
	fwt_rom_chip_id_hex(&rom, hex);
	printf("target-sim: chip %s ready on %s\n", hex, socket_path);
	fflush(stdout);

	while (!quit_requested) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "target-sim: accept: %s\n", strerror(errno));
			break;
		}
		serve(&rom, fd, (int)timeout_ms);
		close(fd);
	}
	close(lfd);
	unlink(socket_path);
	fwt_rom_deinit(&rom);
	fwt_posix_chip_close(&chip);
	return EXIT_SUCCESS;
}
