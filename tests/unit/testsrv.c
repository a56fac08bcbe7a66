/* An in-memory SSH server over the engine's primitives; see testsrv.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "cipher.h"
#include "conn.h"
#include "err.h"
#include "sshkey.h"
#include "kexalg.h"
#include "packet.h"
#include "testsrv.h"

#define SRV_KEX     "curve25519-sha256"
#define SRV_HOSTKEY "ssh-ed25519"
#define SRV_CIPHER  "aes128-gcm@openssh.com"

int testsrv_init(struct testsrv *s, EVP_PKEY *hostkey, const char *v_s)
{
	memset(s, 0, sizeof(*s));
	s->v_s = v_s != NULL ? v_s : TESTSRV_VERSION;
	pkt_dir_init(&s->rx);
	pkt_dir_init(&s->tx);
	buf_init(&s->in);
	buf_init(&s->i_c);
	buf_init(&s->i_s);
	buf_init_secret(&s->shared);
	buf_init(&s->hostkey_blob);
	buf_init(&s->p);
	s->kalg = kex_alg_by_name(SRV_KEX);
	s->hk_name = SRV_HOSTKEY;
	if (hostkey != NULL) {
		if (EVP_PKEY_up_ref(hostkey) != 1) {
			return -1;
		}
		s->hostkey = hostkey;
	} else {
		s->hostkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
	if (s->kalg == NULL || s->hostkey == NULL ||
	    sshkey_to_blob(s->hostkey, hostkey_alg_by_name(SRV_HOSTKEY), &s->hostkey_blob) != 0) {
		return -1;
	}
	return 0;
}

void testsrv_free(struct testsrv *s)
{
	ssh_conn_free(s->c);
	s->c = NULL;
	EVP_PKEY_free(s->hostkey);
	s->hostkey = NULL;
	pkt_dir_free(&s->rx);
	pkt_dir_free(&s->tx);
	buf_free(&s->in);
	buf_free(&s->i_c);
	buf_free(&s->i_s);
	buf_free(&s->shared);
	buf_free(&s->hostkey_blob);
	buf_free(&s->p);
	if (s->chans != NULL) {
		size_t i;
		for (i = 0; i < TESTSRV_MAX_CHANS; i++) {
			buf_free(&s->chans[i].pending);
			buf_free(&s->chans[i].got);
		}
		free(s->chans);
		s->chans = NULL;
	}
	OPENSSL_cleanse(s->h, sizeof(s->h));
}

EVP_PKEY *testsrv_ed25519(const uint8_t seed[32])
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
}

int testsrv_set_hostkey(
    struct testsrv *s, EVP_PKEY *key, const char *hk_name, const uint8_t *ks, size_t kslen)
{
	const struct hostkey_alg *ha = hostkey_alg_by_name(hk_name != NULL ? hk_name : s->hk_name);

	if (ha == NULL) {
		return -1;
	}
	if (key != NULL) {
		if (EVP_PKEY_up_ref(key) != 1) {
			return -1;
		}
		EVP_PKEY_free(s->hostkey);
		s->hostkey = key;
	}
	s->hk_name = ha->name;
	buf_reset(&s->hostkey_blob);
	if (ks != NULL) {
		return buf_put(&s->hostkey_blob, ks, kslen) == 0 ? 0 : -1;
	}
	return sshkey_to_blob(s->hostkey, ha, &s->hostkey_blob) == 0 ? 0 : -1;
}

static void kexinit_for(const char *kex_name, const char *hk_name, struct buf *p)
{
	static const uint8_t cookie[16] = {1};
	char kex[128];
	const char *const lists[10] = {kex, hk_name, SRV_CIPHER, SRV_CIPHER, "hmac-sha2-256",
	    "hmac-sha2-256", "none", "none", "", ""};
	size_t i;

	snprintf(kex, sizeof(kex), "%s,kex-strict-s-v00@openssh.com", kex_name);
	buf_reset(p);
	buf_put_u8(p, 20);
	buf_put(p, cookie, sizeof(cookie));
	for (i = 0; i < 10; i++) {
		buf_put_cstring(p, lists[i]);
	}
	buf_put_u8(p, 0);
	buf_put_u32(p, 0);
}

void testsrv_kexinit_payload(struct buf *p)
{
	kexinit_for(SRV_KEX, SRV_HOSTKEY, p);
}

void testsrv_kexinit_offer(const struct testsrv *s, struct buf *p)
{
	kexinit_for(s->kalg->name, s->hk_name, p);
}

int testsrv_set_kex(struct testsrv *s, const char *name)
{
	const struct kex_alg *a = kex_alg_by_name(name);

	if (a == NULL) {
		return -1;
	}
	s->kalg = a;
	return 0;
}

/*
 * The server's half of a hybrid: Q_C = KEM public key || X25519 key; encapsulate to the first,
 * X25519 with the second; S_REPLY = ciphertext || our X25519 key into q_s, K = HASH(K_pq || K_cl)
 * as a string into shared. Returns 0 or -1.
 */
static int hybrid_answer(
    const struct kex_alg *a, const uint8_t *qc, size_t qclen, struct buf *q_s, struct buf *shared)
{
	const struct kex_kem *kem = a->kem;
	EVP_PKEY *ours = NULL, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t sec[64 + 32], k[EVP_MAX_MD_SIZE], xpub[32];
	size_t klen = 0, xlen = sizeof(xpub), slen = 32;
	uint8_t *ct = NULL;
	int r = -1;

	if (kem == NULL || kem->ss_len > 64 || qclen != kem->pk_len + 32 ||
	    buf_reserve(q_s, kem->ct_len, &ct) != 0 || kem->encaps(qc, ct, sec) != 0) {
		goto out;
	}
	if ((ours = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL ||
	    !EVP_PKEY_get_raw_public_key(ours, xpub, &xlen) ||
	    (peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, qc + kem->pk_len, 32)) ==
	        NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, sec + kem->ss_len, &slen) <= 0 || slen != 32) {
		goto out;
	}
	if (!EVP_Q_digest(NULL, a->digest, NULL, sec, kem->ss_len + 32, k, &klen) ||
	    buf_put(q_s, xpub, xlen) != 0 || buf_put_string(shared, k, klen) != 0) {
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(sec, sizeof(sec));
	OPENSSL_cleanse(k, sizeof(k));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(ours);
	EVP_PKEY_free(peer);
	return r;
}

int testsrv_seal(struct testsrv *s, const uint8_t *payload, size_t len, struct buf *wire)
{
	return pkt_seal(&s->tx, payload, len, wire) == 0 ? 0 : -1;
}

int testsrv_send_flags(struct testsrv *s, const struct buf *payload, int flags)
{
	struct buf wire;
	int r = -1;

	buf_init(&wire);
	if (testsrv_seal(s, buf_ptr(payload), buf_len(payload), &wire) != 0) {
		goto out;
	}
	if (flags & TESTSRV_CORRUPT_MAC) {
		buf_ptr(&wire)[buf_len(&wire) - 1] ^= 1;
	}
	(void)ssh_conn_recv(s->c, buf_ptr(&wire), buf_len(&wire));
	r = 0;
out:
	buf_free(&wire);
	return r;
}

int testsrv_send(struct testsrv *s, const struct buf *payload)
{
	return testsrv_send_flags(s, payload, 0);
}

int testsrv_send_version(struct testsrv *s)
{
	(void)ssh_conn_recv(s->c, (const uint8_t *)s->v_s, strlen(s->v_s));
	(void)ssh_conn_recv(s->c, (const uint8_t *)"\r\n", 2);
	return 0;
}

void testsrv_pump(struct testsrv *s)
{
	size_t n = 0, l;
	const uint8_t *p = ssh_conn_send_ptr(s->c, &n);
	uint8_t *nl;

	if (n > 0) {
		buf_put(&s->in, p, n);
		ssh_conn_send_consumed(s->c, n);
	}
	if (s->have_version || buf_len(&s->in) == 0) {
		return;
	}
	nl = memchr(buf_ptr(&s->in), '\n', buf_len(&s->in));
	if (nl == NULL) {
		return;
	}
	l = (size_t)(nl - buf_ptr(&s->in));
	if (l > 0 && l - 1 < sizeof(s->v_c)) {
		memcpy(s->v_c, buf_ptr(&s->in), l - 1); /* without CR LF */
		s->v_c[l - 1] = '\0';
	}
	buf_consume(&s->in, l + 1);
	s->have_version = 1;
}

int testsrv_recv(struct testsrv *s, struct buf *out)
{
	struct rd payload;
	int r;

	buf_reset(out);
	if (!s->have_version) {
		return 0;
	}
	r = pkt_open(&s->rx, &s->in, &payload);
	if (r == SSH_ERR_AGAIN) {
		return 0;
	}
	if (r != 0) {
		return -1;
	}
	buf_put(out, payload.p, payload.len);
	return 1;
}

int testsrv_next_type(struct testsrv *s)
{
	testsrv_pump(s);
	if (testsrv_recv(s, &s->p) != 1 || buf_len(&s->p) == 0) {
		return -1;
	}
	return buf_ptr(&s->p)[0];
}

/* dir 0: client->server (we receive; letters A and C); dir 1: server->client (B and D) */
static int install(struct testsrv *s, int dir)
{
	const struct cipher_alg *ca = cipher_alg_by_name(SRV_CIPHER);
	struct pkt_dir *d = dir == 0 ? &s->rx : &s->tx;
	uint8_t key[64], iv[64];
	int r = -1;

	if (ca == NULL ||
	    kex_derive_key(s->kalg, &s->shared, s->h, s->hlen, (char)('A' + dir), s->sid, s->sidlen,
	        iv, ca->iv_len) != 0 ||
	    kex_derive_key(s->kalg, &s->shared, s->h, s->hlen, (char)('C' + dir), s->sid, s->sidlen,
	        key, ca->key_len) != 0 ||
	    pkt_dir_set_keys(d, ca, NULL, dir == 1, key, iv, NULL) != 0) {
		goto out;
	}
	d->seqnr = 0; /* strict kex */
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	return r;
}

int testsrv_install_rx(struct testsrv *s)
{
	return install(s, 0);
}

int testsrv_kex_answer(struct testsrv *s, int flags)
{
	const struct hostkey_alg *ha = hostkey_alg_by_name(s->hk_name);
	struct kex_state *st = NULL;
	struct buf pk, sig, h, reply;
	const uint8_t *qc = NULL;
	size_t qclen = 0, i;
	struct rd rd = buf_rd(&s->p);
	uint8_t t = 0;
	int r = -1;

	buf_init(&pk);
	buf_init(&sig);
	buf_init_secret(&h);
	buf_init(&reply);
	if (ha == NULL || rd_u8(&rd, &t) != 0 || t != 30 || rd_string(&rd, &qc, &qclen) != 0 ||
	    rd_end(&rd) != 0) {
		goto out;
	}
	buf_reset(&s->shared);
	if (s->kalg->kind == KEX_KEM_HYBRID) {
		if (hybrid_answer(s->kalg, qc, qclen, &pk, &s->shared) != 0) {
			goto out;
		}
	} else if (kex_state_new(s->kalg, NULL, NULL, &st, &pk) != 0 ||
	           kex_derive_shared(st, qc, qclen, &s->shared) != 0) {
		goto out;
	}
	if ((flags & TESTSRV_SHORT_QS) && buf_len(&pk) > 0) {
		buf_rollback(&pk, buf_len(&pk) - 1); /* one byte short on the wire */
	}
	buf_put_cstring(&h, s->v_c);
	buf_put_cstring(&h, s->v_s);
	buf_put_buf(&h, &s->i_c);
	buf_put_buf(&h, &s->i_s);
	buf_put_buf(&h, &s->hostkey_blob);
	kex_put_pub(s->kalg, &h, qc, qclen);
	kex_put_pub(s->kalg, &h, buf_ptr(&pk), buf_len(&pk));
	buf_put(&h, buf_ptr(&s->shared), buf_len(&s->shared));
	if (kex_hash(s->kalg, buf_ptr(&h), buf_len(&h), s->h, &s->hlen) != 0) {
		goto out;
	}
	if (s->sidlen == 0) {
		memcpy(s->sid, s->h, s->hlen);
		s->sidlen = s->hlen;
	}
	if (sshsig_sign(ha, s->hostkey, s->h, s->hlen, &sig) != 0) {
		goto out;
	}
	if (flags & TESTSRV_FORGE_SIG) {
		buf_ptr(&sig)[buf_len(&sig) - 3] ^= 0x10;
	}
	buf_put_u8(&reply, 31);
	buf_put_buf(&reply, &s->hostkey_blob);
	buf_put_buf(&reply, &pk);
	buf_put_buf(&reply, &sig);
	for (i = 0; i < s->reply_xor_len && i + 1 < buf_len(&reply); i++) {
		buf_ptr(&reply)[i + 1] ^= s->reply_xor[i];
	}
	if (s->reply_cut > 0 && s->reply_cut + 1 < buf_len(&reply)) {
		buf_rollback(&reply, s->reply_cut + 1);
	}
	if (testsrv_send(s, &reply) != 0) {
		goto out;
	}
	buf_reset(&reply);
	buf_put_u8(&reply, 21);
	if (testsrv_send(s, &reply) != 0 || install(s, 1) != 0) {
		goto out;
	}
	r = 0;
out:
	kex_state_free(st);
	buf_free(&pk);
	buf_free(&sig);
	buf_free(&h);
	buf_free(&reply);
	return r;
}

int testsrv_kex_reply(struct testsrv *s, int flags)
{
	if (testsrv_next_type(s) != 30) {
		return -1;
	}
	return testsrv_kex_answer(s, flags);
}

int testsrv_newkeys(struct testsrv *s)
{
	if (testsrv_next_type(s) != 21) {
		return -1;
	}
	return install(s, 0);
}

int testsrv_rekey(struct testsrv *s, int sent_kexinit)
{
	int t;

	if (!sent_kexinit) {
		testsrv_kexinit_offer(s, &s->i_s);
		if (testsrv_send(s, &s->i_s) != 0) {
			return -1;
		}
	}
	/* packets the client sent before its KEXINIT are skipped */
	while ((t = testsrv_next_type(s)) != 20) {
		if (t < 0) {
			return -1;
		}
	}
	buf_reset(&s->i_c);
	buf_put(&s->i_c, buf_ptr(&s->p), buf_len(&s->p));
	if (testsrv_kex_reply(s, 0) != 0) {
		return -1;
	}
	return testsrv_newkeys(s);
}

int testsrv_next_event(struct ssh_conn *c, enum ssh_event_type want, struct ssh_event *ev)
{
	while (ssh_conn_next_event(c, ev)) {
		if (ev->type == want) {
			return 1;
		}
	}
	return 0;
}

int testsrv_handshake(struct testsrv *s, int flags)
{
	return testsrv_handshake_view(s, flags, NULL);
}

int testsrv_handshake_view(struct testsrv *s, int flags, struct ssh_hostkey_view *hk)
{
	struct ssh_event ev;

	if (s->c == NULL || testsrv_send_version(s) != 0) {
		return -1;
	}
	testsrv_kexinit_offer(s, &s->i_s);
	if (testsrv_send(s, &s->i_s) != 0 || testsrv_next_type(s) != 20) {
		return -1;
	}
	buf_reset(&s->i_c);
	buf_put(&s->i_c, buf_ptr(&s->p), buf_len(&s->p));
	if (testsrv_kex_reply(s, flags) != 0 || (flags & TESTSRV_FORGE_SIG)) {
		return -1;
	}
	if (!testsrv_next_event(s->c, SSH_EV_HOSTKEY, &ev)) {
		return -1;
	}
	if (hk != NULL) {
		*hk = ev.u.hostkey;
	}
	if (ssh_conn_answer_hostkey(s->c, 1) != 0 || testsrv_newkeys(s) != 0) {
		return -1;
	}
	return testsrv_next_type(s) == 5 ? 0 : -1;
}

/* ---- channels ---- */

struct testsrv_chan *testsrv_chan(struct testsrv *s, uint32_t sid)
{
	size_t i;

	if (s->chans == NULL) {
		if ((s->chans = calloc(TESTSRV_MAX_CHANS, sizeof(*s->chans))) == NULL) {
			return NULL;
		}
		for (i = 0; i < TESTSRV_MAX_CHANS; i++) {
			buf_init(&s->chans[i].pending);
			buf_init(&s->chans[i].got);
		}
		s->next_port = TESTSRV_ALLOC_PORT;
	}
	return sid < TESTSRV_MAX_CHANS ? &s->chans[sid] : NULL;
}

/* a fresh slot from TESTSRV_CHAN_BASE up (a slot closed both ways is free again) */
static int chan_new(struct testsrv *s, uint32_t *sid)
{
	struct testsrv_chan *ch;
	uint32_t i;

	if (testsrv_chan(s, 0) == NULL) {
		return -1;
	}
	for (i = TESTSRV_CHAN_BASE; i < TESTSRV_MAX_CHANS; i++) {
		ch = &s->chans[i];
		if (!ch->used || (ch->close_got && ch->close_sent)) {
			buf_reset(&ch->pending);
			buf_reset(&ch->got);
			memset(ch, 0, offsetof(struct testsrv_chan, pending));
			ch->ngot = 0;
			ch->used = 1;
			*sid = i;
			return 0;
		}
	}
	return -1;
}

static int send_u32s(struct testsrv *s, uint8_t type, const uint32_t *v, size_t n)
{
	struct buf b;
	size_t i;
	int r;

	buf_init(&b);
	buf_put_u8(&b, type);
	for (i = 0; i < n; i++) {
		buf_put_u32(&b, v[i]);
	}
	r = testsrv_send(s, &b);
	buf_free(&b);
	return r;
}

/* what the client's window and maximum packet let out of pending; EOF and CLOSE after an echo
 * channel's last byte once the client sent EOF */
static int chan_flush(struct testsrv *s, struct testsrv_chan *ch)
{
	struct buf b;
	size_t n;
	int r = 0;

	buf_init(&b);
	while (r == 0 && ch->open && !ch->close_sent && buf_len(&ch->pending) > 0 && ch->cwin > 0) {
		n = buf_len(&ch->pending);
		n = n > ch->cwin ? (size_t)ch->cwin : n;
		n = n > ch->cmax ? ch->cmax : n;
		n = n > 32768 ? 32768 : n;
		buf_reset(&b);
		buf_put_u8(&b, 94);
		buf_put_u32(&b, ch->cid);
		buf_put_string(&b, buf_ptr(&ch->pending), n);
		r = testsrv_send(s, &b);
		buf_consume(&ch->pending, n);
		ch->cwin -= n;
	}
	buf_free(&b);
	if (r == 0 && ch->echo && ch->eof_got && !ch->close_sent && buf_len(&ch->pending) == 0) {
		ch->close_sent = 1;
		if (send_u32s(s, 96, &ch->cid, 1) != 0 || send_u32s(s, 97, &ch->cid, 1) != 0) {
			r = -1;
		}
	}
	return r;
}

int testsrv_chan_bind(
    struct testsrv *s, uint32_t sid, uint32_t cid, uint64_t cwin, uint32_t cmax, int echo)
{
	struct testsrv_chan *ch = testsrv_chan(s, sid);

	if (ch == NULL) {
		return -1;
	}
	ch->used = ch->open = 1;
	ch->echo = echo;
	ch->cid = cid;
	ch->cwin = cwin;
	ch->cmax = cmax;
	return 0;
}

int testsrv_chan_send(struct testsrv *s, uint32_t sid, const uint8_t *d, size_t n)
{
	struct testsrv_chan *ch = testsrv_chan(s, sid);

	if (ch == NULL || buf_put(&ch->pending, d, n) != 0) {
		return -1;
	}
	return chan_flush(s, ch);
}

int testsrv_open_forwarded(struct testsrv *s, const char *addr, uint32_t port, const char *orig,
    uint32_t oport, uint32_t *sid)
{
	struct buf b;
	int r;

	if (chan_new(s, sid) != 0) {
		return -1;
	}
	s->chans[*sid].echo = 1;
	buf_init(&b);
	buf_put_u8(&b, 90);
	buf_put_cstring(&b, "forwarded-tcpip");
	buf_put_u32(&b, *sid);
	buf_put_u32(&b, TESTSRV_WINDOW);
	buf_put_u32(&b, 32768);
	buf_put_cstring(&b, addr);
	buf_put_u32(&b, port);
	buf_put_cstring(&b, orig);
	buf_put_u32(&b, oport);
	r = testsrv_send(s, &b);
	buf_free(&b);
	return r;
}

int testsrv_open_agent(struct testsrv *s, uint32_t *sid)
{
	struct buf b;
	int r;

	if (chan_new(s, sid) != 0) {
		return -1;
	}
	buf_init(&b);
	buf_put_u8(&b, 90);
	buf_put_cstring(&b, "auth-agent@openssh.com");
	buf_put_u32(&b, *sid);
	buf_put_u32(&b, TESTSRV_WINDOW);
	buf_put_u32(&b, 32768);
	r = testsrv_send(s, &b);
	buf_free(&b);
	return r;
}

static int serve_open(struct testsrv *s, struct rd *rd)
{
	const uint8_t *t;
	size_t tn;
	uint32_t cid, win, max, port, sid, v[4];
	struct buf b;
	int r;

	if (rd_string(rd, &t, &tn) != 0 || rd_u32(rd, &cid) != 0 || rd_u32(rd, &win) != 0 ||
	    rd_u32(rd, &max) != 0) {
		return -1;
	}
	if (!str_eq(t, tn, "direct-tcpip") || rd_skip_string(rd) != 0 || rd_u32(rd, &port) != 0 ||
	    port == TESTSRV_REFUSE_PORT || chan_new(s, &sid) != 0) {
		buf_init(&b);
		buf_put_u8(&b, 92);
		buf_put_u32(&b, cid);
		buf_put_u32(&b, 2);
		buf_put_cstring(&b, "connect failed\x1b[31m");
		buf_put_cstring(&b, "");
		r = testsrv_send(s, &b);
		buf_free(&b);
		return r;
	}
	testsrv_chan_bind(s, sid, cid, win, max, 1);
	v[0] = cid;
	v[1] = sid;
	v[2] = TESTSRV_WINDOW;
	v[3] = 32768;
	return send_u32s(s, 91, v, 4);
}

static int serve_global(struct testsrv *s, struct rd *rd)
{
	const uint8_t *t;
	size_t tn;
	int want;
	uint32_t port = 0;
	struct buf b;
	int ok = 0, r = 0;

	if (rd_string(rd, &t, &tn) != 0 || rd_bool(rd, &want) != 0) {
		return -1;
	}
	buf_init(&b);
	if (str_eq(t, tn, "tcpip-forward") || str_eq(t, tn, "cancel-tcpip-forward")) {
		if (rd_skip_string(rd) != 0 || rd_u32(rd, &port) != 0) {
			r = -1;
			goto out;
		}
		ok = port != TESTSRV_REFUSE_PORT;
	}
	buf_put_u8(&b, ok ? 81 : 82);
	if (ok && port == 0 && str_eq(t, tn, "tcpip-forward")) {
		buf_put_u32(&b, s->next_port++);
	}
	if (want) {
		ok ? s->global_ok++ : s->global_fail++;
		r = testsrv_send(s, &b);
	}
out:
	buf_free(&b);
	return r;
}

/* one channel message (the recipient is one of ours) */
static int serve_chan(struct testsrv *s, uint8_t type, struct rd *rd)
{
	struct testsrv_chan *ch;
	const uint8_t *p;
	size_t n;
	uint32_t sid, v, v2[2];

	if (rd_u32(rd, &sid) != 0 || (ch = testsrv_chan(s, sid)) == NULL || !ch->used) {
		return -1;
	}
	switch (type) {
	case 91: /* our forwarded-tcpip open confirmed */
		if (rd_u32(rd, &ch->cid) != 0 || rd_u32(rd, &v) != 0 ||
		    rd_u32(rd, &ch->cmax) != 0) {
			return -1;
		}
		ch->cwin = v;
		ch->open = 1;
		return chan_flush(s, ch);
	case 92:
		ch->refused = 1;
		ch->close_got = ch->close_sent = 1; /* the slot is free again */
		return rd_u32(rd, &ch->reason);
	case 93:
		if (rd_u32(rd, &v) != 0) {
			return -1;
		}
		ch->cwin += v;
		return chan_flush(s, ch);
	case 94:
		if (rd_string(rd, &p, &n) != 0) {
			return -1;
		}
		ch->ngot += n;
		buf_put(ch->echo ? &ch->pending : &ch->got, p, n);
		v2[0] = ch->cid;
		v2[1] = (uint32_t)n;
		if (n > 0 && !ch->close_sent && send_u32s(s, 93, v2, 2) != 0) {
			return -1;
		}
		return chan_flush(s, ch);
	case 96:
		ch->eof_got = 1;
		return chan_flush(s, ch);
	case 97:
		ch->close_got = 1;
		if (!ch->close_sent) {
			ch->close_sent = 1;
			return send_u32s(s, 97, &ch->cid, 1);
		}
		return 0;
	default:
		return 0;
	}
}

int testsrv_serve(struct testsrv *s)
{
	struct buf pkt;
	struct rd rd;
	uint8_t type;
	int n = 0, r = 0;

	if (testsrv_chan(s, 0) == NULL) {
		return -1;
	}
	buf_init(&pkt);
	testsrv_pump(s);
	while (r == 0 && testsrv_recv(s, &pkt) == 1) {
		rd = buf_rd(&pkt);
		if (rd_u8(&rd, &type) != 0 || type == 20) {
			r = -1;
			break;
		}
		n++;
		if (type == 80) {
			r = serve_global(s, &rd);
		} else if (type == 90) {
			r = serve_open(s, &rd);
		} else if (type >= 91 && type <= 100) {
			r = serve_chan(s, type, &rd);
		}
		testsrv_pump(s); /* answers may have made the client say more */
	}
	buf_free(&pkt);
	return r == 0 ? n : -1;
}
