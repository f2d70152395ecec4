/*
 * libFuzzer harness of the target link frame codec: decode as request and as response, and
 * check that what decodes re-encodes to the same bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "fwc-link.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FWC_LINK_MAX_FRAME];
	fwc_link_frame frame;
	size_t out_len = 0;
	size_t frame_len = 0;

	(void)fwc_link_header_parse(data, size, &frame, &frame_len);
	(void)fwc_link_decode_request(data, size, &frame);
	(void)fwc_link_decode_response(data, size, size > 3 ? data[3] & 0x7f : 0, &frame);
	if (fwc_link_decode(data, size, &frame) == FWC_LINK_OK) {
		if (fwc_link_encode(frame.command,
				    frame.status,
				    frame.payload,
				    frame.payload_len,
				    out,
				    sizeof(out),
				    &out_len) != FWC_LINK_OK ||
		    out_len != size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
