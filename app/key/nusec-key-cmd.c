/*
 * nusec key: create a signing key inside a PKCS#11 token and show public keys. There is no
 * command that exports a private key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <openssl/pem.h>
#include <stdio.h>

#include "nusec-cli.h"
#include "nusec-error.h"
#include "nusec-openssl.h"
#include "nusec-pkcs11-signer.h"
#include "nusec-signer-open.h"

static gboolean
nusec_key_print_public(NuSecSigner *signer, GError **error)
{
	g_autoptr(GBytes) spki = nusec_signer_get_public_key(signer, error);
	g_autoptr(GBytes) hash = NULL;
	g_autoptr(EVP_PKEY) pkey = NULL;
	g_autoptr(BIO) out = NULL;
	g_autofree gchar *hex = NULL;
	const guint8 *p;

	if (spki == NULL)
		return FALSE;
	hash = nusec_signer_get_key_hash(signer, error);
	if (hash == NULL)
		return FALSE;
	p = g_bytes_get_data(spki, NULL);
	pkey = d2i_PUBKEY(NULL, &p, (long)g_bytes_get_size(spki));
	out = BIO_new_fp(stdout, BIO_NOCLOSE);
	if (pkey == NULL || out == NULL || PEM_write_bio_PUBKEY(out, pkey) != 1) {
		nusec_error_set_openssl(error, "cannot print the public key");
		return FALSE;
	}
	BIO_flush(out);
	hex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, spki);
	printf("key-hash: %s\n", hex);
	return TRUE;
}

static gboolean
nusec_key_parse(gint *argc, gchar ***argv, const gchar *param, const gchar *summary, GError **error)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(param);
	g_option_context_set_summary(ctx, summary);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (*argc != 2) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "expected one argument: %s",
			    param);
		return FALSE;
	}
	return TRUE;
}

static gboolean
nusec_key_generate(gint argc, gchar **argv, GError **error)
{
	g_autoptr(NuSecSigner) signer = NULL;

	if (!nusec_key_parse(&argc,
			     &argv,
			     "PKCS11-URI",
			     "Generates an ECDSA P-256 key pair inside a PKCS#11 token (sensitive, "
			     "not extractable) and prints its public key and key hash.\n"
			     "Example: pkcs11:token=nusec;object=boot-key?pin-value=1234",
			     error))
		return FALSE;
	if (!g_str_has_prefix(argv[1], "pkcs11:")) {
		g_set_error_literal(
		    error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_INVALID_ARGUMENT,
		    "keys are only generated inside a PKCS#11 token: give a pkcs11: URI");
		return FALSE;
	}
	signer = nusec_pkcs11_signer_generate(argv[1], error);
	if (signer == NULL)
		return FALSE;
	return nusec_key_print_public(signer, error);
}

static gboolean
nusec_key_show(gint argc, gchar **argv, GError **error)
{
	g_autoptr(NuSecSigner) signer = NULL;

	if (!nusec_key_parse(&argc,
			     &argv,
			     "KEY",
			     "Prints the public key (PEM) and key hash (SHA-256 of the DER "
			     "SubjectPublicKeyInfo, as in MCUboot's KEYHASH) of a pkcs11: URI or "
			     "a PEM private key file.",
			     error))
		return FALSE;
	signer = nusec_signer_open(argv[1], error);
	if (signer == NULL)
		return FALSE;
	return nusec_key_print_public(signer, error);
}

static const NuSecCliCommand nusec_key_commands[] = {
    {"generate", "create a P-256 signing key inside a PKCS#11 token", nusec_key_generate},
    {"show", "print the public key and key hash of a key", nusec_key_show},
    {NULL, NULL, NULL},
};

const NuSecCliGroup nusec_key_group = {
    .name = "key",
    .summary = "signing keys",
    .commands = nusec_key_commands,
};
