/*
 * MCUboot image format: nusec_image_sign (OpenSSL side) against fwc_image_verify (firmware
 * side), checked against independent expectations: GLib's SHA-256, OpenSSL's ECDSA
 * verification, the byte layout written out by hand, images signed by upstream imgtool
 * (tests/image/imgtool/) and the bad-input corpus written by make-corpus.py.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <openssl/pem.h>
#include <string.h>

#include "fuzz-image-trust.h"
#include "nusec-error.h"
#include "nusec-image.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"
#include "nusec-test-corpus.h"

typedef struct {
	NuSecSigner *signer;
	guint8 point[FWC_P256_POINT_LEN];
	guint8 key_hash[FWC_SHA256_LEN];
	GBytes *spki;
} TestKey;

static TestKey *
test_key_new(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	TestKey *key = g_new0(TestKey, 1);

	key->signer = nusec_pem_signer_new_random(&error);
	g_assert_no_error(error);
	g_assert_true(nusec_signer_get_public_point(key->signer, key->point, &error));
	g_assert_no_error(error);
	key->spki = nusec_signer_get_public_key(key->signer, &error);
	g_assert_no_error(error);
	/* key hash computed here with GLib, not with the code under test */
	hex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, key->spki);
	for (guint i = 0; i < FWC_SHA256_LEN; i++) {
		key->key_hash[i] = (guint8)((g_ascii_xdigit_value(hex[2 * i]) << 4) |
					    g_ascii_xdigit_value(hex[2 * i + 1]));
	}
	return key;
}

static void
test_key_free(TestKey *key)
{
	g_object_unref(key->signer);
	g_bytes_unref(key->spki);
	g_free(key);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestKey, test_key_free)

static fwc_image_trust
test_trust_key(const TestKey *key, guint32 min)
{
	fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_PUBLIC_KEY,
				 .public_key = key->point,
				 .min_security_counter = min};
	return trust;
}

static fwc_image_trust
test_trust_hash(const TestKey *key, guint32 min)
{
	fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_KEY_HASH,
				 .key_hash = key->key_hash,
				 .min_security_counter = min};
	return trust;
}

static void
test_assert_status(int status, int expected)
{
	if (status != expected)
		g_error("got %s (%s), expected %s",
			fwc_image_status_name(status),
			fwc_image_strerror(status),
			fwc_image_status_name(expected));
}

static GBytes *
test_body(gsize len)
{
	guint8 *buf = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		buf[i] = (guint8)g_random_int();
	return g_bytes_new_take(buf, len);
}

static GBytes *
test_sign(const TestKey *key, GBytes *body, NuSecImagePubkeyMode mode, gboolean with_counter)
{
	g_autoptr(GError) error = NULL;
	NuSecImageSignOptions opts;
	GBytes *image;

	nusec_image_sign_options_init(&opts);
	g_assert_true(nusec_image_version_parse("1.2.3+4", &opts.version, &error));
	g_assert_no_error(error);
	opts.header_size = 0x200;
	opts.pubkey_mode = mode;
	if (with_counter)
		opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_AUTO;
	image = nusec_image_sign(key->signer, body, &opts, &error);
	g_assert_no_error(error);
	g_assert_nonnull(image);
	return image;
}

static guint16
rd16(const guint8 *p)
{
	return (guint16)(p[0] | (p[1] << 8));
}

static guint32
rd32(const guint8 *p)
{
	return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

/* ECDSA verification of the DER signature with OpenSSL, over a digest computed by GLib */
static gboolean
test_openssl_verify(GBytes *spki,
		    const guint8 *signed_data,
		    gsize len,
		    const guint8 *der,
		    gsize der_len)
{
	const guint8 *p = g_bytes_get_data(spki, NULL);
	g_autoptr(EVP_PKEY) pkey = d2i_PUBKEY(NULL, &p, (long)g_bytes_get_size(spki));
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize digest_len = sizeof(digest);

	g_assert_nonnull(pkey);
	g_checksum_update(sha, signed_data, len);
	g_checksum_get_digest(sha, digest, &digest_len);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	g_assert_nonnull(ctx);
	g_assert_cmpint(EVP_PKEY_verify_init(ctx), ==, 1);
	return EVP_PKEY_verify(ctx, der, der_len, digest, sizeof(digest)) == 1;
}

/* ---- parsing of options ---- */

static void
test_image_version_parse(void)
{
	struct {
		const gchar *text;
		gboolean ok;
		guint major, minor, revision, build;
	} cases[] = {
	    {"1.2.3+4", TRUE, 1, 2, 3, 4},
	    {"1", TRUE, 1, 0, 0, 0},
	    {"0.9", TRUE, 0, 9, 0, 0},
	    {"0.0.0+0", TRUE, 0, 0, 0, 0},
	    {"255.255.65535+4294967295", TRUE, 255, 255, 65535, 4294967295u},
	    {"", FALSE},
	    {"1.", FALSE},
	    {"01.2", FALSE},
	    {"1.02", FALSE},
	    {"1.2.3.4", FALSE},
	    {"256", FALSE},
	    {"1.256", FALSE},
	    {"1.2.65536", FALSE},
	    {"1.2.3+4294967296", FALSE},
	    {"1.2+3", FALSE},
	    {"1.2.3+", FALSE},
	    {"-1", FALSE},
	    {"v1.2", FALSE},
	    {"1.2.3 ", FALSE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		fwc_image_version v = {0};
		gboolean ok = nusec_image_version_parse(cases[i].text, &v, &error);
		g_test_message("version '%s'", cases[i].text);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (!ok) {
			g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
			continue;
		}
		g_assert_cmpuint(v.major, ==, cases[i].major);
		g_assert_cmpuint(v.minor, ==, cases[i].minor);
		g_assert_cmpuint(v.revision, ==, cases[i].revision);
		g_assert_cmpuint(v.build, ==, cases[i].build);
	}
}

static void
test_image_number_parse(void)
{
	struct {
		const gchar *text;
		guint64 max;
		gboolean ok;
		guint64 value;
	} cases[] = {
	    {"0", 100, TRUE, 0},
	    {"512", G_MAXUINT16, TRUE, 512},
	    {"0x200", G_MAXUINT16, TRUE, 512},
	    {"0X20000000", G_MAXUINT32, TRUE, 0x20000000},
	    {"0o17", 100, TRUE, 15},
	    {"0b101", 100, TRUE, 5},
	    {"4294967295", G_MAXUINT32, TRUE, G_MAXUINT32},
	    {"4294967296", G_MAXUINT32, FALSE},
	    {"65536", G_MAXUINT16, FALSE},
	    {"010", 100, FALSE},
	    {"", 100, FALSE},
	    {"0x", 100, FALSE},
	    {"0xg", 100, FALSE},
	    {"-1", 100, FALSE},
	    {" 1", 100, FALSE},
	    {"1k", 100, FALSE},
	};
	NuSecImageSignOptions opts;
	fwc_image_version v = {.major = 1, .minor = 2, .revision = 3, .build = 4};
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error_local = NULL;
		guint64 value = 0;
		gboolean ok =
		    nusec_image_parse_number(cases[i].text, cases[i].max, &value, &error_local);
		g_test_message("number '%s'", cases[i].text);
		g_assert_cmpint(ok, ==, cases[i].ok);
		if (ok)
			g_assert_cmpuint(value, ==, cases[i].value);
		else
			g_assert_error(error_local, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	}

	/* imgtool: -s auto = (major << 24) + (minor << 16) + revision */
	g_assert_cmpuint(nusec_image_security_counter_auto(&v), ==, 0x01020003);
	v.major = 255;
	v.minor = 255;
	v.revision = 65535;
	g_assert_cmpuint(nusec_image_security_counter_auto(&v), ==, 0xffffffff);
	nusec_image_sign_options_init(&opts);
	g_assert_cmpint(opts.security_counter_mode, ==, NUSEC_IMAGE_SECURITY_COUNTER_NONE);
	g_assert_true(nusec_image_security_counter_parse("AUTO", &opts, &error));
	g_assert_cmpint(opts.security_counter_mode, ==, NUSEC_IMAGE_SECURITY_COUNTER_AUTO);
	g_assert_true(nusec_image_security_counter_parse("0x10", &opts, &error));
	g_assert_no_error(error);
	g_assert_cmpint(opts.security_counter_mode, ==, NUSEC_IMAGE_SECURITY_COUNTER_VALUE);
	g_assert_cmpuint(opts.security_counter, ==, 16);
	g_assert_false(nusec_image_security_counter_parse("autox", &opts, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
}

/* ---- round trip ---- */

static void
test_image_layout(NuSecImagePubkeyMode mode)
{
	g_autoptr(TestKey) key = test_key_new();
	g_autoptr(GBytes) body = test_body(1000);
	g_autoptr(GBytes) image = test_sign(key, body, mode, TRUE);
	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	const guint8 *img = g_bytes_get_data(image, NULL);
	gsize len = g_bytes_get_size(image);
	const guint8 *tlv;
	guint8 digest[32];
	gsize digest_len = sizeof(digest);
	gsize off;
	guint16 sig_len;
	fwc_image_trust trust = test_trust_key(key, 0x01020003);
	fwc_image_info info;

	/* header, written out from the MCUboot layout */
	g_assert_cmpuint(rd32(img + 0), ==, 0x96f3b83d);
	g_assert_cmpuint(rd32(img + 4), ==, 0);	    /* load address */
	g_assert_cmpuint(rd16(img + 8), ==, 0x200); /* hdr_size */
	g_assert_cmpuint(rd16(img + 10), ==, 12);   /* protect_tlv_size */
	g_assert_cmpuint(rd32(img + 12), ==, 1000); /* img_size */
	g_assert_cmpuint(rd32(img + 16), ==, 0);    /* flags */
	g_assert_cmpuint(img[20], ==, 1);
	g_assert_cmpuint(img[21], ==, 2);
	g_assert_cmpuint(rd16(img + 22), ==, 3);
	g_assert_cmpuint(rd32(img + 24), ==, 4);
	g_assert_cmpuint(rd32(img + 28), ==, 0);
	for (gsize i = 32; i < 0x200; i++)
		g_assert_cmpuint(img[i], ==, 0xff); /* imgtool --pad-header, erased value 0xff */
	g_assert_cmpmem(img + 0x200, 1000, g_bytes_get_data(body, NULL), 1000);
	/* protected area: info 0x6908/12, SEC_CNT 0x50/4 = 0x01020003 */
	off = 0x200 + 1000;
	g_assert_cmpuint(rd16(img + off), ==, 0x6908);
	g_assert_cmpuint(rd16(img + off + 2), ==, 12);
	g_assert_cmpuint(rd16(img + off + 4), ==, 0x50);
	g_assert_cmpuint(rd16(img + off + 6), ==, 4);
	g_assert_cmpuint(rd32(img + off + 8), ==, 0x01020003);
	off += 12;
	/* TLV area: SHA256, KEYHASH or PUBKEY, ECDSA_SIG, and nothing after it */
	g_assert_cmpuint(rd16(img + off), ==, 0x6907);
	g_assert_cmpuint(off + rd16(img + off + 2), ==, len);
	tlv = img + off + 4;
	g_checksum_update(sha, img, off);
	g_checksum_get_digest(sha, digest, &digest_len);
	g_assert_cmpuint(rd16(tlv), ==, 0x10);
	g_assert_cmpuint(rd16(tlv + 2), ==, 32);
	g_assert_cmpmem(tlv + 4, 32, digest, 32);
	tlv += 36;
	if (mode == NUSEC_IMAGE_PUBKEY_HASH) {
		g_assert_cmpuint(rd16(tlv), ==, 0x01);
		g_assert_cmpuint(rd16(tlv + 2), ==, 32);
		g_assert_cmpmem(tlv + 4, 32, key->key_hash, 32);
		tlv += 36;
	} else {
		g_assert_cmpuint(rd16(tlv), ==, 0x02);
		g_assert_cmpmem(tlv + 4,
				rd16(tlv + 2),
				g_bytes_get_data(key->spki, NULL),
				g_bytes_get_size(key->spki));
		tlv += 4 + rd16(tlv + 2);
	}
	g_assert_cmpuint(rd16(tlv), ==, 0x22);
	sig_len = rd16(tlv + 2);
	g_assert_cmpuint(sig_len, >=, 8);
	g_assert_cmpuint(sig_len, <=, 72);
	g_assert_cmpuint(tlv + 4 + sig_len - img, ==, len);
	g_assert_true(test_openssl_verify(key->spki, img, off, tlv + 4, sig_len));

	/* the firmware side accepts it and reports what it found */
	test_assert_status(fwc_image_verify(img, len, &trust, &info), FWC_IMAGE_OK);
	g_assert_cmpuint(info.version.major, ==, 1);
	g_assert_cmpuint(info.version.minor, ==, 2);
	g_assert_cmpuint(info.version.revision, ==, 3);
	g_assert_cmpuint(info.version.build, ==, 4);
	g_assert_true(info.has_security_counter);
	g_assert_cmpuint(info.security_counter, ==, 0x01020003);
	g_assert_cmpuint(info.load_addr, ==, 0);
	g_assert_cmpuint(info.body_offset, ==, 0x200);
	g_assert_cmpuint(info.body_len, ==, 1000);
	g_assert_cmpuint(info.signed_len, ==, off);
	g_assert_cmpuint(info.total_len, ==, len);
	g_assert_cmpuint(info.tlv_count, ==, 4);
	g_assert_cmpmem(info.hash, 32, digest, 32);
	g_assert_cmpmem(info.key_hash, 32, key->key_hash, 32);
	g_assert_cmpint(info.key_kind,
			==,
			mode == NUSEC_IMAGE_PUBKEY_HASH ? FWC_IMAGE_KEY_HASH : FWC_IMAGE_KEY_FULL);

	/* the OTP mode needs the full key */
	trust = test_trust_hash(key, 0x01020003);
	test_assert_status(fwc_image_verify(img, len, &trust, NULL),
			   mode == NUSEC_IMAGE_PUBKEY_FULL ? FWC_IMAGE_OK
							   : FWC_IMAGE_ERR_MISSING_PUBKEY);
}

static void
test_image_layout_hash(void)
{
	test_image_layout(NUSEC_IMAGE_PUBKEY_HASH);
}

static void
test_image_layout_full(void)
{
	test_image_layout(NUSEC_IMAGE_PUBKEY_FULL);
}

static void
test_image_options(void)
{
	g_autoptr(TestKey) key = test_key_new();
	g_autoptr(GBytes) body = test_body(1);
	g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GError) error = NULL;
	fwc_image_trust trust = test_trust_key(key, 0);
	NuSecImageSignOptions opts;
	fwc_image_info info;

	/* minimal: 32-byte header, no protected area, explicit counter, load address */
	nusec_image_sign_options_init(&opts);
	g_assert_cmpuint(opts.header_size, ==, 32);
	image = nusec_image_sign(key->signer, body, &opts, &error);
	g_assert_no_error(error);
	test_assert_status(
	    fwc_image_verify(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &trust, &info),
	    FWC_IMAGE_OK);
	g_assert_false(info.has_security_counter);
	g_assert_cmpuint(info.protect_tlv_size, ==, 0);
	g_assert_cmpuint(info.hdr_size, ==, 32);
	g_clear_pointer(&image, g_bytes_unref);

	opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_VALUE;
	opts.security_counter = 0xfffffffe;
	opts.load_address = 0x20000000;
	opts.header_size = 0x100;
	image = nusec_image_sign(key->signer, body, &opts, &error);
	g_assert_no_error(error);
	trust.min_security_counter = 0xfffffffe;
	test_assert_status(
	    fwc_image_verify(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &trust, &info),
	    FWC_IMAGE_OK);
	g_assert_cmpuint(info.security_counter, ==, 0xfffffffe);
	g_assert_cmpuint(info.load_addr, ==, 0x20000000);
	g_assert_cmpuint(info.flags, ==, FWC_IMAGE_F_RAM_LOAD);
	trust.min_security_counter = 0xffffffff;
	test_assert_status(
	    fwc_image_verify(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &trust, NULL),
	    FWC_IMAGE_ERR_ROLLBACK);
	g_clear_pointer(&image, g_bytes_unref);

	/* an empty body is a valid image */
	trust.min_security_counter = 0;
	image = nusec_image_sign(key->signer, empty, &opts, &error);
	g_assert_no_error(error);
	test_assert_status(
	    fwc_image_verify(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &trust, &info),
	    FWC_IMAGE_OK);
	g_assert_cmpuint(info.body_len, ==, 0);
	g_clear_pointer(&image, g_bytes_unref);

	/* header below 32 bytes */
	opts.header_size = 31;
	image = nusec_image_sign(key->signer, body, &opts, &error);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_ARGUMENT);
	g_assert_null(image);
}

/* ---- rejections ---- */

typedef struct {
	const gchar *name;
	gssize offset; /* byte to flip; negative: from the end */
	int expected;
} TestFlip;

static void
test_image_tamper(NuSecImagePubkeyMode mode)
{
	g_autoptr(TestKey) key = test_key_new();
	g_autoptr(TestKey) other = test_key_new();
	g_autoptr(GBytes) body = test_body(300);
	g_autoptr(GBytes) image = test_sign(key, body, mode, TRUE);
	g_autoptr(GBytes) image_nocnt = test_sign(key, body, mode, FALSE);
	g_autoptr(GBytes) image_other = test_sign(other, body, mode, TRUE);
	const guint8 *img = g_bytes_get_data(image, NULL);
	gsize len = g_bytes_get_size(image);
	fwc_image_trust trust = test_trust_key(key, 0);
	fwc_image_info info;
	g_autofree guint8 *buf = g_malloc(len + 64);
	gsize key_value_off;
	gsize sha_value_off;

	test_assert_status(fwc_image_verify(img, len, &trust, &info), FWC_IMAGE_OK);
	sha_value_off = info.tlv_offset + 4 + 4;
	key_value_off = sha_value_off + 32 + 4;
	{
		const TestFlip flips[] = {
		    {"header version", 20, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"header build", 27, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"header _pad1", 30, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"header padding", 100, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"body first", 0x200, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"body last", 0x200 + 299, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"protected SEC_CNT",
		     (gssize)info.prot_tlv_offset + 8,
		     FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"SHA256 TLV", (gssize)sha_value_off + 5, FWC_IMAGE_ERR_HASH_MISMATCH},
		    {"key TLV",
		     (gssize)key_value_off + (mode == NUSEC_IMAGE_PUBKEY_HASH ? 3 : 70),
		     FWC_IMAGE_ERR_KEY_HASH_MISMATCH},
		    {"signature s", -1, FWC_IMAGE_ERR_BAD_SIGNATURE},
		    {"signature r", (gssize)info.sig_offset + 10, FWC_IMAGE_ERR_BAD_SIGNATURE},
		    {"signature DER", (gssize)info.sig_offset, FWC_IMAGE_ERR_BAD_SIGNATURE_DER},
		    {"magic", 0, FWC_IMAGE_ERR_BAD_MAGIC},
		    {"flags PIC", 16, FWC_IMAGE_ERR_UNSUPPORTED_FLAGS},
		};
		for (guint i = 0; i < G_N_ELEMENTS(flips); i++) {
			gsize off = flips[i].offset >= 0 ? (gsize)flips[i].offset
							 : len - (gsize)(-flips[i].offset);
			g_test_message("flip %s at %" G_GSIZE_FORMAT, flips[i].name, off);
			memcpy(buf, img, len);
			buf[off] ^= 0x01;
			test_assert_status(fwc_image_verify(buf, len, &trust, NULL),
					   flips[i].expected);
		}
	}
	memcpy(buf, img, len);
	buf[16] = FWC_IMAGE_F_ENCRYPTED_AES128;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_ENCRYPTED);
	buf[16] = FWC_IMAGE_F_ENCRYPTED_AES256;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_ENCRYPTED);
	buf[16] = FWC_IMAGE_F_NON_BOOTABLE;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL),
			   FWC_IMAGE_ERR_UNSUPPORTED_FLAGS);

	/* sizes */
	memcpy(buf, img, len);
	buf[8] = 16;
	buf[9] = 0;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_HEADER_SIZE);
	memcpy(buf, img, len);
	memset(buf + 12, 0xff, 4);
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_SIZE_OVERFLOW);
	memcpy(buf, img, len);
	buf[13] += 0x10;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_TRUNCATED_BODY);
	memcpy(buf, img, len);
	buf[12] -= 1; /* body one byte shorter: the protected magic is no longer in place */
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL),
			   FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC);
	memcpy(buf, img, len);
	buf[10] = 16;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL),
			   FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH);
	memcpy(buf, img, len);
	buf[10] = 0;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL),
			   FWC_IMAGE_ERR_PROT_TLV_SIZE_MISMATCH);
	memcpy(buf, img, len);
	buf[info.tlv_offset] ^= 0xff;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_BAD_TLV_MAGIC);
	memcpy(buf, img, len);
	buf[info.tlv_offset + 2] = 3;
	buf[info.tlv_offset + 3] = 0;
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_TLV_AREA_LENGTH);
	memcpy(buf, img, len);
	buf[info.tlv_offset + 2] -= 1; /* the signature TLV now runs past its area */
	test_assert_status(fwc_image_verify(buf, len - 1, &trust, NULL),
			   FWC_IMAGE_ERR_TRUNCATED_TLV);

	/* truncated at every boundary, and a few bytes around */
	{
		const struct {
			gsize len;
			int expected;
		} cuts[] = {
		    {0, FWC_IMAGE_ERR_NO_IMAGE},
		    {3, FWC_IMAGE_ERR_TRUNCATED_HEADER},
		    {16, FWC_IMAGE_ERR_TRUNCATED_HEADER},
		    {31, FWC_IMAGE_ERR_TRUNCATED_HEADER},
		    {32, FWC_IMAGE_ERR_TRUNCATED_HEADER},
		    {0x1ff, FWC_IMAGE_ERR_TRUNCATED_HEADER},
		    {0x200, FWC_IMAGE_ERR_TRUNCATED_BODY},
		    {0x200 + 299, FWC_IMAGE_ERR_TRUNCATED_BODY},
		    {info.prot_tlv_offset, FWC_IMAGE_ERR_TRUNCATED_TLV_INFO},
		    {info.prot_tlv_offset + 3, FWC_IMAGE_ERR_TRUNCATED_TLV_INFO},
		    {info.prot_tlv_offset + 4, FWC_IMAGE_ERR_TRUNCATED_TLV_AREA},
		    {info.prot_tlv_offset + 11, FWC_IMAGE_ERR_TRUNCATED_TLV_AREA},
		    {info.tlv_offset, FWC_IMAGE_ERR_TRUNCATED_TLV_INFO},
		    {info.tlv_offset + 2, FWC_IMAGE_ERR_TRUNCATED_TLV_INFO},
		    {info.tlv_offset + 4, FWC_IMAGE_ERR_TRUNCATED_TLV_AREA},
		    {info.tlv_offset + 40, FWC_IMAGE_ERR_TRUNCATED_TLV_AREA},
		    {len - 1, FWC_IMAGE_ERR_TRUNCATED_TLV_AREA},
		};
		for (guint i = 0; i < G_N_ELEMENTS(cuts); i++) {
			g_test_message("truncated to %" G_GSIZE_FORMAT, cuts[i].len);
			test_assert_status(fwc_image_verify(img, cuts[i].len, &trust, NULL),
					   cuts[i].expected);
		}
	}
	/* trailing data: one byte, or erased flash after the image */
	memcpy(buf, img, len);
	buf[len] = 0;
	test_assert_status(fwc_image_verify(buf, len + 1, &trust, NULL),
			   FWC_IMAGE_ERR_TRAILING_DATA);
	memset(buf + len, 0xff, 64);
	test_assert_status(fwc_image_verify(buf, len + 64, &trust, NULL),
			   FWC_IMAGE_ERR_TRAILING_DATA);

	/* no image: empty or erased flash; garbage */
	memset(buf, 0xff, len);
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_NO_IMAGE);
	test_assert_status(fwc_image_verify(buf, 4, &trust, NULL), FWC_IMAGE_ERR_NO_IMAGE);
	test_assert_status(fwc_image_verify(NULL, 0, &trust, NULL), FWC_IMAGE_ERR_NO_IMAGE);
	memset(buf, 0, len);
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_BAD_MAGIC);

	/* wrong key: the right image checked against another key, and another key's image */
	trust = test_trust_key(other, 0);
	test_assert_status(fwc_image_verify(img, len, &trust, NULL),
			   FWC_IMAGE_ERR_KEY_HASH_MISMATCH);
	trust = test_trust_key(key, 0);
	test_assert_status(fwc_image_verify(g_bytes_get_data(image_other, NULL),
					    g_bytes_get_size(image_other),
					    &trust,
					    NULL),
			   FWC_IMAGE_ERR_KEY_HASH_MISMATCH);
	if (mode == NUSEC_IMAGE_PUBKEY_FULL) {
		trust = test_trust_hash(other, 0);
		test_assert_status(fwc_image_verify(img, len, &trust, NULL),
				   FWC_IMAGE_ERR_KEY_HASH_MISMATCH);
		trust = test_trust_hash(key, 0);
		test_assert_status(fwc_image_verify(g_bytes_get_data(image_other, NULL),
						    g_bytes_get_size(image_other),
						    &trust,
						    NULL),
				   FWC_IMAGE_ERR_KEY_HASH_MISMATCH);
	}

	/* another key's signature under the trusted key's name: the key TLV of the trusted
	 * image pasted into the other key's image (same layout, same lengths) */
	{
		fwc_image_info other_info;
		const guint8 *oimg = g_bytes_get_data(image_other, NULL);
		gsize olen = g_bytes_get_size(image_other);
		gsize key_len = info.key_kind == FWC_IMAGE_KEY_FULL ? info.pubkey_len : 32;

		test_assert_status(fwc_image_parse(oimg, olen, &other_info), FWC_IMAGE_OK);
		memcpy(buf, oimg, olen);
		memcpy(buf + key_value_off, img + key_value_off, key_len);
		trust = test_trust_key(key, 0);
		test_assert_status(fwc_image_verify(buf, olen, &trust, NULL),
				   FWC_IMAGE_ERR_BAD_SIGNATURE);
		if (mode == NUSEC_IMAGE_PUBKEY_FULL) {
			trust = test_trust_hash(key, 0);
			test_assert_status(fwc_image_verify(buf, olen, &trust, NULL),
					   FWC_IMAGE_ERR_BAD_SIGNATURE);
		}
	}

	/* anti-rollback: 1.2.3 is 0x01020003 */
	for (guint k = 0; k < 2; k++) {
		trust = k == 0 ? test_trust_key(key, 0) : test_trust_hash(key, 0);
		if (k == 1 && mode == NUSEC_IMAGE_PUBKEY_HASH)
			break;
		trust.min_security_counter = 0x01020003;
		test_assert_status(fwc_image_verify(img, len, &trust, NULL), FWC_IMAGE_OK);
		trust.min_security_counter = 0x01020004;
		test_assert_status(fwc_image_verify(img, len, &trust, NULL),
				   FWC_IMAGE_ERR_ROLLBACK);
		trust.min_security_counter = 0;
		test_assert_status(fwc_image_verify(g_bytes_get_data(image_nocnt, NULL),
						    g_bytes_get_size(image_nocnt),
						    &trust,
						    NULL),
				   FWC_IMAGE_OK);
		trust.min_security_counter = 1;
		test_assert_status(fwc_image_verify(g_bytes_get_data(image_nocnt, NULL),
						    g_bytes_get_size(image_nocnt),
						    &trust,
						    NULL),
				   FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER);
	}

	/* bad trust anchors */
	trust.mode = FWC_IMAGE_TRUST_PUBLIC_KEY;
	trust.public_key = NULL;
	test_assert_status(fwc_image_verify(img, len, &trust, NULL), FWC_IMAGE_ERR_ARGUMENT);
	trust.mode = 0;
	test_assert_status(fwc_image_verify(img, len, &trust, NULL), FWC_IMAGE_ERR_ARGUMENT);
	test_assert_status(fwc_image_verify(img, len, NULL, NULL), FWC_IMAGE_ERR_ARGUMENT);
	test_assert_status(fwc_image_parse(img, len, NULL), FWC_IMAGE_ERR_ARGUMENT);
	test_assert_status(fwc_image_parse(NULL, 10, &info), FWC_IMAGE_ERR_ARGUMENT);
}

static void
test_image_tamper_hash(void)
{
	test_image_tamper(NUSEC_IMAGE_PUBKEY_HASH);
}

static void
test_image_tamper_full(void)
{
	test_image_tamper(NUSEC_IMAGE_PUBKEY_FULL);
}

/* a PUBKEY TLV that hashes to the OTP value but is no P-256 key; a given point off the curve */
static void
test_image_bad_public_key(void)
{
	g_autoptr(TestKey) key = test_key_new();
	g_autoptr(GBytes) body = test_body(64);
	g_autoptr(GBytes) image = test_sign(key, body, NUSEC_IMAGE_PUBKEY_FULL, FALSE);
	g_autofree guint8 *buf = g_memdup2(g_bytes_get_data(image, NULL), g_bytes_get_size(image));
	gsize len = g_bytes_get_size(image);
	guint8 otp[32];
	guint8 point[FWC_P256_POINT_LEN];
	gsize otp_len = sizeof(otp);
	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_KEY_HASH, .key_hash = otp};
	fwc_image_info info;

	test_assert_status(fwc_image_parse(buf, len, &info), FWC_IMAGE_OK);
	buf[info.pubkey_offset + 2] ^= 0x55; /* inside the algorithm identifier */
	g_checksum_update(sha, buf + info.pubkey_offset, info.pubkey_len);
	g_checksum_get_digest(sha, otp, &otp_len);
	test_assert_status(fwc_image_verify(buf, len, &trust, NULL), FWC_IMAGE_ERR_BAD_PUBLIC_KEY);

	/* a trusted "key" that is not on the curve: its hash does not match the image either */
	memcpy(point, key->point, sizeof(point));
	point[64] ^= 1;
	trust.mode = FWC_IMAGE_TRUST_PUBLIC_KEY;
	trust.public_key = point;
	test_assert_status(fwc_image_verify(g_bytes_get_data(image, NULL), len, &trust, NULL),
			   FWC_IMAGE_ERR_KEY_HASH_MISMATCH);
}

/* every status has its own name and message */
static void
test_image_strerror(void)
{
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) messages = g_hash_table_new(g_str_hash, g_str_equal);

	for (int st = FWC_IMAGE_OK; st <= FWC_IMAGE_ERR_CRYPTO; st++) {
		const gchar *name = fwc_image_status_name(st);
		const gchar *msg = fwc_image_strerror(st);
		g_assert_true(g_str_has_prefix(name, "FWC_IMAGE_"));
		g_assert_false(g_hash_table_contains(names, name));
		g_assert_false(g_hash_table_contains(messages, msg));
		g_hash_table_add(names, (gpointer)name);
		g_hash_table_add(messages, (gpointer)msg);
	}
	g_assert_cmpstr(fwc_image_status_name(9999), ==, "FWC_IMAGE_ERR_UNKNOWN");
	g_assert_cmpstr(fwc_image_strerror(-1), ==, "unknown image error");
}

static void
test_image_dump(void)
{
	g_autoptr(TestKey) key = test_key_new();
	g_autoptr(GBytes) body = test_body(10);
	g_autoptr(GBytes) image = test_sign(key, body, NUSEC_IMAGE_PUBKEY_FULL, TRUE);
	g_autoptr(GBytes) bad = g_bytes_new_static("\xff\xff\xff\xff", 4);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = nusec_image_dump(image, FALSE, &error);
	g_autofree gchar *json = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(strstr(text, "version:          1.2.3+4"));
	g_assert_nonnull(strstr(text, "SEC_CNT    (0x0050)   4 bytes: 03000201 (16908291)"));
	g_assert_nonnull(strstr(text, "PUBKEY     (0x0002)  91 bytes: 3059301306072a8648ce3d0201"));
	g_assert_nonnull(strstr(text, "ECDSA_SIG  (0x0022)"));
	json = nusec_image_dump(image, TRUE, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(json, "\"security_counter\": 16908291"));
	g_assert_nonnull(strstr(json, "\"key_format\": \"full\""));
	g_assert_nonnull(strstr(json, "\"name\": \"SHA256\", \"protected\": false"));
	g_assert_nonnull(strstr(json, "\"name\": \"SEC_CNT\", \"protected\": true"));
	g_assert_null(nusec_image_dump(bad, FALSE, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "FWC_IMAGE_ERR_NO_IMAGE"));
}

static void
test_image_errors(void)
{
	g_autoptr(TestKey) key = test_key_new();
	g_autoptr(GBytes) body = test_body(10);
	g_autoptr(GBytes) image = test_sign(key, body, NUSEC_IMAGE_PUBKEY_HASH, TRUE);
	g_autoptr(GError) error = NULL;
	fwc_image_trust trust = test_trust_key(key, 0x7fffffff);

	g_assert_false(nusec_image_verify(image, &trust, NULL, &error));
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_ROLLBACK);
	g_assert_nonnull(strstr(error->message, "FWC_IMAGE_ERR_ROLLBACK"));
	g_clear_error(&error);
	trust.min_security_counter = 0;
	g_assert_true(nusec_image_verify(image, &trust, NULL, &error));
	g_assert_no_error(error);
	nusec_image_set_error(&error, FWC_IMAGE_ERR_BAD_SIGNATURE);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_SIGNATURE_INVALID);
	g_clear_error(&error);
	nusec_image_set_error(&error, FWC_IMAGE_ERR_ENCRYPTED);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);
	nusec_image_set_error(&error, FWC_IMAGE_ERR_TRUNCATED_TLV);
	g_assert_error(error, NUSEC_ERROR, NUSEC_ERROR_INVALID_DATA);
}

/* ---- upstream imgtool vectors ---- */

static GBytes *
test_load(const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "image", dir, name, NULL);
	return nusec_test_load(path);
}

static void
test_hex_decode(const gchar *hex, guint8 *out, gsize len)
{
	g_assert_cmpuint(strlen(hex), ==, len * 2);
	for (gsize i = 0; i < len; i++) {
		gint hi = g_ascii_xdigit_value(hex[2 * i]);
		gint lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		g_assert_cmpint(hi, >=, 0);
		g_assert_cmpint(lo, >=, 0);
		out[i] = (guint8)((hi << 4) | lo);
	}
}

/* the type sequence of an image's TLVs */
static gchar *
test_tlv_types(GBytes *image)
{
	GString *str = g_string_new(NULL);
	fwc_image_info info;
	fwc_image_tlv_iter it;
	fwc_image_tlv tlv;

	test_assert_status(
	    fwc_image_parse(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &info),
	    FWC_IMAGE_OK);
	fwc_image_tlv_iter_init(&it, g_bytes_get_data(image, NULL), &info);
	while (fwc_image_tlv_next(&it, &tlv))
		g_string_append_printf(str, "%s%x ", tlv.is_protected ? "p" : "", tlv.type);
	return g_string_free(str, FALSE);
}

static void
test_image_imgtool(void)
{
	g_autoptr(GBytes) manifest = test_load("imgtool", "vectors.txt");
	g_autoptr(GBytes) pem = test_load("imgtool", "imgtool-ec-p256.pub.pem");
	g_autoptr(GBytes) body = test_load("imgtool", "body.bin");
	g_autofree gchar *text =
	    g_strndup(g_bytes_get_data(manifest, NULL), g_bytes_get_size(manifest));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(BIO) bio =
	    BIO_new_mem_buf(g_bytes_get_data(pem, NULL), (int)g_bytes_get_size(pem));
	g_autoptr(EVP_PKEY) pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	g_autoptr(TestKey) ours = test_key_new();
	g_autoptr(GError) error = NULL;
	guint8 point[FWC_P256_POINT_LEN];
	guint8 spki[FWC_P256_SPKI_LEN];
	guint8 *p = spki;
	guint8 otp[32];
	gsize otp_len = sizeof(otp);
	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	guint count = 0;

	/* the trust anchors from the PEM file, through OpenSSL only */
	g_assert_nonnull(pkey);
	g_assert_cmpint(i2d_PUBKEY(pkey, &p), ==, FWC_P256_SPKI_LEN);
	g_assert_cmpint(fwc_p256_spki_to_point(spki, sizeof(spki), point), ==, FWC_CRYPTO_OK);
	g_checksum_update(sha, spki, sizeof(spki));
	g_checksum_get_digest(sha, otp, &otp_len);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = NULL;
		g_autoptr(GBytes) image = NULL;
		g_autoptr(GBytes) resigned = NULL;
		g_autofree gchar *types_theirs = NULL;
		g_autofree gchar *types_ours = NULL;
		g_autofree gchar *version = NULL;
		g_autofree guint8 *tampered = NULL;
		fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_PUBLIC_KEY, .public_key = point};
		fwc_image_info info;
		fwc_image_info info_ours;
		NuSecImageSignOptions opts;
		guint8 digest[32];
		gboolean full;

		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		f = g_strsplit(lines[i], " ", -1);
		g_assert_cmpuint(g_strv_length(f), ==, 9);
		g_test_message("imgtool vector %s", f[0]);
		full = g_strcmp0(f[5], "full") == 0;
		image = test_load("imgtool", f[0]);

		/* accepted by the firmware side, with the fields imgtool was given */
		test_assert_status(fwc_image_verify(g_bytes_get_data(image, NULL),
						    g_bytes_get_size(image),
						    &trust,
						    &info),
				   FWC_IMAGE_OK);
		g_assert_cmpuint(info.hdr_size, ==, g_ascii_strtoull(f[2], NULL, 10));
		version = nusec_image_version_to_string(&info.version);
		g_assert_cmpstr(version, ==, f[3]);
		if (g_strcmp0(f[4], "-") == 0) {
			g_assert_false(info.has_security_counter);
		} else {
			g_assert_true(info.has_security_counter);
			g_assert_cmpuint(info.security_counter,
					 ==,
					 g_ascii_strtoull(f[4], NULL, 10));
		}
		g_assert_cmpint(info.key_kind, ==, full ? FWC_IMAGE_KEY_FULL : FWC_IMAGE_KEY_HASH);
		g_assert_cmpuint(info.load_addr, ==, g_ascii_strtoull(f[6], NULL, 16));
		g_assert_cmpuint(info.flags, ==, g_ascii_strtoull(f[7], NULL, 16));
		test_hex_decode(f[8], digest, sizeof(digest));
		g_assert_cmpmem(info.hash, 32, digest, 32);
		g_assert_cmpmem(info.key_hash, 32, otp, 32);
		g_assert_cmpmem(g_bytes_get_data(image, NULL) + info.body_offset,
				info.body_len,
				g_bytes_get_data(body, NULL),
				g_bytes_get_size(body));

		/* the OTP mode */
		trust.mode = FWC_IMAGE_TRUST_KEY_HASH;
		trust.key_hash = otp;
		trust.min_security_counter = info.has_security_counter ? info.security_counter : 0;
		test_assert_status(fwc_image_verify(g_bytes_get_data(image, NULL),
						    g_bytes_get_size(image),
						    &trust,
						    NULL),
				   full ? FWC_IMAGE_OK : FWC_IMAGE_ERR_MISSING_PUBKEY);
		trust.min_security_counter = info.has_security_counter ? info.security_counter + 1
								       : 1;
		trust.mode = FWC_IMAGE_TRUST_PUBLIC_KEY;
		test_assert_status(fwc_image_verify(g_bytes_get_data(image, NULL),
						    g_bytes_get_size(image),
						    &trust,
						    NULL),
				   info.has_security_counter
				       ? FWC_IMAGE_ERR_ROLLBACK
				       : FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER);
		trust.min_security_counter = 0;

		/* tampered body, tampered signature, wrong key */
		tampered = g_memdup2(g_bytes_get_data(image, NULL), g_bytes_get_size(image));
		tampered[info.body_offset] ^= 0x80;
		test_assert_status(
		    fwc_image_verify(tampered, g_bytes_get_size(image), &trust, NULL),
		    FWC_IMAGE_ERR_HASH_MISMATCH);
		tampered[info.body_offset] ^= 0x80;
		tampered[g_bytes_get_size(image) - 1] ^= 0x01;
		test_assert_status(
		    fwc_image_verify(tampered, g_bytes_get_size(image), &trust, NULL),
		    FWC_IMAGE_ERR_BAD_SIGNATURE);
		trust.public_key = ours->point;
		test_assert_status(fwc_image_verify(g_bytes_get_data(image, NULL),
						    g_bytes_get_size(image),
						    &trust,
						    NULL),
				   FWC_IMAGE_ERR_KEY_HASH_MISMATCH);

		/* nusec_image_sign with imgtool's options writes the same signed bytes (header,
		 * padding, body, protected area) and the same TLV sequence */
		nusec_image_sign_options_init(&opts);
		opts.version = info.version;
		opts.header_size = info.hdr_size;
		opts.load_address = info.load_addr;
		opts.pubkey_mode = full ? NUSEC_IMAGE_PUBKEY_FULL : NUSEC_IMAGE_PUBKEY_HASH;
		if (info.has_security_counter) {
			opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_VALUE;
			opts.security_counter = info.security_counter;
		}
		resigned = nusec_image_sign(ours->signer, body, &opts, &error);
		g_assert_no_error(error);
		test_assert_status(fwc_image_parse(g_bytes_get_data(resigned, NULL),
						   g_bytes_get_size(resigned),
						   &info_ours),
				   FWC_IMAGE_OK);
		g_assert_cmpmem(g_bytes_get_data(resigned, NULL),
				info_ours.signed_len,
				g_bytes_get_data(image, NULL),
				info.signed_len);
		g_assert_cmpmem(info_ours.hash, 32, info.hash, 32);
		types_theirs = test_tlv_types(image);
		types_ours = test_tlv_types(resigned);
		g_assert_cmpstr(types_ours, ==, types_theirs);
		count++;
	}
	g_assert_cmpuint(count, ==, 4);
}

/* ---- the fuzz corpus: each file rejected with its specific status ---- */

/* expected.txt: the status with the public key, then with the OTP key hash */
static gboolean
test_image_corpus_run(GBytes *data, const gchar **got, gpointer user_data)
{
	fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_PUBLIC_KEY,
				 .public_key = fuzz_image_public_key,
				 .min_security_counter = FUZZ_IMAGE_MIN_SECURITY_COUNTER};
	int st =
	    fwc_image_verify(g_bytes_get_data(data, NULL), g_bytes_get_size(data), &trust, NULL);

	got[0] = fwc_image_status_name(st);
	trust.mode = FWC_IMAGE_TRUST_KEY_HASH;
	trust.key_hash = fuzz_image_key_hash;
	st = fwc_image_verify(g_bytes_get_data(data, NULL), g_bytes_get_size(data), &trust, NULL);
	got[1] = fwc_image_status_name(st);
	return st == FWC_IMAGE_OK;
}

static void
test_image_corpus(void)
{
	NuSecTestCorpus corpus = {.component = "image",
				  .n_columns = 2,
				  .min_rejected = 40,
				  .run = test_image_corpus_run};
	nusec_test_corpus_check(&corpus);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/image/version-parse", test_image_version_parse);
	g_test_add_func("/image/number-parse", test_image_number_parse);
	g_test_add_func("/image/layout/hash", test_image_layout_hash);
	g_test_add_func("/image/layout/full", test_image_layout_full);
	g_test_add_func("/image/options", test_image_options);
	g_test_add_func("/image/tamper/hash", test_image_tamper_hash);
	g_test_add_func("/image/tamper/full", test_image_tamper_full);
	g_test_add_func("/image/bad-public-key", test_image_bad_public_key);
	g_test_add_func("/image/strerror", test_image_strerror);
	g_test_add_func("/image/dump", test_image_dump);
	g_test_add_func("/image/errors", test_image_errors);
	g_test_add_func("/image/imgtool-vectors", test_image_imgtool);
	g_test_add_func("/image/corpus", test_image_corpus);
	return g_test_run();
}
