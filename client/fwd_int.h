/*
 * Shared by the forwardings' rooms only: fwd.c (listeners, -W, jumps, the poll set, events) and
 * fwd_remote.c (-R: the requests, the channels the server opens, reverse SOCKS).
 */
#ifndef X509SSH_FWD_INT_H
#define X509SSH_FWD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bridge.h"
#include "fwd.h"
#include "fwdspec.h"

#define FWD_MAX_LISTEN 64 /* listening sockets (a spec may bind IPv4 and IPv6) */

struct listener {
	int fd;
	const struct fwd_spec *spec;
	char desc[96]; /* "LocalForward 8080" */
};

struct rfwd {
	const struct fwd_spec *spec;
	uint32_t req;
	int state;     /* 0 = asked, 1 = granted, -1 = refused */
	uint32_t port; /* as granted (the allocated one for port 0) */
};

struct fwd {
	struct ssh_conn *c;
	struct resolver *resolver; /* the loop's lookup pool (-R targets), may be NULL */
	const struct options *o;
	struct fwd_spec *specs; /* -L, -D and -R as parsed */
	size_t nspecs;
	struct listener lis[FWD_MAX_LISTEN];
	size_t nlis;
	struct rfwd *rf;
	size_t nrf;
	struct bridge **br;
	size_t nbr, cap_br;
	size_t polled_lis, polled_br; /* what the last fwd_poll filled */
	struct bridge *stdio;         /* -W */
	struct bridge *jump;          /* the next hop's connection (ProxyJump) */
	int stdio_state;              /* 0 running, 1 ended, -1 failed */
	int started;
	int draining;            /* fwd_drain: the session is over, nothing new is accepted */
	int from_cmdline;        /* ~C: a failure is a warning whatever ExitOnForwardFailure says */
	struct fwd_spec **added; /* ~C: the specs added while the session runs */
	size_t nadded;
	char err[512];
};

/* The connection's error line (the first cause wins), for fwd_error. */
void fwd_fail(struct fwd *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "Warning: ..." and go on (0), or with ExitOnForwardFailure the end of the connection. */
int fwd_forward_failed(struct fwd *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep b among f's bridges. */
int fwd_add_bridge(struct fwd *f, struct bridge *b);
/* A bridge on the connected socket fd, kept in f (*out); on failure fd is closed. */
int fwd_track_socket(struct fwd *f, int fd, const char *what, struct bridge **out);

/* ---- fwd_agent.c ---- */

/* SSH_EV_CHAN_INCOMING of an auth-agent@openssh.com channel: connect the agent's socket. */
int fwd_agent_incoming(struct fwd *f, const struct ssh_event *ev);

/* ---- fwd_remote.c ---- */

/* The address the server listens on for s, as OpenSSH's client asks. */
const char *fwd_remote_bind(const struct fwd_spec *s);
/* Ask the server to listen for s (tcpip-forward). */
int fwd_remote_start(struct fwd *f, const struct fwd_spec *s);
/* SSH_EV_GLOBAL_REPLY: granted (the allocated port printed for port 0) or refused. */
int fwd_remote_reply(struct fwd *f, const struct ssh_event *ev);
/* SSH_EV_CHAN_INCOMING: connect the forwarding's target (or start its SOCKS dialogue). */
int fwd_remote_incoming(struct fwd *f, const struct ssh_event *ev);
/* The local connect of an incoming channel has finished (its socket is writable). */
int fwd_remote_connected(struct bridge *b);
/* -R: the target's name lookup may have answered: connect (or refuse the channel) */
int fwd_remote_resolved(struct bridge *b);
/* -R port: the SOCKS request arrives as the channel's data. */
int fwd_remote_data(struct fwd *f, struct bridge *b);

#endif
