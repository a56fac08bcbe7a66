/*
 * Certificate chains we send (file keys and token keys alike): the issuer walk through a pool
 * and the certificates of PEM text (x509chain.h). The engine makes the RFC 6187 blob from the
 * DER a signer hands it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ssh/err.h"
#include "x509chain.h"

#define PEM_BEGIN_CERT "-----BEGIN CERTIFICATE-----"
#define PEM_END_CERT   "-----END CERTIFICATE-----"

static int self_signed(X509 *c)
{
	return X509_check_issued(c, c) == X509_V_OK;
}

static int in_chain(STACK_OF(X509) * chain, X509 *c)
{
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		if (X509_cmp(sk_X509_value(chain, i), c) == 0) {
			return 1;
		}
	}
	return 0;
}

/* the first certificate of pool that issued cur (not cur itself), or NULL */
static X509 *issuer_in(STACK_OF(X509) * pool, X509 *cur)
{
	int i;

	for (i = 0; pool != NULL && i < sk_X509_num(pool); i++) {
		X509 *c = sk_X509_value(pool, i);

		if (X509_cmp(c, cur) != 0 && X509_check_issued(c, cur) == X509_V_OK) {
			return c;
		}
	}
	return NULL;
}

int x509chain_build(
    X509 *leaf, STACK_OF(X509) * pool, int send_root, size_t max, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cur = leaf, *next;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	if (leaf == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (max == 0 || max > X509_BLOB_MAX) {
		max = X509_BLOB_MAX;
	}
	if ((chain = sk_X509_new_null()) == NULL || !X509_up_ref(leaf)) {
		goto out;
	}
	if (!sk_X509_push(chain, leaf)) {
		X509_free(leaf);
		goto out;
	}
	while (!self_signed(cur) && (size_t)sk_X509_num(chain) < max) {
		next = issuer_in(pool, cur);
		/* a loop in the pool (A issued B issued A) ends the walk too */
		if (next == NULL || (self_signed(next) && !send_root) || in_chain(chain, next)) {
			break;
		}
		if (!X509_up_ref(next)) {
			goto out;
		}
		if (!sk_X509_push(chain, next)) {
			X509_free(next);
			goto out;
		}
		cur = next;
	}
	*out = chain;
	chain = NULL;
	r = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/* decode one BEGIN..END CERTIFICATE block (exactly these bytes) */
static int decode_block(const uint8_t *p, size_t n, X509 **out)
{
	BIO *bio = NULL;
	int r = SSH_ERR_FORMAT;

	*out = NULL;
	if (n > INT32_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((bio = BIO_new_mem_buf(p, (int)n)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	if ((*out = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

int x509_pem_certs(const uint8_t *pem, size_t len, size_t max, STACK_OF(X509) * pool, size_t *added)
{
	const size_t blen = strlen(PEM_BEGIN_CERT), elen = strlen(PEM_END_CERT);
	const uint8_t *p = pem, *end = pem + len, *b, *e;
	X509 *c = NULL;
	size_t n = 0;
	int r;

	if (added != NULL) {
		*added = 0;
	}
	if (pool == NULL || (pem == NULL && len != 0)) {
		return SSH_ERR_INTERNAL;
	}
	while (p < end && (b = memmem(p, (size_t)(end - p), PEM_BEGIN_CERT, blen)) != NULL) {
		if ((e = memmem(b + blen, (size_t)(end - (b + blen)), PEM_END_CERT, elen)) ==
		    NULL) {
			r = SSH_ERR_FORMAT;
			goto out;
		}
		e += elen;
		if ((size_t)sk_X509_num(pool) >= max) {
			r = SSH_ERR_TOO_LARGE;
			goto out;
		}
		if ((r = decode_block(b, (size_t)(e - b), &c)) != 0) {
			goto out;
		}
		if (!sk_X509_push(pool, c)) {
			X509_free(c);
			r = SSH_ERR_ALLOC;
			goto out;
		}
		n++;
		p = e;
	}
	if (added != NULL) {
		*added = n;
	}
	r = 0;
out:
	while (r != 0 && n > 0) {
		X509_free(sk_X509_pop(pool));
		n--;
	}
	return r;
}

int x509chain_token(void *arg, X509 *leaf, STACK_OF(X509) * token_certs, STACK_OF(X509) * *out)
{
	const struct x509chain_src *src = arg;
	STACK_OF(X509) *pool = NULL;
	int i, r;

	*out = NULL;
	/* a borrowing view: the token's certificates, then the program's */
	if ((pool = token_certs != NULL ? sk_X509_dup(token_certs) : sk_X509_new_null()) == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (i = 0; src != NULL && src->extra != NULL && i < sk_X509_num(src->extra); i++) {
		if (!sk_X509_push(pool, sk_X509_value(src->extra, i))) {
			sk_X509_free(pool);
			return SSH_ERR_ALLOC;
		}
	}
	r = x509chain_build(leaf, pool, src != NULL && src->send_root, X509CHAIN_SEND_MAX, out);
	sk_X509_free(pool);
	return r;
}
