/*
 * The SSH-2 client engine: one connection as an I/O-free state machine (BearSSL style).
 *
 * The caller (client/loop.c) owns the socket, the clock and the terminal:
 *   - bytes read from the socket go in with ssh_conn_recv(); ssh_conn_recv_eof() when it closed;
 *   - bytes to write come out of ssh_conn_send_ptr() / ssh_conn_send_consumed();
 *   - decisions the engine cannot make alone come out as events (ssh_conn_next_event()) and are
 *     answered with the ssh_conn_answer_* / ssh_conn_auth_* calls;
 *   - channel data: remote stdout/stderr accumulate in buffers the caller drains
 *     (ssh_conn_channel_peek() + ssh_conn_channel_consumed()); local stdin goes in with
 *     ssh_conn_stdin_write() while ssh_conn_stdin_room() > 0.
 * Errors are sticky: after one, every call fails with it and ssh_conn_error() says why in the
 * "category: cause" form of OPTIONS.md (without the "x509ssh: " prefix).
 * The engine never blocks, sleeps, exits, or touches a file descriptor; it has no globals.
 */
#ifndef X509SSH_CONN_H
#define X509SSH_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "signer.h"
#include "buf.h"

/* The software part of the identification line we send ("SSH-2.0-" in front). */
#define SSH_SOFTWARE_VERSION "x509ssh_0.1"

struct ssh_conn;
struct hostkey_alg; /* sshkey.h */
struct x509_blob;   /* x509key.h */

/*
 * The server's host key as the key exchange parsed it, once (SSH_EV_HOSTKEY): trust decisions
 * use this view and never parse K_S again. Every pointer stays valid until ssh_conn_free.
 */
struct ssh_hostkey_view {
	const char *alg;     /* negotiated host-key algorithm */
	const uint8_t *blob; /* K_S as sent */
	size_t len;
	const struct hostkey_alg *row; /* the algorithm's table row (sshkey.h) */
	/* RFC 6187 rows (HK_FLAG_X509): the certificates, leaf first, and stapled OCSP responses
	 * as DER borrowed from blob (x509key.h), within the X509MaxChain cap; NULL for plain keys
	 */
	const struct x509_blob *x509;
	const char *fingerprint; /* "SHA256:<unpadded base64>" of blob */
};

/* log levels of the callback (match enum log_level of options.h) */
#define SSH_LOG_ERROR   2
#define SSH_LOG_INFO    3
#define SSH_LOG_VERBOSE 4
#define SSH_LOG_DEBUG1  5
#define SSH_LOG_DEBUG2  6
#define SSH_LOG_DEBUG3  7

/* What the connection does once authenticated (SessionType, -s, -N). */
enum ssh_session_kind {
	SSH_SESSION_DEFAULT = 0, /* "exec" of command, or "shell" when command is NULL or "" */
	SSH_SESSION_SUBSYSTEM,   /* "subsystem" request (RFC 4254 6.5) named by command */
	SSH_SESSION_NONE,        /* no channel at all: SSH_EV_SESSION_READY right after
	                          * SSH_EV_AUTH_DONE, then the connection stays up (keepalives,
	                          * rekeys) until the server closes it or the caller stops */
};

struct ssh_conn_config {
	/* comma-separated algorithm lists in preference order (already resolved) */
	const char *kex_algs;
	const char *ciphers;
	const char *macs;
	const char *hostkey_algs;
	const char *pubkey_algs;
	const char *user;       /* login name */
	const char *command;    /* NULL or "" = shell; the subsystem's name */
	int want_tty;           /* send pty-req */
	int tty_required;       /* with want_tty: a refused pty fails the session ("channel: the
	                         * server refused a pty"); without it the refusal is logged and the
	                         * session goes on without one, as OpenSSH's ssh */
	const char *term;       /* TERM for pty-req */
	uint32_t cols, rows;    /* window size for pty-req */
	const char *const *env; /* NULL-terminated "NAME=value" list for env requests */
	uint64_t rekey_bytes;   /* 0 = cipher-dependent default (1 GiB) */
	uint32_t rekey_seconds; /* 0 = none */
	unsigned rsa_min_bits;  /* RequiredRSASize: RSA host and user keys below it are refused
	                         * (0 or less than 1024: 1024, the floor) */
	size_t x509_max_chain;  /* X509MaxChain: cap on certificates in a host key
	                         * (0 = X509_MAX_CHAIN_DEFAULT of limits/x509_limits.h) */
	int cisco_gex_cap;      /* reserved: cap GEX at 4096 bits for Cisco banners */
	/* the session channel's receive window and largest data packet we accept (0 = the
	 * defaults, 8 MiB and 128 KiB; the window is at least 32 KiB and the packet at most the
	 * window): a smaller window holds less of the server's output per connection */
	uint32_t chan_window, chan_max_packet;
	/* exec of command / shell, a subsystem named by command (non-empty), or no session */
	enum ssh_session_kind session;
	/* ForwardAgent: send auth-agent-req@openssh.com on the session channel (before the shell,
	 * command or subsystem) and let the server open auth-agent@openssh.com channels, raised as
	 * SSH_EV_CHAN_INCOMING with u.chan.agent set; without it (or before the request went out)
	 * such opens are refused by the engine (administratively prohibited) */
	int forward_agent;
	void (*log)(void *arg, int level, const char *msg);
	void *log_arg;
};

enum ssh_event_type {
	SSH_EV_NONE = 0,
	SSH_EV_HOSTKEY,       /* host key proved (signature over H verified): trust it? */
	SSH_EV_AUTH_BANNER,   /* SSH_MSG_USERAUTH_BANNER text (already sanitised) */
	SSH_EV_AUTH_NEXT,     /* pick the next authentication attempt */
	SSH_EV_SIGN,          /* sign data with a signer (userauth publickey after PK_OK) */
	SSH_EV_AUTH_DONE,     /* authenticated */
	SSH_EV_SESSION_READY, /* channel open and command/shell/subsystem accepted: start reading
	                       * stdin (SSH_SESSION_NONE: authenticated, no channel, no stdin) */
	SSH_EV_CHANNEL_DATA,  /* remote stdout or stderr has bytes (ssh_conn_channel_peek) */
	SSH_EV_EXIT,          /* channel closed: exit status or signal known */
	SSH_EV_PROMPT,        /* keyboard-interactive: show name/instruction, ask the prompts */
	/* TCP/IP channels (RFC 4254 sections 7.1-7.2), each naming its channel in u.chan.id */
	SSH_EV_CHAN_OPENED,      /* a direct-tcpip channel we opened is confirmed: data may flow */
	SSH_EV_CHAN_OPEN_FAILED, /* ... was refused (u.chan.reason, u.chan.message); the id is
	                          * released when the event is handed out */
	SSH_EV_CHAN_INCOMING,    /* the server opens a forwarded-tcpip channel for a granted
	                          * tcpip-forward (u.chan and u.chan.fwd), or an
	                          * auth-agent@openssh.com channel we asked for (u.chan.agent):
	                          * answer with ssh_conn_chan_accept or ssh_conn_chan_refuse */
	SSH_EV_CHAN_DATA,        /* the channel has bytes to read (ssh_conn_chan_peek) */
	SSH_EV_CHAN_EOF,         /* the server sent EOF on the channel (after all its data) */
	SSH_EV_CHAN_CLOSED,      /* closed both ways; data not yet read stays readable until the
	                          * caller calls ssh_conn_chan_close (which then releases the id);
	                          * after a close of the caller's the id is released when this is
	                          * handed out */
	SSH_EV_GLOBAL_REPLY,     /* the answer to ssh_conn_tcpip_forward / _cancel (u.global) */
};

struct ssh_event {
	enum ssh_event_type type;
	union {
		struct ssh_hostkey_view hostkey;
		struct {
			const char *text;
			int notice;    /* 1: the text is the engine's own note (banners were
			                  suppressed),    not the server's: show it as a message of
			                  ours
			                */
			int open_line; /* with notice: the banners shown so far end mid-line */
		} banner;
		struct {
			const char *methods; /* methods that can continue, comma-separated */
			int partial;         /* partial success */
			int first;           /* 1 for the answer to "none" */
		} auth;
		struct {
			struct signer *signer;
			const char *alg; /* the userauth algorithm (for messages) */
			/* what to give signer->ops->sign: the data, the primitive and the hash */
			struct signer_req req;
		} sign;
		struct {
			const char *name;        /* may be "" */
			const char *instruction; /* may be "" (newlines kept) */
			size_t n;                /* number of prompts, may be 0 */
			const char *const *prompts;
			const int *echo; /* echo[i]: the answer may be shown while typed */
		} prompt;
		struct {
			uint32_t id;     /* our (local) channel id */
			int agent;       /* INCOMING: an auth-agent@openssh.com channel (fwd's
			                  * fields are then "" and 0) */
			uint32_t reason; /* OPEN_FAILED: RFC 4254 reason code */
			const char
			    *message; /* OPEN_FAILED: the server's text (sanitised), may be "" */
			struct {      /* INCOMING: forwarded-tcpip's fields (sanitised) */
				const char *listen_addr; /* the address that was connected */
				uint32_t listen_port;    /* the port that was connected */
				const char *orig_addr;   /* originator */
				uint32_t orig_port;
			} fwd;
		} chan;
		struct {
			uint32_t req;  /* what ssh_conn_tcpip_forward / _cancel returned in *req */
			int ok;        /* REQUEST_SUCCESS */
			uint32_t port; /* tcpip-forward of port 0: the port the server allocated */
		} global;
		struct {
			int has_status;
			uint32_t status;    /* exit-status as sent (may be outside 0..255) */
			const char *signal; /* exit-signal name without "SIG", or NULL */
			int core_dumped;
			const char *message; /* exit-signal error message, may be "" */
		} exit;
	} u;
};

int ssh_conn_new(const struct ssh_conn_config *cfg, struct ssh_conn **out);
void ssh_conn_free(struct ssh_conn *c);

/* Network side. */
int ssh_conn_recv(struct ssh_conn *c, const uint8_t *data, size_t len);
/* Zero-copy input: a window of at least `want` bytes to read the socket into (NULL when input is
 * capped or after an error), then ssh_conn_recv_commit with the count read. */
uint8_t *ssh_conn_recv_window(struct ssh_conn *c, size_t want, size_t *room);
int ssh_conn_recv_commit(struct ssh_conn *c, size_t n);
int ssh_conn_recv_eof(struct ssh_conn *c); /* peer closed: error unless the session had ended */
const uint8_t *ssh_conn_send_ptr(struct ssh_conn *c, size_t *len);
void ssh_conn_send_consumed(struct ssh_conn *c, size_t n);
/* Time passes (ms, monotonic): time-based rekeying. */
int ssh_conn_tick(struct ssh_conn *c, uint64_t now_ms);

/* Events: returns 1 and fills ev, or 0 when none is pending. ev's pointers are valid until the
 * next call into the engine. */
int ssh_conn_next_event(struct ssh_conn *c, struct ssh_event *ev);

/* Answers. */
int ssh_conn_answer_hostkey(struct ssh_conn *c, int trusted);
/* Try public-key authentication with this signer (borrowed until AUTH_DONE/next AUTH_NEXT).
 * The engine picks the algorithms (server-sig-algs, config order), queries first, then raises
 * SSH_EV_SIGN after PK_OK; AUTH_NEXT comes back when all its algorithms were refused. */
int ssh_conn_auth_pubkey(struct ssh_conn *c, struct signer *s);
int ssh_conn_auth_password(struct ssh_conn *c, const char *password);
/* Try keyboard-interactive: each round raises SSH_EV_PROMPT, answered with
 * ssh_conn_answer_prompts (exactly n answers; wiped by the engine after sending). */
int ssh_conn_auth_kbdint(struct ssh_conn *c);
int ssh_conn_answer_prompts(struct ssh_conn *c, const char *const *answers, size_t n);
/* Nothing more to try: the connection fails with "auth: ..." listing the methods. */
int ssh_conn_auth_give_up(struct ssh_conn *c);
/* The answer to SSH_EV_SIGN: the signer's raw signature (signer.h; the engine writes the SSH
 * signature blob), or err, a signer result < 0 (SIGNER_ERR_*), with the whole one-line message in
 * "category: cause" form (e.g. "pkcs11: C_Login: CKR_PIN_INCORRECT"), or NULL for a generic one */
int ssh_conn_answer_sign(
    struct ssh_conn *c, const uint8_t *sig, size_t len, int err, const char *cause);

/* Channel side. */
/* Remote stdout (is_stderr 0) or stderr bytes waiting for the caller: *len of them (0: none) at the
 * pointer returned, valid until the next call into the engine. ssh_conn_channel_consumed() says how
 * many the caller took (n <= *len) and gives window back to the server. */
const uint8_t *ssh_conn_channel_peek(struct ssh_conn *c, int is_stderr, size_t *len);
int ssh_conn_channel_consumed(struct ssh_conn *c, int is_stderr, size_t n);
size_t ssh_conn_stdin_room(struct ssh_conn *c);
int ssh_conn_stdin_write(struct ssh_conn *c, const uint8_t *data, size_t len);
int ssh_conn_stdin_eof(struct ssh_conn *c);
int ssh_conn_window_change(struct ssh_conn *c, uint32_t cols, uint32_t rows);
/* ServerAlive: send a keepalive@openssh.com global request that wants a reply; returns how many
 * are unanswered (including this one), or an error. Any reply resets the count. With 64 global
 * requests unanswered (CONN_MAX_GLOBAL_PENDING) no more is sent, but the count still grows. */
int ssh_conn_keepalive(struct ssh_conn *c);

/*
 * TCP/IP channels, any number up to SSH_CONN_MAX_CHANNELS at once beside the session channel, each
 * with its own windows and buffers (one stalled channel never holds the others). Only after
 * SSH_EV_AUTH_DONE. Ids are ours (the local channel number); a released id may be reused.
 * Calls naming an id that is not open fail with SSH_ERR_INTERNAL (sticky: a caller's bug).
 */
#define SSH_CONN_MAX_CHANNELS 1024

/* Open a direct-tcpip channel to host:port; orig_addr/orig_port name the originator for the
 * server's logs. *id is set at once; SSH_EV_CHAN_OPENED or SSH_EV_CHAN_OPEN_FAILED follows.
 * At the channel cap: SSH_ERR_TOO_LARGE, not sticky (the caller refuses its local client). */
int ssh_conn_chan_open_tcpip(struct ssh_conn *c, const char *host, uint32_t port,
    const char *orig_addr, uint32_t orig_port, uint32_t *id);
/* The answers to SSH_EV_CHAN_INCOMING (reason: RFC 4254 code, e.g. 2 = connect failed). */
int ssh_conn_chan_accept(struct ssh_conn *c, uint32_t id);
int ssh_conn_chan_refuse(struct ssh_conn *c, uint32_t id, uint32_t reason, const char *msg);
/* Bytes from the server waiting on the channel (extended data of TCP channels is dropped) and
 * how many the caller took (gives window back). */
const uint8_t *ssh_conn_chan_peek(struct ssh_conn *c, uint32_t id, size_t *len);
int ssh_conn_chan_consumed(struct ssh_conn *c, uint32_t id, size_t n);
/* How many bytes ssh_conn_chan_write takes now (window, the output cap, rekeying); then write. */
size_t ssh_conn_chan_room(struct ssh_conn *c, uint32_t id);
int ssh_conn_chan_write(struct ssh_conn *c, uint32_t id, const uint8_t *data, size_t len);
/* Our side has no more data (CHANNEL_EOF). */
int ssh_conn_chan_eof(struct ssh_conn *c, uint32_t id);
/* Close the channel (CHANNEL_CLOSE, once); SSH_EV_CHAN_CLOSED follows when the server's CLOSE
 * came too (for a direct-tcpip channel still opening: once it is confirmed and closed, or at once
 * when the server refuses it). Unread data and data still arriving are dropped. On an
 * SSH_EV_CHAN_INCOMING not yet answered it is ssh_conn_chan_refuse (no event follows). */
int ssh_conn_chan_close(struct ssh_conn *c, uint32_t id);
/* Ask the server to listen (tcpip-forward, RFC 4254 7.1): addr "" or "localhost" or an address,
 * port 0 = the server picks. *req identifies the SSH_EV_GLOBAL_REPLY that answers. Only a granted
 * forwarding lets the server open forwarded-tcpip channels; others are refused by the engine. */
/* With 64 global requests unanswered, or 64 forwardings granted or asked for: SSH_ERR_TOO_LARGE,
 * not sticky. A forwarded-tcpip open matches a granted forwarding by port, and by address too
 * unless the forwarding named "", "*", "0.0.0.0", "::" or "localhost". */
int ssh_conn_tcpip_forward(struct ssh_conn *c, const char *addr, uint32_t port, uint32_t *req);
int ssh_conn_cancel_tcpip_forward(
    struct ssh_conn *c, const char *addr, uint32_t port, uint32_t *req);
/* The number of TCP/IP channels in use (for ~# and the caller's caps). */
size_t ssh_conn_chan_count(const struct ssh_conn *c);

/* What an ssh-agent's session-bind@openssh.com carries (OpenSSH PROTOCOL.agent): the host key
 * K_S and the server's signature over the exchange hash of the first key exchange, and the
 * session identifier (that hash). Borrowed until ssh_conn_free. */
struct ssh_session_bind {
	const char *hostkey_alg; /* negotiated in the first exchange */
	const uint8_t *hostkey, *session_id, *sig;
	size_t hostkey_len, session_id_len, sig_len;
};
/* 0 once the first key exchange verified the server's signature; SSH_ERR_INTERNAL before (not
 * sticky). */
int ssh_conn_session_bind(const struct ssh_conn *c, struct ssh_session_bind *out);

/* State. */
int ssh_conn_error(const struct ssh_conn *c, const char **msg); /* 0 or the sticky error */
int ssh_conn_done(const struct ssh_conn *c); /* session finished cleanly; nothing more to send
                                                once send_ptr is empty */
const char *ssh_conn_server_version(const struct ssh_conn *c);
/* How many times the server proved it is alive: its version line and every complete packet other
 * than IGNORE and DEBUG. A caller's read timeout restarts whenever this number changes. */
uint64_t ssh_conn_heard(const struct ssh_conn *c);
const char *ssh_conn_negotiated(const struct ssh_conn *c, const char *what); /* "kex", "hostkey",
                                                 "cipher_ctos", "mac_ctos", ... */
#endif
