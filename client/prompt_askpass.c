/*
 * The SSH_ASKPASS way of asking: the program runs with the prompt as its argument, its output
 * comes through a non-blocking pipe as poll says it can, and it is reaped (without waiting) once
 * the pipe closes; its first line is the answer when it exits with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "prompt_int.h"
#include "ssh/err.h"

#define REAP_RETRY_MS  10  /* the pipe closed and the program has not exited yet: look again */
#define STOP_GRACE_TRY 100 /* a cancelled program gets this many REAP_RETRY_MS to exit */

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

static int askpass_begin(struct prompt_ask *p)
{
	int fds[2];
	pid_t pid;

	if (p->program == NULL) {
		return SSH_ERR_NOT_FOUND;
	}
	fflush(stdout);
	fflush(stderr);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		return SSH_ERR_SYSTEM;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return SSH_ERR_SYSTEM;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0) {
			_exit(1);
		}
		execlp(p->program, p->program, p->text, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* should this fail, the blocking pipe still works, one poll at a time */
	(void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
	p->fd = fds[0];
	p->pid = pid;
	p->status = 0;
	p->n = 0;
	return 0;
}

/* 1 when the program was reaped (p->status), 0 while it runs */
static int reap(struct prompt_ask *p)
{
	pid_t w;

	if (p->pid <= 0) {
		return 1;
	}
	while ((w = waitpid(p->pid, &p->status, WNOHANG)) < 0 && errno == EINTR) {
	}
	if (w == 0) {
		return 0;
	}
	if (w < 0) {
		p->status = -1;
	}
	p->pid = 0;
	return 1;
}

static int askpass_step(struct prompt_ask *p, short revents)
{
	char tmp[256];

	if (p->fd >= 0 && revents != 0) {
		for (;;) {
			ssize_t k = read(p->fd, tmp, sizeof(tmp));
			if (k < 0 && errno == EINTR) {
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				OPENSSL_cleanse(tmp, sizeof(tmp));
				return 0;
			}
			if (k <= 0) {
				break; /* EOF (or an error, the same) */
			}
			for (ssize_t i = 0; i < k; i++) {
				if (p->n + 1 < PROMPT_BUFSZ) {
					p->buf[p->n++] = tmp[i];
				}
			}
		}
		OPENSSL_cleanse(tmp, sizeof(tmp));
		close(p->fd);
		p->fd = -1;
	}
	if (p->fd >= 0 || !reap(p)) {
		return 0;
	}
	p->line_r = prompt_askpass_answer(p->buf, p->n, PROMPT_BUFSZ, p->status);
	return 1;
}

static void askpass_fill(struct prompt_ask *p, struct pollfd *pfd, int *timeout)
{
	pfd->fd = p->fd;
	pfd->events = POLLIN;
	if (p->fd < 0 && p->pid > 0 && (*timeout < 0 || *timeout > REAP_RETRY_MS)) {
		*timeout = REAP_RETRY_MS; /* no descriptor says when it exits */
	}
}

static void askpass_end(struct prompt_ask *p)
{
	struct timespec ts = {0, REAP_RETRY_MS * 1000 * 1000};

	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	if (p->pid <= 0) {
		return;
	}
	/* still running: nobody wants its answer any more */
	kill(p->pid, SIGTERM);
	for (int i = 0; i < STOP_GRACE_TRY && !reap(p); i++) {
		nanosleep(&ts, NULL);
	}
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR) {
		}
		p->pid = 0;
	}
}

const struct prompt_backend prompt_askpass_backend = {
    .begin = askpass_begin,
    .step = askpass_step,
    .fill = askpass_fill,
    .end = askpass_end,
};
