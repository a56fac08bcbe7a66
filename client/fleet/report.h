/* report: what x509ssh-fleet prints about each host and at the end, written into a caller's
 * fleet_sb (no I/O here).
 *
 * - fleet_report_line: the pssh-like status line,
 *     [12/400] 10:42:07 OK rtr12.dc1 (exit 0, 0.84 s)
 *     [13/400] 10:42:08 EXIT rtr13.dc1 (exit 3, 1.02 s)
 *     [14/400] 10:42:08 SIGNAL rtr14.dc1 (signal KILL, 1.10 s)
 *     [15/400] 10:42:09 AUTH rtr15.dc1 (auth: no key was accepted, 2.01 s)
 *   the word is the status's line word (upper case), the time the completion's wall clock
 *   (the caller's struct tm), the duration rounded to 1/100 s; control characters of a cause
 *   are shown as '?'.
 * - fleet_json_result: one host's JSON Lines object (one line, '\n' ended):
 *     {"type":"host","host":"rtr12.dc1","address":"10.0.0.12","port":22,"user":"admin",
 *      "status":"ok","exit_status":0,"signal":null,
 *      "error":null | {"category":"auth","line":"x509ssh: auth: ..."},
 *      "hostkey":null | {"algorithm":"ssh-ed25519","fingerprint":"SHA256:..."},
 *      "x509":null | {"subject":"...","issuer":"...","not_after":"...","verdict":"..."},
 *      "auth_method":"publickey" | null,
 *      "timings":{"connect":0.012,"kex":0.031,"auth":0.020,"command":0.410,"total":0.473},
 *      "stdout":"...","stdout_bytes":123,"stdout_base64":false,"stdout_truncated":false,
 *      "stderr":"...","stderr_bytes":0,"stderr_base64":false,"stderr_truncated":false}
 *   timings are seconds with millisecond precision, null for a phase not reached; *_bytes
 *   count every byte the host sent on that stream; the text is the first max_output bytes of
 *   what was kept (cut back to a whole UTF-8 character when truncated), as a JSON string when
 *   that is valid UTF-8, else base64 with *_base64 true; *_truncated is true when fewer bytes
 *   than *_bytes are shown.
 * - fleet_json_summary: the last object,
 *     {"type":"summary","hosts":400,"ok":396,"exit":2,...(every status)...,"wall":12.345,
 *      "exit_code":255}
 *
 * Statuses: one table (fleet_status_info) gives each its JSON word, its line word and its
 * class: OK, REMOTE (the command ran and failed: exit, signal) or LOCAL (the host gave no
 * result: every other status, timeout included). The run's exit status
 * (fleet_summary_exit_code): 0 when every host is ok (or there were none), 255 when any host
 * is LOCAL (this wins), else 3 when a command was killed by a signal, else 4 (a command exited
 * non-zero): pssh's 3 and 4.
 */
#ifndef X509SSH_FLEET_REPORT_H
#define X509SSH_FLEET_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sbuf.h"

enum fleet_status {
	FLEET_OK,          /* the command exited 0 */
	FLEET_EXIT,        /* the command exited non-zero */
	FLEET_SIGNAL,      /* the command was killed by a signal */
	FLEET_REFUSED,     /* TCP connection refused */
	FLEET_UNREACHABLE, /* no route, name not resolved, connect timed out */
	FLEET_TIMEOUT,     /* the per-host time limit (-t) or ServerAlive ran out */
	FLEET_HOSTKEY,     /* plain host key unknown or changed */
	FLEET_TRUST,       /* X.509 host certificate not trusted */
	FLEET_KEX,         /* key exchange failed (no common algorithm, bad signature) */
	FLEET_AUTH,        /* user authentication failed */
	FLEET_PKCS11,      /* the token failed */
	FLEET_CHANNEL,     /* the session or the exec request was refused */
	FLEET_CONFIG,      /* this host's configuration is wrong */
	FLEET_ERROR,       /* any other local failure */
	FLEET_STATUS_COUNT
};

enum fleet_class { FLEET_CLASS_OK, FLEET_CLASS_REMOTE, FLEET_CLASS_LOCAL };

struct fleet_status_info {
	const char *json; /* "ok", "exit", ... */
	const char *line; /* "OK", "EXIT", ... */
	enum fleet_class cls;
};

/* the table row of s (FLEET_ERROR's for a value out of range) */
const struct fleet_status_info *fleet_status_info(enum fleet_status s);
/* the status whose JSON word is word; 0, or -1 when none is */
int fleet_status_from_json(const char *word, enum fleet_status *s);

struct fleet_line {
	size_t index, total;   /* [index/total] */
	const struct tm *when; /* completion time (the caller's localtime_r) */
	const char *host;      /* the destination as given */
	enum fleet_status status;
	int exit_status;    /* FLEET_OK, FLEET_EXIT */
	const char *signal; /* FLEET_SIGNAL: the name without SIG ("KILL") */
	const char *cause;  /* other statuses: the error line after "x509ssh: " */
	uint64_t elapsed_us;
};

void fleet_report_line(struct fleet_sb *sb, const struct fleet_line *l);

/* one captured stream */
struct fleet_stream {
	const void *data; /* what was kept (may be less than total) */
	size_t len;
	uint64_t total; /* bytes the host sent */
};

#define FLEET_NO_TIME (-1) /* a phase that was not reached */

struct fleet_result {
	const char *host;    /* the destination as given */
	const char *address; /* numeric address connected to, or NULL */
	int port;            /* 0: null */
	const char *user;    /* NULL: null */
	enum fleet_status status;
	int exit_status;                        /* FLEET_OK, FLEET_EXIT (else null) */
	const char *signal;                     /* FLEET_SIGNAL */
	const char *err_category, *err_line;    /* NULL when none */
	const char *hostkey_alg, *hostkey_fp;   /* NULL when no host key was seen */
	const char *x509_subject, *x509_issuer; /* NULL: no "x509" object */
	const char *x509_not_after, *x509_verdict;
	const char *auth_method;
	int64_t t_connect_us, t_kex_us, t_auth_us, t_command_us, t_total_us; /* or FLEET_NO_TIME */
	struct fleet_stream out, err;
};

/* max_output: bytes of each stream shown at most (SIZE_MAX: no cap) */
void fleet_json_result(struct fleet_sb *sb, const struct fleet_result *r, size_t max_output);

struct fleet_summary {
	size_t hosts;
	size_t count[FLEET_STATUS_COUNT];
	uint64_t wall_us;
};

void fleet_summary_add(struct fleet_summary *s, enum fleet_status st);
int fleet_summary_exit_code(const struct fleet_summary *s);
void fleet_json_summary(struct fleet_sb *sb, const struct fleet_summary *s);

#endif
