/*
 * Key exchange, the exchange itself (RFC 4253 7-8, RFC 5656 4, RFC 4419 3): our public value,
 * the group-exchange group, the server's reply and host-key signature over H, the host-key
 * event, key derivation and NEWKEYS. The negotiation that precedes it is kexinit.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conn_int.h"
#include "err.h"
#include "x509key.h"

#define GEX_MIN       2048
#define GEX_PREFERRED 3072
#define GEX_MAX       8192
#define GEX_MAX_CISCO 4096 /* COMPAT_GEX_MAX_4096 */

void kex_ctx_free(struct kex_ctx *k)
{
	buf_free(&k->my_kexinit);
	buf_free(&k->peer_kexinit);
	buf_free(&k->client_pub);
	buf_free(&k->hostkey_blob);
	buf_free(&k->shared);
	kex_state_free(k->st);
	k->st = NULL;
	BN_free(k->gex_p);
	BN_free(k->gex_g);
	k->gex_p = NULL;
	k->gex_g = NULL;
	OPENSSL_cleanse(k->h, sizeof(k->h));
}

static int send_kex_init(struct ssh_conn *c)
{
	struct kex_ctx *k = &c->kex;
	char why[256];
	struct buf b;
	int r;

	buf_init(&b);
	buf_reset(&k->client_pub);
	kex_state_free(k->st);
	k->st = NULL;
	if ((r = kex_state_new(k->kalg, k->gex_p, k->gex_g, &k->st, &k->client_pub)) != 0) {
		r = conn_fail(c, r, "kex: cannot make the %s key pair: %s", k->kalg->name,
		    ssh_err_why(r, why, sizeof(why)));
		goto out;
	}
	if ((r = buf_put_u8(&b, k->kalg->kind == KEX_DH_GEX ? SSH_MSG_KEX_DH_GEX_INIT
	                                                    : SSH_MSG_KEX_ECDH_INIT)) != 0) {
		goto out;
	}
	/* Q_C / e: the same encoding as in the exchange hash (string, or mpint for DH) */
	r = kex_put_pub(k->kalg, &b, buf_ptr(&k->client_pub), buf_len(&k->client_pub));
	if (r != 0 || (r = transport_send_now(c, &b)) != 0) {
		goto out;
	}
	k->phase = KP_REPLY;
out:
	buf_free(&b);
	return r;
}

static int send_gex_request(struct ssh_conn *c)
{
	struct kex_ctx *k = &c->kex;
	struct buf b;
	int r;

	k->gex_min = GEX_MIN;
	k->gex_n = GEX_PREFERRED;
	k->gex_max = GEX_MAX;
	if (c->compat & COMPAT_GEX_MAX_4096) {
		k->gex_max = GEX_MAX_CISCO;
	}
	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_KEX_DH_GEX_REQUEST)) == 0 &&
	    (r = buf_put_u32(&b, k->gex_min)) == 0 && (r = buf_put_u32(&b, k->gex_n)) == 0 &&
	    (r = buf_put_u32(&b, k->gex_max)) == 0) {
		r = transport_send_now(c, &b);
	}
	buf_free(&b);
	conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_KEX_DH_GEX_REQUEST(%u<%u<%u) sent", k->gex_min,
	    k->gex_n, k->gex_max);
	k->phase = KP_GEX_GROUP;
	return r;
}

int kex_exchange_begin(struct ssh_conn *c)
{
	return c->kex.kalg->kind == KEX_DH_GEX ? send_gex_request(c) : send_kex_init(c);
}

static int recv_gex_group(struct ssh_conn *c, struct rd *msg)
{
	struct kex_ctx *k = &c->kex;
	char why[128];
	int bits, known = 0, bad_g = 0, r;

	if ((r = rd_bignum(msg, &k->gex_p)) != 0 || (r = rd_bignum(msg, &k->gex_g)) != 0 ||
	    (r = rd_end(msg)) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "kex: malformed DH group exchange group");
	}
	bits = BN_num_bits(k->gex_p);
	if (bits < (int)k->gex_min || bits > (int)k->gex_max) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "kex: server chose a %d-bit DH group, outside "
		    "the %u..%u bits we asked for",
		    bits, k->gex_min, k->gex_max);
	}
	conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_KEX_DH_GEX_GROUP received (%d bits)", bits);
	r = kex_gex_check_safe_prime(k->gex_p, k->gex_g, &known, &bad_g, why, sizeof(why));
	if (r != 0 && bad_g) {
		return conn_fail(c, r,
		    "kex: the server's group-exchange generator is outside 2..p-2 (%d-bit group)",
		    bits);
	}
	if (r == SSH_ERR_FORMAT) {
		return conn_fail(c, r,
		    "kex: the server's %d-bit group-exchange modulus is not a safe prime (%s)",
		    bits, why);
	}
	if (r != 0) {
		return conn_fail(c, r, "kex: cannot check the server's group-exchange modulus: %s",
		    ssh_err_str(r));
	}
	conn_log(c, SSH_LOG_DEBUG1,
	    known ? "kex: group-exchange modulus is a well-known group"
	          : "kex: group-exchange modulus passed the safe-prime checks");
	return send_kex_init(c);
}

static int put_hash_prefix(struct ssh_conn *c, struct buf *h)
{
	struct kex_ctx *k = &c->kex;
	int r;

	if ((r = buf_put_cstring(h, c->client_version)) != 0 ||
	    (r = buf_put_cstring(h, c->server_version)) != 0 ||
	    (r = buf_put_buf(h, &k->my_kexinit)) != 0 ||
	    (r = buf_put_buf(h, &k->peer_kexinit)) != 0 ||
	    (r = buf_put_buf(h, &k->hostkey_blob)) != 0) {
		return r;
	}
	if (k->kalg->kind == KEX_DH_GEX) {
		if ((r = buf_put_u32(h, k->gex_min)) != 0 || (r = buf_put_u32(h, k->gex_n)) != 0 ||
		    (r = buf_put_u32(h, k->gex_max)) != 0 ||
		    (r = buf_put_bignum(h, k->gex_p)) != 0 ||
		    (r = buf_put_bignum(h, k->gex_g)) != 0) {
			return r;
		}
	}
	return 0;
}

/* verify that the server holds the host key: its signature over H */
static int verify_hostkey_sig(struct ssh_conn *c, const uint8_t *sig, size_t siglen)
{
	struct kex_ctx *k = &c->kex;
	EVP_PKEY *pk = NULL;
	char *type = NULL, why[256];
	int r;

	memset(&k->x509, 0, sizeof(k->x509));
	if (k->halg->flags & HK_FLAG_X509) {
		/* the one parse of an X.509 host key: trust and rekeys use this view */
		if ((r = x509blob_parse(k->halg, buf_ptr(&k->hostkey_blob),
		         buf_len(&k->hostkey_blob), c->cfg.x509_max_chain, &k->x509)) != 0) {
			x509blob_error_str(&k->x509, r, why, sizeof(why));
			return conn_fail(c, r, "x509: malformed %s host key from the server (%s)",
			    k->halg->name, why);
		}
		if ((r = x509blob_leaf_key(&k->x509, &pk)) != 0) {
			return conn_fail(c, r, "x509: the server's certificate does not parse (%s)",
			    ssh_err_why(r, why, sizeof(why)));
		}
		if ((type = strdup(k->halg->blob_name)) == NULL) {
			r = conn_fail(c, SSH_ERR_ALLOC, "kex: out of memory");
			goto out;
		}
	} else if ((r = sshkey_from_blob(
	                buf_ptr(&k->hostkey_blob), buf_len(&k->hostkey_blob), &pk, &type)) != 0) {
		r = conn_fail(c, r, "hostkey: malformed %s host key from the server (%s)",
		    k->halg->name, ssh_err_why(r, why, sizeof(why)));
		goto out;
	}
	if (strcmp(type, k->halg->blob_name) != 0 || !sshkey_fits_alg(pk, k->halg)) {
		r = conn_fail(c, SSH_ERR_KEY_TYPE,
		    "hostkey: server sent a %s key for host key "
		    "algorithm %s",
		    type, k->halg->name);
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	    (unsigned)EVP_PKEY_get_bits(pk) < c->cfg.rsa_min_bits) {
		r = conn_fail(c, SSH_ERR_KEY_TYPE,
		    "hostkey: the server's RSA host key has %d bits, fewer than RequiredRSASize %u",
		    EVP_PKEY_get_bits(pk), c->cfg.rsa_min_bits);
		goto out;
	}
	if ((r = sshsig_verify(k->halg, pk, sig, siglen, k->h, k->hlen)) != 0) {
		r = conn_fail(c, SSH_ERR_SIGNATURE,
		    "hostkey: the server's %s signature over the key "
		    "exchange does not verify (%s)",
		    k->halg->name, ssh_err_why(r, why, sizeof(why)));
		goto out;
	}
	conn_log(
	    c, SSH_LOG_DEBUG1, "hostkey: server proved possession of its %s key", k->halg->name);
out:
	EVP_PKEY_free(pk);
	free(type);
	return r;
}

static int derive_and_install(struct ssh_conn *c, int dir)
{
	struct kex_ctx *k = &c->kex;
	const struct cipher_alg *ca = k->cipher[dir];
	const struct mac_alg *ma = k->mac[dir];
	uint8_t key[64], iv[64], mk[64];
	char why[256];
	int r;

	/* dir 0 = client->server: IV 'A', key 'C', MAC 'E'; dir 1: 'B', 'D', 'F' */
	if (ca->key_len > sizeof(key) || ca->iv_len > sizeof(iv) ||
	    (ma != NULL && ma->key_len > sizeof(mk))) {
		return conn_fail(c, SSH_ERR_INTERNAL, "kex: key sizes too large");
	}
	if ((r = kex_derive_key(k->kalg, &k->shared, k->h, k->hlen, (char)('A' + dir),
	         c->session_id, c->sid_len, iv, ca->iv_len)) != 0 ||
	    (r = kex_derive_key(k->kalg, &k->shared, k->h, k->hlen, (char)('C' + dir),
	         c->session_id, c->sid_len, key, ca->key_len)) != 0 ||
	    (ma != NULL &&
	        (r = kex_derive_key(k->kalg, &k->shared, k->h, k->hlen, (char)('E' + dir),
	             c->session_id, c->sid_len, mk, ma->key_len)) != 0)) {
		r = conn_fail(
		    c, r, "kex: key derivation failed: %s", ssh_err_why(r, why, sizeof(why)));
		goto out;
	}
	if ((r = pkt_dir_set_keys(dir == 0 ? &c->tx : &c->rx, ca, ma, dir == 0, key, iv,
	         ma != NULL ? mk : NULL)) != 0) {
		r = conn_fail(
		    c, r, "kex: cannot set up %s: %s", ca->name, ssh_err_why(r, why, sizeof(why)));
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	OPENSSL_cleanse(mk, sizeof(mk));
	return r;
}

static int finish_if_done(struct ssh_conn *c)
{
	struct kex_ctx *k = &c->kex;
	int was_first = k->first;
	int r;

	if (!k->newkeys_sent || !k->newkeys_got) {
		return 0;
	}
	conn_log(c, SSH_LOG_DEBUG1, "key exchange done (%s)", k->kalg->name);
	k->phase = KP_IDLE;
	k->sent_kexinit = k->got_kexinit = 0;
	k->newkeys_sent = k->newkeys_got = 0;
	k->skip_guess = 0;
	k->first = 0;
	buf_reset(&k->shared);
	buf_reset(&k->client_pub);
	kex_state_free(k->st);
	k->st = NULL;
	OPENSSL_cleanse(k->h, sizeof(k->h));
	k->hlen = 0;
	BN_free(k->gex_p);
	BN_free(k->gex_g);
	k->gex_p = k->gex_g = NULL;
	c->last_kex_ms = c->now_ms;
	c->rekey_wanted = 0;
	if (was_first) {
		c->rx.initial = c->tx.initial = 0;
		c->state = ST_SERVICE;
		if ((r = userauth_start(c)) != 0) {
			return r;
		}
	}
	return 0;
}

static int send_newkeys(struct ssh_conn *c)
{
	struct kex_ctx *k = &c->kex;
	struct buf b;
	int r;

	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_NEWKEYS)) == 0) {
		r = transport_send_now(c, &b);
	}
	buf_free(&b);
	if (r != 0) {
		return r;
	}
	conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_NEWKEYS sent");
	if ((r = derive_and_install(c, 0)) != 0) {
		return r;
	}
	if (k->strict) {
		c->tx.seqnr = 0;
	}
	k->newkeys_sent = 1;
	k->phase = KP_NEWKEYS;
	if ((r = transport_flush_held(c)) != 0) {
		return r;
	}
	return finish_if_done(c);
}

/* Is K_S of a rekey (parsed into c->kex.x509) the host key trusted at first? For X.509 host
 * keys the certificates must be the same, while stapled OCSP responses may have been refreshed
 * in between. */
static int same_hostkey(struct ssh_conn *c)
{
	const struct buf *ks = &c->kex.hostkey_blob;

	if (buf_len(&c->first_hostkey) == buf_len(ks) &&
	    memcmp(buf_ptr(&c->first_hostkey), buf_ptr(ks), buf_len(ks)) == 0) {
		return 1;
	}
	/* the same algorithm too: the certificates under another X.509 name are another key blob */
	return (c->kex.halg->flags & HK_FLAG_X509) != 0 && c->first_x509.alg == c->kex.halg &&
	       x509blob_same_certs(&c->first_x509, &c->kex.x509);
}

/* The first exchange's host key: kept for rekeys (with its parsed view, moved onto the copy)
 * and raised as SSH_EV_HOSTKEY. */
static int raise_hostkey(struct ssh_conn *c)
{
	struct kex_ctx *k = &c->kex;
	struct ssh_event ev;
	int r;

	buf_reset(&c->first_hostkey);
	if ((r = buf_put(
	         &c->first_hostkey, buf_ptr(&k->hostkey_blob), buf_len(&k->hostkey_blob))) != 0) {
		return conn_fail(c, r, "kex: %s", ssh_err_str(r));
	}
	c->first_x509 = k->x509;
	x509blob_rebase(&c->first_x509, buf_ptr(&k->hostkey_blob), buf_ptr(&c->first_hostkey));
	free(c->hostkey_fp);
	c->hostkey_fp = NULL;
	if ((r = sshkey_fingerprint(
	         buf_ptr(&c->first_hostkey), buf_len(&c->first_hostkey), &c->hostkey_fp)) != 0) {
		return conn_fail(
		    c, r, "hostkey: cannot compute the fingerprint: %s", ssh_err_str(r));
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_HOSTKEY;
	ev.u.hostkey.alg = k->halg->name;
	ev.u.hostkey.blob = buf_ptr(&c->first_hostkey);
	ev.u.hostkey.len = buf_len(&c->first_hostkey);
	ev.u.hostkey.row = k->halg;
	ev.u.hostkey.x509 = (k->halg->flags & HK_FLAG_X509) ? &c->first_x509 : NULL;
	ev.u.hostkey.fingerprint = c->hostkey_fp;
	c->wait = WAIT_HOSTKEY;
	return conn_event(c, &ev, NULL, NULL);
}

static int recv_reply(struct ssh_conn *c, struct rd *msg)
{
	struct kex_ctx *k = &c->kex;
	const uint8_t *ks, *spub, *sig;
	size_t kslen, spublen, siglen;
	char why[256];
	struct buf h;
	int r;

	buf_init_secret(&h); /* the hash input ends with K */
	if ((r = rd_string(msg, &ks, &kslen)) != 0) {
		goto malformed;
	}
	r = kex_read_pub(k->kalg, msg, &spub, &spublen);
	if (r != 0 || (r = rd_string(msg, &sig, &siglen)) != 0 || (r = rd_end(msg)) != 0) {
		goto malformed;
	}
	buf_reset(&k->hostkey_blob);
	if ((r = buf_put(&k->hostkey_blob, ks, kslen)) != 0) {
		goto fail;
	}
	buf_reset(&k->shared);
	if ((r = kex_derive_shared(k->st, spub, spublen, &k->shared)) != 0) {
		r = conn_fail(c, r, "kex: the server's %s public value is %s (%s)", k->kalg->name,
		    r == SSH_ERR_FORMAT ? "invalid" : "unusable", ssh_err_why(r, why, sizeof(why)));
		goto out;
	}
	if ((r = put_hash_prefix(c, &h)) != 0 ||
	    (r = kex_put_pub(k->kalg, &h, buf_ptr(&k->client_pub), buf_len(&k->client_pub))) != 0 ||
	    (r = kex_put_pub(k->kalg, &h, spub, spublen)) != 0 ||
	    (r = buf_put(&h, buf_ptr(&k->shared), buf_len(&k->shared))) != 0 ||
	    (r = kex_hash(k->kalg, buf_ptr(&h), buf_len(&h), k->h, &k->hlen)) != 0) {
		goto fail;
	}
	if (c->sid_len == 0) {
		memcpy(c->session_id, k->h, k->hlen);
		c->sid_len = k->hlen;
	}
	if ((r = verify_hostkey_sig(c, sig, siglen)) != 0) {
		goto out;
	}
	if (!k->first) {
		/* a rekey must present the very key we trusted at first */
		if (!same_hostkey(c)) {
			r = conn_fail(c, SSH_ERR_PROTOCOL,
			    "hostkey: the server presented a different "
			    "host key during rekeying");
			goto out;
		}
		r = send_newkeys(c);
		goto out;
	}
	/* kept for the agent's session-bind@openssh.com (ssh_conn_session_bind) */
	buf_reset(&c->first_sig);
	if ((r = buf_put(&c->first_sig, sig, siglen)) != 0) {
		goto fail;
	}
	r = raise_hostkey(c);
	goto out;
malformed:
	r = conn_fail(c, SSH_ERR_FORMAT, "kex: malformed key exchange reply from the server");
	goto out;
fail:
	r = conn_fail(c, r, "kex: %s", ssh_err_why(r, why, sizeof(why)));
out:
	buf_free(&h);
	return r;
}

int kex_hostkey_answer(struct ssh_conn *c, int trusted)
{
	if (!trusted) {
		transport_disconnect(
		    c, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE, "host key not trusted");
		return conn_fail(c, SSH_ERR_SIGNATURE, "hostkey: host key not trusted");
	}
	return send_newkeys(c);
}

static int recv_newkeys(struct ssh_conn *c, struct rd *msg)
{
	struct kex_ctx *k = &c->kex;
	int r;

	if (k->phase != KP_NEWKEYS || k->hlen == 0 || rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "kex: unexpected NEWKEYS from the server");
	}
	conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_NEWKEYS received");
	if ((r = derive_and_install(c, 1)) != 0) {
		return r;
	}
	if (k->strict) {
		c->rx.seqnr = 0;
	}
	k->newkeys_got = 1;
	return finish_if_done(c);
}

int kex_handle(struct ssh_conn *c, uint8_t type, struct rd *msg)
{
	struct kex_ctx *k = &c->kex;

	if (k->skip_guess && type != SSH_MSG_KEXINIT && type != SSH_MSG_NEWKEYS) {
		k->skip_guess = 0;
		conn_log(c, SSH_LOG_DEBUG1, "dropping the server's wrong kex guess");
		return 0;
	}
	switch (type) {
	case SSH_MSG_KEXINIT:
		return kex_recv_kexinit(c, msg);
	case SSH_MSG_NEWKEYS:
		return recv_newkeys(c, msg);
	case SSH_MSG_KEX_ECDH_REPLY: /* == KEX_DH_GEX_GROUP */
		if (k->phase == KP_GEX_GROUP && k->kalg->kind == KEX_DH_GEX) {
			return recv_gex_group(c, msg);
		}
		if (k->phase == KP_REPLY && k->kalg->kind != KEX_DH_GEX) {
			return recv_reply(c, msg);
		}
		break;
	case SSH_MSG_KEX_DH_GEX_REPLY:
		if (k->phase == KP_REPLY && k->kalg->kind == KEX_DH_GEX) {
			return recv_reply(c, msg);
		}
		break;
	default:
		break;
	}
	return conn_fail(c, SSH_ERR_PROTOCOL, "kex: unexpected key exchange message %u", type);
}

int ssh_conn_session_bind(const struct ssh_conn *c, struct ssh_session_bind *out)
{
	memset(out, 0, sizeof(*out));
	if (c->err != 0 || c->sid_len == 0 || buf_len(&c->first_hostkey) == 0 ||
	    buf_len(&c->first_sig) == 0) {
		return SSH_ERR_INTERNAL;
	}
	out->hostkey_alg = c->kex.halg != NULL ? c->kex.halg->name : "";
	out->hostkey = buf_ptr(&c->first_hostkey);
	out->hostkey_len = buf_len(&c->first_hostkey);
	out->session_id = c->session_id;
	out->session_id_len = c->sid_len;
	out->sig = buf_ptr(&c->first_sig);
	out->sig_len = buf_len(&c->first_sig);
	return 0;
}
