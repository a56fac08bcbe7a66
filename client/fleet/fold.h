/* fold: host names compressed back into pdsh/ClusterShell ranges, as `clush -b` and
 * `dshbak -c` head a block: rtr01 rtr02 rtr03 rtr07 -> "rtr[01-03,07]".
 *
 * Each name is folded on one of its digit runs (of at most FLEET_BOUND_DIGITS digits): the
 * run that the most other names share the rest of the name with (the rightmost on a tie), so
 * rtr01.dc1 ... rtr40.dc1 fold on 01..40, not on the "1" of dc1. A run with a leading zero
 * keeps its width (rtr[01-03]); a run without one joins a padded group of its own width
 * (rtr09 and rtr10 give rtr[09-10]). A name alone in its group, and a name without digits,
 * stays as written. Items are joined with ',' in the order of their first name; repeated
 * names are shown once. The result expands (hostlist.h) to the same set of names.
 */
#ifndef X509SSH_FLEET_FOLD_H
#define X509SSH_FLEET_FOLD_H

#include <stddef.h>

#include "sbuf.h"

/* append the folded form of names[0..n) to sb; 0, or -1 when out of memory */
int fleet_fold(struct fleet_sb *sb, const char *const *names, size_t n);

#endif
