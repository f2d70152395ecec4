/*
 * NuSecPkcs11Signer: an ECDSA P-256 key inside a PKCS#11 token (SoftHSM2 by default, a real
 * HSM by configuration), loaded through p11-kit and named by an RFC 7512 URI, e.g.
 *   pkcs11:token=nusec;object=boot-key;type=private?pin-value=1234
 *   pkcs11:token=nusec;object=boot-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
 * Without module-path, the module is $NUSEC_PKCS11_MODULE or Debian's libsofthsm2.so.
 * The private key never leaves the token: it is generated there (sensitive, not extractable)
 * and only C_Sign is ever asked of it. Signing is thread-safe.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-signer.h"

G_BEGIN_DECLS

#define NUSEC_TYPE_PKCS11_SIGNER (nusec_pkcs11_signer_get_type())
G_DECLARE_FINAL_TYPE(NuSecPkcs11Signer, nusec_pkcs11_signer, NUSEC, PKCS11_SIGNER, GObject)

/* finds the private key (and its public half) the URI names; exactly one must match */
NuSecSigner *
nusec_pkcs11_signer_new_from_uri(const gchar *uri, GError **error);

/* generates a new key pair on the token the URI names, labelled with the URI's object= (and
 * id= when given); fails if a key with that label already exists */
NuSecSigner *
nusec_pkcs11_signer_generate(const gchar *uri, GError **error);

G_END_DECLS
