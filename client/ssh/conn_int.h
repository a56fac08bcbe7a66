/* Internal state of the engine, shared by conn*.c, transport.c, kex.c, userauth.c, channel.c. */
#ifndef X509SSH_CONN_INT_H
#define X509SSH_CONN_INT_H

#include <stdint.h>

#include <openssl/bn.h>

#include "buf.h"
#include "cipher.h"
#include "compat.h"
#include "conn.h"
#include "sshkey.h"
#include "kexalg.h"
#include "namelist.h"
#include "packet.h"
#include "x509key.h"

/* message numbers (RFC 4250 and extensions) */
#define SSH_MSG_DISCONNECT                1
#define SSH_MSG_IGNORE                    2
#define SSH_MSG_UNIMPLEMENTED             3
#define SSH_MSG_DEBUG                     4
#define SSH_MSG_SERVICE_REQUEST           5
#define SSH_MSG_SERVICE_ACCEPT            6
#define SSH_MSG_EXT_INFO                  7
#define SSH_MSG_KEXINIT                   20
#define SSH_MSG_NEWKEYS                   21
#define SSH_MSG_KEX_ECDH_INIT             30 /* also KEXDH_INIT */
#define SSH_MSG_KEX_ECDH_REPLY            31 /* also KEXDH_REPLY and KEX_DH_GEX_GROUP */
#define SSH_MSG_KEX_DH_GEX_GROUP          31
#define SSH_MSG_KEX_DH_GEX_INIT           32
#define SSH_MSG_KEX_DH_GEX_REPLY          33
#define SSH_MSG_KEX_DH_GEX_REQUEST        34
#define SSH_MSG_USERAUTH_REQUEST          50
#define SSH_MSG_USERAUTH_FAILURE          51
#define SSH_MSG_USERAUTH_SUCCESS          52
#define SSH_MSG_USERAUTH_BANNER           53
#define SSH_MSG_USERAUTH_PK_OK            60 /* also PASSWD_CHANGEREQ, INFO_REQUEST */
#define SSH_MSG_USERAUTH_INFO_REQUEST     60
#define SSH_MSG_USERAUTH_INFO_RESPONSE    61
#define SSH_MSG_GLOBAL_REQUEST            80
#define SSH_MSG_REQUEST_SUCCESS           81
#define SSH_MSG_REQUEST_FAILURE           82
#define SSH_MSG_CHANNEL_OPEN              90
#define SSH_MSG_CHANNEL_OPEN_CONFIRMATION 91
#define SSH_MSG_CHANNEL_OPEN_FAILURE      92
#define SSH_MSG_CHANNEL_WINDOW_ADJUST     93
#define SSH_MSG_CHANNEL_DATA              94
#define SSH_MSG_CHANNEL_EXTENDED_DATA     95
#define SSH_MSG_CHANNEL_EOF               96
#define SSH_MSG_CHANNEL_CLOSE             97
#define SSH_MSG_CHANNEL_REQUEST           98
#define SSH_MSG_CHANNEL_SUCCESS           99
#define SSH_MSG_CHANNEL_FAILURE           100

/* caps on what a peer controls */
#define CONN_MAX_PREBANNER      (64u * 1024)       /* bytes of text lines before the version line */
#define CONN_MAX_LINE           8192               /* one pre-banner or version line */
#define CONN_MAX_IN             (4u * 1024 * 1024) /* unprocessed network input */
#define CONN_MAX_OUT            (8u * 1024 * 1024) /* wire bytes waiting to be sent before stdin stops */
#define CONN_MAX_EVENTS         16
#define CONN_MAX_NAMELIST       4096               /* one name-list in KEXINIT */
#define AUTH_MAX_PROMPTS        32                 /* prompts in one keyboard-interactive round */
#define AUTH_MAX_KB_ROUNDS      64                 /* keyboard-interactive rounds in one attempt */
#define CHAN_WINDOW             (8u * 1024 * 1024) /* our receive window (session channel) */
#define CHAN_MAXPACKET          (128u * 1024)      /* largest data packet we accept (session) */
#define CHAN_WINDOW_MIN         (32u * 1024)       /* smallest session window a caller may set */
#define CHAN_TCP_WINDOW         (2u * 1024 * 1024) /* our receive window on a TCP/IP channel */
#define CHAN_TCP_MAXPACKET      (32u * 1024)       /* largest data packet we accept there */
#define CONN_CHAN_SLOTS         (SSH_CONN_MAX_CHANNELS + 1) /* TCP/IP channels + the session */
#define CONN_MAX_GLOBAL_PENDING 64           /* global requests wanting a reply, unanswered */
#define CONN_MAX_FORWARDS       64           /* tcpip-forward granted plus asked for */
#define CHAN_MAX_ADDR           255          /* an address in a forwarded-tcpip open */
#define CHAN_SEND_CHUNK         (32u * 1024) /* largest data packet we send (before the peer's cap) */
#define REKEY_BYTES_DEFAULT     (1ull << 30)
#define REKEY_PACKETS_MAX       (1ull << 31)

/* what a server that does not play along can make us queue or print */
#define CONN_MAX_REPLY_OUT    (4u * 1024 * 1024)  /* our own packets unsent: peer stopped reading */
#define AUTH_MAX_BANNER_BYTES ((size_t)64 * 1024) /* USERAUTH_BANNER text shown per connection */

enum conn_state {
	ST_VERSION = 0, /* waiting for the server's identification line */
	ST_KEX,         /* first key exchange */
	ST_SERVICE,     /* waiting for SERVICE_ACCEPT */
	ST_AUTH,        /* user authentication */
	ST_SESSION,     /* channel open or opening */
	ST_DONE,        /* channel closed, nothing more to do */
};

enum conn_wait {
	WAIT_NONE = 0,
	WAIT_HOSTKEY, /* SSH_EV_HOSTKEY raised */
	WAIT_AUTH,    /* SSH_EV_AUTH_NEXT raised */
	WAIT_SIGN,    /* SSH_EV_SIGN raised */
	WAIT_PROMPT,  /* SSH_EV_PROMPT raised */
};

enum kex_phase {
	KP_IDLE = 0,  /* no key exchange running */
	KP_INIT,      /* KEXINIT sent and/or received, waiting for the other */
	KP_GEX_GROUP, /* GEX request sent, waiting for the group */
	KP_REPLY,     /* our public value sent, waiting for the reply */
	KP_NEWKEYS,   /* reply verified (and trusted), NEWKEYS sent, waiting for theirs */
};

struct kex_ctx {
	enum kex_phase phase;
	int sent_kexinit, got_kexinit;
	int first;      /* the initial key exchange */
	int strict;     /* strict kex negotiated (Terrapin countermeasure) */
	int skip_guess; /* server's wrong guessed packet to drop */
	int newkeys_sent, newkeys_got;
	struct buf my_kexinit;   /* I_C payload */
	struct buf peer_kexinit; /* I_S payload */
	const struct kex_alg *kalg;
	const struct hostkey_alg *halg;
	const struct cipher_alg *cipher[2]; /* [0] client->server, [1] server->client */
	const struct mac_alg *mac[2];
	struct kex_state *st;
	struct buf client_pub;
	BIGNUM *gex_p, *gex_g;
	uint32_t gex_min, gex_n, gex_max;
	struct buf hostkey_blob; /* K_S of this exchange */
	struct x509_blob x509;   /* hostkey_blob parsed, for an X.509 host-key algorithm */
	struct buf shared;       /* K as mpint (secret) */
	uint8_t h[64];
	size_t hlen;
	uint64_t started_ms;
};

enum chan_kind {
	CHAN_FREE = 0,
	CHAN_SESSION,   /* the session channel (struct ssh_conn's ch, local id 0) */
	CHAN_DIRECT,    /* direct-tcpip: we opened it */
	CHAN_FORWARDED, /* forwarded-tcpip: the server opened it for a granted tcpip-forward */
	CHAN_AGENT,     /* auth-agent@openssh.com: the server opened it (ForwardAgent) */
};

/* One row of the channel table. */
struct chan {
	enum chan_kind kind;
	uint32_t id; /* ours (the index in c->chans) */
	int open_sent, open, eof_sent, eof_got, close_sent, close_got;
	int incoming;      /* forwarded-tcpip raised as SSH_EV_CHAN_INCOMING, not yet answered */
	int eof_wanted;    /* TCP: the caller's EOF, waiting for OPEN_CONFIRMATION */
	int close_wanted;  /* TCP: the caller's close, waiting for OPEN_CONFIRMATION */
	int caller_closed; /* TCP: ssh_conn_chan_close was called */
	int closed_out;    /* TCP: SSH_EV_CHAN_CLOSED was handed out (the data stays readable
	                    * until the caller closes too: then the row is released) */
	int req_pending;   /* exec/shell/subsystem request awaiting reply */
	int pty_pending;   /* pty-req awaiting reply (answered before the start request) */
	int ready;         /* data may be written (session: SESSION_READY raised, or at once without
	                    * a channel for SSH_SESSION_NONE; TCP: open) */
	uint32_t remote_id;
	uint64_t rwin; /* what we may still send */
	uint32_t rmaxpkt;
	uint32_t lwin_max;  /* the window we grant (CHAN_WINDOW or CHAN_TCP_WINDOW) */
	uint32_t lmaxpkt;   /* the largest data packet we accept */
	uint32_t lwin;      /* what the server may still send */
	uint32_t lconsumed; /* consumed by the caller, not yet granted back */
	struct buf out[2];  /* remote stdout, stderr (TCP: out[0] only) */
	int data_event;     /* a CHANNEL_DATA / CHAN_DATA event is pending */
	int has_status, core;
	uint32_t status; /* exit-status as sent */
	char *signal, *sigmsg;
	int exit_raised;
};

/* the request outstanding or last sent (USERAUTH_REQUEST "method" and its variant) */
enum auth_method {
	AUTH_NONE = 0,      /* "none": the first request, to learn the methods */
	AUTH_PUBKEY_QUERY,  /* "publickey" without a signature: is this key acceptable? */
	AUTH_PUBKEY_SIGNED, /* "publickey" with a signature */
	AUTH_PASSWORD,      /* "password" */
	AUTH_KBDINT,        /* "keyboard-interactive" */
};

/* SSH_MSG_DISCONNECT reason codes (RFC 4253 section 11.1) */
enum ssh_disconnect_reason {
	SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT = 1,
	SSH_DISCONNECT_PROTOCOL_ERROR = 2,
	SSH_DISCONNECT_KEY_EXCHANGE_FAILED = 3,
	SSH_DISCONNECT_RESERVED = 4,
	SSH_DISCONNECT_MAC_ERROR = 5,
	SSH_DISCONNECT_COMPRESSION_ERROR = 6,
	SSH_DISCONNECT_SERVICE_NOT_AVAILABLE = 7,
	SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED = 8,
	SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE = 9,
	SSH_DISCONNECT_CONNECTION_LOST = 10,
	SSH_DISCONNECT_BY_APPLICATION = 11,
	SSH_DISCONNECT_TOO_MANY_CONNECTIONS = 12,
	SSH_DISCONNECT_AUTH_CANCELLED_BY_USER = 13,
	SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE = 14,
	SSH_DISCONNECT_ILLEGAL_USER_NAME = 15,
};

struct auth_ctx {
	int service_accepted;
	int none_sent;
	int pending; /* a request is outstanding */
	enum auth_method method;
	struct signer *signer;
	const char *cand[16]; /* candidate algorithms for this signer */
	size_t ncand, icand;
	struct buf blob;     /* key blob for the current candidate */
	struct buf signdata; /* data to be signed */
	char *methods;       /* last "can continue" list */
	int partial;
	int banner_count;
	size_t banner_bytes;   /* banner text shown so far */
	int banner_open_line;  /* the last banner shown did not end its line */
	int banner_suppressed; /* the "suppressed" line went out: no more banners */
	int done;
	/* keyboard-interactive round */
	char *kb_name, *kb_instr;
	char *kb_prompts[AUTH_MAX_PROMPTS];
	int kb_echo[AUTH_MAX_PROMPTS];
	size_t kb_n;
	int kb_rounds;
};

/* a global request that wants a reply (replies come in the order the requests went out) */
enum greq_kind {
	GREQ_KEEPALIVE = 0,
	GREQ_FORWARD, /* tcpip-forward */
	GREQ_CANCEL,  /* cancel-tcpip-forward */
};

struct greq {
	enum greq_kind kind;
	uint32_t req; /* what the caller got in *req */
	char *addr;   /* forward/cancel: the address and port asked for */
	uint32_t port;
};

/* a granted tcpip-forward: the server may open forwarded-tcpip channels for it */
struct fwd {
	char *addr;
	uint32_t port; /* as allocated (never 0) */
};

struct ev_slot {
	struct ssh_event ev;
	char *owned[2];
};

struct ssh_conn {
	struct ssh_conn_config cfg; /* its strings are owned copies (cfg_string_rows in conn.c) */
	char **env;
	int err;
	char errmsg[1024];
	enum conn_state state;
	enum conn_wait wait;
	struct buf in, out;
	struct pkt_dir rx, tx;
	size_t prebanner;
	char *server_version;
	unsigned compat; /* COMPAT_* quirks of the server (compat.h), set with server_version */
	char client_version[64];
	struct kex_ctx kex;
	uint8_t session_id[64];
	size_t sid_len;
	struct buf first_hostkey;    /* K_S of the first exchange: rekeys must present the same */
	struct x509_blob first_x509; /* first_hostkey parsed (X.509 host keys): rekeys compare it */
	struct buf first_sig;        /* the server's signature over H of the first exchange */
	char *hostkey_fp;            /* fingerprint of first_hostkey (SSH_EV_HOSTKEY) */
	char *server_sig_algs;
	uint64_t now_ms, last_kex_ms;
	int rekey_wanted;
	struct buf held; /* payloads held back during a rekey (string-framed) */
	struct auth_ctx auth;
	struct chan ch;                            /* the session channel (chans[0] once opened) */
	struct chan *chans[CONN_CHAN_SLOTS];       /* the table, by local id (NULL: free) */
	size_t nchans;                             /* TCP/IP rows in use */
	struct greq greq[CONN_MAX_GLOBAL_PENDING]; /* FIFO of requests awaiting a reply */
	size_t greq_head, greq_count;
	uint32_t greq_next; /* the next *req handed out */
	struct fwd fwds[CONN_MAX_FORWARDS];
	size_t nfwds;
	struct ev_slot evq[CONN_MAX_EVENTS];
	size_t ev_head, ev_count;
	char *ev_owned_cur[2]; /* strings of the event last handed out */
	int in_process;
	int keepalive_pending; /* keepalive requests without a reply */
	size_t reply_pending;  /* wire bytes of packets the engine made itself (replies, requests:
	                        * everything but stdin data) not yet consumed; a lower bound, as any
	                        * consumed byte counts against it */
	int agent_asked;       /* auth-agent-req@openssh.com went out: agent channels welcome */
	uint64_t heard;        /* proofs of life: version line + packets other than IGNORE/DEBUG */
};

/* conn.c */
int conn_fail(struct ssh_conn *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conn_log(struct ssh_conn *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int conn_event(struct ssh_conn *c, const struct ssh_event *ev, char *own1, char *own2);
int conn_process(struct ssh_conn *c);
/* transport.c */
int transport_send(struct ssh_conn *c, const struct buf *payload); /* holds non-kex msgs in kex */
int transport_send_now(struct ssh_conn *c, const struct buf *payload);
int transport_flush_held(struct ssh_conn *c);
int transport_version(struct ssh_conn *c); /* parse the server's identification */
int transport_dispatch(struct ssh_conn *c, uint8_t type, struct rd *msg);
void transport_disconnect(struct ssh_conn *c, enum ssh_disconnect_reason reason, const char *text);
char *sanitize_text(const uint8_t *p, size_t n, int allow_newlines);
/* kexinit.c: negotiation */
int kex_start(struct ssh_conn *c); /* send our KEXINIT (once per exchange) */
int kex_maybe_rekey(struct ssh_conn *c);
int kex_recv_kexinit(struct ssh_conn *c, struct rd *msg); /* then kex_exchange_begin */
/* kex.c: the exchange */
int kex_exchange_begin(struct ssh_conn *c); /* algorithms chosen: GEX request or our public value */
int kex_handle(struct ssh_conn *c, uint8_t type, struct rd *msg);
int kex_hostkey_answer(struct ssh_conn *c, int trusted);
void kex_ctx_free(struct kex_ctx *k);
/* userauth.c */
int userauth_start(struct ssh_conn *c);
int userauth_handle(struct ssh_conn *c, uint8_t type, struct rd *msg);
void auth_ctx_free(struct auth_ctx *a);
/* channel.c: the table, windows, data, dispatch */
int channel_handle(struct ssh_conn *c, uint8_t type, struct rd *msg);
void chan_free(struct chan *ch);
void channel_table_free(struct ssh_conn *c);
void chan_init(
    struct chan *ch, enum chan_kind kind, uint32_t id, uint32_t lwin_max, uint32_t lmaxpkt);
struct chan *chan_alloc(struct ssh_conn *c, enum chan_kind kind); /* NULL: cap or memory */
void chan_release(struct ssh_conn *c, uint32_t id);
struct chan *chan_tcp(struct ssh_conn *c, uint32_t id); /* NULL + sticky INTERNAL if none */
int chan_send_simple(struct ssh_conn *c, struct chan *ch, uint8_t type); /* EOF, CLOSE, ... */
int chan_send_close(struct ssh_conn *c, struct chan *ch);
int chan_send_eof(struct ssh_conn *c, struct chan *ch);
size_t chan_room(struct ssh_conn *c, const struct chan *ch);
int chan_write(struct ssh_conn *c, struct chan *ch, const uint8_t *data, size_t len);
int chan_consumed(struct ssh_conn *c, struct chan *ch, int ext, size_t n);
int chan_event(struct ssh_conn *c, struct chan *ch, enum ssh_event_type type);
const char *chan_open_failure_reason(uint32_t code); /* RFC 4254 section 5.1 */
void chan_event_handed_out(struct ssh_conn *c, const struct ssh_event *ev);
/* chan_session.c */
int channel_open(struct ssh_conn *c);
int session_handle(struct ssh_conn *c, struct chan *ch, uint8_t type, struct rd *msg);
int session_recv_request(struct ssh_conn *c, struct chan *ch, const uint8_t *t, size_t tn,
    int want_reply, struct rd *msg);
int session_closed(struct ssh_conn *c);
/* chan_tcpip.c */
int tcpip_recv_open(struct ssh_conn *c, struct rd *msg);
int tcpip_handle(struct ssh_conn *c, struct chan *ch, uint8_t type, struct rd *msg);
int global_reply(struct ssh_conn *c, uint8_t type, struct rd *msg);
int global_unimplemented(struct ssh_conn *c);
int global_push(
    struct ssh_conn *c, enum greq_kind kind, const char *addr, uint32_t port, uint32_t *req);
void global_free(struct ssh_conn *c);

#endif
