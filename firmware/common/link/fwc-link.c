/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-link.h"

#include <string.h>

const char *
fwc_link_strerror(int status)
{
	switch ((fwc_link_status)status) {
	case FWC_LINK_OK:
		return "success";
	case FWC_LINK_ERR_ARGUMENT:
		return "invalid argument";
	case FWC_LINK_ERR_BUFFER_SMALL:
		return "frame does not fit in the output buffer";
	case FWC_LINK_ERR_TRUNCATED:
		return "frame truncated";
	case FWC_LINK_ERR_BAD_MAGIC:
		return "frame does not start with the magic \"NT\"";
	case FWC_LINK_ERR_BAD_VERSION:
		return "unsupported frame version";
	case FWC_LINK_ERR_TOO_LONG:
		return "payload length above the maximum";
	case FWC_LINK_ERR_BAD_CRC:
		return "frame CRC-32 does not match";
	case FWC_LINK_ERR_TRAILING:
		return "bytes after the frame CRC";
	case FWC_LINK_ERR_NOT_REQUEST:
		return "not a request frame (response bit or status set)";
	case FWC_LINK_ERR_NOT_RESPONSE:
		return "not a response frame";
	case FWC_LINK_ERR_WRONG_RESPONSE:
		return "response to another command";
	}
	return "unknown link error";
}

const char *
fwc_link_status_name(int status)
{
	switch ((fwc_link_status)status) {
	case FWC_LINK_OK:
		return "FWC_LINK_OK";
	case FWC_LINK_ERR_ARGUMENT:
		return "FWC_LINK_ERR_ARGUMENT";
	case FWC_LINK_ERR_BUFFER_SMALL:
		return "FWC_LINK_ERR_BUFFER_SMALL";
	case FWC_LINK_ERR_TRUNCATED:
		return "FWC_LINK_ERR_TRUNCATED";
	case FWC_LINK_ERR_BAD_MAGIC:
		return "FWC_LINK_ERR_BAD_MAGIC";
	case FWC_LINK_ERR_BAD_VERSION:
		return "FWC_LINK_ERR_BAD_VERSION";
	case FWC_LINK_ERR_TOO_LONG:
		return "FWC_LINK_ERR_TOO_LONG";
	case FWC_LINK_ERR_BAD_CRC:
		return "FWC_LINK_ERR_BAD_CRC";
	case FWC_LINK_ERR_TRAILING:
		return "FWC_LINK_ERR_TRAILING";
	case FWC_LINK_ERR_NOT_REQUEST:
		return "FWC_LINK_ERR_NOT_REQUEST";
	case FWC_LINK_ERR_NOT_RESPONSE:
		return "FWC_LINK_ERR_NOT_RESPONSE";
	case FWC_LINK_ERR_WRONG_RESPONSE:
		return "FWC_LINK_ERR_WRONG_RESPONSE";
	}
	return NULL;
}

uint32_t
fwc_link_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (unsigned k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

int
fwc_link_header_parse(const uint8_t *hdr, size_t len, fwc_link_frame *frame, size_t *frame_len)
{
	uint16_t plen;

	if (hdr == NULL || frame == NULL || frame_len == NULL)
		return FWC_LINK_ERR_ARGUMENT;
	memset(frame, 0, sizeof(*frame));
	*frame_len = 0;
	/* check what is there before complaining about what is missing */
	if (len >= 1 && hdr[0] != FWC_LINK_MAGIC0)
		return FWC_LINK_ERR_BAD_MAGIC;
	if (len >= 2 && hdr[1] != FWC_LINK_MAGIC1)
		return FWC_LINK_ERR_BAD_MAGIC;
	if (len >= 3 && hdr[2] != FWC_LINK_VERSION)
		return FWC_LINK_ERR_BAD_VERSION;
	if (len < FWC_LINK_HEADER_SIZE)
		return FWC_LINK_ERR_TRUNCATED;
	plen = fwc_link_get_u16(hdr + 6);
	if (plen > FWC_LINK_MAX_PAYLOAD)
		return FWC_LINK_ERR_TOO_LONG;
	frame->command = hdr[3];
	frame->status = fwc_link_get_u16(hdr + 4);
	frame->payload_len = plen;
	*frame_len = FWC_LINK_HEADER_SIZE + (size_t)plen + FWC_LINK_CRC_SIZE;
	return FWC_LINK_OK;
}

int
fwc_link_decode(const uint8_t *buf, size_t len, fwc_link_frame *frame)
{
	size_t frame_len = 0;
	size_t crc_off;
	int rc;

	if (buf == NULL || frame == NULL)
		return FWC_LINK_ERR_ARGUMENT;
	rc = fwc_link_header_parse(buf, len, frame, &frame_len);
	if (rc != FWC_LINK_OK)
		return rc;
	if (len < frame_len) {
		memset(frame, 0, sizeof(*frame));
		return FWC_LINK_ERR_TRUNCATED;
	}
	if (len > frame_len) {
		memset(frame, 0, sizeof(*frame));
		return FWC_LINK_ERR_TRAILING;
	}
	crc_off = frame_len - FWC_LINK_CRC_SIZE;
	if (fwc_link_crc32(0, buf, crc_off) != fwc_link_get_u32(buf + crc_off)) {
		memset(frame, 0, sizeof(*frame));
		return FWC_LINK_ERR_BAD_CRC;
	}
	frame->payload = buf + FWC_LINK_HEADER_SIZE;
	return FWC_LINK_OK;
}

int
fwc_link_encode(uint8_t command,
		uint16_t status,
		const uint8_t *payload,
		size_t payload_len,
		uint8_t *out,
		size_t cap,
		size_t *out_len)
{
	size_t total;

	if (out == NULL || out_len == NULL || (payload == NULL && payload_len != 0))
		return FWC_LINK_ERR_ARGUMENT;
	*out_len = 0;
	if (payload_len > FWC_LINK_MAX_PAYLOAD)
		return FWC_LINK_ERR_TOO_LONG;
	total = FWC_LINK_HEADER_SIZE + payload_len + FWC_LINK_CRC_SIZE;
	if (cap < total)
		return FWC_LINK_ERR_BUFFER_SMALL;
	/* the payload may already sit at out + 8 (built in place): memmove */
	if (payload_len != 0 && payload != out + FWC_LINK_HEADER_SIZE)
		memmove(out + FWC_LINK_HEADER_SIZE, payload, payload_len);
	out[0] = FWC_LINK_MAGIC0;
	out[1] = FWC_LINK_MAGIC1;
	out[2] = FWC_LINK_VERSION;
	out[3] = command;
	fwc_link_put_u16(out + 4, status);
	fwc_link_put_u16(out + 6, (uint16_t)payload_len);
	fwc_link_put_u32(out + FWC_LINK_HEADER_SIZE + payload_len,
			 fwc_link_crc32(0, out, FWC_LINK_HEADER_SIZE + payload_len));
	*out_len = total;
	return FWC_LINK_OK;
}

int
fwc_link_encode_request(uint8_t command,
			const uint8_t *payload,
			size_t payload_len,
			uint8_t *out,
			size_t cap,
			size_t *out_len)
{
	if (command & FWC_LINK_RESPONSE_BIT)
		return FWC_LINK_ERR_ARGUMENT;
	return fwc_link_encode(command, 0, payload, payload_len, out, cap, out_len);
}

int
fwc_link_decode_response(const uint8_t *buf, size_t len, uint8_t command, fwc_link_frame *frame)
{
	int rc = fwc_link_decode(buf, len, frame);
	if (rc != FWC_LINK_OK)
		return rc;
	if ((frame->command & FWC_LINK_RESPONSE_BIT) == 0)
		return FWC_LINK_ERR_NOT_RESPONSE;
	/* an error frame about an unreadable header answers any command */
	if ((frame->command & ~FWC_LINK_RESPONSE_BIT) != command &&
	    (frame->command & ~FWC_LINK_RESPONSE_BIT) != 0x7f)
		return FWC_LINK_ERR_WRONG_RESPONSE;
	return FWC_LINK_OK;
}

int
fwc_link_decode_request(const uint8_t *buf, size_t len, fwc_link_frame *frame)
{
	int rc = fwc_link_decode(buf, len, frame);
	if (rc != FWC_LINK_OK)
		return rc;
	if ((frame->command & FWC_LINK_RESPONSE_BIT) != 0 || frame->status != 0)
		return FWC_LINK_ERR_NOT_REQUEST;
	return FWC_LINK_OK;
}
