/*
 * The signer interface: something that holds a private key and can sign userauth requests.
 * File keys (client/signer_file.c) and token keys (pkcs11/) implement it; the engine never knows
 * which one it talks to. Signing may be slow (a smartcard takes ~0.5 s): sign() may return
 * SSH_ERR_AGAIN and later be completed through sign_finish() when poll_fd() becomes readable.
 */
#ifndef X509SSH_SIGNER_H
#define X509SSH_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "ssh/buf.h"

struct signer;

struct signer_ops {
	/* Append the public-key blob to send for key algorithm `alg` (e.g. "ssh-ed25519",
	 * "rsa-sha2-256" gives an "ssh-rsa" blob; "x509v3-ssh-rsa" gives an RFC 6187 blob). */
	int (*public_blob)(struct signer *s, const char *alg, struct buf *out);
	/* Sign data for algorithm `alg`; append the SSH signature blob (string name, string sig) to
	 * out, or return SSH_ERR_AGAIN and finish later with sign_finish. */
	int (*sign)(
	    struct signer *s, const char *alg, const uint8_t *data, size_t len, struct buf *out);
	int (*sign_finish)(
	    struct signer *s, struct buf *out); /* may be NULL for synchronous signers */
	int (*poll_fd)(struct signer *s);       /* may be NULL */
	void (*free)(struct signer *s);
};

struct signer {
	const struct signer_ops *ops;
	char *name;        /* for messages: the file path or the pkcs11: URI */
	const char **algs; /* NULL-terminated key algorithms this key can do, in our preference */
	void *impl;
};

static inline void signer_free(struct signer *s)
{
	if (s != NULL && s->ops != NULL && s->ops->free != NULL) {
		s->ops->free(s);
	}
}

#endif
