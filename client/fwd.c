/* The forwardings of one connection (fwd.h). */
#include "fwd.h"
#include "fwd_int.h"
#include "agent_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge.h"
#include "fwdspec.h"
#include "log.h"
#include "socks.h"
#include "ssh/err.h"

void fwd_fail(struct fwd *f, const char *fmt, ...)
{
	va_list ap;

	if (f->err[0] != '\0') {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof(f->err), fmt, ap);
	va_end(ap);
}

const char *fwd_error(const struct fwd *f)
{
	return f->err[0] != '\0' ? f->err : NULL;
}

/* the kinds and the keyword each list holds */
static const struct {
	enum fwd_kind kind;
	size_t list_off, count_off;
} spec_lists[] = {
    {FWD_LOCAL, offsetof(struct options, local_forward), offsetof(struct options, n_local_forward)},
    {FWD_REMOTE, offsetof(struct options, remote_forward),
        offsetof(struct options, n_remote_forward)},
    {FWD_DYNAMIC, offsetof(struct options, dynamic_forward),
        offsetof(struct options, n_dynamic_forward)},
};

int fwd_new(struct fwd **out, struct ssh_conn *c, const struct options *o, char *err, size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));
	size_t total = 0, i, k;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	if (f == NULL) {
		return r;
	}
	f->c = c;
	f->o = o;
	for (i = 0; i < sizeof(spec_lists) / sizeof(spec_lists[0]); i++) {
		total += *(const size_t *)((const char *)o + spec_lists[i].count_off);
	}
	if (total > 0 && (f->specs = calloc(total, sizeof(*f->specs))) == NULL) {
		goto out;
	}
	for (i = 0; i < sizeof(spec_lists) / sizeof(spec_lists[0]); i++) {
		char *const *list = (char *const *)((const char *)o + spec_lists[i].list_off);
		size_t n = *(const size_t *)((const char *)o + spec_lists[i].count_off);
		for (k = 0; k < n; k++) {
			char cause[256];
			if (fwd_spec_parse(spec_lists[i].kind, list[k], &f->specs[f->nspecs], cause,
			        sizeof(cause)) != 0) {
				errfmt(err, errlen, "config: %s", cause);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			f->nspecs++;
		}
	}
	*out = f;
	f = NULL;
	r = 0;
out:
	fwd_free(f);
	return r;
}

void fwd_set_resolver(struct fwd *f, struct resolver *p)
{
	if (f != NULL) {
		f->resolver = p;
	}
}

void fwd_free(struct fwd *f)
{
	size_t i;

	if (f == NULL) {
		return;
	}
	for (i = 0; i < f->nlis; i++) {
		close(f->lis[i].fd);
	}
	for (i = 0; i < f->nbr; i++) {
		bridge_free(f->br[i]);
	}
	for (i = 0; i < f->nspecs; i++) {
		fwd_spec_free(&f->specs[i]);
	}
	for (i = 0; i < f->nadded; i++) {
		fwd_spec_free(f->added[i]);
		free(f->added[i]);
	}
	free(f->added);
	free(f->br);
	free(f->rf);
	free(f->specs);
	free(f);
}

int fwd_any(const struct fwd *f)
{
	/* with EnableEscapeCommandline, ~C may add forwardings later */
	return f->nspecs > 0 || f->o->stdio_forward != NULL ||
	       f->o->enable_escape_commandline == 1 ||
	       agent_fwd_wanted(f->o); /* ForwardAgent: the agent's channels are bridged here */
}

int fwd_add_bridge(struct fwd *f, struct bridge *b)
{
	if (f->nbr == f->cap_br) {
		size_t cap = f->cap_br ? f->cap_br * 2 : 16;
		struct bridge **nb = realloc(f->br, cap * sizeof(*nb));
		if (nb == NULL) {
			return SSH_ERR_ALLOC;
		}
		f->br = nb;
		f->cap_br = cap;
	}
	f->br[f->nbr++] = b;
	return 0;
}

int fwd_track_socket(struct fwd *f, int fd, const char *what, struct bridge **out)
{
	struct bridge *b;
	int r;

	*out = NULL;
	if ((b = bridge_new(f->c, fd, fd, 1, what)) == NULL) {
		close(fd);
		return SSH_ERR_ALLOC;
	}
	if ((r = fwd_add_bridge(f, b)) < 0) {
		bridge_free(b);
		return r;
	}
	*out = b;
	return 0;
}

int fwd_forward_failed(struct fwd *f, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f->o->exit_on_forward_failure == 1 && !f->from_cmdline) {
		fwd_fail(f, "channel: %s (ExitOnForwardFailure)", msg);
		return SSH_ERR_SYSTEM;
	}
	log_error("Warning: %s", msg); /* as OpenSSH's: shown unless LogLevel QUIET */
	return 0;
}

/* where a -L/-D listener binds: an explicit address; "" or "*": everywhere; none: GatewayPorts */
static const char *listen_node(const struct fwd *f, const struct fwd_spec *s)
{
	const char *h = s->listen_host;

	if (h == NULL) {
		return f->o->gateway_ports == 1 ? NULL : "localhost";
	}
	if (h[0] == '\0' || strcmp(h, "*") == 0) {
		return NULL;
	}
	return h;
}

static int listen_spec(struct fwd *f, const struct fwd_spec *s, const char *kw)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *node = listen_node(f, s);
	char port[16], cause[160] = "no address";
	int n = 0, one = 1, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = f->o->address_family == AF_OPT_INET    ? AF_INET
	                  : f->o->address_family == AF_OPT_INET6 ? AF_INET6
	                                                         : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", s->listen_port);
	/* no name service on the loop's thread: "localhost" is the loopback addresses (getaddrinfo
	 * gives them for no name without AI_PASSIVE), a numeric address is taken as it is; only
	 * another name, given explicitly, is looked up (once, at set-up) */
	if (node != NULL && strcasecmp(node, "localhost") == 0) {
		hints.ai_flags = AI_NUMERICSERV;
		gai = getaddrinfo(NULL, port, &hints, &res);
	} else {
		hints.ai_flags |= AI_NUMERICHOST;
		if ((gai = getaddrinfo(node, port, &hints, &res)) == EAI_NONAME && node != NULL) {
			hints.ai_flags &= ~AI_NUMERICHOST;
			gai = getaddrinfo(node, port, &hints, &res);
		}
	}
	if (gai != 0) {
		return fwd_forward_failed(
		    f, "cannot listen for %s %s: %s", kw, port, gai_strerror(gai));
	}
	for (ai = res; ai != NULL && f->nlis < FWD_MAX_LISTEN; ai = ai->ai_next) {
		int fd = socket(
		    ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(cause, sizeof(cause), "%s", strerror(errno));
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6) {
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
			snprintf(cause, sizeof(cause), "%s", strerror(errno));
			close(fd);
			continue;
		}
		f->lis[f->nlis].fd = fd;
		f->lis[f->nlis].spec = s;
		snprintf(f->lis[f->nlis].desc, sizeof(f->lis[f->nlis].desc), "%s %s", kw, port);
		f->nlis++;
		n++;
	}
	freeaddrinfo(res);
	if (n == 0) {
		return fwd_forward_failed(f, "cannot listen on %s port %s for %s: %s",
		    node != NULL ? node : "*", port, kw, cause);
	}
	log_debug1("%s: listening on %s port %s (%d socket%s)", kw, node != NULL ? node : "*", port,
	    n, n == 1 ? "" : "s");
	return 0;
}

static int start_stdio(struct fwd *f)
{
	struct fwd_spec spec;
	char cause[256];
	int r;

	if (fwd_spec_parse(FWD_STDIO, f->o->stdio_forward, &spec, cause, sizeof(cause)) != 0) {
		fwd_fail(f, "config: bad -W spec '%s': %s", f->o->stdio_forward, cause);
		return SSH_ERR_FORMAT;
	}
	if ((f->stdio = bridge_new(f->c, STDIN_FILENO, STDOUT_FILENO, 0, "stdio forwarding")) ==
	    NULL) {
		fwd_spec_free(&spec);
		return SSH_ERR_ALLOC;
	}
	f->stdio->is_stdio = 1;
	if ((r = fwd_add_bridge(f, f->stdio)) < 0) {
		bridge_free(f->stdio);
		f->stdio = NULL;
		fwd_spec_free(&spec);
		return r;
	}
	snprintf(f->stdio->what, sizeof(f->stdio->what), "stdio forwarding to %s port %d",
	    spec.connect_host, spec.connect_port);
	r = ssh_conn_chan_open_tcpip(
	    f->c, spec.connect_host, (uint32_t)spec.connect_port, "127.0.0.1", 0, &f->stdio->id);
	fwd_spec_free(&spec);
	if (r < 0) {
		return r;
	}
	f->stdio->have_chan = 1;
	return 0;
}

int fwd_jump(struct fwd *f, int fd, const char *host, int port)
{
	struct bridge *b;
	char what[200];
	int r;

	snprintf(what, sizeof(what), "the connection to %s port %d", host, port);
	if ((r = fwd_track_socket(f, fd, what, &b)) < 0) {
		return r;
	}
	f->jump = b;
	if ((r = ssh_conn_chan_open_tcpip(f->c, host, (uint32_t)port, "127.0.0.1", 0, &b->id)) <
	    0) {
		b->state = BR_DEAD;
		if (r == SSH_ERR_TOO_LARGE) {
			fwd_fail(f, "connect: too many channels for %s", what);
		}
		return r;
	}
	b->have_chan = 1;
	return 0;
}

/* the keyword of each kind, for messages */
static const char *const kw[] = {
    [FWD_LOCAL] = "LocalForward",
    [FWD_DYNAMIC] = "DynamicForward",
    [FWD_REMOTE] = "RemoteForward",
    [FWD_REMOTE_DYNAMIC] = "RemoteForward",
};

int fwd_start(struct fwd *f)
{
	size_t i;
	int r;

	if (f->started) {
		return 0;
	}
	f->started = 1;
	if (f->o->stdio_forward != NULL && (r = start_stdio(f)) < 0) {
		return r;
	}
	for (i = 0; i < f->nspecs; i++) {
		const struct fwd_spec *s = &f->specs[i];
		switch (s->kind) {
		case FWD_LOCAL:
		case FWD_DYNAMIC:
			r = listen_spec(f, s, kw[s->kind]);
			break;
		case FWD_REMOTE:
		case FWD_REMOTE_DYNAMIC:
			r = fwd_remote_start(f, s);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

/* ---- the poll set ---- */

static void reap(struct fwd *f)
{
	size_t i, k = 0;

	for (i = 0; i < f->nbr; i++) {
		if (f->br[i]->state == BR_DEAD) {
			if (f->br[i] == f->jump) {
				f->jump = NULL;
			}
			if (f->br[i] == f->stdio) {
				f->stdio = NULL;
				if (f->stdio_state == 0) {
					f->stdio_state = 1;
				}
			}
			bridge_free(f->br[i]);
		} else {
			f->br[k++] = f->br[i];
		}
	}
	f->nbr = k;
}

size_t fwd_npoll(const struct fwd *f)
{
	return f->nlis + 2 * f->nbr;
}

void fwd_poll(struct fwd *f, struct pollfd *p)
{
	size_t i;

	reap(f);
	for (i = 0; i < f->nlis; i++) {
		p[i].fd = f->lis[i].fd;
		p[i].events = POLLIN;
		p[i].revents = 0;
		if (ssh_conn_chan_count(f->c) >= SSH_CONN_MAX_CHANNELS) {
			p[i].fd = -1; /* accept again when a channel is free */
		}
	}
	for (i = 0; i < f->nbr; i++) {
		bridge_poll(f->br[i], &p[f->nlis + 2 * i], &p[f->nlis + 2 * i + 1]);
		p[f->nlis + 2 * i].revents = 0;
		p[f->nlis + 2 * i + 1].revents = 0;
	}
	f->polled_lis = f->nlis;
	f->polled_br = f->nbr;
}

static void peer_text(const struct sockaddr_storage *ss, char *host, size_t hlen, int *port)
{
	host[0] = '\0';
	*port = 0;
	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host, (socklen_t)hlen, NULL, 0,
	        NI_NUMERICHOST) != 0) {
		snprintf(host, hlen, "unknown");
	}
	if (ss->ss_family == AF_INET) {
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
}

static int accept_one(struct fwd *f, const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct bridge *b;
	char host[NI_MAXHOST], what[200];
	int fd, port, one = 1, r;

	fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		return 0; /* EAGAIN, or the client left again */
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_text(&ss, host, sizeof(host), &port);
	if (l->spec->kind == FWD_DYNAMIC) {
		snprintf(what, sizeof(what), "%.60s: %.64s port %d", l->desc, host, port);
	} else {
		snprintf(what, sizeof(what), "%.40s: %.46s port %d -> %.80s port %d", l->desc, host,
		    port, l->spec->connect_host, l->spec->connect_port);
	}
	if ((r = fwd_track_socket(f, fd, what, &b)) < 0) {
		return r;
	}
	log_debug1("%s: connection accepted", what);
	if (l->spec->kind == FWD_DYNAMIC) {
		socks_init(&b->socks);
		b->use_socks = 1;
		b->state = BR_SOCKS;
		return 0;
	}
	r = ssh_conn_chan_open_tcpip(f->c, l->spec->connect_host, (uint32_t)l->spec->connect_port,
	    host, (uint32_t)port, &b->id);
	if (r == SSH_ERR_TOO_LARGE) {
		log_info("%s: too many channels, connection refused", what);
		b->state = BR_DEAD;
		return 0;
	}
	if (r < 0) {
		return r;
	}
	b->have_chan = 1;
	return 0;
}

int fwd_io(struct fwd *f, const struct pollfd *p, size_t n, uint8_t *iobuf, size_t iolen)
{
	size_t i;
	int r;

	if (n < f->polled_lis + 2 * f->polled_br) {
		return SSH_ERR_INTERNAL;
	}
	for (i = 0; i < f->polled_lis; i++) {
		if ((p[i].revents & POLLIN) && (r = accept_one(f, &f->lis[i])) < 0) {
			return r;
		}
	}
	for (i = 0; i < f->polled_br; i++) {
		struct bridge *b = f->br[i];
		short rr = p[f->polled_lis + 2 * i].revents,
		      rw = p[f->polled_lis + 2 * i + 1].revents;
		if (b->lookup != NULL) {
			if ((r = fwd_remote_resolved(b)) < 0) {
				return r;
			}
			continue;
		}
		if (b->connecting) {
			if (rw & (POLLOUT | POLLERR | POLLHUP)) {
				if ((r = fwd_remote_connected(b)) < 0) {
					return r;
				}
			}
			continue;
		}
		if ((r = bridge_io(b, rr, rw, iobuf, iolen)) < 0) {
			return r;
		}
	}
	return 0;
}

static struct bridge *bridge_of(struct fwd *f, uint32_t id)
{
	for (size_t i = 0; i < f->nbr; i++) {
		if (f->br[i]->have_chan && f->br[i]->id == id && f->br[i]->state != BR_DEAD) {
			return f->br[i];
		}
	}
	return NULL;
}

/* why the server refused a channel, for the one error line */
static const char *refusal(const struct ssh_event *ev)
{
	const char *m = ev->u.chan.message;

	return m != NULL && m[0] != '\0' ? m : "the server refused the channel";
}

int fwd_event(struct fwd *f, const struct ssh_event *ev)
{
	struct bridge *b;
	int r;

	switch (ev->type) {
	case SSH_EV_GLOBAL_REPLY:
		return fwd_remote_reply(f, ev);
	case SSH_EV_CHAN_INCOMING:
		return ev->u.chan.agent ? fwd_agent_incoming(f, ev) : fwd_remote_incoming(f, ev);
	case SSH_EV_CHAN_OPENED:
	case SSH_EV_CHAN_OPEN_FAILED:
	case SSH_EV_CHAN_DATA:
	case SSH_EV_CHAN_EOF:
	case SSH_EV_CHAN_CLOSED:
		if ((b = bridge_of(f, ev->u.chan.id)) == NULL) {
			return 0;
		}
		if (b->state == BR_RSOCKS && ev->type == SSH_EV_CHAN_DATA) {
			return fwd_remote_data(f, b);
		}
		if (b == f->jump && ev->type == SSH_EV_CHAN_OPEN_FAILED) {
			fwd_fail(f, "connect: cannot open %s: %s", b->what, refusal(ev));
			b->have_chan = 0;
			b->state = BR_DEAD;
			f->jump = NULL;
			return SSH_ERR_PROTOCOL;
		}
		if (b == f->stdio && ev->type == SSH_EV_CHAN_OPEN_FAILED) {
			f->stdio_state = -1;
			fwd_fail(f, "channel: %s failed: %s", b->what, refusal(ev));
			b->have_chan = 0;
			b->state = BR_DEAD;
			return 0;
		}
		r = bridge_event(b, ev);
		return r;
	default:
		return 0;
	}
}

int fwd_settled(const struct fwd *f)
{
	if (!f->started) {
		return 0;
	}
	if (f->o->exit_on_forward_failure != 1) {
		return 1;
	}
	for (size_t i = 0; i < f->nrf; i++) {
		if (f->rf[i].state == 0) {
			return 0;
		}
	}
	return 1;
}

int fwd_drain(struct fwd *f)
{
	if (!f->draining) {
		f->draining = 1;
		log_debug1("the session has ended: waiting for the forwarded connections");
		for (size_t i = 0; i < f->nlis; i++) {
			close(f->lis[i].fd); /* a new connection is refused, not left waiting */
		}
		f->nlis = 0;
	}
	for (size_t i = 0; i < f->nbr; i++) {
		if (f->br[i] != f->jump && f->br[i] != f->stdio && f->br[i]->state != BR_DEAD) {
			return 1;
		}
	}
	return 0;
}

int fwd_stdio_state(const struct fwd *f)
{
	if (f->stdio_state != 0) {
		return f->stdio_state;
	}
	if (f->stdio != NULL && f->stdio->state == BR_DEAD) {
		return 1;
	}
	return 0;
}

void fwd_list(const struct fwd *f, char *buf, size_t len)
{
	size_t k = 0;
	int w;

	buf[0] = '\0';
	for (size_t i = 0; i < f->nbr && k < len; i++) {
		const struct bridge *b = f->br[i];
		if (b->state == BR_DEAD) {
			continue;
		}
		w = snprintf(buf + k, len - k, "  #%u %s%s\r\n", b->id, b->what,
		    b->state == BR_OPEN ? "" : " (opening)");
		if (w < 0) {
			break;
		}
		k += (size_t)w;
	}
}

/* ---- ~C: forwardings added and cancelled while the session runs ---- */

int fwd_add_spec(struct fwd *f, enum fwd_kind kind, const char *text, char *msg, size_t len)
{
	struct fwd_spec *s = calloc(1, sizeof(*s)), **na;
	size_t nlis = f->nlis, nrf = f->nrf;
	char cause[256];
	int r;

	if (s == NULL || (na = realloc(f->added, (f->nadded + 1) * sizeof(*na))) == NULL) {
		free(s);
		errfmt(msg, len, "out of memory");
		return SSH_ERR_ALLOC;
	}
	f->added = na;
	if (fwd_spec_parse(kind, text, s, cause, sizeof(cause)) != 0) {
		free(s);
		errfmt(msg, len, "Bad forwarding specification: %s", cause);
		return 0;
	}
	f->added[f->nadded++] = s; /* the listeners and requests point at it */
	f->from_cmdline = 1;
	if (s->kind == FWD_LOCAL || s->kind == FWD_DYNAMIC) {
		r = listen_spec(f, s, kw[s->kind]);
		r = r == 0 && f->nlis == nlis ? SSH_ERR_SYSTEM : r;
	} else {
		r = fwd_remote_start(f, s);
		r = r == 0 && f->nrf == nrf ? SSH_ERR_SYSTEM : r;
	}
	f->from_cmdline = 0;
	errfmt(msg, len, "%s", r == 0 ? "Forwarding port." : "Port forwarding failed.");
	return r == SSH_ERR_ALLOC ? r : 0;
}

int fwd_cancel(struct fwd *f, enum fwd_kind kind, const char *text, char *msg, size_t len)
{
	char buf[FWD_HOST_MAX + 16], *colon, *host = NULL;
	size_t i, k = 0, n = 0;
	int port, r;

	snprintf(buf, sizeof(buf), "%s", text);
	if ((colon = strrchr(buf, ':')) != NULL) {
		*colon = '\0';
		host = buf[0] == '[' ? buf + 1 : buf;
		if (buf[0] == '[' && host[0] != '\0' && host[strlen(host) - 1] == ']') {
			host[strlen(host) - 1] = '\0';
		}
	}
	if ((port = fwd_port_parse(colon != NULL ? colon + 1 : buf)) <= 0) {
		errfmt(msg, len, "Bad forwarding close port");
		return 0;
	}
	for (i = 0; i < f->nlis; i++) {
		const struct fwd_spec *s = f->lis[i].spec;
		if ((kind == FWD_LOCAL || kind == FWD_DYNAMIC) && s->kind == kind &&
		    s->listen_port == port &&
		    (host == NULL ||
		        (s->listen_host != NULL && strcmp(s->listen_host, host) == 0))) {
			close(f->lis[i].fd);
			n++;
		} else {
			f->lis[k++] = f->lis[i];
		}
	}
	f->nlis = k;
	for (i = 0; i < f->nrf && kind == FWD_REMOTE; i++) {
		struct rfwd *rf = &f->rf[i];
		uint32_t req;
		if (rf->state == 1 && rf->port == (uint32_t)port) {
			if ((r = ssh_conn_cancel_tcpip_forward(f->c,
			         host != NULL ? host : fwd_remote_bind(rf->spec), rf->port, &req)) <
			    0) {
				return r;
			}
			rf->state = -1; /* its channels are refused from now on */
			n++;
		}
	}
	errfmt(msg, len, "%s", n > 0 ? "Canceled forwarding." : "Unknown port forwarding.");
	return 0;
}
