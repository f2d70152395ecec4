/*
 * Target link frame codec: CRC-32 check value, a frame checked byte by byte against an
 * independent encoding (Python's zlib.crc32, in the comments), round trips, the request and
 * response checks, the payload layouts, and the bad-input corpus with its expected statuses.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <string.h>

#include "fwc-link.h"
#include "fwc-tlink.h"

static void
test_link_crc32(void)
{
	/* the CRC-32 check value (catalogue of parametrised CRC algorithms, "CRC-32/ISO-HDLC") */
	g_assert_cmphex(fwc_link_crc32(0, (const uint8_t *)"123456789", 9), ==, 0xcbf43926);
	g_assert_cmphex(fwc_link_crc32(0, NULL, 0), ==, 0);
	/* chaining */
	g_assert_cmphex(fwc_link_crc32(fwc_link_crc32(0, (const uint8_t *)"1234", 4),
				       (const uint8_t *)"56789",
				       5),
			==,
			0xcbf43926);
}

static void
test_link_vector(void)
{
	/* python3: b"NT\x01\x03\x00\x00\x02\x00\xaa\xbb" + zlib.crc32(...).to_bytes(4, "little") */
	const uint8_t payload[] = {0xaa, 0xbb};
	const uint8_t want_hdr[] = {'N', 'T', 1, 3, 0, 0, 2, 0, 0xaa, 0xbb};
	uint8_t out[64];
	size_t len = 0;
	fwc_link_frame frame;

	g_assert_cmpint(fwc_link_encode_request(3, payload, 2, out, sizeof(out), &len),
			==,
			FWC_LINK_OK);
	g_assert_cmpuint(len, ==, 14);
	g_assert_cmpmem(out, 10, want_hdr, 10);
	g_assert_cmphex(fwc_link_get_u32(out + 10), ==, fwc_link_crc32(0, want_hdr, 10));
	g_assert_cmphex(fwc_link_get_u32(out + 10), ==, 0x1357a3f0);
	g_assert_cmpint(fwc_link_decode_request(out, len, &frame), ==, FWC_LINK_OK);
	g_assert_cmpuint(frame.command, ==, 3);
	g_assert_cmpuint(frame.payload_len, ==, 2);
	g_assert_cmpmem(frame.payload, 2, payload, 2);
	/* a request is not a response */
	g_assert_cmpint(fwc_link_decode_response(out, len, 3, &frame),
			==,
			FWC_LINK_ERR_NOT_RESPONSE);
	/* the response bit is not allowed in a request */
	g_assert_cmpint(fwc_link_encode_request(0x83, NULL, 0, out, sizeof(out), &len),
			==,
			FWC_LINK_ERR_ARGUMENT);
}

static void
test_link_response(void)
{
	uint8_t out[FWC_LINK_MAX_FRAME];
	uint8_t big[FWC_LINK_MAX_PAYLOAD + 1] = {0};
	size_t len = 0;
	fwc_link_frame frame;

	g_assert_cmpint(
	    fwc_link_encode(0x85, 12, (const uint8_t *)"xyz", 3, out, sizeof(out), &len),
	    ==,
	    FWC_LINK_OK);
	g_assert_cmpint(fwc_link_decode_response(out, len, 5, &frame), ==, FWC_LINK_OK);
	g_assert_cmpuint(frame.status, ==, 12);
	g_assert_cmpint(fwc_link_decode_response(out, len, 6, &frame),
			==,
			FWC_LINK_ERR_WRONG_RESPONSE);
	g_assert_cmpint(fwc_link_decode_request(out, len, &frame), ==, FWC_LINK_ERR_NOT_REQUEST);
	/* the error frame about an unreadable header answers any command */
	g_assert_cmpint(fwc_link_encode(FWC_TLINK_CMD_NONE | FWC_LINK_RESPONSE_BIT,
					FWC_TLINK_ERR_BAD_FRAME,
					NULL,
					0,
					out,
					sizeof(out),
					&len),
			==,
			FWC_LINK_OK);
	g_assert_cmpint(fwc_link_decode_response(out, len, 5, &frame), ==, FWC_LINK_OK);
	/* bounds */
	g_assert_cmpint(fwc_link_encode(1, 0, big, sizeof(big), out, sizeof(out), &len),
			==,
			FWC_LINK_ERR_TOO_LONG);
	g_assert_cmpint(fwc_link_encode(1, 0, big, FWC_LINK_MAX_PAYLOAD, out, sizeof(out), &len),
			==,
			FWC_LINK_OK);
	g_assert_cmpuint(len, ==, FWC_LINK_MAX_FRAME);
	g_assert_cmpint(fwc_link_encode(1, 0, big, 10, out, 21, &len),
			==,
			FWC_LINK_ERR_BUFFER_SMALL);
	g_assert_cmpint(fwc_link_encode(1, 0, NULL, 10, out, sizeof(out), &len),
			==,
			FWC_LINK_ERR_ARGUMENT);
	/* every status has a name and a message */
	for (int i = 0; i <= FWC_LINK_STATUS_LAST; i++) {
		g_assert_nonnull(fwc_link_status_name(i));
		g_assert_cmpstr(fwc_link_strerror(i), !=, "unknown link error");
	}
	g_assert_null(fwc_link_status_name(FWC_LINK_STATUS_LAST + 1));
	for (int i = 0; i <= FWC_TLINK_STATUS_LAST; i++) {
		g_assert_nonnull(fwc_tlink_status_name(i));
		g_assert_cmpstr(fwc_tlink_strerror(i), !=, "unknown target link status");
	}
}

static void
test_link_payloads(void)
{
	fwc_tlink_info info = {.protocol = 1,
			       .lifecycle = FWC_TLINK_LC_PROVISIONED,
			       .otp_flags = FWC_TLINK_OTP_ROT_SET,
			       .key_flags = 3,
			       .boot_state = FWC_TLINK_BOOT_REJECTED,
			       .debug = 1,
			       .boot_status = FWC_TLINK_ERR_BOOT_REJECTED,
			       .image_status = 23,
			       .flash_size = 0x100000,
			       .flash_page_size = 4096,
			       .security_counter = 0x01020003};
	fwc_tlink_info back;
	fwc_tlink_boot_result br = {.boot_state = 1, .image_counter = 7, .security_counter = 7};
	fwc_tlink_boot_result brback;
	uint8_t buf[FWC_TLINK_INFO_LEN];
	uint8_t bbuf[FWC_TLINK_BOOT_RESULT_LEN];

	memset(info.chip_id, 0xc1, sizeof(info.chip_id));
	memset(info.rot_hash, 0x5a, sizeof(info.rot_hash));
	g_strlcpy(info.model, "NuSEC-T1", sizeof(info.model));
	fwc_tlink_info_encode(&info, buf);
	g_assert_cmpuint(buf[1], ==, 1);
	g_assert_cmpmem(buf + 28, 9, "NuSEC-T1\0", 9);
	g_assert_cmpint(fwc_tlink_info_decode(buf, sizeof(buf), &back), ==, FWC_TLINK_OK);
	g_assert_cmpmem(&info, sizeof(info), &back, sizeof(back));
	g_assert_cmpint(fwc_tlink_info_decode(buf, sizeof(buf) - 1, &back),
			==,
			FWC_TLINK_ERR_BAD_LENGTH);
	buf[1] = 3;
	g_assert_cmpint(fwc_tlink_info_decode(buf, sizeof(buf), &back),
			==,
			FWC_TLINK_ERR_BAD_ARGUMENT);
	buf[1] = 1;
	buf[40] = 'x'; /* text after the NUL padding */
	g_assert_cmpint(fwc_tlink_info_decode(buf, sizeof(buf), &back),
			==,
			FWC_TLINK_ERR_BAD_ARGUMENT);

	memset(br.image_hash, 0x11, sizeof(br.image_hash));
	br.version[0] = 1;
	fwc_tlink_boot_result_encode(&br, bbuf);
	g_assert_cmpint(fwc_tlink_boot_result_decode(bbuf, sizeof(bbuf), &brback),
			==,
			FWC_TLINK_OK);
	g_assert_cmpmem(&br, sizeof(br), &brback, sizeof(brback));
	bbuf[0] = 9;
	g_assert_cmpint(fwc_tlink_boot_result_decode(bbuf, sizeof(bbuf), &brback),
			==,
			FWC_TLINK_ERR_BAD_ARGUMENT);
}

static void
test_link_helpers(void)
{
	const uint8_t a[] = {0x30, 0x01, 0x00};
	const uint8_t b[] = {0x30, 0x00};
	const uint8_t *certs[] = {a, b, a, b, a};
	const size_t lens[] = {sizeof(a), sizeof(b), sizeof(a), sizeof(b), sizeof(a)};
	const size_t zero_len[] = {0};
	const uint8_t want[] = {2, 3, 0, 0x30, 0x01, 0x00, 2, 0, 0x30, 0x00};
	uint8_t out[64];
	size_t len = 0;
	uint8_t chip_id[16], nonce[32], digest[32], want_digest[32];
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	gsize dlen = 32;

	g_assert_cmpint(fwc_tlink_chain_encode(certs, lens, 2, out, sizeof(out), &len),
			==,
			FWC_TLINK_OK);
	g_assert_cmpmem(out, len, want, sizeof(want));
	g_assert_cmpint(fwc_tlink_chain_encode(certs, lens, 0, out, sizeof(out), &len),
			==,
			FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	g_assert_cmpint(fwc_tlink_chain_encode(certs, lens, 5, out, sizeof(out), &len),
			==,
			FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	g_assert_cmpint(fwc_tlink_chain_encode(certs, zero_len, 1, out, sizeof(out), &len),
			==,
			FWC_TLINK_ERR_CERT_CHAIN_FORMAT);
	g_assert_cmpint(fwc_tlink_chain_encode(certs, lens, 2, out, 9, &len),
			==,
			FWC_TLINK_ERR_BAD_LENGTH);
	g_assert_cmpint(fwc_tlink_chain_encode(certs, lens, 2, out, 10, &len), ==, FWC_TLINK_OK);

	/* the attestation digest against GLib's SHA-256 of the documented concatenation */
	memset(chip_id, 0xc1, sizeof(chip_id));
	memset(nonce, 0x4e, sizeof(nonce));
	g_assert_cmpint(fwc_tlink_attest_digest(chip_id, nonce, digest), ==, FWC_TLINK_OK);
	g_checksum_update(ck, (const guchar *)"NuSEC target attest v1", 22);
	g_checksum_update(ck, chip_id, 16);
	g_checksum_update(ck, nonce, 32);
	g_checksum_get_digest(ck, want_digest, &dlen);
	g_checksum_free(ck);
	g_assert_cmpmem(digest, 32, want_digest, 32);
}

static void
test_link_corpus(void)
{
	g_autofree gchar *dir = g_test_build_filename(G_TEST_DIST, "target", "corpus-link", NULL);
	g_autofree gchar *path = g_build_filename(dir, "expected.txt", NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;
	guint checked = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = NULL;
		g_autofree gchar *file = NULL;
		g_autofree gchar *data = NULL;
		gsize len = 0;
		fwc_link_frame frame;
		int rc;

		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		f = g_strsplit(lines[i], " ", -1);
		g_assert_cmpuint(g_strv_length(f), ==, 2);
		file = g_build_filename(dir, f[0], NULL);
		g_assert_true(g_file_get_contents(file, &data, &len, &error));
		rc = fwc_link_decode_request((const uint8_t *)data, len, &frame);
		if (g_strcmp0(fwc_link_status_name(rc), f[1]) != 0)
			g_error("%s: got %s, expected %s", f[0], fwc_link_status_name(rc), f[1]);
		checked++;
	}
	g_assert_cmpuint(checked, >=, 20);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/target/link/crc32", test_link_crc32);
	g_test_add_func("/target/link/vector", test_link_vector);
	g_test_add_func("/target/link/response", test_link_response);
	g_test_add_func("/target/link/payloads", test_link_payloads);
	g_test_add_func("/target/link/helpers", test_link_helpers);
	g_test_add_func("/target/link/corpus", test_link_corpus);
	return g_test_run();
}
