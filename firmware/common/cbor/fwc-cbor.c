/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-cbor.h"

#include <string.h>

#define FWC_CBOR_MAJOR_UINT   0
#define FWC_CBOR_MAJOR_NINT   1
#define FWC_CBOR_MAJOR_BSTR   2
#define FWC_CBOR_MAJOR_TSTR   3
#define FWC_CBOR_MAJOR_ARRAY  4
#define FWC_CBOR_MAJOR_MAP    5
#define FWC_CBOR_MAJOR_TAG    6
#define FWC_CBOR_MAJOR_SIMPLE 7

#define FWC_CBOR_AI_1BYTE      24
#define FWC_CBOR_AI_8BYTE      27
#define FWC_CBOR_AI_INDEFINITE 31

const char *
fwc_cbor_strerror(int status)
{
	switch ((fwc_cbor_status)status) {
	case FWC_CBOR_OK:
		return "success";
	case FWC_CBOR_ERR_INVALID_ARG:
		return "invalid argument";
	case FWC_CBOR_ERR_BUFFER_FULL:
		return "CBOR output does not fit in the buffer";
	case FWC_CBOR_ERR_TRUNCATED:
		return "CBOR input is truncated inside an item head";
	case FWC_CBOR_ERR_LENGTH:
		return "CBOR length or element count goes beyond the end of the input";
	case FWC_CBOR_ERR_INDEFINITE:
		return "CBOR indefinite-length item or break code is not supported";
	case FWC_CBOR_ERR_RESERVED_AI:
		return "CBOR reserved additional information value (not well-formed)";
	case FWC_CBOR_ERR_NOT_SHORTEST:
		return "CBOR argument is not in its shortest form (not deterministic)";
	case FWC_CBOR_ERR_BAD_SIMPLE:
		return "CBOR two-byte simple value below 32 (not well-formed)";
	case FWC_CBOR_ERR_FLOAT:
		return "CBOR floating-point value is not allowed";
	case FWC_CBOR_ERR_BAD_UTF8:
		return "CBOR text string is not valid UTF-8";
	case FWC_CBOR_ERR_TOO_DEEP:
		return "CBOR nesting is too deep";
	case FWC_CBOR_ERR_TRAILING:
		return "CBOR input has trailing bytes after the item";
	case FWC_CBOR_ERR_MAP_ORDER:
		return "CBOR map keys are not in deterministic (bytewise) order";
	case FWC_CBOR_ERR_DUPLICATE_KEY:
		return "CBOR map has a duplicate key";
	case FWC_CBOR_ERR_TYPE:
		return "CBOR item is not of the expected type";
	case FWC_CBOR_ERR_RANGE:
		return "CBOR integer is out of range";
	}
	return "unknown CBOR error";
}

const char *
fwc_cbor_status_name(int status)
{
	switch ((fwc_cbor_status)status) {
	case FWC_CBOR_OK:
		return "FWC_CBOR_OK";
	case FWC_CBOR_ERR_INVALID_ARG:
		return "FWC_CBOR_ERR_INVALID_ARG";
	case FWC_CBOR_ERR_BUFFER_FULL:
		return "FWC_CBOR_ERR_BUFFER_FULL";
	case FWC_CBOR_ERR_TRUNCATED:
		return "FWC_CBOR_ERR_TRUNCATED";
	case FWC_CBOR_ERR_LENGTH:
		return "FWC_CBOR_ERR_LENGTH";
	case FWC_CBOR_ERR_INDEFINITE:
		return "FWC_CBOR_ERR_INDEFINITE";
	case FWC_CBOR_ERR_RESERVED_AI:
		return "FWC_CBOR_ERR_RESERVED_AI";
	case FWC_CBOR_ERR_NOT_SHORTEST:
		return "FWC_CBOR_ERR_NOT_SHORTEST";
	case FWC_CBOR_ERR_BAD_SIMPLE:
		return "FWC_CBOR_ERR_BAD_SIMPLE";
	case FWC_CBOR_ERR_FLOAT:
		return "FWC_CBOR_ERR_FLOAT";
	case FWC_CBOR_ERR_BAD_UTF8:
		return "FWC_CBOR_ERR_BAD_UTF8";
	case FWC_CBOR_ERR_TOO_DEEP:
		return "FWC_CBOR_ERR_TOO_DEEP";
	case FWC_CBOR_ERR_TRAILING:
		return "FWC_CBOR_ERR_TRAILING";
	case FWC_CBOR_ERR_MAP_ORDER:
		return "FWC_CBOR_ERR_MAP_ORDER";
	case FWC_CBOR_ERR_DUPLICATE_KEY:
		return "FWC_CBOR_ERR_DUPLICATE_KEY";
	case FWC_CBOR_ERR_TYPE:
		return "FWC_CBOR_ERR_TYPE";
	case FWC_CBOR_ERR_RANGE:
		return "FWC_CBOR_ERR_RANGE";
	}
	return NULL;
}

int
fwc_cbor_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	if (s == NULL)
		return len == 0;
	while (i < len) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xBF;
		size_t cont;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			cont = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			cont = 2;
			if (c == 0xE0)
				lo = 0xA0; /* overlong */
			else if (c == 0xED)
				hi = 0x9F; /* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			cont = 3;
			if (c == 0xF0)
				lo = 0x90; /* overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* above U+10FFFF */
		} else {
			return 0;
		}
		if (len - i - 1 < cont)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t k = 2; k <= cont; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
		}
		i += cont + 1;
	}
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* encoder */

void
fwc_cbor_writer_init(fwc_cbor_writer *w, uint8_t *buf, size_t cap)
{
	if (w == NULL)
		return;
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->error = (buf == NULL && cap != 0) ? FWC_CBOR_ERR_INVALID_ARG : FWC_CBOR_OK;
}

int
fwc_cbor_writer_status(const fwc_cbor_writer *w)
{
	if (w == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	return w->error;
}

static int
fwc_cbor_writer_fail(fwc_cbor_writer *w, int status)
{
	if (w->error == FWC_CBOR_OK)
		w->error = status;
	return w->error;
}

static int
fwc_cbor_append(fwc_cbor_writer *w, const uint8_t *data, size_t len)
{
	if (w->error != FWC_CBOR_OK)
		return w->error;
	if (w->buf == NULL) {
		/* counting only */
		if (len > SIZE_MAX - w->len)
			return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_BUFFER_FULL);
		w->len += len;
		return FWC_CBOR_OK;
	}
	if (w->len > w->cap || len > w->cap - w->len)
		return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_BUFFER_FULL);
	if (len > 0)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
	return FWC_CBOR_OK;
}

size_t
fwc_cbor_head_size(uint64_t arg)
{
	if (arg < 24)
		return 1;
	if (arg <= 0xFF)
		return 2;
	if (arg <= 0xFFFF)
		return 3;
	if (arg <= 0xFFFFFFFFu)
		return 5;
	return 9;
}

static int
fwc_cbor_write_head(fwc_cbor_writer *w, uint8_t major, uint64_t arg)
{
	uint8_t head[FWC_CBOR_HEAD_MAX];
	size_t n = fwc_cbor_head_size(arg);

	if (w == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	switch (n) {
	case 1:
		head[0] = (uint8_t)(major << 5 | arg);
		break;
	case 2:
		head[0] = (uint8_t)(major << 5 | 24);
		break;
	case 3:
		head[0] = (uint8_t)(major << 5 | 25);
		break;
	case 5:
		head[0] = (uint8_t)(major << 5 | 26);
		break;
	default:
		head[0] = (uint8_t)(major << 5 | 27);
		break;
	}
	for (size_t i = 1; i < n; i++)
		head[i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
	return fwc_cbor_append(w, head, n);
}

int
fwc_cbor_write_uint(fwc_cbor_writer *w, uint64_t value)
{
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_UINT, value);
}

int
fwc_cbor_write_nint(fwc_cbor_writer *w, uint64_t arg)
{
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_NINT, arg);
}

int
fwc_cbor_write_int(fwc_cbor_writer *w, int64_t value)
{
	if (value >= 0)
		return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_UINT, (uint64_t)value);
	/* -1 - value without overflow: ~value as unsigned */
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_NINT, ~(uint64_t)value);
}

int
fwc_cbor_write_bstr_header(fwc_cbor_writer *w, size_t len)
{
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_BSTR, len);
}

int
fwc_cbor_write_bstr(fwc_cbor_writer *w, const uint8_t *data, size_t len)
{
	if (w == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	if (data == NULL && len > 0)
		return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_INVALID_ARG);
	if (fwc_cbor_write_head(w, FWC_CBOR_MAJOR_BSTR, len) != FWC_CBOR_OK)
		return w->error;
	return fwc_cbor_append(w, data, len);
}

int
fwc_cbor_write_tstr(fwc_cbor_writer *w, const char *text, size_t len)
{
	if (w == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	if (text == NULL && len > 0)
		return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_INVALID_ARG);
	if (!fwc_cbor_utf8_valid((const uint8_t *)text, len))
		return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_BAD_UTF8);
	if (fwc_cbor_write_head(w, FWC_CBOR_MAJOR_TSTR, len) != FWC_CBOR_OK)
		return w->error;
	return fwc_cbor_append(w, (const uint8_t *)text, len);
}

int
fwc_cbor_write_array(fwc_cbor_writer *w, size_t count)
{
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_ARRAY, count);
}

int
fwc_cbor_write_map(fwc_cbor_writer *w, size_t pairs)
{
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_MAP, pairs);
}

int
fwc_cbor_write_tag(fwc_cbor_writer *w, uint64_t tag)
{
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_TAG, tag);
}

int
fwc_cbor_write_simple(fwc_cbor_writer *w, uint8_t value)
{
	if (w == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	if (value >= 24 && value < 32)
		return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_INVALID_ARG);
	/* values 32..255 take the one-byte extension, which is also the shortest form */
	return fwc_cbor_write_head(w, FWC_CBOR_MAJOR_SIMPLE, value);
}

int
fwc_cbor_write_bool(fwc_cbor_writer *w, bool value)
{
	return fwc_cbor_write_simple(w, value ? FWC_CBOR_SIMPLE_TRUE : FWC_CBOR_SIMPLE_FALSE);
}

int
fwc_cbor_write_null(fwc_cbor_writer *w)
{
	return fwc_cbor_write_simple(w, FWC_CBOR_SIMPLE_NULL);
}

int
fwc_cbor_write_undefined(fwc_cbor_writer *w)
{
	return fwc_cbor_write_simple(w, FWC_CBOR_SIMPLE_UNDEFINED);
}

int
fwc_cbor_write_raw(fwc_cbor_writer *w, const uint8_t *data, size_t len)
{
	if (w == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	if (data == NULL && len > 0)
		return fwc_cbor_writer_fail(w, FWC_CBOR_ERR_INVALID_ARG);
	return fwc_cbor_append(w, data, len);
}

/* ------------------------------------------------------------------------------------------ */
/* decoder */

typedef struct {
	uint8_t major;
	uint8_t ai;
	uint64_t arg; /* value, length, count, tag, simple value or float bits */
	size_t head_len;
} fwc_cbor_head;

void
fwc_cbor_reader_init(fwc_cbor_reader *r, const uint8_t *buf, size_t len, unsigned flags)
{
	if (r == NULL)
		return;
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->flags = flags;
	r->error = (buf == NULL && len != 0) ? FWC_CBOR_ERR_INVALID_ARG : FWC_CBOR_OK;
}

int
fwc_cbor_reader_status(const fwc_cbor_reader *r)
{
	if (r == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	return r->error;
}

size_t
fwc_cbor_reader_remaining(const fwc_cbor_reader *r)
{
	if (r == NULL || r->pos > r->len)
		return 0;
	return r->len - r->pos;
}

static int
fwc_cbor_reader_fail(fwc_cbor_reader *r, int status)
{
	if (r->error == FWC_CBOR_OK)
		r->error = status;
	return r->error;
}

int
fwc_cbor_read_end(fwc_cbor_reader *r)
{
	if (r == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	if (r->error != FWC_CBOR_OK)
		return r->error;
	if (r->pos != r->len)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TRAILING);
	return FWC_CBOR_OK;
}

/* decodes and checks the head at the reader's position without moving; never sets r->error */
static int
fwc_cbor_decode_head(const fwc_cbor_reader *r, fwc_cbor_head *h)
{
	size_t avail, n, rest;
	uint8_t ib;

	if (r->error != FWC_CBOR_OK)
		return r->error;
	if (r->pos >= r->len)
		return FWC_CBOR_ERR_TRUNCATED;
	avail = r->len - r->pos;
	ib = r->buf[r->pos];
	h->major = ib >> 5;
	h->ai = ib & 0x1F;
	h->arg = 0;

	if (h->ai < FWC_CBOR_AI_1BYTE) {
		h->arg = h->ai;
		h->head_len = 1;
	} else if (h->ai <= FWC_CBOR_AI_8BYTE) {
		n = (size_t)1 << (h->ai - FWC_CBOR_AI_1BYTE);
		if (avail - 1 < n)
			return FWC_CBOR_ERR_TRUNCATED;
		for (size_t i = 0; i < n; i++)
			h->arg = (h->arg << 8) | r->buf[r->pos + 1 + i];
		h->head_len = 1 + n;
	} else if (h->ai == FWC_CBOR_AI_INDEFINITE) {
		if (h->major == FWC_CBOR_MAJOR_UINT || h->major == FWC_CBOR_MAJOR_NINT ||
		    h->major == FWC_CBOR_MAJOR_TAG)
			return FWC_CBOR_ERR_RESERVED_AI;
		return FWC_CBOR_ERR_INDEFINITE;
	} else {
		return FWC_CBOR_ERR_RESERVED_AI;
	}

	if (h->major == FWC_CBOR_MAJOR_SIMPLE && h->ai > FWC_CBOR_AI_1BYTE) {
		/* half, single, double: a bit pattern, not an argument */
		if ((r->flags & FWC_CBOR_FLAG_ALLOW_FLOATS) == 0)
			return FWC_CBOR_ERR_FLOAT;
		return FWC_CBOR_OK;
	}
	if (h->major == FWC_CBOR_MAJOR_SIMPLE && h->ai == FWC_CBOR_AI_1BYTE) {
		if (h->arg < 32)
			return FWC_CBOR_ERR_BAD_SIMPLE;
		return FWC_CBOR_OK;
	}
	if (h->head_len > 1 && fwc_cbor_head_size(h->arg) != h->head_len)
		return FWC_CBOR_ERR_NOT_SHORTEST;

	rest = avail - h->head_len;
	switch (h->major) {
	case FWC_CBOR_MAJOR_BSTR:
	case FWC_CBOR_MAJOR_TSTR:
	case FWC_CBOR_MAJOR_ARRAY: /* every element takes at least one byte */
		if (h->arg > rest)
			return FWC_CBOR_ERR_LENGTH;
		break;
	case FWC_CBOR_MAJOR_MAP:
		if (h->arg > rest / 2)
			return FWC_CBOR_ERR_LENGTH;
		break;
	case FWC_CBOR_MAJOR_TAG:
		if (rest == 0)
			return FWC_CBOR_ERR_TRUNCATED;
		break;
	default:
		break;
	}
	return FWC_CBOR_OK;
}

static fwc_cbor_type
fwc_cbor_head_type(const fwc_cbor_head *h)
{
	if (h->major == FWC_CBOR_MAJOR_SIMPLE)
		return h->ai > FWC_CBOR_AI_1BYTE ? FWC_CBOR_TYPE_FLOAT : FWC_CBOR_TYPE_SIMPLE;
	return (fwc_cbor_type)h->major;
}

/* reads the head of the next item, which must be of @major, and gives its argument; sets the
 * sticky error */
static int
fwc_cbor_take_arg(fwc_cbor_reader *r, uint8_t major, uint64_t *arg)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || arg == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (h.major != major)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	r->pos += h.head_len;
	*arg = h.arg;
	return FWC_CBOR_OK;
}

int
fwc_cbor_peek_type(fwc_cbor_reader *r, fwc_cbor_type *type)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || type == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	*type = fwc_cbor_head_type(&h);
	return FWC_CBOR_OK;
}

int
fwc_cbor_read_uint(fwc_cbor_reader *r, uint64_t *value)
{
	return fwc_cbor_take_arg(r, FWC_CBOR_MAJOR_UINT, value);
}

int
fwc_cbor_read_nint(fwc_cbor_reader *r, uint64_t *arg)
{
	return fwc_cbor_take_arg(r, FWC_CBOR_MAJOR_NINT, arg);
}

int
fwc_cbor_read_int(fwc_cbor_reader *r, int64_t *value)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || value == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (h.major != FWC_CBOR_MAJOR_UINT && h.major != FWC_CBOR_MAJOR_NINT)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	if (h.arg > (uint64_t)INT64_MAX)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_RANGE);
	*value = h.major == FWC_CBOR_MAJOR_UINT ? (int64_t)h.arg : -1 - (int64_t)h.arg;
	r->pos += h.head_len;
	return FWC_CBOR_OK;
}

static int
fwc_cbor_read_string(fwc_cbor_reader *r, uint8_t major, const uint8_t **data, size_t *len)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || data == NULL || len == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (h.major != major)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	/* decode_head checked h.arg <= remaining after the head */
	if (major == FWC_CBOR_MAJOR_TSTR &&
	    !fwc_cbor_utf8_valid(r->buf + r->pos + h.head_len, (size_t)h.arg))
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_BAD_UTF8);
	*data = r->buf + r->pos + h.head_len;
	*len = (size_t)h.arg;
	r->pos += h.head_len + (size_t)h.arg;
	return FWC_CBOR_OK;
}

int
fwc_cbor_read_bstr(fwc_cbor_reader *r, const uint8_t **data, size_t *len)
{
	return fwc_cbor_read_string(r, FWC_CBOR_MAJOR_BSTR, data, len);
}

int
fwc_cbor_read_tstr(fwc_cbor_reader *r, const char **text, size_t *len)
{
	const uint8_t *data = NULL;
	int rc;

	if (text == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_read_string(r, FWC_CBOR_MAJOR_TSTR, &data, len);
	if (rc == FWC_CBOR_OK)
		*text = (const char *)data;
	return rc;
}

int
fwc_cbor_read_array(fwc_cbor_reader *r, size_t *count)
{
	uint64_t arg = 0;
	int rc;

	if (count == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_take_arg(r, FWC_CBOR_MAJOR_ARRAY, &arg);
	if (rc == FWC_CBOR_OK)
		*count = (size_t)arg;
	return rc;
}

int
fwc_cbor_read_map(fwc_cbor_reader *r, size_t *pairs)
{
	uint64_t arg = 0;
	int rc;

	if (pairs == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_take_arg(r, FWC_CBOR_MAJOR_MAP, &arg);
	if (rc == FWC_CBOR_OK)
		*pairs = (size_t)arg;
	return rc;
}

int
fwc_cbor_read_tag(fwc_cbor_reader *r, uint64_t *tag)
{
	return fwc_cbor_take_arg(r, FWC_CBOR_MAJOR_TAG, tag);
}

int
fwc_cbor_read_simple(fwc_cbor_reader *r, uint8_t *value)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || value == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (fwc_cbor_head_type(&h) != FWC_CBOR_TYPE_SIMPLE)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	*value = (uint8_t)h.arg;
	r->pos += h.head_len;
	return FWC_CBOR_OK;
}

int
fwc_cbor_read_bool(fwc_cbor_reader *r, bool *value)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || value == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (fwc_cbor_head_type(&h) != FWC_CBOR_TYPE_SIMPLE ||
	    (h.arg != FWC_CBOR_SIMPLE_FALSE && h.arg != FWC_CBOR_SIMPLE_TRUE))
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	*value = h.arg == FWC_CBOR_SIMPLE_TRUE;
	r->pos += h.head_len;
	return FWC_CBOR_OK;
}

int
fwc_cbor_read_null(fwc_cbor_reader *r)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (fwc_cbor_head_type(&h) != FWC_CBOR_TYPE_SIMPLE || h.arg != FWC_CBOR_SIMPLE_NULL)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	r->pos += h.head_len;
	return FWC_CBOR_OK;
}

int
fwc_cbor_read_float_bits(fwc_cbor_reader *r, uint64_t *bits, unsigned *size)
{
	fwc_cbor_head h;
	int rc;

	if (r == NULL || bits == NULL || size == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	rc = fwc_cbor_decode_head(r, &h);
	if (rc != FWC_CBOR_OK)
		return fwc_cbor_reader_fail(r, rc);
	if (fwc_cbor_head_type(&h) != FWC_CBOR_TYPE_FLOAT)
		return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TYPE);
	*bits = h.arg;
	*size = (unsigned)(h.head_len - 1);
	r->pos += h.head_len;
	return FWC_CBOR_OK;
}

/* one open array, map or tag while skipping */
typedef struct {
	uint64_t remaining; /* items still to read at this level */
	size_t key_start;   /* maps: offset of the key being read */
	size_t prev_key;    /* maps: offset and length of the previous key */
	size_t prev_key_len;
	bool is_map;
	bool have_prev;
} fwc_cbor_level;

/* an item at this level just ended at @end: checks key order, pops finished levels;
 * returns 1 when the outermost item is complete */
static int
fwc_cbor_item_done(fwc_cbor_reader *r, fwc_cbor_level *levels, size_t *depth, int *rc)
{
	while (*depth > 0) {
		fwc_cbor_level *top = &levels[*depth - 1];

		if (top->is_map && top->remaining % 2 == 0) {
			/* the item that ended was a key */
			const uint8_t *key = r->buf + top->key_start;
			size_t key_len = r->pos - top->key_start;

			if (top->have_prev) {
				const uint8_t *prev = r->buf + top->prev_key;
				size_t n = key_len < top->prev_key_len ? key_len
								       : top->prev_key_len;
				int cmp = memcmp(prev, key, n);

				if (cmp == 0 && key_len == top->prev_key_len) {
					*rc = FWC_CBOR_ERR_DUPLICATE_KEY;
					return 1;
				}
				if (cmp > 0 || (cmp == 0 && top->prev_key_len > key_len)) {
					*rc = FWC_CBOR_ERR_MAP_ORDER;
					return 1;
				}
			}
			top->prev_key = top->key_start;
			top->prev_key_len = key_len;
			top->have_prev = true;
		}
		top->remaining--;
		if (top->remaining > 0)
			return 0;
		(*depth)--;
	}
	*rc = FWC_CBOR_OK;
	return 1;
}

int
fwc_cbor_skip(fwc_cbor_reader *r)
{
	fwc_cbor_level levels[FWC_CBOR_MAX_DEPTH];
	size_t depth = 0;
	int rc = FWC_CBOR_OK;

	if (r == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	for (;;) {
		fwc_cbor_head h;
		bool container = false;

		if (depth > 0) {
			fwc_cbor_level *top = &levels[depth - 1];
			if (top->is_map && top->remaining % 2 == 0)
				top->key_start = r->pos;
		}
		rc = fwc_cbor_decode_head(r, &h);
		if (rc != FWC_CBOR_OK)
			return fwc_cbor_reader_fail(r, rc);

		switch (h.major) {
		case FWC_CBOR_MAJOR_BSTR:
		case FWC_CBOR_MAJOR_TSTR:
			if (h.major == FWC_CBOR_MAJOR_TSTR &&
			    !fwc_cbor_utf8_valid(r->buf + r->pos + h.head_len, (size_t)h.arg))
				return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_BAD_UTF8);
			r->pos += h.head_len + (size_t)h.arg;
			break;
		case FWC_CBOR_MAJOR_ARRAY:
		case FWC_CBOR_MAJOR_MAP:
		case FWC_CBOR_MAJOR_TAG:
			r->pos += h.head_len;
			if (h.major == FWC_CBOR_MAJOR_TAG || h.arg > 0) {
				if (depth >= FWC_CBOR_MAX_DEPTH)
					return fwc_cbor_reader_fail(r, FWC_CBOR_ERR_TOO_DEEP);
				levels[depth].is_map = h.major == FWC_CBOR_MAJOR_MAP;
				levels[depth].remaining = h.major == FWC_CBOR_MAJOR_TAG ? 1
							  : h.major == FWC_CBOR_MAJOR_MAP
							      ? 2 * h.arg
							      : h.arg;
				levels[depth].have_prev = false;
				levels[depth].key_start = 0;
				levels[depth].prev_key = 0;
				levels[depth].prev_key_len = 0;
				depth++;
				container = true;
			}
			break;
		default:
			r->pos += h.head_len;
			break;
		}
		if (container)
			continue;
		if (fwc_cbor_item_done(r, levels, &depth, &rc)) {
			if (rc != FWC_CBOR_OK)
				return fwc_cbor_reader_fail(r, rc);
			return FWC_CBOR_OK;
		}
	}
}

int
fwc_cbor_check_map(const fwc_cbor_reader *r)
{
	fwc_cbor_reader copy;
	fwc_cbor_type type;
	int rc;

	if (r == NULL)
		return FWC_CBOR_ERR_INVALID_ARG;
	copy = *r;
	rc = fwc_cbor_peek_type(&copy, &type);
	if (rc != FWC_CBOR_OK)
		return rc;
	if (type != FWC_CBOR_TYPE_MAP)
		return FWC_CBOR_ERR_TYPE;
	return fwc_cbor_skip(&copy);
}

int
fwc_cbor_validate(const uint8_t *buf, size_t len, unsigned flags)
{
	fwc_cbor_reader r;
	int rc;

	if (buf == NULL && len != 0)
		return FWC_CBOR_ERR_INVALID_ARG;
	fwc_cbor_reader_init(&r, buf, len, flags);
	rc = fwc_cbor_skip(&r);
	if (rc != FWC_CBOR_OK)
		return rc;
	return fwc_cbor_read_end(&r);
}
