/*
 * The signer over a token key: its algorithms and public blobs, the private key found by its
 * CKA_ID, and signing in a worker thread (sign() answers SSH_ERR_AGAIN, poll_fd() becomes
 * readable when the worker is done, sign_finish() collects the signature). The PIN and the login
 * are p11login.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "p11_int.h"
#include "p11uri.h"
#include "ssh/err.h"
#include "ssh/x509key.h"

/* our order when the caller gives none (OPTIONS.md, PubkeyAcceptedAlgorithms) */
static const char *const default_algs[] = {
    "x509v3-ecdsa-sha2-nistp256",
    "x509v3-ecdsa-sha2-nistp384",
    "x509v3-ecdsa-sha2-nistp521",
    "x509v3-rsa2048-sha256",
    "x509v3-ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    NULL,
};

void p11_key_free(struct p11_key *k)
{
	if (k == NULL) {
		return;
	}
	if (k->busy) {
		pthread_join(k->th, NULL);
		k->busy = 0;
	}
	if (k->pfd[0] >= 0) {
		close(k->pfd[0]);
	}
	if (k->pfd[1] >= 0) {
		close(k->pfd[1]);
	}
	p11_pin_wipe(&k->pin);
	if (k->uri_pin != NULL) {
		OPENSSL_cleanse(k->uri_pin, strlen(k->uri_pin));
		free(k->uri_pin);
	}
	free(k->pin_file);
	OPENSSL_cleanse(k->in, sizeof(k->in));
	free(k->raw_in);
	free(k->sig);
	free(k->id);
	free(k->label);
	EVP_PKEY_free(k->pub);
	X509_free(k->leaf);
	sk_X509_pop_free(k->chain, X509_free);
	p11_token_unref(k->tok);
	free(k);
}

/* ---- algorithms and blobs ---- */

static const struct hostkey_alg *row_for(const struct p11_key *k, const char *alg)
{
	size_t i;

	for (i = 0; alg != NULL && k->algs[i] != NULL; i++) {
		if (strcmp(k->algs[i], alg) == 0) {
			return hostkey_alg_by_name(alg);
		}
	}
	return NULL;
}

static void make_algs(struct p11_key *k, const char *const *prefs)
{
	const char *const *list = prefs != NULL ? prefs : default_algs;
	const struct hostkey_alg *row;
	size_t i, n = 0;
	int pass, x509;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; list[i] != NULL && n < P11_MAX_ALGS; i++) {
			if ((row = hostkey_alg_by_name(list[i])) == NULL ||
			    row_for(k, row->name) != NULL) {
				continue;
			}
			x509 = (row->flags & HK_FLAG_X509) != 0;
			if (x509 != (pass == 0) || (x509 && k->leaf == NULL) ||
			    !sshkey_fits_alg(k->pub, row)) {
				continue;
			}
			k->algs[n++] = row->name;
			k->algs[n] = NULL;
		}
	}
}

static int p11s_public_blob(struct signer *s, const char *alg, struct buf *out)
{
	struct p11_key *k = s->impl;
	const struct hostkey_alg *row;

	if ((row = row_for(k, alg)) == NULL) {
		return hostkey_alg_by_name(alg) == NULL ? SSH_ERR_NO_ALGO : SSH_ERR_KEY_TYPE;
	}
	if ((row->flags & HK_FLAG_X509) == 0) {
		return sshkey_to_blob(k->pub, row, out);
	}
	return x509chain_blob(row, k->chain, out);
}

/* ---- the private key and the worker ---- */

int p11_find_private(struct p11_key *k, CK_OBJECT_HANDLE *h)
{
	struct p11_token *t = k->tok;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, k->id, k->idlen}};
	CK_ULONG found = 0;
	CK_RV rv = CKR_OK;
	CK_BBOOL aa = CK_FALSE;
	CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &aa, sizeof(aa)};
	const char *fn = "";

	if (p11_find(t->fl, t->session, tmpl, 2, h, 1, &found, &rv, &fn) != 0) {
		p11_seterr(
		    k->err, sizeof(k->err), "token %s: %s: %s", t->label, fn, p11_rv_str(rv));
		return SSH_ERR_INTERNAL;
	}
	if (found == 0) {
		p11_seterr(k->err, sizeof(k->err), "token %s: no private key with the id of %s",
		    t->label, k->label);
		return SSH_ERR_NOT_FOUND;
	}
	if (t->fl->C_GetAttributeValue(t->session, *h, &a, 1) != CKR_OK) {
		aa = CK_FALSE;
	}
	k->always_auth = aa == CK_TRUE;
	return 0;
}

static int do_sign(struct p11_key *k)
{
	struct p11_token *t = k->tok;
	CK_MECHANISM mech = {k->mech, NULL, 0};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG siglen;
	CK_RV rv;
	int r;

	if ((r = p11_login_user(k)) != 0 || (r = p11_find_private(k, &h)) != 0) {
		return r;
	}
	if ((rv = t->fl->C_SignInit(t->session, &mech, h)) != CKR_OK) {
		p11_seterr(
		    k->err, sizeof(k->err), "token %s: C_SignInit: %s", t->label, p11_rv_str(rv));
		return SSH_ERR_INTERNAL;
	}
	if (k->always_auth == 1 && (r = p11_login_context(k)) != 0) {
		/* end the operation the module may still hold open */
		siglen = 0;
		(void)t->fl->C_Sign(t->session, k->raw_in != NULL ? k->raw_in : k->in,
		    k->raw_in != NULL ? k->raw_len : k->inlen, NULL, &siglen);
		return r;
	}
	siglen = 1024;
	if ((k->sig = malloc(siglen)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	rv = t->fl->C_Sign(t->session, k->raw_in != NULL ? k->raw_in : k->in,
	    k->raw_in != NULL ? k->raw_len : k->inlen, k->sig, &siglen);
	if (rv != CKR_OK || siglen > 1024) {
		p11_seterr(k->err, sizeof(k->err), "token %s: C_Sign: %s", t->label,
		    rv == CKR_OK ? "signature too long" : p11_rv_str(rv));
		return SSH_ERR_INTERNAL;
	}
	k->siglen = siglen;
	return 0;
}

/*
 * The worker: log in and sign under the token's lock, then wake the caller with one byte on the
 * socket it polls. A send that fails for any reason but EINTR (the caller's end closed: EPIPE,
 * or EBADF) is not retried: the signature is reported as failed and the thread ends.
 */
static void *worker(void *arg)
{
	struct p11_key *k = arg;
	char why[128];
	ssize_t w;

	pthread_mutex_lock(&k->tok->mu);
	k->rc = do_sign(k);
	pthread_mutex_unlock(&k->tok->mu);
	do {
		w = send(k->pfd[1], "x", 1, MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	if (w != 1 && k->rc == 0) {
		p11_seterr(k->err, sizeof(k->err),
		    "token %s: the signing thread could not report back: %s", k->tok->label,
		    w < 0 ? strerror_r(errno, why, sizeof(why)) : "nothing sent");
		k->rc = SSH_ERR_SYSTEM;
	}
	return NULL;
}

/* ---- sign ---- */

static const uint8_t di_sha1[] = {
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

/* the DigestInfo prefix of each hash an RSA signature may use */
static const struct {
	int nid;
	const uint8_t *prefix;
	size_t len;
} digest_infos[] = {
    {NID_sha1, di_sha1, sizeof(di_sha1)},
    {NID_sha256, di_sha256, sizeof(di_sha256)},
    {NID_sha384, di_sha384, sizeof(di_sha384)},
    {NID_sha512, di_sha512, sizeof(di_sha512)},
};

/* the bytes the token signs: DigestInfo (RSA), the hash (ECDSA), the data (Ed25519) */
static int prepare_input(struct p11_key *k, const uint8_t *data, size_t len)
{
	const struct hostkey_alg *row = k->row;
	EVP_MD *md = NULL;
	const uint8_t *di = NULL;
	size_t dil = 0, i;
	unsigned int hl = 0;
	int r = SSH_ERR_LIBCRYPTO;

	k->inlen = 0;
	if (row->pkey_type == EVP_PKEY_ED25519) {
		k->mech = CKM_EDDSA;
		if ((k->raw_in = malloc(len > 0 ? len : 1)) == NULL) {
			return SSH_ERR_ALLOC;
		}
		if (len > 0) {
			memcpy(k->raw_in, data, len);
		}
		k->raw_len = len;
		return 0;
	}
	if ((md = EVP_MD_fetch(NULL, row->digest, NULL)) == NULL) {
		goto out;
	}
	if (row->pkey_type == EVP_PKEY_RSA) {
		k->mech = CKM_RSA_PKCS;
		for (i = 0; i < sizeof(digest_infos) / sizeof(digest_infos[0]); i++) {
			if (digest_infos[i].nid == EVP_MD_get_type(md)) {
				di = digest_infos[i].prefix;
				dil = digest_infos[i].len;
			}
		}
		if (di == NULL) {
			r = SSH_ERR_NO_ALGO;
			goto out;
		}
		memcpy(k->in, di, dil);
	} else {
		k->mech = CKM_ECDSA;
	}
	if (EVP_Digest(data, len, k->in + dil, &hl, md, NULL) != 1) {
		goto out;
	}
	k->inlen = dil + hl;
	r = 0;
out:
	EVP_MD_free(md);
	ERR_clear_error();
	return r;
}

static void job_reset(struct p11_key *k)
{
	OPENSSL_cleanse(k->in, sizeof(k->in));
	k->inlen = 0;
	free(k->raw_in);
	k->raw_in = NULL;
	free(k->sig);
	k->sig = NULL;
	k->siglen = 0;
	if (k->pfd[0] >= 0) {
		close(k->pfd[0]);
	}
	if (k->pfd[1] >= 0) {
		close(k->pfd[1]);
	}
	k->pfd[0] = k->pfd[1] = -1;
}

static int p11s_sign(
    struct signer *s, const char *alg, const uint8_t *data, size_t len, struct buf *out)
{
	struct p11_key *k = s->impl;
	int r;

	(void)out;
	k->err[0] = '\0';
	if (k->busy) {
		p11_seterr(k->err, sizeof(k->err), "a signature is already being made");
		return SSH_ERR_INTERNAL;
	}
	if ((k->row = row_for(k, alg)) == NULL) {
		p11_seterr(k->err, sizeof(k->err), "%s: key cannot sign for %s", s->name,
		    alg != NULL ? alg : "(null)");
		return hostkey_alg_by_name(alg) == NULL ? SSH_ERR_NO_ALGO : SSH_ERR_KEY_TYPE;
	}
	job_reset(k);
	if ((r = p11_login_prepare(k)) != 0) {
		return r;
	}
	if ((r = prepare_input(k, data, len)) != 0) {
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k->pfd) != 0) {
		r = SSH_ERR_SYSTEM;
		goto fail;
	}
	if (pthread_create(&k->th, NULL, worker, k) != 0) {
		r = SSH_ERR_SYSTEM;
		goto fail;
	}
	k->busy = 1;
	return SSH_ERR_AGAIN;
fail:
	job_reset(k);
	if (k->always_auth != 1) {
		p11_pin_wipe(&k->pin); /* no worker will use it: do not keep it around */
	}
	return r;
}

static int p11s_sign_finish(struct signer *s, struct buf *out)
{
	struct p11_key *k = s->impl;
	struct buf sig;
	size_t modlen;
	uint8_t *p;
	int r;

	buf_init(&sig);
	if (!k->busy) {
		return SSH_ERR_INTERNAL;
	}
	pthread_join(k->th, NULL);
	k->busy = 0;
	if (k->always_auth != 1) {
		p11_pin_wipe(&k->pin); /* only always-authenticate keys keep it */
	}
	if ((r = k->rc) != 0) {
		if (k->tok->pin_failed) {
			p11_pin_wipe(&k->pin);
		}
		goto out;
	}
	switch (k->row->pkey_type) {
	case EVP_PKEY_RSA:
		modlen = (size_t)(k->bits + 7) / 8;
		if (k->siglen == 0 || k->siglen > modlen) {
			r = SSH_ERR_SIGNATURE;
			goto out;
		}
		if ((r = buf_reserve(&sig, modlen, &p)) != 0) {
			goto out;
		}
		memset(p, 0, modlen - k->siglen); /* left-pad to the modulus length */
		memcpy(p + (modlen - k->siglen), k->sig, k->siglen);
		break;
	case EVP_PKEY_EC:
		if ((r = sshsig_ecdsa_raw_to_ssh(k->sig, k->siglen, &sig)) != 0) {
			goto out;
		}
		break;
	default:
		if (k->siglen != 64) {
			r = SSH_ERR_SIGNATURE;
			goto out;
		}
		if ((r = buf_put(&sig, k->sig, k->siglen)) != 0) {
			goto out;
		}
		break;
	}
	if ((r = buf_put_cstring(out, k->row->sig_name)) != 0 ||
	    (r = buf_put_buf(out, &sig)) != 0) {
		goto out;
	}
	r = 0;
out:
	if (r != 0 && k->err[0] == '\0') {
		p11_seterr(k->err, sizeof(k->err), "%s: %s", s->name, ssh_err_str(r));
	}
	job_reset(k);
	buf_free(&sig);
	return r;
}

static int p11s_poll_fd(struct signer *s)
{
	struct p11_key *k = s->impl;

	return k->busy ? k->pfd[0] : -1;
}

static void p11s_free(struct signer *s)
{
	if (s == NULL) {
		return;
	}
	p11_key_free(s->impl);
	free(s->name);
	free(s);
}

static const struct signer_ops p11_ops = {
    p11s_public_blob,
    p11s_sign,
    p11s_sign_finish,
    p11s_poll_fd,
    p11s_free,
};

int p11_is_signer(const struct signer *s)
{
	return s != NULL && s->ops == &p11_ops;
}

const char *p11_signer_error(const struct signer *s)
{
	if (!p11_is_signer(s)) {
		return "";
	}
	return ((const struct p11_key *)s->impl)->err;
}

/* pkcs11:token=..;serial=..;id=..;object=..;type=private[?module-path=..] */
static int make_uri(const struct p11_key *k, char **out)
{
	const struct p11_token *t = k->tok;
	char *s = NULL;
	int r;

	*out = NULL;
	if ((s = strdup("pkcs11:")) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if ((r = p11uri_append(&s, "", "token", (const uint8_t *)t->label, strlen(t->label))) !=
	        0 ||
	    (t->serial[0] != '\0' && (r = p11uri_append(&s, ";", "serial",
	                                  (const uint8_t *)t->serial, strlen(t->serial))) != 0) ||
	    (r = p11uri_append(&s, ";", "id", k->id, k->idlen)) != 0 ||
	    (k->label[0] != '\0' && (r = p11uri_append(&s, ";", "object", (const uint8_t *)k->label,
	                                 strlen(k->label))) != 0) ||
	    (r = p11uri_append(&s, ";", "type", (const uint8_t *)"private", 7)) != 0) {
		free(s);
		return r;
	}
	if (t->module_path != NULL) {
		const char *c;
		int plain = 1;

		for (c = t->module_path; *c != '\0'; c++) {
			plain &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			         (*c >= '0' && *c <= '9') || strchr("-._~/", *c) != NULL;
		}
		if (plain) {
			/* '/' may stay as it is in the query part */
			char *tmp = realloc(s, strlen(s) + strlen(t->module_path) + 14);

			if (tmp == NULL) {
				free(s);
				return SSH_ERR_ALLOC;
			}
			s = tmp;
			strcat(s, "?module-path=");
			strcat(s, t->module_path);
		} else if ((r = p11uri_append(&s, "?", "module-path",
		                (const uint8_t *)t->module_path, strlen(t->module_path))) != 0) {
			free(s);
			return r;
		}
	}
	*out = s;
	return 0;
}

int p11_signer_new(
    struct p11_key *k, const struct p11_opts *o, const char *uri, struct signer **out)
{
	struct signer *s = NULL;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		goto out;
	}
	s->ops = &p11_ops;
	if (uri != NULL) {
		if ((s->name = strdup(uri)) == NULL) {
			goto out;
		}
	} else if ((r = make_uri(k, &s->name)) != 0) {
		goto out;
	}
	make_algs(k, o->pubkey_algs);
	if (k->algs[0] == NULL) {
		r = SSH_ERR_KEY_TYPE;
		goto out;
	}
	s->algs = k->algs;
	s->impl = k;
	k = NULL;
	*out = s;
	s = NULL;
	r = 0;
out:
	p11_key_free(k);
	if (s != NULL) {
		free(s->name);
		free(s);
	}
	return r;
}
