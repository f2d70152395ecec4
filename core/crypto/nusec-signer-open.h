/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "nusec-signer.h"

G_BEGIN_DECLS

/* @key is either a pkcs11: URI (RFC 7512) or the path of a PEM private key file */
NuSecSigner *
nusec_signer_open(const gchar *key, GError **error);

G_END_DECLS
