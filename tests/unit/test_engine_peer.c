/* Edge cases of the client engine with what a server sends outside the channel, driven over byte
 * buffers against the in-memory server (engine_rig.h, testsrv.h):
 *   - many USERAUTH_BANNERs in one read do not overflow the event queue, and arrive in order;
 *   - SSH_MSG_UNIMPLEMENTED (an old server's answer to a keepalive) is not fatal and, like any
 *     global-request reply, resets the keepalive count;
 *   - (issue 8) keepalives before the session is open, DEBUG messages wanting display, a flood
 *     of banner text, want-reply global requests from a server that never reads;
 *   - (issue 9) bytes after the last field of EXT_INFO and exit-status are malformed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "t.h"
#include "testsrv.h"
#include "engine_rig.h"

/* 4. nb banners and the answer to "none" in one read; returns how many times the drained engine
 * needed more input to go on */
static int check_banners(int nb)
{
	static const uint8_t nothing[1];
	struct rig r;
	struct ssh_event ev;
	struct buf wire;
	char want[32];
	int i, seen = 0, suppressed = 0, resumes = 0, rounds, auth_next = 0, order_ok = 1;

	buf_init(&wire);
	if (rig_start(&r, 0) != 0) {
		CHECK(0);
		goto out;
	}
	for (i = 0; i < nb; i++) {
		snprintf(want, sizeof(want), "banner %d\n", i);
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, 53);
		buf_put_cstring(&r.s.p, want);
		buf_put_cstring(&r.s.p, "");
		srv_seal(&r, &r.s.p, &wire);
	}
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 51);
	buf_put_cstring(&r.s.p, "password");
	buf_put_u8(&r.s.p, 0);
	srv_seal(&r, &r.s.p, &wire);
	CHECK_EQ_INT(ssh_conn_recv(r.s.c, buf_ptr(&wire), buf_len(&wire)), 0);
	CHECK_STR(conn_err(r.s.c), "");
	/* drain as the loop does; when the engine stops with input left, an empty read resumes */
	for (rounds = 0; rounds < 4 * nb + 8 && !auth_next; rounds++) {
		if (!ssh_conn_next_event(r.s.c, &ev)) {
			resumes++;
			CHECK_EQ_INT(ssh_conn_recv(r.s.c, nothing, 0), 0);
			continue;
		}
		if (ev.type == SSH_EV_AUTH_BANNER && seen == MAX_BANNERS) {
			/* past the count cap: one line says the rest is suppressed */
			order_ok &= ev.u.banner.text != NULL && ev.u.banner.notice &&
			            strcmp(ev.u.banner.text, SUPPRESSED_COUNT) == 0;
			suppressed++;
		} else if (ev.type == SSH_EV_AUTH_BANNER) {
			snprintf(want, sizeof(want), "banner %d\n", seen);
			order_ok &= ev.u.banner.text != NULL && strcmp(ev.u.banner.text, want) == 0;
			seen++;
		} else if (ev.type == SSH_EV_AUTH_NEXT) {
			auth_next = 1;
			CHECK_STR(ev.u.auth.methods, "password");
		} else {
			order_ok = 0;
		}
	}
	CHECK_EQ_INT(seen, nb < MAX_BANNERS ? nb : MAX_BANNERS);
	CHECK_EQ_INT(suppressed, nb > MAX_BANNERS ? 1 : 0);
	CHECK(order_ok);
	CHECK(auth_next);
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK_STR(conn_err(r.s.c), "");
out:
	buf_free(&wire);
	rig_free(&r);
	return resumes;
}

/* 6. keepalives answered with SSH_MSG_UNIMPLEMENTED (or a REQUEST_FAILURE) */
static void test_unimplemented(void)
{
	struct rig r;
	struct rd rd;
	uint8_t t;
	const uint8_t *v;
	size_t vl;
	int want_reply = 0, ok = rig_session(&r, 100000, 32768, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1);
	CHECK_EQ_INT(
	    testsrv_next_type(&r.s), 80); /* GLOBAL_REQUEST keepalive@openssh.com, want reply */
	rd = buf_rd(&r.s.p);
	CHECK(rd_u8(&rd, &t) == 0 && rd_string(&rd, &v, &vl) == 0 &&
	      str_eq(v, vl, "keepalive@openssh.com") && rd_bool(&rd, &want_reply) == 0 &&
	      want_reply == 1 && rd_end(&rd) == 0);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 3); /* UNIMPLEMENTED, the sequence number of the keepalive */
	buf_put_u32(&r.s.p, 7);
	srv_send(&r, &r.s.p);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1); /* answered: the count starts over */
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 2);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 3);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 82); /* REQUEST_FAILURE: the server is alive, all are answered */
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 2);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 3);
	buf_put_u32(&r.s.p, 9);
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1);
	/* the session goes on both ways */
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 94);
	buf_put_u32(&r.s.p, 0);
	buf_put_cstring(&r.s.p, "ok");
	srv_send(&r, &r.s.p);
	CHECK(out_is(r.s.c, 0, "ok", 2));
	while (testsrv_next_type(&r.s) == 80) {
	}
	CHECK(data_flows(&r, 'u'));
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* 9. (issue 8 #1) no keepalive before the session is open: not during the first key exchange,
 * not during authentication, not while the channel opens; then one goes out */
static void test_keepalive_presession(void)
{
	struct rig r;
	struct ssh_event ev;
	size_t n = 0;
	int ok = rig_start(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 0); /* authenticating */
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK_EQ_INT(n, 0);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 52); /* USERAUTH_SUCCESS */
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 90);  /* CHANNEL_OPEN */
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 0); /* the channel is opening */
	CHECK_EQ_INT(testsrv_next_type(&r.s), -1);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 91);
	buf_put_u32(&r.s.p, 0);
	buf_put_u32(&r.s.p, 5);
	buf_put_u32(&r.s.p, 100000);
	buf_put_u32(&r.s.p, 32768);
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 98);  /* exec */
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 0); /* the command is not accepted yet */
	CHECK_EQ_INT(testsrv_next_type(&r.s), -1);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 99);
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_SESSION_READY, &ev));
	CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 1); /* the session is open */
	CHECK_EQ_INT(testsrv_next_type(&r.s), 80);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
	/* and during the first key exchange */
	memset(&r, 0, sizeof(r));
	r.cfg.kex_algs = "curve25519-sha256";
	r.cfg.ciphers = "aes128-gcm@openssh.com";
	r.cfg.macs = "hmac-sha2-256";
	r.cfg.hostkey_algs = "ssh-ed25519";
	r.cfg.user = "tester";
	if (ssh_conn_new(&r.cfg, &r.s.c) == 0) {
		(void)ssh_conn_send_ptr(r.s.c, &n);
		ssh_conn_send_consumed(r.s.c, n);
		ssh_conn_recv(r.s.c, (const uint8_t *)"SSH-2.0-X\r\n", 11);
		CHECK_EQ_INT(ssh_conn_keepalive(r.s.c), 0);
		(void)ssh_conn_send_ptr(r.s.c, &n);
		CHECK_EQ_INT(n, 0);
	}
	ssh_conn_free(r.s.c);
}

/* 10. (issue 8 #6) server DEBUG messages are logged at VERBOSE whatever always_display says */
static void test_debug_verbose(void)
{
	struct rig r;
	int i, ok = rig_start(&r, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	for (i = 0; i < 2; i++) {
		remote_level = -1;
		remote_lines = 0;
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, 4);
		buf_put_u8(&r.s.p, (uint8_t)i); /* always_display */
		buf_put_cstring(&r.s.p, "look at me");
		buf_put_cstring(&r.s.p, "");
		srv_send(&r, &r.s.p);
		CHECK_EQ_INT(remote_lines, 1);
		CHECK_EQ_INT(remote_level, SSH_LOG_VERBOSE);
	}
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* 11. (issue 8 #6) banner text shown per connection is capped at 64 KiB: then one line says the
 * rest is suppressed, later banners are dropped, authentication goes on */
static void test_banner_bytes(void)
{
	struct rig r;
	struct ssh_event ev;
	char *text = NULL;
	size_t shown = 0, len = 30000;
	int i, lines = 0, other = 0, auth_next = 0, ok = rig_start(&r, 0) == 0;

	CHECK(ok);
	if (!ok || (text = malloc(len + 1)) == NULL) {
		goto out;
	}
	memset(text, 'x', len - 1);
	text[len - 1] = '\n';
	text[len] = '\0';
	for (i = 0; i < 4; i++) {
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, 53);
		buf_put_cstring(&r.s.p, text);
		buf_put_cstring(&r.s.p, "");
		srv_send(&r, &r.s.p);
		while (ssh_conn_next_event(r.s.c, &ev)) {
			if (ev.type == SSH_EV_AUTH_BANNER &&
			    strstr(ev.u.banner.text, "suppressed")) {
				lines++;
				CHECK_STR(ev.u.banner.text, SUPPRESSED_BYTES);
				CHECK(ev.u.banner.notice && ev.u.banner.open_line);
			} else if (ev.type == SSH_EV_AUTH_BANNER) {
				shown += strlen(ev.u.banner.text);
			} else {
				other++;
			}
		}
	}
	CHECK_EQ_INT(shown, 65536);
	CHECK_EQ_INT(lines, 1);
	CHECK_EQ_INT(other, 0);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 51);
	buf_put_cstring(&r.s.p, "password");
	buf_put_u8(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	while (ssh_conn_next_event(r.s.c, &ev)) {
		auth_next |= ev.type == SSH_EV_AUTH_NEXT;
	}
	CHECK(auth_next);
	CHECK_STR(conn_err(r.s.c), "");
out:
	free(text);
	rig_free(&r);
}

/* n global requests wanting a reply, sealed k at a time; stops at the first refused read */
static void flood_global(struct rig *r, size_t n)
{
	struct buf wire;
	size_t i, k;

	buf_init(&wire);
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 80);
	buf_put_cstring(&r->s.p, "x");
	buf_put_u8(&r->s.p, 1);
	for (i = 0; i < n; i += k) {
		buf_reset(&wire);
		for (k = 0; k < 1000 && i + k < n; k++) {
			srv_seal(r, &r->s.p, &wire);
		}
		if (ssh_conn_recv(r->s.c, buf_ptr(&wire), buf_len(&wire)) != 0) {
			break;
		}
	}
	buf_free(&wire);
}

/* 12. (issue 8 #7) a server floods want-reply global requests and never reads: the replies
 * waiting are capped at 4 MiB, then a specific error; stdin's own flow control is unaffected */
static void test_reply_flood(void)
{
	struct rig r;
	uint8_t *d = NULL;
	size_t n = 0, room;
	int ok = rig_session(&r, 100000, 32768, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	testsrv_pump(&r.s);
	flood_global(&r, 250000); /* about 9 MiB of replies */
	CHECK(strncmp(conn_err(r.s.c), "connect: the server stopped reading (", 37) == 0);
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK(n > REPLY_CAP / 2 && n <= REPLY_CAP);
	rig_free(&r);

	/* stdin fills the output up to its own cap: replies still go out after it */
	ok = rig_session(&r, 0x7fffffffu, 32768, 0) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	testsrv_pump(&r.s);
	room = ssh_conn_stdin_room(r.s.c);
	if ((d = calloc(1, room > 0 ? room : 1)) == NULL) {
		goto out;
	}
	while ((room = ssh_conn_stdin_room(r.s.c)) > 0) {
		if (ssh_conn_stdin_write(r.s.c, d, room) != 0) {
			break;
		}
	}
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK(n > OUT_CAP / 2);
	flood_global(&r, 20000); /* under 1 MiB of replies on top */
	CHECK_STR(conn_err(r.s.c), "");
	/* the server reads it all: the engine's count goes back to zero */
	(void)ssh_conn_send_ptr(r.s.c, &n);
	ssh_conn_send_consumed(r.s.c, n);
	flood_global(&r, 100000);
	CHECK_STR(conn_err(r.s.c), "");
out:
	free(d);
	rig_free(&r);
}

/* 15. (issue 9) messages with bytes after their last field are malformed: EXT_INFO (RFC 8308
 * 2.3: exactly nr-extensions name/value pairs) and the exit-status request (one uint32) */
static void test_trailing_bytes(void)
{
	struct rig r;
	int ok = rig_start(&r, 0) == 0;

	CHECK(ok);
	if (ok) {
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, 7);
		buf_put_u32(&r.s.p, 1);
		buf_put_cstring(&r.s.p, "server-sig-algs");
		buf_put_cstring(&r.s.p, "ssh-ed25519");
		srv_send(&r, &r.s.p);
		CHECK_STR(conn_err(r.s.c), ""); /* well-formed: accepted */
		buf_put_u8(&r.s.p, 0);
		srv_send(&r, &r.s.p);
		CHECK_STR(conn_err(r.s.c), "kex: malformed SSH_MSG_EXT_INFO");
	}
	rig_free(&r);
	ok = rig_session(&r, 100000, 32768, 0) == 0;
	CHECK(ok);
	if (ok) {
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, 98);
		buf_put_u32(&r.s.p, 0);
		buf_put_cstring(&r.s.p, "exit-status");
		buf_put_u8(&r.s.p, 0);
		buf_put_u32(&r.s.p, 3);
		buf_put_u8(&r.s.p, 0);
		srv_send(&r, &r.s.p);
		CHECK_STR(conn_err(r.s.c), "channel: malformed exit-status");
	}
	rig_free(&r);
}

int main(void)
{
	static const int counts[] = {1, 12, 13, 16, 17, 31, 32, 33, 40};
	size_t i;
	int resumes = 0;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		resumes += check_banners(counts[i]);
	}
	/* draining the events resumes the waiting input: no extra read is ever needed */
	CHECK_EQ_INT(resumes, 0);
	test_unimplemented();
	test_keepalive_presession();
	test_debug_verbose();
	test_banner_bytes();
	test_reply_flood();
	test_trailing_bytes();
	T_DONE();
}
