/*
 * -f (ForkAfterAuthentication): the process forks first of all, before a token is opened or a
 * thread started (neither survives fork()); the parent waits in the foreground until the child
 * reports that it is authenticated with its forwardings set up, then exits 0, or, when the child
 * fails first, exits with the child's status (its one error line is already on the shared stderr).
 * Prompts are answered by the child while the parent waits.
 */
#include "background.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1; /* the child's end of the pipe, until it reports */

int background_fork(void)
{
	int p[2];
	pid_t pid;
	char c;
	ssize_t n;
	int st;

	if (pipe(p) != 0) {
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
		ready_fd = p[1];
		return 0;
	}
	close(p[1]);
	do {
		n = read(p[0], &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1) {
		_exit(0); /* the child runs on in the background */
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			_exit(255);
		}
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 255);
}

int background_pending(void)
{
	return ready_fd >= 0;
}

void background_ready(void)
{
	int fd;

	if (ready_fd < 0) {
		return;
	}
	(void)setsid(); /* no longer the terminal's: its signals are not ours */
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		if (fd > STDERR_FILENO) {
			close(fd);
		}
	}
	if (write(ready_fd, "1", 1) != 1) {
		/* the parent is gone already: nothing to tell */
	}
	close(ready_fd);
	ready_fd = -1;
}
