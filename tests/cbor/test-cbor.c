/*
 * CBOR codec tests: every RFC 8949 Appendix A example (decoded to diagnostic notation that is
 * compared with the RFC's, and re-encoded to the exact bytes), the deterministic-encoding
 * rules, every rejection with its specific status, and the bad-input corpus.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwc-cbor.h"
#include "nusec-test-corpus.h"

static GByteArray *
hex_to_bytes(const gchar *hex)
{
	GByteArray *out = g_byte_array_new();
	gsize len = strlen(hex);

	g_assert_cmpuint(len % 2, ==, 0);
	for (gsize i = 0; i < len; i += 2) {
		gint hi = g_ascii_xdigit_value(hex[i]);
		gint lo = g_ascii_xdigit_value(hex[i + 1]);
		guint8 b;
		g_assert_cmpint(hi, >=, 0);
		g_assert_cmpint(lo, >=, 0);
		b = (guint8)(hi << 4 | lo);
		g_byte_array_append(out, &b, 1);
	}
	return out;
}

static gchar *
bytes_to_hex(const guint8 *data, gsize len)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", data[i]);
	return g_string_free(s, FALSE);
}

static double
half_to_double(uint16_t h)
{
	int exp = (h >> 10) & 0x1f;
	int mant = h & 0x3ff;
	double val;

	if (exp == 0)
		val = ldexp(mant, -24);
	else if (exp != 31)
		val = ldexp(mant + 1024, exp - 25);
	else
		val = mant == 0 ? INFINITY : NAN;
	return (h & 0x8000) ? -val : val;
}

static double
float_bits_to_double(uint64_t bits, unsigned size)
{
	if (size == 2)
		return half_to_double((uint16_t)bits);
	if (size == 4) {
		uint32_t b32 = (uint32_t)bits;
		float f;
		memcpy(&f, &b32, sizeof(f));
		return f;
	} else {
		double d;
		memcpy(&d, &bits, sizeof(d));
		return d;
	}
}

/* the shortest decimal digits that read back as @d (like Python's repr): *digits gets
 * them without a dot, the return value is the decimal exponent of the first digit */
static int
shortest_digits(double d, gchar *digits, gsize size)
{
	gchar exact[80];
	gchar mant[64];
	gsize nmant = 0;
	int exp10;
	gchar *e;

	g_snprintf(exact, sizeof(exact), "%.40e", fabs(d));
	e = strchr(exact, 'e');
	g_assert_nonnull(e);
	exp10 = atoi(e + 1);
	for (gchar *c = exact; c < e; c++) {
		if (g_ascii_isdigit(*c))
			mant[nmant++] = *c;
	}
	for (gsize p = 1; p <= 17; p++) {
		gchar up[64];
		int up_exp = exp10;
		gboolean prefer_up = mant[p] >= '5';

		/* round-up candidate: increment the p-th digit with carry */
		memcpy(up, mant, p);
		for (gssize i = (gssize)p - 1; i >= 0; i--) {
			if (up[i] != '9') {
				up[i]++;
				break;
			}
			up[i] = '0';
			if (i == 0) {
				memmove(up + 1, up, p);
				up[0] = '1';
				up_exp++;
			}
		}
		for (int k = 0; k < 2; k++) {
			gboolean use_up = k == 0 ? prefer_up : !prefer_up;
			const gchar *cand = use_up ? up : mant;
			int cexp = use_up ? up_exp : exp10;
			gchar txt[96];
			g_snprintf(txt,
				   sizeof(txt),
				   "%c.%.*se%d",
				   cand[0],
				   (int)p - 1,
				   cand + 1,
				   cexp);
			if (g_ascii_strtod(txt, NULL) == fabs(d)) {
				g_assert_cmpuint(p, <, size);
				memcpy(digits, cand, p);
				digits[p] = '\0';
				return cexp;
			}
		}
	}
	g_assert_not_reached();
}

/* diagnostic notation of a double as RFC 8949 Appendix A writes it (like Python's repr:
 * shortest round-trip digits, exponent form outside 1e-4..1e16) */
static void
append_double(GString *s, double d)
{
	gchar digits[32];
	int exp10;
	gsize n;

	if (isnan(d)) {
		g_string_append(s, "NaN");
		return;
	}
	if (isinf(d)) {
		g_string_append(s, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (signbit(d))
		g_string_append_c(s, '-');
	if (d == 0) {
		g_string_append(s, "0.0");
		return;
	}
	exp10 = shortest_digits(d, digits, sizeof(digits));
	n = strlen(digits);
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			g_string_append(s, "0.");
			for (int i = -1; i > exp10; i--)
				g_string_append_c(s, '0');
			g_string_append(s, digits);
		} else if ((gsize)exp10 + 1 >= n) {
			g_string_append(s, digits);
			for (gsize i = n; i < (gsize)exp10 + 1; i++)
				g_string_append_c(s, '0');
			g_string_append(s, ".0");
		} else {
			g_string_append_len(s, digits, exp10 + 1);
			g_string_append_c(s, '.');
			g_string_append(s, digits + exp10 + 1);
		}
		return;
	}
	g_string_append_c(s, digits[0]);
	g_string_append_c(s, '.');
	g_string_append(s, n > 1 ? digits + 1 : "0");
	g_string_append_printf(s, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
}

/*
 * Decodes one item with the reader API into diagnostic notation and re-encodes it with the
 * writer API at the same time. Returns the first CBOR status.
 */
static int
walk_item(fwc_cbor_reader *r, fwc_cbor_writer *w, GString *diag, guint depth)
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
		rc = fwc_cbor_read_uint(r, &v);
		if (rc != FWC_CBOR_OK)
			return rc;
		g_string_append_printf(diag, "%" G_GUINT64_FORMAT, v);
		return fwc_cbor_write_uint(w, v);
	}
	case FWC_CBOR_TYPE_NINT: {
		uint64_t arg;
		rc = fwc_cbor_read_nint(r, &arg);
		if (rc != FWC_CBOR_OK)
			return rc;
		if (arg == G_MAXUINT64)
			g_string_append(diag, "-18446744073709551616");
		else
			g_string_append_printf(diag, "-%" G_GUINT64_FORMAT, arg + 1);
		return fwc_cbor_write_nint(w, arg);
	}
	case FWC_CBOR_TYPE_BSTR: {
		const uint8_t *data;
		size_t len;
		g_autofree gchar *hex = NULL;
		rc = fwc_cbor_read_bstr(r, &data, &len);
		if (rc != FWC_CBOR_OK)
			return rc;
		hex = bytes_to_hex(data, len);
		g_string_append_printf(diag, "h'%s'", hex);
		return fwc_cbor_write_bstr(w, data, len);
	}
	case FWC_CBOR_TYPE_TSTR: {
		const char *text;
		size_t len;
		rc = fwc_cbor_read_tstr(r, &text, &len);
		if (rc != FWC_CBOR_OK)
			return rc;
		g_string_append_c(diag, '"');
		for (size_t i = 0; i < len; i++) {
			if (text[i] == '"' || text[i] == '\\')
				g_string_append_c(diag, '\\');
			g_string_append_c(diag, text[i]);
		}
		g_string_append_c(diag, '"');
		return fwc_cbor_write_tstr(w, text, len);
	}
	case FWC_CBOR_TYPE_ARRAY: {
		size_t count;
		rc = fwc_cbor_read_array(r, &count);
		if (rc != FWC_CBOR_OK)
			return rc;
		fwc_cbor_write_array(w, count);
		g_string_append_c(diag, '[');
		for (size_t i = 0; i < count; i++) {
			if (i > 0)
				g_string_append(diag, ", ");
			rc = walk_item(r, w, diag, depth + 1);
			if (rc != FWC_CBOR_OK)
				return rc;
		}
		g_string_append_c(diag, ']');
		return fwc_cbor_writer_status(w);
	}
	case FWC_CBOR_TYPE_MAP: {
		size_t pairs;
		rc = fwc_cbor_check_map(r);
		if (rc != FWC_CBOR_OK)
			return rc;
		rc = fwc_cbor_read_map(r, &pairs);
		if (rc != FWC_CBOR_OK)
			return rc;
		fwc_cbor_write_map(w, pairs);
		g_string_append_c(diag, '{');
		for (size_t i = 0; i < pairs; i++) {
			if (i > 0)
				g_string_append(diag, ", ");
			rc = walk_item(r, w, diag, depth + 1);
			if (rc != FWC_CBOR_OK)
				return rc;
			g_string_append(diag, ": ");
			rc = walk_item(r, w, diag, depth + 1);
			if (rc != FWC_CBOR_OK)
				return rc;
		}
		g_string_append_c(diag, '}');
		return fwc_cbor_writer_status(w);
	}
	case FWC_CBOR_TYPE_TAG: {
		uint64_t tag;
		rc = fwc_cbor_read_tag(r, &tag);
		if (rc != FWC_CBOR_OK)
			return rc;
		fwc_cbor_write_tag(w, tag);
		g_string_append_printf(diag, "%" G_GUINT64_FORMAT "(", tag);
		rc = walk_item(r, w, diag, depth + 1);
		if (rc != FWC_CBOR_OK)
			return rc;
		g_string_append_c(diag, ')');
		return fwc_cbor_writer_status(w);
	}
	case FWC_CBOR_TYPE_SIMPLE: {
		uint8_t v;
		rc = fwc_cbor_read_simple(r, &v);
		if (rc != FWC_CBOR_OK)
			return rc;
		if (v == FWC_CBOR_SIMPLE_FALSE)
			g_string_append(diag, "false");
		else if (v == FWC_CBOR_SIMPLE_TRUE)
			g_string_append(diag, "true");
		else if (v == FWC_CBOR_SIMPLE_NULL)
			g_string_append(diag, "null");
		else if (v == FWC_CBOR_SIMPLE_UNDEFINED)
			g_string_append(diag, "undefined");
		else
			g_string_append_printf(diag, "simple(%u)", v);
		return fwc_cbor_write_simple(w, v);
	}
	case FWC_CBOR_TYPE_FLOAT: {
		uint64_t bits;
		unsigned size;
		uint8_t raw[9];
		rc = fwc_cbor_read_float_bits(r, &bits, &size);
		if (rc != FWC_CBOR_OK)
			return rc;
		append_double(diag, float_bits_to_double(bits, size));
		/* the encoder has no float API (NuSEC formats have no floats): copy the bits */
		raw[0] = size == 2 ? 0xf9 : size == 4 ? 0xfa : 0xfb;
		for (unsigned i = 0; i < size; i++)
			raw[1 + i] = (uint8_t)(bits >> (8 * (size - 1 - i)));
		return fwc_cbor_write_raw(w, raw, 1 + size);
	}
	}
	return FWC_CBOR_ERR_TYPE;
}

typedef struct {
	const gchar *hex;
	const gchar *diag; /* RFC 8949 Appendix A diagnostic notation */
	gboolean has_float;
} AppendixAVector;

/* RFC 8949 Appendix A, Table 6, in order (all the definite-length, well-formed examples) */
static const AppendixAVector appendix_a[] = {
    {"00", "0"},
    {"01", "1"},
    {"0a", "10"},
    {"17", "23"},
    {"1818", "24"},
    {"1819", "25"},
    {"1864", "100"},
    {"1903e8", "1000"},
    {"1a000f4240", "1000000"},
    {"1b000000e8d4a51000", "1000000000000"},
    {"1bffffffffffffffff", "18446744073709551615"},
    /* bignums: tag 2 / tag 3 + byte string */
    {"c249010000000000000000", "2(h'010000000000000000')"},
    {"3bffffffffffffffff", "-18446744073709551616"},
    {"c349010000000000000000", "3(h'010000000000000000')"},
    {"20", "-1"},
    {"29", "-10"},
    {"3863", "-100"},
    {"3903e7", "-1000"},
    {"f90000", "0.0", TRUE},
    {"f98000", "-0.0", TRUE},
    {"f93c00", "1.0", TRUE},
    {"fb3ff199999999999a", "1.1", TRUE},
    {"f93e00", "1.5", TRUE},
    {"f97bff", "65504.0", TRUE},
    {"fa47c35000", "100000.0", TRUE},
    {"fa7f7fffff", "3.4028234663852886e+38", TRUE},
    {"fb7e37e43c8800759c", "1.0e+300", TRUE},
    {"f90001", "5.960464477539063e-08", TRUE},
    {"f90400", "6.103515625e-05", TRUE},
    {"f9c400", "-4.0", TRUE},
    {"fbc010666666666666", "-4.1", TRUE},
    {"f97c00", "Infinity", TRUE},
    {"f97e00", "NaN", TRUE},
    {"f9fc00", "-Infinity", TRUE},
    {"fa7f800000", "Infinity", TRUE},
    {"fa7fc00000", "NaN", TRUE},
    {"faff800000", "-Infinity", TRUE},
    {"fb7ff0000000000000", "Infinity", TRUE},
    {"fb7ff8000000000000", "NaN", TRUE},
    {"fbfff0000000000000", "-Infinity", TRUE},
    {"f4", "false"},
    {"f5", "true"},
    {"f6", "null"},
    {"f7", "undefined"},
    {"f0", "simple(16)"},
    {"f8ff", "simple(255)"},
    {"c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")"},
    {"c11a514b67b0", "1(1363896240)"},
    {"c1fb41d452d9ec200000", "1(1363896240.5)", TRUE},
    {"d74401020304", "23(h'01020304')"},
    {"d818456449455446", "24(h'6449455446')"},
    {"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")"},
    {"40", "h''"},
    {"4401020304", "h'01020304'"},
    {"60", "\"\""},
    {"6161", "\"a\""},
    {"6449455446", "\"IETF\""},
    {"62225c", "\"\\\"\\\\\""},
    {"62c3bc", "\"\xc3\xbc\""},
    {"63e6b0b4", "\"\xe6\xb0\xb4\""},
    {"64f0908591", "\"\xf0\x90\x85\x91\""},
    {"80", "[]"},
    {"83010203", "[1, 2, 3]"},
    {"8301820203820405", "[1, [2, 3], [4, 5]]"},
    {"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
     "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, "
     "25]"},
    {"a0", "{}"},
    {"a201020304", "{1: 2, 3: 4}"},
    {"a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}"},
    {"826161a161626163", "[\"a\", {\"b\": \"c\"}]"},
    {"a56161614161626142616361436164614461656145",
     "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}"},
};

/* RFC 8949 Appendix A indefinite-length examples: outside the subset, rejected */
static const gchar *appendix_a_indefinite[] = {
    "5f42010243030405ff",
    "7f657374726561646d696e67ff",
    "9fff",
    "9f018202039f0405ffff",
    "9f01820203820405ff",
    "83018202039f0405ff",
    "83019f0203ff820405",
    "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
    "bf61610161629f0203ffff",
    "826161bf61626163ff",
    "bf6346756ef563416d7421ff",
};

static void
test_cbor_appendix_a(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(appendix_a); i++) {
		const AppendixAVector *v = &appendix_a[i];
		g_autoptr(GByteArray) in = hex_to_bytes(v->hex);
		g_autoptr(GString) diag = g_string_new(NULL);
		guint8 out[64];
		fwc_cbor_reader r;
		fwc_cbor_writer w;
		int rc;

		g_test_message("Appendix A: %s", v->hex);
		/* decode + re-encode */
		fwc_cbor_reader_init(&r, in->data, in->len, FWC_CBOR_FLAG_ALLOW_FLOATS);
		fwc_cbor_writer_init(&w, out, sizeof(out));
		rc = walk_item(&r, &w, diag, 0);
		g_assert_cmpstr(fwc_cbor_status_name(rc), ==, "FWC_CBOR_OK");
		g_assert_cmpint(fwc_cbor_read_end(&r), ==, FWC_CBOR_OK);
		g_assert_cmpstr(diag->str, ==, v->diag);
		g_assert_cmpmem(out, w.len, in->data, in->len);

		/* counting writer agrees on the size */
		{
			g_autoptr(GString) diag2 = g_string_new(NULL);
			fwc_cbor_writer wc;
			fwc_cbor_reader_init(&r, in->data, in->len, FWC_CBOR_FLAG_ALLOW_FLOATS);
			fwc_cbor_writer_init(&wc, NULL, 0);
			g_assert_cmpint(walk_item(&r, &wc, diag2, 0), ==, FWC_CBOR_OK);
			g_assert_cmpuint(wc.len, ==, in->len);
		}

		/* skip and validate */
		fwc_cbor_reader_init(&r, in->data, in->len, FWC_CBOR_FLAG_ALLOW_FLOATS);
		g_assert_cmpint(fwc_cbor_skip(&r), ==, FWC_CBOR_OK);
		g_assert_cmpuint(r.pos, ==, in->len);
		g_assert_cmpint(fwc_cbor_validate(in->data, in->len, FWC_CBOR_FLAG_ALLOW_FLOATS),
				==,
				FWC_CBOR_OK);
		/* our formats reject floats */
		g_assert_cmpint(fwc_cbor_validate(in->data, in->len, 0),
				==,
				v->has_float ? FWC_CBOR_ERR_FLOAT : FWC_CBOR_OK);

		/* every proper prefix is rejected, never read past */
		for (guint n = 0; n < in->len; n++) {
			g_autofree guint8 *copy = g_memdup2(in->data, n);
			rc = fwc_cbor_validate(n > 0 ? copy : NULL, n, FWC_CBOR_FLAG_ALLOW_FLOATS);
			g_assert_true(rc == FWC_CBOR_ERR_TRUNCATED || rc == FWC_CBOR_ERR_LENGTH);
		}
	}
}

static void
test_cbor_appendix_a_floats(void)
{
	/* the bit patterns themselves, independently of the printing */
	struct {
		const gchar *hex;
		uint64_t bits;
		unsigned size;
	} v[] = {
	    {"f93c00", 0x3c00, 2},
	    {"fa47c35000", 0x47c35000, 4},
	    {"fb3ff199999999999a", 0x3ff199999999999aULL, 8},
	};
	for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
		g_autoptr(GByteArray) in = hex_to_bytes(v[i].hex);
		fwc_cbor_reader r;
		fwc_cbor_type type;
		uint64_t bits = 0;
		unsigned size = 0;

		fwc_cbor_reader_init(&r, in->data, in->len, FWC_CBOR_FLAG_ALLOW_FLOATS);
		g_assert_cmpint(fwc_cbor_peek_type(&r, &type), ==, FWC_CBOR_OK);
		g_assert_cmpint(type, ==, FWC_CBOR_TYPE_FLOAT);
		g_assert_cmpint(fwc_cbor_read_float_bits(&r, &bits, &size), ==, FWC_CBOR_OK);
		g_assert_cmphex(bits, ==, v[i].bits);
		g_assert_cmpuint(size, ==, v[i].size);
		g_assert_cmpint(fwc_cbor_read_end(&r), ==, FWC_CBOR_OK);

		/* without the flag: rejected by peek, read and skip alike */
		fwc_cbor_reader_init(&r, in->data, in->len, 0);
		g_assert_cmpint(fwc_cbor_peek_type(&r, &type), ==, FWC_CBOR_ERR_FLOAT);
		fwc_cbor_reader_init(&r, in->data, in->len, 0);
		g_assert_cmpint(fwc_cbor_read_float_bits(&r, &bits, &size), ==, FWC_CBOR_ERR_FLOAT);
		fwc_cbor_reader_init(&r, in->data, in->len, 0);
		g_assert_cmpint(fwc_cbor_skip(&r), ==, FWC_CBOR_ERR_FLOAT);
	}
}

static void
test_cbor_appendix_a_indefinite(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(appendix_a_indefinite); i++) {
		g_autoptr(GByteArray) in = hex_to_bytes(appendix_a_indefinite[i]);
		g_assert_cmpstr(
		    fwc_cbor_status_name(
			fwc_cbor_validate(in->data, in->len, FWC_CBOR_FLAG_ALLOW_FLOATS)),
		    ==,
		    "FWC_CBOR_ERR_INDEFINITE");
	}
}

static void
test_cbor_simple24(void)
{
	/* RFC 7049 listed simple(24) as f818; RFC 8949 (erratum 5917) makes it not
	 * well-formed: a two-byte simple value must be 32..255 */
	const guint8 in[] = {0xf8, 0x18};
	const guint8 in31[] = {0xf8, 0x1f};
	const guint8 in32[] = {0xf8, 0x20};
	guint8 out[4];
	fwc_cbor_writer w;

	g_assert_cmpint(fwc_cbor_validate(in, sizeof(in), 0), ==, FWC_CBOR_ERR_BAD_SIMPLE);
	g_assert_cmpint(fwc_cbor_validate(in31, sizeof(in31), 0), ==, FWC_CBOR_ERR_BAD_SIMPLE);
	g_assert_cmpint(fwc_cbor_validate(in32, sizeof(in32), 0), ==, FWC_CBOR_OK);
	fwc_cbor_writer_init(&w, out, sizeof(out));
	g_assert_cmpint(fwc_cbor_write_simple(&w, 24), ==, FWC_CBOR_ERR_INVALID_ARG);
	fwc_cbor_writer_init(&w, out, sizeof(out));
	g_assert_cmpint(fwc_cbor_write_simple(&w, 32), ==, FWC_CBOR_OK);
	g_assert_cmpmem(out, w.len, in32, sizeof(in32));
}

typedef int (*WriteU64Func)(fwc_cbor_writer *w, uint64_t v);

static void
check_encoding(WriteU64Func func, uint64_t v, const gchar *hex)
{
	g_autoptr(GByteArray) expect = hex_to_bytes(hex);
	guint8 out[16];
	fwc_cbor_writer w;

	fwc_cbor_writer_init(&w, out, sizeof(out));
	g_assert_cmpint(func(&w, v), ==, FWC_CBOR_OK);
	g_assert_cmpmem(out, w.len, expect->data, expect->len);
	g_assert_cmpuint(fwc_cbor_head_size(v), ==, expect->len);
}

static int
write_bstr_header_u64(fwc_cbor_writer *w, uint64_t v)
{
	return fwc_cbor_write_bstr_header(w, (size_t)v);
}

static void
test_cbor_encode_shortest(void)
{
	const struct {
		uint64_t v;
		const gchar *uint_hex;
		const gchar *nint_hex;
		const gchar *tag_hex;
		const gchar *bstr_hex;
	} v[] = {
	    {0, "00", "20", "c0", "40"},
	    {23, "17", "37", "d7", "57"},
	    {24, "1818", "3818", "d818", "5818"},
	    {255, "18ff", "38ff", "d8ff", "58ff"},
	    {256, "190100", "390100", "d90100", "590100"},
	    {65535, "19ffff", "39ffff", "d9ffff", "59ffff"},
	    {65536, "1a00010000", "3a00010000", "da00010000", "5a00010000"},
	    {0xffffffffULL, "1affffffff", "3affffffff", "daffffffff", "5affffffff"},
	    {0x100000000ULL,
	     "1b0000000100000000",
	     "3b0000000100000000",
	     "db0000000100000000",
	     "5b0000000100000000"},
	    {G_MAXUINT64,
	     "1bffffffffffffffff",
	     "3bffffffffffffffff",
	     "dbffffffffffffffff",
	     "5bffffffffffffffff"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
		check_encoding(fwc_cbor_write_uint, v[i].v, v[i].uint_hex);
		check_encoding(fwc_cbor_write_nint, v[i].v, v[i].nint_hex);
		check_encoding(fwc_cbor_write_tag, v[i].v, v[i].tag_hex);
		if (v[i].v <= SIZE_MAX)
			check_encoding(write_bstr_header_u64, v[i].v, v[i].bstr_hex);
	}
}

static void
test_cbor_encode_int(void)
{
	const struct {
		int64_t v;
		const gchar *hex;
	} v[] = {
	    {0, "00"},
	    {-1, "20"},
	    {-24, "37"},
	    {-25, "3818"},
	    {-1000, "3903e7"},
	    {G_MAXINT64, "1b7fffffffffffffff"},
	    {G_MININT64, "3b7fffffffffffffff"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
		g_autoptr(GByteArray) expect = hex_to_bytes(v[i].hex);
		guint8 out[16];
		fwc_cbor_writer w;
		fwc_cbor_reader r;
		int64_t back = 0;

		fwc_cbor_writer_init(&w, out, sizeof(out));
		g_assert_cmpint(fwc_cbor_write_int(&w, v[i].v), ==, FWC_CBOR_OK);
		g_assert_cmpmem(out, w.len, expect->data, expect->len);
		fwc_cbor_reader_init(&r, out, w.len, 0);
		g_assert_cmpint(fwc_cbor_read_int(&r, &back), ==, FWC_CBOR_OK);
		g_assert_cmpint(back, ==, v[i].v);
	}
}

static void
test_cbor_encode_overflow(void)
{
	guint8 buf[8];
	const guint8 data[16] = {0};
	fwc_cbor_writer w;

	/* the bytes after cap stay untouched */
	memset(buf, 0xAA, sizeof(buf));
	fwc_cbor_writer_init(&w, buf, 4);
	g_assert_cmpint(fwc_cbor_write_uint(&w, 0x10000), ==, FWC_CBOR_ERR_BUFFER_FULL);
	g_assert_cmpuint(w.len, ==, 0);
	/* sticky: a small item that would fit is refused too */
	g_assert_cmpint(fwc_cbor_write_uint(&w, 1), ==, FWC_CBOR_ERR_BUFFER_FULL);
	g_assert_cmpint(fwc_cbor_writer_status(&w), ==, FWC_CBOR_ERR_BUFFER_FULL);
	for (guint i = 0; i < sizeof(buf); i++)
		g_assert_cmphex(buf[i], ==, 0xAA);

	/* exact fit */
	fwc_cbor_writer_init(&w, buf, 5);
	g_assert_cmpint(fwc_cbor_write_uint(&w, 0x10000), ==, FWC_CBOR_OK);
	g_assert_cmpuint(w.len, ==, 5);
	g_assert_cmpint(fwc_cbor_write_null(&w), ==, FWC_CBOR_ERR_BUFFER_FULL);
	g_assert_cmphex(buf[5], ==, 0xAA);

	/* the head fits, the bytes do not */
	memset(buf, 0xAA, sizeof(buf));
	fwc_cbor_writer_init(&w, buf, 4);
	g_assert_cmpint(fwc_cbor_write_bstr(&w, data, 4), ==, FWC_CBOR_ERR_BUFFER_FULL);
	g_assert_cmphex(buf[4], ==, 0xAA);

	/* zero capacity */
	fwc_cbor_writer_init(&w, buf, 0);
	g_assert_cmpint(fwc_cbor_write_uint(&w, 0), ==, FWC_CBOR_ERR_BUFFER_FULL);

	/* counting mode */
	fwc_cbor_writer_init(&w, NULL, 0);
	fwc_cbor_write_array(&w, 2);
	fwc_cbor_write_bstr(&w, data, sizeof(data));
	fwc_cbor_write_tstr(&w, "abc", 3);
	g_assert_cmpint(fwc_cbor_writer_status(&w), ==, FWC_CBOR_OK);
	g_assert_cmpuint(w.len, ==, 1 + 1 + 16 + 1 + 3);

	/* NULL buffer with a capacity is a caller bug */
	fwc_cbor_writer_init(&w, NULL, 4);
	g_assert_cmpint(fwc_cbor_write_uint(&w, 0), ==, FWC_CBOR_ERR_INVALID_ARG);
}

static void
test_cbor_encode_utf8(void)
{
	guint8 buf[16];
	fwc_cbor_writer w;
	const gchar *bad[] = {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3"};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		fwc_cbor_writer_init(&w, buf, sizeof(buf));
		g_assert_cmpint(fwc_cbor_write_tstr(&w, bad[i], strlen(bad[i])),
				==,
				FWC_CBOR_ERR_BAD_UTF8);
		g_assert_cmpuint(w.len, ==, 0);
	}
	fwc_cbor_writer_init(&w, buf, sizeof(buf));
	g_assert_cmpint(fwc_cbor_write_tstr(&w, "\xf4\x8f\xbf\xbf", 4), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_write_tstr(&w, NULL, 0), ==, FWC_CBOR_OK);
	g_assert_cmpuint(w.len, ==, 6);
}

static void
test_cbor_bstr_wrap(void)
{
	/* protected-header style: bstr .cbor {1: -7} */
	guint8 buf[16];
	const guint8 expect[] = {0x43, 0xa1, 0x01, 0x26};
	fwc_cbor_writer w;
	fwc_cbor_reader r, inner;
	const uint8_t *data;
	size_t len, pairs;
	uint64_t key;
	int64_t val;

	fwc_cbor_writer_init(&w, buf, sizeof(buf));
	fwc_cbor_write_bstr_header(&w, 3);
	fwc_cbor_write_map(&w, 1);
	fwc_cbor_write_uint(&w, 1);
	fwc_cbor_write_int(&w, -7);
	g_assert_cmpint(fwc_cbor_writer_status(&w), ==, FWC_CBOR_OK);
	g_assert_cmpmem(buf, w.len, expect, sizeof(expect));

	fwc_cbor_reader_init(&r, buf, w.len, 0);
	g_assert_cmpint(fwc_cbor_read_bstr(&r, &data, &len), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_read_end(&r), ==, FWC_CBOR_OK);
	fwc_cbor_reader_init(&inner, data, len, 0);
	g_assert_cmpint(fwc_cbor_check_map(&inner), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_read_map(&inner, &pairs), ==, FWC_CBOR_OK);
	g_assert_cmpuint(pairs, ==, 1);
	g_assert_cmpint(fwc_cbor_read_uint(&inner, &key), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_read_int(&inner, &val), ==, FWC_CBOR_OK);
	g_assert_cmpuint(key, ==, 1);
	g_assert_cmpint(val, ==, -7);
	g_assert_cmpint(fwc_cbor_read_end(&inner), ==, FWC_CBOR_OK);
}

typedef struct {
	const gchar *hex;
	fwc_cbor_status expect;
} BadVector;

static void
test_cbor_decode_rejects(void)
{
	const BadVector v[] = {
	    /* truncated heads */
	    {"", FWC_CBOR_ERR_TRUNCATED},
	    {"18", FWC_CBOR_ERR_TRUNCATED},
	    {"1900", FWC_CBOR_ERR_TRUNCATED},
	    {"1a000000", FWC_CBOR_ERR_TRUNCATED},
	    {"1b00000000000000", FWC_CBOR_ERR_TRUNCATED},
	    {"f8", FWC_CBOR_ERR_TRUNCATED},
	    {"c1", FWC_CBOR_ERR_TRUNCATED},
	    {"8201", FWC_CBOR_ERR_LENGTH},
	    {"a10102a1", FWC_CBOR_ERR_TRAILING},
	    /* lengths beyond the input */
	    {"4200", FWC_CBOR_ERR_LENGTH},
	    {"6161", FWC_CBOR_OK},
	    {"62ff", FWC_CBOR_ERR_LENGTH},
	    {"5bffffffffffffffff00", FWC_CBOR_ERR_LENGTH},
	    {"8300", FWC_CBOR_ERR_LENGTH},
	    {"9bffffffffffffffff00", FWC_CBOR_ERR_LENGTH},
	    {"a200", FWC_CBOR_ERR_LENGTH},
	    {"a10000a0", FWC_CBOR_ERR_TRAILING},
	    /* non-shortest arguments, every width, every major type */
	    {"1800", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"1817", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"190018", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"1900ff", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"1a0000ffff", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"1b00000000ffffffff", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"3817", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"580100", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"78016100", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"980100", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"b8010000", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"d80100", FWC_CBOR_ERR_NOT_SHORTEST},
	    {"d9001800", FWC_CBOR_ERR_NOT_SHORTEST},
	    /* reserved additional information */
	    {"1c", FWC_CBOR_ERR_RESERVED_AI},
	    {"1d", FWC_CBOR_ERR_RESERVED_AI},
	    {"1e", FWC_CBOR_ERR_RESERVED_AI},
	    {"3c", FWC_CBOR_ERR_RESERVED_AI},
	    {"5d", FWC_CBOR_ERR_RESERVED_AI},
	    {"7e", FWC_CBOR_ERR_RESERVED_AI},
	    {"9c", FWC_CBOR_ERR_RESERVED_AI},
	    {"bd", FWC_CBOR_ERR_RESERVED_AI},
	    {"dc", FWC_CBOR_ERR_RESERVED_AI},
	    {"fe", FWC_CBOR_ERR_RESERVED_AI},
	    {"1f", FWC_CBOR_ERR_RESERVED_AI},
	    {"3f", FWC_CBOR_ERR_RESERVED_AI},
	    {"df", FWC_CBOR_ERR_RESERVED_AI},
	    /* indefinite lengths and a lone break */
	    {"5fff", FWC_CBOR_ERR_INDEFINITE},
	    {"7fff", FWC_CBOR_ERR_INDEFINITE},
	    {"9fff", FWC_CBOR_ERR_INDEFINITE},
	    {"bfff", FWC_CBOR_ERR_INDEFINITE},
	    {"ff", FWC_CBOR_ERR_INDEFINITE},
	    {"8101ff", FWC_CBOR_ERR_TRAILING},
	    /* simple values */
	    {"f800", FWC_CBOR_ERR_BAD_SIMPLE},
	    {"f817", FWC_CBOR_ERR_BAD_SIMPLE},
	    /* floats (not in our formats) */
	    {"f93c00", FWC_CBOR_ERR_FLOAT},
	    {"fa47c35000", FWC_CBOR_ERR_FLOAT},
	    {"fb3ff199999999999a", FWC_CBOR_ERR_FLOAT},
	    {"a101f93c00", FWC_CBOR_ERR_FLOAT},
	    /* UTF-8 */
	    {"61ff", FWC_CBOR_ERR_BAD_UTF8},
	    {"61c3", FWC_CBOR_ERR_BAD_UTF8},
	    {"62c080", FWC_CBOR_ERR_BAD_UTF8},
	    {"63e08080", FWC_CBOR_ERR_BAD_UTF8},
	    {"63eda080", FWC_CBOR_ERR_BAD_UTF8},
	    {"64f0808080", FWC_CBOR_ERR_BAD_UTF8},
	    {"64f4908080", FWC_CBOR_ERR_BAD_UTF8},
	    {"64f5808080", FWC_CBOR_ERR_BAD_UTF8},
	    {"62c328", FWC_CBOR_ERR_BAD_UTF8},
	    {"4180", FWC_CBOR_OK},
	    {"8161ff", FWC_CBOR_ERR_BAD_UTF8},
	    /* map order and duplicates (RFC 8949 §4.2.1: bytewise order of encoded keys) */
	    {"a202000100", FWC_CBOR_ERR_MAP_ORDER},
	    {"a201000100", FWC_CBOR_ERR_DUPLICATE_KEY},
	    {"a220000100", FWC_CBOR_ERR_MAP_ORDER},
	    {"a201002000", FWC_CBOR_OK},
	    {"a262616100616200", FWC_CBOR_ERR_MAP_ORDER},
	    {"a261620062616100", FWC_CBOR_OK},
	    {"a2616100616100", FWC_CBOR_ERR_DUPLICATE_KEY},
	    {"a21818001700", FWC_CBOR_ERR_MAP_ORDER},
	    {"81a202000100", FWC_CBOR_ERR_MAP_ORDER},
	    {"a101a202000100", FWC_CBOR_ERR_MAP_ORDER},
	    {"a2810100810000", FWC_CBOR_ERR_MAP_ORDER},
	    {"a2810000810100", FWC_CBOR_OK},
	    /* trailing bytes */
	    {"0000", FWC_CBOR_ERR_TRAILING},
	    {"a000", FWC_CBOR_ERR_TRAILING},
	};
	for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
		g_autoptr(GByteArray) in = hex_to_bytes(v[i].hex);
		int rc = fwc_cbor_validate(in->len > 0 ? in->data : NULL, in->len, 0);
		g_test_message("reject %s", v[i].hex);
		g_assert_cmpstr(fwc_cbor_status_name(rc), ==, fwc_cbor_status_name(v[i].expect));
	}
}

static void
test_cbor_depth(void)
{
	guint8 buf[64];

	/* FWC_CBOR_MAX_DEPTH nested arrays are fine, one more is not */
	for (guint depth = 1; depth <= FWC_CBOR_MAX_DEPTH + 1; depth++) {
		memset(buf, 0x81, depth);
		buf[depth] = 0x00;
		g_assert_cmpint(fwc_cbor_validate(buf, depth + 1, 0),
				==,
				depth <= FWC_CBOR_MAX_DEPTH ? FWC_CBOR_OK : FWC_CBOR_ERR_TOO_DEEP);
	}
	/* tags count as nesting */
	memset(buf, 0xc1, FWC_CBOR_MAX_DEPTH + 1);
	buf[FWC_CBOR_MAX_DEPTH + 1] = 0x00;
	g_assert_cmpint(fwc_cbor_validate(buf, FWC_CBOR_MAX_DEPTH + 2, 0),
			==,
			FWC_CBOR_ERR_TOO_DEEP);
	g_assert_cmpint(fwc_cbor_validate(buf + 1, FWC_CBOR_MAX_DEPTH + 1, 0), ==, FWC_CBOR_OK);
	/* maps too */
	for (guint i = 0; i < FWC_CBOR_MAX_DEPTH + 1; i++) {
		buf[2 * i] = 0xa1;
		buf[2 * i + 1] = 0x00;
	}
	buf[2 * (FWC_CBOR_MAX_DEPTH + 1)] = 0x00;
	g_assert_cmpint(fwc_cbor_validate(buf, 2 * (FWC_CBOR_MAX_DEPTH + 1) + 1, 0),
			==,
			FWC_CBOR_ERR_TOO_DEEP);
	g_assert_cmpint(fwc_cbor_validate(buf + 2, 2 * FWC_CBOR_MAX_DEPTH + 1, 0), ==, FWC_CBOR_OK);
}

static void
test_cbor_reader_api(void)
{
	/* [1, -2, h'aa', "b", {}, true, null, 3("x"), 1b ffff...] */
	g_autoptr(GByteArray) in = hex_to_bytes("89012141aa6162a0f5f6c361781bffffffffffffffff");
	fwc_cbor_reader r;
	fwc_cbor_type type;
	size_t count, len;
	uint64_t u, tag;
	int64_t i;
	const uint8_t *data;
	const char *text;
	bool b;

	fwc_cbor_reader_init(&r, in->data, in->len, 0);
	g_assert_cmpint(fwc_cbor_read_array(&r, &count), ==, FWC_CBOR_OK);
	g_assert_cmpuint(count, ==, 9);
	g_assert_cmpint(fwc_cbor_read_int(&r, &i), ==, FWC_CBOR_OK);
	g_assert_cmpint(i, ==, 1);
	g_assert_cmpint(fwc_cbor_peek_type(&r, &type), ==, FWC_CBOR_OK);
	g_assert_cmpint(type, ==, FWC_CBOR_TYPE_NINT);
	g_assert_cmpint(fwc_cbor_read_int(&r, &i), ==, FWC_CBOR_OK);
	g_assert_cmpint(i, ==, -2);
	g_assert_cmpint(fwc_cbor_read_bstr(&r, &data, &len), ==, FWC_CBOR_OK);
	g_assert_cmpuint(len, ==, 1);
	g_assert_cmphex(data[0], ==, 0xaa);
	g_assert_true(data == in->data + 4); /* no copy */
	g_assert_cmpint(fwc_cbor_read_tstr(&r, &text, &len), ==, FWC_CBOR_OK);
	g_assert_cmpmem(text, len, "b", 1);
	g_assert_cmpint(fwc_cbor_check_map(&r), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_skip(&r), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_read_bool(&r, &b), ==, FWC_CBOR_OK);
	g_assert_true(b);
	g_assert_cmpint(fwc_cbor_read_null(&r), ==, FWC_CBOR_OK);
	g_assert_cmpint(fwc_cbor_read_tag(&r, &tag), ==, FWC_CBOR_OK);
	g_assert_cmpuint(tag, ==, 3);
	g_assert_cmpint(fwc_cbor_skip(&r), ==, FWC_CBOR_OK);
	/* 2^64-1 does not fit int64: RANGE, and it is sticky */
	g_assert_cmpint(fwc_cbor_read_int(&r, &i), ==, FWC_CBOR_ERR_RANGE);
	g_assert_cmpint(fwc_cbor_read_uint(&r, &u), ==, FWC_CBOR_ERR_RANGE);
	g_assert_cmpint(fwc_cbor_reader_status(&r), ==, FWC_CBOR_ERR_RANGE);
	g_assert_cmpuint(fwc_cbor_reader_remaining(&r), ==, 9);

	/* type mismatch does not move the reader and is sticky */
	fwc_cbor_reader_init(&r, in->data, in->len, 0);
	g_assert_cmpint(fwc_cbor_read_map(&r, &count), ==, FWC_CBOR_ERR_TYPE);
	g_assert_cmpuint(r.pos, ==, 0);
	g_assert_cmpint(fwc_cbor_read_array(&r, &count), ==, FWC_CBOR_ERR_TYPE);
	g_assert_cmpint(fwc_cbor_read_end(&r), ==, FWC_CBOR_ERR_TYPE);

	/* negative 64-bit argument */
	{
		const guint8 nmax[] = {0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		const guint8 nmin[] = {0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		const guint8 nover[] = {0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0};
		fwc_cbor_reader_init(&r, nmax, sizeof(nmax), 0);
		g_assert_cmpint(fwc_cbor_read_nint(&r, &u), ==, FWC_CBOR_OK);
		g_assert_cmphex(u, ==, G_MAXUINT64);
		fwc_cbor_reader_init(&r, nmin, sizeof(nmin), 0);
		g_assert_cmpint(fwc_cbor_read_int(&r, &i), ==, FWC_CBOR_OK);
		g_assert_cmpint(i, ==, G_MININT64);
		fwc_cbor_reader_init(&r, nover, sizeof(nover), 0);
		g_assert_cmpint(fwc_cbor_read_int(&r, &i), ==, FWC_CBOR_ERR_RANGE);
	}

	/* check_map on a non-map, and without moving */
	fwc_cbor_reader_init(&r, in->data, in->len, 0);
	g_assert_cmpint(fwc_cbor_check_map(&r), ==, FWC_CBOR_ERR_TYPE);
	g_assert_cmpuint(r.pos, ==, 0);
	g_assert_cmpint(fwc_cbor_reader_status(&r), ==, FWC_CBOR_OK);

	/* NULL arguments */
	g_assert_cmpint(fwc_cbor_read_uint(NULL, &u), ==, FWC_CBOR_ERR_INVALID_ARG);
	g_assert_cmpint(fwc_cbor_skip(NULL), ==, FWC_CBOR_ERR_INVALID_ARG);
	g_assert_cmpint(fwc_cbor_validate(NULL, 1, 0), ==, FWC_CBOR_ERR_INVALID_ARG);
}

static void
test_cbor_strerror(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int s = 0; s <= FWC_CBOR_STATUS_LAST; s++) {
		const gchar *msg = fwc_cbor_strerror(s);
		const gchar *name = fwc_cbor_status_name(s);
		g_assert_nonnull(name);
		g_assert_true(g_str_has_prefix(name, "FWC_CBOR_"));
		g_assert_cmpstr(msg, !=, "unknown CBOR error");
		g_assert_false(g_hash_table_contains(seen, msg));
		g_hash_table_add(seen, (gpointer)msg);
	}
	g_assert_cmpstr(fwc_cbor_strerror(FWC_CBOR_STATUS_LAST + 1), ==, "unknown CBOR error");
	g_assert_null(fwc_cbor_status_name(-1));
}

/* every corpus file is rejected with the status corpus/expected.txt names for it */
static gboolean
test_cbor_corpus_run(GBytes *data, const gchar **got, gpointer user_data)
{
	int rc = fwc_cbor_validate(g_bytes_get_data(data, NULL), g_bytes_get_size(data), 0);
	got[0] = fwc_cbor_status_name(rc);
	return rc == FWC_CBOR_OK;
}

static void
test_cbor_corpus_expected(void)
{
	NuSecTestCorpus corpus = {.component = "cbor",
				  .n_columns = 1,
				  .min_files = 20,
				  .all_rejected = TRUE,
				  .run = test_cbor_corpus_run};
	nusec_test_corpus_check(&corpus);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cbor/appendix-a", test_cbor_appendix_a);
	g_test_add_func("/cbor/appendix-a-floats", test_cbor_appendix_a_floats);
	g_test_add_func("/cbor/appendix-a-indefinite", test_cbor_appendix_a_indefinite);
	g_test_add_func("/cbor/simple24", test_cbor_simple24);
	g_test_add_func("/cbor/encode-shortest", test_cbor_encode_shortest);
	g_test_add_func("/cbor/encode-int", test_cbor_encode_int);
	g_test_add_func("/cbor/encode-overflow", test_cbor_encode_overflow);
	g_test_add_func("/cbor/encode-utf8", test_cbor_encode_utf8);
	g_test_add_func("/cbor/bstr-wrap", test_cbor_bstr_wrap);
	g_test_add_func("/cbor/decode-rejects", test_cbor_decode_rejects);
	g_test_add_func("/cbor/depth", test_cbor_depth);
	g_test_add_func("/cbor/reader-api", test_cbor_reader_api);
	g_test_add_func("/cbor/strerror", test_cbor_strerror);
	g_test_add_func("/cbor/corpus-expected", test_cbor_corpus_expected);
	return g_test_run();
}
