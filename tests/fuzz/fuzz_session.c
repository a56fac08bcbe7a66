/*
 * libFuzzer target: a whole session. Per input, a client engine and the in-memory server of
 * tests/unit/testsrv.c run the key exchange with the real crypto (a fixed Ed25519 host key), then
 * the input drives the server side of the now encrypted connection: every payload the fuzzer
 * chooses is sealed with the server's keys and fed to the client, so userauth, banners,
 * keyboard-interactive, PK_OK, ext-info, global requests, channel messages and rekeys are all
 * reachable. The harness answers every client event (host key, auth method, signature, prompts),
 * drains the channel output, and completes every key exchange the client or the fuzzer starts.
 *
 * Input: one setup byte, then records.
 *   setup bits 0-1  phase reached before the fuzzer speaks: 0 the client's SERVICE_REQUEST is
 *                   pending; 1 SERVICE_ACCEPT sent, the "none" request pending; 2 "none"
 *                   succeeded, CHANNEL_OPEN pending; 3 channel open and the command accepted
 *   setup bits 2-3  the answer to SSH_EV_AUTH_NEXT: password, publickey (a fixed Ed25519 key),
 *                   keyboard-interactive, give up
 *   setup bit 4     a pty, environment variables and agent forwarding are requested (the
 *                   server may then open auth-agent@openssh.com channels)
 *   setup bit 5     the signature is refused (a token error) instead of made
 *   setup bit 6     RekeyLimit 16384 bytes, 1 second (ticks then rekey)
 *   setup bit 7     a shell instead of a command
 *   record: op byte, then by op % 16 (payloads are the common case: a key exchange costs more
 *   than everything else of a run, so the ops that start one are rare):
 *     0..8, 15 u16 length (big endian) + payload: sealed and fed in one piece
 *     9        u16 length + payload: sealed and fed in two reads (split in the middle), through
 *              the zero-copy input (ssh_conn_recv_window / ssh_conn_recv_commit) as the loop does
 *     10       the harness starts a rekey with its own KEXINIT
 *     11       one byte n: the clock moves n seconds (ssh_conn_tick)
 *     12       one byte b: a client-side action: stdin data (b >> 2 bytes), stdin EOF, a window
 *              change, a keepalive (b % 4)
 *     13       the server closes the connection (ssh_conn_recv_eof); the input ends
 *     14       one byte b: a TCP/IP channel action (b % 8): open direct-tcpip, tcpip-forward,
 *              cancel-tcpip-forward (port b >> 3), write b >> 3 bytes, EOF, close (on the
 *              channel (b >> 3) % n of the n open ones), accept or refuse the oldest unanswered
 *              forwarded-tcpip or auth-agent channel; with payloads (CHANNEL_OPEN forwarded-tcpip,
 * REQUEST_SUCCESS, OPEN_CONFIRMATION for ids from 1) this drives the channel table A payload that
 * starts with 20 (KEXINIT) is the server's KEXINIT of a rekey: the harness answers the client's
 * ECDH_INIT with it in the exchange hash, so a well-formed one completes the rekey.
 *
 * Seed corpus mode: X509SSH_FUZZ_GEN=DIR ./fuzz_session writes valid transcripts (a normal
 * session, kbd-interactive, banners, ext-info, PK_OK, global requests, rekeys, ...) into DIR and
 * exits (tests/fuzz/gen_corpus.sh). X509SSH_FUZZ_TRACE=1 prints the client's events and the
 * outcome of each input run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "sshkey.h"
#include "sshsig.h"
#include "testsrv.h"

#define MAX_SERVICE_ROUNDS 64 /* event/packet rounds after one record */
#define MAX_AUTH_TRIES     4  /* AUTH_NEXT answered this many times, then give up */

#define PH_SERVICE 0
#define PH_NONE    1
#define PH_OPEN    2
#define PH_READY   3

#define AUTH_PASSWORD 0
#define AUTH_PUBKEY   1
#define AUTH_KBDINT   2
#define AUTH_GIVE_UP  3

#define SETUP(phase, auth, bits) ((uint8_t)((phase) | ((auth) << 2) | (bits)))
#define S_TTY                    0x10
#define S_SIGN_FAILS             0x20
#define S_REKEY                  0x40
#define S_SHELL                  0x80

#define OP_PAYLOAD 0
#define OP_SPLIT   9
#define OP_REKEY   10
#define OP_TICK    11
#define OP_CLIENT  12
#define OP_EOF     13
#define OP_CHAN    14

#define RUN_MAX_IDS 16 /* TCP/IP channel ids the harness keeps track of */

static const uint8_t host_seed[32] = "x509ssh fuzz_session host key!!";
static const uint8_t user_seed[32] = "x509ssh fuzz_session user key!!";

static EVP_PKEY *host_key, *user_key;
static int trace; /* X509SSH_FUZZ_TRACE set: events and the outcome on stderr */

/* ---- the user's key: a signer that gives the fixed Ed25519 key ---- */

static EVP_PKEY *user_pubkey(struct signer *sg)
{
	(void)sg;
	return user_key;
}

static const struct signer_ops user_ops = {.pubkey = user_pubkey};

/* ---- one run ---- */

struct run {
	struct testsrv s;
	struct signer signer;
	uint8_t setup;
	int auth_tries;
	int srv_kexinit;  /* our KEXINIT of the running key exchange went out (s.i_s holds it) */
	size_t state_sum; /* what poll_state read (kept, so the calls are not optimised away) */
	uint64_t now_ms;
	uint32_t ids[RUN_MAX_IDS]; /* open or opening TCP/IP channels */
	size_t nids;
	uint32_t incoming[RUN_MAX_IDS]; /* SSH_EV_CHAN_INCOMING not yet answered */
	size_t nin;
};

static void id_drop(uint32_t *ids, size_t *n, uint32_t id)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (ids[i] == id) {
			ids[i] = ids[--*n];
			return;
		}
	}
}

/* the TCP/IP channel events: ids come and go, data is drained */
static void chan_event(struct run *r, const struct ssh_event *ev)
{
	size_t olen = 0;

	switch (ev->type) {
	case SSH_EV_CHAN_INCOMING:
		if (r->nin < RUN_MAX_IDS) {
			r->incoming[r->nin++] = ev->u.chan.id;
		} else {
			(void)ssh_conn_chan_refuse(r->s.c, ev->u.chan.id, 4, "busy");
		}
		break;
	case SSH_EV_CHAN_DATA:
		(void)ssh_conn_chan_peek(r->s.c, ev->u.chan.id, &olen);
		if (olen > 0) {
			(void)ssh_conn_chan_consumed(r->s.c, ev->u.chan.id, olen);
		}
		break;
	case SSH_EV_CHAN_CLOSED:
	case SSH_EV_CHAN_OPEN_FAILED:
		id_drop(r->ids, &r->nids, ev->u.chan.id);
		break;
	default:
		break;
	}
}

static void chan_action(struct run *r, uint8_t b)
{
	static const uint8_t data[32] = "bytes for a forwarded connection";
	struct ssh_conn *c = r->s.c;
	uint32_t v = b >> 3, id = r->nids > 0 ? r->ids[v % r->nids] : 0, req;
	size_t n = v;

	switch (b % 8) {
	case 0:
		if (r->nids < RUN_MAX_IDS &&
		    ssh_conn_chan_open_tcpip(c, "db.example", v, "127.0.0.1", 4000, &id) == 0) {
			r->ids[r->nids++] = id;
		}
		break;
	case 1:
		(void)ssh_conn_tcpip_forward(c, v & 1 ? "localhost" : "", v >> 1, &req);
		break;
	case 2:
		(void)ssh_conn_cancel_tcpip_forward(c, v & 1 ? "localhost" : "", v >> 1, &req);
		break;
	case 3:
		if (r->nids > 0) {
			if (n > ssh_conn_chan_room(c, id)) {
				n = ssh_conn_chan_room(c, id);
			}
			if (n > 0) {
				(void)ssh_conn_chan_write(c, id, data, n);
			}
		}
		break;
	case 4:
		if (r->nids > 0) {
			(void)ssh_conn_chan_eof(c, id);
		}
		break;
	case 5:
		if (r->nids > 0) {
			(void)ssh_conn_chan_close(c, id);
		}
		break;
	default:
		if (r->nin > 0) {
			id = r->incoming[0];
			r->incoming[0] = r->incoming[--r->nin];
			if (b % 8 == 6 && r->nids < RUN_MAX_IDS) {
				(void)ssh_conn_chan_accept(c, id);
				r->ids[r->nids++] = id;
			} else {
				(void)ssh_conn_chan_refuse(c, id, 2, "connect failed");
			}
		}
		break;
	}
}

static int failed(struct run *r)
{
	const char *m = NULL;

	return ssh_conn_error(r->s.c, &m) != 0;
}

static void answer_auth(struct run *r)
{
	struct ssh_conn *c = r->s.c;

	if (++r->auth_tries > MAX_AUTH_TRIES) {
		(void)ssh_conn_auth_give_up(c);
		return;
	}
	switch ((r->setup >> 2) & 3) {
	case AUTH_PASSWORD:
		(void)ssh_conn_auth_password(c, "fuzz-password");
		break;
	case AUTH_PUBKEY:
		(void)ssh_conn_auth_pubkey(c, &r->signer);
		break;
	case AUTH_KBDINT:
		(void)ssh_conn_auth_kbdint(c);
		break;
	default:
		(void)ssh_conn_auth_give_up(c);
		break;
	}
}

static void answer_sign(struct run *r, const struct ssh_event *ev)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int e;

	if (r->setup & S_SIGN_FAILS) {
		(void)ssh_conn_answer_sign(
		    r->s.c, NULL, 0, SIGNER_ERR_DEVICE, "pkcs11: C_Sign: CKR_DEVICE_ERROR");
		return;
	}
	if ((e = sshsig_raw_sign(user_key, &ev->u.sign.req, &sig, &len)) == SIGNER_OK) {
		(void)ssh_conn_answer_sign(r->s.c, sig, len, 0, NULL);
	} else {
		(void)ssh_conn_answer_sign(r->s.c, NULL, 0, e, NULL);
	}
	free(sig);
}

static void answer_prompts(struct run *r, const struct ssh_event *ev)
{
	static const char *const answers[] = {"alice", "123456", "", "yes"};
	const char *list[64];
	size_t i, n = ev->u.prompt.n;

	if (n > 64) {
		n = 64; /* the engine caps prompts far lower; a wrong count is refused */
	}
	for (i = 0; i < n; i++) {
		list[i] = answers[i % 4];
	}
	(void)ssh_conn_answer_prompts(r->s.c, list, n);
}

/* every pending client event; returns how many there were */
static int drain_events(struct run *r)
{
	struct ssh_conn *c = r->s.c;
	struct ssh_event ev;
	size_t olen;
	int n = 0, k;

	while (ssh_conn_next_event(c, &ev)) {
		n++;
		if (trace) {
			fprintf(stderr, "event %d\n", (int)ev.type);
		}
		switch (ev.type) {
		case SSH_EV_HOSTKEY:
			(void)ssh_conn_answer_hostkey(c, 1);
			break;
		case SSH_EV_AUTH_NEXT:
			answer_auth(r);
			break;
		case SSH_EV_SIGN:
			answer_sign(r, &ev);
			break;
		case SSH_EV_PROMPT:
			answer_prompts(r, &ev);
			break;
		case SSH_EV_CHANNEL_DATA:
			for (k = 0; k < 2; k++) {
				(void)ssh_conn_channel_peek(c, k, &olen);
				if (olen > 0) {
					(void)ssh_conn_channel_consumed(c, k, olen);
				}
			}
			break;
		default:
			chan_event(r, &ev);
			break;
		}
	}
	return n;
}

/* the client's packets: the server's side of key exchanges; returns how many were read */
static int read_packets(struct run *r)
{
	struct testsrv *s = &r->s;
	int n = 0, got;

	testsrv_pump(s);
	while ((got = testsrv_recv(s, &s->p)) == 1) {
		n++;
		if (buf_len(&s->p) == 0) {
			continue;
		}
		switch (buf_ptr(&s->p)[0]) {
		case 20: /* the client's KEXINIT: a rekey (ours, the fuzzer's or its own) */
			buf_reset(&s->i_c);
			buf_put(&s->i_c, buf_ptr(&s->p), buf_len(&s->p));
			if (!r->srv_kexinit) {
				testsrv_kexinit_payload(&s->i_s);
				(void)testsrv_send(s, &s->i_s);
				r->srv_kexinit = 1;
			}
			break;
		case 30:
			(void)testsrv_kex_answer(s, 0);
			break;
		case 21:
			(void)testsrv_install_rx(s);
			r->srv_kexinit = 0;
			break;
		default:
			break;
		}
	}
	return got < 0 ? -1 : n;
}

/* what the loop asks the engine after each read */
static void poll_state(struct run *r)
{
	static const char *const what[] = {"kex", "hostkey", "cipher_ctos", "cipher_stoc",
	    "mac_ctos", "mac_stoc", "server-sig-algs"};
	struct ssh_conn *c = r->s.c;
	const char *v, *sv = ssh_conn_server_version(c);
	size_t i,
	    sum = ssh_conn_heard(c) + (size_t)ssh_conn_done(c) + (sv != NULL ? strlen(sv) : 0);

	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		v = ssh_conn_negotiated(c, what[i]);
		sum += v != NULL ? strlen(v) : 0;
	}
	r->state_sum += sum;
}

/* answer the client until it has nothing more to say */
static void service(struct run *r)
{
	int i, ev, pk;

	poll_state(r);
	for (i = 0; i < MAX_SERVICE_ROUNDS && !failed(r); i++) {
		ev = drain_events(r);
		pk = read_packets(r);
		if (pk < 0 || (ev == 0 && pk == 0)) {
			break;
		}
	}
}

/* wire bytes through the zero-copy input window, as client/loop.c reads the socket */
static void feed_window(struct ssh_conn *c, const uint8_t *p, size_t n)
{
	size_t room = 0;
	uint8_t *w;

	while (n > 0 && (w = ssh_conn_recv_window(c, n, &room)) != NULL && room > 0) {
		if (room > n) {
			room = n;
		}
		memcpy(w, p, room);
		if (ssh_conn_recv_commit(c, room) != 0) {
			return;
		}
		p += room;
		n -= room;
	}
}

static void send_payload(struct run *r, const uint8_t *p, size_t n, int split)
{
	struct buf wire;

	if (n > 0 && p[0] == 20) {
		/* the server's KEXINIT of a rekey: in the exchange hash as sent */
		buf_reset(&r->s.i_s);
		buf_put(&r->s.i_s, p, n);
		r->srv_kexinit = 1;
	}
	buf_init(&wire);
	if (testsrv_seal(&r->s, p, n, &wire) == 0) {
		size_t half = buf_len(&wire) / 2;
		if (split) {
			feed_window(r->s.c, buf_ptr(&wire), half);
			feed_window(r->s.c, buf_ptr(&wire) + half, buf_len(&wire) - half);
		} else {
			(void)ssh_conn_recv(r->s.c, buf_ptr(&wire), buf_len(&wire));
		}
	}
	buf_free(&wire);
}

static void send_simple(struct run *r, uint8_t type, const char *str, int with_u32, uint32_t v)
{
	struct buf p;

	buf_init(&p);
	buf_put_u8(&p, type);
	if (str != NULL) {
		buf_put_cstring(&p, str);
	}
	if (with_u32) {
		buf_put_u32(&p, v);
	}
	(void)testsrv_send(&r->s, &p);
	buf_free(&p);
}

/* the client through the setup's phase; 0 or -1 */
static int reach_phase(struct run *r, int phase)
{
	struct testsrv *s = &r->s;
	struct buf p;
	int t = -1;

	if (testsrv_handshake(s, 0) != 0) {
		return -1;
	}
	if (phase >= PH_NONE) {
		send_simple(r, 6, "ssh-userauth", 0, 0); /* SERVICE_ACCEPT */
		if (testsrv_next_type(s) != 50) {
			return -1;
		}
	}
	if (phase >= PH_OPEN) {
		send_simple(r, 52, NULL, 0, 0); /* USERAUTH_SUCCESS */
		drain_events(r);
		if (testsrv_next_type(s) != 90) {
			return -1;
		}
	}
	if (phase >= PH_READY) {
		buf_init(&p);
		buf_put_u8(&p, 91);
		buf_put_u32(&p, 0);
		buf_put_u32(&p, 7);
		buf_put_u32(&p, 1u << 20);
		buf_put_u32(&p, 32768);
		(void)testsrv_send(s, &p);
		buf_free(&p);
		/* env, pty-req (no reply wanted), then exec or shell */
		while ((t = testsrv_next_type(s)) == 98 &&
		       memmem(buf_ptr(&s->p), buf_len(&s->p), "exec", 4) == NULL &&
		       memmem(buf_ptr(&s->p), buf_len(&s->p), "shell", 5) == NULL) {
		}
		if (t != 98) {
			return -1;
		}
		send_simple(r, 99, NULL, 1, 0); /* CHANNEL_SUCCESS */
		drain_events(r);
	}
	return 0;
}

static void client_action(struct run *r, uint8_t b)
{
	static const uint8_t data[64] = "stdin bytes from the fuzzer's user";
	struct ssh_conn *c = r->s.c;
	size_t n = b >> 2;

	switch (b & 3) {
	case 0:
		if (n > ssh_conn_stdin_room(c)) {
			n = ssh_conn_stdin_room(c);
		}
		if (n > 0) {
			(void)ssh_conn_stdin_write(c, data, n);
		}
		break;
	case 1:
		(void)ssh_conn_stdin_eof(c);
		break;
	case 2:
		(void)ssh_conn_window_change(c, 80 + b, 24 + (b >> 3));
		break;
	default:
		(void)ssh_conn_keepalive(c);
		break;
	}
}

static void run_records(struct run *r, const uint8_t *d, size_t n)
{
	size_t i = 0, len;
	uint8_t op;

	while (i < n && !failed(r)) {
		op = d[i++] % 16;
		switch (op) {
		case OP_REKEY:
			if (!r->srv_kexinit) {
				testsrv_kexinit_payload(&r->s.i_s);
				(void)testsrv_send(&r->s, &r->s.i_s);
				r->srv_kexinit = 1;
			}
			break;
		case OP_TICK:
			if (i >= n) {
				return;
			}
			r->now_ms += (uint64_t)d[i++] * 1000;
			(void)ssh_conn_tick(r->s.c, r->now_ms);
			break;
		case OP_CLIENT:
			if (i >= n) {
				return;
			}
			client_action(r, d[i++]);
			break;
		case OP_CHAN:
			if (i >= n) {
				return;
			}
			chan_action(r, d[i++]);
			break;
		case OP_EOF:
			(void)ssh_conn_recv_eof(r->s.c);
			service(r);
			return;
		default: /* OP_PAYLOAD, OP_SPLIT and the spare ops */
			if (n - i < 2) {
				return;
			}
			len = (size_t)d[i] << 8 | d[i + 1];
			i += 2;
			if (len > n - i) {
				len = n - i;
			}
			send_payload(r, d + i, len, op == OP_SPLIT);
			i += len;
			break;
		}
		service(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = {"LANG=C", "LC_FUZZ=1", NULL};
	struct ssh_conn_config cfg;
	struct run r;

	if (size < 1) {
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.setup = data[0];
	r.signer.ops = &user_ops;
	r.signer.name = (char *)"fuzz-user-key";
	r.now_ms = 1000;
	memset(&cfg, 0, sizeof(cfg));
	cfg.kex_algs = "curve25519-sha256";
	cfg.ciphers = "aes128-gcm@openssh.com";
	cfg.macs = "hmac-sha2-256";
	cfg.hostkey_algs = "ssh-ed25519";
	cfg.pubkey_algs = "ssh-ed25519,rsa-sha2-256";
	cfg.user = "fuzz";
	cfg.command = (r.setup & S_SHELL) ? NULL : "uptime";
	if (r.setup & S_TTY) {
		cfg.want_tty = 1;
		cfg.term = "xterm";
		cfg.cols = 80;
		cfg.rows = 24;
		cfg.env = env;
		cfg.forward_agent = 1;
	}
	if (r.setup & S_REKEY) {
		cfg.rekey_bytes = 16384;
		cfg.rekey_seconds = 1;
	}
	if (testsrv_init(&r.s, host_key, NULL) != 0 || ssh_conn_new(&cfg, &r.s.c) != 0) {
		goto out;
	}
	(void)ssh_conn_tick(r.s.c, r.now_ms);
	if (reach_phase(&r, r.setup & 3) != 0) {
		goto out;
	}
	run_records(&r, data + 1, size - 1);
out:
	if (trace && r.s.c != NULL) {
		const char *m = NULL;
		(void)ssh_conn_error(r.s.c, &m);
		fprintf(stderr, "outcome: %s (done %d)\n", m != NULL ? m : "no error",
		    ssh_conn_done(r.s.c));
	}
	testsrv_free(&r.s);
	return 0;
}

#include "fuzz_session_seeds.h" /* the seed corpus (gen_corpus), kept apart for size */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *gen = getenv("X509SSH_FUZZ_GEN");

	(void)argc;
	(void)argv;
	trace = getenv("X509SSH_FUZZ_TRACE") != NULL;
	host_key = testsrv_ed25519(host_seed);
	user_key = testsrv_ed25519(user_seed);
	if (host_key == NULL || user_key == NULL) {
		fprintf(stderr, "fuzz_session: cannot make the fixed keys\n");
		exit(1);
	}
	if (gen != NULL) {
		exit(gen_corpus(gen) == 0 ? 0 : 1);
	}
	return 0;
}
