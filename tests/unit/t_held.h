/*
 * A lookup function for resolver pools under test (client/resolve.h): names ending in ".held"
 * wait at a gate the test opens, then are 127.0.0.1; any other name is getaddrinfo's.
 * Header-only (static), include after t.h.
 */
#ifndef X509SSH_T_HELD_H
#define X509SSH_T_HELD_H

#include <netdb.h>
#include <pthread.h>
#include <string.h>

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int held_now; /* lookups waiting at the gate */

static inline int held_lookup(
    const char *host, const char *serv, const struct addrinfo *hints, struct addrinfo **res)
{
	size_t n = strlen(host);

	if (n < 5 || strcmp(host + n - 5, ".held") != 0) {
		return getaddrinfo(host, serv, hints, res);
	}
	pthread_mutex_lock(&gate_lock);
	held_now++;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open) {
		pthread_cond_wait(&gate_cond, &gate_lock);
	}
	held_now--;
	pthread_mutex_unlock(&gate_lock);
	return getaddrinfo("127.0.0.1", serv, hints, res);
}

static inline void gate_set(int open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

/* wait until n lookups wait at the gate */
static inline void gate_wait_held(int n)
{
	pthread_mutex_lock(&gate_lock);
	while (held_now < n) {
		pthread_cond_wait(&gate_cond, &gate_lock);
	}
	pthread_mutex_unlock(&gate_lock);
}

#endif
