/*
 * An in-memory SSH server for tests and fuzz targets, built from the engine's own primitives
 * (kexalg, packet, hostkey): it talks to one client engine (struct ssh_conn) over byte buffers.
 *
 * It offers exactly one of each algorithm: curve25519-sha256 (with kex-strict-s-v00), ssh-ed25519
 * (or the one host-key algorithm set with testsrv_set_hostkey, with the K_S given there: an RFC
 * 6187 blob, say) and aes128-gcm@openssh.com, so a client configured with those lists negotiates
 * them. The
 * server's half of a key exchange is complete (exchange hash, Ed25519 signature, key derivation,
 * strict-kex sequence numbers), for the first exchange and for rekeys alike.
 *
 * Nothing here reports through t.h: every function returns 0 / 1 / a packet type, or a negative
 * value on failure, so that unit tests and libFuzzer targets can both use it.
 *
 *   struct testsrv s;
 *   testsrv_init(&s, NULL, NULL);            a fresh Ed25519 host key, the default version line
 *   ssh_conn_new(&cfg, &s.c);                the client it talks to (s owns it from now on)
 *   testsrv_handshake(&s);                   version lines, KEXINIT, ECDH, HOSTKEY answered yes,
 *                                            NEWKEYS both ways: the client's SERVICE_REQUEST is
 *                                            then in s.p
 *   ... testsrv_send(&s, &payload) / testsrv_next_type(&s) ...
 *   testsrv_free(&s);
 */
#ifndef X509SSH_TESTSRV_H
#define X509SSH_TESTSRV_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "conn.h"
#include "kexalg.h"
#include "packet.h"

#define TESTSRV_VERSION "SSH-2.0-TestServer_1"

/* flags of testsrv_send_flags / testsrv_kex */
#define TESTSRV_CORRUPT_MAC 1 /* flip the last bit of the packet on the wire */
#define TESTSRV_FORGE_SIG   2 /* testsrv_kex: a host-key signature that does not verify */
#define TESTSRV_SHORT_QS    4 /* testsrv_kex: our public value (Q_S) one byte short */

/* the server's side of channels (testsrv_serve): direct-tcpip echo, forwarded-tcpip opens,
 * tcpip-forward */
#define TESTSRV_CHAN_BASE 100 /* ids we give to channels the client opens, or we open */
#define TESTSRV_MAX_CHANS                                                                          \
	1200                  /* channel slots (ids below TESTSRV_CHAN_BASE: testsrv_chan_bind)    \
	                       */
#define TESTSRV_REFUSE_PORT 1 /* direct-tcpip to it and tcpip-forward of it are refused */
#define TESTSRV_ALLOC_PORT  40000          /* the first port a tcpip-forward of port 0 gets */
#define TESTSRV_WINDOW      (1024u * 1024) /* our window for the client; granted back at once */

struct testsrv_chan {
	int used, open, echo;
	int eof_got, close_got, close_sent;
	int refused;        /* the client refused our open (reason in reason) */
	uint32_t reason;    /* ... */
	uint32_t cid;       /* the client's id */
	uint64_t cwin;      /* the client's window: what we may still send */
	uint32_t cmax;      /* the client's maximum packet */
	struct buf pending; /* bytes for the client waiting for its window */
	struct buf got;     /* bytes the client sent (unless echo) */
	size_t ngot;        /* how many, echo or not */
};

struct testsrv {
	struct ssh_conn *c; /* the client (owned: freed by testsrv_free) */
	const char *v_s;    /* our identification line (without CR LF), borrowed */
	struct pkt_dir rx, tx;
	struct buf in; /* client bytes not yet parsed */
	char v_c[256];
	int have_version;
	struct buf i_c; /* the client's last KEXINIT payload */
	struct buf i_s; /* our last KEXINIT payload (the one in the exchange hash) */
	EVP_PKEY *hostkey;
	const char *hk_name; /* the host-key algorithm offered and signed with (borrowed) */
	const struct kex_alg *kalg;
	struct buf shared; /* K of the last exchange (secret) */
	uint8_t h[64];
	size_t hlen;
	uint8_t sid[64];
	size_t sidlen;
	struct buf hostkey_blob;         /* K_S as sent */
	struct buf p;                    /* scratch: the last payload received from the client */
	struct testsrv_chan *chans;      /* TESTSRV_MAX_CHANS slots, allocated on first use */
	uint32_t next_port;              /* the next port a tcpip-forward of port 0 gets */
	unsigned global_ok, global_fail; /* global replies we sent */
	/* fuzzing the client's reply parsing: testsrv_kex_answer XORs these bytes onto its
	 * ECDH_REPLY payload after the type byte (from the start, as far as both go) and, when
	 * reply_cut is non-zero, sends only that many payload bytes after the type byte */
	const uint8_t *reply_xor;
	size_t reply_xor_len, reply_cut;
};

/*
 * Set up a server. hostkey: an Ed25519 private key to use (a reference is taken), or NULL for a
 * fresh random one. v_s: our identification line, or NULL for TESTSRV_VERSION. s->c is NULL until
 * the caller creates the client. Returns 0 or -1 (s must be freed with testsrv_free either way).
 */
int testsrv_init(struct testsrv *s, EVP_PKEY *hostkey, const char *v_s);
void testsrv_free(struct testsrv *s);

/* An Ed25519 key from a 32-byte seed (deterministic host or user keys); NULL on failure. */
EVP_PKEY *testsrv_ed25519(const uint8_t seed[32]);

/*
 * Serve another host key: key (a reference is taken; NULL keeps the current one) under the
 * host-key algorithm hk_name (a row name such as "x509v3-ecdsa-sha2-nistp256", borrowed; NULL
 * keeps the current one), sent as K_S = ks (kslen bytes; NULL: the plain blob of key). Takes
 * effect at the next key exchange. Returns 0 or -1.
 */
int testsrv_set_hostkey(
    struct testsrv *s, EVP_PKEY *key, const char *hk_name, const uint8_t *ks, size_t kslen);

/* Offer and run the key exchange `name` (a kexalg row: "mlkem768x25519-sha256" makes us the
 * hybrid's server, encapsulating to the client's KEM key) from the next exchange on; 0 or -1. */
int testsrv_set_kex(struct testsrv *s, const char *name);

/* Our standard KEXINIT payload (reset first), offering curve25519-sha256 and ssh-ed25519. */
void testsrv_kexinit_payload(struct buf *p);
/* The KEXINIT payload of this server (reset first), offering s->hk_name. */
void testsrv_kexinit_offer(const struct testsrv *s, struct buf *p);

/* Seal one payload under the current server->client keys and append the wire bytes to wire. */
int testsrv_seal(struct testsrv *s, const uint8_t *payload, size_t len, struct buf *wire);
/* Seal one payload and give it to the client (ssh_conn_recv; the client's own result is not
 * ours to judge). flags: TESTSRV_CORRUPT_MAC. */
int testsrv_send_flags(struct testsrv *s, const struct buf *payload, int flags);
int testsrv_send(struct testsrv *s, const struct buf *payload);
/* Our identification line, CR LF. */
int testsrv_send_version(struct testsrv *s);

/* Move the client's pending output into our input (and take its version line off the front). */
void testsrv_pump(struct testsrv *s);
/* The next whole client packet from our input into out: 1, 0 when none is complete, -1 when
 * the client's bytes do not open (a bug on one side). */
int testsrv_recv(struct testsrv *s, struct buf *out);
/* pump, then the type of the client's next packet (its payload left in s->p), or -1 */
int testsrv_next_type(struct testsrv *s);

/*
 * The server's half of a key exchange whose client KEXINIT is in s->i_c and whose server KEXINIT
 * (already sent) is in s->i_s: read the client's ECDH_INIT, send ECDH_REPLY (signature forged
 * with TESTSRV_FORGE_SIG) and NEWKEYS, and switch our sending keys. The first exchange sets the
 * session id. Returns 0 or -1.
 */
int testsrv_kex_reply(struct testsrv *s, int flags);
/* The same for an ECDH_INIT payload already read into s->p. */
int testsrv_kex_answer(struct testsrv *s, int flags);
/* Install the client->server keys after the client's NEWKEYS (and reset the sequence number:
 * strict kex). */
int testsrv_install_rx(struct testsrv *s);
/* After testsrv_kex_reply and the client's answer: its NEWKEYS (read), then its new keys. */
int testsrv_newkeys(struct testsrv *s);
/* A server-initiated or client-initiated rekey: our KEXINIT unless sent already (sent_kexinit),
 * the client's KEXINIT and ECDH_INIT read, reply and NEWKEYS; the client's NEWKEYS read. */
int testsrv_rekey(struct testsrv *s, int sent_kexinit);

/*
 * The whole start of a connection: both version lines, KEXINITs, the key exchange, the client's
 * SSH_EV_HOSTKEY answered "trusted" (other events before it are dropped), NEWKEYS both ways.
 * On success the client's next packet (SERVICE_REQUEST) has been read into s->p.
 * flags: TESTSRV_FORGE_SIG (then it fails after sending NEWKEYS, with the client's error set).
 */
int testsrv_handshake(struct testsrv *s, int flags);
/* The same, keeping the SSH_EV_HOSTKEY view in *hk (valid as long as the client is). */
int testsrv_handshake_view(struct testsrv *s, int flags, struct ssh_hostkey_view *hk);

/* Drop client events until one of type want: 1 (ev filled) or 0 (none queued). */
int testsrv_next_event(struct ssh_conn *c, enum ssh_event_type want, struct ssh_event *ev);

/*
 * Serve channels: read every packet the client sent and answer as a server would. CHANNEL_OPEN
 * "direct-tcpip": confirmed (a TESTSRV_CHAN_BASE id, our window TESTSRV_WINDOW) and echoed, or
 * refused ("connect failed") for port TESTSRV_REFUSE_PORT; data on an echo channel goes back
 * within the client's window, the rest of it when the client grants more; the client's EOF on an
 * echo channel is answered with EOF and CLOSE once all was echoed; CLOSE with CLOSE. Our
 * window is granted back as data arrives. GLOBAL_REQUEST: tcpip-forward granted (port 0: the next
 * port from TESTSRV_ALLOC_PORT) unless its port is TESTSRV_REFUSE_PORT, cancel-tcpip-forward
 * granted, anything else (keepalives) refused. Other packets are read and ignored; a KEXINIT is
 * an error. Returns the number of packets read, or -1.
 */
int testsrv_serve(struct testsrv *s);
/* A channel slot (sid < TESTSRV_MAX_CHANS) or NULL. */
struct testsrv_chan *testsrv_chan(struct testsrv *s, uint32_t sid);
/* Serve a channel the test opened by hand (the session): our id sid, the client's cid, its
 * window and maximum packet; echo: what the client sends comes back as CHANNEL_DATA. */
int testsrv_chan_bind(
    struct testsrv *s, uint32_t sid, uint32_t cid, uint64_t cwin, uint32_t cmax, int echo);
/* Open a forwarded-tcpip channel to the client (an echo channel once it is confirmed); *sid
 * names it. */
int testsrv_open_forwarded(struct testsrv *s, const char *addr, uint32_t port, const char *orig,
    uint32_t oport, uint32_t *sid);
/* Open an auth-agent@openssh.com channel to the client (what the client sends is kept in got);
 * *sid names it. */
int testsrv_open_agent(struct testsrv *s, uint32_t *sid);
/* Send bytes on a channel (within the client's window; the rest waits for its adjustments). */
int testsrv_chan_send(struct testsrv *s, uint32_t sid, const uint8_t *d, size_t n);

#endif
