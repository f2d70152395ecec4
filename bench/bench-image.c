/*
 * Verification speed of a 256 KiB MCUboot image: the firmware-side verifier (fwc_image_verify,
 * PSA Crypto API over mbedTLS) against OpenSSL doing the same work (SHA-256 of header + body +
 * protected TLVs, ECDSA P-256 verification of the DER signature). Prints both rates and their
 * ratio. Not a test: run it by hand (ninja -C build bench/bench-image && build/bench/bench-image).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include "nusec-image.h"
#include "nusec-openssl.h"
#include "nusec-pem-signer.h"

#define BENCH_IMAGE_BODY_SIZE (256 * 1024)
#define BENCH_IMAGE_SECONDS   1.0

typedef gboolean (*BenchFunc)(const guint8 *img, gsize len, gpointer user_data);

typedef struct {
	const guint8 *point;
} BenchFwc;

typedef struct {
	EVP_PKEY *pkey;
	fwc_image_info info;
} BenchOpenssl;

static gboolean
bench_fwc(const guint8 *img, gsize len, gpointer user_data)
{
	BenchFwc *b = user_data;
	fwc_image_trust trust = {.mode = FWC_IMAGE_TRUST_PUBLIC_KEY, .public_key = b->point};
	return fwc_image_verify(img, len, &trust, NULL) == FWC_IMAGE_OK;
}

static gboolean
bench_openssl(const guint8 *img, gsize len, gpointer user_data)
{
	BenchOpenssl *b = user_data;
	g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new(b->pkey, NULL);
	guint8 digest[32];
	guint digest_len = sizeof(digest);

	if (EVP_Digest(img, b->info.signed_len, digest, &digest_len, EVP_sha256(), NULL) != 1)
		return FALSE;
	if (memcmp(digest, b->info.hash, sizeof(digest)) != 0)
		return FALSE;
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1)
		return FALSE;
	return EVP_PKEY_verify(ctx,
			       img + b->info.sig_offset,
			       b->info.sig_len,
			       digest,
			       sizeof(digest)) == 1;
}

static gboolean
bench_fwc_hash(const guint8 *img, gsize len, gpointer user_data)
{
	guint8 digest[FWC_SHA256_LEN];
	return fwc_sha256(img, len, digest) == FWC_CRYPTO_OK;
}

static gboolean
bench_openssl_hash(const guint8 *img, gsize len, gpointer user_data)
{
	guint8 digest[32];
	guint digest_len = sizeof(digest);
	return EVP_Digest(img, len, digest, &digest_len, EVP_sha256(), NULL) == 1;
}

/* operations per second */
static gdouble
bench_run(const gchar *name, BenchFunc func, const guint8 *img, gsize len, gpointer user_data)
{
	gint64 start = g_get_monotonic_time();
	gint64 elapsed;
	guint count = 0;
	gdouble rate;

	do {
		if (!func(img, len, user_data))
			g_error("%s: the image does not verify", name);
		count++;
		elapsed = g_get_monotonic_time() - start;
	} while (elapsed < (gint64)(BENCH_IMAGE_SECONDS * G_USEC_PER_SEC));
	rate = count / (elapsed / (gdouble)G_USEC_PER_SEC);
	printf("%-30s %8.1f /s  %8.1f MiB/s\n", name, rate, rate * len / (1024.0 * 1024.0));
	return rate;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(NuSecSigner) signer = nusec_pem_signer_new_random(&error);
	g_autoptr(GBytes) spki = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autofree guint8 *body_buf = g_malloc(BENCH_IMAGE_BODY_SIZE);
	g_autoptr(GBytes) body = NULL;
	guint8 point[FWC_P256_POINT_LEN];
	NuSecImageSignOptions opts;
	BenchFwc fwc = {.point = point};
	BenchOpenssl ossl = {0};
	const guint8 *p;
	gdouble rate_fwc;
	gdouble rate_openssl;

	if (signer == NULL)
		g_error("%s", error->message);
	for (gsize i = 0; i < BENCH_IMAGE_BODY_SIZE; i++)
		body_buf[i] = (guint8)g_random_int();
	body = g_bytes_new_take(g_steal_pointer(&body_buf), BENCH_IMAGE_BODY_SIZE);
	nusec_image_sign_options_init(&opts);
	opts.header_size = 0x200;
	opts.security_counter_mode = NUSEC_IMAGE_SECURITY_COUNTER_AUTO;
	image = nusec_image_sign(signer, body, &opts, &error);
	if (image == NULL || !nusec_signer_get_public_point(signer, point, &error))
		g_error("%s", error->message);
	spki = nusec_signer_get_public_key(signer, &error);
	if (spki == NULL || !nusec_image_parse(image, &ossl.info, &error))
		g_error("%s", error->message);
	p = g_bytes_get_data(spki, NULL);
	ossl.pkey = d2i_PUBKEY(NULL, &p, (long)g_bytes_get_size(spki));
	if (ossl.pkey == NULL)
		g_error("cannot load the public key");

	printf("MCUboot image: %u KiB body, %" G_GSIZE_FORMAT " bytes in all, ECDSA P-256\n",
	       (guint)(BENCH_IMAGE_BODY_SIZE / 1024),
	       g_bytes_get_size(image));
	rate_fwc = bench_run("verify, firmware (PSA/mbedTLS)",
			     bench_fwc,
			     g_bytes_get_data(image, NULL),
			     g_bytes_get_size(image),
			     &fwc);
	rate_openssl = bench_run("verify, OpenSSL",
				 bench_openssl,
				 g_bytes_get_data(image, NULL),
				 g_bytes_get_size(image),
				 &ossl);
	printf("ratio OpenSSL / firmware:       %.2f\n", rate_openssl / rate_fwc);
	/* where the time goes: the hash over the whole image */
	rate_fwc = bench_run("SHA-256 only, firmware",
			     bench_fwc_hash,
			     g_bytes_get_data(image, NULL),
			     g_bytes_get_size(image),
			     NULL);
	rate_openssl = bench_run("SHA-256 only, OpenSSL",
				 bench_openssl_hash,
				 g_bytes_get_data(image, NULL),
				 g_bytes_get_size(image),
				 NULL);
	printf("ratio OpenSSL / firmware:       %.2f\n", rate_openssl / rate_fwc);
	EVP_PKEY_free(ossl.pkey);
	return 0;
}
