/* The engine's public face: construction, byte I/O, the event queue, sticky errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conn_int.h"
#include "err.h"

#define CLIENT_VERSION "SSH-2.0-" SSH_SOFTWARE_VERSION

/* The string fields of struct ssh_conn_config that the connection keeps its own copies of. */
static const struct cfg_string_row {
	size_t off;       /* offsetof(struct ssh_conn_config, field) */
	int required;     /* ssh_conn_new() fails (SSH_ERR_INTERNAL) when it is NULL */
	int has_fallback; /* when NULL, copy the field at fallback instead */
	size_t fallback;
} cfg_string_rows[] = {
    {.off = offsetof(struct ssh_conn_config, kex_algs), .required = 1},
    {.off = offsetof(struct ssh_conn_config, ciphers), .required = 1},
    {.off = offsetof(struct ssh_conn_config, macs), .required = 1},
    {.off = offsetof(struct ssh_conn_config, hostkey_algs), .required = 1},
    {.off = offsetof(struct ssh_conn_config, pubkey_algs),
        .has_fallback = 1,
        .fallback = offsetof(struct ssh_conn_config, hostkey_algs)},
    {.off = offsetof(struct ssh_conn_config, user), .required = 1},
    {.off = offsetof(struct ssh_conn_config, command)},
    {.off = offsetof(struct ssh_conn_config, term)},
};

#define CFG_STRING_ROWS (sizeof(cfg_string_rows) / sizeof(cfg_string_rows[0]))

static const char **cfg_slot(struct ssh_conn_config *cfg, size_t off)
{
	return (const char **)(void *)((char *)cfg + off);
}

static const char *cfg_get(const struct ssh_conn_config *cfg, size_t off)
{
	return *(const char *const *)(const void *)((const char *)cfg + off);
}

/* c->cfg's string fields become owned copies of cfg's (or NULL); on failure some stay NULL */
static int cfg_copy_strings(struct ssh_conn *c, const struct ssh_conn_config *cfg)
{
	const struct cfg_string_row *row;
	const char *src;
	size_t i;

	for (i = 0; i < CFG_STRING_ROWS; i++) {
		*cfg_slot(&c->cfg, cfg_string_rows[i].off) = NULL;
	}
	for (i = 0; i < CFG_STRING_ROWS; i++) {
		row = &cfg_string_rows[i];
		src = cfg_get(cfg, row->off);
		if (src == NULL && row->has_fallback) {
			src = cfg_get(cfg, row->fallback);
		}
		if (src == NULL) {
			if (row->required) {
				return SSH_ERR_INTERNAL;
			}
			continue;
		}
		if ((*cfg_slot(&c->cfg, row->off) = strdup(src)) == NULL) {
			return SSH_ERR_ALLOC;
		}
	}
	return 0;
}

static void cfg_free_strings(struct ssh_conn *c)
{
	const char **slot;
	size_t i;

	for (i = 0; i < CFG_STRING_ROWS; i++) {
		slot = cfg_slot(&c->cfg, cfg_string_rows[i].off);
		free((void *)*slot);
		*slot = NULL;
	}
}

/* the session channel's window and largest packet: the caller's, kept in sane bounds */
static uint32_t session_window(const struct ssh_conn_config *cfg)
{
	if (cfg->chan_window == 0 || cfg->chan_window > CHAN_WINDOW) {
		return CHAN_WINDOW;
	}
	return cfg->chan_window < CHAN_WINDOW_MIN ? CHAN_WINDOW_MIN : cfg->chan_window;
}

static uint32_t session_max_packet(const struct ssh_conn_config *cfg)
{
	uint32_t win = session_window(cfg), pkt = cfg->chan_max_packet;

	if (pkt == 0 || pkt > CHAN_MAXPACKET) {
		pkt = CHAN_MAXPACKET;
	}
	return pkt > win ? win : pkt;
}

int ssh_conn_new(const struct ssh_conn_config *cfg, struct ssh_conn **out)
{
	struct ssh_conn *c = NULL;
	size_t n = 0, i;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return SSH_ERR_ALLOC;
	}
	c->cfg = *cfg;
	if ((r = cfg_copy_strings(c, cfg)) != 0) {
		goto out;
	}
	if (cfg->session == SSH_SESSION_SUBSYSTEM &&
	    (cfg->command == NULL || cfg->command[0] == '\0')) {
		r = SSH_ERR_INTERNAL; /* a subsystem needs a name: the caller checks first */
		goto out;
	}
	r = SSH_ERR_ALLOC;
	if (cfg->env != NULL) {
		while (cfg->env[n] != NULL) {
			n++;
		}
	}
	if ((c->env = calloc(n + 1, sizeof(char *))) == NULL) {
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((c->env[i] = strdup(cfg->env[i])) == NULL) {
			goto out;
		}
	}
	c->cfg.env = (const char *const *)c->env;
	if (c->cfg.cisco_gex_cap) {
		c->compat |= COMPAT_GEX_MAX_4096;
	}
	if (c->cfg.x509_max_chain == 0) {
		c->cfg.x509_max_chain = X509_MAX_CHAIN_DEFAULT;
	}
	if (c->cfg.rekey_bytes == 0) {
		c->cfg.rekey_bytes = REKEY_BYTES_DEFAULT;
	}
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init_secret(&c->held); /* may hold a password sent during a rekey */
	buf_init(&c->first_hostkey);
	buf_init(&c->first_sig);
	pkt_dir_init(&c->rx);
	pkt_dir_init(&c->tx);
	c->rx.initial = c->tx.initial = 1; /* until the first key exchange is over */
	buf_init(&c->kex.my_kexinit);
	buf_init(&c->kex.peer_kexinit);
	buf_init(&c->kex.client_pub);
	buf_init(&c->kex.hostkey_blob);
	buf_init_secret(&c->kex.shared);
	buf_init(&c->auth.blob);
	buf_init(&c->auth.signdata);
	chan_init(&c->ch, CHAN_SESSION, 0, session_window(cfg), session_max_packet(cfg));
	c->kex.first = 1;
	snprintf(c->client_version, sizeof(c->client_version), "%s", CLIENT_VERSION);
	/* our identification line goes out first, then our KEXINIT right behind it */
	if ((r = buf_put(&c->out, c->client_version, strlen(c->client_version))) != 0 ||
	    (r = buf_put(&c->out, "\r\n", 2)) != 0) {
		goto out;
	}
	if ((r = kex_start(c)) != 0) {
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	ssh_conn_free(c);
	return r;
}

static void ev_release_current(struct ssh_conn *c)
{
	free(c->ev_owned_cur[0]);
	free(c->ev_owned_cur[1]);
	c->ev_owned_cur[0] = NULL;
	c->ev_owned_cur[1] = NULL;
}

void ssh_conn_free(struct ssh_conn *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	cfg_free_strings(c);
	if (c->env != NULL) {
		for (i = 0; c->env[i] != NULL; i++) {
			free(c->env[i]);
		}
		free(c->env);
	}
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->held);
	buf_free(&c->first_hostkey);
	buf_free(&c->first_sig);
	free(c->hostkey_fp);
	pkt_dir_free(&c->rx);
	pkt_dir_free(&c->tx);
	kex_ctx_free(&c->kex);
	auth_ctx_free(&c->auth);
	channel_table_free(c);
	global_free(c);
	free(c->server_version);
	free(c->server_sig_algs);
	for (i = 0; i < CONN_MAX_EVENTS; i++) {
		free(c->evq[i].owned[0]);
		free(c->evq[i].owned[1]);
	}
	ev_release_current(c);
	OPENSSL_cleanse(c->session_id, sizeof(c->session_id));
	free(c);
}

void conn_log(struct ssh_conn *c, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (c->cfg.log == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->cfg.log(c->cfg.log_arg, level, msg);
}

int conn_fail(struct ssh_conn *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->err != 0) {
		return c->err;
	}
	if (err >= 0) {
		err = SSH_ERR_INTERNAL;
	}
	c->err = err;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	conn_log(c, SSH_LOG_DEBUG1, "engine error: %s", c->errmsg);
	return err;
}

int conn_event(struct ssh_conn *c, const struct ssh_event *ev, char *own1, char *own2)
{
	struct ev_slot *s;

	if (c->ev_count >= CONN_MAX_EVENTS) {
		free(own1);
		free(own2);
		return conn_fail(
		    c, SSH_ERR_TOO_LARGE, "connect: too many pending events (internal)");
	}
	s = &c->evq[(c->ev_head + c->ev_count) % CONN_MAX_EVENTS];
	s->ev = *ev;
	s->owned[0] = own1;
	s->owned[1] = own2;
	c->ev_count++;
	return 0;
}

int ssh_conn_next_event(struct ssh_conn *c, struct ssh_event *ev)
{
	struct ev_slot *s;

	memset(ev, 0, sizeof(*ev));
	ev_release_current(c);
	/* input left waiting while the queue was full: go on with it now that it is drained */
	if (c->ev_count == 0 && c->err == 0 && c->wait == WAIT_NONE && buf_len(&c->in) > 0) {
		(void)conn_process(c);
	}
	if (c->ev_count == 0) {
		return 0;
	}
	s = &c->evq[c->ev_head];
	*ev = s->ev;
	c->ev_owned_cur[0] = s->owned[0];
	c->ev_owned_cur[1] = s->owned[1];
	s->owned[0] = NULL;
	s->owned[1] = NULL;
	c->ev_head = (c->ev_head + 1) % CONN_MAX_EVENTS;
	c->ev_count--;
	chan_event_handed_out(c, ev);
	return 1;
}

/* Run the input side as far as it goes: version line, then packets, until input runs out, an
 * answer is awaited, or an error happens. */
int conn_process(struct ssh_conn *c)
{
	struct rd msg;
	uint8_t type;
	int r = 0;

	if (c->in_process) {
		return 0;
	}
	c->in_process = 1;
	while (c->err == 0 && c->wait == WAIT_NONE) {
		/* leave room for the events one packet may raise (one at most today: channel data
		 * events are coalesced per channel, and every other message raises one event or
		 * none): the caller drains them and the rest of the input waits in c->in */
		if (c->ev_count + 4 > CONN_MAX_EVENTS) {
			break;
		}
		if (c->state == ST_VERSION) {
			r = transport_version(c);
			if (r == SSH_ERR_AGAIN) {
				r = 0;
				break;
			}
			if (r != 0) {
				break;
			}
			continue;
		}
		if (buf_len(&c->in) == 0) {
			break;
		}
		r = pkt_open(&c->rx, &c->in, &msg);
		if (r == SSH_ERR_AGAIN) {
			r = 0;
			break;
		}
		if (r != 0) {
			switch (r) {
			case SSH_ERR_MAC:
				r = conn_fail(c, r,
				    "connect: message authentication code incorrect "
				    "(corrupted data from the server)");
				break;
			case SSH_ERR_SEQNR_WRAP:
				r = conn_fail(c, r,
				    "kex: the server's sequence number wrapped during the initial "
				    "key exchange");
				break;
			case SSH_ERR_TOO_LARGE:
				r = conn_fail(c, r,
				    "connect: server sent an oversized packet "
				    "(packet length over %u bytes)",
				    PKT_MAX_LEN);
				break;
			default:
				r = conn_fail(c, r,
				    "connect: malformed packet from the server (%s)",
				    ssh_err_str(r));
				break;
			}
			transport_disconnect(c, SSH_DISCONNECT_PROTOCOL_ERROR, "packet corrupt");
			break;
		}
		if ((r = rd_u8(&msg, &type)) != 0) {
			r = conn_fail(c, SSH_ERR_FORMAT, "connect: empty packet from the server");
			break;
		}
		if ((r = transport_dispatch(c, type, &msg)) != 0) {
			break;
		}
		if (c->err == 0 && (r = kex_maybe_rekey(c)) != 0) {
			break;
		}
	}
	c->in_process = 0;
	if (c->err != 0) {
		return c->err;
	}
	return r;
}

int ssh_conn_recv(struct ssh_conn *c, const uint8_t *data, size_t len)
{
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (buf_len(&c->in) + len > CONN_MAX_IN) {
		return conn_fail(c, SSH_ERR_TOO_LARGE,
		    "connect: too much unprocessed input from the "
		    "server");
	}
	if ((r = buf_put(&c->in, data, len)) != 0) {
		return conn_fail(c, r, "connect: %s", ssh_err_str(r));
	}
	return conn_process(c);
}

uint8_t *ssh_conn_recv_window(struct ssh_conn *c, size_t want, size_t *room)
{
	uint8_t *p = NULL;

	*room = 0;
	if (c->err != 0 || buf_len(&c->in) >= CONN_MAX_IN) {
		return NULL;
	}
	if (want > CONN_MAX_IN - buf_len(&c->in)) {
		want = CONN_MAX_IN - buf_len(&c->in);
	}
	if (buf_tail(&c->in, want, &p) != 0) {
		return NULL;
	}
	*room = want;
	return p;
}

int ssh_conn_recv_commit(struct ssh_conn *c, size_t n)
{
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if ((r = buf_commit(&c->in, n)) != 0) {
		return conn_fail(c, r, "connect: input window overrun (internal)");
	}
	return conn_process(c);
}

int ssh_conn_recv_eof(struct ssh_conn *c)
{
	if (c->err != 0) {
		return c->err;
	}
	if (c->state == ST_DONE) {
		return 0;
	}
	if (c->state == ST_VERSION) {
		if (buf_len(&c->in) > 0 || c->prebanner > 0) {
			char *t = sanitize_text(
			    buf_ptr(&c->in), buf_len(&c->in) > 80 ? 80 : buf_len(&c->in), 0);
			int r = conn_fail(c, SSH_ERR_PROTOCOL,
			    "connect: connection closed before the SSH "
			    "identification line (server sent '%s')",
			    t ? t : "");
			free(t);
			return r;
		}
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "connect: connection closed by the server before "
		    "the SSH identification line");
	}
	if (c->state == ST_KEX) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "kex: connection closed by the server during key "
		    "exchange");
	}
	if (c->state == ST_SERVICE || c->state == ST_AUTH) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "auth: connection closed by the server during "
		    "authentication");
	}
	if (c->cfg.session == SSH_SESSION_NONE) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "connect: connection closed by the server");
	}
	return conn_fail(c, SSH_ERR_PROTOCOL,
	    "channel: connection closed by the server before the "
	    "remote command finished");
}

const uint8_t *ssh_conn_send_ptr(struct ssh_conn *c, size_t *len)
{
	*len = buf_len(&c->out);
	return buf_ptr(&c->out);
}

void ssh_conn_send_consumed(struct ssh_conn *c, size_t n)
{
	if (buf_consume(&c->out, n) != 0) {
		return;
	}
	/* the output is one queue: bytes sent may have been stdin data, so this errs low */
	c->reply_pending = n >= c->reply_pending ? 0 : c->reply_pending - n;
	if (buf_len(&c->out) == 0) {
		c->reply_pending = 0;
	}
}

int ssh_conn_tick(struct ssh_conn *c, uint64_t now_ms)
{
	if (c->err != 0) {
		return c->err;
	}
	c->now_ms = now_ms;
	if (c->last_kex_ms == 0) {
		c->last_kex_ms = now_ms;
	}
	if (c->cfg.rekey_seconds > 0 && c->state >= ST_AUTH && c->kex.phase == KP_IDLE &&
	    now_ms - c->last_kex_ms >= (uint64_t)c->cfg.rekey_seconds * 1000) {
		c->rekey_wanted = 1;
	}
	return kex_maybe_rekey(c);
}

int ssh_conn_answer_hostkey(struct ssh_conn *c, int trusted)
{
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->wait != WAIT_HOSTKEY) {
		return conn_fail(c, SSH_ERR_INTERNAL, "hostkey: unexpected host key answer");
	}
	c->wait = WAIT_NONE;
	if ((r = kex_hostkey_answer(c, trusted)) != 0) {
		return r;
	}
	return conn_process(c);
}

int ssh_conn_error(const struct ssh_conn *c, const char **msg)
{
	if (msg != NULL) {
		*msg = c->err != 0 ? c->errmsg : NULL;
	}
	return c->err;
}

int ssh_conn_done(const struct ssh_conn *c)
{
	/* our CHANNEL_CLOSE may still be held back by a key exchange in progress */
	return c->err == 0 && c->state == ST_DONE && c->kex.phase == KP_IDLE &&
	       buf_len(&c->held) == 0;
}

uint64_t ssh_conn_heard(const struct ssh_conn *c)
{
	return c->heard;
}

const char *ssh_conn_server_version(const struct ssh_conn *c)
{
	return c->server_version;
}

const char *ssh_conn_negotiated(const struct ssh_conn *c, const char *what)
{
	const struct kex_ctx *k = &c->kex;

	if (strcmp(what, "kex") == 0) {
		return k->kalg ? k->kalg->name : NULL;
	}
	if (strcmp(what, "hostkey") == 0) {
		return k->halg ? k->halg->name : NULL;
	}
	if (strcmp(what, "cipher_ctos") == 0) {
		return k->cipher[0] ? k->cipher[0]->name : NULL;
	}
	if (strcmp(what, "cipher_stoc") == 0) {
		return k->cipher[1] ? k->cipher[1]->name : NULL;
	}
	if (strcmp(what, "mac_ctos") == 0) {
		return k->mac[0] ? k->mac[0]->name : NULL;
	}
	if (strcmp(what, "mac_stoc") == 0) {
		return k->mac[1] ? k->mac[1]->name : NULL;
	}
	if (strcmp(what, "server-sig-algs") == 0) {
		return c->server_sig_algs;
	}
	return NULL;
}
