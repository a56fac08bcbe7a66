/*
 * The engine's side of signers (client/ssh/sshsig.c): raw primitive output (RSA signature bytes,
 * ECDSA r || s, Ed25519's 64 bytes) becomes the SSH signature blob, checked with OpenSSL's
 * verification of that blob (sshsig_verify); the requests the rows make; the in-memory raw
 * signer; which rows a key fits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "err.h"
#include "sshkey.h"
#include "signer.h"
#include "sshsig.h"
#include "t.h"

static const uint8_t msg[] = "session id || userauth request";

/* raw-sign msg for alg with priv, encode, verify; returns the raw length */
static size_t round_trip(const char *alg, EVP_PKEY *priv)
{
	const struct hostkey_alg *row = hostkey_alg_by_name(alg);
	struct signer_req req;
	uint8_t *raw = NULL;
	size_t len = 0;
	struct buf b;

	buf_init(&b);
	CHECK(row != NULL);
	CHECK_EQ_INT(sshsig_request(row, msg, sizeof(msg), &req), 0);
	CHECK_EQ_INT(sshsig_raw_sign(priv, &req, &raw, &len), SIGNER_OK);
	CHECK_EQ_INT(sshsig_from_raw(row, priv, raw, len, &b), 0);
	CHECK_EQ_INT(sshsig_verify(row, priv, buf_ptr(&b), buf_len(&b), msg, sizeof(msg)), 0);
	CHECK_EQ_INT(sshsig_verify(row, priv, buf_ptr(&b), buf_len(&b), msg, sizeof(msg) - 1),
	    SSH_ERR_SIGNATURE);
	free(raw);
	buf_free(&b);
	return len;
}

static void test_requests(void)
{
	static const struct {
		const char *alg;
		enum signer_prim prim;
		const char *digest;
	} rows[] = {
	    {"ssh-ed25519", SIGNER_ED25519, NULL},
	    {"ecdsa-sha2-nistp256", SIGNER_ECDSA, "SHA256"},
	    {"ecdsa-sha2-nistp521", SIGNER_ECDSA, "SHA512"},
	    {"rsa-sha2-512", SIGNER_RSA_PKCS1, "SHA512"},
	    {"ssh-rsa", SIGNER_RSA_PKCS1, "SHA1"},
	    {"x509v3-ssh-rsa", SIGNER_RSA_PKCS1, "SHA1"},
	    {"x509v3-rsa2048-sha256", SIGNER_RSA_PKCS1, "SHA256"},
	    {"x509v3-ecdsa-sha2-nistp384", SIGNER_ECDSA, "SHA384"},
	};
	struct signer_req req;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_EQ_INT(sshsig_request(hostkey_alg_by_name(rows[i].alg), msg, 3, &req), 0);
		CHECK_EQ_INT(req.prim, rows[i].prim);
		CHECK(rows[i].digest == NULL
		          ? req.digest == NULL
		          : req.digest != NULL && strcmp(req.digest, rows[i].digest) == 0);
		CHECK(req.data == msg && req.len == 3);
	}
	CHECK_EQ_INT(sshsig_request(NULL, msg, 3, &req), SSH_ERR_NO_ALGO);
}

static void test_rsa(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	const struct hostkey_alg *row = hostkey_alg_by_name("rsa-sha2-256");
	struct signer_req req;
	uint8_t *raw = NULL, big[257];
	size_t len = 0, i;
	struct buf b;
	int tries;

	buf_init(&b);
	CHECK(k != NULL);
	if (k == NULL) {
		return;
	}
	CHECK_EQ_INT(round_trip("rsa-sha2-256", k), 256);
	CHECK_EQ_INT(round_trip("rsa-sha2-512", k), 256);
	CHECK_EQ_INT(round_trip("ssh-rsa", k), 256);
	CHECK_EQ_INT(round_trip("x509v3-rsa2048-sha256", k), 256);
	/* a token may drop leading zero bytes: the engine pads to the modulus length (RFC 8332
	 * 3); find a signature that starts with 0x00 and hand it over without that byte */
	for (tries = 0; tries < 4000; tries++) {
		uint8_t d[8];

		memcpy(d, &tries, sizeof(tries));
		memset(d + sizeof(tries), 0, sizeof(d) - sizeof(tries));
		free(raw);
		raw = NULL;
		CHECK_EQ_INT(sshsig_request(row, d, sizeof(d), &req), 0);
		if (sshsig_raw_sign(k, &req, &raw, &len) != SIGNER_OK) {
			break;
		}
		if (raw[0] == 0) {
			buf_reset(&b);
			CHECK_EQ_INT(sshsig_from_raw(row, k, raw + 1, len - 1, &b), 0);
			/* string name, uint32 256, 256 bytes */
			CHECK_EQ_INT(buf_len(&b), 4 + 12 + 4 + 256);
			CHECK_EQ_INT(
			    sshsig_verify(row, k, buf_ptr(&b), buf_len(&b), d, sizeof(d)), 0);
			break;
		}
	}
	CHECK(tries < 4000);
	free(raw);
	/* longer than the modulus, or empty: refused, out untouched */
	memset(big, 1, sizeof(big));
	buf_reset(&b);
	CHECK_EQ_INT(sshsig_from_raw(row, k, big, sizeof(big), &b), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(sshsig_from_raw(row, k, big, 0, &b), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(buf_len(&b), 0);
	/* the in-memory signer refuses another primitive or a missing hash */
	req.prim = SIGNER_ECDSA;
	CHECK_EQ_INT(sshsig_raw_sign(k, &req, &raw, &len), SIGNER_ERR_UNSUPPORTED);
	req.prim = SIGNER_RSA_PKCS1;
	req.digest = NULL;
	CHECK_EQ_INT(sshsig_raw_sign(k, &req, &raw, &len), SIGNER_ERR_UNSUPPORTED);
	CHECK(raw == NULL && len == 0);
	/* an RSA row does not take an EC key */
	for (i = 0; i < 1; i++) {
		EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		CHECK_EQ_INT(sshsig_from_raw(row, ec, big, 64, &b), SSH_ERR_KEY_TYPE);
		EVP_PKEY_free(ec);
	}
	EVP_PKEY_free(k);
	buf_free(&b);
}

static void test_ecdsa(void)
{
	static const struct {
		const char *curve, *alg;
		size_t half;
	} curves[] = {
	    {"P-256", "ecdsa-sha2-nistp256", 32},
	    {"P-384", "ecdsa-sha2-nistp384", 48},
	    {"P-521", "ecdsa-sha2-nistp521", 66},
	};
	const struct hostkey_alg *row;
	uint8_t zeros[132];
	struct buf b;
	size_t i;

	buf_init(&b);
	memset(zeros, 0, sizeof(zeros));
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i].curve);

		CHECK(k != NULL);
		if (k == NULL) {
			continue;
		}
		/* r || s, each exactly the field size */
		CHECK_EQ_INT(round_trip(curves[i].alg, k), 2 * curves[i].half);
		row = hostkey_alg_by_name(curves[i].alg);
		buf_reset(&b);
		/* odd, oversized or empty halves are refused, out untouched */
		CHECK_EQ_INT(
		    sshsig_from_raw(row, k, zeros, 2 * curves[i].half - 1, &b), SSH_ERR_SIGNATURE);
		CHECK_EQ_INT(
		    sshsig_from_raw(row, k, zeros, 2 * curves[i].half + 2, &b), SSH_ERR_SIGNATURE);
		CHECK_EQ_INT(sshsig_from_raw(row, k, zeros, 0, &b), SSH_ERR_SIGNATURE);
		CHECK_EQ_INT(buf_len(&b), 0);
		/* r = s = 0 encodes (as two empty mpints) but does not verify */
		CHECK_EQ_INT(sshsig_from_raw(row, k, zeros, 2 * curves[i].half, &b), 0);
		CHECK(sshsig_verify(row, k, buf_ptr(&b), buf_len(&b), msg, sizeof(msg)) != 0);
		EVP_PKEY_free(k);
	}
	buf_free(&b);
}

static void test_ed25519(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	const struct hostkey_alg *row = hostkey_alg_by_name("ssh-ed25519");
	uint8_t sig[65];
	struct buf b;

	buf_init(&b);
	CHECK(k != NULL);
	if (k == NULL) {
		return;
	}
	CHECK_EQ_INT(round_trip("ssh-ed25519", k), 64);
	memset(sig, 7, sizeof(sig));
	CHECK_EQ_INT(sshsig_from_raw(row, k, sig, 63, &b), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(sshsig_from_raw(row, k, sig, 65, &b), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(buf_len(&b), 0);
	CHECK_EQ_INT(sshsig_from_raw(row, k, sig, 64, &b), 0);
	/* string "ssh-ed25519", string 64 bytes */
	CHECK_EQ_INT(buf_len(&b), 4 + 11 + 4 + 64);
	CHECK(sshsig_verify(row, k, buf_ptr(&b), buf_len(&b), msg, sizeof(msg)) != 0);
	EVP_PKEY_free(k);
	buf_free(&b);
}

static void test_fits_and_errors(void)
{
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	static const char *const rsa_only[] = {"rsa-sha2-256", NULL};

	CHECK(rsa1024 != NULL && p256 != NULL);
	/* x509v3 rows need a chain; x509v3-rsa2048-sha256 needs 2048 bits */
	CHECK(sshsig_key_fits(rsa1024, 0, hostkey_alg_by_name("rsa-sha2-256")));
	CHECK(!sshsig_key_fits(rsa1024, 0, hostkey_alg_by_name("x509v3-ssh-rsa")));
	CHECK(sshsig_key_fits(rsa1024, 1, hostkey_alg_by_name("x509v3-ssh-rsa")));
	CHECK(!sshsig_key_fits(rsa1024, 1, hostkey_alg_by_name("x509v3-rsa2048-sha256")));
	CHECK(!sshsig_key_fits(rsa1024, 1, NULL));
	/* usable: a named list, or our default list */
	CHECK(sshsig_key_usable(rsa1024, 0, rsa_only));
	CHECK(!sshsig_key_usable(p256, 1, rsa_only));
	CHECK(sshsig_key_usable(p256, 0, NULL));
	/* signer results become the engine's codes (same messages as before) */
	CHECK_EQ_INT(sshsig_signer_err(SIGNER_ERR_PASSPHRASE), SSH_ERR_PASSPHRASE);
	CHECK_EQ_INT(sshsig_signer_err(SIGNER_ERR_KEY_MISMATCH), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(sshsig_signer_err(-999), SSH_ERR_INTERNAL);
	CHECK(strcmp(signer_strerror(SIGNER_ERR_PASSPHRASE), ssh_err_str(SSH_ERR_PASSPHRASE)) == 0);
	CHECK(strcmp(signer_strerror(SIGNER_ERR_KEY_MISMATCH), ssh_err_str(SSH_ERR_KEY_TYPE)) == 0);
	CHECK(strcmp(signer_strerror(SIGNER_ERR_LIBCRYPTO), ssh_err_str(SSH_ERR_LIBCRYPTO)) == 0);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
}

int main(void)
{
	test_requests();
	test_rsa();
	test_ecdsa();
	test_ed25519();
	test_fits_and_errors();
	ERR_clear_error();
	T_DONE();
}
