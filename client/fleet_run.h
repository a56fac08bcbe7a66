/*
 * The fleet's reactor: many independent chains of connections (each host: its jump hosts, then
 * itself) in one poll loop, at most `parallel` hosts at once and at most `rate` new ones per
 * second. Each host's options and identities come from the caller (prepared when its turn
 * comes), its output goes to the caller's sinks, its stdin is the same bytes for every host,
 * then EOF. No terminal, no stdin, no escapes, no signals per host: a host only reports.
 */
#ifndef X509SSH_FLEET_RUN_H
#define X509SSH_FLEET_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "report.h"
#include "ssh/conn.h"

/* what a host came to */
struct fleet_outcome {
	enum fleet_status status;
	int exit_status;      /* FLEET_OK, FLEET_EXIT */
	const char *signal;   /* FLEET_SIGNAL: "KILL" */
	const char *err_line; /* "category: cause" (without "x509ssh: "), NULL when none */
	const char *address;  /* the numeric address connected to, NULL before */
	int port;
	const char *auth_method; /* the method that authenticated, NULL before */
	int64_t t_connect_us, t_kex_us, t_auth_us, t_command_us, t_total_us; /* or FLEET_NO_TIME */
};

struct fleet_run_ops {
	/* Host i's turn: its connections, jump hosts first (*n >= 1), valid until done(i). 0, or
	 * -1 with the one line "category: cause" in err (the host ends at once). */
	int (*prepare)(
	    void *arg, size_t i, const struct loop_target **t, size_t *n, char *err, size_t errlen);
	/* host i's remote stdout (is_stderr 0) or stderr; 0, or negative to end the host */
	int (*output)(void *arg, size_t i, int is_stderr, const uint8_t *p, size_t len);
	/* host i's host key, as the engine parsed it (before the trust decision) */
	void (*hostkey)(void *arg, size_t i, const struct ssh_event *ev);
	/* host i ended (its connections already closed); the outcome's strings are valid during
	 * the call only */
	void (*done)(void *arg, size_t i, const struct fleet_outcome *oc);
	/* once per turn of the loop (the progress line), may be NULL */
	void (*tick)(void *arg, size_t running);
	void *arg;
};

struct fleet_run_cfg {
	size_t hosts;
	size_t parallel;   /* hosts at once, >= 1 */
	double rate;       /* new hosts per second, 0 = no cap */
	unsigned limit_s;  /* the whole exchange per host (-t), 0 = none */
	const uint8_t *in; /* sent to every host then EOF; NULL: EOF at once */
	size_t inlen;
	size_t iobuf; /* per-connection read buffer (and socket read size) */
};

/* Run every host to its end. 0, or -1 when the loop itself failed (out of memory, poll):
 * the hosts not done then are reported with FLEET_ERROR. */
int fleet_run(const struct fleet_run_cfg *cfg, const struct fleet_run_ops *ops);

#endif
