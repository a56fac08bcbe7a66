/*
 * castore_cache: the CA stores of a run kept by their configuration. Two configurations that
 * differ (CA files, directories, CRLs, flags, numbers) get two stores, each with its own
 * verdicts on the same leaf; equal ones share one store, loaded once (a CA file removed after
 * the first load still serves the second); a store that fails to load is not kept; past
 * CASTORE_CACHE_MAX the store used least recently goes; castore_clear empties the cache.
 * The PKI is made by tests/lib/pki.sh in a temp dir: root -> inter -> good, other -> stranger.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "castore_cache.h"
#include "certstore.h"
#include "t.h"

#define MAXC 4

static char dir[64];

/* DIR/name in one of a few rotating buffers */
static const char *path(const char *name)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* one explicit CA file or directory, the rest as given */
static struct certstore_config config(const char *ca_file, const char *ca_path)
{
	struct certstore_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_files[0] = ca_file != NULL ? path(ca_file) : NULL;
	cfg.ca_paths[0] = ca_path != NULL ? path(ca_path) : NULL;
	cfg.explicit_ca = 1;
	cfg.max_chain = 5;
	return cfg;
}

static struct certstore *get(const struct certstore_config *cfg)
{
	struct certstore *cs = NULL;
	char err[512] = "";
	int r = castore_get(cfg, &cs, err, sizeof(err));

	CHECK_MSG(r == 0 && cs != NULL, "castore_get: %d %s", r, err);
	return cs;
}

/* the verdict of cs on the chain in DIR/pem (leaf first) for host */
static int verdict(struct certstore *cs, const char *pem, const char *host)
{
	uint8_t *der[MAXC] = {0};
	size_t len[MAXC] = {0}, n = 0, i;
	struct certstore_check chk = {host, 0, 0, 0};
	struct certstore_result res;
	FILE *f = fopen(path(pem), "r");
	X509 *x;
	int v = -1, l;

	CHECK(f != NULL);
	while (f != NULL && n < MAXC && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		unsigned char *d = NULL;

		l = i2d_X509(x, &d);
		X509_free(x);
		CHECK(l > 0);
		der[n] = d;
		len[n++] = (size_t)(l > 0 ? l : 0);
	}
	if (f != NULL) {
		fclose(f);
	}
	memset(&res, 0, sizeof(res));
	if (cs != NULL && certstore_verify(cs, (const uint8_t *const *)der, len, n, NULL, NULL, 0,
	                      &chk, &res) == 0) {
		v = (int)res.verdict;
	}
	certstore_result_clear(&res);
	for (i = 0; i < n; i++) {
		OPENSSL_free(der[i]);
	}
	return v;
}

static int run(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

/* two CA files, one leaf: each store its own verdict; an equal configuration, its same store */
static void test_two_stores(void)
{
	struct certstore_config root = config("root.pem", NULL), other = config("other.pem", NULL);
	struct certstore_config again = config("root.pem", NULL);
	struct certstore *a = get(&root), *b = get(&other);
	char copy[256];

	CHECK(a != NULL && b != NULL && a != b);
	CHECK_EQ_INT(verdict(a, "good.chain.pem", "good.example.com"), CERTSTORE_OK);
	CHECK_EQ_INT(verdict(b, "good.chain.pem", "good.example.com"), CERTSTORE_UNTRUSTED);
	CHECK_EQ_INT(verdict(a, "stranger.chain.pem", "stranger.example.com"), CERTSTORE_UNTRUSTED);
	CHECK_EQ_INT(verdict(b, "stranger.chain.pem", "stranger.example.com"), CERTSTORE_OK);
	/* equal by content, not by pointer: another buffer with the same path */
	snprintf(copy, sizeof(copy), "%s", root.ca_files[0]);
	again.ca_files[0] = copy;
	CHECK(get(&again) == a);
	CHECK(get(&other) == b);
	CHECK_EQ_INT(verdict(get(&again), "good.chain.pem", "good.example.com"), CERTSTORE_OK);
}

/* loaded once: the file is gone when the second connection asks, and the store still serves */
static void test_loaded_once(void)
{
	struct certstore_config cfg = config("once.pem", NULL);
	struct certstore *first, *cs = NULL;
	char err[512] = "";

	CHECK_EQ_INT(run("cp %s %s", path("root.pem"), path("once.pem")), 0);
	first = get(&cfg);
	CHECK_EQ_INT(unlink(path("once.pem")), 0);
	CHECK(get(&cfg) == first);
	CHECK_EQ_INT(verdict(get(&cfg), "good.chain.pem", "good.example.com"), CERTSTORE_OK);
	/* after castore_clear the configuration loads again, and the file is missing now */
	castore_clear();
	CHECK(castore_get(&cfg, &cs, err, sizeof(err)) < 0 && cs == NULL);
	CHECK_MSG(strstr(err, "once.pem") != NULL, "err: %s", err);
}

/* a store that fails is not kept: the next call loads it */
static void test_failure_not_kept(void)
{
	struct certstore_config cfg = config("later.pem", NULL);
	struct certstore *cs = NULL;
	char err[512] = "";

	CHECK(castore_get(&cfg, &cs, err, sizeof(err)) < 0 && cs == NULL);
	CHECK_MSG(strstr(err, "later.pem") != NULL, "err: %s", err);
	CHECK_EQ_INT(run("cp %s %s", path("root.pem"), path("later.pem")), 0);
	cs = get(&cfg);
	CHECK_EQ_INT(verdict(cs, "good.chain.pem", "good.example.com"), CERTSTORE_OK);
}

/* every field of the configuration is part of the key */
static void test_every_field(void)
{
	struct certstore_config base = config(NULL, "interdir"), v;
	struct certstore *b = get(&base), *p;

	/* the same directory, with and without X509AllowPartialChain: two verdicts */
	v = base;
	v.allow_partial_chain = 1;
	p = get(&v);
	CHECK(p != NULL && p != b);
	CHECK_EQ_INT(verdict(b, "good.pem", "good.example.com"), CERTSTORE_UNTRUSTED);
	CHECK_EQ_INT(verdict(p, "good.pem", "good.example.com"), CERTSTORE_OK);

	v = base;
	v.max_chain = 6;
	CHECK(get(&v) != b);
	v = base;
	v.revocation = CERTSTORE_REV_NO;
	CHECK(get(&v) != b);
	v = base;
	v.explicit_crl = 1;
	CHECK(get(&v) != b);
	v = base;
	v.crl_files[0] = path("inter.crl.pem");
	CHECK(get(&v) != b);
	v = base;
	v.ca_paths[0] = NULL;
	v.ca_files[0] = path("interdir/inter.pem");
	CHECK(get(&v) != b);
	CHECK(get(&base) == b);

	/* paths that a plain join would run together: "a;" + "" against "a" + ";" */
	memset(&v, 0, sizeof(v));
	v.ca_files[0] = "/nonexistent/a;";
	v.ca_files[1] = "-";
	p = get(&v);
	v.ca_files[0] = "/nonexistent/a";
	v.ca_files[1] = ";-";
	CHECK(p != NULL && get(&v) != p);
}

/* past the cap the store used least recently goes; the others stay */
static void test_cap(void)
{
	struct certstore_config gone = config("evicted.pem", NULL), v = config("other.pem", NULL);
	struct certstore *first, *last = NULL, *cs = NULL;
	char err[512] = "";
	int i;

	castore_clear();
	CHECK_EQ_INT(run("cp %s %s", path("root.pem"), path("evicted.pem")), 0);
	first = get(&gone);
	CHECK_EQ_INT(unlink(path("evicted.pem")), 0);
	CHECK(get(&gone) == first); /* kept */
	for (i = 1; i < CASTORE_CACHE_MAX; i++) {
		v.max_chain = i;
		last = get(&v);
	}
	CHECK(get(&gone) == first); /* the cache is full: 16 stores, the first one used last */
	v.max_chain = 100;          /* one more: max_chain 1, the least recently used, goes */
	(void)get(&v);
	v.max_chain = CASTORE_CACHE_MAX - 1;
	CHECK(get(&v) == last);
	CHECK(get(&gone) ==
	      first); /* loaded first but used recently: kept (not first in, first out) */
	/* sixteen more: the store of a file that is gone is dropped and cannot load again */
	for (i = 0; i < CASTORE_CACHE_MAX; i++) {
		v.max_chain = 200 + i;
		(void)get(&v);
	}
	cs = NULL;
	CHECK(castore_get(&gone, &cs, err, sizeof(err)) < 0 && cs == NULL);
	CHECK_MSG(strstr(err, "evicted.pem") != NULL, "err: %s", err);
}

int main(void)
{
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test_castore.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = run("bash ../lib/pki.sh %s init >/dev/null && bash ../lib/pki.sh %s leaf good "
	         "--san DNS:good.example.com >/dev/null",
	    dir, dir);
	rc = rc != 0 ? rc
	             : run("bash ../lib/pki.sh %s leaf stranger --issuer other --san "
	                   "DNS:stranger.example.com >/dev/null && bash ../lib/pki.sh %s hashdir "
	                   "interdir inter.pem >/dev/null",
	                   dir, dir);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0) {
		test_two_stores();
		test_loaded_once();
		test_failure_not_kept();
		test_every_field();
		test_cap();
	}
	castore_clear();
	if (getenv("KEEP_TMP") == NULL) {
		(void)run("rm -rf %s%s", dir, "");
	} else {
		fprintf(stderr, "kept %s\n", dir);
	}
	T_DONE();
}
