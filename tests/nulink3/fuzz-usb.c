/*
 * libFuzzer harness of the NuLink3 USB frame codec: decode as request and as response, and
 * check that what decodes re-encodes to the same bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "fwn-usb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FWN_USB_MAX_FRAME];
	fwn_usb_frame frame;
	size_t out_len = 0;
	size_t frame_len = 0;

	if (fwn_usb_header_parse(data, size, &frame, &frame_len) == FWN_USB_OK &&
	    (frame_len < FWN_USB_HEADER_SIZE + FWN_USB_CRC_SIZE || frame_len > FWN_USB_MAX_FRAME))
		abort();
	(void)fwn_usb_decode_request(data, size, &frame);
	(void)fwn_usb_decode_response(data, size, size > 3 ? data[3] & 0x7f : 0, &frame);
	if (fwn_usb_decode(data, size, &frame) == FWN_USB_OK) {
		if (fwn_usb_encode(frame.command,
				   frame.status,
				   frame.payload,
				   frame.payload_len,
				   out,
				   sizeof(out),
				   &out_len) != FWN_USB_OK ||
		    out_len != size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
