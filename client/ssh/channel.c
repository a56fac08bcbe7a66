/* The session channel (RFC 4254): open, pty/env/exec/shell/subsystem requests, data both ways
 * with flow control, EOF, exit-status / exit-signal, close; or no channel at all (SessionType
 * none). */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "err.h"

#define CHAN_LOCAL_ID 0

void chan_free(struct chan *ch)
{
	buf_free(&ch->out[0]);
	buf_free(&ch->out[1]);
	free(ch->signal);
	free(ch->sigmsg);
	ch->signal = NULL;
	ch->sigmsg = NULL;
}

/* SessionType none: authenticated and nothing to open; the connection just stays up */
static int session_none_ready(struct ssh_conn *c)
{
	struct ssh_event ev;

	c->ch.ready = 1;
	conn_log(c, SSH_LOG_DEBUG1, "no session requested (SessionType none)");
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_SESSION_READY;
	return conn_event(c, &ev, NULL, NULL);
}

int channel_open(struct ssh_conn *c)
{
	struct chan *ch = &c->ch;
	struct buf b;
	int r;

	if (c->cfg.session == SSH_SESSION_NONE) {
		return session_none_ready(c);
	}
	buf_init(&b);
	ch->lwin = CHAN_WINDOW;
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN)) == 0 &&
	    (r = buf_put_cstring(&b, "session")) == 0 &&
	    (r = buf_put_u32(&b, CHAN_LOCAL_ID)) == 0 && (r = buf_put_u32(&b, CHAN_WINDOW)) == 0 &&
	    (r = buf_put_u32(&b, CHAN_MAXPACKET)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	ch->open_sent = 1;
	conn_log(c, SSH_LOG_DEBUG1, "channel 0: new session");
	return r;
}

static int chan_request_head(struct ssh_conn *c, struct buf *b, const char *type, int want_reply)
{
	int r;

	if ((r = buf_put_u8(b, SSH_MSG_CHANNEL_REQUEST)) != 0 ||
	    (r = buf_put_u32(b, c->ch.remote_id)) != 0 || (r = buf_put_cstring(b, type)) != 0 ||
	    (r = buf_put_bool(b, want_reply)) != 0) {
		return r;
	}
	return 0;
}

static int has_command(const struct ssh_conn *c)
{
	return c->cfg.command != NULL && c->cfg.command[0] != '\0';
}

/* The request that starts the session: a subsystem, the command, or a shell. */
static const char *start_request(const struct ssh_conn *c)
{
	if (c->cfg.session == SSH_SESSION_SUBSYSTEM) {
		return "subsystem";
	}
	return has_command(c) ? "exec" : "shell";
}

/* The error line for a refused start request. */
static int start_refused(struct ssh_conn *c)
{
	if (c->cfg.session == SSH_SESSION_SUBSYSTEM) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "channel: the server refused subsystem '%s'",
		    c->cfg.command);
	}
	return conn_fail(c, SSH_ERR_PROTOCOL, "channel: the server refused to run %s",
	    has_command(c) ? "the command" : "a shell");
}

static int send_session_requests(struct ssh_conn *c)
{
	struct buf b;
	size_t i;
	int r = 0;

	buf_init(&b);
	for (i = 0; c->cfg.env != NULL && c->cfg.env[i] != NULL; i++) {
		const char *eq = strchr(c->cfg.env[i], '=');
		if (eq == NULL) {
			continue;
		}
		buf_reset(&b);
		if ((r = chan_request_head(c, &b, "env", 0)) != 0 ||
		    (r = buf_put_string(&b, c->cfg.env[i], (size_t)(eq - c->cfg.env[i]))) != 0 ||
		    (r = buf_put_cstring(&b, eq + 1)) != 0 || (r = transport_send(c, &b)) != 0) {
			goto out;
		}
		conn_log(c, SSH_LOG_DEBUG1, "Sending env %.*s", (int)(eq - c->cfg.env[i]),
		    c->cfg.env[i]);
	}
	if (c->cfg.want_tty) {
		buf_reset(&b);
		if ((r = chan_request_head(c, &b, "pty-req", 0)) != 0 ||
		    (r = buf_put_cstring(&b, c->cfg.term != NULL ? c->cfg.term : "vt100")) != 0 ||
		    (r = buf_put_u32(&b, c->cfg.cols)) != 0 ||
		    (r = buf_put_u32(&b, c->cfg.rows)) != 0 || (r = buf_put_u32(&b, 0)) != 0 ||
		    (r = buf_put_u32(&b, 0)) != 0 || (r = buf_put_cstring(&b, "")) != 0 ||
		    (r = transport_send(c, &b)) != 0) {
			goto out;
		}
	}
	buf_reset(&b);
	if ((r = chan_request_head(c, &b, start_request(c), 1)) != 0) {
		goto out;
	}
	if (c->cfg.session == SSH_SESSION_SUBSYSTEM || has_command(c)) {
		if ((r = buf_put_cstring(&b, c->cfg.command)) != 0) {
			goto out;
		}
		conn_log(c, SSH_LOG_DEBUG1, "Sending %s: %s",
		    c->cfg.session == SSH_SESSION_SUBSYSTEM ? "subsystem" : "command",
		    c->cfg.command);
	}
	r = transport_send(c, &b);
	c->ch.req_pending = 1;
out:
	buf_free(&b);
	return r;
}

static int maybe_raise_exit(struct ssh_conn *c)
{
	struct chan *ch = &c->ch;
	struct ssh_event ev;

	if (!ch->close_got || ch->exit_raised) {
		return 0;
	}
	ch->exit_raised = 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = SSH_EV_EXIT;
	ev.u.exit.has_status = ch->has_status;
	ev.u.exit.status = ch->status;
	ev.u.exit.signal = ch->signal;
	ev.u.exit.core_dumped = ch->core;
	ev.u.exit.message = ch->sigmsg != NULL ? ch->sigmsg : "";
	c->state = ST_DONE;
	return conn_event(c, &ev, NULL, NULL);
}

static int send_close(struct ssh_conn *c)
{
	struct buf b;
	int r;

	if (c->ch.close_sent) {
		return 0;
	}
	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_CLOSE)) == 0 &&
	    (r = buf_put_u32(&b, c->ch.remote_id)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	c->ch.close_sent = 1;
	return r;
}

static int recv_data(struct ssh_conn *c, struct rd *msg, int ext)
{
	struct chan *ch = &c->ch;
	const uint8_t *p;
	uint32_t code = 1;
	size_t n;
	struct ssh_event ev;
	int r;

	if (ext && rd_u32(msg, &code) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed extended data");
	}
	if (rd_string(msg, &p, &n) != 0 || rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed data message");
	}
	if (ch->eof_got || ch->close_got) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "channel: data after EOF from the server");
	}
	if (n > ch->lwin) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "channel: the server sent %zu bytes beyond our "
		    "window",
		    n - ch->lwin);
	}
	ch->lwin -= (uint32_t)n;
	if (ext && code != 1) {
		/* unknown stream: drop it but give the window back */
		ch->lconsumed += (uint32_t)n;
		return ssh_conn_channel_consumed(c, 0, 0);
	}
	if ((r = buf_put(&ch->out[ext ? 1 : 0], p, n)) != 0) {
		return conn_fail(c, r, "channel: %s", ssh_err_str(r));
	}
	if (!ch->data_event && n > 0) {
		ch->data_event = 1;
		memset(&ev, 0, sizeof(ev));
		ev.type = SSH_EV_CHANNEL_DATA;
		return conn_event(c, &ev, NULL, NULL);
	}
	return 0;
}

static int recv_request(struct ssh_conn *c, struct rd *msg)
{
	struct chan *ch = &c->ch;
	const uint8_t *t, *p;
	size_t tn, n;
	int want_reply, core = 0, r = 0;
	uint32_t st;
	struct buf b;

	if (rd_string(msg, &t, &tn) != 0 || rd_bool(msg, &want_reply) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed channel request");
	}
	if (str_eq(t, tn, "exit-status")) {
		if (rd_u32(msg, &st) != 0 || rd_end(msg) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed exit-status");
		}
		ch->has_status = 1;
		ch->status = st;
		conn_log(c, SSH_LOG_DEBUG1, "client_input_channel_req: exit-status %u", st);
		return 0;
	}
	if (str_eq(t, tn, "exit-signal")) {
		if (rd_string(msg, &p, &n) != 0 || rd_bool(msg, &core) != 0 || n == 0 || n > 64) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed exit-signal");
		}
		free(ch->signal);
		ch->signal = sanitize_text(p, n, 0);
		ch->core = core;
		if (rd_string(msg, &p, &n) == 0) {
			free(ch->sigmsg);
			ch->sigmsg = sanitize_text(p, n > 256 ? 256 : n, 0);
		}
		return 0;
	}
	conn_log(c, SSH_LOG_DEBUG1, "channel request %.*s refused", (int)(tn > 64 ? 64 : tn),
	    (const char *)t);
	if (want_reply) {
		buf_init(&b);
		if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_FAILURE)) == 0 &&
		    (r = buf_put_u32(&b, ch->remote_id)) == 0) {
			r = transport_send(c, &b);
		}
		buf_free(&b);
	}
	return r;
}

static const char *open_failure_reason(uint32_t code)
{
	static const char *const reasons[] = {"unknown reason", "administratively prohibited",
	    "connect failed", "unknown channel type", "resource shortage"};
	return code < 5 ? reasons[code] : reasons[0];
}

/* what a message is, for "the server sent ... after closing the channel" */
static const char *after_close_what(uint8_t type)
{
	switch (type) {
	case SSH_MSG_CHANNEL_DATA:
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return "data";
	case SSH_MSG_CHANNEL_EOF:
		return "EOF";
	case SSH_MSG_CHANNEL_CLOSE:
		return "a second CLOSE";
	case SSH_MSG_CHANNEL_REQUEST:
		return "a channel request";
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		return "a window adjustment";
	default:
		return "a channel message";
	}
}

int channel_handle(struct ssh_conn *c, uint8_t type, struct rd *msg)
{
	struct chan *ch = &c->ch;
	struct ssh_event ev;
	uint32_t id, v, v2;
	const uint8_t *p;
	size_t n;
	struct buf b;
	char *t;
	int r;

	if (type == SSH_MSG_CHANNEL_OPEN) {
		/* the server may not open channels to us (no forwarding) */
		if (rd_skip_string(msg) != 0 || rd_u32(msg, &id) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed channel open");
		}
		buf_init(&b);
		if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN_FAILURE)) == 0 &&
		    (r = buf_put_u32(&b, id)) == 0 && (r = buf_put_u32(&b, 1)) == 0 &&
		    (r = buf_put_cstring(&b, "open refused by client")) == 0 &&
		    (r = buf_put_cstring(&b, "")) == 0) {
			r = transport_send(c, &b);
		}
		buf_free(&b);
		return r;
	}
	if (rd_u32(msg, &id) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed channel message %u", type);
	}
	if (id == CHAN_LOCAL_ID && ch->close_got) {
		/* RFC 4254 section 5.3: nothing may follow the server's CLOSE on the channel */
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "channel: the server sent %s after closing the channel",
		    after_close_what(type));
	}
	if (id != CHAN_LOCAL_ID || !ch->open_sent) {
		return conn_fail(
		    c, SSH_ERR_PROTOCOL, "channel: message %u for unknown channel %u", type, id);
	}
	if (!ch->open && type != SSH_MSG_CHANNEL_OPEN_CONFIRMATION &&
	    type != SSH_MSG_CHANNEL_OPEN_FAILURE) {
		return conn_fail(
		    c, SSH_ERR_PROTOCOL, "channel: message %u before the channel opened", type);
	}
	switch (type) {
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
		if (ch->open || rd_u32(msg, &ch->remote_id) != 0 || rd_u32(msg, &v) != 0 ||
		    rd_u32(msg, &v2) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: bad open confirmation");
		}
		ch->open = 1;
		ch->rwin = v;
		ch->rmaxpkt = v2;
		conn_log(c, SSH_LOG_DEBUG2, "channel 0: open confirm rwindow %u rmax %u", v, v2);
		return send_session_requests(c);
	case SSH_MSG_CHANNEL_OPEN_FAILURE:
		if (ch->open || rd_u32(msg, &v) != 0 || rd_string(msg, &p, &n) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: bad open failure");
		}
		t = sanitize_text(p, n > 200 ? 200 : n, 0);
		r = conn_fail(c, SSH_ERR_PROTOCOL,
		    "channel: the server refused the session channel: "
		    "%s%s%s",
		    open_failure_reason(v), t != NULL && t[0] ? ": " : "", t != NULL ? t : "");
		free(t);
		return r;
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		if (rd_u32(msg, &v) != 0 || rd_end(msg) != 0) {
			return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed window adjust");
		}
		ch->rwin += v;
		if (ch->rwin > 0xffffffffull) {
			ch->rwin = 0xffffffffull; /* RFC 4254: never more than 2^32 - 1 */
		}
		return 0;
	case SSH_MSG_CHANNEL_DATA:
		return recv_data(c, msg, 0);
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return recv_data(c, msg, 1);
	case SSH_MSG_CHANNEL_EOF:
		ch->eof_got = 1;
		conn_log(c, SSH_LOG_DEBUG2, "channel 0: rcvd eof");
		return 0;
	case SSH_MSG_CHANNEL_CLOSE:
		ch->close_got = 1;
		conn_log(c, SSH_LOG_DEBUG2, "channel 0: rcvd close");
		if ((r = send_close(c)) != 0) {
			return r;
		}
		return maybe_raise_exit(c);
	case SSH_MSG_CHANNEL_REQUEST:
		return recv_request(c, msg);
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		if (!ch->req_pending) {
			return 0; /* a reply to nothing we asked: ignore */
		}
		ch->req_pending = 0;
		if (type == SSH_MSG_CHANNEL_FAILURE) {
			return start_refused(c);
		}
		ch->ready = 1;
		memset(&ev, 0, sizeof(ev));
		ev.type = SSH_EV_SESSION_READY;
		return conn_event(c, &ev, NULL, NULL);
	default:
		break;
	}
	conn_log(c, SSH_LOG_DEBUG1, "channel: ignoring message %u", type);
	return 0;
}

const uint8_t *ssh_conn_channel_peek(struct ssh_conn *c, int is_stderr, size_t *len)
{
	const struct buf *b = &c->ch.out[is_stderr ? 1 : 0];

	*len = buf_len(b);
	return buf_ptr(b);
}

int ssh_conn_channel_consumed(struct ssh_conn *c, int is_stderr, size_t n)
{
	struct chan *ch = &c->ch;
	struct buf b;
	int r = 0;

	if (c->err != 0) {
		return c->err;
	}
	if (n > 0) {
		if (buf_consume(&ch->out[is_stderr ? 1 : 0], n) != 0) {
			return conn_fail(
			    c, SSH_ERR_INTERNAL, "channel: consumed more than buffered");
		}
		ch->lconsumed += (uint32_t)n;
	}
	/* give the window back once a quarter of it has been consumed */
	if (ch->open && !ch->close_sent && !ch->eof_got && ch->lconsumed >= CHAN_WINDOW / 4) {
		buf_init(&b);
		if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_WINDOW_ADJUST)) == 0 &&
		    (r = buf_put_u32(&b, ch->remote_id)) == 0 &&
		    (r = buf_put_u32(&b, ch->lconsumed)) == 0) {
			r = transport_send(c, &b);
		}
		buf_free(&b);
		ch->lwin += ch->lconsumed;
		ch->lconsumed = 0;
	}
	return r;
}

size_t ssh_conn_stdin_room(struct ssh_conn *c)
{
	struct chan *ch = &c->ch;
	size_t room;

	if (c->err != 0 || !ch->ready || ch->eof_sent || ch->close_sent || ch->close_got) {
		return 0;
	}
	if (c->kex.sent_kexinit && !c->kex.newkeys_sent) {
		return 0; /* rekeying: data would only be held back */
	}
	if (buf_len(&c->out) >= CONN_MAX_OUT) {
		return 0;
	}
	/* the output cap counts wire bytes: allow for each packet's framing (a peer may announce a
	 * tiny maximum packet size, making the overhead dominate) */
	{
		size_t chunk = CHAN_SEND_CHUNK, overhead = 9 + 4 + 1 + 64 + 64;
		if (ch->rmaxpkt > 0 && ch->rmaxpkt < chunk) {
			chunk = ch->rmaxpkt;
		}
		room = (CONN_MAX_OUT - buf_len(&c->out)) / (chunk + overhead) * chunk;
	}
	if (room > ch->rwin) {
		room = (size_t)ch->rwin;
	}
	return room;
}

int ssh_conn_stdin_write(struct ssh_conn *c, const uint8_t *data, size_t len)
{
	struct chan *ch = &c->ch;
	uint32_t chunk_max = CHAN_SEND_CHUNK;
	int r = 0;

	if (c->err != 0) {
		return c->err;
	}
	if (len > ssh_conn_stdin_room(c)) {
		return conn_fail(c, SSH_ERR_INTERNAL, "channel: stdin write beyond the window");
	}
	if (ch->rmaxpkt > 0 && ch->rmaxpkt < chunk_max) {
		chunk_max = ch->rmaxpkt;
	}
	while (len > 0) {
		size_t n = len > chunk_max ? chunk_max : len;
		uint8_t head[9];
		head[0] = SSH_MSG_CHANNEL_DATA;
		poke_u32(head + 1, ch->remote_id);
		poke_u32(head + 5, (uint32_t)n);
		/* no key exchange is running (stdin_room is 0 then): seal straight into the output
		 */
		if ((r = pkt_seal_parts(&c->tx, head, sizeof(head), data, n, &c->out)) != 0) {
			r = conn_fail(c, r, "connect: cannot send packet: %s", ssh_err_str(r));
			break;
		}
		ch->rwin -= n;
		data += n;
		len -= n;
	}
	if (r == 0) {
		r = kex_maybe_rekey(c);
	}
	return r;
}

int ssh_conn_stdin_eof(struct ssh_conn *c)
{
	struct chan *ch = &c->ch;
	struct buf b;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (!ch->open || ch->eof_sent || ch->close_sent) {
		return 0;
	}
	buf_init(&b);
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_EOF)) == 0 &&
	    (r = buf_put_u32(&b, ch->remote_id)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	ch->eof_sent = 1;
	conn_log(c, SSH_LOG_DEBUG2, "channel 0: sent eof");
	return r;
}

int ssh_conn_window_change(struct ssh_conn *c, uint32_t cols, uint32_t rows)
{
	struct buf b;
	int r;

	if (c->err != 0) {
		return c->err;
	}
	if (!c->ch.open || c->ch.close_sent) {
		return 0;
	}
	buf_init(&b);
	if ((r = chan_request_head(c, &b, "window-change", 0)) == 0 &&
	    (r = buf_put_u32(&b, cols)) == 0 && (r = buf_put_u32(&b, rows)) == 0 &&
	    (r = buf_put_u32(&b, 0)) == 0 && (r = buf_put_u32(&b, 0)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	return r;
}
