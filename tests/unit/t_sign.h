/*
 * Signing through a signer the way the engine does, for the unit tests of the signers (file,
 * token): sshsig_request for the algorithm's row, the signer's raw output (waiting on its
 * poll_fd when it answers SIGNER_AGAIN, answering its questions with t_sign_secret when it
 * answers SIGNER_NEED_SECRET), then sshsig_from_raw into the SSH signature blob.
 * Header-only (static inline); include it after t.h, whose CHECK it uses.
 *
 *   struct buf sig; buf_init(&sig);
 *   CHECK_EQ_INT(t_sign_ssh(s, "rsa-sha2-256", data, len, &sig), 0);
 */
#ifndef X509SSH_T_SIGN_H
#define X509SSH_T_SIGN_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "signer.h"
#include "ssh/buf.h"
#include "ssh/sshkey.h"
#include "ssh/sshsig.h"

/* how long t_sign_ssh waits for an asynchronous signer (a token worker) */
#define T_SIGN_WAIT_MS 20000

/* how t_sign_ssh answers a signer's SIGNER_NEED_SECRET (the question and its SIGNER_SECRET_*
 * flags): the secret, or NULL for none; unset: no answer (NULL) */
static const char *(*t_sign_secret)(struct signer *s, const char *prompt, int flags)
    __attribute__((unused));

/* the raw output of a signer has the size of its primitive (signer.h) */
static inline int t_raw_size_ok(struct signer *s, const struct signer_req *req, size_t len)
{
	size_t n = ((size_t)EVP_PKEY_get_bits(s->ops->pubkey(s)) + 7) / 8;

	switch (req->prim) {
	case SIGNER_RSA_PKCS1:
		return len == n; /* OpenSSL, SoftHSM and the mock give the full modulus length */
	case SIGNER_ECDSA:
		return len == 2 * n;
	case SIGNER_ED25519:
		return len == 64;
	}
	return 0;
}

/*
 * The SSH signature blob of signer s over d[0..n) for the algorithm named alg, appended to out.
 * 0, or the failing step's code (sshsig_request's SSH_ERR_*, the signer's SIGNER_ERR_*,
 * sshsig_from_raw's SSH_ERR_*). CHECKs that a failed signer returns no output and that a
 * successful one returns the raw size of its primitive.
 */
static inline int t_sign_ssh(
    struct signer *s, const char *alg, const uint8_t *d, size_t n, struct buf *out)
{
	const struct hostkey_alg *row = hostkey_alg_by_name(alg);
	struct signer_req req;
	struct pollfd pfd;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int r;

	if ((r = sshsig_request(row, d, n, &req)) != 0) {
		return r;
	}
	r = s->ops->sign(s, &req, &raw, &rawlen);
	for (;;) {
		if (r == SIGNER_NEED_SECRET) {
			int flags = 0;
			const char *q = s->ops->secret_prompt(s, &flags);

			CHECK(q != NULL);
			r = s->ops->secret_answer(s,
			    q != NULL && t_sign_secret != NULL ? t_sign_secret(s, q, flags) : NULL,
			    &raw, &rawlen);
			continue;
		}
		if (r != SIGNER_AGAIN) {
			break;
		}
		pfd.fd = s->ops->poll_fd(s);
		pfd.events = POLLIN;
		if (pfd.fd < 0 || poll(&pfd, 1, T_SIGN_WAIT_MS) != 1) {
			return SIGNER_ERR_INTERNAL;
		}
		r = s->ops->sign_finish(s, &raw, &rawlen);
	}
	if (r != SIGNER_OK) {
		CHECK(raw == NULL);
		return r;
	}
	CHECK(t_raw_size_ok(s, &req, rawlen));
	r = sshsig_from_raw(row, s->ops->pubkey(s), raw, rawlen, out);
	free(raw);
	return r;
}

/*
 * sshsig_sign for row a with the private key priv over d[0..n), into sig (emptied first), and
 * the checks every row passes (test_sshkey's plain rows, test_x509key's certificate rows): the
 * blob names the row's signature and the key verifies it.
 */
static inline void t_sshsig_sign_ok(
    const struct hostkey_alg *a, EVP_PKEY *priv, const uint8_t *d, size_t n, struct buf *sig)
{
	struct rd r;
	char *name = NULL;

	buf_reset(sig);
	CHECK_MSG(sshsig_sign(a, priv, d, n, sig) == 0, "%s: sign", a->name);
	r = buf_rd(sig);
	CHECK_MSG(rd_cstring(&r, &name) == 0, "%s: the signature blob's name", a->name);
	CHECK_MSG(name != NULL && strcmp(name, a->sig_name) == 0, "%s: signed as %s", a->name,
	    name != NULL ? name : "(none)");
	free(name);
	CHECK_MSG(
	    sshsig_verify(a, priv, buf_ptr(sig), buf_len(sig), d, n) == 0, "%s: verify", a->name);
}

#endif
