/*
 * The auth driver: the answers to the engine's host-key, authentication, prompt and signing
 * events (trust decisions, PreferredAuthentications order, password and keyboard-interactive
 * prompts, synchronous and token signatures, the passphrases and PINs signers and key files
 * need, AddKeysToAgent's ask before a key file's signature goes out). A question to the user
 * is a prompt in the poll set (prompt.h): the connection waits for its answer, the others go
 * on.
 */
#include "loop.h"
#include "loop_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "log.h"
#include "p11.h"
#include "signq.h"
#include "prompt.h"
#include "ssh/err.h"
#include "ssh/mlkem_evp.h"
#include "ssh/sshkey.h"
#include "ssh/namelist.h"
#include "trust.h"

/* ---- questions to the user: one at a time per connection, in the poll set ---- */

enum ask_kind { ASK_HOSTKEY, ASK_PASSWORD, ASK_KBDINT, ASK_SIGNER, ASK_KEYFILE, ASK_ADDKEY };

/* The prompt under way and what its answer is for. */
struct auth_ask {
	enum ask_kind kind;
	struct prompt_ask *p;
	struct trust_question *q; /* ASK_HOSTKEY */
	char *methods;    /* ASK_PASSWORD, ASK_KEYFILE: AUTH_NEXT's methods, to go on with */
	struct signer *s; /* ASK_SIGNER: the signer waiting for its passphrase or PIN */
	struct signer *signed_by; /* ASK_ADDKEY: the key file's signer whose signature waits */
	uint8_t *sig;             /* ASK_ADDKEY: that signature, handed on after the answer */
	size_t siglen;
	char **shown; /* ASK_KBDINT: the round's prompts as shown */
	int *echo;
	char **answers;
	size_t n, i; /* prompts in the round, the one asked */
};

/* l's question, its time not counted by l's timeouts (until ask_end). NULL: out of memory, or
 * a question already under way (the engine waits for one answer at a time: never expected). */
static struct auth_ask *ask_new(struct loop *l, enum ask_kind kind)
{
	struct auth_ask *a;

	if (l->ask != NULL) {
		loop_fail_local(l, "auth: a second question while one is asked");
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		loop_fail_local(l, "auth: out of memory");
		return NULL;
	}
	a->kind = kind;
	l->ask = a;
	session_wait_begin(l);
	return a;
}

/* Ask l's question; the answer comes to authdrv_after. */
static int ask_start(struct loop *l, const char *text, int flags, int confirm, const char *fp)
{
	int r = prompt_start(text, flags, confirm, fp, &l->ask->p);

	if (r != 0) {
		loop_fail_local(l, "auth: cannot ask: %s", ssh_err_str(r));
	}
	return r;
}

static void ask_end(struct loop *l)
{
	struct auth_ask *a = l->ask;

	if (a == NULL) {
		return;
	}
	l->ask = NULL;
	if (a->s != NULL) {
		/* a signer's question given up (the connection ends): it forgets the signature */
		uint8_t *sig = NULL;
		size_t len = 0;

		(void)a->s->ops->secret_answer(a->s, NULL, &sig, &len);
		free(sig);
	}
	prompt_cancel(a->p);
	free(a->sig);
	trust_question_free(a->q);
	free(a->methods);
	for (size_t i = 0; i < a->n; i++) {
		free(a->shown[i]);
		prompt_free_secret(a->answers[i]);
	}
	free(a->shown);
	free(a->echo);
	free(a->answers);
	free(a);
	session_wait_end(l);
}

/* Remember why a prompting method was skipped, for the final "auth:" line. */
static void auth_note(struct loop *l, const char *what)
{
	size_t n = strlen(l->auth_note);

	if (strstr(l->auth_note, what) != NULL || n + strlen(what) + 3 >= sizeof(l->auth_note)) {
		return;
	}
	snprintf(l->auth_note + n, sizeof(l->auth_note) - n, "%s%s", n > 0 ? "; " : "", what);
}

static int max_prompts(const struct loop *l)
{
	return l->o->number_of_password_prompts >= 0 ? l->o->number_of_password_prompts : 3;
}

static const char *login_name(const struct loop *l)
{
	if (l->cfg != NULL && l->cfg->user != NULL) {
		return l->cfg->user;
	}
	return l->o->user != NULL ? l->o->user : "";
}

static int auth_next_methods(struct loop *l, const char *methods);
static int ask_keyfile(struct loop *l, const char *methods);

/* Returns 0 when the password is being asked, 1 when password is not possible, or an error. */
static int try_password(struct loop *l, const char *methods)
{
	char prompt[1200];
	struct auth_ask *a;

	if (l->o->batch_mode == 1) {
		auth_note(l, "BatchMode: no password or keyboard-interactive prompts");
		return 1;
	}
	if (l->password_tries >= max_prompts(l)) {
		return 1; /* not possible: next method */
	}
	if (l->password_tries > 0) {
		log_error("Permission denied, please try again.");
	}
	if ((a = ask_new(l, ASK_PASSWORD)) == NULL || (a->methods = strdup(methods)) == NULL) {
		loop_fail_local(l, "auth: out of memory");
		return SSH_ERR_ALLOC;
	}
	snprintf(prompt, sizeof(prompt), "%s@%s's password: ", login_name(l), l->host);
	return ask_start(l, prompt, 0, 0, NULL);
}

/* The password prompt's answer: the attempt, or (no answer) the next method. */
static int password_answered(struct loop *l, int r, char *pw, int yes)
{
	char *methods;

	(void)yes;
	if (r == 0) {
		ask_end(l);
		l->password_tries++;
		l->auth_method = "password";
		r = ssh_conn_auth_password(l->c, pw);
		prompt_free_secret(pw);
		return r < 0 ? r : 0;
	}
	log_debug1("password prompt: %s", ssh_err_str(r));
	auth_note(l, r == SSH_ERR_NOT_FOUND ? "no terminal or SSH_ASKPASS to ask a password"
	                                    : "password prompt cancelled");
	l->password_tries = max_prompts(l);
	methods = l->ask->methods;
	l->ask->methods = NULL;
	ask_end(l);
	r = auth_next_methods(l, methods);
	free(methods);
	return r;
}

/* Returns 0 when an attempt was sent, 1 when keyboard-interactive is not possible. */
static int try_kbdint(struct loop *l)
{
	if (l->o->batch_mode == 1) {
		auth_note(l, "BatchMode: no password or keyboard-interactive prompts");
		return 1;
	}
	if (l->kbdint_exhausted || l->kbdint_tries >= max_prompts(l)) {
		return 1;
	}
	l->kbdint_tries++;
	l->auth_method = "keyboard-interactive";
	return ssh_conn_auth_kbdint(l->c);
}

/* Show a server text (name or instruction) on stderr like OpenSSH: one line each. */
static void show_text(const char *text)
{
	size_t n;

	if (text == NULL || text[0] == '\0' || log_get_level() < LOG_INFO) {
		return;
	}
	n = strlen(text);
	fputs(text, stderr);
	if (text[n - 1] != '\n') {
		fputc('\n', stderr);
	}
	fflush(stderr);
}

/* The round's answers to the engine (empty ones when the method is used up). */
static int kbdint_reply(struct loop *l)
{
	struct auth_ask *a = l->ask;
	int r;

	if (l->kbdint_exhausted) {
		for (size_t i = 0; i < a->n; i++) {
			prompt_free_secret(a->answers[i]);
			a->answers[i] = NULL;
		}
	}
	r = ssh_conn_answer_prompts(l->c, (const char *const *)a->answers, a->n);
	ask_end(l); /* the answers wiped */
	return r;
}

/* One keyboard-interactive answer: the next question, or the round's answers. */
static int kbdint_answered(struct loop *l, int r, char *answer, int yes)
{
	struct auth_ask *a = l->ask;

	(void)yes;
	if (r != 0) {
		/* answer the round with empty strings; the method is then used up */
		log_debug1("keyboard-interactive prompt: %s", ssh_err_str(r));
		auth_note(l, r == SSH_ERR_NOT_FOUND
		                 ? "no terminal or SSH_ASKPASS to answer keyboard-interactive"
		                 : "keyboard-interactive prompt cancelled");
		l->kbdint_exhausted = 1;
		return kbdint_reply(l);
	}
	a->answers[a->i++] = answer;
	if (a->i < a->n) {
		return ask_start(l, a->shown[a->i], a->echo[a->i] ? PROMPT_ECHO : 0, 0, NULL);
	}
	return kbdint_reply(l);
}

/* SSH_EV_PROMPT: one round of keyboard-interactive questions, asked one after the other. */
int authdrv_prompt(struct loop *l, const struct ssh_event *ev)
{
	size_t n = ev->u.prompt.n, i;
	struct auth_ask *a;
	char shown[2400];

	if ((a = ask_new(l, ASK_KBDINT)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if ((a->shown = calloc(n > 0 ? n : 1, sizeof(*a->shown))) == NULL ||
	    (a->echo = calloc(n > 0 ? n : 1, sizeof(*a->echo))) == NULL ||
	    (a->answers = calloc(n > 0 ? n : 1, sizeof(*a->answers))) == NULL) {
		goto oom;
	}
	a->n = n;
	for (i = 0; i < n; i++) {
		/* as OpenSSH: say who asks, so a prompt cannot pose as a local one */
		snprintf(shown, sizeof(shown), "(%s@%s) %s", login_name(l), l->host,
		    ev->u.prompt.prompts[i]);
		if ((a->shown[i] = strdup(shown)) == NULL) {
			goto oom;
		}
		a->echo[i] = ev->u.prompt.echo[i];
	}
	show_text(ev->u.prompt.name);
	show_text(ev->u.prompt.instruction);
	if (n == 0 || l->kbdint_exhausted) {
		return kbdint_reply(l);
	}
	return ask_start(l, a->shown[0], a->echo[0] ? PROMPT_ECHO : 0, 0, NULL);
oom:
	loop_fail_local(l, "auth: out of memory");
	return SSH_ERR_ALLOC;
}

/* The methods of PreferredAuthentications the server lets us continue with, in order. */
static int auth_next_methods(struct loop *l, const char *methods)
{
	const char *pref = l->o->preferred_authentications;
	struct namelist_iter it;
	const char *el;
	char method[64];
	size_t len;
	int r;

	if (pref == NULL) {
		pref = "publickey,keyboard-interactive,password";
	}
	namelist_begin(&it, pref);
	while (namelist_next(&it, &el, &len)) {
		if (len == 0 || len >= sizeof(method) || !namelist_has_n(methods, el, len)) {
			continue;
		}
		memcpy(method, el, len);
		method[len] = '\0';
		if (strcmp(method, "publickey") == 0 && !l->pubkey_exhausted) {
			struct signer *s = identities_next(l->ids);
			if (s != NULL) {
				l->auth_method = "publickey";
				return ssh_conn_auth_pubkey(l->c, s);
			}
			if (identities_question(l->ids, NULL) != NULL) {
				return ask_keyfile(l, methods); /* a passphrase before the key */
			}
			l->pubkey_exhausted = 1;
			continue;
		}
		r = 1;
		if (strcmp(method, "keyboard-interactive") == 0) {
			r = try_kbdint(l);
		} else if (strcmp(method, "password") == 0) {
			r = try_password(l, methods);
		}
		if (r <= 0) {
			return r;
		}
	}
	log_debug1("No more authentication methods to try.");
	return ssh_conn_auth_give_up(l->c);
}

/* An encrypted key without FILE.pub: its passphrase, asked before it is offered. */
static int ask_keyfile(struct loop *l, const char *methods)
{
	struct auth_ask *a;
	int retry = 0;
	const char *q = identities_question(l->ids, &retry);

	if ((a = ask_new(l, ASK_KEYFILE)) == NULL || (a->methods = strdup(methods)) == NULL) {
		loop_fail_local(l, "auth: out of memory");
		return SSH_ERR_ALLOC;
	}
	if (retry) {
		log_debug1("bad passphrase given, try again...");
	}
	return ask_start(l, q, 0, 0, NULL);
}

/* Its answer: the key decrypted and offered, asked again, or skipped: the identities go on. */
static int keyfile_answered(struct loop *l, int r, char *pass, int yes)
{
	char *methods;

	(void)yes;
	if (r != 0) {
		log_debug1("passphrase prompt: %s", ssh_err_str(r));
	}
	identities_answer(l->ids, r == 0 ? pass : NULL);
	prompt_free_secret(pass);
	methods = l->ask->methods;
	l->ask->methods = NULL;
	ask_end(l);
	r = auth_next_methods(l, methods);
	free(methods);
	return r;
}

int authdrv_auth_next(struct loop *l, const struct ssh_event *ev)
{
	identities_agent_bind(l->ids, l->c); /* session-bind@openssh.com, once */
	return auth_next_methods(l, ev->u.auth.methods);
}

/* the one-line message for a failed signature: token errors in their own category */
static void sign_failure(struct signer *s, int r, char *cause, size_t len)
{
	const char *detail = signer_error(s);

	if (detail[0] == '\0') {
		detail = signer_strerror(r);
	}
	if (p11_is_signer(signq_inner(s)) && p11_helper_failure() != NULL) {
		snprintf(cause, len, "pkcs11: %s", p11_helper_failure()); /* no key's fault */
	} else if (p11_is_signer(signq_inner(s))) {
		snprintf(
		    cause, len, "pkcs11: %s: %s", s->name != NULL ? s->name : "token key", detail);
	} else {
		snprintf(cause, len, "auth: signing with %s failed: %s",
		    s->name != NULL ? s->name : "key", detail);
	}
}

/* hand the signer's result (r, and the raw signature sig) to the engine */
static int answer_signature(struct loop *l, struct signer *s, int r, uint8_t *sig, size_t len)
{
	char cause[1024];

	if (r != 0) {
		sign_failure(s, r, cause, sizeof(cause));
		r = ssh_conn_answer_sign(l->c, NULL, 0, r, cause);
	} else {
		r = ssh_conn_answer_sign(l->c, sig, len, 0, NULL);
	}
	free(sig);
	return r;
}

/* A signer's result, whatever step gave it: wait for its worker (poll_fd), ask its question,
 * or hand the signature (or the failure) to the engine. */
static int sign_result(struct loop *l, struct signer *s, int r, uint8_t *sig, size_t len)
{
	struct auth_ask *a;
	const char *q;
	int flags = 0;

	if (r == SIGNER_AGAIN && s->ops->sign_finish != NULL && s->ops->poll_fd != NULL) {
		l->sign_signer = s;    /* a token signs in its thread: wait for poll_fd */
		session_wait_begin(l); /* its timeouts stop meanwhile */
		return 0;
	}
	if (r == SIGNER_OK && identities_add_question(l->ids) != NULL) {
		/* AddKeysToAgent ask: the user's answer first, as OpenSSH asks before it signs */
		if ((a = ask_new(l, ASK_ADDKEY)) == NULL) {
			free(sig);
			return SSH_ERR_ALLOC;
		}
		a->signed_by = s;
		a->sig = sig;
		a->siglen = len;
		return ask_start(l, identities_add_question(l->ids), PROMPT_ECHO, 1, NULL);
	}
	if (r != SIGNER_NEED_SECRET) {
		return answer_signature(l, s, r, sig, len);
	}
	if (s->ops->secret_prompt == NULL || s->ops->secret_answer == NULL ||
	    (q = s->ops->secret_prompt(s, &flags)) == NULL) {
		return answer_signature(l, s, SIGNER_ERR_INTERNAL, NULL, 0);
	}
	if ((a = ask_new(l, ASK_SIGNER)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if ((flags & SIGNER_SECRET_RETRY) != 0) {
		log_debug1("bad passphrase given, try again...");
	}
	a->s = s;
	return ask_start(l, q, 0, 0, NULL);
}

/* The passphrase or PIN a signer asked for: it goes on with the signature. */
static int signer_answered(struct loop *l, int r, char *secret, int yes)
{
	struct signer *s = l->ask->s;
	uint8_t *sig = NULL;
	size_t len = 0;

	(void)yes;
	if (r != 0) {
		log_debug1("%s prompt: %s", p11_is_signer(signq_inner(s)) ? "PIN" : "passphrase",
		    ssh_err_str(r));
	}
	l->ask->s = NULL; /* answered here, not given up by ask_end */
	r = s->ops->secret_answer(s, r == 0 ? secret : NULL, &sig, &len);
	prompt_free_secret(secret); /* the signer keeps its own copy */
	ask_end(l);
	return sign_result(l, s, r, sig, len);
}

/* AddKeysToAgent ask answered (no answer: no): the key added or not, the signature goes on */
static int addkey_answered(struct loop *l, int r, char *answer, int yes)
{
	struct signer *s = l->ask->signed_by;
	uint8_t *sig = l->ask->sig;
	size_t len = l->ask->siglen;

	prompt_free_secret(answer);
	if (r != 0) {
		log_debug1("AddKeysToAgent question: %s", ssh_err_str(r));
	}
	identities_add_answer(l->ids, r == 0 && yes);
	l->ask->sig = NULL;
	ask_end(l);
	return answer_signature(l, s, 0, sig, len);
}

int authdrv_sign(struct loop *l, const struct ssh_event *ev)
{
	struct signer *s = ev->u.sign.signer;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r;

	r = s->ops->sign(s, &ev->u.sign.req, &sig, &len);
	return sign_result(l, s, r, sig, len);
}

int authdrv_finish_sign(struct loop *l)
{
	struct signer *s = l->sign_signer;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r;

	r = s->ops->sign_finish(s, &sig, &len);
	if (r == SIGNER_AGAIN) {
		return 0;
	}
	l->sign_signer = NULL;
	session_wait_end(l);
	return sign_result(l, s, r, sig, len);
}

/* The host key trusted or not: the engine is told (a refusal's reason is the one line). */
static int hostkey_decided(struct loop *l, int trusted, const char *err)
{
	if (!trusted) {
		loop_fail_local(l, "%s", err[0] != '\0' ? err : "hostkey: host key not trusted");
	}
	l->hostkey_done = 1; /* what follows is user authentication */
	return ssh_conn_answer_hostkey(l->c, trusted);
}

int authdrv_hostkey(struct loop *l, const struct ssh_event *ev)
{
	struct trust_question *q = NULL;
	struct auth_ask *a;
	char err[ERR_MAX];
	const char *kex;
	int trusted = 0, r;

	if (ev->u.hostkey.fingerprint != NULL) {
		log_debug1("Server host key: %s %s", ev->u.hostkey.alg, ev->u.hostkey.fingerprint);
	}
	kex = ssh_conn_negotiated(l->c, "kex");
	if (kex != NULL && strncmp(kex, "mlkem768", 8) == 0) {
		log_debug1("kex: ML-KEM-768: %s", mlkem768_impl_name());
	}
	r = trust_hostkey_view(l->o, l->addr, &ev->u.hostkey, &trusted, err, sizeof(err), &q);
	(void)r;
	if (q == NULL) {
		return hostkey_decided(l, trusted, err);
	}
	if ((a = ask_new(l, ASK_HOSTKEY)) == NULL) {
		trust_question_free(q);
		return SSH_ERR_ALLOC;
	}
	a->q = q;
	return ask_start(l, trust_question_text(q), PROMPT_ECHO, 1, trust_question_fingerprint(q));
}

/* The user's answer to the host-key question. */
static int hostkey_answered(struct loop *l, int r, char *answer, int yes)
{
	char err[ERR_MAX];
	int trusted = 0;

	prompt_free_secret(answer);
	(void)trust_question_answer(l->o, l->ask->q, r, yes, &trusted, err, sizeof(err));
	ask_end(l);
	return hostkey_decided(l, trusted, err);
}

/* ---- the question in the poll loop ---- */

/* what each kind of question does with its answer (r: the prompt's result); each ends the
 * question (ask_end) or asks the next one */
static int (*const answered[])(struct loop *l, int r, char *answer, int yes) = {
    [ASK_HOSTKEY] = hostkey_answered,
    [ASK_PASSWORD] = password_answered,
    [ASK_KBDINT] = kbdint_answered,
    [ASK_SIGNER] = signer_answered,
    [ASK_KEYFILE] = keyfile_answered,
    [ASK_ADDKEY] = addkey_answered,
};

void authdrv_fill(struct loop *l, struct pollfd *pfd, int *timeout)
{
	if (l->ask != NULL && l->ask->p != NULL) {
		prompt_fill(l->ask->p, pfd, timeout);
	}
}

int authdrv_after(struct loop *l, const struct pollfd *pfd)
{
	struct auth_ask *a = l->ask;
	char *answer = NULL;
	int r, yes = 0;

	if (a == NULL || a->p == NULL || !prompt_step(a->p, pfd)) {
		return 0;
	}
	r = prompt_finish(
	    a->p, a->kind == ASK_HOSTKEY || a->kind == ASK_ADDKEY ? NULL : &answer, &yes);
	a->p = NULL;
	return answered[a->kind](l, r, answer, yes);
}

void authdrv_end(struct loop *l)
{
	if (l->sign_signer != NULL) {
		if (l->sign_signer->ops->sign_cancel != NULL) {
			l->sign_signer->ops->sign_cancel(l->sign_signer); /* a wait in a queue */
		}
		l->sign_signer = NULL;
		session_wait_end(l);
	}
	ask_end(l);
}
