/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#define NUSEC_ERROR nusec_error_quark()

/**
 * NuSecError:
 * @NUSEC_ERROR_INTERNAL: a bug or an unexpected library failure
 * @NUSEC_ERROR_INVALID_ARGUMENT: the caller passed something unusable (bad option, bad URI)
 * @NUSEC_ERROR_INVALID_DATA: input failed to parse (truncated, oversized, wrong type)
 * @NUSEC_ERROR_SIGNATURE_INVALID: a signature or an authentication tag does not verify
 * @NUSEC_ERROR_NOT_FOUND: a key, object, token or file does not exist
 * @NUSEC_ERROR_NOT_SUPPORTED: a valid request this build or device cannot do
 * @NUSEC_ERROR_CRYPTO: the crypto library failed
 * @NUSEC_ERROR_PKCS11: the PKCS#11 module returned an error
 * @NUSEC_ERROR_AUTH_FAILED: wrong PIN or credential
 * @NUSEC_ERROR_ROLLBACK: a security counter or version is older than allowed
 */
typedef enum {
	NUSEC_ERROR_INTERNAL,
	NUSEC_ERROR_INVALID_ARGUMENT,
	NUSEC_ERROR_INVALID_DATA,
	NUSEC_ERROR_SIGNATURE_INVALID,
	NUSEC_ERROR_NOT_FOUND,
	NUSEC_ERROR_NOT_SUPPORTED,
	NUSEC_ERROR_CRYPTO,
	NUSEC_ERROR_PKCS11,
	NUSEC_ERROR_AUTH_FAILED,
	NUSEC_ERROR_ROLLBACK,
} NuSecError;

GQuark
nusec_error_quark(void);

/* sets @error from the OpenSSL error queue (which it clears), prefixed by @what */
void
nusec_error_set_openssl(GError **error, const gchar *what);
