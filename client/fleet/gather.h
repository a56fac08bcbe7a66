/* gather: the -b output (as `clush -b` / `dshbak -c`): hosts whose results are identical
 * (same stdout, same stderr, same status detail) printed once, headed by their names folded
 * into ranges (fold.h) and their count:
 *
 *     ---------------
 *     rtr[01-03,07] (4)
 *     ---------------
 *     <stdout>
 *     ---------------
 *     rtr09 (1): exit 3
 *     ---------------
 *     <stdout>
 *     --- stderr
 *     <stderr>
 *
 * The detail (": exit 3", ": auth: ...") is shown for every result but a clean exit 0; a block
 * whose output does not end in a newline gets one; blocks come in the order of their first
 * host. The bytes of the output are passed on as they are (the program decides what a
 * terminal may see).
 */
#ifndef X509SSH_FLEET_GATHER_H
#define X509SSH_FLEET_GATHER_H

#include <stddef.h>

#include "sbuf.h"

struct fleet_gather;

struct fleet_gather *fleet_gather_new(void);
void fleet_gather_free(struct fleet_gather *g);

/* one host's result; detail is NULL for exit 0, else e.g. "exit 3" or "auth: ..." (part of
 * what must be identical); the bytes are copied; 0 or -1 when out of memory */
int fleet_gather_add(struct fleet_gather *g, const char *host, const char *detail, const void *out,
    size_t outlen, const void *err, size_t errlen);

/* every block into sb; 0 or -1 when out of memory */
int fleet_gather_write(const struct fleet_gather *g, struct fleet_sb *sb);

#endif
