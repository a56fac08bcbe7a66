/* The engine's channel table with TCP/IP channels (RFC 4254 section 7), driven over byte buffers
 * against the in-memory server (engine_rig.h, testsrv_serve): several direct-tcpip channels
 * interleaved with the session channel, byte-exact; a refused open among them; flow control per
 * channel (one stalled channel does not stall another); forwarded-tcpip for granted and
 * ungranted ports; port-0 allocation; cancel; global replies routed among keepalives; the channel
 * cap; data beyond the window; messages for unknown, freed and closed ids; ids reused. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "t.h"
#include "testsrv.h"
#include "engine_rig.h"

#define STREAM(k, i) ((uint8_t)(((size_t)(i)*7 + (size_t)(k)*13) % 251))

/* one byte stream through a channel and back (the server echoes it) */
struct xfer {
	int session; /* the session channel (stdin / stdout) rather than a TCP/IP channel */
	uint32_t id;
	size_t total, sent, rcvd;
	int k; /* pattern of the stream */
	int opened, failed, eof, closed, bad;
	uint32_t reason;
};

static void write_some(struct rig *r, struct xfer *x)
{
	static uint8_t d[65536];
	size_t room, n, i;
	int rc;

	if (x->sent == x->total || (!x->session && !x->opened)) {
		return;
	}
	room = x->session ? ssh_conn_stdin_room(r->s.c) : ssh_conn_chan_room(r->s.c, x->id);
	n = x->total - x->sent;
	n = n > room ? room : n;
	n = n > sizeof(d) ? sizeof(d) : n;
	for (i = 0; i < n; i++) {
		d[i] = STREAM(x->k, x->sent + i);
	}
	rc = x->session ? ssh_conn_stdin_write(r->s.c, d, n)
	                : ssh_conn_chan_write(r->s.c, x->id, d, n);
	CHECK_EQ_INT(rc, 0);
	x->sent += n;
}

static void read_all(struct rig *r, struct xfer *x)
{
	size_t len = 0, i;
	const uint8_t *p = x->session ? ssh_conn_channel_peek(r->s.c, 0, &len)
	                              : ssh_conn_chan_peek(r->s.c, x->id, &len);

	for (i = 0; i < len; i++) {
		if (p[i] != STREAM(x->k, x->rcvd + i)) {
			x->bad++;
		}
	}
	x->rcvd += len;
	CHECK_EQ_INT(x->session ? ssh_conn_channel_consumed(r->s.c, 0, len)
	                        : ssh_conn_chan_consumed(r->s.c, x->id, len),
	    0);
}

static struct xfer *find(struct xfer *xs, size_t nx, int session, uint32_t id)
{
	size_t i;

	for (i = 0; i < nx; i++) {
		if (xs[i].session == session && (session || xs[i].id == id)) {
			return &xs[i];
		}
	}
	return NULL;
}

/* hand out every event; skip (if not NULL) names a channel whose data is left unread; returns
 * the number of CHAN_DATA / CHANNEL_DATA events */
static int drain(struct rig *r, struct xfer *xs, size_t nx, const struct xfer *skip)
{
	struct ssh_event ev;
	struct xfer *x;
	int data = 0;

	while (ssh_conn_next_event(r->s.c, &ev)) {
		x = find(xs, nx, ev.type == SSH_EV_CHANNEL_DATA, ev.u.chan.id);
		if (x == NULL) {
			continue;
		}
		switch (ev.type) {
		case SSH_EV_CHAN_OPENED:
			x->opened = 1;
			break;
		case SSH_EV_CHAN_OPEN_FAILED:
			x->failed = 1;
			x->reason = ev.u.chan.reason;
			CHECK(strncmp(ev.u.chan.message, "connect failed", 14) == 0);
			CHECK(strchr(ev.u.chan.message, 0x1b) == NULL);
			break;
		case SSH_EV_CHANNEL_DATA:
		case SSH_EV_CHAN_DATA:
			data++;
			if (x != skip) {
				read_all(r, x);
			}
			break;
		case SSH_EV_CHAN_EOF:
			CHECK_EQ_INT(x->rcvd, x->total); /* after all its data */
			x->eof = 1;
			break;
		case SSH_EV_CHAN_CLOSED:
			/* the server closed: we have read everything, so we close too (the id goes)
			 */
			x->closed = 1;
			CHECK_EQ_INT(ssh_conn_chan_close(r->s.c, ev.u.chan.id), 0);
			break;
		default:
			break;
		}
	}
	return data;
}

/* move every stream until all came back (or no progress is made) */
static void run(struct rig *r, struct xfer *xs, size_t nx, const struct xfer *skip)
{
	size_t i, done, before, after;
	int rounds;

	for (rounds = 0; rounds < 100000; rounds++) {
		before = after = done = 0;
		for (i = 0; i < nx; i++) {
			before += xs[i].sent + xs[i].rcvd;
			write_some(r, &xs[i]);
		}
		CHECK_EQ_INT(rig_serve(r), 0);
		(void)drain(r, xs, nx, skip);
		for (i = 0; i < nx; i++) {
			after += xs[i].sent + xs[i].rcvd;
			done += &xs[i] == skip || xs[i].failed || xs[i].rcvd == xs[i].total;
		}
		if (done == nx || (after == before && rounds > 2) || conn_err(r->s.c)[0] != '\0') {
			break;
		}
	}
}

/* several direct-tcpip channels and the session interleaved, byte-exact; one open refused; then
 * EOF and CLOSE, the rows released, and ids reused */
static void test_interleaved(int with_session)
{
	struct rig r;
	struct xfer xs[5];
	uint32_t id;
	size_t i, nx = 0;
	int ok = rig_tcp(&r, with_session) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	memset(xs, 0, sizeof(xs));
	if (with_session) {
		xs[nx].session = 1;
		xs[nx].total = 3u * 1024 * 1024;
		xs[nx].k = 0;
		nx++;
	}
	for (i = 0; i < 4; i++) {
		xs[nx].k = (int)i + 1;
		xs[nx].total = i == 0 ? 5u * 1024 * 1024 : 300000 * (i + 1);
		CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "db.internal",
		                 i == 2 ? TESTSRV_REFUSE_PORT : 5432, "127.0.0.1",
		                 40000 + (uint32_t)i, &xs[nx].id),
		    0);
		CHECK_EQ_INT(
		    xs[nx].id, (uint32_t)with_session + (uint32_t)i); /* the lowest free ids */
		nx++;
	}
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 4);
	run(&r, xs, nx, NULL);
	CHECK_STR(conn_err(r.s.c), "");
	for (i = 0; i < nx; i++) {
		if (!xs[i].session && xs[i].id == (uint32_t)with_session + 2) {
			CHECK(xs[i].failed && !xs[i].opened);
			CHECK_EQ_INT(xs[i].reason, 2);
			continue;
		}
		CHECK_MSG(xs[i].rcvd == xs[i].total && xs[i].bad == 0,
		    "stream %zu: %zu of %zu, %d bad", i, xs[i].rcvd, xs[i].total, xs[i].bad);
	}
	/* the refused open's id was released when its event was handed out */
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 3);
	/* our EOF: the echo server answers EOF and CLOSE; CHAN_EOF then CHAN_CLOSED */
	for (i = 0; i < nx; i++) {
		if (!xs[i].session && xs[i].opened) {
			CHECK_EQ_INT(ssh_conn_chan_eof(r.s.c, xs[i].id), 0);
		}
	}
	CHECK_EQ_INT(rig_serve(&r), 0);
	(void)drain(&r, xs, nx, NULL);
	for (i = 0; i < nx; i++) {
		if (!xs[i].session && xs[i].opened) {
			CHECK(xs[i].eof && xs[i].closed);
		}
	}
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 0);
	/* every id is free again: the next open takes the lowest */
	CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "h", 22, "", 0, &id), 0);
	CHECK_EQ_INT(id, (uint32_t)with_session);
	if (with_session) {
		CHECK_EQ_INT(ssh_conn_stdin_room(r.s.c) > 0, 1); /* the session is still up */
	}
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* a channel whose data is not consumed fills its own window only: another channel moves 6 MiB
 * meanwhile; once consumed, the stalled one gets the rest */
static void test_stall(void)
{
	static uint8_t big[3u * 1024 * 1024];
	struct rig r;
	struct xfer xs[2];
	struct testsrv_chan *sc;
	size_t i, len = 0;
	int ok = rig_tcp(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	memset(xs, 0, sizeof(xs));
	xs[0].k = 1;
	xs[0].total = sizeof(big);
	xs[1].k = 2;
	xs[1].total = 6u * 1024 * 1024;
	CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "a", 1000, "", 0, &xs[0].id), 0);
	CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "b", 1000, "", 0, &xs[1].id), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	(void)drain(&r, xs, 2, NULL);
	CHECK(xs[0].opened && xs[1].opened);
	/* the server pushes 3 MiB on channel a (server id TESTSRV_CHAN_BASE) */
	for (i = 0; i < sizeof(big); i++) {
		big[i] = STREAM(1, i);
	}
	CHECK_EQ_INT(testsrv_chan_send(&r.s, TESTSRV_CHAN_BASE, big, sizeof(big)), 0);
	xs[0].sent = xs[0].total; /* nothing to write on a */
	run(&r, xs, 2, &xs[0]);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK_EQ_INT(xs[1].rcvd, xs[1].total);
	CHECK_EQ_INT(xs[1].bad, 0);
	(void)ssh_conn_chan_peek(r.s.c, xs[0].id, &len);
	CHECK_EQ_INT(len, TCP_WINDOW); /* a's window is full, and no more */
	sc = testsrv_chan(&r.s, TESTSRV_CHAN_BASE);
	CHECK(sc != NULL && buf_len(&sc->pending) == sizeof(big) - TCP_WINDOW);
	read_all(&r, &xs[0]); /* consumed at last: the window goes back, the rest flows */
	run(&r, xs, 2, NULL);
	CHECK_EQ_INT(xs[0].rcvd, sizeof(big));
	CHECK_EQ_INT(xs[0].bad, 0);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* the next event must be a GLOBAL_REPLY for req with ok and port */
static void expect_reply(struct rig *r, uint32_t req, int ok, uint32_t port)
{
	struct ssh_event ev;

	CHECK(testsrv_next_event(r->s.c, SSH_EV_GLOBAL_REPLY, &ev));
	CHECK_EQ_INT(ev.u.global.req, req);
	CHECK_EQ_INT(ev.u.global.ok, ok);
	CHECK_EQ_INT(ev.u.global.port, port);
}

/* replies go to the request they answer, in order, with keepalives among them */
static void test_reply_routing(void)
{
	struct rig r;
	struct ssh_event ev;
	uint32_t q[5];
	int i, ok = rig_tcp(&r, 1) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 7001, &q[0]), 0);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 2);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", TESTSRV_REFUSE_PORT, &q[1]), 0);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 3);
	CHECK_EQ_INT(ssh_conn_cancel_tcpip_forward(r.s.c, "", 7001, &q[2]), 0);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "localhost", 0, &q[3]), 0);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "localhost", 0, &q[4]), 0);
	for (i = 1; i < 5; i++) {
		CHECK(q[i] != q[i - 1]);
	}
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK_EQ_INT(r.s.global_ok, 4);
	CHECK_EQ_INT(r.s.global_fail, 4); /* three keepalives, one forward */
	expect_reply(&r, q[0], 1, 7001);
	expect_reply(&r, q[1], 0, TESTSRV_REFUSE_PORT);
	expect_reply(&r, q[2], 1, 7001);
	expect_reply(&r, q[3], 1, TESTSRV_ALLOC_PORT);
	expect_reply(&r, q[4], 1, TESTSRV_ALLOC_PORT + 1);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1); /* the replies reset the count */
	/* a reply to nothing is ignored */
	CHECK_EQ_INT(rig_serve(&r), 0);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 81);
	srv_send(&r, &r.s.p);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
out:
	rig_free(&r);
}

/* the answer to a tcpip-forward of port 0 must carry the port; the FIFO of requests is capped
 * (not sticky) */
static void test_reply_caps(void)
{
	struct rig r;
	uint32_t q;
	int i, ok = rig_tcp(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	for (i = 0; i < 64; i++) {
		CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), i + 1);
	}
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 0, &q), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 65); /* counted, not sent */
	CHECK_STR(conn_err(r.s.c), "");
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK_EQ_INT(r.s.global_fail, 64);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 0, &q), 0);
	(void)testsrv_next_type(&r.s); /* the request, answered by hand: success without a port */
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 81);
	srv_send(&r, &r.s.p);
	CHECK_STR(conn_err(r.s.c), "channel: malformed tcpip-forward reply (no allocated port)");
out:
	rig_free(&r);
}

/* UNIMPLEMENTED (an old server's answer to a global request) refuses the oldest request */
static void test_unimplemented(void)
{
	struct rig r;
	uint32_t q1, q2;
	int ok = rig_tcp(&r, 1) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 7001, &q1), 0);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 7002, &q2), 0);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 80); /* the three requests, read, not answered */
	CHECK_EQ_INT(testsrv_next_type(&r.s), 80);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 80);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 3);
	buf_put_u32(&r.s.p, 9);
	srv_send(&r, &r.s.p); /* the keepalive's */
	srv_send(&r, &r.s.p); /* the first forward's */
	expect_reply(&r, q1, 0, 7001);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 81);
	srv_send(&r, &r.s.p); /* the second forward's */
	expect_reply(&r, q2, 1, 7002);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* the server's forwarded-tcpip opens: granted ports raise CHAN_INCOMING, others are refused by
 * the engine; accept, refuse, cancel */
static void test_forwarded(void)
{
	struct rig r;
	struct ssh_event ev;
	struct testsrv_chan *sc;
	uint32_t q, sid, sid2, sid3, sid4, sid5, id;
	size_t len = 0;
	const uint8_t *p;
	int ok = rig_tcp(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 2222, &q), 0);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "localhost", 0, &q), 0);
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "10.0.0.1", 5555, &q), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	while (ssh_conn_next_event(r.s.c, &ev)) {
	}
	/* granted: an incoming channel with its fields (sanitised) */
	CHECK_EQ_INT(
	    testsrv_open_forwarded(&r.s, "0.0.0.0", 2222, "192.0.2.7\x1b[2J", 51000, &sid), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_INCOMING, &ev));
	id = ev.u.chan.id;
	CHECK_STR(ev.u.chan.fwd.listen_addr, "0.0.0.0");
	CHECK_EQ_INT(ev.u.chan.fwd.listen_port, 2222);
	CHECK(strncmp(ev.u.chan.fwd.orig_addr, "192.0.2.7", 9) == 0);
	CHECK(strchr(ev.u.chan.fwd.orig_addr, 0x1b) == NULL);
	CHECK_EQ_INT(ev.u.chan.fwd.orig_port, 51000);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 1);
	CHECK_EQ_INT(ssh_conn_chan_accept(r.s.c, id), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	sc = testsrv_chan(&r.s, sid);
	CHECK(sc != NULL && sc->open && sc->cwin == TCP_WINDOW && sc->cmax == TCP_MAXPKT);
	/* data both ways: the server echoes what we write */
	CHECK_EQ_INT(ssh_conn_chan_room(r.s.c, id) > 0, 1);
	CHECK_EQ_INT(ssh_conn_chan_write(r.s.c, id, (const uint8_t *)"ping", 4), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_DATA, &ev));
	CHECK_EQ_INT(ev.u.chan.id, id);
	p = ssh_conn_chan_peek(r.s.c, id, &len);
	CHECK(len == 4 && memcmp(p, "ping", 4) == 0);
	/* not granted: refused by the engine (administratively prohibited), no event */
	CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "0.0.0.0", 3333, "192.0.2.7", 1, &sid2), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	sc = testsrv_chan(&r.s, sid2);
	CHECK(sc != NULL && sc->refused && sc->reason == 1);
	/* a specific address must match; the allocated port is granted */
	CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "10.0.0.2", 5555, "x", 1, &sid3), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK(testsrv_chan(&r.s, sid3)->refused);
	CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "10.0.0.1", 5555, "x", 1, &sid3), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_INCOMING, &ev));
	CHECK_EQ_INT(
	    testsrv_open_forwarded(&r.s, "localhost", TESTSRV_ALLOC_PORT, "x", 1, &sid4), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_INCOMING, &ev));
	/* the caller refuses it: the server gets its reason; the id is free at once */
	CHECK_EQ_INT(ssh_conn_chan_refuse(r.s.c, ev.u.chan.id, 2, "connect failed"), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	sc = testsrv_chan(&r.s, sid4);
	CHECK(sc != NULL && sc->refused && sc->reason == 2);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 2);
	/* cancelled: refused again */
	CHECK_EQ_INT(ssh_conn_cancel_tcpip_forward(r.s.c, "", 2222, &q), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	expect_reply(&r, q, 1, 2222);
	CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "0.0.0.0", 2222, "192.0.2.7", 1, &sid5), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK(testsrv_chan(&r.s, sid5)->refused);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* other channel types the server may try are refused by the engine */
static void test_other_opens(void)
{
	static const char *const types[] = {
	    "session", "x11", "auth-agent@openssh.com", "direct-tcpip"};
	struct rig r;
	struct ssh_event ev;
	size_t i;
	int ok = rig_tcp(&r, 1) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	for (i = 0; i < 4; i++) {
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, 90);
		buf_put_cstring(&r.s.p, types[i]);
		buf_put_u32(&r.s.p, 77);
		buf_put_u32(&r.s.p, 1000);
		buf_put_u32(&r.s.p, 1000);
		srv_send(&r, &r.s.p);
		CHECK_EQ_INT(testsrv_next_type(&r.s), 92);
		CHECK(!ssh_conn_next_event(r.s.c, &ev));
	}
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 0);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* 1024 TCP/IP channels at most: the next open is refused (not sticky), and so is the server's
 * forwarded-tcpip (resource shortage) */
static void test_cap(void)
{
	struct rig r;
	struct ssh_event ev;
	uint32_t id = 0, q, sid;
	int i, ok = rig_tcp(&r, 1) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 2222, &q), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	expect_reply(&r, q, 1, 2222);
	for (i = 0; i < 1024; i++) {
		CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "h", 22, "", 0, &id), 0);
	}
	CHECK_EQ_INT(id, 1024); /* the session holds id 0 */
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 1024);
	CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "h", 22, "", 0, &id), SSH_ERR_TOO_LARGE);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "", 2222, "x", 1, &sid), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(testsrv_chan(&r.s, sid)->refused);
	CHECK_EQ_INT(testsrv_chan(&r.s, sid)->reason, 4);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* one open direct-tcpip channel (id returned), the server's id TESTSRV_CHAN_BASE */
static int one_channel(struct rig *r, uint32_t *id)
{
	struct ssh_event ev;

	if (rig_tcp(r, 0) != 0 || ssh_conn_chan_open_tcpip(r->s.c, "h", 22, "", 0, id) != 0 ||
	    rig_serve(r) != 0 || !testsrv_next_event(r->s.c, SSH_EV_CHAN_OPENED, &ev)) {
		return -1;
	}
	return 0;
}

/* the window we grant is 2 MiB: 64 packets of 32 KiB raise one coalesced event; a byte more is
 * an error */
static void test_window(void)
{
	static uint8_t d[TCP_MAXPKT];
	struct rig r;
	struct ssh_event ev;
	uint32_t id;
	size_t len = 0;
	int i, events = 0, ok = one_channel(&r, &id) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	for (i = 0; i < 64; i++) {
		chan_msg_to(&r, 94, id);
		buf_put_string(&r.s.p, d, sizeof(d));
		srv_send(&r, &r.s.p);
	}
	while (ssh_conn_next_event(r.s.c, &ev)) {
		events += ev.type == SSH_EV_CHAN_DATA;
	}
	CHECK_EQ_INT(events, 1);
	(void)ssh_conn_chan_peek(r.s.c, id, &len);
	CHECK_EQ_INT(len, TCP_WINDOW);
	CHECK_STR(conn_err(r.s.c), "");
	chan_msg_to(&r, 94, id);
	buf_put_string(&r.s.p, d, 1);
	srv_send(&r, &r.s.p);
	CHECK_STR(conn_err(r.s.c), "channel: the server sent 1 bytes beyond our window");
out:
	rig_free(&r);
}

/* extended data on a TCP/IP channel is dropped but its window comes back; a channel request
 * wanting a reply is refused */
static void test_ext_and_requests(void)
{
	static uint8_t d[30000];
	struct rig r;
	struct ssh_event ev;
	struct testsrv_chan *sc;
	uint64_t before;
	uint32_t id;
	size_t len = 1;
	int i, ok = one_channel(&r, &id) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	sc = testsrv_chan(&r.s, TESTSRV_CHAN_BASE);
	before = sc->cwin;
	for (i = 0; i < 20; i++) {
		chan_msg_to(&r, 95, id);
		buf_put_u32(&r.s.p, 1);
		buf_put_string(&r.s.p, d, sizeof(d));
		srv_send(&r, &r.s.p);
	}
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	(void)ssh_conn_chan_peek(r.s.c, id, &len);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	/* the window was granted back once a quarter of it (512 KiB) was used: 18 packets */
	CHECK_EQ_INT(sc->cwin, before + 540000);
	chan_msg_to(&r, 98, id);
	buf_put_cstring(&r.s.p, "exit-status");
	buf_put_u8(&r.s.p, 1);
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 100);
	CHECK_EQ_INT(peek_u32(buf_ptr(&r.s.p) + 1), TESTSRV_CHAN_BASE);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* the server sends its last bytes and closes at once: after SSH_EV_CHAN_CLOSED the bytes are
 * still there for a slow local writer, until the caller closes; then the id is free */
static void test_close_keeps_data(void)
{
	struct rig r;
	struct ssh_event ev;
	const uint8_t *p;
	size_t len = 0;
	uint32_t id = 0;
	int ok = one_channel(&r, &id) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	chan_msg_to(&r, 94, id);
	buf_put_cstring(&r.s.p, "the last words");
	srv_send(&r, &r.s.p);
	chan_msg_to(&r, 96, id);
	srv_send(&r, &r.s.p);
	chan_msg_to(&r, 97, id);
	srv_send(&r, &r.s.p);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_CLOSED, &ev));
	CHECK_EQ_INT(ev.u.chan.id, id);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 1);
	p = ssh_conn_chan_peek(r.s.c, id, &len);
	CHECK_EQ_INT(len, 14);
	CHECK(p != NULL && memcmp(p, "the last words", 14) == 0);
	CHECK_EQ_INT(ssh_conn_chan_consumed(r.s.c, id, 4), 0);
	p = ssh_conn_chan_peek(r.s.c, id, &len);
	CHECK_EQ_INT(len, 10);
	CHECK_EQ_INT(ssh_conn_chan_room(r.s.c, id), 0); /* nothing more goes out on it */
	CHECK_EQ_INT(ssh_conn_chan_close(r.s.c, id), 0);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 0);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* messages naming an id never used, a freed id, a huge id, data after CLOSE, anything for an
 * incoming channel not yet accepted: each a protocol error of its own */
static void test_bad_ids(void)
{
	static const struct {
		int stage; /* 0 unused id 9, 1 id > table, 2 after CLOSE (event not handed out),
		            * 3 freed (CLOSED handed out), 4 incoming not answered */
		const char *err;
	} cases[] = {
	    {0, "channel: message 94 for unknown channel 9"},
	    {1, "channel: message 94 for unknown channel 4294967295"},
	    {2, "channel: the server sent data after closing the channel"},
	    {3, "channel: message 94 for unknown channel 0"},
	    {4, "channel: message 94 before the channel opened"},
	};
	struct rig r;
	struct ssh_event ev;
	uint32_t id = 0, q, sid;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = one_channel(&r, &id) == 0;
		CHECK(ok);
		if (!ok) {
			rig_free(&r);
			continue;
		}
		if (cases[i].stage == 0) {
			id = 9;
		} else if (cases[i].stage == 1) {
			id = 0xffffffffu;
		} else if (cases[i].stage == 2 || cases[i].stage == 3) {
			chan_msg_to(&r, 97, id);
			srv_send(&r, &r.s.p);
			if (cases[i].stage == 3) {
				CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_CLOSED, &ev));
				CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 1); /* ours to close */
				CHECK_EQ_INT(ssh_conn_chan_close(r.s.c, id), 0);
				CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 0);
			}
		} else {
			CHECK_EQ_INT(ssh_conn_tcpip_forward(r.s.c, "", 80, &q), 0);
			CHECK_EQ_INT(rig_serve(&r), 0);
			CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "", 80, "x", 1, &sid), 0);
			CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_INCOMING, &ev));
			id = ev.u.chan.id;
		}
		chan_msg_to(&r, 94, id);
		buf_put_cstring(&r.s.p, "late");
		srv_send(&r, &r.s.p);
		CHECK_STR(conn_err(r.s.c), cases[i].err);
		rig_free(&r);
	}
}

/* closed by the caller before the open was confirmed: CLOSE goes out after the confirmation,
 * then CHAN_CLOSED (no CHAN_OPENED); calls on the released id are the caller's bug */
static void test_close_while_opening(void)
{
	struct rig r;
	struct ssh_event ev;
	uint32_t id;
	int opened = 0, closed = 0, ok = rig_tcp(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_chan_open_tcpip(r.s.c, "h", 22, "", 0, &id), 0);
	CHECK_EQ_INT(ssh_conn_chan_close(r.s.c, id), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	while (ssh_conn_next_event(r.s.c, &ev)) {
		opened += ev.type == SSH_EV_CHAN_OPENED;
		closed += ev.type == SSH_EV_CHAN_CLOSED && ev.u.chan.id == id;
	}
	CHECK_EQ_INT(opened, 0);
	CHECK_EQ_INT(closed, 1);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 0);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(ssh_conn_chan_write(r.s.c, id, (const uint8_t *)"x", 1) == SSH_ERR_INTERNAL);
	CHECK_STR(conn_err(r.s.c), "channel: no TCP/IP channel 0 (internal)");
out:
	rig_free(&r);
}

int main(void)
{
	test_interleaved(1);
	test_interleaved(0);
	test_stall();
	test_reply_routing();
	test_reply_caps();
	test_unimplemented();
	test_forwarded();
	test_other_opens();
	test_cap();
	test_window();
	test_ext_and_requests();
	test_bad_ids();
	test_close_keeps_data();
	test_close_while_opening();
	T_DONE();
}
