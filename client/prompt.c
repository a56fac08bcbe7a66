/* Prompts on /dev/tty (echo off, restored on every path) or through SSH_ASKPASS. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "prompt.h"
#include "ssh/err.h"

#define TTY_PATH "/dev/tty"

static const int caught_signals[] = {
    SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU};
#define N_CAUGHT (sizeof(caught_signals) / sizeof(caught_signals[0]))

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void prompt_free_secret(char *s)
{
	if (s != NULL) {
		/* the whole buffer prompt_secret allocated: askpass output after the first line
		 * lies beyond the string's end */
		OPENSSL_cleanse(s, PROMPT_MAX + 1);
		free(s);
	}
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
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

static int is_stop_signal(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * One attempt at reading a line on the terminal. Returns 0 (line in buf), SSH_ERR_INCOMPLETE on
 * EOF with nothing read, SSH_ERR_SYSTEM on error, or SSH_ERR_AGAIN when a stop signal interrupted
 * it and we were continued (the caller prompts again).
 */
static int tty_read_once(int fd, const char *prompt, int flags, char *buf, size_t bufsz)
{
	struct termios saved, quiet;
	struct sigaction sa, old[N_CAUGHT];
	int have_termios = 0, r = SSH_ERR_INTERNAL, sig = 0, saved_errno = 0;
	size_t n = 0, i;
	char ch;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: read() must return EINTR */
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	for (i = 0; i < N_CAUGHT; i++) {
		sigaction(caught_signals[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN) {
			sigaction(caught_signals[i], &sa, NULL);
		}
	}
	if (tcgetattr(fd, &saved) == 0) {
		have_termios = 1;
		quiet = saved;
		if (!(flags & PROMPT_ECHO)) {
			quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		}
		quiet.c_lflag |= ICANON;
		/* TCSAFLUSH drops type-ahead, as OpenSSH's readpassphrase does */
		while (tcsetattr(fd, TCSAFLUSH, &quiet) != 0 && errno == EINTR && !got_signal) {
		}
	}
	write_all(fd, prompt, strlen(prompt));
	for (;;) {
		ssize_t k;
		if (got_signal) {
			break;
		}
		k = read(fd, &ch, 1);
		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			saved_errno = errno;
			r = SSH_ERR_SYSTEM;
			break;
		}
		if (k == 0) {
			r = n == 0 ? SSH_ERR_INCOMPLETE : 0;
			break;
		}
		if (ch == '\n' || ch == '\r') {
			r = 0;
			break;
		}
		if (n + 1 < bufsz) {
			buf[n++] = ch;
		}
	}
	buf[n] = '\0';
	ch = 0;
	if (have_termios) {
		while (tcsetattr(fd, TCSAFLUSH, &saved) != 0 && errno == EINTR) {
		}
		if (!(flags & PROMPT_ECHO) && (saved.c_lflag & ECHO)) {
			write_all(fd, "\n", 1);
		}
	}
	sig = got_signal;
	for (i = 0; i < N_CAUGHT; i++) {
		sigaction(caught_signals[i], &old[i], NULL);
	}
	if (sig != 0) {
		OPENSSL_cleanse(buf, bufsz);
		buf[0] = '\0';
		/* the terminal is back to normal: let the signal do what it would have done */
		raise(sig);
		if (is_stop_signal(sig)) {
			return SSH_ERR_AGAIN;
		}
		errno = EINTR;
		return SSH_ERR_SYSTEM;
	}
	errno = saved_errno;
	return r;
}

static int tty_prompt(const char *prompt, int flags, char *buf, size_t bufsz)
{
	int fd, r;

	fd = open(TTY_PATH, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return SSH_ERR_NOT_FOUND;
	}
	do {
		r = tty_read_once(fd, prompt, flags, buf, bufsz);
	} while (r == SSH_ERR_AGAIN);
	close(fd);
	return r;
}

int prompt_askpass_answer(char *buf, size_t n, size_t bufsz, int status)
{
	if (bufsz == 0) {
		return SSH_ERR_INTERNAL;
	}
	if (n >= bufsz) {
		n = bufsz - 1;
	}
	buf[n] = '\0';
	if (status != 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		OPENSSL_cleanse(buf, bufsz);
		buf[0] = '\0';
		return SSH_ERR_INCOMPLETE; /* cancelled or failed */
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Run the askpass program with the prompt as its argument; its stdout is the answer. */
static int askpass_prompt(const char *program, const char *prompt, char *buf, size_t bufsz)
{
	int p[2], status = 0;
	size_t n = 0;
	pid_t pid;
	char tmp[256];

	fflush(stdout);
	fflush(stderr);
	if (pipe2(p, O_CLOEXEC) != 0) {
		return SSH_ERR_SYSTEM;
	}
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return SSH_ERR_SYSTEM;
	}
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0) {
			_exit(1);
		}
		execlp(program, program, prompt, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t k = read(p[0], tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			break;
		}
		for (ssize_t i = 0; i < k; i++) {
			if (n + 1 < bufsz) {
				buf[n++] = tmp[i];
			}
		}
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	return prompt_askpass_answer(buf, n, bufsz, status);
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

int prompt_secret(const char *prompt, int flags, char **out)
{
	char *buf = NULL;
	const char *program = NULL;
	int r = SSH_ERR_INTERNAL, allow, use = 0;

	*out = NULL;
	if ((buf = malloc(PROMPT_MAX + 1)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	allow = want_askpass(&program, &use);
	if (use) {
		r = askpass_prompt(program, prompt, buf, PROMPT_MAX + 1);
	} else {
		r = tty_prompt(prompt, flags, buf, PROMPT_MAX + 1);
		if (r == SSH_ERR_NOT_FOUND && allow) {
			r = askpass_prompt(program, prompt, buf, PROMPT_MAX + 1);
		}
	}
	if (r != 0) {
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, PROMPT_MAX + 1);
		free(buf);
	}
	return r;
}

int prompt_confirm(const char *question, const char *fingerprint, int *yes)
{
	const char *again = "Please type 'yes', 'no' or the fingerprint: ";
	const char *msg = question;
	char *ans = NULL;
	int r;

	*yes = 0;
	for (;;) {
		r = prompt_secret(msg, PROMPT_ECHO, &ans);
		if (r == SSH_ERR_INCOMPLETE) {
			return 0; /* EOF: no */
		}
		if (r != 0) {
			return r;
		}
		if (ans[0] == '\0' || strcasecmp(ans, "no") == 0) {
			prompt_free_secret(ans);
			return 0;
		}
		if (strcasecmp(ans, "yes") == 0 ||
		    (fingerprint != NULL && strcmp(ans, fingerprint) == 0)) {
			prompt_free_secret(ans);
			*yes = 1;
			return 0;
		}
		prompt_free_secret(ans);
		ans = NULL;
		msg = again;
	}
}
