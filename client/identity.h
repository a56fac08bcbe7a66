/*
 * The identities to offer for one destination: the IdentityFile entries (paths with ~ and %
 * tokens expanded), or when none is configured the defaults that exist (~/.ssh/id_ed25519,
 * id_ecdsa, id_rsa). Keys are loaded lazily, one per identities_next() call, so a passphrase is
 * asked (up to 3 tries, never in BatchMode) only when the key's turn comes: by the caller, in
 * its poll loop (identities_question / identities_answer; with FILE.pub beside the key, by its
 * signer once the server accepts the public key: SIGNER_NEED_SECRET). Token keys come
 * first (PKCS11Provider / -I, then pkcs11: IdentityFile entries in order); with a token chosen,
 * the default key files are not offered.
 */
#ifndef X509SSH_IDENTITY_H
#define X509SSH_IDENTITY_H

#include <stddef.h>

#include "options.h"
#include "signer.h"

struct identities;

/*
 * Expand a leading "~" / "~/" and the tokens %d (home), %u (local user), %h (remote host name),
 * %r (remote user), %p (port), %l (local host name), %n (host as given), %% in `in`. o may be
 * NULL (then only ~, %d, %u, %l and %% are known). *out is malloc'd. SSH_ERR_FORMAT for an
 * unknown token. (path_expand.c)
 */
int path_expand(const char *in, const struct options *o, char **out);

/* Collect the candidate identities. Key files are read later, one at a time; token sources
 * (-I / PKCS11Provider / pkcs11: IdentityFile entries) are opened now, without logging in, so a
 * missing module, token or key fails before connecting: err then holds the one-line
 * "pkcs11: ..." message. */
int identities_new(const struct options *o, struct identities **out, char *err, size_t errlen);
/*
 * Load and return the next usable identity (borrowed: valid until identities_free), or NULL when
 * none is left or when a passphrase must be asked first (identities_question is then not NULL).
 * Missing explicit files are reported like OpenSSH ("no such identity: PATH: No such file or
 * directory") and skipped; so are keys that do not load.
 */
struct signer *identities_next(struct identities *ids);
/* The passphrase identities_next stopped for ("Enter passphrase for key 'PATH': "), or NULL;
 * *retry (may be NULL) is 1 when the last answer was wrong. */
const char *identities_question(const struct identities *ids, int *retry);
/* Its answer (NULL or empty: none; the caller wipes its copy): the key is decrypted (the next
 * identities_next returns it), asked again after a wrong passphrase (3 tries in all), or
 * skipped. Then call identities_next again. */
void identities_answer(struct identities *ids, const char *passphrase);
/*
 * AddKeysToAgent ask: a key file's key that just signed waits for the user's yes before it goes
 * to the agent. The question (NULL when none), asked by the caller's poll loop before it hands
 * the signature on; identities_add_answer adds the key on yes and forgets it either way.
 */
const char *identities_add_question(const struct identities *ids);
void identities_add_answer(struct identities *ids, int yes);
/* Tell the agent (if any) which server this connection is, once, after the first key exchange
 * and before it signs (session-bind@openssh.com; identity_bind.c). */
struct ssh_conn;
void identities_agent_bind(struct identities *ids, const struct ssh_conn *c);
/* session-bind@openssh.com with is_forwarding set, on a connection to the local agent made for
 * a forwarded agent channel of c (as OpenSSH's ssh binds it): 0, AGENT_ERR_REFUSED (an agent
 * without the extension), or an error (the connection is then out of step). Blocking, as the
 * agent's other exchanges. */
struct agent_conn;
int agent_bind_forwarded(struct agent_conn *ac, const struct ssh_conn *c);
/* NULL, or a note for the final authentication error, e.g. "encrypted key ~/.ssh/id_rsa skipped
 * in BatchMode", "no agent at /run/a.sock (SSH_AUTH_SOCK): Connection refused" ("; " between). */
const char *identities_note(const struct identities *ids);
void identities_free(struct identities *ids);

/* Fleet mode: from now on, each identity list hands out token keys through wrappers of its
 * own that queue the signatures of the connections sharing a token, one at a time (signq.h). */
void identities_queue_tokens(int on);

/* Fleet mode: on: key files are loaded and decrypted once for the run (identity_keep.c): the
 * first identities_unlock_kept that meets a key file loads it, asking the passphrase of an
 * encrypted one on the spot, and keeps the key; every identity list then uses it without
 * asking (one whose passphrase was not given is skipped). off: the kept keys are freed (the
 * default: none kept). */
void identities_keep_keys(int on);
void identities_unlock_kept(struct identities *ids);

/* UserFromCertificate: the CN (upn = 0) or the subjectAltName UPN (upn = 1) of the first
 * identity's certificate (a token key's, or the first certificate in a PKIX-SSH identity file),
 * malloc'd; SSH_ERR_NOT_FOUND when no certificate has one. */
int identities_cert_user(const struct identities *ids, int upn, char **out);

#endif
