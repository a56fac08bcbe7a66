/* The signer interface over a private key loaded from a file (synchronous). */
#ifndef X509SSH_SIGNER_FILE_H
#define X509SSH_SIGNER_FILE_H

#include <openssl/evp.h>

#include "signer.h"

/* Takes ownership of pkey. s->algs lists the plain algorithms the key can do, in the order of
 * the given preference list (NULL-terminated names; NULL = the table's default order). */
int signer_file_new(EVP_PKEY *pkey, const char *path, const char *const *prefs, struct signer **out);

#endif
