/* Signatures to one shared signer queued one at a time (signq.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "signq.h"

/* W_ASKING: it owns the inner signer, which waits for a secret (SIGNER_NEED_SECRET) */
enum w_state { W_IDLE, W_WAITING, W_RUNNING, W_ASKING, W_DONE };

struct signq;

/* one connection's view of the shared signer */
struct signq_w {
	struct signq *q;
	enum w_state state;
	struct signer_req req; /* W_WAITING: a copy of the request */
	uint8_t *data;
	char digest[32];
	int pfd[2]; /* W_WAITING / W_DONE: readable once the result is there */
	int rc;     /* W_DONE */
	uint8_t *sig;
	size_t siglen;
	char err[256];
	struct signq_w *next; /* in the queue */
};

/* the queue of one inner signer */
struct signq {
	struct signer *inner;
	struct signq_w *owner;       /* its signature runs on the inner signer */
	struct signq_w *head, *tail; /* waiting, first come first served */
	unsigned refs;
	struct signq *next; /* the registry */
};

static struct signq *registry;

static struct signq *queue_get(struct signer *inner)
{
	struct signq *q;

	for (q = registry; q != NULL; q = q->next) {
		if (q->inner == inner) {
			q->refs++;
			return q;
		}
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		return NULL;
	}
	q->inner = inner;
	q->refs = 1;
	q->next = registry;
	registry = q;
	return q;
}

static void queue_put(struct signq *q)
{
	struct signq **pp;

	if (--q->refs > 0) {
		return;
	}
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	free(q);
}

static void close_pipe(struct signq_w *w)
{
	for (int i = 0; i < 2; i++) {
		if (w->pfd[i] >= 0) {
			close(w->pfd[i]);
			w->pfd[i] = -1;
		}
	}
}

static void drop_copy(struct signq_w *w)
{
	if (w->data != NULL) {
		OPENSSL_cleanse(w->data, w->req.len);
		free(w->data);
		w->data = NULL;
	}
	memset(&w->req, 0, sizeof(w->req));
}

static void copy_error(struct signq_w *w)
{
	struct signer *in = w->q->inner;
	const char *e = in->ops->error != NULL ? in->ops->error(in) : "";

	snprintf(w->err, sizeof(w->err), "%s", e != NULL ? e : "");
}

/* the inner signer is free: start the waiting ones in turn until one runs */
static void kick(struct signq *q)
{
	struct signq_w *w;
	int r;

	while (q->owner == NULL && (w = q->head) != NULL) {
		q->head = w->next;
		if (q->head == NULL) {
			q->tail = NULL;
		}
		w->next = NULL;
		r = q->inner->ops->sign(q->inner, &w->req, &w->sig, &w->siglen);
		drop_copy(w);
		if (r == SIGNER_AGAIN) {
			close_pipe(w); /* its poll_fd is the inner signer's now */
			w->state = W_RUNNING;
			q->owner = w;
			return;
		}
		w->rc = r;
		copy_error(w);
		w->state = W_DONE;
		if (r == SIGNER_NEED_SECRET) {
			q->owner = w; /* its question holds the signer: W_ASKING once collected */
		}
		if (w->pfd[1] >= 0 && write(w->pfd[1], "x", 1) != 1) {
			/* the pipe is empty and ours: cannot fail; poll would miss it otherwise */
			w->rc = SIGNER_ERR_SYSTEM;
		}
	}
}

static EVP_PKEY *w_pubkey(struct signer *s)
{
	struct signer *in = ((struct signq_w *)s->impl)->q->inner;

	return in->ops->pubkey(in);
}

static void w_chain(struct signer *s, const uint8_t *const **der, const size_t **len, size_t *n)
{
	struct signer *in = ((struct signq_w *)s->impl)->q->inner;

	*n = signer_chain(in, der, len);
}

static int w_sign(struct signer *s, const struct signer_req *req, uint8_t **sig, size_t *siglen)
{
	struct signq_w *w = s->impl;
	struct signq *q = w->q;
	int r;

	*sig = NULL;
	*siglen = 0;
	w->err[0] = '\0';
	if (w->state != W_IDLE) {
		snprintf(w->err, sizeof(w->err), "a signature is already being made");
		return SIGNER_ERR_INTERNAL;
	}
	if (q->owner == NULL && q->head == NULL) {
		r = q->inner->ops->sign(q->inner, req, sig, siglen);
		if (r == SIGNER_AGAIN || r == SIGNER_NEED_SECRET) {
			w->state = r == SIGNER_AGAIN ? W_RUNNING : W_ASKING;
			q->owner = w;
		} else if (r != 0) {
			copy_error(w);
		}
		return r;
	}
	/* another connection's signature runs: wait for it */
	if (pipe2(w->pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		w->pfd[0] = w->pfd[1] = -1;
		return SIGNER_ERR_SYSTEM;
	}
	if (req->len > 0 && (w->data = malloc(req->len)) == NULL) {
		close_pipe(w);
		return SIGNER_ERR_ALLOC;
	}
	if (req->len > 0) {
		memcpy(w->data, req->data, req->len);
	}
	w->req.prim = req->prim;
	w->req.data = w->data;
	w->req.len = req->len;
	w->req.digest = NULL;
	if (req->digest != NULL) {
		snprintf(w->digest, sizeof(w->digest), "%s", req->digest);
		w->req.digest = w->digest;
	}
	w->state = W_WAITING;
	if (q->tail != NULL) {
		q->tail->next = w;
	} else {
		q->head = w;
	}
	q->tail = w;
	return SIGNER_AGAIN;
}

static int w_finish(struct signer *s, uint8_t **sig, size_t *siglen)
{
	struct signq_w *w = s->impl;
	struct signq *q = w->q;
	int r;

	*sig = NULL;
	*siglen = 0;
	switch (w->state) {
	case W_RUNNING:
		r = q->inner->ops->sign_finish(q->inner, sig, siglen);
		if (r == SIGNER_AGAIN) {
			return r;
		}
		if (r == SIGNER_NEED_SECRET) {
			w->state = W_ASKING;
			return r;
		}
		if (r != 0) {
			copy_error(w);
		}
		w->state = W_IDLE;
		q->owner = NULL;
		kick(q);
		return r;
	case W_DONE:
		*sig = w->sig;
		*siglen = w->siglen;
		w->sig = NULL;
		w->siglen = 0;
		w->state = w->rc == SIGNER_NEED_SECRET ? W_ASKING : W_IDLE;
		close_pipe(w);
		return w->rc;
	case W_ASKING:
		return SIGNER_NEED_SECRET;
	case W_WAITING:
		return SIGNER_AGAIN; /* not its turn yet */
	case W_IDLE:
	default:
		return SIGNER_ERR_INTERNAL;
	}
}

static int w_poll_fd(struct signer *s)
{
	struct signq_w *w = s->impl;
	struct signer *in = w->q->inner;

	if (w->state == W_RUNNING) {
		return in->ops->poll_fd != NULL ? in->ops->poll_fd(in) : -1;
	}
	return w->state == W_WAITING || w->state == W_DONE ? w->pfd[0] : -1;
}

static const char *w_error(struct signer *s)
{
	return ((struct signq_w *)s->impl)->err;
}

static const char *w_secret_prompt(struct signer *s, int *flags)
{
	struct signq_w *w = s->impl;
	struct signer *in = w->q->inner;

	if (w->state != W_ASKING || in->ops->secret_prompt == NULL) {
		return NULL;
	}
	return in->ops->secret_prompt(in, flags);
}

/* the owner is done with the inner signer: the next waiting one gets it */
static void release(struct signq_w *w)
{
	w->state = W_IDLE;
	w->q->owner = NULL;
	kick(w->q);
}

static int w_secret_answer(struct signer *s, const char *secret, uint8_t **sig, size_t *siglen)
{
	struct signq_w *w = s->impl;
	struct signer *in = w->q->inner;
	int r;

	*sig = NULL;
	*siglen = 0;
	if (w->state != W_ASKING || in->ops->secret_answer == NULL) {
		return SIGNER_ERR_INTERNAL;
	}
	r = in->ops->secret_answer(in, secret, sig, siglen);
	if (r == SIGNER_AGAIN) {
		w->state = W_RUNNING;
	} else if (r != SIGNER_NEED_SECRET) {
		if (r != 0) {
			copy_error(w);
		}
		release(w);
	}
	return r;
}

/* give up the inner signer's pending work: a question is answered with none, a signature
 * under way is collected and dropped (the next owner needs the signer free) */
static void drop_inner(struct signq_w *w)
{
	struct signer *in = w->q->inner;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r = w->state == W_RUNNING ? SIGNER_AGAIN : SIGNER_NEED_SECRET;

	if (r == SIGNER_NEED_SECRET && in->ops->secret_answer != NULL) {
		r = in->ops->secret_answer(in, NULL, &sig, &len);
		free(sig);
		sig = NULL;
	}
	while (r == SIGNER_AGAIN && in->ops->sign_finish != NULL) {
		r = in->ops->sign_finish(in, &sig, &len);
		free(sig);
		sig = NULL;
	}
}

static void w_cancel(struct signer *s)
{
	struct signq_w *w = s->impl;
	struct signq_w **pp, *prev = NULL;

	if (w->state == W_RUNNING || w->state == W_ASKING) {
		drop_inner(w);
		release(w);
	} else if (w->state == W_WAITING) {
		for (pp = &w->q->head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
			if (*pp == w) {
				*pp = w->next;
				if (w->q->tail == w) {
					w->q->tail = prev;
				}
				break;
			}
		}
		w->next = NULL;
		w->state = W_IDLE;
		drop_copy(w);
		close_pipe(w);
	} else if (w->state == W_DONE) {
		if (w->rc == SIGNER_NEED_SECRET) {
			drop_inner(w);
			w->q->owner = NULL;
		}
		free(w->sig);
		w->sig = NULL;
		w->state = W_IDLE;
		close_pipe(w);
		kick(w->q);
	}
}

static void w_free(struct signer *s)
{
	struct signq_w *w, **pp;
	struct signq *q;

	if (s == NULL) {
		return;
	}
	w = s->impl;
	q = w->q;
	if (w->state == W_RUNNING || w->state == W_ASKING ||
	    (w->state == W_DONE && w->rc == SIGNER_NEED_SECRET)) {
		/* its signature (or question) is dropped; the next one in the queue gets the signer
		 */
		drop_inner(w);
		q->owner = NULL;
	} else if (w->state == W_WAITING) {
		struct signq_w *prev = NULL;
		for (pp = &q->head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
			if (*pp == w) {
				*pp = w->next;
				if (q->tail == w) {
					q->tail = prev;
				}
				break;
			}
		}
	}
	kick(q);
	drop_copy(w);
	free(w->sig);
	close_pipe(w);
	queue_put(q);
	free(w);
	free(s->name);
	free(s);
}

static const struct signer_ops signq_ops = {
    .pubkey = w_pubkey,
    .chain = w_chain,
    .sign = w_sign,
    .sign_finish = w_finish,
    .poll_fd = w_poll_fd,
    .error = w_error,
    .secret_prompt = w_secret_prompt,
    .secret_answer = w_secret_answer,
    .sign_cancel = w_cancel,
    .free = w_free,
};

struct signer *signq_wrap(struct signer *inner)
{
	struct signer *s = NULL;
	struct signq_w *w = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL || (w = calloc(1, sizeof(*w))) == NULL ||
	    (inner->name != NULL && (s->name = strdup(inner->name)) == NULL) ||
	    (w->q = queue_get(inner)) == NULL) {
		if (s != NULL) {
			free(s->name);
		}
		free(s);
		free(w);
		return NULL;
	}
	w->pfd[0] = w->pfd[1] = -1;
	s->ops = &signq_ops;
	s->impl = w;
	return s;
}

struct signer *signq_inner(struct signer *s)
{
	if (s != NULL && s->ops == &signq_ops) {
		return ((struct signq_w *)s->impl)->q->inner;
	}
	return s;
}
