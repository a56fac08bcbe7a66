/* The engine driven with byte buffers: identification line, pre-banner text, bad banners,
 * KEXINIT negotiation failures, a peer closing mid-kex, and a mutation sweep over the server's
 * first flight. No network. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "err.h"
#include "packet.h"
#include "t.h"

static struct ssh_conn_config base_cfg(void)
{
	struct ssh_conn_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kex_algs = "curve25519-sha256,ecdh-sha2-nistp256";
	cfg.ciphers = "aes128-gcm@openssh.com,aes128-ctr";
	cfg.macs = "hmac-sha2-256";
	cfg.hostkey_algs = "ssh-ed25519,rsa-sha2-256";
	cfg.user = "tester";
	cfg.command = "true";
	return cfg;
}

static struct ssh_conn *new_conn(void)
{
	struct ssh_conn_config cfg = base_cfg();
	struct ssh_conn *c = NULL;

	CHECK_EQ_INT(ssh_conn_new(&cfg, &c), 0);
	return c;
}

/* a plaintext server packet carrying payload */
static void server_packet(struct buf *wire, const struct buf *payload)
{
	struct pkt_dir d;

	pkt_dir_init(&d);
	CHECK_EQ_INT(pkt_seal(&d, buf_ptr(payload), buf_len(payload), wire), 0);
	pkt_dir_free(&d);
}

/* a plaintext server KEXINIT packet with these lists (the same both ways) onto wire */
static void server_kexinit(
    struct buf *wire, const char *kex, const char *hk, const char *enc, const char *mac)
{
	const char *lists[] = {kex, hk, enc, enc, mac, mac, "none", "none", "", ""};
	uint8_t cookie[16] = {0};
	struct buf p;
	size_t i;

	buf_init(&p);
	buf_put_u8(&p, 20);
	buf_put(&p, cookie, 16);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		buf_put_cstring(&p, lists[i]);
	}
	buf_put_u8(&p, 0);
	buf_put_u32(&p, 0);
	server_packet(wire, &p);
	buf_free(&p);
}

static int feed(struct ssh_conn *c, const char *s)
{
	return ssh_conn_recv(c, (const uint8_t *)s, strlen(s));
}

static void test_identification(void)
{
	struct ssh_conn *c = new_conn();
	const uint8_t *p;
	size_t n;

	p = ssh_conn_send_ptr(c, &n);
	CHECK(n > 20);
	CHECK(memcmp(p, "SSH-2.0-x509ssh", 15) == 0);
	CHECK(memmem(p, n, "OpenSSH", 7) == NULL);
	CHECK(memmem(p, n, "\r\n", 2) != NULL);
	/* our KEXINIT follows: offers strict kex and ext-info-c */
	CHECK(memmem(p, n, "kex-strict-c-v00@openssh.com", 28) != NULL);
	CHECK(memmem(p, n, "ext-info-c", 10) != NULL);
	ssh_conn_free(c);
}

static void test_banners(void)
{
	struct ssh_conn *c;
	const char *msg = NULL;

	/* text lines before the identification line are allowed */
	c = new_conn();
	CHECK_EQ_INT(feed(c, "hello there\r\nsecond line\nSSH-2.0-Test_1.0\r\n"), 0);
	CHECK_STR(ssh_conn_server_version(c), "SSH-2.0-Test_1.0");
	ssh_conn_free(c);

	/* SSH-1.99 is SSH-2 */
	c = new_conn();
	CHECK_EQ_INT(feed(c, "SSH-1.99-Cisco-1.25\r\n"), 0);
	CHECK_STR(ssh_conn_server_version(c), "SSH-1.99-Cisco-1.25");
	ssh_conn_free(c);

	/* SSH-1.5 is refused */
	c = new_conn();
	CHECK(feed(c, "SSH-1.5-old\r\n") < 0);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strncmp(msg, "connect: ", 9) == 0 && strstr(msg, "SSH-1.5") != NULL);
	ssh_conn_free(c);

	/* garbage then close */
	c = new_conn();
	CHECK_EQ_INT(feed(c, "HTTP/1.1 400 Bad Request\r\n"), 0);
	CHECK(ssh_conn_recv_eof(c) < 0);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strstr(msg, "identification") != NULL);
	ssh_conn_free(c);

	/* a NUL before the identification line is refused */
	c = new_conn();
	CHECK(
	    ssh_conn_recv(c, (const uint8_t *)"hi\0there\r\nSSH-2.0-x\r\n", 20) == SSH_ERR_FORMAT);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strstr(msg, "NUL byte") != NULL);
	ssh_conn_free(c);

	/* control characters in the identification line (it is hashed as sent) */
	c = new_conn();
	CHECK(feed(c, "SSH-2.0-Evil\x1b[2J\r\n") == SSH_ERR_FORMAT);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strstr(msg, "control characters") != NULL);
	ssh_conn_free(c);
	/* ... while pre-banner text may hold them (shown sanitised) */
	c = new_conn();
	CHECK_EQ_INT(feed(c, "hi\x1b[2J\r\nSSH-2.0-Fine\r\n"), 0);
	ssh_conn_free(c);

	/* an endless line is capped */
	c = new_conn();
	{
		char *big = malloc(10000);
		memset(big, 'A', 9999);
		big[9999] = '\0';
		CHECK(feed(c, big) == SSH_ERR_TOO_LARGE);
		free(big);
	}
	ssh_conn_free(c);

	/* endless pre-banner lines are capped */
	c = new_conn();
	{
		int i, r = 0;
		for (i = 0; i < 10000 && r == 0; i++) {
			r = feed(c, "blah blah blah blah\r\n");
		}
		CHECK(r == SSH_ERR_TOO_LARGE);
	}
	ssh_conn_free(c);
}

static void test_no_common_cipher(void)
{
	struct ssh_conn *c = new_conn();
	struct buf wire;
	const char *msg = NULL;

	buf_init(&wire);
	buf_put(&wire, "SSH-2.0-Test\r\n", 14);
	server_kexinit(
	    &wire, "curve25519-sha256", "ssh-ed25519", "3des-cbc,aes256-cbc", "hmac-sha2-256");
	CHECK(ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire)) == SSH_ERR_NO_ALGO);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strncmp(msg, "kex: no matching cipher", 23) == 0);
	CHECK(msg != NULL && strstr(msg, "3des-cbc,aes256-cbc") != NULL);
	CHECK(msg != NULL && strstr(msg, "aes128-gcm@openssh.com,aes128-ctr") != NULL);
	CHECK(msg != NULL && strstr(msg, "-o Ciphers=+aes256-cbc") != NULL);
	ssh_conn_free(c);

	c = new_conn();
	buf_reset(&wire);
	buf_put(&wire, "SSH-2.0-Test\r\n", 14);
	server_kexinit(
	    &wire, "diffie-hellman-group1-sha1", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256");
	CHECK(ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire)) == SSH_ERR_NO_ALGO);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strstr(msg, "key exchange algorithm") != NULL);
	ssh_conn_free(c);
	buf_free(&wire);
}

static void test_close_mid_kex(void)
{
	struct ssh_conn *c = new_conn();
	struct buf wire;
	const char *msg = NULL;
	size_t n;

	buf_init(&wire);
	buf_put(&wire, "SSH-2.0-Test\r\n", 14);
	server_kexinit(&wire, "curve25519-sha256,kex-strict-s-v00@openssh.com", "ssh-ed25519",
	    "aes128-ctr", "hmac-sha2-256");
	CHECK_EQ_INT(ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire)), 0);
	/* the client answered with its ECDH init */
	ssh_conn_send_ptr(c, &n);
	CHECK(n > 0);
	CHECK(ssh_conn_recv_eof(c) < 0);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strncmp(msg, "kex: ", 5) == 0);
	ssh_conn_free(c);
	buf_free(&wire);
}

static void test_strict_kex_first_packet(void)
{
	struct ssh_conn *c = new_conn();
	struct buf wire, p;
	const char *msg = NULL;

	buf_init(&wire);
	buf_init(&p);
	buf_put(&wire, "SSH-2.0-Test\r\n", 14);
	/* an IGNORE before KEXINIT: allowed without strict kex, fatal with it (Terrapin) */
	buf_put_u8(&p, 2);
	buf_put_cstring(&p, "x");
	server_packet(&wire, &p);
	buf_reset(&p);
	server_kexinit(&wire, "curve25519-sha256,kex-strict-s-v00@openssh.com", "ssh-ed25519",
	    "aes128-ctr", "hmac-sha2-256");
	CHECK(ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire)) < 0);
	ssh_conn_error(c, &msg);
	CHECK(msg != NULL && strstr(msg, "strict") != NULL);
	ssh_conn_free(c);

	c = new_conn();
	buf_reset(&wire);
	buf_reset(&p);
	buf_put(&wire, "SSH-2.0-Test\r\n", 14);
	buf_put_u8(&p, 2);
	buf_put_cstring(&p, "x");
	server_packet(&wire, &p);
	buf_reset(&p);
	server_kexinit(&wire, "curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256");
	CHECK_EQ_INT(ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire)), 0);
	ssh_conn_free(c);
	buf_free(&wire);
	buf_free(&p);
}

/* group exchange asks for 2048 < 3072 < 8192 bits, but at most 4096 from a Cisco banner */
static uint32_t gex_max_for(const char *banner)
{
	struct ssh_conn_config cfg = base_cfg();
	struct ssh_conn *c = NULL;
	struct buf wire, p;
	struct pkt_dir rx;
	struct rd payload;
	const uint8_t *out;
	size_t n;
	uint32_t mn = 0, pref = 0, mx = 0;
	uint8_t type = 0;

	cfg.kex_algs = "diffie-hellman-group-exchange-sha256";
	CHECK_EQ_INT(ssh_conn_new(&cfg, &c), 0);
	buf_init(&wire);
	buf_init(&p);
	buf_put(&wire, banner, strlen(banner));
	server_kexinit(&wire, "diffie-hellman-group-exchange-sha256", "ssh-ed25519", "aes128-ctr",
	    "hmac-sha2-256");
	CHECK_EQ_INT(ssh_conn_recv(c, buf_ptr(&wire), buf_len(&wire)), 0);
	/* the client's output: its identification line, KEXINIT, then the GEX request */
	out = ssh_conn_send_ptr(c, &n);
	buf_reset(&wire);
	buf_put(&wire, out, n);
	{
		uint8_t *nl = memchr(buf_ptr(&wire), '\n', buf_len(&wire));
		CHECK(nl != NULL);
		buf_consume(&wire, (size_t)(nl - buf_ptr(&wire)) + 1);
	}
	pkt_dir_init(&rx);
	CHECK_EQ_INT(pkt_open(&rx, &wire, &payload), 0); /* KEXINIT */
	CHECK_EQ_INT(pkt_open(&rx, &wire, &payload), 0);
	CHECK(rd_u8(&payload, &type) == 0 && type == 34);
	CHECK(rd_u32(&payload, &mn) == 0 && rd_u32(&payload, &pref) == 0 &&
	      rd_u32(&payload, &mx) == 0);
	CHECK(mn == 2048 && pref == 3072);
	pkt_dir_free(&rx);
	buf_free(&wire);
	buf_free(&p);
	ssh_conn_free(c);
	return mx;
}

static void test_gex_sizes(void)
{
	CHECK_EQ_INT(gex_max_for("SSH-2.0-OpenSSH_9.2\r\n"), 8192);
	CHECK_EQ_INT(gex_max_for("SSH-1.99-Cisco-1.25\r\n"), 4096);
}

/* every truncation and bit flip of the server's first flight: an error or waiting, never a
 * crash, and never an event */
static void test_mutation_sweep(void)
{
	struct buf wire;
	size_t i, bit;
	int bad = 0;

	buf_init(&wire);
	buf_put(&wire, "SSH-2.0-Test\r\n", 14);
	server_kexinit(&wire, "curve25519-sha256,kex-strict-s-v00@openssh.com", "ssh-ed25519",
	    "aes128-ctr", "hmac-sha2-256");
	for (i = 0; i <= buf_len(&wire); i++) {
		struct ssh_conn *c = new_conn();
		struct ssh_event ev;
		int r = ssh_conn_recv(c, buf_ptr(&wire), i);
		if (r > 0 || ssh_conn_next_event(c, &ev) != 0) {
			bad++;
		}
		ssh_conn_free(c);
	}
	for (i = 0; i < buf_len(&wire); i++) {
		for (bit = 0; bit < 8; bit += 3) {
			struct ssh_conn *c = new_conn();
			struct ssh_event ev;
			uint8_t *copy = malloc(buf_len(&wire));
			memcpy(copy, buf_ptr(&wire), buf_len(&wire));
			copy[i] ^= (uint8_t)(1u << bit);
			(void)ssh_conn_recv(c, copy, buf_len(&wire));
			if (ssh_conn_next_event(c, &ev) != 0) {
				bad++;
			}
			free(copy);
			ssh_conn_free(c);
		}
	}
	CHECK_EQ_INT(bad, 0);
	buf_free(&wire);
}

/* The configuration's strings are the engine's own copies: required ones missing refuse the
 * connection, optional ones may be NULL, and the caller's buffers may change afterwards. */
static void test_config_strings(void)
{
	struct ssh_conn_config cfg;
	struct ssh_conn *c = NULL;
	char kex[] = "curve25519-sha256";
	const char **req[] = {&cfg.kex_algs, &cfg.ciphers, &cfg.macs, &cfg.hostkey_algs, &cfg.user};
	const uint8_t *p;
	size_t i, n;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		cfg = base_cfg();
		*req[i] = NULL;
		c = NULL;
		CHECK_EQ_INT(ssh_conn_new(&cfg, &c), SSH_ERR_INTERNAL);
		CHECK(c == NULL);
	}
	cfg = base_cfg();
	cfg.kex_algs = kex;
	cfg.pubkey_algs = NULL;
	cfg.command = NULL;
	cfg.term = NULL;
	CHECK_EQ_INT(ssh_conn_new(&cfg, &c), 0);
	memset(kex, 'x', sizeof(kex) - 1);
	p = ssh_conn_send_ptr(c, &n);
	CHECK(p != NULL && n > 0);
	CHECK(p != NULL && memmem(p, n, "curve25519-sha256", 17) != NULL);
	CHECK(p != NULL && memmem(p, n, "xxxx", 4) == NULL);
	ssh_conn_free(c);
}

int main(void)
{
	test_config_strings();
	test_identification();
	test_banners();
	test_no_common_cipher();
	test_close_mid_kex();
	test_strict_kex_first_packet();
	test_gex_sizes();
	test_mutation_sweep();
	T_DONE();
}
