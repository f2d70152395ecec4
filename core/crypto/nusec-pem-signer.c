/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-pem-signer.h"

#include <openssl/pem.h>

#include "nusec-error.h"
#include "nusec-openssl.h"

struct _NuSecPemSigner {
	GObject parent_instance;
	EVP_PKEY *pkey;
};

static void
nusec_pem_signer_iface_init(NuSecSignerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NuSecPemSigner,
			nusec_pem_signer,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NUSEC_TYPE_SIGNER, nusec_pem_signer_iface_init))

static gboolean
nusec_pem_signer_sign_digest(NuSecSigner *signer,
			     const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			     guint8 sig[NUSEC_SIGNER_SIG_LEN],
			     GError **error)
{
	NuSecPemSigner *self = NUSEC_PEM_SIGNER(signer);
	g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new(self->pkey, NULL);
	g_autoptr(ECDSA_SIG) esig = NULL;
	guint8 der[80];
	const guint8 *p = der;
	gsize der_len = sizeof(der);

	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, der, &der_len, digest, NUSEC_SIGNER_DIGEST_LEN) != 1) {
		nusec_error_set_openssl(error, "ECDSA signing failed");
		return FALSE;
	}
	esig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (esig == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(esig), sig, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(esig), sig + 32, 32) != 32) {
		nusec_error_set_openssl(error, "cannot decode the ECDSA signature");
		return FALSE;
	}
	return TRUE;
}

static GBytes *
nusec_pem_signer_get_public_key(NuSecSigner *signer, GError **error)
{
	NuSecPemSigner *self = NUSEC_PEM_SIGNER(signer);
	guint8 *der = NULL;
	int len = i2d_PUBKEY(self->pkey, &der);
	GBytes *bytes;

	if (len <= 0) {
		nusec_error_set_openssl(error, "cannot encode the public key");
		return NULL;
	}
	bytes = g_bytes_new(der, len);
	OPENSSL_free(der);
	return bytes;
}

static void
nusec_pem_signer_iface_init(NuSecSignerInterface *iface)
{
	iface->sign_digest = nusec_pem_signer_sign_digest;
	iface->get_public_key = nusec_pem_signer_get_public_key;
}

static void
nusec_pem_signer_finalize(GObject *object)
{
	NuSecPemSigner *self = NUSEC_PEM_SIGNER(object);
	EVP_PKEY_free(self->pkey);
	G_OBJECT_CLASS(nusec_pem_signer_parent_class)->finalize(object);
}

static void
nusec_pem_signer_class_init(NuSecPemSignerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = nusec_pem_signer_finalize;
}

static void
nusec_pem_signer_init(NuSecPemSigner *self)
{
}

static NuSecSigner *
nusec_pem_signer_new_take(EVP_PKEY *pkey, GError **error)
{
	NuSecPemSigner *self;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC || EVP_PKEY_get_bits(pkey) != 256) {
		EVP_PKEY_free(pkey);
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_NOT_SUPPORTED,
				    "only ECDSA P-256 keys are supported");
		return NULL;
	}
	self = g_object_new(NUSEC_TYPE_PEM_SIGNER, NULL);
	self->pkey = pkey;
	return NUSEC_SIGNER(self);
}

NuSecSigner *
nusec_pem_signer_new_from_data(const gchar *pem, gsize len, GError **error)
{
	g_autoptr(BIO) bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	if (pkey == NULL) {
		ERR_clear_error();
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_DATA,
				    "not a PEM private key");
		return NULL;
	}
	return nusec_pem_signer_new_take(pkey, error);
}

NuSecSigner *
nusec_pem_signer_new_from_file(const gchar *path, GError **error)
{
	g_autofree gchar *pem = NULL;
	gsize len = 0;
	NuSecSigner *signer;

	if (!g_file_get_contents(path, &pem, &len, error))
		return NULL;
	signer = nusec_pem_signer_new_from_data(pem, len, error);
	OPENSSL_cleanse(pem, len);
	if (signer == NULL)
		g_prefix_error(error, "%s: ", path);
	return signer;
}

NuSecSigner *
nusec_pem_signer_new_random(GError **error)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	if (pkey == NULL) {
		nusec_error_set_openssl(error, "cannot generate a P-256 key");
		return NULL;
	}
	return nusec_pem_signer_new_take(pkey, error);
}
