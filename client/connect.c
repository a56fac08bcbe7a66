/*
 * Resolve and connect without blocking the poll loop: a connection's dial is a state machine the
 * reactor turns with its other sources. RESOLVING (HostName, and BindAddress when given, looked
 * up by the loop's resolver pool; bounded by ConnectTimeout) -> CONNECTING (a non-blocking
 * connect to address k, POLLOUT, bounded by ConnectTimeout) -> the next address, or after the
 * last one a PAUSE of one second before the next of ConnectionAttempts rounds -> connected, or
 * the one "connect:" line. A ProxyCommand is started instead (fork and exec: nothing to wait for).
 * Every state lives in the loop's struct dial: many loops may dial at once.
 */
#include "loop.h"
#include "loop_int.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proxycmd.h"
#include "resolve.h"
#include "ssh/err.h"

#define RETRY_PAUSE_MS 1000u /* between ConnectionAttempts rounds */

enum dial_state { D_RESOLVING, D_CONNECTING, D_PAUSE };

struct dial {
	enum dial_state st;
	struct resolve *dest;      /* HostName's addresses */
	struct resolve *bind;      /* BindAddress's, NULL without one */
	const struct addrinfo *ai; /* the address tried now (owned by dest) */
	int round, rounds;         /* ConnectionAttempts */
	int fd;                    /* the connect under way, -1 = none */
	int limit, limit_default;  /* ConnectTimeout or the BatchMode default (s), 0 = none */
	uint64_t due;              /* clock_ms() when this step ends (timeout, pause), 0 = never */
	int last_err;              /* errno of the last failed attempt */
	char num[64];              /* the numeric address tried now */
};

static const int family_of[] = {
    [AF_OPT_ANY] = AF_UNSPEC,
    [AF_OPT_INET] = AF_INET,
    [AF_OPT_INET6] = AF_INET6,
};

/* BindAddress (its first address of the family) or else BindInterface (its first address of
 * the family; for IPv6 not a link-local one): bind fd before connect. 0 or an errno value. */
static int bind_local(
    int fd, const struct addrinfo *ai, struct resolve *bind_q, const struct options *o)
{
	const struct addrinfo *b = NULL;
	struct ifaddrs *ifs = NULL, *i;
	int r = 0;

	if (o->bind_address != NULL) {
		if (resolve_result(bind_q, &b) != 0) {
			b = NULL;
		}
		while (b != NULL && b->ai_family != ai->ai_family) {
			b = b->ai_next;
		}
		if (b == NULL) {
			log_debug1("BindAddress %s: no address of this family", o->bind_address);
			return EADDRNOTAVAIL;
		}
		return bind(fd, b->ai_addr, b->ai_addrlen) == 0 ? 0 : errno;
	}
	if (o->bind_interface == NULL) {
		return 0;
	}
	if (getifaddrs(&ifs) != 0) {
		return errno;
	}
	r = EADDRNOTAVAIL;
	for (i = ifs; i != NULL; i = i->ifa_next) {
		socklen_t len = ai->ai_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                          : sizeof(struct sockaddr_in);
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != ai->ai_family ||
		    strcmp(i->ifa_name, o->bind_interface) != 0) {
			continue;
		}
		if (ai->ai_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(
		        &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr)) {
			continue;
		}
		r = bind(fd, i->ifa_addr, len) == 0 ? 0 : errno;
		break;
	}
	if (r == EADDRNOTAVAIL && i == NULL) {
		log_debug1("BindInterface %s: no address of this family", o->bind_interface);
	}
	freeifaddrs(ifs);
	return r;
}

void dial_end(struct loop *l)
{
	struct dial *d = l->dial;

	if (d == NULL) {
		return;
	}
	if (d->fd >= 0) {
		close(d->fd);
	}
	resolve_free(d->dest);
	resolve_free(d->bind);
	free(d);
	l->dial = NULL;
}

/* The connect succeeded: the socket is the loop's. Returns 1. */
static int established(struct loop *l)
{
	struct dial *d = l->dial;
	int one = 1;

	log_debug1("Connection established.");
	(void)setsockopt(d->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	l->sock = d->fd;
	d->fd = -1;
	snprintf(l->addr, sizeof(l->addr), "%s", d->num);
	dial_end(l);
	return 1;
}

/* Start connecting to d->ai: 1 connected at once, 0 under way, or a negative errno. */
static int connect_start(struct loop *l)
{
	struct dial *d = l->dial;
	const struct addrinfo *ai = d->ai;
	int fd, e;

	d->num[0] = '\0';
	getnameinfo(ai->ai_addr, ai->ai_addrlen, d->num, sizeof(d->num), NULL, 0, NI_NUMERICHOST);
	log_debug1("Connecting to %s [%s] port %d.", l->host, d->num, l->port);
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		return -errno;
	}
	if ((e = bind_local(fd, ai, d->bind, l->o)) != 0) {
		log_debug1("bind: %s", strerror(e));
		close(fd);
		return -e;
	}
	d->fd = fd;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		return 1;
	}
	if (errno != EINPROGRESS && errno != EINTR) {
		e = errno;
		close(fd);
		d->fd = -1;
		return -e;
	}
	d->st = D_CONNECTING;
	d->due = d->limit > 0 ? clock_ms() + (uint64_t)d->limit * 1000u : 0;
	return 0;
}

/* Every round failed: the one line. */
static int dial_failed(struct loop *l)
{
	struct dial *d = l->dial;
	char note[96];

	note[0] = '\0';
	if (d->last_err == ETIMEDOUT && d->limit_default) {
		snprintf(
		    note, sizeof(note), " (ConnectTimeout %d s, the BatchMode default)", d->limit);
	}
	loop_fail_local(l, "connect: %s port %d: %s%s", l->host, l->port,
	    d->last_err == ETIMEDOUT ? "Connection timed out" : strerror(d->last_err), note);
	return SSH_ERR_SYSTEM;
}

/* Try d->ai and the addresses after it until one connects or is under way; after the last, the
 * pause before the next round, or the end. 1 connected, 0 under way, or the negative error. */
static int try_from(struct loop *l)
{
	struct dial *d = l->dial;
	int r;

	for (; d->ai != NULL; d->ai = d->ai->ai_next) {
		if ((r = connect_start(l)) > 0) {
			return established(l);
		}
		if (r == 0) {
			return 0;
		}
		d->last_err = -r;
		log_debug1("connect to address %s port %d: %s", d->num, l->port, strerror(-r));
	}
	if (++d->round >= d->rounds) {
		return dial_failed(l);
	}
	d->st = D_PAUSE;
	d->due = clock_ms() + RETRY_PAUSE_MS;
	return 0;
}

/* The attempt on d->ai failed with err (an errno value): on to the next address. */
static int attempt_failed(struct loop *l, int err)
{
	struct dial *d = l->dial;

	close(d->fd);
	d->fd = -1;
	d->last_err = err;
	log_debug1("connect to address %s port %d: %s", d->num, l->port, strerror(err));
	d->ai = d->ai->ai_next;
	return try_from(l);
}

/* The first round, once the lookups are answered. */
static int resolved(struct loop *l)
{
	struct dial *d = l->dial;
	const struct addrinfo *res = NULL;
	char why[256];

	if (resolve_result(d->dest, &res) != 0) {
		loop_fail_local(l, "connect: could not resolve hostname %s: %s", l->host,
		    resolve_error(d->dest, why, sizeof(why)));
		return SSH_ERR_NOT_FOUND;
	}
	d->ai = res;
	return try_from(l);
}

/* The lookup still awaited, or NULL when the dial goes on: both answered, or HostName's failed
 * (then BindAddress's does not matter). */
static struct resolve *awaited(struct dial *d)
{
	const struct addrinfo *res;

	if (!resolve_done(d->dest)) {
		return d->dest;
	}
	if (d->bind == NULL || resolve_done(d->bind) || resolve_result(d->dest, &res) != 0) {
		return NULL;
	}
	return d->bind;
}

int dial_start(struct loop *l)
{
	const struct options *o = l->o;
	struct dial *d;
	char port[16], err[ERR_MAX];
	int family, r;

	if (o->proxy_command != NULL) {
		/* no address of ours to resolve, bind or retry: the command connects (as OpenSSH,
		 * host keys are looked up by name only) */
		snprintf(l->addr, sizeof(l->addr), "%s", "<no hostip for proxy command>");
		err[0] = '\0';
		if ((r = proxycmd_start(o, &l->sock, &l->proxy_pid, err, sizeof(err))) < 0) {
			loop_fail_local(
			    l, "%s", err[0] != '\0' ? err : "connect: ProxyCommand failed");
			return r;
		}
		return 1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		loop_fail_local(l, "connect: out of memory");
		return SSH_ERR_ALLOC;
	}
	l->dial = d;
	d->fd = -1;
	d->rounds = o->connection_attempts > 0 ? o->connection_attempts : 1;
	d->limit = options_session_timeout(o, &d->limit_default);
	family = o->address_family > 0 && o->address_family <= AF_OPT_INET6
	             ? family_of[o->address_family]
	             : AF_UNSPEC; /* any, or not set */
	snprintf(port, sizeof(port), "%d", l->port);
	r = resolve_start(l->resolver, l->host, port, family, 0, &d->dest);
	if (r == 0 && o->bind_address != NULL) {
		r = resolve_start(l->resolver, o->bind_address, "0", family, AI_PASSIVE, &d->bind);
	}
	if (r != 0) {
		loop_fail_local(l, "connect: could not resolve hostname %s: %s",
		    d->dest == NULL ? l->host : o->bind_address, strerror(-r));
		return SSH_ERR_SYSTEM;
	}
	d->st = D_RESOLVING;
	d->due = d->limit > 0 ? clock_ms() + (uint64_t)d->limit * 1000u : 0;
	return awaited(d) == NULL ? resolved(l) : 0;
}

void dial_fill(struct loop *l, struct pollfd *pfd, int *timeout)
{
	struct dial *d = l->dial;
	struct resolve *q;

	pfd->fd = -1;
	pfd->events = 0;
	pfd->revents = 0;
	if (d == NULL) {
		return;
	}
	switch (d->st) {
	case D_RESOLVING:
		if ((q = awaited(d)) != NULL) {
			pfd->fd = resolve_fd(q);
		} else {
			*timeout = 0; /* answered since the last turn */
		}
		pfd->events = POLLIN;
		break;
	case D_CONNECTING:
		pfd->fd = d->fd;
		pfd->events = POLLOUT;
		break;
	case D_PAUSE:
		break;
	}
	limits_wait_until(timeout, clock_ms(), d->due);
}

int dial_after(struct loop *l, const struct pollfd *pfd)
{
	struct dial *d = l->dial;
	struct resolve *q;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (d == NULL) {
		return 0;
	}
	switch (d->st) {
	case D_RESOLVING:
		if ((q = awaited(d)) == NULL) {
			return resolved(l);
		}
		if (d->due != 0 && clock_ms() >= d->due) {
			loop_fail_local(l,
			    "connect: could not resolve hostname %s: timed out (ConnectTimeout %d "
			    "s%s)",
			    q == d->dest ? l->host : l->o->bind_address, d->limit,
			    d->limit_default ? ", the BatchMode default" : "");
			return SSH_ERR_NOT_FOUND;
		}
		return 0;
	case D_CONNECTING:
		if (pfd->revents & (POLLOUT | POLLERR | POLLHUP)) {
			if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
				soerr = errno;
			}
			return soerr == 0 ? established(l) : attempt_failed(l, soerr);
		}
		if (d->due != 0 && clock_ms() >= d->due) {
			return attempt_failed(l, ETIMEDOUT);
		}
		return 0;
	case D_PAUSE:
		if (clock_ms() < d->due) {
			return 0;
		}
		(void)resolve_result(d->dest, &d->ai); /* the next round from the first address */
		return try_from(l);
	}
	return 0;
}
