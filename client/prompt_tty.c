/*
 * The terminal's way of asking: /dev/tty opened non-blocking, echo off (unless PROMPT_ECHO), the
 * answer read up to the line end as poll says it can be. The settings and signal dispositions are
 * put back on every path; a signal caught meanwhile is raised again once they are (a stop signal
 * then asks again when the program continues).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "prompt_int.h"
#include "ssh/err.h"

#define TTY_PATH "/dev/tty"

static const int caught_signals[PROMPT_N_SIGNALS] = {
    SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU};

/* one terminal prompt at a time (prompt.c's queue): one flag */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int is_stop_signal(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void prompt_write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a prompt is a few bytes: wait for the terminal to take them */
			struct pollfd pfd = {.fd = fd, .events = POLLOUT, .revents = 0};
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				return;
			}
			continue;
		}
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static int tty_begin(struct prompt_ask *p)
{
	struct sigaction sa;
	struct termios quiet;

	p->fd = open(TTY_PATH, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (p->fd < 0) {
		return SSH_ERR_NOT_FOUND;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll and read return EINTR */
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (size_t i = 0; i < PROMPT_N_SIGNALS; i++) {
		sigaction(caught_signals[i], NULL, &p->old_sa[i]);
		if (p->old_sa[i].sa_handler != SIG_IGN) {
			sigaction(caught_signals[i], &sa, NULL);
		}
	}
	p->have_termios = 0;
	if (tcgetattr(p->fd, &p->saved) == 0) {
		p->have_termios = 1;
		quiet = p->saved;
		if (!(p->flags & PROMPT_ECHO)) {
			quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		}
		quiet.c_lflag |= ICANON;
		/* TCSAFLUSH drops type-ahead, as OpenSSH's readpassphrase does */
		while (tcsetattr(p->fd, TCSAFLUSH, &quiet) != 0 && errno == EINTR && !got_signal) {
		}
	}
	p->n = 0;
	prompt_write_all(p->fd, p->text, strlen(p->text));
	return 0;
}

static void tty_end(struct prompt_ask *p)
{
	if (p->fd < 0) {
		return;
	}
	if (p->have_termios) {
		while (tcsetattr(p->fd, TCSAFLUSH, &p->saved) != 0 && errno == EINTR) {
		}
		if (!(p->flags & PROMPT_ECHO) && (p->saved.c_lflag & ECHO)) {
			prompt_write_all(p->fd, "\n", 1);
		}
	}
	for (size_t i = 0; i < PROMPT_N_SIGNALS; i++) {
		sigaction(caught_signals[i], &p->old_sa[i], NULL);
	}
	close(p->fd);
	p->fd = -1;
}

/* A signal came: the terminal back to normal, then let the signal do what it would have done.
 * Returns 0 when a stop signal was continued (asked again), else the error. */
static int tty_on_signal(struct prompt_ask *p)
{
	int sig = got_signal;

	got_signal = 0;
	OPENSSL_cleanse(p->buf, PROMPT_BUFSZ);
	p->n = 0;
	tty_end(p);
	raise(sig);
	if (is_stop_signal(sig)) {
		return tty_begin(p) == 0 ? 0 : SSH_ERR_SYSTEM;
	}
	errno = EINTR;
	return SSH_ERR_SYSTEM;
}

static int tty_step(struct prompt_ask *p, short revents)
{
	char ch;

	if (got_signal) {
		return tty_on_signal(p);
	}
	if (p->fd < 0 || revents == 0) {
		return 0;
	}
	for (;;) {
		ssize_t k = read(p->fd, &ch, 1);
		if (k < 0 && errno == EINTR) {
			if (got_signal) {
				return tty_on_signal(p);
			}
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return 0;
		}
		if (k < 0) {
			return SSH_ERR_SYSTEM;
		}
		if (k == 0) {
			p->line_r = p->n == 0 ? SSH_ERR_INCOMPLETE : 0;
			break;
		}
		if (ch == '\n' || ch == '\r') {
			p->line_r = 0;
			break;
		}
		if (p->n + 1 < PROMPT_BUFSZ) {
			p->buf[p->n++] = ch;
		}
	}
	ch = 0;
	p->buf[p->n] = '\0';
	return 1;
}

static void tty_fill(struct prompt_ask *p, struct pollfd *pfd, int *timeout)
{
	pfd->fd = p->fd;
	pfd->events = POLLIN;
	if (got_signal) {
		*timeout = 0;
	}
}

const struct prompt_backend prompt_tty_backend = {
    .begin = tty_begin,
    .step = tty_step,
    .fill = tty_fill,
    .end = tty_end,
};
