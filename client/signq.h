/*
 * signq: one signer shared by several connections of a run (a token key in fleet mode), its
 * signatures queued one at a time. A token does one operation at a time and its signer refuses
 * a second sign() while one runs; each connection gets a wrapper of its own whose sign() starts
 * at once when the signer is free, else waits its turn (SIGNER_AGAIN; poll_fd() is the signer's
 * while it runs, a pipe of its own while it waits or once a synchronous result is there).
 * The public key, chain and name are the wrapped signer's.
 */
#ifndef X509SSH_SIGNQ_H
#define X509SSH_SIGNQ_H

#include "signer.h"

/* A new wrapper around inner (borrowed: it must outlive the wrapper); NULL when out of
 * memory. Wrappers of the same inner share its queue. Freeing a wrapper whose signature runs
 * waits for it (and drops it); one that waits leaves the queue. */
struct signer *signq_wrap(struct signer *inner);

/* The signer a wrapper made by signq_wrap wraps, or s itself. */
struct signer *signq_inner(struct signer *s);

#endif
