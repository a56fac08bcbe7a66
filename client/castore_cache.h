/*
 * The CA stores of one run, kept by their configuration. The connections of a run (ProxyJump
 * hops, fleet mode) each name their own store through their Host block; equal configurations
 * share one store, loaded once, and different ones get one each. Host names, purposes and the
 * time are not part of a store: they are given to each certstore_verify call.
 */
#ifndef X509SSH_CASTORE_CACHE_H
#define X509SSH_CASTORE_CACHE_H

#include <stddef.h>

#include "certstore.h"

/* stores kept at most; past that, the one used least recently is freed */
#define CASTORE_CACHE_MAX 16

/*
 * The store of cfg (paths already expanded): the one loaded earlier for an equal configuration
 * (every path in every slot and every flag and number equal), else a new one, loaded now and
 * kept. A store that fails to load is not kept: the next call tries again.
 * 0 with *out set, or a negative enum certstore_err with a one-line cause in err.
 * *out belongs to the cache: it stays valid until the next castore_get or castore_clear.
 */
int castore_get(
    const struct certstore_config *cfg, struct certstore **out, char *err, size_t errlen);

/* Free every store kept. */
void castore_clear(void);

#endif
