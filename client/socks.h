/*
 * The server side of SOCKS4, SOCKS4a and SOCKS5 (RFC 1928), CONNECT only, as an I/O-free codec:
 * the caller feeds the bytes a local client sent (-D: the accepted TCP socket; -R port: the data
 * of a forwarded-tcpip channel), sends back what socks_out gives, and once a request is complete
 * opens the target (a direct-tcpip channel, or a local connection for -R) and answers with
 * socks_reply. Only "no authentication" is accepted in SOCKS5; BIND and UDP ASSOCIATE are
 * refused ("command not supported"). The codec holds no pointer and allocates nothing: embed it.
 *
 *   socks_init(&s);
 *   loop: r = socks_feed(&s, in, len, &used);  in += used; len -= used;
 *         send socks_out() (always, whatever r is), then socks_out_consumed();
 *         r == SOCKS_MORE or SOCKS_REPLY_PENDING: read more (or feed the rest)
 *         r == SOCKS_REQUEST: open socks_host():socks_port(); keep in[0..len) (pipelined data)
 *         r < 0: send the failure reply if any, then close (socks_error says why)
 *   later: socks_reply(&s, 1, 0) or socks_reply(&s, 0, SOCKS_REP_REFUSED), send socks_out().
 */
#ifndef X509SSH_SOCKS_H
#define X509SSH_SOCKS_H

#include <stddef.h>
#include <stdint.h>

/* the caps on the client's fields */
#define SOCKS_HOST_MAX    255  /* a host name (SOCKS5 domain, SOCKS4a name), without its NUL */
#define SOCKS4_USERID_MAX 1024 /* a SOCKS4 user id (read and ignored), without its NUL */

/* what socks_feed returns (a negative value is an error, below) */
enum socks_status {
	SOCKS_MORE = 0,          /* every byte given was taken; more are needed */
	SOCKS_REPLY_PENDING = 1, /* the SOCKS5 method selection is in socks_out: send it, then
	                          * feed the rest (the client may not send more before it) */
	SOCKS_REQUEST = 2,       /* a CONNECT is complete: socks_host, socks_port, socks_version */
};

/* the errors (sticky: later calls of socks_feed return the same one) */
enum socks_err {
	SOCKS_ERR_VERSION = -1,   /* the first byte is neither 4 nor 5: no reply */
	SOCKS_ERR_AUTH = -2,      /* SOCKS5 without the "no authentication" method: 05 FF sent */
	SOCKS_ERR_COMMAND = -3,   /* not CONNECT (BIND, UDP ASSOCIATE, ...): refusal in out */
	SOCKS_ERR_ADDRTYPE = -4,  /* SOCKS5 address type other than IPv4, domain, IPv6 */
	SOCKS_ERR_MALFORMED = -5, /* a field the protocol does not allow (version, reserved, ...) */
	SOCKS_ERR_TOO_LONG = -6,  /* user id or host name over its cap */
	SOCKS_ERR_HOSTNAME = -7,  /* a host name that is empty or holds NUL / non-printable bytes */
	SOCKS_ERR_STATE = -8,     /* socks_reply without a request or twice (the caller's bug) */
};

/* SOCKS5 reply codes (RFC 1928 section 6); a SOCKS4 client gets 0x5A for OK, 0x5B otherwise */
enum socks_rep {
	SOCKS_REP_OK = 0x00,
	SOCKS_REP_FAILURE = 0x01,      /* general SOCKS server failure */
	SOCKS_REP_NOT_ALLOWED = 0x02,  /* connection not allowed by ruleset */
	SOCKS_REP_NET_UNREACH = 0x03,  /* network unreachable */
	SOCKS_REP_HOST_UNREACH = 0x04, /* host unreachable */
	SOCKS_REP_REFUSED = 0x05,      /* connection refused */
	SOCKS_REP_TTL = 0x06,          /* TTL expired */
	SOCKS_REP_COMMAND = 0x07,      /* command not supported */
	SOCKS_REP_ADDRTYPE = 0x08,     /* address type not supported */
};

/* the longest reply the codec queues: a method selection (2) and a reply (10) */
#define SOCKS_OUT_MAX 16
#define SOCKS_BUF_MAX (SOCKS_HOST_MAX + 2) /* a SOCKS5 domain with its port */

struct socks {
	int stage;                  /* where the parser is (socks.c's stage table) */
	int version;                /* 4 or 5 once the first byte is read, else 0 */
	int socks4a;                /* SOCKS4 with 0.0.0.x: a host name follows the user id */
	int replied;                /* socks_reply was called */
	int err;                    /* the sticky error, or 0 */
	uint8_t cmd;                /* the command byte of the request */
	uint8_t atyp;               /* SOCKS5 address type */
	int family;                 /* SOCKS5: AF_INET, AF_INET6, or 0 for a host name */
	uint16_t port;              /* the target port */
	size_t need, have;          /* a fixed-length field: bytes wanted, bytes in buf */
	size_t skipped;             /* a NUL-terminated field that is not kept: its length */
	uint8_t buf[SOCKS_BUF_MAX]; /* the field being read */
	char host[SOCKS_HOST_MAX + 1];
	uint8_t out[SOCKS_OUT_MAX]; /* bytes to send back to the client */
	size_t out_len;
	char why[160]; /* the error's cause, one line */
};

void socks_init(struct socks *s);

/*
 * Take bytes from in[0..len): *used says how many were taken; the parser stops right after a
 * finished step (method selection, request, error), so bytes that follow a request (data the
 * client sends without waiting for the reply) stay in the caller's hands. Returns a
 * socks_status or a socks_err. After SOCKS_REQUEST it takes nothing and returns SOCKS_REQUEST.
 */
int socks_feed(struct socks *s, const uint8_t *in, size_t len, size_t *used);

/* The bytes waiting to be sent to the client (method selection, failure or final reply), and
 * how many of them were sent. */
const uint8_t *socks_out(const struct socks *s, size_t *len);
void socks_out_consumed(struct socks *s, size_t n);

/* The request (after SOCKS_REQUEST): the target host as direct-tcpip wants it (a name, a dotted
 * quad, or RFC 5952 IPv6 text without brackets), its port, and 4 or 5. */
const char *socks_host(const struct socks *s);
uint16_t socks_port(const struct socks *s);
int socks_version(const struct socks *s);

/*
 * Answer the request: ok, or a failure with a reason (a SOCKS5 code; SOCKS4 has just one).
 * The reply, with a bound address of 0.0.0.0:0 as OpenSSH sends, is queued in socks_out.
 * Returns 0, or SOCKS_ERR_STATE before a request or when already answered.
 */
int socks_reply(struct socks *s, int ok, enum socks_rep why);

/* The reply code for a refused direct-tcpip open (RFC 4254 reason code: 1 -> not allowed,
 * 2 "connect failed" -> connection refused, others -> general failure) and for a failed local
 * connect of -R port (errno), for socks_reply; a name that does not resolve locally is
 * SOCKS_REP_HOST_UNREACH. */
enum socks_rep socks_rep_from_open_failure(uint32_t reason);
enum socks_rep socks_rep_from_errno(int err);

/* One line saying why socks_feed failed ("" when it did not). */
const char *socks_error(const struct socks *s);

#endif
