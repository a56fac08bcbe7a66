/* socks: SOCKS4 / SOCKS4a / SOCKS5 server codec: what curl sends, split feeding, pipelined data,
 * refusals with their replies, caps, malformed input, replies and the reply-code tables */
#include "t.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "socks.h"

/*
 * What curl 7.88.1 sends, recorded from a python3 listener on 127.0.0.1 that answered 05 00 to
 * the method list and granted the request (05 00 00 01 0.0.0.0:0, or 00 5a + 6 zero bytes), then
 * read what followed (curl's HTTP request: the pipelined data after the SOCKS request):
 *   curl --socks4 127.0.0.1:P http://127.0.0.1:8080/             (and --proxy-user alice:x)
 *   curl --socks4a 127.0.0.1:P http://router.example.net:8080/
 *   curl --socks5 127.0.0.1:P http://127.0.0.1:8080/             (and http://[::1]:8080/)
 *   curl --socks5-hostname 127.0.0.1:P http://router.example.net:8080/  (and --proxy-user)
 * Each constant is the SOCKS part; HTTP_GET (below) followed it in the capture.
 */
#define CURL_SOCKS4      "04011f907f00000100"
#define CURL_SOCKS4_USER "04011f907f000001616c69636500"
#define CURL_SOCKS4A                                                                               \
	"04011f9000000001"                                                                         \
	"00"                                                                                       \
	"726f757465722e6578616d706c652e6e657400"
#define CURL_SOCKS5                                                                                \
	"050200010501"                                                                             \
	"00017f0000011f90"
#define CURL_SOCKS5_V6                                                                             \
	"050200010501"                                                                             \
	"000400000000000000000000000000000001"                                                     \
	"1f90"
#define CURL_SOCKS5_HOST                                                                           \
	"050200010501"                                                                             \
	"000312726f757465722e6578616d706c652e6e6574"                                               \
	"1f90"
#define CURL_SOCKS5_HOSTU                                                                          \
	"05030001020501"                                                                           \
	"000312726f757465722e6578616d706c652e6e6574"                                               \
	"1f90"
/* "GET / HTTP/1.1\r\nHost: x\r\n\r\n" (shortened) */
#define HTTP_GET "474554202f20485454502f312e310d0a486f73743a20780d0a0d0a"

#define GRANT5  "05000001000000000000"
#define GRANT4  "005a000000000000"
#define REJECT4 "005b000000000000"

#define MAX_IN 2048

struct run {
	int r;           /* the last status (SOCKS_MORE when the input ran out) */
	size_t used;     /* bytes the codec took */
	uint8_t out[64]; /* everything socks_out gave, in order */
	size_t out_len;
	int pending;      /* how many times SOCKS_REPLY_PENDING came */
	int more_partial; /* SOCKS_MORE came with bytes left over (never allowed) */
};

static void take_out(struct socks *s, struct run *res)
{
	size_t n;
	const uint8_t *o = socks_out(s, &n);

	if (res->out_len + n <= sizeof(res->out)) {
		memcpy(res->out + res->out_len, o, n);
		res->out_len += n;
	}
	socks_out_consumed(s, n);
}

/* feed in[0..len) in pieces of at most chunk bytes, sending out after each call, until the
 * input ends, a request is complete or an error comes */
static void drive(struct socks *s, const uint8_t *in, size_t len, size_t chunk, struct run *res)
{
	size_t off = 0, end, used;
	int r;

	memset(res, 0, sizeof(*res));
	socks_init(s);
	res->r = SOCKS_MORE;
	while (off < len) {
		end = off + chunk < len ? off + chunk : len;
		r = socks_feed(s, in + off, end - off, &used);
		if (r == SOCKS_MORE && used != end - off) {
			res->more_partial = 1;
		}
		off += used;
		take_out(s, res);
		res->r = r;
		if (r == SOCKS_REPLY_PENDING) {
			res->pending++;
			continue;
		}
		if (r != SOCKS_MORE) {
			break;
		}
	}
	res->used = off;
}

static size_t unhex(const char *hex, uint8_t *out)
{
	return t_unhex(hex, out, MAX_IN);
}

static int one_line(const char *s)
{
	return s != NULL && *s != '\0' && strchr(s, '\n') == NULL && strchr(s, '\r') == NULL;
}

/* requests that succeed: the SOCKS part, then pipelined data that must stay unread */
static void test_requests(void)
{
	static const struct {
		const char *in, *after, *out, *host;
		uint16_t port;
		int version;
	} rows[] = {
	    {CURL_SOCKS4, HTTP_GET, "", "127.0.0.1", 8080, 4},
	    {CURL_SOCKS4_USER, HTTP_GET, "", "127.0.0.1", 8080, 4},
	    {CURL_SOCKS4A, HTTP_GET, "", "router.example.net", 8080, 4},
	    {CURL_SOCKS5, HTTP_GET, "0500", "127.0.0.1", 8080, 5},
	    {CURL_SOCKS5_V6, HTTP_GET, "0500", "::1", 8080, 5},
	    {CURL_SOCKS5_HOST, HTTP_GET, "0500", "router.example.net", 8080, 5},
	    {CURL_SOCKS5_HOSTU, HTTP_GET, "0500", "router.example.net", 8080, 5},
	    /* no pipelined data; port 22 and 65535; the no-auth method last */
	    {"040100160a000001"
	     "00",
	        "", "", "10.0.0.1", 22, 4},
	    {"0503020100"
	     "050100010a000001ffff",
	        "", "0500", "10.0.0.1", 65535, 5},
	    /* SOCKS4 to 0.0.0.0 is an address, not SOCKS4a */
	    {"0401005000000000"
	     "00",
	        "41", "", "0.0.0.0", 80, 4},
	    /* RFC 5952 text: zeros compressed once (the longest run), a single zero not */
	    {"050100"
	     "05010004"
	     "20010db8000000000001000000000001"
	     "0016",
	        "", "0500", "2001:db8::1:0:0:1", 22, 5},
	    {"050100"
	     "05010004"
	     "20010db8000000000000000000000001"
	     "0016",
	        "", "0500", "2001:db8::1", 22, 5},
	    {"050100"
	     "05010004"
	     "20010db8000000010001000100010001"
	     "0016",
	        "", "0500", "2001:db8:0:1:1:1:1:1", 22, 5},
	    {"050100"
	     "05010004"
	     "00000000000000000000ffffc0000201"
	     "0016",
	        "", "0500", "::ffff:192.0.2.1", 22, 5},
	    {"050100"
	     "05010004"
	     "FE800000000000000000000000ABCDEF"
	     "0016",
	        "", "0500", "fe80::ab:cdef", 22, 5},
	    /* SOCKS5 data pipelined right behind the method list (before 05 00 came back) */
	    {"050100"
	     "05010003"
	     "0161"
	     "0050",
	        "0000", "0500", "a", 80, 5},
	};
	static uint8_t in[MAX_IN];
	struct socks s;
	struct run res;
	size_t i, n, m, chunk;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t want_out[32];
		size_t want_out_len = unhex(rows[i].out, want_out);

		n = unhex(rows[i].in, in);
		m = unhex(rows[i].after, in + n);
		/* every split: byte by byte, in pieces of 2, 3, ..., all at once */
		for (chunk = 1; chunk <= n + m; chunk++) {
			drive(&s, in, n + m, chunk, &res);
			CHECK_MSG(res.r == SOCKS_REQUEST, "row %zu chunk %zu: r=%d (%s)", i, chunk,
			    res.r, socks_error(&s));
			CHECK_MSG(res.used == n, "row %zu chunk %zu: used %zu of %zu", i, chunk,
			    res.used, n);
			CHECK_MSG(!res.more_partial, "row %zu chunk %zu", i, chunk);
			CHECK_MSG(res.out_len == want_out_len &&
			              memcmp(res.out, want_out, want_out_len) == 0,
			    "row %zu chunk %zu: out", i, chunk);
			CHECK_MSG(res.pending == (rows[i].version == 5), "row %zu", i);
			CHECK_MSG(strcmp(socks_host(&s), rows[i].host) == 0, "row %zu: host '%s'",
			    i, socks_host(&s));
			CHECK_EQ_INT(socks_port(&s), rows[i].port);
			CHECK_EQ_INT(socks_version(&s), rows[i].version);
			CHECK_STR(socks_error(&s), "");
		}
	}
}

/* every proper prefix of a request asks for more and takes all it got */
static void test_truncated(void)
{
	static const char *const reqs[] = {CURL_SOCKS4, CURL_SOCKS4_USER, CURL_SOCKS4A, CURL_SOCKS5,
	    CURL_SOCKS5_V6, CURL_SOCKS5_HOST, CURL_SOCKS5_HOSTU};
	static uint8_t in[MAX_IN];
	struct socks s;
	struct run res;
	size_t i, n, k;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		n = unhex(reqs[i], in);
		for (k = 0; k < n; k = t_sweep_next(k, n)) {
			drive(&s, in, k, 1, &res);
			CHECK_MSG(res.r == SOCKS_MORE || res.r == SOCKS_REPLY_PENDING,
			    "req %zu prefix %zu: r=%d", i, k, res.r);
			CHECK_MSG(res.used == k, "req %zu prefix %zu", i, k);
			CHECK_MSG(socks_host(&s)[0] == '\0' || socks_version(&s) == 4,
			    "req %zu prefix %zu: host before the request", i, k);
		}
	}
}

/* refusals and malformed input: the error, the reply sent before closing, the bytes taken */
static void test_refusals(void)
{
	static const struct {
		const char *name, *in, *out;
		int err;
		size_t used; /* 0 = all of in */
	} rows[] = {
	    {"HTTP request on the SOCKS port", "474554202f20", "", SOCKS_ERR_VERSION, 1},
	    {"version 0", "00", "", SOCKS_ERR_VERSION, 0},
	    {"version 6", "06010000", "", SOCKS_ERR_VERSION, 1},
	    {"SOCKS5 without methods",
	        "0500"
	        "05010001",
	        "05ff", SOCKS_ERR_AUTH, 2},
	    {"SOCKS5 username/password only", "050102", "05ff", SOCKS_ERR_AUTH, 0},
	    {"SOCKS5 GSSAPI and username/password", "05020102", "05ff", SOCKS_ERR_AUTH, 0},
	    {"SOCKS5 BIND",
	        "050100"
	        "050200017f0000010050",
	        "0500"
	        "05070001000000000000",
	        SOCKS_ERR_COMMAND, 0},
	    {"SOCKS5 UDP ASSOCIATE",
	        "050100"
	        "05030004"
	        "00000000000000000000000000000001"
	        "0050",
	        "0500"
	        "05070001000000000000",
	        SOCKS_ERR_COMMAND, 0},
	    {"SOCKS5 command 9 with a name",
	        "050100"
	        "0509000303616263"
	        "0050",
	        "0500"
	        "05070001000000000000",
	        SOCKS_ERR_COMMAND, 0},
	    {"SOCKS5 address type 2",
	        "050100"
	        "05010002"
	        "7f000001",
	        "0500"
	        "05080001000000000000",
	        SOCKS_ERR_ADDRTYPE, 7},
	    {"SOCKS5 request with version 4",
	        "050100"
	        "04010001"
	        "7f0000010050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_MALFORMED, 7},
	    {"SOCKS5 reserved byte set",
	        "050100"
	        "05010101"
	        "7f0000010050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_MALFORMED, 7},
	    {"SOCKS5 empty name",
	        "050100"
	        "05010003"
	        "00"
	        "0050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_HOSTNAME, 8},
	    {"SOCKS5 name with NUL",
	        "050100"
	        "05010003"
	        "03610062"
	        "0050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_HOSTNAME, 0},
	    {"SOCKS5 name with LF",
	        "050100"
	        "05010003"
	        "0461620a63"
	        "0050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_HOSTNAME, 0},
	    {"SOCKS5 name with space",
	        "050100"
	        "05010003"
	        "03612062"
	        "0050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_HOSTNAME, 0},
	    {"SOCKS5 name with DEL",
	        "050100"
	        "05010003"
	        "03617f62"
	        "0050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_HOSTNAME, 0},
	    {"SOCKS5 name with UTF-8",
	        "050100"
	        "05010003"
	        "0461c3a962"
	        "0050",
	        "0500"
	        "05010001000000000000",
	        SOCKS_ERR_HOSTNAME, 0},
	    {"SOCKS4 BIND",
	        "040200507f000001"
	        "00",
	        REJECT4, SOCKS_ERR_COMMAND, 0},
	    {"SOCKS4 command 3",
	        "040300507f000001"
	        "757365720000",
	        REJECT4, SOCKS_ERR_COMMAND, 13},
	    {"SOCKS4a BIND",
	        "0402005000000009"
	        "00"
	        "6100",
	        REJECT4, SOCKS_ERR_COMMAND, 0},
	    {"SOCKS4a empty name",
	        "0401005000000001"
	        "00"
	        "00",
	        REJECT4, SOCKS_ERR_HOSTNAME, 0},
	    {"SOCKS4a name with ESC",
	        "0401005000000001"
	        "00"
	        "611b6200",
	        REJECT4, SOCKS_ERR_HOSTNAME, 0},
	};
	static uint8_t in[MAX_IN];
	struct socks s;
	struct run res;
	size_t i, n, chunk, used;
	uint8_t want_out[32];

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t want_out_len = unhex(rows[i].out, want_out);
		size_t want_used;

		n = unhex(rows[i].in, in);
		want_used = rows[i].used != 0 ? rows[i].used : n;
		for (chunk = 1; chunk <= n; chunk++) {
			drive(&s, in, n, chunk, &res);
			CHECK_MSG(res.r == rows[i].err, "%s (chunk %zu): r=%d", rows[i].name, chunk,
			    res.r);
			CHECK_MSG(res.used == want_used, "%s (chunk %zu): used %zu", rows[i].name,
			    chunk, res.used);
			CHECK_MSG(res.out_len == want_out_len &&
			              memcmp(res.out, want_out, want_out_len) == 0,
			    "%s (chunk %zu): out", rows[i].name, chunk);
			CHECK_MSG(
			    one_line(socks_error(&s)), "%s: '%s'", rows[i].name, socks_error(&s));
			/* sticky: nothing more is taken, no reply can follow */
			CHECK_EQ_INT(socks_feed(&s, in, n, &used), rows[i].err);
			CHECK_EQ_INT(used, 0);
			CHECK_EQ_INT(socks_reply(&s, 1, SOCKS_REP_OK), SOCKS_ERR_STATE);
		}
	}
}

/* the caps: SOCKS4 user id 1024 bytes, SOCKS4a and SOCKS5 host names 255 */
static void test_caps(void)
{
	static uint8_t in[MAX_IN];
	static const uint8_t s4[8] = {4, 1, 0, 80, 127, 0, 0, 1};
	static const uint8_t s4a[9] = {4, 1, 0, 80, 0, 0, 0, 7, 0};
	static const uint8_t s5[7] = {5, 1, 0, 5, 1, 0, 3};
	char want[SOCKS_HOST_MAX + 2];
	struct socks s;
	struct run res;
	size_t n, len;

	for (len = SOCKS4_USERID_MAX; len <= SOCKS4_USERID_MAX + 1; len++) {
		memcpy(in, s4, sizeof(s4));
		memset(in + 8, 'u', len);
		in[8 + len] = 0;
		n = 8 + len + 1;
		drive(&s, in, n, 7, &res);
		if (len == SOCKS4_USERID_MAX) {
			CHECK_EQ_INT(res.r, SOCKS_REQUEST);
			CHECK_EQ_INT(res.used, n);
			CHECK_STR(socks_host(&s), "127.0.0.1");
		} else {
			CHECK_EQ_INT(res.r, SOCKS_ERR_TOO_LONG);
			CHECK_EQ_INT(res.used, 8 + SOCKS4_USERID_MAX + 1);
			CHECK_EQ_INT(res.out_len, 8);
			CHECK(res.out[1] == 0x5b);
			CHECK(strstr(socks_error(&s), "user id") != NULL);
		}
	}
	for (len = SOCKS_HOST_MAX; len <= SOCKS_HOST_MAX + 1; len++) {
		memcpy(in, s4a, sizeof(s4a));
		memset(in + 9, 'h', len);
		in[9 + len] = 0;
		n = 9 + len + 1;
		memset(want, 'h', len);
		want[len] = '\0';
		drive(&s, in, n, 1, &res);
		if (len == SOCKS_HOST_MAX) {
			CHECK_EQ_INT(res.r, SOCKS_REQUEST);
			CHECK_STR(socks_host(&s), want);
		} else {
			CHECK_EQ_INT(res.r, SOCKS_ERR_TOO_LONG);
			CHECK_EQ_INT(res.used, 9 + SOCKS_HOST_MAX + 1);
			CHECK(res.out_len == 8 && res.out[1] == 0x5b);
			CHECK(strstr(socks_error(&s), "host name") != NULL);
		}
	}
	/* SOCKS5's length byte cannot say more than 255: the longest name passes */
	memcpy(in, s5, sizeof(s5));
	in[7] = SOCKS_HOST_MAX;
	memset(in + 8, 'n', SOCKS_HOST_MAX);
	in[8 + SOCKS_HOST_MAX] = 0x01;
	in[9 + SOCKS_HOST_MAX] = 0xbb;
	n = 10 + SOCKS_HOST_MAX;
	drive(&s, in, n, 3, &res);
	memset(want, 'n', SOCKS_HOST_MAX);
	want[SOCKS_HOST_MAX] = '\0';
	CHECK_EQ_INT(res.r, SOCKS_REQUEST);
	CHECK_EQ_INT(res.used, n);
	CHECK_STR(socks_host(&s), want);
	CHECK_EQ_INT(socks_port(&s), 443);
}

/* socks_reply: both versions, success and failure codes, once, only after a request */
static void test_replies(void)
{
	static const struct {
		const char *req;
		int ok;
		enum socks_rep why;
		const char *out; /* after the method selection, for SOCKS5 */
	} rows[] = {
	    {CURL_SOCKS4, 1, SOCKS_REP_OK, GRANT4}, {CURL_SOCKS4A, 1, SOCKS_REP_FAILURE, GRANT4},
	    {CURL_SOCKS4, 0, SOCKS_REP_REFUSED, REJECT4}, {CURL_SOCKS4A, 0, SOCKS_REP_OK, REJECT4},
	    {CURL_SOCKS5, 1, SOCKS_REP_OK, GRANT5},
	    {CURL_SOCKS5_HOST, 1, SOCKS_REP_REFUSED, GRANT5},
	    {CURL_SOCKS5_V6, 0, SOCKS_REP_REFUSED, "05050001000000000000"},
	    {CURL_SOCKS5, 0, SOCKS_REP_HOST_UNREACH, "05040001000000000000"},
	    {CURL_SOCKS5, 0, SOCKS_REP_NOT_ALLOWED, "05020001000000000000"},
	    {CURL_SOCKS5, 0, SOCKS_REP_OK, "05010001000000000000"}, /* failure without a code */
	};
	static uint8_t in[MAX_IN];
	uint8_t want[32];
	struct socks s;
	struct run res;
	const uint8_t *o;
	size_t i, n, len, used;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = unhex(rows[i].req, in);
		drive(&s, in, n, n, &res);
		CHECK_EQ_INT(res.r, SOCKS_REQUEST);
		/* after the request nothing more is taken */
		CHECK_EQ_INT(socks_feed(&s, in, n, &used), SOCKS_REQUEST);
		CHECK_EQ_INT(used, 0);
		CHECK_EQ_INT(socks_reply(&s, rows[i].ok, rows[i].why), 0);
		o = socks_out(&s, &len);
		CHECK_MSG(
		    len == unhex(rows[i].out, want) && memcmp(o, want, len) == 0, "row %zu", i);
		CHECK_EQ_INT(socks_reply(&s, 1, SOCKS_REP_OK), SOCKS_ERR_STATE);
	}

	/* before a request: refused, nothing queued */
	socks_init(&s);
	CHECK_EQ_INT(socks_reply(&s, 1, SOCKS_REP_OK), SOCKS_ERR_STATE);
	n = unhex("0501", in);
	CHECK_EQ_INT(socks_feed(&s, in, n, &used), SOCKS_MORE);
	CHECK_EQ_INT(socks_reply(&s, 0, SOCKS_REP_FAILURE), SOCKS_ERR_STATE);
	socks_out(&s, &len);
	CHECK_EQ_INT(len, 0);

	/* the method selection left unsent and the reply queue up behind each other; partial
	 * sends keep the order */
	n = unhex(CURL_SOCKS5, in);
	socks_init(&s);
	CHECK_EQ_INT(socks_feed(&s, in, n, &used), SOCKS_REPLY_PENDING);
	CHECK_EQ_INT(used, 4);
	CHECK_EQ_INT(socks_feed(&s, in + used, n - used, &used), SOCKS_REQUEST);
	CHECK_EQ_INT(used, n - 4);
	CHECK_EQ_INT(socks_reply(&s, 1, SOCKS_REP_OK), 0);
	o = socks_out(&s, &len);
	CHECK(len == 12 && memcmp(o, "\x05\x00\x05\x00\x00\x01", 6) == 0);
	socks_out_consumed(&s, 3);
	o = socks_out(&s, &len);
	CHECK(len == 9 && memcmp(o, "\x00\x00\x01\x00\x00\x00\x00\x00\x00", 9) == 0);
	socks_out_consumed(&s, 100);
	socks_out(&s, &len);
	CHECK_EQ_INT(len, 0);
}

static void test_reply_codes(void)
{
	static const struct {
		uint32_t reason;
		enum socks_rep rep;
	} opens[] = {
	    {1, SOCKS_REP_NOT_ALLOWED},
	    {2, SOCKS_REP_REFUSED},
	    {3, SOCKS_REP_FAILURE},
	    {4, SOCKS_REP_FAILURE},
	    {0, SOCKS_REP_FAILURE},
	    {0xffffffffu, SOCKS_REP_FAILURE},
	};
	static const struct {
		int err;
		enum socks_rep rep;
	} errs[] = {
	    {ECONNREFUSED, SOCKS_REP_REFUSED},
	    {ENETUNREACH, SOCKS_REP_NET_UNREACH},
	    {EHOSTUNREACH, SOCKS_REP_HOST_UNREACH},
	    {ETIMEDOUT, SOCKS_REP_HOST_UNREACH},
	    {EACCES, SOCKS_REP_NOT_ALLOWED},
	    {EAFNOSUPPORT, SOCKS_REP_ADDRTYPE},
	    {ENOMEM, SOCKS_REP_FAILURE},
	    {0, SOCKS_REP_FAILURE},
	};
	size_t i;

	for (i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		CHECK_EQ_INT(socks_rep_from_open_failure(opens[i].reason), opens[i].rep);
	}
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		CHECK_EQ_INT(socks_rep_from_errno(errs[i].err), errs[i].rep);
	}
}

/* the causes name what was wrong */
static void test_messages(void)
{
	static const struct {
		const char *in, *needle;
	} rows[] = {
	    {"47", "0x47"},
	    {"050102", "no authentication"},
	    {"050100"
	     "050200017f0000010050",
	        "BIND"},
	    {"050100"
	     "050300017f0000010050",
	        "UDP ASSOCIATE"},
	    {"040200507f00000100", "SOCKS4 command 2 (BIND)"},
	    {"050100"
	     "05010009",
	        "address type 0x09"},
	    {"050100"
	     "05010003"
	     "03610162"
	     "0050",
	        "0x01 at offset 1"},
	};
	static uint8_t in[MAX_IN];
	struct socks s;
	struct run res;
	size_t i, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = unhex(rows[i].in, in);
		drive(&s, in, n, n, &res);
		CHECK_MSG(res.r < 0 && strstr(socks_error(&s), rows[i].needle) != NULL,
		    "row %zu: '%s'", i, socks_error(&s));
	}
}

/* bytes in any order never crash, never take more than given, and end in a known status */
static void test_garbage(void)
{
	static uint8_t in[600];
	struct socks s;
	struct run res;
	uint32_t x = 12345;
	size_t i, round;

	for (round = 0; round < 2000; round += t_sweep_step()) {
		for (i = 0; i < sizeof(in); i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (uint8_t)(x >> 16);
		}
		/* half the rounds start like a real request */
		if (round % 2 == 0) {
			in[0] = (uint8_t)(round % 4 == 0 ? 4 : 5);
			in[1] = (uint8_t)(round % 8 < 4 ? 1 : in[1]);
		}
		drive(&s, in, sizeof(in), 1 + round % 13, &res);
		CHECK(res.used <= sizeof(in));
		CHECK(res.r >= SOCKS_ERR_STATE && res.r <= SOCKS_REQUEST);
		CHECK(!res.more_partial);
		if (res.r < 0) {
			CHECK(one_line(socks_error(&s)));
		}
	}
}

int main(void)
{
	test_requests();
	test_truncated();
	test_refusals();
	test_caps();
	test_replies();
	test_reply_codes();
	test_messages();
	test_garbage();
	T_DONE();
}
