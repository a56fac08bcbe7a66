/*
 * The signer over a token key: its algorithms and public blobs, the private key found by its
 * CKA_ID, and signing in a worker thread (sign() answers SIGNER_AGAIN, poll_fd() becomes
 * readable when the worker is done, sign_finish() collects the signature). A PIN to be asked is
 * SIGNER_NEED_SECRET and secret_answer(); waiting behind another key's PIN question is
 * SIGNER_AGAIN without a worker. The PIN and the login are p11login.c's.
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

void p11_key_free(struct p11_key *k)
{
	if (k == NULL) {
		return;
	}
	if (k->busy) {
		pthread_join(k->th, NULL);
		k->busy = 0;
	}
	p11_login_forget(k); /* a question or a place in the queue: the others go on */
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
	signer_der_chain_clear(&k->der);
	p11_token_unref(k->tok);
	free(k);
}

/* ---- the public half ---- */

static EVP_PKEY *p11s_pubkey(struct signer *s)
{
	return ((struct p11_key *)s->impl)->pub;
}

static void p11s_chain(struct signer *s, const uint8_t *const **der, const size_t **len, size_t *n)
{
	struct p11_key *k = s->impl;

	*der = (const uint8_t *const *)k->der.der;
	*len = k->der.len;
	*n = k->der.n;
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
		errfmt(k->err, sizeof(k->err), "token %s: %s: %s", t->label, fn, p11_rv_str(rv));
		return P11_ERR_INTERNAL;
	}
	if (found == 0) {
		errfmt(k->err, sizeof(k->err), "token %s: no private key with the id of %s",
		    t->label, k->label);
		return P11_ERR_NOT_FOUND;
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
		errfmt(
		    k->err, sizeof(k->err), "token %s: C_SignInit: %s", t->label, p11_rv_str(rv));
		return P11_ERR_INTERNAL;
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
		return P11_ERR_ALLOC;
	}
	rv = t->fl->C_Sign(t->session, k->raw_in != NULL ? k->raw_in : k->in,
	    k->raw_in != NULL ? k->raw_len : k->inlen, k->sig, &siglen);
	if (rv != CKR_OK || siglen > 1024) {
		errfmt(k->err, sizeof(k->err), "token %s: C_Sign: %s", t->label,
		    rv == CKR_OK ? "signature too long" : p11_rv_str(rv));
		return P11_ERR_INTERNAL;
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
	if (k->rc != 0 && k->tok->set->in_helper && p11_helper_failure() != NULL) {
		/* the module's process died under the call: that is the error, not the call's */
		errfmt(k->err, sizeof(k->err), "%s", p11_helper_failure());
	}
	pthread_mutex_unlock(&k->tok->mu);
	do {
		w = send(k->pfd[1], "x", 1, MSG_NOSIGNAL);
	} while (w < 0 && errno == EINTR);
	if (w != 1 && k->rc == 0) {
		errfmt(k->err, sizeof(k->err),
		    "token %s: the signing thread could not report back: %s", k->tok->label,
		    w < 0 ? strerror_r(errno, why, sizeof(why)) : "nothing sent");
		k->rc = P11_ERR_SYSTEM;
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

/* the mechanism and key type of each primitive */
static const struct {
	enum signer_prim prim;
	CK_MECHANISM_TYPE mech;
	int pkey_type;
	const char *name;
} prims[] = {
    {.prim = SIGNER_RSA_PKCS1, .mech = CKM_RSA_PKCS, .pkey_type = EVP_PKEY_RSA, .name = "RSA"},
    {.prim = SIGNER_ECDSA, .mech = CKM_ECDSA, .pkey_type = EVP_PKEY_EC, .name = "ECDSA"},
    {.prim = SIGNER_ED25519, .mech = CKM_EDDSA, .pkey_type = EVP_PKEY_ED25519, .name = "Ed25519"},
};

/* the bytes the token signs: DigestInfo (RSA), the hash (ECDSA), the data (Ed25519) */
static int prepare_input(struct p11_key *k, const struct signer_req *req)
{
	EVP_MD *md = NULL;
	const uint8_t *di = NULL;
	size_t dil = 0, i;
	unsigned int hl = 0;
	int r = P11_ERR_LIBCRYPTO;

	k->inlen = 0;
	if (req->prim == SIGNER_ED25519) {
		if (req->digest != NULL) {
			return P11_ERR_NO_ALGO;
		}
		if ((k->raw_in = malloc(req->len > 0 ? req->len : 1)) == NULL) {
			return P11_ERR_ALLOC;
		}
		if (req->len > 0) {
			memcpy(k->raw_in, req->data, req->len);
		}
		k->raw_len = req->len;
		return 0;
	}
	if (req->digest == NULL || (md = EVP_MD_fetch(NULL, req->digest, NULL)) == NULL) {
		r = P11_ERR_NO_ALGO;
		goto out;
	}
	if (req->prim == SIGNER_RSA_PKCS1) {
		for (i = 0; i < sizeof(digest_infos) / sizeof(digest_infos[0]); i++) {
			if (digest_infos[i].nid == EVP_MD_get_type(md)) {
				di = digest_infos[i].prefix;
				dil = digest_infos[i].len;
			}
		}
		if (di == NULL) {
			r = P11_ERR_NO_ALGO;
			goto out;
		}
		memcpy(k->in, di, dil);
	}
	if (EVP_Digest(req->data, req->len, k->in + dil, &hl, md, NULL) != 1) {
		goto out;
	}
	k->inlen = dil + hl;
	r = 0;
out:
	EVP_MD_free(md);
	ERR_clear_error();
	return r;
}

/* the result of the signer interface for a p11_err */
static int signer_result(int r)
{
	static const struct {
		int p11;
		int signer;
	} rows[] = {
	    {.p11 = P11_OK, .signer = SIGNER_OK},
	    {.p11 = P11_ERR_ALLOC, .signer = SIGNER_ERR_ALLOC},
	    {.p11 = P11_ERR_LIBCRYPTO, .signer = SIGNER_ERR_LIBCRYPTO},
	    {.p11 = P11_ERR_NO_ALGO, .signer = SIGNER_ERR_UNSUPPORTED},
	    {.p11 = P11_ERR_KEY_TYPE, .signer = SIGNER_ERR_UNSUPPORTED},
	    {.p11 = P11_ERR_SIGNATURE, .signer = SIGNER_ERR_BAD_OUTPUT},
	    {.p11 = P11_ERR_SYSTEM, .signer = SIGNER_ERR_SYSTEM},
	    {.p11 = P11_ERR_PIN, .signer = SIGNER_ERR_PASSPHRASE},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].p11 == r) {
			return rows[i].signer;
		}
	}
	return SIGNER_ERR_DEVICE;
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

/* the job failed before its worker: nothing is kept */
static int job_fail(struct p11_key *k, int r)
{
	p11_login_forget(k);
	job_reset(k);
	if (k->always_auth != 1) {
		p11_pin_wipe(&k->pin); /* no worker will use it: do not keep it around */
	}
	return signer_result(r);
}

static int start_worker(struct p11_key *k)
{
	if (pthread_create(&k->th, NULL, worker, k) != 0) {
		errfmt(k->err, sizeof(k->err), "token %s: cannot start the signing thread",
		    k->tok->label);
		return job_fail(k, P11_ERR_SYSTEM);
	}
	k->busy = 1;
	return SIGNER_AGAIN;
}

/* the prepared job goes on: its PIN asked, a wait behind another key's question, or the worker */
static int job_go_on(struct p11_key *k)
{
	int r = p11_login_prepare(k);

	if (r == P11_ASK_PIN) {
		return SIGNER_NEED_SECRET;
	}
	if (r == P11_WAIT_PIN) {
		return SIGNER_AGAIN; /* poll_fd is readable once that question is over */
	}
	if (r != 0) {
		return job_fail(k, r);
	}
	return start_worker(k);
}

static int p11s_sign(struct signer *s, const struct signer_req *req, uint8_t **sig, size_t *siglen)
{
	struct p11_key *k = s->impl;
	size_t i;
	int r;

	*sig = NULL;
	*siglen = 0;
	k->err[0] = '\0';
	if (k->busy || k->pin_wait != P11_PIN_NONE) {
		errfmt(k->err, sizeof(k->err), "a signature is already being made");
		return SIGNER_ERR_INTERNAL;
	}
	for (i = 0; i < sizeof(prims) / sizeof(prims[0]) && prims[i].prim != req->prim; i++) {
	}
	if (i == sizeof(prims) / sizeof(prims[0]) ||
	    prims[i].pkey_type != EVP_PKEY_get_base_id(k->pub)) {
		errfmt(k->err, sizeof(k->err), "%s: key cannot make %s signatures", s->name,
		    i < sizeof(prims) / sizeof(prims[0]) ? prims[i].name : "such");
		return SIGNER_ERR_UNSUPPORTED;
	}
	k->mech = prims[i].mech;
	k->prim = req->prim;
	k->pin_refused_other = 0;
	job_reset(k);
	/* the input first: req->data is the caller's only during this call */
	if ((r = prepare_input(k, req)) != 0) {
		return job_fail(k, r);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k->pfd) != 0) {
		return job_fail(k, P11_ERR_SYSTEM);
	}
	return job_go_on(k);
}

static const char *p11s_secret_prompt(struct signer *s, int *flags)
{
	struct p11_key *k = s->impl;

	*flags = SIGNER_SECRET_PIN;
	return k->pin_wait == P11_PIN_ASKING && k->pin == NULL && !k->busy ? k->prompt : NULL;
}

static int p11s_secret_answer(struct signer *s, const char *pin, uint8_t **sig, size_t *siglen)
{
	struct p11_key *k = s->impl;
	int r;

	*sig = NULL;
	*siglen = 0;
	if (k->busy || k->pin_wait != P11_PIN_ASKING || k->pin != NULL) {
		return SIGNER_ERR_INTERNAL;
	}
	k->err[0] = '\0';
	if ((r = p11_login_answer(k, pin)) != 0) {
		return job_fail(k, r);
	}
	return start_worker(k); /* k asks until its login is done: the others wait for it */
}

static void p11s_sign_cancel(struct signer *s)
{
	struct p11_key *k = s->impl;

	if (k->busy && k->pin_wait == P11_PIN_ASKING) {
		/* the login with the PIN this key was given is under way, and keys of the token
		 * wait for its outcome: collected here (a login and one signature; never a PIN
		 * pad's wait, which asks no question) */
		pthread_join(k->th, NULL);
		k->busy = 0;
		p11_login_done(k);
		free(k->sig);
		k->sig = NULL;
	}
	if (!k->busy && k->pin_wait != P11_PIN_NONE) {
		(void)job_fail(k, P11_ERR_PIN);
	} else if (!k->busy) {
		job_reset(k);
		if (k->always_auth != 1) {
			p11_pin_wipe(&k->pin);
		}
	}
}

/* a token's raw output has the size of its primitive: at most the modulus (RSA), two equal
 * halves of at most the field size (ECDSA), 64 bytes (Ed25519) */
static int output_ok(const struct p11_key *k)
{
	size_t n = (size_t)(k->bits + 7) / 8;

	switch (k->prim) {
	case SIGNER_RSA_PKCS1:
		return k->siglen > 0 && k->siglen <= n;
	case SIGNER_ECDSA:
		return k->siglen > 0 && k->siglen % 2 == 0 && k->siglen <= 2 * n;
	case SIGNER_ED25519:
		return k->siglen == 64;
	}
	return 0;
}

static int p11s_sign_finish(struct signer *s, uint8_t **sig, size_t *siglen)
{
	struct p11_key *k = s->impl;
	int r;

	*sig = NULL;
	*siglen = 0;
	if (k->pin_wait == P11_PIN_QUEUED) {
		/* behind another key's PIN question: once it is over, the login it brought (or our
		 * own question) */
		return p11_login_woken(k) ? job_go_on(k) : SIGNER_AGAIN;
	}
	if (!k->busy) {
		return SIGNER_ERR_INTERNAL;
	}
	pthread_join(k->th, NULL);
	k->busy = 0;
	p11_login_done(k); /* a question this key asked is over: wake the keys behind it */
	if (k->always_auth != 1) {
		p11_pin_wipe(&k->pin); /* only always-authenticate keys keep it */
	}
	if ((r = k->rc) != 0) {
		if (k->tok->pin_failed) {
			p11_pin_wipe(&k->pin);
		}
		goto out;
	}
	if (!output_ok(k)) {
		r = P11_ERR_SIGNATURE;
		goto out;
	}
	*sig = k->sig;
	*siglen = k->siglen;
	k->sig = NULL;
	r = 0;
out:
	if (r != 0 && k->err[0] == '\0') {
		errfmt(k->err, sizeof(k->err), "%s: %s", s->name, p11_strerror(r));
	}
	job_reset(k);
	return signer_result(r);
}

static int p11s_poll_fd(struct signer *s)
{
	struct p11_key *k = s->impl;

	return k->busy || k->pin_wait == P11_PIN_QUEUED ? k->pfd[0] : -1;
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

static const char *p11s_error(struct signer *s)
{
	return ((const struct p11_key *)s->impl)->err;
}

static const struct signer_ops p11_ops = {
    .pubkey = p11s_pubkey,
    .chain = p11s_chain,
    .sign = p11s_sign,
    .sign_finish = p11s_sign_finish,
    .poll_fd = p11s_poll_fd,
    .secret_prompt = p11s_secret_prompt,
    .secret_answer = p11s_secret_answer,
    .sign_cancel = p11s_sign_cancel,
    .error = p11s_error,
    .free = p11s_free,
};

int p11_is_signer(const struct signer *s)
{
	return s != NULL && s->ops == &p11_ops;
}

/* pkcs11:token=..;serial=..;id=..;object=..;type=private[?module-path=..] */
static int make_uri(const struct p11_key *k, char **out)
{
	const struct p11_token *t = k->tok;
	char *s = NULL;
	int r;

	*out = NULL;
	if ((s = strdup("pkcs11:")) == NULL) {
		return P11_ERR_ALLOC;
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
				return P11_ERR_ALLOC;
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
	int r = P11_ERR_ALLOC;

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
	if (o->key_usable != NULL && !o->key_usable(o->usable_arg, k->pub, k->leaf != NULL, 1)) {
		r = P11_ERR_KEY_TYPE;
		goto out;
	}
	if (signer_der_chain_set(&k->der, k->chain) != SIGNER_OK) {
		r = P11_ERR_ALLOC;
		goto out;
	}
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
