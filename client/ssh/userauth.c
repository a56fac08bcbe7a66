/* User authentication (RFC 4252): none, publickey (query first, then sign), password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conn_int.h"
#include "err.h"
#include "sshsig.h"

#define AUTH_MAX_BANNERS 32 /* USERAUTH_BANNERs shown per connection */

/* the method name each request kind goes out under */
static const char *const auth_method_name[] = {
    [AUTH_NONE] = "none",
    [AUTH_PUBKEY_QUERY] = "publickey",
    [AUTH_PUBKEY_SIGNED] = "publickey",
    [AUTH_PASSWORD] = "password",
    [AUTH_KBDINT] = "keyboard-interactive",
};

static void kb_clear(struct auth_ctx *a)
{
	size_t i;

	free(a->kb_name);
	free(a->kb_instr);
	a->kb_name = a->kb_instr = NULL;
	for (i = 0; i < a->kb_n; i++) {
		free(a->kb_prompts[i]);
		a->kb_prompts[i] = NULL;
	}
	a->kb_n = 0;
}

void auth_ctx_free(struct auth_ctx *a)
{
	buf_free(&a->blob);
	buf_free(&a->signdata);
	free(a->methods);
	a->methods = NULL;
	kb_clear(a);
}

static int put_request_head(struct ssh_conn *c, struct buf *b, enum auth_method m)
{
	int r;

	if ((r = buf_put_u8(b, SSH_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = buf_put_cstring(b, c->cfg.user)) != 0 ||
	    (r = buf_put_cstring(b, "ssh-connection")) != 0 ||
	    (r = buf_put_cstring(b, auth_method_name[m])) != 0) {
		return r;
	}
	return 0;
}

int userauth_start(struct ssh_conn *c)
{
	struct buf b;
	int r;

	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_SERVICE_REQUEST)) == 0 &&
	    (r = buf_put_cstring(&b, "ssh-userauth")) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_SERVICE_REQUEST sent");
	return r;
}

static int send_none(struct ssh_conn *c)
{
	struct buf b;
	int r;

	buf_init(&b);
	if ((r = put_request_head(c, &b, AUTH_NONE)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	c->auth.none_sent = 1;
	c->auth.pending = 1;
	c->auth.method = AUTH_NONE;
	return r;
}

static int raise_auth_next(struct ssh_conn *c, int first)
{
	struct ssh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_AUTH_NEXT;
	ev.u.auth.methods = c->auth.methods != NULL ? c->auth.methods : "";
	ev.u.auth.partial = c->auth.partial;
	ev.u.auth.first = first;
	c->wait = WAIT_AUTH;
	c->auth.signer = NULL;
	return conn_event(c, &ev, NULL, NULL);
}

/* query (has-signature FALSE) with the current candidate algorithm */
static int send_pubkey_query(struct ssh_conn *c)
{
	struct auth_ctx *a = &c->auth;
	const char *alg = a->cand[a->icand];
	struct buf b;
	int r;

	buf_init(&b);
	buf_reset(&a->blob);
	if ((r = signer_key_blob(a->signer, hostkey_alg_by_name(alg), &a->blob)) != 0) {
		r = conn_fail(c, r, "auth: cannot make the %s public key of %s: %s", alg,
		    a->signer->name, ssh_err_str(r));
		goto out;
	}
	if ((r = put_request_head(c, &b, AUTH_PUBKEY_QUERY)) != 0 ||
	    (r = buf_put_bool(&b, 0)) != 0 || (r = buf_put_cstring(&b, alg)) != 0 ||
	    (r = buf_put_buf(&b, &a->blob)) != 0 || (r = transport_send(c, &b)) != 0) {
		goto out;
	}
	conn_log(c, SSH_LOG_DEBUG1, "Offering public key: %s %s", alg, a->signer->name);
	a->pending = 1;
	a->method = AUTH_PUBKEY_QUERY;
out:
	buf_free(&b);
	return r;
}

/* next candidate algorithm for the current signer, or AUTH_NEXT */
static int pubkey_next(struct ssh_conn *c)
{
	struct auth_ctx *a = &c->auth;

	while (a->signer != NULL && a->icand + 1 < a->ncand) {
		a->icand++;
		return send_pubkey_query(c);
	}
	return raise_auth_next(c, 0);
}

/* RequiredRSASize: a smaller RSA key is skipped (as OpenSSH), said at debug level */
static int rsa_too_small(struct ssh_conn *c, struct signer *s)
{
	EVP_PKEY *pk = s->ops->pubkey(s);
	int bits;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		return 0;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (bits < 0 || (unsigned)bits >= c->cfg.rsa_min_bits) {
		return 0;
	}
	conn_log(c, SSH_LOG_DEBUG1,
	    "Skipping %s: its RSA key has %d bits, fewer than RequiredRSASize %u", s->name, bits,
	    c->cfg.rsa_min_bits);
	return 1;
}

int ssh_conn_auth_pubkey(struct ssh_conn *c, struct signer *s)
{
	struct auth_ctx *a = &c->auth;
	const struct hostkey_alg *row;
	const char *p;
	size_t i;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->wait != WAIT_AUTH) {
		return conn_fail(c, SSH_ERR_INTERNAL, "auth: unexpected publickey attempt");
	}
	c->wait = WAIT_NONE;
	a->signer = s;
	a->ncand = 0;
	a->icand = 0;
	if (rsa_too_small(c, s)) {
		r = raise_auth_next(c, 0);
		return r != 0 ? r : conn_process(c);
	}
	/* candidates: our PubkeyAcceptedAlgorithms order, restricted to what the key can do */
	p = c->cfg.pubkey_algs;
	while (p != NULL && *p != '\0' && a->ncand < sizeof(a->cand) / sizeof(a->cand[0])) {
		const char *e = strchr(p, ',');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; (row = hostkey_alg_at(i)) != NULL; i++) {
			if (strlen(row->name) == l && memcmp(row->name, p, l) == 0) {
				break;
			}
		}
		if (row != NULL && signer_fits(s, row)) {
			a->cand[a->ncand++] = row->name;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	/* with server-sig-algs, the first of ours the server lists wins */
	if (c->server_sig_algs != NULL && a->ncand > 1) {
		for (i = 0; i < a->ncand; i++) {
			if (namelist_contains(c->server_sig_algs, a->cand[i])) {
				a->cand[0] = a->cand[i];
				a->ncand = 1;
				break;
			}
		}
	}
	/* without server-sig-algs, a Cisco router hears x509v3-ssh-rsa first: IOS accepts it for
	 * RSA certificates and counts every refusal against its few retries */
	if (c->server_sig_algs == NULL && (c->compat & COMPAT_X509_RSA_FIRST)) {
		for (i = 1; i < a->ncand; i++) {
			if (strcmp(a->cand[i], "x509v3-ssh-rsa") == 0) {
				const char *t = a->cand[i];
				memmove(&a->cand[1], &a->cand[0], i * sizeof(a->cand[0]));
				a->cand[0] = t;
				break;
			}
		}
	}
	if (a->ncand == 0) {
		conn_log(c, SSH_LOG_DEBUG1, "Skipping %s: no acceptable algorithm for its key type",
		    s->name);
		r = raise_auth_next(c, 0);
		return r != 0 ? r : conn_process(c);
	}
	if ((r = send_pubkey_query(c)) != 0) {
		return r;
	}
	return conn_process(c);
}

int ssh_conn_auth_password(struct ssh_conn *c, const char *password)
{
	struct buf b;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->wait != WAIT_AUTH) {
		return conn_fail(c, SSH_ERR_INTERNAL, "auth: unexpected password attempt");
	}
	c->wait = WAIT_NONE;
	buf_init_secret(&b);
	if ((r = put_request_head(c, &b, AUTH_PASSWORD)) == 0 && (r = buf_put_bool(&b, 0)) == 0 &&
	    (r = buf_put_cstring(&b, password)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	if (r != 0) {
		return r;
	}
	conn_log(c, SSH_LOG_DEBUG1, "Trying password authentication");
	c->auth.pending = 1;
	c->auth.method = AUTH_PASSWORD;
	return conn_process(c);
}

int ssh_conn_auth_kbdint(struct ssh_conn *c)
{
	struct buf b;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->wait != WAIT_AUTH) {
		return conn_fail(
		    c, SSH_ERR_INTERNAL, "auth: unexpected keyboard-interactive attempt");
	}
	c->wait = WAIT_NONE;
	buf_init(&b);
	if ((r = put_request_head(c, &b, AUTH_KBDINT)) == 0 && (r = buf_put_cstring(&b, "")) == 0 &&
	    (r = buf_put_cstring(&b, "")) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	if (r != 0) {
		return r;
	}
	conn_log(c, SSH_LOG_DEBUG1, "Trying keyboard-interactive authentication");
	c->auth.pending = 1;
	c->auth.method = AUTH_KBDINT;
	c->auth.kb_rounds = 0;
	return conn_process(c);
}

static int recv_info_request(struct ssh_conn *c, struct rd *msg)
{
	struct auth_ctx *a = &c->auth;
	const uint8_t *p;
	size_t n;
	uint32_t np, i;
	int echo;
	struct ssh_event ev;

	kb_clear(a);
	if (++a->kb_rounds > AUTH_MAX_KB_ROUNDS) {
		return conn_fail(c, SSH_ERR_TOO_LARGE,
		    "auth: the server asked more than %d rounds of "
		    "keyboard-interactive questions",
		    AUTH_MAX_KB_ROUNDS);
	}
	if (rd_string(msg, &p, &n) != 0 ||
	    (a->kb_name = sanitize_text(p, n > 1024 ? 1024 : n, 0)) == NULL ||
	    rd_string(msg, &p, &n) != 0 ||
	    (a->kb_instr = sanitize_text(p, n > 8192 ? 8192 : n, 1)) == NULL ||
	    rd_skip_string(msg) != 0 || rd_u32(msg, &np) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "auth: malformed keyboard-interactive request");
	}
	if (np > AUTH_MAX_PROMPTS) {
		return conn_fail(c, SSH_ERR_TOO_LARGE,
		    "auth: the server asked %u keyboard-interactive "
		    "questions at once (at most %d)",
		    np, AUTH_MAX_PROMPTS);
	}
	for (i = 0; i < np; i++) {
		if (rd_string(msg, &p, &n) != 0 || rd_bool(msg, &echo) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT,
			    "auth: malformed keyboard-interactive "
			    "request");
		}
		if ((a->kb_prompts[i] = sanitize_text(p, n > 1024 ? 1024 : n, 0)) == NULL) {
			return conn_fail(c, SSH_ERR_ALLOC, "auth: out of memory");
		}
		a->kb_echo[i] = echo;
		a->kb_n++;
	}
	if (rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "auth: malformed keyboard-interactive request");
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_PROMPT;
	ev.u.prompt.name = a->kb_name;
	ev.u.prompt.instruction = a->kb_instr;
	ev.u.prompt.n = a->kb_n;
	ev.u.prompt.prompts = (const char *const *)a->kb_prompts;
	ev.u.prompt.echo = a->kb_echo;
	c->wait = WAIT_PROMPT;
	return conn_event(c, &ev, NULL, NULL);
}

int ssh_conn_answer_prompts(struct ssh_conn *c, const char *const *answers, size_t n)
{
	struct buf b;
	size_t i;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->wait != WAIT_PROMPT || n != c->auth.kb_n) {
		return conn_fail(
		    c, SSH_ERR_INTERNAL, "auth: unexpected keyboard-interactive answer");
	}
	c->wait = WAIT_NONE;
	buf_init_secret(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_USERAUTH_INFO_RESPONSE)) == 0) {
		r = buf_put_u32(&b, (uint32_t)n);
	}
	for (i = 0; r == 0 && i < n; i++) {
		r = buf_put_cstring(&b, answers[i] != NULL ? answers[i] : "");
	}
	if (r == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	kb_clear(&c->auth);
	if (r != 0) {
		return r;
	}
	c->auth.pending = 1;
	return conn_process(c);
}

int ssh_conn_auth_give_up(struct ssh_conn *c)
{
	if (c->err != 0) {
		return c->err;
	}
	transport_disconnect(c, SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE,
	    "no more authentication methods available");
	return conn_fail(c, SSH_ERR_PROTOCOL,
	    "auth: permission denied for user %s (the server "
	    "accepts: %s)",
	    c->cfg.user,
	    c->auth.methods != NULL && c->auth.methods[0] != '\0' ? c->auth.methods : "nothing");
}

int ssh_conn_answer_sign(
    struct ssh_conn *c, const uint8_t *sig, size_t len, int err, const char *cause)
{
	struct auth_ctx *a = &c->auth;
	const struct hostkey_alg *row = hostkey_alg_by_name(a->cand[a->icand]);
	struct buf b, blob;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->wait != WAIT_SIGN) {
		return conn_fail(c, SSH_ERR_INTERNAL, "auth: unexpected signature");
	}
	c->wait = WAIT_NONE;
	if (err == SIGNER_ERR_DECLINED) {
		/* the signer will not sign with this key (an agent refused): one line, and the
		 * next identity */
		conn_log(c, SSH_LOG_INFO, "%s", cause != NULL ? cause : "agent refused operation");
		r = raise_auth_next(c, 0);
		return r != 0 ? r : conn_process(c);
	}
	if (err != 0) {
		err = sshsig_signer_err(err);
		if (cause != NULL) {
			return conn_fail(c, err, "%s", cause); /* already "category: cause" */
		}
		return conn_fail(
		    c, err, "auth: signing with %s failed: %s", a->signer->name, ssh_err_str(err));
	}
	buf_init(&b);
	buf_init(&blob);
	/* the signature blob from the signer's raw output: the engine alone encodes it */
	if ((r = sshsig_from_raw(row, a->signer->ops->pubkey(a->signer), sig, len, &blob)) != 0) {
		buf_free(&blob);
		return conn_fail(
		    c, r, "auth: signing with %s failed: %s", a->signer->name, ssh_err_str(r));
	}
	/* the request is the signed data without the session id, plus the signature */
	if ((r = buf_put(&b, buf_ptr(&a->signdata) + 4 + c->sid_len,
	         buf_len(&a->signdata) - 4 - c->sid_len)) == 0 &&
	    (r = buf_put_buf(&b, &blob)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&blob);
	buf_free(&b);
	buf_reset(&a->signdata);
	if (r != 0) {
		return r;
	}
	a->pending = 1;
	a->method = AUTH_PUBKEY_SIGNED;
	return conn_process(c);
}

static int recv_pk_ok(struct ssh_conn *c, struct rd *msg)
{
	struct auth_ctx *a = &c->auth;
	const char *alg = a->cand[a->icand];
	const uint8_t *p, *kb;
	size_t n, kbl;
	struct ssh_event ev;
	int r;

	if (rd_string(msg, &p, &n) != 0 || rd_string(msg, &kb, &kbl) != 0 || rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "auth: malformed PK_OK from the server");
	}
	if (!str_eq(p, n, alg) || kbl != buf_len(&a->blob) ||
	    memcmp(kb, buf_ptr(&a->blob), kbl) != 0) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "auth: the server's PK_OK names another key "
		    "than the one offered");
	}
	conn_log(c, SSH_LOG_DEBUG1, "Server accepts key: %s %s", alg, a->signer->name);
	buf_reset(&a->signdata);
	if ((r = buf_put_string(&a->signdata, c->session_id, c->sid_len)) != 0 ||
	    (r = put_request_head(c, &a->signdata, AUTH_PUBKEY_SIGNED)) != 0 ||
	    (r = buf_put_bool(&a->signdata, 1)) != 0 ||
	    (r = buf_put_cstring(&a->signdata, alg)) != 0 ||
	    (r = buf_put_buf(&a->signdata, &a->blob)) != 0) {
		return conn_fail(c, r, "auth: %s", ssh_err_str(r));
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_SIGN;
	ev.u.sign.signer = a->signer;
	ev.u.sign.alg = alg;
	if ((r = sshsig_request(hostkey_alg_by_name(alg), buf_ptr(&a->signdata),
	         buf_len(&a->signdata), &ev.u.sign.req)) != 0) {
		return conn_fail(c, r, "auth: %s: %s", alg, ssh_err_str(r));
	}
	c->wait = WAIT_SIGN;
	return conn_event(c, &ev, NULL, NULL);
}

static int recv_failure(struct ssh_conn *c, struct rd *msg)
{
	struct auth_ctx *a = &c->auth;
	const uint8_t *p;
	size_t n;
	int partial, first = a->method == AUTH_NONE;

	if (rd_string(msg, &p, &n) != 0 || rd_bool(msg, &partial) != 0 || rd_end(msg) != 0 ||
	    n > CONN_MAX_NAMELIST) {
		return conn_fail(c, SSH_ERR_FORMAT, "auth: malformed USERAUTH_FAILURE");
	}
	free(a->methods);
	if ((a->methods = sanitize_text(p, n, 0)) == NULL) {
		return conn_fail(c, SSH_ERR_ALLOC, "auth: out of memory");
	}
	a->partial = partial;
	a->pending = 0;
	conn_log(c, SSH_LOG_DEBUG1, "Authentications that can continue: %s%s", a->methods,
	    partial ? " (partial success)" : "");
	if (a->method == AUTH_PUBKEY_QUERY && !partial) {
		return pubkey_next(c); /* query refused: next algorithm */
	}
	return raise_auth_next(c, first);
}

/* one line, once, when banners stop being shown (it goes where banners go: stderr at INFO) */
static int banner_suppressed(struct ssh_conn *c, int by_count)
{
	struct ssh_event ev;
	char *t;
	size_t n = 160;

	c->auth.banner_suppressed = 1;
	if ((t = malloc(n)) == NULL) {
		return conn_fail(c, SSH_ERR_ALLOC, "auth: out of memory");
	}
	if (by_count) {
		snprintf(t, n, "auth banner: more than %d banners; the rest are suppressed",
		    AUTH_MAX_BANNERS);
	} else {
		snprintf(t, n,
		    "auth banner: more than %zu bytes of banner text; the rest is suppressed",
		    AUTH_MAX_BANNER_BYTES);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_AUTH_BANNER;
	ev.u.banner.text = t;
	ev.u.banner.notice = 1;
	ev.u.banner.open_line = c->auth.banner_open_line;
	return conn_event(c, &ev, t, NULL);
}

static int recv_banner(struct ssh_conn *c, struct rd *msg)
{
	struct auth_ctx *a = &c->auth;
	const uint8_t *p;
	size_t n, show;
	struct ssh_event ev;
	char *t;
	int r;

	if (rd_string(msg, &p, &n) != 0 || rd_skip_string(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "auth: malformed USERAUTH_BANNER");
	}
	if (a->banner_suppressed) {
		return 0;
	}
	if (++a->banner_count > AUTH_MAX_BANNERS) {
		return banner_suppressed(c, 1);
	}
	show = n;
	if (show > AUTH_MAX_BANNER_BYTES - a->banner_bytes) {
		show = AUTH_MAX_BANNER_BYTES - a->banner_bytes;
	}
	if (show > 0) {
		if ((t = sanitize_text(p, show, 1)) == NULL) {
			return conn_fail(c, SSH_ERR_ALLOC, "auth: out of memory");
		}
		a->banner_bytes += show;
		a->banner_open_line = t[show - 1] != '\n';
		memset(&ev, 0, sizeof(ev));
		ev.type = SSH_EV_AUTH_BANNER;
		ev.u.banner.text = t;
		if ((r = conn_event(c, &ev, t, NULL)) != 0) {
			return r;
		}
	}
	if (show < n) {
		return banner_suppressed(c, 0);
	}
	return 0;
}

int userauth_handle(struct ssh_conn *c, uint8_t type, struct rd *msg)
{
	struct auth_ctx *a = &c->auth;
	struct ssh_event ev;

	if (type == SSH_MSG_SERVICE_ACCEPT) {
		if (c->state != ST_SERVICE) {
			return conn_fail(c, SSH_ERR_PROTOCOL, "auth: unexpected SERVICE_ACCEPT");
		}
		c->state = ST_AUTH;
		a->service_accepted = 1;
		conn_log(c, SSH_LOG_DEBUG1, "SSH2_MSG_SERVICE_ACCEPT received");
		return send_none(c);
	}
	if (c->state != ST_AUTH) {
		return conn_fail(
		    c, SSH_ERR_PROTOCOL, "auth: unexpected authentication message %u", type);
	}
	if (type == SSH_MSG_USERAUTH_BANNER) {
		return recv_banner(c, msg);
	}
	if (!a->pending) {
		return conn_fail(
		    c, SSH_ERR_PROTOCOL, "auth: unexpected authentication message %u", type);
	}
	switch (type) {
	case SSH_MSG_USERAUTH_SUCCESS:
		a->pending = 0;
		a->done = 1;
		conn_log(c, SSH_LOG_VERBOSE, "Authenticated to the server using \"%s\".",
		    auth_method_name[a->method]);
		memset(&ev, 0, sizeof(ev));
		ev.type = SSH_EV_AUTH_DONE;
		c->state = ST_SESSION;
		if (conn_event(c, &ev, NULL, NULL) != 0) {
			return c->err;
		}
		return channel_open(c);
	case SSH_MSG_USERAUTH_FAILURE:
		return recv_failure(c, msg);
	case SSH_MSG_USERAUTH_PK_OK:
		if (a->method == AUTH_PUBKEY_QUERY) {
			a->pending = 0;
			return recv_pk_ok(c, msg);
		}
		if (a->method == AUTH_PASSWORD) {
			return conn_fail(c, SSH_ERR_PROTOCOL,
			    "auth: the server demands a password "
			    "change, which is not supported");
		}
		if (a->method == AUTH_KBDINT) {
			a->pending = 0;
			return recv_info_request(c, msg);
		}
		break;
	default:
		break;
	}
	return conn_fail(c, SSH_ERR_PROTOCOL, "auth: unexpected authentication message %u", type);
}
