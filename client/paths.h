/* Paths: the home directory, the local user name and ~ / %-token expansion. */
#ifndef X509SSH_PATHS_H
#define X509SSH_PATHS_H

#include "options.h"

#define PATH_MAX_LEN 4096 /* bytes of an expanded path */

/* The home directory: $HOME if set and not empty, else the password database's. */
const char *path_home(void);

/* The local user name: the password database's, else $USER, else "". */
const char *path_local_user(void);

/*
 * Expand a leading "~" / "~/" and the tokens %d (home), %u (local user), %h (remote host name),
 * %r (remote user), %p (port), %l (local host name), %n (host as given), %% in `in`. o may be
 * NULL (then only ~, %d, %u, %l and %% are known). *out is malloc'd. SSH_ERR_FORMAT for an
 * unknown token.
 */
int path_expand(const char *in, const struct options *o, char **out);

#endif
