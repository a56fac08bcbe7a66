/* The terminal and the process around the loop: raw mode, descriptors, signals, escapes. */
#include "loop.h"
#include "loop_int.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "escape.h"
#include "escape_cmd.h"
#include "fwd.h"

volatile sig_atomic_t tty_got_winch;
volatile sig_atomic_t tty_got_term;

static void on_term(int sig)
{
	tty_got_term = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	tty_got_winch = 1;
}

void tty_catch_signals(int keep_ignored)
{
	static const int terminating[] = {SIGTERM, SIGHUP, SIGQUIT, SIGINT};
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	/* leave the terminal as we found it even when killed */
	sa.sa_handler = on_term;
	sa.sa_flags = 0;
	for (size_t i = 0; i < sizeof(terminating) / sizeof(terminating[0]); i++) {
		if (keep_ignored && sigaction(terminating[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN) {
			continue;
		}
		sigaction(terminating[i], &sa, NULL);
	}
}

int loop_no_dumps(void)
{
	struct rlimit rl;

	rl.rlim_cur = 0;
	rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		return -1;
	}
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0) {
		return -1;
	}
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

/* ---- terminal and descriptors ---- */

/* A pipe on stdin or stdout gets a larger kernel buffer (up to 1 MiB, the default
 * pipe-max-size): bulk transfers then move in far fewer wakeups. Failure is harmless. */
static void grow_pipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	}
}

void tty_fds_setup(struct loop *l)
{
	for (int fd = 0; fd < 3; fd++) {
		l->saved_fl[fd] = -1;
		if (fd == STDERR_FILENO || isatty(fd) || (fd == STDIN_FILENO && l->stdin_unused)) {
			continue; /* a terminal shared with others, our own log channel, and a stdin
			           * that -n / -N leave to whoever reads it after us */
		}
		grow_pipe(fd);
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) && set_nonblock(fd, 1) == 0) {
			l->saved_fl[fd] = fl;
		}
	}
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(i + 1, F_GETFL);
		l->out_nb[i] = fl >= 0 && (fl & O_NONBLOCK);
	}
}

void tty_fds_restore(struct loop *l)
{
	for (int fd = 0; fd < 3; fd++) {
		if (l->saved_fl[fd] >= 0) {
			fcntl(fd, F_SETFL, l->saved_fl[fd]);
			l->saved_fl[fd] = -1;
		}
	}
	if (l->raw_tty) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &l->saved_tio);
		l->raw_tty = 0;
	}
}

void tty_raw_mode(struct loop *l)
{
	struct termios tio;

	if (l->stdin_unused || !isatty(STDIN_FILENO) ||
	    tcgetattr(STDIN_FILENO, &l->saved_tio) != 0) {
		return;
	}
	tio = l->saved_tio;
	tio.c_iflag |= IGNPAR;
	tio.c_iflag &= ~(tcflag_t)(ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXANY | IXOFF);
	tio.c_lflag &= ~(tcflag_t)(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
	tio.c_oflag &= ~(tcflag_t)OPOST;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &tio) == 0) {
		l->raw_tty = 1;
	}
}

/* Write a message on the terminal while it may be in raw mode (lines end in CR LF there). */
static void tty_message(const char *text)
{
	fputs(text, stderr);
	fflush(stderr);
}

/* ~^Z: give the terminal back, stop, and take it again when continued. */
static void suspend_self(struct loop *l)
{
	char msg[64];
	int was_raw = l->raw_tty;

	snprintf(msg, sizeof(msg), "%c^Z [suspend x509ssh]\r\n", l->esc.ch);
	tty_message(msg);
	if (was_raw) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &l->saved_tio);
		l->raw_tty = 0;
	}
	kill(getpid(), SIGTSTP);
	if (was_raw) {
		tty_raw_mode(l);
	}
	tty_got_winch = 1; /* the window may have changed meanwhile */
}

/* Send typed bytes through the escape filter; acts on commands. */
int tty_stdin_escapes(struct loop *l, const uint8_t *in, size_t len)
{
	char help[1024], msg[16];
	int r;

	while (len > 0 && !l->escape_quit) {
		enum escape_cmd cmd = ESC_CMD_NONE;
		size_t used = 0;
		size_t k = escape_filter(&l->esc, in, len, l->escbuf, &used, &cmd);
		if (k > 0 && (r = ssh_conn_stdin_write(l->c, l->escbuf, k)) < 0) {
			return r;
		}
		in += used;
		len -= used;
		if (l->esc.nech > 0) {
			fwrite(l->esc.echo, 1, l->esc.nech, stderr);
			fflush(stderr);
			l->esc.nech = 0;
		}
		switch (cmd) {
		case ESC_CMD_CMDLINE:
			if (l->o->enable_escape_commandline != 1) {
				tty_message("commandline disabled\r\n");
				break;
			}
			tty_message("\r\nssh> ");
			escape_line_begin(&l->esc);
			break;
		case ESC_CMD_LINE:
			if ((r = escape_command(l->fwd, l->esc.line, help, sizeof(help))) < 0) {
				return r;
			}
			tty_message(help);
			break;
		case ESC_CMD_DISCONNECT:
			snprintf(msg, sizeof(msg), "%c.\r\n", l->esc.ch);
			tty_message(msg);
			l->escape_quit = 1;
			break;
		case ESC_CMD_HELP:
			snprintf(msg, sizeof(msg), "%c?\r\n", l->esc.ch);
			tty_message(msg);
			escape_help(l->esc.ch, help, sizeof(help));
			tty_message(help);
			break;
		case ESC_CMD_SUSPEND:
			suspend_self(l);
			break;
		case ESC_CMD_LIST:
			snprintf(msg, sizeof(msg), "%c#\r\n", l->esc.ch);
			tty_message(msg);
			tty_message("The following connections are open:\r\n");
			if (l->fwd != NULL) {
				fwd_list(l->fwd, help, sizeof(help));
				tty_message(help);
			}
			break;
		case ESC_CMD_NONE:
		default:
			break;
		}
	}
	return 0;
}