/*
 * File-key signers (client/signer_file.c) with and without an X.509 chain, and keyfile_certs
 * (PKIX-SSH identity files). Known answers: the x509v3 blobs equal the asyncssh-made blobs of
 * the same leaf + intermediate (data/x509_*.bin, see data/x509_make_fixtures.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keyfile.h"
#include "signer_file.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/sshsig.h"
#include "ssh/x509key.h"
#include "t.h"
#include "t_sign.h"
#include "x509chain.h"

static const uint8_t msg[] = "session id || userauth request";

static EVP_PKEY *load_key(const char *k)
{
	char path[128];
	EVP_PKEY *pk = NULL;

	snprintf(path, sizeof(path), "data/x509_%s.key.pem", k);
	CHECK_EQ_INT(keyfile_load(path, NULL, &pk, NULL, 0), 0);
	return pk;
}

static STACK_OF(X509) * load_chain(const char *k)
{
	char path[128];
	STACK_OF(X509) *ch = sk_X509_new_null();
	size_t n = 0;

	snprintf(path, sizeof(path), "data/x509_%s.chain.pem", k);
	CHECK_EQ_INT(keyfile_certs(path, 10, ch, &n, NULL, 0), 0);
	CHECK_EQ_INT(n, 2);
	return ch;
}

/* the rows the engine may offer the signer for are exactly want (any order) */
static int algs_are(struct signer *s, const char *const *want)
{
	const struct hostkey_alg *row;
	size_t i, j;
	int listed, ok = 1;

	for (i = 0; (row = hostkey_alg_at(i)) != NULL; i++) {
		for (listed = 0, j = 0; want[j] != NULL; j++) {
			listed |= strcmp(want[j], row->name) == 0;
		}
		if (signer_fits(s, row) != listed) {
			fprintf(stderr, "%s: fits %d, want %d\n", row->name, !listed, listed);
			ok = 0;
		}
	}
	return ok;
}

/* the signer's blob for alg is the fixture, parses, and a signature from it verifies with
 * the leaf's key (and not over other data) */
static void check_alg(struct signer *s, const char *alg, const char *fixture)
{
	const struct hostkey_alg *row = hostkey_alg_by_name(alg);
	struct x509_blob xb;
	EVP_PKEY *leafkey = NULL;
	uint8_t *want = NULL;
	size_t wlen = 0;
	struct buf blob, sig;
	char path[128];

	buf_init(&blob);
	buf_init(&sig);
	snprintf(path, sizeof(path), "data/%s.bin", fixture);
	want = t_slurp(path, &wlen);
	CHECK(want != NULL && row != NULL);
	if (want == NULL || row == NULL) {
		goto out;
	}
	CHECK_EQ_INT(signer_key_blob(s, row, &blob), 0);
	CHECK(buf_len(&blob) == wlen && memcmp(buf_ptr(&blob), want, wlen) == 0);
	CHECK_EQ_INT(x509blob_parse(row, buf_ptr(&blob), buf_len(&blob), 0, &xb), 0);
	CHECK_EQ_INT(xb.ncerts, 2);
	CHECK_EQ_INT(x509blob_leaf_key(&xb, &leafkey), 0);
	CHECK_EQ_INT(t_sign_ssh(s, alg, msg, sizeof(msg), &sig), 0);
	CHECK_EQ_INT(
	    sshsig_verify(row, leafkey, buf_ptr(&sig), buf_len(&sig), msg, sizeof(msg)), 0);
	CHECK_EQ_INT(
	    sshsig_verify(row, leafkey, buf_ptr(&sig), buf_len(&sig), msg, sizeof(msg) - 1),
	    SSH_ERR_SIGNATURE);
out:
	EVP_PKEY_free(leafkey);
	buf_free(&blob);
	buf_free(&sig);
	free(want);
}

static void test_rsa_chain(void)
{
	static const char *const fits[] = {"x509v3-rsa2048-sha256", "x509v3-ssh-rsa",
	    "x509v3-sign-rsa", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", NULL};
	struct signer *s = NULL;
	struct buf b, plain;
	EVP_PKEY *pk;

	buf_init(&b);
	buf_init(&plain);
	pk = load_key("rsa2048");
	CHECK_EQ_INT(signer_file_new_x509(pk, load_chain("rsa2048"), "k", &s), 0);
	if (s == NULL) {
		goto out;
	}
	CHECK(algs_are(s, fits));
	check_alg(s, "x509v3-ssh-rsa", "x509_ssh_rsa");
	check_alg(s, "x509v3-rsa2048-sha256", "x509_rsa2048_sha256");
	/* x509v3-sign-rsa: the bare leaf */
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name("x509v3-sign-rsa"), &b), 0);
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name("x509v3-ecdsa-sha2-nistp256"), &b),
	    SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(
	    signer_key_blob(s, hostkey_alg_by_name("x509v3-nonsense"), &b), SSH_ERR_NO_ALGO);
	CHECK_EQ_INT(t_sign_ssh(s, "ssh-ed25519", msg, sizeof(msg), &b), SIGNER_ERR_UNSUPPORTED);
	/* the plain names still give the plain blob */
	buf_reset(&b);
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name("rsa-sha2-256"), &b), 0);
	CHECK_EQ_INT(sshkey_to_blob(pk, hostkey_alg_by_name("rsa-sha2-256"), &plain), 0);
	CHECK(buf_len(&b) == buf_len(&plain) &&
	      memcmp(buf_ptr(&b), buf_ptr(&plain), buf_len(&b)) == 0);
	/* x509v3-rsa2048-sha256 is named rsa2048-sha256 inside the signature (RFC 6187) */
	buf_reset(&b);
	CHECK_EQ_INT(t_sign_ssh(s, "x509v3-rsa2048-sha256", msg, sizeof(msg), &b), 0);
	CHECK(buf_len(&b) > 18 && memcmp(buf_ptr(&b), "\0\0\0\x0ersa2048-sha256", 18) == 0);
out:
	signer_free(s);
	buf_free(&b);
	buf_free(&plain);
}

static void test_ec_chain(void)
{
	static const char *const defaults[] = {
	    "x509v3-ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", NULL};
	struct signer *s = NULL;
	struct buf b;

	buf_init(&b);
	CHECK_EQ_INT(signer_file_new_x509(load_key("ec256"), load_chain("ec256"), "k", &s), 0);
	if (s == NULL) {
		return;
	}
	CHECK(algs_are(s, defaults));
	check_alg(s, "x509v3-ecdsa-sha2-nistp256", "x509_nistp256");
	CHECK_EQ_INT(
	    signer_key_blob(s, hostkey_alg_by_name("x509v3-ssh-rsa"), &b), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name("x509v3-ecdsa-sha2-nistp384"), &b),
	    SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(buf_len(&b), 0);
	signer_free(s);
	buf_free(&b);
}

static void test_plain_and_refused(void)
{
	static const char *const plain_defaults[] = {"ecdsa-sha2-nistp256", NULL};
	STACK_OF(X509) *empty = sk_X509_new_null();
	struct signer *s = NULL;
	struct buf b;
	EVP_PKEY *pk;

	buf_init(&b);
	/* without a chain: no x509v3 name, no x509v3 blob */
	CHECK_EQ_INT(signer_file_new(load_key("ec256"), "k", &s), 0);
	CHECK(s != NULL && algs_are(s, plain_defaults));
	if (s != NULL) {
		CHECK_EQ_INT(
		    signer_key_blob(s, hostkey_alg_by_name("x509v3-ecdsa-sha2-nistp256"), &b),
		    SSH_ERR_KEY_TYPE);
		CHECK_EQ_INT(buf_len(&b), 0);
	}
	signer_free(s);
	s = NULL;

	/* a certificate for another key: refused (both handed over all the same) */
	pk = load_key("rsa2048");
	CHECK_EQ_INT(signer_file_new_x509(pk, load_chain("ec256"), "k", &s), SSH_ERR_KEY_TYPE);
	CHECK(s == NULL);
	pk = load_key("ec384");
	CHECK_EQ_INT(signer_file_new_x509(pk, load_chain("ec256"), "k", &s), SSH_ERR_KEY_TYPE);
	CHECK(s == NULL);
	/* an empty chain is a caller bug */
	CHECK_EQ_INT(signer_file_new_x509(load_key("ec256"), empty, "k", &s), SSH_ERR_INTERNAL);
	CHECK(s == NULL);
	CHECK_EQ_INT(signer_file_new_x509(NULL, load_chain("ec256"), "k", &s), SSH_ERR_INTERNAL);

	/* signer_file_cert_matches */
	{
		STACK_OF(X509) *ch = load_chain("rsa2048");
		EVP_PKEY *rsa = load_key("rsa2048"), *ec = load_key("ec256");
		CHECK_EQ_INT(signer_file_cert_matches(rsa, sk_X509_value(ch, 0)), 1);
		CHECK_EQ_INT(signer_file_cert_matches(ec, sk_X509_value(ch, 0)), 0);
		CHECK_EQ_INT(signer_file_cert_matches(rsa, sk_X509_value(ch, 1)), 0);
		CHECK_EQ_INT(signer_file_cert_matches(rsa, NULL), 0);
		EVP_PKEY_free(rsa);
		EVP_PKEY_free(ec);
		sk_X509_pop_free(ch, X509_free);
	}
	buf_free(&b);
}

/* write a..c into a temp file; returns its path in p */
static int write_tmp(char *p, size_t plen, const char *const *parts)
{
	FILE *f;
	uint8_t *d;
	size_t i, n;
	int fd, ok = 1;

	snprintf(p, plen, "/tmp/test_signer_file.XXXXXX");
	if ((fd = mkstemp(p)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		return 0;
	}
	for (i = 0; parts[i] != NULL; i++) {
		if ((d = t_slurp(parts[i], &n)) == NULL || fwrite(d, 1, n, f) != n) {
			ok = 0;
		}
		free(d);
	}
	fclose(f);
	return ok;
}

static void test_keyfile_certs(void)
{
	const char *const pkix[] = {
	    "data/x509_ec256.key.pem", "data/x509_ec256.pem", "data/x509_inter.pem", NULL};
	const char *const enc[] = {"data/key_rsa_trad_enc.pem", "data/x509_rsa2048.pem", NULL};
	const char *const keyonly[] = {"data/x509_ec256.key.pem", NULL};
	STACK_OF(X509) *pool = sk_X509_new_null(), *chain = NULL;
	struct signer *s = NULL;
	EVP_PKEY *pk = NULL;
	char path[64], err[128];
	size_t n = 0;

	CHECK(pool != NULL);
	/* PKIX-SSH identity file: the key loads as usual, the certificates come separately */
	CHECK(write_tmp(path, sizeof(path), pkix));
	CHECK_EQ_INT(keyfile_load(path, NULL, &pk, NULL, 0), 0);
	CHECK_EQ_INT(keyfile_certs(path, 10, pool, &n, NULL, 0), 0);
	CHECK_EQ_INT(n, 2);
	if (pk != NULL && n == 2) {
		CHECK_EQ_INT(x509chain_build(sk_X509_value(pool, 0), pool, 0, 10, &chain), 0);
		CHECK_EQ_INT(signer_file_new_x509(pk, chain, path, &s), 0);
		pk = NULL;
		if (s != NULL) {
			check_alg(s, "x509v3-ecdsa-sha2-nistp256", "x509_nistp256");
		}
		signer_free(s);
	}
	EVP_PKEY_free(pk);
	/* the cap on the pool */
	CHECK_EQ_INT(keyfile_certs(path, 3, pool, &n, NULL, 0), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(sk_X509_num(pool), 2);
	unlink(path);

	/* the certificates of an encrypted key file are read without its passphrase */
	CHECK(write_tmp(path, sizeof(path), enc));
	CHECK_EQ_INT(keyfile_certs(path, 10, pool, &n, NULL, 0), 0);
	CHECK_EQ_INT(n, 1);
	unlink(path);

	CHECK(write_tmp(path, sizeof(path), keyonly));
	CHECK_EQ_INT(keyfile_certs(path, 10, pool, &n, NULL, 0), 0);
	CHECK_EQ_INT(n, 0);
	unlink(path);
	err[0] = '\0';
	CHECK(keyfile_certs("data/no-such-file", 10, pool, &n, err, sizeof(err)) < 0);
	CHECK(err[0] != '\0');
	CHECK_EQ_INT(sk_X509_num(pool), 3);
	sk_X509_pop_free(pool, X509_free);
}

/* the file signer's raw output (signer.h): r || s of the field size for ECDSA, the modulus
 * length for RSA, 64 bytes for Ed25519; a primitive the key cannot make is refused */
static void test_raw_output(void)
{
	static const struct {
		const char *key, *alg;
		size_t len;
	} rows[] = {
	    {"data/x509_ec256.key.pem", "ecdsa-sha2-nistp256", 64},
	    {"data/x509_rsa2048.key.pem", "rsa-sha2-512", 256},
	    {"data/key_ed25519", "ssh-ed25519", 64},
	};
	struct signer_req req, bad;
	struct signer *s;
	EVP_PKEY *pk;
	uint8_t *raw;
	size_t i, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pk = NULL;
		s = NULL;
		raw = NULL;
		len = 0;
		CHECK_EQ_INT(keyfile_load(rows[i].key, NULL, &pk, NULL, 0), 0);
		CHECK_EQ_INT(signer_file_new(pk, rows[i].key, &s), 0);
		if (s == NULL) {
			continue;
		}
		CHECK_EQ_INT(
		    sshsig_request(hostkey_alg_by_name(rows[i].alg), msg, sizeof(msg), &req), 0);
		CHECK_EQ_INT(s->ops->sign(s, &req, &raw, &len), SIGNER_OK);
		CHECK_EQ_INT(len, rows[i].len);
		free(raw);
		raw = NULL;
		bad = req;
		bad.prim = req.prim == SIGNER_ED25519 ? SIGNER_RSA_PKCS1 : SIGNER_ED25519;
		bad.digest = bad.prim == SIGNER_ED25519 ? NULL : "SHA256";
		CHECK_EQ_INT(s->ops->sign(s, &bad, &raw, &len), SIGNER_ERR_UNSUPPORTED);
		CHECK(raw == NULL && len == 0);
		signer_free(s);
	}
}

/* ---- an encrypted key offered by its public half: the passphrase through the caller ---- */

static int unlock_calls;

/* the unlock callback: "right" is the passphrase of data/x509_ec256.key.pem, "other" gives
 * another key, "gone" a key that cannot be read any more */
static int unlock(void *arg, const char *pass, EVP_PKEY **priv, char *why, size_t whylen)
{
	(void)arg;
	unlock_calls++;
	if (strcmp(pass, "gone") == 0) {
		snprintf(why, whylen, "Load key: no such file");
		return SIGNER_ERR_SYSTEM;
	}
	if (strcmp(pass, "right") != 0 && strcmp(pass, "other") != 0) {
		return SIGNER_ERR_PASSPHRASE;
	}
	return keyfile_load(
	           strcmp(pass, "right") == 0 ? "data/x509_ec256.key.pem" : "data/key_ecdsa256",
	           NULL, priv, NULL, 0) == 0
	           ? 0
	           : SIGNER_ERR_INTERNAL;
}

/* the public half of a key file */
static EVP_PKEY *public_half(const char *path)
{
	EVP_PKEY *pk = NULL, *pub = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int n;

	CHECK_EQ_INT(keyfile_load(path, NULL, &pk, NULL, 0), 0);
	if (pk != NULL && (n = i2d_PUBKEY(pk, &der)) > 0) {
		p = der;
		pub = d2i_PUBKEY(NULL, &p, n);
	}
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return pub;
}

static int answer(struct signer *s, const char *pass, uint8_t **sig, size_t *len)
{
	return s->ops->secret_answer(s, pass, sig, len);
}

static void test_deferred_passphrase(void)
{
	const struct hostkey_alg *row = hostkey_alg_by_name("ecdsa-sha2-nistp256");
	struct signer_req req;
	struct signer *s = NULL;
	uint8_t data[sizeof(msg)], *sig = NULL;
	const char *q;
	size_t len = 0;
	struct buf blob;
	int flags = -1, i;

	buf_init(&blob);
	CHECK_EQ_INT(signer_file_new(public_half("data/x509_ec256.key.pem"), "/k/id_ec", &s), 0);
	if (s == NULL) {
		return;
	}
	CHECK_EQ_INT(signer_file_set_unlock(s, unlock, NULL), 0);
	memcpy(data, msg, sizeof(msg));
	CHECK_EQ_INT(sshsig_request(row, data, sizeof(data), &req), 0);
	/* the question, asked through the caller; the request is the signer's copy */
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_NEED_SECRET);
	memset(data, 0, sizeof(data));
	q = s->ops->secret_prompt(s, &flags);
	CHECK(q != NULL && strcmp(q, "Enter passphrase for key '/k/id_ec': ") == 0);
	CHECK_EQ_INT(flags, 0);
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_ERR_INTERNAL); /* one at a time */
	/* three wrong passphrases: asked again twice, then the key is skipped */
	unlock_calls = 0;
	for (i = 0; i < SIGNER_FILE_PASSPHRASE_TRIES - 1; i++) {
		CHECK_EQ_INT(answer(s, "wrong", &sig, &len), SIGNER_NEED_SECRET);
		CHECK(s->ops->secret_prompt(s, &flags) != NULL);
		CHECK_EQ_INT(flags, SIGNER_SECRET_RETRY);
	}
	CHECK_EQ_INT(answer(s, "wrong", &sig, &len), SIGNER_ERR_DECLINED);
	CHECK_EQ_INT(unlock_calls, SIGNER_FILE_PASSPHRASE_TRIES);
	CHECK(strcmp(signer_error(s), "incorrect passphrase (3 tries): key skipped") == 0);
	CHECK(s->ops->secret_prompt(s, &flags) == NULL);
	CHECK_EQ_INT(answer(s, "right", &sig, &len), SIGNER_ERR_INTERNAL); /* nothing pending */
	/* an empty answer, or none, skips the key without trying it */
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(answer(s, "", &sig, &len), SIGNER_ERR_DECLINED);
	CHECK(strcmp(signer_error(s), "no passphrase given: key skipped") == 0);
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(answer(s, NULL, &sig, &len), SIGNER_ERR_DECLINED);
	CHECK_EQ_INT(unlock_calls, SIGNER_FILE_PASSPHRASE_TRIES);
	/* a key file that no longer loads: skipped, saying why */
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(answer(s, "gone", &sig, &len), SIGNER_ERR_DECLINED);
	CHECK(strstr(signer_error(s), "no such file") != NULL);
	/* the private key of another key: refused */
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(answer(s, "other", &sig, &len), SIGNER_ERR_KEY_MISMATCH);
	CHECK(sig == NULL);
	/* the right one, after a wrong one: the signature over the data given to sign() */
	memcpy(data, msg, sizeof(msg));
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_NEED_SECRET);
	memset(data, 0, sizeof(data));
	CHECK_EQ_INT(answer(s, "wrong", &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(answer(s, "right", &sig, &len), SIGNER_OK);
	CHECK(sig != NULL && len == 64);
	CHECK_EQ_INT(sshsig_from_raw(row, s->ops->pubkey(s), sig, len, &blob), 0);
	CHECK_EQ_INT(
	    sshsig_verify(row, s->ops->pubkey(s), buf_ptr(&blob), buf_len(&blob), msg, sizeof(msg)),
	    0);
	free(sig);
	sig = NULL;
	/* decrypted: the next signature asks nothing */
	unlock_calls = 0;
	memcpy(data, msg, sizeof(msg));
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_OK);
	CHECK_EQ_INT(unlock_calls, 0);
	free(sig);
	buf_free(&blob);
	signer_free(s);
	ERR_clear_error();
}

/* ---- the used callback (AddKeysToAgent): once, after the first signature ---- */

static int used_calls;
static const EVP_PKEY *used_key;

static void used(void *arg, const EVP_PKEY *priv)
{
	CHECK(arg == &used_calls);
	used_calls++;
	used_key = priv;
}

static void test_used(void)
{
	const struct hostkey_alg *row = hostkey_alg_by_name("ecdsa-sha2-nistp256");
	struct signer_req req, bad;
	struct signer *s = NULL, *d = NULL;
	EVP_PKEY *pk = load_key("ec256");
	BIGNUM *bn = NULL;
	uint8_t *sig = NULL;
	size_t len = 0;

	/* an unencrypted key: not at a refused request, once at the first signature */
	CHECK_EQ_INT(signer_file_new(pk, "/k/plain", &s), 0);
	if (s == NULL) {
		return;
	}
	CHECK_EQ_INT(signer_file_set_used(s, used, &used_calls), 0);
	CHECK_EQ_INT(sshsig_request(row, msg, sizeof(msg), &req), 0);
	bad = req;
	bad.prim = SIGNER_ED25519;
	bad.digest = NULL;
	used_calls = 0;
	CHECK_EQ_INT(s->ops->sign(s, &bad, &sig, &len), SIGNER_ERR_UNSUPPORTED);
	CHECK_EQ_INT(used_calls, 0);
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_OK);
	CHECK_EQ_INT(used_calls, 1);
	CHECK(used_key == s->ops->pubkey(s));
	free(sig);
	sig = NULL;
	CHECK_EQ_INT(s->ops->sign(s, &req, &sig, &len), SIGNER_OK);
	CHECK_EQ_INT(used_calls, 1);
	free(sig);
	sig = NULL;
	signer_free(s);

	/* an encrypted one: not at the question, nor at a wrong passphrase; with the private key
	 * once the passphrase made the signature */
	CHECK_EQ_INT(signer_file_new(public_half("data/x509_ec256.key.pem"), "/k/enc", &d), 0);
	if (d == NULL) {
		return;
	}
	CHECK_EQ_INT(signer_file_set_unlock(d, unlock, NULL), 0);
	CHECK_EQ_INT(signer_file_set_used(d, used, &used_calls), 0);
	used_calls = 0;
	CHECK_EQ_INT(d->ops->sign(d, &req, &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(answer(d, "wrong", &sig, &len), SIGNER_NEED_SECRET);
	CHECK_EQ_INT(used_calls, 0);
	CHECK_EQ_INT(answer(d, "right", &sig, &len), SIGNER_OK);
	CHECK_EQ_INT(used_calls, 1);
	CHECK(used_key == d->ops->pubkey(d)); /* the private key now */
	CHECK(used_key != NULL && EVP_PKEY_get_bn_param(used_key, "priv", &bn) == 1);
	BN_clear_free(bn);
	free(sig);
	signer_free(d);
	ERR_clear_error();
}

int main(void)
{
	test_raw_output();
	test_deferred_passphrase();
	test_used();
	test_rsa_chain();
	test_ec_chain();
	test_plain_and_refused();
	test_keyfile_certs();
	ERR_clear_error();
	T_DONE();
}
