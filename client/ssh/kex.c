/* Key exchange: KEXINIT negotiation, the exchange itself, NEWKEYS, strict kex, rekeying. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conn_int.h"
#include "err.h"
#include "x509key.h"

#define KEX_STRICT_C  "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_S  "kex-strict-s-v00@openssh.com"
#define EXT_INFO_C    "ext-info-c"
#define GEX_MIN       2048
#define GEX_PREFERRED 3072
#define GEX_MAX       8192
#define GEX_MAX_CISCO 4096

enum {
	NL_KEX = 0,
	NL_HOSTKEY,
	NL_ENC_CS,
	NL_ENC_SC,
	NL_MAC_CS,
	NL_MAC_SC,
	NL_COMP_CS,
	NL_COMP_SC,
	NL_LANG_CS,
	NL_LANG_SC,
	NL_COUNT
};

static const char *const nl_what[NL_COUNT] = {"key exchange algorithm", "host key algorithm",
    "cipher (client to server)", "cipher (server to client)", "MAC (client to server)",
    "MAC (server to client)", "compression (client to server)", "compression (server to client)",
    "language", "language"};
static const char *const nl_option[NL_COUNT] = {"KexAlgorithms", "HostKeyAlgorithms", "Ciphers",
    "Ciphers", "MACs", "MACs", NULL, NULL, NULL, NULL};

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

/* 1 if name is an element of the comma-separated list */
int namelist_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (list == NULL) {
		return 0;
	}
	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		if (l == n && memcmp(p, name, n) == 0) {
			return 1;
		}
		if (e == NULL) {
			break;
		}
		p = e + 1;
	}
	return 0;
}

/* first element of ours that theirs has; malloc'd, or NULL */
static char *namelist_match(const char *ours, const char *theirs)
{
	const char *p = ours;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		char *name = strndup(p, l);
		if (name == NULL) {
			return NULL;
		}
		if (l > 0 && namelist_has(theirs, name)) {
			return name;
		}
		free(name);
		p = e != NULL ? e + 1 : NULL;
	}
	return NULL;
}

static int put_list(struct buf *b, const char *list, const char *extra1, const char *extra2)
{
	struct buf t;
	int r;

	buf_init(&t);
	if ((r = buf_put(&t, list, strlen(list))) != 0) {
		goto out;
	}
	if (extra1 != NULL &&
	    ((r = buf_put_u8(&t, ',')) != 0 || (r = buf_put(&t, extra1, strlen(extra1))) != 0)) {
		goto out;
	}
	if (extra2 != NULL &&
	    ((r = buf_put_u8(&t, ',')) != 0 || (r = buf_put(&t, extra2, strlen(extra2))) != 0)) {
		goto out;
	}
	r = buf_put_buf(b, &t);
out:
	buf_free(&t);
	return r;
}

int kex_start(struct ssh_conn *c)
{
	struct kex_ctx *k = &c->kex;
	uint8_t cookie[16];
	char why[256];
	struct buf *b = &k->my_kexinit;
	int r;

	if (k->sent_kexinit) {
		return 0;
	}
	buf_reset(b);
	if (RAND_bytes(cookie, sizeof(cookie)) != 1) {
		return conn_fail(c, SSH_ERR_LIBCRYPTO,
		    "kex: no random bytes for the KEXINIT cookie: %s",
		    ssh_ossl_reason(why, sizeof(why)));
	}
	if ((r = buf_put_u8(b, SSH_MSG_KEXINIT)) != 0 || (r = buf_put(b, cookie, 16)) != 0 ||
	    (r = put_list(b, c->cfg.kex_algs, k->first ? EXT_INFO_C : NULL,
	         k->first ? KEX_STRICT_C : NULL)) != 0 ||
	    (r = put_list(b, c->cfg.hostkey_algs, NULL, NULL)) != 0 ||
	    (r = put_list(b, c->cfg.ciphers, NULL, NULL)) != 0 ||
	    (r = put_list(b, c->cfg.ciphers, NULL, NULL)) != 0 ||
	    (r = put_list(b, c->cfg.macs, NULL, NULL)) != 0 ||
	    (r = put_list(b, c->cfg.macs, NULL, NULL)) != 0 ||
	    (r = buf_put_cstring(b, "none")) != 0 || (r = buf_put_cstring(b, "none")) != 0 ||
	    (r = buf_put_cstring(b, "")) != 0 || (r = buf_put_cstring(b, "")) != 0 ||
	    (r = buf_put_bool(b, 0)) != 0 || (r = buf_put_u32(b, 0)) != 0) {
		return conn_fail(c, r, "kex: cannot build KEXINIT: %s", ssh_err_str(r));
	}
	k->sent_kexinit = 1;
	if (k->phase == KP_IDLE) {
		k->phase = KP_INIT;
	}
	conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_KEXINIT sent");
	if ((r = transport_send_now(c, b)) != 0) {
		return r;
	}
	return 0;
}

int kex_maybe_rekey(struct ssh_conn *c)
{
	if (c->err != 0 || c->kex.phase != KP_IDLE || c->state < ST_SERVICE ||
	    c->state == ST_DONE) {
		return c->err;
	}
	if (c->rekey_wanted || c->tx.bytes >= c->cfg.rekey_bytes ||
	    c->rx.bytes >= c->cfg.rekey_bytes || c->tx.packets >= REKEY_PACKETS_MAX ||
	    c->rx.packets >= REKEY_PACKETS_MAX) {
		conn_log(c, SSH_LOG_DEBUG1, "rekeying (%llu bytes sent, %llu received)",
		    (unsigned long long)c->tx.bytes, (unsigned long long)c->rx.bytes);
		c->rekey_wanted = 0;
		return kex_start(c);
	}
	return 0;
}

/* the helpful hint: a name the server offers that we support but have not enabled */
static const char *supported_hint(int which, const char *theirs)
{
	const char *p = theirs;
	static const char *const none = NULL;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		size_t i;
		const char *name = NULL;
		for (i = 0;; i++) {
			const char *cand = NULL;
			if (which == NL_KEX) {
				const struct kex_alg *a = kex_alg_at(i);
				cand = a ? a->name : NULL;
			} else if (which == NL_HOSTKEY) {
				const struct hostkey_alg *a = hostkey_alg_at(i);
				cand = a ? a->name : NULL;
			} else if (which == NL_ENC_CS || which == NL_ENC_SC) {
				const struct cipher_alg *a = cipher_alg_at(i);
				cand = a ? a->name : NULL;
			} else if (which == NL_MAC_CS || which == NL_MAC_SC) {
				const struct mac_alg *a = mac_alg_at(i);
				cand = a ? a->name : NULL;
			}
			if (cand == NULL) {
				break;
			}
			if (strlen(cand) == l && memcmp(cand, p, l) == 0) {
				name = cand;
				break;
			}
		}
		if (name != NULL) {
			return name;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return none;
}

static int no_match(struct ssh_conn *c, int which, const char *ours, const char *theirs)
{
	const char *hint = supported_hint(which, theirs);

	if (hint != NULL && nl_option[which] != NULL) {
		return conn_fail(c, SSH_ERR_NO_ALGO,
		    "kex: no matching %s: we offer %s; the server "
		    "offers %s; '-o %s=+%s' would enable one the server offers",
		    nl_what[which], ours, theirs, nl_option[which], hint);
	}
	return conn_fail(c, SSH_ERR_NO_ALGO,
	    "kex: no matching %s: we offer %s; the server offers %s", nl_what[which], ours,
	    theirs[0] != '\0' ? theirs : "nothing");
}

static int negotiate(struct ssh_conn *c, char *lists[NL_COUNT])
{
	struct kex_ctx *k = &c->kex;
	const char *ours[NL_COUNT] = {c->cfg.kex_algs, c->cfg.hostkey_algs, c->cfg.ciphers,
	    c->cfg.ciphers, c->cfg.macs, c->cfg.macs, "none", "none", NULL, NULL};
	char *m = NULL;
	int i, r = 0;

	for (i = 0; i < NL_COMP_SC + 1; i++) {
		if (i == NL_MAC_CS || i == NL_MAC_SC) {
			const struct cipher_alg *ca = k->cipher[i - NL_MAC_CS];
			if (ca->auth_len > 0) {
				k->mac[i - NL_MAC_CS] = NULL;
				continue;
			}
		}
		if ((m = namelist_match(ours[i], lists[i])) == NULL) {
			return no_match(c, i, ours[i], lists[i]);
		}
		switch (i) {
		case NL_KEX:
			k->kalg = kex_alg_by_name(m);
			break;
		case NL_HOSTKEY:
			k->halg = hostkey_alg_by_name(m);
			break;
		case NL_ENC_CS:
		case NL_ENC_SC:
			k->cipher[i - NL_ENC_CS] = cipher_alg_by_name(m);
			break;
		case NL_MAC_CS:
		case NL_MAC_SC:
			k->mac[i - NL_MAC_CS] = mac_alg_by_name(m);
			break;
		default:
			break;
		}
		if ((i == NL_KEX && k->kalg == NULL) || (i == NL_HOSTKEY && k->halg == NULL) ||
		    ((i == NL_ENC_CS || i == NL_ENC_SC) && k->cipher[i - NL_ENC_CS] == NULL) ||
		    ((i == NL_MAC_CS || i == NL_MAC_SC) && k->mac[i - NL_MAC_CS] == NULL)) {
			r = conn_fail(
			    c, SSH_ERR_NO_ALGO, "kex: negotiated unsupported algorithm %s", m);
			free(m);
			return r;
		}
		free(m);
		m = NULL;
	}
	conn_log(c, SSH_LOG_DEBUG1, "kex: algorithm: %s", k->kalg->name);
	conn_log(c, SSH_LOG_DEBUG1, "kex: host key algorithm: %s", k->halg->name);
	conn_log(c, SSH_LOG_DEBUG1, "kex: server->client cipher: %s MAC: %s compression: none",
	    k->cipher[1]->name, k->mac[1] ? k->mac[1]->name : "<implicit>");
	conn_log(c, SSH_LOG_DEBUG1, "kex: client->server cipher: %s MAC: %s compression: none",
	    k->cipher[0]->name, k->mac[0] ? k->mac[0]->name : "<implicit>");
	return 0;
}

/* the first name of a list (for first_kex_packet_follows guesses) */
static int first_is(const char *list, const char *name)
{
	size_t n = strlen(name);
	return strncmp(list, name, n) == 0 && (list[n] == ',' || list[n] == '\0');
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
	if (k->kalg->kind == KEX_CURVE25519 || k->kalg->kind == KEX_ECDH) {
		r = buf_put_buf(&b, &k->client_pub);
	} else {
		r = buf_put_mpint_bytes(&b, buf_ptr(&k->client_pub), buf_len(&k->client_pub));
	}
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

static int recv_kexinit(struct ssh_conn *c, struct rd *msg)
{
	struct kex_ctx *k = &c->kex;
	char *lists[NL_COUNT] = {0};
	const uint8_t *cookie;
	int follows = 0, i, r;
	/* strict kex requires KEXINIT to be the server's very first packet: whether this one was
	 * matters once we know whether the server offers strict kex */
	int late = k->first && c->rx.seqnr != 1;
	uint32_t reserved;

	if (k->got_kexinit) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "kex: second KEXINIT during key exchange");
	}
	buf_reset(&k->peer_kexinit);
	if ((r = buf_put_u8(&k->peer_kexinit, SSH_MSG_KEXINIT)) != 0 ||
	    (r = buf_put(&k->peer_kexinit, msg->p, msg->len)) != 0) {
		return conn_fail(c, r, "kex: %s", ssh_err_str(r));
	}
	if ((r = rd_bytes(msg, 16, &cookie)) != 0) {
		goto malformed;
	}
	for (i = 0; i < NL_COUNT; i++) {
		const uint8_t *p;
		size_t n;
		if ((r = rd_string(msg, &p, &n)) != 0) {
			goto malformed;
		}
		if (n > CONN_MAX_NAMELIST || (n > 0 && memchr(p, '\0', n) != NULL)) {
			r = SSH_ERR_FORMAT;
			goto malformed;
		}
		if ((lists[i] = strndup((const char *)p, n)) == NULL) {
			r = conn_fail(c, SSH_ERR_ALLOC, "kex: out of memory");
			goto out;
		}
	}
	if ((r = rd_bool(msg, &follows)) != 0 || (r = rd_u32(msg, &reserved)) != 0) {
		goto malformed;
	}
	conn_log(c, SSH_LOG_DEBUG2, "peer server KEXINIT proposal");
	for (i = 0; i < NL_COMP_SC + 1; i++) {
		conn_log(c, SSH_LOG_DEBUG2, "%s: %s", nl_what[i], lists[i]);
	}
	k->got_kexinit = 1;
	if (k->first) {
		int offered = namelist_has(lists[NL_KEX], KEX_STRICT_S);
		if (offered && late) {
			r = conn_fail(c, SSH_ERR_PROTOCOL,
			    "kex: strict key exchange violation: "
			    "KEXINIT was not the server's first packet");
			goto out;
		}
		k->strict = offered;
		if (offered) {
			conn_log(c, SSH_LOG_DEBUG1, "kex: strict key exchange enabled");
		}
	}
	/* a server-initiated rekey: answer with ours */
	if (!k->sent_kexinit && (r = kex_start(c)) != 0) {
		goto out;
	}
	k->phase = KP_INIT;
	if ((r = negotiate(c, lists)) != 0) {
		goto out;
	}
	if (follows && (!first_is(lists[NL_KEX], k->kalg->name) ||
	                   !first_is(lists[NL_HOSTKEY], k->halg->name))) {
		k->skip_guess = 1;
	}
	if (k->kalg->kind == KEX_DH_GEX) {
		r = send_gex_request(c);
	} else {
		r = send_kex_init(c);
	}
	goto out;
malformed:
	r = conn_fail(c, SSH_ERR_FORMAT, "kex: malformed KEXINIT from the server");
out:
	for (i = 0; i < NL_COUNT; i++) {
		free(lists[i]);
	}
	return r;
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
	return (c->kex.halg->flags & HK_FLAG_X509) != 0 && c->first_x509.ncerts > 0 &&
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
	if (k->kalg->kind == KEX_CURVE25519 || k->kalg->kind == KEX_ECDH) {
		r = rd_string(msg, &spub, &spublen);
	} else {
		r = rd_mpint_bytes(msg, &spub, &spublen);
	}
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
		transport_disconnect(c, 9, "host key not trusted");
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
		return recv_kexinit(c, msg);
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
