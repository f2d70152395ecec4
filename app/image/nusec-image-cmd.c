/*
 * nusec image: sign, verify and dump MCUboot images. Verification runs the firmware-side
 * verifier (fwc_image_verify), the very code the target's boot ROM runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include "nusec-cli.h"
#include "nusec-error.h"
#include "nusec-image.h"
#include "nusec-signer-open.h"

/* parses the options of one command and checks the number of positional arguments */
static gboolean
nusec_image_parse_args(gint *argc,
		       gchar ***argv,
		       const GOptionEntry *entries,
		       const gchar *param,
		       const gchar *summary,
		       gint nargs,
		       GError **error)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(param);

	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (*argc != nargs + 1) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "expected %d argument%s: %s",
			    nargs,
			    nargs == 1 ? "" : "s",
			    param);
		return FALSE;
	}
	return TRUE;
}

static GBytes *
nusec_image_read_file(const gchar *path, GError **error)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, error))
		return NULL;
	return g_bytes_new_take(g_steal_pointer(&data), len);
}

static gchar *
nusec_image_hex(const guint8 *buf, gsize len)
{
	GString *str = g_string_sized_new(len * 2 + 1);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(str, "%02x", buf[i]);
	return g_string_free(str, FALSE);
}

static gboolean
nusec_image_parse_hex32(const gchar *text, guint8 out[FWC_SHA256_LEN], GError **error)
{
	if (strlen(text) != FWC_SHA256_LEN * 2) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "key hash must be %u hex digits (SHA-256 of the DER public key)",
			    (guint)FWC_SHA256_LEN * 2);
		return FALSE;
	}
	for (guint i = 0; i < FWC_SHA256_LEN; i++) {
		gint hi = g_ascii_xdigit_value(text[2 * i]);
		gint lo = g_ascii_xdigit_value(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "key hash '%s' is not hexadecimal",
				    text);
			return FALSE;
		}
		out[i] = (guint8)((hi << 4) | lo);
	}
	return TRUE;
}

static gboolean
nusec_image_sign_cmd(gint argc, gchar **argv, GError **error)
{
	g_autofree gchar *key = NULL;
	g_autofree gchar *version = NULL;
	g_autofree gchar *security_counter = NULL;
	g_autofree gchar *header_size = NULL;
	g_autofree gchar *load_address = NULL;
	g_autofree gchar *pubkey_mode = NULL;
	g_autoptr(NuSecSigner) signer = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autofree gchar *version_str = NULL;
	NuSecImageSignOptions opts;
	fwc_image_info info;
	guint64 value = 0;
	const GOptionEntry entries[] = {
	    {"key",
	     'k',
	     0,
	     G_OPTION_ARG_STRING,
	     &key,
	     "Signing key: a PEM private key file or a pkcs11: URI",
	     "KEY"},
	    {"version",
	     'v',
	     0,
	     G_OPTION_ARG_STRING,
	     &version,
	     "Image version MAJOR[.MINOR[.REVISION[+BUILD]]]",
	     "VERSION"},
	    {"security-counter",
	     's',
	     0,
	     G_OPTION_ARG_STRING,
	     &security_counter,
	     "Security counter (protected SEC_CNT TLV); 'auto' = major<<24|minor<<16|revision",
	     "N|auto"},
	    {"header-size",
	     'H',
	     0,
	     G_OPTION_ARG_STRING,
	     &header_size,
	     "Header size, at least 32, padded with 0xff (default 32)",
	     "N"},
	    {"load-address",
	     'L',
	     0,
	     G_OPTION_ARG_STRING,
	     &load_address,
	     "Load address; non-zero sets the RAM_LOAD flag (default 0)",
	     "ADDR"},
	    {"pubkey-mode",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &pubkey_mode,
	     "Key TLV: 'hash' (KEYHASH, default) or 'full' (PUBKEY, for a key hash in OTP)",
	     "hash|full"},
	    {"public-key-format",
	     0,
	     G_OPTION_FLAG_HIDDEN,
	     G_OPTION_ARG_STRING,
	     &pubkey_mode,
	     "imgtool's name of --pubkey-mode",
	     "hash|full"},
	    {NULL},
	};

	if (!nusec_image_parse_args(
		&argc,
		&argv,
		entries,
		"INPUT OUTPUT",
		"Signs a raw firmware binary INPUT into an MCUboot image OUTPUT "
		"(ECDSA P-256, SHA-256), as 'imgtool sign --pad-header' does.",
		2,
		error))
		return FALSE;
	nusec_image_sign_options_init(&opts);
	if (key == NULL || version == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "--key and --version are required");
		return FALSE;
	}
	if (!nusec_image_version_parse(version, &opts.version, error))
		return FALSE;
	if (security_counter != NULL &&
	    !nusec_image_security_counter_parse(security_counter, &opts, error))
		return FALSE;
	if (header_size != NULL) {
		if (!nusec_image_parse_number(header_size, G_MAXUINT16, &value, error)) {
			g_prefix_error(error, "--header-size: ");
			return FALSE;
		}
		if (value < FWC_IMAGE_HEADER_SIZE) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "--header-size: minimum value is %u",
				    (guint)FWC_IMAGE_HEADER_SIZE);
			return FALSE;
		}
		opts.header_size = (guint16)value;
	}
	if (load_address != NULL) {
		if (!nusec_image_parse_number(load_address, G_MAXUINT32, &value, error)) {
			g_prefix_error(error, "--load-address: ");
			return FALSE;
		}
		opts.load_address = (guint32)value;
	}
	if (pubkey_mode == NULL || g_strcmp0(pubkey_mode, "hash") == 0) {
		opts.pubkey_mode = NUSEC_IMAGE_PUBKEY_HASH;
	} else if (g_strcmp0(pubkey_mode, "full") == 0) {
		opts.pubkey_mode = NUSEC_IMAGE_PUBKEY_FULL;
	} else {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "--pubkey-mode must be 'hash' or 'full', not '%s'",
			    pubkey_mode);
		return FALSE;
	}

	body = nusec_image_read_file(argv[1], error);
	if (body == NULL)
		return FALSE;
	signer = nusec_signer_open(key, error);
	if (signer == NULL)
		return FALSE;
	image = nusec_image_sign(signer, body, &opts, error);
	if (image == NULL)
		return FALSE;
	if (!g_file_set_contents(argv[2],
				 g_bytes_get_data(image, NULL),
				 (gssize)g_bytes_get_size(image),
				 error))
		return FALSE;
	if (!nusec_image_parse(image, &info, error))
		return FALSE;
	version_str = nusec_image_version_to_string(&info.version);
	printf("signed %s: version %s, ", argv[2], version_str);
	if (info.has_security_counter)
		printf("security counter %u, ", (guint)info.security_counter);
	else
		printf("no security counter, ");
	printf("%" G_GSIZE_FORMAT " bytes\n", info.total_len);
	return TRUE;
}

static gboolean
nusec_image_verify_cmd(gint argc, gchar **argv, GError **error)
{
	g_autofree gchar *key = NULL;
	g_autofree gchar *key_hash = NULL;
	g_autofree gchar *min_security_counter = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autofree gchar *version_str = NULL;
	g_autofree gchar *hash_str = NULL;
	guint8 point[FWC_P256_POINT_LEN];
	guint8 otp_hash[FWC_SHA256_LEN];
	fwc_image_trust trust = {0};
	fwc_image_info info;
	guint64 value = 0;
	const GOptionEntry entries[] = {
	    {"key",
	     'k',
	     0,
	     G_OPTION_ARG_STRING,
	     &key,
	     "Trusted key: a PEM public or private key file, or a pkcs11: URI",
	     "KEY"},
	    {"key-hash",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &key_hash,
	     "Trusted key hash (as in OTP): SHA-256 of the DER public key, 64 hex digits; "
	     "the image must carry the full public key",
	     "HEX"},
	    {"min-security-counter",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &min_security_counter,
	     "Reject images whose security counter is below N (default 0)",
	     "N"},
	    {NULL},
	};

	if (!nusec_image_parse_args(
		&argc,
		&argv,
		entries,
		"IMAGE",
		"Verifies an MCUboot image with the firmware-side verifier, as the "
		"target's boot ROM does. Exit status 1 when the image is rejected.",
		1,
		error))
		return FALSE;
	if ((key == NULL) == (key_hash == NULL)) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "give exactly one of --key and --key-hash");
		return FALSE;
	}
	if (min_security_counter != NULL) {
		if (!nusec_image_parse_number(min_security_counter, G_MAXUINT32, &value, error)) {
			g_prefix_error(error, "--min-security-counter: ");
			return FALSE;
		}
		trust.min_security_counter = (guint32)value;
	}
	if (key != NULL) {
		if (!nusec_image_load_public_point(key, point, error))
			return FALSE;
		trust.mode = FWC_IMAGE_TRUST_PUBLIC_KEY;
		trust.public_key = point;
	} else {
		if (!nusec_image_parse_hex32(key_hash, otp_hash, error))
			return FALSE;
		trust.mode = FWC_IMAGE_TRUST_KEY_HASH;
		trust.key_hash = otp_hash;
	}
	image = nusec_image_read_file(argv[1], error);
	if (image == NULL)
		return FALSE;
	if (!nusec_image_verify(image, &trust, &info, error)) {
		g_prefix_error(error, "%s: ", argv[1]);
		return FALSE;
	}
	version_str = nusec_image_version_to_string(&info.version);
	hash_str = nusec_image_hex(info.hash, sizeof(info.hash));
	printf("OK: %s: version %s, ", argv[1], version_str);
	if (info.has_security_counter)
		printf("security counter %u, ", (guint)info.security_counter);
	else
		printf("no security counter, ");
	printf("hash %s\n", hash_str);
	return TRUE;
}

static gboolean
nusec_image_dump_cmd(gint argc, gchar **argv, GError **error)
{
	gboolean json = FALSE;
	g_autoptr(GBytes) image = NULL;
	g_autofree gchar *text = NULL;
	const GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON object", NULL},
	    {NULL},
	};

	if (!nusec_image_parse_args(&argc,
				    &argv,
				    entries,
				    "IMAGE",
				    "Prints the header fields and every TLV of an MCUboot image "
				    "(no signature check: use 'nusec image verify').",
				    1,
				    error))
		return FALSE;
	image = nusec_image_read_file(argv[1], error);
	if (image == NULL)
		return FALSE;
	text = nusec_image_dump(image, json, error);
	if (text == NULL) {
		g_prefix_error(error, "%s: ", argv[1]);
		return FALSE;
	}
	fputs(text, stdout);
	return TRUE;
}

static const NuSecCliCommand nusec_image_commands[] = {
    {"sign", "sign a firmware binary into an MCUboot image", nusec_image_sign_cmd},
    {"verify", "verify an MCUboot image as the boot ROM does", nusec_image_verify_cmd},
    {"dump", "print an MCUboot image's header and TLVs", nusec_image_dump_cmd},
    {NULL, NULL, NULL},
};

const NuSecCliGroup nusec_image_group = {
    .name = "image",
    .summary = "MCUboot firmware images",
    .commands = nusec_image_commands,
};
