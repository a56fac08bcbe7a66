/* The fleet's reactor: many chains of connections in one poll loop (fleet_run.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_run.h"
#include "log.h"
#include "loop_int.h"
#include "resolve.h"
#include "ssh/err.h"

/* one host under way: its chain of connections, the destination last */
struct host {
	size_t idx;
	struct loop **ls;
	size_t n;
	struct loop_fleet_io fio;
	const struct fleet_run_ops *ops;
	uint64_t start, t_conn, t_kex, t_auth; /* loop_now_ms(), 0 = not yet */
	uint64_t deadline;                     /* -t, 0 = none */
	size_t *off;                           /* each connection's first poll slot */
};

struct run {
	const struct fleet_run_cfg *cfg;
	const struct fleet_run_ops *ops;
	struct resolver *pool;
	struct host **active;
	size_t nactive, next;
	uint64_t next_start; /* --rate: the earliest time of the next start */
};

static int fio_output(void *arg, int is_stderr, const uint8_t *p, size_t n)
{
	struct host *h = arg;

	return h->ops->output(h->ops->arg, h->idx, is_stderr, p, n);
}

static void fio_hostkey(void *arg, const struct ssh_event *ev)
{
	struct host *h = arg;

	if (h->ops->hostkey != NULL) {
		h->ops->hostkey(h->ops->arg, h->idx, ev);
	}
}

/* ---- what a host came to ---- */

/* the status of an error line by its category (and, for connect:, its cause) */
static const struct {
	const char *prefix, *contains;
	enum fleet_status status;
} line_status[] = {
    {"connect:", "refused", FLEET_REFUSED},
    {"connect:", "time limit", FLEET_TIMEOUT},
    {"connect:", "not responding", FLEET_TIMEOUT},
    {"connect:", NULL, FLEET_UNREACHABLE},
    {"hostkey:", NULL, FLEET_HOSTKEY},
    {"x509:", NULL, FLEET_TRUST},
    {"kex:", NULL, FLEET_KEX},
    {"auth:", NULL, FLEET_AUTH},
    {"pkcs11:", NULL, FLEET_PKCS11},
    {"channel:", "time limit", FLEET_TIMEOUT},
    {"channel:", NULL, FLEET_CHANNEL},
    {"config:", NULL, FLEET_CONFIG},
};

static enum fleet_status status_of_line(const char *line)
{
	for (size_t i = 0; i < sizeof(line_status) / sizeof(line_status[0]); i++) {
		if (strncmp(line, line_status[i].prefix, strlen(line_status[i].prefix)) == 0 &&
		    (line_status[i].contains == NULL ||
		        strstr(line, line_status[i].contains) != NULL)) {
			return line_status[i].status;
		}
	}
	return FLEET_ERROR;
}

static int64_t span_us(uint64_t from, uint64_t to)
{
	return from != 0 && to != 0 && to >= from ? (int64_t)(to - from) * 1000 : FLEET_NO_TIME;
}

/* The outcome of the destination's end (r: its result; who: the connection that ended it). */
static void host_report(struct host *h, size_t who, int r, const char *line_in)
{
	struct loop *d = h->ls != NULL ? h->ls[h->n - 1] : NULL;
	struct fleet_outcome oc;
	char line[ERR_MAX + 512];
	uint64_t now = loop_now_ms();

	memset(&oc, 0, sizeof(oc));
	line[0] = '\0';
	if (line_in != NULL) {
		snprintf(line, sizeof(line), "%s", line_in);
	} else if (r < 0 || h->ls[who]->local_err[0] != '\0' || who + 1 < h->n) {
		loop_failure_text(h->ls[who], r < 0 ? r : SSH_ERR_PROTOCOL, line, sizeof(line));
	} else if (d->exit_known && d->exit_signal[0] != '\0') {
		oc.status = FLEET_SIGNAL;
		oc.signal = d->exit_signal;
	} else if (!d->exit_known || !d->exit_has_status) {
		snprintf(line, sizeof(line), "%s",
		    "channel: the server closed the session without an exit status");
	} else if (d->exit_status > 255) {
		snprintf(line, sizeof(line),
		    "channel: the server sent exit status %u, outside 0..255",
		    (unsigned)d->exit_status);
	} else {
		oc.exit_status = (int)d->exit_status;
		oc.status = d->exit_status == 0 ? FLEET_OK : FLEET_EXIT;
	}
	if (line[0] != '\0') {
		oc.err_line = line;
		oc.status = status_of_line(line);
	}
	if (d != NULL) {
		oc.address = d->addr[0] != '\0' ? d->addr : NULL;
		oc.port = d->port;
		oc.auth_method = d->auth_done ? d->auth_method : NULL;
	}
	oc.t_connect_us = span_us(h->start, h->t_conn);
	oc.t_kex_us = span_us(h->t_conn, h->t_kex);
	oc.t_auth_us = span_us(h->t_kex, h->t_auth);
	oc.t_command_us = span_us(h->t_auth, h->t_auth != 0 ? now : 0);
	oc.t_total_us = span_us(h->start, now);
	h->ops->done(h->ops->arg, h->idx, &oc);
}

static void host_free(struct host *h)
{
	if (h == NULL) {
		return;
	}
	for (size_t i = h->n; h->ls != NULL && i-- > 0;) {
		if (h->ls[i] == NULL) {
			continue;
		}
		session_end(h->ls[i]);
		free((char *)h->ls[i]->hop_name);
		free(h->ls[i]);
	}
	free(h->ls);
	free(h->off);
	free(h);
}

static void host_end(struct host *h, size_t who, int r, const char *line)
{
	host_report(h, who, r, line);
	host_free(h);
}

/* ---- starting a host ---- */

/* its chain of connections, the first one dialing; NULL when it ended at once (reported) */
static struct host *host_start(struct run *run, size_t idx)
{
	const struct loop_target *t = NULL;
	struct host *h;
	struct loop *d;
	char err[ERR_MAX];
	size_t n = 0, i;
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		goto oom;
	}
	h->idx = idx;
	h->ops = run->ops;
	h->start = loop_now_ms();
	err[0] = '\0';
	if (run->ops->prepare(run->ops->arg, idx, &t, &n, err, sizeof(err)) != 0 || n == 0) {
		host_end(h, 0, 0, err[0] != '\0' ? err : "config: cannot prepare the host");
		return NULL;
	}
	if ((h->ls = calloc(n, sizeof(*h->ls))) == NULL ||
	    (h->off = calloc(n, sizeof(*h->off))) == NULL) {
		host_free(h);
		goto oom;
	}
	h->n = n;
	for (i = 0; i < n; i++) {
		if ((h->ls[i] = malloc(sizeof(*h->ls[i]))) == NULL) {
			host_free(h);
			goto oom;
		}
		session_init(h->ls[i], &t[i], i + 1 < n);
		h->ls[i]->resolver = run->pool;
		h->ls[i]->iobuf_len = run->cfg->iobuf;
	}
	for (i = 0; i + 1 < n; i++) {
		const char *as_given =
		    h->ls[i]->o->host != NULL ? h->ls[i]->o->host : h->ls[i]->host;
		size_t len = strlen(as_given) + 16;
		char *name = malloc(len);
		if (name == NULL) {
			host_free(h);
			goto oom;
		}
		snprintf(name, len, "jump host %s", as_given);
		h->ls[i]->hop_name = name;
		h->ls[i]->next_hop = h->ls[i + 1];
	}
	d = h->ls[n - 1];
	h->fio.output = fio_output;
	h->fio.hostkey = fio_hostkey;
	h->fio.arg = h;
	h->fio.in = run->cfg->in;
	h->fio.inlen = run->cfg->in != NULL ? run->cfg->inlen : 0;
	d->fio = &h->fio;
	d->want_tty = 0; /* a pty on the server (--shell), never the local terminal raw */
	d->esc_active = 0;
	d->stdin_unused = 1;
	d->stdin_open = run->cfg->in != NULL;
	if (run->cfg->limit_s > 0) {
		h->deadline = h->start + (uint64_t)run->cfg->limit_s * 1000u;
	}
	if ((r = dial_start(h->ls[0])) > 0) {
		r = session_begin(h->ls[0]) < 0 ? SSH_ERR_SYSTEM : 0;
	}
	if (r < 0) {
		host_end(h, 0, r, NULL);
		return NULL;
	}
	return h;
oom:
	snprintf(err, sizeof(err), "%s", "connect: out of memory");
	{
		struct host bare;
		memset(&bare, 0, sizeof(bare));
		bare.idx = idx;
		bare.ops = run->ops;
		bare.start = loop_now_ms();
		host_report(&bare, 0, 0, err);
	}
	return NULL;
}

/* the phases' times, as the destination passes them */
static void host_phases(struct host *h, uint64_t now)
{
	struct loop *d = h->ls[h->n - 1];

	if (h->t_conn == 0 && d->hop_started) {
		h->t_conn = now;
	}
	if (h->t_kex == 0 && d->hostkey_done) {
		h->t_kex = now;
	}
	if (h->t_auth == 0 && d->auth_done) {
		h->t_auth = now;
	}
}

/* -t ran out: the host's line names the phase */
static void host_timeout(struct host *h)
{
	struct loop *d = h->ls[h->n - 1];
	char line[512];
	const char *phase = d->session_ready  ? "while the command ran"
	                    : d->auth_done    ? "while opening the session"
	                    : d->hostkey_done ? "during user authentication"
	                    : d->hop_started  ? "during key exchange"
	                                      : "while connecting";

	snprintf(line, sizeof(line), "%s: %s port %d: time limit of %u s (-t) reached %s",
	    d->session_ready ? "channel" : "connect", d->host, d->port,
	    (unsigned)((h->deadline - h->start) / 1000u), phase);
	host_end(h, h->n - 1, 0, line);
}

/* ---- the loop ---- */

/* Before poll: each connection's step; 1 when the host ended (reported and freed). */
static int host_step(struct host *h, size_t *slots)
{
	int res;

	for (size_t i = 0; i < h->n; i++) {
		struct loop *l = h->ls[i];
		h->off[i] = *slots;
		if (l->dial != NULL) {
			(*slots)++;
			continue;
		}
		if (!l->hop_started) {
			continue;
		}
		if (session_step(l, &res)) {
			if (i + 1 < h->n && res == 0) {
				loop_fail_local(l, "connect: connection closed by %s", l->host);
				res = SSH_ERR_PROTOCOL;
			}
			host_end(h, i, res, NULL);
			return 1;
		}
		*slots += session_nslots(l);
	}
	return 0;
}

static void host_fill(struct host *h, struct pollfd *pfd, int *timeout)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->ls[i]->dial != NULL) {
			dial_fill(h->ls[i], pfd + h->off[i], timeout);
		} else if (h->ls[i]->hop_started) {
			session_fill(h->ls[i], pfd + h->off[i], timeout);
		}
	}
}

/* After poll: 1 when the host ended (reported and freed). */
static int host_after(struct host *h, struct pollfd *pfd, uint64_t now)
{
	int r;

	for (size_t i = 0; i < h->n; i++) {
		struct loop *l = h->ls[i];
		if (l->dial != NULL) {
			if ((r = dial_after(l, pfd + h->off[i])) > 0) {
				r = session_begin(l) < 0 ? SSH_ERR_SYSTEM : 0;
			}
			if (r < 0) {
				host_end(h, i, r, NULL);
				return 1;
			}
			continue;
		}
		if (!l->hop_started) {
			continue;
		}
		if ((r = session_after(l, pfd + h->off[i], now)) < 0) {
			host_end(h, i, r, NULL);
			return 1;
		}
	}
	host_phases(h, now);
	if (h->deadline != 0 && now >= h->deadline) {
		host_timeout(h);
		return 1;
	}
	return 0;
}

/* start hosts while there is room (-j) and the rate allows; the poll timeout for the next */
static void start_hosts(struct run *run, int *timeout)
{
	const struct fleet_run_cfg *cfg = run->cfg;

	while (run->next < cfg->hosts && run->nactive < cfg->parallel) {
		uint64_t now = loop_now_ms();
		struct host *h;
		if (cfg->rate > 0 && now < run->next_start) {
			uint64_t wait = run->next_start - now;
			if (wait < (uint64_t)*timeout) {
				*timeout = (int)wait;
			}
			return;
		}
		if (cfg->rate > 0) {
			uint64_t step = (uint64_t)(1000.0 / cfg->rate);
			run->next_start =
			    (run->next_start > now - step ? run->next_start : now) + step;
		}
		if ((h = host_start(run, run->next++)) != NULL) {
			run->active[run->nactive++] = h;
		}
	}
}

static void drop_active(struct run *run, size_t i)
{
	run->active[i] = run->active[--run->nactive];
}

int fleet_run(const struct fleet_run_cfg *cfg, const struct fleet_run_ops *ops)
{
	struct run run;
	struct pollfd *pfd = NULL;
	size_t cap = 0, total;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.cfg = cfg;
	run.ops = ops;
	signal(SIGPIPE, SIG_IGN);
	if ((run.active = calloc(cfg->parallel, sizeof(*run.active))) == NULL ||
	    (run.pool = resolver_new(RESOLVE_THREADS, NULL)) == NULL) {
		fatal_error("connect", "out of memory");
		goto out;
	}
	for (;;) {
		int timeout = 1000;
		start_hosts(&run, &timeout);
		if (run.nactive == 0 && run.next >= cfg->hosts) {
			break;
		}
		total = 0;
		for (size_t i = 0; i < run.nactive;) {
			if (host_step(run.active[i], &total)) {
				drop_active(&run, i);
				continue;
			}
			i++;
		}
		if (total > cap) {
			struct pollfd *p = realloc(pfd, total * sizeof(*p));
			if (p == NULL) {
				fatal_error("connect", "out of memory");
				goto out;
			}
			pfd = p;
			cap = total;
		}
		uint64_t now = loop_now_ms();
		for (size_t i = 0; i < run.nactive; i++) {
			struct host *h = run.active[i];
			host_fill(h, pfd, &timeout);
			if (h->deadline != 0) {
				if (now >= h->deadline) {
					timeout = 0;
				} else if (h->deadline - now < (uint64_t)timeout) {
					timeout = (int)(h->deadline - now);
				}
			}
		}
		if (ops->tick != NULL) {
			ops->tick(ops->arg, run.nactive);
		}
		if (run.nactive == 0) {
			/* every host ended in its step: start the next ones (or wait for --rate) */
			timeout = 1000;
			start_hosts(&run, &timeout);
			if (run.nactive == 0 && run.next < cfg->hosts) {
				(void)poll(NULL, 0, timeout);
			}
			continue;
		}
		if (poll(pfd, total, timeout) < 0 && errno != EINTR) {
			fatal_error("connect", "poll: %s", strerror(errno));
			goto out;
		}
		now = loop_now_ms();
		for (size_t i = 0; i < run.nactive;) {
			if (host_after(run.active[i], pfd, now)) {
				drop_active(&run, i);
				continue;
			}
			i++;
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < run.nactive; i++) {
		host_end(
		    run.active[i], run.active[i]->n - 1, 0, "connect: the fleet's loop failed");
	}
	free(run.active);
	free(pfd);
	resolver_free(run.pool);
	return rc;
}
