/*
 * The signer interface: something that holds a private key and signs with it. File keys
 * (client/signer_file.c) and token keys (pkcs11/) implement it; the engine (client/ssh/) uses it
 * without knowing which one it talks to. This header depends on libcrypto only: the engine and
 * pkcs11/ both include it, neither includes the other.
 *
 * A signer gives what only it knows:
 *   - its public key (an EVP_PKEY, borrowed),
 *   - its certificate chain as sent (DER, leaf first; none for a plain key),
 *   - raw signatures: the output of the primitive and nothing else.
 * The engine decides the SSH algorithm (from the key's type and size, and whether there is a
 * chain), writes the key blobs (plain or RFC 6187) and the signature blob (string name, string
 * sig). For one signature the engine gives the data to sign with the primitive and the hash;
 * the signer hashes where its primitive needs it and returns:
 *   SIGNER_RSA_PKCS1  PKCS#1 v1.5 over DigestInfo(digest(data)): the signature bytes (at most
 *                     the modulus length; the engine left-pads to it)
 *   SIGNER_ECDSA      ECDSA over digest(data): r || s, two halves of the same length, at
 *                     most the curve's field size (PKCS#11 returns exactly that size)
 *   SIGNER_ED25519    Ed25519 over the data itself (digest is NULL): 64 bytes
 * A backend that only returns finished SSH signatures (an ssh-agent) unwraps them and checks
 * their name before returning the raw part.
 *
 * Signing may be slow (a smartcard takes ~0.5 s): sign() may return SIGNER_AGAIN; wait until
 * poll_fd() is readable (or just call sign_finish(), which blocks while a worker signs) and
 * collect the signature with sign_finish().
 *
 * A signer may need a secret first (a key file's passphrase, a token's PIN). It never asks for
 * it itself: sign() (or sign_finish(), or secret_answer()) returns SIGNER_NEED_SECRET, the
 * caller asks the user secret_prompt()'s question however it likes (a prompt in its poll loop)
 * and hands the answer to secret_answer(), which goes on with the pending signature exactly as
 * sign() would: SIGNER_OK with the signature, SIGNER_AGAIN (a worker started, or a wait for
 * another signer's question about the same token: poll poll_fd(), then sign_finish()),
 * SIGNER_NEED_SECRET again (a wrong passphrase, while tries are left), or a failure. Each
 * SIGNER_NEED_SECRET is ended by exactly one secret_answer() call; secret_answer(s, NULL) gives
 * the question up (no answer, cancelled, the connection ended). The signer copies what it needs
 * from the request in sign(), so req->data need not outlive it; it copies the secret too (a PIN
 * into the token's locked page): the caller wipes its own copy at once. So the results of
 * sign(), sign_finish() and secret_answer() are each one of:
 *   SIGNER_OK           *sig holds the raw signature
 *   SIGNER_AGAIN        wait for poll_fd(), then sign_finish()
 *   SIGNER_NEED_SECRET  ask secret_prompt(), then secret_answer()
 *   SIGNER_ERR_*        the signature failed (error() says why); SIGNER_ERR_DECLINED: go on
 *                       with the next identity (an agent refused, a key file's passphrase was
 *                       not given or wrong every time)
 */
#ifndef X509SSH_SIGNER_H
#define X509SSH_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Results of the signer operations: 0, SIGNER_AGAIN, or a failure kind. */
enum signer_result {
	SIGNER_OK = 0,
	SIGNER_AGAIN = -1,           /* asynchronous: poll poll_fd(), then sign_finish() */
	SIGNER_ERR_INTERNAL = -2,    /* a bug or impossible state (e.g. a second concurrent sign) */
	SIGNER_ERR_ALLOC = -3,       /* out of memory */
	SIGNER_ERR_UNSUPPORTED = -4, /* this key cannot make this primitive or hash */
	SIGNER_ERR_PASSPHRASE = -5,  /* the passphrase or PIN was wrong or missing */
	SIGNER_ERR_KEY_MISMATCH = -6, /* the private key found is not the public key offered */
	SIGNER_ERR_DEVICE = -7,       /* the backend (token, agent) failed: error() says how */
	SIGNER_ERR_SYSTEM = -8,       /* an operating-system call failed */
	SIGNER_ERR_LIBCRYPTO = -9,    /* an OpenSSL call failed */
	SIGNER_ERR_BAD_OUTPUT = -10,  /* the backend's signature has the wrong size or form */
	SIGNER_ERR_DECLINED = -11,    /* the backend will not sign with this key (an agent
	                                 refused: no such key, a declined confirmation; a key
	                                 file's passphrase not given): the engine goes on with
	                                 the next identity */
	SIGNER_NEED_SECRET = -12,     /* not a failure: ask secret_prompt(), answer with
	                                 secret_answer() */
};

/* secret_prompt()'s flags */
#define SIGNER_SECRET_RETRY 1 /* the last answer was wrong: the same question again */
#define SIGNER_SECRET_PIN   2 /* a token's PIN (else a key file's passphrase) */

/* The signature primitive of a request (the engine's algorithm row says which). */
enum signer_prim {
	SIGNER_RSA_PKCS1 = 1,
	SIGNER_ECDSA = 2,
	SIGNER_ED25519 = 3,
};

struct signer_req {
	enum signer_prim prim;
	const char *digest;  /* OpenSSL digest name "SHA1", "SHA256", "SHA384", "SHA512"; NULL
	                        for Ed25519 */
	const uint8_t *data; /* the data to sign (hashed by the signer when digest is set) */
	size_t len;
};

struct signer;

struct signer_ops {
	/* The public key (borrowed, valid while the signer lives). Never NULL. */
	EVP_PKEY *(*pubkey)(struct signer *s);
	/* The certificate chain as sent: *n certificates, leaf first, as DER in der[i] of len[i]
	 * bytes (borrowed). *n = 0 for a plain key. May be NULL: no chain. */
	void (*chain)(struct signer *s, const uint8_t *const **der, const size_t **len, size_t *n);
	/* Sign req; on SIGNER_OK *sig (malloc'd, *siglen bytes) is the raw primitive output.
	 * May return SIGNER_AGAIN (then sign_finish gives the result). req->data is not used after
	 * sign() returns. */
	int (*sign)(struct signer *s, const struct signer_req *req, uint8_t **sig, size_t *siglen);
	/* Collect an asynchronous signature (blocks until it is done). May be NULL for
	 * synchronous signers. */
	int (*sign_finish)(struct signer *s, uint8_t **sig, size_t *siglen);
	/* The descriptor that becomes readable when sign_finish will not block, or -1. May be
	 * NULL. */
	int (*poll_fd)(struct signer *s);
	/* The question for the secret a SIGNER_NEED_SECRET result is waiting for ("Enter PIN for
	 * token 'x': ", "Enter passphrase for key 'path': "), borrowed until secret_answer();
	 * *flags gets SIGNER_SECRET_* bits. May be NULL for a signer that needs no secret. */
	const char *(*secret_prompt)(struct signer *s, int *flags);
	/* The answer to that question (NUL-terminated, copied: the caller wipes its own), or NULL
	 * when there is none (cancelled, nobody to ask, given up): the pending signature goes on
	 * or ends, with a result as sign()'s. */
	int (*secret_answer)(struct signer *s, const char *secret, uint8_t **sig, size_t *siglen);
	/* Give up a pending SIGNER_AGAIN (the caller stopped waiting): a wait for another
	 * signer's question is left; a token login with a PIN that other signers wait for is
	 * collected (a short wait); any other worker under way finishes on its own. May be NULL. */
	void (*sign_cancel)(struct signer *s);
	/* The last failure of sign()/sign_finish() as one line without a category ("token t:
	 * C_Login: CKR_PIN_INCORRECT"), or "" when signer_strerror() says it all. May be NULL. */
	const char *(*error)(struct signer *s);
	void (*free)(struct signer *s);
};

struct signer {
	const struct signer_ops *ops;
	char *name; /* for messages: the file path or the pkcs11: URI */
	void *impl;
};

static inline void signer_free(struct signer *s)
{
	if (s != NULL && s->ops != NULL && s->ops->free != NULL) {
		s->ops->free(s);
	}
}

/* The chain of s (an empty one when it has none). */
static inline size_t signer_chain(struct signer *s, const uint8_t *const **der, const size_t **len)
{
	size_t n = 0;

	*der = NULL;
	*len = NULL;
	if (s->ops->chain != NULL) {
		s->ops->chain(s, der, len, &n);
	}
	return n;
}

/* The last failure message of s, or "". */
static inline const char *signer_error(struct signer *s)
{
	const char *e = s != NULL && s->ops->error != NULL ? s->ops->error(s) : NULL;

	return e != NULL ? e : "";
}

/*
 * A chain as the chain() operation hands it out, for implementations: der[i] (OpenSSL-allocated)
 * of len[i] bytes, n certificates. signer_der_chain_set fills it from a stack (leaf first); on
 * failure it is left empty. signer_der_chain_clear frees it.
 */
struct signer_der_chain {
	uint8_t **der;
	size_t *len;
	size_t n;
};

static inline void signer_der_chain_clear(struct signer_der_chain *c)
{
	size_t i;

	for (i = 0; c->der != NULL && i < c->n; i++) {
		OPENSSL_free(c->der[i]);
	}
	free(c->der);
	free(c->len);
	c->der = NULL;
	c->len = NULL;
	c->n = 0;
}

static inline int signer_der_chain_set(struct signer_der_chain *c, STACK_OF(X509) * chain)
{
	int i, l, n = chain != NULL ? sk_X509_num(chain) : 0;

	signer_der_chain_clear(c);
	if (n <= 0) {
		return SIGNER_OK;
	}
	if ((c->der = calloc((size_t)n, sizeof(*c->der))) == NULL ||
	    (c->len = calloc((size_t)n, sizeof(*c->len))) == NULL) {
		signer_der_chain_clear(c);
		return SIGNER_ERR_ALLOC;
	}
	for (i = 0; i < n; i++) {
		if ((l = i2d_X509(sk_X509_value(chain, i), &c->der[i])) <= 0) {
			c->der[i] = NULL;
			signer_der_chain_clear(c);
			return SIGNER_ERR_LIBCRYPTO;
		}
		c->len[i] = (size_t)l;
		c->n = (size_t)i + 1;
	}
	return SIGNER_OK;
}

/* A short English phrase for a signer result. */
static inline const char *signer_strerror(int r)
{
	static const struct {
		int r;
		const char *s;
	} rows[] = {
	    {SIGNER_OK, "success"},
	    {SIGNER_AGAIN, "operation pending"},
	    {SIGNER_ERR_INTERNAL, "internal error"},
	    {SIGNER_ERR_ALLOC, "out of memory"},
	    {SIGNER_ERR_UNSUPPORTED, "key type does not match algorithm"},
	    {SIGNER_ERR_PASSPHRASE, "incorrect passphrase"},
	    {SIGNER_ERR_KEY_MISMATCH, "key type does not match algorithm"},
	    {SIGNER_ERR_DEVICE, "the signing device failed"},
	    {SIGNER_ERR_SYSTEM, "system error"},
	    {SIGNER_ERR_LIBCRYPTO, "libcrypto error"},
	    {SIGNER_ERR_BAD_OUTPUT, "signature verification failed"},
	    {SIGNER_ERR_DECLINED, "agent refused operation"},
	    {SIGNER_NEED_SECRET, "a passphrase or PIN is needed"},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].r == r) {
			return rows[i].s;
		}
	}
	return "unknown error";
}

#endif
