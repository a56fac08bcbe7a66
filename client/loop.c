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

/* ---- the timeouts' clock: monotonic, without the time spent waiting for the user ---- */

/* process-wide: prompts are asked from identity.c and trust.c as well */
static unsigned wait_depth;
static uint64_t wait_since; /* loop_now_ms() when the outermost wait began */
static uint64_t waited_ms;  /* the sum of the finished waits */

void loop_user_wait_begin(void)
{
	if (wait_depth++ == 0) {
		wait_since = loop_now_ms();
	}
}

void loop_user_wait_end(void)
{
	if (wait_depth == 0) {
		return;
	}
	if (--wait_depth == 0) {
		waited_ms += loop_now_ms() - wait_since;
	}
}

/* stands still while a wait is under way */
static uint64_t clock_ms(void)
{
	return (wait_depth > 0 ? wait_since : loop_now_ms()) - waited_ms;
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

/* The one error line for the engine's sticky error (or our own cause). */
static void print_failure(struct loop *l, int r)
{
	const char *msg = NULL;
	const char *note = identities_note(l->ids);

	if (l->local_err[0] != '\0') {
		fatal_line(l->local_err);
		return;
	}
	if (l->c != NULL && ssh_conn_error(l->c, &msg) != 0 && msg != NULL) {
		if ((note != NULL || l->auth_note[0] != '\0') && strncmp(msg, "auth:", 5) == 0) {
			char line[ERR_MAX];
			snprintf(line, sizeof(line), "%s (%s%s%s)", msg, note != NULL ? note : "",
			    note != NULL && l->auth_note[0] != '\0' ? "; " : "", l->auth_note);
			fatal_line(line);
		} else {
			fatal_line(msg);
		}
		return;
	}
	fatal_error("connect", "%s port %d: %s", l->host, l->port, ssh_err_str(r));
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
			r = authdrv_hostkey(l, &ev);
			break;
		case SSH_EV_AUTH_BANNER:
			if (log_get_level() >= LOG_INFO && ev.u.banner.text != NULL) {
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
				l->alive_next = clock_ms() + (uint64_t)l->alive_interval_ms;
			}
			break;
		case SSH_EV_CHANNEL_DATA:
			break; /* the buffers are drained by the loop */
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
	if ((win = ssh_conn_recv_window(l->c, IO_CHUNK, &room)) == NULL) {
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

/* Write what the channel has for fd 1 (is_stderr 0) or 2. */
static int out_write(struct loop *l, int is_stderr)
{
	size_t len;
	const uint8_t *p = ssh_conn_channel_peek(l->c, is_stderr, &len);
	int fd = is_stderr ? STDERR_FILENO : STDOUT_FILENO;
	ssize_t n;

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

static size_t send_pending(struct loop *l)
{
	size_t len = 0;

	if (ssh_conn_send_ptr(l->c, &len) == NULL) {
		return 0;
	}
	return len;
}

/* The process exit status for the session's end; every 255 has its one line. */
static int exit_code(struct loop *l)
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

enum { P_SOCK, P_STDIN, P_STDOUT, P_STDERR, P_SIGN, P_N };

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

/* ---- the limits up to the open session, and keepalives after it ---- */

enum phase { PH_BANNER, PH_KEX, PH_AUTH, PH_OPEN, PH_SESSION };

/* as the timeout messages name them */
static const char *const phase_names[] = {
    [PH_BANNER] = "waiting for the server's banner",
    [PH_KEX] = "during key exchange",
    [PH_AUTH] = "during user authentication",
    [PH_OPEN] = "while opening the session",
    [PH_SESSION] = "in the session",
};

static enum phase phase_of(struct loop *l)
{
	if (l->session_ready) {
		return PH_SESSION;
	}
	if (l->auth_done) {
		return PH_OPEN;
	}
	if (l->hostkey_done) {
		return PH_AUTH;
	}
	return ssh_conn_server_version(l->c) == NULL ? PH_BANNER : PH_KEX;
}

/* Shorten *timeout (ms) so that poll returns by `due` (a clock_ms() time, 0 = none). */
static void wait_until(int *timeout, uint64_t t, uint64_t due)
{
	if (due == 0) {
		return;
	}
	if (t >= due) {
		*timeout = 0;
	} else if (due - t < (uint64_t)*timeout) {
		*timeout = (int)(due - t);
	}
}

/* Only a complete packet other than IGNORE/DEBUG proves the server alive: a drip of bytes or a
 * flood of IGNORE messages does not hold the client. */
static void note_heard(struct loop *l, uint64_t t)
{
	uint64_t h = ssh_conn_heard(l->c);

	if (h == l->heard) {
		return;
	}
	l->heard = h;
	l->heard_at = t;
	if (l->session_ready && l->alive_interval_ms > 0) {
		l->alive_misses = 0;
		l->alive_next = t + (uint64_t)l->alive_interval_ms;
	}
}

/* Before the session is open: ConnectTimeout (or the BatchMode default) and the ServerAlive
 * read timeout, each ending with one line naming the phase. */
static int check_limits(struct loop *l, uint64_t t)
{
	enum phase ph = phase_of(l);

	if (ph == PH_SESSION) {
		return 0;
	}
	if (l->deadline != 0 && t >= l->deadline) {
		loop_fail_local(l, "connect: %s port %d: timed out %s (ConnectTimeout %d s%s)",
		    l->host, l->port, phase_names[ph], l->limit_s,
		    l->limit_default ? ", the BatchMode default" : "");
		return SSH_ERR_SYSTEM;
	}
	if (l->silence_ms != 0 && t - l->heard_at >= l->silence_ms) {
		loop_fail_local(l,
		    "connect: timeout: server not responding for %" PRIu64
		    " s %s (ServerAliveInterval %d s x ServerAliveCountMax %d)",
		    l->silence_ms / 1000u, phase_names[ph], l->o->server_alive_interval,
		    l->o->server_alive_count_max);
		return SSH_ERR_SYSTEM;
	}
	return 0;
}

/* After the session is open: a keepalive after each quiet interval, then give up. */
static int keepalive(struct loop *l, uint64_t t)
{
	int r;

	if (l->alive_interval_ms <= 0 || !l->session_ready || l->alive_next == 0 ||
	    t < l->alive_next) {
		return 0;
	}
	if (++l->alive_misses > l->o->server_alive_count_max) {
		loop_fail_local(l, "connect: timeout: server not responding");
		return SSH_ERR_SYSTEM;
	}
	log_debug1("no data from the server for %d ms: keepalive %d of %d", l->alive_interval_ms,
	    l->alive_misses, l->o->server_alive_count_max);
	if ((r = ssh_conn_keepalive(l->c)) < 0) {
		return r;
	}
	l->alive_next = t + (uint64_t)l->alive_interval_ms;
	return 0;
}

static int run(struct loop *l)
{
	struct pollfd pfd[P_N];
	uint64_t now, t, last_tick = 0;
	const char *emsg = NULL;
	int r = 0, sock_eof = 0;

	for (;;) {
		if ((r = drain_events(l)) < 0) {
			return r;
		}
		if (ssh_conn_error(l->c, &emsg) != 0) {
			return SSH_ERR_PROTOCOL;
		}
		if (!sock_eof && (r = sock_write(l)) < 0) {
			return r;
		}
		for (int i = 0; i < 2; i++) {
			if ((r = out_write(l, i)) < 0) {
				return r;
			}
		}
		if ((r = drain_events(l)) < 0) {
			return r;
		}
		if (ssh_conn_done(l->c) && (sock_eof || send_pending(l) == 0) &&
		    outputs_drained(l)) {
			return 0;
		}
		if (l->escape_quit) {
			return 0; /* ~.: leave at once, like ssh */
		}
		if (sock_eof && !ssh_conn_done(l->c)) {
			loop_fail_local(l, "connect: connection closed by %s", l->host);
			return SSH_ERR_PROTOCOL;
		}
		for (int i = 0; i < P_N; i++) {
			pfd[i].fd = -1;
			pfd[i].events = 0;
			pfd[i].revents = 0;
		}
		if (!sock_eof) {
			pfd[P_SOCK].fd = l->sock;
			pfd[P_SOCK].events = POLLIN | (send_pending(l) > 0 ? POLLOUT : 0);
		}
		if (l->session_ready && l->stdin_open &&
		    ssh_conn_stdin_room(l->c) > (l->esc_active ? 1u : 0u)) {
			pfd[P_STDIN].fd = STDIN_FILENO;
			pfd[P_STDIN].events = POLLIN;
		}
		for (int i = 0; i < 2; i++) {
			size_t len;
			(void)ssh_conn_channel_peek(l->c, i, &len);
			if (len > 0 && !l->out_dead[i]) {
				pfd[P_STDOUT + i].fd = STDOUT_FILENO + i;
				pfd[P_STDOUT + i].events = POLLOUT;
			}
		}
		if (l->sign_signer != NULL) {
			pfd[P_SIGN].fd = l->sign_signer->ops->poll_fd(l->sign_signer);
			pfd[P_SIGN].events = POLLIN;
		}
		int timeout = 1000;
		t = clock_ms();
		if (!l->session_ready) {
			wait_until(&timeout, t, l->deadline);
			wait_until(
			    &timeout, t, l->silence_ms != 0 ? l->heard_at + l->silence_ms : 0);
		} else if (l->alive_interval_ms > 0) {
			wait_until(&timeout, t, l->alive_next);
		}
		r = poll(pfd, P_N, timeout);
		if (r < 0 && errno != EINTR) {
			loop_fail_local(l, "connect: poll: %s", strerror(errno));
			return SSH_ERR_SYSTEM;
		}
		now = loop_now_ms();
		if (now - last_tick >= 1000) {
			last_tick = now;
			if ((r = ssh_conn_tick(l->c, now)) < 0) {
				return r;
			}
		}
		if (tty_got_term && l->no_session) {
			/* -N: as OpenSSH, SIGTERM is a deliberate end (0), others 255, quietly */
			log_verbose("Killed by signal %d.", (int)tty_got_term);
			l->signal_status = tty_got_term == SIGTERM ? 0 : 255;
			return 0;
		}
		if (tty_got_term) {
			loop_fail_local(l, "channel: killed by signal %s",
			    local_signal_name((int)tty_got_term));
			return SSH_ERR_SYSTEM;
		}
		if (tty_got_winch) {
			struct winsize ws;
			tty_got_winch = 0;
			if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && l->session_ready) {
				if ((r = ssh_conn_window_change(l->c, ws.ws_col, ws.ws_row)) < 0) {
					return r;
				}
			}
		}
		if (pfd[P_SOCK].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = sock_read(l)) < 0) {
				return r;
			}
			if (l->finished) {
				sock_eof = 1;
			}
		}
		t = clock_ms();
		note_heard(l, t);
		if ((r = check_limits(l, t)) < 0) {
			return r;
		}
		if (!sock_eof && (r = keepalive(l, t)) < 0) {
			return r;
		}
		if (l->sign_signer != NULL &&
		    (pfd[P_SIGN].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((r = authdrv_finish_sign(l)) < 0) {
				return r;
			}
		}
		if (pfd[P_STDIN].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = stdin_read(l)) < 0) {
				return r;
			}
		}
	}
}

int loop_run(const struct options *o, const struct ssh_conn_config *cfg, struct identities *ids)
{
	struct loop l;
	char err[ERR_MAX];
	int r, status = 255;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.cfg = cfg;
	l.want_tty = cfg->want_tty;
	l.ids = ids;
	l.sock = -1;
	l.host = o->hostname != NULL ? o->hostname : o->host;
	l.port = o->port > 0 ? o->port : 22;
	l.no_session = cfg->session == SSH_SESSION_NONE;
	l.stdin_unused = o->stdin_null || l.no_session;
	l.stdin_open = !l.stdin_unused;
	l.signal_status = -1;
	for (int i = 0; i < 3; i++) {
		l.saved_fl[i] = -1;
	}
	signal(SIGPIPE, SIG_IGN);

	if ((r = loop_connect(
	         o, &l.sock, &l.proxy_pid, l.addr, sizeof(l.addr), err, sizeof(err))) != 0) {
		fatal_line(err);
		goto out;
	}
	/* from the connection on: the limits up to the open session (ConnectTimeout or the
	 * BatchMode default) and the read timeout (ServerAliveInterval x CountMax) */
	l.limit_s = options_session_timeout(o, &l.limit_default);
	if (l.limit_s > 0) {
		l.deadline = clock_ms() + (uint64_t)l.limit_s * 1000u;
	}
	l.silence_ms = options_silence_limit_ms(o);
	l.heard_at = clock_ms();
	if (o->server_alive_interval > 0) {
		l.alive_interval_ms = o->server_alive_interval > 2000000
		                          ? 2000000000
		                          : o->server_alive_interval * 1000;
	}
	l.esc_active = l.want_tty && o->escape_char >= 0 && !l.stdin_unused;
	escape_init(&l.esc, o->escape_char);
	if ((l.iobuf = malloc(IO_CHUNK)) == NULL || (l.escbuf = malloc(IO_CHUNK + 1)) == NULL) {
		fatal_error("connect", "out of memory");
		goto out;
	}
	if ((r = ssh_conn_new(cfg, &l.c)) != 0) {
		fatal_error("connect", "cannot start the session: %s", ssh_err_str(r));
		goto out;
	}
	if (l.want_tty || l.no_session) {
		tty_catch_signals(l.no_session);
	}
	tty_fds_setup(&l);
	r = run(&l);
	int had_tty = l.raw_tty;
	tty_fds_restore(&l);
	if ((had_tty || l.escape_quit) && r >= 0 && l.local_err[0] == '\0') {
		log_info("Connection to %s closed.", l.host);
	}
	if (l.escape_quit && r >= 0 && l.local_err[0] == '\0') {
		goto out; /* ~. : 255, as ssh */
	}
	if (l.signal_status >= 0 && r >= 0 && l.local_err[0] == '\0') {
		status = l.signal_status;
		goto out;
	}
	if (r < 0 || l.local_err[0] != '\0') {
		proxycmd_explain(&l);
		print_failure(&l, r);
		goto out;
	}
	status = exit_code(&l);
out:
	tty_fds_restore(&l);
	if (l.sign_signer != NULL) {
		l.sign_signer = NULL;
		loop_user_wait_end();
	}
	if (l.c != NULL) {
		ssh_conn_free(l.c);
	}
	if (l.sock >= 0) {
		close(l.sock);
	}
	proxycmd_stop(&l.proxy_pid);
	free(l.iobuf);
	free(l.escbuf);
	return status;
}
