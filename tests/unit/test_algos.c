/* algos: the category rows of the engine's tables and the one list resolution (+ - ^ and plain
 * lists against defaults and supported names). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algos.h"
#include "namelist.h"
#include "t.h"

static char err[1024];

struct res_case {
	const char *spec;
	const char *want; /* NULL: error */
	const char *err;
};

static void test_resolve(void)
{
	static const struct res_case cases[] = {
	    {NULL, "a,b,c", NULL}, {"+d", "a,b,c,d", NULL}, {"+b,d,d", "a,b,c,d", NULL},
	    {"-b", "a,c", NULL}, {"-zz", "a,b,c", NULL}, /* removing an unknown name is harmless */
	    {"-?", "", "empty algorithm list"}, {"-*", "", "empty algorithm list"},
	    {"-a*,c", "b", NULL}, {"^d,c", "d,c,a,b", NULL}, {"^c", "c,a,b", NULL},
	    {"d,a", "d,a", NULL}, {"e-2,e-1,e-2", "e-2,e-1", NULL},
	    {"a,x", NULL, "unsupported algorithm 'x'"}, {"+x", NULL, "unsupported algorithm 'x'"},
	    {"^e-*", NULL, "unsupported algorithm 'e-*'"},
	    {"e-*", NULL, "unsupported algorithm 'e-*'"}, {"a,,b", NULL, "empty algorithm name"},
	    {"", NULL, "empty algorithm name"}, {"+", NULL, "empty algorithm name"},
	    {"-", NULL, "empty algorithm name"},
	    {"A", NULL, "unsupported algorithm 'A'"}, /* names are case-sensitive */
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		s = algo_list_resolve(cases[i].spec, "a,b,c", "a,b,c,d,e-1,e-2", err, sizeof(err));
		if (cases[i].err == NULL) {
			CHECK_STR(s, cases[i].want);
		} else {
			CHECK(s == NULL);
			CHECK_STR(err, cases[i].err);
		}
		if ((cases[i].err == NULL) != (s != NULL)) {
			fprintf(stderr, "spec '%s': got '%s' err '%s'\n",
			    cases[i].spec ? cases[i].spec : "(null)", s ? s : "(null)", err);
		}
		free(s);
	}
	/* a default that is not supported is a table bug and an error */
	s = algo_list_resolve(NULL, "a,q", "a,b", err, sizeof(err));
	CHECK(s == NULL);
	CHECK_STR(err, "unsupported algorithm 'q'");
	s = algo_list_resolve(NULL, "", "a", err, sizeof(err));
	CHECK(s == NULL);
	CHECK_STR(err, "empty algorithm list");
	CHECK(algo_list_resolve("a", NULL, "a", err, sizeof(err)) == NULL);
}

/* the default lists OPTIONS.md spells out */
static void test_default_lists(void)
{
	static const struct {
		const char *class, *want;
	} defaults[] = {
	    {.class = "kex",
	        .want =
	            "mlkem768x25519-sha256,sntrup761x25519-sha512,"
	            "sntrup761x25519-sha512@openssh.com,"
	            "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
	            "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
	            "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	            "diffie-hellman-group14-sha256"},
	    {.class = "cipher",
	        .want =
	            "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
	            "aes128-ctr,aes192-ctr,aes256-ctr"},
	    {.class = "mac",
	        .want = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,"
	                "hmac-sha2-512"},
	    {.class = "key",
	        .want = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	                "rsa-sha2-512,rsa-sha2-256"},
	};
	char *s, *sup;
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		s = algo_default_list(defaults[i].class, 0);
		CHECK_MSG(s != NULL && strcmp(s, defaults[i].want) == 0, "%s: %s",
		    defaults[i].class, s != NULL ? s : "(null)");
		free(s);
	}
	/* with x509: the x509v3 rows (if the table has them) first, then the same plain list */
	s = algo_default_list("key", 1);
	CHECK(s != NULL && (p = strstr(s, "ssh-ed25519,")) != NULL &&
	      strcmp(p, "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	                "rsa-sha2-512,rsa-sha2-256") == 0);
	if (s != NULL && strncmp(s, "x509v3-", 7) == 0) {
		CHECK(strncmp(s, "x509v3-ecdsa-sha2-nistp256,", 27) == 0);
		CHECK(namelist_contains(s, "x509v3-sign-rsa"));
		CHECK(namelist_contains(s, "x509v3-ssh-rsa"));
	}
	free(s);
	s = algo_default_list("pubkey", 1);
	CHECK(s != NULL && !namelist_contains(s, "x509v3-sign-rsa") &&
	      !namelist_contains(s, "ssh-rsa") && namelist_contains(s, "rsa-sha2-256"));
	free(s);
	/* legacy algorithms are supported but not default */
	sup = algo_supported_list("key");
	CHECK(sup != NULL && namelist_contains(sup, "ssh-rsa") &&
	      namelist_contains(sup, "ssh-ed25519"));
	free(sup);
	sup = algo_supported_list("cipher");
	CHECK(sup != NULL && namelist_contains(sup, "aes256-ctr"));
	free(sup);
	CHECK(algo_default_list("bogus", 0) == NULL);
	CHECK(algo_supported_list("bogus") == NULL);
}

/* The post-quantum hybrids lead the defaults, and a peer that knows neither negotiates what it
 * did before: the client's list decides (RFC 4253 7.1), so the first common name is taken. */
static void test_kex_negotiation(void)
{
	static const struct {
		const char *server, *want;
	} peers[] = {
	    /* Cisco IOS XE 17 (classical only) */
	    {"ecdh-sha2-nistp521,ecdh-sha2-nistp384,ecdh-sha2-nistp256,"
	     "diffie-hellman-group14-sha256,diffie-hellman-group16-sha512",
	        "ecdh-sha2-nistp256"},
	    /* OpenSSH 8.x */
	    {"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
	     "diffie-hellman-group14-sha256",
	        "curve25519-sha256"},
	    /* OpenSSH 9.2 (Debian 12): sntrup761 first */
	    {"sntrup761x25519-sha512@openssh.com,curve25519-sha256,ecdh-sha2-nistp256",
	        "sntrup761x25519-sha512@openssh.com"},
	    /* OpenSSH 10 */
	    {"mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,"
	     "curve25519-sha256",
	        "mlkem768x25519-sha256"},
	    /* an old router with group14-sha1 only: not in our defaults */
	    {"diffie-hellman-group14-sha1", NULL},
	};
	char *ours = algo_default_list("kex", 0), *got;
	size_t i;

	CHECK(ours != NULL);
	if (ours == NULL) {
		return;
	}
	CHECK(strncmp(ours, "mlkem768x25519-sha256,sntrup761x25519-sha512,", 45) == 0);
	for (i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		got = namelist_first_common(ours, peers[i].server);
		if (peers[i].want == NULL) {
			CHECK(got == NULL);
		} else {
			CHECK(got != NULL && strcmp(got, peers[i].want) == 0);
		}
		free(got);
	}
	free(ours);
}

int main(void)
{
	test_resolve();
	test_default_lists();
	test_kex_negotiation();
	T_DONE();
}
