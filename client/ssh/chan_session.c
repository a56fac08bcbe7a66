/* The session channel (RFC 4254 section 6), row 0 of the channel table: open, pty/env/exec/
 * shell/subsystem requests, exit-status / exit-signal, and the caller's stdin/stdout API; or no
 * channel at all (SessionType none). */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "err.h"

#define CHAN_LOCAL_ID 0

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
	c->chans[CHAN_LOCAL_ID] = ch;
	ch->kind = CHAN_SESSION;
	ch->id = CHAN_LOCAL_ID;
	if ((r = buf_put_u8(&b, SSH_MSG_CHANNEL_OPEN)) == 0 &&
	    (r = buf_put_cstring(&b, "session")) == 0 &&
	    (r = buf_put_u32(&b, CHAN_LOCAL_ID)) == 0 && (r = buf_put_u32(&b, ch->lwin_max)) == 0 &&
	    (r = buf_put_u32(&b, ch->lmaxpkt)) == 0) {
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

/* The pty-req's reply: a refusal fails the session when the caller needs the pty, else the
 * session goes on without one (OpenSSH's message). */
static int pty_reply(struct ssh_conn *c, struct chan *ch, int granted)
{
	ch->pty_pending = 0;
	if (granted) {
		return 0;
	}
	if (c->cfg.tty_required) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "channel: the server refused a pty");
	}
	conn_log(c, SSH_LOG_INFO, "PTY allocation request failed on channel %u", ch->id);
	return 0;
}

static int send_session_requests(struct ssh_conn *c)
{
	struct buf b;
	size_t i;
	int r = 0;

	buf_init(&b);
	if (c->cfg.forward_agent) {
		/* as OpenSSH's ssh: no reply wanted, before everything else */
		if ((r = chan_request_head(c, &b, "auth-agent-req@openssh.com", 0)) != 0 ||
		    (r = transport_send(c, &b)) != 0) {
			goto out;
		}
		c->agent_asked = 1;
		conn_log(c, SSH_LOG_DEBUG1, "Requesting authentication agent forwarding.");
	}
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
		if ((r = chan_request_head(c, &b, "pty-req", 1)) != 0 ||
		    (r = buf_put_cstring(&b, c->cfg.term != NULL ? c->cfg.term : "vt100")) != 0 ||
		    (r = buf_put_u32(&b, c->cfg.cols)) != 0 ||
		    (r = buf_put_u32(&b, c->cfg.rows)) != 0 || (r = buf_put_u32(&b, 0)) != 0 ||
		    (r = buf_put_u32(&b, 0)) != 0 || (r = buf_put_cstring(&b, "")) != 0 ||
		    (r = transport_send(c, &b)) != 0) {
			goto out;
		}
		c->ch.pty_pending = 1;
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

int session_closed(struct ssh_conn *c)
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

int session_recv_request(struct ssh_conn *c, struct chan *ch, const uint8_t *t, size_t tn,
    int want_reply, struct rd *msg)
{
	const uint8_t *p;
	size_t n;
	int core = 0;
	uint32_t st;

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
	return want_reply ? chan_send_simple(c, ch, SSH_MSG_CHANNEL_FAILURE) : 0;
}

int session_handle(struct ssh_conn *c, struct chan *ch, uint8_t type, struct rd *msg)
{
	struct ssh_event ev;
	uint32_t v, v2;
	const uint8_t *p;
	size_t n;
	char *t;
	int r;

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
		    chan_open_failure_reason(v), t != NULL && t[0] ? ": " : "", t != NULL ? t : "");
		free(t);
		return r;
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		if (ch->pty_pending) { /* replies come in the order of the requests */
			return pty_reply(c, ch, type == SSH_MSG_CHANNEL_SUCCESS);
		}
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
	return chan_consumed(c, &c->ch, is_stderr, n);
}

size_t ssh_conn_stdin_room(struct ssh_conn *c)
{
	return chan_room(c, &c->ch);
}

int ssh_conn_stdin_write(struct ssh_conn *c, const uint8_t *data, size_t len)
{
	return chan_write(c, &c->ch, data, len);
}

int ssh_conn_stdin_eof(struct ssh_conn *c)
{
	if (c->err != 0) {
		return c->err;
	}
	return chan_send_eof(c, &c->ch);
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
