/* fwdspec: -L / -R / -D / -W specs as ssh(1) writes them, the errors, and both text forms
 * (OpenSSH's -G form was taken from /usr/bin/ssh -G of OpenSSH 9.2 for the same specs). */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "fwdspec.h"
#include "t.h"

struct good {
	enum fwd_kind kind;
	const char *text;
	enum fwd_kind got;
	const char *lhost; /* NULL: none */
	int lport;
	const char *chost;
	int cport;
	const char *dump, *spec;
};

static const struct good goods[] = {
    {FWD_LOCAL, "8080:h:80", FWD_LOCAL, NULL, 8080, "h", 80, "8080 [h]:80", "8080:h:80"},
    {FWD_LOCAL, "127.0.0.1:8080:db.example:5432", FWD_LOCAL, "127.0.0.1", 8080, "db.example", 5432,
        "[127.0.0.1]:8080 [db.example]:5432", "127.0.0.1:8080:db.example:5432"},
    {FWD_LOCAL, "[::1]:80:h:80", FWD_LOCAL, "::1", 80, "h", 80, "[::1]:80 [h]:80", "[::1]:80:h:80"},
    {FWD_LOCAL, "80:[::1]:22", FWD_LOCAL, NULL, 80, "::1", 22, "80 [::1]:22", "80:[::1]:22"},
    {FWD_LOCAL, "[fe80::1%eth0]:80:[2001:db8::5]:443", FWD_LOCAL, "fe80::1%eth0", 80, "2001:db8::5",
        443, "[fe80::1%eth0]:80 [2001:db8::5]:443", "[fe80::1%eth0]:80:[2001:db8::5]:443"},
    {FWD_LOCAL, "localhost:80:[::1]:22", FWD_LOCAL, "localhost", 80, "::1", 22,
        "[localhost]:80 [::1]:22", "localhost:80:[::1]:22"},
    {FWD_LOCAL, "*:80:h:80", FWD_LOCAL, "*", 80, "h", 80, "[*]:80 [h]:80", "*:80:h:80"},
    {FWD_LOCAL, ":80:h:80", FWD_LOCAL, "", 80, "h", 80, "[]:80 [h]:80", "[]:80:h:80"},
    {FWD_LOCAL, "80:[h]:90", FWD_LOCAL, NULL, 80, "h", 90, "80 [h]:90", "80:h:90"},
    {FWD_LOCAL, "[h]:80:[h2]:90", FWD_LOCAL, "h", 80, "h2", 90, "[h]:80 [h2]:90", "h:80:h2:90"},
    {FWD_LOCAL, "80:h:90:", FWD_LOCAL, NULL, 80, "h", 90, "80 [h]:90", "80:h:90"},
    {FWD_LOCAL, "  80:h:90 ", FWD_LOCAL, NULL, 80, "h", 90, "80 [h]:90", "80:h:90"},
    {FWD_LOCAL, "1:h:65535", FWD_LOCAL, NULL, 1, "h", 65535, "1 [h]:65535", "1:h:65535"},
    {FWD_LOCAL, "080:h:00022", FWD_LOCAL, NULL, 80, "h", 22, "80 [h]:22", "80:h:22"},
    {FWD_LOCAL, "80:a\\:b:90", FWD_LOCAL, NULL, 80, "a:b", 90, "80 [a:b]:90", "80:[a:b]:90"},
    /* the keyword's two-value form */
    {FWD_LOCAL, "8080 localhost:80", FWD_LOCAL, NULL, 8080, "localhost", 80, "8080 [localhost]:80",
        "8080:localhost:80"},
    {FWD_LOCAL, "[::1]:8080\t[::2]:80", FWD_LOCAL, "::1", 8080, "::2", 80, "[::1]:8080 [::2]:80",
        "[::1]:8080:[::2]:80"},
    {FWD_REMOTE, "9090 localhost:90", FWD_REMOTE, NULL, 9090, "localhost", 90,
        "9090 [localhost]:90", "9090:localhost:90"},
    /* -R */
    {FWD_REMOTE, "9090:localhost:22", FWD_REMOTE, NULL, 9090, "localhost", 22,
        "9090 [localhost]:22", "9090:localhost:22"},
    {FWD_REMOTE, "0:h:80", FWD_REMOTE, NULL, 0, "h", 80, "0 [h]:80", "0:h:80"},
    {FWD_REMOTE, "*:0:h:80", FWD_REMOTE, "*", 0, "h", 80, "[*]:0 [h]:80", "*:0:h:80"},
    {FWD_REMOTE, "8000", FWD_REMOTE_DYNAMIC, NULL, 8000, NULL, 0, "8000 [socks]:0", "8000"},
    {FWD_REMOTE, "*:8000", FWD_REMOTE_DYNAMIC, "*", 8000, NULL, 0, "[*]:8000 [socks]:0", "*:8000"},
    {FWD_REMOTE, "0", FWD_REMOTE_DYNAMIC, NULL, 0, NULL, 0, "0 [socks]:0", "0"},
    {FWD_REMOTE_DYNAMIC, "[::]:1080", FWD_REMOTE_DYNAMIC, "::", 1080, NULL, 0,
        "[::]:1080 [socks]:0", "[::]:1080"},
    /* -D */
    {FWD_DYNAMIC, "1080", FWD_DYNAMIC, NULL, 1080, NULL, 0, "1080", "1080"},
    {FWD_DYNAMIC, "*:1080", FWD_DYNAMIC, "*", 1080, NULL, 0, "[*]:1080", "*:1080"},
    {FWD_DYNAMIC, "[::1]:1080", FWD_DYNAMIC, "::1", 1080, NULL, 0, "[::1]:1080", "[::1]:1080"},
    {FWD_DYNAMIC, "localhost:1080", FWD_DYNAMIC, "localhost", 1080, NULL, 0, "[localhost]:1080",
        "localhost:1080"},
    /* -W */
    {FWD_STDIO, "h:22", FWD_STDIO, NULL, 0, "h", 22, "0 [h]:22", "h:22"},
    {FWD_STDIO, "[::1]:22", FWD_STDIO, NULL, 0, "::1", 22, "0 [::1]:22", "[::1]:22"},
};

struct bad {
	enum fwd_kind kind;
	const char *text, *cause;
};

static const struct bad bads[] = {
    {FWD_LOCAL, "80/h/90", "Unix-domain socket forwarding is not supported"},
    {FWD_LOCAL, "/tmp/s:h:80", "Unix-domain socket forwarding is not supported"},
    {FWD_LOCAL, "80:/tmp/s", "Unix-domain socket forwarding is not supported"},
    {FWD_LOCAL, "80 /tmp/s", "Unix-domain socket forwarding is not supported"},
    {FWD_REMOTE, "/tmp/s:h:80", "Unix-domain socket forwarding is not supported"},
    {FWD_REMOTE, "[/tmp/s]:h:80", "Unix-domain socket forwarding is not supported"},
    {FWD_DYNAMIC, "/tmp/s", "Unix-domain socket forwarding is not supported"},
    {FWD_STDIO, "/tmp/s", "Unix-domain socket forwarding is not supported"},
    {FWD_LOCAL, "0:h:1", "port 0 is not allowed here"},
    {FWD_LOCAL, "1:h:0", "port 0 is not allowed here"},
    {FWD_REMOTE, "1:h:0", "port 0 is not allowed here"},
    {FWD_DYNAMIC, "0", "port 0 is not allowed here"},
    {FWD_STDIO, "h:0", "port 0 is not allowed here"},
    {FWD_LOCAL, "1:h:65536", "bad port '65536'"},
    {FWD_LOCAL, "-1:h:2", "bad port '-1'"},
    {FWD_LOCAL, "1:h:2x", "bad port '2x'"},
    {FWD_LOCAL, "nosuchservice-x509ssh:h:2", "bad port 'nosuchservice-x509ssh'"},
    {FWD_LOCAL, "80:h", "expected [bind_address:]port:host:hostport"},
    {FWD_LOCAL, "80", "expected [bind_address:]port:host:hostport"},
    {FWD_LOCAL, "80:::1:22", "too many fields (an IPv6 address goes in [brackets])"},
    {FWD_LOCAL, "a:b:80:h:90", "too many fields (an IPv6 address goes in [brackets])"},
    {FWD_LOCAL, "80::90", "missing host"},
    {FWD_LOCAL, "[::1:80:h:90", "missing ']'"},
    {FWD_LOCAL, "[::1]x:80:h:90", "']' must end a field"},
    {FWD_LOCAL, "80:h:90\\", "backslash at the end"},
    {FWD_LOCAL, "", "empty spec"},
    {FWD_LOCAL, "   ", "empty spec"},
    {FWD_LOCAL, "80 h:90 x", "blanks inside a spec"},
    {FWD_LOCAL, "[a b]:80:h:90", "blanks inside a spec"},
    {FWD_LOCAL, "[a]:80 [b c]:90", "blanks inside a spec"},
    {FWD_LOCAL, "80 h", "expected [bind_address:]port:host:hostport"},
    {FWD_REMOTE, "80 h", "expected [bind_address:]port[:host:hostport]"},
    {FWD_DYNAMIC, "80 1080", "blanks inside a spec"},
    {FWD_DYNAMIC, "a:80:h:90", "expected [bind_address:]port"},
    {FWD_REMOTE_DYNAMIC, "80:h:90", "expected [bind_address:]port"},
    {FWD_STDIO, "h", "expected host:port"},
    {FWD_STDIO, "a:1:b:2", "expected host:port"},
    {FWD_STDIO, "::1:22", "expected host:port"},
    {FWD_STDIO, "1:2::3:22", "too many fields (an IPv6 address goes in [brackets])"},
    {FWD_STDIO, ":22", "missing host"},
    {FWD_LOCAL, "80:h\x01:90", "bad host 'h\x01'"},
};

static void test_good(void)
{
	char buf[256];

	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct fwd_spec s;
		char err[256] = "";
		int r = fwd_spec_parse(g->kind, g->text, &s, err, sizeof(err));
		CHECK_MSG(r == 0, "'%s': %d %s", g->text, r, err);
		if (r != 0) {
			continue;
		}
		CHECK_MSG(s.kind == g->got, "'%s': kind %d", g->text, (int)s.kind);
		CHECK_MSG((s.listen_host == NULL && g->lhost == NULL) ||
		              (s.listen_host != NULL && g->lhost != NULL &&
		                  strcmp(s.listen_host, g->lhost) == 0),
		    "'%s': listen host %s", g->text, s.listen_host ? s.listen_host : "(null)");
		CHECK_MSG(
		    s.listen_port == g->lport, "'%s': listen port %d", g->text, s.listen_port);
		CHECK_MSG((s.connect_host == NULL && g->chost == NULL) ||
		              (s.connect_host != NULL && g->chost != NULL &&
		                  strcmp(s.connect_host, g->chost) == 0),
		    "'%s': connect host %s", g->text, s.connect_host ? s.connect_host : "(null)");
		CHECK_MSG(
		    s.connect_port == g->cport, "'%s': connect port %d", g->text, s.connect_port);
		CHECK_EQ_INT(fwd_spec_format(&s, FWD_FMT_DUMP, buf, sizeof(buf)), 0);
		CHECK_MSG(strcmp(buf, g->dump) == 0, "'%s': dump '%s'", g->text, buf);
		CHECK_EQ_INT(fwd_spec_format(&s, FWD_FMT_SPEC, buf, sizeof(buf)), 0);
		CHECK_MSG(strcmp(buf, g->spec) == 0, "'%s': spec '%s'", g->text, buf);
		/* the command-line form parses back to the same */
		if (s.kind != FWD_STDIO) {
			struct fwd_spec t;
			char again[256];
			CHECK_MSG(fwd_spec_parse(s.kind, buf, &t, err, sizeof(err)) == 0,
			    "'%s': %s", buf, err);
			CHECK_EQ_INT(fwd_spec_format(&t, FWD_FMT_DUMP, again, sizeof(again)), 0);
			CHECK_MSG(strcmp(again, g->dump) == 0, "'%s' again: '%s'", buf, again);
			fwd_spec_free(&t);
		}
		/* too small a buffer: an error, never an overflow */
		CHECK_EQ_INT(fwd_spec_format(&s, FWD_FMT_DUMP, buf, 3), SSH_ERR_TOO_LARGE);
		fwd_spec_free(&s);
		CHECK(s.listen_host == NULL && s.connect_host == NULL);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct fwd_spec s;
		char err[256] = "";
		int r = fwd_spec_parse(b->kind, b->text, &s, err, sizeof(err));
		CHECK_MSG(
		    r == SSH_ERR_FORMAT, "'%s' (kind %d) accepted (%d)", b->text, (int)b->kind, r);
		CHECK_MSG(
		    strcmp(err, b->cause) == 0, "'%s': '%s', want '%s'", b->text, err, b->cause);
		CHECK(s.listen_host == NULL && s.connect_host == NULL);
	}
}

/* ports: numbers, and service names as OpenSSH's a2port (from this machine's /etc/services) */
static void test_ports(void)
{
	struct servent *se = getservbyname("ssh", "tcp");
	struct fwd_spec s;
	char err[256];

	CHECK_EQ_INT(fwd_port_parse("0"), 0);
	CHECK_EQ_INT(fwd_port_parse("65535"), 65535);
	CHECK_EQ_INT(fwd_port_parse("65536"), -1);
	CHECK_EQ_INT(fwd_port_parse(""), -1);
	CHECK_EQ_INT(fwd_port_parse("1 "), -1);
	CHECK_EQ_INT(fwd_port_parse("99999999999999999999"), -1);
	CHECK_EQ_INT(fwd_port_parse(NULL), -1);
	if (se != NULL) {
		CHECK_EQ_INT(fwd_port_parse("ssh"), ntohs((uint16_t)se->s_port));
		CHECK_EQ_INT(fwd_spec_parse(FWD_LOCAL, "8022:h:ssh", &s, err, sizeof(err)), 0);
		CHECK_EQ_INT(s.connect_port, ntohs((uint16_t)se->s_port));
		fwd_spec_free(&s);
	} else {
		printf("no 'ssh' service in /etc/services: the name check is skipped\n");
	}
	/* a long host: the cap */
	{
		char text[FWD_HOST_MAX + 32];
		memset(text, 'a', sizeof(text));
		memcpy(text, "80:", 3);
		snprintf(text + 3 + FWD_HOST_MAX + 1, 8, ":90");
		CHECK_EQ_INT(fwd_spec_parse(FWD_LOCAL, text, &s, err, sizeof(err)), SSH_ERR_FORMAT);
		CHECK_STR(err, "host name too long");
		text[3 + FWD_HOST_MAX] = '\0';
		strcat(text, ":90");
		CHECK_EQ_INT(fwd_spec_parse(FWD_LOCAL, text, &s, err, sizeof(err)), 0);
		CHECK_EQ_INT(strlen(s.connect_host), FWD_HOST_MAX);
		fwd_spec_free(&s);
	}
	CHECK_EQ_INT(
	    fwd_spec_parse((enum fwd_kind)99, "1", &s, err, sizeof(err)), SSH_ERR_INTERNAL);
	fwd_spec_free(NULL);
}

int main(void)
{
	test_good();
	test_bad();
	test_ports();
	T_DONE();
}
