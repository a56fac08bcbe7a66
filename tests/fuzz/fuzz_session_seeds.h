/* The seed corpus of fuzz_session.c (X509SSH_FUZZ_GEN): valid transcripts in its input format.
 * Included by fuzz_session.c once, after the harness (it uses its OP_*, SETUP and keys); not a
 * header of its own. */
#ifndef X509SSH_FUZZ_SESSION_SEEDS_H
#define X509SSH_FUZZ_SESSION_SEEDS_H

/* ---- seed corpus ---- */

struct seed {
	struct buf b; /* the input */
	struct buf p; /* the payload being built */
};

static void seed_start(struct seed *sd, uint8_t setup)
{
	buf_init(&sd->b);
	buf_init(&sd->p);
	buf_put_u8(&sd->b, setup);
}

/* the payload built in sd->p as one OP_PAYLOAD record */
static void rec(struct seed *sd)
{
	buf_put_u8(&sd->b, OP_PAYLOAD);
	buf_put_u8(&sd->b, (uint8_t)(buf_len(&sd->p) >> 8));
	buf_put_u8(&sd->b, (uint8_t)buf_len(&sd->p));
	buf_put(&sd->b, buf_ptr(&sd->p), buf_len(&sd->p));
	buf_reset(&sd->p);
}

static void op2(struct seed *sd, uint8_t op, int arg)
{
	buf_put_u8(&sd->b, op);
	if (arg >= 0) {
		buf_put_u8(&sd->b, (uint8_t)arg);
	}
}

static struct buf *msg(struct seed *sd, uint8_t type)
{
	buf_reset(&sd->p);
	buf_put_u8(&sd->p, type);
	return &sd->p;
}

static void service_accept(struct seed *sd)
{
	buf_put_cstring(msg(sd, 6), "ssh-userauth");
	rec(sd);
}

static void failure(struct seed *sd, const char *methods, int partial)
{
	struct buf *p = msg(sd, 51);

	buf_put_cstring(p, methods);
	buf_put_u8(p, (uint8_t)partial);
	rec(sd);
}

static void open_confirm(struct seed *sd, uint32_t window, uint32_t maxpkt)
{
	struct buf *p = msg(sd, 91);

	buf_put_u32(p, 0);
	buf_put_u32(p, 3);
	buf_put_u32(p, window);
	buf_put_u32(p, maxpkt);
	rec(sd);
}

static void chan_data(struct seed *sd, const char *text, int ext)
{
	struct buf *p = msg(sd, ext ? 95 : 94);

	buf_put_u32(p, 0);
	if (ext) {
		buf_put_u32(p, 1);
	}
	buf_put_cstring(p, text);
	rec(sd);
}

static void chan_simple(struct seed *sd, uint8_t type)
{
	buf_put_u32(msg(sd, type), 0);
	rec(sd);
}

static void exit_status(struct seed *sd, uint32_t v)
{
	struct buf *p = msg(sd, 98);

	buf_put_u32(p, 0);
	buf_put_cstring(p, "exit-status");
	buf_put_u8(p, 0);
	buf_put_u32(p, v);
	rec(sd);
}

static void session_end(struct seed *sd)
{
	chan_data(sd, "Mon Jan  1 00:00:00 UTC 2024 up 1 day\n", 0);
	chan_data(sd, "warning: on stderr\n", 1);
	exit_status(sd, 0);
	chan_simple(sd, 96);
	chan_simple(sd, 97);
}

static void info_request(struct seed *sd, int nprompts)
{
	struct buf *p = msg(sd, 60);
	int i;

	buf_put_cstring(p, "Token login");
	buf_put_cstring(p, "Enter your user name,\nthen the code on your token.");
	buf_put_cstring(p, "");
	buf_put_u32(p, (uint32_t)nprompts);
	for (i = 0; i < nprompts; i++) {
		buf_put_cstring(p, i == 0 ? "Username: " : "Code: ");
		buf_put_u8(p, i == 0);
	}
	rec(sd);
}

static int seed_write(struct seed *sd, const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	int r = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		r = fwrite(buf_ptr(&sd->b), 1, buf_len(&sd->b), f) == buf_len(&sd->b) ? 0 : -1;
		if (fclose(f) != 0) {
			r = -1;
		}
	}
	buf_free(&sd->b);
	buf_free(&sd->p);
	if (r != 0) {
		fprintf(stderr, "fuzz_session: cannot write %s\n", path);
	}
	return r;
}

static int gen_corpus(const char *dir)
{
	struct seed sd;
	struct buf *p, blob, host_blob;
	int r = 0;

	buf_init(&blob);
	buf_init(&host_blob);
	(void)sshkey_to_blob(host_key, hostkey_alg_by_name("ssh-ed25519"), &host_blob);
	(void)sshkey_to_blob(user_key, hostkey_alg_by_name("ssh-ed25519"), &blob);

	/* a normal session: password after "none" failed */
	seed_start(&sd, SETUP(PH_SERVICE, AUTH_PASSWORD, 0));
	service_accept(&sd);
	failure(&sd, "publickey,password", 0);
	msg(&sd, 52);
	rec(&sd);
	open_confirm(&sd, 1u << 20, 32768);
	chan_simple(&sd, 99);
	session_end(&sd);
	r |= seed_write(&sd, dir, "password-session");

	/* ext-info (server-sig-algs), banners, PK_OK and a signed request */
	seed_start(&sd, SETUP(PH_SERVICE, AUTH_PUBKEY, 0));
	p = msg(&sd, 7);
	buf_put_u32(p, 2);
	buf_put_cstring(p, "server-sig-algs");
	buf_put_cstring(p, "ssh-ed25519,rsa-sha2-256,rsa-sha2-512");
	buf_put_cstring(p, "publickey-hostbound@openssh.com");
	buf_put_cstring(p, "0");
	rec(&sd);
	service_accept(&sd);
	p = msg(&sd, 53);
	buf_put_cstring(p, "Authorised users only.\r\nAll access is logged.\n");
	buf_put_cstring(p, "en");
	rec(&sd);
	p = msg(&sd, 53);
	buf_put_cstring(p, "\x1b[31mred\x1b[0m banner\n");
	buf_put_cstring(p, "");
	rec(&sd);
	failure(&sd, "publickey", 0);
	p = msg(&sd, 60);
	buf_put_cstring(p, "ssh-ed25519");
	buf_put_buf(p, &blob);
	rec(&sd);
	msg(&sd, 52);
	rec(&sd);
	open_confirm(&sd, 1u << 20, 32768);
	chan_simple(&sd, 99);
	session_end(&sd);
	r |= seed_write(&sd, dir, "pubkey-pk-ok");

	/* the key is refused, then partial success and a password */
	seed_start(&sd, SETUP(PH_NONE, AUTH_PUBKEY, S_SIGN_FAILS));
	failure(&sd, "publickey", 0);
	p = msg(&sd, 60);
	buf_put_cstring(p, "ssh-ed25519");
	buf_put_buf(p, &blob);
	rec(&sd);
	failure(&sd, "publickey,password", 1);
	r |= seed_write(&sd, dir, "pubkey-sign-fails");

	/* keyboard-interactive: two prompts, then none, then success */
	seed_start(&sd, SETUP(PH_NONE, AUTH_KBDINT, S_TTY));
	failure(&sd, "keyboard-interactive", 0);
	info_request(&sd, 2);
	info_request(&sd, 0);
	msg(&sd, 52);
	rec(&sd);
	open_confirm(&sd, 65536, 16384);
	chan_simple(&sd, 99);
	session_end(&sd);
	r |= seed_write(&sd, dir, "kbdint");

	/* an open channel: global requests, debug, ignore, window adjust, exit-signal */
	seed_start(&sd, SETUP(PH_READY, AUTH_GIVE_UP, S_SHELL));
	p = msg(&sd, 80);
	buf_put_cstring(p, "keepalive@openssh.com");
	buf_put_u8(p, 1);
	rec(&sd);
	p = msg(&sd, 80);
	buf_put_cstring(p, "hostkeys-00@openssh.com");
	buf_put_u8(p, 0);
	buf_put_buf(p, &host_blob);
	rec(&sd);
	p = msg(&sd, 4);
	buf_put_u8(p, 1);
	buf_put_cstring(p, "debug text from the server");
	buf_put_cstring(p, "");
	rec(&sd);
	p = msg(&sd, 2);
	buf_put_cstring(p, "ignored");
	rec(&sd);
	p = msg(&sd, 93);
	buf_put_u32(p, 0);
	buf_put_u32(p, 4096);
	rec(&sd);
	op2(&sd, OP_CLIENT, (10 << 2) | 0); /* 10 bytes of stdin */
	op2(&sd, OP_CLIENT, 3);             /* a keepalive */
	p = msg(&sd, 81);
	rec(&sd);
	op2(&sd, OP_CLIENT, 2); /* window change */
	chan_data(&sd, "$ ", 0);
	p = msg(&sd, 98);
	buf_put_u32(p, 0);
	buf_put_cstring(p, "exit-signal");
	buf_put_u8(p, 0);
	buf_put_cstring(p, "TERM");
	buf_put_u8(p, 1);
	buf_put_cstring(p, "terminated");
	buf_put_cstring(p, "en");
	rec(&sd);
	chan_simple(&sd, 96);
	chan_simple(&sd, 97);
	r |= seed_write(&sd, dir, "global-requests-signal");

	/* rekeys: ours, the fuzzer's KEXINIT, the client's after a tick */
	seed_start(&sd, SETUP(PH_READY, AUTH_PASSWORD, S_REKEY));
	chan_data(&sd, "before the rekey\n", 0);
	op2(&sd, OP_REKEY, -1);
	chan_data(&sd, "after our rekey\n", 0);
	testsrv_kexinit_payload(&sd.p);
	rec(&sd);
	chan_data(&sd, "after the fuzzer's rekey\n", 0);
	op2(&sd, OP_TICK, 2);
	op2(&sd, OP_CLIENT, (40 << 2) | 0);
	chan_data(&sd, "after the client's rekey\n", 0);
	op2(&sd, OP_CLIENT, 1); /* stdin EOF */
	session_end(&sd);
	r |= seed_write(&sd, dir, "rekeys");

	/* the channel is refused; a split packet; the server hangs up */
	seed_start(&sd, SETUP(PH_OPEN, AUTH_PASSWORD, 0));
	p = msg(&sd, 92);
	buf_put_u32(p, 0);
	buf_put_u32(p, 1);
	buf_put_cstring(p, "administratively prohibited");
	buf_put_cstring(p, "");
	buf_put_u8(&sd.b, OP_SPLIT);
	buf_put_u8(&sd.b, (uint8_t)(buf_len(&sd.p) >> 8));
	buf_put_u8(&sd.b, (uint8_t)buf_len(&sd.p));
	buf_put(&sd.b, buf_ptr(&sd.p), buf_len(&sd.p));
	op2(&sd, OP_EOF, -1);
	r |= seed_write(&sd, dir, "open-failure");

	/* every key refused (the query, then the signed request), then the harness gives up */
	seed_start(&sd, SETUP(PH_NONE, AUTH_PUBKEY, 0));
	failure(&sd, "publickey,password", 0);
	failure(&sd, "publickey,password", 0);
	failure(&sd, "publickey", 0);
	failure(&sd, "publickey", 0);
	failure(&sd, "publickey", 0);
	r |= seed_write(&sd, dir, "pubkey-refused-give-up");

	/* nothing to try: give up at once */
	seed_start(&sd, SETUP(PH_NONE, AUTH_GIVE_UP, 0));
	failure(&sd, "gssapi-with-mic,hostbased", 0);
	r |= seed_write(&sd, dir, "give-up");

	/* a disconnect during authentication */
	seed_start(&sd, SETUP(PH_NONE, AUTH_PASSWORD, 0));
	p = msg(&sd, 1);
	buf_put_u32(p, 14);
	buf_put_cstring(p, "No more authentication methods available");
	buf_put_cstring(p, "");
	rec(&sd);
	r |= seed_write(&sd, dir, "disconnect");

	/* TCP/IP channels: tcpip-forward of port 0 granted among keepalives, the server opens a
	 * forwarded-tcpip channel on it (accepted), data both ways; a direct-tcpip open confirmed
	 * and one refused; EOF and CLOSE */
	seed_start(&sd, SETUP(PH_READY, AUTH_PASSWORD, 0));
	op2(&sd, OP_CHAN, 1); /* tcpip-forward "" 0 */
	op2(&sd, OP_CLIENT, 3);
	buf_put_u32(msg(&sd, 81), 40000);
	rec(&sd);
	msg(&sd, 82);
	rec(&sd);
	p = msg(&sd, 90);
	buf_put_cstring(p, "forwarded-tcpip");
	buf_put_u32(p, 7);
	buf_put_u32(p, 1u << 20);
	buf_put_u32(p, 32768);
	buf_put_cstring(p, "");
	buf_put_u32(p, 40000);
	buf_put_cstring(p, "192.0.2.1");
	buf_put_u32(p, 5555);
	rec(&sd);
	op2(&sd, OP_CHAN, 6); /* accepted: id 1 */
	p = msg(&sd, 94);
	buf_put_u32(p, 1);
	buf_put_cstring(p, "GET / HTTP/1.0\r\n\r\n");
	rec(&sd);
	op2(&sd, OP_CHAN, 3 | (5 << 3));
	op2(&sd, OP_CHAN, 0 | (22 << 3)); /* direct-tcpip: id 2 */
	p = msg(&sd, 91);
	buf_put_u32(p, 2);
	buf_put_u32(p, 8);
	buf_put_u32(p, 1u << 20);
	buf_put_u32(p, 32768);
	rec(&sd);
	op2(&sd, OP_CHAN, 0 | (1 << 3)); /* id 3, refused */
	p = msg(&sd, 92);
	buf_put_u32(p, 3);
	buf_put_u32(p, 2);
	buf_put_cstring(p, "connect failed");
	buf_put_cstring(p, "");
	rec(&sd);
	p = msg(&sd, 94);
	buf_put_u32(p, 2);
	buf_put_cstring(p, "SSH-2.0-OpenSSH_9.6\r\n");
	rec(&sd);
	buf_put_u32(msg(&sd, 96), 2);
	rec(&sd);
	buf_put_u32(msg(&sd, 97), 2);
	rec(&sd);
	op2(&sd, OP_CHAN, 5 | (1 << 3));
	buf_put_u32(msg(&sd, 97), 1);
	rec(&sd);
	session_end(&sd);
	r |= seed_write(&sd, dir, "tcpip-channels");

	/* agent forwarding asked (with the pty): the server opens an auth-agent@openssh.com
	 * channel (accepted), a request and an answer go through, then CLOSE; a second open is
	 * refused by the harness */
	seed_start(&sd, SETUP(PH_READY, AUTH_PASSWORD, S_TTY));
	p = msg(&sd, 90);
	buf_put_cstring(p, "auth-agent@openssh.com");
	buf_put_u32(p, 9);
	buf_put_u32(p, 1u << 20);
	buf_put_u32(p, 32768);
	rec(&sd);
	op2(&sd, OP_CHAN, 6); /* accepted: id 1 */
	p = msg(&sd, 94);
	buf_put_u32(p, 1);
	buf_put_string(p, (const uint8_t *)"\0\0\0\1\x0b", 5);
	rec(&sd);
	op2(&sd, OP_CHAN, 3 | (9 << 3));
	buf_put_u32(msg(&sd, 97), 1);
	rec(&sd);
	p = msg(&sd, 90);
	buf_put_cstring(p, "auth-agent@openssh.com");
	buf_put_u32(p, 10);
	buf_put_u32(p, 1u << 20);
	buf_put_u32(p, 32768);
	rec(&sd);
	op2(&sd, OP_CHAN, 7);
	session_end(&sd);
	r |= seed_write(&sd, dir, "agent-channel");

	buf_free(&blob);
	buf_free(&host_blob);
	return r;
}

#endif
