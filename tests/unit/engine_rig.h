/*
 * The rig of the engine edge-case tests (test_engine_kex.c, test_engine_channel.c,
 * test_engine_peer.c): one client connection driven over byte buffers against the in-memory
 * server of testsrv.h, with helpers to bring it to the point a case starts from (after the first
 * key exchange, after "none", with the session channel open). Header-only (static inline);
 * include it after t.h and testsrv.h, whose CHECK and server it uses.
 */
#ifndef X509SSH_ENGINE_RIG_H
#define X509SSH_ENGINE_RIG_H

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
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

static inline void capture_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (strncmp(msg, "Remote: ", 8) == 0) {
		remote_level = level;
		remote_lines++;
	}
}

static inline const char *conn_err(struct ssh_conn *c)
{
	const char *m = NULL;

	(void)ssh_conn_error(c, &m);
	return m != NULL ? m : "";
}

/* seal a server payload onto wire (several packets may then go in with one read) */
static inline void srv_seal(struct rig *r, const struct buf *payload, struct buf *wire)
{
	CHECK_EQ_INT(testsrv_seal(&r->s, buf_ptr(payload), buf_len(payload), wire), 0);
}

static inline void srv_send(struct rig *r, const struct buf *payload)
{
	CHECK_EQ_INT(testsrv_send(&r->s, payload), 0);
}

/* the server's half of a rekey whose client KEXINIT is in s.i_c already: its own KEXINIT, the
 * ECDH reply and NEWKEYS (then testsrv_newkeys). Returns 0 when all went as expected. */
static inline int srv_kex(struct rig *r)
{
	int ret;

	testsrv_kexinit_offer(&r->s, &r->s.i_s);
	ret = testsrv_send(&r->s, &r->s.i_s) == 0 ? testsrv_kex_reply(&r->s, 0) : -1;
	CHECK_EQ_INT(ret, 0);
	return ret;
}

/* client KEXINITs among the packets it sent (the last one kept in s.i_c) */
static inline int count_kexinits(struct rig *r)
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

static inline void rig_free(struct rig *r)
{
	testsrv_free(&r->s);
}

/* a server with version line v_s (NULL: the default) and a fresh Ed25519 host key, the client's
 * configuration offering what it offers; no client yet. r must be freed with rig_free. */
static inline void rig_init_version(struct rig *r, const char *v_s)
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

static inline void rig_init(struct rig *r)
{
	rig_init_version(r, NULL);
}

/* after rig_init (and testsrv_set_hostkey, if any): a connection through the first key
 * exchange and the service request, up to the server's answer to "none" (the client's
 * USERAUTH_REQUEST was read); the clock starts at 1000 ms. Returns 0 on success. */
static inline int rig_connect(struct rig *r, uint32_t rekey_seconds)
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
static inline int rig_start(struct rig *r, uint32_t rekey_seconds)
{
	rig_init(r);
	return rig_connect(r, rekey_seconds);
}

/* rig_start, then "none" succeeds, the session channel opens with the server's window rwin and
 * maximum packet rmax, and the command is accepted (SESSION_READY) */
static inline int rig_session(struct rig *r, uint32_t rwin, uint32_t rmax, uint32_t rekey_seconds)
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
static inline int data_flows(struct rig *r, uint8_t byte)
{
	if (ssh_conn_stdin_write(r->s.c, &byte, 1) != 0 || testsrv_next_type(&r->s) != 94) {
		return 0;
	}
	return buf_len(&r->s.p) == 10 && buf_ptr(&r->s.p)[9] == byte;
}

/* 1 if the channel's stdout (is_stderr 0) or stderr holds exactly the n bytes of want */
static inline int out_is(struct ssh_conn *c, int is_stderr, const char *want, size_t n)
{
	size_t len = 0;
	const uint8_t *p = ssh_conn_channel_peek(c, is_stderr, &len);

	return len == n && (n == 0 || memcmp(p, want, n) == 0);
}

/* a server message for channel 0 built in r->s.p: type, then what follows the channel id */
static inline void chan_msg(struct rig *r, uint8_t type)
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

/* the engine's windows and packet sizes for channels (conn_int.h), and its caps */
#define SESSION_WINDOW (8u * 1024 * 1024)
#define SESSION_MAXPKT (128u * 1024)
#define TCP_WINDOW     (2u * 1024 * 1024)
#define TCP_MAXPKT     (32u * 1024)
#define SESSION_SRV_ID 5 /* the server's id for the session channel (rig_session) */

/* after rig_init (cfg adjustable): authenticated; with_session: the session channel open and
 * served by the in-memory server as an echo (stdin comes back as stdout); else SessionType none.
 * Returns 0 on success. */
static inline int rig_tcp(struct rig *r, int with_session)
{
	struct ssh_event ev;

	if (with_session) {
		if (rig_session(r, SESSION_WINDOW, 32768, 0) != 0) {
			return -1;
		}
		return testsrv_chan_bind(
		    &r->s, SESSION_SRV_ID, 0, SESSION_WINDOW, SESSION_MAXPKT, 1);
	}
	rig_init(r);
	r->cfg.session = SSH_SESSION_NONE;
	if (rig_connect(r, 0) != 0) {
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 52);
	srv_send(r, &r->s.p);
	return testsrv_next_event(r->s.c, SSH_EV_SESSION_READY, &ev) ? 0 : -1;
}

/* the server serves until the client has nothing more to say (bounded); 0 or -1 */
static inline int rig_serve(struct rig *r)
{
	int i, n;

	for (i = 0; i < 1000; i++) {
		if ((n = testsrv_serve(&r->s)) <= 0) {
			return n;
		}
	}
	return -1;
}

/* a server message in r->s.p: type, the client's channel id, then u32 values (n of them) */
static inline void chan_msg_to(struct rig *r, uint8_t type, uint32_t id)
{
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, type);
	buf_put_u32(&r->s.p, id);
}

#endif
