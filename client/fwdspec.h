/*
 * Forwarding specifications as ssh(1) writes them (-L, -R, -D, -W and the LocalForward,
 * RemoteForward, DynamicForward keywords), parsed into one struct the event loop reads.
 *
 * Syntax (fields separated by ':'; a field in [brackets] is taken literally, so an IPv6 address
 * goes in brackets; a backslash outside brackets takes the next character literally):
 *   FWD_LOCAL   [bind_address:]port:host:hostport   (also "[bind_address:]port host:hostport",
 *   FWD_REMOTE  [bind_address:]port:host:hostport    the keyword's two-value form)
 *   FWD_REMOTE  [bind_address:]port                  -> kind FWD_REMOTE_DYNAMIC (reverse SOCKS)
 *   FWD_DYNAMIC [bind_address:]port
 *   FWD_STDIO   host:port                            (-W)
 * A port is a number or a TCP service name of /etc/services (getservbyname), as OpenSSH's
 * a2port. Ports are 1..65535; 0 only as the listen port of -R (the server allocates one). An
 * empty bind address ("":port) and "*" are kept as written; no bind address is NULL. A field
 * holding a '/' is a Unix-domain socket path, as in OpenSSH: refused.
 */
#ifndef X509SSH_FWDSPEC_H
#define X509SSH_FWDSPEC_H

#include <stddef.h>

enum fwd_kind {
	FWD_LOCAL = 1,      /* -L: listen here, connect there through the server */
	FWD_REMOTE,         /* -R: the server listens, we connect */
	FWD_DYNAMIC,        /* -D: SOCKS here */
	FWD_REMOTE_DYNAMIC, /* -R [bind:]port: SOCKS at the server's end, we connect */
	FWD_STDIO,          /* -W host:port: stdin/stdout to host:port through the server */
};

#define FWD_HOST_MAX 1024 /* longest host name or address accepted (NI_MAXHOST - 1) */

struct fwd_spec {
	enum fwd_kind kind;
	char *listen_host;  /* NULL = the default (loopback unless GatewayPorts); "" and "*" kept */
	int listen_port;    /* 0 only for FWD_REMOTE / FWD_REMOTE_DYNAMIC: the server allocates */
	char *connect_host; /* NULL for FWD_DYNAMIC / FWD_REMOTE_DYNAMIC */
	int connect_port;   /* 0 when connect_host is NULL */
};

/* A port as OpenSSH's a2port: a decimal number 0..65535 or a TCP service name; -1 otherwise. */
int fwd_port_parse(const char *s);

/*
 * Parse text as a spec of `kind` (FWD_REMOTE may give FWD_REMOTE_DYNAMIC) into *spec (its
 * strings malloc'd; zeroed on error). Errors: SSH_ERR_FORMAT with a short cause in err ("bad
 * port 'x'", "Unix-domain socket forwarding is not supported", ...), SSH_ERR_ALLOC.
 */
int fwd_spec_parse(
    enum fwd_kind kind, const char *text, struct fwd_spec *spec, char *err, size_t errlen);

void fwd_spec_free(struct fwd_spec *spec);

enum fwd_format {
	FWD_FMT_DUMP = 1, /* as OpenSSH's ssh -G: "8080 [h]:80", "[*]:1080", "9000 [socks]:0" */
	FWD_FMT_SPEC,     /* as written on a command line: "8080:h:80", "[::1]:1080" (~#) */
};

/* The spec as text into buf; 0, or SSH_ERR_TOO_LARGE when it did not fit (buf then truncated). */
int fwd_spec_format(const struct fwd_spec *spec, enum fwd_format style, char *buf, size_t len);

#endif
