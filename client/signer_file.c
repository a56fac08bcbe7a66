/* The signer interface over a private key held in memory (loaded from a file): synchronous. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "signer_file.h"
#include "ssh/err.h"
#include "ssh/hostkey.h"

/* a plain row this key can sign for (X.509 rows belong to the certificate signers) */
static const struct hostkey_alg *usable_row(EVP_PKEY *pk, const char *name)
{
	const struct hostkey_alg *alg = hostkey_alg_by_name(name);

	if (alg == NULL || (alg->flags & HK_FLAG_X509) != 0 || !sshkey_fits_alg(pk, alg)) {
		return NULL;
	}
	return alg;
}

static int sf_public_blob(struct signer *s, const char *alg, struct buf *out)
{
	const struct hostkey_alg *row;

	if (s == NULL || s->impl == NULL || alg == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (hostkey_alg_by_name(alg) == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if ((row = usable_row(s->impl, alg)) == NULL) {
		return SSH_ERR_KEY_TYPE;
	}
	return sshkey_to_blob(s->impl, row, out);
}

static int sf_sign(
    struct signer *s, const char *alg, const uint8_t *data, size_t len, struct buf *out)
{
	const struct hostkey_alg *row;

	if (s == NULL || s->impl == NULL || alg == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (hostkey_alg_by_name(alg) == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if ((row = usable_row(s->impl, alg)) == NULL) {
		return SSH_ERR_KEY_TYPE;
	}
	return sshsig_sign(row, s->impl, data, len, out);
}

static void sf_free(struct signer *s)
{
	if (s == NULL) {
		return;
	}
	EVP_PKEY_free(s->impl);
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
		if ((alg->flags & HK_FLAG_X509) == 0 && sshkey_fits_alg(pk, alg)) {
			return 1;
		}
	}
	return 0;
}

/* names point into the static algorithm table */
static int make_algs(EVP_PKEY *pk, const char *const *prefs, const char ***out)
{
	const struct hostkey_alg *alg;
	const char **algs = NULL;
	size_t i, n = 0, max = 0;

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
	for (i = 0; i < max; i++) {
		if (prefs != NULL) {
			/* legacy rows only when asked for by name, as here */
			alg = usable_row(pk, prefs[i]);
			if (alg != NULL && (alg->flags & (HK_FLAG_DEFAULT | HK_FLAG_LEGACY)) == 0) {
				alg = NULL;
			}
		} else {
			alg = hostkey_alg_at(i);
			if ((alg->flags & HK_FLAG_DEFAULT) == 0 ||
			    (alg->flags & HK_FLAG_X509) != 0 || !sshkey_fits_alg(pk, alg)) {
				alg = NULL;
			}
		}
		if (alg != NULL && !listed(algs, n, alg->name)) {
			algs[n++] = alg->name;
		}
	}
	algs[n] = NULL;
	*out = algs;
	return 0;
}

int signer_file_new(EVP_PKEY *pkey, const char *path, const char *const *prefs, struct signer **out)
{
	struct signer *s = NULL;
	int e;

	*out = NULL;
	if (pkey == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (!key_usable(pkey)) {
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	s->ops = &signer_file_ops;
	if ((s->name = strdup(path != NULL ? path : "(key)")) == NULL) {
		e = SSH_ERR_ALLOC;
		goto out;
	}
	if ((e = make_algs(pkey, prefs, &s->algs)) != 0) {
		goto out;
	}
	s->impl = pkey;
	pkey = NULL;
	*out = s;
	s = NULL;
	e = 0;
out:
	EVP_PKEY_free(pkey); /* ownership was taken even on failure */
	sf_free(s);
	return e;
}
