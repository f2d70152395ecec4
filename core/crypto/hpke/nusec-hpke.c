/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-hpke.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <string.h>

#include "fwc-crypto.h"
#include "fwc-hpke.h"
#include "nusec-error.h"
#include "nusec-hpke-private.h"
#include "nusec-openssl.h"

/* the sealing side must never produce what the firmware refuses to open */
_Static_assert(NUSEC_HPKE_INFO_MAX == FWC_HPKE_INFO_MAX, "info bound differs from firmware");
_Static_assert(NUSEC_HPKE_AAD_MAX == FWC_HPKE_AAD_MAX, "aad bound differs from firmware");
_Static_assert(NUSEC_HPKE_EXPORT_CONTEXT_MAX == FWC_HPKE_EXPORT_CONTEXT_MAX,
	       "exporter context bound differs from firmware");
_Static_assert(NUSEC_HPKE_ENC_LEN == FWC_P256_POINT_LEN, "enc is a P-256 point");

/* the longest label used below is "shared_secret" */
#define NUSEC_HPKE_LABEL_MAX 16
/* the longest info of a LabeledExpand is the exporter context (kem_context is 130 bytes) */
#define NUSEC_HPKE_EXPAND_INFO_MAX MAX(NUSEC_HPKE_EXPORT_CONTEXT_MAX, 2 * NUSEC_HPKE_ENC_LEN)
/* the longest ikm of a LabeledExtract is the info (or a DeriveKeyPair ikm, same bound) */
#define NUSEC_HPKE_IKM_MAX NUSEC_HPKE_INFO_MAX
/* aes-128-gcm through EVP takes int lengths: feed it in chunks */
#define NUSEC_HPKE_AEAD_CHUNK (1u << 30)

typedef enum {
	NUSEC_HPKE_ROLE_SENDER,
	NUSEC_HPKE_ROLE_RECEIVER,
} NuSecHpkeRole;

struct _NuSecHpkeContext {
	NuSecHpkeRole role;
	guint8 key[NUSEC_HPKE_KEY_LEN];
	guint8 base_nonce[NUSEC_HPKE_NONCE_LEN];
	guint8 exporter_secret[NUSEC_HPKE_SECRET_LEN];
	guint64 seq;
};

static const guint8 nusec_hpke_version_label[] = {'H', 'P', 'K', 'E', '-', 'v', '1'};
/* suite_id inside the KEM: concat("KEM", I2OSP(kem_id, 2)) */
static const guint8 nusec_hpke_suite_kem[] = {'K', 'E', 'M', 0x00, 0x10};
/* suite_id elsewhere: concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2)) */
static const guint8 nusec_hpke_suite_hpke[] =
    {'H', 'P', 'K', 'E', 0x00, 0x10, 0x00, 0x01, 0x00, 0x01};
/* order n of the P-256 group, big-endian */
static const guint8 nusec_hpke_p256_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* ---- helpers ---- */

static const guint8 *
nusec_hpke_bytes(GBytes *bytes, gsize *len)
{
	if (bytes == NULL) {
		*len = 0;
		return NULL;
	}
	return g_bytes_get_data(bytes, len);
}

/* a GBytes whose memory is wiped when the last reference goes */
typedef struct {
	gsize len;
	guint8 data[];
} NuSecHpkeSecretBuf;

static void
nusec_hpke_secret_buf_free(gpointer user_data)
{
	NuSecHpkeSecretBuf *buf = user_data;
	OPENSSL_cleanse(buf->data, buf->len);
	g_free(buf);
}

static NuSecHpkeSecretBuf *
nusec_hpke_secret_buf_new(gsize len)
{
	NuSecHpkeSecretBuf *buf = g_malloc0(sizeof(NuSecHpkeSecretBuf) + len);
	buf->len = len;
	return buf;
}

static GBytes *
nusec_hpke_secret_buf_to_bytes(NuSecHpkeSecretBuf *buf, gsize len)
{
	return g_bytes_new_with_free_func(buf->data, len, nusec_hpke_secret_buf_free, buf);
}

static gboolean
nusec_hpke_check_bound(GBytes *bytes, gsize max, const gchar *what, GError **error)
{
	gsize len = bytes != NULL ? g_bytes_get_size(bytes) : 0;
	if (len > max) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "HPKE %s is %" G_GSIZE_FORMAT " bytes, over the %" G_GSIZE_FORMAT
			    "-byte bound",
			    what,
			    len,
			    max);
		return FALSE;
	}
	return TRUE;
}

/* HKDF through EVP_KDF "HKDF" with SHA-256, in one of the two single-step modes */
static gboolean
nusec_hpke_hkdf(int mode,
		const guint8 *key,
		gsize key_len,
		const guint8 *salt,
		gsize salt_len,
		const guint8 *info,
		gsize info_len,
		guint8 *out,
		gsize out_len,
		GError **error)
{
	g_autoptr(EVP_KDF) kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	g_autoptr(EVP_KDF_CTX) kctx = NULL;
	gchar digest[] = "SHA256";
	OSSL_PARAM params[6];
	gsize n = 0;

	if (kdf == NULL || (kctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		nusec_error_set_openssl(error, "cannot set up HKDF-SHA256");
		return FALSE;
	}
	params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt != NULL)
		params[n++] =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info != NULL)
		params[n++] =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	params[n] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) != 1) {
		OPENSSL_cleanse(out, out_len);
		nusec_error_set_openssl(error, "HKDF-SHA256 failed");
		return FALSE;
	}
	return TRUE;
}

/*
 * LabeledExtract(salt, label, ikm) = Extract(salt, concat("HPKE-v1", suite_id, label, ikm));
 * an empty salt (@salt NULL) is Nh zero bytes (RFC 5869 §2.2), which HMAC treats the same
 */
static gboolean
nusec_hpke_labeled_extract(const guint8 *suite_id,
			   gsize suite_id_len,
			   const guint8 *salt,
			   const gchar *label,
			   const guint8 *ikm,
			   gsize ikm_len,
			   guint8 prk[NUSEC_HPKE_SECRET_LEN],
			   GError **error)
{
	static const guint8 zeros[NUSEC_HPKE_SECRET_LEN] = {0};
	guint8 buf[sizeof(nusec_hpke_version_label) + sizeof(nusec_hpke_suite_hpke) +
		   NUSEC_HPKE_LABEL_MAX + NUSEC_HPKE_IKM_MAX];
	gsize label_len = strlen(label);
	gsize n = 0;
	gboolean ok;

	if (suite_id_len > sizeof(nusec_hpke_suite_hpke) || label_len > NUSEC_HPKE_LABEL_MAX ||
	    ikm_len > NUSEC_HPKE_IKM_MAX) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INTERNAL,
				    "LabeledExtract input over its bound");
		return FALSE;
	}
	memcpy(buf + n, nusec_hpke_version_label, sizeof(nusec_hpke_version_label));
	n += sizeof(nusec_hpke_version_label);
	memcpy(buf + n, suite_id, suite_id_len);
	n += suite_id_len;
	memcpy(buf + n, label, label_len);
	n += label_len;
	if (ikm_len > 0)
		memcpy(buf + n, ikm, ikm_len);
	n += ikm_len;
	ok = nusec_hpke_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY,
			     buf,
			     n,
			     salt != NULL ? salt : zeros,
			     NUSEC_HPKE_SECRET_LEN,
			     NULL,
			     0,
			     prk,
			     NUSEC_HPKE_SECRET_LEN,
			     error);
	OPENSSL_cleanse(buf, n);
	return ok;
}

/* LabeledExpand(prk, label, info, L) =
 *   Expand(prk, concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info), L) */
static gboolean
nusec_hpke_labeled_expand(const guint8 *suite_id,
			  gsize suite_id_len,
			  const guint8 prk[NUSEC_HPKE_SECRET_LEN],
			  const gchar *label,
			  const guint8 *info,
			  gsize info_len,
			  guint8 *out,
			  gsize out_len,
			  GError **error)
{
	guint8 buf[2 + sizeof(nusec_hpke_version_label) + sizeof(nusec_hpke_suite_hpke) +
		   NUSEC_HPKE_LABEL_MAX + NUSEC_HPKE_EXPAND_INFO_MAX];
	gsize label_len = strlen(label);
	gsize n = 0;

	if (suite_id_len > sizeof(nusec_hpke_suite_hpke) || label_len > NUSEC_HPKE_LABEL_MAX ||
	    info_len > NUSEC_HPKE_EXPAND_INFO_MAX || out_len == 0 ||
	    out_len > NUSEC_HPKE_EXPORT_MAX) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INTERNAL,
				    "LabeledExpand input over its bound");
		return FALSE;
	}
	buf[n++] = (guint8)(out_len >> 8);
	buf[n++] = (guint8)out_len;
	memcpy(buf + n, nusec_hpke_version_label, sizeof(nusec_hpke_version_label));
	n += sizeof(nusec_hpke_version_label);
	memcpy(buf + n, suite_id, suite_id_len);
	n += suite_id_len;
	memcpy(buf + n, label, label_len);
	n += label_len;
	if (info_len > 0)
		memcpy(buf + n, info, info_len);
	n += info_len;
	return nusec_hpke_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY,
			       prk,
			       NUSEC_HPKE_SECRET_LEN,
			       NULL,
			       0,
			       buf,
			       n,
			       out,
			       out_len,
			       error);
}

/* an EVP_PKEY for an uncompressed P-256 point, checked to be on the curve */
static EVP_PKEY *
nusec_hpke_point_to_pkey(const guint8 point[NUSEC_HPKE_ENC_LEN], GError **error)
{
	g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	g_autoptr(EVP_PKEY_CTX) check = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	gchar group[] = "prime256v1";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
					      (void *)point,
					      NUSEC_HPKE_ENC_LEN),
	    OSSL_PARAM_construct_end(),
	};

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
		nusec_error_set_openssl(error, "cannot set up EC key import");
		return NULL;
	}
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) != 1) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "not a point of P-256");
		return NULL;
	}
	return g_steal_pointer(&pkey);
}

/* the uncompressed public point of any P-256 key object (through its SubjectPublicKeyInfo,
 * which also works for keys held by an engine) */
static gboolean
nusec_hpke_pkey_point(EVP_PKEY *pkey, guint8 point[NUSEC_HPKE_ENC_LEN], GError **error)
{
	guint8 *der = NULL;
	int len = i2d_PUBKEY(pkey, &der);
	int rc;

	if (len <= 0) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "cannot get the public key of the key object");
		return FALSE;
	}
	rc = fwc_p256_spki_to_point(der, (size_t)len, point);
	OPENSSL_free(der);
	if (rc != FWC_CRYPTO_OK) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "key is not a P-256 key with an uncompressed public point");
		return FALSE;
	}
	return TRUE;
}

/* the recipient public key: a 65-byte uncompressed point or a P-256 SubjectPublicKeyInfo */
static gboolean
nusec_hpke_recipient_point(GBytes *recipient_spki_or_point,
			   guint8 point[NUSEC_HPKE_ENC_LEN],
			   GError **error)
{
	gsize len = 0;
	const guint8 *buf = nusec_hpke_bytes(recipient_spki_or_point, &len);

	if (len == NUSEC_HPKE_ENC_LEN && buf[0] == 0x04) {
		memcpy(point, buf, NUSEC_HPKE_ENC_LEN);
		return TRUE;
	}
	if (len > 0 && fwc_p256_spki_to_point(buf, len, point) == FWC_CRYPTO_OK)
		return TRUE;
	g_set_error_literal(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "recipient key is neither an uncompressed P-256 point nor a P-256 "
			    "SubjectPublicKeyInfo");
	return FALSE;
}

/* enc must be SerializePublicKey() of a P-256 point: 65 bytes, uncompressed */
static gboolean
nusec_hpke_check_enc(GBytes *enc, GError **error)
{
	gsize len = 0;
	const guint8 *buf = nusec_hpke_bytes(enc, &len);

	if (len != NUSEC_HPKE_ENC_LEN) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "HPKE encapsulated key is %" G_GSIZE_FORMAT " bytes, expected 65",
			    len);
		return FALSE;
	}
	if (buf[0] != 0x04) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "HPKE encapsulated key is not an uncompressed point (0x04)");
		return FALSE;
	}
	return TRUE;
}

/* DH(sk, pk): the X coordinate of the ECDH product, 32 bytes */
static gboolean
nusec_hpke_dh(EVP_PKEY *sk, EVP_PKEY *pk, guint8 out[NUSEC_HPKE_SECRET_LEN], GError **error)
{
	g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new(sk, NULL);
	gsize len = NUSEC_HPKE_SECRET_LEN;

	if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, pk) != 1) {
		nusec_error_set_openssl(error, "cannot set up ECDH");
		return FALSE;
	}
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != NUSEC_HPKE_SECRET_LEN) {
		OPENSSL_cleanse(out, NUSEC_HPKE_SECRET_LEN);
		nusec_error_set_openssl(error, "ECDH failed");
		return FALSE;
	}
	return TRUE;
}

/* ExtractAndExpand(dh, kem_context = concat(enc, pkRm)) */
static gboolean
nusec_hpke_extract_and_expand(const guint8 dh[NUSEC_HPKE_SECRET_LEN],
			      const guint8 enc[NUSEC_HPKE_ENC_LEN],
			      const guint8 pkRm[NUSEC_HPKE_ENC_LEN],
			      guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
			      GError **error)
{
	guint8 kem_context[2 * NUSEC_HPKE_ENC_LEN];
	guint8 eae_prk[NUSEC_HPKE_SECRET_LEN];
	gboolean ok;

	memcpy(kem_context, enc, NUSEC_HPKE_ENC_LEN);
	memcpy(kem_context + NUSEC_HPKE_ENC_LEN, pkRm, NUSEC_HPKE_ENC_LEN);
	ok = nusec_hpke_labeled_extract(nusec_hpke_suite_kem,
					sizeof(nusec_hpke_suite_kem),
					NULL,
					"eae_prk",
					dh,
					NUSEC_HPKE_SECRET_LEN,
					eae_prk,
					error) &&
	     nusec_hpke_labeled_expand(nusec_hpke_suite_kem,
				       sizeof(nusec_hpke_suite_kem),
				       eae_prk,
				       "shared_secret",
				       kem_context,
				       sizeof(kem_context),
				       shared_secret,
				       NUSEC_HPKE_SECRET_LEN,
				       error);
	OPENSSL_cleanse(eae_prk, sizeof(eae_prk));
	return ok;
}

/* a P-256 key pair object from its private scalar (1 <= sk < n) */
static EVP_PKEY *
nusec_hpke_scalar_to_pkey(const guint8 sk[NUSEC_HPKE_SECRET_LEN], GError **error)
{
	g_autoptr(EC_GROUP) group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	g_autoptr(EC_POINT) pub = NULL;
	g_autoptr(BN_CTX) bnctx = BN_CTX_secure_new();
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *priv = BN_secure_new();
	guint8 point[NUSEC_HPKE_ENC_LEN];
	gboolean ok;

	ok = group != NULL && bnctx != NULL && priv != NULL &&
	     BN_bin2bn(sk, NUSEC_HPKE_SECRET_LEN, priv) != NULL &&
	     (pub = EC_POINT_new(group)) != NULL &&
	     EC_POINT_mul(group, pub, priv, NULL, NULL, bnctx) == 1 &&
	     EC_POINT_point2oct(group,
				pub,
				POINT_CONVERSION_UNCOMPRESSED,
				point,
				sizeof(point),
				bnctx) == sizeof(point) &&
	     (bld = OSSL_PARAM_BLD_new()) != NULL &&
	     OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ==
		 1 &&
	     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) == 1 &&
	     OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) ==
		 1 &&
	     (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	     (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL &&
	     EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) == 1;
	/* the private scalar lives in secure memory: these free functions clear it */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	if (!ok) {
		EVP_PKEY_free(pkey);
		nusec_error_set_openssl(error, "cannot build a P-256 key pair");
		return NULL;
	}
	return pkey;
}

/* ---- DHKEM(P-256, HKDF-SHA256) ---- */

EVP_PKEY *
nusec_hpke_derive_key_pair(GBytes *ikm, GError **error)
{
	guint8 dkp_prk[NUSEC_HPKE_SECRET_LEN];
	guint8 sk[NUSEC_HPKE_SECRET_LEN];
	gsize ikm_len = 0;
	const guint8 *ikm_buf = nusec_hpke_bytes(ikm, &ikm_len);
	gboolean found = FALSE;
	EVP_PKEY *pkey;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (ikm_len < NUSEC_HPKE_SECRET_LEN || ikm_len > NUSEC_HPKE_IKM_MAX) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "DeriveKeyPair needs 32 to %u bytes of input keying material, got "
			    "%" G_GSIZE_FORMAT,
			    (guint)NUSEC_HPKE_IKM_MAX,
			    ikm_len);
		return NULL;
	}
	if (!nusec_hpke_labeled_extract(nusec_hpke_suite_kem,
					sizeof(nusec_hpke_suite_kem),
					NULL,
					"dkp_prk",
					ikm_buf,
					ikm_len,
					dkp_prk,
					error))
		return NULL;
	/* RFC 9180 §7.1.3: candidates until 0 < sk < order, bitmask 0xff for P-256 */
	for (guint counter = 0; counter <= 255 && !found; counter++) {
		guint8 counter_byte = (guint8)counter;
		guint8 acc = 0;
		if (!nusec_hpke_labeled_expand(nusec_hpke_suite_kem,
					       sizeof(nusec_hpke_suite_kem),
					       dkp_prk,
					       "candidate",
					       &counter_byte,
					       1,
					       sk,
					       sizeof(sk),
					       error)) {
			OPENSSL_cleanse(dkp_prk, sizeof(dkp_prk));
			return NULL;
		}
		sk[0] &= 0xff;
		for (gsize i = 0; i < sizeof(sk); i++)
			acc |= sk[i];
		found = acc != 0 && memcmp(sk, nusec_hpke_p256_order, sizeof(sk)) < 0;
	}
	OPENSSL_cleanse(dkp_prk, sizeof(dkp_prk));
	if (!found) {
		OPENSSL_cleanse(sk, sizeof(sk));
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_CRYPTO,
				    "DeriveKeyPair found no valid P-256 scalar");
		return NULL;
	}
	pkey = nusec_hpke_scalar_to_pkey(sk, error);
	OPENSSL_cleanse(sk, sizeof(sk));
	return pkey;
}

/* Encap(pkR) with the ephemeral key pair @skE */
static gboolean
nusec_hpke_encap_with(EVP_PKEY *skE,
		      const guint8 pkRm[NUSEC_HPKE_ENC_LEN],
		      guint8 enc[NUSEC_HPKE_ENC_LEN],
		      guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
		      GError **error)
{
	g_autoptr(EVP_PKEY) pkR = nusec_hpke_point_to_pkey(pkRm, error);
	guint8 dh[NUSEC_HPKE_SECRET_LEN];
	gboolean ok;

	if (pkR == NULL) {
		g_prefix_error(error, "recipient public key: ");
		return FALSE;
	}
	if (!nusec_hpke_pkey_point(skE, enc, error))
		return FALSE;
	if (!nusec_hpke_dh(skE, pkR, dh, error))
		return FALSE;
	ok = nusec_hpke_extract_and_expand(dh, enc, pkRm, shared_secret, error);
	OPENSSL_cleanse(dh, sizeof(dh));
	return ok;
}

gboolean
nusec_hpke_encap_derand(GBytes *recipient_spki_or_point,
			GBytes *ikm_e,
			guint8 enc[NUSEC_HPKE_ENC_LEN],
			guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
			GError **error)
{
	g_autoptr(EVP_PKEY) skE = NULL;
	guint8 pkRm[NUSEC_HPKE_ENC_LEN];

	if (!nusec_hpke_recipient_point(recipient_spki_or_point, pkRm, error))
		return FALSE;
	skE = nusec_hpke_derive_key_pair(ikm_e, error);
	if (skE == NULL)
		return FALSE;
	return nusec_hpke_encap_with(skE, pkRm, enc, shared_secret, error);
}

/* ---- key schedule and contexts ---- */

gboolean
nusec_hpke_key_schedule(const guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
			GBytes *info,
			NuSecHpkeKeySchedule *out,
			GError **error)
{
	const guint8 *suite = nusec_hpke_suite_hpke;
	const gsize suite_len = sizeof(nusec_hpke_suite_hpke);
	guint8 *ksc = out->key_schedule_context;
	gsize info_len = 0;
	const guint8 *info_buf = nusec_hpke_bytes(info, &info_len);
	gboolean ok;

	if (!nusec_hpke_check_bound(info, NUSEC_HPKE_INFO_MAX, "info", error))
		return FALSE;
	/* key_schedule_context = concat(mode_base, psk_id_hash, info_hash); psk = psk_id = "" */
	ksc[0] = 0x00;
	ok = nusec_hpke_labeled_extract(suite,
					suite_len,
					NULL,
					"psk_id_hash",
					NULL,
					0,
					ksc + 1,
					error) &&
	     nusec_hpke_labeled_extract(suite,
					suite_len,
					NULL,
					"info_hash",
					info_buf,
					info_len,
					ksc + 1 + NUSEC_HPKE_SECRET_LEN,
					error) &&
	     nusec_hpke_labeled_extract(suite,
					suite_len,
					shared_secret,
					"secret",
					NULL,
					0,
					out->secret,
					error) &&
	     nusec_hpke_labeled_expand(suite,
				       suite_len,
				       out->secret,
				       "key",
				       ksc,
				       sizeof(out->key_schedule_context),
				       out->key,
				       sizeof(out->key),
				       error) &&
	     nusec_hpke_labeled_expand(suite,
				       suite_len,
				       out->secret,
				       "base_nonce",
				       ksc,
				       sizeof(out->key_schedule_context),
				       out->base_nonce,
				       sizeof(out->base_nonce),
				       error) &&
	     nusec_hpke_labeled_expand(suite,
				       suite_len,
				       out->secret,
				       "exp",
				       ksc,
				       sizeof(out->key_schedule_context),
				       out->exporter_secret,
				       sizeof(out->exporter_secret),
				       error);
	if (!ok)
		OPENSSL_cleanse(out, sizeof(*out));
	return ok;
}

static NuSecHpkeContext *
nusec_hpke_context_new(NuSecHpkeRole role,
		       const guint8 shared_secret[NUSEC_HPKE_SECRET_LEN],
		       GBytes *info,
		       GError **error)
{
	NuSecHpkeKeySchedule ks;
	NuSecHpkeContext *self;

	if (!nusec_hpke_key_schedule(shared_secret, info, &ks, error))
		return NULL;
	self = g_new0(NuSecHpkeContext, 1);
	self->role = role;
	memcpy(self->key, ks.key, sizeof(self->key));
	memcpy(self->base_nonce, ks.base_nonce, sizeof(self->base_nonce));
	memcpy(self->exporter_secret, ks.exporter_secret, sizeof(self->exporter_secret));
	self->seq = 0;
	OPENSSL_cleanse(&ks, sizeof(ks));
	return self;
}

void
nusec_hpke_context_free(NuSecHpkeContext *self)
{
	if (self == NULL)
		return;
	OPENSSL_cleanse(self, sizeof(*self));
	g_free(self);
}

guint64
nusec_hpke_context_get_seq(NuSecHpkeContext *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->seq;
}

void
nusec_hpke_context_set_seq(NuSecHpkeContext *self, guint64 seq)
{
	g_return_if_fail(self != NULL);
	self->seq = seq;
}

static NuSecHpkeContext *
nusec_hpke_setup_sender_with(EVP_PKEY *skE,
			     const guint8 pkRm[NUSEC_HPKE_ENC_LEN],
			     GBytes *info,
			     GBytes **enc_out,
			     GError **error)
{
	guint8 enc[NUSEC_HPKE_ENC_LEN];
	guint8 shared_secret[NUSEC_HPKE_SECRET_LEN];
	NuSecHpkeContext *self;

	if (!nusec_hpke_encap_with(skE, pkRm, enc, shared_secret, error))
		return NULL;
	self = nusec_hpke_context_new(NUSEC_HPKE_ROLE_SENDER, shared_secret, info, error);
	OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
	if (self == NULL)
		return NULL;
	*enc_out = g_bytes_new(enc, sizeof(enc));
	return self;
}

NuSecHpkeContext *
nusec_hpke_setup_sender(GBytes *recipient_spki_or_point,
			GBytes *info,
			GBytes **enc_out,
			GError **error)
{
	g_autoptr(EVP_PKEY) skE = NULL;
	guint8 pkRm[NUSEC_HPKE_ENC_LEN];

	g_return_val_if_fail(recipient_spki_or_point != NULL, NULL);
	g_return_val_if_fail(enc_out != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_check_bound(info, NUSEC_HPKE_INFO_MAX, "info", error))
		return NULL;
	if (!nusec_hpke_recipient_point(recipient_spki_or_point, pkRm, error))
		return NULL;
	/* GenerateKeyPair(): a fresh ephemeral key from the default DRBG */
	skE = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (skE == NULL) {
		nusec_error_set_openssl(error, "cannot generate the ephemeral key");
		return NULL;
	}
	return nusec_hpke_setup_sender_with(skE, pkRm, info, enc_out, error);
}

NuSecHpkeContext *
nusec_hpke_setup_sender_derand(GBytes *recipient_spki_or_point,
			       GBytes *info,
			       GBytes *ikm_e,
			       GBytes **enc_out,
			       GError **error)
{
	g_autoptr(EVP_PKEY) skE = NULL;
	guint8 pkRm[NUSEC_HPKE_ENC_LEN];

	g_return_val_if_fail(recipient_spki_or_point != NULL, NULL);
	g_return_val_if_fail(enc_out != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_check_bound(info, NUSEC_HPKE_INFO_MAX, "info", error))
		return NULL;
	if (!nusec_hpke_recipient_point(recipient_spki_or_point, pkRm, error))
		return NULL;
	skE = nusec_hpke_derive_key_pair(ikm_e, error);
	if (skE == NULL)
		return NULL;
	return nusec_hpke_setup_sender_with(skE, pkRm, info, enc_out, error);
}

NuSecHpkeContext *
nusec_hpke_setup_receiver(EVP_PKEY *recipient_private, GBytes *enc, GBytes *info, GError **error)
{
	g_autoptr(EVP_PKEY) pkE = NULL;
	guint8 pkRm[NUSEC_HPKE_ENC_LEN];
	guint8 dh[NUSEC_HPKE_SECRET_LEN];
	guint8 shared_secret[NUSEC_HPKE_SECRET_LEN];
	NuSecHpkeContext *self;
	gboolean ok;

	g_return_val_if_fail(recipient_private != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_check_bound(info, NUSEC_HPKE_INFO_MAX, "info", error))
		return NULL;
	if (!nusec_hpke_check_enc(enc, error))
		return NULL;
	if (!nusec_hpke_pkey_point(recipient_private, pkRm, error)) {
		g_prefix_error(error, "recipient key: ");
		return NULL;
	}
	pkE = nusec_hpke_point_to_pkey(g_bytes_get_data(enc, NULL), error);
	if (pkE == NULL) {
		g_prefix_error(error, "HPKE encapsulated key: ");
		return NULL;
	}
	if (!nusec_hpke_dh(recipient_private, pkE, dh, error))
		return NULL;
	ok = nusec_hpke_extract_and_expand(dh,
					   g_bytes_get_data(enc, NULL),
					   pkRm,
					   shared_secret,
					   error);
	OPENSSL_cleanse(dh, sizeof(dh));
	if (!ok)
		return NULL;
	self = nusec_hpke_context_new(NUSEC_HPKE_ROLE_RECEIVER, shared_secret, info, error);
	OPENSSL_cleanse(shared_secret, sizeof(shared_secret));
	return self;
}

/* ---- AEAD ---- */

/* ComputeNonce(seq) = xor(base_nonce, I2OSP(seq, Nn)) */
static void
nusec_hpke_compute_nonce(const NuSecHpkeContext *self,
			 guint64 seq,
			 guint8 nonce[NUSEC_HPKE_NONCE_LEN])
{
	memcpy(nonce, self->base_nonce, NUSEC_HPKE_NONCE_LEN);
	for (gsize i = 0; i < sizeof(seq); i++)
		nonce[NUSEC_HPKE_NONCE_LEN - 1 - i] ^= (guint8)(seq >> (8 * i));
}

/* EVP_{Encrypt,Decrypt}Update over a buffer of any size; @out NULL for AAD */
static gboolean
nusec_hpke_aead_update(EVP_CIPHER_CTX *ctx, const guint8 *in, gsize len, guint8 *out)
{
	while (len > 0) {
		int n = (int)MIN(len, NUSEC_HPKE_AEAD_CHUNK);
		int outl = 0;
		if (EVP_CipherUpdate(ctx, out, &outl, in, n) != 1 || (out != NULL && outl != n))
			return FALSE;
		in += n;
		len -= (gsize)n;
		if (out != NULL)
			out += n;
	}
	return TRUE;
}

static GBytes *
nusec_hpke_aead_seal(const NuSecHpkeContext *self,
		     guint64 seq,
		     GBytes *aad,
		     GBytes *plaintext,
		     GError **error)
{
	g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new();
	guint8 nonce[NUSEC_HPKE_NONCE_LEN];
	gsize aad_len = 0;
	gsize pt_len = 0;
	const guint8 *aad_buf = nusec_hpke_bytes(aad, &aad_len);
	const guint8 *pt_buf = nusec_hpke_bytes(plaintext, &pt_len);
	g_autofree guint8 *out = NULL;
	int outl = 0;

	if (pt_len > G_MAXSIZE - NUSEC_HPKE_TAG_LEN) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "HPKE plaintext too large");
		return NULL;
	}
	out = g_malloc(pt_len + NUSEC_HPKE_TAG_LEN);
	nusec_hpke_compute_nonce(self, seq, nonce);
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NUSEC_HPKE_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, self->key, nonce) != 1 ||
	    !nusec_hpke_aead_update(ctx, aad_buf, aad_len, NULL) ||
	    !nusec_hpke_aead_update(ctx, pt_buf, pt_len, out) ||
	    EVP_EncryptFinal_ex(ctx, out + pt_len, &outl) != 1 || outl != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, NUSEC_HPKE_TAG_LEN, out + pt_len) != 1) {
		nusec_error_set_openssl(error, "AES-128-GCM encryption failed");
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&out), pt_len + NUSEC_HPKE_TAG_LEN);
}

static GBytes *
nusec_hpke_aead_open(const NuSecHpkeContext *self,
		     guint64 seq,
		     GBytes *aad,
		     GBytes *ciphertext,
		     GError **error)
{
	g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new();
	guint8 nonce[NUSEC_HPKE_NONCE_LEN];
	guint8 tag[NUSEC_HPKE_TAG_LEN];
	gsize aad_len = 0;
	gsize ct_len = 0;
	const guint8 *aad_buf = nusec_hpke_bytes(aad, &aad_len);
	const guint8 *ct_buf = nusec_hpke_bytes(ciphertext, &ct_len);
	NuSecHpkeSecretBuf *out;
	gsize pt_len;
	int outl = 0;

	if (ct_len < NUSEC_HPKE_TAG_LEN) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "HPKE ciphertext is %" G_GSIZE_FORMAT
			    " bytes, shorter than the 16-byte tag",
			    ct_len);
		return NULL;
	}
	pt_len = ct_len - NUSEC_HPKE_TAG_LEN;
	memcpy(tag, ct_buf + pt_len, sizeof(tag));
	nusec_hpke_compute_nonce(self, seq, nonce);
	out = nusec_hpke_secret_buf_new(pt_len);
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NUSEC_HPKE_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, self->key, nonce) != 1 ||
	    !nusec_hpke_aead_update(ctx, aad_buf, aad_len, NULL) ||
	    !nusec_hpke_aead_update(ctx, ct_buf, pt_len, out->data) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, NUSEC_HPKE_TAG_LEN, tag) != 1) {
		nusec_hpke_secret_buf_free(out);
		nusec_error_set_openssl(error, "AES-128-GCM decryption failed");
		return NULL;
	}
	if (EVP_DecryptFinal_ex(ctx, out->data + pt_len, &outl) != 1) {
		nusec_hpke_secret_buf_free(out);
		ERR_clear_error();
		g_set_error_literal(
		    error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_SIGNATURE_INVALID,
		    "HPKE authentication tag does not verify (wrong key or tampered "
		    "data)");
		return NULL;
	}
	return nusec_hpke_secret_buf_to_bytes(out, pt_len);
}

static gboolean
nusec_hpke_context_check_role(NuSecHpkeContext *self, NuSecHpkeRole role, GError **error)
{
	if (self->role != role) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    role == NUSEC_HPKE_ROLE_SENDER
					? "only a sender HPKE context can seal"
					: "only a recipient HPKE context can open");
		return FALSE;
	}
	return TRUE;
}

/* IncrementSeq must never wrap: a nonce is used at most once */
static gboolean
nusec_hpke_context_check_seq(NuSecHpkeContext *self, GError **error)
{
	if (self->seq == G_MAXUINT64) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "HPKE message limit reached: sequence number exhausted");
		return FALSE;
	}
	return TRUE;
}

GBytes *
nusec_hpke_context_seal(NuSecHpkeContext *self, GBytes *aad, GBytes *plaintext, GError **error)
{
	GBytes *ct;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_context_check_role(self, NUSEC_HPKE_ROLE_SENDER, error))
		return NULL;
	if (!nusec_hpke_check_bound(aad, NUSEC_HPKE_AAD_MAX, "associated data", error))
		return NULL;
	if (!nusec_hpke_context_check_seq(self, error))
		return NULL;
	ct = nusec_hpke_aead_seal(self, self->seq, aad, plaintext, error);
	if (ct == NULL)
		return NULL;
	self->seq++;
	return ct;
}

GBytes *
nusec_hpke_context_open_at(NuSecHpkeContext *self,
			   guint64 seq,
			   GBytes *aad,
			   GBytes *ciphertext,
			   GError **error)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_context_check_role(self, NUSEC_HPKE_ROLE_RECEIVER, error))
		return NULL;
	if (!nusec_hpke_check_bound(aad, NUSEC_HPKE_AAD_MAX, "associated data", error))
		return NULL;
	return nusec_hpke_aead_open(self, seq, aad, ciphertext, error);
}

GBytes *
nusec_hpke_context_open(NuSecHpkeContext *self, GBytes *aad, GBytes *ciphertext, GError **error)
{
	GBytes *pt;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_context_check_seq(self, error))
		return NULL;
	pt = nusec_hpke_context_open_at(self, self->seq, aad, ciphertext, error);
	if (pt == NULL)
		return NULL;
	self->seq++;
	return pt;
}

GBytes *
nusec_hpke_context_export(NuSecHpkeContext *self,
			  GBytes *exporter_context,
			  gsize length,
			  GError **error)
{
	NuSecHpkeSecretBuf *out;
	gsize ctx_len = 0;
	const guint8 *ctx_buf = nusec_hpke_bytes(exporter_context, &ctx_len);

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_check_bound(exporter_context,
				    NUSEC_HPKE_EXPORT_CONTEXT_MAX,
				    "exporter context",
				    error))
		return NULL;
	if (length == 0 || length > NUSEC_HPKE_EXPORT_MAX) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "HPKE export length %" G_GSIZE_FORMAT " is not within 1..%u",
			    length,
			    (guint)NUSEC_HPKE_EXPORT_MAX);
		return NULL;
	}
	out = nusec_hpke_secret_buf_new(length);
	if (!nusec_hpke_labeled_expand(nusec_hpke_suite_hpke,
				       sizeof(nusec_hpke_suite_hpke),
				       self->exporter_secret,
				       "sec",
				       ctx_buf,
				       ctx_len,
				       out->data,
				       length,
				       error)) {
		nusec_hpke_secret_buf_free(out);
		return NULL;
	}
	return nusec_hpke_secret_buf_to_bytes(out, length);
}

/* ---- single-shot ---- */

GBytes *
nusec_hpke_seal(GBytes *recipient_spki_or_point,
		GBytes *info,
		GBytes *aad,
		GBytes *plaintext,
		GBytes **enc_out,
		GError **error)
{
	g_autoptr(NuSecHpkeContext) ctx = NULL;
	g_autoptr(GBytes) enc = NULL;
	GBytes *ct;

	g_return_val_if_fail(recipient_spki_or_point != NULL, NULL);
	g_return_val_if_fail(plaintext != NULL, NULL);
	g_return_val_if_fail(enc_out != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!nusec_hpke_check_bound(aad, NUSEC_HPKE_AAD_MAX, "associated data", error))
		return NULL;
	ctx = nusec_hpke_setup_sender(recipient_spki_or_point, info, &enc, error);
	if (ctx == NULL)
		return NULL;
	ct = nusec_hpke_context_seal(ctx, aad, plaintext, error);
	if (ct == NULL)
		return NULL;
	*enc_out = g_steal_pointer(&enc);
	return ct;
}

GBytes *
nusec_hpke_open(EVP_PKEY *recipient_private,
		GBytes *enc,
		GBytes *info,
		GBytes *aad,
		GBytes *ciphertext,
		GError **error)
{
	g_autoptr(NuSecHpkeContext) ctx = NULL;

	g_return_val_if_fail(recipient_private != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	/* the same order of checks as fwc_hpke_open() */
	if (!nusec_hpke_check_bound(info, NUSEC_HPKE_INFO_MAX, "info", error) ||
	    !nusec_hpke_check_bound(aad, NUSEC_HPKE_AAD_MAX, "associated data", error) ||
	    !nusec_hpke_check_enc(enc, error))
		return NULL;
	if (ciphertext == NULL || g_bytes_get_size(ciphertext) < NUSEC_HPKE_TAG_LEN) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "HPKE ciphertext is %" G_GSIZE_FORMAT
			    " bytes, shorter than the 16-byte tag",
			    ciphertext != NULL ? g_bytes_get_size(ciphertext) : 0);
		return NULL;
	}
	ctx = nusec_hpke_setup_receiver(recipient_private, enc, info, error);
	if (ctx == NULL)
		return NULL;
	return nusec_hpke_context_open(ctx, aad, ciphertext, error);
}
