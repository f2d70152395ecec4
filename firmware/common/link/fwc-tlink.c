/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwc-tlink.h"

#include <string.h>

const char *
fwc_tlink_strerror(int status)
{
	switch ((fwc_tlink_status)status) {
	case FWC_TLINK_OK:
		return "success";
	case FWC_TLINK_ERR_BAD_FRAME:
		return "malformed frame";
	case FWC_TLINK_ERR_UNKNOWN_COMMAND:
		return "command code not defined";
	case FWC_TLINK_ERR_BAD_LENGTH:
		return "payload length wrong for the command";
	case FWC_TLINK_ERR_BAD_ARGUMENT:
		return "a field of the payload out of its range";
	case FWC_TLINK_ERR_LIFECYCLE:
		return "the lifecycle state forbids the command";
	case FWC_TLINK_ERR_DEBUG_LOCKED:
		return "debug access is off: the chip is LOCKED";
	case FWC_TLINK_ERR_ROT_ALREADY_SET:
		return "OTP holds another root-of-trust hash";
	case FWC_TLINK_ERR_ROT_NOT_SET:
		return "no root-of-trust hash in OTP";
	case FWC_TLINK_ERR_OTP_DIRTY:
		return "the OTP field is half-programmed with other bits";
	case FWC_TLINK_ERR_KEY_EXISTS:
		return "the identity key was already generated";
	case FWC_TLINK_ERR_NO_KEY:
		return "no identity key yet";
	case FWC_TLINK_ERR_CERT_CHAIN_FORMAT:
		return "malformed certificate chain encoding";
	case FWC_TLINK_ERR_CERT_PARSE:
		return "a certificate is not DER X.509";
	case FWC_TLINK_ERR_CERT_KEY_MISMATCH:
		return "the leaf's public key is not the chip's own";
	case FWC_TLINK_ERR_NO_CERT:
		return "no certificate chain written";
	case FWC_TLINK_ERR_FLASH_RANGE:
		return "offset/length outside the flash";
	case FWC_TLINK_ERR_FLASH_ALIGN:
		return "erase not on page boundaries";
	case FWC_TLINK_ERR_FLASH_NOT_ERASED:
		return "FLASH_WRITE over bytes that are not erased";
	case FWC_TLINK_ERR_LIFECYCLE_INVALID:
		return "lifecycle transition not allowed: only the next state";
	case FWC_TLINK_ERR_LIFECYCLE_PRECONDITION:
		return "PROVISIONED needs the ROT hash, the identity key and a certificate";
	case FWC_TLINK_ERR_BOOT_REJECTED:
		return "secure boot rejected the image";
	case FWC_TLINK_ERR_NOT_FABRICATED:
		return "chip not fabricated: no chip ID or attestation key";
	case FWC_TLINK_ERR_STORAGE:
		return "flash, OTP or keystore storage failure";
	case FWC_TLINK_ERR_CRYPTO:
		return "crypto engine or RNG failure";
	case FWC_TLINK_ERR_INTERNAL:
		return "internal error";
	}
	return "unknown target link status";
}

const char *
fwc_tlink_status_name(int status)
{
	switch ((fwc_tlink_status)status) {
	case FWC_TLINK_OK:
		return "FWC_TLINK_OK";
	case FWC_TLINK_ERR_BAD_FRAME:
		return "FWC_TLINK_ERR_BAD_FRAME";
	case FWC_TLINK_ERR_UNKNOWN_COMMAND:
		return "FWC_TLINK_ERR_UNKNOWN_COMMAND";
	case FWC_TLINK_ERR_BAD_LENGTH:
		return "FWC_TLINK_ERR_BAD_LENGTH";
	case FWC_TLINK_ERR_BAD_ARGUMENT:
		return "FWC_TLINK_ERR_BAD_ARGUMENT";
	case FWC_TLINK_ERR_LIFECYCLE:
		return "FWC_TLINK_ERR_LIFECYCLE";
	case FWC_TLINK_ERR_DEBUG_LOCKED:
		return "FWC_TLINK_ERR_DEBUG_LOCKED";
	case FWC_TLINK_ERR_ROT_ALREADY_SET:
		return "FWC_TLINK_ERR_ROT_ALREADY_SET";
	case FWC_TLINK_ERR_ROT_NOT_SET:
		return "FWC_TLINK_ERR_ROT_NOT_SET";
	case FWC_TLINK_ERR_OTP_DIRTY:
		return "FWC_TLINK_ERR_OTP_DIRTY";
	case FWC_TLINK_ERR_KEY_EXISTS:
		return "FWC_TLINK_ERR_KEY_EXISTS";
	case FWC_TLINK_ERR_NO_KEY:
		return "FWC_TLINK_ERR_NO_KEY";
	case FWC_TLINK_ERR_CERT_CHAIN_FORMAT:
		return "FWC_TLINK_ERR_CERT_CHAIN_FORMAT";
	case FWC_TLINK_ERR_CERT_PARSE:
		return "FWC_TLINK_ERR_CERT_PARSE";
	case FWC_TLINK_ERR_CERT_KEY_MISMATCH:
		return "FWC_TLINK_ERR_CERT_KEY_MISMATCH";
	case FWC_TLINK_ERR_NO_CERT:
		return "FWC_TLINK_ERR_NO_CERT";
	case FWC_TLINK_ERR_FLASH_RANGE:
		return "FWC_TLINK_ERR_FLASH_RANGE";
	case FWC_TLINK_ERR_FLASH_ALIGN:
		return "FWC_TLINK_ERR_FLASH_ALIGN";
	case FWC_TLINK_ERR_FLASH_NOT_ERASED:
		return "FWC_TLINK_ERR_FLASH_NOT_ERASED";
	case FWC_TLINK_ERR_LIFECYCLE_INVALID:
		return "FWC_TLINK_ERR_LIFECYCLE_INVALID";
	case FWC_TLINK_ERR_LIFECYCLE_PRECONDITION:
		return "FWC_TLINK_ERR_LIFECYCLE_PRECONDITION";
	case FWC_TLINK_ERR_BOOT_REJECTED:
		return "FWC_TLINK_ERR_BOOT_REJECTED";
	case FWC_TLINK_ERR_NOT_FABRICATED:
		return "FWC_TLINK_ERR_NOT_FABRICATED";
	case FWC_TLINK_ERR_STORAGE:
		return "FWC_TLINK_ERR_STORAGE";
	case FWC_TLINK_ERR_CRYPTO:
		return "FWC_TLINK_ERR_CRYPTO";
	case FWC_TLINK_ERR_INTERNAL:
		return "FWC_TLINK_ERR_INTERNAL";
	}
	return NULL;
}

const char *
fwc_tlink_cmd_name(int cmd)
{
	switch (cmd) {
	case FWC_TLINK_CMD_GET_INFO:
		return "GET_INFO";
	case FWC_TLINK_CMD_ATTEST:
		return "ATTEST";
	case FWC_TLINK_CMD_WRITE_ROT:
		return "WRITE_ROT";
	case FWC_TLINK_CMD_GEN_KEY:
		return "GEN_KEY";
	case FWC_TLINK_CMD_GET_CSR:
		return "GET_CSR";
	case FWC_TLINK_CMD_WRITE_CERT:
		return "WRITE_CERT";
	case FWC_TLINK_CMD_FLASH_ERASE:
		return "FLASH_ERASE";
	case FWC_TLINK_CMD_FLASH_WRITE:
		return "FLASH_WRITE";
	case FWC_TLINK_CMD_FLASH_HASH:
		return "FLASH_HASH";
	case FWC_TLINK_CMD_FLASH_READ:
		return "FLASH_READ";
	case FWC_TLINK_CMD_SET_LIFECYCLE:
		return "SET_LIFECYCLE";
	case FWC_TLINK_CMD_BOOT:
		return "BOOT";
	case FWC_TLINK_CMD_GET_RECEIPT:
		return "GET_RECEIPT";
	case FWC_TLINK_CMD_GET_CERT:
		return "GET_CERT";
	case FWC_TLINK_CMD_ATTEST_KEY:
		return "ATTEST_KEY";
	default:
		return NULL;
	}
}

const char *
fwc_tlink_lifecycle_name(int lc)
{
	switch (lc) {
	case FWC_TLINK_LC_OPEN:
		return "OPEN";
	case FWC_TLINK_LC_PROVISIONED:
		return "PROVISIONED";
	case FWC_TLINK_LC_LOCKED:
		return "LOCKED";
	default:
		return NULL;
	}
}

void
fwc_tlink_info_encode(const fwc_tlink_info *info, uint8_t out[FWC_TLINK_INFO_LEN])
{
	size_t model_len = strnlen(info->model, FWC_TLINK_MODEL_LEN);

	memset(out, 0, FWC_TLINK_INFO_LEN);
	out[0] = info->protocol;
	out[1] = info->lifecycle;
	out[2] = info->otp_flags;
	out[3] = info->key_flags;
	out[4] = info->boot_state;
	out[5] = info->debug;
	fwc_link_put_u16(out + 6, info->boot_status);
	fwc_link_put_u16(out + 8, info->image_status);
	memcpy(out + 12, info->chip_id, FWC_TLINK_CHIP_ID_LEN);
	memcpy(out + 28, info->model, model_len);
	fwc_link_put_u32(out + 44, info->flash_size);
	fwc_link_put_u32(out + 48, info->flash_page_size);
	fwc_link_put_u32(out + 52, info->security_counter);
	memcpy(out + 56, info->rot_hash, FWC_TLINK_ROT_LEN);
}

int
fwc_tlink_info_decode(const uint8_t *buf, size_t len, fwc_tlink_info *info)
{
	if (buf == NULL || info == NULL)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	memset(info, 0, sizeof(*info));
	if (len != FWC_TLINK_INFO_LEN)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (buf[1] > FWC_TLINK_LC_LOCKED || buf[4] > FWC_TLINK_BOOT_REJECTED || buf[5] > 1 ||
	    buf[10] != 0 || buf[11] != 0)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	for (size_t i = 0; i < FWC_TLINK_MODEL_LEN; i++) {
		/* printable ASCII, then NUL padding */
		uint8_t c = buf[28 + i];
		if (c == 0) {
			for (size_t j = i; j < FWC_TLINK_MODEL_LEN; j++)
				if (buf[28 + j] != 0)
					return FWC_TLINK_ERR_BAD_ARGUMENT;
			break;
		}
		if (c < 0x20 || c > 0x7e)
			return FWC_TLINK_ERR_BAD_ARGUMENT;
	}
	info->protocol = buf[0];
	info->lifecycle = buf[1];
	info->otp_flags = buf[2];
	info->key_flags = buf[3];
	info->boot_state = buf[4];
	info->debug = buf[5];
	info->boot_status = fwc_link_get_u16(buf + 6);
	info->image_status = fwc_link_get_u16(buf + 8);
	memcpy(info->chip_id, buf + 12, FWC_TLINK_CHIP_ID_LEN);
	memcpy(info->model, buf + 28, FWC_TLINK_MODEL_LEN);
	info->model[FWC_TLINK_MODEL_LEN] = '\0';
	info->flash_size = fwc_link_get_u32(buf + 44);
	info->flash_page_size = fwc_link_get_u32(buf + 48);
	info->security_counter = fwc_link_get_u32(buf + 52);
	memcpy(info->rot_hash, buf + 56, FWC_TLINK_ROT_LEN);
	return FWC_TLINK_OK;
}

void
fwc_tlink_boot_result_encode(const fwc_tlink_boot_result *r, uint8_t out[FWC_TLINK_BOOT_RESULT_LEN])
{
	memset(out, 0, FWC_TLINK_BOOT_RESULT_LEN);
	out[0] = r->boot_state;
	fwc_link_put_u16(out + 2, r->boot_status);
	fwc_link_put_u16(out + 4, r->image_status);
	fwc_link_put_u32(out + 8, r->image_counter);
	fwc_link_put_u32(out + 12, r->security_counter);
	memcpy(out + 16, r->version, sizeof(r->version));
	memcpy(out + 24, r->image_hash, sizeof(r->image_hash));
}

int
fwc_tlink_boot_result_decode(const uint8_t *buf, size_t len, fwc_tlink_boot_result *r)
{
	if (buf == NULL || r == NULL)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	memset(r, 0, sizeof(*r));
	if (len != FWC_TLINK_BOOT_RESULT_LEN)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (buf[0] > FWC_TLINK_BOOT_REJECTED || buf[1] != 0 || buf[6] != 0 || buf[7] != 0)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	r->boot_state = buf[0];
	r->boot_status = fwc_link_get_u16(buf + 2);
	r->image_status = fwc_link_get_u16(buf + 4);
	r->image_counter = fwc_link_get_u32(buf + 8);
	r->security_counter = fwc_link_get_u32(buf + 12);
	memcpy(r->version, buf + 16, sizeof(r->version));
	memcpy(r->image_hash, buf + 24, sizeof(r->image_hash));
	return FWC_TLINK_OK;
}

int
fwc_tlink_xfer(fwc_tlink_client *client,
	       uint8_t command,
	       const uint8_t *req,
	       size_t req_len,
	       uint16_t *status,
	       const uint8_t **payload,
	       size_t *payload_len,
	       int *link_status)
{
	fwc_link_frame frame;
	size_t len = 0;
	size_t frame_len = 0;
	int rc;

	if (link_status != NULL)
		*link_status = FWC_LINK_OK;
	if (client == NULL || client->send == NULL || client->recv == NULL || client->buf == NULL ||
	    client->buf_len < FWC_LINK_MAX_FRAME || status == NULL || payload == NULL ||
	    payload_len == NULL)
		return FWC_TLINK_XFER_ERR_ARGUMENT;
	*payload = NULL;
	*payload_len = 0;
	rc = fwc_link_encode_request(command, req, req_len, client->buf, client->buf_len, &len);
	if (rc != FWC_LINK_OK) {
		if (link_status != NULL)
			*link_status = rc;
		return FWC_TLINK_XFER_ERR_ARGUMENT;
	}
	if (client->send(client->user, client->buf, len) != 0)
		return FWC_TLINK_XFER_ERR_SEND;
	if (client->recv(client->user, client->buf, FWC_LINK_HEADER_SIZE) != 0)
		return FWC_TLINK_XFER_ERR_RECV;
	rc = fwc_link_header_parse(client->buf, FWC_LINK_HEADER_SIZE, &frame, &frame_len);
	if (rc == FWC_LINK_OK && client->recv(client->user,
					      client->buf + FWC_LINK_HEADER_SIZE,
					      frame_len - FWC_LINK_HEADER_SIZE) != 0)
		return FWC_TLINK_XFER_ERR_RECV;
	if (rc == FWC_LINK_OK)
		rc = fwc_link_decode_response(client->buf, frame_len, command, &frame);
	if (rc != FWC_LINK_OK) {
		if (link_status != NULL)
			*link_status = rc;
		return FWC_TLINK_XFER_ERR_FRAME;
	}
	*status = frame.status;
	*payload = frame.payload;
	*payload_len = frame.payload_len;
	return FWC_TLINK_XFER_OK;
}

int
fwc_tlink_attest_digest(const uint8_t chip_id[FWC_TLINK_CHIP_ID_LEN],
			const uint8_t nonce[FWC_TLINK_NONCE_LEN],
			uint8_t digest[FWC_SHA256_LEN])
{
	fwc_sha256_ctx h;

	if (fwc_sha256_begin(&h) != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	if (fwc_sha256_update(&h,
			      (const uint8_t *)FWC_TLINK_ATTEST_CONTEXT,
			      sizeof(FWC_TLINK_ATTEST_CONTEXT) - 1) != FWC_CRYPTO_OK ||
	    fwc_sha256_update(&h, chip_id, FWC_TLINK_CHIP_ID_LEN) != FWC_CRYPTO_OK ||
	    fwc_sha256_update(&h, nonce, FWC_TLINK_NONCE_LEN) != FWC_CRYPTO_OK ||
	    fwc_sha256_finish(&h, digest) != FWC_CRYPTO_OK) {
		fwc_sha256_abort(&h);
		return FWC_TLINK_ERR_CRYPTO;
	}
	return FWC_TLINK_OK;
}

int
fwc_tlink_chain_encode(const uint8_t *const *certs,
		       const size_t *lens,
		       size_t count,
		       uint8_t *out,
		       size_t cap,
		       size_t *out_len)
{
	size_t pos = 1;

	if (out_len != NULL)
		*out_len = 0;
	if (certs == NULL || lens == NULL || out == NULL || out_len == NULL)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	if (count == 0 || count > FWC_TLINK_CERT_MAX)
		return FWC_TLINK_ERR_CERT_CHAIN_FORMAT;
	if (cap > FWC_LINK_MAX_PAYLOAD)
		cap = FWC_LINK_MAX_PAYLOAD;
	for (size_t i = 0; i < count; i++) {
		if (certs[i] == NULL || lens[i] == 0 || lens[i] > 0xffff)
			return FWC_TLINK_ERR_CERT_CHAIN_FORMAT;
		if (cap < pos || cap - pos < 2 || cap - pos - 2 < lens[i])
			return FWC_TLINK_ERR_BAD_LENGTH;
		pos += 2 + lens[i];
	}
	if (cap < 1)
		return FWC_TLINK_ERR_BAD_LENGTH;
	out[0] = (uint8_t)count;
	pos = 1;
	for (size_t i = 0; i < count; i++) {
		fwc_link_put_u16(out + pos, (uint16_t)lens[i]);
		memcpy(out + pos + 2, certs[i], lens[i]);
		pos += 2 + lens[i];
	}
	*out_len = pos;
	return FWC_TLINK_OK;
}

int
fwc_tlink_attest_key_digest(const uint8_t chip_id[FWC_TLINK_CHIP_ID_LEN],
			    const uint8_t nonce[FWC_TLINK_NONCE_LEN],
			    const uint8_t pub[FWC_P256_POINT_LEN],
			    uint8_t digest[FWC_SHA256_LEN])
{
	fwc_sha256_ctx h;

	if (fwc_sha256_begin(&h) != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	if (fwc_sha256_update(&h,
			      (const uint8_t *)FWC_TLINK_ATTEST_KEY_CONTEXT,
			      sizeof(FWC_TLINK_ATTEST_KEY_CONTEXT) - 1) != FWC_CRYPTO_OK ||
	    fwc_sha256_update(&h, chip_id, FWC_TLINK_CHIP_ID_LEN) != FWC_CRYPTO_OK ||
	    fwc_sha256_update(&h, nonce, FWC_TLINK_NONCE_LEN) != FWC_CRYPTO_OK ||
	    fwc_sha256_update(&h, pub, FWC_P256_POINT_LEN) != FWC_CRYPTO_OK ||
	    fwc_sha256_finish(&h, digest) != FWC_CRYPTO_OK) {
		fwc_sha256_abort(&h);
		return FWC_TLINK_ERR_CRYPTO;
	}
	return FWC_TLINK_OK;
}
