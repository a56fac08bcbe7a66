/*
 * The signer interface over a private key held in memory (loaded from a file): synchronous,
 * but for an encrypted key offered by its public half, whose passphrase the first signature
 * asks for through the caller (SIGNER_NEED_SECRET, secret_answer).
 * With a certificate chain (PKIX-SSH identity file, X509CertificateFile) the engine also offers
 * it for the RFC 6187 x509v3 algorithms. Signatures are raw (signer.h): the engine encodes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "signer_file.h"
#include "ssh/err.h"
#include "ssh/sshsig.h"
#include "ssh/x509key.h"

struct sf_key {
	EVP_PKEY *pk;
	struct signer_der_chain chain; /* as sent, leaf first; empty for a plain key */
	/* a key whose private half is loaded at its first signature (pk is public until then) */
	int (*unlock)(void *arg, const char *pass, EVP_PKEY **priv, char *why, size_t whylen);
	void *unlock_arg;
	/* called once, after the first signature made with the private key */
	void (*used)(void *arg, const EVP_PKEY *priv);
	void *used_arg;
	/* the signature waiting for the passphrase: a copy of the request */
	int pending;
	enum signer_prim prim;
	char *digest;
	uint8_t *data;
	size_t len;
	int tries; /* wrong passphrases so far */
	char *prompt;
	char err[512];
};

static const struct signer_ops signer_file_ops;

static EVP_PKEY *sf_pubkey(struct signer *s)
{
	return ((struct sf_key *)s->impl)->pk;
}

static void sf_chain(struct signer *s, const uint8_t *const **der, const size_t **len, size_t *n)
{
	struct sf_key *k = s->impl;

	*der = (const uint8_t *const *)k->chain.der;
	*len = k->chain.len;
	*n = k->chain.n;
}

/* forget the request kept for the passphrase */
static void pending_clear(struct sf_key *k)
{
	if (k->data != NULL) {
		OPENSSL_cleanse(k->data, k->len);
	}
	free(k->data);
	free(k->digest);
	k->data = NULL;
	k->digest = NULL;
	k->len = 0;
	k->pending = 0;
	k->tries = 0;
}

/* keep req until the passphrase comes (req->data is the caller's only during sign()) */
static int pending_keep(struct sf_key *k, const struct signer_req *req)
{
	k->prim = req->prim;
	k->len = req->len;
	if ((k->data = malloc(req->len > 0 ? req->len : 1)) == NULL ||
	    (req->digest != NULL && (k->digest = strdup(req->digest)) == NULL)) {
		pending_clear(k);
		return SIGNER_ERR_ALLOC;
	}
	if (req->len > 0) {
		memcpy(k->data, req->data, req->len);
	}
	k->pending = 1;
	k->tries = 0;
	return SIGNER_NEED_SECRET;
}

/* a signature made: the first one tells the used() callback */
static int signed_once(struct sf_key *k, int r)
{
	void (*used)(void *, const EVP_PKEY *) = k->used;

	if (r == SIGNER_OK && used != NULL) {
		k->used = NULL;
		used(k->used_arg, k->pk);
	}
	return r;
}

static int sf_sign(struct signer *s, const struct signer_req *req, uint8_t **sig, size_t *siglen)
{
	struct sf_key *k;

	*sig = NULL;
	*siglen = 0;
	if (s == NULL || (k = s->impl) == NULL || req == NULL || k->pending) {
		return SIGNER_ERR_INTERNAL;
	}
	k->err[0] = '\0';
	if (k->unlock != NULL) {
		return pending_keep(k, req); /* the passphrase first */
	}
	return signed_once(k, sshsig_raw_sign(k->pk, req, sig, siglen));
}

static const char *sf_secret_prompt(struct signer *s, int *flags)
{
	struct sf_key *k = s->impl;

	*flags = k->tries > 0 ? SIGNER_SECRET_RETRY : 0;
	return k->pending ? k->prompt : NULL;
}

/* the key given up for this signature: the next identity is tried */
static int declined(struct sf_key *k, const char *why)
{
	snprintf(k->err, sizeof(k->err), "%s: key skipped", why);
	pending_clear(k);
	return SIGNER_ERR_DECLINED;
}

static int sf_secret_answer(struct signer *s, const char *pass, uint8_t **sig, size_t *siglen)
{
	struct sf_key *k = s->impl;
	struct signer_req req;
	EVP_PKEY *priv = NULL;
	char why[256];
	int r;

	*sig = NULL;
	*siglen = 0;
	if (!k->pending) {
		return SIGNER_ERR_INTERNAL;
	}
	k->err[0] = '\0';
	if (pass == NULL || pass[0] == '\0') {
		/* an empty answer skips the key, as in OpenSSH */
		return declined(k, "no passphrase given");
	}
	why[0] = '\0';
	r = k->unlock(k->unlock_arg, pass, &priv, why, sizeof(why));
	if (r == SIGNER_ERR_PASSPHRASE) {
		if (++k->tries < SIGNER_FILE_PASSPHRASE_TRIES) {
			return SIGNER_NEED_SECRET;
		}
		snprintf(why, sizeof(why), "incorrect passphrase (%d tries)", k->tries);
		return declined(k, why);
	}
	if (r != 0 || priv == NULL) {
		EVP_PKEY_free(priv);
		return declined(
		    k, why[0] != '\0' ? why : signer_strerror(r != 0 ? r : SIGNER_ERR_INTERNAL));
	}
	if (EVP_PKEY_eq(priv, k->pk) != 1) {
		EVP_PKEY_free(priv);
		ERR_clear_error();
		snprintf(k->err, sizeof(k->err), "the private key is not the one of its .pub file");
		pending_clear(k);
		return SIGNER_ERR_KEY_MISMATCH;
	}
	EVP_PKEY_free(k->pk);
	k->pk = priv;
	k->unlock = NULL;
	req.prim = k->prim;
	req.digest = k->digest;
	req.data = k->data;
	req.len = k->len;
	r = sshsig_raw_sign(k->pk, &req, sig, siglen);
	pending_clear(k);
	return signed_once(k, r);
}

static const char *sf_error(struct signer *s)
{
	return ((const struct sf_key *)s->impl)->err;
}

int signer_file_set_unlock(struct signer *s,
    int (*unlock)(void *arg, const char *passphrase, EVP_PKEY **priv, char *why, size_t whylen),
    void *arg)
{
	struct sf_key *k;
	char *prompt = NULL;
	size_t n;

	if (s == NULL || s->ops != &signer_file_ops || (k = s->impl) == NULL) {
		return SSH_ERR_INTERNAL;
	}
	n = strlen(s->name) + 32;
	if ((prompt = malloc(n)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	snprintf(prompt, n, "Enter passphrase for key '%s': ", s->name);
	free(k->prompt);
	k->prompt = prompt;
	k->unlock = unlock;
	k->unlock_arg = arg;
	return 0;
}

int signer_file_set_used(struct signer *s, void (*used)(void *arg, const EVP_PKEY *priv), void *arg)
{
	struct sf_key *k;

	if (s == NULL || s->ops != &signer_file_ops || (k = s->impl) == NULL) {
		return SSH_ERR_INTERNAL;
	}
	k->used = used;
	k->used_arg = arg;
	return 0;
}

static void sf_key_free(struct sf_key *k)
{
	if (k == NULL) {
		return;
	}
	EVP_PKEY_free(k->pk);
	signer_der_chain_clear(&k->chain);
	pending_clear(k);
	free(k->prompt);
	free(k);
}

static void sf_free(struct signer *s)
{
	if (s == NULL) {
		return;
	}
	sf_key_free(s->impl);
	free(s->name);
	free(s);
}

static const struct signer_ops signer_file_ops = {
    .pubkey = sf_pubkey,
    .chain = sf_chain,
    .sign = sf_sign,
    .secret_prompt = sf_secret_prompt,
    .secret_answer = sf_secret_answer,
    .error = sf_error,
    .free = sf_free,
};

int signer_file_cert_matches(EVP_PKEY *pkey, X509 *cert)
{
	EVP_PKEY *pub;
	int eq;

	if (pkey == NULL || cert == NULL || (pub = X509_get0_pubkey(cert)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	eq = EVP_PKEY_eq(pub, pkey) == 1;
	ERR_clear_error();
	return eq;
}

int signer_file_new_x509(
    EVP_PKEY *pkey, STACK_OF(X509) * chain, const char *path, struct signer **out)
{
	struct signer *s = NULL;
	struct sf_key *k = NULL;
	int e;

	*out = NULL;
	if (pkey == NULL) {
		e = SSH_ERR_INTERNAL;
		goto out;
	}
	if (chain != NULL &&
	    (sk_X509_num(chain) <= 0 || (size_t)sk_X509_num(chain) > X509_BLOB_MAX)) {
		e = sk_X509_num(chain) <= 0 ? SSH_ERR_INTERNAL : SSH_ERR_TOO_LARGE;
		goto out;
	}
	if (chain != NULL && !signer_file_cert_matches(pkey, sk_X509_value(chain, 0))) {
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	if (!sshsig_key_usable(pkey, 0, NULL)) {
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	if (signer_der_chain_set(&k->chain, chain) != SIGNER_OK) {
		e = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	k->pk = pkey;
	pkey = NULL;
	s->ops = &signer_file_ops;
	s->impl = k;
	k = NULL;
	if ((s->name = strdup(path != NULL ? path : "(key)")) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	*out = s;
	s = NULL;
	e = 0;
out:
	/* ownership was taken even on failure */
	EVP_PKEY_free(pkey);
	sk_X509_pop_free(chain, X509_free);
	sf_key_free(k);
	sf_free(s);
	return e;
}

int signer_file_new(EVP_PKEY *pkey, const char *path, struct signer **out)
{
	return signer_file_new_x509(pkey, NULL, path, out);
}
