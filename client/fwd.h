/*
 * The forwardings of one connection: -L/-D listeners and the connections they accept, -R
 * requests and the channels the server opens for them, and -W's stdio channel. Each moving
 * connection is a bridge (bridge.h); this room owns them, their poll slots and their events.
 */
#ifndef X509SSH_FWD_H
#define X509SSH_FWD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fwdspec.h"
#include "options.h"
#include "ssh/conn.h"

struct fwd;
struct resolver;

/* The forwardings o asks for on connection c (nothing happens before fwd_start); a spec that does
 * not parse: "config: ..." in err. */
int fwd_new(
    struct fwd **out, struct ssh_conn *c, const struct options *o, char *err, size_t errlen);
void fwd_free(struct fwd *f);
/* The loop's lookup pool (resolve.h): -R targets named by a host name are looked up there,
 * never on the loop's thread. Without one such a target is refused. */
void fwd_set_resolver(struct fwd *f, struct resolver *p);
/* Whether there is anything to do at all (-L, -R, -D or -W, or ~C may add some). */
int fwd_any(const struct fwd *f);

/*
 * Once authenticated: listen for -L/-D, ask the server for -R, open -W's channel. A forwarding
 * that cannot be set up is a warning, or with ExitOnForwardFailure the end (negative return,
 * fwd_error says why in "category: cause" form).
 */
int fwd_start(struct fwd *f);

/* ProxyJump: the next hop's connection is fd (a socketpair end), carried over a direct-tcpip
 * channel to host:port. A refusal is the end of this hop (fwd_error says why). */
int fwd_jump(struct fwd *f, int fd, const char *host, int port);

/* Poll slots it needs now (an upper bound for fwd_poll's array), fill them, then handle them. */
size_t fwd_npoll(const struct fwd *f);
void fwd_poll(struct fwd *f, struct pollfd *p);
int fwd_io(struct fwd *f, const struct pollfd *p, size_t n, uint8_t *iobuf, size_t iolen);

/* SSH_EV_CHAN_* and SSH_EV_GLOBAL_REPLY. */
int fwd_event(struct fwd *f, const struct ssh_event *ev);

/* Set up as far as -f must wait for: started, and with ExitOnForwardFailure every -R answered. */
int fwd_settled(const struct fwd *f);

/*
 * The session has ended (as OpenSSH, the run waits for the forwarded connections still open):
 * from now on the listeners are closed and the server's new -R channels are refused.
 * 1 while forwarded connections are still open, 0 when none is left.
 */
int fwd_drain(struct fwd *f);

/* -W: its channel has ended (1), or failed to open (-1: fwd_error says why); 0 otherwise. */
int fwd_stdio_state(const struct fwd *f);
const char *fwd_error(const struct fwd *f);

/*
 * ~C: add the forwarding text says (as -L / -D / -R write it; kind FWD_REMOTE takes reverse
 * SOCKS too) or cancel the one of kind listening on "[bind:]port". A failure is a warning, never
 * the end of the run; msg gets OpenSSH's answer ("Forwarding port.", "Port forwarding failed.",
 * "Canceled forwarding.", ...). Negative only for a broken connection or memory.
 */
int fwd_add_spec(struct fwd *f, enum fwd_kind kind, const char *text, char *msg, size_t len);
int fwd_cancel(struct fwd *f, enum fwd_kind kind, const char *text, char *msg, size_t len);

/* ~#: one line per open forwarded connection ("\r\n" ends, for a raw terminal). */
void fwd_list(const struct fwd *f, char *buf, size_t len);

#endif
