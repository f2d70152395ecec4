/*
 * Shared by the HPKE fuzz harness and the corpus unit test: how an input is split into the
 * attacker-controlled parts of an HPKE open, and the fixed recipient (RFC 9180 A.3.1 skRm).
 *
 * Input layout: u8 enc_len, u16 big-endian aad_len, enc, aad, then the ciphertext (the rest).
 * A short input is clamped (missing header bytes read as 0, lengths cut to what is there), so
 * that every input reaches fwc_hpke_open().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <psa/crypto.h>
#include <stddef.h>
#include <stdint.h>

#include "fwc-hpke.h"

/* RFC 9180 A.3.1 skRm */
static const uint8_t fuzz_hpke_skrm[32] = {
    0xf3, 0xce, 0x7f, 0xda, 0xe5, 0x7e, 0x1a, 0x31, 0x0d, 0x87, 0xf1, 0xeb, 0xbd, 0xe6, 0xf3, 0x28,
    0xbe, 0x0a, 0x99, 0xcd, 0xbc, 0xad, 0xf4, 0xd6, 0x58, 0x9c, 0xf2, 0x9d, 0xe4, 0xb8, 0xff, 0xd2,
};
/* RFC 9180 A.3.1 info: "Ode on a Grecian Urn" */
static const uint8_t fuzz_hpke_info[20] = {
    'O', 'd', 'e', ' ', 'o', 'n', ' ', 'a', ' ', 'G',
    'r', 'e', 'c', 'i', 'a', 'n', ' ', 'U', 'r', 'n',
};

/* the harness's plaintext buffer: a longer ciphertext fails with BUFFER_TOO_SMALL */
#define FUZZ_HPKE_PT_CAP 256

typedef struct {
	const uint8_t *enc;
	size_t enc_len;
	const uint8_t *aad;
	size_t aad_len;
	const uint8_t *ct;
	size_t ct_len;
} fuzz_hpke_input;

static inline void
fuzz_hpke_split(const uint8_t *data, size_t size, fuzz_hpke_input *in)
{
	size_t enc_len = size > 0 ? data[0] : 0;
	size_t aad_len = (size > 1 ? (size_t)data[1] << 8 : 0) | (size > 2 ? data[2] : 0);
	size_t off = size < 3 ? size : 3;

	if (enc_len > size - off)
		enc_len = size - off;
	in->enc = data + off;
	in->enc_len = enc_len;
	off += enc_len;
	if (aad_len > size - off)
		aad_len = size - off;
	in->aad = data + off;
	in->aad_len = aad_len;
	off += aad_len;
	in->ct = data + off;
	in->ct_len = size - off;
}

/* the fixed recipient key in the PSA keystore (volatile), 0 on failure */
static inline fwc_hpke_key_id
fuzz_hpke_import_key(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;

	if (psa_crypto_init() != PSA_SUCCESS)
		return 0;
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DERIVE);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDH);
	if (psa_import_key(&attr, fuzz_hpke_skrm, sizeof(fuzz_hpke_skrm), &id) != PSA_SUCCESS)
		return 0;
	return id;
}

/* one open over the split input; returns the fwc_hpke_status */
static inline int
fuzz_hpke_run(fwc_hpke_key_id key, const uint8_t *data, size_t size, size_t *pt_len)
{
	uint8_t pt[FUZZ_HPKE_PT_CAP];
	fuzz_hpke_input in;

	fuzz_hpke_split(data, size, &in);
	return fwc_hpke_open(key,
			     in.enc,
			     in.enc_len,
			     fuzz_hpke_info,
			     sizeof(fuzz_hpke_info),
			     in.aad,
			     in.aad_len,
			     in.ct,
			     in.ct_len,
			     pt,
			     sizeof(pt),
			     pt_len);
}
