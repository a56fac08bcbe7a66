/*
 * The signer interface over a private key held in memory (loaded from a file): synchronous.
 * With a certificate chain (PKIX-SSH identity file, X509CertificateFile) the engine also offers
 * it for the RFC 6187 x509v3 algorithms. Signatures are raw (signer.h): the engine encodes them.
 */
#include <stdlib.h>
#include <string.h>

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
	int (*unlock)(void *arg, EVP_PKEY **priv);
	void *unlock_arg;
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

static int sf_sign(struct signer *s, const struct signer_req *req, uint8_t **sig, size_t *siglen)
{
	struct sf_key *k;

	*sig = NULL;
	*siglen = 0;
	if (s == NULL || (k = s->impl) == NULL || req == NULL) {
		return SIGNER_ERR_INTERNAL;
	}
	if (k->unlock != NULL) {
		EVP_PKEY *priv = NULL;

		if (k->unlock(k->unlock_arg, &priv) != 0) {
			return SIGNER_ERR_PASSPHRASE;
		}
		if (EVP_PKEY_eq(priv, k->pk) != 1) {
			EVP_PKEY_free(priv);
			ERR_clear_error();
			return SIGNER_ERR_KEY_MISMATCH; /* the .pub file is not this key's */
		}
		EVP_PKEY_free(k->pk);
		k->pk = priv;
		k->unlock = NULL;
	}
	return sshsig_raw_sign(k->pk, req, sig, siglen);
}

int signer_file_set_unlock(struct signer *s, int (*unlock)(void *arg, EVP_PKEY **priv), void *arg)
{
	struct sf_key *k;

	if (s == NULL || s->ops != &signer_file_ops || (k = s->impl) == NULL) {
		return SSH_ERR_INTERNAL;
	}
	k->unlock = unlock;
	k->unlock_arg = arg;
	return 0;
}

static void sf_key_free(struct sf_key *k)
{
	if (k == NULL) {
		return;
	}
	EVP_PKEY_free(k->pk);
	signer_der_chain_clear(&k->chain);
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
