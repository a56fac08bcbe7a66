/* Prompts on a pseudo-terminal (echo off, restored, signals, confirm) and through askpass; path
 * expansion of identity.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "identity.h"
#include "prompt.h"
#include "ssh/err.h"
#include "t.h"

/* What the child reports back through a pipe. */
struct report {
	int r;
	int yes;
	int echo_restored;
	int got_sigint;
	char answer[PROMPT_MAX + 8];
};

static volatile sig_atomic_t child_sigint;
static void child_on_sigint(int s)
{
	(void)s;
	child_sigint = 1;
}

enum mode { M_SECRET, M_CONFIRM, M_SIGINT, M_QUEUE, M_ASIDE };

/* Two prompts of a poll loop on one terminal: the second waits for the first (r.yes: it was
 * queued while the first asked); M_ASIDE: a prompt_secret meanwhile, the first one steps aside
 * and is asked again. The answers, '|'-joined, in r.answer. */
static void two_prompts(enum mode mode, struct report *r)
{
	struct prompt_ask *a = NULL, *b = NULL;
	struct pollfd pfd[2];
	char *x = NULL, *y = NULL, *z = NULL;
	int ra = 1, rb = 1, t = -1;

	memset(pfd, 0, sizeof(pfd));
	pfd[0].fd = pfd[1].fd = -1;
	if (prompt_start("First: ", 0, 0, NULL, &a) != 0) {
		r->r = 900;
		return;
	}
	if (mode == M_ASIDE) {
		r->r = prompt_secret("Now: ", 0, &z); /* the first prompt steps aside */
	} else if (prompt_start("Second: ", 0, 0, NULL, &b) != 0) {
		r->r = 901;
		return;
	}
	prompt_fill(a, &pfd[0], &t);
	if (b != NULL) {
		prompt_fill(b, &pfd[1], &t);
	}
	r->yes = pfd[0].fd >= 0 && pfd[1].fd < 0;
	while (a != NULL || b != NULL) {
		if (a != NULL && prompt_step(a, &pfd[0])) {
			ra = prompt_finish(a, &x, NULL);
			a = NULL;
		}
		if (b != NULL && prompt_step(b, &pfd[1])) {
			rb = prompt_finish(b, &y, NULL);
			b = NULL;
		}
		t = -1;
		pfd[0].fd = pfd[1].fd = -1;
		if (a != NULL) {
			prompt_fill(a, &pfd[0], &t);
		}
		if (b != NULL) {
			prompt_fill(b, &pfd[1], &t);
		}
		if ((a != NULL || b != NULL) && poll(pfd, 2, t) < 0 && errno != EINTR) {
			break;
		}
	}
	if (mode == M_QUEUE) {
		r->r = ra != 0 ? ra : rb;
	} else if (r->r == 0) {
		r->r = ra;
	}
	snprintf(r->answer, sizeof(r->answer), "%s|%s", x != NULL ? x : "-",
	    mode == M_QUEUE ? (y != NULL ? y : "-") : (z != NULL ? z : "-"));
	prompt_free_secret(x);
	prompt_free_secret(y);
	prompt_free_secret(z);
}

static int count_prompts(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++) {
		n += (s[0] == ':' || s[0] == '?') && s[1] == ' ';
	}
	return n;
}

/* Run a prompt in a child whose controlling terminal is a new pty; feed `input` (after the prompt
 * appeared), collect what the terminal showed in shown and the child's report. */
static int run_on_pty(
    enum mode mode, const char *input, char *shown, size_t shownsz, struct report *rep)
{
	int master, rp[2];
	pid_t pid;
	char *slave;
	size_t n = 0;
	int status = 0, fed = 0;

	memset(rep, 0, sizeof(*rep));
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 || pipe(rp) != 0) {
		return -1;
	}
	slave = ptsname(master);
	pid = fork();
	if (pid == 0) {
		struct report r;
		struct termios before, after;
		char *ans = NULL;
		int fd;
		memset(&r, 0, sizeof(r));
		close(master);
		setsid();
		fd = open(slave, O_RDWR); /* becomes the controlling terminal */
		tcgetattr(fd, &before);
		if (mode == M_SIGINT) {
			signal(SIGINT, child_on_sigint);
		}
		if (mode == M_QUEUE || mode == M_ASIDE) {
			two_prompts(mode, &r);
		} else if (mode == M_CONFIRM) {
			r.r = prompt_confirm("Continue (yes/no)? ", "SHA256:abc", &r.yes);
		} else {
			r.r = prompt_secret("Secret: ", 0, &ans);
			if (r.r == 0) {
				snprintf(r.answer, sizeof(r.answer), "%s", ans);
			}
			prompt_free_secret(ans);
		}
		tcgetattr(fd, &after);
		r.echo_restored =
		    (before.c_lflag & ECHO) == (after.c_lflag & ECHO) && (after.c_lflag & ECHO);
		r.got_sigint = child_sigint;
		if (write(rp[1], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
			_exit(2);
		}
		_exit(0);
	}
	close(rp[1]);
	for (int rounds = 0; rounds < 400; rounds++) {
		char buf[512];
		ssize_t k;
		struct timespec ts = {0, 10 * 1000 * 1000};
		fcntl(master, F_SETFL, O_NONBLOCK);
		k = read(master, buf, sizeof(buf));
		if (k > 0) {
			size_t c = (size_t)k < shownsz - 1 - n ? (size_t)k : shownsz - 1 - n;
			memcpy(shown + n, buf, c);
			n += c;
			shown[n] = '\0';
		}
		/* feed the next '|'-separated piece once one more prompt has appeared (type-ahead
		 * is flushed by the prompt, as in OpenSSH) */
		if (count_prompts(shown) > fed && *input != '\0') {
			size_t len = strcspn(input, "|");
			nanosleep(&ts, NULL);
			fed++;
			if (mode == M_SIGINT) {
				kill(pid, SIGINT);
			} else if (write(master, input, len) < 0) {
				break;
			}
			input += len;
			if (*input == '|') {
				input++;
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (pid != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (read(rp[0], rep, sizeof(*rep)) != (ssize_t)sizeof(*rep)) {
		rep->r = 999;
	}
	close(rp[0]);
	close(master);
	return 0;
}

static void test_tty(void)
{
	char shown[4096];
	struct report rep;
	char longline[3000];

	memset(shown, 0, sizeof(shown));
	CHECK_EQ_INT(run_on_pty(M_SECRET, "hunter2\n", shown, sizeof(shown), &rep), 0);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_STR(rep.answer, "hunter2");
	CHECK(strstr(shown, "Secret: ") != NULL);
	CHECK(strstr(shown, "hunter2") == NULL); /* not echoed */
	CHECK(rep.echo_restored);

	/* an empty line is an empty secret */
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_SECRET, "\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_STR(rep.answer, "");

	/* EOF (^D on an empty line) */
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_SECRET, "\004", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, SSH_ERR_INCOMPLETE);
	CHECK(rep.echo_restored);

	/* a long line is cut at PROMPT_MAX */
	memset(longline, 'a', sizeof(longline));
	longline[PROMPT_MAX + 100] = '\n';
	longline[PROMPT_MAX + 101] = '\0';
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_SECRET, longline, shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_EQ_INT(strlen(rep.answer), PROMPT_MAX);

	/* SIGINT during the prompt: terminal restored, the program's own handler ran */
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_SIGINT, "x", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, SSH_ERR_SYSTEM);
	CHECK(rep.got_sigint);
	CHECK(rep.echo_restored);

	/* confirmations */
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_CONFIRM, "yes\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_EQ_INT(rep.yes, 1);
	CHECK(strstr(shown, "yes") != NULL); /* echoed */

	memset(shown, 0, sizeof(shown));
	run_on_pty(M_CONFIRM, "no\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_EQ_INT(rep.yes, 0);

	memset(shown, 0, sizeof(shown));
	run_on_pty(M_CONFIRM, "maybe\n|SHA256:abc\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_EQ_INT(rep.yes, 1);
	CHECK(strstr(shown, "Please type 'yes', 'no' or the fingerprint") != NULL);

	memset(shown, 0, sizeof(shown));
	run_on_pty(M_CONFIRM, "\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.yes, 0);

	/* two prompts of a poll loop: the second waits for the terminal */
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_QUEUE, "one\n|two\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK(rep.yes); /* queued while the first asked */
	CHECK_STR(rep.answer, "one|two");
	CHECK(strstr(shown, "First: ") != NULL && strstr(shown, "Second: ") != NULL &&
	      strstr(shown, "First: ") < strstr(shown, "Second: "));
	CHECK(rep.echo_restored);

	/* a prompt_secret while a loop's prompt holds the terminal: that one is asked again */
	memset(shown, 0, sizeof(shown));
	run_on_pty(M_ASIDE, "now\n|first\n", shown, sizeof(shown), &rep);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_STR(rep.answer, "first|now");
	CHECK(strstr(shown, "Now: ") != NULL && strstr(strstr(shown, "Now: "), "First: ") != NULL);
	CHECK(rep.echo_restored);
}

/* askpass and "no terminal" paths, in a child without a controlling terminal */
static int no_tty_prompt(
    const char *askpass, const char *require, const char *display, char *ans, size_t anslen)
{
	int p[2], status = 0;
	struct report rep;
	pid_t pid;

	memset(&rep, 0, sizeof(rep));
	if (pipe(p) != 0) {
		return 999;
	}
	pid = fork();
	if (pid == 0) {
		char *a = NULL;
		setsid(); /* no controlling terminal: /dev/tty cannot be opened */
		unsetenv("SSH_ASKPASS");
		unsetenv("SSH_ASKPASS_REQUIRE");
		unsetenv("DISPLAY");
		unsetenv("WAYLAND_DISPLAY");
		if (askpass != NULL) {
			setenv("SSH_ASKPASS", askpass, 1);
		}
		if (require != NULL) {
			setenv("SSH_ASKPASS_REQUIRE", require, 1);
		}
		if (display != NULL) {
			setenv("DISPLAY", display, 1);
		}
		rep.r = prompt_secret("Password: ", 0, &a);
		if (rep.r == 0) {
			snprintf(rep.answer, sizeof(rep.answer), "%s", a);
		}
		prompt_free_secret(a);
		if (write(p[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
			_exit(2);
		}
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
		rep.r = 999;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	snprintf(ans, anslen, "%s", rep.answer);
	return rep.r;
}

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(body, f);
		fclose(f);
	}
	chmod(path, 0700);
}

static void test_askpass(void)
{
	char dir[] = "/tmp/test_prompt.XXXXXX", ok[64], bad[64], ans[PROMPT_MAX + 8];

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(ok, sizeof(ok), "%s/ok", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	write_script(ok, "#!/bin/sh\n[ \"$1\" = 'Password: ' ] || exit 3\nprintf 's3cret\\r\\n'\n");
	write_script(bad, "#!/bin/sh\nexit 1\n");

	CHECK_EQ_INT(no_tty_prompt(ok, "force", NULL, ans, sizeof(ans)), 0);
	CHECK_STR(ans, "s3cret");
	CHECK_EQ_INT(no_tty_prompt(ok, NULL, ":0", ans, sizeof(ans)), 0); /* no tty + display */
	CHECK_STR(ans, "s3cret");
	CHECK_EQ_INT(no_tty_prompt(ok, "prefer", ":0", ans, sizeof(ans)), 0);
	CHECK_EQ_INT(
	    no_tty_prompt(ok, NULL, NULL, ans, sizeof(ans)), SSH_ERR_NOT_FOUND); /* no display */
	CHECK_EQ_INT(no_tty_prompt(ok, "never", ":0", ans, sizeof(ans)), SSH_ERR_NOT_FOUND);
	CHECK_EQ_INT(no_tty_prompt(NULL, "force", ":0", ans, sizeof(ans)), SSH_ERR_NOT_FOUND);
	CHECK_EQ_INT(no_tty_prompt(bad, "force", NULL, ans, sizeof(ans)), SSH_ERR_INCOMPLETE);
	unlink(ok);
	unlink(bad);
	rmdir(dir);
}

/* Two prompts of a poll loop through SSH_ASKPASS run side by side: the program asked first
 * answers only once the second one has started (a marker file), else it fails. */
static void test_askpass_side_by_side(void)
{
	char dir[] = "/tmp/test_prompt.XXXXXX", prog[64], marker[64], body[512];
	struct report rep;
	int p[2], status = 0;
	pid_t pid;

	if (mkdtemp(dir) == NULL || pipe(p) != 0) {
		CHECK(0);
		return;
	}
	snprintf(prog, sizeof(prog), "%s/askpass", dir);
	snprintf(marker, sizeof(marker), "%s/second", dir);
	snprintf(body, sizeof(body),
	    "#!/bin/sh\n"
	    "if [ \"$1\" = 'Second: ' ]; then : >'%s'; echo two; exit 0; fi\n"
	    "i=0\n"
	    "while [ ! -e '%s' ]; do\n"
	    "  i=$((i + 1)); [ $i -gt 300 ] && exit 1\n"
	    "  sleep 0.1\n"
	    "done\n"
	    "echo one\n",
	    marker, marker);
	write_script(prog, body);
	memset(&rep, 0, sizeof(rep));
	pid = fork();
	if (pid == 0) {
		setsid(); /* no terminal */
		unsetenv("DISPLAY");
		unsetenv("WAYLAND_DISPLAY");
		setenv("SSH_ASKPASS", prog, 1);
		setenv("SSH_ASKPASS_REQUIRE", "force", 1);
		two_prompts(M_QUEUE, &rep);
		if (write(p[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
			_exit(2);
		}
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
		rep.r = 999;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	CHECK_EQ_INT(rep.r, 0);
	CHECK_STR(rep.answer, "one|two");
	CHECK(!rep.yes); /* the second was not queued behind the first */
	unlink(marker);
	unlink(prog);
	rmdir(dir);
}

/* one askpass output through prompt_askpass_answer, in a buffer of bufsz; 1 if the result and
 * the answer are as expected */
static int askpass_is(
    const char *out, size_t n, size_t bufsz, int status, int want_r, const char *want)
{
	char buf[64];
	int r;

	memset(buf, 'Z', sizeof(buf));
	memcpy(buf, out, n < bufsz ? n : bufsz);
	r = prompt_askpass_answer(buf, n, bufsz, status);
	if (r != want_r || strcmp(buf, want) != 0) {
		fprintf(stderr, "askpass '%.*s' (%zu, status %d): %d '%s'\n", (int)n, out, n,
		    status, r, buf);
		return 0;
	}
	return 1;
}

/* the parsing of an askpass program's output, without a program */
static void test_askpass_answer(void)
{
	char buf[16];
	size_t i;
	int wiped = 1;

	CHECK(askpass_is("s3cret\n", 7, 64, 0, 0, "s3cret"));
	CHECK(askpass_is("s3cret\r\n", 8, 64, 0, 0, "s3cret"));
	CHECK(askpass_is("s3cret", 6, 64, 0, 0, "s3cret")); /* no line end */
	CHECK(askpass_is("a\rb\n", 4, 64, 0, 0, "a"));
	CHECK(askpass_is("first\nsecond\n", 14, 64, 0, 0, "first")); /* the first line only */
	CHECK(askpass_is("\nlater", 6, 64, 0, 0, ""));
	CHECK(askpass_is("", 0, 64, 0, 0, ""));
	CHECK(askpass_is("ab\0cd\n", 6, 64, 0, 0, "ab")); /* a NUL ends it too */
	/* output beyond the buffer is dropped: bufsz - 1 bytes are kept */
	CHECK(askpass_is("0123456789", 10, 8, 0, 0, "0123456"));
	CHECK(askpass_is("0123456789", 10, 1, 0, 0, ""));
	/* exit status 0 only: an exit 1 (cancelled), a signal, an unknown status */
	CHECK(askpass_is("s3cret\n", 7, 64, 1 << 8, SSH_ERR_INCOMPLETE, ""));
	CHECK(askpass_is("s3cret\n", 7, 64, 9, SSH_ERR_INCOMPLETE, ""));
	CHECK(askpass_is("s3cret\n", 7, 64, -1, SSH_ERR_INCOMPLETE, ""));
	CHECK(askpass_is("", 0, 64, 127 << 8, SSH_ERR_INCOMPLETE, ""));
	/* a refused answer is wiped from the whole buffer */
	memcpy(buf, "secret\nmore\0\0\0\0", sizeof(buf));
	CHECK_EQ_INT(prompt_askpass_answer(buf, 11, sizeof(buf), 1 << 8), SSH_ERR_INCOMPLETE);
	for (i = 0; i < sizeof(buf); i++) {
		wiped &= buf[i] == 0;
	}
	CHECK(wiped);
	/* an accepted one keeps the rest of the output behind the NUL (prompt_free_secret wipes
	 * the whole buffer) */
	memcpy(buf, "secret\nmore\0\0\0\0", sizeof(buf));
	CHECK_EQ_INT(prompt_askpass_answer(buf, 11, sizeof(buf), 0), 0);
	CHECK_STR(buf, "secret");
	CHECK(memcmp(buf + 7, "more", 4) == 0);
	CHECK_EQ_INT(prompt_askpass_answer(buf, 0, 0, 0), SSH_ERR_INTERNAL);
}

static void test_path_expand(void)
{
	struct options o;
	char *p = NULL, user[64];

	memset(&o, 0, sizeof(o));
	o.host = "alias";
	o.hostname = "real.example";
	o.user = "bob";
	o.port = 2222;
	setenv("HOME", "/home/t", 1);
	CHECK_EQ_INT(path_expand("~/.ssh/id_%h_%r_%p_%n%%", &o, &p), 0);
	CHECK_STR(p, "/home/t/.ssh/id_real.example_bob_2222_alias%");
	free(p);
	CHECK_EQ_INT(path_expand("%d/x", NULL, &p), 0);
	CHECK_STR(p, "/home/t/x");
	free(p);
	CHECK_EQ_INT(path_expand("~", NULL, &p), 0);
	CHECK_STR(p, "/home/t");
	free(p);
	CHECK_EQ_INT(path_expand("/a~b", NULL, &p), 0); /* ~ only at the start */
	CHECK_STR(p, "/a~b");
	free(p);
	CHECK_EQ_INT(path_expand("%h", NULL, &p), SSH_ERR_FORMAT); /* needs options */
	CHECK(p == NULL);
	CHECK_EQ_INT(path_expand("%z", &o, &p), SSH_ERR_FORMAT);
	CHECK_EQ_INT(path_expand("trailing%", &o, &p), SSH_ERR_FORMAT);
	CHECK_EQ_INT(path_expand("%u", NULL, &p), 0);
	snprintf(user, sizeof(user), "%s", p != NULL ? p : "");
	CHECK(user[0] != '\0');
	free(p);
}

int main(void)
{
	test_path_expand();
	test_askpass();
	test_askpass_side_by_side();
	test_askpass_answer();
	test_tty();
	T_DONE();
}
