/*
 * One entry point for the cloud's message parsers (fuzzing and the corpus test): the first
 * byte picks the parser, the rest is the message. See make-corpus.py.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "fwc-cbor.h"
#include "nusec-cloud-formats.h"
#include "nusec-error.h"
#include "nusec-hpke.h"
#include "nusec-openssl.h"

/* the P-256 generator: a valid point nobody uses to sign */
static const guint8 cloud_fuzz_point[65] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5,
    0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
    0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a,
    0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33,
    0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

static gboolean
cloud_formats_dispatch(const guint8 *data, gsize size, GError **error)
{
	g_autoptr(GBytes) msg = NULL;
	g_autoptr(GBytes) point = g_bytes_new_static(cloud_fuzz_point, sizeof(cloud_fuzz_point));

	if (size == 0) {
		g_set_error_literal(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA, "empty input");
		return FALSE;
	}
	msg = g_bytes_new(data + 1, size - 1);
	switch (data[0]) {
	case 0: {
		g_autoptr(NuSecCloudSetupBundle) b = nusec_cloud_setup_bundle_parse(msg, error);
		return b != NULL;
	}
	case 1: {
		g_autoptr(NuSecCloudManifest) m = nusec_cloud_manifest_decode(msg, error);
		return m != NULL;
	}
	case 2: {
		g_autoptr(NuSecCloudDeviceRequest) r =
		    nusec_cloud_device_request_parse(msg, point, error);
		return r != NULL;
	}
	case 3: {
		guint8 ikm[32] = {0};
		g_autoptr(GBytes) ikm_b = g_bytes_new_static(ikm, sizeof(ikm));
		g_autoptr(EVP_PKEY) key = nusec_hpke_derive_key_pair(ikm_b, error);
		g_autoptr(GBytes) fw = NULL;
		if (key == NULL)
			return FALSE;
		fw = nusec_cloud_firmware_open(key, point, "ord", msg, error);
		return fw != NULL;
	}
	default:
		g_set_error_literal(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA, "no such parser");
		return FALSE;
	}
}
