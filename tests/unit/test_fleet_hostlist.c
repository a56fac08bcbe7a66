/* fleet host lists (client/fleet/hostlist.c): destination forms, pdsh/ClusterShell ranges
 * with their zero padding and cartesian order, IPv6 brackets that are never ranges, files with
 * comments and CR LF, duplicates, the caps and every error text with its line number. */
#include <stdio.h>
#include <string.h>

#include "hostlist.h"
#include "t.h"

struct want {
	const char *user, *host;
	int port;
	const char *text;
};

struct good {
	const char *in;
	size_t n;
	struct want w[5];
};

static const struct good goods[] = {
    {"rtr[01-03,07].dc1", 4,
        {{NULL, "rtr01.dc1", 0, "rtr01.dc1"}, {NULL, "rtr02.dc1", 0, "rtr02.dc1"},
            {NULL, "rtr03.dc1", 0, "rtr03.dc1"}, {NULL, "rtr07.dc1", 0, "rtr07.dc1"}}},
    {"r[1-2]s[1-2]", 4,
        {{NULL, "r1s1", 0, "r1s1"}, {NULL, "r1s2", 0, "r1s2"}, {NULL, "r2s1", 0, "r2s1"},
            {NULL, "r2s2", 0, "r2s2"}}},
    {"[08-10]", 3, {{NULL, "08", 0, "08"}, {NULL, "09", 0, "09"}, {NULL, "10", 0, "10"}}},
    {"n[8-10]", 3, {{NULL, "n8", 0, "n8"}, {NULL, "n9", 0, "n9"}, {NULL, "n10", 0, "n10"}}},
    {"n[0-6/3,007]", 4,
        {{NULL, "n0", 0, "n0"}, {NULL, "n3", 0, "n3"}, {NULL, "n6", 0, "n6"},
            {NULL, "n007", 0, "n007"}}},
    {"admin@sw[1-2]:830", 2,
        {{"admin", "sw1", 830, "admin@sw1:830"}, {"admin", "sw2", 830, "admin@sw2:830"}}},
    {"[2001:db8::1]:22", 1, {{NULL, "2001:db8::1", 22, "[2001:db8::1]:22"}}},
    {"u@[::1]", 1, {{"u", "::1", 0, "u@[::1]"}}},
    {"ssh://u@[::1]:2222/", 1, {{"u", "::1", 2222, "ssh://u@[::1]:2222/"}}},
    {"ssh://admin@sw[1-2]:830", 2,
        {{"admin", "sw1", 830, "ssh://admin@sw1:830"},
            {"admin", "sw2", 830, "ssh://admin@sw2:830"}}},
    {"SSH://h", 1, {{NULL, "h", 0, "SSH://h"}}},
    {"[10.0.0.1]:22", 1, {{NULL, "10.0.0.1", 22, "[10.0.0.1]:22"}}},
    {"u@[fe80::1%eth0]:2", 1, {{"u", "fe80::1%eth0", 2, "u@[fe80::1%eth0]:2"}}},
    {"u@@h", 1, {{"u@", "h", 0, "u@@h"}}},
    {"10.1.2.3:65535", 1, {{NULL, "10.1.2.3", 65535, "10.1.2.3:65535"}}},
    {"h[1,1,2]", 2, {{NULL, "h1", 0, "h1"}, {NULL, "h2", 0, "h2"}}},
};

static const struct {
	const char *in, *err;
} bads[] = {
    {"rtr[5-3]", "-H: reversed range in 'rtr[5-3]'"},
    {"rtr[1-", "-H: unbalanced '[' in 'rtr[1-'"},
    {"rtr1]", "-H: unbalanced ']' in 'rtr1]'"},
    {"r[1[2]]", "-H: unbalanced '[' in 'r[1[2]]'"},
    {"rtr[a-b]", "-H: bad range in 'rtr[a-b]'"},
    {"rtr[1,]", "-H: bad range in 'rtr[1,]'"},
    {"n[1-3/0]", "-H: range step 0 in 'n[1-3/0]'"},
    {"n[1-3/x]", "-H: bad range step in 'n[1-3/x]'"},
    {"n[1-1000000000]", "-H: range bound too long in 'n[1-1000000000]'"},
    {"n[0-99999]x[0-9]", "-H: 'n[0-99999]x[0-9]' expands to more than 100000 hosts"},
    {"n[0-100000]", "-H: range group of too many numbers in 'n[0-100000]'"},
    {"a[1]b[1]c[1]d[1]e[1]f[1]g[1]h[1]i[1]", "-H: too many range groups in "
                                             "'a[1]b[1]c[1]d[1]e[1]f[1]g[1]h[1]i[1]'"},
    {"h:0", "-H: bad port in 'h:0'"},
    {"h:65536", "-H: bad port in 'h:65536'"},
    {"h:", "-H: bad port in 'h:'"},
    {"h:ssh", "-H: bad port in 'h:ssh'"},
    {"h[1-2]:0", "-H: bad port in 'h1:0'"},
    {"2001:db8::1", "-H: an IPv6 address goes in [brackets] in '2001:db8::1'"},
    {"[::1]x", "-H: text after ']' in '[::1]x'"},
    {"@h", "-H: empty user name in '@h'"},
    {"u@", "-H: empty host name in 'u@'"},
    {"", "-H: empty destination"},
    {"-oProxyCommand=x", "-H: host name starts with '-' in '-oProxyCommand=x'"},
    {"-u@h", "-H: user name starts with '-' in '-u@h'"},
    {"h/x", "-H: bad character in the host name in 'h/x'"},
    {"a b", "-H: bad character in the host name in 'a b'"},
    {"ssh://", "-H: empty host name in 'ssh://'"},
    {"[]", "-H: empty host name in '[]'"},
    {"u@[1w%-2]:8", "-H: bad character in the host name in 'u@[1w%-2]:8'"},
};

static void test_goods(void)
{
	size_t i, j;
	char err[256];

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		struct fleet_hostlist hl;
		int rc;

		fleet_hostlist_init(&hl);
		err[0] = '\0';
		rc = fleet_hostlist_add(&hl, goods[i].in, "-H", 0, err, sizeof(err));
		CHECK_MSG(rc == 0, "%s: %s", goods[i].in, err);
		CHECK_MSG(hl.n == goods[i].n, "%s: %zu hosts", goods[i].in, hl.n);
		for (j = 0; rc == 0 && j < hl.n && j < goods[i].n; j++) {
			const struct want *w = &goods[i].w[j];
			const struct fleet_dest *d = &hl.dest[j];

			CHECK_MSG(strcmp(d->host, w->host) == 0, "%s #%zu host %s", goods[i].in, j,
			    d->host);
			CHECK_MSG(strcmp(d->text, w->text) == 0, "%s #%zu text %s", goods[i].in, j,
			    d->text);
			CHECK_MSG(d->port == w->port, "%s #%zu port %d", goods[i].in, j, d->port);
			CHECK_MSG(w->user == NULL
			              ? d->user == NULL
			              : d->user != NULL && strcmp(d->user, w->user) == 0,
			    "%s #%zu user", goods[i].in, j);
			CHECK(d->line == 0);
		}
		fleet_hostlist_free(&hl);
	}
}

static void test_bads(void)
{
	size_t i;
	char err[256];

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct fleet_hostlist hl;

		fleet_hostlist_init(&hl);
		err[0] = '\0';
		CHECK_MSG(fleet_hostlist_add(&hl, bads[i].in, "-H", 0, err, sizeof(err)) == -1,
		    "%s accepted", bads[i].in);
		CHECK_MSG(strcmp(err, bads[i].err) == 0, "%s: got \"%s\"", bads[i].in, err);
		fleet_hostlist_free(&hl);
	}
}

static void test_file(void)
{
	static const char text[] = "# routers of dc1\r\n"
	                           "\n"
	                           "  rtr[1-2].dc1   \r\n"
	                           "\tadmin@sw1:830 # the core switch\n"
	                           "rtr1.dc1\n"
	                           "RTR2.DC1\n"
	                           "rtr1.dc1:22\n"
	                           "   # indented comment\n"
	                           "ssh://[::1]:2222"; /* no final newline */
	struct fleet_hostlist hl;
	char err[256] = "";

	fleet_hostlist_init(&hl);
	CHECK(fleet_hostlist_parse(&hl, text, strlen(text), "hosts.txt", err, sizeof(err)) == 0);
	CHECK_EQ_INT(hl.n, 5);
	CHECK_EQ_INT(hl.duplicates, 2);
	CHECK_EQ_INT(hl.expanded, 7);
	if (hl.n == 5) {
		CHECK_STR(hl.dest[0].text, "rtr1.dc1");
		CHECK_EQ_INT(hl.dest[0].line, 3);
		CHECK_STR(hl.dest[1].text, "rtr2.dc1");
		CHECK_STR(hl.dest[2].text, "admin@sw1:830");
		CHECK_EQ_INT(hl.dest[2].line, 4);
		CHECK_STR(hl.dest[3].text, "rtr1.dc1:22");
		CHECK_EQ_INT(hl.dest[3].port, 22);
		CHECK_STR(hl.dest[4].host, "::1");
		CHECK_EQ_INT(hl.dest[4].line, 9);
	}
	/* -H after the file: same index */
	CHECK(fleet_hostlist_add(&hl, "rtr2.dc1", "-H", 0, err, sizeof(err)) == 0);
	CHECK_EQ_INT(hl.n, 5);
	CHECK_EQ_INT(hl.duplicates, 3);
	fleet_hostlist_free(&hl);
}

/* the file's errors name the line (the line counts blank and comment lines) */
static void test_file_errors(void)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"a\n\n# c\nb[3-1]\n", "h:4: reversed range in 'b[3-1]'"},
	    {"a b\n", "h:1: more than one destination on the line"},
	    {"ok\nx\001y\n", "h:2: control character in the line"},
	    {"ok\nbad:port\n", "h:2: bad port in 'bad:port'"},
	};
	static const char nul[] = "a\nb\0c\n";
	struct fleet_hostlist hl;
	char err[256], big[FLEET_LINE_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fleet_hostlist_init(&hl);
		err[0] = '\0';
		CHECK(fleet_hostlist_parse(
		          &hl, cases[i].text, strlen(cases[i].text), "h", err, sizeof(err)) == -1);
		CHECK_MSG(strcmp(err, cases[i].err) == 0, "got \"%s\"", err);
		fleet_hostlist_free(&hl);
	}
	fleet_hostlist_init(&hl);
	CHECK(fleet_hostlist_parse(&hl, nul, sizeof(nul) - 1, "h", err, sizeof(err)) == -1);
	CHECK_STR(err, "h:2: NUL byte in the line");
	fleet_hostlist_free(&hl);

	/* a line of exactly FLEET_LINE_MAX bytes (and CR LF) reaches the destination parser (which
	 * refuses a 1024-byte host name); one byte more is refused as a line */
	memset(big, 'a', sizeof(big));
	memcpy(big + FLEET_LINE_MAX, "\r\n", 2);
	fleet_hostlist_init(&hl);
	CHECK(fleet_hostlist_parse(&hl, big, FLEET_LINE_MAX + 2, "h", err, sizeof(err)) == -1);
	CHECK(strncmp(err, "h:1: host name too long in 'aaa", 31) == 0);
	fleet_hostlist_free(&hl);
	memset(big, 'a', sizeof(big));
	big[FLEET_LINE_MAX + 1] = '\n';
	fleet_hostlist_init(&hl);
	CHECK(fleet_hostlist_parse(&hl, big, FLEET_LINE_MAX + 2, "h", err, sizeof(err)) == -1);
	CHECK_STR(err, "h:1: line longer than 1024 bytes");
	fleet_hostlist_free(&hl);
}

/* the total cap, counted over the whole list, duplicates included */
static void test_caps(void)
{
	struct fleet_hostlist hl;
	char err[256];

	fleet_hostlist_init(&hl);
	hl.max_hosts = 5;
	CHECK(fleet_hostlist_parse(&hl, "n[1-3]\nn[1-2]\nm1\n", 17, "f", err, sizeof(err)) == -1);
	CHECK_STR(err, "f:3: more than 5 hosts in all");
	CHECK_EQ_INT(hl.n, 3);
	fleet_hostlist_free(&hl);

	/* the default cap exactly: 100000 hosts from one pattern, then one more is refused */
	fleet_hostlist_init(&hl);
	CHECK(fleet_hostlist_add(&hl, "n[1-99999]", "-H", 0, err, sizeof(err)) == 0);
	CHECK(fleet_hostlist_add(&hl, "n100000", "-H", 0, err, sizeof(err)) == 0);
	CHECK_EQ_INT(hl.n, FLEET_EXPAND_MAX);
	CHECK(
	    hl.n == FLEET_EXPAND_MAX && strcmp(hl.dest[FLEET_EXPAND_MAX - 1].host, "n100000") == 0);
	CHECK(fleet_hostlist_add(&hl, "n1", "-H", 0, err, sizeof(err)) == -1);
	CHECK_STR(err, "-H: more than 100000 hosts in all");
	fleet_hostlist_free(&hl);
}

int main(void)
{
	test_goods();
	test_bads();
	test_file();
	test_file_errors();
	test_caps();
	T_DONE();
}
