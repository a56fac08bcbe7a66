/*
 * x509ssh-fleet's program state, shared by its main (fleet_main.c) and its command line
 * (fleet_args.c). Not a library interface.
 */
#ifndef X509SSH_FLEET_MAIN_H
#define X509SSH_FLEET_MAIN_H

#include <stddef.h>
#include <stdint.h>

#include "fleet_host.h"
#include "gather.h"
#include "hostlist.h"
#include "identity.h"
#include "report.h"

#define FAIL             255
#define PARALLEL_DEFAULT 64
#define KEEP_DEFAULT     (1024u * 1024) /* bytes kept per stream without --max-output */
#define FLEET_IOBUF      (16u * 1024)   /* per-connection read size */
#define FDS_PER_HOST     4              /* socket, agent, --outdir and --errdir files */
#define FDS_SPARE        64
#define KEEP_IDS_MAX     16
#define HOSTS_FILE_MAX   (64u * 1024 * 1024)

struct fleet {
	struct fleet_hostlist hl;
	struct fleet_host_cfg hc;
	struct fleet_host_state **hs;
	int json, inline_out, gather, quiet, progress;
	const char *outdir, *errdir;
	size_t max_output; /* shown in JSON (SIZE_MAX: all that was kept) */
	struct fleet_summary sum;
	struct fleet_gather *g;
	size_t done;
	uint64_t t0_ms, last_progress;
	struct fleet_sb sb;
	/* one identity list per distinct token configuration, kept for the run: the token's
	 * login outlives the hosts that come and go */
	char *keep_key[KEEP_IDS_MAX];
	struct identities *keep_ids[KEEP_IDS_MAX];
};

struct fleet_args {
	size_t parallel;
	unsigned limit_s;
	double rate;
	const char *stdin_file;
	char **hostfiles;
	size_t nhostfiles;
};

/* "x509ssh-fleet: category: ..." on stderr */
void fleet_fail(const char *category, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fleet_usage(void);

/* fleet_args.c: the command line into f and a (the connection flags kept for every host's
 * x509ssh argv); 0, or -1 with the error printed (--help prints the usage and exits 0) */
int fleet_parse_args(struct fleet *f, struct fleet_args *a, int argc, char **argv);
/* the connection flags checked once as x509ssh would parse them; the -v/-q level in *level */
int fleet_check_flags(struct fleet *f, int *level);

#endif
