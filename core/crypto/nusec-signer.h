/*
 * NuSecSigner: anything that holds an ECDSA P-256 private key and signs SHA-256 digests
 * without giving the key away: a PEM file (tests, imgtool compatibility), a PKCS#11 token
 * (the cloud's HSM), a NuLink3 KeyStore (over USB).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NUSEC_TYPE_SIGNER (nusec_signer_get_type())
G_DECLARE_INTERFACE(NuSecSigner, nusec_signer, NUSEC, SIGNER, GObject)

#define NUSEC_SIGNER_DIGEST_LEN 32
#define NUSEC_SIGNER_SIG_LEN	64

struct _NuSecSignerInterface {
	GTypeInterface parent_iface;
	/* signs a SHA-256 digest; writes raw r||s (big-endian, 32 bytes each) into @sig */
	gboolean (*sign_digest)(NuSecSigner *self,
				const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
				guint8 sig[NUSEC_SIGNER_SIG_LEN],
				GError **error);
	/* the DER SubjectPublicKeyInfo of the key (91 bytes for P-256) */
	GBytes *(*get_public_key)(NuSecSigner *self, GError **error);
};

gboolean
nusec_signer_sign_digest(NuSecSigner *self,
			 const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			 guint8 sig[NUSEC_SIGNER_SIG_LEN],
			 GError **error);
GBytes *
nusec_signer_sign_digest_der(NuSecSigner *self,
			     const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			     GError **error);
GBytes *
nusec_signer_sign_data(NuSecSigner *self, const guint8 *data, gsize len, GError **error);
GBytes *
nusec_signer_get_public_key(NuSecSigner *self, GError **error);
gboolean
nusec_signer_get_public_point(NuSecSigner *self, guint8 point[65], GError **error);
GBytes *
nusec_signer_get_key_hash(NuSecSigner *self, GError **error);

/* ECDSA P-256 verification of raw r||s against an SPKI, OpenSSL side */
gboolean
nusec_ecdsa_verify_digest(GBytes *spki,
			  const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			  const guint8 sig[NUSEC_SIGNER_SIG_LEN],
			  GError **error);

/* an OpenSSL key object whose private operations call the signer (certificates, CSRs,
 * TLS client authentication); see STACK-NOTES "Client TLS with a key that lives in the
 * programmer". The EVP_PKEY keeps a reference on @self. */
gpointer
nusec_signer_to_evp_pkey(NuSecSigner *self, GError **error);

G_END_DECLS
