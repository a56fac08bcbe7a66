/*
 * Name lookups off the poll loop: a bounded pool of detached worker threads that take lookups
 * from a queue and leave when it is empty; each lookup signals its eventfd when answered.
 * Ownership: a lookup is held by its caller and, while queued or running, by the pool; the last
 * holder frees it (so a thread never writes into a freed lookup). The pool is held by its owner,
 * each living thread and each lookup, and freed by the last of them.
 */
#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum q_state { Q_QUEUED, Q_RUNNING, Q_DONE };

struct resolve {
	struct resolver *pool; /* NULL for an answer given at once */
	struct resolve *next;  /* in the pool's queue */
	enum q_state state;
	int refs; /* the caller's, and the pool's while queued or running */
	int fd;   /* eventfd, -1 for an answer given at once */
	char *host;
	char serv[16];
	struct addrinfo hints;
	struct addrinfo *res;
	int gai;       /* the lookup's result */
	int sys_errno; /* errno after it, for EAI_SYSTEM */
};

struct resolver {
	pthread_mutex_t lock;
	resolve_lookup_fn lookup;
	struct resolve *head, *tail; /* waiting for a thread */
	unsigned threads, max_threads;
	unsigned refs; /* the owner's, one per thread, one per lookup */
};

static void query_destroy(struct resolve *q)
{
	if (q->res != NULL) {
		freeaddrinfo(q->res);
	}
	if (q->fd >= 0) {
		close(q->fd);
	}
	free(q->host);
	free(q);
}

/* Drop one hold on p with its lock held; the lock is released (and p freed by the last). */
static void pool_release(struct resolver *p)
{
	int last = --p->refs == 0;

	pthread_mutex_unlock(&p->lock);
	if (last) {
		pthread_mutex_destroy(&p->lock);
		free(p);
	}
}

static void *worker(void *arg)
{
	struct resolver *p = arg;
	struct resolve *q;

	pthread_mutex_lock(&p->lock);
	while ((q = p->head) != NULL) {
		struct addrinfo *res = NULL;
		int r, e;

		p->head = q->next;
		if (p->head == NULL) {
			p->tail = NULL;
		}
		q->next = NULL;
		q->state = Q_RUNNING;
		pthread_mutex_unlock(&p->lock);
		/* host, serv and hints do not change while the pool holds q */
		errno = 0;
		r = p->lookup(q->host, q->serv, &q->hints, &res);
		e = errno;
		pthread_mutex_lock(&p->lock);
		q->res = res;
		q->gai = r;
		q->sys_errno = e;
		q->state = Q_DONE;
		if (--q->refs == 0) {
			query_destroy(q); /* its caller is gone: nobody to tell */
			p->refs--;        /* its hold on p (this thread still holds one) */
		} else {
			(void)eventfd_write(q->fd, 1);
		}
	}
	p->threads--;
	pool_release(p);
	return NULL;
}

struct resolver *resolver_new(unsigned max_threads, resolve_lookup_fn lookup)
{
	struct resolver *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		return NULL;
	}
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return NULL;
	}
	p->lookup = lookup != NULL ? lookup : getaddrinfo;
	p->max_threads = max_threads > 0 ? max_threads : 1;
	p->refs = 1;
	return p;
}

void resolver_free(struct resolver *p)
{
	if (p == NULL) {
		return;
	}
	pthread_mutex_lock(&p->lock);
	pool_release(p);
}

unsigned resolver_threads(struct resolver *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->threads;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* A worker for p (its lock held), with every signal blocked: the loop's thread takes them. */
static int start_worker(struct resolver *p)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int r;

	if ((r = pthread_attr_init(&attr)) != 0) {
		return r;
	}
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &attr, worker, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r == 0) {
		p->threads++;
		p->refs++;
	}
	return r;
}

/* Take q out of p's queue (p's lock held). */
static void unqueue(struct resolver *p, struct resolve *q)
{
	struct resolve **pp = &p->head, *prev = NULL;

	while (*pp != NULL && *pp != q) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL) {
		return;
	}
	*pp = q->next;
	if (p->tail == q) {
		p->tail = prev;
	}
	q->next = NULL;
}

int resolve_start(struct resolver *p, const char *host, const char *serv, int family, int flags,
    struct resolve **out)
{
	struct resolve *q = calloc(1, sizeof(*q));
	struct addrinfo numeric;
	int r = 0;

	*out = NULL;
	if (q == NULL) {
		return -ENOMEM;
	}
	q->fd = -1;
	q->refs = 1;
	q->hints.ai_family = family;
	q->hints.ai_socktype = SOCK_STREAM;
	q->hints.ai_flags = flags;
	snprintf(q->serv, sizeof(q->serv), "%s", serv);
	/* a numeric address needs no thread and cannot block */
	numeric = q->hints;
	numeric.ai_flags |= AI_NUMERICHOST;
	if (getaddrinfo(host, q->serv, &numeric, &q->res) == 0) {
		q->state = Q_DONE;
		*out = q;
		return 0;
	}
	q->res = NULL;
	if ((q->host = strdup(host)) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = -errno;
		goto out;
	}
	q->pool = p;
	q->state = Q_QUEUED;
	q->refs = 2;
	pthread_mutex_lock(&p->lock);
	p->refs++;
	if (p->tail != NULL) {
		p->tail->next = q;
	} else {
		p->head = q;
	}
	p->tail = q;
	if (p->threads < p->max_threads && (r = start_worker(p)) != 0) {
		if (p->threads > 0) {
			r = 0; /* a running thread will take it */
		} else {
			unqueue(p, q);
			p->refs--;
			q->pool = NULL;
			r = -r;
		}
	}
	pthread_mutex_unlock(&p->lock);
out:
	if (r != 0) {
		query_destroy(q);
		return r;
	}
	*out = q;
	return 0;
}

int resolve_fd(const struct resolve *q)
{
	return q->fd;
}

int resolve_done(struct resolve *q)
{
	int done;

	if (q->pool == NULL) {
		return q->state == Q_DONE;
	}
	pthread_mutex_lock(&q->pool->lock);
	done = q->state == Q_DONE;
	pthread_mutex_unlock(&q->pool->lock);
	return done;
}

/* the fields read below were written before resolve_done saw Q_DONE under the lock */
int resolve_result(struct resolve *q, const struct addrinfo **res)
{
	*res = q->gai == 0 ? q->res : NULL;
	return q->gai;
}

const char *resolve_error(struct resolve *q, char *buf, size_t len)
{
	snprintf(
	    buf, len, "%s", q->gai == EAI_SYSTEM ? strerror(q->sys_errno) : gai_strerror(q->gai));
	return buf;
}

void resolve_free(struct resolve *q)
{
	struct resolver *p;

	if (q == NULL) {
		return;
	}
	if ((p = q->pool) == NULL) {
		query_destroy(q);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (q->state == Q_QUEUED) {
		unqueue(p, q);
		q->refs--; /* the pool's hold */
	}
	if (--q->refs != 0) {
		pthread_mutex_unlock(&p->lock); /* its thread frees it */
		return;
	}
	query_destroy(q);
	pool_release(p);
}
