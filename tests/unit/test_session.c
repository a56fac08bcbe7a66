/* A whole session over byte buffers: the in-memory server of testsrv.c plays an SSH server with
 * the engine's own primitives (kexalg, packet, hostkey) and drives the client engine through key
 * exchange, password authentication, an exec channel with data, exit status and close. Then the
 * same with a forged host-key signature and with a corrupted MAC. Then the session types: a
 * subsystem (the request on the wire, data, exit status; a refusal), and none (no channel, the
 * connection stays up for keepalives and rekeys until the server closes it). The session
 * window a caller sets, and the pty-req's reply (refused: go on, or fail when required). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "t.h"
#include "testsrv.h"

static const char *V_S = TESTSRV_VERSION;

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
	static const uint8_t empty_seq[] = {0x30, 0x00};
	static const uint8_t *const certs[] = {empty_seq};
	static const size_t lens[] = {sizeof(empty_seq)};

	(void)sg;
	*der = certs;
	*len = lens;
	*n = 1;
}

static const struct signer_ops fake_ops = {.pubkey = fake_pubkey, .chain = fake_chain};

/* the algorithm of the client's next publickey query */
static int query_alg_is(struct testsrv *s, struct buf *p, const char *alg)
{
	struct rd rd;
	const uint8_t *v;
	size_t n;
	uint8_t t;
	int has_sig = 1, i;

	testsrv_pump(s);
	if (!(testsrv_recv(s, p) == 1)) {
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
static void check_pubkey_order(struct testsrv *s, struct ssh_conn *c, struct buf *p)
{
	struct signer sg = {&fake_ops, (char *)"fake", NULL};
	struct ssh_event ev;
	int cisco = strstr(V_S, "Cisco-") != NULL;

	if (fake_key == NULL) {
		fake_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	}
	CHECK(fake_key != NULL);
	CHECK_EQ_INT(ssh_conn_auth_pubkey(c, &sg), 0);
	CHECK(query_alg_is(s, p, cisco ? "x509v3-ssh-rsa" : "x509v3-rsa2048-sha256"));
	buf_reset(p);
	buf_put_u8(p, 51);
	buf_put_cstring(p, "publickey");
	buf_put_u8(p, 0);
	testsrv_send(s, p);
	CHECK(query_alg_is(s, p, cisco ? "x509v3-rsa2048-sha256" : "x509v3-ssh-rsa"));
	buf_reset(p);
	buf_put_u8(p, 51);
	buf_put_cstring(p, "publickey");
	buf_put_u8(p, 0);
	testsrv_send(s, p);
	CHECK(query_alg_is(s, p, "rsa-sha2-512"));
	buf_reset(p);
	buf_put_u8(p, 51);
	buf_put_cstring(p, "publickey");
	buf_put_u8(p, 0);
	testsrv_send(s, p);
	CHECK(testsrv_next_event(c, SSH_EV_AUTH_NEXT, &ev));
}

static void info_request(struct testsrv *s, struct buf *p, uint32_t n)
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
	testsrv_send(s, p);
}

/* keyboard-interactive: two rounds (two prompts, then none), answers reach the server; returns
 * 0 when the whole exchange went as expected */
static int check_kbdint(struct testsrv *s, struct ssh_conn *c, struct buf *p)
{
	const char *answers[2] = {"alice", "s3cret"};
	struct ssh_event ev;
	struct rd rd;
	uint8_t t;
	uint32_t n = 0;
	const uint8_t *v;
	size_t vl;
	int ok = 1;

	CHECK_EQ_INT(ssh_conn_auth_kbdint(c), 0);
	testsrv_pump(s);
	ok &= (testsrv_recv(s, p) == 1) &&
	      memmem(buf_ptr(p), buf_len(p), "keyboard-interactive", 20) != NULL;
	info_request(s, p, 2);
	ok &= testsrv_next_event(c, SSH_EV_PROMPT, &ev);
	CHECK(ok);
	if (!ok) {
		return -1;
	}
	CHECK_STR(ev.u.prompt.name, "Router login");
	CHECK(strchr(ev.u.prompt.instruction, '\n') != NULL &&
	      strchr(ev.u.prompt.instruction, 0x1b) == NULL);
	CHECK_EQ_INT(ev.u.prompt.n, 2);
	CHECK_STR(ev.u.prompt.prompts[0], "Username: ");
	CHECK(ev.u.prompt.echo[0] == 1 && ev.u.prompt.echo[1] == 0);
	CHECK_EQ_INT(ssh_conn_answer_prompts(c, answers, 2), 0);
	testsrv_pump(s);
	CHECK((testsrv_recv(s, p) == 1));
	rd = buf_rd(p);
	CHECK(rd_u8(&rd, &t) == 0 && t == 61 && rd_u32(&rd, &n) == 0 && n == 2);
	CHECK(rd_string(&rd, &v, &vl) == 0 && str_eq(v, vl, "alice"));
	CHECK(rd_string(&rd, &v, &vl) == 0 && str_eq(v, vl, "s3cret") && rd_end(&rd) == 0);
	/* a second round without prompts still needs an (empty) answer */
	info_request(s, p, 0);
	CHECK(testsrv_next_event(c, SSH_EV_PROMPT, &ev) && ev.u.prompt.n == 0);
	CHECK_EQ_INT(ssh_conn_answer_prompts(c, NULL, 0), 0);
	testsrv_pump(s);
	CHECK((testsrv_recv(s, p) == 1));
	rd = buf_rd(p);
	CHECK(rd_u8(&rd, &t) == 0 && t == 61 && rd_u32(&rd, &n) == 0 && n == 0 && rd_end(&rd) == 0);
	buf_reset(p);
	buf_put_u8(p, 52);
	testsrv_send(s, p);
	CHECK(testsrv_next_event(c, SSH_EV_AUTH_DONE, &ev));
	return 0;
}

/* returns the exit status the client saw, or -1 */
static int run_session(int corrupt_sig, int corrupt_mac, int pubkey, const char **errmsg)
{
	struct ssh_conn_config cfg;
	struct ssh_conn *c = NULL;
	struct testsrv s;
	struct buf p;
	struct ssh_event ev;
	const uint8_t *out;
	size_t outlen;
	int result = -1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kex_algs = "curve25519-sha256";
	cfg.ciphers = "aes128-gcm@openssh.com";
	cfg.macs = "hmac-sha2-256";
	cfg.hostkey_algs = "ssh-ed25519";
	cfg.pubkey_algs = "x509v3-rsa2048-sha256,x509v3-ssh-rsa,rsa-sha2-512";
	cfg.user = "tester";
	cfg.command = "echo hi";
	buf_init(&p);
	*errmsg = NULL;
	CHECK_EQ_INT(testsrv_init(&s, NULL, V_S), 0);
	CHECK_EQ_INT(ssh_conn_new(&cfg, &s.c), 0);
	c = s.c;
	if (c == NULL) {
		goto out;
	}
	/* server hello; the client's KEXINIT, then its ECDH init and our reply */
	CHECK_EQ_INT(testsrv_send_version(&s), 0);
	testsrv_kexinit_payload(&s.i_s);
	CHECK_EQ_INT(testsrv_send(&s, &s.i_s), 0);
	CHECK_EQ_INT(testsrv_next_type(&s), 20);
	buf_put(&s.i_c, buf_ptr(&s.p), buf_len(&s.p));
	CHECK_EQ_INT(testsrv_kex_reply(&s, corrupt_sig ? TESTSRV_FORGE_SIG : 0), 0);
	if (corrupt_sig) {
		CHECK(!testsrv_next_event(c, SSH_EV_HOSTKEY, &ev));
		ssh_conn_error(c, errmsg);
		goto out;
	}
	CHECK(testsrv_next_event(c, SSH_EV_HOSTKEY, &ev));
	CHECK_STR(ev.u.hostkey.alg, "ssh-ed25519");
	CHECK(ev.u.hostkey.len == buf_len(&s.hostkey_blob) &&
	      memcmp(ev.u.hostkey.blob, buf_ptr(&s.hostkey_blob), buf_len(&s.hostkey_blob)) == 0);
	CHECK_EQ_INT(ssh_conn_answer_hostkey(c, 1), 0);
	CHECK_EQ_INT(testsrv_newkeys(&s), 0);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 5); /* service request */
	buf_reset(&p);
	buf_put_u8(&p, 6);
	buf_put_cstring(&p, "ssh-userauth");
	testsrv_send_flags(&s, &p, corrupt_mac ? TESTSRV_CORRUPT_MAC : 0);
	if (corrupt_mac) {
		ssh_conn_error(c, errmsg);
		goto out;
	}
	testsrv_pump(&s);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 50); /* none */
	buf_reset(&p);
	buf_put_u8(&p, 53);
	buf_put_cstring(&p, "Welcome\x1b[31m\n");
	buf_put_cstring(&p, "");
	testsrv_send(&s, &p);
	buf_reset(&p);
	buf_put_u8(&p, 51);
	buf_put_cstring(&p, "publickey,password");
	buf_put_u8(&p, 0);
	testsrv_send(&s, &p);
	CHECK(testsrv_next_event(c, SSH_EV_AUTH_BANNER, &ev) &&
	      strstr(ev.u.banner.text, "\x1b") == NULL);
	CHECK(testsrv_next_event(c, SSH_EV_AUTH_NEXT, &ev));
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
	testsrv_pump(&s);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 50);
	CHECK(memmem(buf_ptr(&p), buf_len(&p), "sekrit", 6) != NULL);
	buf_reset(&p);
	buf_put_u8(&p, 52);
	testsrv_send(&s, &p);
	CHECK(testsrv_next_event(c, SSH_EV_AUTH_DONE, &ev));
	testsrv_pump(&s);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 90); /* channel open */
	buf_reset(&p);
	buf_put_u8(&p, 91);
	buf_put_u32(&p, 0);
	buf_put_u32(&p, 5);
	buf_put_u32(&p, 1000);
	buf_put_u32(&p, 32768);
	testsrv_send(&s, &p);
	testsrv_pump(&s);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 98 &&
	      memmem(buf_ptr(&p), buf_len(&p), "echo hi", 7) != NULL);
	buf_reset(&p);
	buf_put_u8(&p, 99);
	buf_put_u32(&p, 0);
	testsrv_send(&s, &p);
	CHECK(testsrv_next_event(c, SSH_EV_SESSION_READY, &ev));
	/* stdin is limited by the server's window of 1000 bytes */
	CHECK_EQ_INT(ssh_conn_stdin_room(c), 1000);
	CHECK_EQ_INT(ssh_conn_stdin_write(c, (const uint8_t *)"abc", 3), 0);
	CHECK_EQ_INT(ssh_conn_stdin_room(c), 997);
	CHECK_EQ_INT(ssh_conn_stdin_eof(c), 0);
	CHECK_EQ_INT(ssh_conn_stdin_room(c), 0);
	testsrv_pump(&s);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 94 &&
	      memcmp(buf_ptr(&p) + 9, "abc", 3) == 0);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 96);
	buf_reset(&p);
	buf_put_u8(&p, 94);
	buf_put_u32(&p, 0);
	buf_put_cstring(&p, "hi\n");
	testsrv_send(&s, &p);
	buf_reset(&p);
	buf_put_u8(&p, 95);
	buf_put_u32(&p, 0);
	buf_put_u32(&p, 1);
	buf_put_cstring(&p, "err\n");
	testsrv_send(&s, &p);
	out = ssh_conn_channel_peek(c, 0, &outlen);
	CHECK(outlen == 3 && memcmp(out, "hi\n", 3) == 0);
	(void)ssh_conn_channel_peek(c, 1, &outlen);
	CHECK(outlen == 4);
	buf_reset(&p);
	buf_put_u8(&p, 98);
	buf_put_u32(&p, 0);
	buf_put_cstring(&p, "exit-status");
	buf_put_u8(&p, 0);
	buf_put_u32(&p, 7);
	testsrv_send(&s, &p);
	buf_reset(&p);
	buf_put_u8(&p, 97);
	buf_put_u32(&p, 0);
	testsrv_send(&s, &p);
	CHECK(testsrv_next_event(c, SSH_EV_EXIT, &ev));
	if (ev.u.exit.has_status) {
		result = (int)ev.u.exit.status;
	}
	CHECK(ssh_conn_done(c));
	testsrv_pump(&s);
	CHECK((testsrv_recv(&s, &p) == 1) && buf_ptr(&p)[0] == 97); /* our close */
out:
	if (*errmsg != NULL) {
		*errmsg = strdup(*errmsg);
	}
	testsrv_free(&s);
	EVP_PKEY_free(fake_key);
	fake_key = NULL;
	buf_free(&p);
	return result;
}

/* ---- SessionType: subsystem and none ---- */

static void session_cfg(struct ssh_conn_config *cfg, enum ssh_session_kind kind, const char *cmd)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kex_algs = "curve25519-sha256";
	cfg->ciphers = "aes128-gcm@openssh.com";
	cfg->macs = "hmac-sha2-256";
	cfg->hostkey_algs = "ssh-ed25519";
	cfg->user = "tester";
	cfg->command = cmd;
	cfg->session = kind;
}

static const char *conn_err(struct ssh_conn *c)
{
	const char *m = NULL;

	(void)ssh_conn_error(c, &m);
	return m != NULL ? m : "";
}

/* key exchange, then "none" succeeds: returns 0 with AUTH_DONE seen (s must be freed) */
static int authenticated(struct testsrv *s, const struct ssh_conn_config *cfg)
{
	struct ssh_event ev;

	if (testsrv_init(s, NULL, NULL) != 0 || ssh_conn_new(cfg, &s->c) != 0 ||
	    testsrv_handshake(s, 0) != 0) {
		return -1;
	}
	buf_reset(&s->p);
	buf_put_u8(&s->p, 6);
	buf_put_cstring(&s->p, "ssh-userauth");
	testsrv_send(s, &s->p);
	if (testsrv_next_type(s) != 50) { /* USERAUTH_REQUEST "none" */
		return -1;
	}
	buf_reset(&s->p);
	buf_put_u8(&s->p, 52);
	testsrv_send(s, &s->p);
	return testsrv_next_event(s->c, SSH_EV_AUTH_DONE, &ev) ? 0 : -1;
}

/* the channel opens; returns the type of the client's next packet (its payload in s->p) */
static int open_confirmed(struct testsrv *s)
{
	struct buf p;

	if (testsrv_next_type(s) != 90) {
		return -1;
	}
	buf_init(&p);
	buf_put_u8(&p, 91);
	buf_put_u32(&p, 0);
	buf_put_u32(&p, 5);
	buf_put_u32(&p, 100000);
	buf_put_u32(&p, 32768);
	testsrv_send(s, &p);
	buf_free(&p);
	return testsrv_next_type(s);
}

/* s->p is exactly CHANNEL_REQUEST(recipient 5, type, want reply, name) */
static int is_start_request(const struct buf *p, const char *type, const char *name)
{
	struct rd rd = buf_rd(p);
	const uint8_t *v;
	size_t n;
	uint8_t t;
	uint32_t id;
	int want = 0;

	return rd_u8(&rd, &t) == 0 && t == 98 && rd_u32(&rd, &id) == 0 && id == 5 &&
	       rd_string(&rd, &v, &n) == 0 && str_eq(v, n, type) && rd_bool(&rd, &want) == 0 &&
	       want == 1 && rd_string(&rd, &v, &n) == 0 && str_eq(v, n, name) && rd_end(&rd) == 0;
}

static void srv_chan_msg(struct testsrv *s, uint8_t type, const char *data)
{
	struct buf p;

	buf_init(&p);
	buf_put_u8(&p, type);
	buf_put_u32(&p, 0);
	if (data != NULL) {
		buf_put_cstring(&p, data);
	}
	testsrv_send(s, &p);
	buf_free(&p);
}

/* -s: "subsystem" with the name, no pty; data both ways, EOF, the exit status */
static void test_subsystem(void)
{
	struct ssh_conn_config cfg;
	struct testsrv s;
	struct ssh_event ev;
	struct buf p;
	const uint8_t *out;
	size_t n;

	session_cfg(&cfg, SSH_SESSION_SUBSYSTEM, "sftp");
	buf_init(&p);
	CHECK_EQ_INT(authenticated(&s, &cfg), 0);
	CHECK_EQ_INT(open_confirmed(&s), 98);
	CHECK(is_start_request(&s.p, "subsystem", "sftp"));
	srv_chan_msg(&s, 99, NULL);
	CHECK(testsrv_next_event(s.c, SSH_EV_SESSION_READY, &ev));
	CHECK_EQ_INT(ssh_conn_stdin_write(s.c, (const uint8_t *)"\0\0\0\5\1", 5), 0);
	CHECK_EQ_INT(ssh_conn_stdin_eof(s.c), 0);
	CHECK_EQ_INT(testsrv_next_type(&s), 94);
	CHECK(buf_len(&s.p) == 14 && memcmp(buf_ptr(&s.p) + 9, "\0\0\0\5\1", 5) == 0);
	CHECK_EQ_INT(testsrv_next_type(&s), 96);
	srv_chan_msg(&s, 94, "\2reply");
	out = ssh_conn_channel_peek(s.c, 0, &n);
	CHECK(n == 6 && memcmp(out, "\2reply", 6) == 0);
	buf_put_u8(&p, 98);
	buf_put_u32(&p, 0);
	buf_put_cstring(&p, "exit-status");
	buf_put_u8(&p, 0);
	buf_put_u32(&p, 0);
	testsrv_send(&s, &p);
	srv_chan_msg(&s, 96, NULL);
	srv_chan_msg(&s, 97, NULL);
	CHECK(testsrv_next_event(s.c, SSH_EV_EXIT, &ev) && ev.u.exit.has_status &&
	      ev.u.exit.status == 0);
	CHECK_STR(conn_err(s.c), "");
	testsrv_free(&s);
	buf_free(&p);
}

/* a refused subsystem names it; a refused command keeps its own line */
static void test_subsystem_refused(void)
{
	static const struct {
		enum ssh_session_kind kind;
		const char *cmd, *type, *err;
	} cases[] = {
	    {SSH_SESSION_SUBSYSTEM, "no such thing", "subsystem",
	        "channel: the server refused subsystem 'no such thing'"},
	    {SSH_SESSION_DEFAULT, "echo hi", "exec",
	        "channel: the server refused to run the command"},
	    {SSH_SESSION_DEFAULT, NULL, "shell", "channel: the server refused to run a shell"},
	};
	struct ssh_conn_config cfg;
	struct testsrv s;
	struct rd rd;
	const uint8_t *v;
	size_t i, n;
	uint8_t t;
	uint32_t id;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		session_cfg(&cfg, cases[i].kind, cases[i].cmd);
		CHECK_EQ_INT(authenticated(&s, &cfg), 0);
		CHECK_EQ_INT(open_confirmed(&s), 98);
		rd = buf_rd(&s.p);
		CHECK_MSG(rd_u8(&rd, &t) == 0 && rd_u32(&rd, &id) == 0 &&
		              rd_string(&rd, &v, &n) == 0 && str_eq(v, n, cases[i].type),
		    "case %zu", i);
		srv_chan_msg(&s, 100, NULL);
		CHECK_MSG(
		    strcmp(conn_err(s.c), cases[i].err) == 0, "case %zu: '%s'", i, conn_err(s.c));
		testsrv_free(&s);
	}
	/* the engine refuses a subsystem without a name (the program checks first) */
	session_cfg(&cfg, SSH_SESSION_SUBSYSTEM, "");
	s.c = NULL;
	CHECK(ssh_conn_new(&cfg, &s.c) < 0 && s.c == NULL);
	session_cfg(&cfg, SSH_SESSION_SUBSYSTEM, NULL);
	CHECK(ssh_conn_new(&cfg, &s.c) < 0 && s.c == NULL);
}

/* -N: no channel after authentication (even with a command), SESSION_READY at once; keepalives
 * and a rekey work; stdin has no room; the server closing the connection is an error */
static void test_session_none(void)
{
	struct ssh_conn_config cfg;
	struct testsrv s;
	struct ssh_event ev;
	size_t n = 1;

	session_cfg(&cfg, SSH_SESSION_NONE, "echo ignored");
	CHECK_EQ_INT(authenticated(&s, &cfg), 0);
	CHECK(testsrv_next_event(s.c, SSH_EV_SESSION_READY, &ev));
	(void)ssh_conn_send_ptr(s.c, &n);
	CHECK_EQ_INT(n, 0); /* no CHANNEL_OPEN */
	CHECK_EQ_INT(ssh_conn_stdin_room(s.c), 0);
	CHECK_EQ_INT(ssh_conn_stdin_eof(s.c), 0);
	CHECK_EQ_INT(ssh_conn_window_change(s.c, 80, 24), 0);
	(void)ssh_conn_send_ptr(s.c, &n);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(ssh_conn_keepalive(s.c), 1);
	CHECK_EQ_INT(testsrv_next_type(&s), 80);
	CHECK_EQ_INT(testsrv_rekey(&s, 0), 0);
	CHECK_EQ_INT(ssh_conn_keepalive(s.c), 2); /* still talking under the new keys */
	CHECK_EQ_INT(testsrv_next_type(&s), 80);
	CHECK(!ssh_conn_done(s.c));
	CHECK_STR(conn_err(s.c), "");
	CHECK(ssh_conn_recv_eof(s.c) < 0);
	CHECK_STR(conn_err(s.c), "connect: connection closed by the server");
	testsrv_free(&s);
}

/* CHANNEL_OPEN "session" in s->p: the window and largest packet it grants */
static int open_grants(const struct buf *p, uint32_t *win, uint32_t *maxpkt)
{
	struct rd rd = buf_rd(p);
	const uint8_t *v;
	size_t n;
	uint8_t t;
	uint32_t id;

	return rd_u8(&rd, &t) == 0 && t == 90 && rd_string(&rd, &v, &n) == 0 &&
	               str_eq(v, n, "session") && rd_u32(&rd, &id) == 0 && rd_u32(&rd, win) == 0 &&
	               rd_u32(&rd, maxpkt) == 0 && rd_end(&rd) == 0
	           ? 0
	           : -1;
}

/* the session window and largest packet a caller sets, kept in bounds (0 = 8 MiB, 128 KiB) */
static void test_window(void)
{
	static const struct {
		uint32_t win, pkt, want_win, want_pkt;
	} cases[] = {
	    {0, 0, 8u << 20, 128u << 10},
	    {128u << 10, 16u << 10, 128u << 10, 16u << 10},
	    {1000, 0, 32u << 10, 32u << 10},
	    {64u << 20, 1u << 20, 8u << 20, 128u << 10},
	};
	struct ssh_conn_config cfg;
	struct testsrv s;
	uint32_t win = 0, pkt = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		session_cfg(&cfg, SSH_SESSION_DEFAULT, "true");
		cfg.chan_window = cases[i].win;
		cfg.chan_max_packet = cases[i].pkt;
		CHECK_EQ_INT(authenticated(&s, &cfg), 0);
		CHECK_EQ_INT(testsrv_next_type(&s), 90);
		CHECK_EQ_INT(open_grants(&s.p, &win, &pkt), 0);
		CHECK_MSG(win == cases[i].want_win && pkt == cases[i].want_pkt,
		    "case %zu: window %u, packet %u", i, win, pkt);
		testsrv_free(&s);
	}
}

/* pty-req asks for a reply, answered before the shell's: granted, refused (the session goes
 * on), refused with tty_required (the session fails, the shell is never ready) */
static void test_pty_reply(void)
{
	static const struct {
		int required;
		uint8_t reply;
		const char *err;
	} cases[] = {
	    {0, 99, ""},
	    {0, 100, ""},
	    {1, 99, ""},
	    {1, 100, "channel: the server refused a pty"},
	};
	struct ssh_conn_config cfg;
	struct testsrv s;
	struct ssh_event ev;
	struct rd rd;
	const uint8_t *v;
	size_t n;
	uint8_t t;
	uint32_t id;
	int want = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		session_cfg(&cfg, SSH_SESSION_DEFAULT, NULL);
		cfg.want_tty = 1;
		cfg.tty_required = cases[i].required;
		cfg.term = "vt100";
		cfg.cols = 80;
		cfg.rows = 24;
		CHECK_EQ_INT(authenticated(&s, &cfg), 0);
		CHECK_EQ_INT(open_confirmed(&s), 98);
		rd = buf_rd(&s.p);
		CHECK_MSG(rd_u8(&rd, &t) == 0 && rd_u32(&rd, &id) == 0 &&
		              rd_string(&rd, &v, &n) == 0 && str_eq(v, n, "pty-req") &&
		              rd_bool(&rd, &want) == 0 && want == 1,
		    "case %zu: pty-req with want reply", i);
		CHECK_EQ_INT(testsrv_next_type(&s), 98);
		rd = buf_rd(&s.p);
		CHECK_MSG(rd_u8(&rd, &t) == 0 && rd_u32(&rd, &id) == 0 &&
		              rd_string(&rd, &v, &n) == 0 && str_eq(v, n, "shell") &&
		              rd_bool(&rd, &want) == 0 && want == 1 && rd_end(&rd) == 0,
		    "case %zu: then the shell", i);
		srv_chan_msg(&s, cases[i].reply, NULL);
		if (cases[i].err[0] == '\0') {
			srv_chan_msg(&s, 99, NULL);
			CHECK_MSG(
			    testsrv_next_event(s.c, SSH_EV_SESSION_READY, &ev), "case %zu", i);
		}
		CHECK_MSG(
		    strcmp(conn_err(s.c), cases[i].err) == 0, "case %zu: '%s'", i, conn_err(s.c));
		testsrv_free(&s);
	}
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
	test_subsystem();
	test_subsystem_refused();
	test_session_none();
	test_window();
	test_pty_reply();
	T_DONE();
}
