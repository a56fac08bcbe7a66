/* A whole session over byte buffers: this test plays an SSH server with the engine's own
 * primitives (kexalg, packet, hostkey) and drives the client engine through key exchange,
 * password authentication, an exec channel with data, exit status and close. Then the same
 * with a forged host-key signature and with a corrupted MAC. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cipher.h"
#include "conn.h"
#include "err.h"
#include "hostkey.h"
#include "kexalg.h"
#include "packet.h"
#include "t.h"

static const char *V_S = "SSH-2.0-TestServer_1";

struct server {
	struct pkt_dir rx, tx;
	struct buf in;        /* client bytes not yet parsed */
	char v_c[256];
	int have_version;
	struct buf i_c, i_s;
	EVP_PKEY *hostkey;
	uint8_t sid[64];
	size_t sidlen;
	const struct kex_alg *kalg;
	struct buf shared;
	uint8_t h[64];
	size_t hlen;
	int corrupt_sig;
};

static void srv_send(struct server *s, struct ssh_conn *c, const struct buf *payload,
    int corrupt)
{
	struct buf wire;

	buf_init(&wire);
	CHECK_EQ_INT(pkt_seal(&s->tx, buf_ptr(payload), buf_len(payload), &wire), 0);
	if (corrupt) {
		buf_ptr(&wire)[buf_len(&wire) - 1] ^= 1;
	}
	(void)ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire));
	buf_free(&wire);
}

/* move client output into the server's input */
static void pump(struct server *s, struct ssh_conn *c)
{
	size_t n;
	const uint8_t *p = ssh_conn_send_ptr(c, &n);

	buf_put(&s->in, p, n);
	ssh_conn_send_consumed(c, n);
	if (!s->have_version) {
		uint8_t *nl = memchr(buf_ptr(&s->in), '\n', buf_len(&s->in));
		if (nl != NULL) {
			size_t l = (size_t)(nl - buf_ptr(&s->in));
			memcpy(s->v_c, buf_ptr(&s->in), l - 1);
			s->v_c[l - 1] = '\0';
			buf_consume(&s->in, l + 1);
			s->have_version = 1;
		}
	}
}

/* next client packet payload (copied into out), 0 if none */
static int srv_recv(struct server *s, struct buf *out)
{
	struct rd payload;
	int r = pkt_open(&s->rx, &s->in, &payload);

	buf_reset(out);
	if (r != 0) {
		return 0;
	}
	buf_put(out, payload.p, payload.len);
	return 1;
}

static void kexinit_payload(struct buf *p)
{
	uint8_t cookie[16] = { 1 };
	const char *lists[] = { "curve25519-sha256,kex-strict-s-v00@openssh.com", "ssh-ed25519",
		"aes128-gcm@openssh.com", "aes128-gcm@openssh.com", "hmac-sha2-256", "hmac-sha2-256",
		"none", "none", "", "" };
	size_t i;

	buf_put_u8(p, 20);
	buf_put(p, cookie, 16);
	for (i = 0; i < 10; i++) {
		buf_put_cstring(p, lists[i]);
	}
	buf_put_u8(p, 0);
	buf_put_u32(p, 0);
}

static void install(struct server *s, int dir)
{
	const struct cipher_alg *ca = cipher_alg_by_name("aes128-gcm@openssh.com");
	uint8_t key[64], iv[64];

	/* dir 0: client->server (server receives) letters A/C; dir 1: B/D */
	CHECK_EQ_INT(kex_derive_key(s->kalg, &s->shared, s->h, s->hlen, (char)('A' + dir), s->sid,
			 s->sidlen, iv, ca->iv_len), 0);
	CHECK_EQ_INT(kex_derive_key(s->kalg, &s->shared, s->h, s->hlen, (char)('C' + dir), s->sid,
			 s->sidlen, key, ca->key_len), 0);
	CHECK_EQ_INT(pkt_dir_set_keys(dir == 0 ? &s->rx : &s->tx, ca, NULL, dir == 1, key, iv, NULL),
	    0);
	if (dir == 0) {
		s->rx.seqnr = 0; /* strict kex */
	} else {
		s->tx.seqnr = 0;
	}
}

static int next_event(struct ssh_conn *c, enum ssh_event_type want, struct ssh_event *ev)
{
	while (ssh_conn_next_event(c, ev)) {
		if (ev->type == want) {
			return 1;
		}
	}
	return 0;
}

/* a signer with a public key and a chain but no signing: enough to watch which algorithms
 * get queried (the engine picks them from the key and the chain) */
static EVP_PKEY *fake_key;

static EVP_PKEY *fake_pubkey(struct signer *sg)
{
	(void)sg;
	return fake_key;
}

static void fake_chain(struct signer *sg, const uint8_t *const **der, const size_t **len, size_t *n)
{
	static const uint8_t empty_seq[] = { 0x30, 0x00 };
	static const uint8_t *const certs[] = { empty_seq };
	static const size_t lens[] = { sizeof(empty_seq) };

	(void)sg;
	*der = certs;
	*len = lens;
	*n = 1;
}

static const struct signer_ops fake_ops = { .pubkey = fake_pubkey, .chain = fake_chain };

/* the algorithm of the client's next publickey query */
static int query_alg_is(struct server *s, struct ssh_conn *c, struct buf *p, const char *alg)
{
	struct rd rd;
	const uint8_t *v;
	size_t n;
	uint8_t t;
	int has_sig = 1, i;

	pump(s, c);
	if (!srv_recv(s, p)) {
		return 0;
	}
	rd = buf_rd(p);
	rd_u8(&rd, &t);
	for (i = 0; i < 3; i++) {
		rd_skip_string(&rd); /* user, service, method */
	}
	rd_bool(&rd, &has_sig);
	rd_string(&rd, &v, &n);
	return t == 50 && !has_sig && str_eq(v, n, alg);
}

/* without server-sig-algs, a Cisco banner puts x509v3-ssh-rsa first; a refused query moves on
 * to the next algorithm; when all are refused the caller is asked again */
static void check_pubkey_order(struct server *s, struct ssh_conn *c, struct buf *p)
{
	struct signer sg = { &fake_ops, (char *)"fake", NULL };
	struct ssh_event ev;
	int cisco = strstr(V_S, "Cisco-") != NULL;

	if (fake_key == NULL) {
		fake_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	}
	CHECK(fake_key != NULL);
	CHECK_EQ_INT(ssh_conn_auth_pubkey(c, &sg), 0);
	CHECK(query_alg_is(s, c, p, cisco ? "x509v3-ssh-rsa" : "x509v3-rsa2048-sha256"));
	buf_reset(p);
	buf_put_u8(p, 51);
	buf_put_cstring(p, "publickey");
	buf_put_u8(p, 0);
	srv_send(s, c, p, 0);
	CHECK(query_alg_is(s, c, p, cisco ? "x509v3-rsa2048-sha256" : "x509v3-ssh-rsa"));
	buf_reset(p);
	buf_put_u8(p, 51);
	buf_put_cstring(p, "publickey");
	buf_put_u8(p, 0);
	srv_send(s, c, p, 0);
	CHECK(query_alg_is(s, c, p, "rsa-sha2-512"));
	buf_reset(p);
	buf_put_u8(p, 51);
	buf_put_cstring(p, "publickey");
	buf_put_u8(p, 0);
	srv_send(s, c, p, 0);
	CHECK(next_event(c, SSH_EV_AUTH_NEXT, &ev));
}

static void info_request(struct server *s, struct ssh_conn *c, struct buf *p, uint32_t n)
{
	buf_reset(p);
	buf_put_u8(p, 60);
	buf_put_cstring(p, "Router login");
	buf_put_cstring(p, "Use your token code.\nLine two\x1b[2J");
	buf_put_cstring(p, "");
	buf_put_u32(p, n);
	if (n > 0) {
		buf_put_cstring(p, "Username: ");
		buf_put_u8(p, 1);
		buf_put_cstring(p, "Password: ");
		buf_put_u8(p, 0);
	}
	srv_send(s, c, p, 0);
}

/* keyboard-interactive: two rounds (two prompts, then none), answers reach the server; returns
 * 0 when the whole exchange went as expected */
static int check_kbdint(struct server *s, struct ssh_conn *c, struct buf *p)
{
	const char *answers[2] = { "alice", "s3cret" };
	struct ssh_event ev;
	struct rd rd;
	uint8_t t;
	uint32_t n = 0;
	const uint8_t *v;
	size_t vl;
	int ok = 1;

	CHECK_EQ_INT(ssh_conn_auth_kbdint(c), 0);
	pump(s, c);
	ok &= srv_recv(s, p) && memmem(buf_ptr(p), buf_len(p), "keyboard-interactive", 20) != NULL;
	info_request(s, c, p, 2);
	ok &= next_event(c, SSH_EV_PROMPT, &ev);
	CHECK(ok);
	if (!ok) {
		return -1;
	}
	CHECK_STR(ev.u.prompt.name, "Router login");
	CHECK(strchr(ev.u.prompt.instruction, '\n') != NULL && strchr(ev.u.prompt.instruction,
	    0x1b) == NULL);
	CHECK_EQ_INT(ev.u.prompt.n, 2);
	CHECK_STR(ev.u.prompt.prompts[0], "Username: ");
	CHECK(ev.u.prompt.echo[0] == 1 && ev.u.prompt.echo[1] == 0);
	CHECK_EQ_INT(ssh_conn_answer_prompts(c, answers, 2), 0);
	pump(s, c);
	CHECK(srv_recv(s, p));
	rd = buf_rd(p);
	CHECK(rd_u8(&rd, &t) == 0 && t == 61 && rd_u32(&rd, &n) == 0 && n == 2);
	CHECK(rd_string(&rd, &v, &vl) == 0 && str_eq(v, vl, "alice"));
	CHECK(rd_string(&rd, &v, &vl) == 0 && str_eq(v, vl, "s3cret") && rd_end(&rd) == 0);
	/* a second round without prompts still needs an (empty) answer */
	info_request(s, c, p, 0);
	CHECK(next_event(c, SSH_EV_PROMPT, &ev) && ev.u.prompt.n == 0);
	CHECK_EQ_INT(ssh_conn_answer_prompts(c, NULL, 0), 0);
	pump(s, c);
	CHECK(srv_recv(s, p));
	rd = buf_rd(p);
	CHECK(rd_u8(&rd, &t) == 0 && t == 61 && rd_u32(&rd, &n) == 0 && n == 0 && rd_end(&rd) == 0);
	buf_reset(p);
	buf_put_u8(p, 52);
	srv_send(s, c, p, 0);
	CHECK(next_event(c, SSH_EV_AUTH_DONE, &ev));
	return 0;
}

/* returns the exit status the client saw, or -1 */
static int run_session(int corrupt_sig, int corrupt_mac, int pubkey, const char **errmsg)
{
	struct ssh_conn_config cfg;
	struct ssh_conn *c = NULL;
	struct server s;
	struct buf p, pk, hb, sig;
	struct rd rd;
	struct ssh_event ev;
	const uint8_t *qc;
	size_t qclen;
	struct kex_state *st = NULL;
	const struct hostkey_alg *ha = hostkey_alg_by_name("ssh-ed25519");
	int result = -1;
	uint8_t type;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kex_algs = "curve25519-sha256";
	cfg.ciphers = "aes128-gcm@openssh.com";
	cfg.macs = "hmac-sha2-256";
	cfg.hostkey_algs = "ssh-ed25519";
	cfg.pubkey_algs = "x509v3-rsa2048-sha256,x509v3-ssh-rsa,rsa-sha2-512";
	cfg.user = "tester";
	cfg.command = "echo hi";
	memset(&s, 0, sizeof(s));
	pkt_dir_init(&s.rx);
	pkt_dir_init(&s.tx);
	buf_init(&s.in);
	buf_init(&s.i_c);
	buf_init(&s.i_s);
	buf_init_secret(&s.shared);
	buf_init(&p);
	buf_init(&pk);
	buf_init(&hb);
	buf_init(&sig);
	s.kalg = kex_alg_by_name("curve25519-sha256");
	s.hostkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	*errmsg = NULL;

	CHECK_EQ_INT(ssh_conn_new(&cfg, &c), 0);
	/* server hello */
	ssh_conn_recv(c, (const uint8_t *)V_S, strlen(V_S));
	ssh_conn_recv(c, (const uint8_t *)"\r\n", 2);
	kexinit_payload(&s.i_s);
	srv_send(&s, c, &s.i_s, 0);
	pump(&s, c);
	/* client KEXINIT, then ECDH init */
	CHECK(srv_recv(&s, &s.i_c) && buf_ptr(&s.i_c)[0] == 20);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 30);
	rd = buf_rd(&p);
	rd_u8(&rd, &type);
	CHECK_EQ_INT(rd_string(&rd, &qc, &qclen), 0);
	CHECK_EQ_INT(kex_state_new(s.kalg, NULL, NULL, &st, &pk), 0);
	CHECK_EQ_INT(kex_derive_shared(st, qc, qclen, &s.shared), 0);
	CHECK_EQ_INT(sshkey_to_blob(s.hostkey, ha, &hb), 0);
	{
		struct buf h;
		buf_init(&h);
		buf_put_cstring(&h, s.v_c);
		buf_put_cstring(&h, V_S);
		buf_put_buf(&h, &s.i_c);
		buf_put_buf(&h, &s.i_s);
		buf_put_buf(&h, &hb);
		kex_put_pub(s.kalg, &h, qc, qclen);
		kex_put_pub(s.kalg, &h, buf_ptr(&pk), buf_len(&pk));
		buf_put(&h, buf_ptr(&s.shared), buf_len(&s.shared));
		CHECK_EQ_INT(kex_hash(s.kalg, buf_ptr(&h), buf_len(&h), s.h, &s.hlen), 0);
		buf_free(&h);
	}
	memcpy(s.sid, s.h, s.hlen);
	s.sidlen = s.hlen;
	CHECK_EQ_INT(sshsig_sign(ha, s.hostkey, s.h, s.hlen, &sig), 0);
	if (corrupt_sig) {
		buf_ptr(&sig)[buf_len(&sig) - 3] ^= 0x10;
	}
	buf_reset(&p);
	buf_put_u8(&p, 31);
	buf_put_buf(&p, &hb);
	buf_put_buf(&p, &pk);
	buf_put_buf(&p, &sig);
	srv_send(&s, c, &p, 0);
	buf_reset(&p);
	buf_put_u8(&p, 21);
	srv_send(&s, c, &p, 0);
	install(&s, 1);
	if (corrupt_sig) {
		CHECK(!next_event(c, SSH_EV_HOSTKEY, &ev));
		ssh_conn_error(c, errmsg);
		goto out;
	}
	CHECK(next_event(c, SSH_EV_HOSTKEY, &ev));
	CHECK_STR(ev.u.hostkey.alg, "ssh-ed25519");
	CHECK(ev.u.hostkey.len == buf_len(&hb) && memcmp(ev.u.hostkey.blob, buf_ptr(&hb), buf_len(&hb)) == 0);
	CHECK_EQ_INT(ssh_conn_answer_hostkey(c, 1), 0);
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 21);
	install(&s, 0);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 5); /* service request */
	buf_reset(&p);
	buf_put_u8(&p, 6);
	buf_put_cstring(&p, "ssh-userauth");
	srv_send(&s, c, &p, corrupt_mac);
	if (corrupt_mac) {
		ssh_conn_error(c, errmsg);
		goto out;
	}
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 50); /* none */
	buf_reset(&p);
	buf_put_u8(&p, 53);
	buf_put_cstring(&p, "Welcome\x1b[31m\n");
	buf_put_cstring(&p, "");
	srv_send(&s, c, &p, 0);
	buf_reset(&p);
	buf_put_u8(&p, 51);
	buf_put_cstring(&p, "publickey,password");
	buf_put_u8(&p, 0);
	srv_send(&s, c, &p, 0);
	CHECK(next_event(c, SSH_EV_AUTH_BANNER, &ev) && strstr(ev.u.banner.text, "\x1b") == NULL);
	CHECK(next_event(c, SSH_EV_AUTH_NEXT, &ev));
	CHECK_STR(ev.u.auth.methods, "publickey,password");
	if (pubkey == 1) {
		check_pubkey_order(&s, c, &p);
		goto out;
	}
	if (pubkey == 2) {
		result = check_kbdint(&s, c, &p);
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_auth_password(c, "sekrit"), 0);
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 50);
	CHECK(memmem(buf_ptr(&p), buf_len(&p), "sekrit", 6) != NULL);
	buf_reset(&p);
	buf_put_u8(&p, 52);
	srv_send(&s, c, &p, 0);
	CHECK(next_event(c, SSH_EV_AUTH_DONE, &ev));
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 90); /* channel open */
	buf_reset(&p);
	buf_put_u8(&p, 91);
	buf_put_u32(&p, 0);
	buf_put_u32(&p, 5);
	buf_put_u32(&p, 1000);
	buf_put_u32(&p, 32768);
	srv_send(&s, c, &p, 0);
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 98 &&
	    memmem(buf_ptr(&p), buf_len(&p), "echo hi", 7) != NULL);
	buf_reset(&p);
	buf_put_u8(&p, 99);
	buf_put_u32(&p, 0);
	srv_send(&s, c, &p, 0);
	CHECK(next_event(c, SSH_EV_SESSION_READY, &ev));
	/* stdin is limited by the server's window of 1000 bytes */
	CHECK_EQ_INT(ssh_conn_stdin_room(c), 1000);
	CHECK_EQ_INT(ssh_conn_stdin_write(c, (const uint8_t *)"abc", 3), 0);
	CHECK_EQ_INT(ssh_conn_stdin_room(c), 997);
	CHECK_EQ_INT(ssh_conn_stdin_eof(c), 0);
	CHECK_EQ_INT(ssh_conn_stdin_room(c), 0);
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 94 && memcmp(buf_ptr(&p) + 9, "abc", 3) == 0);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 96);
	buf_reset(&p);
	buf_put_u8(&p, 94);
	buf_put_u32(&p, 0);
	buf_put_cstring(&p, "hi\n");
	srv_send(&s, c, &p, 0);
	buf_reset(&p);
	buf_put_u8(&p, 95);
	buf_put_u32(&p, 0);
	buf_put_u32(&p, 1);
	buf_put_cstring(&p, "err\n");
	srv_send(&s, c, &p, 0);
	CHECK(buf_len(ssh_conn_channel_out(c, 0)) == 3 &&
	    memcmp(buf_ptr(ssh_conn_channel_out(c, 0)), "hi\n", 3) == 0);
	CHECK(buf_len(ssh_conn_channel_out(c, 1)) == 4);
	buf_reset(&p);
	buf_put_u8(&p, 98);
	buf_put_u32(&p, 0);
	buf_put_cstring(&p, "exit-status");
	buf_put_u8(&p, 0);
	buf_put_u32(&p, 7);
	srv_send(&s, c, &p, 0);
	buf_reset(&p);
	buf_put_u8(&p, 97);
	buf_put_u32(&p, 0);
	srv_send(&s, c, &p, 0);
	CHECK(next_event(c, SSH_EV_EXIT, &ev));
	if (ev.u.exit.has_status) {
		result = ev.u.exit.status;
	}
	CHECK(ssh_conn_done(c));
	pump(&s, c);
	CHECK(srv_recv(&s, &p) && buf_ptr(&p)[0] == 97); /* our close */
out:
	if (*errmsg != NULL) {
		*errmsg = strdup(*errmsg);
	}
	ssh_conn_free(c);
	kex_state_free(st);
	EVP_PKEY_free(s.hostkey);
	EVP_PKEY_free(fake_key);
	fake_key = NULL;
	pkt_dir_free(&s.rx);
	pkt_dir_free(&s.tx);
	buf_free(&s.in);
	buf_free(&s.i_c);
	buf_free(&s.i_s);
	buf_free(&s.shared);
	buf_free(&p);
	buf_free(&pk);
	buf_free(&hb);
	buf_free(&sig);
	return result;
}

int main(void)
{
	const char *msg = NULL;

	CHECK_EQ_INT(run_session(0, 0, 0, &msg), 7);
	CHECK(msg == NULL);
	(void)run_session(0, 0, 1, &msg);
	V_S = "SSH-1.99-Cisco-1.25";
	(void)run_session(0, 0, 1, &msg);
	V_S = "SSH-2.0-TestServer_1";
	CHECK_EQ_INT(run_session(0, 0, 2, &msg), 0);
	CHECK_EQ_INT(run_session(1, 0, 0, &msg), -1);
	CHECK(msg != NULL && strncmp(msg, "hostkey: ", 9) == 0 && strstr(msg, "does not verify"));
	free((char *)msg);
	CHECK_EQ_INT(run_session(0, 1, 0, &msg), -1);
	CHECK(msg != NULL && strstr(msg, "message authentication code incorrect") != NULL);
	free((char *)msg);
	T_DONE();
}
