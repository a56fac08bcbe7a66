/*
 * The signer over a token key: algorithms, public blobs, the login (once per token, PIN from
 * the URI, a file or a prompt) and signing in a worker thread (SSH_ERR_AGAIN, poll_fd,
 * sign_finish).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "p11_int.h"
#include "p11uri.h"
#include "ssh/err.h"
#include "ssh/x509key.h"

#define PIN_PAGE 4096

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

/* ---- PIN memory: one locked page ---- */

static char *pin_alloc(void)
{
	void *p = mmap(NULL, PIN_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		return NULL;
	}
	(void)mlock(p, PIN_PAGE); /* best effort: RLIMIT_MEMLOCK may be tiny */
	(void)madvise(p, PIN_PAGE, MADV_DONTDUMP);
	return p;
}

static void pin_wipe(char **pin)
{
	if (*pin == NULL) {
		return;
	}
	OPENSSL_cleanse(*pin, PIN_PAGE);
	(void)munlock(*pin, PIN_PAGE);
	(void)munmap(*pin, PIN_PAGE);
	*pin = NULL;
}

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
	pin_wipe(&k->pin);
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

/* ---- the PIN ---- */

static int read_pin_file(struct p11_key *k, char *pin)
{
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd, r = SSH_ERR_SYSTEM;

	if ((fd = open(k->pin_file, O_RDONLY | O_CLOEXEC)) < 0) {
		p11_seterr(k->err, sizeof(k->err), "pin-source %s: cannot open", k->pin_file);
		return SSH_ERR_SYSTEM;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		p11_seterr(
		    k->err, sizeof(k->err), "pin-source %s: not a regular file", k->pin_file);
		goto out;
	}
	/* a PIN others can read (or write) is no secret: refuse, as OpenSSH refuses such keys */
	if ((st.st_mode & 077) != 0 || (st.st_uid != getuid() && st.st_uid != 0)) {
		p11_seterr(k->err, sizeof(k->err),
		    "pin-source %s: permissions %04o or owner uid %u are too open (make it mode "
		    "0600, owned by you)",
		    k->pin_file, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		r = SSH_ERR_SYSTEM;
		goto out;
	}
	for (;;) {
		if (n >= P11_PIN_MAX) {
			break;
		}
		got = read(fd, pin + n, P11_PIN_MAX - n);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got < 0) {
			p11_seterr(k->err, sizeof(k->err), "pin-source %s: read: %s", k->pin_file,
			    strerror(errno));
			goto out; /* never a truncated PIN: it would cost a try */
		}
		if (got == 0) {
			break;
		}
		n += (size_t)got;
	}
	if (n >= P11_PIN_MAX) {
		p11_seterr(k->err, sizeof(k->err), "pin-source %s: longer than %d bytes",
		    k->pin_file, P11_PIN_MAX - 1);
		r = SSH_ERR_TOO_LARGE;
		goto out;
	}
	if (n > 0 && pin[n - 1] == '\n') {
		n--; /* one trailing newline (or CR LF) */
		if (n > 0 && pin[n - 1] == '\r') {
			n--;
		}
	}
	pin[n] = '\0';
	r = 0;
out:
	if (r != 0) {
		OPENSSL_cleanse(pin, P11_PIN_MAX);
	}
	close(fd);
	return r;
}

/* Get a PIN into k->pin (a locked page). */
static int get_pin(struct p11_key *k, CK_FLAGS tflags)
{
	char prompt[200];
	int r;

	if (k->pin != NULL) {
		return 0;
	}
	if ((k->pin = pin_alloc()) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if (k->uri_pin != NULL || k->pin_file != NULL) {
		if ((tflags & CKF_USER_PIN_FINAL_TRY) != 0) {
			/* a wrong stored PIN must not lock the token: the last try is a person's */
			p11_seterr(k->err, sizeof(k->err),
			    "token %s: one PIN try left (CKF_USER_PIN_FINAL_TRY): the stored PIN "
			    "is "
			    "not used; enter it interactively",
			    k->tok->label);
			r = SSH_ERR_PASSPHRASE;
			goto out;
		}
		if (k->uri_pin != NULL) {
			if (strlen(k->uri_pin) >= P11_PIN_MAX) {
				r = SSH_ERR_TOO_LARGE;
				goto out;
			}
			memcpy(k->pin, k->uri_pin, strlen(k->uri_pin) + 1);
			return 0;
		}
		if ((r = read_pin_file(k, k->pin)) != 0) {
			goto out;
		}
		return 0;
	}
	if (k->batch_mode || k->ask_pin == NULL) {
		p11_seterr(k->err, sizeof(k->err),
		    "token %s: a PIN is needed and %s (give pin-source=file:... in the URI)",
		    k->tok->label,
		    k->batch_mode ? "BatchMode forbids asking" : "nobody can be asked");
		r = SSH_ERR_PASSPHRASE;
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Enter PIN for token '%s'%s: ", k->tok->label,
	    (tflags & CKF_USER_PIN_FINAL_TRY) != 0
	        ? " (FINAL TRY: a wrong PIN locks the token)"
	        : ((tflags & CKF_USER_PIN_COUNT_LOW) != 0 ? " (a wrong PIN was entered before)"
	                                                  : ""));
	if ((r = k->ask_pin(k->ask_arg, prompt, k->pin, P11_PIN_MAX)) != 0) {
		p11_seterr(k->err, sizeof(k->err), "token %s: no PIN entered", k->tok->label);
		if (r > 0) {
			r = SSH_ERR_PASSPHRASE;
		}
		goto out;
	}
	k->pin[P11_PIN_MAX - 1] = '\0';
	return 0;
out:
	pin_wipe(&k->pin);
	return r;
}

/* ---- the worker ---- */

static const char *flag_words(CK_FLAGS f)
{
	if ((f & CKF_USER_PIN_LOCKED) != 0) {
		return " (the token's user PIN is now locked: CKF_USER_PIN_LOCKED)";
	}
	if ((f & CKF_USER_PIN_FINAL_TRY) != 0) {
		return " (one try left before the PIN locks: CKF_USER_PIN_FINAL_TRY)";
	}
	if ((f & CKF_USER_PIN_COUNT_LOW) != 0) {
		return " (the token reports few tries left: CKF_USER_PIN_COUNT_LOW)";
	}
	return "";
}

static int login(struct p11_key *k, CK_USER_TYPE who)
{
	struct p11_token *t = k->tok;
	CK_TOKEN_INFO ti;
	CK_FLAGS f = 0;
	CK_RV rv;
	int pinpad;

	if (t->fl->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		f = ti.flags;
	}
	pinpad = (f & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
	if (!pinpad && k->pin == NULL) {
		p11_seterr(k->err, sizeof(k->err), "token %s: no PIN", t->label);
		return SSH_ERR_PASSPHRASE;
	}
	rv = t->fl->C_Login(t->session, who, pinpad ? NULL : (CK_UTF8CHAR_PTR)k->pin,
	    pinpad ? 0 : (CK_ULONG)strlen(k->pin));
	if (rv == CKR_OK || (rv == CKR_USER_ALREADY_LOGGED_IN && who == CKU_USER)) {
		return 0;
	}
	if (who == CKU_USER || rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED) {
		t->pin_failed = 1; /* never resend: the next try could lock the token */
	}
	f = 0;
	if (t->fl->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		f = ti.flags;
	}
	p11_seterr(k->err, sizeof(k->err), "token %s: C_Login%s: %s%s", t->label,
	    who == CKU_CONTEXT_SPECIFIC ? " (context-specific)" : "", p11_rv_str(rv),
	    rv == CKR_PIN_LOCKED ? "" : flag_words(f));
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_INVALID ||
	               rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_EXPIRED
	           ? SSH_ERR_PASSPHRASE
	           : SSH_ERR_INTERNAL;
}

static int find_private(struct p11_key *k, CK_OBJECT_HANDLE *h)
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

static int need_user_login(struct p11_token *t)
{
	CK_TOKEN_INFO ti;

	if (t->logged_in) {
		return 0;
	}
	if (t->fl->C_GetTokenInfo(t->slot, &ti) != CKR_OK) {
		return 1;
	}
	return (ti.flags & CKF_LOGIN_REQUIRED) != 0;
}

static int do_sign(struct p11_key *k)
{
	struct p11_token *t = k->tok;
	CK_MECHANISM mech = {k->mech, NULL, 0};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG siglen;
	CK_RV rv;
	int r;

	if (need_user_login(t)) {
		if (t->pin_failed) {
			p11_seterr(k->err, sizeof(k->err),
			    "token %s: a PIN was refused before; not trying again", t->label);
			return SSH_ERR_PASSPHRASE;
		}
		if ((r = login(k, CKU_USER)) != 0) {
			return r;
		}
		t->logged_in = 1;
	}
	if ((r = find_private(k, &h)) != 0) {
		return r;
	}
	if ((rv = t->fl->C_SignInit(t->session, &mech, h)) != CKR_OK) {
		p11_seterr(
		    k->err, sizeof(k->err), "token %s: C_SignInit: %s", t->label, p11_rv_str(rv));
		return SSH_ERR_INTERNAL;
	}
	if (k->always_auth == 1 && (r = login(k, CKU_CONTEXT_SPECIFIC)) != 0) {
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

static void *worker(void *arg)
{
	struct p11_key *k = arg;
	ssize_t w;

	pthread_mutex_lock(&k->tok->mu);
	k->rc = do_sign(k);
	pthread_mutex_unlock(&k->tok->mu);
	do {
		w = write(k->pfd[1], "x", 1);
	} while (w < 0);
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

/* the bytes the token signs: DigestInfo (RSA), the hash (ECDSA), the data (Ed25519) */
static int prepare_input(struct p11_key *k, const uint8_t *data, size_t len)
{
	const struct hostkey_alg *row = k->row;
	EVP_MD *md = NULL;
	const uint8_t *di = NULL;
	size_t dil = 0;
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
		switch (EVP_MD_get_type(md)) {
		case NID_sha1:
			di = di_sha1;
			dil = sizeof(di_sha1);
			break;
		case NID_sha256:
			di = di_sha256;
			dil = sizeof(di_sha256);
			break;
		case NID_sha384:
			di = di_sha384;
			dil = sizeof(di_sha384);
			break;
		case NID_sha512:
			di = di_sha512;
			dil = sizeof(di_sha512);
			break;
		default:
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

/* is the private key always-authenticate? (only knowable once logged in) */
static void probe_always_auth(struct p11_key *k)
{
	CK_OBJECT_HANDLE h;

	if (k->always_auth != -1 || !k->tok->logged_in) {
		return;
	}
	pthread_mutex_lock(&k->tok->mu);
	if (find_private(k, &h) != 0) {
		k->always_auth = -1;
		k->err[0] = '\0';
	}
	pthread_mutex_unlock(&k->tok->mu);
}

static int session_logged_in(struct p11_token *t)
{
	CK_SESSION_INFO si;
	int yes = 0;

	pthread_mutex_lock(&t->mu);
	if (t->fl->C_GetSessionInfo(t->session, &si) == CKR_OK) {
		yes = si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS;
	}
	pthread_mutex_unlock(&t->mu);
	return yes;
}

static int p11s_sign(
    struct signer *s, const char *alg, const uint8_t *data, size_t len, struct buf *out)
{
	struct p11_key *k = s->impl;
	struct p11_token *t = k->tok;
	CK_TOKEN_INFO ti;
	CK_FLAGS tflags = 0;
	int r, pinpad;

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
	if (t->fl->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		tflags = ti.flags;
	}
	pinpad = (tflags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
	if (!t->logged_in && session_logged_in(t)) {
		t->logged_in = 1; /* another load of the same module logged this token in */
	}
	if (!t->logged_in && (tflags & CKF_LOGIN_REQUIRED) != 0) {
		if (t->pin_failed) {
			p11_seterr(k->err, sizeof(k->err),
			    "token %s: a PIN was refused before; not trying again", t->label);
			return SSH_ERR_PASSPHRASE;
		}
		if ((tflags & CKF_USER_PIN_LOCKED) != 0) {
			p11_seterr(k->err, sizeof(k->err),
			    "token %s: the user PIN is locked (CKF_USER_PIN_LOCKED)", t->label);
			return SSH_ERR_PASSPHRASE;
		}
		if (!pinpad && (r = get_pin(k, tflags)) != 0) {
			return r;
		}
	} else {
		probe_always_auth(k);
		if (k->always_auth == 1 && t->pin_failed) {
			p11_seterr(k->err, sizeof(k->err),
			    "token %s: a PIN was refused before; not trying again", t->label);
			return SSH_ERR_PASSPHRASE;
		}
		if (k->always_auth == 1 && !pinpad && (r = get_pin(k, tflags)) != 0) {
			return r;
		}
	}
	if ((r = prepare_input(k, data, len)) != 0) {
		goto fail;
	}
	if (pipe2(k->pfd, O_CLOEXEC) != 0) {
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
		pin_wipe(&k->pin); /* no worker will use it: do not keep it around */
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
		pin_wipe(&k->pin); /* only always-authenticate keys keep it */
	}
	if ((r = k->rc) != 0) {
		if (k->tok->pin_failed) {
			pin_wipe(&k->pin);
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
