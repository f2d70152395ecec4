/*
 * CBOR (RFC 8949) encoder and decoder for the subset NuSEC formats use: definite lengths only,
 * deterministic (shortest-form) encoding, UTF-8 checked text, bounded nesting. Portable C, no
 * heap, no GLib: the encoder writes into a caller buffer, the decoder returns pointers into the
 * input. See docs/formats/cbor-cose.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* deepest nesting of arrays, maps and tags fwc_cbor_skip() and fwc_cbor_validate() accept */
#define FWC_CBOR_MAX_DEPTH 16

/* longest head (initial byte + 8-byte argument) */
#define FWC_CBOR_HEAD_MAX 9

/* simple values (major type 7) */
#define FWC_CBOR_SIMPLE_FALSE	  20
#define FWC_CBOR_SIMPLE_TRUE	  21
#define FWC_CBOR_SIMPLE_NULL	  22
#define FWC_CBOR_SIMPLE_UNDEFINED 23

typedef enum {
	FWC_CBOR_OK = 0,
	FWC_CBOR_ERR_INVALID_ARG,   /* NULL pointer or an impossible argument */
	FWC_CBOR_ERR_BUFFER_FULL,   /* encoder: the item does not fit in the output buffer */
	FWC_CBOR_ERR_TRUNCATED,	    /* input ends inside a head */
	FWC_CBOR_ERR_LENGTH,	    /* string length or element count beyond the remaining input */
	FWC_CBOR_ERR_INDEFINITE,    /* indefinite length or "break" (additional info 31) */
	FWC_CBOR_ERR_RESERVED_AI,   /* additional info 28..30, or 31 on major type 0, 1 or 6 */
	FWC_CBOR_ERR_NOT_SHORTEST,  /* argument not in its shortest form (not deterministic) */
	FWC_CBOR_ERR_BAD_SIMPLE,    /* two-byte simple value below 32 (not well-formed) */
	FWC_CBOR_ERR_FLOAT,	    /* floating-point value where the format allows none */
	FWC_CBOR_ERR_BAD_UTF8,	    /* text string is not valid UTF-8 */
	FWC_CBOR_ERR_TOO_DEEP,	    /* nesting deeper than FWC_CBOR_MAX_DEPTH */
	FWC_CBOR_ERR_TRAILING,	    /* bytes after the item where one whole item was expected */
	FWC_CBOR_ERR_MAP_ORDER,	    /* map keys not in bytewise order of their encodings */
	FWC_CBOR_ERR_DUPLICATE_KEY, /* the same map key twice */
	FWC_CBOR_ERR_TYPE,	    /* the item is not of the type the caller asked for */
	FWC_CBOR_ERR_RANGE,	    /* integer does not fit the requested C type */
} fwc_cbor_status;

/* the last value of fwc_cbor_status, for tables and tests */
#define FWC_CBOR_STATUS_LAST FWC_CBOR_ERR_RANGE

const char *
fwc_cbor_strerror(int status);
/* the enum name ("FWC_CBOR_ERR_TRUNCATED"), or NULL for an unknown value */
const char *
fwc_cbor_status_name(int status);

typedef enum {
	FWC_CBOR_TYPE_UINT,   /* major 0 */
	FWC_CBOR_TYPE_NINT,   /* major 1: value is -1 - argument */
	FWC_CBOR_TYPE_BSTR,   /* major 2 */
	FWC_CBOR_TYPE_TSTR,   /* major 3 */
	FWC_CBOR_TYPE_ARRAY,  /* major 4 */
	FWC_CBOR_TYPE_MAP,    /* major 5 */
	FWC_CBOR_TYPE_TAG,    /* major 6 */
	FWC_CBOR_TYPE_SIMPLE, /* major 7, false/true/null/undefined and other simple values */
	FWC_CBOR_TYPE_FLOAT,  /* major 7, half/single/double (only with FWC_CBOR_FLAG_ALLOW_FLOATS)
			       */
} fwc_cbor_type;

/* ------------------------------------------------------------------------------------------ */
/* encoder */

/*
 * Writes into buf[0..cap). The first failure is sticky: every later call returns it and
 * writes nothing. With buf == NULL and cap == 0 the writer only counts (len is the size the
 * encoding would take), which sizes a buffer before the real pass.
 * Map keys are written in the order the caller gives: the caller keeps them in deterministic
 * order (RFC 8949 §4.2.1, bytewise order of the encoded keys).
 */
typedef struct {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int error;
} fwc_cbor_writer;

void
fwc_cbor_writer_init(fwc_cbor_writer *w, uint8_t *buf, size_t cap);
/* FWC_CBOR_OK or the first error */
int
fwc_cbor_writer_status(const fwc_cbor_writer *w);

/* size of the shortest head for an argument: 1, 2, 3, 5 or 9 */
size_t
fwc_cbor_head_size(uint64_t arg);

int
fwc_cbor_write_uint(fwc_cbor_writer *w, uint64_t value);
/* negative integer -1 - arg: arg = UINT64_MAX writes -18446744073709551616 */
int
fwc_cbor_write_nint(fwc_cbor_writer *w, uint64_t arg);
int
fwc_cbor_write_int(fwc_cbor_writer *w, int64_t value);
int
fwc_cbor_write_bstr(fwc_cbor_writer *w, const uint8_t *data, size_t len);
/* only the head of a byte string of @len bytes: the caller writes the bytes next
 * (fwc_cbor_write_raw or nested items, e.g. a bstr-wrapped map) */
int
fwc_cbor_write_bstr_header(fwc_cbor_writer *w, size_t len);
/* UTF-8 text, checked (FWC_CBOR_ERR_BAD_UTF8) */
int
fwc_cbor_write_tstr(fwc_cbor_writer *w, const char *text, size_t len);
int
fwc_cbor_write_array(fwc_cbor_writer *w, size_t count);
int
fwc_cbor_write_map(fwc_cbor_writer *w, size_t pairs);
int
fwc_cbor_write_tag(fwc_cbor_writer *w, uint64_t tag);
/* simple value 0..23 or 32..255 (24..31 are reserved: FWC_CBOR_ERR_INVALID_ARG) */
int
fwc_cbor_write_simple(fwc_cbor_writer *w, uint8_t value);
int
fwc_cbor_write_bool(fwc_cbor_writer *w, bool value);
int
fwc_cbor_write_null(fwc_cbor_writer *w);
int
fwc_cbor_write_undefined(fwc_cbor_writer *w);
/* already-encoded bytes, copied as they are */
int
fwc_cbor_write_raw(fwc_cbor_writer *w, const uint8_t *data, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* decoder */

/* accept half/single/double floats (RFC 8949 Appendix A tests only; NuSEC formats reject them) */
#define FWC_CBOR_FLAG_ALLOW_FLOATS (1u << 0)

/*
 * Reads buf[0..len). Every read checks the head completely (shortest form, no indefinite
 * length, no reserved value, length within the input) before it moves. The first failure is
 * sticky: every later call returns it and the position no longer moves.
 */
typedef struct {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	unsigned flags;
	int error;
} fwc_cbor_reader;

void
fwc_cbor_reader_init(fwc_cbor_reader *r, const uint8_t *buf, size_t len, unsigned flags);
/* FWC_CBOR_OK or the first error */
int
fwc_cbor_reader_status(const fwc_cbor_reader *r);
size_t
fwc_cbor_reader_remaining(const fwc_cbor_reader *r);
/* FWC_CBOR_OK when the whole input has been consumed, FWC_CBOR_ERR_TRAILING otherwise */
int
fwc_cbor_read_end(fwc_cbor_reader *r);

/* the type of the next item, without consuming it (its head is fully checked) */
int
fwc_cbor_peek_type(fwc_cbor_reader *r, fwc_cbor_type *type);

int
fwc_cbor_read_uint(fwc_cbor_reader *r, uint64_t *value);
/* a negative integer: the value is -1 - *arg (so -18446744073709551616 is arg UINT64_MAX) */
int
fwc_cbor_read_nint(fwc_cbor_reader *r, uint64_t *arg);
/* an unsigned or negative integer that fits int64_t (else FWC_CBOR_ERR_RANGE) */
int
fwc_cbor_read_int(fwc_cbor_reader *r, int64_t *value);
/* pointer into the input, no copy; *data is never NULL on success (may point at the end) */
int
fwc_cbor_read_bstr(fwc_cbor_reader *r, const uint8_t **data, size_t *len);
/* UTF-8 checked text, NOT NUL-terminated: pointer into the input */
int
fwc_cbor_read_tstr(fwc_cbor_reader *r, const char **text, size_t *len);
/* element count; the elements follow */
int
fwc_cbor_read_array(fwc_cbor_reader *r, size_t *count);
/* number of key/value pairs; 2 * pairs items follow */
int
fwc_cbor_read_map(fwc_cbor_reader *r, size_t *pairs);
int
fwc_cbor_read_tag(fwc_cbor_reader *r, uint64_t *tag);
/* any simple value (20 false, 21 true, 22 null, 23 undefined, others unassigned) */
int
fwc_cbor_read_simple(fwc_cbor_reader *r, uint8_t *value);
int
fwc_cbor_read_bool(fwc_cbor_reader *r, bool *value);
int
fwc_cbor_read_null(fwc_cbor_reader *r);
/* a float as its IEEE 754 bit pattern; *size is 2, 4 or 8 bytes. Needs
 * FWC_CBOR_FLAG_ALLOW_FLOATS (else FWC_CBOR_ERR_FLOAT, like every other read of a float) */
int
fwc_cbor_read_float_bits(fwc_cbor_reader *r, uint64_t *bits, unsigned *size);

/*
 * Skips one whole item (arrays, maps and tags included) without recursion, at most
 * FWC_CBOR_MAX_DEPTH levels deep, checking everything the reads check, including that every
 * map met has its keys in strictly increasing bytewise order (deterministic encoding).
 */
int
fwc_cbor_skip(fwc_cbor_reader *r);

/*
 * The map at the reader's position: checks that it is well-formed and that its keys (and
 * those of every nested map) are strictly ordered by their encoded bytes, RFC 8949 §4.2.1.
 * Does not move the reader. FWC_CBOR_ERR_TYPE if the next item is not a map.
 */
int
fwc_cbor_check_map(const fwc_cbor_reader *r);

/* buf holds exactly one well-formed, deterministic item and nothing after it */
int
fwc_cbor_validate(const uint8_t *buf, size_t len, unsigned flags);

/* 1 if text[0..len) is valid UTF-8 (no overlong form, no surrogate, at most U+10FFFF) */
int
fwc_cbor_utf8_valid(const uint8_t *text, size_t len);
