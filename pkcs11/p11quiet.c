/*
 * Modules kept quiet: what a PKCS#11 module (or p11-kit on its behalf) writes on fd 2 while the
 * keys are loaded goes into an anonymous file instead of the user's terminal, and is handed to
 * the program line by line afterwards (shown with -v, dropped otherwise).
 *
 * fd 2 is process-wide: the capture is only used around the synchronous loading path (module
 * initialisation, slot and token listing, object finding, finalisation), on the caller's thread,
 * while no other thread of ours writes. In-process, the worker thread's C_Login and C_Sign are not
 * captured; the token helper (p11helper_main.c) keeps its fds 1 and 2 on an anonymous file for
 * good and sends what every call printed ahead of its reply (p11_quiet_lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "p11_int.h"

#define QUIET_READ_MAX  16384 /* bytes of captured text looked at */
#define QUIET_LINES_MAX 40    /* lines handed on */
#define QUIET_LINE_MAX  240   /* bytes of one line handed on */

void p11_quiet_begin(struct p11_quiet *q)
{
	int fd;

	q->saved = q->sink = -1;
	(void)fflush(stderr);
	if ((fd = memfd_create("x509ssh-module-stderr", MFD_CLOEXEC)) < 0) {
		return; /* no capture: the module's text reaches fd 2 as before */
	}
	if ((q->saved = fcntl(2, F_DUPFD_CLOEXEC, 3)) < 0) {
		close(fd); /* fd 2 is closed: nothing to protect */
		return;
	}
	if (dup2(fd, 2) < 0) {
		close(fd);
		close(q->saved);
		q->saved = -1;
		return;
	}
	q->sink = fd;
}

/* one captured line, printable: control bytes as '?' */
static void hand_on(const struct p11_quiet_out *out, const char *s, size_t n, size_t *lines)
{
	char line[QUIET_LINE_MAX + 1];
	size_t i;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
	}
	if (n == 0 || out == NULL || out->line == NULL) {
		return;
	}
	if (*lines == QUIET_LINES_MAX) {
		out->line(out->arg, "(more module output not shown)");
	}
	if ((*lines)++ >= QUIET_LINES_MAX) {
		return;
	}
	if (n > QUIET_LINE_MAX) {
		n = QUIET_LINE_MAX;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		line[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	line[n] = '\0';
	out->line(out->arg, line);
}

void p11_quiet_end(struct p11_quiet *q, const struct p11_quiet_out *out)
{
	char buf[QUIET_READ_MAX];
	size_t n = 0;
	ssize_t got;

	if (q->sink < 0) {
		return;
	}
	(void)fflush(stderr);
	(void)dup2(q->saved, 2);
	close(q->saved);
	q->saved = -1;
	while (n < sizeof(buf)) {
		got = pread(q->sink, buf + n, sizeof(buf) - n, (off_t)n);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got <= 0) {
			break;
		}
		n += (size_t)got;
	}
	close(q->sink);
	q->sink = -1;
	p11_quiet_lines(buf, n, out);
}

void p11_quiet_lines(const char *buf, size_t n, const struct p11_quiet_out *out)
{
	size_t start = 0, i, lines = 0;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			hand_on(out, buf + start, i - start, &lines);
			start = i + 1;
		}
	}
	hand_on(out, buf + start, n - start, &lines);
}
