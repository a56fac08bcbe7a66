/*
 * The signer interface over a private key held in memory (loaded from a file): synchronous.
 * With a certificate chain (PKIX-SSH identity file, X509CertificateFile) it also signs for the
 * RFC 6187 x509v3 algorithms.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "signer_file.h"
#include "ssh/err.h"
#include "ssh/hostkey.h"
#include "ssh/x509key.h"

struct sf_key {
	EVP_PKEY *pk;
	STACK_OF(X509) * chain; /* as sent, leaf first; NULL for a plain key */
	/* a key whose private half is loaded at its first signature (pk is public until then) */
	int (*unlock)(void *arg, EVP_PKEY **priv);
	void *unlock_arg;
};

static const struct signer_ops signer_file_ops;

static int is_x509(const struct hostkey_alg *alg)
{
	return (alg->flags & HK_FLAG_X509) != 0;
}

/* a row this key can sign for: x509v3 rows only with a chain */
static const struct hostkey_alg *usable_row(const struct sf_key *k, const char *name)
{
	const struct hostkey_alg *alg = hostkey_alg_by_name(name);

	if (alg == NULL || (is_x509(alg) && k->chain == NULL) || !sshkey_fits_alg(k->pk, alg)) {
		return NULL;
	}
	return alg;
}

static int sf_public_blob(struct signer *s, const char *alg, struct buf *out)
{
	const struct hostkey_alg *row;
	struct sf_key *k;

	if (s == NULL || s->impl == NULL || alg == NULL) {
		return SSH_ERR_INTERNAL;
	}
	k = s->impl;
	if (hostkey_alg_by_name(alg) == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if ((row = usable_row(k, alg)) == NULL) {
		return SSH_ERR_KEY_TYPE;
	}
	if (is_x509(row)) {
		return x509chain_blob(row, k->chain, out);
	}
	return sshkey_to_blob(k->pk, row, out);
}

static int sf_sign(
    struct signer *s, const char *alg, const uint8_t *data, size_t len, struct buf *out)
{
	const struct hostkey_alg *row;
	struct sf_key *k;

	if (s == NULL || s->impl == NULL || alg == NULL) {
		return SSH_ERR_INTERNAL;
	}
	k = s->impl;
	if (hostkey_alg_by_name(alg) == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if ((row = usable_row(k, alg)) == NULL) {
		return SSH_ERR_KEY_TYPE;
	}
	if (k->unlock != NULL) {
		EVP_PKEY *priv = NULL;
		int r = k->unlock(k->unlock_arg, &priv);
		if (r != 0) {
			return r;
		}
		if (EVP_PKEY_eq(priv, k->pk) != 1) {
			EVP_PKEY_free(priv);
			ERR_clear_error();
			return SSH_ERR_KEY_TYPE; /* the .pub file is not this key's */
		}
		EVP_PKEY_free(k->pk);
		k->pk = priv;
		k->unlock = NULL;
	}
	return sshsig_sign(row, k->pk, data, len, out);
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
	sk_X509_pop_free(k->chain, X509_free);
	free(k);
}

static void sf_free(struct signer *s)
{
	if (s == NULL) {
		return;
	}
	sf_key_free(s->impl);
	free(s->algs);
	free(s->name);
	free(s);
}

static const struct signer_ops signer_file_ops = {
    sf_public_blob,
    sf_sign,
    NULL,
    NULL,
    sf_free,
};

static int listed(const char **algs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(algs[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

static int key_usable(EVP_PKEY *pk)
{
	const struct hostkey_alg *alg;
	size_t i;

	for (i = 0; (alg = hostkey_alg_at(i)) != NULL; i++) {
		if (!is_x509(alg) && sshkey_fits_alg(pk, alg)) {
			return 1;
		}
	}
	return 0;
}

/* the row at position i of the list for this pass (0: x509v3 rows, 1: plain rows), or NULL */
static const struct hostkey_alg *pick(
    const struct sf_key *k, const char *const *prefs, size_t i, int pass)
{
	const struct hostkey_alg *alg;

	if (prefs != NULL) {
		/* legacy rows only when asked for by name, as here */
		alg = usable_row(k, prefs[i]);
		if (alg != NULL && (alg->flags & (HK_FLAG_DEFAULT | HK_FLAG_LEGACY)) == 0) {
			alg = NULL;
		}
	} else {
		alg = hostkey_alg_at(i);
		/* x509v3-sign-rsa is a host-key default only (OPTIONS.md) */
		if ((alg->flags & HK_FLAG_DEFAULT) == 0 ||
		    strcmp(alg->name, "x509v3-sign-rsa") == 0 || usable_row(k, alg->name) == NULL) {
			alg = NULL;
		}
	}
	if (alg != NULL && is_x509(alg) != (pass == 0)) {
		alg = NULL;
	}
	return alg;
}

/* x509v3 names first, then plain ones; names point into the static algorithm table */
static int make_algs(const struct sf_key *k, const char *const *prefs, const char ***out)
{
	const struct hostkey_alg *alg;
	const char **algs = NULL;
	size_t i, n = 0, max = 0;
	int pass;

	*out = NULL;
	if (prefs != NULL) {
		while (prefs[max] != NULL) {
			max++;
		}
	} else {
		while (hostkey_alg_at(max) != NULL) {
			max++;
		}
	}
	if ((algs = calloc(max + 1, sizeof(*algs))) == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < max; i++) {
			alg = pick(k, prefs, i, pass);
			if (alg != NULL && n < max && !listed(algs, n, alg->name)) {
				algs[n++] = alg->name;
			}
		}
	}
	algs[n] = NULL;
	*out = algs;
	return 0;
}

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

int signer_file_new_x509(EVP_PKEY *pkey, STACK_OF(X509) * chain, const char *path,
    const char *const *prefs, struct signer **out)
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
	if (!key_usable(pkey)) {
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL || (s = calloc(1, sizeof(*s))) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	k->pk = pkey;
	pkey = NULL;
	k->chain = chain;
	chain = NULL;
	s->ops = &signer_file_ops;
	s->impl = k;
	k = NULL;
	if ((s->name = strdup(path != NULL ? path : "(key)")) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	if ((e = make_algs(s->impl, prefs, &s->algs)) != 0) {
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

int signer_file_new(EVP_PKEY *pkey, const char *path, const char *const *prefs, struct signer **out)
{
	return signer_file_new_x509(pkey, NULL, path, prefs, out);
}
