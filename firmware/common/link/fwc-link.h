/*
 * Target link frame codec (docs/formats/target-link.md): the framed command protocol between a
 * programmer (NuLink3) and a target chip's boot ROM. Portable C, no heap, no GLib. Both sides
 * use it: the target decodes requests and encodes responses, the programmer encodes requests
 * and decodes responses.
 *
 * Frame (little-endian):
 *   0  u8[2] magic "NT" (0x4e 0x54)
 *   2  u8    version (FWC_LINK_VERSION)
 *   3  u8    command (request: the command code; response: code | 0x80)
 *   4  u16   status (requests: 0; responses: an fwc_tlink_status)
 *   6  u16   payload length (at most FWC_LINK_MAX_PAYLOAD)
 *   8  payload
 *   8+len u32 CRC-32 (IEEE 802.3, as zlib's crc32) of bytes 0 .. 8+len
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWC_LINK_MAGIC0	      0x4e /* 'N' */
#define FWC_LINK_MAGIC1	      0x54 /* 'T' */
#define FWC_LINK_VERSION      1
#define FWC_LINK_HEADER_SIZE  8
#define FWC_LINK_CRC_SIZE     4
#define FWC_LINK_MAX_PAYLOAD  4096
#define FWC_LINK_MAX_FRAME    (FWC_LINK_HEADER_SIZE + FWC_LINK_MAX_PAYLOAD + FWC_LINK_CRC_SIZE)
#define FWC_LINK_RESPONSE_BIT 0x80

typedef enum {
	FWC_LINK_OK = 0,
	FWC_LINK_ERR_ARGUMENT,	   /* NULL pointer, or a payload pointer NULL with a length */
	FWC_LINK_ERR_BUFFER_SMALL, /* encoder: the frame does not fit in the output buffer */
	FWC_LINK_ERR_TRUNCATED,	   /* fewer bytes than the header, or than header + length + CRC */
	FWC_LINK_ERR_BAD_MAGIC,	   /* the frame does not start with "NT" */
	FWC_LINK_ERR_BAD_VERSION,  /* version is not FWC_LINK_VERSION */
	FWC_LINK_ERR_TOO_LONG,	   /* payload length above FWC_LINK_MAX_PAYLOAD */
	FWC_LINK_ERR_BAD_CRC,	   /* the CRC-32 does not match */
	FWC_LINK_ERR_TRAILING,	   /* bytes after the CRC */
	FWC_LINK_ERR_NOT_REQUEST,  /* a request was expected: response bit set, or status != 0 */
	FWC_LINK_ERR_NOT_RESPONSE, /* a response was expected: response bit clear */
	FWC_LINK_ERR_WRONG_RESPONSE, /* the response answers another command */
} fwc_link_status;

#define FWC_LINK_STATUS_LAST FWC_LINK_ERR_WRONG_RESPONSE

const char *
fwc_link_strerror(int status);
/* the enum name ("FWC_LINK_ERR_BAD_CRC"), or NULL for an unknown value */
const char *
fwc_link_status_name(int status);

/* CRC-32 (reflected, polynomial 0xedb88320, init and final xor 0xffffffff); chainable:
 * pass 0 as @crc for the first block */
uint32_t
fwc_link_crc32(uint32_t crc, const uint8_t *data, size_t len);

typedef struct {
	uint8_t command; /* as on the wire, response bit included */
	uint16_t status;
	const uint8_t *payload; /* points into the decoded buffer; never NULL after a decode */
	uint16_t payload_len;
} fwc_link_frame;

/*
 * Checks the first FWC_LINK_HEADER_SIZE bytes of a frame (magic, version, length bound) and
 * returns in *@frame_len the size of the whole frame, so that a stream reader knows how much
 * more to read. @frame gets command, status and payload_len (payload stays NULL).
 */
int
fwc_link_header_parse(const uint8_t *hdr, size_t len, fwc_link_frame *frame, size_t *frame_len);

/* one whole frame in buf[0..len): header, length, CRC, no trailing byte */
int
fwc_link_decode(const uint8_t *buf, size_t len, fwc_link_frame *frame);

/* writes one frame into out[0..cap); *@out_len its size */
int
fwc_link_encode(uint8_t command,
		uint16_t status,
		const uint8_t *payload,
		size_t payload_len,
		uint8_t *out,
		size_t cap,
		size_t *out_len);

/* programmer side: a request frame (status 0, response bit clear) */
int
fwc_link_encode_request(uint8_t command,
			const uint8_t *payload,
			size_t payload_len,
			uint8_t *out,
			size_t cap,
			size_t *out_len);

/* programmer side: decodes a response and checks it answers @command */
int
fwc_link_decode_response(const uint8_t *buf, size_t len, uint8_t command, fwc_link_frame *frame);

/* target side: decodes a request (response bit clear, status 0) */
int
fwc_link_decode_request(const uint8_t *buf, size_t len, fwc_link_frame *frame);

/* little-endian helpers for payloads */
static inline uint16_t
fwc_link_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t
fwc_link_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline void
fwc_link_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void
fwc_link_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}
