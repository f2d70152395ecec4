/*
 * nulink3-sim: the host build of the NuLink3 firmware. Serves the USB protocol's frames
 * (docs/formats/usb.md) on a Unix stream socket, one thread per connection (a station opens
 * one per gang slot so that slots run concurrently), and drives one target-sim per slot.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fwn-core.h"
#include "fwn-hal-posix.h"

static fwn_core sim_core;
static fwn_posix sim_posix;
static fwn_hal sim_hal;
static int sim_frame_timeout_ms = 10000;
static const char *sim_crash_point;

/* NUSEC_NULINK3_SIM_CRASH=NAME: dies at that checkpoint, like a power cut (tests) */
static void
sim_checkpoint(void *ctx, const char *name)
{
	if (sim_crash_point != NULL && strcmp(sim_crash_point, name) == 0)
		_exit(99);
}

static void
sim_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: nulink3-sim --socket PATH --state-dir DIR [options]\n"
	    "\n"
	    "  --socket PATH          Unix socket to serve the USB protocol frames on\n"
	    "  --state-dir DIR        fuses, monotonic counter and sealed keystore (a new\n"
	    "                         directory is a new programmer: --serial is then needed)\n"
	    "  --serial S             serial number of a new programmer (1..32 printable chars)\n"
	    "  --slot N=PATH          gang slot N (0..7) is the target-sim at socket PATH\n"
	    "  --slots N              number of gang slots (default: 4)\n"
	    "  --time UNIX            fixed clock (tests of validity windows)\n"
	    "  --frame-timeout-ms N   drop a client silent this long inside a frame (10000)\n"
	    "  --help\n");
}

static int
sim_io(int fd, uint8_t *buf, size_t len, int writing, int timeout_ms)
{
	size_t done = 0;
	while (done < len) {
		struct pollfd pfd = {.fd = fd, .events = writing ? POLLOUT : POLLIN};
		ssize_t n;
		int pr = poll(&pfd, 1, timeout_ms);
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

static void *
sim_client(void *data)
{
	int fd = (int)(intptr_t)data;
	uint8_t *req = malloc(FWN_USB_MAX_FRAME);
	uint8_t *resp = malloc(FWN_USB_MAX_FRAME);

	while (req != NULL && resp != NULL) {
		fwn_usb_frame frame;
		size_t frame_len = 0, resp_len;
		int rc;
		/* the first byte may wait forever; the rest of a frame must come in time */
		if (sim_io(fd, req, 1, 0, -1) != 0)
			break;
		if (sim_io(fd, req + 1, FWN_USB_HEADER_SIZE - 1, 0, sim_frame_timeout_ms) != 0)
			break;
		rc = fwn_usb_header_parse(req, FWN_USB_HEADER_SIZE, &frame, &frame_len);
		if (rc != FWN_USB_OK) {
			/* no way to find the next frame boundary: answer, then close */
			uint8_t cmd = rc == FWN_USB_ERR_TOO_LONG ? req[3] & 0x7f : FWN_CMD_NONE;
			resp_len = fwn_core_error_frame(cmd, rc, resp, FWN_USB_MAX_FRAME);
			(void)sim_io(fd, resp, resp_len, 1, sim_frame_timeout_ms);
			break;
		}
		if (sim_io(fd,
			   req + FWN_USB_HEADER_SIZE,
			   frame_len - FWN_USB_HEADER_SIZE,
			   0,
			   sim_frame_timeout_ms) != 0)
			break;
		resp_len = fwn_core_handle(&sim_core, req, frame_len, resp, FWN_USB_MAX_FRAME);
		if (resp_len == 0 || sim_io(fd, resp, resp_len, 1, sim_frame_timeout_ms) != 0)
			break;
	}
	free(req);
	free(resp);
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"serial", required_argument, NULL, 'n'},
	    {"slot", required_argument, NULL, 'l'},
	    {"slots", required_argument, NULL, 'k'},
	    {"time", required_argument, NULL, 't'},
	    {"frame-timeout-ms", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *socket_path = NULL, *state_dir = NULL, *serial = NULL;
	char *slot_path[FWN_SLOTS_MAX] = {NULL};
	unsigned n_slots = 4;
	int64_t fixed_time = -1;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int opt, lfd, rc;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'n':
			serial = optarg;
			break;
		case 'l': {
			unsigned long n = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '=' || n >= FWN_SLOTS_MAX || end[1] == '\0') {
				fprintf(stderr, "nulink3-sim: bad --slot '%s'\n", optarg);
				return 2;
			}
			free(slot_path[n]);
			slot_path[n] = strdup(end + 1);
			break;
		}
		case 'k': {
			unsigned long n = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || n == 0 || n > FWN_SLOTS_MAX) {
				fprintf(stderr, "nulink3-sim: bad --slots '%s'\n", optarg);
				return 2;
			}
			n_slots = (unsigned)n;
			break;
		}
		case 't': {
			long long t = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || t < 0) {
				fprintf(stderr, "nulink3-sim: bad --time '%s'\n", optarg);
				return 2;
			}
			fixed_time = t;
			break;
		}
		case 'f': {
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || n <= 0 || n > 3600000) {
				fprintf(stderr,
					"nulink3-sim: bad --frame-timeout-ms '%s'\n",
					optarg);
				return 2;
			}
			sim_frame_timeout_ms = (int)n;
			break;
		}
		case 'h':
			sim_usage(stdout);
			return 0;
		default:
			sim_usage(stderr);
			return 2;
		}
	}
	if (socket_path == NULL || state_dir == NULL || optind != argc) {
		sim_usage(stderr);
		return 2;
	}
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "nulink3-sim: socket path too long\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (fwn_posix_open(&sim_posix, &sim_hal, state_dir, serial) != 0)
		return 1;
	sim_posix.fixed_time = fixed_time;
	for (unsigned i = 0; i < FWN_SLOTS_MAX; i++)
		sim_posix.target_path[i] = slot_path[i];
	sim_hal.n_slots = n_slots;
	sim_crash_point = getenv("NUSEC_NULINK3_SIM_CRASH");
	sim_hal.checkpoint = sim_checkpoint;
	rc = fwn_core_init(&sim_core, &sim_hal);
	if (rc != FWN_RC_OK && sim_core.huk_key == 0) {
		fprintf(stderr, "nulink3-sim: cannot start: %s\n", fwn_usb_rc_strerror(rc));
		return 1;
	}
	if (rc != FWN_RC_OK)
		fprintf(stderr,
			"nulink3-sim: keystore refused (%s): only GET_INFO and FACTORY_RESET\n",
			fwn_usb_rc_strerror(rc));

	strcpy(addr.sun_path, socket_path);
	unlink(socket_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(lfd, 16) != 0) {
		fprintf(stderr,
			"nulink3-sim: cannot listen on %s: %s\n",
			socket_path,
			strerror(errno));
		return 1;
	}
	/* the ready line (tests wait for it) */
	printf("nulink3-sim: serial %s listening on %s\n", sim_hal.serial, socket_path);
	fflush(stdout);
	for (;;) {
		pthread_t th;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "nulink3-sim: accept: %s\n", strerror(errno));
			return 1;
		}
		if (pthread_create(&th, NULL, sim_client, (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(th);
	}
}
