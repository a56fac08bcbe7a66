/* Transport layer: identification lines, sending packets, generic transport messages. */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "err.h"

/* Printable copy of peer text: control characters become '?', optionally keeping newlines/tabs. */
char *sanitize_text(const uint8_t *p, size_t n, int allow_newlines)
{
	char *s;
	size_t i;

	if ((s = malloc(n + 1)) == NULL) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (allow_newlines && (ch == '\n' || ch == '\t')) {
			s[i] = (char)ch;
		} else if (allow_newlines && ch == '\r') {
			s[i] = ' ';
		} else if (ch < 0x20 || ch == 0x7f) {
			s[i] = '?';
		} else {
			s[i] = (char)ch; /* UTF-8 bytes pass through */
		}
	}
	s[n] = '\0';
	return s;
}

int transport_version(struct ssh_conn *c)
{
	const uint8_t *p = buf_ptr(&c->in);
	size_t n = buf_len(&c->in), linelen, i;
	const uint8_t *nl;
	char *line = NULL;

	while (n > 0) {
		nl = memchr(p, '\n', n > CONN_MAX_LINE ? CONN_MAX_LINE : n);
		if (nl == NULL) {
			if (n >= CONN_MAX_LINE) {
				return conn_fail(c, SSH_ERR_TOO_LARGE,
				    "connect: no SSH identification "
				    "line from the server (line over %u bytes)",
				    CONN_MAX_LINE);
			}
			return SSH_ERR_AGAIN;
		}
		linelen = (size_t)(nl - p);
		if (memchr(p, '\0', linelen) != NULL) {
			return conn_fail(c, SSH_ERR_FORMAT,
			    "connect: the server sent a NUL byte before "
			    "or in its SSH identification line");
		}
		if (linelen > 0 && p[linelen - 1] == '\r') {
			linelen--;
		}
		/* the identification line goes into the exchange hash as sent: it must be printable
		 * text, or the copy we keep (sanitised for messages) would differ from it */
		if (linelen >= 4 && memcmp(p, "SSH-", 4) == 0) {
			for (i = 0; i < linelen; i++) {
				if (p[i] < 0x20 || p[i] == 0x7f) {
					return conn_fail(c, SSH_ERR_FORMAT,
					    "connect: the server's SSH "
					    "identification line holds control characters");
				}
			}
		}
		line = sanitize_text(p, linelen, 0);
		if (line == NULL) {
			return conn_fail(c, SSH_ERR_ALLOC, "connect: out of memory");
		}
		i = (size_t)(nl - p) + 1;
		(void)buf_consume(&c->in, i);
		p = buf_ptr(&c->in);
		n = buf_len(&c->in);
		if (linelen >= 4 && memcmp(line, "SSH-", 4) == 0) {
			if (strncmp(line, "SSH-2.0-", 8) != 0 &&
			    strncmp(line, "SSH-1.99-", 9) != 0) {
				int r = conn_fail(c, SSH_ERR_PROTOCOL,
				    "connect: server speaks an "
				    "unsupported protocol version ('%s')",
				    line);
				free(line);
				return r;
			}
			c->server_version = line;
			c->compat |= compat_flags(line);
			c->heard++;
			conn_log(c, SSH_LOG_DEBUG1,
			    "Remote protocol version %s, remote software "
			    "version %s",
			    strncmp(line, "SSH-2.0-", 8) == 0 ? "2.0" : "1.99",
			    line + (line[4] == '2' ? 8 : 9));
			c->state = ST_KEX;
			return 0;
		}
		c->prebanner += linelen + 1;
		if (c->prebanner > CONN_MAX_PREBANNER) {
			int r = conn_fail(c, SSH_ERR_TOO_LARGE,
			    "connect: no SSH identification line "
			    "from the server (got '%.60s' and more)",
			    line);
			free(line);
			return r;
		}
		conn_log(c, SSH_LOG_VERBOSE, "server: %s", line);
		free(line);
		line = NULL;
	}
	if (c->prebanner > 0 || n > 0) {
		return SSH_ERR_AGAIN;
	}
	return SSH_ERR_AGAIN;
}

static int kex_message(uint8_t type)
{
	return type >= 20 && type <= 49;
}

/* A server that sends requests wanting replies (global requests, unknown messages) and never
 * reads its socket would make our output grow without end: past CONN_MAX_REPLY_OUT bytes of our
 * own packets waiting, it is a failure. Stdin data is not counted: it has its own flow control
 * (ssh_conn_stdin_room). */
static int reply_room(struct ssh_conn *c, size_t payload_len)
{
	size_t waiting = c->reply_pending + buf_len(&c->held);

	if (payload_len > CONN_MAX_REPLY_OUT || waiting > CONN_MAX_REPLY_OUT - payload_len ||
	    CONN_MAX_REPLY_OUT - payload_len - waiting < PKT_MAX_OVERHEAD) {
		return conn_fail(c, SSH_ERR_TOO_LARGE,
		    "connect: the server stopped reading (%zu bytes waiting to be sent)",
		    buf_len(&c->out) + buf_len(&c->held));
	}
	return 0;
}

static int seal_counted(struct ssh_conn *c, const uint8_t *p, size_t n)
{
	size_t before = buf_len(&c->out);
	int r;

	if ((r = pkt_seal(&c->tx, p, n, &c->out)) != 0) {
		return conn_fail(c, r, "%s: cannot send packet: %s",
		    r == SSH_ERR_SEQNR_WRAP ? "kex" : "connect", ssh_err_str(r));
	}
	c->reply_pending += buf_len(&c->out) - before;
	return 0;
}

int transport_send_now(struct ssh_conn *c, const struct buf *payload)
{
	int r;

	if ((r = reply_room(c, buf_len(payload))) != 0) {
		return r;
	}
	return seal_counted(c, buf_ptr(payload), buf_len(payload));
}

int transport_send(struct ssh_conn *c, const struct buf *payload)
{
	uint8_t type = buf_len(payload) > 0 ? buf_ptr(payload)[0] : 0;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	/* during a key exchange only transport and kex messages may go out */
	if (c->kex.sent_kexinit && !c->kex.newkeys_sent && !kex_message(type) &&
	    type > SSH_MSG_DEBUG) {
		if ((r = reply_room(c, buf_len(payload) + 4)) != 0) {
			return r;
		}
		if ((r = buf_put_buf(&c->held, payload)) != 0) {
			return conn_fail(c, r, "connect: cannot queue packet: %s", ssh_err_str(r));
		}
		return 0;
	}
	return transport_send_now(c, payload);
}

int transport_flush_held(struct ssh_conn *c)
{
	struct rd rd = buf_rd(&c->held);
	const uint8_t *p;
	size_t n;
	int r;

	while (rd.len > 0) {
		if ((r = rd_string(&rd, &p, &n)) != 0) {
			return conn_fail(c, SSH_ERR_INTERNAL, "connect: held packet queue corrupt");
		}
		if ((r = seal_counted(c, p, n)) != 0) {
			return r;
		}
	}
	buf_reset(&c->held);
	return 0;
}

void transport_disconnect(struct ssh_conn *c, enum ssh_disconnect_reason reason, const char *text)
{
	struct buf b;

	buf_init(&b);
	if (buf_put_u8(&b, SSH_MSG_DISCONNECT) == 0 && buf_put_u32(&b, (uint32_t)reason) == 0 &&
	    buf_put_cstring(&b, text) == 0 && buf_put_cstring(&b, "") == 0) {
		(void)pkt_seal(&c->tx, buf_ptr(&b), buf_len(&b), &c->out);
	}
	buf_free(&b);
}

static int send_unimplemented(struct ssh_conn *c, uint32_t seq)
{
	struct buf b;
	int r;

	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_UNIMPLEMENTED)) == 0 && (r = buf_put_u32(&b, seq)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	return r;
}

static int recv_disconnect(struct ssh_conn *c, struct rd *msg)
{
	uint32_t reason = 0;
	const uint8_t *p = NULL;
	size_t n = 0;
	char *t;
	int r;

	(void)rd_u32(msg, &reason);
	(void)rd_string(msg, &p, &n);
	t = sanitize_text(p != NULL ? p : (const uint8_t *)"", n > 200 ? 200 : n, 0);
	r = conn_fail(c, SSH_ERR_PROTOCOL, "%s: server disconnected (reason %u): %s",
	    c->state <= ST_KEX      ? "kex"
	    : c->state < ST_SESSION ? "auth"
	                            : "connect",
	    reason, t != NULL && t[0] != '\0' ? t : "no message");
	free(t);
	return r;
}

static int recv_debug(struct ssh_conn *c, struct rd *msg)
{
	int display = 0; /* always_display: read, not obeyed */
	const uint8_t *p;
	size_t n;
	char *t;

	if (rd_bool(msg, &display) != 0 || rd_string(msg, &p, &n) != 0) {
		return 0; /* ignored anyway */
	}
	t = sanitize_text(p, n > 1024 ? 1024 : n, 0);
	if (t != NULL) {
		/* always_display is not obeyed (as OpenSSH): a server could flood the terminal */
		conn_log(c, SSH_LOG_VERBOSE, "Remote: %s", t);
	}
	free(t);
	return 0;
}

static int recv_ext_info(struct ssh_conn *c, struct rd *msg)
{
	uint32_t count, i;
	const uint8_t *name, *val;
	size_t nlen, vlen;

	if (rd_u32(msg, &count) != 0 || count > 64) {
		return conn_fail(c, SSH_ERR_FORMAT, "kex: malformed SSH_MSG_EXT_INFO");
	}
	for (i = 0; i < count; i++) {
		if (rd_string(msg, &name, &nlen) != 0 || rd_string(msg, &val, &vlen) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "kex: malformed SSH_MSG_EXT_INFO");
		}
		if (str_eq(name, nlen, "server-sig-algs") && vlen <= CONN_MAX_NAMELIST) {
			free(c->server_sig_algs);
			c->server_sig_algs = sanitize_text(val, vlen, 0);
			if (c->server_sig_algs == NULL) {
				return conn_fail(c, SSH_ERR_ALLOC, "kex: out of memory");
			}
			conn_log(c, SSH_LOG_DEBUG1, "kex_input_ext_info: server-sig-algs=<%s>",
			    c->server_sig_algs);
		}
	}
	if (rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "kex: malformed SSH_MSG_EXT_INFO");
	}
	return 0;
}

static int recv_global_request(struct ssh_conn *c, struct rd *msg)
{
	const uint8_t *name;
	size_t nlen;
	int want_reply = 0;
	struct buf b;
	int r = 0;

	if (rd_string(msg, &name, &nlen) != 0 || rd_bool(msg, &want_reply) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "connect: malformed global request");
	}
	conn_log(c, SSH_LOG_DEBUG2, "global request %.*s (want reply %d)",
	    (int)(nlen > 64 ? 64 : nlen), (const char *)name, want_reply);
	if (want_reply) {
		buf_init(&b);
		if ((r = buf_put_u8(&b, SSH_MSG_REQUEST_FAILURE)) == 0) {
			r = transport_send(c, &b);
		}
		buf_free(&b);
	}
	return r;
}

int transport_dispatch(struct ssh_conn *c, uint8_t type, struct rd *msg)
{
	uint32_t seq = c->rx.seqnr - 1;

	/* strict kex: during the first key exchange nothing but kex messages */
	if (c->kex.first && c->kex.strict && c->kex.phase != KP_IDLE && !kex_message(type)) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "kex: unexpected message %u during strict key "
		    "exchange",
		    type);
	}
	if (c->state == ST_KEX && c->kex.phase != KP_IDLE && type != SSH_MSG_DISCONNECT &&
	    !kex_message(type) && type != SSH_MSG_IGNORE && type != SSH_MSG_DEBUG &&
	    type != SSH_MSG_UNIMPLEMENTED) {
		return conn_fail(
		    c, SSH_ERR_PROTOCOL, "kex: unexpected message %u during key exchange", type);
	}
	if (type != SSH_MSG_IGNORE && type != SSH_MSG_DEBUG) {
		c->heard++; /* a drip of bytes or a flood of IGNOREs proves nothing */
	}
	switch (type) {
	case SSH_MSG_DISCONNECT:
		return recv_disconnect(c, msg);
	case SSH_MSG_IGNORE:
		return 0;
	case SSH_MSG_DEBUG:
		return recv_debug(c, msg);
	case SSH_MSG_UNIMPLEMENTED: {
		uint32_t s = 0;
		(void)rd_u32(msg, &s);
		/* as OpenSSH: note it and go on (an old server may answer a keepalive this way) */
		conn_log(c, SSH_LOG_DEBUG1,
		    "server does not implement a message we sent "
		    "(sequence %u)",
		    s);
		return global_unimplemented(c);
	}
	case SSH_MSG_EXT_INFO:
		return recv_ext_info(c, msg);
	case SSH_MSG_GLOBAL_REQUEST:
		return recv_global_request(c, msg);
	case SSH_MSG_REQUEST_SUCCESS:
	case SSH_MSG_REQUEST_FAILURE:
		return global_reply(c, type, msg);
	default:
		break;
	}
	if (kex_message(type)) {
		return kex_handle(c, type, msg);
	}
	if (c->state < ST_SERVICE) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "kex: unexpected message %u before key exchange "
		    "finished",
		    type);
	}
	if (type == SSH_MSG_SERVICE_ACCEPT || (type >= 50 && type <= 79)) {
		return userauth_handle(c, type, msg);
	}
	if (type >= 90 && type <= 127) {
		if (c->state != ST_SESSION && c->state != ST_DONE) {
			return conn_fail(c, SSH_ERR_PROTOCOL,
			    "auth: channel message %u before "
			    "authentication",
			    type);
		}
		return channel_handle(c, type, msg);
	}
	conn_log(c, SSH_LOG_DEBUG1, "unimplemented message %u", type);
	return send_unimplemented(c, seq);
}

int ssh_conn_keepalive(struct ssh_conn *c)
{
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (c->state != ST_SESSION || !c->ch.ready) {
		/* nothing before the session is open: a global request during the first key
		 * exchange breaks strict kex, and before authentication it is not allowed */
		return 0;
	}
	if ((r = global_push(c, GREQ_KEEPALIVE, NULL, 0, NULL)) != 0 && r != SSH_ERR_TOO_LARGE) {
		return r;
	}
	/* with CONN_MAX_GLOBAL_PENDING requests unanswered no more go out: the count still grows */
	return ++c->keepalive_pending;
}
