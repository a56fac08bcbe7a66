/*
 * The poll loop around the engine: the timeouts' clock, the bytes between the socket, the
 * engine and stdin/stdout/stderr, the engine's events handed to the auth driver, the limits up
 * to the open session and the keepalives after it.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "background.h"
#include "fwd.h"
#include "identity.h"
#include "log.h"
#include "loop.h"
#include "loop_int.h"
#include "p11.h"
#include "proxycmd.h"
#include "ssh/err.h"

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the timeouts' clock: each connection's own waits for its user are sesslimits.c's;
 * nothing waits for the user outside the poll loop any more (prompts, passphrases and PINs are
 * all asked in it) ---- */

uint64_t clock_ms(void)
{
	return loop_now_ms();
}

/* ---- failing ---- */

void loop_fail_local(struct loop *l, const char *fmt, ...)
{
	va_list ap;

	if (l->local_err[0] != '\0') {
		return; /* the first cause wins */
	}
	va_start(ap, fmt);
	vsnprintf(l->local_err, sizeof(l->local_err), fmt, ap);
	va_end(ap);
}

/* "category: cause" as the one line; a jump host's says which hop ("category: jump host X: cause")
 */
static void fail_line(const struct loop *l, const char *msg, char *out, size_t outlen)
{
	const char *sep = strstr(msg, ": ");

	if (l->hop_name == NULL || sep == NULL || strstr(msg, l->hop_name) != NULL) {
		snprintf(out, outlen, "%s", msg);
		return;
	}
	snprintf(out, outlen, "%.*s: %s: %s", (int)(sep - msg), msg, l->hop_name, sep + 2);
}

/* The one error line for the engine's sticky error (or our own cause). */
void loop_print_failure(struct loop *l, int r)
{
	char line[ERR_MAX + 256];

	loop_failure_text(l, r, line, sizeof(line));
	fatal_line(line);
}

void loop_failure_text(struct loop *l, int r, char *out, size_t outlen)
{
	const char *msg = NULL;
	const char *note = identities_note(l->ids);
	char line[ERR_MAX];

	if (l->local_err[0] != '\0') {
		fail_line(l, l->local_err, out, outlen);
		return;
	}
	if (l->c != NULL && ssh_conn_error(l->c, &msg) != 0 && msg != NULL) {
		if ((note != NULL || l->auth_note[0] != '\0') && strncmp(msg, "auth:", 5) == 0) {
			snprintf(line, sizeof(line), "%s (%s%s%s)", msg, note != NULL ? note : "",
			    note != NULL && l->auth_note[0] != '\0' ? "; " : "", l->auth_note);
			fail_line(l, line, out, outlen);
		} else {
			fail_line(l, msg, out, outlen);
		}
		return;
	}
	snprintf(line, sizeof(line), "connect: %s port %d: %s", l->host, l->port, ssh_err_str(r));
	fail_line(l, line, out, outlen);
}

static void on_exit_event(struct loop *l, const struct ssh_event *ev)
{
	l->exit_known = 1;
	l->exit_has_status = ev->u.exit.has_status;
	l->exit_status = ev->u.exit.status;
	l->exit_core = ev->u.exit.core_dumped;
	l->exit_signal[0] = '\0';
	l->exit_message[0] = '\0';
	if (ev->u.exit.signal != NULL) {
		snprintf(l->exit_signal, sizeof(l->exit_signal), "%s", ev->u.exit.signal);
	}
	if (ev->u.exit.message != NULL) {
		snprintf(l->exit_message, sizeof(l->exit_message), "%s", ev->u.exit.message);
	}
}

static int drain_events(struct loop *l)
{
	struct ssh_event ev;
	int r = 0;

	while (r >= 0 && ssh_conn_next_event(l->c, &ev) == 1) {
		switch (ev.type) {
		case SSH_EV_HOSTKEY:
			if (l->fio != NULL && l->fio->hostkey != NULL) {
				l->fio->hostkey(l->fio->arg, &ev); /* fleet: the host's report */
			}
			r = authdrv_hostkey(l, &ev);
			break;
		case SSH_EV_AUTH_BANNER:
			/* fleet mode: a host's banner is not shown among the others' */
			if (l->fio == NULL && log_get_level() >= LOG_INFO &&
			    ev.u.banner.text != NULL) {
				if (ev.u.banner.notice) {
					fprintf(stderr, "%sx509ssh: %s\n",
					    ev.u.banner.open_line ? "\n" : "", ev.u.banner.text);
				} else {
					fputs(ev.u.banner.text, stderr);
				}
				fflush(stderr);
			}
			break;
		case SSH_EV_AUTH_NEXT:
			l->hostkey_done = 1;
			r = authdrv_auth_next(l, &ev);
			break;
		case SSH_EV_SIGN:
			r = authdrv_sign(l, &ev);
			break;
		case SSH_EV_PROMPT:
			r = authdrv_prompt(l, &ev);
			break;
		case SSH_EV_AUTH_DONE:
			log_debug2("authenticated to %s ([%s]:%d)", l->host, l->addr, l->port);
			l->auth_done = 1;
			/* a pty is requested next: the local terminal goes raw now, so that nothing
			 * the remote side prints meets our own output processing */
			if (l->want_tty && !l->raw_tty) {
				tty_raw_mode(l);
			}
			/* a jump host: the next hop starts over one of its channels */
			if (l->next_hop != NULL && r >= 0) {
				r = reactor_start_next_hop(l);
			}
			/* the forwardings start once authenticated, before the session opens */
			if (l->fwd != NULL && r >= 0 && (r = fwd_start(l->fwd)) < 0 &&
			    fwd_error(l->fwd) != NULL) {
				loop_fail_local(l, "%s", fwd_error(l->fwd));
			}
			break;
		case SSH_EV_SESSION_READY:
			l->session_ready = 1;
			if (!l->stdin_open) {
				/* -n: EOF at once, as from /dev/null */
				r = ssh_conn_stdin_eof(l->c);
			}
			if (l->alive_interval_ms > 0) {
				/* keepalives from now on, the first after a quiet interval */
				l->alive_misses = 0;
				l->alive_next =
				    session_clock_ms(l) + (uint64_t)l->alive_interval_ms;
			}
			break;
		case SSH_EV_CHANNEL_DATA:
			break; /* the buffers are drained by the loop */
		case SSH_EV_CHAN_OPENED:
		case SSH_EV_CHAN_OPEN_FAILED:
		case SSH_EV_CHAN_INCOMING:
		case SSH_EV_CHAN_DATA:
		case SSH_EV_CHAN_EOF:
		case SSH_EV_CHAN_CLOSED:
		case SSH_EV_GLOBAL_REPLY:
			r = l->fwd != NULL ? fwd_event(l->fwd, &ev) : 0;
			if (r < 0 && fwd_error(l->fwd) != NULL) {
				loop_fail_local(l, "%s", fwd_error(l->fwd));
			}
			break;
		case SSH_EV_EXIT:
			on_exit_event(l, &ev);
			break;
		case SSH_EV_NONE:
		default:
			break;
		}
	}
	return r;
}

/* ---- I/O ---- */

static int sock_read(struct loop *l)
{
	ssize_t n;
	size_t room = 0;
	uint8_t *win;
	int r;

	/* read straight into the engine's input buffer: one copy less per byte */
	if ((win = ssh_conn_recv_window(l->c, l->iobuf_len, &room)) == NULL) {
		const char *msg = NULL;
		if (ssh_conn_error(l->c, &msg) != 0) {
			return SSH_ERR_PROTOCOL;
		}
		return 0; /* input capped: the engine is waiting for an answer */
	}
	n = recv(l->sock, win, room, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return 0;
		}
		loop_fail_local(
		    l, "connect: read from %s port %d: %s", l->host, l->port, strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	if (n == 0) {
		r = ssh_conn_recv_eof(l->c);
		if (r < 0) {
			const char *msg = NULL;
			if (ssh_conn_error(l->c, &msg) == 0 || msg == NULL) {
				loop_fail_local(l, "connect: connection closed by %s", l->host);
			}
			return r;
		}
		if (!ssh_conn_done(l->c)) {
			loop_fail_local(l, "connect: connection closed by %s", l->host);
			return SSH_ERR_PROTOCOL;
		}
		l->finished = 1;
		return 0;
	}
	return ssh_conn_recv_commit(l->c, (size_t)n);
}

static int sock_write(struct loop *l)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	for (;;) {
		p = ssh_conn_send_ptr(l->c, &len);
		if (p == NULL || len == 0) {
			return 0;
		}
		n = send(l->sock, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				return 0;
			}
			loop_fail_local(l, "connect: write to %s port %d: %s", l->host, l->port,
			    strerror(errno));
			return SSH_ERR_SYSTEM;
		}
		ssh_conn_send_consumed(l->c, (size_t)n);
		if ((size_t)n < len) {
			return 0;
		}
	}
}

static int stdin_read(struct loop *l)
{
	size_t room = ssh_conn_stdin_room(l->c);
	ssize_t n;

	if (l->esc_active) {
		room = room > 0 ? room - 1 : 0; /* a held-back escape character may join a byte */
	}
	if (room == 0) {
		return 0;
	}
	if (room > IO_CHUNK) {
		room = IO_CHUNK;
	}
	n = read(STDIN_FILENO, l->iobuf, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return 0;
		}
		log_debug1("read from stdin: %s", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		l->stdin_open = 0;
		return ssh_conn_stdin_eof(l->c);
	}
	if (l->esc_active) {
		return tty_stdin_escapes(l, l->iobuf, (size_t)n);
	}
	return ssh_conn_stdin_write(l->c, l->iobuf, (size_t)n);
}

/* ---- fleet mode: the host's sinks and its stdin from memory (loop_fleet_io) ---- */

static int fleet_out(struct loop *l, int is_stderr, const uint8_t *p, size_t len)
{
	int r;

	if (len == 0) {
		return 0;
	}
	if ((r = l->fio->output(l->fio->arg, is_stderr, p, len)) < 0) {
		return r;
	}
	return ssh_conn_channel_consumed(l->c, is_stderr, len);
}

static int fleet_in(struct loop *l)
{
	struct loop_fleet_io *f = l->fio;
	size_t room, n;
	int r;

	if (!l->session_ready || !l->stdin_open) {
		return 0;
	}
	if (f->inoff < f->inlen && (room = ssh_conn_stdin_room(l->c)) > 0) {
		n = f->inlen - f->inoff < room ? f->inlen - f->inoff : room;
		if ((r = ssh_conn_stdin_write(l->c, f->in + f->inoff, n)) < 0) {
			return r;
		}
		f->inoff += n;
	}
	if (f->inoff >= f->inlen) {
		l->stdin_open = 0;
		return ssh_conn_stdin_eof(l->c);
	}
	return 0;
}

/* Write what the channel has for fd 1 (is_stderr 0) or 2. */
static int out_write(struct loop *l, int is_stderr)
{
	size_t len;
	const uint8_t *p = ssh_conn_channel_peek(l->c, is_stderr, &len);
	int fd = is_stderr ? STDERR_FILENO : STDOUT_FILENO;
	ssize_t n;

	if (l->fio != NULL) {
		return fleet_out(l, is_stderr, p, len);
	}
	while (len > 0) {
		if (l->out_dead[is_stderr]) {
			return ssh_conn_channel_consumed(l->c, is_stderr, len);
		}
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return 0;
			}
			if (errno == EINTR) {
				continue;
			}
			log_debug1(
			    "write to %s: %s", is_stderr ? "stderr" : "stdout", strerror(errno));
			l->out_dead[is_stderr] = 1;
			continue;
		}
		int r = ssh_conn_channel_consumed(l->c, is_stderr, (size_t)n);
		if (r < 0) {
			return r;
		}
		p = ssh_conn_channel_peek(l->c, is_stderr, &len);
		if (!l->out_nb[is_stderr]) {
			return 0; /* a blocking descriptor: let poll say when it can take more */
		}
	}
	return 0;
}

/* ---- the loop ---- */

static int outputs_drained(struct loop *l)
{
	for (int i = 0; i < 2; i++) {
		size_t len;
		(void)ssh_conn_channel_peek(l->c, i, &len);
		if (len > 0 && !l->out_dead[i]) {
			return 0;
		}
	}
	return 1;
}

size_t loop_send_pending(struct loop *l)
{
	size_t len = 0;

	if (ssh_conn_send_ptr(l->c, &len) == NULL) {
		return 0;
	}
	return len;
}

/* The process exit status for the session's end; every 255 has its one line. */
int loop_exit_code(struct loop *l)
{
	if (l->exit_known && l->exit_signal[0] != '\0') {
		fatal_error("channel", "remote command killed by signal %s%s%s%s", l->exit_signal,
		    l->exit_core ? " (core dumped)" : "", l->exit_message[0] ? ": " : "",
		    l->exit_message);
		return 255;
	}
	if (!l->exit_known || !l->exit_has_status) {
		/* some network devices close the session this way */
		fatal_error("channel", "the server closed the session without an exit status");
		return 255;
	}
	if (l->exit_status > 255) {
		/* cut to 8 bits, 256 would read as success */
		fatal_error("channel", "the server sent exit status %" PRIu32 ", outside 0..255",
		    l->exit_status);
		return 255;
	}
	return (int)l->exit_status;
}

enum { P_SOCK, P_STDIN, P_STDOUT, P_STDERR, P_SIGN, P_ASK, P_N };

/* the name of a signal we catch, as OpenSSH names remote ones ("TERM") */
static const char *local_signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "INT";
	case SIGTERM:
		return "TERM";
	case SIGHUP:
		return "HUP";
	case SIGQUIT:
		return "QUIT";
	default:
		return "unknown";
	}
}

/* -W: done when its channel has ended; its failure is the connection's */
static int stdio_fwd_over(struct loop *l, int *r)
{
	int st;

	if (!l->stdio_fwd || l->fwd == NULL || (st = fwd_stdio_state(l->fwd)) == 0) {
		return 0;
	}
	if (st < 0) {
		loop_fail_local(l, "%s", fwd_error(l->fwd));
		*r = SSH_ERR_PROTOCOL;
		return 1;
	}
	*r = 0;
	return loop_send_pending(l) == 0;
}

/*
 * Before poll: the engine's events, the bytes it has for the socket and stdout/stderr, and
 * whether the session is over. Returns 1 when it is (*res: 0, or the negative error), else 0.
 */
int session_step(struct loop *l, int *res)
{
	const char *emsg = NULL;
	int r;

	*res = 0;
	if ((r = drain_events(l)) < 0) {
		goto fail;
	}
	if (ssh_conn_error(l->c, &emsg) != 0) {
		r = SSH_ERR_PROTOCOL;
		goto fail;
	}
	if (!l->sock_eof && (r = sock_write(l)) < 0) {
		goto fail;
	}
	for (int i = 0; i < 2 && !l->is_jump; i++) {
		if ((r = out_write(l, i)) < 0) {
			goto fail;
		}
	}
	if ((r = drain_events(l)) < 0) {
		goto fail;
	}
	if (l->local_err[0] != '\0') {
		r = SSH_ERR_SYSTEM;
		goto fail;
	}
	/* -f: in the background once authenticated with the forwardings set up */
	if (!l->is_jump && l->auth_done && background_pending() &&
	    (l->fwd == NULL || fwd_settled(l->fwd))) {
		log_debug1("going to the background (ForkAfterAuthentication)");
		background_ready();
	}
	/* i11-fwdmore: as OpenSSH, the session's end waits for open forwarded connections */
	if (ssh_conn_done(l->c) && (l->sock_eof || loop_send_pending(l) == 0) &&
	    outputs_drained(l) && (l->sock_eof || l->fwd == NULL || !fwd_drain(l->fwd))) {
		return 1;
	}
	if (l->escape_quit) {
		return 1; /* ~.: leave at once, like ssh */
	}
	if (stdio_fwd_over(l, res)) {
		return 1;
	}
	if (l->sock_eof && !ssh_conn_done(l->c)) {
		loop_fail_local(l, "connect: connection closed by %s", l->host);
		r = SSH_ERR_PROTOCOL;
		goto fail;
	}
	return 0;
fail:
	*res = r;
	return 1;
}

size_t session_nslots(const struct loop *l)
{
	return P_N + (l->fwd != NULL ? fwd_npoll(l->fwd) : 0);
}

/* Its poll slots (session_nslots of them) and how long poll may sleep for its timers. */
void session_fill(struct loop *l, struct pollfd *pfd, int *timeout)
{
	uint64_t t;

	l->nfwd = l->fwd != NULL ? fwd_npoll(l->fwd) : 0;
	if (l->fwd != NULL) {
		fwd_poll(l->fwd, pfd + P_N);
	}
	for (int i = 0; i < P_N; i++) {
		pfd[i].fd = -1;
		pfd[i].events = 0;
		pfd[i].revents = 0;
	}
	if (!l->sock_eof) {
		pfd[P_SOCK].fd = l->sock;
		pfd[P_SOCK].events = POLLIN | (loop_send_pending(l) > 0 ? POLLOUT : 0);
	}
	if (l->fio == NULL && l->session_ready && l->stdin_open &&
	    ssh_conn_stdin_room(l->c) > (l->esc_active ? 1u : 0u)) {
		pfd[P_STDIN].fd = STDIN_FILENO;
		pfd[P_STDIN].events = POLLIN;
	}
	for (int i = 0; i < 2 && !l->is_jump; i++) {
		size_t len;
		(void)ssh_conn_channel_peek(l->c, i, &len);
		if (len > 0 && !l->out_dead[i] && l->fio == NULL) {
			pfd[P_STDOUT + i].fd = STDOUT_FILENO + i;
			pfd[P_STDOUT + i].events = POLLOUT;
		}
	}
	if (l->sign_signer != NULL) {
		pfd[P_SIGN].fd = l->sign_signer->ops->poll_fd(l->sign_signer);
		pfd[P_SIGN].events = POLLIN;
	}
	authdrv_fill(l, &pfd[P_ASK], timeout);
	t = session_clock_ms(l);
	if (l->uwait.depth > 0) {
		return; /* its clock stands still: no timer is due */
	}
	if (!l->session_ready) {
		limits_wait_until(timeout, t, l->deadline);
		limits_wait_until(timeout, t, l->silence_ms != 0 ? l->heard_at + l->silence_ms : 0);
	} else if (l->alive_interval_ms > 0) {
		limits_wait_until(timeout, t, l->alive_next);
	}
}

/* After poll: its slots' results. Returns 0 or the negative error that ends it. */
int session_after(struct loop *l, const struct pollfd *pfd, uint64_t now)
{
	uint64_t t;
	int r = 0;

	if (now - l->last_tick >= 1000) {
		l->last_tick = now;
		if ((r = ssh_conn_tick(l->c, now)) < 0) {
			return r;
		}
	}
	if (pfd[P_SOCK].revents & (POLLIN | POLLHUP | POLLERR)) {
		if ((r = sock_read(l)) < 0) {
			return r;
		}
		if (l->finished) {
			l->sock_eof = 1;
		}
	}
	t = session_clock_ms(l);
	limits_note_heard(l, t);
	if ((r = limits_check(l, t)) < 0) {
		return r;
	}
	if (!l->sock_eof && (r = limits_keepalive(l, t)) < 0) {
		return r;
	}
	if (l->sign_signer != NULL && (pfd[P_SIGN].revents & (POLLIN | POLLHUP | POLLERR))) {
		if ((r = authdrv_finish_sign(l)) < 0) {
			return r;
		}
	}
	if ((r = authdrv_after(l, &pfd[P_ASK])) < 0) {
		return r;
	}
	if (pfd[P_STDIN].revents & (POLLIN | POLLHUP | POLLERR)) {
		if ((r = stdin_read(l)) < 0) {
			return r;
		}
	}
	if (l->fio != NULL && (r = fleet_in(l)) < 0) {
		return r;
	}
	if (l->fwd != NULL &&
	    (r = fwd_io(l->fwd, pfd + P_N, l->nfwd, l->iobuf, l->iobuf_len)) < 0) {
		if (fwd_error(l->fwd) != NULL) {
			loop_fail_local(l, "%s", fwd_error(l->fwd));
		}
		return r;
	}
	return 0;
}

/* The terminal's signals, for the session that owns the terminal. 1: it ends (*res). */
int session_signals(struct loop *l, int *res)
{
	int r;

	*res = 0;
	if (tty_got_term && l->no_session && !l->stdio_fwd) {
		/* -N: as OpenSSH, SIGTERM is a deliberate end (0), others 255, quietly */
		log_verbose("Killed by signal %d.", (int)tty_got_term);
		l->signal_status = tty_got_term == SIGTERM ? 0 : 255;
		return 1;
	}
	if (tty_got_term) {
		loop_fail_local(
		    l, "channel: killed by signal %s", local_signal_name((int)tty_got_term));
		*res = SSH_ERR_SYSTEM;
		return 1;
	}
	if (tty_got_winch) {
		struct winsize ws;
		tty_got_winch = 0;
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && l->session_ready) {
			if ((r = ssh_conn_window_change(l->c, ws.ws_col, ws.ws_row)) < 0) {
				*res = r;
				return 1;
			}
		}
	}
	return 0;
}
