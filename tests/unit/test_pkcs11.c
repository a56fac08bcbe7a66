/*
 * Token signers against SoftHSM2 (provisioned by ../lib/softhsm.sh in a temp dir) and the
 * test-only p11mock module (what SoftHSM never reports: final try, locked PIN, pinpad, and a
 * count of C_Login calls). OpenSC's pkcs11-spy.so counts SoftHSM's C_Login calls for the
 * always-authenticate key. The SoftHSM loads and signatures by module path and by URI run again
 * with the modules in the token helper (this program run again; the cases that change the
 * environment between loads stay in-process: the helper keeps the environment of its start).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "p11.h"
#include "signer.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/sshsig.h"
#include "ssh/x509key.h"
#include "x509chain.h"
#include "t.h"
#include "t_sign.h"

#ifndef P11MOCK_PATH
#define P11MOCK_PATH ""
#endif

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"
#define SPY     "/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so"

/* LeakSanitizer: modules leak, not us: OpenSC's spy while p11-kit loads it, SoftHSM's EdDSA
 * C_SignInit a decoded ASN1 string (through ASN1_item_d2i_ex, which nothing of ours calls). The
 * modules are unloaded by the time leaks are reported, so their own frames have no names. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:p11_kit_module_load\nleak:ASN1_item_d2i_ex\n";
}

/* full stacks through the modules (no frame pointers there), so the above can match */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

static char dir[64];
static int prompts;
static char last_prompt[256];
static const char *answer = "123456";

/* t_sign_ssh's answer to a signer's PIN question */
static const char *ask(struct signer *s, const char *prompt, int flags)
{
	(void)s;
	CHECK((flags & SIGNER_SECRET_PIN) != 0);
	prompts++;
	snprintf(last_prompt, sizeof(last_prompt), "%s", prompt);
	return answer;
}

static char *path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static EVP_PKEY *read_pub(const char *name)
{
	FILE *f = fopen(path(name), "r");
	EVP_PKEY *pk = NULL;

	if (f != NULL) {
		pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		fclose(f);
	}
	return pk;
}

static X509 *read_cert(const char *name)
{
	FILE *f = fopen(path(name), "r");
	X509 *x = NULL;

	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

static size_t count_lines(const char *file, const char *word)
{
	FILE *f = fopen(file, "r");
	char line[512];
	size_t n = 0;

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strstr(line, word) != NULL;
	}
	fclose(f);
	return n;
}

/* the program's side of p11_opts: chains over the token's certificates (x509chain_token) and
 * the keys our algorithms can use (usable_prefs: PubkeyAcceptedAlgorithms, NULL for ours) */
static const char *const *usable_prefs;
static struct x509chain_src chain_src;

static int usable(void *arg, const EVP_PKEY *pub, int with_cert, int listed)
{
	(void)arg;
	if (!listed) {
		return sshsig_key_usable(pub, 0, NULL);
	}
	return sshsig_key_usable(pub, with_cert, usable_prefs);
}

static int helper_mode; /* the modules in the token helper */

#define OPTS(batch, askfn)                                                                         \
	{                                                                                          \
		.batch_mode = (batch), .can_ask = (askfn) != NULL, .build_chain = x509chain_token, \
		.chain_arg = &chain_src, .key_usable = usable, .helper = helper_mode               \
	}

/* sign for alg and verify with the exported public key */
static void check_sign(struct signer *s, const char *alg, EVP_PKEY *pk)
{
	static const uint8_t data[] = "session id and userauth request";
	const struct hostkey_alg *row = hostkey_alg_by_name(alg);
	struct buf sig;
	int r;

	buf_init(&sig);
	r = t_sign_ssh(s, alg, data, sizeof(data), &sig);
	CHECK_EQ_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "  %s %s: %s\n", s->name, alg, signer_error(s));
	}
	CHECK(row != NULL);
	CHECK_EQ_INT(sshsig_verify(row, pk, buf_ptr(&sig), buf_len(&sig), data, sizeof(data)), 0);
	/* and not over other data */
	CHECK(sshsig_verify(row, pk, buf_ptr(&sig), buf_len(&sig), data, sizeof(data) - 1) != 0);
	buf_free(&sig);
}

static int has_alg(struct signer *s, const char *alg)
{
	return signer_fits(s, hostkey_alg_by_name(alg));
}

static struct signer *by_label(struct signer **v, size_t n, const char *label, const char *tok)
{
	struct p11_key_info ki;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p11_key_info(v[i], &ki) == 0 && strcmp(ki.label, label) == 0 &&
		    (tok == NULL || strstr(ki.uri, tok) != NULL)) {
			return v[i];
		}
	}
	return NULL;
}

static void check_plain_blob(struct signer *s, const char *alg, EVP_PKEY *pk)
{
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name(alg), &a), 0);
	CHECK_EQ_INT(sshkey_to_blob(pk, hostkey_alg_by_name(alg), &b), 0);
	CHECK(buf_len(&a) == buf_len(&b) && buf_len(&a) > 0);
	CHECK(buf_len(&a) == buf_len(&b) && memcmp(buf_ptr(&a), buf_ptr(&b), buf_len(&a)) == 0);
	buf_free(&a);
	buf_free(&b);
}

static void check_x509_blob(struct signer *s, const char *alg, const char *leaf, size_t nchain)
{
	X509 *x[3] = {read_cert(leaf), read_cert("inter.pem"), read_cert("root.pem")};
	uint8_t *der[3] = {NULL, NULL, NULL};
	size_t lens[3], i;
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	for (i = 0; i < 3; i++) {
		CHECK(x[i] != NULL);
		lens[i] = (size_t)i2d_X509(x[i], &der[i]);
	}
	CHECK_EQ_INT(signer_key_blob(s, hostkey_alg_by_name(alg), &a), 0);
	CHECK_EQ_INT(
	    x509blob_build(hostkey_alg_by_name(alg), (const uint8_t *const *)der, lens, nchain, &b),
	    0);
	CHECK(buf_len(&a) == buf_len(&b) && buf_len(&a) > 0 &&
	      memcmp(buf_ptr(&a), buf_ptr(&b), buf_len(&a)) == 0);
	for (i = 0; i < 3; i++) {
		OPENSSL_free(der[i]);
		X509_free(x[i]);
	}
	buf_free(&a);
	buf_free(&b);
}

static void test_module_path(void)
{
	struct p11_opts o = OPTS(0, ask);
	struct signer **v = NULL, *rsa, *ec, *aa, *ed;
	EVP_PKEY *rsa_pk = read_pub("rsa.pub.pem"), *ec_pk = read_pub("ec.pub.pem");
	EVP_PKEY *aa_pk = read_pub("aa.pub.pem"), *ed_pk = read_pub("ed.pub.pem");
	struct p11_key_info ki;
	char err[512], *line = NULL;
	struct buf sig;
	size_t n = 0;
	int r;

	buf_init(&sig);
	prompts = 0;
	r = p11_load_signers(SOFTHSM, &o, &v, &n, err, sizeof(err));
	CHECK_EQ_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "  load: %s\n", err);
		return;
	}
	CHECK_EQ_INT(n, ed_pk != NULL ? 5 : 4); /* rsa, ec, aa, ed + ec on x509ssh-two */
	CHECK_EQ_INT(prompts, 0);               /* loading never logs in */
	rsa = by_label(v, n, "rsa", NULL);
	ec = by_label(v, n, "ec", "token=x509ssh-test;");
	aa = by_label(v, n, "aa", NULL);
	ed = by_label(v, n, "ed", NULL);
	CHECK(rsa != NULL && ec != NULL && aa != NULL);
	if (rsa == NULL || ec == NULL || aa == NULL) {
		goto out;
	}
	CHECK(p11_is_signer(rsa));
	CHECK(strncmp(rsa->name, "pkcs11:token=x509ssh-test;serial=", 33) == 0);
	CHECK(strstr(rsa->name, ";id=%01;object=rsa;type=private?module-path=" SOFTHSM) != NULL);
	/* algorithms (the engine's choice from the public key and the chain) */
	CHECK(has_alg(rsa, "x509v3-rsa2048-sha256"));
	CHECK(has_alg(rsa, "x509v3-ssh-rsa"));
	CHECK(has_alg(rsa, "rsa-sha2-512"));
	CHECK(has_alg(rsa, "rsa-sha2-256"));
	CHECK(!has_alg(rsa, "ecdsa-sha2-nistp256"));
	CHECK(has_alg(ec, "x509v3-ecdsa-sha2-nistp256"));
	CHECK(has_alg(ec, "ecdsa-sha2-nistp256"));
	CHECK(!has_alg(ec, "ecdsa-sha2-nistp384"));
	CHECK(has_alg(aa, "rsa-sha2-512")); /* no certificate: plain only */
	CHECK(!has_alg(aa, "x509v3-ssh-rsa"));
	CHECK_EQ_INT(p11_key_info(rsa, &ki), 0);
	CHECK_STR(ki.type, "RSA");
	CHECK_EQ_INT(ki.bits, 2048);
	CHECK_EQ_INT(ki.chain_len, 2); /* leaf + intermediate, not the root */
	CHECK(ki.cert != NULL);
	/* public blobs equal the exported keys' */
	check_plain_blob(rsa, "rsa-sha2-256", rsa_pk);
	check_plain_blob(ec, "ecdsa-sha2-nistp256", ec_pk);
	check_plain_blob(aa, "rsa-sha2-512", aa_pk);
	check_x509_blob(rsa, "x509v3-ssh-rsa", "rsa.pem", 2);
	check_x509_blob(rsa, "x509v3-rsa2048-sha256", "rsa.pem", 2);
	check_x509_blob(ec, "x509v3-ecdsa-sha2-nistp256", "ec.pem", 2);
	CHECK_EQ_INT(signer_key_blob(rsa, hostkey_alg_by_name("ecdsa-sha2-nistp256"), &sig),
	    SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(
	    signer_key_blob(rsa, hostkey_alg_by_name("no-such-alg"), &sig), SSH_ERR_NO_ALGO);
	CHECK_EQ_INT(
	    signer_key_blob(aa, hostkey_alg_by_name("x509v3-ssh-rsa"), &sig), SSH_ERR_KEY_TYPE);
	CHECK_EQ_INT(buf_len(&sig), 0);
	/* descriptions */
	CHECK_EQ_INT(p11_dn_line(rsa, "x509v3-sign-rsa", &line), 0);
	CHECK_STR(line, "x509v3-sign-rsa subject=C=DE,O=x509ssh test,"
	                "OU=tokens+0.9.2342.19200300.100.1.1=rsa,CN=rsa user");
	free(line);
	CHECK_EQ_INT(p11_dn_line(ec, "x509v3-ecdsa-sha2-nistp256", &line), 0);
	CHECK(line != NULL && strncmp(line, "x509v3-ecdsa-sha2-nistp256 subject=C=DE,", 40) == 0);
	free(line);
	CHECK_EQ_INT(p11_dn_line(aa, "x509v3-sign-rsa", &line), P11_ERR_NOT_FOUND);
	CHECK_EQ_INT(p11_describe(rsa, &line), 0);
	CHECK(line != NULL &&
	      strstr(line, "RSA-2048 label \"rsa\" certificate subject C=DE") != NULL);
	free(line);
	line = NULL;
	/* signing: the first signature asks for the PIN once, and is asynchronous */
	{
		static const uint8_t d[] = "x";
		const struct signer_req req = {
		    .prim = SIGNER_RSA_PKCS1, .digest = "SHA256", .data = d, .len = 1};
		const struct signer_req ed_req = {.prim = SIGNER_ED25519, .data = d, .len = 1};
		const struct signer_req bad_md = {
		    .prim = SIGNER_RSA_PKCS1, .digest = "NOPE", .data = d, .len = 1};
		uint8_t *raw = NULL, *raw2 = NULL;
		size_t rawlen = 0, raw2len = 0;

		int flags = 0;
		const char *q;

		/* the PIN is asked through the caller: the question, then the answer */
		r = rsa->ops->sign(rsa, &req, &raw, &rawlen);
		CHECK_EQ_INT(r, SIGNER_NEED_SECRET);
		CHECK(rsa->ops->poll_fd(rsa) < 0);
		q = rsa->ops->secret_prompt(rsa, &flags);
		CHECK(q != NULL && strcmp(q, "Enter PIN for token 'x509ssh-test': ") == 0);
		CHECK_EQ_INT(flags, SIGNER_SECRET_PIN);
		CHECK_EQ_INT(rsa->ops->sign(rsa, &req, &raw2, &raw2len), SIGNER_ERR_INTERNAL);
		prompts++;
		r = rsa->ops->secret_answer(rsa, answer, &raw, &rawlen);
		CHECK_EQ_INT(r, SIGNER_AGAIN);
		CHECK(rsa->ops->secret_prompt(rsa, &flags) == NULL);
		CHECK(rsa->ops->poll_fd(rsa) >= 0);
		CHECK_EQ_INT(rsa->ops->sign(rsa, &req, &raw2, &raw2len), SIGNER_ERR_INTERNAL);
		CHECK(raw2 == NULL);
		/* sign_finish without waiting blocks until the worker is done */
		CHECK_EQ_INT(rsa->ops->sign_finish(rsa, &raw, &rawlen), 0);
		CHECK(rsa->ops->poll_fd(rsa) < 0);
		/* the raw output: PKCS#1 v1.5 signature bytes of the modulus length */
		CHECK_EQ_INT(rawlen, 256);
		CHECK_EQ_INT(
		    sshsig_from_raw(hostkey_alg_by_name("rsa-sha2-256"), rsa_pk, raw, rawlen, &sig),
		    0);
		CHECK_EQ_INT(sshsig_verify(hostkey_alg_by_name("rsa-sha2-256"), rsa_pk,
		                 buf_ptr(&sig), buf_len(&sig), d, 1),
		    0);
		free(raw);
		raw = NULL;
		buf_reset(&sig);
		CHECK_EQ_INT(prompts, 1);
		CHECK_EQ_INT(rsa->ops->sign(rsa, &ed_req, &raw, &rawlen), SIGNER_ERR_UNSUPPORTED);
		CHECK(strstr(signer_error(rsa), "key cannot make Ed25519 signatures") != NULL);
		CHECK_EQ_INT(rsa->ops->sign(rsa, &bad_md, &raw, &rawlen), SIGNER_ERR_UNSUPPORTED);
		CHECK(raw == NULL);
	}
	check_sign(rsa, "rsa-sha2-256", rsa_pk);
	check_sign(rsa, "rsa-sha2-512", rsa_pk);
	check_sign(rsa, "x509v3-ssh-rsa", rsa_pk);
	check_sign(rsa, "x509v3-rsa2048-sha256", rsa_pk);
	check_sign(ec, "ecdsa-sha2-nistp256", ec_pk);
	check_sign(ec, "x509v3-ecdsa-sha2-nistp256", ec_pk);
	CHECK_EQ_INT(prompts, 1); /* one login per token */
	/* always-authenticate: the PIN is asked once more, then kept for the next signature */
	check_sign(aa, "rsa-sha2-256", aa_pk);
	check_sign(aa, "rsa-sha2-512", aa_pk);
	CHECK_EQ_INT(prompts, 2);
	if (ed != NULL && ed_pk != NULL) {
		CHECK(has_alg(ed, "ssh-ed25519"));
		check_plain_blob(ed, "ssh-ed25519", ed_pk);
		check_sign(ed, "ssh-ed25519", ed_pk);
	}
	/* a second load of the same token while the first is logged in: no PIN needed */
	{
		struct p11_opts bo = OPTS(1, NULL);
		struct signer **v2 = NULL;
		size_t n2 = 0;

		CHECK_EQ_INT(
		    p11_load_signers("pkcs11:token=x509ssh-test;object=ec?module-path=" SOFTHSM,
		        &bo, &v2, &n2, err, sizeof(err)),
		    0);
		if (n2 == 1) {
			check_sign(v2[0], "ecdsa-sha2-nistp256", ec_pk);
		}
		p11_free_signers(v2, n2);
	}
out:
	buf_free(&sig);
	p11_free_signers(v, n);
	EVP_PKEY_free(rsa_pk);
	EVP_PKEY_free(ec_pk);
	EVP_PKEY_free(aa_pk);
	EVP_PKEY_free(ed_pk);
}

/* load exactly one signer */
static struct signer **load1(
    const char *spec, const struct p11_opts *o, size_t *n, char *err, size_t errlen)
{
	struct signer **v = NULL;
	int r = p11_load_signers(spec, o, &v, n, err, errlen);

	CHECK_EQ_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "  load %s: %s\n", spec, err);
		return NULL;
	}
	CHECK_EQ_INT(*n, 1);
	return v;
}

static void test_uris(void)
{
	struct p11_opts o = OPTS(0, ask);
	const char *prefs[] = {"rsa-sha2-256", "x509v3-ssh-rsa", "ssh-ed25519", NULL};
	struct signer **v = NULL;
	EVP_PKEY *rsa_pk = read_pub("rsa.pub.pem"), *ec_pk = read_pub("ec.pub.pem");
	struct p11_key_info ki;
	char uri[512], err[1024];
	size_t n = 0;

	/* through the p11-kit registry (SOFTHSM2_CONF is set), PIN from a file */
	prompts = 0;
	snprintf(uri, sizeof(uri), "pkcs11:token=x509ssh-test;object=rsa?pin-source=file:%s",
	    path("pin"));
	if ((v = load1(uri, &o, &n, err, sizeof(err))) != NULL) {
		CHECK(strstr(v[0]->name, "module-path") == NULL);
		check_sign(v[0], "x509v3-ssh-rsa", rsa_pk);
		CHECK_EQ_INT(prompts, 0);
		p11_free_signers(v, n);
	}
	/* by id, through the module path, PIN in the URI; the root sent */
	usable_prefs = prefs;
	chain_src.send_root = 1;
	snprintf(uri, sizeof(uri),
	    "pkcs11:token=x509ssh-test;id=%%01;type=private?module-path=%s&pin-value=123456",
	    SOFTHSM);
	if ((v = load1(uri, &o, &n, err, sizeof(err))) != NULL) {
		CHECK_EQ_INT(p11_key_info(v[0], &ki), 0);
		CHECK_EQ_INT(ki.chain_len, 3);
		check_x509_blob(v[0], "x509v3-ssh-rsa", "rsa.pem", 3);
		check_sign(v[0], "rsa-sha2-256", rsa_pk);
		CHECK_EQ_INT(prompts, 0);
		p11_free_signers(v, n);
	}
	usable_prefs = NULL;
	chain_src.send_root = 0;
	/* the P-256 key on the second token has no certificate: plain algorithms only */
	if ((v = load1("pkcs11:token=x509ssh-two", &o, &n, err, sizeof(err))) != NULL) {
		CHECK(has_alg(v[0], "ecdsa-sha2-nistp256"));
		CHECK(!has_alg(v[0], "x509v3-ecdsa-sha2-nistp256"));
		check_plain_blob(v[0], "ecdsa-sha2-nistp256", ec_pk);
		p11_free_signers(v, n);
	}
	/* object=ec is on two tokens: an error listing both */
	CHECK_EQ_INT(
	    p11_load_signers("pkcs11:object=ec", &o, &v, &n, err, sizeof(err)), P11_ERR_FORMAT);
	CHECK(strstr(err, "matches 2 keys") != NULL && strstr(err, "token=x509ssh-two") != NULL &&
	      strstr(err, "token=x509ssh-test") != NULL);
	/* errors */
	CHECK_EQ_INT(
	    p11_load_signers("pkcs11:token=nope", &o, &v, &n, err, sizeof(err)), P11_ERR_NOT_FOUND);
	CHECK(strstr(err, "no token matches pkcs11:token=nope") != NULL);
	/* every pin-value in the URI shown is masked, the first one inside another value too */
	CHECK_EQ_INT(p11_load_signers("pkcs11:object=pin-value=x&y;token=nope?pin-value=4321", &o,
	                 &v, &n, err, sizeof(err)),
	    P11_ERR_NOT_FOUND);
	CHECK_MSG(strstr(err,
	              "no token matches pkcs11:object=pin-value=***&y;token=nope?pin-value=***") !=
	                  NULL &&
	              strstr(err, "4321") == NULL,
	    "%s", err);
	CHECK_EQ_INT(
	    p11_load_signers("pkcs11:token=x509ssh-test;object=nope", &o, &v, &n, err, sizeof(err)),
	    P11_ERR_NOT_FOUND);
	CHECK(strstr(err, "no key found") != NULL);
	CHECK(p11_load_signers("/nonexistent/libnope.so", &o, &v, &n, err, sizeof(err)) != 0);
	CHECK(strstr(err, "cannot load module /nonexistent/libnope.so") != NULL);
	CHECK(p11_load_signers("pkcs11:token=a?module-path=/nonexistent/x.so", &o, &v, &n, err,
	          sizeof(err)) != 0);
	CHECK(strstr(err, "cannot load module") != NULL);
	CHECK_EQ_INT(
	    p11_load_signers("pkcs11:token=a;module-path=/x.so", &o, &v, &n, err, sizeof(err)),
	    P11_ERR_FORMAT);
	CHECK(strstr(err, "query attribute 'module-path' in the path part") != NULL);
	CHECK_EQ_INT(p11_load_signers("", &o, &v, &n, err, sizeof(err)), P11_ERR_FORMAT);
	CHECK(v == NULL);
	EVP_PKEY_free(rsa_pk);
	EVP_PKEY_free(ec_pk);
}

static void test_batch_and_bad_pin(void)
{
	struct p11_opts o = OPTS(1, ask);
	static const uint8_t d[] = "data";
	struct signer **v = NULL;
	struct buf sig;
	char uri[512], err[512];
	size_t n = 0;

	buf_init(&sig);
	/* batch mode without a PIN source: an error, no prompt */
	prompts = 0;
	if ((v = load1("pkcs11:token=x509ssh-test;object=rsa", &o, &n, err, sizeof(err))) != NULL) {
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(v[0]), "BatchMode") != NULL);
		CHECK_EQ_INT(prompts, 0);
		p11_free_signers(v, n);
	}
	/* a wrong PIN through pkcs11-spy: exactly one C_Login, reported by name */
	if (access(SPY, R_OK) == 0) {
		setenv("PKCS11SPY", SOFTHSM, 1);
		setenv("PKCS11SPY_OUTPUT", path("spy-badpin.log"), 1);
		snprintf(uri, sizeof(uri),
		    "pkcs11:token=x509ssh-test;object=ec?module-path=%s&pin-value=000000", SPY);
		if ((v = load1(uri, &o, &n, err, sizeof(err))) != NULL) {
			CHECK_EQ_INT(t_sign_ssh(v[0], "ecdsa-sha2-nistp256", d, 4, &sig),
			    SIGNER_ERR_PASSPHRASE);
			CHECK(strstr(signer_error(v[0]), "C_Login: CKR_PIN_INCORRECT") != NULL);
			CHECK(strstr(signer_error(v[0]), "CKF_USER_PIN_COUNT_LOW") != NULL);
			CHECK_EQ_INT(t_sign_ssh(v[0], "ecdsa-sha2-nistp256", d, 4, &sig),
			    SIGNER_ERR_PASSPHRASE);
			CHECK(strstr(signer_error(v[0]), "not trying again") != NULL);
			p11_free_signers(v, n);
		}
		CHECK_EQ_INT(count_lines(path("spy-badpin.log"), "C_Login"), 1);
	}
	buf_free(&sig);
}

static void test_always_auth_spy(void)
{
	struct p11_opts o = OPTS(1, NULL);
	EVP_PKEY *aa_pk = read_pub("aa.pub.pem");
	struct signer **v = NULL;
	char uri[512], err[512];
	size_t n = 0;

	if (access(SPY, R_OK) != 0) {
		fprintf(stderr, "  (no %s: always-authenticate login count not checked)\n", SPY);
		EVP_PKEY_free(aa_pk);
		return;
	}
	setenv("PKCS11SPY", SOFTHSM, 1);
	setenv("PKCS11SPY_OUTPUT", path("spy-aa.log"), 1);
	snprintf(uri, sizeof(uri),
	    "pkcs11:token=x509ssh-test;object=aa?module-path=%s&pin-value=123456", SPY);
	if ((v = load1(uri, &o, &n, err, sizeof(err))) != NULL) {
		check_sign(v[0], "rsa-sha2-256", aa_pk);
		check_sign(v[0], "rsa-sha2-512", aa_pk);
		p11_free_signers(v, n);
	}
	/* one user login, then one context-specific login per signature */
	CHECK_EQ_INT(count_lines(path("spy-aa.log"), "C_Login"), 3);
	CHECK_EQ_INT(count_lines(path("spy-aa.log"), "CKU_CONTEXT_SPECIFIC"), 2);
	EVP_PKEY_free(aa_pk);
}

static void test_mismatch(void)
{
	struct p11_opts o = OPTS(1, NULL);
	struct signer **v = NULL;
	char err[512];
	size_t n = 0;

	setenv("SOFTHSM2_CONF", path("bad/softhsm2.conf"), 1);
	CHECK_EQ_INT(p11_load_signers(SOFTHSM, &o, &v, &n, err, sizeof(err)), P11_ERR_KEY_TYPE);
	CHECK(strstr(err, "does not match the public key") != NULL);
	CHECK(strstr(err, "CN=rsa user") != NULL);
	CHECK(v == NULL && n == 0);
	setenv("SOFTHSM2_CONF", path("softhsm2.conf"), 1);
}

/* ---- the mock module ---- */

static struct signer **mock_load(const char *flags, const char *pin, struct p11_opts *o, size_t *n)
{
	char uri[512], err[512];

	setenv("P11MOCK_FLAGS", flags, 1);
	setenv("P11MOCK_KEY", path("rsa.key"), 1);
	setenv("P11MOCK_PIN", "4321", 1);
	setenv("P11MOCK_COUNT", path("mock-logins"), 1);
	unlink(path("mock-logins"));
	snprintf(uri, sizeof(uri), "pkcs11:token=mock%%20token%s%s?module-path=%s%s%s", "", "",
	    P11MOCK_PATH, pin != NULL ? "&pin-value=" : "", pin != NULL ? pin : "");
	return load1(uri, o, n, err, sizeof(err));
}

static void test_mock(void)
{
	struct p11_opts o = OPTS(0, ask);
	static const uint8_t d[] = "data";
	EVP_PKEY *pk = read_pub("rsa.pub.pem");
	struct signer **v = NULL;
	struct buf sig;
	size_t n = 0;

	buf_init(&sig);
	if (P11MOCK_PATH[0] == '\0' || access(P11MOCK_PATH, R_OK) != 0) {
		fprintf(stderr, "  (p11mock module not built: mock cases skipped)\n");
		CHECK(0);
		return;
	}
	/* right PIN from the URI: one C_Login for several signatures */
	if ((v = mock_load("", "4321", &o, &n)) != NULL) {
		CHECK(strstr(v[0]->name, "token=mock%20token;serial=0001;id=%01;object=mockkey") !=
		      NULL);
		check_sign(v[0], "rsa-sha2-256", pk);
		check_sign(v[0], "rsa-sha2-512", pk);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 1);
		p11_free_signers(v, n);
	}
	/* wrong PIN: exactly one C_Login, never retried */
	if ((v = mock_load("", "1111", &o, &n)) != NULL) {
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(v[0]), "C_Login: CKR_PIN_INCORRECT") != NULL);
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-512", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 1);
		p11_free_signers(v, n);
	}
	/* final try with a stored PIN: refused without a C_Login */
	if ((v = mock_load("final_try", "4321", &o, &n)) != NULL) {
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(v[0]), "CKF_USER_PIN_FINAL_TRY") != NULL);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 0);
		p11_free_signers(v, n);
	}
	/* final try, asked: the prompt says so; a wrong answer reports it */
	prompts = 0;
	answer = "0000";
	if ((v = mock_load("final_try", NULL, &o, &n)) != NULL) {
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK_EQ_INT(prompts, 1);
		CHECK(strstr(last_prompt, "FINAL TRY") != NULL);
		CHECK(strstr(signer_error(v[0]), "CKR_PIN_INCORRECT") != NULL);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 1);
		p11_free_signers(v, n);
	}
	answer = "4321";
	/* locked: reported, no C_Login, no prompt */
	prompts = 0;
	if ((v = mock_load("locked", NULL, &o, &n)) != NULL) {
		CHECK_EQ_INT(t_sign_ssh(v[0], "rsa-sha2-256", d, 4, &sig), SIGNER_ERR_PASSPHRASE);
		CHECK(strstr(signer_error(v[0]), "CKF_USER_PIN_LOCKED") != NULL);
		CHECK_EQ_INT(prompts, 0);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 0);
		p11_free_signers(v, n);
	}
	/* pinpad: C_Login with a NULL PIN (the mock refuses anything else), no prompt */
	if ((v = mock_load("pinpad", NULL, &o, &n)) != NULL) {
		check_sign(v[0], "rsa-sha2-256", pk);
		CHECK_EQ_INT(prompts, 0);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 1);
		p11_free_signers(v, n);
	}
	/* asked PIN, right: one prompt, one login */
	if ((v = mock_load("count_low", NULL, &o, &n)) != NULL) {
		check_sign(v[0], "rsa-sha2-256", pk);
		check_sign(v[0], "rsa-sha2-256", pk);
		CHECK_EQ_INT(prompts, 1);
		CHECK(strstr(last_prompt, "wrong PIN was entered before") != NULL);
		CHECK_EQ_INT(count_lines(path("mock-logins"), "user"), 1);
		p11_free_signers(v, n);
	}
	buf_free(&sig);
	EVP_PKEY_free(pk);
}

int main(int argc, char **argv)
{
	char cmd[512];

	(void)p11_helper_main(argc, argv); /* this program as the token helper: never returns */
	snprintf(dir, sizeof(dir), "/tmp/x509ssh-p11-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "bash ../lib/softhsm.sh %s >%s/setup.log 2>&1", dir, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "softhsm.sh failed (see %s/setup.log)\n", dir);
		return 1;
	}
	setenv("SOFTHSM2_CONF", path("softhsm2.conf"), 1);
	t_sign_secret = ask;
	test_module_path();
	test_uris();
	test_always_auth_spy();
	test_mismatch();
	test_mock();
	helper_mode = 1;
	answer = "123456"; /* test_mock's PIN was the mock's */
	test_module_path();
	test_uris();
	CHECK(p11_helper_failure() == NULL);
	helper_mode = 0;
	test_batch_and_bad_pin(); /* last: a wrong PIN leaves SoftHSM's COUNT_LOW set */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (t_fail == 0 && system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", dir);
	}
	T_DONE();
}
