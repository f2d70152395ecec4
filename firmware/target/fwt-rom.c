/*
 * Target boot ROM: provisioning agent and secure boot. See fwt-rom.h and
 * docs/formats/target-link.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwt-rom.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>
#include <string.h>

#include "fwc-cbor.h"
#include "fwc-cose-sign.h"
#include "fwc-image.h"

#define FWT_SEAL_MAGIC	   "NSB1"
#define FWT_SEAL_HDR_LEN   8
#define FWT_SEAL_NONCE_LEN 12
#define FWT_SEAL_TAG_LEN   16
#define FWT_SEAL_LEN                                                                               \
	(FWT_SEAL_HDR_LEN + FWT_SEAL_NONCE_LEN + FWC_P256_SCALAR_LEN + FWT_SEAL_TAG_LEN)
#define FWT_SEAL_INFO "NuSEC target seal v1"

#define FWT_LC_BIT_PROVISIONED 0x01
#define FWT_LC_BIT_LOCKED      0x02

/* ------------------------------------------------------------------------------------------ */
/* state helpers */

static bool
fwt_rom_fab_marked(const fwt_rom *rom)
{
	return rom->otp[FWT_OTP_FAB_MARKER] == FWT_OTP_MARKER;
}

bool
fwt_rom_is_fabricated(const fwt_rom *rom)
{
	return fwt_rom_fab_marked(rom) && rom->huk_key != 0 && rom->attest_key != 0 &&
	       rom->has_attest_cert;
}

static uint8_t
fwt_rom_lifecycle(const fwt_rom *rom)
{
	uint8_t f = rom->otp[FWT_OTP_LIFECYCLE];
	if (f & FWT_LC_BIT_LOCKED)
		return FWC_TLINK_LC_LOCKED;
	if (f & FWT_LC_BIT_PROVISIONED)
		return FWC_TLINK_LC_PROVISIONED;
	return FWC_TLINK_LC_OPEN;
}

static bool
fwt_rom_rot_set(const fwt_rom *rom)
{
	return rom->otp[FWT_OTP_ROT_MARKER] == FWT_OTP_MARKER;
}

static bool
fwt_rom_rot_dirty(const fwt_rom *rom)
{
	if (fwt_rom_rot_set(rom))
		return false;
	if (rom->otp[FWT_OTP_ROT_MARKER] != 0)
		return true;
	for (size_t i = 0; i < FWC_TLINK_ROT_LEN; i++)
		if (rom->otp[FWT_OTP_ROT + i] != 0)
			return true;
	return false;
}

void
fwt_rom_chip_id_hex(const fwt_rom *rom, char out[2 * FWC_TLINK_CHIP_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < FWC_TLINK_CHIP_ID_LEN; i++) {
		out[2 * i] = hex[rom->otp[FWT_OTP_CHIP_ID + i] >> 4];
		out[2 * i + 1] = hex[rom->otp[FWT_OTP_CHIP_ID + i] & 0xf];
	}
	out[2 * FWC_TLINK_CHIP_ID_LEN] = '\0';
}

static void
fwt_rom_destroy_key(uint32_t *key)
{
	if (*key != 0)
		psa_destroy_key((psa_key_id_t)*key);
	*key = 0;
}

/* re-reads OTP; imports the device secret into PSA the first time it is there, then wipes
 * its bytes from RAM */
static int
fwt_rom_otp_reload(fwt_rom *rom)
{
	if (rom->hal->otp_read(rom->hal->ctx, rom->otp, &rom->counter) != FWT_HAL_OK)
		return FWC_TLINK_ERR_STORAGE;
	if (fwt_rom_fab_marked(rom) && rom->huk_key == 0) {
		psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
		psa_key_id_t id = 0;
		psa_status_t st;
		psa_set_key_type(&attr, PSA_KEY_TYPE_DERIVE);
		psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DERIVE);
		psa_set_key_algorithm(&attr, PSA_ALG_HKDF(PSA_ALG_SHA_256));
		st = psa_import_key(&attr, rom->otp + FWT_OTP_HUK, FWT_OTP_HUK_LEN, &id);
		if (st != PSA_SUCCESS) {
			fwc_wipe(rom->otp + FWT_OTP_HUK, FWT_OTP_HUK_LEN);
			return FWC_TLINK_ERR_CRYPTO;
		}
		rom->huk_key = id;
	}
	fwc_wipe(rom->otp + FWT_OTP_HUK, FWT_OTP_HUK_LEN);
	return FWC_TLINK_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* sealing: AES-256-GCM under HKDF-SHA256(device secret, chip ID, info || slot) */

static int
fwt_rom_seal_key(fwt_rom *rom, unsigned slot, psa_key_id_t *key)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t info[sizeof(FWT_SEAL_INFO)];
	psa_status_t st;

	*key = 0;
	if (rom->huk_key == 0)
		return FWC_TLINK_ERR_NOT_FABRICATED;
	memcpy(info, FWT_SEAL_INFO, sizeof(FWT_SEAL_INFO) - 1);
	info[sizeof(FWT_SEAL_INFO) - 1] = (uint8_t)slot;
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_GCM);
	st = psa_key_derivation_setup(&op, PSA_ALG_HKDF(PSA_ALG_SHA_256));
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_input_bytes(&op,
						    PSA_KEY_DERIVATION_INPUT_SALT,
						    rom->otp + FWT_OTP_CHIP_ID,
						    FWC_TLINK_CHIP_ID_LEN);
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_input_key(&op,
						  PSA_KEY_DERIVATION_INPUT_SECRET,
						  (psa_key_id_t)rom->huk_key);
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_input_bytes(&op,
						    PSA_KEY_DERIVATION_INPUT_INFO,
						    info,
						    sizeof(info));
	if (st == PSA_SUCCESS)
		st = psa_key_derivation_output_key(&attr, &op, key);
	psa_key_derivation_abort(&op);
	return st == PSA_SUCCESS ? FWC_TLINK_OK : FWC_TLINK_ERR_CRYPTO;
}

static void
fwt_rom_seal_aad(const fwt_rom *rom, const uint8_t *hdr, uint8_t aad[FWT_SEAL_HDR_LEN + 16])
{
	memcpy(aad, hdr, FWT_SEAL_HDR_LEN);
	memcpy(aad + FWT_SEAL_HDR_LEN, rom->otp + FWT_OTP_CHIP_ID, FWC_TLINK_CHIP_ID_LEN);
}

static int
fwt_rom_seal(fwt_rom *rom,
	     unsigned slot,
	     const uint8_t secret[FWC_P256_SCALAR_LEN],
	     uint8_t blob[FWT_SEAL_LEN])
{
	uint8_t aad[FWT_SEAL_HDR_LEN + FWC_TLINK_CHIP_ID_LEN];
	psa_key_id_t key = 0;
	size_t out_len = 0;
	psa_status_t st;
	int rc;

	memset(blob, 0, FWT_SEAL_LEN);
	memcpy(blob, FWT_SEAL_MAGIC, 4);
	blob[4] = (uint8_t)slot;
	if (rom->hal->rng(rom->hal->ctx, blob + FWT_SEAL_HDR_LEN, FWT_SEAL_NONCE_LEN) != FWT_HAL_OK)
		return FWC_TLINK_ERR_CRYPTO;
	rc = fwt_rom_seal_key(rom, slot, &key);
	if (rc != FWC_TLINK_OK)
		return rc;
	fwt_rom_seal_aad(rom, blob, aad);
	st = psa_aead_encrypt(key,
			      PSA_ALG_GCM,
			      blob + FWT_SEAL_HDR_LEN,
			      FWT_SEAL_NONCE_LEN,
			      aad,
			      sizeof(aad),
			      secret,
			      FWC_P256_SCALAR_LEN,
			      blob + FWT_SEAL_HDR_LEN + FWT_SEAL_NONCE_LEN,
			      FWC_P256_SCALAR_LEN + FWT_SEAL_TAG_LEN,
			      &out_len);
	psa_destroy_key(key);
	if (st != PSA_SUCCESS || out_len != FWC_P256_SCALAR_LEN + FWT_SEAL_TAG_LEN)
		return FWC_TLINK_ERR_CRYPTO;
	return FWC_TLINK_OK;
}

static int
fwt_rom_unseal(fwt_rom *rom,
	       unsigned slot,
	       const uint8_t *blob,
	       size_t blob_len,
	       uint8_t secret[FWC_P256_SCALAR_LEN])
{
	uint8_t aad[FWT_SEAL_HDR_LEN + FWC_TLINK_CHIP_ID_LEN];
	psa_key_id_t key = 0;
	size_t out_len = 0;
	psa_status_t st;
	int rc;

	if (blob_len != FWT_SEAL_LEN || memcmp(blob, FWT_SEAL_MAGIC, 4) != 0 || blob[4] != slot ||
	    blob[5] != 0 || blob[6] != 0 || blob[7] != 0)
		return FWC_TLINK_ERR_STORAGE;
	rc = fwt_rom_seal_key(rom, slot, &key);
	if (rc != FWC_TLINK_OK)
		return rc;
	fwt_rom_seal_aad(rom, blob, aad);
	st = psa_aead_decrypt(key,
			      PSA_ALG_GCM,
			      blob + FWT_SEAL_HDR_LEN,
			      FWT_SEAL_NONCE_LEN,
			      aad,
			      sizeof(aad),
			      blob + FWT_SEAL_HDR_LEN + FWT_SEAL_NONCE_LEN,
			      FWC_P256_SCALAR_LEN + FWT_SEAL_TAG_LEN,
			      secret,
			      FWC_P256_SCALAR_LEN,
			      &out_len);
	psa_destroy_key(key);
	if (st != PSA_SUCCESS || out_len != FWC_P256_SCALAR_LEN) {
		fwc_wipe(secret, FWC_P256_SCALAR_LEN);
		return FWC_TLINK_ERR_STORAGE;
	}
	return FWC_TLINK_OK;
}

/* a volatile P-256 signing key, SIGN_HASH only: never exportable */
static int
fwt_rom_import_signing_key(const uint8_t scalar[FWC_P256_SCALAR_LEN], uint32_t *key)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;

	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	if (psa_import_key(&attr, scalar, FWC_P256_SCALAR_LEN, &id) != PSA_SUCCESS)
		return FWC_TLINK_ERR_CRYPTO;
	*key = id;
	return FWC_TLINK_OK;
}

/* loads a sealed key from its slot: FWC_TLINK_OK with *key = 0 when the slot is empty */
static int
fwt_rom_load_key(fwt_rom *rom, unsigned slot, uint32_t *key)
{
	uint8_t blob[FWT_SEAL_LEN + 1];
	uint8_t scalar[FWC_P256_SCALAR_LEN];
	size_t len = 0;
	int rc;

	*key = 0;
	rc = rom->hal->store_read(rom->hal->ctx, slot, blob, sizeof(blob), &len);
	if (rc == FWT_HAL_ERR_NOT_FOUND)
		return FWC_TLINK_OK;
	if (rc != FWT_HAL_OK)
		return FWC_TLINK_ERR_STORAGE;
	rc = fwt_rom_unseal(rom, slot, blob, len, scalar);
	if (rc == FWC_TLINK_OK)
		rc = fwt_rom_import_signing_key(scalar, key);
	fwc_wipe(scalar, sizeof(scalar));
	return rc;
}

/* new key from the RNG: imported, then sealed into its slot; the scalar is wiped */
static int
fwt_rom_generate_key(fwt_rom *rom, unsigned slot, uint32_t *key)
{
	uint8_t scalar[FWC_P256_SCALAR_LEN];
	uint8_t blob[FWT_SEAL_LEN];
	int rc = FWC_TLINK_ERR_CRYPTO;

	*key = 0;
	/* a random 256-bit string is a valid scalar except with probability ~2^-32 */
	for (unsigned attempt = 0; attempt < 8 && *key == 0; attempt++) {
		if (rom->hal->rng(rom->hal->ctx, scalar, sizeof(scalar)) != FWT_HAL_OK) {
			rc = FWC_TLINK_ERR_CRYPTO;
			break;
		}
		rc = fwt_rom_import_signing_key(scalar, key);
	}
	if (*key == 0) {
		fwc_wipe(scalar, sizeof(scalar));
		return rc;
	}
	rc = fwt_rom_seal(rom, slot, scalar, blob);
	fwc_wipe(scalar, sizeof(scalar));
	if (rc == FWC_TLINK_OK &&
	    rom->hal->store_write(rom->hal->ctx, slot, blob, sizeof(blob)) != FWT_HAL_OK)
		rc = FWC_TLINK_ERR_STORAGE;
	if (rc != FWC_TLINK_OK)
		fwt_rom_destroy_key(key);
	return rc;
}

static int
fwt_rom_sign_digest(uint32_t key,
		    const uint8_t digest[FWC_SHA256_LEN],
		    uint8_t sig[FWC_P256_SIG_LEN])
{
	size_t len = 0;
	if (key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	if (psa_sign_hash((psa_key_id_t)key,
			  PSA_ALG_ECDSA(PSA_ALG_SHA_256),
			  digest,
			  FWC_SHA256_LEN,
			  sig,
			  FWC_P256_SIG_LEN,
			  &len) != PSA_SUCCESS ||
	    len != FWC_P256_SIG_LEN)
		return FWC_TLINK_ERR_CRYPTO;
	return FWC_TLINK_OK;
}

/* the leaf certificate of the stored chain: its hash; FWC_TLINK_OK with has_cert false when
 * there is no chain */
static int
fwt_rom_load_cert(fwt_rom *rom)
{
	static uint8_t chain[FWT_STORE_MAX];
	size_t len = 0;
	int rc;

	rom->has_cert = false;
	memset(rom->cert_hash, 0, sizeof(rom->cert_hash));
	rc = rom->hal->store_read(rom->hal->ctx, FWT_SLOT_CERT_CHAIN, chain, sizeof(chain), &len);
	if (rc == FWT_HAL_ERR_NOT_FOUND)
		return FWC_TLINK_OK;
	if (rc != FWT_HAL_OK)
		return FWC_TLINK_ERR_STORAGE;
	/* count, u16 leaf length, leaf: written only after WRITE_CERT checked it */
	if (len < 3 || chain[0] == 0 || 3 + (size_t)fwc_link_get_u16(chain + 1) > len)
		return FWC_TLINK_ERR_STORAGE;
	if (fwc_sha256(chain + 3, fwc_link_get_u16(chain + 1), rom->cert_hash) != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	rom->has_cert = true;
	return FWC_TLINK_OK;
}

static int
fwt_rom_load_attest_cert(fwt_rom *rom)
{
	static uint8_t buf[FWT_STORE_MAX];
	size_t len = 0;
	int rc = rom->hal->store_read(rom->hal->ctx, FWT_SLOT_ATTEST_CERT, buf, sizeof(buf), &len);

	rom->has_attest_cert = false;
	if (rc == FWT_HAL_ERR_NOT_FOUND)
		return FWC_TLINK_OK;
	if (rc != FWT_HAL_OK || len == 0)
		return FWC_TLINK_ERR_STORAGE;
	rom->has_attest_cert = true;
	return FWC_TLINK_OK;
}

int
fwt_rom_init(fwt_rom *rom, const fwt_hal *hal)
{
	int rc;

	memset(rom, 0, sizeof(*rom));
	rom->hal = hal;
	if (hal == NULL || hal->flash_page_size == 0 || hal->flash_page_size > FWT_PAGE_MAX ||
	    hal->flash_size % hal->flash_page_size != 0)
		return FWC_TLINK_ERR_INTERNAL;
	if (fwc_crypto_init() != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	rc = fwt_rom_otp_reload(rom);
	if (rc != FWC_TLINK_OK)
		return rc;
	if (!fwt_rom_fab_marked(rom))
		return FWC_TLINK_OK;
	rc = fwt_rom_load_key(rom, FWT_SLOT_ATTEST_KEY, &rom->attest_key);
	if (rc == FWC_TLINK_OK)
		rc = fwt_rom_load_attest_cert(rom);
	if (rc == FWC_TLINK_OK)
		rc = fwt_rom_load_key(rom, FWT_SLOT_ID_KEY, &rom->id_key);
	if (rc == FWC_TLINK_OK && rom->id_key != 0) {
		size_t len = 0;
		if (psa_export_public_key((psa_key_id_t)rom->id_key,
					  rom->id_pub,
					  sizeof(rom->id_pub),
					  &len) != PSA_SUCCESS ||
		    len != FWC_P256_POINT_LEN)
			rc = FWC_TLINK_ERR_CRYPTO;
	}
	if (rc == FWC_TLINK_OK)
		rc = fwt_rom_load_cert(rom);
	if (rc != FWC_TLINK_OK)
		fwt_rom_deinit(rom);
	return rc;
}

void
fwt_rom_deinit(fwt_rom *rom)
{
	fwt_rom_destroy_key(&rom->id_key);
	fwt_rom_destroy_key(&rom->attest_key);
	fwt_rom_destroy_key(&rom->huk_key);
}

/* ------------------------------------------------------------------------------------------ */
/* fab (silicon vendor) */

int
fwt_rom_fab_prepare(fwt_rom *rom, uint8_t attest_pub[FWC_P256_POINT_LEN])
{
	size_t len = 0;
	int rc;

	if (!fwt_rom_fab_marked(rom)) {
		uint8_t fuses[FWT_OTP_FAB_MARKER + 1];
		bool blank = true;
		for (size_t i = 0; i < sizeof(fuses); i++)
			blank = blank && rom->otp[i] == 0;
		/* a power cut cannot leave this half-done: one atomic OTP program */
		if (!blank)
			return FWC_TLINK_ERR_OTP_DIRTY;
		if (rom->hal->rng(rom->hal->ctx, fuses, FWT_OTP_FAB_MARKER) != FWT_HAL_OK)
			return FWC_TLINK_ERR_CRYPTO;
		fuses[FWT_OTP_FAB_MARKER] = FWT_OTP_MARKER;
		rc = rom->hal->otp_program(rom->hal->ctx, 0, fuses, sizeof(fuses));
		fwc_wipe(fuses, sizeof(fuses));
		if (rc != FWT_HAL_OK)
			return FWC_TLINK_ERR_STORAGE;
		rc = fwt_rom_otp_reload(rom);
		if (rc != FWC_TLINK_OK)
			return rc;
	}
	if (rom->attest_key == 0) {
		rc = fwt_rom_load_key(rom, FWT_SLOT_ATTEST_KEY, &rom->attest_key);
		if (rc != FWC_TLINK_OK)
			return rc;
	}
	if (rom->attest_key == 0) {
		rc = fwt_rom_generate_key(rom, FWT_SLOT_ATTEST_KEY, &rom->attest_key);
		if (rc != FWC_TLINK_OK)
			return rc;
	}
	if (psa_export_public_key((psa_key_id_t)rom->attest_key,
				  attest_pub,
				  FWC_P256_POINT_LEN,
				  &len) != PSA_SUCCESS ||
	    len != FWC_P256_POINT_LEN)
		return FWC_TLINK_ERR_CRYPTO;
	return FWC_TLINK_OK;
}

int
fwt_rom_fab_set_attest_cert(fwt_rom *rom, const uint8_t *der, size_t len)
{
	if (rom->has_attest_cert)
		return FWC_TLINK_ERR_LIFECYCLE;
	if (rom->attest_key == 0)
		return FWC_TLINK_ERR_NOT_FABRICATED;
	if (der == NULL || len == 0 || len > FWT_STORE_MAX)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	if (rom->hal->store_write(rom->hal->ctx, FWT_SLOT_ATTEST_CERT, der, len) != FWT_HAL_OK)
		return FWC_TLINK_ERR_STORAGE;
	rom->has_attest_cert = true;
	return FWC_TLINK_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* commands: each writes its response payload into out[0..cap) and returns a status */

typedef struct {
	const uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t cap;
	size_t out_len;
} fwt_cmd;

static int
fwt_cmd_get_info(fwt_rom *rom, fwt_cmd *c)
{
	fwc_tlink_info info;

	if (c->in_len != 0)
		return FWC_TLINK_ERR_BAD_LENGTH;
	memset(&info, 0, sizeof(info));
	info.protocol = FWC_LINK_VERSION;
	info.lifecycle = fwt_rom_lifecycle(rom);
	info.otp_flags = (fwt_rom_rot_set(rom) ? FWC_TLINK_OTP_ROT_SET : 0) |
			 (fwt_rom_rot_dirty(rom) ? FWC_TLINK_OTP_ROT_DIRTY : 0);
	info.key_flags = (rom->id_key != 0 ? FWC_TLINK_KEY_IDENTITY : 0) |
			 (rom->has_cert ? FWC_TLINK_KEY_CERT : 0) |
			 (fwt_rom_is_fabricated(rom) ? FWC_TLINK_KEY_ATTEST : 0);
	info.boot_state = rom->boot.boot_state;
	info.debug = info.lifecycle != FWC_TLINK_LC_LOCKED;
	info.boot_status = rom->boot.boot_status;
	info.image_status = rom->boot.image_status;
	memcpy(info.chip_id, rom->otp + FWT_OTP_CHIP_ID, FWC_TLINK_CHIP_ID_LEN);
	memcpy(info.model, FWT_ROM_MODEL, sizeof(FWT_ROM_MODEL));
	info.flash_size = rom->hal->flash_size;
	info.flash_page_size = rom->hal->flash_page_size;
	info.security_counter = rom->counter;
	if (fwt_rom_rot_set(rom))
		memcpy(info.rot_hash, rom->otp + FWT_OTP_ROT, FWC_TLINK_ROT_LEN);
	fwc_tlink_info_encode(&info, c->out);
	c->out_len = FWC_TLINK_INFO_LEN;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_attest(fwt_rom *rom, fwt_cmd *c)
{
	uint8_t digest[FWC_SHA256_LEN];
	size_t cert_len = 0;
	int rc;

	if (c->in_len != FWC_TLINK_NONCE_LEN)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (!fwt_rom_is_fabricated(rom))
		return FWC_TLINK_ERR_NOT_FABRICATED;
	rc = fwc_tlink_attest_digest(rom->otp + FWT_OTP_CHIP_ID, c->in, digest);
	if (rc != FWC_TLINK_OK)
		return rc;
	rc = fwt_rom_sign_digest(rom->attest_key, digest, c->out);
	if (rc != FWC_TLINK_OK)
		return rc;
	if (rom->hal->store_read(rom->hal->ctx,
				 FWT_SLOT_ATTEST_CERT,
				 c->out + FWC_P256_SIG_LEN,
				 c->cap - FWC_P256_SIG_LEN,
				 &cert_len) != FWT_HAL_OK)
		return FWC_TLINK_ERR_STORAGE;
	c->out_len = FWC_P256_SIG_LEN + cert_len;
	return FWC_TLINK_OK;
}

/* the identity key was made inside this genuine chip: the attestation key vouches for it */
static int
fwt_cmd_attest_key(fwt_rom *rom, fwt_cmd *c)
{
	uint8_t digest[FWC_SHA256_LEN];
	int rc;

	if (c->in_len != FWC_TLINK_NONCE_LEN)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (!fwt_rom_is_fabricated(rom))
		return FWC_TLINK_ERR_NOT_FABRICATED;
	if (rom->id_key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	rc = fwc_tlink_attest_key_digest(rom->otp + FWT_OTP_CHIP_ID, c->in, rom->id_pub, digest);
	if (rc != FWC_TLINK_OK)
		return rc;
	rc = fwt_rom_sign_digest(rom->attest_key, digest, c->out + FWC_P256_POINT_LEN);
	if (rc != FWC_TLINK_OK)
		return rc;
	memcpy(c->out, rom->id_pub, FWC_P256_POINT_LEN);
	c->out_len = FWC_P256_POINT_LEN + FWC_P256_SIG_LEN;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_write_rot(fwt_rom *rom, fwt_cmd *c)
{
	static const uint8_t zero[FWC_TLINK_ROT_LEN] = {0};
	const uint8_t marker = FWT_OTP_MARKER;
	int rc;

	if (c->in_len != FWC_TLINK_ROT_LEN)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (fwt_rom_lifecycle(rom) != FWC_TLINK_LC_OPEN)
		return FWC_TLINK_ERR_LIFECYCLE;
	/* all zero is what blank fuses read: never a valid hash */
	if (memcmp(c->in, zero, sizeof(zero)) == 0)
		return FWC_TLINK_ERR_BAD_ARGUMENT;
	if (fwt_rom_rot_set(rom))
		return memcmp(rom->otp + FWT_OTP_ROT, c->in, FWC_TLINK_ROT_LEN) == 0
			   ? FWC_TLINK_OK
			   : FWC_TLINK_ERR_ROT_ALREADY_SET;
	/* a half-programmed field (power cut) can be completed only with bits it allows */
	for (size_t i = 0; i < FWC_TLINK_ROT_LEN; i++)
		if ((rom->otp[FWT_OTP_ROT + i] & (uint8_t)~c->in[i]) != 0)
			return FWC_TLINK_ERR_OTP_DIRTY;
	if ((rom->otp[FWT_OTP_ROT_MARKER] & (uint8_t)~marker) != 0)
		return FWC_TLINK_ERR_OTP_DIRTY;
	if (rom->hal->otp_program(rom->hal->ctx, FWT_OTP_ROT, c->in, FWC_TLINK_ROT_LEN) !=
		FWT_HAL_OK ||
	    rom->hal->otp_program(rom->hal->ctx, FWT_OTP_ROT_MARKER, &marker, 1) != FWT_HAL_OK) {
		(void)fwt_rom_otp_reload(rom);
		return FWC_TLINK_ERR_STORAGE;
	}
	rc = fwt_rom_otp_reload(rom);
	if (rc != FWC_TLINK_OK)
		return rc;
	/* read back */
	if (!fwt_rom_rot_set(rom) || memcmp(rom->otp + FWT_OTP_ROT, c->in, FWC_TLINK_ROT_LEN) != 0)
		return FWC_TLINK_ERR_STORAGE;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_gen_key(fwt_rom *rom, fwt_cmd *c)
{
	size_t len = 0;
	int rc;

	if (c->in_len != 0)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (fwt_rom_lifecycle(rom) != FWC_TLINK_LC_OPEN)
		return FWC_TLINK_ERR_LIFECYCLE;
	if (rom->id_key != 0)
		return FWC_TLINK_ERR_KEY_EXISTS;
	rc = fwt_rom_generate_key(rom, FWT_SLOT_ID_KEY, &rom->id_key);
	if (rc != FWC_TLINK_OK)
		return rc;
	if (psa_export_public_key((psa_key_id_t)rom->id_key,
				  rom->id_pub,
				  sizeof(rom->id_pub),
				  &len) != PSA_SUCCESS ||
	    len != FWC_P256_POINT_LEN)
		return FWC_TLINK_ERR_CRYPTO;
	memcpy(c->out, rom->id_pub, FWC_P256_POINT_LEN);
	c->out_len = FWC_P256_POINT_LEN;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_get_csr(fwt_rom *rom, fwt_cmd *c)
{
	if (c->in_len != 0)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (rom->id_key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	return fwt_rom_build_csr(rom, c->out, c->cap, &c->out_len);
}

/* the leaf's public key must be the identity key */
static int
fwt_rom_check_leaf_key(fwt_rom *rom, const mbedtls_x509_crt *crt)
{
	uint8_t point[FWC_P256_POINT_LEN];
	mbedtls_ecp_keypair *ec;
	size_t len = 0;

	if (mbedtls_pk_get_type(&crt->pk) != MBEDTLS_PK_ECKEY)
		return FWC_TLINK_ERR_CERT_KEY_MISMATCH;
	ec = mbedtls_pk_ec(crt->pk);
	if (ec == NULL || ec->grp.id != MBEDTLS_ECP_DP_SECP256R1)
		return FWC_TLINK_ERR_CERT_KEY_MISMATCH;
	if (mbedtls_ecp_point_write_binary(&ec->grp,
					   &ec->Q,
					   MBEDTLS_ECP_PF_UNCOMPRESSED,
					   &len,
					   point,
					   sizeof(point)) != 0 ||
	    len != FWC_P256_POINT_LEN)
		return FWC_TLINK_ERR_CERT_KEY_MISMATCH;
	if (!fwc_ct_equal(point, rom->id_pub, FWC_P256_POINT_LEN))
		return FWC_TLINK_ERR_CERT_KEY_MISMATCH;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_write_cert(fwt_rom *rom, fwt_cmd *c)
{
	size_t count;
	size_t pos = 1;
	int rc = FWC_TLINK_OK;

	if (c->in_len < 1)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (fwt_rom_lifecycle(rom) != FWC_TLINK_LC_OPEN)
		return FWC_TLINK_ERR_LIFECYCLE;
	if (rom->id_key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	count = c->in[0];
	if (count == 0 || count > FWC_TLINK_CERT_MAX)
		return FWC_TLINK_ERR_CERT_CHAIN_FORMAT;
	/* the encoding first, whole */
	for (size_t i = 0; i < count; i++) {
		size_t len;
		if (c->in_len - pos < 2)
			return FWC_TLINK_ERR_CERT_CHAIN_FORMAT;
		len = fwc_link_get_u16(c->in + pos);
		pos += 2;
		if (len == 0 || len > c->in_len - pos)
			return FWC_TLINK_ERR_CERT_CHAIN_FORMAT;
		pos += len;
	}
	if (pos != c->in_len)
		return FWC_TLINK_ERR_CERT_CHAIN_FORMAT;
	/* then every certificate */
	pos = 1;
	for (size_t i = 0; i < count && rc == FWC_TLINK_OK; i++) {
		mbedtls_x509_crt crt;
		size_t len = fwc_link_get_u16(c->in + pos);
		mbedtls_x509_crt_init(&crt);
		if (mbedtls_x509_crt_parse_der(&crt, c->in + pos + 2, len) != 0)
			rc = FWC_TLINK_ERR_CERT_PARSE;
		else if (i == 0)
			rc = fwt_rom_check_leaf_key(rom, &crt);
		mbedtls_x509_crt_free(&crt);
		pos += 2 + len;
	}
	if (rc != FWC_TLINK_OK)
		return rc;
	if (rom->hal->store_write(rom->hal->ctx, FWT_SLOT_CERT_CHAIN, c->in, c->in_len) !=
	    FWT_HAL_OK) {
		(void)fwt_rom_load_cert(rom);
		return FWC_TLINK_ERR_STORAGE;
	}
	return fwt_rom_load_cert(rom);
}

static int
fwt_cmd_get_cert(fwt_rom *rom, fwt_cmd *c)
{
	int rc;
	if (c->in_len != 0)
		return FWC_TLINK_ERR_BAD_LENGTH;
	rc = rom->hal->store_read(rom->hal->ctx, FWT_SLOT_CERT_CHAIN, c->out, c->cap, &c->out_len);
	if (rc == FWT_HAL_ERR_NOT_FOUND)
		return FWC_TLINK_ERR_NO_CERT;
	return rc == FWT_HAL_OK ? FWC_TLINK_OK : FWC_TLINK_ERR_STORAGE;
}

/* u32 offset, u32 length within the flash */
static int
fwt_rom_flash_range(const fwt_rom *rom, const fwt_cmd *c, uint32_t *off, uint32_t *len)
{
	if (c->in_len != 8)
		return FWC_TLINK_ERR_BAD_LENGTH;
	*off = fwc_link_get_u32(c->in);
	*len = fwc_link_get_u32(c->in + 4);
	if ((uint64_t)*off + *len > rom->hal->flash_size)
		return FWC_TLINK_ERR_FLASH_RANGE;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_flash_erase(fwt_rom *rom, fwt_cmd *c)
{
	uint32_t off, len, ps = rom->hal->flash_page_size;
	int rc = fwt_rom_flash_range(rom, c, &off, &len);

	if (rc != FWC_TLINK_OK)
		return rc;
	if (fwt_rom_lifecycle(rom) == FWC_TLINK_LC_LOCKED)
		return FWC_TLINK_ERR_LIFECYCLE;
	if (len == 0)
		return FWC_TLINK_ERR_FLASH_RANGE;
	if (off % ps != 0 || len % ps != 0)
		return FWC_TLINK_ERR_FLASH_ALIGN;
	for (uint32_t p = off / ps; p < (off + len) / ps; p++)
		if (rom->hal->flash_erase_page(rom->hal->ctx, p) != FWT_HAL_OK)
			return FWC_TLINK_ERR_STORAGE;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_flash_write(fwt_rom *rom, fwt_cmd *c)
{
	const uint8_t *flash = rom->hal->flash_map(rom->hal->ctx);
	uint32_t ps = rom->hal->flash_page_size;
	uint32_t off, len;

	if (c->in_len < 5 || c->in_len > 4 + FWC_TLINK_FLASH_CHUNK)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (fwt_rom_lifecycle(rom) == FWC_TLINK_LC_LOCKED)
		return FWC_TLINK_ERR_LIFECYCLE;
	off = fwc_link_get_u32(c->in);
	len = (uint32_t)(c->in_len - 4);
	if ((uint64_t)off + len > rom->hal->flash_size)
		return FWC_TLINK_ERR_FLASH_RANGE;
	for (uint32_t i = 0; i < len; i++)
		if (flash[off + i] != 0xff)
			return FWC_TLINK_ERR_FLASH_NOT_ERASED;
	/* page by page: each page is replaced atomically */
	for (uint32_t done = 0; done < len;) {
		uint32_t page = (off + done) / ps;
		uint32_t in_page = (off + done) % ps;
		uint32_t n = ps - in_page < len - done ? ps - in_page : len - done;
		memcpy(rom->page, flash + (size_t)page * ps, ps);
		memcpy(rom->page + in_page, c->in + 4 + done, n);
		if (rom->hal->flash_write_page(rom->hal->ctx, page, rom->page) != FWT_HAL_OK)
			return FWC_TLINK_ERR_STORAGE;
		done += n;
	}
	return FWC_TLINK_OK;
}

static int
fwt_cmd_flash_hash(fwt_rom *rom, fwt_cmd *c)
{
	uint32_t off, len;
	int rc;

	/* once LOCKED, hashes of chosen small ranges would read the flash out byte by byte:
	 * the boot result and the receipt carry the image hash instead */
	if (fwt_rom_lifecycle(rom) == FWC_TLINK_LC_LOCKED)
		return FWC_TLINK_ERR_DEBUG_LOCKED;
	rc = fwt_rom_flash_range(rom, c, &off, &len);
	if (rc != FWC_TLINK_OK)
		return rc;
	if (fwc_sha256(rom->hal->flash_map(rom->hal->ctx) + off, len, c->out) != FWC_CRYPTO_OK)
		return FWC_TLINK_ERR_CRYPTO;
	c->out_len = FWC_SHA256_LEN;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_flash_read(fwt_rom *rom, fwt_cmd *c)
{
	uint32_t off, len;
	int rc;

	if (fwt_rom_lifecycle(rom) == FWC_TLINK_LC_LOCKED)
		return FWC_TLINK_ERR_DEBUG_LOCKED;
	rc = fwt_rom_flash_range(rom, c, &off, &len);
	if (rc != FWC_TLINK_OK)
		return rc;
	if (len == 0 || len > FWC_TLINK_FLASH_CHUNK)
		return FWC_TLINK_ERR_FLASH_RANGE;
	memcpy(c->out, rom->hal->flash_map(rom->hal->ctx) + off, len);
	c->out_len = len;
	return FWC_TLINK_OK;
}

static int
fwt_cmd_set_lifecycle(fwt_rom *rom, fwt_cmd *c)
{
	uint8_t lc = fwt_rom_lifecycle(rom);
	uint8_t bit;
	int rc;

	if (c->in_len != 1)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (lc == FWC_TLINK_LC_LOCKED || c->in[0] != lc + 1)
		return FWC_TLINK_ERR_LIFECYCLE_INVALID;
	if (c->in[0] == FWC_TLINK_LC_PROVISIONED) {
		if (!fwt_rom_rot_set(rom) || rom->id_key == 0 || !rom->has_cert)
			return FWC_TLINK_ERR_LIFECYCLE_PRECONDITION;
		bit = FWT_LC_BIT_PROVISIONED;
	} else {
		bit = FWT_LC_BIT_LOCKED;
	}
	if (rom->hal->otp_program(rom->hal->ctx, FWT_OTP_LIFECYCLE, &bit, 1) != FWT_HAL_OK) {
		(void)fwt_rom_otp_reload(rom);
		return FWC_TLINK_ERR_STORAGE;
	}
	rc = fwt_rom_otp_reload(rom);
	if (rc != FWC_TLINK_OK)
		return rc;
	return fwt_rom_lifecycle(rom) == c->in[0] ? FWC_TLINK_OK : FWC_TLINK_ERR_STORAGE;
}

/* the length of the image at flash offset 0, from its header and TLV infos; a length that
 * makes fwc_image_verify report the exact defect when the layout does not hold */
static size_t
fwt_rom_image_len(const uint8_t *flash, size_t size)
{
	uint64_t end;
	uint16_t tot;

	if (size < FWC_IMAGE_HEADER_SIZE)
		return size;
	if (fwc_link_get_u32(flash) != FWC_IMAGE_MAGIC)
		return FWC_IMAGE_HEADER_SIZE;
	end = (uint64_t)fwc_link_get_u16(flash + 8) + fwc_link_get_u32(flash + 12) +
	      fwc_link_get_u16(flash + 10);
	if (end + FWC_IMAGE_TLV_INFO_SIZE > size)
		return size;
	if (fwc_link_get_u16(flash + end) != FWC_IMAGE_TLV_INFO_MAGIC)
		return (size_t)end + FWC_IMAGE_TLV_INFO_SIZE;
	tot = fwc_link_get_u16(flash + end + 2);
	if (tot < FWC_IMAGE_TLV_INFO_SIZE)
		return (size_t)end + FWC_IMAGE_TLV_INFO_SIZE;
	if (end + tot > size)
		return size;
	return (size_t)(end + tot);
}

static int
fwt_cmd_boot(fwt_rom *rom, fwt_cmd *c)
{
	const uint8_t *flash = rom->hal->flash_map(rom->hal->ctx);
	fwc_tlink_boot_result *b = &rom->boot;
	fwc_image_trust trust;
	fwc_image_info info;
	int img;

	if (c->in_len != 0)
		return FWC_TLINK_ERR_BAD_LENGTH;
	/* reset: nothing of the previous boot survives */
	memset(b, 0, sizeof(*b));
	b->boot_state = FWC_TLINK_BOOT_REJECTED;
	b->security_counter = rom->counter;
	if (!fwt_rom_rot_set(rom)) {
		b->boot_status = FWC_TLINK_ERR_ROT_NOT_SET;
	} else {
		memset(&trust, 0, sizeof(trust));
		memset(&info, 0, sizeof(info));
		trust.mode = FWC_IMAGE_TRUST_KEY_HASH;
		trust.key_hash = rom->otp + FWT_OTP_ROT;
		trust.min_security_counter = rom->counter;
		img = fwc_image_verify(flash,
				       fwt_rom_image_len(flash, rom->hal->flash_size),
				       &trust,
				       &info);
		b->image_status = (uint16_t)img;
		b->image_counter = info.has_security_counter ? info.security_counter : 0;
		b->version[0] = info.version.major;
		b->version[1] = info.version.minor;
		fwc_link_put_u16(b->version + 2, info.version.revision);
		fwc_link_put_u32(b->version + 4, info.version.build);
		if (img != FWC_IMAGE_OK) {
			b->boot_status = FWC_TLINK_ERR_BOOT_REJECTED;
		} else if (info.has_security_counter && info.security_counter > rom->counter &&
			   rom->hal->counter_advance(rom->hal->ctx, info.security_counter) !=
			       FWT_HAL_OK) {
			/* fail closed: an image whose counter cannot be recorded does not run */
			(void)fwt_rom_otp_reload(rom);
			b->boot_status = FWC_TLINK_ERR_STORAGE;
		} else if (fwt_rom_otp_reload(rom) != FWC_TLINK_OK) {
			b->boot_status = FWC_TLINK_ERR_STORAGE;
		} else {
			b->boot_state = FWC_TLINK_BOOT_ACCEPTED;
			b->boot_status = FWC_TLINK_OK;
			b->security_counter = rom->counter;
			memcpy(b->image_hash, info.hash, FWC_SHA256_LEN);
		}
	}
	fwc_tlink_boot_result_encode(b, c->out);
	c->out_len = FWC_TLINK_BOOT_RESULT_LEN;
	return b->boot_status;
}

static int
fwt_rom_cose_sign(void *user, const uint8_t digest[FWC_SHA256_LEN], uint8_t sig[FWC_P256_SIG_LEN])
{
	fwt_rom *rom = user;
	return fwt_rom_sign_digest(rom->id_key, digest, sig);
}

static int
fwt_cmd_get_receipt(fwt_rom *rom, fwt_cmd *c)
{
	uint8_t payload[256];
	fwc_cbor_writer w;
	bool accepted = rom->boot.boot_state == FWC_TLINK_BOOT_ACCEPTED;
	int rc;

	if (c->in_len > FWC_TLINK_RECEIPT_NONCE)
		return FWC_TLINK_ERR_BAD_LENGTH;
	if (rom->id_key == 0)
		return FWC_TLINK_ERR_NO_KEY;
	fwc_cbor_writer_init(&w, payload, sizeof(payload));
	fwc_cbor_write_map(&w, 9);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_CHIP_ID);
	fwc_cbor_write_bstr(&w, rom->otp + FWT_OTP_CHIP_ID, FWC_TLINK_CHIP_ID_LEN);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_CERT_HASH);
	if (rom->has_cert)
		fwc_cbor_write_bstr(&w, rom->cert_hash, FWC_SHA256_LEN);
	else
		fwc_cbor_write_null(&w);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_IMAGE_HASH);
	if (accepted)
		fwc_cbor_write_bstr(&w, rom->boot.image_hash, FWC_SHA256_LEN);
	else
		fwc_cbor_write_null(&w);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_LIFECYCLE);
	fwc_cbor_write_uint(&w, fwt_rom_lifecycle(rom));
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_BOOT_STATE);
	fwc_cbor_write_uint(&w, rom->boot.boot_state);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_BOOT_STATUS);
	fwc_cbor_write_uint(&w, rom->boot.boot_status);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_IMAGE_STATUS);
	fwc_cbor_write_uint(&w, rom->boot.image_status);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_SEC_COUNTER);
	fwc_cbor_write_uint(&w, rom->counter);
	fwc_cbor_write_uint(&w, FWC_TLINK_RCPT_NONCE);
	fwc_cbor_write_bstr(&w, c->in_len != 0 ? c->in : payload, c->in_len);
	if (fwc_cbor_writer_status(&w) != FWC_CBOR_OK)
		return FWC_TLINK_ERR_INTERNAL;
	rc = fwc_cose_sign1_create(payload,
				   w.len,
				   rom->otp + FWT_OTP_CHIP_ID,
				   FWC_TLINK_CHIP_ID_LEN,
				   NULL,
				   0,
				   fwt_rom_cose_sign,
				   rom,
				   c->out,
				   c->cap,
				   &c->out_len,
				   NULL);
	if (rc == FWC_COSE_ERR_CRYPTO)
		return FWC_TLINK_ERR_CRYPTO;
	return rc == FWC_COSE_OK ? FWC_TLINK_OK : FWC_TLINK_ERR_INTERNAL;
}

/* ------------------------------------------------------------------------------------------ */
/* dispatch */

size_t
fwt_rom_error_frame(uint8_t command, int link_status, uint8_t *resp, size_t cap)
{
	uint8_t payload[2];
	size_t len = 0;

	fwc_link_put_u16(payload, (uint16_t)link_status);
	if (fwc_link_encode((uint8_t)(command | FWC_LINK_RESPONSE_BIT),
			    FWC_TLINK_ERR_BAD_FRAME,
			    payload,
			    sizeof(payload),
			    resp,
			    cap,
			    &len) != FWC_LINK_OK)
		return 0;
	return len;
}

size_t
fwt_rom_handle(fwt_rom *rom, const uint8_t *req, size_t req_len, uint8_t *resp, size_t cap)
{
	fwc_link_frame frame;
	fwt_cmd c;
	size_t len = 0;
	int rc;

	if (resp == NULL || cap < FWC_LINK_MAX_FRAME)
		return 0;
	rc = fwc_link_decode_request(req, req_len, &frame);
	if (rc != FWC_LINK_OK) {
		uint8_t cmd = FWC_TLINK_CMD_NONE;
		/* the command is trusted only if the header itself was readable */
		if (req != NULL && req_len >= FWC_LINK_HEADER_SIZE &&
		    rc != FWC_LINK_ERR_BAD_MAGIC && rc != FWC_LINK_ERR_BAD_VERSION &&
		    rc != FWC_LINK_ERR_TOO_LONG)
			cmd = req[3] & (uint8_t)~FWC_LINK_RESPONSE_BIT;
		return fwt_rom_error_frame(cmd, rc, resp, cap);
	}
	memset(&c, 0, sizeof(c));
	c.in = frame.payload;
	c.in_len = frame.payload_len;
	c.out = resp + FWC_LINK_HEADER_SIZE;
	c.cap = FWC_LINK_MAX_PAYLOAD;

	if (!fwt_rom_fab_marked(rom) && frame.command != FWC_TLINK_CMD_GET_INFO) {
		rc = fwc_tlink_cmd_name(frame.command) != NULL ? FWC_TLINK_ERR_NOT_FABRICATED
							       : FWC_TLINK_ERR_UNKNOWN_COMMAND;
	} else {
		switch (frame.command) {
		case FWC_TLINK_CMD_GET_INFO:
			rc = fwt_cmd_get_info(rom, &c);
			break;
		case FWC_TLINK_CMD_ATTEST:
			rc = fwt_cmd_attest(rom, &c);
			break;
		case FWC_TLINK_CMD_WRITE_ROT:
			rc = fwt_cmd_write_rot(rom, &c);
			break;
		case FWC_TLINK_CMD_GEN_KEY:
			rc = fwt_cmd_gen_key(rom, &c);
			break;
		case FWC_TLINK_CMD_GET_CSR:
			rc = fwt_cmd_get_csr(rom, &c);
			break;
		case FWC_TLINK_CMD_WRITE_CERT:
			rc = fwt_cmd_write_cert(rom, &c);
			break;
		case FWC_TLINK_CMD_FLASH_ERASE:
			rc = fwt_cmd_flash_erase(rom, &c);
			break;
		case FWC_TLINK_CMD_FLASH_WRITE:
			rc = fwt_cmd_flash_write(rom, &c);
			break;
		case FWC_TLINK_CMD_FLASH_HASH:
			rc = fwt_cmd_flash_hash(rom, &c);
			break;
		case FWC_TLINK_CMD_FLASH_READ:
			rc = fwt_cmd_flash_read(rom, &c);
			break;
		case FWC_TLINK_CMD_SET_LIFECYCLE:
			rc = fwt_cmd_set_lifecycle(rom, &c);
			break;
		case FWC_TLINK_CMD_BOOT:
			rc = fwt_cmd_boot(rom, &c);
			break;
		case FWC_TLINK_CMD_GET_RECEIPT:
			rc = fwt_cmd_get_receipt(rom, &c);
			break;
		case FWC_TLINK_CMD_GET_CERT:
			rc = fwt_cmd_get_cert(rom, &c);
			break;
		case FWC_TLINK_CMD_ATTEST_KEY:
			rc = fwt_cmd_attest_key(rom, &c);
			break;
		default:
			rc = FWC_TLINK_ERR_UNKNOWN_COMMAND;
			break;
		}
	}
	/* errors carry no payload, except BOOT's result */
	if (rc != FWC_TLINK_OK && frame.command != FWC_TLINK_CMD_BOOT)
		c.out_len = 0;
	if (fwc_link_encode((uint8_t)(frame.command | FWC_LINK_RESPONSE_BIT),
			    (uint16_t)rc,
			    c.out,
			    c.out_len,
			    resp,
			    cap,
			    &len) != FWC_LINK_OK)
		return 0;
	return len;
}
