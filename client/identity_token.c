/* Token sources of the identity list: -I / PKCS11Provider and pkcs11: IdentityFile entries. The
 * program's side of p11_opts: certificate chains, which keys our algorithms fit (PINs are asked
 * by the auth driver when a token signer answers SIGNER_NEED_SECRET). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "identity_int.h"
#include "keyfile.h"
#include "log.h"
#include "p11.h"
#include "signq.h"
#include "ssh/err.h"
#include "ssh/sshsig.h"
#include "x509chain.h"

/* p11_opts.key_usable: the SSH algorithms are ours (listed: PubkeyAcceptedAlgorithms) */
static int token_key_usable(void *arg, const EVP_PKEY *pub, int with_cert, int listed)
{
	const struct identities *ids = arg;

	if (!listed) {
		return sshsig_key_usable(pub, 0, NULL);
	}
	return sshsig_key_usable(pub, with_cert, (const char *const *)ids->prefs);
}

/* The certificates of a token's X509CertificateFile files: a file that cannot be used is an
 * error ("pkcs11: FILE: why") */
static int token_cert_files(
    const struct options *o, STACK_OF(X509) * pool, char *err, size_t errlen)
{
	char *path = NULL, why[256];
	size_t i, n;
	int r = 0;

	for (i = 0; i < o->n_x509_certificate_file && r == 0; i++) {
		if (path_expand(o->x509_certificate_file[i], o, &path) != 0) {
			snprintf(err, errlen,
			    "config: X509CertificateFile %s: cannot expand the path",
			    o->x509_certificate_file[i]);
			return SSH_ERR_FORMAT;
		}
		why[0] = '\0';
		n = 0;
		if ((r = keyfile_certs(path, X509CHAIN_POOL_MAX, pool, &n, why, sizeof(why))) !=
		    0) {
			snprintf(err, errlen, "pkcs11: %s: %s", path,
			    why[0] != '\0' ? why : ssh_err_str(r));
		} else if (n == 0) {
			snprintf(err, errlen, "pkcs11: %s: no PEM certificate in the file", path);
			r = SSH_ERR_FORMAT;
		}
		free(path);
		path = NULL;
	}
	return r;
}

/*
 * The token sources loaded in this process. The connections of one run (the jump hosts and the
 * destination) each have their identities; a token source that several of them name is loaded
 * once and its signers shared, so the token is opened and logged into once for the whole run.
 */
#define TOKEN_SHARE_MAX ID_MAX
static struct {
	char *spec;
	struct signer **v;
	size_t n;
	unsigned refs;
} shared[TOKEN_SHARE_MAX];

static int shared_find(const char *spec)
{
	for (size_t i = 0; i < TOKEN_SHARE_MAX; i++) {
		if (shared[i].spec != NULL && strcmp(shared[i].spec, spec) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* remember a freshly loaded source; without room it simply is not shared */
static void shared_add(const char *spec, struct signer **v, size_t n)
{
	for (size_t i = 0; i < TOKEN_SHARE_MAX; i++) {
		if (shared[i].spec == NULL) {
			if ((shared[i].spec = strdup(spec)) != NULL) {
				shared[i].v = v;
				shared[i].n = n;
				shared[i].refs = 1;
			}
			return;
		}
	}
}

/* fleet mode: token signatures queued per connection (signq.h) */
static int queue_tokens;

void identities_queue_tokens(int on)
{
	queue_tokens = on;
}

int identity_token_queue(struct identity *id)
{
	if (!queue_tokens || id->p11v == NULL || id->p11n == 0) {
		return 0;
	}
	if ((id->p11q = calloc(id->p11n, sizeof(*id->p11q))) == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (size_t i = 0; i < id->p11n; i++) {
		if (id->p11v[i] != NULL && (id->p11q[i] = signq_wrap(id->p11v[i])) == NULL) {
			identity_token_unqueue(id);
			return SSH_ERR_ALLOC;
		}
	}
	return 0;
}

void identity_token_unqueue(struct identity *id)
{
	if (id->p11q == NULL) {
		return;
	}
	for (size_t i = 0; i < id->p11n; i++) {
		signer_free(id->p11q[i]);
	}
	free(id->p11q);
	id->p11q = NULL;
}

void identity_token_release(struct signer **v, size_t n)
{
	for (size_t i = 0; i < TOKEN_SHARE_MAX; i++) {
		if (shared[i].spec != NULL && shared[i].v == v) {
			if (--shared[i].refs > 0) {
				return;
			}
			free(shared[i].spec);
			shared[i].spec = NULL;
			break;
		}
	}
	p11_free_signers(v, n);
}

/* p11_opts.module_output: what a module printed while loading, shown with -v only */
static void module_said(void *arg, const char *line)
{
	(void)arg;
	log_debug1("pkcs11: module said: %s", line);
}

/* Find the keys of a token source now (no login: that waits for the first signature). */
int identity_add_token(
    struct identities *ids, const char *spec, const struct options *o, char *err, size_t errlen)
{
	struct p11_opts po;
	struct x509chain_src src;
	char cause[512];
	size_t i;
	int r;

	memset(&src, 0, sizeof(src));
	if (ids->n >= ID_MAX) {
		return 0;
	}
	for (i = 0; i < ids->n; i++) {
		if (ids->v[i].p11v != NULL && strcmp(ids->v[i].path, spec) == 0) {
			return 0;
		}
	}
	if ((src.extra = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "pkcs11: out of memory");
		r = SSH_ERR_ALLOC;
		goto out;
	}
	if ((r = token_cert_files(o, src.extra, err, errlen)) != 0) {
		goto out;
	}
	src.send_root = o->x509_send_root == 1;
	memset(&po, 0, sizeof(po));
	po.batch_mode = ids->batch_mode;
	po.can_ask = 1; /* the auth driver asks, in the poll loop (SIGNER_NEED_SECRET) */
	po.build_chain = x509chain_token;
	po.chain_arg = &src;
	po.key_usable = token_key_usable;
	po.usable_arg = ids;
	po.module_output = module_said;
	po.helper = o->pkcs11_helper != 0;
	cause[0] = '\0';
	if ((ids->v[ids->n].path = strdup(spec)) == NULL) {
		r = SSH_ERR_ALLOC;
		snprintf(err, errlen, "pkcs11: out of memory");
		goto out;
	}
	if ((i = (size_t)shared_find(spec)) != (size_t)-1) {
		shared[i].refs++;
		ids->v[ids->n].p11v = shared[i].v;
		ids->v[ids->n].p11n = shared[i].n;
		log_debug1("token source %s: shared with another connection of this run", spec);
		ids->v[ids->n].user_provided = 1;
		ids->n++;
		if ((r = identity_token_queue(&ids->v[ids->n - 1])) != 0) {
			snprintf(err, errlen, "pkcs11: out of memory");
		}
		goto out;
	}
	r = p11_load_signers(
	    spec, &po, &ids->v[ids->n].p11v, &ids->v[ids->n].p11n, cause, sizeof(cause));
	if (r == 0) {
		shared_add(spec, ids->v[ids->n].p11v, ids->v[ids->n].p11n);
	}
	if (r != 0) {
		free(ids->v[ids->n].path);
		ids->v[ids->n].path = NULL;
		snprintf(err, errlen, "pkcs11: %s", cause[0] != '\0' ? cause : p11_strerror(r));
		r = SSH_ERR_NOT_FOUND; /* the token's keys are not usable: err says why */
		goto out;
	}
	for (i = 0; i < ids->v[ids->n].p11n; i++) {
		char *d = NULL;
		if (p11_describe(ids->v[ids->n].p11v[i], &d) == 0) {
			log_debug1("token key: %s", d);
		}
		free(d);
	}
	ids->v[ids->n].user_provided = 1;
	ids->n++;
	if ((r = identity_token_queue(&ids->v[ids->n - 1])) != 0) {
		snprintf(err, errlen, "pkcs11: out of memory");
	}
out:
	sk_X509_pop_free(src.extra, X509_free);
	return r;
}
