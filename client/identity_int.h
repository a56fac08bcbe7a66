/* Internals shared by the identity files: the identity list (identity.c), token sources
 * (identity_token.c) and certificates (identity_cert.c). Not for other rooms. */
#ifndef X509SSH_IDENTITY_INT_H
#define X509SSH_IDENTITY_INT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent.h"
#include "agent_sock.h"
#include "identity.h"

#define ID_MAX       (OPT_MAX_LIST + 3)
#define PATH_MAX_LEN 4096 /* bytes of an expanded path */

struct identity {
	struct identities *owner;
	char *path;            /* expanded; for a token: the pkcs11: URI or module path */
	int user_provided;     /* configured (IdentityFile / -i), not a default */
	struct signer *signer; /* loaded */
	struct signer **p11v;  /* a token source: every key it selected */
	size_t p11n, p11next;
	struct signer **p11q;    /* fleet mode: per connection, p11v's signers queued (signq.h) */
	unsigned char *p11agent; /* per p11v key: the agent holds it (offered through it) */
	int agent_served;        /* a key file the agent holds: offered through the agent */
};

/* At most this many agent keys that match no configured identity are offered (every refused
 * key counts against the server's MaxAuthTries, 6 in sshd, 3 on many routers). */
#define AGENT_EXTRA_MAX 5

/* the agent's side of the identity list (identity_agent.c) */
struct id_agent {
	struct agent_conn *conn; /* NULL: no agent */
	struct agent_keys keys;
	EVP_PKEY **pk;          /* per agent key: its public key, NULL when unusable */
	STACK_OF(X509) * *x509; /* per agent key: the chain of an x509v3-* blob, else NULL */
	unsigned char *used;    /* per agent key: offered as a configured identity */
	struct signer **front;  /* configured identities the agent holds, in their order */
	size_t nfront, front_next;
	struct signer **extra; /* per agent key: a signer made for it as an unconfigured key */
	size_t extra_next, extra_offered;
	int identities_only;
	struct agent_addkeys add; /* AddKeysToAgent */
	int bound;                /* session-bind@openssh.com went out (identity_bind.c) */
	/* AddKeysToAgent ask: the key waiting for the user's answer (identities_add_question) */
	struct identity *ask_id;
	EVP_PKEY *ask_key;
	char ask_q[PATH_MAX_LEN + 64];
};

struct identities {
	struct identity v[ID_MAX];
	size_t n, next;
	char **prefs; /* NULL-terminated PubkeyAcceptedAlgorithms names */
	int batch_mode;
	int send_root;                  /* X509SendRoot */
	char *cert_files[OPT_MAX_LIST]; /* X509CertificateFile, expanded */
	size_t n_cert_files;
	STACK_OF(X509) * cert_pool; /* their certificates, read at the first key file */
	int pool_read;
	char note[512];
	int note_skipped; /* the note names encrypted keys skipped in BatchMode */
	struct id_agent agent;
	/* an encrypted key without FILE.pub: its passphrase asked before it is offered */
	struct identity *asking; /* the key whose passphrase is to be asked, NULL = none */
	int ask_tries;           /* wrong passphrases so far */
	char question[PATH_MAX_LEN + 64];
	struct signer *ready; /* decrypted with the answer: identities_next returns it next */
};

/* identity_token.c: find the keys of a token source now (no login: that waits for the first
 * signature); a failure is the one-line "pkcs11: ..." (or "config: ...") message in err */
int identity_add_token(
    struct identities *ids, const char *spec, const struct options *o, char *err, size_t errlen);

/* identity_token.c: the wrappers that queue a shared token's signatures (fleet mode: set by
 * identities_queue_tokens), or 0 when not queued; freed by identity_token_unqueue */
int identity_token_queue(struct identity *id);
void identity_token_unqueue(struct identity *id);

/* identity_token.c: give back a token source's signers (freed with the last connection that
 * shares them) */
void identity_token_release(struct signer **v, size_t n);

/* identity_cert.c: the chain for a key file: the leaf is the first certificate in the file
 * itself (PKIX-SSH identity format; it must be the key's), else the X509CertificateFile
 * certificate with the key's public key; issuers come from the rest of the file and the
 * X509CertificateFile pool. *out stays NULL for a key without certificate; an error means the
 * key is not to be used (the reason is logged). */
int identity_key_chain(
    struct identities *ids, const char *path, EVP_PKEY *pk, STACK_OF(X509) * *out);

/* identity_keep.c: fleet mode's key kept for path: 1 with *pk (a reference of the caller's),
 * 2 when the key is not to be used (its passphrase was not given), 0 when none is kept */
int identity_kept_key(const char *path, EVP_PKEY **pk);

/* identity.c: append a part to the note for the final authentication error ("; " between) */
void identity_note(struct identities *ids, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* identity.c: the public key in an OpenSSH public key file ("type base64 [comment]"), or NULL */
EVP_PKEY *identity_read_pub(const char *pubpath);

/* identity_agent.c: connect to the agent (IdentityAgent / SSH_AUTH_SOCK) and match its keys
 * with the identities collected so far; a missing agent is no error (a -v line says why) */
int identity_agent_setup(struct identities *ids, const struct options *o);
/* identity_agent.c: the next configured identity the agent holds, or NULL */
struct signer *identity_agent_next_front(struct identities *ids);
/* identity_agent.c: the next agent key that matches no configured identity (none with
 * IdentitiesOnly, at most AGENT_EXTRA_MAX), or NULL */
struct signer *identity_agent_next_extra(struct identities *ids);
void identity_agent_free(struct identities *ids);
/* identity_agent.c: AddKeysToAgent: give the agent the key file id's private key priv once it
 * made its first signature for a login, encrypted file or not, as OpenSSH (with "ask": kept for
 * identities_add_question, never asked in BatchMode); a failure is a -v line, never an error of
 * the connection */
void identity_agent_add(struct identities *ids, struct identity *id, const EVP_PKEY *priv);

#endif
