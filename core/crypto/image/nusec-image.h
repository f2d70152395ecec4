/*
 * MCUboot image format, station and cloud side: build and sign an image with any NuSecSigner
 * (PEM file, PKCS#11 token), and describe or verify one through the firmware-side parser
 * (fwc-image), so that there is a single parser. See docs/formats/image.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "fwc-image.h"
#include "nusec-signer.h"

G_BEGIN_DECLS

/* how the signer's public key goes into the image (imgtool --public-key-format) */
typedef enum {
	NUSEC_IMAGE_PUBKEY_HASH, /* KEYHASH TLV: SHA-256 of the DER SPKI (imgtool default) */
	NUSEC_IMAGE_PUBKEY_FULL, /* PUBKEY TLV: the DER SPKI, for a key hash held in OTP */
} NuSecImagePubkeyMode;

typedef enum {
	NUSEC_IMAGE_SECURITY_COUNTER_NONE,  /* no protected TLV area */
	NUSEC_IMAGE_SECURITY_COUNTER_VALUE, /* SEC_CNT = security_counter */
	NUSEC_IMAGE_SECURITY_COUNTER_AUTO,  /* SEC_CNT = major << 24 | minor << 16 | revision */
} NuSecImageSecurityCounterMode;

typedef struct {
	fwc_image_version version;
	NuSecImageSecurityCounterMode security_counter_mode;
	guint32 security_counter; /* with NUSEC_IMAGE_SECURITY_COUNTER_VALUE */
	guint16 header_size;	  /* >= 32; padded with 0xff as imgtool --pad-header does */
	guint32 load_address;	  /* != 0 also sets the RAM_LOAD flag, as imgtool -L does */
	NuSecImagePubkeyMode pubkey_mode;
} NuSecImageSignOptions;

/* version 0.0.0+0, no security counter, 32-byte header, load address 0, KEYHASH */
void
nusec_image_sign_options_init(NuSecImageSignOptions *opts);

/* "maj[.min[.rev[+build]]]" without leading zeros (imgtool's syntax), each part in range */
gboolean
nusec_image_version_parse(const gchar *text, fwc_image_version *version, GError **error);
gchar *
nusec_image_version_to_string(const fwc_image_version *version);
guint32
nusec_image_security_counter_auto(const fwc_image_version *version);

/* an unsigned number as imgtool reads it (Python int(x, 0)): decimal, 0x, 0o or 0b; at most
 * @max; NUSEC_ERROR_INVALID_ARGUMENT otherwise */
gboolean
nusec_image_parse_number(const gchar *text, guint64 max, guint64 *value, GError **error);
/* "auto" or a number, into opts->security_counter_mode and opts->security_counter */
gboolean
nusec_image_security_counter_parse(const gchar *text, NuSecImageSignOptions *opts, GError **error);

/*
 * Builds header + 0xff padding + @body + protected TLV area (SEC_CNT, when asked) + TLV area
 * (SHA256, KEYHASH or PUBKEY, ECDSA_SIG in DER) and signs the SHA-256 of header + body +
 * protected area with @signer. The result is checked with fwc_image_verify before it is
 * returned.
 */
GBytes *
nusec_image_sign(NuSecSigner *signer,
		 GBytes *body,
		 const NuSecImageSignOptions *opts,
		 GError **error);

/* sets @error from a fwc_image_status: "image rejected: <reason> (<FWC_IMAGE_ERR_...>)" with
 * NUSEC_ERROR_ROLLBACK, _SIGNATURE_INVALID, _NOT_SUPPORTED, _CRYPTO or _INVALID_DATA */
void
nusec_image_set_error(GError **error, int status);

/* fwc_image_parse / fwc_image_verify on a GBytes, failures as GError */
gboolean
nusec_image_parse(GBytes *image, fwc_image_info *info, GError **error);
gboolean
nusec_image_verify(GBytes *image,
		   const fwc_image_trust *trust,
		   fwc_image_info *info,
		   GError **error);

/* "SHA256", "KEYHASH", ... or NULL for a type this code does not know */
const gchar *
nusec_image_tlv_type_to_string(guint16 type);

/* a human-readable (or, with @json, a JSON object) description of the header and every TLV */
gchar *
nusec_image_dump(GBytes *image, gboolean json, GError **error);

/* the public key of @key as a 65-byte point: a PEM public key file, a PEM private key file or a
 * pkcs11: URI */
gboolean
nusec_image_load_public_point(const gchar *key, guint8 point[FWC_P256_POINT_LEN], GError **error);

G_END_DECLS
