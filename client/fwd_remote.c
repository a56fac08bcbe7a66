/* -R: the server listens for us; the channels it opens are connected here (fwd_int.h). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd_int.h"
#include "log.h"
#include "resolve.h"
#include "socks.h"
#include "ssh/err.h"

/* the address the server listens on for -R: as OpenSSH's client asks */
const char *fwd_remote_bind(const struct fwd_spec *s)
{
	if (s->listen_host == NULL) {
		return "localhost";
	}
	if (s->listen_host[0] == '\0' || strcmp(s->listen_host, "*") == 0) {
		return "";
	}
	return s->listen_host;
}

int fwd_remote_start(struct fwd *f, const struct fwd_spec *s)
{
	struct rfwd *n = realloc(f->rf, (f->nrf + 1) * sizeof(*n));
	int r;

	if (n == NULL) {
		return SSH_ERR_ALLOC;
	}
	f->rf = n;
	memset(&f->rf[f->nrf], 0, sizeof(f->rf[f->nrf]));
	f->rf[f->nrf].spec = s;
	r = ssh_conn_tcpip_forward(
	    f->c, fwd_remote_bind(s), (uint32_t)s->listen_port, &f->rf[f->nrf].req);
	if (r < 0) {
		return r;
	}
	f->nrf++;
	return 0;
}

/* -R port: the codec's replies go into the channel (they are a few bytes: the window has room) */
static int rsocks_flush(struct bridge *b)
{
	size_t len = 0;
	const uint8_t *p = socks_out(&b->socks, &len);
	int r;

	if (len == 0) {
		return 0;
	}
	if (ssh_conn_chan_room(b->c, b->id) < len) {
		log_info("%s: no room for the SOCKS reply", b->what);
		return bridge_abort(b);
	}
	if ((r = ssh_conn_chan_write(b->c, b->id, p, len)) < 0) {
		return r;
	}
	socks_out_consumed(&b->socks, len);
	return 0;
}

/* a failed SOCKS request on the channel: the reply, then the channel closes */
static int rsocks_refuse(struct bridge *b, enum socks_rep why)
{
	int r;

	(void)socks_reply(&b->socks, 0, why);
	if ((r = rsocks_flush(b)) < 0) {
		return r;
	}
	return bridge_abort(b);
}

/* -R: the local connect of an incoming channel has finished */
int fwd_remote_connected(struct bridge *b)
{
	int err = 0, r;
	socklen_t el = sizeof(err);

	b->connecting = 0;
	if (getsockopt(b->wfd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) {
		err = errno;
	}
	if (b->use_socks) {
		if (err != 0) {
			log_info("%s: connect failed: %s", b->what, strerror(err));
			return rsocks_refuse(b, socks_rep_from_errno(err));
		}
		(void)socks_reply(&b->socks, 1, SOCKS_REP_OK);
		if ((r = rsocks_flush(b)) < 0) {
			return r;
		}
		b->state = BR_OPEN;
		return bridge_flush(b); /* bytes the client sent behind its request */
	}
	if (err != 0) {
		log_info("%s: connect failed: %s", b->what, strerror(err));
		b->have_chan = 0; /* released by the refusal */
		b->state = BR_DEAD;
		return ssh_conn_chan_refuse(b->c, b->id, 2, strerror(err));
	}
	b->state = BR_OPEN;
	log_debug1("%s: connected", b->what);
	return ssh_conn_chan_accept(b->c, b->id);
}

int fwd_remote_reply(struct fwd *f, const struct ssh_event *ev)
{
	for (size_t i = 0; i < f->nrf; i++) {
		struct rfwd *rf = &f->rf[i];
		const struct fwd_spec *s = rf->spec;
		if (rf->req != ev->u.global.req || rf->state != 0) {
			continue;
		}
		if (!ev->u.global.ok) {
			rf->state = -1;
			return fwd_forward_failed(
			    f, "remote port forwarding failed for listen port %d", s->listen_port);
		}
		rf->state = 1;
		rf->port = s->listen_port != 0 ? (uint32_t)s->listen_port : ev->u.global.port;
		if (s->listen_port == 0) {
			if (s->kind == FWD_REMOTE_DYNAMIC) {
				log_info(
				    "Allocated port %u for remote forward to dynamic", rf->port);
			} else {
				log_info("Allocated port %u for remote forward to %s:%d", rf->port,
				    s->connect_host, s->connect_port);
			}
		}
		log_debug1("remote forward success for: listen %u", rf->port);
		return 0;
	}
	return 0;
}

/* a non-blocking connect to the first address that takes one; -1 and *err (errno) if none */
static int connect_addrs(const struct addrinfo *res, int *err)
{
	const struct addrinfo *ai;
	int fd = -1, one = 1;

	*err = EHOSTUNREACH;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(
		    ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			*err = errno;
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
			*err = 0;
			return fd;
		}
		*err = errno;
		close(fd);
		fd = -1;
	}
	return -1;
}

/* the target could not be reached: the SOCKS client or the server is told (err 0: no name) */
static int target_failed(struct bridge *b, int err, const char *why)
{
	log_info("%s: connect failed: %s", b->what, why);
	if (b->use_socks) {
		return rsocks_refuse(
		    b, err != 0 ? socks_rep_from_errno(err) : SOCKS_REP_HOST_UNREACH);
	}
	b->have_chan = 0; /* released by the refusal */
	b->state = BR_DEAD;
	return ssh_conn_chan_refuse(b->c, b->id, 2, why);
}

int fwd_remote_resolved(struct bridge *b)
{
	const struct addrinfo *res = NULL;
	char why[160];
	int fd, err = 0;

	if (b->lookup == NULL || !resolve_done(b->lookup)) {
		return 0;
	}
	if (resolve_result(b->lookup, &res) != 0) {
		char gai[128];
		snprintf(why, sizeof(why), "cannot resolve: %s",
		    resolve_error(b->lookup, gai, sizeof(gai)));
		resolve_free(b->lookup);
		b->lookup = NULL;
		return target_failed(b, 0, why);
	}
	fd = connect_addrs(res, &err);
	resolve_free(b->lookup);
	b->lookup = NULL;
	if (fd < 0) {
		return target_failed(b, err, strerror(err));
	}
	b->rfd = b->wfd = fd;
	b->is_sock = 1;
	b->connecting = 1; /* fwd_remote_connected finishes it */
	return 0;
}

/*
 * Reach host:port for b without blocking the loop: the name is looked up in the loop's pool (a
 * numeric address at once), then a non-blocking connect; the bridge waits in BR_OPENING.
 */
static int target_start(struct fwd *f, struct bridge *b, const char *host, int port)
{
	char ps[16];
	int r;

	snprintf(ps, sizeof(ps), "%d", port);
	b->state = BR_OPENING;
	if (f->resolver == NULL ||
	    (r = resolve_start(f->resolver, host, ps, AF_UNSPEC, AI_NUMERICSERV, &b->lookup)) < 0) {
		return target_failed(b, ENOMEM, "cannot start the name lookup");
	}
	return resolve_fd(b->lookup) < 0 ? fwd_remote_resolved(b) : 0;
}

/* PermitRemoteOpen: may a -R port client reach host:port? (unset or "any": yes; "none": no) */
static int permit_open(const struct fwd *f, const char *host, int port)
{
	const char *list = f->o->permit_remote_open, *p;
	char word[FWD_HOST_MAX + 16];

	if (list == NULL || strcasecmp(list, "any") == 0) {
		return 1;
	}
	for (p = list; *p != '\0';) {
		size_t n = strcspn(p, " \t");
		if (n > 0 && n < sizeof(word)) {
			const char *colon;
			memcpy(word, p, n);
			word[n] = '\0';
			if ((colon = strrchr(word, ':')) != NULL) {
				char *h = word;
				size_t hl = (size_t)(colon - word);
				if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
					h++;
					hl -= 2;
				}
				int host_ok = (hl == 1 && h[0] == '*') ||
				              (strlen(host) == hl && strncasecmp(h, host, hl) == 0);
				int port_ok =
				    strcmp(colon + 1, "*") == 0 || atoi(colon + 1) == port;
				if (host_ok && port_ok) {
					return 1;
				}
			}
		}
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

/* -R port: the SOCKS request arrives as the channel's data */
int fwd_remote_data(struct fwd *f, struct bridge *b)
{
	const uint8_t *p;
	size_t len = 0, used = 0;
	int st = SOCKS_MORE, r;

	for (;;) {
		p = ssh_conn_chan_peek(f->c, b->id, &len);
		if (len == 0) {
			return 0;
		}
		st = socks_feed(&b->socks, p, len, &used);
		if (used > 0 && (r = ssh_conn_chan_consumed(f->c, b->id, used)) < 0) {
			return r;
		}
		if ((r = rsocks_flush(b)) < 0) {
			return r;
		}
		if (st < 0) {
			log_verbose("%s: %s", b->what, socks_error(&b->socks));
			return bridge_abort(b);
		}
		if (st == SOCKS_REQUEST || used == 0) {
			break;
		}
	}
	if (st != SOCKS_REQUEST) {
		return 0;
	}
	snprintf(b->what + strlen(b->what), sizeof(b->what) - strlen(b->what), " -> %s port %u",
	    socks_host(&b->socks), socks_port(&b->socks));
	if (!permit_open(f, socks_host(&b->socks), socks_port(&b->socks))) {
		log_info("%s: not allowed by PermitRemoteOpen", b->what);
		return rsocks_refuse(b, SOCKS_REP_NOT_ALLOWED);
	}
	return target_start(f, b, socks_host(&b->socks), socks_port(&b->socks));
}

int fwd_remote_incoming(struct fwd *f, const struct ssh_event *ev)
{
	const struct fwd_spec *s = NULL;
	struct bridge *b;
	char what[200];
	int r;

	for (size_t i = 0; i < f->nrf && !f->draining; i++) {
		if (f->rf[i].state == 1 && f->rf[i].port == ev->u.chan.fwd.listen_port) {
			s = f->rf[i].spec;
			break;
		}
	}
	if (s == NULL) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 1, "no such forwarding");
	}
	if (s->kind == FWD_REMOTE_DYNAMIC) {
		snprintf(what, sizeof(what), "RemoteForward %u (SOCKS): %s port %u",
		    ev->u.chan.fwd.listen_port, ev->u.chan.fwd.orig_addr, ev->u.chan.fwd.orig_port);
		if ((b = bridge_new(f->c, -1, -1, 1, what)) == NULL ||
		    (r = fwd_add_bridge(f, b)) < 0) {
			bridge_free(b);
			return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 4, "out of memory");
		}
		b->id = ev->u.chan.id;
		b->have_chan = 1;
		b->use_socks = 1;
		socks_init(&b->socks);
		b->state = BR_RSOCKS;
		return ssh_conn_chan_accept(f->c, ev->u.chan.id);
	}
	snprintf(what, sizeof(what), "RemoteForward %u: %s port %u -> %s port %d",
	    ev->u.chan.fwd.listen_port, ev->u.chan.fwd.orig_addr, ev->u.chan.fwd.orig_port,
	    s->connect_host, s->connect_port);
	if ((b = bridge_new(f->c, -1, -1, 1, what)) == NULL || fwd_add_bridge(f, b) < 0) {
		bridge_free(b);
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 4, "out of memory");
	}
	b->id = ev->u.chan.id;
	b->have_chan = 1;
	return target_start(f, b, s->connect_host, s->connect_port);
}
