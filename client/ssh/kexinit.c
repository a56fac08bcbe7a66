/*
 * Key exchange, negotiation (RFC 4253 7.1): our KEXINIT, the server's, the choice of every
 * algorithm, strict kex (the Terrapin countermeasure) and when to rekey. The exchange itself is
 * kex.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rand.h"
#include "conn_int.h"
#include "err.h"

#define KEX_STRICT_C "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_S "kex-strict-s-v00@openssh.com"
#define EXT_INFO_C   "ext-info-c"

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

static const char *kex_name_at(size_t i)
{
	const struct kex_alg *a = kex_alg_at(i);
	return a != NULL ? a->name : NULL;
}

static const char *hostkey_name_at(size_t i)
{
	const struct hostkey_alg *a = hostkey_alg_at(i);
	return a != NULL ? a->name : NULL;
}

static const char *cipher_name_at(size_t i)
{
	const struct cipher_alg *a = cipher_alg_at(i);
	return a != NULL ? a->name : NULL;
}

static const char *mac_name_at(size_t i)
{
	const struct mac_alg *a = mac_alg_at(i);
	return a != NULL ? a->name : NULL;
}

/* the name-lists of KEXINIT, in wire order */
static const struct nl_row {
	const char *what;                 /* in messages */
	const char *option;               /* the option that adds names to our list; NULL: none */
	const char *(*name_at)(size_t i); /* the names we support, in table order; NULL: none */
} nl_rows[NL_COUNT] = {
    [NL_KEX] = {.what = "key exchange algorithm",
        .option = "KexAlgorithms",
        .name_at = kex_name_at},
    [NL_HOSTKEY] = {.what = "host key algorithm",
        .option = "HostKeyAlgorithms",
        .name_at = hostkey_name_at},
    [NL_ENC_CS] = {.what = "cipher (client to server)",
        .option = "Ciphers",
        .name_at = cipher_name_at},
    [NL_ENC_SC] = {.what = "cipher (server to client)",
        .option = "Ciphers",
        .name_at = cipher_name_at},
    [NL_MAC_CS] = {.what = "MAC (client to server)", .option = "MACs", .name_at = mac_name_at},
    [NL_MAC_SC] = {.what = "MAC (server to client)", .option = "MACs", .name_at = mac_name_at},
    [NL_COMP_CS] = {.what = "compression (client to server)"},
    [NL_COMP_SC] = {.what = "compression (server to client)"},
    [NL_LANG_CS] = {.what = "language"},
    [NL_LANG_SC] = {.what = "language"},
};

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
	if ((r = ssh_rand_bytes(cookie, sizeof(cookie))) != 0) {
		return conn_fail(c, r, "kex: no random bytes for the KEXINIT cookie: %s",
		    r == SSH_ERR_SYSTEM ? strerror_r(errno, why, sizeof(why))
		                        : ssh_ossl_reason(why, sizeof(why)));
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
	const struct nl_row *row = &nl_rows[which];
	const char *p = theirs, *cand;
	size_t i;

	while (row->name_at != NULL && p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; (cand = row->name_at(i)) != NULL; i++) {
			if (strlen(cand) == l && memcmp(cand, p, l) == 0) {
				return cand;
			}
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return NULL;
}

static int no_match(struct ssh_conn *c, int which, const char *ours, const char *theirs)
{
	const char *hint = supported_hint(which, theirs);

	if (hint != NULL && nl_rows[which].option != NULL) {
		return conn_fail(c, SSH_ERR_NO_ALGO,
		    "kex: no matching %s: we offer %s; the server "
		    "offers %s; '-o %s=+%s' would enable one the server offers",
		    nl_rows[which].what, ours, theirs, nl_rows[which].option, hint);
	}
	return conn_fail(c, SSH_ERR_NO_ALGO,
	    "kex: no matching %s: we offer %s; the server offers %s", nl_rows[which].what, ours,
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
		if ((m = namelist_first_common(ours[i], lists[i])) == NULL) {
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

int kex_recv_kexinit(struct ssh_conn *c, struct rd *msg)
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
		conn_log(c, SSH_LOG_DEBUG2, "%s: %s", nl_rows[i].what, lists[i]);
	}
	k->got_kexinit = 1;
	if (k->first) {
		int offered = namelist_contains(lists[NL_KEX], KEX_STRICT_S);
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
	r = kex_exchange_begin(c);
	goto out;
malformed:
	r = conn_fail(c, SSH_ERR_FORMAT, "kex: malformed KEXINIT from the server");
out:
	for (i = 0; i < NL_COUNT; i++) {
		free(lists[i]);
	}
	return r;
}
