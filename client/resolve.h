/*
 * Name lookups that do not block the poll loop. A lookup of a numeric address is answered at
 * once; any other runs getaddrinfo in a worker thread of a bounded pool (the rest wait in a
 * queue), and its handle's descriptor becomes readable when the answer is there. A handle may be
 * freed at any time: a lookup still running finishes on its own and its thread drops the answer.
 * The pool holds no process-wide state: each poll loop (or a test) makes its own.
 */
#ifndef X509SSH_RESOLVE_H
#define X509SSH_RESOLVE_H

#include <netdb.h>
#include <stddef.h>

/* how many lookups run at once in a loop's pool; the others wait */
#define RESOLVE_THREADS 8

struct resolver;
struct resolve;

/* getaddrinfo's signature: a pool's lookup function (tests put in their own). */
typedef int (*resolve_lookup_fn)(
    const char *host, const char *serv, const struct addrinfo *hints, struct addrinfo **res);

/* A pool of at most max_threads worker threads (started when needed, gone when idle); NULL when
 * out of memory. lookup NULL means getaddrinfo; its answers are freed with freeaddrinfo. */
struct resolver *resolver_new(unsigned max_threads, resolve_lookup_fn lookup);
/* The owner is done with the pool; lookups still running end it when they finish. NULL is fine. */
void resolver_free(struct resolver *p);
/* How many worker threads are alive now. */
unsigned resolver_threads(struct resolver *p);

/*
 * Start looking up host and serv (a port number) for stream sockets of family (AF_UNSPEC,
 * AF_INET, AF_INET6) with the getaddrinfo flags given. 0 and *out, or a negative errno (ENOMEM,
 * or the reason no worker thread could be started).
 */
int resolve_start(struct resolver *p, const char *host, const char *serv, int family, int flags,
    struct resolve **out);
/* The descriptor to poll for POLLIN until resolve_done; -1 when the answer came at once. */
int resolve_fd(const struct resolve *q);
/* 1 when the answer is there, else 0. */
int resolve_done(struct resolve *q);
/* Once done: 0 and *res the addresses (owned by q), or the getaddrinfo error (EAI_*). */
int resolve_result(struct resolve *q, const struct addrinfo **res);
/* Once done with an error: its text (gai_strerror, or strerror for EAI_SYSTEM) in buf. */
const char *resolve_error(struct resolve *q, char *buf, size_t len);
/* Cancel (when still queued or running) and free; NULL is fine. */
void resolve_free(struct resolve *q);

#endif
