/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fwt-fab.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int
fab_fail(char *err, size_t err_len, const char *what, int rc)
{
	char buf[128] = "";
	if (rc != 0)
		mbedtls_strerror(rc, buf, sizeof(buf));
	snprintf(err, err_len, "%s%s%s", what, rc != 0 ? ": " : "", buf);
	return -1;
}

int
fwt_fab_make_attest_cert(const char *ca_key_path,
			 const char *ca_cert_path,
			 const uint8_t pub[FWC_P256_POINT_LEN],
			 const char *chip_id_hex,
			 uint8_t *out,
			 size_t cap,
			 size_t *out_len,
			 char *err,
			 size_t err_len)
{
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context ca_key, subject;
	mbedtls_x509_crt ca;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	uint8_t spki[FWC_P256_SPKI_LEN];
	uint8_t serial_bytes[16];
	char issuer[512];
	char subject_name[128];
	char not_before[16];
	struct tm tm;
	time_t now = time(NULL);
	int rc = -1;
	int ret;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&ca_key);
	mbedtls_pk_init(&subject);
	mbedtls_x509_crt_init(&ca);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);
	*out_len = 0;

	if ((ret = mbedtls_ctr_drbg_seed(&drbg,
					 mbedtls_entropy_func,
					 &entropy,
					 (const unsigned char *)"nusec-fab",
					 9)) != 0) {
		fab_fail(err, err_len, "random generator", ret);
		goto out;
	}
	if ((ret = mbedtls_pk_parse_keyfile(&ca_key, ca_key_path, NULL)) != 0) {
		fab_fail(err, err_len, "cannot read the vendor CA key", ret);
		goto out;
	}
	if ((ret = mbedtls_x509_crt_parse_file(&ca, ca_cert_path)) != 0) {
		fab_fail(err, err_len, "cannot read the vendor CA certificate", ret);
		goto out;
	}
	if ((ret = mbedtls_pk_check_pair(&ca.pk, &ca_key)) != 0) {
		fab_fail(err, err_len, "the vendor CA key does not match its certificate", ret);
		goto out;
	}
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca.subject) < 0) {
		fab_fail(err, err_len, "vendor CA subject too long", 0);
		goto out;
	}
	fwc_p256_point_to_spki(pub, spki);
	if ((ret = mbedtls_pk_parse_public_key(&subject, spki, sizeof(spki))) != 0) {
		fab_fail(err, err_len, "attestation public key", ret);
		goto out;
	}
	snprintf(subject_name, sizeof(subject_name), "CN=%s,O=NuSEC test silicon", chip_id_hex);
	gmtime_r(&now, &tm);
	strftime(not_before, sizeof(not_before), "%Y%m%d%H%M%S", &tm);
	if ((ret = mbedtls_ctr_drbg_random(&drbg, serial_bytes, sizeof(serial_bytes))) != 0) {
		fab_fail(err, err_len, "serial number", ret);
		goto out;
	}
	serial_bytes[0] &= 0x7f;
	serial_bytes[0] |= 0x01;
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &subject);
	mbedtls_x509write_crt_set_issuer_key(&crt, &ca_key);
	if ((ret = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof(serial_bytes))) != 0 ||
	    (ret = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_subject_name(&crt, subject_name)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_issuer_name(&crt, issuer)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_validity(&crt, not_before, "99991231235959")) != 0 ||
	    (ret = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) !=
		0 ||
	    (ret = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0) {
		fab_fail(err, err_len, "certificate fields", ret);
		goto out;
	}
	ret = mbedtls_x509write_crt_der(&crt, out, cap, mbedtls_ctr_drbg_random, &drbg);
	if (ret <= 0) {
		fab_fail(err, err_len, "certificate signature", ret);
		goto out;
	}
	/* written at the end of the buffer */
	memmove(out, out + cap - (size_t)ret, (size_t)ret);
	*out_len = (size_t)ret;
	rc = 0;
out:
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_x509_crt_free(&ca);
	mbedtls_pk_free(&subject);
	mbedtls_pk_free(&ca_key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return rc;
}
