/*
 * The reactor: one poll loop for every connection of the run. The destination is the last; each
 * jump host before it carries the next hop's bytes over a direct-tcpip channel (through a
 * socketpair, so every connection is driven the same way). The terminal, stdio and the exit
 * status belong to the destination. A connection that is still resolving or connecting
 * (connect.c) takes one slot and its timer in the same poll set; its session begins when its
 * socket is there.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "log.h"
#include "loop.h"
#include "loop_int.h"
#include "proxycmd.h"
#include "resolve.h"
#include "ssh/err.h"

/* the fields of a connection before it runs */
void session_init(struct loop *l, const struct loop_target *t, int is_jump)
{
	const struct options *o = t->o;

	memset(l, 0, sizeof(*l));
	l->o = o;
	l->cfg = t->cfg;
	l->ids = t->ids;
	l->sock = -1;
	l->host = o->hostname != NULL ? o->hostname : o->host;
	l->port = o->port > 0 ? o->port : 22;
	l->is_jump = is_jump;
	l->want_tty = is_jump ? 0 : t->cfg->want_tty;
	l->no_session = t->cfg->session == SSH_SESSION_NONE;
	l->stdio_fwd = !is_jump && o->stdio_forward != NULL;
	l->stdin_unused = is_jump || o->stdin_null || (l->no_session && !l->stdio_fwd);
	l->stdin_open = !l->stdin_unused && !l->stdio_fwd; /* -W: stdin is the channel's */
	l->signal_status = -1;
	for (int i = 0; i < 3; i++) {
		l->saved_fl[i] = -1;
	}
}

/* Its engine and clocks, once its socket is there. Errors are printed. */
int session_begin(struct loop *l)
{
	const struct options *o = l->o;
	char err[ERR_MAX];
	int r;

	/* from the connection on: the limits up to the open session (ConnectTimeout or the
	 * BatchMode default) and the read timeout (ServerAliveInterval x CountMax) */
	l->limit_s = options_session_timeout(o, &l->limit_default);
	if (l->limit_s > 0) {
		l->deadline = clock_ms() + (uint64_t)l->limit_s * 1000u;
	}
	l->silence_ms = options_silence_limit_ms(o);
	l->heard_at = clock_ms();
	if (o->server_alive_interval > 0) {
		l->alive_interval_ms = o->server_alive_interval > 2000000
		                           ? 2000000000
		                           : o->server_alive_interval * 1000;
	}
	l->esc_active = l->want_tty && o->escape_char >= 0 && !l->stdin_unused;
	escape_init(&l->esc, o->escape_char);
	if (l->iobuf_len == 0) {
		l->iobuf_len = IO_CHUNK; /* fleet mode sets a smaller one */
	}
	if ((l->iobuf = malloc(l->iobuf_len)) == NULL ||
	    (l->fio == NULL && (l->escbuf = malloc(IO_CHUNK + 1)) == NULL)) {
		loop_fail_local(l, "connect: out of memory");
		return SSH_ERR_ALLOC;
	}
	if ((r = ssh_conn_new(l->cfg, &l->c)) != 0) {
		loop_fail_local(l, "connect: cannot start the session: %s", ssh_err_str(r));
		return r;
	}
	err[0] = '\0';
	if ((r = fwd_new(&l->fwd, l->c, o, err, sizeof(err))) != 0) {
		loop_fail_local(l, "%s", err[0] != '\0' ? err : "connect: out of memory");
		return r;
	}
	fwd_set_resolver(l->fwd, l->resolver);
	if (!fwd_any(l->fwd) && l->next_hop == NULL) {
		fwd_free(l->fwd);
		l->fwd = NULL;
	}
	l->hop_started = 1;
	return 0;
}

void session_end(struct loop *l)
{
	authdrv_end(l); /* a question or a signature under way is given up */
	dial_end(l);
	fwd_free(l->fwd);
	l->fwd = NULL;
	ssh_conn_free(l->c);
	l->c = NULL;
	if (l->sock >= 0) {
		close(l->sock);
		l->sock = -1;
	}
	proxycmd_stop(&l->proxy_pid);
	free(l->iobuf);
	free(l->escbuf);
	l->iobuf = NULL;
	l->escbuf = NULL;
}

int reactor_start_next_hop(struct loop *l)
{
	struct loop *n = l->next_hop;
	int sp[2], r;

	if (n == NULL || n->hop_started) {
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) != 0) {
		loop_fail_local(l, "connect: socketpair: %s", strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	if ((r = fwd_jump(l->fwd, sp[0], n->host, n->port)) < 0) {
		close(sp[1]);
		if (fwd_error(l->fwd) != NULL) {
			loop_fail_local(l, "%s", fwd_error(l->fwd));
		}
		return r;
	}
	n->sock = sp[1];
	snprintf(n->addr, sizeof(n->addr), "via %s", l->host);
	log_verbose("Connecting to %s port %d through %s.", n->host, n->port, l->host);
	if ((r = session_begin(n)) < 0) {
		return SSH_ERR_SYSTEM;
	}
	return 0;
}

/* Connection i has its socket: its session begins; with the first, the destination's terminal
 * signals and descriptors are taken over (not while the first connection is still dialing). */
static int hop_connected(struct loop **ls, size_t n, size_t i)
{
	struct loop *d = ls[n - 1];

	if (session_begin(ls[i]) < 0) {
		return SSH_ERR_SYSTEM;
	}
	if (i == 0) {
		if (d->want_tty || d->no_session) {
			tty_catch_signals(d->no_session);
		}
		tty_fds_setup(d);
	}
	return 0;
}

/*
 * Turn the loop until the destination (ls[n - 1]) ends; *who says which connection ended it.
 * Returns 0 or the negative error.
 */
static int reactor(struct loop **ls, size_t n, size_t *who)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0, total, *off;
	int r = 0, res;

	if ((off = calloc(n, sizeof(*off))) == NULL) {
		*who = n - 1;
		loop_fail_local(ls[n - 1], "connect: out of memory");
		return SSH_ERR_ALLOC;
	}
	for (;;) {
		total = 0;
		for (size_t i = 0; i < n; i++) {
			struct loop *l = ls[i];
			off[i] = total;
			if (l->dial != NULL) {
				total++; /* resolving or connecting: one slot */
				continue;
			}
			if (!l->hop_started) {
				continue;
			}
			if (session_step(l, &res)) {
				*who = i;
				r = res;
				if (i + 1 < n && r == 0) {
					/* a jump host that goes away takes the rest with it */
					loop_fail_local(
					    l, "connect: connection closed by %s", l->host);
					r = SSH_ERR_PROTOCOL;
				}
				goto out;
			}
			total += session_nslots(l);
		}
		if (total > cap) {
			struct pollfd *p = realloc(pfd, total * sizeof(*p));
			if (p == NULL) {
				*who = n - 1;
				loop_fail_local(ls[n - 1], "connect: out of memory");
				r = SSH_ERR_ALLOC;
				goto out;
			}
			pfd = p;
			cap = total;
		}
		int timeout = 1000;
		for (size_t i = 0; i < n; i++) {
			if (ls[i]->dial != NULL) {
				dial_fill(ls[i], pfd + off[i], &timeout);
			} else if (ls[i]->hop_started) {
				session_fill(ls[i], pfd + off[i], &timeout);
			}
		}
		if (poll(pfd, total, timeout) < 0 && errno != EINTR) {
			*who = n - 1;
			loop_fail_local(ls[n - 1], "connect: poll: %s", strerror(errno));
			r = SSH_ERR_SYSTEM;
			goto out;
		}
		uint64_t now = loop_now_ms();
		if (session_signals(ls[n - 1], &res)) {
			*who = n - 1;
			r = res;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (ls[i]->dial != NULL) {
				if ((r = dial_after(ls[i], pfd + off[i])) > 0) {
					r = hop_connected(ls, n, i);
				}
				if (r < 0) {
					*who = i;
					goto out;
				}
				continue;
			}
			if (!ls[i]->hop_started) {
				continue;
			}
			if ((r = session_after(ls[i], pfd + off[i], now)) < 0) {
				*who = i;
				goto out;
			}
		}
	}
out:
	free(off);
	free(pfd);
	return r;
}

int loop_run(const struct loop_target *t, size_t n)
{
	struct loop **ls = NULL, *d;
	struct resolver *pool = NULL;
	size_t who = 0, i;
	int r, status = 255;

	if (n == 0 || (ls = calloc(n, sizeof(*ls))) == NULL) {
		fatal_error("connect", "out of memory");
		return status;
	}
	if ((pool = resolver_new(RESOLVE_THREADS, NULL)) == NULL) {
		fatal_error("connect", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((ls[i] = malloc(sizeof(*ls[i]))) == NULL) {
			fatal_error("connect", "out of memory");
			goto out;
		}
		session_init(ls[i], &t[i], i + 1 < n);
		ls[i]->resolver = pool;
	}
	for (i = 0; i + 1 < n; i++) {
		const char *as_given = ls[i]->o->host != NULL ? ls[i]->o->host : ls[i]->host;
		size_t len = strlen(as_given) + 16;
		char *name = malloc(len);
		if (name == NULL) {
			fatal_error("connect", "out of memory");
			goto out;
		}
		snprintf(name, len, "jump host %s", as_given);
		ls[i]->hop_name = name;
		ls[i]->next_hop = ls[i + 1];
	}
	d = ls[n - 1];
	signal(SIGPIPE, SIG_IGN);

	/* the first hop dials (a ProxyCommand is started at once); the reactor turns the rest */
	if ((r = dial_start(ls[0])) > 0) {
		r = hop_connected(ls, n, 0);
	}
	if (r < 0) {
		loop_print_failure(ls[0], r);
		goto out;
	}
	r = reactor(ls, n, &who);
	int had_tty = d->raw_tty;
	tty_fds_restore(d);
	if (r < 0 || ls[who]->local_err[0] != '\0') {
		proxycmd_explain(ls[0]); /* a ProxyCommand that ended says how */
	}
	if (who + 1 < n) {
		loop_print_failure(ls[who], r < 0 ? r : SSH_ERR_PROTOCOL);
		goto out;
	}
	if ((had_tty || d->escape_quit) && r >= 0 && d->local_err[0] == '\0') {
		log_info("Connection to %s closed.", d->host);
	}
	if (d->escape_quit && r >= 0 && d->local_err[0] == '\0') {
		goto out; /* ~. : 255, as ssh */
	}
	if (d->stdio_fwd && r >= 0 && d->local_err[0] == '\0') {
		status = 0; /* -W: the forwarded connection ended */
		goto out;
	}
	if (d->signal_status >= 0 && r >= 0 && d->local_err[0] == '\0') {
		status = d->signal_status;
		goto out;
	}
	if (r < 0 || d->local_err[0] != '\0') {
		loop_print_failure(d, r);
		goto out;
	}
	status = loop_exit_code(d);
out:
	for (i = n; i-- > 0;) {
		if (ls[i] != NULL) {
			if (i + 1 == n) {
				tty_fds_restore(ls[i]);
			} else {
				free((char *)ls[i]->hop_name);
			}
			session_end(ls[i]);
			free(ls[i]);
		}
	}
	free(ls);
	resolver_free(pool); /* a lookup still running ends it */
	return status;
}
