/* Resolve and connect: AddressFamily, ConnectionAttempts, a ConnectTimeout per connect,
 * BindAddress / BindInterface (the local address the socket is bound to first); or start the
 * ProxyCommand instead. */
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
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proxycmd.h"
#include "ssh/err.h"

/* BindAddress (a name or address, resolved passive) or else BindInterface (its first address of
 * the family; for IPv6 not a link-local one): bind fd before connect. 0 or an errno value. */
static int bind_local(int fd, const struct addrinfo *ai, const struct options *o)
{
	struct addrinfo hints, *res = NULL;
	struct ifaddrs *ifs = NULL, *i;
	int r = 0;

	if (o->bind_address != NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = ai->ai_family;
		hints.ai_socktype = ai->ai_socktype;
		hints.ai_flags = AI_PASSIVE;
		if (getaddrinfo(o->bind_address, NULL, &hints, &res) != 0 || res == NULL) {
			log_debug1("BindAddress %s: no address of this family", o->bind_address);
			return EADDRNOTAVAIL;
		}
		r = bind(fd, res->ai_addr, res->ai_addrlen) == 0 ? 0 : errno;
		freeaddrinfo(res);
		return r;
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

static int connect_one(
    const struct options *o, const struct addrinfo *ai, int timeout_s, int *fd_out, int *err_out)
{
	int fd, r, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);
	struct pollfd pfd;

	*fd_out = -1;
	*err_out = 0;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		*err_out = errno;
		return -1;
	}
	if ((*err_out = bind_local(fd, ai, o)) != 0) {
		log_debug1("bind: %s", strerror(*err_out));
		close(fd);
		return -1;
	}
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r != 0 && errno != EINPROGRESS) {
		*err_out = errno;
		close(fd);
		return -1;
	}
	if (r != 0) {
		uint64_t end = timeout_s > 0 ? loop_now_ms() + (uint64_t)timeout_s * 1000u : 0;
		for (;;) {
			int wait = -1;
			if (end != 0) {
				uint64_t t = loop_now_ms();
				wait = t >= end ? 0 : (int)(end - t);
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			r = poll(&pfd, 1, wait);
			if (r < 0 && errno == EINTR) {
				continue;
			}
			if (r < 0) {
				*err_out = errno;
				close(fd);
				return -1;
			}
			if (r == 0) {
				*err_out = ETIMEDOUT;
				close(fd);
				return -1;
			}
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
			soerr = errno;
		}
		if (soerr != 0) {
			*err_out = soerr;
			close(fd);
			return -1;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_out = fd;
	return 0;
}

int loop_connect(const struct options *o, int *fd, pid_t *proxy_pid, char *addr, size_t addrlen,
    char *err, size_t errlen)
{
	const char *host = o->hostname != NULL ? o->hostname : o->host;
	int port = o->port > 0 ? o->port : 22;
	int attempts = o->connection_attempts > 0 ? o->connection_attempts : 1;
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16], num[64];
	int r, last_err = 0, is_default = 0;
	int limit = options_session_timeout(o, &is_default);

	*fd = -1;
	*proxy_pid = 0;
	if (o->proxy_command != NULL) {
		/* no address of ours to resolve, bind or retry: the command connects (as OpenSSH,
		 * host keys are looked up by name only) */
		if (addr != NULL) {
			snprintf(addr, addrlen, "%s", "<no hostip for proxy command>");
		}
		return proxycmd_start(o, fd, proxy_pid, err, errlen);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = o->address_family == AF_OPT_INET    ? AF_INET
	                  : o->address_family == AF_OPT_INET6 ? AF_INET6
	                                                      : AF_UNSPEC;
	snprintf(portstr, sizeof(portstr), "%d", port);
	r = getaddrinfo(host, portstr, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "connect: could not resolve hostname %s: %s", host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return SSH_ERR_NOT_FOUND;
	}
	for (int a = 0; a < attempts; a++) {
		if (a > 0) {
			sleep(1);
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			num[0] = '\0';
			getnameinfo(
			    ai->ai_addr, ai->ai_addrlen, num, sizeof(num), NULL, 0, NI_NUMERICHOST);
			log_debug1("Connecting to %s [%s] port %d.", host, num, port);
			if (connect_one(o, ai, limit, fd, &last_err) == 0) {
				log_debug1("Connection established.");
				if (addr != NULL) {
					snprintf(addr, addrlen, "%s", num);
				}
				freeaddrinfo(res);
				return 0;
			}
			log_debug1(
			    "connect to address %s port %d: %s", num, port, strerror(last_err));
		}
	}
	freeaddrinfo(res);
	num[0] = '\0';
	if (last_err == ETIMEDOUT && is_default) {
		snprintf(num, sizeof(num), " (ConnectTimeout %d s, the BatchMode default)", limit);
	}
	snprintf(err, errlen, "connect: %s port %d: %s%s", host, port,
	    last_err == ETIMEDOUT ? "Connection timed out" : strerror(last_err), num);
	return SSH_ERR_SYSTEM;
}