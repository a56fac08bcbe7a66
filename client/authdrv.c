/*
 * The auth driver: the answers to the engine's host-key, authentication, prompt and signing
 * events (trust decisions, PreferredAuthentications order, password and keyboard-interactive
 * prompts, synchronous and token signatures).
 */
#include "loop.h"
#include "loop_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "log.h"
#include "p11.h"
#include "prompt.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/namelist.h"
#include "trust.h"

/* prompt_secret, its time not counted by the timeouts */
static int ask_secret(const char *prompt, int flags, char **out)
{
	int r;

	loop_user_wait_begin();
	r = prompt_secret(prompt, flags, out);
	loop_user_wait_end();
	return r;
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

/* Returns 0 when an attempt was sent, 1 when password is not possible, or an error. */
static int try_password(struct loop *l)
{
	char prompt[1200];
	char *pw = NULL;
	int r;

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
	snprintf(prompt, sizeof(prompt), "%s@%s's password: ", login_name(l), l->host);
	if ((r = ask_secret(prompt, 0, &pw)) != 0) {
		log_debug1("password prompt: %s", ssh_err_str(r));
		auth_note(l, r == SSH_ERR_NOT_FOUND ? "no terminal or SSH_ASKPASS to ask a password"
		                                    : "password prompt cancelled");
		l->password_tries = max_prompts(l);
		return 1;
	}
	l->password_tries++;
	l->auth_method = "password";
	r = ssh_conn_auth_password(l->c, pw);
	prompt_free_secret(pw);
	return r < 0 ? r : 0;
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

/* SSH_EV_PROMPT: one round of keyboard-interactive questions. */
int authdrv_prompt(struct loop *l, const struct ssh_event *ev)
{
	size_t n = ev->u.prompt.n, i;
	char **answers = NULL;
	char shown[2400];
	int r;

	if ((answers = calloc(n > 0 ? n : 1, sizeof(*answers))) == NULL) {
		loop_fail_local(l, "auth: out of memory");
		return SSH_ERR_ALLOC;
	}
	show_text(ev->u.prompt.name);
	show_text(ev->u.prompt.instruction);
	for (i = 0; i < n && !l->kbdint_exhausted; i++) {
		int flags = ev->u.prompt.echo[i] ? PROMPT_ECHO : 0;
		/* as OpenSSH: say who asks, so a prompt cannot pose as a local one */
		snprintf(shown, sizeof(shown), "(%s@%s) %s", login_name(l), l->host,
		    ev->u.prompt.prompts[i]);
		r = ask_secret(shown, flags, &answers[i]);
		if (r != 0) {
			/* answer the round with empty strings; the method is then used up */
			log_debug1("keyboard-interactive prompt: %s", ssh_err_str(r));
			auth_note(
			    l, r == SSH_ERR_NOT_FOUND
			           ? "no terminal or SSH_ASKPASS to answer keyboard-interactive"
			           : "keyboard-interactive prompt cancelled");
			l->kbdint_exhausted = 1;
		}
	}
	if (l->kbdint_exhausted) {
		for (i = 0; i < n; i++) {
			prompt_free_secret(answers[i]);
			answers[i] = NULL;
		}
	}
	r = ssh_conn_answer_prompts(l->c, (const char *const *)answers, n);
	for (i = 0; i < n; i++) {
		prompt_free_secret(answers[i]);
	}
	free(answers);
	return r;
}

int authdrv_auth_next(struct loop *l, const struct ssh_event *ev)
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
		if (len == 0 || len >= sizeof(method) ||
		    !namelist_has_n(ev->u.auth.methods, el, len)) {
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
			l->pubkey_exhausted = 1;
			continue;
		}
		r = 1;
		if (strcmp(method, "keyboard-interactive") == 0) {
			r = try_kbdint(l);
		} else if (strcmp(method, "password") == 0) {
			r = try_password(l);
		}
		if (r <= 0) {
			return r;
		}
	}
	log_debug1("No more authentication methods to try.");
	return ssh_conn_auth_give_up(l->c);
}

/* the one-line message for a failed signature: token errors in their own category */
static void sign_failure(struct signer *s, int r, char *cause, size_t len)
{
	const char *detail = signer_error(s);

	if (detail[0] == '\0') {
		detail = signer_strerror(r);
	}
	if (p11_is_signer(s)) {
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

int authdrv_sign(struct loop *l, const struct ssh_event *ev)
{
	struct signer *s = ev->u.sign.signer;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r;

	r = s->ops->sign(s, &ev->u.sign.req, &sig, &len);
	if (r == SIGNER_AGAIN && s->ops->sign_finish != NULL && s->ops->poll_fd != NULL) {
		l->sign_signer = s;     /* a token signs in its thread: wait for poll_fd */
		loop_user_wait_begin(); /* the timeouts stop meanwhile */
		return 0;
	}
	return answer_signature(l, s, r, sig, len);
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
	loop_user_wait_end();
	return answer_signature(l, s, r, sig, len);
}

int authdrv_hostkey(struct loop *l, const struct ssh_event *ev)
{
	char err[ERR_MAX];
	int trusted = 0, r;

	if (ev->u.hostkey.fingerprint != NULL) {
		log_debug1("Server host key: %s %s", ev->u.hostkey.alg, ev->u.hostkey.fingerprint);
	}
	r = trust_hostkey_view(l->o, l->addr, &ev->u.hostkey, &trusted, err, sizeof(err));
	if (!trusted) {
		loop_fail_local(l, "%s", err[0] != '\0' ? err : "hostkey: host key not trusted");
	}
	l->hostkey_done = 1; /* what follows is user authentication */
	(void)r;
	return ssh_conn_answer_hostkey(l->c, trusted);
}