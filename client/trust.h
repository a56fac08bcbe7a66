/*
 * Trust decisions for plain host keys (SSH_EV_HOSTKEY): known_hosts lookup, then
 * StrictHostKeyChecking (ask on the terminal, accept-new, no, yes / BatchMode). X.509 host-key
 * algorithms (x509v3-*) go to trust_x509.c instead and never touch known_hosts.
 */
#ifndef X509SSH_TRUST_H
#define X509SSH_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "ssh/conn.h"

/*
 * Decide whether to trust the host key hk (SSH_EV_HOSTKEY's view: parsed once by the engine)
 * offered by the host of o (addr: the peer's numeric address for messages, may be NULL).
 * Returns 0 with *trusted 1 or 0; when 0, err holds the one-line "category: cause" reason (e.g.
 * "hostkey: host key for ... has changed ..."), or err is "" and *ask is set: the user is to be
 * asked (StrictHostKeyChecking ask), then trust_question_answer decides. A negative return is a
 * local failure (err set as well).
 */
struct trust_question;
int trust_hostkey_view(const struct options *o, const char *addr, const struct ssh_hostkey_view *hk,
    int *trusted, char *err, size_t errlen, struct trust_question **ask);
/* The question (for prompt_confirm or prompt_start) and the fingerprint that counts as yes. */
const char *trust_question_text(const struct trust_question *q);
const char *trust_question_fingerprint(const struct trust_question *q);
/*
 * The user's answer (r: the prompt's result, yes: its answer) as trust_hostkey_view's result: a
 * yes records the key in the first user known_hosts file and trusts it.
 */
int trust_question_answer(const struct options *o, const struct trust_question *q, int r, int yes,
    int *trusted, char *err, size_t errlen);
void trust_question_free(struct trust_question *q);

/* The known_hosts name for o: HostKeyAlias if set, else "host" / "[host]:port". */
int trust_khname(const struct options *o, char *out, size_t outlen);

/* The known_hosts files of o, expanded: user files first, then global ones. *out is a
 * NULL-terminated malloc'd array of malloc'd strings (free with trust_files_free). */
int trust_files(const struct options *o, char ***out, size_t *n);
void trust_files_free(char **files);

#endif
