/*
 * libFuzzer harness: the cloud's parsers of programmer messages, package manifests and sealed
 * firmware (the first byte picks the parser).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "cloud-formats-dispatch.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	if (size > 65536)
		return 0;
	if (!cloud_formats_dispatch(data, size, &error))
		g_assert_nonnull(error);
	return 0;
}
