/*
 * socks with a real client: curl (when installed) talks SOCKS4, SOCKS4a, SOCKS5 and SOCKS5 with
 * remote name resolution to this test over 127.0.0.1. The test serves each connection with the
 * codec alone, checks the target curl asked for, grants or refuses it with socks_reply and, when
 * granted, plays the HTTP server itself on the same socket (the pipelined request is what the
 * codec left unread). Pass: curl prints the body and exits 0 after a grant, and fails after a
 * refusal. Blocking I/O; the only clock is a hang guard (curl --max-time, poll on accept).
 */
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socks.h"

#define BODY "through the SOCKS codec\n"

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_out(int fd, struct socks *s)
{
	size_t n;
	const uint8_t *o = socks_out(s, &n);

	if (n > 0 && write_all(fd, o, n) != 0) {
		return -1;
	}
	socks_out_consumed(s, n);
	return 0;
}

/* the SOCKS exchange on fd; the bytes after the request are left in rest / *rest_len */
static int serve_socks(int fd, struct socks *s, uint8_t *rest, size_t *rest_len)
{
	uint8_t in[2048];
	size_t have = 0, used;
	ssize_t n;
	int r = SOCKS_MORE;

	socks_init(s);
	for (;;) {
		if (have == 0 || r == SOCKS_MORE) {
			n = read(fd, in + have, sizeof(in) - have);
			if (n <= 0) {
				return -1;
			}
			have += (size_t)n;
		}
		r = socks_feed(s, in, have, &used);
		memmove(in, in + used, have - used);
		have -= used;
		if (send_out(fd, s) != 0) {
			return -1;
		}
		if (r == SOCKS_REQUEST || r < 0) {
			break;
		}
	}
	memcpy(rest, in, have);
	*rest_len = have;
	return r;
}

/* read the HTTP request (it may have come with the SOCKS request) and answer it */
static int serve_http(int fd, uint8_t *req, size_t len, size_t cap)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 24\r\n"
	                           "Connection: close\r\n\r\n" BODY;
	ssize_t n;

	while (memmem(req, len, "\r\n\r\n", 4) == NULL) {
		n = read(fd, req + len, cap - len);
		if (n <= 0) {
			return -1;
		}
		len += (size_t)n;
	}
	return write_all(fd, resp, sizeof(resp) - 1);
}

struct dialect {
	const char *flag, *url, *host;
	uint16_t port;
	int version;
};

static const struct dialect dialects[] = {
    {"--socks4", "http://127.0.0.1:8080/", "127.0.0.1", 8080, 4},
    {"--socks4a", "http://router.example.net:2222/", "router.example.net", 2222, 4},
    {"--socks5", "http://127.0.0.1:80/", "127.0.0.1", 80, 5},
    {"--socks5", "http://[::1]:8443/", "::1", 8443, 5},
    {"--socks5-hostname", "http://router.example.net/x", "router.example.net", 80, 5},
};

/* one curl run against the codec: grant or refuse with why; 0 when it ran */
static int one_run(const struct dialect *d, int grant, enum socks_rep why)
{
	int ls = -1, fd = -1, out[2] = {-1, -1}, st = 0, r;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct pollfd pfd;
	char proxy[64], body[256];
	uint8_t rest[4096];
	size_t rest_len = 0, blen = 0;
	ssize_t n;
	pid_t pid = -1;
	struct socks s;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 1) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0 || pipe(out) != 0) {
		CHECK_MSG(0, "socket setup failed");
		goto out;
	}
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	if ((pid = fork()) < 0) {
		CHECK_MSG(0, "fork failed");
		goto out;
	}
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execlp("curl", "curl", "-s", "--max-time", "60", "--noproxy", "", d->flag, proxy,
		    d->url, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	out[1] = -1;
	pfd.fd = ls;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 60000) != 1 || (fd = accept(ls, NULL, NULL)) < 0) {
		CHECK_MSG(0, "%s %s: curl did not connect", d->flag, d->url);
		goto out;
	}
	r = serve_socks(fd, &s, rest, &rest_len);
	CHECK_MSG(r == SOCKS_REQUEST, "%s %s: r=%d %s", d->flag, d->url, r, socks_error(&s));
	if (r != SOCKS_REQUEST) {
		goto out;
	}
	CHECK_MSG(strcmp(socks_host(&s), d->host) == 0, "%s: host %s", d->flag, socks_host(&s));
	CHECK_EQ_INT(socks_port(&s), d->port);
	CHECK_EQ_INT(socks_version(&s), d->version);
	CHECK_EQ_INT(socks_reply(&s, grant, why), 0);
	if (send_out(fd, &s) != 0) {
		CHECK_MSG(0, "%s: reply not sent", d->flag);
		goto out;
	}
	if (grant && serve_http(fd, rest, rest_len, sizeof(rest)) != 0) {
		CHECK_MSG(0, "%s: no HTTP request after the grant", d->flag);
		goto out;
	}
	close(fd);
	fd = -1;
	while (blen < sizeof(body) - 1 &&
	       (n = read(out[0], body + blen, sizeof(body) - 1 - blen)) > 0) {
		blen += (size_t)n;
	}
	body[blen] = '\0';
	waitpid(pid, &st, 0);
	pid = -1;
	if (grant) {
		CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s %s: curl status %d", d->flag,
		    d->url, st);
		CHECK_MSG(strcmp(body, BODY) == 0, "%s: body '%s'", d->flag, body);
	} else {
		CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 127,
		    "%s %s refused: curl status %d", d->flag, d->url, st);
		CHECK_EQ_INT(blen, 0);
	}
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	}
	if (fd >= 0) {
		close(fd);
	}
	if (ls >= 0) {
		close(ls);
	}
	if (out[0] >= 0) {
		close(out[0]);
	}
	if (out[1] >= 0) {
		close(out[1]);
	}
	return 0;
}

/* is curl on PATH? */
static int have_curl(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("curl", "curl", "--version", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		return 0;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (!have_curl()) {
		printf("skip: curl is not installed\n");
		return 0;
	}
	for (i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		one_run(&dialects[i], 1, SOCKS_REP_OK);
		one_run(&dialects[i], 0, SOCKS_REP_REFUSED);
	}
	T_DONE();
}
