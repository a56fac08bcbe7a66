/* An in-memory SSH server over the engine's primitives; see testsrv.h. */
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

static void kexinit_for(const char *hk_name, struct buf *p)
{
	static const uint8_t cookie[16] = {1};
	const char *const lists[10] = {SRV_KEX ",kex-strict-s-v00@openssh.com", hk_name, SRV_CIPHER,
	    SRV_CIPHER, "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""};
	size_t i;

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
	kexinit_for(SRV_HOSTKEY, p);
}

void testsrv_kexinit_offer(const struct testsrv *s, struct buf *p)
{
	kexinit_for(s->hk_name, p);
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
	size_t qclen = 0;
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
	if (kex_state_new(s->kalg, NULL, NULL, &st, &pk) != 0 ||
	    kex_derive_shared(st, qc, qclen, &s->shared) != 0) {
		goto out;
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
