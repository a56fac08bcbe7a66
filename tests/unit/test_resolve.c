/* The resolver pool (client/resolve.c): a numeric address at once, names in worker threads, the
 * errors' texts, many lookups at once with a bounded number of threads, and lookups freed while
 * they are queued or running (clean under ASan and valgrind). */
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "resolve.h"
#include "t.h"
#include "t_held.h"

/* poll the lookups until every one is done (no time limit: ctest's is the hang guard) */
static void wait_all(struct resolve **q, size_t n)
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	size_t left;
	int fds_ok = 1;

	for (;;) {
		left = 0;
		for (size_t i = 0; i < n; i++) {
			pfd[i].fd = -1;
			pfd[i].events = POLLIN;
			if (q[i] != NULL && !resolve_done(q[i])) {
				fds_ok &= resolve_fd(q[i]) >= 0;
				pfd[i].fd = resolve_fd(q[i]);
				left++;
			}
		}
		if (left == 0) {
			break;
		}
		(void)poll(pfd, n, -1);
	}
	CHECK(fds_ok); /* a lookup under way has a descriptor to poll */
	free(pfd);
}

/* the threads leave once the queue is empty: wait for that (no time limit) */
static void wait_idle(struct resolver *p)
{
	while (resolver_threads(p) != 0) {
		usleep(1000);
	}
}

static int has_loopback(const struct addrinfo *ai, int port)
{
	for (; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)ai->ai_addr;
			if (s->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
			    ntohs(s->sin_port) == port) {
				return 1;
			}
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const void *)ai->ai_addr;
			if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) && ntohs(s->sin6_port) == port) {
				return 1;
			}
		}
	}
	return 0;
}

static void test_numeric(struct resolver *p)
{
	struct resolve *q = NULL;
	const struct addrinfo *ai = NULL;

	CHECK_EQ_INT(resolve_start(p, "127.0.0.1", "2222", AF_UNSPEC, 0, &q), 0);
	CHECK(q != NULL);
	CHECK_EQ_INT(resolve_fd(q), -1); /* answered at once: nothing to poll */
	CHECK(resolve_done(q));
	CHECK_EQ_INT(resolve_result(q, &ai), 0);
	CHECK(ai != NULL && ai->ai_family == AF_INET && ai->ai_next == NULL);
	CHECK(has_loopback(ai, 2222));
	CHECK_EQ_INT(resolver_threads(p), 0); /* no thread for it */
	resolve_free(q);

	/* a numeric address of the other family is not answered at once (getaddrinfo says why) */
	CHECK_EQ_INT(resolve_start(p, "::1", "22", AF_INET, 0, &q), 0);
	wait_all(&q, 1);
	CHECK(resolve_result(q, &ai) != 0);
	resolve_free(q);
}

static void test_names(struct resolver *p)
{
	struct resolve *q[2] = {NULL, NULL};
	const struct addrinfo *ai = NULL;
	char buf[256];
	int r;

	CHECK_EQ_INT(resolve_start(p, "localhost", "22", AF_UNSPEC, 0, &q[0]), 0);
	CHECK_EQ_INT(resolve_start(p, "no-such-host.invalid", "22", AF_UNSPEC, 0, &q[1]), 0);
	CHECK(resolve_fd(q[0]) >= 0 && resolve_fd(q[1]) >= 0); /* names go to a thread */
	wait_all(q, 2);
	CHECK_EQ_INT(resolve_result(q[0], &ai), 0);
	CHECK(has_loopback(ai, 22));
	r = resolve_result(q[1], &ai);
	CHECK(r != 0);
	CHECK(ai == NULL);
	resolve_error(q[1], buf, sizeof(buf));
	CHECK_MSG(r != EAI_SYSTEM && strcmp(buf, gai_strerror(r)) == 0, "error: %d %s", r, buf);
	CHECK(buf[0] != '\0');
	resolve_free(q[0]);
	resolve_free(q[1]);
}

/* 50 at once through at most 8 threads: all answered */
static void test_many(struct resolver *p)
{
	struct resolve *q[50];
	const struct addrinfo *ai;
	int ok = 1;

	for (size_t i = 0; i < 50; i++) {
		CHECK_EQ_INT(
		    resolve_start(p, i % 2 ? "localhost" : "x.invalid", "22", AF_UNSPEC, 0, &q[i]),
		    0);
		CHECK(resolver_threads(p) <= 8);
	}
	wait_all(q, 50);
	for (size_t i = 0; i < 50; i++) {
		int r = resolve_result(q[i], &ai);
		ok &= i % 2 ? (r == 0 && has_loopback(ai, 22)) : r != 0;
		resolve_free(q[i]);
	}
	CHECK(ok);
}

/* 20 held lookups: 8 threads run 8 of them, 12 wait; lookups freed while running and while
 * queued; the others answered once the gate opens; the threads leave */
static void test_held(struct resolver *p)
{
	struct resolve *q[20];
	const struct addrinfo *ai;
	char name[32];
	int ok = 1;

	gate_set(0);
	for (size_t i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "h%zu.held", i);
		CHECK_EQ_INT(resolve_start(p, name, "7", AF_UNSPEC, 0, &q[i]), 0);
	}
	gate_wait_held(8);
	CHECK_EQ_INT(resolver_threads(p), 8);
	CHECK(!resolve_done(q[0]) && !resolve_done(q[19]));
	/* the first ones run (each thread took one from the head), the last ones wait */
	for (size_t i = 0; i < 3; i++) {
		resolve_free(q[i]);
		q[i] = NULL;
		resolve_free(q[19 - i]);
		q[19 - i] = NULL;
	}
	gate_set(1);
	wait_all(q, 20);
	for (size_t i = 3; i < 17; i++) {
		ok &= resolve_result(q[i], &ai) == 0 && has_loopback(ai, 7);
		resolve_free(q[i]);
	}
	CHECK(ok);
	wait_idle(p);
	CHECK_EQ_INT(resolver_threads(p), 0);
}

/* the owner lets go of the pool while a lookup runs: the thread ends it (ASan: no leak) */
static void test_pool_freed_first(void)
{
	struct resolver *p = resolver_new(2, held_lookup);
	struct resolve *q = NULL;

	CHECK(p != NULL);
	gate_set(0);
	CHECK_EQ_INT(resolve_start(p, "late.held", "1", AF_UNSPEC, 0, &q), 0);
	gate_wait_held(1);
	resolve_free(q);
	resolver_free(p);
	gate_set(1);
}

int main(void)
{
	struct resolver *p = resolver_new(RESOLVE_THREADS, held_lookup);

	CHECK(p != NULL);
	test_pool_freed_first();
	test_numeric(p);
	test_names(p);
	test_many(p);
	test_held(p);
	wait_idle(p);
	resolver_free(p);
	T_DONE();
}
