/* Agent forwarding in the engine (ForwardAgent): auth-agent-req@openssh.com goes out on the
 * session channel, without a reply wanted, before the command; the server's
 * auth-agent@openssh.com opens are refused (administratively prohibited, no event) unless we
 * asked, and raised as SSH_EV_CHAN_INCOMING with u.chan.agent when we did: accepted, the bytes
 * go both ways byte-exact, refused with the caller's reason; a malformed open is an error. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "t.h"
#include "testsrv.h"
#include "engine_rig.h"

/* the request named by a CHANNEL_REQUEST payload in r->s.p, and its want-reply byte */
static int request_is(struct rig *r, const char *name, int *want_reply)
{
	const uint8_t *p = buf_ptr(&r->s.p);
	size_t n = buf_len(&r->s.p), nl = strlen(name);

	if (n < 1 + 4 + 4 + nl + 1 || p[0] != 98) {
		return 0;
	}
	if (p[5] != 0 || p[6] != 0 || p[7] != (uint8_t)(nl >> 8) || p[8] != (uint8_t)nl ||
	    memcmp(p + 9, name, nl) != 0) {
		return 0;
	}
	*want_reply = p[9 + nl];
	return 1;
}

/* authenticated, the session channel open; forward: ForwardAgent. The requests the client sent
 * before its exec are checked: with forward, auth-agent-req@openssh.com first (no reply wanted)
 * Returns 0 when all went as expected. */
static int session(struct rig *r, int forward)
{
	struct ssh_event ev;
	int want = -1, rc;

	rig_init(r);
	r->cfg.forward_agent = forward;
	if (rig_connect(r, 0) != 0) {
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 52);
	srv_send(r, &r->s.p);
	if (testsrv_next_type(&r->s) != 90) {
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 91);
	buf_put_u32(&r->s.p, 0);
	buf_put_u32(&r->s.p, SESSION_SRV_ID);
	buf_put_u32(&r->s.p, SESSION_WINDOW);
	buf_put_u32(&r->s.p, 32768);
	srv_send(r, &r->s.p);
	if (testsrv_next_type(&r->s) != 98) {
		return -1;
	}
	if (forward) {
		rc = request_is(r, "auth-agent-req@openssh.com", &want);
		CHECK(rc);
		CHECK_EQ_INT(want, 0);
		if (!rc || testsrv_next_type(&r->s) != 98) {
			return -1;
		}
	}
	rc = request_is(r, "exec", &want);
	CHECK(rc);
	CHECK_EQ_INT(want, 1);
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 99);
	buf_put_u32(&r->s.p, 0);
	srv_send(r, &r->s.p);
	if (!testsrv_next_event(r->s.c, SSH_EV_SESSION_READY, &ev)) {
		return -1;
	}
	return testsrv_chan_bind(&r->s, SESSION_SRV_ID, 0, SESSION_WINDOW, SESSION_MAXPKT, 1);
}

/* not asked: the open is refused by the engine, administratively prohibited, and no event */
static void test_refused_unasked(void)
{
	struct rig r;
	struct ssh_event ev;
	struct testsrv_chan *sc;
	uint32_t sid;
	int ok = session(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(testsrv_open_agent(&r.s, &sid), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	sc = testsrv_chan(&r.s, sid);
	CHECK(sc != NULL && sc->refused && sc->reason == 1);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 0);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* SessionType none never asks: an agent open is refused even with forward_agent set */
static void test_refused_no_session(void)
{
	struct rig r;
	struct ssh_event ev;
	uint32_t sid;
	int ok;

	rig_init(&r);
	r.cfg.forward_agent = 1;
	r.cfg.session = SSH_SESSION_NONE;
	ok = rig_connect(&r, 0) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 52);
	srv_send(&r, &r.s.p);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_SESSION_READY, &ev));
	CHECK_EQ_INT(testsrv_open_agent(&r.s, &sid), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK(testsrv_chan(&r.s, sid)->refused);
	CHECK_EQ_INT(testsrv_chan(&r.s, sid)->reason, 1);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* asked: INCOMING with agent set; accepted: bytes both ways as they are; a second one refused
 * by the caller gets the caller's reason */
static void test_accepted(void)
{
	static const uint8_t req[] = {0, 0, 0, 1, 11};
	static const uint8_t ans[] = {0, 0, 0, 5, 12, 0, 0, 0, 0};
	struct rig r;
	struct ssh_event ev;
	struct testsrv_chan *sc;
	const uint8_t *p;
	size_t len = 0;
	uint32_t sid, sid2, id;
	int ok = session(&r, 1) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(testsrv_open_agent(&r.s, &sid), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_INCOMING, &ev));
	CHECK_EQ_INT(ev.u.chan.agent, 1);
	CHECK_STR(ev.u.chan.fwd.listen_addr, "");
	CHECK_EQ_INT(ev.u.chan.fwd.listen_port, 0);
	id = ev.u.chan.id;
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 1);
	CHECK_EQ_INT(ssh_conn_chan_accept(r.s.c, id), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	sc = testsrv_chan(&r.s, sid);
	CHECK(sc != NULL && sc->open && sc->cwin == TCP_WINDOW && sc->cmax == TCP_MAXPKT);
	/* the far side's client asks (REQUEST_IDENTITIES): the bytes reach us as they are */
	CHECK_EQ_INT(testsrv_chan_send(&r.s, sid, req, sizeof(req)), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_DATA, &ev));
	CHECK_EQ_INT(ev.u.chan.id, id);
	p = ssh_conn_chan_peek(r.s.c, id, &len);
	CHECK(len == sizeof(req) && memcmp(p, req, sizeof(req)) == 0);
	CHECK_EQ_INT(ssh_conn_chan_consumed(r.s.c, id, len), 0);
	/* the agent's answer goes back as it is */
	CHECK_EQ_INT(ssh_conn_chan_write(r.s.c, id, ans, sizeof(ans)), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	sc = testsrv_chan(&r.s, sid);
	CHECK(buf_len(&sc->got) == sizeof(ans) && memcmp(buf_ptr(&sc->got), ans, sizeof(ans)) == 0);
	/* another one, refused by the caller (no agent to connect to) */
	CHECK_EQ_INT(testsrv_open_agent(&r.s, &sid2), 0);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHAN_INCOMING, &ev));
	CHECK_EQ_INT(ev.u.chan.agent, 1);
	CHECK_EQ_INT(ssh_conn_chan_refuse(r.s.c, ev.u.chan.id, 2, "connect failed"), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	sc = testsrv_chan(&r.s, sid2);
	CHECK(sc != NULL && sc->refused && sc->reason == 2);
	CHECK_EQ_INT(ssh_conn_chan_count(r.s.c), 1);
	/* a forwarded-tcpip open is still not an agent one (and not granted here) */
	CHECK_EQ_INT(testsrv_open_forwarded(&r.s, "", 2222, "x", 1, &sid2), 0);
	CHECK_EQ_INT(rig_serve(&r), 0);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK(testsrv_chan(&r.s, sid2)->refused);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* an agent open with trailing fields is malformed: the connection fails */
static void test_malformed(void)
{
	struct rig r;
	struct ssh_event ev;
	int ok = session(&r, 1) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 90);
	buf_put_cstring(&r.s.p, "auth-agent@openssh.com");
	buf_put_u32(&r.s.p, 70);
	buf_put_u32(&r.s.p, 1000);
	buf_put_u32(&r.s.p, 1000);
	buf_put_u32(&r.s.p, 1);
	srv_send(&r, &r.s.p);
	CHECK(!ssh_conn_next_event(r.s.c, &ev) || ev.type != SSH_EV_CHAN_INCOMING);
	CHECK_STR(conn_err(r.s.c), "channel: malformed auth-agent open");
out:
	rig_free(&r);
}

/* session-bind@openssh.com's material: none before the first key exchange; then K_S as sent,
 * the session identifier and the server's signature blob over it */
static void test_session_bind(void)
{
	struct rig r;
	struct ssh_session_bind sb;
	struct rd rd;
	const uint8_t *name;
	size_t nlen;
	int ok;

	rig_init(&r);
	ok = ssh_conn_new(&r.cfg, &r.s.c) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_session_bind(r.s.c, &sb), SSH_ERR_INTERNAL);
	CHECK_STR(conn_err(r.s.c), "");
	ssh_conn_free(r.s.c);
	r.s.c = NULL;
	ok = rig_connect(&r, 0) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_session_bind(r.s.c, &sb), 0);
	CHECK_STR(sb.hostkey_alg, "ssh-ed25519");
	CHECK(sb.hostkey_len == buf_len(&r.s.hostkey_blob) &&
	      memcmp(sb.hostkey, buf_ptr(&r.s.hostkey_blob), sb.hostkey_len) == 0);
	CHECK(sb.session_id_len == r.s.sidlen && memcmp(sb.session_id, r.s.sid, r.s.sidlen) == 0);
	rd = rd_make(sb.sig, sb.sig_len);
	CHECK(rd_string(&rd, &name, &nlen) == 0 && nlen == 11 &&
	      memcmp(name, "ssh-ed25519", 11) == 0);
out:
	rig_free(&r);
}

int main(void)
{
	test_session_bind();
	test_refused_unasked();
	test_refused_no_session();
	test_accepted();
	test_malformed();
	T_DONE();
}
