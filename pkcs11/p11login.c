/*
 * PIN sources and the login of a token key: the PIN from pin-value, a pin-source file or the
 * caller's answer to our question (never in batch mode; one question per token at a time, the
 * other keys of the token queued behind it), kept on one locked page; the token flags that change
 * what is tried (count low, final try, locked, protected authentication path); C_Login as the
 * user once per token and the context-specific login of always-authenticate keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "p11_int.h"

#define PIN_PAGE 4096

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

void p11_pin_wipe(char **pin)
{
	if (*pin == NULL) {
		return;
	}
	OPENSSL_cleanse(*pin, PIN_PAGE);
	(void)munlock(*pin, PIN_PAGE);
	(void)munmap(*pin, PIN_PAGE);
	*pin = NULL;
}

/* ---- the PIN ---- */

/* a pin-source file this token refused (in this run or an earlier one) is not presented again
 * until it changes: a stale PIN file must not lock the token after a few runs */
static int refused_file_before(struct p11_key *k, const struct stat *st)
{
	char when[40], path[512];
	long long t = 0;
	time_t tt;
	struct tm tm;

	p11_fileid_of(st, &k->pin_fid);
	k->pin_fid.valid = 0; /* set once the PIN is read */
	if (!p11_pinmem_refused(k->tok, &k->pin_fid, &t)) {
		return 0;
	}
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		snprintf(when, sizeof(when), "%lld", t);
	}
	if (p11_pinmem_path(path, sizeof(path)) != 0) {
		snprintf(path, sizeof(path), "~/.x509ssh/pin-refused");
	}
	errfmt(k->err, sizeof(k->err),
	    "token %s: pin-source %s was refused before (on %s); not presenting it again until it "
	    "changes (or remove its line from %s)",
	    k->tok->label, k->pin_file, when, path);
	return P11_ERR_PIN;
}

static int read_pin_file(struct p11_key *k, char *pin)
{
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd, r = P11_ERR_SYSTEM;

	if ((fd = open(k->pin_file, O_RDONLY | O_CLOEXEC)) < 0) {
		errfmt(k->err, sizeof(k->err), "pin-source %s: cannot open", k->pin_file);
		return P11_ERR_SYSTEM;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errfmt(k->err, sizeof(k->err), "pin-source %s: not a regular file", k->pin_file);
		goto out;
	}
	/* a PIN others can read (or write) is no secret: refuse, as OpenSSH refuses such keys */
	if ((st.st_mode & 077) != 0 || (st.st_uid != getuid() && st.st_uid != 0)) {
		errfmt(k->err, sizeof(k->err),
		    "pin-source %s: permissions %04o or owner uid %u are too open (make it mode "
		    "0600, owned by you)",
		    k->pin_file, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		r = P11_ERR_SYSTEM;
		goto out;
	}
	if ((r = refused_file_before(k, &st)) != 0) {
		goto out;
	}
	r = P11_ERR_SYSTEM;
	for (;;) {
		if (n >= P11_PIN_MAX) {
			break;
		}
		got = read(fd, pin + n, P11_PIN_MAX - n);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got < 0) {
			errfmt(k->err, sizeof(k->err), "pin-source %s: read: %s", k->pin_file,
			    strerror(errno));
			goto out; /* never a truncated PIN: it would cost a try */
		}
		if (got == 0) {
			break;
		}
		n += (size_t)got;
	}
	if (n >= P11_PIN_MAX) {
		errfmt(k->err, sizeof(k->err), "pin-source %s: longer than %d bytes", k->pin_file,
		    P11_PIN_MAX - 1);
		r = P11_ERR_TOO_LARGE;
		goto out;
	}
	if (n > 0 && pin[n - 1] == '\n') {
		n--; /* one trailing newline (or CR LF) */
		if (n > 0 && pin[n - 1] == '\r') {
			n--;
		}
	}
	pin[n] = '\0';
	k->pin_fid.valid = 1;
	r = 0;
out:
	if (r != 0) {
		OPENSSL_cleanse(pin, P11_PIN_MAX);
	}
	close(fd);
	return r;
}

/* ---- the PIN question: asked once per token, the other keys of the token wait for it ---- */

/* the keys asking for a PIN or queued behind such a question; used on the caller's thread only */
static struct p11_key *pin_keys;

/* the same token, possibly loaded twice (two URIs naming it) */
static int same_token(const struct p11_token *a, const struct p11_token *b)
{
	return a == b || (strcmp(a->label, b->label) == 0 && strcmp(a->serial, b->serial) == 0 &&
	                     strcmp(a->manufacturer, b->manufacturer) == 0 &&
	                     strcmp(a->model, b->model) == 0);
}

static void pin_unlist(struct p11_key *k)
{
	struct p11_key **pp;

	for (pp = &pin_keys; *pp != NULL; pp = &(*pp)->pin_next) {
		if (*pp == k) {
			*pp = k->pin_next;
			break;
		}
	}
	k->pin_next = NULL;
	k->pin_wait = P11_PIN_NONE;
	k->pin_woken = 0;
}

static void pin_list(struct p11_key *k, int state)
{
	k->pin_wait = state;
	k->pin_woken = 0;
	k->pin_next = pin_keys;
	pin_keys = k;
}

/* ask k's PIN, or wait behind the key of the same token that asks it already */
static int ask_or_wait(struct p11_key *k, CK_FLAGS tflags)
{
	struct p11_key *o;

	for (o = pin_keys; o != NULL; o = o->pin_next) {
		if (o != k && o->pin_wait == P11_PIN_ASKING && same_token(o->tok, k->tok)) {
			pin_list(k, P11_PIN_QUEUED);
			return P11_WAIT_PIN;
		}
	}
	snprintf(k->prompt, sizeof(k->prompt), "Enter PIN for token '%s'%s: ", k->tok->label,
	    (tflags & CKF_USER_PIN_FINAL_TRY) != 0
	        ? " (FINAL TRY: a wrong PIN locks the token)"
	        : ((tflags & CKF_USER_PIN_COUNT_LOW) != 0 ? " (a wrong PIN was entered before)"
	                                                  : ""));
	pin_list(k, P11_PIN_ASKING);
	return P11_ASK_PIN;
}

/* the question k asked is over: wake the keys queued behind it */
static void wake_queued(struct p11_key *k)
{
	struct p11_key *o;
	ssize_t w;

	for (o = pin_keys; o != NULL; o = o->pin_next) {
		if (o->pin_wait != P11_PIN_QUEUED || o->pin_woken || !same_token(o->tok, k->tok)) {
			continue;
		}
		o->pin_woken = 1;
		o->pin_refused_other |= k->tok->pin_failed;
		do {
			w = send(o->pfd[1], "w", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		} while (w < 0 && errno == EINTR);
		/* a full or closed socket: pin_woken is what sign_finish looks at */
	}
}

void p11_login_forget(struct p11_key *k)
{
	int asked = k->pin_wait == P11_PIN_ASKING;

	if (k->pin_wait == P11_PIN_NONE) {
		return;
	}
	pin_unlist(k);
	if (asked) {
		wake_queued(k);
	}
}

void p11_login_done(struct p11_key *k)
{
	if (k->pin_wait == P11_PIN_ASKING) {
		p11_login_forget(k);
	}
}

int p11_login_woken(struct p11_key *k)
{
	char b[16];

	if (k->pin_wait != P11_PIN_QUEUED || !k->pin_woken) {
		return 0;
	}
	while (recv(k->pfd[0], b, sizeof(b), MSG_DONTWAIT) > 0) {
	}
	pin_unlist(k);
	return 1;
}

int p11_login_answer(struct p11_key *k, const char *pin)
{
	size_t n;

	if (k->pin_wait != P11_PIN_ASKING || k->pin != NULL) {
		return P11_ERR_INTERNAL;
	}
	if (pin == NULL) {
		errfmt(k->err, sizeof(k->err), "token %s: no PIN entered", k->tok->label);
		p11_login_forget(k);
		return P11_ERR_PIN;
	}
	if ((n = strlen(pin)) >= P11_PIN_MAX) {
		errfmt(k->err, sizeof(k->err), "token %s: the PIN entered is longer than %d bytes",
		    k->tok->label, P11_PIN_MAX - 1);
		p11_login_forget(k);
		return P11_ERR_PIN;
	}
	if ((k->pin = pin_alloc()) == NULL) {
		p11_login_forget(k);
		return P11_ERR_ALLOC;
	}
	memcpy(k->pin, pin, n + 1);
	return 0;
}

/* Get a PIN into k->pin (a locked page), or say it must be asked (P11_ASK_PIN, P11_WAIT_PIN). */
static int get_pin(struct p11_key *k, CK_FLAGS tflags)
{
	int r;

	if (k->pin != NULL) {
		return 0;
	}
	if ((k->pin = pin_alloc()) == NULL) {
		return P11_ERR_ALLOC;
	}
	if (k->uri_pin != NULL || k->pin_file != NULL) {
		if ((tflags & CKF_USER_PIN_FINAL_TRY) != 0) {
			/* a wrong stored PIN must not lock the token: the last try is a person's */
			errfmt(k->err, sizeof(k->err),
			    "token %s: one PIN try left (CKF_USER_PIN_FINAL_TRY): the stored PIN "
			    "is "
			    "not used; enter it interactively",
			    k->tok->label);
			r = P11_ERR_PIN;
			goto out;
		}
		if (k->uri_pin != NULL) {
			if (strlen(k->uri_pin) >= P11_PIN_MAX) {
				r = P11_ERR_TOO_LARGE;
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
	if (k->batch_mode || !k->can_ask) {
		errfmt(k->err, sizeof(k->err),
		    "token %s: a PIN is needed and %s (give pin-source=file:... in the URI)",
		    k->tok->label,
		    k->batch_mode ? "BatchMode forbids asking" : "nobody can be asked");
		r = P11_ERR_PIN;
		goto out;
	}
	p11_pin_wipe(&k->pin); /* the answer comes later: p11_login_answer */
	return ask_or_wait(k, tflags);
out:
	p11_pin_wipe(&k->pin);
	return r;
}

/* ---- the login ---- */

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
	int pinpad, file_pin, remembered;

	if (t->fl->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		f = ti.flags;
	}
	pinpad = (f & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
	if (!pinpad && k->pin == NULL) {
		errfmt(k->err, sizeof(k->err), "token %s: no PIN", t->label);
		return P11_ERR_PIN;
	}
	rv = t->fl->C_Login(t->session, who, pinpad ? NULL : (CK_UTF8CHAR_PTR)k->pin,
	    pinpad ? 0 : (CK_ULONG)strlen(k->pin));
	file_pin = !pinpad && k->pin_fid.valid && k->pin_file != NULL;
	if (rv == CKR_OK || (rv == CKR_USER_ALREADY_LOGGED_IN && who == CKU_USER)) {
		if (file_pin && rv == CKR_OK) {
			(void)p11_pinmem_clear(t, &k->pin_fid, k->pin_file);
		}
		return 0;
	}
	if (who == CKU_USER || rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED) {
		t->pin_failed = 1; /* never resend: the next try could lock the token */
	}
	/* the file's PIN itself was refused: remember it across runs */
	remembered =
	    file_pin &&
	    (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) &&
	    p11_pinmem_record(t, &k->pin_fid, k->pin_file) == 0;
	f = 0;
	if (t->fl->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		f = ti.flags;
	}
	errfmt(k->err, sizeof(k->err), "token %s: C_Login%s: %s%s%s", t->label,
	    who == CKU_CONTEXT_SPECIFIC ? " (context-specific)" : "", p11_rv_str(rv),
	    rv == CKR_PIN_LOCKED ? "" : flag_words(f),
	    remembered ? " (the pin-source file is not presented again until it changes)" : "");
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_INVALID ||
	               rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_EXPIRED
	           ? P11_ERR_PIN
	           : P11_ERR_INTERNAL;
}

/* a PIN this token refused is never sent again: the next try could lock it */
static int refused_before(struct p11_key *k)
{
	errfmt(k->err, sizeof(k->err), "token %s: a PIN was refused before; not trying again",
	    k->tok->label);
	return P11_ERR_PIN;
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

int p11_login_user(struct p11_key *k)
{
	int r;

	if (!need_user_login(k->tok)) {
		return 0;
	}
	if (k->tok->pin_failed) {
		return refused_before(k);
	}
	if ((r = login(k, CKU_USER)) != 0) {
		return r;
	}
	k->tok->logged_in = 1;
	return 0;
}

int p11_login_context(struct p11_key *k)
{
	return login(k, CKU_CONTEXT_SPECIFIC);
}

/* ---- before a signature ---- */

/* is the private key always-authenticate? (only knowable once logged in) */
static void probe_always_auth(struct p11_key *k)
{
	CK_OBJECT_HANDLE h;

	if (k->always_auth != -1 || !k->tok->logged_in) {
		return;
	}
	pthread_mutex_lock(&k->tok->mu);
	if (p11_find_private(k, &h) != 0) {
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

int p11_login_prepare(struct p11_key *k)
{
	struct p11_token *t = k->tok;
	CK_TOKEN_INFO ti;
	CK_FLAGS tflags = 0;
	int pinpad;

	if (t->fl->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		tflags = ti.flags;
	}
	pinpad = (tflags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
	if (!t->logged_in && session_logged_in(t)) {
		t->logged_in = 1; /* another load of the same module logged this token in */
	}
	if (!t->logged_in && (tflags & CKF_LOGIN_REQUIRED) != 0) {
		if (t->pin_failed || k->pin_refused_other) {
			return refused_before(k);
		}
		if ((tflags & CKF_USER_PIN_LOCKED) != 0) {
			errfmt(k->err, sizeof(k->err),
			    "token %s: the user PIN is locked (CKF_USER_PIN_LOCKED)", t->label);
			return P11_ERR_PIN;
		}
		return pinpad ? 0 : get_pin(k, tflags);
	}
	probe_always_auth(k);
	if (k->always_auth != 1) {
		return 0;
	}
	if (t->pin_failed || k->pin_refused_other) {
		return refused_before(k);
	}
	return pinpad ? 0 : get_pin(k, tflags);
}
