/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-image.h"

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <string.h>

#include "nusec-error.h"
#include "nusec-openssl.h"
#include "nusec-signer-open.h"

void
nusec_image_sign_options_init(NuSecImageSignOptions *opts)
{
	g_return_if_fail(opts != NULL);
	memset(opts, 0, sizeof(*opts));
	opts->security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_NONE;
	opts->header_size = FWC_IMAGE_HEADER_SIZE;
	opts->pubkey_mode = NUSEC_IMAGE_PUBKEY_HASH;
}

/* "0" or [1-9][0-9]*, at most @max; advances *p */
static gboolean
nusec_image_version_part(const gchar **p, guint64 max, guint64 *value)
{
	const gchar *s = *p;
	guint64 v = 0;

	if (!g_ascii_isdigit(*s))
		return FALSE;
	if (*s == '0') {
		*p = s + 1;
		*value = 0;
		return !g_ascii_isdigit(s[1]);
	}
	while (g_ascii_isdigit(*s)) {
		v = v * 10 + (guint64)(*s - '0');
		if (v > max)
			return FALSE;
		s++;
	}
	*p = s;
	*value = v;
	return TRUE;
}

static gboolean
nusec_image_version_parse_parts(const gchar *text, fwc_image_version *version)
{
	const gchar *p = text;
	guint64 major = 0, minor = 0, revision = 0, build = 0;

	if (!nusec_image_version_part(&p, G_MAXUINT8, &major))
		return FALSE;
	if (*p == '.') {
		p++;
		if (!nusec_image_version_part(&p, G_MAXUINT8, &minor))
			return FALSE;
		if (*p == '.') {
			p++;
			if (!nusec_image_version_part(&p, G_MAXUINT16, &revision))
				return FALSE;
			if (*p == '+') {
				p++;
				if (!nusec_image_version_part(&p, G_MAXUINT32, &build))
					return FALSE;
			}
		}
	}
	if (*p != '\0')
		return FALSE;
	version->major = (guint8)major;
	version->minor = (guint8)minor;
	version->revision = (guint16)revision;
	version->build = (guint32)build;
	return TRUE;
}

gboolean
nusec_image_version_parse(const gchar *text, fwc_image_version *version, GError **error)
{
	g_return_val_if_fail(text != NULL, FALSE);
	g_return_val_if_fail(version != NULL, FALSE);

	if (!nusec_image_version_parse_parts(text, version)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "invalid version '%s': expected MAJOR[.MINOR[.REVISION[+BUILD]]] with "
			    "major and minor 0-255, revision 0-65535, build 0-4294967295, no "
			    "leading zeros",
			    text);
		return FALSE;
	}
	return TRUE;
}

gchar *
nusec_image_version_to_string(const fwc_image_version *version)
{
	return g_strdup_printf("%u.%u.%u+%u",
			       (guint)version->major,
			       (guint)version->minor,
			       (guint)version->revision,
			       (guint)version->build);
}

guint32
nusec_image_security_counter_auto(const fwc_image_version *version)
{
	/* imgtool: (major << 24) + (minor << 16) + revision */
	return ((guint32)version->major << 24) | ((guint32)version->minor << 16) |
	       (guint32)version->revision;
}

gboolean
nusec_image_parse_number(const gchar *text, guint64 max, guint64 *value, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	const gchar *digits = text;
	guint base = 10;

	g_return_val_if_fail(text != NULL, FALSE);

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		digits = text + 2;
	} else if (text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
		base = 8;
		digits = text + 2;
	} else if (text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) {
		base = 2;
		digits = text + 2;
	} else if (text[0] == '0' && text[1] != '\0') {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "invalid number '%s': leading zero (use 0x, 0o or 0b prefixes)",
			    text);
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(digits, base, 0, max, value, &error_local)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "invalid number '%s' (0 to %" G_GUINT64_FORMAT
			    ", decimal or with a 0x, 0o or 0b prefix): %s",
			    text,
			    max,
			    error_local->message);
		return FALSE;
	}
	return TRUE;
}

gboolean
nusec_image_security_counter_parse(const gchar *text, NuSecImageSignOptions *opts, GError **error)
{
	guint64 value = 0;

	g_return_val_if_fail(text != NULL, FALSE);
	g_return_val_if_fail(opts != NULL, FALSE);

	if (g_ascii_strcasecmp(text, "auto") == 0) {
		opts->security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_AUTO;
		return TRUE;
	}
	if (!nusec_image_parse_number(text, G_MAXUINT32, &value, error)) {
		g_prefix_error(error, "security counter: ");
		return FALSE;
	}
	opts->security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_VALUE;
	opts->security_counter = (guint32)value;
	return TRUE;
}

static void
nusec_image_put16(GByteArray *buf, guint16 v)
{
	guint8 b[2] = {v & 0xff, v >> 8};
	g_byte_array_append(buf, b, sizeof(b));
}

static void
nusec_image_put32(GByteArray *buf, guint32 v)
{
	guint8 b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
	g_byte_array_append(buf, b, sizeof(b));
}

static void
nusec_image_put_tlv(GByteArray *buf, guint16 type, const guint8 *value, gsize len)
{
	nusec_image_put16(buf, type);
	nusec_image_put16(buf, (guint16)len);
	g_byte_array_append(buf, value, len);
}

GBytes *
nusec_image_sign(NuSecSigner *signer,
		 GBytes *body,
		 const NuSecImageSignOptions *opts,
		 GError **error)
{
	g_autoptr(GByteArray) img = g_byte_array_new();
	g_autoptr(GByteArray) tlv = g_byte_array_new();
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GBytes) sig = NULL;
	g_autoptr(GBytes) result = NULL;
	const guint8 *body_buf;
	gsize body_len = 0;
	guint16 protect_tlv_size = 0;
	guint32 flags = 0;
	guint32 security_counter = 0;
	guint8 digest[SHA256_DIGEST_LENGTH];
	guint8 key_hash[SHA256_DIGEST_LENGTH];
	guint8 point[FWC_P256_POINT_LEN];
	fwc_image_trust trust = {0};
	fwc_image_info info;
	int status;

	g_return_val_if_fail(NUSEC_IS_SIGNER(signer), NULL);
	g_return_val_if_fail(body != NULL, NULL);
	g_return_val_if_fail(opts != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	body_buf = g_bytes_get_data(body, &body_len);
	if (opts->header_size < FWC_IMAGE_HEADER_SIZE) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "header size %u is below the minimum of %u bytes",
			    (guint)opts->header_size,
			    (guint)FWC_IMAGE_HEADER_SIZE);
		return NULL;
	}
	if (opts->pubkey_mode != NUSEC_IMAGE_PUBKEY_HASH &&
	    opts->pubkey_mode != NUSEC_IMAGE_PUBKEY_FULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "unknown public key mode");
		return NULL;
	}
	switch (opts->security_counter_mode) {
	case NUSEC_IMAGE_SECURITY_COUNTER_NONE:
		break;
	case NUSEC_IMAGE_SECURITY_COUNTER_VALUE:
		security_counter = opts->security_counter;
		protect_tlv_size = FWC_IMAGE_TLV_INFO_SIZE + FWC_IMAGE_TLV_HEADER_SIZE + 4;
		break;
	case NUSEC_IMAGE_SECURITY_COUNTER_AUTO:
		security_counter = nusec_image_security_counter_auto(&opts->version);
		protect_tlv_size = FWC_IMAGE_TLV_INFO_SIZE + FWC_IMAGE_TLV_HEADER_SIZE + 4;
		break;
	default:
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "unknown security counter mode");
		return NULL;
	}
	if ((guint64)opts->header_size + body_len + protect_tlv_size > G_MAXUINT32) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "body of %" G_GSIZE_FORMAT " bytes is too large for an MCUboot image",
			    body_len);
		return NULL;
	}
	if (opts->load_address != 0)
		flags |= FWC_IMAGE_F_RAM_LOAD;

	/* header, then 0xff up to header_size (imgtool --pad-header with erased value 0xff) */
	nusec_image_put32(img, FWC_IMAGE_MAGIC);
	nusec_image_put32(img, opts->load_address);
	nusec_image_put16(img, opts->header_size);
	nusec_image_put16(img, protect_tlv_size);
	nusec_image_put32(img, (guint32)body_len);
	nusec_image_put32(img, flags);
	g_byte_array_append(img, &opts->version.major, 1);
	g_byte_array_append(img, &opts->version.minor, 1);
	nusec_image_put16(img, opts->version.revision);
	nusec_image_put32(img, opts->version.build);
	nusec_image_put32(img, 0); /* _pad1 */
	if (opts->header_size > FWC_IMAGE_HEADER_SIZE) {
		gsize pad = opts->header_size - FWC_IMAGE_HEADER_SIZE;
		g_byte_array_set_size(img, opts->header_size);
		memset(img->data + FWC_IMAGE_HEADER_SIZE, 0xff, pad);
	}
	g_byte_array_append(img, body_buf, body_len);

	/* protected TLV area */
	if (protect_tlv_size != 0) {
		guint8 cnt[4] = {security_counter & 0xff,
				 (security_counter >> 8) & 0xff,
				 (security_counter >> 16) & 0xff,
				 security_counter >> 24};
		nusec_image_put16(img, FWC_IMAGE_TLV_PROT_INFO_MAGIC);
		nusec_image_put16(img, protect_tlv_size);
		nusec_image_put_tlv(img, FWC_IMAGE_TLV_SEC_CNT, cnt, sizeof(cnt));
	}

	/* the hash and the signature cover everything so far */
	SHA256(img->data, img->len, digest);
	spki = nusec_signer_get_public_key(signer, error);
	if (spki == NULL) {
		g_prefix_error(error, "cannot get the signer's public key: ");
		return NULL;
	}
	if (fwc_p256_spki_to_point(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki), point) !=
	    FWC_CRYPTO_OK) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_NOT_SUPPORTED,
				    "the signing key is not an ECDSA P-256 key");
		return NULL;
	}
	SHA256(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki), key_hash);
	sig = nusec_signer_sign_digest_der(signer, digest, error);
	if (sig == NULL) {
		g_prefix_error(error, "cannot sign the image: ");
		return NULL;
	}

	/* TLV area, in imgtool's order: SHA256, key, signature */
	nusec_image_put_tlv(tlv, FWC_IMAGE_TLV_SHA256, digest, sizeof(digest));
	if (opts->pubkey_mode == NUSEC_IMAGE_PUBKEY_FULL) {
		nusec_image_put_tlv(tlv,
				    FWC_IMAGE_TLV_PUBKEY,
				    g_bytes_get_data(spki, NULL),
				    g_bytes_get_size(spki));
	} else {
		nusec_image_put_tlv(tlv, FWC_IMAGE_TLV_KEYHASH, key_hash, sizeof(key_hash));
	}
	nusec_image_put_tlv(tlv,
			    FWC_IMAGE_TLV_ECDSA_SIG,
			    g_bytes_get_data(sig, NULL),
			    g_bytes_get_size(sig));
	nusec_image_put16(img, FWC_IMAGE_TLV_INFO_MAGIC);
	nusec_image_put16(img, (guint16)(tlv->len + FWC_IMAGE_TLV_INFO_SIZE));
	g_byte_array_append(img, tlv->data, tlv->len);
	result = g_byte_array_free_to_bytes(g_steal_pointer(&img));

	/* never hand out an image the boot ROM would reject (wrong key in a token, bad HSM) */
	trust.mode = FWC_IMAGE_TRUST_PUBLIC_KEY;
	trust.public_key = point;
	status = fwc_image_verify(g_bytes_get_data(result, NULL),
				  g_bytes_get_size(result),
				  &trust,
				  &info);
	if (status != FWC_IMAGE_OK) {
		nusec_image_set_error(error, status);
		g_prefix_error(error, "the image just signed does not verify: ");
		return NULL;
	}
	return g_steal_pointer(&result);
}

void
nusec_image_set_error(GError **error, int status)
{
	gint code;

	switch ((fwc_image_status)status) {
	case FWC_IMAGE_ERR_ROLLBACK:
	case FWC_IMAGE_ERR_MISSING_SECURITY_COUNTER:
		code = NUSEC_ERROR_ROLLBACK;
		break;
	case FWC_IMAGE_ERR_HASH_MISMATCH:
	case FWC_IMAGE_ERR_KEY_HASH_MISMATCH:
	case FWC_IMAGE_ERR_BAD_SIGNATURE:
		code = NUSEC_ERROR_SIGNATURE_INVALID;
		break;
	case FWC_IMAGE_ERR_ENCRYPTED:
	case FWC_IMAGE_ERR_UNSUPPORTED_FLAGS:
		code = NUSEC_ERROR_NOT_SUPPORTED;
		break;
	case FWC_IMAGE_ERR_CRYPTO:
		code = NUSEC_ERROR_CRYPTO;
		break;
	case FWC_IMAGE_ERR_ARGUMENT:
		code = NUSEC_ERROR_INVALID_ARGUMENT;
		break;
	default:
		code = NUSEC_ERROR_INVALID_DATA;
		break;
	}
	g_set_error(error,
		    NUSEC_ERROR,
		    code,
		    "image rejected: %s (%s)",
		    fwc_image_strerror(status),
		    fwc_image_status_name(status));
}

gboolean
nusec_image_parse(GBytes *image, fwc_image_info *info, GError **error)
{
	int status;

	g_return_val_if_fail(image != NULL, FALSE);
	g_return_val_if_fail(info != NULL, FALSE);

	status = fwc_image_parse(g_bytes_get_data(image, NULL), g_bytes_get_size(image), info);
	if (status != FWC_IMAGE_OK) {
		nusec_image_set_error(error, status);
		return FALSE;
	}
	return TRUE;
}

gboolean
nusec_image_verify(GBytes *image,
		   const fwc_image_trust *trust,
		   fwc_image_info *info,
		   GError **error)
{
	int status;

	g_return_val_if_fail(image != NULL, FALSE);
	g_return_val_if_fail(trust != NULL, FALSE);

	status =
	    fwc_image_verify(g_bytes_get_data(image, NULL), g_bytes_get_size(image), trust, info);
	if (status != FWC_IMAGE_OK) {
		nusec_image_set_error(error, status);
		return FALSE;
	}
	return TRUE;
}

const gchar *
nusec_image_tlv_type_to_string(guint16 type)
{
	switch (type) {
	case FWC_IMAGE_TLV_KEYHASH:
		return "KEYHASH";
	case FWC_IMAGE_TLV_PUBKEY:
		return "PUBKEY";
	case FWC_IMAGE_TLV_SHA256:
		return "SHA256";
	case 0x20:
		return "RSA2048_PSS";
	case 0x21:
		return "ECDSA224";
	case FWC_IMAGE_TLV_ECDSA_SIG:
		return "ECDSA_SIG";
	case 0x23:
		return "RSA3072_PSS";
	case 0x24:
		return "ED25519";
	case 0x30:
		return "ENC_RSA2048";
	case 0x31:
		return "ENC_KW";
	case 0x32:
		return "ENC_EC256";
	case 0x33:
		return "ENC_X25519";
	case 0x40:
		return "DEPENDENCY";
	case FWC_IMAGE_TLV_SEC_CNT:
		return "SEC_CNT";
	case 0x60:
		return "BOOT_RECORD";
	default:
		return NULL;
	}
}

static gchar *
nusec_image_hex(const guint8 *buf, gsize len)
{
	GString *str = g_string_sized_new(len * 2 + 1);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(str, "%02x", buf[i]);
	return g_string_free(str, FALSE);
}

static const gchar *
nusec_image_key_kind_to_string(fwc_image_key_kind kind)
{
	if (kind == FWC_IMAGE_KEY_HASH)
		return "hash";
	if (kind == FWC_IMAGE_KEY_FULL)
		return "full";
	return NULL;
}

static gchar *
nusec_image_dump_json(const guint8 *buf, const fwc_image_info *info)
{
	GString *str = g_string_new("{\n");
	g_autofree gchar *version = nusec_image_version_to_string(&info->version);
	g_autofree gchar *hash = nusec_image_hex(info->hash, sizeof(info->hash));
	g_autofree gchar *key_hash = nusec_image_hex(info->key_hash, sizeof(info->key_hash));
	const gchar *key_kind = nusec_image_key_kind_to_string(info->key_kind);
	fwc_image_tlv_iter it;
	fwc_image_tlv tlv;
	gboolean first = TRUE;

	g_string_append_printf(str, "  \"magic\": %u,\n", (guint)FWC_IMAGE_MAGIC);
	g_string_append_printf(str, "  \"load_address\": %u,\n", (guint)info->load_addr);
	g_string_append_printf(str, "  \"header_size\": %u,\n", (guint)info->hdr_size);
	g_string_append_printf(str, "  \"protect_tlv_size\": %u,\n", (guint)info->protect_tlv_size);
	g_string_append_printf(str, "  \"image_size\": %u,\n", (guint)info->img_size);
	g_string_append_printf(str, "  \"flags\": %u,\n", (guint)info->flags);
	g_string_append_printf(str,
			       "  \"version\": {\"major\": %u, \"minor\": %u, \"revision\": %u, "
			       "\"build\": %u, \"string\": \"%s\"},\n",
			       (guint)info->version.major,
			       (guint)info->version.minor,
			       (guint)info->version.revision,
			       (guint)info->version.build,
			       version);
	if (info->has_security_counter)
		g_string_append_printf(str,
				       "  \"security_counter\": %u,\n",
				       (guint)info->security_counter);
	else
		g_string_append(str, "  \"security_counter\": null,\n");
	g_string_append_printf(str, "  \"body_offset\": %" G_GSIZE_FORMAT ",\n", info->body_offset);
	g_string_append_printf(str, "  \"body_size\": %" G_GSIZE_FORMAT ",\n", info->body_len);
	g_string_append_printf(str, "  \"signed_size\": %" G_GSIZE_FORMAT ",\n", info->signed_len);
	g_string_append_printf(str, "  \"total_size\": %" G_GSIZE_FORMAT ",\n", info->total_len);
	if (info->has_hash)
		g_string_append_printf(str, "  \"hash\": \"%s\",\n", hash);
	else
		g_string_append(str, "  \"hash\": null,\n");
	if (key_kind != NULL)
		g_string_append_printf(str,
				       "  \"key_format\": \"%s\",\n  \"key_hash\": \"%s\",\n",
				       key_kind,
				       key_hash);
	else
		g_string_append(str, "  \"key_format\": null,\n  \"key_hash\": null,\n");
	g_string_append(str, "  \"tlvs\": [");
	fwc_image_tlv_iter_init(&it, buf, info);
	while (fwc_image_tlv_next(&it, &tlv)) {
		g_autofree gchar *value = nusec_image_hex(tlv.value, tlv.len);
		const gchar *name = nusec_image_tlv_type_to_string(tlv.type);
		g_string_append_printf(
		    str,
		    "%s\n    {\"type\": %u, \"name\": %s%s%s, \"protected\": %s, "
		    "\"offset\": %" G_GSIZE_FORMAT ", \"length\": %u, \"value\": \"%s\"}",
		    first ? "" : ",",
		    (guint)tlv.type,
		    name != NULL ? "\"" : "",
		    name != NULL ? name : "null",
		    name != NULL ? "\"" : "",
		    tlv.is_protected ? "true" : "false",
		    tlv.offset,
		    (guint)tlv.len,
		    value);
		first = FALSE;
	}
	g_string_append(str, "\n  ]\n}\n");
	return g_string_free(str, FALSE);
}

static gchar *
nusec_image_dump_text(const guint8 *buf, const fwc_image_info *info)
{
	GString *str = g_string_new(NULL);
	g_autofree gchar *version = nusec_image_version_to_string(&info->version);
	fwc_image_tlv_iter it;
	fwc_image_tlv tlv;
	gboolean in_unprotected = FALSE;

	g_string_append(str, "header:\n");
	g_string_append_printf(str, "  magic:            0x%08x\n", (guint)FWC_IMAGE_MAGIC);
	g_string_append_printf(str, "  load-address:     0x%08x\n", (guint)info->load_addr);
	g_string_append_printf(str, "  header-size:      %u\n", (guint)info->hdr_size);
	g_string_append_printf(str, "  protect-tlv-size: %u\n", (guint)info->protect_tlv_size);
	g_string_append_printf(str, "  image-size:       %u\n", (guint)info->img_size);
	g_string_append_printf(str, "  flags:            0x%08x\n", (guint)info->flags);
	g_string_append_printf(str, "  version:          %s\n", version);
	g_string_append_printf(str,
			       "body: offset %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT " bytes\n",
			       info->body_offset,
			       info->body_len);
	fwc_image_tlv_iter_init(&it, buf, info);
	if (info->prot_tlv_len != 0) {
		g_string_append_printf(str,
				       "protected TLV area: offset %" G_GSIZE_FORMAT
				       ", %" G_GSIZE_FORMAT " bytes (magic 0x%04x)\n",
				       info->prot_tlv_offset,
				       info->prot_tlv_len,
				       (guint)FWC_IMAGE_TLV_PROT_INFO_MAGIC);
	}
	while (fwc_image_tlv_next(&it, &tlv)) {
		const gchar *name = nusec_image_tlv_type_to_string(tlv.type);
		g_autofree gchar *value = nusec_image_hex(tlv.value, tlv.len);
		if (!tlv.is_protected && !in_unprotected) {
			in_unprotected = TRUE;
			g_string_append_printf(str,
					       "TLV area: offset %" G_GSIZE_FORMAT
					       ", %" G_GSIZE_FORMAT " bytes (magic 0x%04x)\n",
					       info->tlv_offset,
					       info->tlv_len,
					       (guint)FWC_IMAGE_TLV_INFO_MAGIC);
		}
		g_string_append_printf(str,
				       "  %-10s (0x%04x) %3u bytes: %s",
				       name != NULL ? name : "unknown",
				       (guint)tlv.type,
				       (guint)tlv.len,
				       value);
		if (tlv.type == FWC_IMAGE_TLV_SEC_CNT && tlv.len == 4 && tlv.is_protected)
			g_string_append_printf(str, " (%u)", (guint)info->security_counter);
		g_string_append_c(str, '\n');
	}
	if (!in_unprotected) {
		g_string_append_printf(str,
				       "TLV area: offset %" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT
				       " bytes (magic 0x%04x), empty\n",
				       info->tlv_offset,
				       info->tlv_len,
				       (guint)FWC_IMAGE_TLV_INFO_MAGIC);
	}
	if (info->has_security_counter)
		g_string_append_printf(str,
				       "security-counter: %u\n",
				       (guint)info->security_counter);
	if (info->key_kind != FWC_IMAGE_KEY_NONE) {
		g_autofree gchar *key_hash =
		    nusec_image_hex(info->key_hash, sizeof(info->key_hash));
		g_string_append_printf(str, "key-hash: %s\n", key_hash);
	}
	return g_string_free(str, FALSE);
}

gchar *
nusec_image_dump(GBytes *image, gboolean json, GError **error)
{
	fwc_image_info info;

	g_return_val_if_fail(image != NULL, NULL);

	if (!nusec_image_parse(image, &info, error))
		return NULL;
	if (json)
		return nusec_image_dump_json(g_bytes_get_data(image, NULL), &info);
	return nusec_image_dump_text(g_bytes_get_data(image, NULL), &info);
}

gboolean
nusec_image_load_public_point(const gchar *key, guint8 point[FWC_P256_POINT_LEN], GError **error)
{
	g_autoptr(NuSecSigner) signer = NULL;

	g_return_val_if_fail(key != NULL, FALSE);

	if (!g_str_has_prefix(key, "pkcs11:")) {
		g_autofree gchar *pem = NULL;
		gsize pem_len = 0;

		if (!g_file_get_contents(key, &pem, &pem_len, error))
			return FALSE;
		if (strstr(pem, "-----BEGIN PUBLIC KEY-----") != NULL) {
			g_autoptr(BIO) bio = BIO_new_mem_buf(pem, (int)pem_len);
			g_autoptr(EVP_PKEY) pkey = NULL;
			g_autofree guint8 *der = NULL;
			guint8 *p;
			int der_len;

			pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
			if (pkey == NULL) {
				nusec_error_set_openssl(error, "cannot read the public key");
				g_prefix_error(error, "%s: ", key);
				return FALSE;
			}
			der_len = i2d_PUBKEY(pkey, NULL);
			if (der_len <= 0) {
				nusec_error_set_openssl(error, "cannot encode the public key");
				return FALSE;
			}
			der = g_malloc(der_len);
			p = der;
			i2d_PUBKEY(pkey, &p);
			if (fwc_p256_spki_to_point(der, (size_t)der_len, point) != FWC_CRYPTO_OK) {
				g_set_error(error,
					    NUSEC_ERROR,
					    NUSEC_ERROR_NOT_SUPPORTED,
					    "%s: not an ECDSA P-256 public key",
					    key);
				return FALSE;
			}
			return TRUE;
		}
		/* a private key file: the signer reads it (and wipes what it read) */
		OPENSSL_cleanse(pem, pem_len);
	}
	signer = nusec_signer_open(key, error);
	if (signer == NULL)
		return FALSE;
	return nusec_signer_get_public_point(signer, point, error);
}
