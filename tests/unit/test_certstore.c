/*
 * certstore: trust decisions over a PKI that tests/lib/pki.sh builds in a temp dir (root,
 * intermediate, an unrelated root, leaves of every flavour, CRLs, OCSP responses, hashed
 * directories). Every verdict and the key parts of every reason are checked.
 * The set is made once and copied from a cache while it is young (pki.sh, X509SSH_PKI_CACHE;
 * default: pki-cache in the build dir, "" for none): checks that depend on the age of the
 * certificates and OCSP responses give a time relative to `born`, when the set was made.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certstore.h"
#include "t.h"

#define MAXC 8

/* the PKI cache when X509SSH_PKI_CACHE is not set (CMakeLists.txt gives the build dir's) */
#ifndef X509SSH_PKI_CACHE_DIR
#define X509SSH_PKI_CACHE_DIR ""
#endif

static char dir[64];
static time_t born; /* when the PKI was made (DIR/born) */

struct chain {
	uint8_t *der[MAXC];
	size_t len[MAXC];
	size_t n;
	uint8_t *ocsp[MAXC];
	size_t olen[MAXC];
	size_t nocsp;
};

static const char *path(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void chain_free(struct chain *c)
{
	size_t i;

	for (i = 0; i < MAXC; i++) {
		OPENSSL_free(c->der[i]);
		free(c->ocsp[i]);
	}
	memset(c, 0, sizeof(*c));
}

/* appends every certificate of DIR/name (PEM) */
static void chain_add(struct chain *c, const char *name)
{
	FILE *f = fopen(path(name), "r");
	X509 *x;

	CHECK(f != NULL);
	if (f == NULL) {
		return;
	}
	while (c->n < MAXC && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int len = i2d_X509(x, &der);

		CHECK(len > 0);
		c->der[c->n] = der;
		c->len[c->n] = (size_t)(len > 0 ? len : 0);
		c->n++;
		X509_free(x);
	}
	fclose(f);
}

/* staple DIR/name as the OCSP response of certificate i */
static void chain_ocsp(struct chain *c, size_t i, const char *name)
{
	free(c->ocsp[i]);
	c->ocsp[i] = t_slurp(path(name), &c->olen[i]);
	CHECK(c->ocsp[i] != NULL);
	if (c->nocsp < i + 1) {
		c->nocsp = i + 1;
	}
}

struct opts {
	const char *ca_file, *ca_path, *crl_file, *crl_path;
	int partial, max_chain, rev;
};

static struct certstore *store(struct opts o)
{
	struct certstore_config cfg;
	struct certstore *cs = NULL;
	char err[256] = "";
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_files[0] = o.ca_file ? path(o.ca_file) : NULL;
	cfg.ca_paths[0] = o.ca_path ? path(o.ca_path) : NULL;
	cfg.crl_files[0] = o.crl_file ? path(o.crl_file) : NULL;
	cfg.crl_paths[0] = o.crl_path ? path(o.crl_path) : NULL;
	cfg.explicit_ca = 1;
	cfg.allow_partial_chain = o.partial;
	cfg.max_chain = o.max_chain;
	cfg.revocation = o.rev;
	r = certstore_new(&cfg, &cs, err, sizeof(err));
	CHECK_EQ_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "certstore_new: %s\n", err);
	}
	return cs;
}

static struct certstore_result res;

/* verify and compare the verdict; reason must contain want_reason when given */
static void expect_(int line, struct certstore *cs, struct chain *c, const char *host, int fallback,
    int purposes, time_t now, enum certstore_verdict want, const char *want_reason)
{
	struct certstore_check chk = {host, fallback, purposes, now};
	int r;

	certstore_result_clear(&res);
	r = certstore_verify(cs, (const uint8_t *const *)c->der, c->len, c->n,
	    (const uint8_t *const *)c->ocsp, c->olen, c->nocsp, &chk, &res);
	CHECK_EQ_INT(r, 0);
	if ((int)res.verdict != (int)want ||
	    (want_reason != NULL && strstr(res.reason, want_reason) == NULL)) {
		fprintf(stderr, "line %d: verdict %d (want %d) depth %d subject '%s' reason '%s'\n",
		    line, res.verdict, want, res.depth, res.subject, res.reason);
	}
	CHECK_EQ_INT(res.verdict, want);
	if (want_reason != NULL) {
		CHECK(strstr(res.reason, want_reason) != NULL);
	}
}

#define EXPECT(cs, c, host, v, why) expect_(__LINE__, cs, c, host, 1, 0, 0, v, why)
#define EXPECT_FULL(cs, c, host, fb, purp, now, v, why)                                            \
	expect_(__LINE__, cs, c, host, fb, purp, now, v, why)

/* a chain from one PEM file, optional OCSP for the leaf */
static void one(struct certstore *cs, const char *pem, const char *ocsp, const char *host,
    enum certstore_verdict v, const char *why, int line)
{
	struct chain c = {0};

	chain_add(&c, pem);
	if (ocsp != NULL) {
		chain_ocsp(&c, 0, ocsp);
	}
	expect_(line, cs, &c, host, 1, 0, 0, v, why);
	chain_free(&c);
}
#define ONE(cs, pem, ocsp, host, v, why) one(cs, pem, ocsp, host, v, why, __LINE__)

static void test_chains(void)
{
	struct certstore *cs = store((struct opts){.ca_file = "bundle.pem"});
	struct certstore *root_only = store((struct opts){.ca_file = "root.pem"});
	struct certstore *root_partial = store((struct opts){.ca_file = "root.pem", .partial = 1});
	struct certstore *hashed = store((struct opts){.ca_path = "cadir"});
	struct certstore *inter_only = store((struct opts){.ca_path = "interdir"});
	struct certstore *inter_partial = store((struct opts){.ca_path = "interdir", .partial = 1});
	struct chain c = {0};

	CHECK_EQ_INT(certstore_anchor_count(cs), 2);
	CHECK_EQ_INT(certstore_anchor_count(hashed), 2);
	ONE(cs, "good.chain.pem", NULL, "good.example.com", CERTSTORE_OK, "trusted");
	CHECK(res.chain_text != NULL &&
	      strstr(res.chain_text, "depth 0: subject=CN=good, "
	                             "issuer=CN=Test Intermediate CA, valid ") != NULL);
	CHECK(res.chain_text != NULL &&
	      strstr(res.chain_text,
	          "\ndepth 2: subject=CN=Test Root CA, issuer=CN=Test Root CA") != NULL);
	CHECK(res.chain_text != NULL && strstr(res.chain_text, " UTC, SHA256:") != NULL);
	CHECK_STR(res.subject, "CN=good");
	CHECK_EQ_INT(res.depth, 0);
	ONE(cs, "rsa.chain.pem", NULL, "rsa.example.com", CERTSTORE_OK, NULL);
	ONE(cs, "ec384.chain.pem", NULL, "ec384.example.com", CERTSTORE_OK, NULL);
	ONE(cs, "onroot.chain.pem", NULL, "onroot.example.com", CERTSTORE_OK, NULL);
	ONE(cs, "weak.chain.pem", NULL, "weak.example.com", CERTSTORE_OK, NULL); /* RSA 1024 */
	/* the root sent along is fine; an unknown root is not */
	chain_add(&c, "good.chain.pem");
	chain_add(&c, "root.pem");
	EXPECT(cs, &c, "good.example.com", CERTSTORE_OK, NULL);
	chain_free(&c);
	ONE(cs, "untrusted.chain.pem", NULL, "untrusted.example.com", CERTSTORE_UNTRUSTED,
	    "untrusted issuer 'CN=Other Root CA'");
	chain_add(&c, "untrusted.chain.pem");
	chain_add(&c, "other.pem");
	EXPECT(cs, &c, "untrusted.example.com", CERTSTORE_UNTRUSTED, "'CN=Other Root CA'");
	chain_free(&c);
	/* a self-signed leaf that is not an anchor */
	ONE(cs, "other.pem", NULL, NULL, CERTSTORE_UNTRUSTED, "Other Root CA");

	/* missing intermediate */
	ONE(root_only, "good.pem", NULL, "good.example.com", CERTSTORE_UNTRUSTED,
	    "untrusted issuer 'CN=Test Intermediate CA'");
	CHECK_EQ_INT(res.depth, 0);
	ONE(root_partial, "good.pem", NULL, "good.example.com", CERTSTORE_UNTRUSTED, NULL);
	ONE(root_only, "good.chain.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	/* in a hashed dir with its root: found there */
	ONE(hashed, "good.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	ONE(hashed, "rsa.chain.pem", NULL, "rsa.example.com", CERTSTORE_OK, NULL);
	ONE(hashed, "untrusted.chain.pem", NULL, "untrusted.example.com", CERTSTORE_UNTRUSTED,
	    NULL);
	/* in a CA dir without its root: an anchor only with X509AllowPartialChain */
	ONE(inter_only, "good.pem", NULL, "good.example.com", CERTSTORE_UNTRUSTED,
	    "'CN=Test Root CA'");
	CHECK_EQ_INT(res.depth, 1);
	ONE(inter_only, "good.chain.pem", NULL, "good.example.com", CERTSTORE_UNTRUSTED, NULL);
	ONE(inter_partial, "good.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	CHECK(res.chain_text != NULL && strstr(res.chain_text, "depth 1: subject=CN=Test "
	                                                       "Intermediate CA") != NULL);
	CHECK(res.chain_text != NULL && strstr(res.chain_text, "depth 2") == NULL);

	certstore_free(cs);
	certstore_free(root_only);
	certstore_free(root_partial);
	certstore_free(hashed);
	certstore_free(inter_only);
	certstore_free(inter_partial);
}

static void test_validity(void)
{
	struct certstore *cs = store((struct opts){.ca_file = "bundle.pem"});
	struct chain c = {0};
	time_t now = born;

	ONE(cs, "expired.chain.pem", NULL, "expired.example.com", CERTSTORE_EXPIRED,
	    "certificate expired on 2025-01-01 00:00:00 UTC");
	CHECK_STR(res.subject, "CN=expired");
	CHECK_EQ_INT(res.depth, 0);
	ONE(cs, "future.chain.pem", NULL, "future.example.com", CERTSTORE_NOT_YET_VALID,
	    "certificate not valid before 2049-01-01 00:00:00 UTC");
	/* the caller's clock is used throughout */
	chain_add(&c, "good.chain.pem");
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 900 * 86400, CERTSTORE_EXPIRED,
	    "certificate expired on ");
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now - 86400, CERTSTORE_NOT_YET_VALID, NULL);
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 86400, CERTSTORE_OK, NULL);
	/* the CAs run 10 years, the leaf 825 days: at +12 years the root is the first to fail
	 * in OpenSSL's order or the leaf; either way it is expired */
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 12 * 366 * 86400, CERTSTORE_EXPIRED,
	    "expired on ");
	chain_free(&c);
	certstore_free(cs);
}

static void test_names(void)
{
	struct certstore *cs = store((struct opts){.ca_file = "bundle.pem"});
	struct chain c = {0};

	chain_add(&c, "good.chain.pem");
	EXPECT(cs, &c, "good.example.com", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "GOOD.Example.COM.", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "10.0.0.1", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "10.0.0.2", CERTSTORE_NAME_MISMATCH,
	    "name mismatch: '10.0.0.2' is not in DNS:good.example.com, IP:10.0.0.1");
	EXPECT(cs, &c, "bad.example.com", CERTSTORE_NAME_MISMATCH,
	    "'bad.example.com' is not in DNS:good.example.com, IP:10.0.0.1");
	EXPECT(cs, &c, "good.example.co", CERTSTORE_NAME_MISMATCH, NULL);
	EXPECT(cs, &c, "x.good.example.com", CERTSTORE_NAME_MISMATCH, NULL);
	EXPECT(cs, &c, "", CERTSTORE_NAME_MISMATCH, NULL);
	EXPECT(cs, &c, ".", CERTSTORE_NAME_MISMATCH, NULL);
	EXPECT(cs, &c, NULL, CERTSTORE_OK, NULL); /* no name to check */
	chain_free(&c);

	chain_add(&c, "wild.chain.pem");
	EXPECT(cs, &c, "a.wild.example.com", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "wild.example.com", CERTSTORE_NAME_MISMATCH, "DNS:*.wild.example.com");
	EXPECT(cs, &c, "a.b.wild.example.com", CERTSTORE_NAME_MISMATCH, NULL);
	EXPECT(cs, &c, "*.wild.example.com", CERTSTORE_NAME_MISMATCH, "(not a valid host name)");
	EXPECT(cs, &c, ".wild.example.com", CERTSTORE_NAME_MISMATCH, NULL);
	chain_free(&c);

	chain_add(&c, "partwild.chain.pem");
	EXPECT(cs, &c, "foo.example.com", CERTSTORE_NAME_MISMATCH, "DNS:f*o.example.com");
	EXPECT(cs, &c, "fo.example.com", CERTSTORE_NAME_MISMATCH, NULL);
	chain_free(&c);

	chain_add(&c, "ipv6.chain.pem");
	EXPECT(cs, &c, "2001:db8::1", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "2001:0DB8:0:0:0:0:0:1", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "v6.example.com", CERTSTORE_OK, NULL);
	EXPECT(cs, &c, "2001:db8::2", CERTSTORE_NAME_MISMATCH,
	    "is not in IP:2001:db8::1, DNS:v6.example.com");
	chain_free(&c);

	/* a SAN with only an address: the CN is not a fallback */
	chain_add(&c, "iponly.chain.pem");
	EXPECT(cs, &c, "iponly.example.com", CERTSTORE_NAME_MISMATCH, "is not in IP:10.0.0.2");
	EXPECT(cs, &c, "10.0.0.2", CERTSTORE_OK, NULL);
	chain_free(&c);

	/* no SAN at all: the CN when X509NameFallbackCN is on, and never for an address */
	chain_add(&c, "cnonly.chain.pem");
	EXPECT(cs, &c, "rtr-dc01.example.com", CERTSTORE_OK, NULL);
	EXPECT_FULL(cs, &c, "rtr-dc01.example.com", 0, 0, 0, CERTSTORE_NAME_MISMATCH,
	    "is not in CN=RTR-DC01.example.com (no subjectAltName and X509NameFallbackCN is off)");
	EXPECT(cs, &c, "rtr-dc02.example.com", CERTSTORE_NAME_MISMATCH,
	    "'rtr-dc02.example.com' is not in CN=RTR-DC01.example.com");
	EXPECT(cs, &c, "10.0.0.1", CERTSTORE_NAME_MISMATCH, "never checked for an IP");
	chain_free(&c);
	certstore_free(cs);
}

static void test_usage(void)
{
	struct certstore *cs = store((struct opts){.ca_file = "bundle.pem"});
	struct chain c = {0};

	ONE(cs, "clienteku.chain.pem", NULL, "client.example.com", CERTSTORE_BAD_EKU,
	    "extendedKeyUsage allows only secureShellClient, clientAuth (need one of "
	    "secureShellServer, serverAuth, anyExtendedKeyUsage)");
	chain_add(&c, "clienteku.chain.pem");
	EXPECT_FULL(cs, &c, NULL, 0, CERTSTORE_PURPOSE_SSH_CLIENT, 0, CERTSTORE_OK, NULL);
	chain_free(&c);
	ONE(cs, "tlseku.chain.pem", NULL, "tls.example.com", CERTSTORE_OK, NULL);
	chain_add(&c, "tlseku.chain.pem");
	EXPECT_FULL(cs, &c, "tls.example.com", 1, CERTSTORE_PURPOSE_SSH_SERVER, 0,
	    CERTSTORE_BAD_EKU, "allows only serverAuth (need one of secureShellServer)");
	chain_free(&c);
	chain_add(&c, "good.chain.pem");
	EXPECT_FULL(
	    cs, &c, "good.example.com", 1, CERTSTORE_PURPOSE_SSH_SERVER, 0, CERTSTORE_OK, NULL);
	EXPECT_FULL(cs, &c, "good.example.com", 1, CERTSTORE_PURPOSE_SERVER_AUTH, 0,
	    CERTSTORE_BAD_EKU, "allows only secureShellServer");
	chain_free(&c);
	ONE(cs, "anyeku.chain.pem", NULL, "any.example.com", CERTSTORE_OK, NULL);
	ONE(cs, "ec384.chain.pem", NULL, "ec384.example.com", CERTSTORE_OK, NULL); /* no EKU */
	ONE(cs, "noku.chain.pem", NULL, "noku.example.com", CERTSTORE_OK, NULL);   /* no KU */
	ONE(cs, "nodigsig.chain.pem", NULL, "nodigsig.example.com", CERTSTORE_BAD_KEY_USAGE,
	    "keyUsage lacks digitalSignature (it allows only keyEncipherment)");
	certstore_free(cs);
}

static void test_crl(void)
{
	struct certstore *files =
	    store((struct opts){.ca_file = "bundle.pem", .crl_file = "crls.pem"});
	struct certstore *dirs = store((struct opts){.ca_path = "cadir", .crl_path = "crldir"});
	struct certstore *off = store((struct opts){
	    .ca_file = "bundle.pem", .crl_file = "crls.pem", .rev = CERTSTORE_REV_NO});
	struct certstore *req = store((struct opts){
	    .ca_file = "bundle.pem", .crl_file = "crls.pem", .rev = CERTSTORE_REV_REQUIRE});
	struct certstore *half = store((struct opts){
	    .ca_file = "bundle.pem", .crl_file = "inter.crl.pem", .rev = CERTSTORE_REV_REQUIRE});
	struct certstore *halfcheck =
	    store((struct opts){.ca_file = "bundle.pem", .crl_file = "inter.crl.pem"});

	ONE(files, "revoked.chain.pem", NULL, "revoked.example.com", CERTSTORE_REVOKED,
	    "certificate revoked on 20");
	CHECK(strstr(res.reason, " UTC (CRL)") != NULL);
	ONE(dirs, "revoked.pem", NULL, "revoked.example.com", CERTSTORE_REVOKED, "(CRL)");
	ONE(off, "revoked.chain.pem", NULL, "revoked.example.com", CERTSTORE_OK, NULL);
	ONE(req, "revoked.chain.pem", NULL, "revoked.example.com", CERTSTORE_REVOKED, NULL);
	ONE(files, "good.chain.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	ONE(dirs, "good.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	ONE(req, "good.chain.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	/* require: the intermediate has no CRL from the root */
	ONE(half, "good.chain.pem", NULL, "good.example.com", CERTSTORE_NO_REVOCATION_STATUS,
	    "no current CRL from 'CN=Test Root CA'");
	CHECK_EQ_INT(res.depth, 1);
	ONE(halfcheck, "good.chain.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	ONE(halfcheck, "revoked.chain.pem", NULL, "revoked.example.com", CERTSTORE_REVOKED, NULL);
	certstore_free(files);
	certstore_free(dirs);
	certstore_free(off);
	certstore_free(req);
	certstore_free(half);
	certstore_free(halfcheck);
}

static void test_ocsp(void)
{
	struct certstore *cs = store((struct opts){.ca_file = "bundle.pem"});
	struct certstore *off =
	    store((struct opts){.ca_file = "bundle.pem", .rev = CERTSTORE_REV_NO});
	struct certstore *req =
	    store((struct opts){.ca_file = "bundle.pem", .rev = CERTSTORE_REV_REQUIRE});
	struct certstore *req_rootcrl = store((struct opts){
	    .ca_file = "bundle.pem", .crl_file = "root.crl.pem", .rev = CERTSTORE_REV_REQUIRE});
	struct chain c = {0};
	struct chain inter = {0};
	uint8_t *saved, *certs_at;
	size_t i, savedlen, signed_end, n_ok = 0, n_bad = 0;
	time_t now = born;

	ONE(cs, "good.chain.pem", "good.ocsp.der", "good.example.com", CERTSTORE_OK, NULL);
	ONE(cs, "good.chain.pem", "good.ocsp-resp.der", "good.example.com", CERTSTORE_OK, NULL);
	ONE(cs, "revoked.chain.pem", "revoked.ocsp.der", "revoked.example.com", CERTSTORE_REVOKED,
	    "certificate revoked on 20");
	CHECK(strstr(res.reason, "(OCSP, reason: keyCompromise)") != NULL);
	ONE(cs, "good.chain.pem", "good.ocsp-wrong.der", "good.example.com", CERTSTORE_BAD_OCSP,
	    "signed by 'CN=Other Root CA', neither the issuer nor a responder it authorised");
	ONE(cs, "good.chain.pem", "good.ocsp-leafsig.der", "good.example.com", CERTSTORE_BAD_OCSP,
	    "signed by 'CN=tlseku'");
	ONE(cs, "good.chain.pem", "revoked.ocsp.der", "good.example.com", CERTSTORE_BAD_OCSP,
	    "about another certificate");
	ONE(off, "good.chain.pem", "good.ocsp-wrong.der", "good.example.com", CERTSTORE_OK, NULL);
	ONE(off, "revoked.chain.pem", "revoked.ocsp.der", "revoked.example.com", CERTSTORE_OK,
	    NULL);
	ONE(cs, "good.chain.pem", "good.der", "good.example.com", CERTSTORE_MALFORMED,
	    "OCSP response does not parse");

	chain_add(&c, "good.chain.pem");
	chain_ocsp(&c, 0, "good.ocsp-stale.der");
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 3600, CERTSTORE_BAD_OCSP,
	    "stale OCSP response: nextUpdate ");
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 240, CERTSTORE_OK, NULL);
	EXPECT_FULL(off, &c, "good.example.com", 1, 0, now + 3600, CERTSTORE_OK, NULL);
	chain_free(&c);
	/* no nextUpdate: good for a day after thisUpdate, stale after that */
	chain_add(&c, "good.chain.pem");
	chain_ocsp(&c, 0, "good.ocsp-nonext.der");
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 3600, CERTSTORE_OK, NULL);
	EXPECT_FULL(cs, &c, "good.example.com", 1, 0, now + 2 * 86400, CERTSTORE_BAD_OCSP,
	    "stale OCSP response: no nextUpdate");
	chain_free(&c);

	/* require: a status for every certificate below the anchor */
	ONE(req, "good.chain.pem", NULL, "good.example.com", CERTSTORE_NO_REVOCATION_STATUS,
	    "no revocation status");
	CHECK_EQ_INT(res.depth, 0);
	ONE(req, "good.chain.pem", "good.ocsp.der", "good.example.com",
	    CERTSTORE_NO_REVOCATION_STATUS, "'CN=Test Root CA'");
	CHECK_EQ_INT(res.depth, 1);
	ONE(req_rootcrl, "good.chain.pem", "good.ocsp.der", "good.example.com", CERTSTORE_OK, NULL);
	ONE(req_rootcrl, "good.chain.pem", NULL, "good.example.com", CERTSTORE_NO_REVOCATION_STATUS,
	    NULL);
	CHECK_EQ_INT(res.depth, 0);
	ONE(req_rootcrl, "onroot.chain.pem", NULL, "onroot.example.com", CERTSTORE_OK, NULL);
	ONE(req, "onroot.chain.pem", NULL, "onroot.example.com", CERTSTORE_NO_REVOCATION_STATUS,
	    NULL);

	/* mutation sweep over a stapled response: never trusted when truncated */
	chain_add(&c, "good.chain.pem");
	chain_ocsp(&c, 0, "good.ocsp.der");
	saved = c.ocsp[0];
	savedlen = c.olen[0];
	for (i = 0; i < savedlen; i = t_sweep_next(i, savedlen)) {
		struct certstore_check chk = {"good.example.com", 1, 0, 0};
		int r;

		c.olen[0] = i;
		certstore_result_clear(&res);
		r = certstore_verify(cs, (const uint8_t *const *)c.der, c.len, c.n,
		    (const uint8_t *const *)c.ocsp, c.olen, c.nocsp, &chk, &res);
		CHECK(r == 0 &&
		      (i == 0 ? res.verdict == CERTSTORE_OK : res.verdict == CERTSTORE_MALFORMED));
	}
	c.olen[0] = savedlen;
	/* the responder certificate embedded at the end is not signed, and the issuer we hold
	 * is preferred to it: flips there may leave the response acceptable; flips in the
	 * signed data or the signature never do */
	chain_add(&inter, "inter.pem");
	certs_at = memmem(saved, savedlen, inter.der[0], inter.len[0]);
	CHECK(certs_at != NULL);
	/* before it: "[0] len SEQUENCE len", 4 + 4 bytes for a certificate of 256..65535 bytes */
	signed_end =
	    certs_at != NULL && certs_at - saved > 8 ? (size_t)(certs_at - saved) - 8 : savedlen;
	for (i = 0; i < savedlen * 8; i = t_sweep_next_by(i, savedlen * 8, 7)) {
		struct certstore_check chk = {"good.example.com", 1, 0, 0};
		int r;

		saved[i / 8] ^= (uint8_t)(1u << (i % 8));
		certstore_result_clear(&res);
		r = certstore_verify(cs, (const uint8_t *const *)c.der, c.len, c.n,
		    (const uint8_t *const *)c.ocsp, c.olen, c.nocsp, &chk, &res);
		saved[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK(r == 0 && res.verdict != CERTSTORE_REVOKED);
		if (res.verdict == CERTSTORE_OK) {
			n_ok++;
			if (i / 8 < signed_end) {
				fprintf(stderr,
				    "ocsp flip of bit %zu (signed part ends at byte %zu) "
				    "accepted\n",
				    i, signed_end);
				n_bad++;
			}
		}
	}
	CHECK_EQ_INT(n_bad, 0);
	CHECK(n_ok < savedlen * 8 / 7);
	chain_free(&inter);
	chain_free(&c);
	certstore_free(cs);
	certstore_free(off);
	certstore_free(req);
	certstore_free(req_rootcrl);
}

static void test_chain_length(void)
{
	struct certstore *three = store((struct opts){.ca_file = "bundle.pem", .max_chain = 3});
	struct certstore *four = store((struct opts){.ca_file = "bundle.pem", .max_chain = 4});
	struct certstore *five = store((struct opts){.ca_file = "bundle.pem", .max_chain = 5});
	struct certstore *dflt = store((struct opts){.ca_file = "bundle.pem"});

	ONE(three, "deep.chain.pem", NULL, "deep.example.com", CERTSTORE_CHAIN_TOO_LONG,
	    "4 certificates sent, more than X509MaxChain 3");
	ONE(four, "deep.chain.pem", NULL, "deep.example.com", CERTSTORE_CHAIN_TOO_LONG,
	    "path of 5 certificates to the anchor, more than X509MaxChain 4");
	ONE(five, "deep.chain.pem", NULL, "deep.example.com", CERTSTORE_OK, NULL);
	ONE(dflt, "deep.chain.pem", NULL, "deep.example.com", CERTSTORE_OK, NULL);
	ONE(three, "good.chain.pem", NULL, "good.example.com", CERTSTORE_OK, NULL);
	certstore_free(three);
	certstore_free(four);
	certstore_free(five);
	certstore_free(dflt);
}

static void test_garbage(void)
{
	struct certstore *cs = store((struct opts){.ca_file = "bundle.pem"});
	struct certstore_check chk = {"good.example.com", 1, 0, 0};
	struct chain c = {0};
	uint8_t *der, *copy;
	size_t i, len;
	int r, bad = 0;

	chain_add(&c, "good.chain.pem");
	der = c.der[0];
	len = c.len[0];
	copy = malloc(len + 1);
	CHECK(copy != NULL);
	if (copy == NULL) {
		return;
	}
	memcpy(copy, der, len);
	c.der[0] = copy;
	/* every truncation, one trailing byte (a sampled sweep still visits len, the whole) */
	for (i = 0; i <= len + 1;
	     i = i < len && t_sweep_next(i, len + 2) > len ? len : t_sweep_next(i, len + 2)) {
		copy[len] = 0;
		c.len[0] = i;
		certstore_result_clear(&res);
		r = certstore_verify(
		    cs, (const uint8_t *const *)c.der, c.len, c.n, NULL, NULL, 0, &chk, &res);
		if (r != 0 ||
		    (i == len ? res.verdict != CERTSTORE_OK : res.verdict != CERTSTORE_MALFORMED)) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	/* single-bit flips at every byte (rotating bit position) */
	c.len[0] = len;
	for (i = 0; i < len * 8; i = t_sweep_next_by(i, len * 8, 11)) {
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		certstore_result_clear(&res);
		r = certstore_verify(
		    cs, (const uint8_t *const *)c.der, c.len, c.n, NULL, NULL, 0, &chk, &res);
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (r != 0 || res.verdict == CERTSTORE_OK) {
			fprintf(stderr, "bit %zu: r %d verdict %d reason %s\n", i, r, res.verdict,
			    res.reason);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	c.der[0] = der;
	free(copy);

	/* an intermediate that is garbage */
	c.len[1] = 10;
	certstore_result_clear(&res);
	r = certstore_verify(
	    cs, (const uint8_t *const *)c.der, c.len, c.n, NULL, NULL, 0, &chk, &res);
	CHECK(r == 0 && res.verdict == CERTSTORE_MALFORMED && res.depth == 1);
	CHECK(strstr(res.reason, "certificate 1 does not parse") != NULL);
	/* no certificates; oversized; bad arguments */
	certstore_result_clear(&res);
	r = certstore_verify(cs, NULL, NULL, 0, NULL, NULL, 0, &chk, &res);
	CHECK(r == 0 && res.verdict == CERTSTORE_MALFORMED);
	c.len[1] = 40000;
	certstore_result_clear(&res);
	r = certstore_verify(
	    cs, (const uint8_t *const *)c.der, c.len, c.n, NULL, NULL, 0, &chk, &res);
	CHECK(r == 0 && res.verdict == CERTSTORE_MALFORMED);
	certstore_result_clear(&res);
	CHECK(certstore_verify(
	          cs, (const uint8_t *const *)c.der, c.len, 1, NULL, NULL, 2, &chk, &res) < 0);
	CHECK(certstore_verify(
	          NULL, (const uint8_t *const *)c.der, c.len, 1, NULL, NULL, 0, &chk, &res) < 0);
	chain_free(&c);
	certstore_free(cs);
}

static void test_store(void)
{
	struct certstore_config cfg;
	struct certstore *cs = NULL;
	struct chain c = {0};
	char err[256];

	/* nothing found: a store with no anchors, and every verdict says so */
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_files[0] = path("nonexistent.pem");
	cfg.ca_paths[0] = path("nonexistent.d");
	CHECK_EQ_INT(certstore_new(&cfg, &cs, err, sizeof(err)), 0);
	CHECK_EQ_INT(certstore_anchor_count(cs), 0);
	chain_add(&c, "good.chain.pem");
	EXPECT(cs, &c, "good.example.com", CERTSTORE_NO_ANCHORS, "no trust anchors");
	certstore_free(cs);
	cs = NULL;
	/* explicitly named and missing: an error */
	cfg.explicit_ca = 1;
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	CHECK(cs == NULL && strstr(err, "nonexistent.pem") != NULL);
	/* not PEM, a directory for a file, certificates in a CRL file */
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_files[0] = path("good.der");
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	CHECK(strstr(err, "good.der: not PEM") != NULL || strstr(err, "good.der: no cert") != NULL);
	cfg.ca_files[0] = path("cadir");
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	/* a certificate block that does not decode: OpenSSL's reason is in the message */
	{
		char tmp[] = "/tmp/x509ssh-garbage-ca-XXXXXX";
		static const char garbage[] = "-----BEGIN CERTIFICATE-----\nMIIBzzzzAAAA\n"
		                              "-----END CERTIFICATE-----\n";
		int fd = mkstemp(tmp);

		CHECK(fd >= 0 && write(fd, garbage, sizeof(garbage) - 1) == sizeof(garbage) - 1);
		if (fd >= 0) {
			close(fd);
		}
		cfg.ca_files[0] = tmp;
		CHECK_EQ_INT(certstore_new(&cfg, &cs, err, sizeof(err)), CS_ERR_FORMAT);
		CHECK(strstr(err, ": not PEM certificates or CRLs (") != NULL &&
		      strstr(err, "no detail from OpenSSL") == NULL);
		if (strstr(err, "(") == NULL) {
			fprintf(stderr, "garbage CA file: %s\n", err);
		}
		unlink(tmp);
		CHECK_STR(certstore_err_str(CS_ERR_LIBCRYPTO), "libcrypto error");
		CHECK_STR(certstore_err_str(CS_ERR_SYSTEM), "system error");
	}
	cfg.ca_files[0] = path("bundle.pem");
	cfg.crl_files[0] = path("root.pem");
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	CHECK(strstr(err, "holds certificates") != NULL);
	/* a CRL file or directory the user named must exist: a typo must not turn revocation
	 * checking off; a default one that is missing is skipped */
	cfg.crl_files[0] = path("nonexistent.crl.pem");
	CHECK_EQ_INT(certstore_new(&cfg, &cs, err, sizeof(err)), 0);
	certstore_free(cs);
	cs = NULL;
	cfg.explicit_crl = 1;
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	CHECK(cs == NULL && strstr(err, "nonexistent.crl.pem") != NULL);
	cfg.crl_files[0] = NULL;
	cfg.crl_paths[0] = path("nonexistent.crl.d");
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	CHECK(cs == NULL && strstr(err, "nonexistent.crl.d") != NULL);
	cfg.crl_paths[0] = NULL;
	cfg.explicit_crl = 0;
	cfg.revocation = 7;
	CHECK(certstore_new(&cfg, &cs, err, sizeof(err)) < 0);
	cfg.revocation = 0;
	/* several sources add up (path() rotates four buffers: name every source anew) */
	cfg.ca_files[0] = path("bundle.pem");
	cfg.ca_files[1] = path("other.pem");
	cfg.ca_paths[0] = path("cadir");
	CHECK_EQ_INT(certstore_new(&cfg, &cs, err, sizeof(err)), 0);
	CHECK_EQ_INT(certstore_anchor_count(cs), 5);
	EXPECT(cs, &c, "good.example.com", CERTSTORE_OK, NULL);
	certstore_free(cs);
	chain_free(&c);
	certstore_result_clear(&res);
	CHECK(res.chain_text == NULL && res.depth == -1);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_timing(void)
{
	struct certstore *cs;
	struct chain c = {0};
	struct timespec t0;
	double load, first, later;
	int i;

	chain_add(&c, "good.chain.pem");
	chain_ocsp(&c, 0, "good.ocsp.der");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cs = store((struct opts){.ca_file = "bundle.pem", .crl_file = "crls.pem"});
	load = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT(cs, &c, "good.example.com", CERTSTORE_OK, NULL);
	first = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 10; i++) {
		EXPECT(cs, &c, "good.example.com", CERTSTORE_OK, NULL);
	}
	later = ms_since(&t0) / 10;
	printf("timing: certstore_new %.3f ms, first verify %.3f ms (total %.3f ms), "
	       "later verifies %.3f ms each (EC chain of 3, CRLs, stapled OCSP)\n",
	    load, first, load + first, later);
	certstore_free(cs);
	chain_free(&c);
}

/* born from DIR/born; 0, or -1 when it is missing or not a time */
static int read_born(void)
{
	char *text = (char *)t_slurp(path("born"), NULL), *end = NULL;
	long long v = text != NULL ? strtoll(text, &end, 10) : 0;
	int ok = text != NULL && end != text && (*end == '\n' || *end == '\0') && v > 0;

	CHECK_MSG(ok, "%s: no time of making", path("born"));
	born = ok ? (time_t)v : 0;
	free(text);
	return ok ? 0 : -1;
}

/* with a cache, a second set is a copy of the first (same keys and time of making) whose CA
 * configurations name its own directory */
static void test_cache(void)
{
	const char *cache = getenv("X509SSH_PKI_CACHE");
	char second[sizeof(dir) + 8], cmd[512];
	uint8_t *a, *b, *cnf;
	size_t alen, blen;

	if (cache == NULL || cache[0] == '\0') {
		return;
	}
	snprintf(second, sizeof(second), "%s.copy", dir);
	snprintf(cmd, sizeof(cmd), "bash ../lib/pki.sh %s standard", second);
	CHECK_EQ_INT(system(cmd), 0);
	a = t_slurp(path("good.der"), &alen);
	snprintf(cmd, sizeof(cmd), "%s/good.der", second);
	b = t_slurp(cmd, &blen);
	CHECK(a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0);
	free(a);
	free(b);
	snprintf(cmd, sizeof(cmd), "%s/born", second);
	a = t_slurp(cmd, NULL);
	CHECK(a != NULL && strtoll((const char *)a, NULL, 10) == (long long)born);
	free(a);
	snprintf(cmd, sizeof(cmd), "%s/inter/ca.cnf", second);
	cnf = t_slurp(cmd, NULL);
	snprintf(cmd, sizeof(cmd), "dir = %s/inter\n", second);
	CHECK(cnf != NULL && strstr((const char *)cnf, cmd) != NULL);
	free(cnf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", second);
	CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
	char cmd[512];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test_certstore.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (setenv("X509SSH_PKI_CACHE", X509SSH_PKI_CACHE_DIR, 0) != 0) {
		perror("setenv");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "bash ../lib/pki.sh %s standard", dir);
	rc = system(cmd);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0 && (rc = read_born()) == 0) {
		test_cache();
		test_chains();
		test_validity();
		test_names();
		test_usage();
		test_crl();
		test_ocsp();
		test_chain_length();
		test_garbage();
		test_store();
		test_timing();
	}
	certstore_result_clear(&res);
	if (getenv("KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "could not remove %s\n", dir);
		}
	} else {
		fprintf(stderr, "kept %s\n", dir);
	}
	T_DONE();
}
