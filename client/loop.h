/*
 * The poll loop around the engine: resolve and connect (AddressFamily, ConnectionAttempts,
 * ConnectTimeout) without blocking it, then shuttle bytes between the socket, the engine and
 * stdin/stdout/stderr, answering the engine's events (host-key trust, authentication, signing,
 * channel data, exit).
 */
#ifndef X509SSH_LOOP_H
#define X509SSH_LOOP_H

#include <sys/types.h>

#include "identity.h"
#include "options.h"
#include "ssh/conn.h"

/* One connection of a run: its options, engine configuration and identities. */
struct loop_target {
	const struct options *o;
	const struct ssh_conn_config *cfg;
	struct identities *ids;
};

/*
 * Run the connections t[0..n) to the end of the last (the destination); t[0..n-1) are jump hosts
 * (ProxyJump), each reached through a direct-tcpip channel of the one before. Prints every failure
 * as one "x509ssh: category: cause" line (a jump host's naming it). Returns the process exit
 * status: the remote exit status, or 255.
 */
int loop_run(const struct loop_target *t, size_t n);

/*
 * At the very start of main: no core file (RLIMIT_CORE 0) and not dumpable (PR_SET_DUMPABLE 0:
 * no ptrace, no /proc/PID/mem or environ for other processes of the same user) while the process
 * may hold PINs, passwords and private keys. Returns 0, or -1 with errno set.
 */
int loop_no_dumps(void);

#endif
