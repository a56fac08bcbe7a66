/* jumpspec: ProxyJump / -J hop lists, "none", the errors, and OpenSSH's -G form (taken from
 * /usr/bin/ssh -G of OpenSSH 9.2 for the same -J values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jumpspec.h"
#include "t.h"

struct hopw {
	const char *user, *host;
	int port;
};

struct good {
	const char *text;
	size_t n;
	struct hopw hop[3];
	const char *dump;
};

static const struct good goods[] = {
    {"bastion", 1, {{NULL, "bastion", -1}}, "bastion"},
    {"u@h:22", 1, {{"u", "h", 22}}, "u@h:22"},
    {"a,b,c", 3, {{NULL, "a", -1}, {NULL, "b", -1}, {NULL, "c", -1}}, "a,b,c"},
    {"u@[::1]:2222", 1, {{"u", "::1", 2222}}, "u@[::1]:2222"},
    {"[::1]", 1, {{NULL, "::1", -1}}, "[::1]"},
    {"[a]", 1, {{NULL, "a", -1}}, "a"},
    {"ssh://u@h:2", 1, {{"u", "h", 2}}, "u@h:2"},
    {"ssh://h/", 1, {{NULL, "h", -1}}, "h"},
    {"ssh://[::1]", 1, {{NULL, "::1", -1}}, "[::1]"},
    {"ssh://u@a:2,ssh://v@b:3/", 2, {{"u", "a", 2}, {"v", "b", 3}}, "ssh://u@a:2,v@b:3"},
    {"u@h:2,ssh://v@[2001:db8::1]:3", 2, {{"u", "h", 2}, {"v", "2001:db8::1", 3}},
        "u@h:2,v@[2001:db8::1]:3"},
    {"a:22,b", 2, {{NULL, "a", 22}, {NULL, "b", -1}}, "a:22,b"},
    {"u@@h", 1, {{"u@", "h", -1}}, "u@@h"},
    {"u:p@h", 1, {{"u:p", "h", -1}}, "u:p@h"},
    {"10.0.0.1", 1, {{NULL, "10.0.0.1", -1}}, "[10.0.0.1]"},
    {"u@10.0.0.1:22", 1, {{"u", "10.0.0.1", 22}}, "u@[10.0.0.1]:22"},
    {"123", 1, {{NULL, "123", -1}}, "[123]"},
    {"a-b.c", 1, {{NULL, "a-b.c", -1}}, "a-b.c"},
    {"a,none", 2, {{NULL, "a", -1}, {NULL, "none", -1}}, "a,none"},
    {"none", 0, {{NULL, NULL, 0}}, "none"},
    {"NONE", 0, {{NULL, NULL, 0}}, "none"},
};

static const struct {
	const char *text, *cause;
} bads[] = {
    {"", "empty jump host list"},
    {",h", "empty hop"},
    {"h,", "empty hop"},
    {"a,,b", "empty hop"},
    {"::1", "bad host name in hop '::1' (an IPv6 address goes in [brackets])"},
    {"u@", "bad host name in hop 'u@'"},
    {"@h", "empty user name in hop '@h'"},
    {"h:0", "bad port '0' in hop 'h:0'"},
    {"h:65536", "bad port '65536' in hop 'h:65536'"},
    {"h:x-no-such-service", "bad port 'x-no-such-service' in hop 'h:x-no-such-service'"},
    {"h:", "bad port '' in hop 'h:'"},
    {"-h", "bad host name in hop '-h'"},
    {"[::1", "bad brackets in hop '[::1'"},
    {"[::1]x", "bad brackets in hop '[::1]x'"},
    {"ssh://", "bad host name in hop 'ssh://'"},
    {"ssh://h/x", "a path in hop 'ssh://h/x'"},
    {"a b", "bad host name in hop 'a b'"},
    {"h;rm", "bad host name in hop 'h;rm'"},
    {"a/b", "bad host name in hop 'a/b'"},
};

static void test_good(void)
{
	char buf[512];

	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct jump_spec j;
		char err[256] = "";
		int r = jump_spec_parse(g->text, &j, err, sizeof(err));
		CHECK_MSG(r == 0, "'%s': %s", g->text, err);
		if (r != 0) {
			continue;
		}
		CHECK_MSG(j.n == g->n, "'%s': %zu hops", g->text, j.n);
		for (size_t k = 0; k < j.n && k < g->n; k++) {
			const struct jump_hop *h = &j.hop[k];
			CHECK_MSG((h->user == NULL && g->hop[k].user == NULL) ||
			              (h->user != NULL && g->hop[k].user != NULL &&
			                  strcmp(h->user, g->hop[k].user) == 0),
			    "'%s' hop %zu: user %s", g->text, k, h->user ? h->user : "(null)");
			CHECK_MSG(strcmp(h->host, g->hop[k].host) == 0, "'%s' hop %zu: host %s",
			    g->text, k, h->host);
			CHECK_MSG(h->port == g->hop[k].port, "'%s' hop %zu: port %d", g->text, k,
			    h->port);
		}
		jump_spec_free(&j);
		CHECK_EQ_INT(j.n, 0);
		CHECK_EQ_INT(jump_spec_dump(g->text, buf, sizeof(buf)), 0);
		CHECK_MSG(strcmp(buf, g->dump) == 0, "'%s': dump '%s'", g->text, buf);
		CHECK_EQ_INT(jump_spec_dump(g->text, buf, strlen(g->dump)), SSH_ERR_TOO_LARGE);
	}
}

static void test_bad(void)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct jump_spec j;
		char err[256] = "";
		int r = jump_spec_parse(bads[i].text, &j, err, sizeof(err));
		CHECK_MSG(r == SSH_ERR_FORMAT, "'%s' accepted", bads[i].text);
		CHECK_MSG(strcmp(err, bads[i].cause) == 0, "'%s': '%s'", bads[i].text, err);
		CHECK_EQ_INT(j.n, 0);
		CHECK_EQ_INT(jump_spec_dump(bads[i].text, buf, sizeof(buf)), SSH_ERR_FORMAT);
	}
	{
		struct jump_spec j;
		CHECK_EQ_INT(jump_spec_parse(NULL, &j, buf, sizeof(buf)), SSH_ERR_FORMAT);
	}
}

/* the cap on hops: 16 parse, 17 do not; the error names the cap */
static void test_cap(void)
{
	char text[256] = "", err[256];
	struct jump_spec j;

	for (int i = 0; i < JUMP_MAX_HOPS; i++) {
		snprintf(
		    text + strlen(text), sizeof(text) - strlen(text), "%sh%d", i ? "," : "", i);
	}
	CHECK_EQ_INT(jump_spec_parse(text, &j, err, sizeof(err)), 0);
	CHECK_EQ_INT(j.n, JUMP_MAX_HOPS);
	CHECK_STR(j.hop[JUMP_MAX_HOPS - 1].host, "h15");
	jump_spec_free(&j);
	strcat(text, ",h16");
	CHECK_EQ_INT(jump_spec_parse(text, &j, err, sizeof(err)), SSH_ERR_FORMAT);
	CHECK_STR(err, "more than 16 hops");
	CHECK_EQ_INT(j.n, 0);
	jump_spec_free(NULL);
}

/* jump_expand: a table of Host blocks' ProxyJump, as the config would give them */
static const struct {
	const char *host, *jump;
} own_jumps[] = {
    {"b2", "b1"},
    {"b1", "u@b0:2222"},
    {"c", "x,y"},
    {"x", "w"},
    {"y", "never-asked"},
    {"loopa", "loopb"},
    {"loopb", "loopa"},
    {"self", "self"},
    {"fails", NULL},
};

static int own_calls;

static int table_own(void *arg, const struct jump_hop *h, char **spec, char *err, size_t errlen)
{
	(void)arg;
	own_calls++;
	*spec = NULL;
	for (size_t i = 0; i < sizeof(own_jumps) / sizeof(own_jumps[0]); i++) {
		if (strcmp(own_jumps[i].host, h->host) == 0) {
			if (own_jumps[i].jump == NULL) {
				snprintf(err, errlen, "jump host %s: no such file", h->host);
				return -1;
			}
			*spec = strdup(own_jumps[i].jump);
			return *spec != NULL ? 0 : SSH_ERR_ALLOC;
		}
	}
	return 0;
}

/* the flat list as "u@h:p,h,..." (the -J form), or the error */
static void expand_as_text(const char *text, char *buf, size_t len)
{
	struct jump_spec j;
	char err[256] = "";

	buf[0] = '\0';
	if (jump_expand(text, table_own, NULL, &j, err, sizeof(err)) != 0) {
		snprintf(buf, len, "error: %s", err);
		CHECK_EQ_INT(j.n, 0);
		return;
	}
	for (size_t i = 0; i < j.n; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s%s%s", i ? "," : "",
		    j.hop[i].user ? j.hop[i].user : "", j.hop[i].user ? "@" : "", j.hop[i].host);
		l = strlen(buf);
		if (j.hop[i].port > 0) {
			snprintf(buf + l, len - l, ":%d", j.hop[i].port);
		}
	}
	jump_spec_free(&j);
}

static void test_expand(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"plain", "plain"},
	    {"none", ""},
	    {"b2", "u@b0:2222,b1,b2"},    /* b2 through b1, b1 through b0 */
	    {"b1,b2", "u@b0:2222,b1,b2"}, /* a later hop's own ProxyJump is not asked */
	    {"a,b2", "a,b2"},             /* b2 is reached through a, as listed */
	    {"c", "w,x,y,c"},             /* only the first hop of c's list is expanded */
	    {"loopa", "error: ProxyJump: loop: loopa -> loopb -> loopa"},
	    {"self", "error: ProxyJump: loop: self -> self"},
	    {"fails", "error: jump host fails: no such file"},
	    {"a,,b", "error: ProxyJump: empty hop"},
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expand_as_text(cases[i].text, buf, sizeof(buf));
		CHECK_MSG(strcmp(buf, cases[i].want) == 0, "expand '%s': '%s', want '%s'",
		    cases[i].text, buf, cases[i].want);
	}
	/* y's own ProxyJump is never asked for in c's list (y is not its first hop) */
	own_calls = 0;
	expand_as_text("c", buf, sizeof(buf));
	CHECK_EQ_INT(own_calls, 3); /* c, x, w */
}

/* 16 hops in all, counting the expanded ones; 17 is an error */
static void test_expand_cap(void)
{
	char text[256] = "", buf[512];

	for (int i = 0; i < JUMP_MAX_HOPS - 3; i++) {
		snprintf(text + strlen(text), sizeof(text) - strlen(text), ",h%d", i);
	}
	/* b2 brings 3 hops: 3 + 13 = 16 */
	{
		char full[300];
		snprintf(full, sizeof(full), "b2%s", text);
		expand_as_text(full, buf, sizeof(buf));
		CHECK_MSG(strncmp(buf, "u@b0:2222,b1,b2,h0,", 19) == 0, "16 hops: %s", buf);
		strcat(full, ",h99");
		expand_as_text(full, buf, sizeof(buf));
		CHECK_STR(buf, "error: ProxyJump: more than 16 hops in all");
	}
}

int main(void)
{
	test_expand();
	test_expand_cap();
	test_good();
	test_bad();
	test_cap();
	T_DONE();
}
