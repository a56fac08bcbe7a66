/*
 * Prompts as objects of the poll loop: the choice between the terminal and SSH_ASKPASS, the
 * terminal's queue (one prompt on it at a time), yes/no questions asked until answered, and
 * prompt_secret / prompt_confirm driving one prompt to its end.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "prompt_int.h"
#include "ssh/err.h"

static const char again_text[] = "Please type 'yes', 'no' or the fingerprint: ";

/* the terminal: the prompt on it, one that stepped aside for a prompt_secret, those waiting */
static struct prompt_ask *tty_owner;
static struct prompt_ask *tty_aside;
static struct prompt_ask *tty_queue;

void prompt_free_secret(char *s)
{
	if (s != NULL) {
		/* the whole buffer a prompt allocated: askpass output after the first line lies
		 * beyond the string's end */
		OPENSSL_cleanse(s, PROMPT_BUFSZ);
		free(s);
	}
}

/* OpenSSH's rules: askpass when there is no tty, or SSH_ASKPASS_REQUIRE says so; only with a
 * display unless forced. */
static int want_askpass(const char **program, int *use)
{
	const char *req = getenv("SSH_ASKPASS_REQUIRE");
	const char *prog = getenv("SSH_ASKPASS");
	const char *d = getenv("DISPLAY");
	const char *w = getenv("WAYLAND_DISPLAY");
	int allow = ((d != NULL && *d != '\0') || (w != NULL && *w != '\0'));
	int force = 0, prefer = 0;

	if (req != NULL) {
		if (strcasecmp(req, "force") == 0) {
			force = 1;
			allow = 1;
		} else if (strcasecmp(req, "prefer") == 0) {
			prefer = 1;
		} else if (strcasecmp(req, "never") == 0) {
			allow = 0;
		}
	}
	if (prog == NULL || *prog == '\0') {
		allow = 0;
	}
	*program = prog;
	*use = allow && (force || prefer);
	return allow;
}

static void tty_release(struct prompt_ask *p);

/* The result is in: the backend lets go (and the terminal goes to the next prompt). */
static void finish(struct prompt_ask *p, int r)
{
	if (p->began) {
		p->be->end(p);
		p->began = 0;
	}
	p->r = r;
	p->state = PS_DONE;
	tty_release(p);
}

/* The backend (re)starts asking p->text: the terminal, or askpass when told so or when there is
 * no terminal; without either, the prompt is done with the error. */
static void begin(struct prompt_ask *p)
{
	int r;

	if (p->be == NULL) {
		p->be = p->use_askpass ? &prompt_askpass_backend : &prompt_tty_backend;
	}
	r = p->be->begin(p);
	if (r == SSH_ERR_NOT_FOUND && p->be == &prompt_tty_backend && p->program != NULL) {
		p->be = &prompt_askpass_backend;
		r = p->be->begin(p);
	}
	if (r != 0) {
		finish(p, r);
		return;
	}
	p->began = 1;
	p->state = PS_ASKING;
	if (p->be == &prompt_tty_backend) {
		tty_owner = p;
	} else if (tty_owner == p) {
		tty_release(p); /* the terminal went away: askpass asks, the terminal is free */
	}
}

/* p no longer needs the terminal: the one that stepped aside, else the next in line, gets it */
static void tty_release(struct prompt_ask *p)
{
	struct prompt_ask **pp;

	for (pp = &tty_queue; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (tty_aside == p) {
		tty_aside = NULL;
	}
	if (tty_owner != p) {
		return;
	}
	tty_owner = NULL;
	if (tty_aside != NULL) {
		struct prompt_ask *back = tty_aside;
		tty_aside = NULL;
		begin(back); /* asked again */
		return;
	}
	while (tty_owner == NULL && tty_queue != NULL) {
		struct prompt_ask *next = tty_queue;
		tty_queue = next->next;
		next->next = NULL;
		begin(next);
	}
}

/* Take the terminal, or wait for it: a prompt_secret cannot wait (the loop is not running), the
 * prompt that holds it steps aside until it is done. */
static void take_tty(struct prompt_ask *p)
{
	struct prompt_ask **pp;

	if (tty_owner == NULL) {
		begin(p);
		return;
	}
	if ((p->flags & PROMPT_SYNC) && tty_aside != NULL) {
		/* a prompt_secret within a prompt_secret: it cannot wait (nothing would end the
		 * wait), and one cannot happen (the first one runs no loop) */
		finish(p, SSH_ERR_INTERNAL);
		return;
	}
	if (p->flags & PROMPT_SYNC) {
		struct prompt_ask *o = tty_owner;
		o->be->end(o);
		o->began = 0;
		o->state = PS_QUEUED;
		tty_owner = NULL;
		tty_aside = o;
		begin(p);
		return;
	}
	p->state = PS_QUEUED;
	for (pp = &tty_queue; *pp != NULL; pp = &(*pp)->next) {
	}
	*pp = p;
}

int prompt_start(
    const char *prompt, int flags, int confirm, const char *fingerprint, struct prompt_ask **out)
{
	struct prompt_ask *p = NULL;
	const char *program = NULL;
	int use = 0;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		return SSH_ERR_ALLOC;
	}
	p->fd = -1;
	p->flags = flags | (confirm ? PROMPT_ECHO : 0);
	p->confirm = confirm;
	if (want_askpass(&program, &use) && (p->program = strdup(program)) == NULL) {
		goto fail;
	}
	p->use_askpass = use;
	if ((p->buf = calloc(1, PROMPT_BUFSZ)) == NULL || (p->text = strdup(prompt)) == NULL ||
	    (fingerprint != NULL && (p->fingerprint = strdup(fingerprint)) == NULL)) {
		goto fail;
	}
	if (use) {
		begin(p);
	} else {
		take_tty(p);
	}
	*out = p;
	return 0;
fail:
	prompt_cancel(p);
	return SSH_ERR_ALLOC;
}

void prompt_fill(struct prompt_ask *p, struct pollfd *pfd, int *timeout)
{
	pfd->fd = -1;
	pfd->events = 0;
	pfd->revents = 0;
	if (p->state == PS_DONE) {
		*timeout = 0; /* to be collected */
	} else if (p->state == PS_ASKING) {
		p->be->fill(p, pfd, timeout);
	}
}

/* A question's answer: 1 decided (p->yes), 0 ask again. */
static int judge(struct prompt_ask *p)
{
	const char *a = p->buf;

	if (a[0] == '\0' || strcasecmp(a, "no") == 0) {
		p->yes = 0;
		return 1;
	}
	if (strcasecmp(a, "yes") == 0 ||
	    (p->fingerprint != NULL && strcmp(a, p->fingerprint) == 0)) {
		p->yes = 1;
		return 1;
	}
	return 0;
}

/* A complete line: the result, or (a question not answered) the question again. */
static void on_line(struct prompt_ask *p)
{
	char *again;

	if (!p->confirm) {
		finish(p, p->line_r);
		return;
	}
	if (p->line_r == SSH_ERR_INCOMPLETE) {
		finish(p, 0); /* EOF: no */
		return;
	}
	if (p->line_r != 0 || judge(p)) {
		finish(p, p->line_r);
		return;
	}
	if ((again = strdup(again_text)) == NULL) {
		finish(p, SSH_ERR_ALLOC);
		return;
	}
	free(p->text);
	p->text = again;
	OPENSSL_cleanse(p->buf, PROMPT_BUFSZ);
	p->be->end(p);
	p->began = 0;
	begin(p);
}

int prompt_step(struct prompt_ask *p, const struct pollfd *pfd)
{
	int r;

	if (p->state == PS_ASKING) {
		r = p->be->step(p, pfd->fd >= 0 ? pfd->revents : 0);
		if (r < 0) {
			int saved = errno;
			finish(p, r);
			errno = saved;
		} else if (r == 1) {
			on_line(p);
		}
	}
	return p->state == PS_DONE;
}

void prompt_cancel(struct prompt_ask *p)
{
	if (p == NULL) {
		return;
	}
	if (p->began) {
		p->be->end(p);
		p->began = 0;
	}
	p->state = PS_DONE;
	tty_release(p);
	if (p->buf != NULL) {
		OPENSSL_cleanse(p->buf, PROMPT_BUFSZ);
	}
	free(p->buf);
	free(p->text);
	free(p->fingerprint);
	free(p->program);
	free(p);
}

int prompt_finish(struct prompt_ask *p, char **answer, int *yes)
{
	int r = p->r, saved = errno;

	if (answer != NULL) {
		*answer = NULL;
		if (r == 0) {
			*answer = p->buf;
			p->buf = NULL;
		}
	}
	if (yes != NULL) {
		*yes = r == 0 && p->confirm ? p->yes : 0;
	}
	prompt_cancel(p);
	errno = saved;
	return r;
}

/* prompt_secret and prompt_confirm: one prompt driven to its end here */
static int ask_now(
    const char *prompt, int flags, int confirm, const char *fingerprint, char **answer, int *yes)
{
	struct prompt_ask *p = NULL;
	struct pollfd pfd = {.fd = -1, .events = 0, .revents = 0};
	int r, timeout;

	if ((r = prompt_start(prompt, flags | PROMPT_SYNC, confirm, fingerprint, &p)) != 0) {
		return r;
	}
	while (!prompt_step(p, &pfd)) {
		timeout = -1;
		prompt_fill(p, &pfd, &timeout);
		if (poll(&pfd, 1, timeout) < 0) {
			if (errno != EINTR) {
				prompt_cancel(p);
				return SSH_ERR_SYSTEM;
			}
			pfd.revents = 0;
		}
	}
	return prompt_finish(p, answer, yes);
}

int prompt_secret(const char *prompt, int flags, char **out)
{
	*out = NULL;
	return ask_now(prompt, flags, 0, NULL, out, NULL);
}

int prompt_confirm(const char *question, const char *fingerprint, int *yes)
{
	*yes = 0;
	return ask_now(question, PROMPT_ECHO, 1, fingerprint, NULL, yes);
}
