/*
 * NuSecPemSigner: an ECDSA P-256 key read from a PEM file (PKCS#8 or SEC1), for tests and
 * for imgtool-style signing with a key file. Production keys live in an HSM instead.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-signer.h"

G_BEGIN_DECLS

#define NUSEC_TYPE_PEM_SIGNER (nusec_pem_signer_get_type())
G_DECLARE_FINAL_TYPE(NuSecPemSigner, nusec_pem_signer, NUSEC, PEM_SIGNER, GObject)

NuSecSigner *
nusec_pem_signer_new_from_file(const gchar *path, GError **error);
NuSecSigner *
nusec_pem_signer_new_from_data(const gchar *pem, gsize len, GError **error);
/* a fresh random key held in memory only (tests) */
NuSecSigner *
nusec_pem_signer_new_random(GError **error);

G_END_DECLS
