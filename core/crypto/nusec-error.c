/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-error.h"

#include <openssl/err.h>

G_DEFINE_QUARK(NuSecError, nusec_error)

void
nusec_error_set_openssl(GError **error, const gchar *what)
{
	unsigned long code = ERR_get_error();
	gchar buf[256] = "no detail from OpenSSL";

	if (code != 0)
		ERR_error_string_n(code, buf, sizeof(buf));
	ERR_clear_error();
	g_set_error(error, NUSEC_ERROR, NUSEC_ERROR_CRYPTO, "%s: %s", what, buf);
}
