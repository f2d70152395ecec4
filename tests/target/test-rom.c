/*
 * Target boot ROM over the RAM HAL, in process: fab, attestation, the provisioning sequence,
 * every command in every lifecycle state, secure boot accept and each rejection, certificate
 * checks, sealing of the keys, storage failures and malformed frames. CSRs, certificates and
 * signatures are checked with OpenSSL, the receipt with the station-side COSE verifier.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <psa/crypto.h>
#include <string.h>

#include "fuzz-rom-run.h"
#include "fwc-cbor.h"
#include "fwc-image.h"
#include "fwt-hal-ram.h"
#include "fwt-rom.h"
#include "nusec-cose.h"
#include "nusec-image.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"
#include "target-test-util.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#define ATTEST_CERT "fake attestation certificate"

typedef struct {
	fwt_ram_chip chip;
	fwt_hal hal;
	fwt_rom rom;
	guint8 attest_pub[FWC_P256_POINT_LEN];
	guint8 resp[FWC_LINK_MAX_FRAME];
} Chip;

static Chip *
chip_new_blank(guint64 seed)
{
	Chip *c = g_new0(Chip, 1);
	fwt_ram_chip_init(&c->chip, seed, &c->hal);
	g_assert_cmpint(fwt_rom_init(&c->rom, &c->hal), ==, FWC_TLINK_OK);
	return c;
}

static Chip *
chip_new(guint64 seed)
{
	Chip *c = chip_new_blank(seed);
	g_assert_cmpint(fwt_rom_fab_prepare(&c->rom, c->attest_pub), ==, FWC_TLINK_OK);
	g_assert_cmpint(
	    fwt_rom_fab_set_attest_cert(&c->rom, (const guint8 *)ATTEST_CERT, strlen(ATTEST_CERT)),
	    ==,
	    FWC_TLINK_OK);
	g_assert_true(fwt_rom_is_fabricated(&c->rom));
	return c;
}

static void
chip_free(Chip *c)
{
	fwt_rom_deinit(&c->rom);
	g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Chip, chip_free)

/* power cycle */
static void
chip_reboot(Chip *c)
{
	fwt_rom_deinit(&c->rom);
	g_assert_cmpint(fwt_rom_init(&c->rom, &c->hal), ==, FWC_TLINK_OK);
}

static guint16
xfer(Chip *c, guint8 cmd, const void *payload, gsize len, GBytes **out)
{
	g_autoptr(GBytes) req = tt_request(cmd, payload, len);
	g_auto(TtResponse) r = {0};
	gsize req_len = 0;
	const guint8 *req_data = g_bytes_get_data(req, &req_len);
	size_t n = fwt_rom_handle(&c->rom, req_data, req_len, c->resp, sizeof(c->resp));

	g_assert_cmpuint(n, >, 0);
	tt_decode_response(c->resp, n, cmd, &r);
	if (out != NULL)
		*out = g_steal_pointer(&r.payload);
	return r.status;
}

#define assert_status(got, want)                                                                   \
	do {                                                                                       \
		int _g = (got), _w = (want);                                                       \
		if (_g != _w)                                                                      \
			g_error("%s:%d: got %s, expected %s",                                      \
				__FILE__,                                                          \
				__LINE__,                                                          \
				fwc_tlink_status_name(_g),                                         \
				fwc_tlink_status_name(_w));                                        \
	} while (0)

static void
get_info(Chip *c, fwc_tlink_info *info)
{
	g_autoptr(GBytes) out = NULL;
	gsize len = 0;
	const guint8 *d;

	assert_status(xfer(c, FWC_TLINK_CMD_GET_INFO, NULL, 0, &out), FWC_TLINK_OK);
	d = g_bytes_get_data(out, &len);
	g_assert_cmpint(fwc_tlink_info_decode(d, len, info), ==, FWC_TLINK_OK);
}

static guint16
set_lifecycle(Chip *c, guint8 lc)
{
	return xfer(c, FWC_TLINK_CMD_SET_LIFECYCLE, &lc, 1, NULL);
}

static guint16
flash_range_cmd(Chip *c, guint8 cmd, guint32 off, guint32 len, GBytes **out)
{
	guint8 p[8];
	fwc_link_put_u32(p, off);
	fwc_link_put_u32(p + 4, len);
	return xfer(c, cmd, p, 8, out);
}

static guint16
flash_write(Chip *c, guint32 off, const guint8 *data, gsize len)
{
	g_autofree guint8 *p = g_malloc(4 + len);
	fwc_link_put_u32(p, off);
	memcpy(p + 4, data, len);
	return xfer(c, FWC_TLINK_CMD_FLASH_WRITE, p, 4 + len, NULL);
}

/* erases what the image needs, writes it in 2048-byte chunks, checks FLASH_HASH */
static void
program_image(Chip *c, GBytes *image)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(image, &len);
	guint32 ps = c->hal.flash_page_size;
	guint32 erase = (guint32)((len + ps - 1) / ps * ps);
	g_autoptr(GBytes) hash = NULL;
	guint8 want[32];

	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, MAX(erase, ps), NULL),
		      FWC_TLINK_OK);
	for (gsize off = 0; off < len; off += FWC_TLINK_FLASH_CHUNK)
		assert_status(
		    flash_write(c, (guint32)off, data + off, MIN(FWC_TLINK_FLASH_CHUNK, len - off)),
		    FWC_TLINK_OK);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_HASH, 0, (guint32)len, &hash),
		      FWC_TLINK_OK);
	g_assert_cmpint(fwc_sha256(data, len, want), ==, 0);
	g_assert_cmpmem(g_bytes_get_data(hash, NULL), g_bytes_get_size(hash), want, 32);
}

static guint16
boot(Chip *c, fwc_tlink_boot_result *br)
{
	g_autoptr(GBytes) out = NULL;
	guint16 st = xfer(c, FWC_TLINK_CMD_BOOT, NULL, 0, &out);
	gsize len = 0;
	const guint8 *d = g_bytes_get_data(out, &len);
	g_assert_cmpint(fwc_tlink_boot_result_decode(d, len, br), ==, FWC_TLINK_OK);
	g_assert_cmpuint(br->boot_status, ==, st);
	return st;
}

static NuSecSigner *
boot_signer(void)
{
	g_autoptr(GError) error = NULL;
	NuSecSigner *s = nusec_pem_signer_new_random(&error);
	g_assert_no_error(error);
	return s;
}

static GBytes *
sign_image(NuSecSigner *signer, gsize body_len, guint32 counter, gboolean full)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *body = g_malloc(body_len);
	g_autoptr(GBytes) b = NULL;
	NuSecImageSignOptions opts;
	GBytes *img;

	for (gsize i = 0; i < body_len; i++)
		body[i] = (guint8)(i * 7 + counter);
	b = g_bytes_new(body, body_len);
	nusec_image_sign_options_init(&opts);
	opts.version.major = 1;
	opts.version.minor = 2;
	opts.version.revision = 3;
	opts.pubkey_mode = full ? NUSEC_IMAGE_PUBKEY_FULL : NUSEC_IMAGE_PUBKEY_HASH;
	if (counter != 0) {
		opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_VALUE;
		opts.security_counter = counter;
	}
	img = nusec_image_sign(signer, b, &opts, &error);
	g_assert_no_error(error);
	return img;
}

/* the key hash computed here with OpenSSL's SHA-256 through GLib, not with the firmware */
static void
key_hash(NuSecSigner *signer, guint8 out[32])
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) spki = nusec_signer_get_public_key(signer, &error);
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = 32;
	g_assert_no_error(error);
	g_checksum_update(ck, g_bytes_get_data(spki, NULL), g_bytes_get_size(spki));
	g_checksum_get_digest(ck, out, &len);
}

/* ROT + GEN_KEY + CSR (checked) + certificate: returns the chip's public point */
static void
provision_identity(Chip *c, NuSecSigner *signer, guint8 pub[FWC_P256_POINT_LEN])
{
	g_autoptr(GBytes) key = NULL;
	g_autoptr(GBytes) csr = NULL;
	g_autoptr(GBytes) cert = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(EVP_PKEY) ca = tt_random_key();
	g_autoptr(EVP_PKEY) chip_key = NULL;
	g_autofree gchar *cn = NULL;
	g_autofree gchar *hex = NULL;
	guint8 rot[32];
	guint8 csr_point[FWC_P256_POINT_LEN];
	fwc_tlink_info info;

	key_hash(signer, rot);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, rot, 32, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
	g_assert_cmpuint(g_bytes_get_size(key), ==, FWC_P256_POINT_LEN);
	memcpy(pub, g_bytes_get_data(key, NULL), FWC_P256_POINT_LEN);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CSR, NULL, 0, &csr), FWC_TLINK_OK);
	tt_check_csr(g_bytes_get_data(csr, NULL), g_bytes_get_size(csr), &cn, csr_point);
	get_info(c, &info);
	hex = tt_hex(info.chip_id, sizeof(info.chip_id));
	g_assert_cmpstr(cn, ==, hex);
	g_assert_cmpmem(csr_point, sizeof(csr_point), pub, FWC_P256_POINT_LEN);
	chip_key = tt_point_to_pkey(pub);
	cert = tt_make_cert(chip_key, ca, cn);
	payload = tt_chain_payload(&cert, 1);
	assert_status(xfer(c,
			   FWC_TLINK_CMD_WRITE_CERT,
			   g_bytes_get_data(payload, NULL),
			   g_bytes_get_size(payload),
			   NULL),
		      FWC_TLINK_OK);
}

static void
test_rom_fab(void)
{
	g_autoptr(Chip) c = chip_new_blank(1);
	g_autoptr(GBytes) out = NULL;
	fwc_tlink_info info;
	guint8 pub2[FWC_P256_POINT_LEN];
	guint8 nonce[32] = {0};

	/* a blank chip answers GET_INFO only */
	get_info(c, &info);
	g_assert_cmpuint(info.key_flags, ==, 0);
	g_assert_cmpstr(info.model, ==, FWT_ROM_MODEL);
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, nonce, 32, NULL), FWC_TLINK_ERR_NOT_FABRICATED);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_NOT_FABRICATED);
	assert_status(xfer(c, 0x55, NULL, 0, NULL), FWC_TLINK_ERR_UNKNOWN_COMMAND);

	g_assert_cmpint(fwt_rom_fab_prepare(&c->rom, c->attest_pub), ==, FWC_TLINK_OK);
	/* interrupted fab resumes with the same key */
	chip_reboot(c);
	g_assert_false(fwt_rom_is_fabricated(&c->rom));
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, nonce, 32, NULL), FWC_TLINK_ERR_NOT_FABRICATED);
	g_assert_cmpint(fwt_rom_fab_prepare(&c->rom, pub2), ==, FWC_TLINK_OK);
	g_assert_cmpmem(pub2, sizeof(pub2), c->attest_pub, sizeof(pub2));
	g_assert_cmpint(fwt_rom_fab_set_attest_cert(&c->rom, (const guint8 *)"x", 1),
			==,
			FWC_TLINK_OK);
	g_assert_cmpint(fwt_rom_fab_set_attest_cert(&c->rom, (const guint8 *)"y", 1),
			==,
			FWC_TLINK_ERR_LIFECYCLE);
	chip_reboot(c);
	g_assert_true(fwt_rom_is_fabricated(&c->rom));
	get_info(c, &info);
	g_assert_cmpuint(info.key_flags, ==, FWC_TLINK_KEY_ATTEST);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_OPEN);
	g_assert_cmpuint(info.debug, ==, 1);
	g_assert_cmpuint(info.flash_size, ==, FWT_RAM_FLASH_SIZE);
	/* the OTP copy in RAM holds no device secret once imported */
	for (gsize i = 0; i < FWT_OTP_HUK_LEN; i++)
		g_assert_cmpuint(c->rom.otp[FWT_OTP_HUK + i], ==, 0);
	/* two chips differ */
	{
		g_autoptr(Chip) d = chip_new(2);
		fwc_tlink_info info2;
		get_info(d, &info2);
		g_assert_cmpmem(info.chip_id, 16, info.chip_id, 16);
		g_assert_true(memcmp(info.chip_id, info2.chip_id, 16) != 0);
	}
}

static void
test_rom_attest(void)
{
	g_autoptr(Chip) c = chip_new(3);
	g_autoptr(GBytes) out = NULL;
	g_autoptr(EVP_PKEY) pub = tt_point_to_pkey(c->attest_pub);
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	fwc_tlink_info info;
	guint8 nonce[32];
	guint8 digest[32];
	gsize dlen = 32;
	gsize len = 0;
	const guint8 *d;

	for (guint i = 0; i < 32; i++)
		nonce[i] = (guint8)(i * 3);
	get_info(c, &info);
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, nonce, 32, &out), FWC_TLINK_OK);
	d = g_bytes_get_data(out, &len);
	g_assert_cmpuint(len, ==, 64 + strlen(ATTEST_CERT));
	g_assert_cmpmem(d + 64, len - 64, ATTEST_CERT, strlen(ATTEST_CERT));
	g_checksum_update(ck, (const guint8 *)"NuSEC target attest v1", 22);
	g_checksum_update(ck, info.chip_id, 16);
	g_checksum_update(ck, nonce, 32);
	g_checksum_get_digest(ck, digest, &dlen);
	g_assert_true(tt_verify_digest(pub, digest, d));
	/* the signature does not fit another nonce */
	{
		g_autoptr(GChecksum) ck2 = g_checksum_new(G_CHECKSUM_SHA256);
		guint8 digest2[32];
		nonce[0] ^= 1;
		g_checksum_update(ck2, (const guint8 *)"NuSEC target attest v1", 22);
		g_checksum_update(ck2, info.chip_id, 16);
		g_checksum_update(ck2, nonce, 32);
		g_checksum_get_digest(ck2, digest2, &dlen);
		g_assert_false(tt_verify_digest(pub, digest2, d));
	}
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, nonce, 31, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, NULL, 0, NULL), FWC_TLINK_ERR_BAD_LENGTH);

	/* ATTEST_KEY: the identity key vouched for by the attestation key */
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST_KEY, nonce, 32, NULL), FWC_TLINK_ERR_NO_KEY);
	{
		g_autoptr(GBytes) key = NULL;
		g_autoptr(GBytes) ak = NULL;
		g_autoptr(GChecksum) ck3 = g_checksum_new(G_CHECKSUM_SHA256);
		guint8 kd[32];
		const guint8 *a;
		assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
		assert_status(xfer(c, FWC_TLINK_CMD_ATTEST_KEY, nonce, 32, &ak), FWC_TLINK_OK);
		a = g_bytes_get_data(ak, &len);
		g_assert_cmpuint(len, ==, 65 + 64);
		g_assert_cmpmem(a, 65, g_bytes_get_data(key, NULL), 65);
		g_checksum_update(ck3, (const guint8 *)"NuSEC target key attest v1", 26);
		g_checksum_update(ck3, info.chip_id, 16);
		g_checksum_update(ck3, nonce, 32);
		g_checksum_update(ck3, g_bytes_get_data(key, NULL), 65);
		dlen = 32;
		g_checksum_get_digest(ck3, kd, &dlen);
		g_assert_true(tt_verify_digest(pub, kd, a + 65));
		/* not an ATTEST signature: another domain */
		g_assert_false(tt_verify_digest(pub, digest, a + 65));
		assert_status(xfer(c, FWC_TLINK_CMD_ATTEST_KEY, nonce, 31, NULL),
			      FWC_TLINK_ERR_BAD_LENGTH);
	}
}

static void
check_receipt(GBytes *receipt,
	      const guint8 pub[FWC_P256_POINT_LEN],
	      const fwc_tlink_info *info,
	      const guint8 *image_hash,
	      const guint8 *nonce,
	      gsize nonce_len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GBytes) spki = NULL;
	guint8 spki_buf[FWC_P256_SPKI_LEN];
	fwc_cbor_reader r;
	size_t pairs = 0;
	const guint8 *p;
	gsize plen = 0;

	fwc_p256_point_to_spki(pub, spki_buf);
	spki = g_bytes_new(spki_buf, sizeof(spki_buf));
	g_assert_true(nusec_cose_sign1_verify(receipt, spki, NULL, &payload, &error));
	g_assert_no_error(error);
	p = g_bytes_get_data(payload, &plen);
	g_assert_cmpint(fwc_cbor_validate(p, plen, 0), ==, FWC_CBOR_OK);
	fwc_cbor_reader_init(&r, p, plen, 0);
	g_assert_cmpint(fwc_cbor_read_map(&r, &pairs), ==, 0);
	g_assert_cmpuint(pairs, ==, 9);
	for (guint64 k = 1; k <= 9; k++) {
		guint64 key = 0, v = 0;
		const uint8_t *b = NULL;
		size_t blen = 0;
		fwc_cbor_type t;
		g_assert_cmpint(fwc_cbor_read_uint(&r, &key), ==, 0);
		g_assert_cmpuint(key, ==, k);
		g_assert_cmpint(fwc_cbor_peek_type(&r, &t), ==, 0);
		switch (k) {
		case 1:
			g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
			g_assert_cmpmem(b, blen, info->chip_id, 16);
			break;
		case 2:
			g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
			g_assert_cmpuint(blen, ==, 32);
			break;
		case 3:
			if (image_hash != NULL) {
				g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
				g_assert_cmpmem(b, blen, image_hash, 32);
			} else {
				g_assert_cmpint(fwc_cbor_read_null(&r), ==, 0);
			}
			break;
		case 4:
			g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
			g_assert_cmpuint(v, ==, info->lifecycle);
			break;
		case 5:
			g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
			g_assert_cmpuint(v, ==, info->boot_state);
			break;
		case 6:
			g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
			g_assert_cmpuint(v, ==, info->boot_status);
			break;
		case 7:
			g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
			g_assert_cmpuint(v, ==, info->image_status);
			break;
		case 8:
			g_assert_cmpint(fwc_cbor_read_uint(&r, &v), ==, 0);
			g_assert_cmpuint(v, ==, info->security_counter);
			break;
		case 9:
			g_assert_cmpint(fwc_cbor_read_bstr(&r, &b, &blen), ==, 0);
			g_assert_cmpmem(b, blen, nonce, nonce_len);
			break;
		}
	}
	g_assert_cmpint(fwc_cbor_read_end(&r), ==, 0);
}

static void
test_rom_provision(void)
{
	g_autoptr(Chip) c = chip_new(4);
	g_autoptr(NuSecSigner) signer = boot_signer();
	g_autoptr(GBytes) image = sign_image(signer, 5000, 7, TRUE);
	g_autoptr(GBytes) receipt = NULL;
	g_autoptr(GBytes) receipt2 = NULL;
	g_autoptr(GBytes) chain = NULL;
	g_autoptr(GBytes) csr = NULL;
	guint8 pub[FWC_P256_POINT_LEN];
	guint8 nonce[32] = {1, 2, 3};
	guint8 long_nonce[33] = {0};
	fwc_tlink_boot_result br;
	fwc_tlink_info info;
	fwc_image_info ii;

	provision_identity(c, signer, pub);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_KEY_EXISTS);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, &chain), FWC_TLINK_OK);
	get_info(c, &info);
	g_assert_cmpuint(info.key_flags, ==, 7);
	g_assert_cmpuint(info.otp_flags, ==, FWC_TLINK_OTP_ROT_SET);
	assert_status(set_lifecycle(c, FWC_TLINK_LC_PROVISIONED), FWC_TLINK_OK);
	program_image(c, image);
	assert_status(set_lifecycle(c, FWC_TLINK_LC_LOCKED), FWC_TLINK_OK);
	/* the chip resets and boots */
	chip_reboot(c);
	get_info(c, &info);
	g_assert_cmpuint(info.boot_state, ==, FWC_TLINK_BOOT_NONE);
	g_assert_cmpuint(info.debug, ==, 0);
	assert_status(boot(c, &br), FWC_TLINK_OK);
	g_assert_cmpuint(br.boot_state, ==, FWC_TLINK_BOOT_ACCEPTED);
	g_assert_cmpuint(br.image_counter, ==, 7);
	g_assert_cmpuint(br.security_counter, ==, 7);
	g_assert_cmpuint(br.version[0], ==, 1);
	g_assert_cmpint(nusec_image_parse(image, &ii, NULL), ==, TRUE);
	g_assert_cmpmem(br.image_hash, 32, ii.hash, 32);
	get_info(c, &info);
	g_assert_cmpuint(info.security_counter, ==, 7);
	g_assert_cmpuint(info.lifecycle, ==, FWC_TLINK_LC_LOCKED);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_RECEIPT, nonce, sizeof(nonce), &receipt),
		      FWC_TLINK_OK);
	check_receipt(receipt, pub, &info, ii.hash, nonce, sizeof(nonce));
	/* empty nonce; nonce too long */
	assert_status(xfer(c, FWC_TLINK_CMD_GET_RECEIPT, NULL, 0, &receipt2), FWC_TLINK_OK);
	check_receipt(receipt2, pub, &info, ii.hash, NULL, 0);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_RECEIPT, long_nonce, sizeof(long_nonce), NULL),
		      FWC_TLINK_ERR_BAD_LENGTH);
	/* the CSR still comes from the same key after power cycles */
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CSR, NULL, 0, &csr), FWC_TLINK_OK);
	{
		g_autofree gchar *cn = NULL;
		guint8 point[FWC_P256_POINT_LEN];
		tt_check_csr(g_bytes_get_data(csr, NULL), g_bytes_get_size(csr), &cn, point);
		g_assert_cmpmem(point, sizeof(point), pub, sizeof(pub));
	}
	/* the identity key is not exportable, even by the ROM's own process */
	{
		guint8 buf[64];
		size_t len = 0;
		g_assert_cmpint(psa_export_key((psa_key_id_t)c->rom.id_key, buf, sizeof(buf), &len),
				==,
				PSA_ERROR_NOT_PERMITTED);
		g_assert_cmpint(
		    psa_export_key((psa_key_id_t)c->rom.attest_key, buf, sizeof(buf), &len),
		    ==,
		    PSA_ERROR_NOT_PERMITTED);
	}
}

/* every command in every lifecycle state */
static void
test_rom_matrix(void)
{
	g_autoptr(Chip) c = chip_new(5);
	g_autoptr(NuSecSigner) signer = boot_signer();
	g_autoptr(GBytes) image = sign_image(signer, 3000, 0, TRUE);
	guint8 pub[FWC_P256_POINT_LEN];
	guint8 rot[32];
	guint8 nonce[32] = {0};
	guint8 data[16];
	fwc_tlink_boot_result br;

	memset(data, 0x42, sizeof(data));
	key_hash(signer, rot);
	/* OPEN: PROVISIONED needs ROT, key and certificate; LOCKED is not the next state */
	assert_status(set_lifecycle(c, FWC_TLINK_LC_PROVISIONED),
		      FWC_TLINK_ERR_LIFECYCLE_PRECONDITION);
	assert_status(set_lifecycle(c, FWC_TLINK_LC_LOCKED), FWC_TLINK_ERR_LIFECYCLE_INVALID);
	assert_status(set_lifecycle(c, FWC_TLINK_LC_OPEN), FWC_TLINK_ERR_LIFECYCLE_INVALID);
	assert_status(set_lifecycle(c, 7), FWC_TLINK_ERR_LIFECYCLE_INVALID);
	assert_status(xfer(c, FWC_TLINK_CMD_SET_LIFECYCLE, NULL, 0, NULL),
		      FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CSR, NULL, 0, NULL), FWC_TLINK_ERR_NO_KEY);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_RECEIPT, NULL, 0, NULL), FWC_TLINK_ERR_NO_KEY);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x01\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_NO_KEY);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, NULL), FWC_TLINK_ERR_NO_CERT);
	assert_status(boot(c, &br), FWC_TLINK_ERR_ROT_NOT_SET);
	g_assert_cmpuint(br.boot_state, ==, FWC_TLINK_BOOT_REJECTED);
	provision_identity(c, signer, pub);
	program_image(c, image);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_READ, 0, 16, NULL), FWC_TLINK_OK);
	assert_status(boot(c, &br), FWC_TLINK_OK);

	/* PROVISIONED */
	assert_status(set_lifecycle(c, FWC_TLINK_LC_PROVISIONED), FWC_TLINK_OK);
	assert_status(set_lifecycle(c, FWC_TLINK_LC_PROVISIONED), FWC_TLINK_ERR_LIFECYCLE_INVALID);
	assert_status(set_lifecycle(c, FWC_TLINK_LC_OPEN), FWC_TLINK_ERR_LIFECYCLE_INVALID);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, rot, 32, NULL), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x01\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_LIFECYCLE);
	assert_status(flash_write(c, 0x8000, data, sizeof(data)), FWC_TLINK_OK);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0x8000, 1024, NULL),
		      FWC_TLINK_OK);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_READ, 0, 16, NULL), FWC_TLINK_OK);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_HASH, 0, 16, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, nonce, 32, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CSR, NULL, 0, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_RECEIPT, NULL, 0, NULL), FWC_TLINK_OK);
	assert_status(boot(c, &br), FWC_TLINK_OK);

	/* LOCKED: nothing writes, debug off */
	assert_status(set_lifecycle(c, FWC_TLINK_LC_LOCKED), FWC_TLINK_OK);
	for (guint8 lc = 0; lc < 4; lc++)
		assert_status(set_lifecycle(c, lc), FWC_TLINK_ERR_LIFECYCLE_INVALID);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, rot, 32, NULL), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x01\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_LIFECYCLE);
	assert_status(flash_write(c, 0x8000, data, sizeof(data)), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, 1024, NULL),
		      FWC_TLINK_ERR_LIFECYCLE);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_READ, 0, 16, NULL),
		      FWC_TLINK_ERR_DEBUG_LOCKED);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_HASH, 0, 16, NULL),
		      FWC_TLINK_ERR_DEBUG_LOCKED);
	assert_status(xfer(c, FWC_TLINK_CMD_ATTEST, nonce, 32, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CSR, NULL, 0, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_RECEIPT, NULL, 0, NULL), FWC_TLINK_OK);
	assert_status(boot(c, &br), FWC_TLINK_OK);
	/* and after a power cycle still LOCKED, the image still boots */
	chip_reboot(c);
	assert_status(flash_write(c, 0x8000, data, sizeof(data)), FWC_TLINK_ERR_LIFECYCLE);
	assert_status(boot(c, &br), FWC_TLINK_OK);
}

/* the command matrix of docs/formats/target-link.md, row by row: each command with a
 * well-formed request, on a chip that has everything (ROT, key, certificate, image) */
typedef struct {
	guint8 cmd;
	int want[3]; /* OPEN, PROVISIONED, LOCKED */
} MatrixRow;

static void
test_rom_matrix_table(void)
{
	static const MatrixRow rows[] = {
	    {FWC_TLINK_CMD_GET_INFO, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {FWC_TLINK_CMD_ATTEST, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {FWC_TLINK_CMD_WRITE_ROT,
	     {FWC_TLINK_OK, FWC_TLINK_ERR_LIFECYCLE, FWC_TLINK_ERR_LIFECYCLE}},
	    {FWC_TLINK_CMD_GEN_KEY,
	     {FWC_TLINK_ERR_KEY_EXISTS, FWC_TLINK_ERR_LIFECYCLE, FWC_TLINK_ERR_LIFECYCLE}},
	    {FWC_TLINK_CMD_GET_CSR, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {FWC_TLINK_CMD_WRITE_CERT,
	     {FWC_TLINK_OK, FWC_TLINK_ERR_LIFECYCLE, FWC_TLINK_ERR_LIFECYCLE}},
	    {FWC_TLINK_CMD_FLASH_ERASE, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_ERR_LIFECYCLE}},
	    {FWC_TLINK_CMD_FLASH_WRITE, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_ERR_LIFECYCLE}},
	    {FWC_TLINK_CMD_FLASH_HASH, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_ERR_DEBUG_LOCKED}},
	    {FWC_TLINK_CMD_FLASH_READ, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_ERR_DEBUG_LOCKED}},
	    {FWC_TLINK_CMD_SET_LIFECYCLE,
	     {FWC_TLINK_ERR_LIFECYCLE_INVALID,
	      FWC_TLINK_ERR_LIFECYCLE_INVALID,
	      FWC_TLINK_ERR_LIFECYCLE_INVALID}},
	    {FWC_TLINK_CMD_BOOT, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {FWC_TLINK_CMD_GET_RECEIPT, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {FWC_TLINK_CMD_GET_CERT, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {FWC_TLINK_CMD_ATTEST_KEY, {FWC_TLINK_OK, FWC_TLINK_OK, FWC_TLINK_OK}},
	    {0x10,
	     {FWC_TLINK_ERR_UNKNOWN_COMMAND,
	      FWC_TLINK_ERR_UNKNOWN_COMMAND,
	      FWC_TLINK_ERR_UNKNOWN_COMMAND}},
	};
	g_autoptr(Chip) c = chip_new(15);
	g_autoptr(NuSecSigner) signer = boot_signer();
	g_autoptr(GBytes) image = sign_image(signer, 2000, 0, TRUE);
	g_autoptr(GBytes) chain = NULL;
	guint8 pub[FWC_P256_POINT_LEN];
	guint8 rot[32];
	guint32 last_page = FWT_RAM_FLASH_SIZE - FWT_RAM_PAGE_SIZE;

	key_hash(signer, rot);
	provision_identity(c, signer, pub);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, &chain), FWC_TLINK_OK);
	program_image(c, image);
	for (guint state = 0; state < 3; state++) {
		GString *line = g_string_new(fwc_tlink_lifecycle_name(state));
		fwc_tlink_info info;
		get_info(c, &info);
		g_assert_cmpuint(info.lifecycle, ==, state);
		for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
			guint8 p[40] = {0};
			gsize len = 0;
			const void *payload = p;
			int st;
			switch (rows[i].cmd) {
			case FWC_TLINK_CMD_ATTEST:
			case FWC_TLINK_CMD_ATTEST_KEY:
				len = 32;
				break;
			case FWC_TLINK_CMD_WRITE_ROT:
				payload = rot;
				len = 32;
				break;
			case FWC_TLINK_CMD_WRITE_CERT:
				payload = g_bytes_get_data(chain, &len);
				break;
			case FWC_TLINK_CMD_FLASH_ERASE:
				fwc_link_put_u32(p, last_page);
				fwc_link_put_u32(p + 4, FWT_RAM_PAGE_SIZE);
				len = 8;
				break;
			case FWC_TLINK_CMD_FLASH_WRITE:
				fwc_link_put_u32(p, last_page);
				len = 8;
				break;
			case FWC_TLINK_CMD_FLASH_HASH:
			case FWC_TLINK_CMD_FLASH_READ:
				fwc_link_put_u32(p + 4, 16);
				len = 8;
				break;
			case FWC_TLINK_CMD_SET_LIFECYCLE:
				p[0] = (guint8)state; /* the current state: never a transition */
				len = 1;
				break;
			case FWC_TLINK_CMD_GET_RECEIPT:
				len = 8;
				break;
			default:
				break;
			}
			st = xfer(c, rows[i].cmd, payload, len, NULL);
			g_string_append_printf(line,
					       " %s=%s",
					       fwc_tlink_cmd_name(rows[i].cmd) != NULL
						   ? fwc_tlink_cmd_name(rows[i].cmd)
						   : "0x10",
					       fwc_tlink_status_name(st));
			if (st != rows[i].want[state])
				g_error("%s in %s: got %s, expected %s",
					fwc_tlink_cmd_name(rows[i].cmd),
					fwc_tlink_lifecycle_name(state),
					fwc_tlink_status_name(st),
					fwc_tlink_status_name(rows[i].want[state]));
		}
		g_test_message("%s", line->str);
		g_string_free(line, TRUE);
		if (state < 2)
			assert_status(set_lifecycle(c, (guint8)(state + 1)), FWC_TLINK_OK);
	}
}

static void
expect_boot(Chip *c, GBytes *image, int image_status)
{
	fwc_tlink_boot_result br;
	guint16 st;

	if (image != NULL)
		program_image(c, image);
	st = boot(c, &br);
	if (br.image_status != image_status)
		g_error("boot: got %s, expected %s",
			fwc_image_status_name(br.image_status),
			fwc_image_status_name(image_status));
	assert_status(st,
		      image_status == FWC_IMAGE_OK ? FWC_TLINK_OK : FWC_TLINK_ERR_BOOT_REJECTED);
	g_assert_cmpuint(br.boot_state,
			 ==,
			 image_status == FWC_IMAGE_OK ? FWC_TLINK_BOOT_ACCEPTED
						      : FWC_TLINK_BOOT_REJECTED);
	if (image_status != FWC_IMAGE_OK) {
		guint8 zero[32] = {0};
		g_assert_cmpmem(br.image_hash, 32, zero, 32);
	}
}

static GBytes *
flip(GBytes *b, gsize off)
{
	gsize len = g_bytes_get_size(b);
	guint8 *d = g_memdup2(g_bytes_get_data(b, NULL), len);
	g_assert_cmpuint(off, <, len);
	d[off] ^= 0x01;
	return g_bytes_new_take(d, len);
}

static void
test_rom_secure_boot(void)
{
	g_autoptr(Chip) c = chip_new(6);
	g_autoptr(NuSecSigner) signer = boot_signer();
	g_autoptr(NuSecSigner) other = boot_signer();
	g_autoptr(GBytes) good = sign_image(signer, 4000, 5, TRUE);
	g_autoptr(GBytes) newer = sign_image(signer, 4000, 9, TRUE);
	g_autoptr(GBytes) older = sign_image(signer, 4000, 3, TRUE);
	g_autoptr(GBytes) nocnt = sign_image(signer, 4000, 0, TRUE);
	g_autoptr(GBytes) hashmode = sign_image(signer, 4000, 5, FALSE);
	g_autoptr(GBytes) wrongkey = sign_image(other, 4000, 5, TRUE);
	g_autoptr(GBytes) t_header = flip(good, 20); /* version byte */
	g_autoptr(GBytes) t_body = flip(good, 32 + 100);
	g_autoptr(GBytes) t_prot = flip(good, 32 + 4000 + 8); /* the SEC_CNT value */
	g_autoptr(GBytes) t_magic = flip(good, 0);
	g_autoptr(GBytes) t_sig = flip(good, g_bytes_get_size(good) - 3);
	g_autoptr(GBytes) truncated = g_bytes_new_from_bytes(good, 0, 3000);
	guint8 pub[FWC_P256_POINT_LEN];
	fwc_tlink_info info;

	provision_identity(c, signer, pub);
	/* no image: erased flash */
	expect_boot(c, NULL, FWC_IMAGE_ERR_NO_IMAGE);
	expect_boot(c, t_header, FWC_IMAGE_ERR_HASH_MISMATCH);
	expect_boot(c, t_body, FWC_IMAGE_ERR_HASH_MISMATCH);
	expect_boot(c, t_prot, FWC_IMAGE_ERR_HASH_MISMATCH);
	expect_boot(c, t_magic, FWC_IMAGE_ERR_BAD_MAGIC);
	expect_boot(c, t_sig, FWC_IMAGE_ERR_BAD_SIGNATURE);
	expect_boot(c, wrongkey, FWC_IMAGE_ERR_KEY_HASH_MISMATCH);
	expect_boot(c, hashmode, FWC_IMAGE_ERR_MISSING_PUBKEY);
	/* the image is cut over the rest of an older one: the hash no longer matches */
	expect_boot(c, truncated, FWC_IMAGE_ERR_HASH_MISMATCH);
	/* the image is cut and what follows is erased 0xff: no protected TLV area */
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, FWT_RAM_FLASH_SIZE, NULL),
		      FWC_TLINK_OK);
	expect_boot(c, truncated, FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC);
	/* nothing was accepted: the counter did not move */
	get_info(c, &info);
	g_assert_cmpuint(info.security_counter, ==, 0);
	g_assert_cmpuint(info.boot_state, ==, FWC_TLINK_BOOT_REJECTED);
	g_assert_cmpuint(info.image_status, ==, FWC_IMAGE_ERR_BAD_PROT_TLV_MAGIC);
	/* counter 0: an image without SEC_CNT boots */
	expect_boot(c, nocnt, FWC_IMAGE_OK);
	expect_boot(c, good, FWC_IMAGE_OK);
	get_info(c, &info);
	g_assert_cmpuint(info.security_counter, ==, 5);
	expect_boot(c, newer, FWC_IMAGE_OK);
	get_info(c, &info);
	g_assert_cmpuint(info.security_counter, ==, 9);
	/* rollback: both older counters and images without one */
	expect_boot(c, older, FWC_IMAGE_ERR_ROLLBACK);
	expect_boot(c, good, FWC_IMAGE_ERR_ROLLBACK);
	expect_boot(c, nocnt, FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER);
	/* the counter survives a power cycle */
	chip_reboot(c);
	expect_boot(c, NULL, FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER);
	expect_boot(c, newer, FWC_IMAGE_OK);
	/* a header whose sizes point past the flash */
	{
		g_autofree guint8 *hdr = g_memdup2(g_bytes_get_data(good, NULL), 32);
		g_autoptr(GBytes) big = NULL;
		fwc_link_put_u32(hdr + 12, 0x7fffffff);
		big = g_bytes_new(hdr, 32);
		expect_boot(c, big, FWC_IMAGE_ERR_TRUNCATED_BODY);
	}
}

static void
test_rom_write_cert(void)
{
	g_autoptr(Chip) c = chip_new(7);
	g_autoptr(NuSecSigner) signer = boot_signer();
	g_autoptr(EVP_PKEY) ca = tt_random_key();
	g_autoptr(EVP_PKEY) other = tt_random_key();
	g_autoptr(EVP_PKEY) chip_key = NULL;
	g_autoptr(GBytes) good = NULL;
	g_autoptr(GBytes) wrong = NULL;
	g_autoptr(GBytes) ca_cert = tt_make_cert(ca, ca, "Test CA");
	g_autoptr(GBytes) key = NULL;
	guint8 buf[FWC_LINK_MAX_PAYLOAD];
	gsize n;

	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
	chip_key = tt_point_to_pkey(g_bytes_get_data(key, NULL));
	good = tt_make_cert(chip_key, ca, "chip");
	wrong = tt_make_cert(other, ca, "chip");
	{
		GBytes *chain[] = {wrong, ca_cert};
		g_autoptr(GBytes) p = tt_chain_payload(chain, 2);
		assert_status(xfer(c,
				   FWC_TLINK_CMD_WRITE_CERT,
				   g_bytes_get_data(p, NULL),
				   g_bytes_get_size(p),
				   NULL),
			      FWC_TLINK_ERR_CERT_KEY_MISMATCH);
	}
	{
		/* the CA first: its key is not the chip's */
		GBytes *chain[] = {ca_cert, good};
		g_autoptr(GBytes) p = tt_chain_payload(chain, 2);
		assert_status(xfer(c,
				   FWC_TLINK_CMD_WRITE_CERT,
				   g_bytes_get_data(p, NULL),
				   g_bytes_get_size(p),
				   NULL),
			      FWC_TLINK_ERR_CERT_KEY_MISMATCH);
	}
	{
		/* a tampered DER in second place */
		g_autoptr(GBytes) bad =
		    g_bytes_new_from_bytes(ca_cert, 0, g_bytes_get_size(ca_cert) - 1);
		GBytes *chain[] = {good, bad};
		g_autoptr(GBytes) p = tt_chain_payload(chain, 2);
		assert_status(xfer(c,
				   FWC_TLINK_CMD_WRITE_CERT,
				   g_bytes_get_data(p, NULL),
				   g_bytes_get_size(p),
				   NULL),
			      FWC_TLINK_ERR_CERT_PARSE);
	}
	/* encodings */
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, NULL, 0, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x00", 1, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x05\x01\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x05\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x00\x00", 3, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x01\x00\x30\x00", 5, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x02\x01\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, "\x01\x01\x00\x30", 4, NULL),
		      FWC_TLINK_ERR_CERT_PARSE);
	/* nothing stored so far */
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, NULL), FWC_TLINK_ERR_NO_CERT);
	{
		GBytes *chain[] = {good, ca_cert};
		g_autoptr(GBytes) p = tt_chain_payload(chain, 2);
		g_autoptr(GBytes) back = NULL;
		assert_status(xfer(c,
				   FWC_TLINK_CMD_WRITE_CERT,
				   g_bytes_get_data(p, NULL),
				   g_bytes_get_size(p),
				   NULL),
			      FWC_TLINK_OK);
		assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, NULL, 0, &back), FWC_TLINK_OK);
		g_assert_true(g_bytes_equal(p, back));
		/* the receipt's certificate hash is the leaf's */
		g_assert_cmpint(
		    fwc_sha256(g_bytes_get_data(good, NULL), g_bytes_get_size(good), buf),
		    ==,
		    0);
		g_assert_cmpmem(c->rom.cert_hash, 32, buf, 32);
	}
	/* five certificates are too many */
	n = 0;
	buf[n++] = 5;
	for (guint i = 0; i < 5; i++) {
		gsize l = g_bytes_get_size(good);
		buf[n++] = (guint8)l;
		buf[n++] = (guint8)(l >> 8);
		memcpy(buf + n, g_bytes_get_data(good, NULL), l);
		n += l;
	}
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_CERT, buf, n, NULL),
		      FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	(void)signer;
}

static void
test_rom_write_rot(void)
{
	g_autoptr(Chip) c = chip_new(8);
	guint8 a[32], b[32], zero[32] = {0};
	fwc_tlink_info info;

	memset(a, 0x0f, sizeof(a));
	memset(b, 0xf0, sizeof(b));
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, zero, 32, NULL), FWC_TLINK_ERR_BAD_ARGUMENT);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, a, 31, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	/* a power cut after the hash, before the commit marker: dirty, not set */
	g_assert_cmpint(c->hal.otp_program(c->hal.ctx, FWT_OTP_ROT, a, 32), ==, 0);
	chip_reboot(c);
	get_info(c, &info);
	g_assert_cmpuint(info.otp_flags, ==, FWC_TLINK_OTP_ROT_DIRTY);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, b, 32, NULL), FWC_TLINK_ERR_OTP_DIRTY);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, a, 32, NULL), FWC_TLINK_OK);
	get_info(c, &info);
	g_assert_cmpuint(info.otp_flags, ==, FWC_TLINK_OTP_ROT_SET);
	g_assert_cmpmem(info.rot_hash, 32, a, 32);
	/* once set: the same value again is fine, another is refused */
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, a, 32, NULL), FWC_TLINK_OK);
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, b, 32, NULL), FWC_TLINK_ERR_ROT_ALREADY_SET);
	memset(b, 0xff, sizeof(b)); /* a superset of a's bits: still refused */
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, b, 32, NULL), FWC_TLINK_ERR_ROT_ALREADY_SET);
	chip_reboot(c);
	get_info(c, &info);
	g_assert_cmpmem(info.rot_hash, 32, a, 32);
}

static void
test_rom_flash(void)
{
	g_autoptr(Chip) c = chip_new(9);
	g_autoptr(GBytes) out = NULL;
	guint8 data[FWC_TLINK_FLASH_CHUNK + 1];
	guint8 want[32];

	memset(data, 0x5a, sizeof(data));
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, 0, NULL),
		      FWC_TLINK_ERR_FLASH_RANGE);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 1, 1024, NULL),
		      FWC_TLINK_ERR_FLASH_ALIGN);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, 1000, NULL),
		      FWC_TLINK_ERR_FLASH_ALIGN);
	assert_status(
	    flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, FWT_RAM_FLASH_SIZE + 1024, NULL),
	    FWC_TLINK_ERR_FLASH_RANGE);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0xfffffc00, 1024, NULL),
		      FWC_TLINK_ERR_FLASH_RANGE);
	assert_status(xfer(c, FWC_TLINK_CMD_FLASH_ERASE, data, 7, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(flash_write(c, FWT_RAM_FLASH_SIZE - 4, data, 8), FWC_TLINK_ERR_FLASH_RANGE);
	assert_status(flash_write(c, 0, data, FWC_TLINK_FLASH_CHUNK + 1), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_FLASH_WRITE, data, 4, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	/* across a page boundary, unaligned */
	assert_status(flash_write(c, 1000, data, 100), FWC_TLINK_OK);
	assert_status(flash_write(c, 1050, data, 10), FWC_TLINK_ERR_FLASH_NOT_ERASED);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_READ, 990, 120, &out), FWC_TLINK_OK);
	{
		const guint8 *d = g_bytes_get_data(out, NULL);
		for (guint i = 0; i < 120; i++)
			g_assert_cmpuint(d[i], ==, (i >= 10 && i < 110) ? 0x5a : 0xff);
	}
	assert_status(
	    flash_range_cmd(c, FWC_TLINK_CMD_FLASH_READ, 0, FWC_TLINK_FLASH_CHUNK + 1, NULL),
	    FWC_TLINK_ERR_FLASH_RANGE);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_READ, 0, 0, NULL),
		      FWC_TLINK_ERR_FLASH_RANGE);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_HASH, 0, FWT_RAM_FLASH_SIZE + 1, NULL),
		      FWC_TLINK_ERR_FLASH_RANGE);
	g_clear_pointer(&out, g_bytes_unref);
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_HASH, 1000, 100, &out), FWC_TLINK_OK);
	g_assert_cmpint(fwc_sha256(data, 100, want), ==, 0);
	g_assert_cmpmem(g_bytes_get_data(out, NULL), 32, want, 32);
	/* erase both pages: blank again */
	assert_status(flash_range_cmd(c, FWC_TLINK_CMD_FLASH_ERASE, 0, 2048, NULL), FWC_TLINK_OK);
	assert_status(flash_write(c, 1050, data, 10), FWC_TLINK_OK);
}

static void
test_rom_sealing(void)
{
	g_autoptr(Chip) c = chip_new(10);
	g_autoptr(Chip) d = chip_new(11);
	g_autoptr(GBytes) key = NULL;
	fwt_rom rom;
	guint8 saved[FWT_STORE_MAX];
	gsize saved_len;

	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
	/* the blob holds neither the public key nor anything long in clear: 68 bytes */
	g_assert_cmpuint(c->chip.store_len[FWT_SLOT_ID_KEY], ==, 68);
	g_assert_cmpmem(c->chip.store[FWT_SLOT_ID_KEY], 4, "NSB1", 4);
	saved_len = c->chip.store_len[FWT_SLOT_ID_KEY];
	memcpy(saved, c->chip.store[FWT_SLOT_ID_KEY], saved_len);
	/* tampered: the chip refuses to start with it */
	for (gsize off = 4; off < saved_len; off += 9) {
		c->chip.store[FWT_SLOT_ID_KEY][off] ^= 0x01;
		fwt_rom_deinit(&c->rom);
		g_assert_cmpint(fwt_rom_init(&rom, &c->hal), ==, FWC_TLINK_ERR_STORAGE);
		c->chip.store[FWT_SLOT_ID_KEY][off] ^= 0x01;
		g_assert_cmpint(fwt_rom_init(&c->rom, &c->hal), ==, FWC_TLINK_OK);
	}
	/* another chip cannot unseal it */
	memcpy(d->chip.store[FWT_SLOT_ID_KEY], saved, saved_len);
	d->chip.store_len[FWT_SLOT_ID_KEY] = saved_len;
	d->chip.store_present[FWT_SLOT_ID_KEY] = 1;
	fwt_rom_deinit(&d->rom);
	g_assert_cmpint(fwt_rom_init(&d->rom, &d->hal), ==, FWC_TLINK_ERR_STORAGE);
	d->chip.store_present[FWT_SLOT_ID_KEY] = 0;
	g_assert_cmpint(fwt_rom_init(&d->rom, &d->hal), ==, FWC_TLINK_OK);
	/* nor in another slot of the same chip */
	memcpy(c->chip.store[FWT_SLOT_ATTEST_KEY], saved, saved_len);
	c->chip.store[FWT_SLOT_ATTEST_KEY][4] = FWT_SLOT_ATTEST_KEY;
	fwt_rom_deinit(&c->rom);
	g_assert_cmpint(fwt_rom_init(&rom, &c->hal), ==, FWC_TLINK_ERR_STORAGE);
}

static void
test_rom_storage_failure(void)
{
	g_autoptr(Chip) c = chip_new(12);
	g_autoptr(NuSecSigner) signer = boot_signer();
	guint8 rot[32];
	guint8 data[8] = {0};
	fwc_tlink_info info;

	key_hash(signer, rot);
	c->chip.fail_writes = 1;
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_ERR_STORAGE);
	get_info(c, &info);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, ==, 0);
	c->chip.fail_writes = 1;
	assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, rot, 32, NULL), FWC_TLINK_ERR_STORAGE);
	get_info(c, &info);
	g_assert_cmpuint(info.otp_flags, ==, 0);
	c->chip.fail_writes = 1;
	assert_status(flash_write(c, 0, data, 8), FWC_TLINK_ERR_STORAGE);
	chip_reboot(c);
	get_info(c, &info);
	g_assert_cmpuint(info.key_flags & FWC_TLINK_KEY_IDENTITY, ==, 0);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, NULL), FWC_TLINK_OK);
}

static void
test_rom_frames(void)
{
	g_autoptr(Chip) c = chip_new(13);
	g_autoptr(GBytes) req = tt_request(FWC_TLINK_CMD_GET_INFO, NULL, 0);
	guint8 buf[64];
	gsize len = g_bytes_get_size(req);
	fwc_link_frame f;
	size_t n;

	memcpy(buf, g_bytes_get_data(req, NULL), len);
	buf[len - 1] ^= 1; /* CRC */
	n = fwt_rom_handle(&c->rom, buf, len, c->resp, sizeof(c->resp));
	g_assert_cmpint(fwc_link_decode_response(c->resp, n, FWC_TLINK_CMD_GET_INFO, &f), ==, 0);
	assert_status(f.status, FWC_TLINK_ERR_BAD_FRAME);
	g_assert_cmpuint(f.payload_len, ==, 2);
	g_assert_cmpuint(fwc_link_get_u16(f.payload), ==, FWC_LINK_ERR_BAD_CRC);
	/* bad magic: the command is not trusted */
	buf[len - 1] ^= 1;
	buf[0] = 'X';
	n = fwt_rom_handle(&c->rom, buf, len, c->resp, sizeof(c->resp));
	g_assert_cmpint(fwc_link_decode_response(c->resp, n, FWC_TLINK_CMD_GET_INFO, &f), ==, 0);
	g_assert_cmpuint(f.command, ==, 0xff);
	g_assert_cmpuint(fwc_link_get_u16(f.payload), ==, FWC_LINK_ERR_BAD_MAGIC);
	n = fwt_rom_handle(&c->rom, NULL, 0, c->resp, sizeof(c->resp));
	g_assert_cmpint(fwc_link_decode_response(c->resp, n, 0, &f), ==, 0);
	g_assert_cmpuint(fwc_link_get_u16(f.payload), ==, FWC_LINK_ERR_ARGUMENT);
	/* too small a response buffer: nothing */
	g_assert_cmpuint(fwt_rom_handle(&c->rom, buf, len, c->resp, 100), ==, 0);
	assert_status(xfer(c, 0x00, NULL, 0, NULL), FWC_TLINK_ERR_UNKNOWN_COMMAND);
	assert_status(xfer(c, 0x7e, NULL, 0, NULL), FWC_TLINK_ERR_UNKNOWN_COMMAND);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_INFO, "x", 1, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_BOOT, "x", 1, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, "x", 1, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CSR, "x", 1, NULL), FWC_TLINK_ERR_BAD_LENGTH);
	assert_status(xfer(c, FWC_TLINK_CMD_GET_CERT, "x", 1, NULL), FWC_TLINK_ERR_BAD_LENGTH);
}

/* the RAM chip's RNG is deterministic: draw the bytes it will draw next */
static void
predict_rng(const Chip *c, guint8 *out, gsize len, gsize skip)
{
	g_autofree fwt_ram_chip *pred = g_new0(fwt_ram_chip, 1);
	fwt_hal hal;
	guint8 junk[64];

	fwt_ram_chip_init(pred, 0, &hal);
	pred->rng_state = c->chip.rng_state;
	g_assert_cmpuint(skip, <=, sizeof(junk));
	hal.rng(hal.ctx, junk, skip);
	hal.rng(hal.ctx, out, len);
}

static gboolean
contains_secret(const guint8 *buf, gsize len, const guint8 *secret, gsize secret_len)
{
	if (buf == NULL || len < 8)
		return FALSE;
	for (gsize off = 0; off + 8 <= secret_len; off += 4)
		if (memmem(buf, len, secret + off, 8) != NULL)
			return TRUE;
	return FALSE;
}

/* the public point of a private scalar, computed by OpenSSL */
static void
scalar_to_point(const guint8 scalar[32], guint8 point[65])
{
	g_autoptr(EC_GROUP) group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	g_autoptr(EC_POINT) pt = EC_POINT_new(group);
	g_autoptr(BIGNUM) k = BN_bin2bn(scalar, 32, NULL);
	g_assert_true(EC_POINT_mul(group, pt, k, NULL, NULL, NULL));
	g_assert_cmpuint(
	    EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, point, 65, NULL),
	    ==,
	    65);
}

/* no command, in any lifecycle state, with any payload size, returns a byte string of the
 * device secret, the attestation key or the identity key; the keystore holds them sealed */
static void
test_rom_no_secret_out(void)
{
	g_autoptr(Chip) c = chip_new_blank(77);
	g_autoptr(NuSecSigner) signer = boot_signer();
	g_autoptr(GBytes) image = sign_image(signer, 3000, 1, TRUE);
	g_autoptr(GBytes) key = NULL;
	guint8 secrets[3][32];
	guint8 fuses[48];
	guint8 point[65];
	guint8 pub[FWC_P256_POINT_LEN];
	const gsize sizes[] = {0, 1, 8, 16, 32, 33, 64};
	guint checked = 0;

	predict_rng(c, fuses, sizeof(fuses), 0);
	memcpy(secrets[0], fuses + 16, 32);
	predict_rng(c, secrets[1], 32, 48);
	g_assert_cmpint(fwt_rom_fab_prepare(&c->rom, c->attest_pub), ==, FWC_TLINK_OK);
	g_assert_cmpint(fwt_rom_fab_set_attest_cert(&c->rom, (const guint8 *)"c", 1), ==, 0);
	/* the prediction is right: the attestation key is that scalar */
	scalar_to_point(secrets[1], point);
	g_assert_cmpmem(point, 65, c->attest_pub, 65);
	predict_rng(c, secrets[2], 32, 0);
	assert_status(xfer(c, FWC_TLINK_CMD_GEN_KEY, NULL, 0, &key), FWC_TLINK_OK);
	scalar_to_point(secrets[2], point);
	g_assert_cmpmem(point, 65, g_bytes_get_data(key, NULL), 65);

	for (guint state = 0; state < 3; state++) {
		if (state == 1) {
			guint8 rot[32];
			GBytes *certs[1];
			g_autoptr(EVP_PKEY) ca = tt_random_key();
			g_autoptr(EVP_PKEY) chip_key = tt_point_to_pkey(point);
			g_autoptr(GBytes) leaf = tt_make_cert(chip_key, ca, "chip");
			g_autoptr(GBytes) chain = NULL;
			key_hash(signer, rot);
			assert_status(xfer(c, FWC_TLINK_CMD_WRITE_ROT, rot, 32, NULL),
				      FWC_TLINK_OK);
			certs[0] = leaf;
			chain = tt_chain_payload(certs, 1);
			assert_status(xfer(c,
					   FWC_TLINK_CMD_WRITE_CERT,
					   g_bytes_get_data(chain, NULL),
					   g_bytes_get_size(chain),
					   NULL),
				      FWC_TLINK_OK);
			program_image(c, image);
			assert_status(set_lifecycle(c, FWC_TLINK_LC_PROVISIONED), FWC_TLINK_OK);
		} else if (state == 2) {
			assert_status(set_lifecycle(c, FWC_TLINK_LC_LOCKED), FWC_TLINK_OK);
		}
		for (guint cmd = 0; cmd < 0x80; cmd++) {
			for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
				guint8 payload[64] = {0};
				g_autoptr(GBytes) out = NULL;
				/* FLASH_*: offset 0, length 16 */
				if (sizes[i] == 8)
					payload[4] = 16;
				/* keep the state: no lifecycle change, no ROT write here */
				if (cmd == FWC_TLINK_CMD_SET_LIFECYCLE ||
				    cmd == FWC_TLINK_CMD_WRITE_ROT)
					continue;
				(void)xfer(c, (guint8)cmd, payload, sizes[i], &out);
				for (guint k = 0; k < 3; k++)
					g_assert_false(contains_secret(g_bytes_get_data(out, NULL),
								       g_bytes_get_size(out),
								       secrets[k],
								       32));
				checked++;
			}
		}
		/* and nothing of them in clear in any keystore slot or OTP byte read out */
		for (guint slot = 1; slot < FWT_STORE_SLOTS; slot++)
			for (guint k = 0; k < 3; k++)
				g_assert_false(contains_secret(c->chip.store[slot],
							       c->chip.store_len[slot],
							       secrets[k],
							       32));
	}
	(void)pub;
	g_assert_cmpuint(checked, >, 1000);
}

/* the programmer-side client (fwc_tlink_xfer) looped back into the ROM */
typedef struct {
	Chip *c;
	guint8 resp[FWC_LINK_MAX_FRAME];
	gsize resp_len;
	gsize resp_pos;
	gboolean corrupt;
} Loop;

static int
loop_send(void *user, const uint8_t *buf, size_t len)
{
	Loop *l = user;
	l->resp_len = fwt_rom_handle(&l->c->rom, buf, len, l->resp, sizeof(l->resp));
	l->resp_pos = 0;
	if (l->corrupt)
		l->resp[l->resp_len - 1] ^= 1;
	return l->resp_len > 0 ? 0 : -1;
}

static int
loop_recv(void *user, uint8_t *buf, size_t len)
{
	Loop *l = user;
	if (len > l->resp_len - l->resp_pos)
		return -1;
	memcpy(buf, l->resp + l->resp_pos, len);
	l->resp_pos += len;
	return 0;
}

static void
test_rom_client(void)
{
	g_autoptr(Chip) c = chip_new(14);
	g_autofree guint8 *scratch = g_malloc(FWC_LINK_MAX_FRAME);
	Loop loop = {.c = c};
	fwc_tlink_client client = {.send = loop_send,
				   .recv = loop_recv,
				   .user = &loop,
				   .buf = scratch,
				   .buf_len = FWC_LINK_MAX_FRAME};
	const uint8_t *payload = NULL;
	size_t payload_len = 0;
	uint16_t status = 0xffff;
	int link = -1;
	fwc_tlink_info info;

	g_assert_cmpint(fwc_tlink_xfer(&client,
				       FWC_TLINK_CMD_GET_INFO,
				       NULL,
				       0,
				       &status,
				       &payload,
				       &payload_len,
				       &link),
			==,
			FWC_TLINK_XFER_OK);
	assert_status(status, FWC_TLINK_OK);
	g_assert_cmpint(fwc_tlink_info_decode(payload, payload_len, &info), ==, FWC_TLINK_OK);
	g_assert_cmpstr(info.model, ==, FWT_ROM_MODEL);
	g_assert_cmpint(fwc_tlink_xfer(&client,
				       FWC_TLINK_CMD_GET_CSR,
				       NULL,
				       0,
				       &status,
				       &payload,
				       &payload_len,
				       &link),
			==,
			FWC_TLINK_XFER_OK);
	assert_status(status, FWC_TLINK_ERR_NO_KEY);
	g_assert_cmpuint(payload_len, ==, 0);
	/* a corrupted response */
	loop.corrupt = TRUE;
	g_assert_cmpint(fwc_tlink_xfer(&client,
				       FWC_TLINK_CMD_GET_INFO,
				       NULL,
				       0,
				       &status,
				       &payload,
				       &payload_len,
				       &link),
			==,
			FWC_TLINK_XFER_ERR_FRAME);
	g_assert_cmpint(link, ==, FWC_LINK_ERR_BAD_CRC);
	/* a too-small scratch buffer */
	client.buf_len = 100;
	g_assert_cmpint(fwc_tlink_xfer(&client,
				       FWC_TLINK_CMD_GET_INFO,
				       NULL,
				       0,
				       &status,
				       &payload,
				       &payload_len,
				       &link),
			==,
			FWC_TLINK_XFER_ERR_ARGUMENT);
}

/* each corpus file answers its expected status (the harness's own runner) */
static void
test_rom_corpus(void)
{
	g_autofree gchar *dir = g_test_build_filename(G_TEST_DIST, "target", "corpus-rom", NULL);
	g_autofree gchar *path = g_build_filename(dir, "expected.txt", NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;
	guint checked = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = NULL;
		g_autofree gchar *file = NULL;
		g_autofree gchar *data = NULL;
		gsize len = 0;
		int st;

		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		f = g_strsplit(lines[i], " ", -1);
		g_assert_cmpuint(g_strv_length(f), ==, 2);
		file = g_build_filename(dir, f[0], NULL);
		g_assert_true(g_file_get_contents(file, &data, &len, &error));
		st = fuzz_rom_run((const guint8 *)data, len);
		if (g_strcmp0(fwc_tlink_status_name(st), f[1]) != 0)
			g_error("%s: got %s, expected %s", f[0], fwc_tlink_status_name(st), f[1]);
		checked++;
	}
	g_assert_cmpuint(checked, >=, 40);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/target/rom/fab", test_rom_fab);
	g_test_add_func("/target/rom/attest", test_rom_attest);
	g_test_add_func("/target/rom/provision", test_rom_provision);
	g_test_add_func("/target/rom/matrix", test_rom_matrix);
	g_test_add_func("/target/rom/matrix-table", test_rom_matrix_table);
	g_test_add_func("/target/rom/secure-boot", test_rom_secure_boot);
	g_test_add_func("/target/rom/write-cert", test_rom_write_cert);
	g_test_add_func("/target/rom/write-rot", test_rom_write_rot);
	g_test_add_func("/target/rom/flash", test_rom_flash);
	g_test_add_func("/target/rom/sealing", test_rom_sealing);
	g_test_add_func("/target/rom/storage-failure", test_rom_storage_failure);
	g_test_add_func("/target/rom/frames", test_rom_frames);
	g_test_add_func("/target/rom/no-secret-out", test_rom_no_secret_out);
	g_test_add_func("/target/rom/client", test_rom_client);
	g_test_add_func("/target/rom/corpus", test_rom_corpus);
	return g_test_run();
}
