/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-signer.h"

#include <openssl/sha.h>
#include <string.h>

#include "fwc-crypto.h"
#include "nusec-error.h"
#include "nusec-openssl.h"

G_DEFINE_INTERFACE(NuSecSigner, nusec_signer, G_TYPE_OBJECT)

static void
nusec_signer_default_init(NuSecSignerInterface *iface)
{
}

gboolean
nusec_signer_sign_digest(NuSecSigner *self,
			 const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			 guint8 sig[NUSEC_SIGNER_SIG_LEN],
			 GError **error)
{
	NuSecSignerInterface *iface;

	g_return_val_if_fail(NUSEC_IS_SIGNER(self), FALSE);
	g_return_val_if_fail(digest != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = NUSEC_SIGNER_GET_IFACE(self);
	if (iface->sign_digest == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_NOT_SUPPORTED,
				    "signer cannot sign");
		return FALSE;
	}
	return iface->sign_digest(self, digest, sig, error);
}

GBytes *
nusec_signer_sign_digest_der(NuSecSigner *self,
			     const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			     GError **error)
{
	guint8 raw[NUSEC_SIGNER_SIG_LEN];
	guint8 der[FWC_P256_SIG_DER_MAX];
	gsize der_len = 0;

	if (!nusec_signer_sign_digest(self, digest, raw, error))
		return NULL;
	fwc_ecdsa_sig_raw_to_der(raw, der, &der_len);
	return g_bytes_new(der, der_len);
}

GBytes *
nusec_signer_sign_data(NuSecSigner *self, const guint8 *data, gsize len, GError **error)
{
	guint8 digest[NUSEC_SIGNER_DIGEST_LEN];
	guint8 raw[NUSEC_SIGNER_SIG_LEN];

	SHA256(data, len, digest);
	if (!nusec_signer_sign_digest(self, digest, raw, error))
		return NULL;
	return g_bytes_new(raw, sizeof(raw));
}

GBytes *
nusec_signer_get_public_key(NuSecSigner *self, GError **error)
{
	NuSecSignerInterface *iface;

	g_return_val_if_fail(NUSEC_IS_SIGNER(self), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	iface = NUSEC_SIGNER_GET_IFACE(self);
	if (iface->get_public_key == NULL) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_NOT_SUPPORTED,
				    "signer has no public key");
		return NULL;
	}
	return iface->get_public_key(self, error);
}

gboolean
nusec_signer_get_public_point(NuSecSigner *self, guint8 point[65], GError **error)
{
	g_autoptr(GBytes) spki = nusec_signer_get_public_key(self, error);
	gsize len = 0;
	const guint8 *buf;

	if (spki == NULL)
		return FALSE;
	buf = g_bytes_get_data(spki, &len);
	if (fwc_p256_spki_to_point(buf, len, point) != FWC_CRYPTO_OK) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "signer public key is not an uncompressed P-256 key");
		return FALSE;
	}
	return TRUE;
}

GBytes *
nusec_signer_get_key_hash(NuSecSigner *self, GError **error)
{
	g_autoptr(GBytes) spki = nusec_signer_get_public_key(self, error);
	guint8 hash[SHA256_DIGEST_LENGTH];

	if (spki == NULL)
		return NULL;
	SHA256(g_bytes_get_data(spki, NULL), g_bytes_get_size(spki), hash);
	return g_bytes_new(hash, sizeof(hash));
}

gboolean
nusec_ecdsa_verify_digest(GBytes *spki,
			  const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			  const guint8 sig[NUSEC_SIGNER_SIG_LEN],
			  GError **error)
{
	const guint8 *buf = g_bytes_get_data(spki, NULL);
	g_autoptr(EVP_PKEY) pkey = d2i_PUBKEY(NULL, &buf, g_bytes_get_size(spki));
	g_autoptr(EVP_PKEY_CTX) ctx = NULL;
	guint8 der[FWC_P256_SIG_DER_MAX];
	gsize der_len = 0;

	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(pkey) != 256) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "public key is not a P-256 SubjectPublicKeyInfo");
		return FALSE;
	}
	fwc_ecdsa_sig_raw_to_der(sig, der, &der_len);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1) {
		nusec_error_set_openssl(error, "cannot set up ECDSA verification");
		return FALSE;
	}
	if (EVP_PKEY_verify(ctx, der, der_len, digest, NUSEC_SIGNER_DIGEST_LEN) != 1) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_SIGNATURE_INVALID,
				    "ECDSA signature does not verify");
		return FALSE;
	}
	return TRUE;
}

/* ---- OpenSSL key object whose sign operation calls the signer ---- */

static int nusec_signer_ex_index = -1;

static void
nusec_signer_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	if (ptr != NULL)
		g_object_unref(ptr);
}

static ECDSA_SIG *
nusec_signer_ec_sign_sig(const unsigned char *dgst,
			 int dgst_len,
			 const BIGNUM *in_kinv,
			 const BIGNUM *in_r,
			 EC_KEY *eckey)
{
	NuSecSigner *self = EC_KEY_get_ex_data(eckey, nusec_signer_ex_index);
	guint8 digest[NUSEC_SIGNER_DIGEST_LEN] = {0};
	guint8 raw[NUSEC_SIGNER_SIG_LEN];
	g_autoptr(GError) error = NULL;
	ECDSA_SIG *sig;
	BIGNUM *r;
	BIGNUM *s;

	if (self == NULL || dgst_len <= 0)
		return NULL;
	/* ECDSA uses the leftmost 256 bits of a longer digest, and a shorter digest is the
	 * same integer as its left-zero-padded form: both give the signature of the curve */
	if (dgst_len >= NUSEC_SIGNER_DIGEST_LEN)
		memcpy(digest, dgst, NUSEC_SIGNER_DIGEST_LEN);
	else
		memcpy(digest + NUSEC_SIGNER_DIGEST_LEN - dgst_len, dgst, dgst_len);
	if (!nusec_signer_sign_digest(self, digest, raw, &error)) {
		g_warning("delegated signature failed: %s", error->message);
		return NULL;
	}
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return NULL;
	}
	return sig;
}

static int
nusec_signer_ec_sign(int type,
		     const unsigned char *dgst,
		     int dlen,
		     unsigned char *sig,
		     unsigned int *siglen,
		     const BIGNUM *kinv,
		     const BIGNUM *r,
		     EC_KEY *eckey)
{
	ECDSA_SIG *s = nusec_signer_ec_sign_sig(dgst, dlen, kinv, r, eckey);
	int len;

	if (s == NULL)
		return 0;
	len = i2d_ECDSA_SIG(s, &sig);
	ECDSA_SIG_free(s);
	if (len <= 0)
		return 0;
	*siglen = (unsigned int)len;
	return 1;
}

static gpointer
nusec_signer_ec_method_init(gpointer data)
{
	EC_KEY_METHOD *method = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	EC_KEY_METHOD_set_sign(method, nusec_signer_ec_sign, NULL, nusec_signer_ec_sign_sig);
	nusec_signer_ex_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, nusec_signer_ex_free);
	return method;
}

gpointer
nusec_signer_to_evp_pkey(NuSecSigner *self, GError **error)
{
	static GOnce once = G_ONCE_INIT;
	EC_KEY_METHOD *method = g_once(&once, nusec_signer_ec_method_init, NULL);
	g_autoptr(GBytes) spki = nusec_signer_get_public_key(self, error);
	g_autoptr(EVP_PKEY) pub = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	const guint8 *buf;
	EC_KEY *src;
	EC_KEY *key;

	if (spki == NULL)
		return NULL;
	buf = g_bytes_get_data(spki, NULL);
	pub = d2i_PUBKEY(NULL, &buf, g_bytes_get_size(spki));
	if (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "signer public key is not an EC SubjectPublicKeyInfo");
		return NULL;
	}
	src = EVP_PKEY_get1_EC_KEY(pub);
	key = EC_KEY_new();
	if (src == NULL || key == NULL || EC_KEY_set_method(key, method) != 1 ||
	    EC_KEY_set_group(key, EC_KEY_get0_group(src)) != 1 ||
	    EC_KEY_set_public_key(key, EC_KEY_get0_public_key(src)) != 1 ||
	    EC_KEY_set_ex_data(key, nusec_signer_ex_index, g_object_ref(self)) != 1) {
		EC_KEY_free(src);
		EC_KEY_free(key);
		nusec_error_set_openssl(error, "cannot build a delegated EC key");
		return NULL;
	}
	EC_KEY_free(src);
	pkey = EVP_PKEY_new();
	if (pkey == NULL || EVP_PKEY_assign_EC_KEY(pkey, key) != 1) {
		EC_KEY_free(key);
		nusec_error_set_openssl(error, "cannot wrap the delegated EC key");
		return NULL;
	}
	return g_steal_pointer(&pkey);
}
