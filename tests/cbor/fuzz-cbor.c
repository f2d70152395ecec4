/*
 * libFuzzer harness for the CBOR decoder. Besides "no crash, no out-of-bounds read", it checks
 * two properties and aborts when they fail:
 *  - the streaming reads agree with fwc_cbor_validate (same verdict, same status);
 *  - an accepted (deterministic) input re-encodes to exactly the same bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwc-cbor.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* decode with the typed reads and re-encode; recursion is bounded by depth */
static int
fuzz_walk(fwc_cbor_reader *r, fwc_cbor_writer *w, unsigned depth)
{
	fwc_cbor_type type;
	int rc;

	if (depth > FWC_CBOR_MAX_DEPTH)
		return FWC_CBOR_ERR_TOO_DEEP;
	rc = fwc_cbor_peek_type(r, &type);
	if (rc != FWC_CBOR_OK)
		return rc;
	switch (type) {
	case FWC_CBOR_TYPE_UINT: {
		uint64_t v;
		if ((rc = fwc_cbor_read_uint(r, &v)) != FWC_CBOR_OK)
			return rc;
		return fwc_cbor_write_uint(w, v);
	}
	case FWC_CBOR_TYPE_NINT: {
		uint64_t v;
		if ((rc = fwc_cbor_read_nint(r, &v)) != FWC_CBOR_OK)
			return rc;
		return fwc_cbor_write_nint(w, v);
	}
	case FWC_CBOR_TYPE_BSTR: {
		const uint8_t *p;
		size_t len;
		if ((rc = fwc_cbor_read_bstr(r, &p, &len)) != FWC_CBOR_OK)
			return rc;
		return fwc_cbor_write_bstr(w, p, len);
	}
	case FWC_CBOR_TYPE_TSTR: {
		const char *p;
		size_t len;
		if ((rc = fwc_cbor_read_tstr(r, &p, &len)) != FWC_CBOR_OK)
			return rc;
		return fwc_cbor_write_tstr(w, p, len);
	}
	case FWC_CBOR_TYPE_ARRAY:
	case FWC_CBOR_TYPE_MAP: {
		size_t n, items;
		if (type == FWC_CBOR_TYPE_MAP) {
			if ((rc = fwc_cbor_check_map(r)) != FWC_CBOR_OK)
				return rc;
			if ((rc = fwc_cbor_read_map(r, &n)) != FWC_CBOR_OK)
				return rc;
			fwc_cbor_write_map(w, n);
			items = 2 * n;
		} else {
			if ((rc = fwc_cbor_read_array(r, &n)) != FWC_CBOR_OK)
				return rc;
			fwc_cbor_write_array(w, n);
			items = n;
		}
		for (size_t i = 0; i < items; i++) {
			if ((rc = fuzz_walk(r, w, depth + 1)) != FWC_CBOR_OK)
				return rc;
		}
		return fwc_cbor_writer_status(w);
	}
	case FWC_CBOR_TYPE_TAG: {
		uint64_t tag;
		if ((rc = fwc_cbor_read_tag(r, &tag)) != FWC_CBOR_OK)
			return rc;
		fwc_cbor_write_tag(w, tag);
		return fuzz_walk(r, w, depth + 1);
	}
	case FWC_CBOR_TYPE_SIMPLE: {
		uint8_t v;
		if ((rc = fwc_cbor_read_simple(r, &v)) != FWC_CBOR_OK)
			return rc;
		return fwc_cbor_write_simple(w, v);
	}
	case FWC_CBOR_TYPE_FLOAT:
		/* not reachable without FWC_CBOR_FLAG_ALLOW_FLOATS */
		abort();
	}
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	fwc_cbor_reader r;
	fwc_cbor_writer w;
	int verdict, rc;

	verdict = fwc_cbor_validate(data, size, 0);
	if (fwc_cbor_strerror(verdict) == NULL)
		abort();

	/* the float-accepting reader accepts a superset */
	rc = fwc_cbor_validate(data, size, FWC_CBOR_FLAG_ALLOW_FLOATS);
	if (verdict == FWC_CBOR_OK && rc != FWC_CBOR_OK)
		abort();

	if (verdict != FWC_CBOR_OK || size > sizeof(out))
		return 0;

	/* typed reads accept what validate accepts, and re-encode to the same bytes */
	fwc_cbor_reader_init(&r, data, size, 0);
	fwc_cbor_writer_init(&w, out, sizeof(out));
	rc = fuzz_walk(&r, &w, 0);
	if (rc != FWC_CBOR_OK || fwc_cbor_read_end(&r) != FWC_CBOR_OK)
		abort();
	if (w.len != size || memcmp(out, data, size) != 0)
		abort();

	/* the counting writer agrees on the size */
	fwc_cbor_reader_init(&r, data, size, 0);
	fwc_cbor_writer_init(&w, NULL, 0);
	if (fuzz_walk(&r, &w, 0) != FWC_CBOR_OK || w.len != size)
		abort();
	return 0;
}
