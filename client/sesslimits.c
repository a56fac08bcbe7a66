/* The limits of one connection up to its open session (ConnectTimeout or the BatchMode
 * default, the ServerAlive read timeout) and the keepalives after it, on the connection's own
 * clock (its waits for the user do not count). */
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "loop_int.h"
#include "ssh/err.h"

/* ---- the connection's own clock: its waits for the user do not count ---- */

/* A wait of one connection (its prompt, its signature) is measured on clock_ms(); the other
 * connections' clocks run on meanwhile. */
void session_wait_begin(struct loop *l)
{
	if (l->uwait.depth++ == 0) {
		l->uwait.since = clock_ms();
	}
}

void session_wait_end(struct loop *l)
{
	if (l->uwait.depth == 0) {
		return;
	}
	if (--l->uwait.depth == 0) {
		l->uwait.waited_ms += clock_ms() - l->uwait.since;
	}
}

uint64_t session_clock_ms(const struct loop *l)
{
	return (l->uwait.depth > 0 ? l->uwait.since : clock_ms()) - l->uwait.waited_ms;
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
void limits_wait_until(int *timeout, uint64_t t, uint64_t due)
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
void limits_note_heard(struct loop *l, uint64_t t)
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
int limits_check(struct loop *l, uint64_t t)
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
int limits_keepalive(struct loop *l, uint64_t t)
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
