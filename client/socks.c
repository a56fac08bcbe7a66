/* SOCKS4 / SOCKS4a / SOCKS5 server codec (CONNECT only): a table of parser stages, no I/O. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "socks.h"

#define SOCKS_CMD_CONNECT 0x01
#define SOCKS5_NO_AUTH    0x00
#define SOCKS5_NO_METHOD  0xff
#define SOCKS4_GRANTED    0x5a
#define SOCKS4_REJECTED   0x5b
#define NO_REPLY          (-1)

enum stage {
	ST_VERSION,     /* 1 byte: 4 or 5 */
	ST_S4_HEAD,     /* 7 bytes: command, port, IPv4 address */
	ST_S4_USER,     /* the user id up to its NUL (not kept) */
	ST_S4_HOST,     /* SOCKS4a: the host name up to its NUL */
	ST_S5_NMETHODS, /* 1 byte */
	ST_S5_METHODS,  /* that many bytes */
	ST_S5_HEAD,     /* 4 bytes: version, command, reserved, address type */
	ST_S5_NAMELEN,  /* 1 byte: the domain name's length */
	ST_S5_ADDR,     /* the address (4, 16 or the name's length) and the port (2) */
	ST_DONE,        /* a request was returned */
};

static int on_version(struct socks *s);
static int on_s4_head(struct socks *s);
static int on_s4_user(struct socks *s);
static int on_s4_host(struct socks *s);
static int on_nmethods(struct socks *s);
static int on_methods(struct socks *s);
static int on_s5_head(struct socks *s);
static int on_namelen(struct socks *s);
static int on_s5_addr(struct socks *s);

/* A stage reads a fixed number of bytes (s->need) or, when cap is set, a NUL-terminated string
 * of at most cap bytes (kept in buf when keep is set); then done decides what comes next. */
static const struct stage_row {
	int (*done)(struct socks *s);
	size_t cap;
	int keep;
	const char *field; /* for the too-long message */
} stages[] = {
    [ST_VERSION] = {.done = on_version},
    [ST_S4_HEAD] = {.done = on_s4_head},
    [ST_S4_USER] = {.done = on_s4_user, .cap = SOCKS4_USERID_MAX, .field = "user id"},
    [ST_S4_HOST] = {.done = on_s4_host, .cap = SOCKS_HOST_MAX, .keep = 1, .field = "host name"},
    [ST_S5_NMETHODS] = {.done = on_nmethods},
    [ST_S5_METHODS] = {.done = on_methods},
    [ST_S5_HEAD] = {.done = on_s5_head},
    [ST_S5_NAMELEN] = {.done = on_namelen},
    [ST_S5_ADDR] = {.done = on_s5_addr},
};

static void enter(struct socks *s, int stage, size_t need)
{
	s->stage = stage;
	s->need = need;
	s->have = 0;
	s->skipped = 0;
}

static void queue(struct socks *s, const uint8_t *b, size_t n)
{
	if (n <= sizeof(s->out) - s->out_len) {
		memcpy(s->out + s->out_len, b, n);
		s->out_len += n;
	}
}

/* the reply to a request in the client's version, bound address 0.0.0.0:0 */
static void queue_reply(struct socks *s, uint8_t rep)
{
	uint8_t r4[8] = {0x00, rep == SOCKS_REP_OK ? SOCKS4_GRANTED : SOCKS4_REJECTED};
	uint8_t r5[10] = {0x05, rep, 0x00, 0x01};

	if (s->version == 4) {
		queue(s, r4, sizeof(r4));
	} else if (s->version == 5) {
		queue(s, r5, sizeof(r5));
	}
}

/* the sticky error err with its cause; rep: the failure reply to queue, or NO_REPLY */
__attribute__((format(printf, 4, 5))) static int fail(
    struct socks *s, int err, int rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	if (rep != NO_REPLY) {
		queue_reply(s, (uint8_t)rep);
	}
	s->err = err;
	return err;
}

static const struct {
	uint8_t code;
	const char *name;
} commands[] = {
    {0x01, "CONNECT"},
    {0x02, "BIND"},
    {0x03, "UDP ASSOCIATE"},
};

static const char *command_name(uint8_t code)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].code == code) {
			return commands[i].name;
		}
	}
	return "unknown";
}

/* the whole request is read (nothing of it is left unread when the client is refused) */
static int finish(struct socks *s)
{
	if (s->cmd != SOCKS_CMD_CONNECT) {
		return fail(s, SOCKS_ERR_COMMAND, SOCKS_REP_COMMAND,
		    "SOCKS%d command %u (%s) refused: only CONNECT is supported", s->version,
		    s->cmd, command_name(s->cmd));
	}
	s->stage = ST_DONE;
	return SOCKS_REQUEST;
}

/* a host name of n bytes into s->host: graphic ASCII only (no NUL, space or control byte) */
static int take_name(struct socks *s, const uint8_t *name, size_t n)
{
	size_t i;

	if (n == 0) {
		return fail(s, SOCKS_ERR_HOSTNAME, SOCKS_REP_FAILURE, "SOCKS%d empty host name",
		    s->version);
	}
	for (i = 0; i < n; i++) {
		if (name[i] <= 0x20 || name[i] >= 0x7f) {
			return fail(s, SOCKS_ERR_HOSTNAME, SOCKS_REP_FAILURE,
			    "SOCKS%d host name with byte 0x%02x at offset %zu (only printable "
			    "ASCII is accepted)",
			    s->version, name[i], i);
		}
	}
	memcpy(s->host, name, n);
	s->host[n] = '\0';
	return SOCKS_MORE;
}

static int take_addr(struct socks *s, int family, const uint8_t *addr)
{
	if (inet_ntop(family, addr, s->host, sizeof(s->host)) == NULL) {
		return fail(s, SOCKS_ERR_MALFORMED, SOCKS_REP_FAILURE,
		    "SOCKS%d address cannot be formatted", s->version);
	}
	return SOCKS_MORE;
}

static const struct {
	uint8_t version;
	int stage;
	size_t need;
} versions[] = {
    {4, ST_S4_HEAD, 7},
    {5, ST_S5_NMETHODS, 1},
};

static int on_version(struct socks *s)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (versions[i].version == s->buf[0]) {
			s->version = s->buf[0];
			enter(s, versions[i].stage, versions[i].need);
			return SOCKS_MORE;
		}
	}
	return fail(s, SOCKS_ERR_VERSION, NO_REPLY,
	    "not a SOCKS4 or SOCKS5 request (first byte 0x%02x)", s->buf[0]);
}

static int on_s4_head(struct socks *s)
{
	const uint8_t *ip = s->buf + 3;
	int r;

	s->cmd = s->buf[0];
	s->port = (uint16_t)(s->buf[1] << 8 | s->buf[2]);
	/* SOCKS4a: 0.0.0.x with x != 0 says that a host name follows the user id */
	s->socks4a = ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0;
	if (!s->socks4a && (r = take_addr(s, AF_INET, ip)) < 0) {
		return r;
	}
	enter(s, ST_S4_USER, 0);
	return SOCKS_MORE;
}

static int on_s4_user(struct socks *s)
{
	if (s->socks4a) {
		enter(s, ST_S4_HOST, 0);
		return SOCKS_MORE;
	}
	return finish(s);
}

static int on_s4_host(struct socks *s)
{
	int r = take_name(s, s->buf, s->have);

	return r < 0 ? r : finish(s);
}

static int on_nmethods(struct socks *s)
{
	static const uint8_t refuse[2] = {0x05, SOCKS5_NO_METHOD};

	if (s->buf[0] == 0) {
		queue(s, refuse, sizeof(refuse));
		return fail(s, SOCKS_ERR_AUTH, NO_REPLY, "SOCKS5 client offers no method");
	}
	enter(s, ST_S5_METHODS, s->buf[0]);
	return SOCKS_MORE;
}

static int on_methods(struct socks *s)
{
	static const uint8_t accept[2] = {0x05, SOCKS5_NO_AUTH};
	static const uint8_t refuse[2] = {0x05, SOCKS5_NO_METHOD};

	if (memchr(s->buf, SOCKS5_NO_AUTH, s->have) == NULL) {
		queue(s, refuse, sizeof(refuse));
		return fail(s, SOCKS_ERR_AUTH, NO_REPLY,
		    "SOCKS5 client does not offer \"no authentication\", the only method served");
	}
	queue(s, accept, sizeof(accept));
	enter(s, ST_S5_HEAD, 4);
	return SOCKS_REPLY_PENDING;
}

/* SOCKS5 address types: how many bytes follow (the port included; 0 = a length byte first)
 * and the address family (0 = a host name) */
static const struct {
	uint8_t atyp;
	size_t need;
	int family;
} addr_types[] = {
    {0x01, 4 + 2, AF_INET},
    {0x03, 0, 0},
    {0x04, 16 + 2, AF_INET6},
};

static int on_s5_head(struct socks *s)
{
	size_t i;

	if (s->buf[0] != 0x05 || s->buf[2] != 0x00) {
		return fail(s, SOCKS_ERR_MALFORMED, SOCKS_REP_FAILURE,
		    "SOCKS5 request with version 0x%02x and reserved byte 0x%02x (want 05 and 00)",
		    s->buf[0], s->buf[2]);
	}
	s->cmd = s->buf[1];
	s->atyp = s->buf[3];
	for (i = 0; i < sizeof(addr_types) / sizeof(addr_types[0]); i++) {
		if (addr_types[i].atyp == s->atyp) {
			s->family = addr_types[i].family;
			if (addr_types[i].need == 0) {
				enter(s, ST_S5_NAMELEN, 1);
			} else {
				enter(s, ST_S5_ADDR, addr_types[i].need);
			}
			return SOCKS_MORE;
		}
	}
	return fail(s, SOCKS_ERR_ADDRTYPE, SOCKS_REP_ADDRTYPE,
	    "SOCKS5 address type 0x%02x is not supported", s->atyp);
}

static int on_namelen(struct socks *s)
{
	if (s->buf[0] == 0) {
		return fail(s, SOCKS_ERR_HOSTNAME, SOCKS_REP_FAILURE, "SOCKS5 empty host name");
	}
	enter(s, ST_S5_ADDR, (size_t)s->buf[0] + 2);
	return SOCKS_MORE;
}

static int on_s5_addr(struct socks *s)
{
	size_t n = s->have - 2;
	int r;

	s->port = (uint16_t)(s->buf[n] << 8 | s->buf[n + 1]);
	r = s->family != 0 ? take_addr(s, s->family, s->buf) : take_name(s, s->buf, n);
	return r < 0 ? r : finish(s);
}

void socks_init(struct socks *s)
{
	memset(s, 0, sizeof(*s));
	enter(s, ST_VERSION, 1);
}

/* one byte of a NUL-terminated field: SOCKS_MORE while it goes on, else the stage's verdict */
static int string_byte(struct socks *s, const struct stage_row *st, uint8_t b)
{
	size_t n = st->keep ? s->have : s->skipped;

	if (b == 0) {
		return st->done(s);
	}
	if (n >= st->cap) {
		return fail(s, SOCKS_ERR_TOO_LONG, SOCKS_REP_FAILURE,
		    "SOCKS%d %s longer than %zu bytes", s->version, st->field, st->cap);
	}
	if (st->keep) {
		s->buf[s->have++] = b;
	} else {
		s->skipped++;
	}
	return SOCKS_MORE;
}

int socks_feed(struct socks *s, const uint8_t *in, size_t len, size_t *used)
{
	size_t i = 0, n;
	int r = SOCKS_MORE;

	*used = 0;
	if (s->err != 0) {
		return s->err;
	}
	if (s->stage == ST_DONE) {
		return SOCKS_REQUEST;
	}
	while (i < len && r == SOCKS_MORE) {
		const struct stage_row *st = &stages[s->stage];

		if (st->cap != 0) {
			r = string_byte(s, st, in[i++]);
			continue;
		}
		n = s->need - s->have;
		if (n > len - i) {
			n = len - i;
		}
		memcpy(s->buf + s->have, in + i, n);
		s->have += n;
		i += n;
		if (s->have == s->need) {
			r = st->done(s);
		}
	}
	*used = i;
	return r;
}

const uint8_t *socks_out(const struct socks *s, size_t *len)
{
	*len = s->out_len;
	return s->out;
}

void socks_out_consumed(struct socks *s, size_t n)
{
	if (n >= s->out_len) {
		s->out_len = 0;
		return;
	}
	memmove(s->out, s->out + n, s->out_len - n);
	s->out_len -= n;
}

const char *socks_host(const struct socks *s)
{
	return s->host;
}

uint16_t socks_port(const struct socks *s)
{
	return s->port;
}

int socks_version(const struct socks *s)
{
	return s->version;
}

int socks_reply(struct socks *s, int ok, enum socks_rep why)
{
	if (s->stage != ST_DONE || s->err != 0 || s->replied) {
		return SOCKS_ERR_STATE;
	}
	s->replied = 1;
	if (ok) {
		queue_reply(s, SOCKS_REP_OK);
	} else {
		queue_reply(s, why == SOCKS_REP_OK ? SOCKS_REP_FAILURE : (uint8_t)why);
	}
	return 0;
}

/* RFC 4254 section 5.1 reason codes */
static const struct {
	uint32_t reason;
	enum socks_rep rep;
} open_failures[] = {
    {1, SOCKS_REP_NOT_ALLOWED}, /* administratively prohibited */
    {2, SOCKS_REP_REFUSED},     /* connect failed */
};

enum socks_rep socks_rep_from_open_failure(uint32_t reason)
{
	size_t i;

	for (i = 0; i < sizeof(open_failures) / sizeof(open_failures[0]); i++) {
		if (open_failures[i].reason == reason) {
			return open_failures[i].rep;
		}
	}
	return SOCKS_REP_FAILURE;
}

static const struct {
	int err;
	enum socks_rep rep;
} errnos[] = {
    {ECONNREFUSED, SOCKS_REP_REFUSED},
    {ENETUNREACH, SOCKS_REP_NET_UNREACH},
    {ENETDOWN, SOCKS_REP_NET_UNREACH},
    {EHOSTUNREACH, SOCKS_REP_HOST_UNREACH},
    {EHOSTDOWN, SOCKS_REP_HOST_UNREACH},
    {ETIMEDOUT, SOCKS_REP_HOST_UNREACH},
    {EACCES, SOCKS_REP_NOT_ALLOWED},
    {EPERM, SOCKS_REP_NOT_ALLOWED},
    {EAFNOSUPPORT, SOCKS_REP_ADDRTYPE},
};

enum socks_rep socks_rep_from_errno(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (errnos[i].err == err) {
			return errnos[i].rep;
		}
	}
	return SOCKS_REP_FAILURE;
}

const char *socks_error(const struct socks *s)
{
	return s->err != 0 ? s->why : "";
}
