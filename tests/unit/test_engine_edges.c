/* Edge cases of the client engine found in review, each driven over byte buffers against an
 * in-test server built from the engine's own primitives (kexalg, packet, hostkey), as in
 * test_session.c:
 *   - a time-based rekey starts exactly once per interval, however often the clock ticks while
 *     it is in flight, and not again right after it completed;
 *   - our CHANNEL_CLOSE held back by a key exchange: the session is not "done" until it went out;
 *   - a server announcing a maximum packet of 1 byte: the stdin room counts each packet's framing,
 *     so writing all of it succeeds and the output stays under its cap;
 *   - many USERAUTH_BANNERs in one read do not overflow the event queue, and arrive in order;
 *   - SSH_MSG_UNIMPLEMENTED (an old server's answer to a keepalive) is not fatal and, like any
 *     global-request reply, resets the keepalive count;
 * and what a hostile server tried (issue 8): messages for the channel after its CLOSE, empty
 * CHANNEL_DATA, keepalives before the session is open, DEBUG messages wanting display, a flood
 * of banner text, want-reply global requests from a server that never reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "cipher.h"
#include "conn.h"
#include "err.h"
#include "sshkey.h"
#include "kexalg.h"
#include "packet.h"
#include "x509key.h"
#include "t.h"
#include "testsrv.h"

/* the engine's output cap (CONN_MAX_OUT) and the largest data packet it sends, on the wire */
#define OUT_CAP    (8u * 1024 * 1024)
#define ONE_PACKET (32u * 1024 + 256)

/* banners shown per connection (AUTH_MAX_BANNERS of userauth.c); later ones are dropped */
#define MAX_BANNERS 32

#define SUPPRESSED_COUNT "auth banner: more than 32 banners; the rest are suppressed"
#define SUPPRESSED_BYTES "auth banner: more than 65536 bytes of banner text; the rest is suppressed"
/* engine-made output waiting while the server does not read (CONN_MAX_REPLY_OUT) */
#define REPLY_CAP (4u * 1024 * 1024)

#define PATTERN(i) ((uint8_t)((i)*7 % 251))

/* one client connection (s.c) and the shared in-memory server (testsrv.h) it talks to */
struct rig {
	struct testsrv s;
	struct ssh_conn_config cfg;
	struct ssh_hostkey_view hk; /* the SSH_EV_HOSTKEY view (valid until rig_free) */
};

/* the level of the last "Remote: " (server DEBUG) line the engine logged, and how many */
static int remote_level = -1, remote_lines;

static void capture_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (strncmp(msg, "Remote: ", 8) == 0) {
		remote_level = level;
		remote_lines++;
	}
}

static const char *conn_err(struct ssh_conn *c)
{
	const char *m = NULL;

	(void)ssh_conn_error(c, &m);
	return m != NULL ? m : "";
}

/* seal a server payload onto wire (several packets may then go in with one read) */
static void srv_seal(struct rig *r, const struct buf *payload, struct buf *wire)
{
	CHECK_EQ_INT(testsrv_seal(&r->s, buf_ptr(payload), buf_len(payload), wire), 0);
}

static void srv_send(struct rig *r, const struct buf *payload)
{
	CHECK_EQ_INT(testsrv_send(&r->s, payload), 0);
}

/* the server's half of a rekey whose client KEXINIT is in s.i_c already: its own KEXINIT, the
 * ECDH reply and NEWKEYS (then testsrv_newkeys). Returns 0 when all went as expected. */
static int srv_kex(struct rig *r)
{
	int ret;

	testsrv_kexinit_offer(&r->s, &r->s.i_s);
	ret = testsrv_send(&r->s, &r->s.i_s) == 0 ? testsrv_kex_reply(&r->s, 0) : -1;
	CHECK_EQ_INT(ret, 0);
	return ret;
}

/* client KEXINITs among the packets it sent (the last one kept in s.i_c) */
static int count_kexinits(struct rig *r)
{
	int n = 0;

	testsrv_pump(&r->s);
	while (testsrv_recv(&r->s, &r->s.p) == 1) {
		if (buf_len(&r->s.p) > 0 && buf_ptr(&r->s.p)[0] == 20) {
			n++;
			buf_reset(&r->s.i_c);
			buf_put(&r->s.i_c, buf_ptr(&r->s.p), buf_len(&r->s.p));
		}
	}
	return n;
}

static void rig_free(struct rig *r)
{
	testsrv_free(&r->s);
}

/* a server with version line v_s (NULL: the default) and a fresh Ed25519 host key, the client's
 * configuration offering what it offers; no client yet. r must be freed with rig_free. */
static void rig_init_version(struct rig *r, const char *v_s)
{
	memset(r, 0, sizeof(*r));
	CHECK_EQ_INT(testsrv_init(&r->s, NULL, v_s), 0);
	r->cfg.kex_algs = "curve25519-sha256";
	r->cfg.ciphers = "aes128-gcm@openssh.com";
	r->cfg.macs = "hmac-sha2-256";
	r->cfg.hostkey_algs = "ssh-ed25519";
	r->cfg.user = "tester";
	r->cfg.command = "echo hi";
	r->cfg.log = capture_log;
}

static void rig_init(struct rig *r)
{
	rig_init_version(r, NULL);
}

/* after rig_init (and testsrv_set_hostkey, if any): a connection through the first key
 * exchange and the service request, up to the server's answer to "none" (the client's
 * USERAUTH_REQUEST was read); the clock starts at 1000 ms. Returns 0 on success. */
static int rig_connect(struct rig *r, uint32_t rekey_seconds)
{
	r->cfg.rekey_seconds = rekey_seconds;
	if (ssh_conn_new(&r->cfg, &r->s.c) != 0) {
		return -1;
	}
	CHECK_EQ_INT(ssh_conn_tick(r->s.c, 1000), 0);
	if (testsrv_handshake_view(&r->s, 0, &r->hk) != 0) { /* SERVICE_REQUEST read */
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 6);
	buf_put_cstring(&r->s.p, "ssh-userauth");
	srv_send(r, &r->s.p);
	if (testsrv_next_type(&r->s) != 50) { /* USERAUTH_REQUEST "none" */
		return -1;
	}
	return 0;
}

/* rig_init and rig_connect; r must be freed with rig_free either way */
static int rig_start(struct rig *r, uint32_t rekey_seconds)
{
	rig_init(r);
	return rig_connect(r, rekey_seconds);
}

/* rig_start, then "none" succeeds, the session channel opens with the server's window rwin and
 * maximum packet rmax, and the command is accepted (SESSION_READY) */
static int rig_session(struct rig *r, uint32_t rwin, uint32_t rmax, uint32_t rekey_seconds)
{
	struct ssh_event ev;

	if (rig_start(r, rekey_seconds) != 0) {
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 52);
	srv_send(r, &r->s.p);
	if (testsrv_next_type(&r->s) != 90) { /* CHANNEL_OPEN */
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 91);
	buf_put_u32(&r->s.p, 0);
	buf_put_u32(&r->s.p, 5);
	buf_put_u32(&r->s.p, rwin);
	buf_put_u32(&r->s.p, rmax);
	srv_send(r, &r->s.p);
	if (testsrv_next_type(&r->s) != 98) { /* exec */
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 99);
	buf_put_u32(&r->s.p, 0);
	srv_send(r, &r->s.p);
	if (!testsrv_next_event(r->s.c, SSH_EV_SESSION_READY, &ev)) {
		return -1;
	}
	return 0;
}

/* a one-byte CHANNEL_DATA from the client reaches the server (the keys in use agree) */
static int data_flows(struct rig *r, uint8_t byte)
{
	if (ssh_conn_stdin_write(r->s.c, &byte, 1) != 0 || testsrv_next_type(&r->s) != 94) {
		return 0;
	}
	return buf_len(&r->s.p) == 10 && buf_ptr(&r->s.p)[9] == byte;
}

/* 1. rekey_seconds = 10, the clock started at 1000 ms */
static void test_rekey_once(void)
{
	struct rig r;
	int ok = rig_session(&r, 100000, 32768, 10) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 10999), 0);
	CHECK_EQ_INT(count_kexinits(&r), 0); /* not yet */
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 12000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	/* the loop goes on ticking while the server takes its time */
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 13000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 14000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 30000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 0);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_EQ_INT(testsrv_newkeys(&r.s), 0);
	CHECK_STR(conn_err(r.s.c), "");
	/* completed at 30000 ms: nothing more now, nor before the next interval */
	CHECK_EQ_INT(count_kexinits(&r), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 31000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 39999), 0);
	CHECK_EQ_INT(count_kexinits(&r), 0);
	CHECK(data_flows(&r, 'k')); /* the new keys are in use on both sides */
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 40000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 40001), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1); /* the next interval: once */
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* 2. the server closes the channel while our rekey is in flight: our CLOSE waits for NEWKEYS
 * and the session is not done before it went out */
static void test_close_held(void)
{
	struct rig r;
	struct ssh_event ev;
	size_t n = 1;
	int ok = rig_session(&r, 100000, 32768, 10) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 12000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 96); /* EOF */
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 97); /* CLOSE */
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(testsrv_next_event(r.s.c, SSH_EV_EXIT, &ev));
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK_EQ_INT(n, 0); /* nothing but kex messages may go out now */
	CHECK_EQ_INT(ssh_conn_done(r.s.c), 0);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_EQ_INT(testsrv_newkeys(&r.s), 0);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 97); /* our CLOSE, under the new keys */
	CHECK_EQ_INT(testsrv_next_type(&r.s), -1);
	CHECK_EQ_INT(ssh_conn_done(r.s.c), 1);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* 3. the server's maximum packet is 1 byte and its window 4 GiB: each byte is a packet of its own.
 * Writing the whole room, again and again without draining, never fails and never takes the
 * output past its cap (plus one packet); then every byte reaches the server, in order. */
static void test_tiny_maxpkt(void)
{
	struct rig r;
	uint8_t *d = NULL;
	size_t room = 0, first = 0, total = 0, n = 0, i, got = 0, bad = 0;
	int rounds = 0, ok = rig_session(&r, 0xffffffffu, 1, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	first = ssh_conn_stdin_room(r.s.c);
	CHECK(first > 0 && first < OUT_CAP / 16);
	if ((d = malloc(first)) == NULL) {
		CHECK(d != NULL);
		goto out;
	}
	while ((room = ssh_conn_stdin_room(r.s.c)) > 0 && room <= first && rounds++ < 200) {
		for (i = 0; i < room; i++) {
			d[i] = PATTERN(total + i);
		}
		if (ssh_conn_stdin_write(r.s.c, d, room) != 0) {
			break;
		}
		total += room;
		(void)ssh_conn_send_ptr(r.s.c, &n);
		if (n > OUT_CAP + ONE_PACKET) {
			break;
		}
	}
	CHECK_EQ_INT(room, 0); /* the writes filled the output up, none failed */
	CHECK_STR(conn_err(r.s.c), "");
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK(n > OUT_CAP / 2 && n <= OUT_CAP + ONE_PACKET);
	/* every byte arrives, one per packet, in order */
	testsrv_pump(&r.s);
	while (testsrv_recv(&r.s, &r.s.p) == 1) {
		if (buf_len(&r.s.p) != 10 || buf_ptr(&r.s.p)[0] != 94 || got >= total ||
		    buf_ptr(&r.s.p)[9] != PATTERN(got)) {
			bad++;
		}
		got++;
	}
	CHECK_EQ_INT(got, total);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(ssh_conn_stdin_room(r.s.c), first); /* output drained: the same room again */
out:
	free(d);
	rig_free(&r);
}

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
/* 1 if the channel's stdout (is_stderr 0) or stderr holds exactly the n bytes of want */
static int out_is(struct ssh_conn *c, int is_stderr, const char *want, size_t n)
{
	size_t len = 0;
	const uint8_t *p = ssh_conn_channel_peek(c, is_stderr, &len);

	return len == n && (n == 0 || memcmp(p, want, n) == 0);
}

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

/* a server message for channel 0 built in r->s.p: type, then what follows the channel id */
static void chan_msg(struct rig *r, uint8_t type)
{
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, type);
	buf_put_u32(&r->s.p, 0);
	switch (type) {
	case 94:
		buf_put_cstring(&r->s.p, "late");
		break;
	case 95:
		buf_put_u32(&r->s.p, 1);
		buf_put_cstring(&r->s.p, "late");
		break;
	case 98:
		buf_put_cstring(&r->s.p, "exit-status");
		buf_put_u8(&r->s.p, 0);
		buf_put_u32(&r->s.p, 3);
		break;
	case 93:
		buf_put_u32(&r->s.p, 4096);
		break;
	default:
		break;
	}
}

/* 7. (issue 8 #3) anything for the channel after the server's CLOSE is a specific channel error,
 * whether it comes in the same read as the CLOSE or later */
static void test_after_close(void)
{
	static const struct {
		uint8_t type;
		const char *want;
	} rows[] = {
	    {94, "channel: the server sent data after closing the channel"},
	    {95, "channel: the server sent data after closing the channel"},
	    {96, "channel: the server sent EOF after closing the channel"},
	    {97, "channel: the server sent a second CLOSE after closing the channel"},
	    {98, "channel: the server sent a channel request after closing the channel"},
	    {93, "channel: the server sent a window adjustment after closing the channel"},
	};
	size_t i;
	int same_read;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (same_read = 0; same_read < 2; same_read++) {
			struct rig r;
			struct ssh_event ev;
			struct buf wire;
			int ok = rig_session(&r, 100000, 32768, 0) == 0;

			buf_init(&wire);
			CHECK(ok);
			if (!ok) {
				rig_free(&r);
				continue;
			}
			chan_msg(&r, 98); /* exit-status 3 */
			srv_seal(&r, &r.s.p, &wire);
			chan_msg(&r, 97); /* CLOSE */
			srv_seal(&r, &r.s.p, &wire);
			if (!same_read) {
				CHECK_EQ_INT(
				    ssh_conn_recv(r.s.c, buf_ptr(&wire), buf_len(&wire)), 0);
				CHECK(testsrv_next_event(r.s.c, SSH_EV_EXIT, &ev) &&
				      ev.u.exit.has_status && ev.u.exit.status == 3);
				buf_reset(&wire);
			}
			chan_msg(&r, rows[i].type);
			srv_seal(&r, &r.s.p, &wire);
			CHECK(ssh_conn_recv(r.s.c, buf_ptr(&wire), buf_len(&wire)) < 0);
			CHECK_STR(conn_err(r.s.c), rows[i].want);
			CHECK_EQ_INT(ssh_conn_done(r.s.c), 0); /* not a clean end */
			buf_free(&wire);
			rig_free(&r);
		}
	}
}

/* 8. (issue 8 #4) an empty CHANNEL_DATA / EXTENDED_DATA before any data: nothing is buffered,
 * no event, no error (it reached buf_put with a buffer without storage: NULL + 0 under UBSan) */
static void test_empty_data(void)
{
	struct rig r;
	struct ssh_event ev;
	int ok = rig_session(&r, 100000, 32768, 0) == 0, k;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	for (k = 0; k < 2; k++) {
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, k == 0 ? 94 : 95);
		buf_put_u32(&r.s.p, 0);
		if (k == 1) {
			buf_put_u32(&r.s.p, 1);
		}
		buf_put_string(&r.s.p, NULL, 0);
		srv_send(&r, &r.s.p);
	}
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(out_is(r.s.c, 0, "", 0));
	CHECK(out_is(r.s.c, 1, "", 0));
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK_EQ_INT(ssh_conn_channel_consumed(r.s.c, 0, 0), 0);
	chan_msg(&r, 94);
	srv_send(&r, &r.s.p);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHANNEL_DATA, &ev));
	CHECK(out_is(r.s.c, 0, "late", 4));
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

/* a connection offered only group exchange by a server with identification line version (and
 * CRLF), up to the client's GEX_REQUEST, left in r->s.p; 0 when it came. r: rig_free either way. */
static int gex_rig(struct rig *r, const char *version, int cisco_gex_cap)
{
	static const char *lists[] = {"diffie-hellman-group-exchange-sha256", "ssh-ed25519",
	    "aes128-gcm@openssh.com", "aes128-gcm@openssh.com", "hmac-sha2-256", "hmac-sha2-256",
	    "none", "none", "", ""};
	uint8_t cookie[16] = {2};
	size_t i;

	rig_init_version(r, version);
	r->cfg.kex_algs = lists[0];
	r->cfg.ciphers = lists[2];
	r->cfg.macs = lists[4];
	r->cfg.hostkey_algs = lists[1];
	r->cfg.user = "tester";
	r->cfg.cisco_gex_cap = cisco_gex_cap;
	if (ssh_conn_new(&r->cfg, &r->s.c) != 0) {
		return -1;
	}
	if (testsrv_send_version(&r->s) != 0 || testsrv_next_type(&r->s) != 20) {
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 20);
	buf_put(&r->s.p, cookie, 16);
	for (i = 0; i < 10; i++) {
		buf_put_cstring(&r->s.p, lists[i]);
	}
	buf_put_u8(&r->s.p, 0);
	buf_put_u32(&r->s.p, 0);
	srv_send(r, &r->s.p);
	return testsrv_next_type(&r->s) == 34 ? 0 : -1; /* GEX_REQUEST */
}

/* the client's answer to a group-exchange group (p = modp_2048 + delta, generator gen):
 * 0 when it went on with its GEX_INIT; its error text is left in err */
static int gex_answer(long delta, unsigned long gen, char *err, size_t errlen)
{
	struct rig r;
	BIGNUM *p = NULL, *g = BN_new();
	int ret = -1;

	if (gex_rig(&r, "SSH-2.0-T", 0) != 0 || g == NULL ||
	    (p = BN_get_rfc3526_prime_2048(NULL)) == NULL) {
		goto out;
	}
	if (delta >= 0) {
		BN_add_word(p, (BN_ULONG)delta);
	} else {
		BN_sub_word(p, (BN_ULONG)-delta);
	}
	BN_set_word(g, gen);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 31);
	buf_put_bignum(&r.s.p, p);
	buf_put_bignum(&r.s.p, g);
	srv_send(&r, &r.s.p);
	ret = testsrv_next_type(&r.s) == 32 ? 0 : 1;
out:
	snprintf(err, errlen, "%s", r.s.c != NULL ? conn_err(r.s.c) : "no connection");
	BN_free(p);
	BN_free(g);
	rig_free(&r);
	return ret;
}

/* the largest group the client asks for from a server with this identification line */
static long gex_max_for(const char *version, int cisco_gex_cap)
{
	struct rig r;
	struct rd rd;
	uint8_t t;
	uint32_t min = 0, n = 0, max = 0;
	long ret = -1;

	if (gex_rig(&r, version, cisco_gex_cap) == 0) {
		rd = buf_rd(&r.s.p);
		if (rd_u8(&rd, &t) == 0 && rd_u32(&rd, &min) == 0 && rd_u32(&rd, &n) == 0 &&
		    rd_u32(&rd, &max) == 0 && rd_end(&rd) == 0 && min == 2048 && n == 3072) {
			ret = (long)max;
		}
	}
	rig_free(&r);
	return ret;
}

/* 14. (issue 9) the server-version quirk table: a Cisco identification line caps the group
 * exchange at 4096 bits (as the config's cisco_gex_cap does); other servers get 8192 */
static void test_compat_gex(void)
{
	CHECK_EQ_INT(gex_max_for("SSH-2.0-OpenSSH_9.2p1 Debian-2", 0), 8192);
	CHECK_EQ_INT(gex_max_for("SSH-2.0-Cisco-1.25", 0), 4096);
	CHECK_EQ_INT(gex_max_for("SSH-1.99-Cisco-1.25", 0), 4096);
	CHECK_EQ_INT(gex_max_for("SSH-2.0-OpenSSH_9.2", 1), 4096);
	CHECK_EQ_INT(gex_max_for("SSH-2.0-cisco-1.25", 0), 8192); /* as before: case matters */
}

/* 13. (issue 8 #8) a group-exchange modulus that is no safe prime, a generator out of range */
static void test_gex_group(void)
{
	char err[512];
	long d;

	/* the RFC 3526 prime itself: accepted without a test */
	CHECK_EQ_INT(gex_answer(0, 2, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* an odd composite of the same size divisible by 3: refused */
	for (d = 2; d < 8; d += 2) {
		BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
		int div3 = p != NULL && BN_add_word(p, (BN_ULONG)d) && BN_mod_word(p, 3) == 0;

		BN_free(p);
		if (div3) {
			break;
		}
	}
	CHECK_EQ_INT(gex_answer(d, 2, err, sizeof(err)), 1);
	CHECK_STR(err, "kex: the server's 2048-bit group-exchange modulus is not a safe prime (p "
	               "is divisible by 3)");
	/* g = 1 and g = 0 (g = p - 1: test_kex.c) */
	CHECK_EQ_INT(gex_answer(0, 1, err, sizeof(err)), 1);
	CHECK(strstr(err, "kex: ") == err && strstr(err, "generator") != NULL);
	CHECK_EQ_INT(gex_answer(0, 0, err, sizeof(err)), 1);
	CHECK(strstr(err, "generator") != NULL);
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

/* a self-signed certificate for key with common name cn, as DER */
static int make_cert(EVP_PKEY *key, const char *cn, struct buf *der)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	unsigned char *p = NULL;
	int n = -1;

	if (x != NULL && (name = X509_NAME_new()) != NULL &&
	    X509_NAME_add_entry_by_txt(
	        name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) == 1 &&
	    X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), 7) == 1 &&
	    X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -60) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL && X509_set_pubkey(x, key) == 1 &&
	    X509_sign(x, key, EVP_sha256()) > 0) {
		n = i2d_X509(x, &p);
	}
	buf_reset(der);
	if (n > 0) {
		buf_put(der, p, (size_t)n);
	}
	OPENSSL_free(p);
	X509_NAME_free(name);
	X509_free(x);
	return n > 0 ? 0 : -1;
}

/* an RFC 6187 blob of alg with certificates c1 (and c2 when not NULL) and nocsp stand-in OCSP
 * responses (the DER of an empty SEQUENCE: the engine does not decode them) */
static void x509_ks(
    struct buf *ks, const char *alg, const struct buf *c1, const struct buf *c2, uint32_t nocsp)
{
	static const uint8_t ocsp[] = {0x30, 0x00};
	uint32_t i;

	buf_reset(ks);
	buf_put_cstring(ks, alg);
	buf_put_u32(ks, c2 != NULL ? 2 : 1);
	buf_put_string(ks, buf_ptr(c1), buf_len(c1));
	if (c2 != NULL) {
		buf_put_string(ks, buf_ptr(c2), buf_len(c2));
	}
	buf_put_u32(ks, nocsp);
	for (i = 0; i < nocsp; i++) {
		buf_put_string(ks, ocsp, sizeof(ocsp));
	}
}

/* 16. (issue 9) SSH_EV_HOSTKEY carries the view the key exchange parsed: the table row, the
 * certificates and OCSP responses of an X.509 host key, the fingerprint */
static void test_hostkey_view(void)
{
	struct rig r;
	char *fp = NULL;
	int ok = rig_start(&r, 0) == 0;

	CHECK(ok);
	if (ok) {
		CHECK_STR(r.hk.alg, "ssh-ed25519");
		CHECK(r.hk.row == hostkey_alg_by_name("ssh-ed25519"));
		CHECK(r.hk.x509 == NULL);
		CHECK_EQ_INT(sshkey_fingerprint(r.hk.blob, r.hk.len, &fp), 0);
		CHECK(fp != NULL && r.hk.fingerprint != NULL && strcmp(fp, r.hk.fingerprint) == 0);
		CHECK(r.hk.fingerprint != NULL && strncmp(r.hk.fingerprint, "SHA256:", 7) == 0);
	}
	free(fp);
	fp = NULL;
	rig_free(&r);
}

/* 17. (issue 9) an X.509 host key: the view holds the certificates as sent; a rekey may staple
 * fresh OCSP responses to the same certificates, but a different certificate is refused */
static void test_hostkey_x509_rekey(void)
{
	static const char *alg = "x509v3-ecdsa-sha2-nistp256";
	struct buf leaf, ca, other, ks;
	struct rig r;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *fp = NULL;
	int ok;

	buf_init(&leaf);
	buf_init(&ca);
	buf_init(&other);
	buf_init(&ks);
	rig_init(&r);
	r.cfg.hostkey_algs = alg;
	ok = key != NULL && make_cert(key, "host.example", &leaf) == 0 &&
	     make_cert(key, "some CA", &ca) == 0 && make_cert(key, "other.example", &other) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	x509_ks(&ks, alg, &leaf, &ca, 1);
	ok = testsrv_set_hostkey(&r.s, key, alg, buf_ptr(&ks), buf_len(&ks)) == 0 &&
	     rig_connect(&r, 10) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_STR(r.hk.alg, alg);
	CHECK(r.hk.row == hostkey_alg_by_name(alg));
	CHECK(r.hk.len == buf_len(&ks) && memcmp(r.hk.blob, buf_ptr(&ks), r.hk.len) == 0);
	CHECK(r.hk.x509 != NULL);
	if (r.hk.x509 != NULL) {
		CHECK_EQ_INT((int)r.hk.x509->ncerts, 2);
		CHECK(r.hk.x509->cert_len[0] == buf_len(&leaf) &&
		      memcmp(r.hk.x509->cert[0], buf_ptr(&leaf), buf_len(&leaf)) == 0);
		CHECK(r.hk.x509->cert_len[1] == buf_len(&ca) &&
		      memcmp(r.hk.x509->cert[1], buf_ptr(&ca), buf_len(&ca)) == 0);
		CHECK_EQ_INT((int)r.hk.x509->nocsp, 1);
		CHECK(r.hk.x509->ocsp_len[0] == 2 && r.hk.x509->ocsp[0][0] == 0x30);
		/* the view points into the blob it describes */
		CHECK(r.hk.x509->cert[0] >= r.hk.blob && r.hk.x509->cert[0] < r.hk.blob + r.hk.len);
	}
	CHECK_EQ_INT(sshkey_fingerprint(buf_ptr(&ks), buf_len(&ks), &fp), 0);
	CHECK(fp != NULL && r.hk.fingerprint != NULL && strcmp(fp, r.hk.fingerprint) == 0);
	/* rekey: the same certificates with two OCSP responses now */
	x509_ks(&ks, alg, &leaf, &ca, 2);
	CHECK_EQ_INT(testsrv_set_hostkey(&r.s, NULL, NULL, buf_ptr(&ks), buf_len(&ks)), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 12000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_EQ_INT(testsrv_newkeys(&r.s), 0);
	CHECK_STR(conn_err(r.s.c), "");
	/* the view of the first exchange still holds (its blob is kept) */
	CHECK(r.hk.x509 != NULL && r.hk.x509->nocsp == 1 &&
	      memcmp(r.hk.x509->cert[1], buf_ptr(&ca), buf_len(&ca)) == 0);
	/* rekey: another leaf for the same key */
	x509_ks(&ks, alg, &other, &ca, 0);
	CHECK_EQ_INT(testsrv_set_hostkey(&r.s, NULL, NULL, buf_ptr(&ks), buf_len(&ks)), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 24000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_STR(
	    conn_err(r.s.c), "hostkey: the server presented a different host key during rekeying");
out:
	free(fp);
	buf_free(&leaf);
	buf_free(&ca);
	buf_free(&other);
	buf_free(&ks);
	EVP_PKEY_free(key);
	rig_free(&r);
}

int main(void)
{
	static const int counts[] = {1, 12, 13, 16, 17, 31, 32, 33, 40};
	size_t i;
	int resumes = 0;

	test_rekey_once();
	test_close_held();
	test_tiny_maxpkt();
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		resumes += check_banners(counts[i]);
	}
	/* draining the events resumes the waiting input: no extra read is ever needed */
	CHECK_EQ_INT(resumes, 0);
	test_unimplemented();
	test_after_close();
	test_empty_data();
	test_keepalive_presession();
	test_debug_verbose();
	test_banner_bytes();
	test_reply_flood();
	test_gex_group();
	test_compat_gex();
	test_trailing_bytes();
	test_hostkey_view();
	test_hostkey_x509_rekey();
	T_DONE();
}
