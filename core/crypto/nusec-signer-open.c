/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-signer-open.h"

#include "nusec-pem-signer.h"
#include "nusec-pkcs11-signer.h"

NuSecSigner *
nusec_signer_open(const gchar *key, GError **error)
{
	if (g_str_has_prefix(key, "pkcs11:"))
		return nusec_pkcs11_signer_new_from_uri(key, error);
	return nusec_pem_signer_new_from_file(key, error);
}
