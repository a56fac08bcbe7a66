/* Bytes between a local descriptor pair and one TCP/IP channel (bridge.h). */
#include "bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"
#include "ssh/err.h"

struct bridge *bridge_new(struct ssh_conn *c, int rfd, int wfd, int is_sock, const char *what)
{
	struct bridge *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		return NULL;
	}
	b->c = c;
	b->rfd = rfd;
	b->wfd = wfd;
	b->is_sock = is_sock;
	b->state = BR_OPENING;
	snprintf(b->what, sizeof(b->what), "%s", what != NULL ? what : "");
	return b;
}

static void close_fds(struct bridge *b)
{
	resolve_free(b->lookup);
	b->lookup = NULL;
	if (!b->is_stdio) {
		if (b->rfd >= 0) {
			close(b->rfd);
		}
		if (b->wfd >= 0 && b->wfd != b->rfd) {
			close(b->wfd);
		}
	}
	b->rfd = -1;
	b->wfd = -1;
}

void bridge_free(struct bridge *b)
{
	if (b == NULL) {
		return;
	}
	close_fds(b);
	free(b);
}

/* nothing more will be read from the local side */
static void stop_reading(struct bridge *b)
{
	if (b->rfd >= 0 && b->rfd != b->wfd && !b->is_stdio) {
		close(b->rfd);
	}
	if (b->rfd != b->wfd || b->is_stdio) {
		b->rfd = -1;
	}
	b->local_eof = 1;
}

/* the channel is told to close (once); the row goes when the server's CLOSE has come too */
static int close_channel(struct bridge *b)
{
	int r = 0;

	if (b->have_chan && !b->close_sent) {
		b->close_sent = 1;
		r = ssh_conn_chan_close(b->c, b->id);
		if (b->remote_closed) {
			b->have_chan = 0; /* released by the call above */
		}
	}
	if (!b->have_chan || b->remote_closed) {
		b->state = BR_DEAD;
	}
	return r;
}

int bridge_abort(struct bridge *b)
{
	if (b->state == BR_DEAD) {
		return 0;
	}
	close_fds(b);
	if (!b->have_chan) {
		b->state = BR_DEAD;
		return 0;
	}
	return close_channel(b);
}

static size_t chan_pending(struct bridge *b)
{
	size_t len = 0;

	if (b->have_chan && b->state == BR_OPEN) {
		(void)ssh_conn_chan_peek(b->c, b->id, &len);
	}
	return len;
}

void bridge_poll(struct bridge *b, struct pollfd *rd, struct pollfd *wr)
{
	rd->fd = -1;
	rd->events = 0;
	wr->fd = -1;
	wr->events = 0;
	if (b->state == BR_DEAD) {
		return;
	}
	if (b->lookup != NULL) {
		rd->fd = resolve_fd(b->lookup);
		rd->events = POLLIN;
		return;
	}
	if (b->connecting) {
		wr->fd = b->wfd;
		wr->events = POLLOUT;
		return;
	}
	if (b->rfd >= 0 && !b->local_eof &&
	    (b->state == BR_SOCKS ||
	        (b->state == BR_OPEN && b->npre == 0 && ssh_conn_chan_room(b->c, b->id) > 0))) {
		rd->fd = b->rfd;
		rd->events = POLLIN;
	}
	if (b->wfd >= 0 && !b->out_dead && (b->nreply > 0 || chan_pending(b) > 0)) {
		wr->fd = b->wfd;
		wr->events = POLLOUT;
	}
}

/* write as much of p[0..len) as wfd takes now; -1 when wfd is dead */
static ssize_t put_out(struct bridge *b, const uint8_t *p, size_t len)
{
	ssize_t n;

	do {
		n = write(b->wfd, p, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return 0;
	}
	if (n < 0) {
		log_debug1("%s: write: %s", b->what, strerror(errno));
		b->out_dead = 1;
		return -1;
	}
	return n;
}

/* what the SOCKS codec has for the client joins the bytes owed to it */
static void take_socks_out(struct bridge *b)
{
	size_t len = 0;
	const uint8_t *p = socks_out(&b->socks, &len);

	if (len > sizeof(b->reply) - b->nreply) {
		len = sizeof(b->reply) - b->nreply;
	}
	memcpy(b->reply + b->nreply, p, len);
	b->nreply += len;
	socks_out_consumed(&b->socks, len);
}

/* SOCKS reply bytes first, then the channel's data */
static int drain_out(struct bridge *b)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;
	int r;

	while (b->nreply > 0 && !b->out_dead) {
		if ((n = put_out(b, b->reply, b->nreply)) <= 0) {
			return 0;
		}
		memmove(b->reply, b->reply + n, b->nreply - (size_t)n);
		b->nreply -= (size_t)n;
	}
	while (b->have_chan && b->state == BR_OPEN) {
		p = ssh_conn_chan_peek(b->c, b->id, &len);
		if (len == 0) {
			break;
		}
		if (b->out_dead) {
			return ssh_conn_chan_consumed(b->c, b->id, len);
		}
		if ((n = put_out(b, p, len)) == 0) {
			break;
		}
		if (n < 0) {
			continue; /* dropped on the next turn */
		}
		if ((r = ssh_conn_chan_consumed(b->c, b->id, (size_t)n)) < 0) {
			return r;
		}
	}
	return 0;
}

int bridge_flush(struct bridge *b)
{
	return drain_out(b);
}

/* the server's EOF reaches the local side once its data has gone out */
static int finish_remote(struct bridge *b)
{
	if (!b->remote_eof && !b->remote_closed) {
		return 0;
	}
	if (chan_pending(b) > 0 && !b->out_dead) {
		return 0;
	}
	if (b->wfd >= 0 && !b->wr_shut) {
		b->wr_shut = 1;
		if (b->is_sock) {
			(void)shutdown(b->wfd, SHUT_WR); /* the socket still reads */
		} else {
			close(b->wfd); /* -W: stdout ends here, as the server's side did */
			b->wfd = -1;
		}
	}
	if (b->remote_closed || (b->local_eof && b->remote_eof)) {
		return close_channel(b);
	}
	return 0;
}

/* send the bytes held back (SOCKS pipelining) once the channel is open */
static int flush_pre(struct bridge *b)
{
	size_t room, n;
	int r;

	if (b->npre == 0 || b->state != BR_OPEN) {
		return 0;
	}
	room = ssh_conn_chan_room(b->c, b->id);
	n = b->npre < room ? b->npre : room;
	if (n == 0) {
		return 0;
	}
	if ((r = ssh_conn_chan_write(b->c, b->id, b->pre, n)) < 0) {
		return r;
	}
	memmove(b->pre, b->pre + n, b->npre - n);
	b->npre -= n;
	return 0;
}

/* read(2) of rfd past EINTR: > 0 bytes, 0 at EOF, -1 on an error (errno), -2 when nothing is
 * there yet */
static ssize_t read_some(struct bridge *b, uint8_t *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(b->rfd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return -2;
	}
	return n;
}

static int read_in(struct bridge *b, uint8_t *iobuf, size_t iolen)
{
	size_t room = ssh_conn_chan_room(b->c, b->id);
	ssize_t n;

	if (room == 0) {
		return 0;
	}
	if (room > iolen) {
		room = iolen;
	}
	if ((n = read_some(b, iobuf, room)) == -2) {
		return 0;
	}
	if (n <= 0) {
		if (n < 0) {
			log_debug1("%s: read: %s", b->what, strerror(errno));
		}
		stop_reading(b);
		if (n < 0) {
			return bridge_abort(b);
		}
		return ssh_conn_chan_eof(b->c, b->id);
	}
	return ssh_conn_chan_write(b->c, b->id, iobuf, (size_t)n);
}

/* -D: the local client's SOCKS request; the channel opens once it is complete */
static int socks_in(struct bridge *b, uint8_t *iobuf, size_t iolen)
{
	size_t used = 0, off = 0, room = iolen < BRIDGE_PRE_MAX ? iolen : BRIDGE_PRE_MAX;
	ssize_t n;
	int st = SOCKS_MORE, r;

	if ((n = read_some(b, iobuf, room)) == -2) {
		return 0;
	}
	if (n <= 0) {
		log_debug1("%s: the SOCKS client went away", b->what);
		return bridge_abort(b);
	}
	/* a client may send its method selection and request at once: feed until it stops */
	while (off < (size_t)n) {
		st = socks_feed(&b->socks, iobuf + off, (size_t)n - off, &used);
		off += used;
		take_socks_out(b);
		if (st < 0 || st == SOCKS_REQUEST || used == 0) {
			break;
		}
	}
	if (st < 0) {
		log_verbose("%s: %s", b->what, socks_error(&b->socks));
		(void)drain_out(b);
		return bridge_abort(b);
	}
	if (st != SOCKS_REQUEST) {
		return 0;
	}
	memcpy(b->pre, iobuf + off, (size_t)n - off);
	b->npre = (size_t)n - off;
	r = ssh_conn_chan_open_tcpip(
	    b->c, socks_host(&b->socks), socks_port(&b->socks), "127.0.0.1", 0, &b->id);
	if (r == SSH_ERR_TOO_LARGE) {
		log_info("%s: too many channels", b->what);
		(void)socks_reply(&b->socks, 0, SOCKS_REP_FAILURE);
		take_socks_out(b);
		(void)drain_out(b);
		return bridge_abort(b);
	}
	if (r < 0) {
		return r;
	}
	log_debug1("%s: SOCKS%d request for %s port %u", b->what, socks_version(&b->socks),
	    socks_host(&b->socks), socks_port(&b->socks));
	b->have_chan = 1;
	b->state = BR_OPENING;
	return 0;
}

int bridge_io(struct bridge *b, short rev_r, short rev_w, uint8_t *iobuf, size_t iolen)
{
	int r;

	if (b->state == BR_DEAD) {
		return 0;
	}
	if (b->connecting || b->lookup != NULL) {
		return 0; /* the owner finishes the lookup and the connect (fwd.c) */
	}
	if (rev_w & (POLLOUT | POLLERR | POLLHUP)) {
		if ((r = drain_out(b)) < 0) {
			return r;
		}
	}
	if (rev_r & (POLLIN | POLLERR | POLLHUP)) {
		if (b->state == BR_SOCKS) {
			return socks_in(b, iobuf, iolen);
		}
		if (b->state == BR_OPEN && !b->local_eof && b->rfd >= 0 &&
		    (r = read_in(b, iobuf, iolen)) < 0) {
			return r;
		}
	}
	if (b->state == BR_OPEN) {
		if ((r = drain_out(b)) < 0) {
			return r;
		}
		return finish_remote(b);
	}
	return 0;
}

int bridge_event(struct bridge *b, const struct ssh_event *ev)
{
	int r;

	switch (ev->type) {
	case SSH_EV_CHAN_OPENED:
		b->state = BR_OPEN;
		if (b->use_socks) {
			(void)socks_reply(&b->socks, 1, SOCKS_REP_OK);
			take_socks_out(b);
		}
		if ((r = drain_out(b)) < 0) {
			return r;
		}
		return flush_pre(b);
	case SSH_EV_CHAN_OPEN_FAILED:
		b->have_chan = 0; /* released with the event */
		log_info("%s: the server refused to connect: %s", b->what,
		    ev->u.chan.message != NULL && ev->u.chan.message[0] ? ev->u.chan.message
		                                                        : "open failed");
		if (b->use_socks) {
			(void)socks_reply(
			    &b->socks, 0, socks_rep_from_open_failure(ev->u.chan.reason));
			take_socks_out(b);
			(void)drain_out(b);
		}
		close_fds(b);
		b->state = BR_DEAD;
		return 0;
	case SSH_EV_CHAN_DATA:
		return drain_out(b);
	case SSH_EV_CHAN_EOF:
		b->remote_eof = 1;
		if ((r = drain_out(b)) < 0) {
			return r;
		}
		return finish_remote(b);
	case SSH_EV_CHAN_CLOSED:
		b->remote_closed = 1;
		if (b->close_sent) {
			b->have_chan = 0; /* released with the event */
			close_fds(b);
			b->state = BR_DEAD;
			return 0;
		}
		if ((r = drain_out(b)) < 0) {
			return r;
		}
		return finish_remote(b);
	default:
		return 0;
	}
}
