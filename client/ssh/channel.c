/* The channel table (RFC 4254 section 5): rows by local id, windows both ways, data, EOF, CLOSE,
 * and the dispatch of channel messages to the session channel (chan_session.c) or the TCP/IP
 * channels (chan_tcpip.c). The session channel is row 0 (struct ssh_conn's ch); TCP/IP rows are
 * allocated, and released once their last event (CHAN_CLOSED, CHAN_OPEN_FAILED) is handed out. */
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"
#include "err.h"

void chan_free(struct chan *ch)
{
	buf_free(&ch->out[0]);
	buf_free(&ch->out[1]);
	free(ch->signal);
	free(ch->sigmsg);
	ch->signal = NULL;
	ch->sigmsg = NULL;
}

void chan_init(
    struct chan *ch, enum chan_kind kind, uint32_t id, uint32_t lwin_max, uint32_t lmaxpkt)
{
	ch->kind = kind;
	ch->id = id;
	ch->lwin_max = lwin_max;
	ch->lwin = lwin_max;
	ch->lmaxpkt = lmaxpkt;
	buf_init(&ch->out[0]);
	buf_init(&ch->out[1]);
	buf_set_max(&ch->out[0], (size_t)lwin_max + lmaxpkt);
	buf_set_max(&ch->out[1], (size_t)lwin_max + lmaxpkt);
}

void channel_table_free(struct ssh_conn *c)
{
	size_t i;

	for (i = 0; i < CONN_CHAN_SLOTS; i++) {
		if (c->chans[i] != NULL && c->chans[i] != &c->ch) {
			chan_free(c->chans[i]);
			free(c->chans[i]);
		}
		c->chans[i] = NULL;
	}
	c->nchans = 0;
	chan_free(&c->ch);
}

struct chan *chan_alloc(struct ssh_conn *c, enum chan_kind kind)
{
	struct chan *ch;
	uint32_t id;

	if (c->nchans >= SSH_CONN_MAX_CHANNELS) {
		return NULL;
	}
	/* the lowest free id (ids are reused): a scan on open only, never per packet */
	for (id = 0; id < CONN_CHAN_SLOTS && c->chans[id] != NULL; id++) {
	}
	if (id == CONN_CHAN_SLOTS || (ch = calloc(1, sizeof(*ch))) == NULL) {
		return NULL;
	}
	chan_init(ch, kind, id, CHAN_TCP_WINDOW, CHAN_TCP_MAXPACKET);
	c->chans[id] = ch;
	c->nchans++;
	return ch;
}

void chan_release(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch = id < CONN_CHAN_SLOTS ? c->chans[id] : NULL;

	if (ch == NULL || ch == &c->ch) {
		return;
	}
	conn_log(c, SSH_LOG_DEBUG2, "channel %u: free", id);
	chan_free(ch);
	free(ch);
	c->chans[id] = NULL;
	c->nchans--;
}

struct chan *chan_tcp(struct ssh_conn *c, uint32_t id)
{
	struct chan *ch = id < CONN_CHAN_SLOTS ? c->chans[id] : NULL;

	if (ch == NULL ||
	    (ch->kind != CHAN_DIRECT && ch->kind != CHAN_FORWARDED && ch->kind != CHAN_AGENT)) {
		(void)conn_fail(
		    c, SSH_ERR_INTERNAL, "channel: no TCP/IP channel %u (internal)", id);
		return NULL;
	}
	return ch;
}

const char *chan_open_failure_reason(uint32_t code)
{
	static const char *const reasons[] = {"unknown reason", "administratively prohibited",
	    "connect failed", "unknown channel type", "resource shortage"};
	return code < 5 ? reasons[code] : reasons[0];
}

int chan_event(struct ssh_conn *c, struct chan *ch, enum ssh_event_type type)
{
	struct ssh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.u.chan.id = ch->id;
	return conn_event(c, &ev, NULL, NULL);
}

void chan_event_handed_out(struct ssh_conn *c, const struct ssh_event *ev)
{
	struct chan *ch;

	switch (ev->type) {
	case SSH_EV_CHANNEL_DATA:
		c->ch.data_event = 0;
		break;
	case SSH_EV_CHAN_DATA:
		ch = ev->u.chan.id < CONN_CHAN_SLOTS ? c->chans[ev->u.chan.id] : NULL;
		if (ch != NULL) {
			ch->data_event = 0;
		}
		break;
	case SSH_EV_CHAN_CLOSED:
		/* released once the caller has closed too: what it has not read yet stays */
		ch = ev->u.chan.id < CONN_CHAN_SLOTS ? c->chans[ev->u.chan.id] : NULL;
		if (ch != NULL && !ch->caller_closed) {
			ch->closed_out = 1;
			break;
		}
		chan_release(c, ev->u.chan.id);
		break;
	case SSH_EV_CHAN_OPEN_FAILED:
		chan_release(c, ev->u.chan.id);
		break;
	default:
		break;
	}
}

int chan_send_simple(struct ssh_conn *c, struct chan *ch, uint8_t type)
{
	struct buf b;
	int r;

	buf_init(&b);
	if ((r = buf_put_u8(&b, type)) == 0 && (r = buf_put_u32(&b, ch->remote_id)) == 0) {
		r = transport_send(c, &b);
	}
	buf_free(&b);
	return r;
}

int chan_send_close(struct ssh_conn *c, struct chan *ch)
{
	if (ch->close_sent) {
		return 0;
	}
	ch->close_sent = 1;
	conn_log(c, SSH_LOG_DEBUG2, "channel %u: send close", ch->id);
	return chan_send_simple(c, ch, SSH_MSG_CHANNEL_CLOSE);
}

int chan_send_eof(struct ssh_conn *c, struct chan *ch)
{
	if (!ch->open || ch->eof_sent || ch->close_sent) {
		return 0;
	}
	ch->eof_sent = 1;
	conn_log(c, SSH_LOG_DEBUG2, "channel %u: sent eof", ch->id);
	return chan_send_simple(c, ch, SSH_MSG_CHANNEL_EOF);
}

/* give the window back once a quarter of it has been consumed */
int chan_consumed(struct ssh_conn *c, struct chan *ch, int ext, size_t n)
{
	struct buf b;
	int r = 0;

	if (c->err != 0) {
		return c->err;
	}
	if (n > 0) {
		if (buf_consume(&ch->out[ext ? 1 : 0], n) != 0) {
			return conn_fail(
			    c, SSH_ERR_INTERNAL, "channel: consumed more than buffered");
		}
		ch->lconsumed += (uint32_t)n;
	}
	if (ch->open && !ch->close_sent && !ch->eof_got && ch->lconsumed >= ch->lwin_max / 4) {
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

size_t chan_room(struct ssh_conn *c, const struct chan *ch)
{
	size_t room, chunk = CHAN_SEND_CHUNK, overhead = 9 + 4 + 1 + 64 + 64;

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
	if (ch->rmaxpkt > 0 && ch->rmaxpkt < chunk) {
		chunk = ch->rmaxpkt;
	}
	room = (CONN_MAX_OUT - buf_len(&c->out)) / (chunk + overhead) * chunk;
	if (room > ch->rwin) {
		room = (size_t)ch->rwin;
	}
	return room;
}

/* CHANNEL_DATA sealed straight into the output (no key exchange runs: chan_room is 0 then) */
int chan_write(struct ssh_conn *c, struct chan *ch, const uint8_t *data, size_t len)
{
	uint32_t chunk_max = CHAN_SEND_CHUNK;
	int r = 0;

	if (c->err != 0) {
		return c->err;
	}
	if (len > chan_room(c, ch)) {
		if (ch->kind == CHAN_SESSION) {
			return conn_fail(
			    c, SSH_ERR_INTERNAL, "channel: stdin write beyond the window");
		}
		return conn_fail(c, SSH_ERR_INTERNAL,
		    "channel: write beyond the window on channel %u (internal)", ch->id);
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

static int recv_data(struct ssh_conn *c, struct chan *ch, struct rd *msg, int ext)
{
	const uint8_t *p;
	uint32_t code = 1;
	size_t n;
	int r;

	if (ext && rd_u32(msg, &code) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed extended data");
	}
	if (rd_string(msg, &p, &n) != 0 || rd_end(msg) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed data message");
	}
	if (ch->eof_got) {
		return conn_fail(c, SSH_ERR_PROTOCOL, "channel: data after EOF from the server");
	}
	if (n > ch->lwin) {
		return conn_fail(c, SSH_ERR_PROTOCOL,
		    "channel: the server sent %zu bytes beyond our window", n - ch->lwin);
	}
	ch->lwin -= (uint32_t)n;
	if ((ext && (code != 1 || ch->kind != CHAN_SESSION)) || ch->close_sent) {
		/* an unknown stream, extended data of a TCP/IP channel, or data after our CLOSE:
		 * drop it but give the window back */
		ch->lconsumed += (uint32_t)n;
		return chan_consumed(c, ch, 0, 0);
	}
	if ((r = buf_put(&ch->out[ext ? 1 : 0], p, n)) != 0) {
		return conn_fail(c, r, "channel: %s", ssh_err_str(r));
	}
	if (!ch->data_event && n > 0) {
		ch->data_event = 1;
		return chan_event(
		    c, ch, ch->kind == CHAN_SESSION ? SSH_EV_CHANNEL_DATA : SSH_EV_CHAN_DATA);
	}
	return 0;
}

static int recv_request(struct ssh_conn *c, struct chan *ch, struct rd *msg)
{
	const uint8_t *t;
	size_t tn;
	int want_reply;

	if (rd_string(msg, &t, &tn) != 0 || rd_bool(msg, &want_reply) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed channel request");
	}
	if (ch->kind == CHAN_SESSION) {
		return session_recv_request(c, ch, t, tn, want_reply, msg);
	}
	conn_log(c, SSH_LOG_DEBUG1, "channel %u: request %.*s refused", ch->id,
	    (int)(tn > 64 ? 64 : tn), (const char *)t);
	return want_reply ? chan_send_simple(c, ch, SSH_MSG_CHANNEL_FAILURE) : 0;
}

static int recv_close(struct ssh_conn *c, struct chan *ch)
{
	int r;

	ch->close_got = 1;
	conn_log(c, SSH_LOG_DEBUG2, "channel %u: rcvd close", ch->id);
	if ((r = chan_send_close(c, ch)) != 0) {
		return r;
	}
	if (ch->kind == CHAN_SESSION) {
		return session_closed(c);
	}
	return chan_event(c, ch, SSH_EV_CHAN_CLOSED);
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

/* the row a message names, or a protocol error */
static struct chan *chan_for_msg(struct ssh_conn *c, uint8_t type, uint32_t id)
{
	struct chan *ch = id < CONN_CHAN_SLOTS ? c->chans[id] : NULL;

	if (ch != NULL && ch->close_got) {
		/* RFC 4254 section 5.3: nothing may follow the server's CLOSE on the channel */
		(void)conn_fail(c, SSH_ERR_PROTOCOL,
		    "channel: the server sent %s after closing the channel",
		    after_close_what(type));
		return NULL;
	}
	if (ch == NULL || !ch->open_sent) {
		(void)conn_fail(
		    c, SSH_ERR_PROTOCOL, "channel: message %u for unknown channel %u", type, id);
		return NULL;
	}
	if (!ch->open && (ch->incoming || (type != SSH_MSG_CHANNEL_OPEN_CONFIRMATION &&
	                                      type != SSH_MSG_CHANNEL_OPEN_FAILURE))) {
		(void)conn_fail(
		    c, SSH_ERR_PROTOCOL, "channel: message %u before the channel opened", type);
		return NULL;
	}
	return ch;
}

int channel_handle(struct ssh_conn *c, uint8_t type, struct rd *msg)
{
	struct chan *ch;
	uint32_t id, v;

	if (type == SSH_MSG_CHANNEL_OPEN) {
		return tcpip_recv_open(c, msg);
	}
	if (rd_u32(msg, &id) != 0) {
		return conn_fail(c, SSH_ERR_FORMAT, "channel: malformed channel message %u", type);
	}
	if ((ch = chan_for_msg(c, type, id)) == NULL) {
		return c->err;
	}
	switch (type) {
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
		return recv_data(c, ch, msg, 0);
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return recv_data(c, ch, msg, 1);
	case SSH_MSG_CHANNEL_EOF:
		ch->eof_got = 1;
		conn_log(c, SSH_LOG_DEBUG2, "channel %u: rcvd eof", ch->id);
		if (ch->kind == CHAN_SESSION || ch->close_sent) {
			return 0;
		}
		return chan_event(c, ch, SSH_EV_CHAN_EOF);
	case SSH_MSG_CHANNEL_CLOSE:
		return recv_close(c, ch);
	case SSH_MSG_CHANNEL_REQUEST:
		return recv_request(c, ch, msg);
	default:
		break;
	}
	if (ch->kind == CHAN_SESSION) {
		return session_handle(c, ch, type, msg);
	}
	return tcpip_handle(c, ch, type, msg);
}
