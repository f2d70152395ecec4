/*
 * NuLink3 USB frame codec: a frame checked byte by byte against an independent encoding
 * (Python's zlib.crc32, in the comments), round trips, the request and response checks, the
 * bounds, and the bad-input corpus with its expected statuses.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <string.h>

#include "fwn-usb.h"
#include "nusec-test-corpus.h"

static void
test_usb_vector(void)
{
	/* python3: b = b"NU\x01\x05\x00\x00\x02\x00\xaa\xbb"; zlib.crc32(b) == 0x67fc8289 */
	const uint8_t payload[] = {0xaa, 0xbb};
	const uint8_t want[] = {'N', 'U', 1, 5, 0, 0, 2, 0, 0xaa, 0xbb, 0x89, 0x82, 0xfc, 0x67};
	uint8_t out[64];
	size_t len = 0;
	fwn_usb_frame frame;

	g_assert_cmpint(
	    fwn_usb_encode_request(FWN_CMD_SIGN_TLS, payload, 2, out, sizeof(out), &len),
	    ==,
	    FWN_USB_OK);
	g_assert_cmpmem(out, len, want, sizeof(want));
	g_assert_cmpint(fwn_usb_decode_request(out, len, &frame), ==, FWN_USB_OK);
	g_assert_cmpuint(frame.command, ==, FWN_CMD_SIGN_TLS);
	g_assert_cmpmem(frame.payload, frame.payload_len, payload, 2);
	g_assert_cmpint(fwn_usb_decode_response(out, len, 5, &frame), ==, FWN_USB_ERR_NOT_RESPONSE);
	g_assert_cmpint(fwn_usb_encode_request(0x85, NULL, 0, out, sizeof(out), &len),
			==,
			FWN_USB_ERR_ARGUMENT);
}

static void
test_usb_response(void)
{
	static uint8_t out[FWN_USB_MAX_FRAME];
	static uint8_t big[FWN_USB_MAX_PAYLOAD + 1];
	size_t len = 0;
	fwn_usb_frame frame;

	g_assert_cmpint(fwn_usb_encode(0x90,
				       FWN_RC_PKG_EXPIRED,
				       (const uint8_t *)"xyz",
				       3,
				       out,
				       sizeof(out),
				       &len),
			==,
			FWN_USB_OK);
	g_assert_cmpint(fwn_usb_decode_response(out, len, FWN_CMD_PACKAGE_IMPORT, &frame),
			==,
			FWN_USB_OK);
	g_assert_cmpuint(frame.status, ==, FWN_RC_PKG_EXPIRED);
	g_assert_cmpint(fwn_usb_decode_response(out, len, FWN_CMD_GET_INFO, &frame),
			==,
			FWN_USB_ERR_WRONG_RESPONSE);
	g_assert_cmpint(fwn_usb_decode_request(out, len, &frame), ==, FWN_USB_ERR_NOT_REQUEST);
	/* an error frame about an unreadable header answers any command */
	g_assert_cmpint(fwn_usb_encode(FWN_CMD_NONE | FWN_USB_RESPONSE_BIT,
				       FWN_RC_BAD_FRAME,
				       NULL,
				       0,
				       out,
				       sizeof(out),
				       &len),
			==,
			FWN_USB_OK);
	g_assert_cmpint(fwn_usb_decode_response(out, len, FWN_CMD_GET_INFO, &frame),
			==,
			FWN_USB_OK);
	/* bounds */
	g_assert_cmpint(fwn_usb_encode(1, 0, big, sizeof(big), out, sizeof(out), &len),
			==,
			FWN_USB_ERR_TOO_LONG);
	g_assert_cmpint(fwn_usb_encode(1, 0, big, FWN_USB_MAX_PAYLOAD, out, sizeof(out), &len),
			==,
			FWN_USB_OK);
	g_assert_cmpuint(len, ==, FWN_USB_MAX_FRAME);
	g_assert_cmpint(fwn_usb_decode_request(out, len, &frame), ==, FWN_USB_OK);
	g_assert_cmpint(fwn_usb_encode(1, 0, big, 10, out, 21, &len), ==, FWN_USB_ERR_BUFFER_SMALL);
	g_assert_cmpint(fwn_usb_encode(1, 0, NULL, 10, out, sizeof(out), &len),
			==,
			FWN_USB_ERR_ARGUMENT);
	/* the payload built in place */
	memcpy(out + FWN_USB_HEADER_SIZE, "abc", 3);
	g_assert_cmpint(fwn_usb_encode(0x81, 0, out + FWN_USB_HEADER_SIZE, 3, out, 64, &len),
			==,
			FWN_USB_OK);
	g_assert_cmpint(fwn_usb_decode_response(out, len, 1, &frame), ==, FWN_USB_OK);
	g_assert_cmpmem(frame.payload, frame.payload_len, "abc", 3);
	/* every status and rc has a distinct name and a message */
	for (int i = 0; i <= FWN_USB_STATUS_LAST; i++) {
		g_assert_nonnull(fwn_usb_status_name(i));
		g_assert_cmpstr(fwn_usb_strerror(i), !=, "unknown USB frame error");
	}
	g_assert_null(fwn_usb_status_name(FWN_USB_STATUS_LAST + 1));
	for (int i = 0; i <= FWN_RC_LAST; i++) {
		g_assert_nonnull(fwn_usb_rc_name(i));
		g_assert_true(g_str_has_prefix(fwn_usb_rc_name(i), "FWN_RC_"));
		for (int j = 0; j < i; j++)
			g_assert_cmpstr(fwn_usb_rc_name(i), !=, fwn_usb_rc_name(j));
	}
	g_assert_cmpstr(fwn_usb_rc_name(FWN_RC_PKG_REPLAY), ==, "FWN_RC_PKG_REPLAY");
	g_assert_cmpstr(fwn_usb_rc_name(FWN_RC_NOT_PERMITTED), ==, "FWN_RC_NOT_PERMITTED");
	g_assert_null(fwn_usb_rc_name(FWN_RC_LAST + 1));
	g_assert_cmpstr(fwn_usb_cmd_name(FWN_CMD_DEVICE_BEGIN), ==, "DEVICE_BEGIN");
}

static void
test_usb_stream_header(void)
{
	uint8_t out[64];
	size_t len = 0, frame_len = 0;
	fwn_usb_frame frame;

	g_assert_cmpint(fwn_usb_encode_request(1, (const uint8_t *)"12345", 5, out, 64, &len),
			==,
			FWN_USB_OK);
	/* a stream reader learns the frame size from the first 8 bytes */
	g_assert_cmpint(fwn_usb_header_parse(out, 8, &frame, &frame_len), ==, FWN_USB_OK);
	g_assert_cmpuint(frame_len, ==, len);
	/* and rejects a bad magic as soon as the first byte is there */
	out[0] = 'X';
	g_assert_cmpint(fwn_usb_header_parse(out, 1, &frame, &frame_len),
			==,
			FWN_USB_ERR_BAD_MAGIC);
}

static gboolean
test_usb_corpus_run(GBytes *data, const gchar **got, gpointer user_data)
{
	fwn_usb_frame frame;
	gsize len = 0;
	const guint8 *buf = g_bytes_get_data(data, &len);
	int rc = fwn_usb_decode_request(buf != NULL ? buf : (const guint8 *)"", len, &frame);
	got[0] = fwn_usb_status_name(rc);
	return rc == FWN_USB_OK;
}

static void
test_usb_corpus(void)
{
	NuSecTestCorpus corpus = {.component = "nulink3",
				  .n_columns = 1,
				  .min_files = 20,
				  .min_accepted = 3,
				  .min_rejected = 20,
				  .run = test_usb_corpus_run};
	nusec_test_corpus_check(&corpus);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nulink3/usb/vector", test_usb_vector);
	g_test_add_func("/nulink3/usb/response", test_usb_response);
	g_test_add_func("/nulink3/usb/stream-header", test_usb_stream_header);
	g_test_add_func("/nulink3/usb/corpus", test_usb_corpus);
	return g_test_run();
}
