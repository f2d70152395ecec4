/*
 * NuLink3 programmer firmware core: the KeyStore (TLS identity, request and encryption keys,
 * volatile non-exportable PSA keys persisted only sealed under the device-unique secret),
 * setup, package import, the production counter bound to the hardware monotonic counter, the
 * gang slots driving targets, and the USB protocol dispatcher (docs/formats/usb.md).
 * Portable C over fwn_hal, no heap, no GLib.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"
#include "fwc-link.h"
#include "fwn-hal.h"
#include "fwn-usb.h"

#define FWN_FW_VERSION "0.1.0"
#define FWN_MODEL      "NuLink3"
#define FWN_ORDERS_MAX 4
#define FWN_ID_MAX     64
#define FWN_CERT_MAX   2048
#define FWN_CA_MAX     6144
#define FWN_URL_MAX    256
#define FWN_IMAGE_MAX  (128 * 1024)
#define FWN_SEALED_MAX (FWN_IMAGE_MAX + 8192)

/* storage records */
#define FWN_REC_KEY_TLS	 1
#define FWN_REC_KEY_REQ	 2
#define FWN_REC_KEY_ENC	 3
#define FWN_REC_CONFIG	 4
#define FWN_REC_STATE	 5
#define FWN_REC_FIRMWARE 16 /* + order index */

typedef enum {
	FWN_SETUP_BLANK = 0,	 /* no keys */
	FWN_SETUP_KEYS = 1,	 /* keys generated (SETUP_BEGIN) */
	FWN_SETUP_INSTALLED = 2, /* certificate, CA, package key, URL stored */
	FWN_SETUP_LOCKED = 3,	 /* closed until factory reset */
} fwn_setup_state;

typedef enum {
	FWN_SLOT_IDLE = 0,
	FWN_SLOT_SPENT = 1, /* a unit is spent and the device request issued */
} fwn_slot_state;

typedef struct {
	uint8_t in_use;
	uint8_t fw_loaded;
	char order_id[FWN_ID_MAX + 1];
	char package_id[FWN_ID_MAX + 1];
	char product_id[FWN_ID_MAX + 1];
	char fw_version[FWN_ID_MAX + 1];
	uint8_t rot_hash[32];
	uint8_t image_sha256[32];
	uint64_t image_size;
	uint64_t security_counter;
	uint64_t limit; /* effective: manifest limit + credited */
	uint64_t manifest_limit;
	uint64_t credited; /* highest credit total the cloud signed */
	uint64_t used;
	uint64_t not_before;
	uint64_t not_after;
	uint64_t issued_at;
	uint8_t token[32];
} fwn_order;

typedef struct {
	uint8_t state; /* fwn_slot_state */
	uint8_t order;
	uint8_t chip_id[16];
	uint64_t counter;
} fwn_slot_journal;

/* the mutable state, one sealed record bound to the hardware monotonic counter */
typedef struct {
	uint32_t magic;
	uint32_t size;
	uint64_t gen; /* == the monotonic counter when current */
	uint64_t units_spent;
	fwn_order orders[FWN_ORDERS_MAX];
	fwn_slot_journal slots[FWN_SLOTS_MAX];
} fwn_state;

typedef struct {
	uint32_t magic;
	uint32_t size;
	uint8_t setup; /* fwn_setup_state */
	uint8_t has_vendor_ca;
	uint16_t cert_len;
	uint16_t ca_len;
	uint16_t vendor_ca_len;
	uint8_t cert[FWN_CERT_MAX];
	uint8_t ca[FWN_CA_MAX]; /* DER certificates one after the other */
	uint8_t vendor_ca[FWN_CERT_MAX];
	uint8_t package_pub[FWC_P256_POINT_LEN];
	char url[FWN_URL_MAX + 1];
} fwn_config;

/* per-slot runtime (not persisted) */
typedef struct {
	bool busy;
	uint8_t rsp[FWC_LINK_MAX_FRAME]; /* target link response frame */
	uint8_t req[FWC_LINK_MAX_FRAME];
	uint8_t wc[FWC_LINK_MAX_PAYLOAD]; /* WRITE_CERT payload */
} fwn_slot_rt;

typedef struct {
	const fwn_hal *hal;
	int storage_rc; /* FWN_RC_OK, or the reason every state-changing command is refused */
	uint32_t huk_key;
	uint32_t tls_key, req_key, enc_key;
	uint8_t tls_pub[FWC_P256_POINT_LEN];
	uint8_t req_pub[FWC_P256_POINT_LEN];
	uint8_t enc_pub[FWC_P256_POINT_LEN];
	fwn_config cfg;
	fwn_state st;
	fwn_slot_rt slot[FWN_SLOTS_MAX];
	/* plaintext images in RAM (never stored unsealed), one per order */
	uint8_t image[FWN_ORDERS_MAX][FWN_IMAGE_MAX];
	/* FIRMWARE_LOAD assembly of a sealed image, and the sealing scratch */
	uint8_t fw_rx[FWN_SEALED_MAX];
	size_t fw_rx_len;
	int fw_rx_order;
	uint8_t seal_buf[FWN_SEALED_MAX + 64];
	uint8_t work[FWN_SEALED_MAX + 64];
} fwn_core;

/* power-on: imports the device secret, unseals keys, config and state */
int
fwn_core_init(fwn_core *core, const fwn_hal *hal);
void
fwn_core_deinit(fwn_core *core);

/*
 * Handles one request frame (whatever its bytes) and writes exactly one response frame into
 * @resp (@cap at least FWN_USB_MAX_FRAME). Returns the response length (> 0). Thread-safe:
 * shared state is taken under hal->lock; each slot runs one command at a time.
 */
size_t
fwn_core_handle(fwn_core *core, const uint8_t *req, size_t req_len, uint8_t *resp, size_t cap);

/* the error frame for a frame that could not be read */
size_t
fwn_core_error_frame(uint8_t command, int usb_status, uint8_t *resp, size_t cap);
