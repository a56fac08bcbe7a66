/*
 * x509ssh-fleet's hosts: each host's options resolved exactly as x509ssh resolves them (the
 * fleet's connection flags, then the destination, through cmdline_parse, the config files and
 * options_finish), its connections prepared (target.h), its output captured, and what its
 * host key and certificate were.
 */
#ifndef X509SSH_FLEET_HOST_H
#define X509SSH_FLEET_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "options.h"
#include "sbuf.h"
#include "ssh/conn.h"

/* one captured stream: the first `cap` bytes kept, every byte counted */
struct fleet_capture {
	struct fleet_sb kept;
	uint64_t total;
	int fd; /* --outdir / --errdir file, -1 = none */
};

struct fleet_host_state {
	struct options o;
	char *command; /* the remote command as cmdline_parse joined it */
	char *config;  /* -F */
	void *dest;    /* struct target (target.h) */
	void *hops;    /* struct target[] */
	size_t nhops;
	struct loop_target *lt;
	int prepared;
	struct fleet_capture out, err;
	char *hk_alg, *hk_fp;
	char *x509_subject, *x509_issuer, *x509_not_after;
};

/* the fleet's settings every host shares */
struct fleet_host_cfg {
	char **xargv; /* "x509ssh", the connection flags as given */
	int xargc;
	char **cmd; /* the command's arguments */
	int ncmd;
	int shell;    /* --shell: a pty and the command lines on the shell's stdin */
	size_t cap;   /* bytes kept per stream */
	size_t iobuf; /* unused here */
};

/* Resolve and prepare a host (user/port may be NULL/0). 0, or -1 with "category: cause". */
int fleet_host_prepare(struct fleet_host_state *h, const struct fleet_host_cfg *cfg,
    const char *user, const char *host, int port, char *err, size_t errlen);
/* Keep output bytes (and write them to the host's file, if any). 0 or a negative error. */
int fleet_host_output(
    struct fleet_host_state *h, int is_stderr, const uint8_t *p, size_t len, size_t cap);
/* Note the host key (and the X.509 leaf's names and end of validity). */
void fleet_host_hostkey(struct fleet_host_state *h, const struct ssh_event *ev);
/* Everything freed; the state is zeroed. */
void fleet_host_free(struct fleet_host_state *h);

/* The argv of one host for cmdline_parse (the flags, -l/-p of the destination, then
 * "--" destination command...), malloc'd; NULL when out of memory. */
char **fleet_host_argv(const struct fleet_host_cfg *cfg, const char *user, const char *host,
    int port, int *argc, char **dest_buf);

#endif
