/*
 * Shared inside the poll loop's rooms only: connect.c (resolve and connect), tty.c (terminal,
 * signals, escapes), authdrv.c (answering the engine's trust, auth and signing events),
 * proxycmd.c (the ProxyCommand's end) and loop.c (the clock, the poll loop, I/O).
 */
#ifndef X509SSH_LOOP_INT_H
#define X509SSH_LOOP_INT_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "escape.h"
#include "identity.h"
#include "loop.h"
#include "options.h"
#include "ssh/buf.h"
#include "ssh/conn.h"

#define IO_CHUNK (256u * 1024) /* socket and stdin reads */
#define ERR_MAX  2048

/* ---- questions to the user in the poll set (authdrv.c), and each connection's own clock of
 * the timeouts, which stops while that connection waits for its user (sesslimits.c) ---- */
struct loop;
struct auth_ask; /* authdrv.c: the prompt under way and what its answer is for */
struct loop_user_wait {
	unsigned depth;     /* the connection's waits for the user under way (a prompt, signing) */
	uint64_t since;     /* clock_ms() when the outermost began */
	uint64_t waited_ms; /* the sum of the finished ones, on clock_ms() */
};
/* Brackets around a wait of this connection only (others' timers keep running); they nest. */
void session_wait_begin(struct loop *l);
void session_wait_end(struct loop *l);
/* The connection's clock of the timeouts: clock_ms() without its own waits. */
uint64_t session_clock_ms(const struct loop *l);
/* The question's poll slot; after poll (every turn) its answer goes to the engine; at the end
 * of the connection a question or signature under way is given up. */
void authdrv_fill(struct loop *l, struct pollfd *pfd, int *timeout);
int authdrv_after(struct loop *l, const struct pollfd *pfd);
void authdrv_end(struct loop *l);
/* ---- end of the questions' block ---- */

/* ---- fleet mode (fleet_run.c): a host's session without the process's stdio, terminal or
 * signals; its output goes to the host's sinks, its stdin comes from memory ---- */
struct loop_fleet_io {
	/* remote stdout (is_stderr 0) or stderr bytes: 0, or a negative error that ends the host */
	int (*output)(void *arg, int is_stderr, const uint8_t *p, size_t n);
	/* the host key as the engine parsed it, before the trust decision (may be NULL) */
	void (*hostkey)(void *arg, const struct ssh_event *ev);
	void *arg;
	const uint8_t *in; /* sent to the session, then EOF (NULL: EOF at once) */
	size_t inlen, inoff;
};
/* ---- end of the fleet block ---- */

struct loop {
	const struct options *o;
	const struct ssh_conn_config *cfg;
	struct identities *ids;
	struct ssh_conn *c;
	const char *host; /* HostName, for messages */
	int port;
	int sock;
	pid_t proxy_pid; /* the ProxyCommand's process, 0 = none (proxycmd.c) */
	char addr[64];

	/* ---- connect.c: resolving and connecting before the session begins (i11-connect) ---- */
	struct resolver *resolver; /* the run's lookup threads (resolve.h), shared by its loops */
	struct dial *dial;         /* resolving or connecting; NULL before and once connected */

	int stdin_open;    /* not yet at EOF */
	int stdin_unused;  /* -n or -N: fd 0 is never read, nor its flags or terminal touched */
	int no_session;    /* -N (SessionType none): no channel, the connection just stays up */
	int signal_status; /* -N ended by a signal: the exit status (OpenSSH's), -1 = none */
	int session_ready; /* SESSION_READY seen: stdin may flow */
	int out_dead[2];   /* stdout / stderr gone (EPIPE): discard */
	int out_nb[2];     /* stdout / stderr are non-blocking */
	int saved_fl[3];   /* original fcntl flags, -1 = untouched */
	int raw_tty;       /* stdin put in raw mode */
	struct termios saved_tio;
	int want_tty;   /* a pty was requested */
	int esc_active; /* escape sequences recognised on stdin */
	struct escape esc;
	uint8_t *escbuf; /* filtered stdin (IO_CHUNK + 1) */
	int escape_quit; /* ~. typed */

	/* the limits up to the open session, on clock_ms() (waits for the user do not count) */
	int hostkey_done;    /* the host key was accepted: user authentication follows */
	int auth_done;       /* AUTH_DONE seen: the session is being opened */
	int limit_s;         /* ConnectTimeout or the BatchMode default, 0 = none */
	int limit_default;   /* limit_s is the BatchMode default */
	uint64_t deadline;   /* when the session must be open, 0 = none */
	uint64_t silence_ms; /* ServerAliveInterval x CountMax: read timeout, 0 = none */
	uint64_t heard;      /* ssh_conn_heard() as last seen */
	uint64_t heard_at;   /* when it last changed (or the connection was made) */

	int pubkey_exhausted;
	int password_tries;
	int kbdint_tries;
	int kbdint_exhausted; /* no way to ask the questions */
	char *auth_method;    /* "publickey" / "password": the attempt under way */
	char auth_note[256];  /* why prompting methods were not (all) tried */

	int alive_interval_ms; /* ServerAliveInterval, 0 = off */
	uint64_t alive_next;   /* when to send the next keepalive (0 = not armed) */
	int alive_misses;      /* keepalives sent since the server was last heard */

	struct signer *sign_signer;  /* asynchronous signature pending */
	struct auth_ask *ask;        /* a question to the user under way (authdrv.c), NULL = none */
	struct loop_user_wait uwait; /* this connection's waits for its user */

	int exit_known, exit_has_status, exit_core;
	uint32_t exit_status; /* as the server sent it */
	char exit_signal[32];
	char exit_message[256];

	struct fwd *fwd;    /* -L -R -D -W (fwd.h) */
	int stdio_fwd;      /* -W: stdin/stdout are a TCP/IP channel's, there is no session */
	size_t nfwd;        /* the forwardings' poll slots this turn */
	int sock_eof;       /* the server closed the connection cleanly */
	uint64_t last_tick; /* the engine's clock was last given at */

	/* jump hosts: each hop is a loop of its own; the next one runs over one of its channels */
	int is_jump;           /* a jump host: no session, no terminal, no stdio */
	const char *hop_name;  /* "jump host NAME" in its messages (NULL for the destination) */
	struct loop *next_hop; /* the connection that goes through this one */
	int hop_started;       /* its engine runs (a later hop waits for the earlier one) */

	char local_err[ERR_MAX]; /* a local refusal that replaces the engine's message */
	int finished;
	uint8_t *iobuf;
	size_t iobuf_len; /* IO_CHUNK, or the fleet's smaller size */

	struct loop_fleet_io *fio; /* fleet mode (fleet_run.c); NULL: x509ssh's stdio */
};

/* ---- loop.c ---- */

/* CLOCK_MONOTONIC in ms (the user waits included). */
uint64_t loop_now_ms(void);
/* Record a local cause for the one error line; the first cause wins. */
void loop_fail_local(struct loop *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The clock of the timeouts: monotonic ms (each connection's own waits: session_clock_ms). */
uint64_t clock_ms(void);
/* The one error line for a session's end (the engine's sticky error or the local cause). */
void loop_print_failure(struct loop *l, int r);
/* The same line as text ("category: cause", without "x509ssh: "), for fleet mode. */
void loop_failure_text(struct loop *l, int r, char *out, size_t outlen);
/* The process exit status for the session's end; every 255 has its one line. */
int loop_exit_code(struct loop *l);
size_t loop_send_pending(struct loop *l);

/* the steps of one session in the reactor's turn (reactor.c drives them) */
int session_step(struct loop *l, int *res);
size_t session_nslots(const struct loop *l);
void session_fill(struct loop *l, struct pollfd *pfd, int *timeout);
int session_after(struct loop *l, const struct pollfd *pfd, uint64_t now);
int session_signals(struct loop *l, int *res);
/* jump hosts (reactor.c): l is authenticated, start the next hop over one of its channels */
int reactor_start_next_hop(struct loop *l);
/* reactor.c, for the fleet's chains too: a connection's fields before it runs, its engine once
 * its socket is there (errors in l->local_err), and its end */
void session_init(struct loop *l, const struct loop_target *t, int is_jump);
int session_begin(struct loop *l);
void session_end(struct loop *l);

/* ---- connect.c: a loop's dial, turned by the reactor until its socket is there ---- */

/* Start: 1 when connected at once (l->sock, and l->proxy_pid for a ProxyCommand), 0 when under
 * way (l->dial), or the negative error with the one line in l->local_err. */
int dial_start(struct loop *l);
/* Its one poll slot (possibly unused) and how long poll may sleep for its timer. */
void dial_fill(struct loop *l, struct pollfd *pfd, int *timeout);
/* After poll: 1 connected (l->sock, l->addr; the dial is gone), 0 not yet, or the negative
 * error with the one line in l->local_err. */
int dial_after(struct loop *l, const struct pollfd *pfd);
/* Drop a dial under way (its socket and lookups); nothing without one. */
void dial_end(struct loop *l);

/* ---- sesslimits.c ---- */

/* Shorten *timeout (ms) so that poll returns by `due` (a clock_ms() time, 0 = none). */
void limits_wait_until(int *timeout, uint64_t t, uint64_t due);
/* A complete packet other than IGNORE/DEBUG proves the server alive. */
void limits_note_heard(struct loop *l, uint64_t t);
/* Before the session is open: ConnectTimeout and the read timeout, one line naming the phase. */
int limits_check(struct loop *l, uint64_t t);
/* After the session is open: a keepalive after each quiet interval, then give up. */
int limits_keepalive(struct loop *l, uint64_t t);

/* ---- tty.c ---- */

extern volatile sig_atomic_t tty_got_winch; /* SIGWINCH seen */
extern volatile sig_atomic_t tty_got_term;  /* the terminating signal caught, 0 = none */

/* With a pty: SIGWINCH noted, SIGTERM/HUP/QUIT/INT end the loop (the terminal restored).
 * keep_ignored: a terminating signal ignored on entry (nohup, a background job) stays so. */
void tty_catch_signals(int keep_ignored);
/* Pipes on 0/1 non-blocking (and larger); tty_fds_restore puts flags and terminal back. */
void tty_fds_setup(struct loop *l);
void tty_fds_restore(struct loop *l);
/* stdin to raw mode when it is a terminal (l->raw_tty says whether it happened). */
void tty_raw_mode(struct loop *l);
/* Typed bytes through the escape filter to the channel, acting on ~. ~? ~^Z. */
int tty_stdin_escapes(struct loop *l, const uint8_t *in, size_t len);

/* ---- authdrv.c: the answers to the engine's events; each returns the engine's result ---- */

int authdrv_hostkey(struct loop *l, const struct ssh_event *ev);
int authdrv_auth_next(struct loop *l, const struct ssh_event *ev);
int authdrv_prompt(struct loop *l, const struct ssh_event *ev);
/* SSH_EV_SIGN; an asynchronous signer leaves l->sign_signer set for authdrv_finish_sign. */
int authdrv_sign(struct loop *l, const struct ssh_event *ev);
int authdrv_finish_sign(struct loop *l);

#endif
