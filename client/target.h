/*
 * One connection of a run as x509ssh resolves it from its finished options: the engine's
 * configuration (host-key algorithms ordered by known_hosts, environment, pty), the identities,
 * and the jump hosts of ProxyJump. Shared by x509ssh (main.c) and x509ssh-fleet (each host).
 */
#ifndef X509SSH_TARGET_H
#define X509SSH_TARGET_H

#include <stddef.h>

#include "identity.h"
#include "options.h"
#include "ssh/conn.h"

#define TARGET_ENV_MAX 64

/* One connection of the run: its engine configuration and identities (and, for a jump host, its
 * own options). */
struct target {
	struct options own; /* a jump host's options (the destination's live with the caller) */
	const struct options *o;
	struct ssh_conn_config cfg;
	struct identities *ids;
	char *hk_algs, *cert_user;
	const char *env[TARGET_ENV_MAX + 1];
};

/* Whether o names a CA store, or a default one exists (options_finish's argument). */
int target_have_ca_store(const struct options *o);

/* The engine's configuration and the identities for one connection (o finished). -1 with the
 * one line "category: cause" in err. */
int target_prepare(
    struct target *t, struct options *o, const char *command, char *err, size_t errlen);
void target_free(struct target *t);

/* The jump hosts of ProxyJump / -J and of the jump hosts' own ProxyJump, first hop first, each
 * prepared (*nout of them, to be freed with target_jumps_free even on failure). Errors are
 * printed. */
int target_jumps(const struct options *o, const char *config, struct target **out, size_t *nout);
void target_jumps_free(struct target *hops, size_t n);

/* Run hops[0..nhops) then dest through the poll loop (loop_run): the process exit status. */
int target_run(const struct target *hops, size_t nhops, const struct target *dest);

#endif
