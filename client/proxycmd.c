/*
 * ProxyCommand, as OpenSSH runs it (sshconnect.c): "exec command" through the user's shell
 * ($SHELL, else /bin/sh) with SIGPIPE back at its default, standard error shared with us, in our
 * process group; at the end it gets SIGHUP. Here its standard input and output are one socketpair
 * (recv/send behave as on TCP), every other descriptor of ours is closed at exec, an exec failure
 * comes back through a close-on-exec pipe, and the child is always reaped.
 */
#include "proxycmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "log.h"
#include "loop_int.h"
#include "ssh/err.h"

#define EXPAND_MAX   (1u << 20) /* the longest expanded command */
#define WAIT_STEP_MS 10
#define DEAD_WAIT_MS 500  /* the socket closed: how long the child may take to be reapable */
#define HUP_WAIT_MS  1000 /* after SIGHUP, before SIGKILL */

int proxycmd_expand(const struct options *o, char **out, char *bad)
{
	size_t len = 256;
	char *buf = NULL, *nb;
	int r;

	*out = NULL;
	for (;;) {
		if ((nb = realloc(buf, len)) == NULL) {
			free(buf);
			return SSH_ERR_ALLOC;
		}
		buf = nb;
		r = cmdline_expand_only(o, o->proxy_command, PROXYCMD_TOKENS, buf, len, bad);
		if (r == 0) {
			*out = buf;
			return 0;
		}
		if (r != -1 || len >= EXPAND_MAX) {
			free(buf);
			return r == -1 ? SSH_ERR_TOO_LARGE : SSH_ERR_FORMAT;
		}
		len *= 2;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* waitpid without hanging: up to ms milliseconds. 1 reaped (*status set), 0 still running. */
static int reap_within(pid_t pid, long ms, int *status)
{
	for (long waited = 0;; waited += WAIT_STEP_MS) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD)) {
			return 1;
		}
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (waited >= ms) {
			return 0;
		}
		sleep_ms(WAIT_STEP_MS);
	}
}

/* The child: the socket on 0 and 1, the rest closed at exec, signals as a fresh process has
 * them; only async-signal-safe calls. */
static void child_exec(int sock, int report, char *const argv[])
{
	struct sigaction sa;
	sigset_t all;
	int e, s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* both above 2 first (one of 0-2 may have been free): dup2 never finds the socket already
	 * in place (that would keep close-on-exec) nor replaces the report pipe */
	if ((e = fcntl(report, F_DUPFD_CLOEXEC, 3)) >= 0) {
		report = e;
	}
	if ((s = fcntl(sock, F_DUPFD_CLOEXEC, 3)) < 0 || dup2(s, STDIN_FILENO) < 0 ||
	    dup2(s, STDOUT_FILENO) < 0) {
		goto fail;
	}
	close_range(3, ~0u, CLOSE_RANGE_CLOEXEC); /* a descriptor someone opened without it */
	execv(argv[0], argv);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

int proxycmd_start(const struct options *o, int *fd, pid_t *pid, char *err, size_t errlen)
{
	const char *shell = getenv("SHELL");
	char *cmd = NULL, *line = NULL, *argv[4];
	char bad = 0;
	int sv[2] = {-1, -1}, rep[2] = {-1, -1}, e = 0, status, r, no_exec = 0;
	ssize_t n;
	pid_t child;

	*fd = -1;
	*pid = 0;
	if (shell == NULL || shell[0] == '\0') {
		shell = "/bin/sh";
	}
	if ((r = proxycmd_expand(o, &cmd, &bad)) != 0) {
		if (r == SSH_ERR_FORMAT) {
			snprintf(err, errlen, "config: ProxyCommand: unknown token %%%c", bad);
		} else {
			snprintf(err, errlen, "config: ProxyCommand: %s", ssh_err_str(r));
		}
		return r;
	}
	if ((line = malloc(strlen(cmd) + 6)) == NULL) {
		r = SSH_ERR_ALLOC;
		snprintf(err, errlen, "connect: out of memory");
		goto out;
	}
	snprintf(line, strlen(cmd) + 6, "exec %s", cmd);
	argv[0] = (char *)(uintptr_t)shell;
	argv[1] = (char *)(uintptr_t) "-c";
	argv[2] = line;
	argv[3] = NULL;
	log_debug1("Executing proxy command: %.500s", line);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(rep, O_CLOEXEC) != 0) {
		e = errno;
		goto fail;
	}
	if ((child = fork()) < 0) {
		e = errno;
		goto fail;
	}
	if (child == 0) {
		close(sv[0]);
		close(rep[0]);
		child_exec(sv[1], rep[1], argv);
	}
	close(sv[1]);
	sv[1] = -1;
	close(rep[1]);
	rep[1] = -1;
	/* EOF: exec happened (the pipe closed with it); an int: why it did not */
	while ((n = read(rep[0], &e, sizeof(e))) < 0 && errno == EINTR) {
	}
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
		}
		no_exec = 1;
		goto fail;
	}
	e = 0;
	if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) != 0) {
		e = errno;
		kill(child, SIGKILL);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
		}
		goto fail;
	}
	*fd = sv[0];
	sv[0] = -1;
	*pid = child;
	r = 0;
	goto out;
fail:
	r = SSH_ERR_SYSTEM;
	snprintf(err, errlen, "connect: ProxyCommand '%.200s' cannot be run: %s%s%.100s%s", cmd,
	    strerror(e), no_exec ? " (shell " : "", no_exec ? shell : "", no_exec ? ")" : "");
out:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0) {
			close(sv[i]);
		}
		if (rep[i] >= 0) {
			close(rep[i]);
		}
	}
	free(line);
	free(cmd);
	return r;
}

/* the command's end of the socket is closed (data it wrote may still wait unread) */
static int peer_closed(int sock)
{
	struct pollfd pfd = {.fd = sock, .events = POLLIN | POLLRDHUP, .revents = 0};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* the server's identification line is among the bytes not yet read (a write may fail first) */
static int unread_version_line(int sock)
{
	char buf[1024];
	ssize_t n = recv(sock, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	for (ssize_t i = 0; i + 4 <= n; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && memcmp(buf + i, "SSH-", 4) == 0) {
			return 1;
		}
	}
	return 0;
}

void proxycmd_explain(struct loop *l)
{
	char *cmd = NULL, bad = 0;
	int status = 0;

	if (l->proxy_pid <= 0 || (l->c != NULL && ssh_conn_heard(l->c) != 0) ||
	    (l->sock >= 0 && unread_version_line(l->sock))) {
		return; /* the server spoke: the loop's own line */
	}
	if (!reap_within(
	        l->proxy_pid, l->sock >= 0 && peer_closed(l->sock) ? DEAD_WAIT_MS : 0, &status)) {
		return; /* still running: the loop's own line */
	}
	l->proxy_pid = 0;
	if (proxycmd_expand(l->o, &cmd, &bad) != 0) {
		return;
	}
	if (WIFEXITED(status)) {
		snprintf(l->local_err, sizeof(l->local_err),
		    "connect: ProxyCommand '%.200s' exited with status %d", cmd,
		    WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		char num[16];
		snprintf(num, sizeof(num), "%d", WTERMSIG(status));
		snprintf(l->local_err, sizeof(l->local_err),
		    "connect: ProxyCommand '%.200s' killed by signal %s", cmd,
		    name != NULL ? name : num);
	}
	free(cmd);
}

void proxycmd_stop(pid_t *pid)
{
	int status;

	if (*pid <= 0) {
		return;
	}
	if (!reap_within(*pid, 0, &status)) {
		kill(*pid, SIGHUP);
		if (!reap_within(*pid, HUP_WAIT_MS, &status)) {
			log_debug1("ProxyCommand (pid %ld) still running after SIGHUP: SIGKILL",
			    (long)*pid);
			kill(*pid, SIGKILL);
			while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
			}
		}
	}
	*pid = 0;
}
