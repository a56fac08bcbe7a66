/*
 * A bridge: the bytes between local descriptors (a TCP socket, or stdin/stdout for -W) and one
 * TCP/IP channel of a connection, both ways, with EOF and close carried across. The loop gives it
 * poll slots and events; it never blocks (its descriptors are non-blocking).
 *
 * Flow control is the channel's: the bridge reads from its descriptor only as much as
 * ssh_conn_chan_room allows, and gives window back only for what its descriptor took, so a slow
 * local reader stalls its own channel and nothing else.
 */
#ifndef X509SSH_BRIDGE_H
#define X509SSH_BRIDGE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "socks.h"
#include "ssh/conn.h"

struct resolve;

#define BRIDGE_PRE_MAX 1024 /* bytes a SOCKS client sent behind its request, before the open */

enum bridge_state {
	BR_SOCKS = 0, /* a SOCKS dialogue with the local client comes first (-D) */
	BR_RSOCKS,    /* -R port: a SOCKS dialogue on the channel's data comes first */
	BR_OPENING,   /* the channel open was sent (or the local connect is under way for -R) */
	BR_OPEN,      /* bytes flow */
	BR_DEAD,      /* closed both ways: the loop frees it */
};

struct bridge {
	enum bridge_state state;
	struct ssh_conn *c;
	uint32_t id;            /* the channel (valid from BR_OPENING on) */
	int have_chan;          /* id names a channel of ours (not yet released) */
	int rfd, wfd;           /* equal for a socket; -1 once closed */
	int is_sock;            /* rfd == wfd is a socket: EOF is shutdown(SHUT_WR) */
	int connecting;         /* -R: the local connect is in progress (POLLOUT on wfd) */
	struct resolve *lookup; /* -R: the target's name lookup is under way (fds still -1) */
	int local_eof;          /* read EOF from rfd: CHANNEL_EOF sent */
	int remote_eof;         /* the server sent EOF */
	int remote_closed;      /* the server's CLOSE came (SSH_EV_CHAN_CLOSED) */
	int wr_shut;            /* the server's EOF was passed on (wfd shut or closed) */
	int close_sent;         /* ssh_conn_chan_close called */
	int out_dead;           /* writing wfd failed: what arrives is dropped */
	int is_stdio;           /* -W: the process's stdin/stdout (never closed, only shut) */
	int use_socks;          /* -D: the SOCKS dialogue came first (its reply is owed) */
	struct socks socks;     /* its state */
	uint8_t reply[64];      /* SOCKS reply bytes to write to the client before any data */
	size_t nreply;
	uint8_t pre[BRIDGE_PRE_MAX]; /* client bytes that go to the channel first */
	size_t npre;
	char what[200]; /* "127.0.0.1 port 41234 -> host:80 (LocalForward 8080)" for ~# and logs */
};

/* A bridge on fds (rfd == wfd for a socket), no channel yet; NULL when out of memory. */
struct bridge *bridge_new(struct ssh_conn *c, int rfd, int wfd, int is_sock, const char *what);
/* Close its descriptors (stdio: left open) and free it. */
void bridge_free(struct bridge *b);

/* Its poll wishes: events for rfd and wfd (a slot's fd is -1 when it wants nothing). */
void bridge_poll(struct bridge *b, struct pollfd *rd, struct pollfd *wr);
/*
 * After poll: move bytes as far as they go. rev_r/rev_w are the revents of its two slots.
 * iobuf is scratch of iolen bytes. Returns 0 or a negative engine error (the connection's).
 */
int bridge_io(struct bridge *b, short rev_r, short rev_w, uint8_t *iobuf, size_t iolen);
/* An SSH_EV_CHAN_* event naming b->id. Returns 0 or a negative engine error. */
int bridge_event(struct bridge *b, const struct ssh_event *ev);
/* The bytes owed to the client (SOCKS replies) and the channel's data: written as far as they go.
 */
int bridge_flush(struct bridge *b);

/* Tear it down now (local side gone or the loop ends): close the channel if open. */
int bridge_abort(struct bridge *b);

#endif
