/*
 * The ssh-agent protocol, client side (draft-ietf-sshm-ssh-agent, OpenSSH PROTOCOL.agent): pure
 * encode/decode of the messages x509ssh sends and reads, no I/O. A message on the socket is
 * uint32 length + that many bytes (the first one the type); the length is capped at
 * AGENT_MSG_MAX and an identities answer at AGENT_KEYS_MAX keys.
 */
#ifndef X509SSH_AGENT_H
#define X509SSH_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ssh/buf.h"

#define AGENT_MSG_MAX  (256u * 1024) /* bytes of one message after its length */
#define AGENT_KEYS_MAX 1024u         /* keys of one identities answer */

enum agent_msg {
	AGENT_FAILURE = 5,
	AGENT_SUCCESS = 6,
	AGENTC_REQUEST_IDENTITIES = 11,
	AGENT_IDENTITIES_ANSWER = 12,
	AGENTC_SIGN_REQUEST = 13,
	AGENT_SIGN_RESPONSE = 14,
	AGENTC_ADD_IDENTITY = 17,
	AGENTC_ADD_ID_CONSTRAINED = 25,
};

/* SIGN_REQUEST flags for RSA keys: which hash the signature takes (none: SHA-1, "ssh-rsa") */
#define AGENT_RSA_SHA2_256 0x02u
#define AGENT_RSA_SHA2_512 0x04u

/* the agent answered SSH_AGENT_FAILURE (it refused, or does not have the key) */
#define AGENT_ERR_REFUSED (-100)

struct agent_key {
	uint8_t *blob; /* the key blob as the agent sent it */
	size_t bloblen;
	char *comment; /* NUL-terminated (the agent's bytes up to the first NUL) */
};

struct agent_keys {
	struct agent_key *v;
	size_t n;
};

/* Append a framed REQUEST_IDENTITIES / SIGN_REQUEST (length included) to out. */
int agent_enc_request_identities(struct buf *out);
int agent_enc_sign_request(struct buf *out, const uint8_t *blob, size_t bloblen,
    const uint8_t *data, size_t dlen, uint32_t flags);

/*
 * How many bytes of in (what has been read so far) make the first whole message: 0 while it is
 * incomplete (*msglen then 0), else 4 + its length, with *msg and *msglen its body (type first).
 * SSH_ERR_TOO_LARGE beyond AGENT_MSG_MAX, SSH_ERR_FORMAT for an empty message.
 */
int agent_frame(const uint8_t *in, size_t inlen, const uint8_t **msg, size_t *msglen);

/* Decode an IDENTITIES_ANSWER body (type byte first). AGENT_ERR_REFUSED for FAILURE,
 * SSH_ERR_PROTOCOL for another type, SSH_ERR_TOO_LARGE beyond AGENT_KEYS_MAX. */
int agent_dec_identities(const uint8_t *msg, size_t len, struct agent_keys *out);
void agent_keys_clear(struct agent_keys *k);

/*
 * Decode a SIGN_RESPONSE body: *sig and *siglen borrow the signature blob (string name, string
 * signature) from msg. AGENT_ERR_REFUSED for FAILURE, SSH_ERR_PROTOCOL for another type.
 */
int agent_dec_sign_response(const uint8_t *msg, size_t len, const uint8_t **sig, size_t *siglen);

/*
 * Unwrap a signature blob into the raw primitive of signer.h: its name must be want
 * (SSH_ERR_SIGNATURE otherwise). For an "ecdsa-sha2-*" name the (mpint r, mpint s) inside is
 * turned into r || s, each half of field bytes (the curve's size); RSA and Ed25519 signatures
 * are returned as they are (Ed25519: exactly 64 bytes). *raw is malloc'd.
 */
int agent_unwrap_sig(
    const uint8_t *blob, size_t len, const char *want, size_t field, uint8_t **raw, size_t *rawlen);

/*
 * Append a framed ADD_IDENTITY of priv (Ed25519, ECDSA P-256/384/521, RSA) with comment, or
 * ADD_ID_CONSTRAINED when lifetime (seconds, 0: none) or confirm is set (agent_addkey.c).
 * SSH_ERR_KEY_TYPE for another key. The private key's bytes are wiped from scratch memory; out
 * holds them: the caller wipes it too.
 */
int agent_enc_add_identity(
    struct buf *out, const EVP_PKEY *priv, const char *comment, uint32_t lifetime, int confirm);
/* A SUCCESS / FAILURE body: 0, AGENT_ERR_REFUSED, or SSH_ERR_PROTOCOL for another answer. */
int agent_dec_status(const uint8_t *msg, size_t len);

/* A phrase for an agent_* error (AGENT_ERR_REFUSED or an ssh_err). */
const char *agent_strerror(int r);

#endif
