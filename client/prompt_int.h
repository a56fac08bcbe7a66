/*
 * Shared by the prompt's rooms only: prompt.c (the object, the terminal's queue, the questions),
 * prompt_tty.c (the terminal) and prompt_askpass.c (the SSH_ASKPASS program).
 */
#ifndef X509SSH_PROMPT_INT_H
#define X509SSH_PROMPT_INT_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <termios.h>

#include "prompt.h"

#define PROMPT_BUFSZ (PROMPT_MAX + 1)
#define PROMPT_SYNC  0x100 /* prompt_secret / prompt_confirm: may take the terminal at once */

enum prompt_state {
	PS_QUEUED, /* waiting for the terminal */
	PS_ASKING, /* the backend is asking */
	PS_DONE,   /* r (and yes) hold the result */
};

/* How one kind of prompt asks. */
struct prompt_backend {
	/* Show the prompt (p->text); 0, SSH_ERR_NOT_FOUND when this way of asking is not there,
	 * or another negative error. */
	int (*begin)(struct prompt_ask *p);
	/* After poll: 1 when a line is complete (p->line_r: 0 with the line in buf, or
	 * SSH_ERR_INCOMPLETE on EOF), 0 while it is not, or a negative error. */
	int (*step)(struct prompt_ask *p, short revents);
	/* Its poll slot (p->fd, events) and timer. */
	void (*fill)(struct prompt_ask *p, struct pollfd *pfd, int *timeout);
	/* Let go of what begin took: terminal restored, program reaped (stopped if still running).
	 */
	void (*end)(struct prompt_ask *p);
};

extern const struct prompt_backend prompt_tty_backend;
extern const struct prompt_backend prompt_askpass_backend;

#define PROMPT_N_SIGNALS 8

struct prompt_ask {
	const struct prompt_backend *be; /* NULL until it begins */
	enum prompt_state state;
	int flags;               /* PROMPT_ECHO, PROMPT_SYNC */
	int confirm;             /* a yes/no question */
	char *text;              /* the prompt shown now */
	char *fingerprint;       /* confirm: counts as yes */
	char *program;           /* SSH_ASKPASS when it may be used, else NULL */
	int use_askpass;         /* askpass first (SSH_ASKPASS_REQUIRE=force/prefer) */
	char *buf;               /* PROMPT_BUFSZ: the answer */
	size_t n;                /* bytes in buf */
	int line_r;              /* the backend's line result */
	int r, yes;              /* the result (PS_DONE) */
	int began;               /* the backend's begin succeeded: end is due */
	struct prompt_ask *next; /* the terminal's queue */

	/* the terminal (prompt_tty.c) */
	int fd;
	int have_termios;
	struct termios saved;
	struct sigaction old_sa[PROMPT_N_SIGNALS];

	/* the askpass program (prompt_askpass.c) */
	pid_t pid;  /* 0 once reaped */
	int status; /* its wait status */
};

/* write all of s to fd (a non-blocking fd waits for room) */
void prompt_write_all(int fd, const char *s, size_t n);

#endif
