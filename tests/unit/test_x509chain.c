/*
 * The chains we send (client/ssh/x509chain.c): the issuer walk, the blob of a chain (known
 * answer: the asyncssh-made blob data/x509_ssh_rsa.bin of the same leaf + intermediate), and the
 * PEM certificate reader with a truncation / bit-flip sweep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "sshkey.h"
#include "signer.h"
#include "t.h"
#include "x509chain.h"
#include "x509key.h"

static X509 *load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *c = NULL;

	if (f != NULL) {
		c = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return c;
}

/* DER of c equals the file */
static int der_is(X509 *c, const char *path)
{
	uint8_t *der = NULL, *want;
	size_t wlen;
	int l, same;

	if (c == NULL || (want = t_slurp(path, &wlen)) == NULL) {
		return 0;
	}
	l = i2d_X509(c, &der);
	same = l > 0 && (size_t)l == wlen && memcmp(der, want, wlen) == 0;
	OPENSSL_free(der);
	free(want);
	return same;
}

/* a certificate "subject" issued by "issuer" (names only: X509_check_issued does not verify the
 * signature, which is all the walk needs), marked as a CA */
static X509 *fake_cert(const char *subject, const char *issuer, EVP_PKEY *key)
{
	X509 *c = X509_new();
	X509_NAME *s = X509_NAME_new(), *i = X509_NAME_new();
	int ok;

	ok = c != NULL && s != NULL && i != NULL &&
	     X509_NAME_add_entry_by_txt(
	         s, "CN", MBSTRING_ASC, (const unsigned char *)subject, -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(
	         i, "CN", MBSTRING_ASC, (const unsigned char *)issuer, -1, -1, 0) &&
	     X509_set_version(c, 2) && X509_set_subject_name(c, s) && X509_set_issuer_name(c, i) &&
	     X509_gmtime_adj(X509_getm_notBefore(c), 0) &&
	     X509_gmtime_adj(X509_getm_notAfter(c), 3600) && X509_set_pubkey(c, key) &&
	     X509_sign(c, key, EVP_sha256()) > 0;
	X509_NAME_free(s);
	X509_NAME_free(i);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

static void test_build(void)
{
	static const struct {
		size_t max;
		int n;
	} caps[] = {{.max = 2, .n = 2}, {.max = 1, .n = 1}, {.max = 0, .n = 3}};
	size_t i;
	X509 *leaf = load_cert("data/x509_rsa2048.pem");
	X509 *inter = load_cert("data/x509_inter.pem");
	X509 *root = load_cert("data/x509_root.pem");
	X509 *ec = load_cert("data/x509_ec256.pem");
	STACK_OF(X509) *pool = sk_X509_new_null(), *ch = NULL;

	CHECK(leaf != NULL && inter != NULL && root != NULL && ec != NULL && pool != NULL);
	if (leaf == NULL || inter == NULL || root == NULL || ec == NULL || pool == NULL) {
		goto out;
	}
	/* the pool in an order that makes the walk search: root first, an unrelated leaf */
	sk_X509_push(pool, root);
	sk_X509_push(pool, ec);
	sk_X509_push(pool, inter);

	CHECK_EQ_INT(x509chain_build(leaf, pool, 0, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 2);
	CHECK(der_is(sk_X509_value(ch, 0), "data/x509_rsa2048.der"));
	CHECK(der_is(sk_X509_value(ch, 1), "data/x509_inter.der"));
	sk_X509_pop_free(ch, X509_free);

	CHECK_EQ_INT(x509chain_build(leaf, pool, 1, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 3);
	CHECK(sk_X509_num(ch) == 3 && X509_cmp(sk_X509_value(ch, 2), root) == 0);
	sk_X509_pop_free(ch, X509_free);

	/* max: 2 with send_root stops before the root; 0 means X509_BLOB_MAX */
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		CHECK_EQ_INT(x509chain_build(leaf, pool, 1, caps[i].max, &ch), 0);
		CHECK_MSG(sk_X509_num(ch) == caps[i].n, "max %zu: %d certificates, expected %d",
		    caps[i].max, sk_X509_num(ch), caps[i].n);
		sk_X509_pop_free(ch, X509_free);
	}

	/* no pool, or a pool without the issuer: the leaf alone */
	CHECK_EQ_INT(x509chain_build(leaf, NULL, 1, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 1);
	CHECK(sk_X509_num(ch) == 1 && X509_cmp(sk_X509_value(ch, 0), leaf) == 0);
	sk_X509_pop_free(ch, X509_free);
	(void)sk_X509_delete_ptr(pool, inter);
	CHECK_EQ_INT(x509chain_build(leaf, pool, 1, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 1);
	sk_X509_pop_free(ch, X509_free);
	sk_X509_push(pool, inter);

	/* a self-signed leaf is sent alone, even with send_root */
	CHECK_EQ_INT(x509chain_build(root, pool, 1, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 1);
	sk_X509_pop_free(ch, X509_free);

	/* the stack holds its own references */
	CHECK_EQ_INT(x509chain_build(leaf, pool, 0, 10, &ch), 0);
	sk_X509_free(pool);
	pool = NULL;
	X509_free(leaf);
	X509_free(inter);
	leaf = inter = NULL;
	CHECK(sk_X509_num(ch) == 2 && der_is(sk_X509_value(ch, 1), "data/x509_inter.der"));
	sk_X509_pop_free(ch, X509_free);

	CHECK_EQ_INT(x509chain_build(NULL, pool, 0, 10, &ch), SSH_ERR_INTERNAL);
	CHECK(ch == NULL);
out:
	sk_X509_free(pool);
	X509_free(leaf);
	X509_free(inter);
	X509_free(root);
	X509_free(ec);
}

/* A issued B issued A: the walk ends instead of looping */
static void test_loop(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *a = NULL, *b = NULL, *leaf = NULL, *many[20] = {NULL};
	STACK_OF(X509) *pool = sk_X509_new_null(), *ch = NULL;
	char s[16], i[16];
	int k;

	CHECK(key != NULL && pool != NULL);
	if (key == NULL || pool == NULL) {
		goto out;
	}
	a = fake_cert("A", "B", key);
	b = fake_cert("B", "A", key);
	leaf = fake_cert("leaf", "A", key);
	CHECK(a != NULL && b != NULL && leaf != NULL);
	if (a == NULL || b == NULL || leaf == NULL) {
		goto out;
	}
	sk_X509_push(pool, a);
	sk_X509_push(pool, b);
	CHECK_EQ_INT(x509chain_build(leaf, pool, 1, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 3);
	sk_X509_pop_free(ch, X509_free);
	ch = NULL;

	/* a 20-deep line of CAs: capped at max, and at X509_BLOB_MAX for max 0 or huge */
	sk_X509_zero(pool);
	for (k = 0; k < 20; k++) {
		snprintf(s, sizeof(s), "c%d", k);
		snprintf(i, sizeof(i), "c%d", k + 1);
		if ((many[k] = fake_cert(s, i, key)) != NULL) {
			sk_X509_push(pool, many[k]);
		}
	}
	CHECK_EQ_INT(sk_X509_num(pool), 20);
	CHECK_EQ_INT(x509chain_build(many[0], pool, 0, 10, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), 10);
	sk_X509_pop_free(ch, X509_free);
	CHECK_EQ_INT(x509chain_build(many[0], pool, 0, 0, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), X509_BLOB_MAX);
	sk_X509_pop_free(ch, X509_free);
	CHECK_EQ_INT(x509chain_build(many[0], pool, 0, 1000, &ch), 0);
	CHECK_EQ_INT(sk_X509_num(ch), X509_BLOB_MAX);
	sk_X509_pop_free(ch, X509_free);
out:
	for (k = 0; k < 20; k++) {
		X509_free(many[k]);
	}
	sk_X509_free(pool);
	X509_free(a);
	X509_free(b);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

/* a chain as a signer hands it to the engine (signer_der_chain_set), and the engine's RFC 6187
 * blob of it (x509blob_build) equal the asyncssh-made fixture */
static void test_blob(void)
{
	STACK_OF(X509) *pool = sk_X509_new_null(), *ch = NULL, *empty = sk_X509_new_null();
	const struct hostkey_alg *alg = hostkey_alg_by_name("x509v3-ssh-rsa");
	struct signer_der_chain dc = {NULL, NULL, 0};
	uint8_t *pem, *want, *leaf = NULL;
	size_t plen, wlen, n = 0;
	struct buf b;
	int ll;

	buf_init(&b);
	pem = t_slurp("data/x509_rsa2048.chain.pem", &plen);
	want = t_slurp("data/x509_ssh_rsa.bin", &wlen);
	CHECK(pem != NULL && want != NULL && pool != NULL && alg != NULL);
	if (pem == NULL || want == NULL || pool == NULL || alg == NULL) {
		goto out;
	}
	CHECK_EQ_INT(x509_pem_certs(pem, plen, 10, pool, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(x509chain_build(sk_X509_value(pool, 0), pool, 0, 10, &ch), 0);
	CHECK_EQ_INT(signer_der_chain_set(&dc, ch), SIGNER_OK);
	CHECK_EQ_INT(dc.n, 2);
	CHECK_EQ_INT(x509blob_build(alg, (const uint8_t *const *)dc.der, dc.len, dc.n, &b), 0);
	CHECK(buf_len(&b) == wlen && memcmp(buf_ptr(&b), want, wlen) == 0);

	/* x509v3-sign-rsa: the bare leaf */
	buf_reset(&b);
	ll = i2d_X509(sk_X509_value(ch, 0), &leaf);
	CHECK_EQ_INT(x509blob_build(hostkey_alg_by_name("x509v3-sign-rsa"),
	                 (const uint8_t *const *)dc.der, dc.len, dc.n, &b),
	    0);
	CHECK(ll > 0 && buf_len(&b) == (size_t)ll && memcmp(buf_ptr(&b), leaf, (size_t)ll) == 0);

	/* errors leave out as it was; an empty or missing chain is an empty DER chain */
	buf_reset(&b);
	CHECK_EQ_INT(x509blob_build(hostkey_alg_by_name("rsa-sha2-256"),
	                 (const uint8_t *const *)dc.der, dc.len, dc.n, &b),
	    SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(buf_len(&b), 0);
	CHECK_EQ_INT(signer_der_chain_set(&dc, empty), SIGNER_OK);
	CHECK(dc.n == 0 && dc.der == NULL);
	CHECK_EQ_INT(signer_der_chain_set(&dc, NULL), SIGNER_OK);
	CHECK(dc.n == 0 && dc.der == NULL);
out:
	signer_der_chain_clear(&dc);
	OPENSSL_free(leaf);
	buf_free(&b);
	sk_X509_pop_free(ch, X509_free);
	sk_X509_pop_free(pool, X509_free);
	sk_X509_free(empty);
	free(pem);
	free(want);
}

static uint8_t *cat3(const char *a, const char *b, const char *c, size_t *len)
{
	size_t la = 0, lb = 0, lc = 0;
	uint8_t *pa = t_slurp(a, &la), *pb = t_slurp(b, &lb),
	        *pc = c != NULL ? t_slurp(c, &lc) : NULL;
	uint8_t *p = NULL;

	*len = 0;
	if (pa != NULL && pb != NULL && (c == NULL || pc != NULL) &&
	    (p = malloc(la + lb + lc + 1)) != NULL) {
		memcpy(p, pa, la);
		memcpy(p + la, pb, lb);
		if (lc > 0) {
			memcpy(p + la + lb, pc, lc);
		}
		*len = la + lb + lc;
	}
	free(pa);
	free(pb);
	free(pc);
	return p;
}

static void test_pem(void)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	const char *nocert = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	const char *noend = "-----BEGIN CERTIFICATE-----\nMIIB\n";
	const char *bad = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
	uint8_t *pem = NULL, *buf = NULL;
	size_t len, n = 99, i;
	char *p;

	CHECK(pool != NULL);
	/* PKIX-SSH identity format: key, certificate, intermediate */
	pem = cat3("data/x509_ec256.key.pem", "data/x509_ec256.pem", "data/x509_inter.pem", &len);
	CHECK(pem != NULL);
	if (pem == NULL || pool == NULL) {
		goto out;
	}
	CHECK_EQ_INT(x509_pem_certs(pem, len, 10, pool, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK(sk_X509_num(pool) == 2 && der_is(sk_X509_value(pool, 0), "data/x509_ec256.der") &&
	      der_is(sk_X509_value(pool, 1), "data/x509_inter.der"));
	/* appends; the cap counts what the pool held before */
	CHECK_EQ_INT(x509_pem_certs(pem, len, 10, pool, &n), 0);
	CHECK_EQ_INT(sk_X509_num(pool), 4);
	CHECK_EQ_INT(x509_pem_certs(pem, len, 5, pool, &n), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(sk_X509_num(pool), 4);
	sk_X509_pop_free(pool, X509_free);
	pool = sk_X509_new_null();

	/* the last END line without a newline */
	p = memmem(pem, len, "-----END CERTIFICATE-----", 25);
	p = memmem(p + 25, len - (size_t)(p + 25 - (char *)pem), "-----END CERTIFICATE-----", 25);
	CHECK_EQ_INT(x509_pem_certs(pem, (size_t)(p + 25 - (char *)pem), 10, pool, &n), 0);
	CHECK_EQ_INT(n, 2);
	sk_X509_pop_free(pool, X509_free);
	pool = sk_X509_new_null();

	/* no certificate, a block without END, a block that does not decode */
	CHECK_EQ_INT(x509_pem_certs((const uint8_t *)nocert, strlen(nocert), 10, pool, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(x509_pem_certs(NULL, 0, 10, pool, &n), 0);
	CHECK_EQ_INT(
	    x509_pem_certs((const uint8_t *)noend, strlen(noend), 10, pool, &n), SSH_ERR_FORMAT);
	CHECK_EQ_INT(
	    x509_pem_certs((const uint8_t *)bad, strlen(bad), 10, pool, &n), SSH_ERR_FORMAT);
	CHECK_EQ_INT(sk_X509_num(pool), 0);
	CHECK_EQ_INT(x509_pem_certs(pem, len, 10, NULL, &n), SSH_ERR_INTERNAL);

	/* a good certificate, then a broken one: nothing is kept */
	free(buf);
	if ((buf = malloc(len + strlen(bad))) != NULL) {
		memcpy(buf, pem, len);
		memcpy(buf + len, bad, strlen(bad));
		CHECK_EQ_INT(x509_pem_certs(buf, len + strlen(bad), 10, pool, &n), SSH_ERR_FORMAT);
		CHECK_EQ_INT(sk_X509_num(pool), 0);
	}

	/* sweep: every truncation length, then a flipped bit in every byte (bit i % 8); each
	 * result is an error with the pool untouched, or 0..2 certificates of which any that
	 * is there and comes from an unflipped block decodes to the original */
	{
		size_t bad_results = 0, oks = 0;
		for (i = 0; i <= len; i = t_sweep_next(i, len + 1)) {
			int r = x509_pem_certs(pem, i, 10, pool, &n);
			if ((r == 0 && (size_t)sk_X509_num(pool) != n) ||
			    (r != 0 && sk_X509_num(pool) != 0) || n > 2 ||
			    (r == 0 && i == len && n != 2)) {
				bad_results++;
			}
			oks += r == 0;
			sk_X509_pop_free(pool, X509_free);
			pool = sk_X509_new_null();
		}
		CHECK_EQ_INT(bad_results, 0);
		CHECK(oks > 0);
		memcpy(buf, pem, len);
		for (i = 0; i < len; i = t_sweep_next(i, len)) {
			int r;
			buf[i] ^= (uint8_t)(1u << (i % 8));
			r = x509_pem_certs(buf, len, 10, pool, &n);
			if ((r == 0 && (size_t)sk_X509_num(pool) != n) ||
			    (r != 0 && sk_X509_num(pool) != 0) || n > 2) {
				bad_results++;
			}
			buf[i] ^= (uint8_t)(1u << (i % 8));
			sk_X509_pop_free(pool, X509_free);
			pool = sk_X509_new_null();
		}
		CHECK_EQ_INT(bad_results, 0);
	}
out:
	ERR_clear_error();
	free(buf);
	free(pem);
	sk_X509_pop_free(pool, X509_free);
}

int main(void)
{
	test_build();
	test_loop();
	test_blob();
	test_pem();
	T_DONE();
}
