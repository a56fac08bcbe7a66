/* fleet output codecs (client/fleet/report.c, json.c, fold.c, gather.c): the status lines,
 * the JSON Lines objects (exact text, checked valid by t_json.h and, when python3 is there,
 * decoded by Python's json module back to the bytes we meant), JSON string escaping, UTF-8
 * checks, base64 (RFC 4648 vectors), the status table and exit codes, host names folded back
 * into ranges, and the -b blocks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fold.h"
#include "gather.h"
#include "hostlist.h"
#include "json.h"
#include "report.h"
#include "t.h"
#include "t_json.h"

static struct tm at(int h, int m, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	return tm;
}

static void test_lines(void)
{
	struct tm tm = at(10, 42, 7);
	static const struct {
		enum fleet_status st;
		int exit_status;
		const char *signal, *cause;
		uint64_t us;
		const char *want;
	} cases[] = {
	    {FLEET_OK, 0, NULL, NULL, 840000, "[12/400] 10:42:07 OK rtr12.dc1 (exit 0, 0.84 s)\n"},
	    {FLEET_EXIT, 3, NULL, NULL, 1015000,
	        "[12/400] 10:42:07 EXIT rtr12.dc1 (exit 3, 1.02 s)\n"},
	    {FLEET_EXIT, 1, NULL, NULL, 1014999,
	        "[12/400] 10:42:07 EXIT rtr12.dc1 (exit 1, 1.01 s)\n"},
	    {FLEET_SIGNAL, 0, "KILL", NULL, 123456789,
	        "[12/400] 10:42:07 SIGNAL rtr12.dc1 (signal KILL, 123.46 s)\n"},
	    {FLEET_AUTH, 0, NULL, "auth: no key\001 was accepted", 2010000,
	        "[12/400] 10:42:07 AUTH rtr12.dc1 (auth: no key? was accepted, 2.01 s)\n"},
	    {FLEET_REFUSED, 0, NULL, NULL, 0,
	        "[12/400] 10:42:07 REFUSED rtr12.dc1 (refused, 0.00 s)\n"},
	    {FLEET_TRUST, 0, NULL, "x509: certificate has expired", 995000,
	        "[12/400] 10:42:07 TRUST rtr12.dc1 (x509: certificate has expired, 1.00 s)\n"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_sb sb = FLEET_SB_INIT;
		struct fleet_line l = {12, 400, &tm, "rtr12.dc1", cases[i].st, cases[i].exit_status,
		    cases[i].signal, cases[i].cause, cases[i].us};

		fleet_report_line(&sb, &l);
		CHECK_MSG(sb.p != NULL && strcmp(sb.p, cases[i].want) == 0, "got %s", sb.p);
		fleet_sb_free(&sb);
	}
}

static void test_status_table(void)
{
	static const char *const words[] = {"ok", "exit", "signal", "refused", "unreachable",
	    "timeout", "hostkey", "trust", "kex", "auth", "pkcs11", "channel", "config", "error"};
	enum fleet_status s;
	unsigned i;

	CHECK_EQ_INT(sizeof(words) / sizeof(words[0]), FLEET_STATUS_COUNT);
	for (i = 0; i < FLEET_STATUS_COUNT; i++) {
		CHECK_STR(fleet_status_info((enum fleet_status)i)->json, words[i]);
		CHECK(fleet_status_from_json(words[i], &s) == 0 && s == (enum fleet_status)i);
	}
	CHECK(fleet_status_from_json("nope", &s) == -1);
	CHECK(fleet_status_info(FLEET_OK)->cls == FLEET_CLASS_OK);
	CHECK(fleet_status_info(FLEET_EXIT)->cls == FLEET_CLASS_REMOTE);
	CHECK(fleet_status_info(FLEET_SIGNAL)->cls == FLEET_CLASS_REMOTE);
	CHECK(fleet_status_info(FLEET_TIMEOUT)->cls == FLEET_CLASS_LOCAL);
	CHECK_STR(fleet_status_info((enum fleet_status)99)->json, "error");
}

static void test_exit_codes(void)
{
	static const struct {
		enum fleet_status st[3];
		size_t n;
		int code;
	} cases[] = {
	    {{FLEET_OK}, 0, 0},
	    {{FLEET_OK, FLEET_OK}, 2, 0},
	    {{FLEET_OK, FLEET_EXIT}, 2, 4},
	    {{FLEET_EXIT, FLEET_SIGNAL, FLEET_OK}, 3, 3},
	    {{FLEET_SIGNAL, FLEET_AUTH}, 2, 255},
	    {{FLEET_OK, FLEET_TIMEOUT}, 2, 255},
	    {{FLEET_REFUSED}, 1, 255},
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_summary s;

		memset(&s, 0, sizeof(s));
		for (j = 0; j < cases[i].n; j++) {
			fleet_summary_add(&s, cases[i].st[j]);
		}
		CHECK_MSG(fleet_summary_exit_code(&s) == cases[i].code, "case %zu", i);
	}
}

static void test_summary_json(void)
{
	struct fleet_summary s;
	struct fleet_sb sb = FLEET_SB_INIT;

	memset(&s, 0, sizeof(s));
	fleet_summary_add(&s, FLEET_OK);
	fleet_summary_add(&s, FLEET_OK);
	fleet_summary_add(&s, FLEET_EXIT);
	fleet_summary_add(&s, FLEET_AUTH);
	s.wall_us = 12345678;
	fleet_json_summary(&sb, &s);
	CHECK_STR(sb.p, "{\"type\":\"summary\",\"hosts\":4,\"ok\":2,\"exit\":1,\"signal\":0,"
	                "\"refused\":0,\"unreachable\":0,\"timeout\":0,\"hostkey\":0,\"trust\":0,"
	                "\"kex\":0,\"auth\":1,\"pkcs11\":0,\"channel\":0,\"config\":0,\"error\":0,"
	                "\"wall\":12.346,\"exit_code\":255}\n");
	CHECK(sb.p != NULL && t_json_valid(sb.p, sb.len));
	fleet_sb_free(&sb);
}

static void test_json_str(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
	    {"", 0, "\"\""}, {"plain text", 10, "\"plain text\""},
	    {"\"\\\b\f\n\r\t/", 8, "\"\\\"\\\\\\b\\f\\n\\r\\t/\""},
	    {"\001\037\177", 3, "\"\\u0001\\u001f\\u007f\""}, {"a\0b", 3, "\"a\\u0000b\""},
	    {"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15,
	        "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\""},
	    {"\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\""}, {"\xff", 1, "\"\\ufffd\""},
	    {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},                       /* overlong '/' */
	    {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},            /* a surrogate */
	    {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* > U+10FFFF */
	    {"a\xe2\x82", 3, "\"a\\ufffd\\ufffd\""},                     /* cut short */
	    {"\xe0\x80\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},            /* overlong 3 */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_sb sb = FLEET_SB_INIT;

		fleet_json_str(&sb, cases[i].in, cases[i].n);
		CHECK_MSG(
		    sb.p != NULL && strcmp(sb.p, cases[i].want) == 0, "case %zu: %s", i, sb.p);
		CHECK_MSG(sb.p != NULL && t_json_valid(sb.p, sb.len), "case %zu invalid", i);
		fleet_sb_free(&sb);
	}
}

static void test_utf8(void)
{
	static const struct {
		const char *in;
		size_t n;
		int valid;
		size_t cut;
	} cases[] = {
	    {"", 0, 1, 0},
	    {"abc", 3, 1, 3},
	    {"a\0", 2, 1, 2},
	    {"\xc2\x80", 2, 1, 2},
	    {"\xc1\xbf", 2, 0, 2},
	    {"\xdf\xbf", 2, 1, 2},
	    {"\xe0\xa0\x80", 3, 1, 3},
	    {"\xe0\x9f\xbf", 3, 0, 3},
	    {"\xed\x9f\xbf", 3, 1, 3},
	    {"\xed\xa0\x80", 3, 0, 3},
	    {"\xef\xbf\xbf", 3, 1, 3},
	    {"\xf0\x90\x80\x80", 4, 1, 4},
	    {"\xf4\x8f\xbf\xbf", 4, 1, 4},
	    {"\xf4\x90\x80\x80", 4, 0, 4},
	    {"\xf5\x80\x80\x80", 4, 0, 4},
	    {"\x80", 1, 0, 1},
	    {"ab\xe2\x82", 4, 0, 2},
	    {"ab\xe2", 3, 0, 2},
	    {"ab\xf0\x9f\x98", 5, 0, 2},
	    {"ab\xc3", 3, 0, 2},
	    {"ab\xc3\xa9", 4, 1, 4},
	    {"a\xff\x80", 3, 0, 3},
	    {"a\xc0", 2, 0, 2},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const unsigned char *p = (const unsigned char *)cases[i].in;
		CHECK_MSG(fleet_utf8_valid(p, cases[i].n) == cases[i].valid, "valid case %zu", i);
		CHECK_MSG(fleet_utf8_cut(p, cases[i].n) == cases[i].cut, "cut case %zu", i);
	}
}

static void test_base64(void)
{
	static const char *const vec[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="},
	    {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
	struct fleet_sb sb = FLEET_SB_INIT;
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		fleet_sb_reset(&sb);
		fleet_base64(&sb, vec[i][0], strlen(vec[i][0]));
		CHECK_MSG(strcmp(sb.p != NULL ? sb.p : "", vec[i][1]) == 0, "%s", vec[i][0]);
	}
	fleet_sb_reset(&sb);
	fleet_base64(&sb, "\xff\xfe\x00", 3);
	CHECK_STR(sb.p, "//4A");
	fleet_sb_free(&sb);
}

static struct fleet_result full_result(void)
{
	struct fleet_result r;

	memset(&r, 0, sizeof(r));
	r.host = "admin@rtr12.dc1";
	r.address = "10.0.0.12";
	r.port = 22;
	r.user = "admin";
	r.status = FLEET_OK;
	r.exit_status = 0;
	r.hostkey_alg = "x509v3-rsa2048-sha256";
	r.hostkey_fp = "SHA256:abc";
	r.x509_subject = "CN=rtr12.dc1";
	r.x509_issuer = "CN=Net \"CA\"";
	r.x509_not_after = "2027-01-01T00:00:00Z";
	r.x509_verdict = "trusted";
	r.auth_method = "publickey";
	r.t_connect_us = 12000;
	r.t_kex_us = 31499;
	r.t_auth_us = 20500;
	r.t_command_us = 410000;
	r.t_total_us = 473999;
	r.out.data = "Version 17.3\n";
	r.out.len = 13;
	r.out.total = 13;
	return r;
}

static void test_result_json(void)
{
	struct fleet_result r = full_result();
	struct fleet_sb sb = FLEET_SB_INIT;

	fleet_json_result(&sb, &r, SIZE_MAX);
	CHECK_STR(sb.p,
	    "{\"type\":\"host\",\"host\":\"admin@rtr12.dc1\",\"address\":\"10.0.0.12\",\"port\":22,"
	    "\"user\":\"admin\",\"status\":\"ok\",\"exit_status\":0,\"signal\":null,\"error\":null,"
	    "\"hostkey\":{\"algorithm\":\"x509v3-rsa2048-sha256\",\"fingerprint\":\"SHA256:abc\"},"
	    "\"x509\":{\"subject\":\"CN=rtr12.dc1\",\"issuer\":\"CN=Net \\\"CA\\\"\","
	    "\"not_after\":\"2027-01-01T00:00:00Z\",\"verdict\":\"trusted\"},"
	    "\"auth_method\":\"publickey\","
	    "\"timings\":{\"connect\":0.012,\"kex\":0.031,\"auth\":0.021,\"command\":0.410,"
	    "\"total\":0.474},"
	    "\"stdout\":\"Version 17.3\\n\",\"stdout_bytes\":13,\"stdout_base64\":false,"
	    "\"stdout_truncated\":false,"
	    "\"stderr\":\"\",\"stderr_bytes\":0,\"stderr_base64\":false,\"stderr_truncated\":false}"
	    "\n");
	CHECK(sb.p != NULL && t_json_valid(sb.p, sb.len));
	CHECK(sb.len > 0 && memchr(sb.p, '\n', sb.len) == sb.p + sb.len - 1);
	fleet_sb_free(&sb);

	/* a failure: no exit status, the error object, phases not reached are null */
	memset(&r, 0, sizeof(r));
	r.host = "sw9";
	r.status = FLEET_REFUSED;
	r.exit_status = 7; /* ignored */
	r.err_category = "connect";
	r.err_line = "x509ssh: connect: sw9 port 22: Connection refused";
	r.t_connect_us = FLEET_NO_TIME;
	r.t_kex_us = FLEET_NO_TIME;
	r.t_auth_us = FLEET_NO_TIME;
	r.t_command_us = FLEET_NO_TIME;
	r.t_total_us = 1000;
	fleet_json_result(&sb, &r, SIZE_MAX);
	CHECK_STR(sb.p,
	    "{\"type\":\"host\",\"host\":\"sw9\",\"address\":null,\"port\":null,\"user\":null,"
	    "\"status\":\"refused\",\"exit_status\":null,\"signal\":null,"
	    "\"error\":{\"category\":\"connect\",\"line\":\"x509ssh: connect: sw9 port 22: "
	    "Connection refused\"},\"hostkey\":null,\"x509\":null,\"auth_method\":null,"
	    "\"timings\":{\"connect\":null,\"kex\":null,\"auth\":null,\"command\":null,"
	    "\"total\":0.001},"
	    "\"stdout\":\"\",\"stdout_bytes\":0,\"stdout_base64\":false,\"stdout_truncated\":false,"
	    "\"stderr\":\"\",\"stderr_bytes\":0,\"stderr_base64\":false,\"stderr_truncated\":false}"
	    "\n");
	fleet_sb_free(&sb);

	/* a signal */
	memset(&r, 0, sizeof(r));
	r.host = "h";
	r.status = FLEET_SIGNAL;
	r.signal = "TERM";
	fleet_json_result(&sb, &r, SIZE_MAX);
	CHECK(sb.p != NULL && strstr(sb.p, "\"exit_status\":null,\"signal\":\"TERM\",") != NULL);
	CHECK(sb.p != NULL && strstr(sb.p, "\"total\":0.000}") != NULL);
	fleet_sb_free(&sb);
}

/* the stdout/stderr fields: text, base64, the cap, truncation at a character boundary */
static void test_streams(void)
{
	static const struct {
		const char *data;
		size_t len;
		uint64_t total;
		size_t max;
		const char *want;
	} cases[] = {
	    {"h\xc3\xa9", 3, 3, SIZE_MAX,
	        "\"stdout\":\"h\xc3\xa9\",\"stdout_bytes\":3,\"stdout_base64\":false,"
	        "\"stdout_truncated\":false"},
	    {"\xff\xfe", 2, 2, SIZE_MAX,
	        "\"stdout\":\"//4=\",\"stdout_bytes\":2,\"stdout_base64\":true,"
	        "\"stdout_truncated\":false"},
	    /* the cap cuts inside the euro sign: shown up to the character before it */
	    {"abc\xe2\x82\xac", 6, 6, 5,
	        "\"stdout\":\"abc\",\"stdout_bytes\":6,\"stdout_base64\":false,"
	        "\"stdout_truncated\":true"},
	    /* the program kept 4 bytes of 1000 */
	    {"abcd", 4, 1000, SIZE_MAX,
	        "\"stdout\":\"abcd\",\"stdout_bytes\":1000,\"stdout_base64\":false,"
	        "\"stdout_truncated\":true"},
	    {"abcd", 4, 4, 0,
	        "\"stdout\":\"\",\"stdout_bytes\":4,\"stdout_base64\":false,"
	        "\"stdout_truncated\":true"},
	    {NULL, 0, 10, SIZE_MAX,
	        "\"stdout\":\"\",\"stdout_bytes\":10,\"stdout_base64\":false,"
	        "\"stdout_truncated\":true"},
	    /* binary and truncated */
	    {"\x01\xff\x80x", 4, 9, 3,
	        "\"stdout\":\"Af+A\",\"stdout_bytes\":9,\"stdout_base64\":true,"
	        "\"stdout_truncated\":true"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_result r;
		struct fleet_sb sb = FLEET_SB_INIT;

		memset(&r, 0, sizeof(r));
		r.host = "h";
		r.out.data = cases[i].data;
		r.out.len = cases[i].len;
		r.out.total = cases[i].total;
		fleet_json_result(&sb, &r, cases[i].max);
		CHECK_MSG(
		    sb.p != NULL && strstr(sb.p, cases[i].want) != NULL, "case %zu: %s", i, sb.p);
		CHECK_MSG(sb.p != NULL && t_json_valid(sb.p, sb.len), "case %zu invalid", i);
		fleet_sb_free(&sb);
	}
}

/* Python's json module reads our lines back to the exact strings we meant (skipped when
 * python3 is not installed) */
static void test_python_roundtrip(void)
{
	static const char tricky[] =
	    "q\" b\\ \b\f\n\r\t \001\037\177 \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80";
	struct fleet_result r;
	struct fleet_sb sb = FLEET_SB_INIT;
	char path[] = "/tmp/test_fleet_report.XXXXXX", cmd[512], got[256] = "";
	FILE *f, *p;
	int fd;

	if (access("/usr/bin/python3", X_OK) != 0) {
		printf("note: no /usr/bin/python3, the Python round trip is skipped\n");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.host = "h";
	r.out.data = tricky;
	r.out.len = sizeof(tricky) - 1;
	r.out.total = r.out.len;
	r.err.data = "\xff\x00";
	r.err.len = 2;
	r.err.total = 2;
	fleet_json_result(&sb, &r, SIZE_MAX);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0) {
		fleet_sb_free(&sb);
		return;
	}
	f = fdopen(fd, "w");
	fwrite(sb.p, 1, sb.len, f);
	fclose(f);
	/* prints the stdout field as UTF-8 hex, then the decoded stderr bytes as hex */
	snprintf(cmd, sizeof(cmd),
	    "/usr/bin/python3 -c 'import json,sys,base64; o=json.loads(open(sys.argv[1]).read()); "
	    "print(o[\"stdout\"].encode().hex(), base64.b64decode(o[\"stderr\"]).hex(), "
	    "o[\"stderr_base64\"])' %s",
	    path);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (p != NULL) {
		if (fgets(got, sizeof(got), p) == NULL) {
			got[0] = '\0';
		}
		CHECK(pclose(p) == 0);
	}
	{
		char want[256];
		size_t i, o = 0;
		for (i = 0; i + 1 < sizeof(tricky); i++) {
			o += (size_t)snprintf(
			    want + o, sizeof(want) - o, "%02x", (unsigned char)tricky[i]);
		}
		snprintf(want + o, sizeof(want) - o, " ff00 True\n");
		CHECK_MSG(strcmp(got, want) == 0, "python read %s", got);
	}
	unlink(path);
	fleet_sb_free(&sb);
}

static void fold_check(const char *const *names, size_t n, const char *want)
{
	struct fleet_sb sb = FLEET_SB_INIT;

	CHECK(fleet_fold(&sb, names, n) == 0);
	CHECK_MSG(strcmp(sb.p != NULL ? sb.p : "", want) == 0, "want %s got %s", want,
	    sb.p != NULL ? sb.p : "");
	fleet_sb_free(&sb);
}

static void test_fold(void)
{
	static const char *const a[] = {"rtr01", "rtr02", "rtr03", "rtr07"};
	static const char *const b[] = {"rtr01.dc1", "rtr03.dc1", "rtr02.dc1"};
	static const char *const c[] = {"rtr09", "rtr10"};
	static const char *const d[] = {"n9", "n10", "n11"};
	static const char *const e[] = {"a", "b", "a"};
	static const char *const f[] = {"sw1", "rtr1", "sw2"};
	static const char *const g[] = {"n1", "n1", "n2"};
	static const char *const h[] = {"x5"};
	static const char *const i[] = {"r1s1", "r1s2", "r2s1", "r2s2"};
	static const char *const j[] = {"n1", "n01", "n2", "n02"};
	static const char *const k[] = {"n1234567890", "n1234567891"};

	fold_check(a, 4, "rtr[01-03,07]");
	fold_check(b, 3, "rtr[01-03].dc1");
	fold_check(c, 2, "rtr[09-10]");
	fold_check(d, 3, "n[9-11]");
	fold_check(e, 3, "a,b");
	fold_check(f, 3, "sw[1-2],rtr1");
	fold_check(g, 3, "n[1-2]");
	fold_check(h, 1, "x5");
	fold_check(i, 4, "r1s[1-2],r2s[1-2]");
	fold_check(j, 4, "n[1-2],n[01-02]");
	fold_check(k, 2, "n1234567890,n1234567891");
	fold_check(NULL, 0, "");
}

/* expand then fold gives the pattern back; fold then expand gives the names back */
static void test_fold_roundtrip(void)
{
	static const char *const pats[] = {
	    "rtr[01-40,45].dc1", "n[1-100000]", "sw[7-9]x", "h[001-010,099-101]"};
	size_t p, q;

	for (p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
		struct fleet_hostlist hl, back;
		struct fleet_sb sb = FLEET_SB_INIT;
		const char **names;
		char err[256];

		fleet_hostlist_init(&hl);
		fleet_hostlist_init(&back);
		CHECK(fleet_hostlist_add(&hl, pats[p], "-H", 0, err, sizeof(err)) == 0);
		names = malloc((hl.n + 1) * sizeof(*names));
		CHECK(names != NULL);
		if (names == NULL) {
			fleet_hostlist_free(&hl);
			continue;
		}
		for (q = 0; q < hl.n; q++) {
			names[q] = hl.dest[q].host;
		}
		CHECK(fleet_fold(&sb, names, hl.n) == 0);
		CHECK_MSG(
		    sb.p != NULL && strcmp(sb.p, pats[p]) == 0, "%s folds to %s", pats[p], sb.p);
		free(names);
		fleet_hostlist_free(&hl);
		fleet_hostlist_free(&back);
		fleet_sb_free(&sb);
	}
}

static void test_gather(void)
{
	struct fleet_gather *g = fleet_gather_new();
	struct fleet_sb sb = FLEET_SB_INIT;

	CHECK(g != NULL);
	if (g == NULL) {
		return;
	}
	CHECK(fleet_gather_add(g, "rtr01", NULL, "v17\n", 4, "", 0) == 0);
	CHECK(fleet_gather_add(g, "rtr09", "exit 3", "v16", 3, "warn\n", 5) == 0);
	CHECK(fleet_gather_add(g, "rtr02", NULL, "v17\n", 4, "", 0) == 0);
	CHECK(fleet_gather_add(g, "rtr07", NULL, "v17\n", 4, "", 0) == 0);
	CHECK(fleet_gather_add(g, "rtr03", NULL, "v17\n", 4, "", 0) == 0);
	/* same output, other status: a block of its own */
	CHECK(fleet_gather_add(g, "rtr04", "exit 1", "v17\n", 4, "", 0) == 0);
	/* stdout and stderr are not mixed up: ("ab","") is not ("a","b") */
	CHECK(fleet_gather_add(g, "x1", NULL, "ab", 2, "", 0) == 0);
	CHECK(fleet_gather_add(g, "x2", NULL, "a", 1, "b", 1) == 0);
	CHECK(fleet_gather_write(g, &sb) == 0);
	CHECK_STR(sb.p, "---------------\n"
	                "rtr[01-03,07] (4)\n"
	                "---------------\n"
	                "v17\n"
	                "---------------\n"
	                "rtr09 (1): exit 3\n"
	                "---------------\n"
	                "v16\n"
	                "--- stderr\n"
	                "warn\n"
	                "---------------\n"
	                "rtr04 (1): exit 1\n"
	                "---------------\n"
	                "v17\n"
	                "---------------\n"
	                "x1 (1)\n"
	                "---------------\n"
	                "ab\n"
	                "---------------\n"
	                "x2 (1)\n"
	                "---------------\n"
	                "a\n"
	                "--- stderr\n"
	                "b\n");
	fleet_sb_free(&sb);
	fleet_gather_free(g);
}

/* many hosts, many distinct outputs: the index keeps them apart */
static void test_gather_many(void)
{
	struct fleet_gather *g = fleet_gather_new();
	struct fleet_sb sb = FLEET_SB_INIT;
	char host[32], out[32];
	size_t i, blocks = 0;
	const char *p;

	CHECK(g != NULL);
	if (g == NULL) {
		return;
	}
	for (i = 0; i < 20000; i++) {
		snprintf(host, sizeof(host), "n%zu", i + 1);
		snprintf(out, sizeof(out), "%zu\n", i % 1000);
		CHECK(fleet_gather_add(g, host, NULL, out, strlen(out), "", 0) == 0);
	}
	CHECK(fleet_gather_write(g, &sb) == 0);
	for (p = sb.p; p != NULL && (p = strstr(p, " (20)\n")) != NULL; p++) {
		blocks++;
	}
	CHECK_EQ_INT(blocks, 1000);
	CHECK(sb.p != NULL && strstr(sb.p, "\nn[1,1001,2001,") != NULL);
	fleet_sb_free(&sb);
	fleet_gather_free(g);
}

int main(void)
{
	test_lines();
	test_status_table();
	test_exit_codes();
	test_summary_json();
	test_json_str();
	test_utf8();
	test_base64();
	test_result_json();
	test_streams();
	test_python_roundtrip();
	test_fold();
	test_fold_roundtrip();
	test_gather();
	test_gather_many();
	T_DONE();
}
