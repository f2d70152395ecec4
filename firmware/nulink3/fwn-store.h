/*
 * Sealed records of the NuLink3 keystore (see fwn-store.c for the blob layout).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fwc-crypto.h"
#include "fwn-hal.h"

#define FWN_SEAL_HDR_LEN   12
#define FWN_SEAL_NONCE_LEN 12
#define FWN_SEAL_TAG_LEN   16
#define FWN_SEAL_OVERHEAD  (FWN_SEAL_HDR_LEN + FWN_SEAL_NONCE_LEN + FWN_SEAL_TAG_LEN)

typedef enum {
	FWN_STORE_OK = 0,
	FWN_STORE_ERR_SIZE,   /* record larger than the buffer */
	FWN_STORE_ERR_FORMAT, /* header malformed, wrong record number or length */
	FWN_STORE_ERR_AUTH,   /* the tag does not verify */
	FWN_STORE_ERR_CRYPTO, /* PSA or RNG failure */
} fwn_store_status;

const char *
fwn_store_strerror(int status);

/* seals @data for record @rec into blob[0..cap) (at least len + FWN_SEAL_OVERHEAD) */
int
fwn_store_seal(const fwn_hal *hal,
	       uint32_t huk_key,
	       unsigned rec,
	       const uint8_t *data,
	       size_t len,
	       uint8_t *blob,
	       size_t cap,
	       size_t *blob_len);
/* on failure @out holds nothing */
int
fwn_store_unseal(const fwn_hal *hal,
		 uint32_t huk_key,
		 unsigned rec,
		 const uint8_t *blob,
		 size_t blob_len,
		 uint8_t *out,
		 size_t cap,
		 size_t *out_len);
