/*
 * The signer interface over a key held by an ssh-agent: the agent signs, x509ssh never sees the
 * private key (nor asks a passphrase or PIN for it). sign() sends the SIGN_REQUEST on the
 * agent's socket and returns SIGNER_AGAIN (poll_fd is the socket); sign_finish() reads the
 * answer, checks the signature's name and returns the raw primitive (signer.h). With a
 * certificate chain (X509CertificateFile, a key file's or a token's certificate) the engine
 * offers the key for the RFC 6187 algorithms; the agent is asked for the hash they need. A key
 * whose agent blob is itself an x509v3-* blob (PKIX-SSH's agent) is asked with the x509v3 blob
 * of the algorithm (the hash follows from its name there) and its chain is set by the caller.
 */
#ifndef X509SSH_SIGNER_AGENT_H
#define X509SSH_SIGNER_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent.h"
#include "signer.h"

struct agent_conn; /* one socket to the agent, shared by its signers */

/* Connect to the agent at path (a Unix socket). 0, or SSH_ERR_SYSTEM with errno set. */
int agent_conn_open(const char *path, struct agent_conn **out);
/*
 * A non-blocking stream socket connected to the unix socket path: the descriptor, or -1 with
 * errno. wait: the connect itself blocks (a full backlog waits); else it may still be under way
 * (*pending 1: POLLOUT says when, SO_ERROR how).
 */
int agent_sock_connect(const char *path, int wait, int *pending);
/* The agent's keys (blocking: REQUEST_IDENTITIES and its answer). */
int agent_conn_list(struct agent_conn *c, struct agent_keys *out);
/* Send one framed request and read its SUCCESS / FAILURE (blocking, as agent_conn_list): 0,
 * AGENT_ERR_REFUSED, or an error. Never while a signature of c is pending. */
int agent_conn_call(struct agent_conn *c, const struct buf *req);
/* The socket (non-blocking), for the caller to keep, and c dropped (the caller's only
 * reference); -1 when an exchange left it out of step (it is closed then). */
int agent_conn_take_fd(struct agent_conn *c);
/* Drop the caller's reference (the signers made from c keep theirs). */
void agent_conn_unref(struct agent_conn *c);

/* A signer for the agent key blob (copied); pk is its public key (owned, freed on failure
 * too); name is for messages. SSH_ERR_KEY_TYPE for a key no SSH algorithm of ours can use. */
int signer_agent_new(struct agent_conn *c, const uint8_t *blob, size_t bloblen, EVP_PKEY *pk,
    const char *name, struct signer **out);
/* Give s a certificate chain (leaf first), from a stack (owned, freed even on failure) or from
 * another signer's DER chain (copied). The leaf must be s's key (SSH_ERR_KEY_TYPE). */
int signer_agent_set_chain(struct signer *s, STACK_OF(X509) * chain);
int signer_agent_copy_chain(struct signer *s, struct signer *from);
/* 1 when s is an agent signer */
int signer_is_agent(const struct signer *s);

#endif
