/* The connect state machine (client/connect.c) driven by a small poll loop as the reactor drives
 * it: two connections dial at once (one held in its lookup while the other connects), a failed
 * lookup, ConnectionAttempts rounds to a refused port, a listener that appears during the pause
 * between rounds, ConnectTimeout on a lookup and on a connect that is never answered. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop_int.h"
#include "resolve.h"
#include "t.h"
#include "t_held.h"

static struct resolver *pool;
static char logpath[64];

/* a loop as the reactor has it before dialing: options, HostName, Port, the pool */
static void loop_for(struct loop *l, const struct options *o, const char *host, int port)
{
	memset(l, 0, sizeof(*l));
	l->o = o;
	l->host = host;
	l->port = port;
	l->sock = -1;
	l->resolver = pool;
}

static void opts(struct options *o, int attempts, int timeout)
{
	options_init(o);
	o->connection_attempts = attempts;
	o->connect_timeout = timeout;
}

/* a TCP socket on 127.0.0.1 (listening or only bound: then connects are refused); its port */
static int tcp_socket(int do_listen, int backlog, int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (do_listen && listen(fd, backlog) != 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		fprintf(stderr, "test socket: %s\n", strerror(errno));
		exit(2);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/*
 * One reactor turn for the dials st[i] == 0 of ls[0..n): their slots and timers, poll, their
 * results into st (1 connected, < 0 failed).
 */
static void turn(struct loop *ls, int *st, size_t n)
{
	struct pollfd pfd[4];
	int timeout = 1000;

	for (size_t i = 0; i < n; i++) {
		pfd[i].fd = -1;
		pfd[i].events = 0;
		pfd[i].revents = 0;
		if (st[i] == 0) {
			dial_fill(&ls[i], &pfd[i], &timeout);
		}
	}
	(void)poll(pfd, n, timeout);
	for (size_t i = 0; i < n; i++) {
		if (st[i] == 0) {
			st[i] = dial_after(&ls[i], &pfd[i]);
		}
	}
}

/* turn until ls[k] is no longer dialing */
static void turn_until(struct loop *ls, int *st, size_t n, size_t k)
{
	while (st[k] == 0) {
		turn(ls, st, n);
	}
}

/* how many lines of the log hold s (the log file is truncated by log_reset) */
static int log_count(const char *s)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(logpath, "r");

	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strstr(line, s) != NULL;
	}
	fclose(f);
	return n;
}

static void log_reset(void)
{
	log_close();
	unlink(logpath);
	if (log_init(LOG_DEBUG1, logpath) != 0) {
		fprintf(stderr, "log file %s: %s\n", logpath, strerror(errno));
		exit(2);
	}
}

static void loop_done(struct loop *l)
{
	dial_end(l);
	if (l->sock >= 0) {
		close(l->sock);
	}
}

/* two dials in one loop: the one whose lookup is held does not hold up the other */
static void test_two_at_once(void)
{
	struct options o;
	struct loop ls[2];
	int st[2], port, lfd = tcp_socket(1, 8, &port);

	opts(&o, 1, 0);
	gate_set(0);
	loop_for(&ls[0], &o, "slow.held", port);
	loop_for(&ls[1], &o, "127.0.0.1", port);
	st[0] = dial_start(&ls[0]);
	st[1] = dial_start(&ls[1]);
	CHECK_EQ_INT(st[0], 0);
	CHECK(ls[0].dial != NULL);
	turn_until(ls, st, 2, 1);
	CHECK_EQ_INT(st[1], 1);
	CHECK(ls[1].sock >= 0 && ls[1].dial == NULL);
	CHECK_STR(ls[1].addr, "127.0.0.1");
	CHECK_EQ_INT(st[0], 0); /* still in its lookup */
	CHECK(ls[0].dial != NULL && ls[0].sock < 0);
	gate_set(1);
	turn_until(ls, st, 2, 0);
	CHECK_EQ_INT(st[0], 1);
	CHECK(ls[0].sock >= 0);
	CHECK_STR(ls[0].addr, "127.0.0.1");
	loop_done(&ls[0]);
	loop_done(&ls[1]);
	close(lfd);
	options_free(&o);
}

static void test_no_such_host(void)
{
	struct options o;
	struct loop l;
	int st;
	const char *want = "connect: could not resolve hostname no-such-host.invalid: ";

	opts(&o, 1, 0);
	loop_for(&l, &o, "no-such-host.invalid", 22);
	st = dial_start(&l);
	turn_until(&l, &st, 1, 0);
	CHECK(st < 0);
	CHECK_MSG(
	    strncmp(l.local_err, want, strlen(want)) == 0 && strlen(l.local_err) > strlen(want),
	    "%s", l.local_err);
	CHECK(l.sock < 0);
	loop_done(&l);
	options_free(&o);
}

/* ConnectionAttempts 3 to a refused port: three rounds, then the one line */
static void test_rounds_refused(void)
{
	struct options o;
	struct loop l;
	int st, port, fd = tcp_socket(0, 0, &port);
	char want[128];

	log_reset();
	opts(&o, 3, 0);
	loop_for(&l, &o, "127.0.0.1", port);
	st = dial_start(&l);
	turn_until(&l, &st, 1, 0);
	CHECK(st < 0);
	snprintf(want, sizeof(want), "connect: 127.0.0.1 port %d: Connection refused", port);
	CHECK_STR(l.local_err, want);
	snprintf(
	    want, sizeof(want), "connect to address 127.0.0.1 port %d: Connection refused", port);
	CHECK_EQ_INT(log_count(want), 3);
	CHECK_EQ_INT(log_count("Connecting to 127.0.0.1 [127.0.0.1] port"), 3);
	CHECK_EQ_INT(log_count("Connection established."), 0);
	loop_done(&l);
	close(fd);
	options_free(&o);
}

/* the port is refused in the first round and listens during the pause: the second round
 * connects */
static void test_listener_in_second_round(void)
{
	struct options o;
	struct loop l;
	int st, port, fd = tcp_socket(0, 0, &port);
	char refused[128];

	log_reset();
	opts(&o, 3, 0);
	snprintf(refused, sizeof(refused),
	    "connect to address 127.0.0.1 port %d: Connection refused", port);
	loop_for(&l, &o, "127.0.0.1", port);
	st = dial_start(&l);
	while (st == 0 && log_count(refused) == 0) {
		turn(&l, &st, 1);
	}
	CHECK_EQ_INT(st, 0); /* waiting for the next round */
	CHECK(l.dial != NULL);
	CHECK_EQ_INT(listen(fd, 8), 0);
	turn_until(&l, &st, 1, 0);
	CHECK_EQ_INT(st, 1);
	CHECK(l.sock >= 0);
	CHECK_EQ_INT(log_count(refused), 1);
	CHECK_EQ_INT(log_count("Connecting to 127.0.0.1 [127.0.0.1] port"), 2);
	CHECK_EQ_INT(log_count("Connection established."), 1);
	loop_done(&l);
	close(fd);
	options_free(&o);
}

/* ConnectTimeout bounds a lookup that does not come back; the dial is dropped while the lookup
 * still runs (its thread drops the answer) */
static void test_lookup_timeout(void)
{
	struct options o;
	struct loop l;
	int st;

	opts(&o, 1, 1);
	gate_set(0);
	loop_for(&l, &o, "stuck.held", 22);
	st = dial_start(&l);
	turn_until(&l, &st, 1, 0);
	CHECK(st < 0);
	CHECK_STR(l.local_err,
	    "connect: could not resolve hostname stuck.held: timed out (ConnectTimeout 1 s)");
	loop_done(&l);
	CHECK(l.dial == NULL);
	gate_set(1);
	options_free(&o);
}

/* BindAddress is looked up like HostName: a lookup of it that does not come back is bounded by
 * ConnectTimeout and named; a HostName that fails is said at once, without waiting for it */
static void test_bind_lookup(void)
{
	struct options o;
	struct loop l;
	int st;
	const char *want = "connect: could not resolve hostname no-such-host.invalid: ";

	opts(&o, 1, 1);
	o.bind_address = strdup("bind.held");
	CHECK(o.bind_address != NULL);
	gate_set(0);
	loop_for(&l, &o, "127.0.0.1", 22);
	st = dial_start(&l);
	CHECK_EQ_INT(st, 0);
	turn_until(&l, &st, 1, 0);
	CHECK(st < 0);
	CHECK_STR(l.local_err,
	    "connect: could not resolve hostname bind.held: timed out (ConnectTimeout 1 s)");
	loop_done(&l);

	loop_for(&l, &o, "no-such-host.invalid", 22);
	st = dial_start(&l);
	turn_until(&l, &st, 1, 0);
	CHECK(st < 0);
	CHECK_MSG(strncmp(l.local_err, want, strlen(want)) == 0 &&
	              strstr(l.local_err, "timed out") == NULL,
	    "%s", l.local_err);
	loop_done(&l);
	gate_set(1);
	options_free(&o);
}

/* ConnectTimeout bounds each connect that is never answered (a listener whose queue is full
 * drops further SYNs), in every round; the line does not name the BatchMode default */
static void test_connect_timeout(void)
{
	struct options o;
	struct loop l;
	int st, port, lfd = tcp_socket(1, 0, &port), filler[4];
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	for (int i = 0; i < 4; i++) {
		filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		(void)connect(filler[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	log_reset();
	opts(&o, 2, 1);
	loop_for(&l, &o, "127.0.0.1", port);
	st = dial_start(&l);
	turn_until(&l, &st, 1, 0);
	CHECK(st < 0);
	CHECK_MSG(strstr(l.local_err, "Connection timed out") != NULL &&
	              strstr(l.local_err, "BatchMode") == NULL,
	    "%s", l.local_err);
	CHECK_EQ_INT(log_count("Connection timed out"), 2); /* one per round */
	loop_done(&l);
	options_free(&o);
	for (int i = 0; i < 4; i++) {
		close(filler[i]);
	}
	close(lfd);
}

int main(void)
{
	snprintf(logpath, sizeof(logpath), "/tmp/test_dial.%d.log", (int)getpid());
	pool = resolver_new(RESOLVE_THREADS, held_lookup);
	CHECK(pool != NULL);
	test_two_at_once();
	test_no_such_host();
	test_rounds_refused();
	test_listener_in_second_round();
	test_lookup_timeout();
	test_bind_lookup();
	test_connect_timeout();
	while (resolver_threads(pool) != 0) {
		usleep(1000); /* the held lookups' threads leave */
	}
	resolver_free(pool);
	log_close();
	unlink(logpath);
	T_DONE();
}
