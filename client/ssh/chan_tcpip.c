/* TCP/IP channels (RFC 4254 section 7): direct-tcpip channels we open, forwarded-tcpip channels
 * the server opens for a granted tcpip-forward, and the global requests (tcpip-forward,
 * cancel-tcpip-forward, keepalive@openssh.com) whose replies come back in the order the requests
 * went out (RFC 4254 section 4): a FIFO says what each reply answers. */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "err.h"

/* ---- global requests ---- */

void global_free(struct ssh_conn *c)
{
	size_t i;

	for (i = 0; i < CONN_MAX_GLOBAL_PENDING; i++) {
		free(c->greq[i].addr);
		c->greq[i].addr = NULL;
	}
	c->greq_count = 0;
	for (i = 0; i < c->nfwds; i++) {
		free(c->fwds[i].addr);
		c->fwds[i].addr = NULL;
	}
	c->nfwds = 0;
}

static const char *const greq_names[] = {
    [GREQ_KEEPALIVE] = "keepalive@openssh.com",
    [GREQ_FORWARD] = "tcpip-forward",
    [GREQ_CANCEL] = "cancel-tcpip-forward",
};

/* forwardings granted plus asked for: what a grant could bring the table to */
static size_t fwds_promised(const struct ssh_conn *c)
{
	size_t i, n = c->nfwds;

	for (i = 0; i < c->greq_count; i++) {
		if (c->greq[(c->greq_head + i) % CONN_MAX_GLOBAL_PENDING].kind == GREQ_FORWARD) {
			n++;
		}
	}
	return n;
}

int global_push(
    struct ssh_conn *c, enum greq_kind kind, const char *addr, uint32_t port, uint32_t *req)
{
	struct greq *g;
	struct buf b;
	char *copy = NULL;
	int r;

	if (c->greq_count >= CONN_MAX_GLOBAL_PENDING ||
	    (kind == GREQ_FORWARD && fwds_promised(c) >= CONN_MAX_FORWARDS)) {
		return SSH_ERR_TOO_LARGE; /* not sticky: the caller reports it */
	}
	if (kind != GREQ_KEEPALIVE && (copy = strdup(addr)) == NULL) {
		return conn_fail(c, SSH_ERR_ALLOC, "channel: out of memory");
	}
	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_GLOBAL_REQUEST)) == 0 &&
	    (r = buf_put_cstring(&b, greq_names[kind])) == 0 && (r = buf_put_bool(&b, 1)) == 0 &&
	    (kind == GREQ_KEEPALIVE ||
	        ((r = buf_put_cstring(&b, addr)) == 0 && (r = buf_put_u32(&b, port)) == 0))) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	if (r != 0) {
		free(copy);
		return r;
	}
	g = &c->greq[(c->greq_head + c->greq_count) % CONN_MAX_GLOBAL_PENDING];
	c->greq_count++;
	g->kind = kind;
	g->req = ++c->greq_next;
	g->addr = copy;
	g->port = port;
	if (req != NULL) {
		*req = g->req;
	}
	if (kind != GREQ_KEEPALIVE) {
		conn_log(c, SSH_LOG_DEBUG1, "%s %s:%u (request %u)", greq_names[kind], addr, port,
		    g->req);
	}
	return 0;
}

static void fwd_remove(struct ssh_conn *c, const char *addr, uint32_t port)
{
	size_t i;

	for (i = 0; i < c->nfwds; i++) {
		if (c->fwds[i].port == port && strcmp(c->fwds[i].addr, addr) == 0) {
			free(c->fwds[i].addr);
			c->fwds[i] = c->fwds[--c->nfwds];
			c->fwds[c->nfwds].addr = NULL;
			return;
		}
	}
}

/* the reply at the head of the FIFO: ok, and for a tcpip-forward of port 0 the port in msg */
static int global_answered(struct ssh_conn *c, int ok, struct rd *msg)
{
	struct greq g = c->greq[c->greq_head];
	struct ssh_event ev;
	uint32_t port = g.port;
	int r = 0;

	c->greq[c->greq_head].addr = NULL;
	c->greq_head = (c->greq_head + 1) % CONN_MAX_GLOBAL_PENDING;
	c->greq_count--;
	if (g.kind == GREQ_KEEPALIVE) {
		goto out;
	}
	if (ok && g.kind == GREQ_FORWARD && g.port == 0 &&
	    (msg == NULL || rd_u32(msg, &port) != 0 || port == 0)) {
		/* RFC 4254 section 7.1: the answer to port 0 carries the port allocated */
		r = conn_fail(c, SSH_ERR_FORMAT,
		    "channel: malformed tcpip-forward reply (no allocated port)");
		goto out;
	}
	if (ok && g.kind == GREQ_FORWARD && c->nfwds < CONN_MAX_FORWARDS) {
		c->fwds[c->nfwds].addr = g.addr;
		c->fwds[c->nfwds].port = port;
		c->nfwds++;
		g.addr = NULL;
	} else if (ok && g.kind == GREQ_CANCEL) {
		fwd_remove(c, g.addr, g.port);
	}
	conn_log(c, SSH_LOG_DEBUG1, "%s (request %u): %s, port %u", greq_names[g.kind], g.req,
	    ok ? "granted" : "refused", port);
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_GLOBAL_REPLY;
	ev.u.global.req = g.req;
	ev.u.global.ok = ok;
	ev.u.global.port = port;
	r = conn_event(c, &ev, NULL, NULL);
out:
	free(g.addr);
	return r;
}

int global_reply(struct ssh_conn *c, uint8_t type, struct rd *msg)
{
	/* any reply proves the server is alive (ServerAlive counts from zero again) */
	c->keepalive_pending = 0;
	if (c->greq_count == 0) {
		conn_log(c, SSH_LOG_DEBUG1, "global reply %u to no request: ignored", type);
		return 0;
	}
	return global_answered(c, type == SSH_MSG_REQUEST_SUCCESS, msg);
}

/* SSH_MSG_UNIMPLEMENTED from the server. The only messages we send that a conforming server may
 * not know are global requests (keepalive@openssh.com on servers that predate it), so it is taken
 * as the refusal of the oldest one outstanding: the FIFO of replies stays in step. Its sequence
 * number is not matched against the request's (a request held back during a key exchange gets
 * its number only when it goes out). */
int global_unimplemented(struct ssh_conn *c)
{
	c->keepalive_pending = 0;
	if (c->greq_count == 0) {
		return 0;
	}
	return global_answered(c, 0, NULL);
}

/* ---- channel opens ---- */

static int send_open_failure(struct ssh_conn *c, uint32_t remote, uint32_t reason, const char *msg)
{
	struct buf b;
	int r;

	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN_FAILURE)) == 0 &&
	    (r = buf_put_u32(&b, remote)) == 0 && (r = buf_put_u32(&b, reason)) == 0 &&
	    (r = buf_put_cstring(&b, msg)) == 0 && (r = buf_put_cstring(&b, "")) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	return r;
}

/* a granted forwarding the server's open names: the port must match; the address too unless the
 * forwarding named none, a wildcard or localhost (the server reports those its own way) */
static int fwd_match(const struct ssh_conn *c, const uint8_t *a, size_t an, uint32_t port)
{
	static const char *const loose[] = {"", "*", "0.0.0.0", "::", "localhost"};
	size_t i, k;

	for (i = 0; i < c->nfwds; i++) {
		if (c->fwds[i].port != port) {
			continue;
		}
		for (k = 0; k < sizeof(loose) / sizeof(loose[0]); k++) {
			if (strcmp(c->fwds[i].addr, loose[k]) == 0) {
				return 1;
			}
		}
		if (str_eq(a, an, c->fwds[i].addr)) {
			return 1;
		}
	}
	return 0;
}

/* A channel of ours for an open the server sent (remote id, window, max packet), or NULL when
 * the table is full: then the refusal was sent and *r is its result. */
static struct chan *incoming_chan(struct ssh_conn *c, enum chan_kind kind, const char *what,
    uint32_t remote, uint32_t window, uint32_t maxpkt, int *r)
{
	struct chan *ch = chan_alloc(c, kind);

	*r = 0;
	if (ch == NULL) {
		conn_log(c, SSH_LOG_VERBOSE, "%s refused: too many channels", what);
		*r = send_open_failure(c, remote, 4, "too many channels");
		return NULL;
	}
	ch->remote_id = remote;
	ch->rwin = window;
	ch->rmaxpkt = maxpkt;
	ch->open_sent = 1;
	ch->incoming = 1;
	return ch;
}

static int recv_forwarded(
    struct ssh_conn *c, struct rd *msg, uint32_t remote, uint32_t window, uint32_t maxpkt)
{
	const uint8_t *a, *o;
	size_t an, on;
	uint32_t port, oport;
	struct ssh_event ev;
	struct chan *ch;
	char *la, *oa;
	int r;

	if (rd_string(msg, &a, &an) != 0 || rd_u32(msg, &port) != 0 ||
	    rd_string(msg, &o, &on) != 0 || rd_u32(msg, &oport) != 0 || rd_end(msg) != 0 ||
	    an > CHAN_MAX_ADDR || on > CHAN_MAX_ADDR) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed forwarded-tcpip open");
	}
	if (!fwd_match(c, a, an, port)) {
		conn_log(c, SSH_LOG_VERBOSE,
		    "forwarded-tcpip for port %u, which we did not forward: refused", port);
		return send_open_failure(c, remote, 1, "no such forwarding");
	}
	if ((ch = incoming_chan(
	         c, CHAN_FORWARDED, "forwarded-tcpip", remote, window, maxpkt, &r)) == NULL) {
		return r;
	}
	la = sanitize_text(a, an, 0);
	oa = sanitize_text(o, on, 0);
	if (la == NULL || oa == NULL) {
		free(la);
		free(oa);
		return conn_fail(c, SSH_ERR_ALLOC, "channel: out of memory");
	}
	conn_log(c, SSH_LOG_DEBUG1, "channel %u: forwarded-tcpip %s:%u from %s:%u", ch->id, la,
	    port, oa, oport);
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_CHAN_INCOMING;
	ev.u.chan.id = ch->id;
	ev.u.chan.fwd.listen_addr = la;
	ev.u.chan.fwd.listen_port = port;
	ev.u.chan.fwd.orig_addr = oa;
	ev.u.chan.fwd.orig_port = oport;
	return conn_event(c, &ev, la, oa);
}

/* auth-agent@openssh.com (OpenSSH PROTOCOL): no fields; welcome only once we asked for it */
static int recv_agent(
    struct ssh_conn *c, struct rd *msg, uint32_t remote, uint32_t window, uint32_t maxpkt)
{
	struct ssh_event ev;
	struct chan *ch;
	int r;

	if (rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed auth-agent open");
	}
	if (!c->agent_asked) {
		conn_log(c, SSH_LOG_VERBOSE,
		    "the server opened an agent channel, but agent forwarding was not requested: "
		    "refused");
		return send_open_failure(c, remote, 1, "agent forwarding not requested");
	}
	if ((ch = incoming_chan(c, CHAN_AGENT, "auth-agent channel", remote, window, maxpkt, &r)) ==
	    NULL) {
		return r;
	}
	conn_log(c, SSH_LOG_DEBUG1, "channel %u: auth-agent@openssh.com", ch->id);
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_CHAN_INCOMING;
	ev.u.chan.id = ch->id;
	ev.u.chan.agent = 1;
	ev.u.chan.fwd.listen_addr = "";
	ev.u.chan.fwd.orig_addr = "";
	return conn_event(c, &ev, NULL, NULL);
}

/* the channel types a server may open towards us */
static const struct {
	const char *type;
	int (*recv)(
	    struct ssh_conn *c, struct rd *msg, uint32_t remote, uint32_t window, uint32_t maxpkt);
} open_types[] = {
    {"forwarded-tcpip", recv_forwarded},
    {"auth-agent@openssh.com", recv_agent},
};

int tcpip_recv_open(struct ssh_conn *c, struct rd *msg)
{
	const uint8_t *t;
	size_t tn, i;
	uint32_t remote, window, maxpkt;

	if (rd_string(msg, &t, &tn) != 0 || rd_u32(msg, &remote) != 0 ||
	    rd_u32(msg, &window) != 0 || rd_u32(msg, &maxpkt) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed channel open");
	}
	for (i = 0; i < sizeof(open_types) / sizeof(open_types[0]); i++) {
		if (str_eq(t, tn, open_types[i].type)) {
			return open_types[i].recv(c, msg, remote, window, maxpkt);
		}
	}
	/* session, x11, direct-tcpip, ...: nothing we offer */
	conn_log(c, SSH_LOG_DEBUG1, "channel open %.*s refused", (int)(tn > 64 ? 64 : tn),
	    (const char *)t);
	return send_open_failure(c, remote, 1, "open refused by client");
}

/* OPEN_CONFIRMATION / OPEN_FAILURE of a direct-tcpip channel, and the rest it may get */
int tcpip_handle(struct ssh_conn *c, struct chan *ch, uint8_t type, struct rd *msg)
{
	struct ssh_event ev;
	uint32_t v, v2, v3;
	const uint8_t *p;
	size_t n;
	char *t;

	switch (type) {
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
		if (ch->open || rd_u32(msg, &v) != 0 || rd_u32(msg, &v2) != 0 ||
		    rd_u32(msg, &v3) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: bad open confirmation");
		}
		ch->remote_id = v;
		ch->rwin = v2;
		ch->rmaxpkt = v3;
		ch->open = 1;
		ch->ready = 1;
		conn_log(c, SSH_LOG_DEBUG2, "channel %u: open confirm rwindow %u rmax %u", ch->id,
		    v2, v3);
		if (ch->close_wanted) {
			return chan_send_close(
			    c, ch); /* CHAN_CLOSED when the server's CLOSE comes */
		}
		if (ch->eof_wanted && chan_send_eof(c, ch) != 0) {
			return c->err;
		}
		return chan_event(c, ch, SSH_EV_CHAN_OPENED);
	case SSH_MSG_CHANNEL_OPEN_FAILURE:
		if (ch->open || rd_u32(msg, &v) != 0 || rd_string(msg, &p, &n) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: bad open failure");
		}
		if ((t = sanitize_text(p, n > 200 ? 200 : n, 0)) == NULL) {
			return conn_fail(c, SSH_ERR_ALLOC, "channel: out of memory");
		}
		conn_log(c, SSH_LOG_DEBUG1, "channel %u: open failed: %s%s%s", ch->id,
		    chan_open_failure_reason(v), t[0] ? ": " : "", t);
		memset(&ev, 0, sizeof(ev));
		/* closed by the caller while opening: the CLOSED it waits for */
		ev.type = ch->close_wanted ? SSH_EV_CHAN_CLOSED : SSH_EV_CHAN_OPEN_FAILED;
		ev.u.chan.id = ch->id;
		ev.u.chan.reason = v;
		ev.u.chan.message = t;
		return conn_event(c, &ev, t, NULL);
	default:
		break;
	}
	conn_log(c, SSH_LOG_DEBUG1, "channel %u: ignoring message %u", ch->id, type);
	return 0;
}

/* ---- the caller's side ---- */

static int conn_authenticated(struct ssh_conn *c)
{
	if (c->err != 0) {
		return c->err;
	}
	if (c->state != ST_SESSION && c->state != ST_DONE) {
		return conn_fail(
		    c, SSH_ERR_INTERNAL, "channel: TCP/IP forwarding before authentication");
	}
	return 0;
}

int ssh_conn_chan_open_tcpip(struct ssh_conn *c, const char *host, uint32_t port,
    const char *orig_addr, uint32_t orig_port, uint32_t *id)
{
	struct chan *ch;
	struct buf b;
	int r;

	if ((r = conn_authenticated(c)) != 0) {
		return r;
	}
	if (host == NULL || orig_addr == NULL) {
		return conn_fail(c, SSH_ERR_INTERNAL, "channel: direct-tcpip without a host");
	}
	if (c->nchans >= SSH_CONN_MAX_CHANNELS) {
		return SSH_ERR_TOO_LARGE; /* not sticky: the caller refuses its client */
	}
	if ((ch = chan_alloc(c, CHAN_DIRECT)) == NULL) {
		return conn_fail(c, SSH_ERR_ALLOC, "channel: out of memory");
	}
	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN)) == 0 &&
	    (r = buf_put_cstring(&b, "direct-tcpip")) == 0 && (r = buf_put_u32(&b, ch->id)) == 0 &&
	    (r = buf_put_u32(&b, CHAN_TCP_WINDOW)) == 0 &&
	    (r = buf_put_u32(&b, CHAN_TCP_MAXPACKET)) == 0 &&
	    (r = buf_put_cstring(&b, host)) == 0 && (r = buf_put_u32(&b, port)) == 0 &&
	    (r = buf_put_cstring(&b, orig_addr)) == 0 && (r = buf_put_u32(&b, orig_port)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	ch->open_sent = 1;
	*id = ch->id;
	conn_log(c, SSH_LOG_DEBUG1, "channel %u: direct-tcpip %s:%u", ch->id, host, port);
	return r;
}

/* the row of an unanswered SSH_EV_CHAN_INCOMING, or NULL and a sticky error */
static struct chan *chan_incoming(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch;

	if (c->err != 0 || (ch = chan_tcp(c, id)) == NULL) {
		return NULL;
	}
	if (!ch->incoming) {
		(void)conn_fail(
		    c, SSH_ERR_INTERNAL, "channel: channel %u was answered already", id);
		return NULL;
	}
	return ch;
}

int ssh_conn_chan_accept(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch = chan_incoming(c, id);
	struct buf b;
	int r;

	if (ch == NULL) {
		return c->err;
	}
	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN_CONFIRMATION)) == 0 &&
	    (r = buf_put_u32(&b, ch->remote_id)) == 0 && (r = buf_put_u32(&b, ch->id)) == 0 &&
	    (r = buf_put_u32(&b, CHAN_TCP_WINDOW)) == 0 &&
	    (r = buf_put_u32(&b, CHAN_TCP_MAXPACKET)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	ch->incoming = 0;
	ch->open = 1;
	ch->ready = 1;
	return r;
}

int ssh_conn_chan_refuse(struct ssh_conn *c, uint32_t id, uint32_t reason, const char *msg)
{
	struct chan *ch = chan_incoming(c, id);
	int r;

	if (ch == NULL) {
		return c->err;
	}
	r = send_open_failure(c, ch->remote_id, reason, msg != NULL ? msg : "");
	chan_release(c, id);
	return r;
}

const uint8_t *ssh_conn_chan_peek(struct ssh_conn *c, uint32_t id, size_t *len)
{
	struct chan *ch = chan_tcp(c, id);

	*len = 0;
	if (ch == NULL) {
		return NULL;
	}
	*len = buf_len(&ch->out[0]);
	return buf_ptr(&ch->out[0]);
}

int ssh_conn_chan_consumed(struct ssh_conn *c, uint32_t id, size_t n)
{
	struct chan *ch = chan_tcp(c, id);

	return ch != NULL ? chan_consumed(c, ch, 0, n) : c->err;
}

size_t ssh_conn_chan_room(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch = chan_tcp(c, id);

	return ch != NULL ? chan_room(c, ch) : 0;
}

int ssh_conn_chan_write(struct ssh_conn *c, uint32_t id, const uint8_t *data, size_t len)
{
	struct chan *ch = chan_tcp(c, id);

	return ch != NULL ? chan_write(c, ch, data, len) : c->err;
}

int ssh_conn_chan_eof(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch = chan_tcp(c, id);

	if (ch == NULL || c->err != 0) {
		return c->err;
	}
	if (!ch->open) {
		ch->eof_wanted = 1; /* sent once the open is confirmed */
		return 0;
	}
	return chan_send_eof(c, ch);
}

int ssh_conn_chan_close(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch = chan_tcp(c, id);

	if (ch == NULL || c->err != 0) {
		return c->err;
	}
	if (ch->incoming) {
		return ssh_conn_chan_refuse(c, id, 2, "closed");
	}
	ch->caller_closed = 1;
	if (ch->closed_out) {
		chan_release(c, id); /* the server closed first and the caller has read its fill */
		return 0;
	}
	buf_reset(&ch->out[0]);
	buf_reset(&ch->out[1]);
	if (!ch->open) {
		ch->close_wanted = 1; /* sent once the open is confirmed */
		return 0;
	}
	return chan_send_close(c, ch);
}

int ssh_conn_tcpip_forward(struct ssh_conn *c, const char *addr, uint32_t port, uint32_t *req)
{
	int r;

	if ((r = conn_authenticated(c)) != 0) {
		return r;
	}
	return global_push(c, GREQ_FORWARD, addr != NULL ? addr : "", port, req);
}

int ssh_conn_cancel_tcpip_forward(
    struct ssh_conn *c, const char *addr, uint32_t port, uint32_t *req)
{
	int r;

	if ((r = conn_authenticated(c)) != 0) {
		return r;
	}
	return global_push(c, GREQ_CANCEL, addr != NULL ? addr : "", port, req);
}

size_t ssh_conn_chan_count(const struct ssh_conn *c)
{
	return c->nchans;
}
