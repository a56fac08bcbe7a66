/*
 * libFuzzer target: certstore_verify (chain building, leaf policy, names, stapled OCSP) on the
 * fuzzer's DER certificates and OCSP responses. A tiny PKI is made once at start-up, in memory,
 * with libcrypto: a root CA, an intermediate CA and a leaf for host.example.net, all Ed25519 keys
 * from fixed seeds with fixed serials and dates, so the certificates are the same bytes on every
 * run and the seed corpus keeps chaining to the root; plus OCSP responses from the intermediate
 * (leaf good, leaf revoked) and from the root (intermediate good). Four stores: the root with
 * X509Revocation check, the root with require, the intermediate as a partial-chain anchor with
 * X509MaxChain 2, the root with revocation off. The clock is fixed at 2030-01-01.
 *
 * Input: one byte choosing the store (bits 0-1), the host name (bit 2: host.example.net or
 * 192.0.2.1), CN fallback (bit 3) and purposes (bits 4-5); then records, by tag % 4:
 *   0  u16 length (big endian) + DER: the next certificate (at most 8)
 *   1  u16 length + DER: the stapled OCSP response for certificate (tag >> 2) % 8
 *   2  one of the built-in certificates, (tag >> 2) % 3: leaf, intermediate, root
 *   3  one of the built-in OCSP responses, (tag >> 2) % 3: leaf good, leaf revoked (both for
 *      certificate 0), intermediate good (for certificate 1)
 *
 * Seed corpus mode: X509SSH_FUZZ_GEN=DIR ./fuzz_certstore writes chains and responses, as raw
 * DER records, into DIR and exits (tests/fuzz/gen_corpus.sh); X509SSH_FUZZ_TRACE=1 prints each
 * verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certstore.h"

#define MAXC       8
#define NOW        ((time_t)1893456000) /* 2030-01-01 00:00:00 UTC */
#define NOT_BEFORE ((time_t)1577836800) /* 2020-01-01 */
#define NOT_AFTER  ((time_t)4070908800) /* 2099-01-01 */
#define NSTORES    4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct der {
	unsigned char *p;
	size_t n;
};

enum { C_LEAF, C_INTER, C_ROOT, NCERTS };
enum { O_LEAF_GOOD, O_LEAF_REVOKED, O_INTER_GOOD, NOCSP };

static struct der certs[NCERTS], ocsps[NOCSP];
static struct certstore *stores[NSTORES];
static int trace; /* X509SSH_FUZZ_TRACE set: each verdict on stderr */

/* ---- the PKI ---- */

static EVP_PKEY *key_from(const char *label)
{
	uint8_t seed[32];

	memset(seed, 0, sizeof(seed));
	snprintf((char *)seed, sizeof(seed), "fuzz_certstore %s", label);
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL) {
		return -1;
	}
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* a certificate for key, issued by (issuer, ikey), or self-signed when issuer is NULL */
static X509 *make_cert(
    const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, long serial, int ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int ok = x != NULL && name != NULL;

	ok = ok && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
	     X509_NAME_add_entry_by_txt(
	         name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), NOT_BEFORE) != NULL &&
	     ASN1_TIME_set(X509_getm_notAfter(x), NOT_AFTER) != NULL && X509_set_pubkey(x, key);
	if (issuer == NULL) {
		issuer = x;
		ikey = key;
	}
	ok = ok && add_ext(x, issuer, NID_subject_key_identifier, "hash") == 0 &&
	     add_ext(x, issuer, NID_authority_key_identifier, "keyid") == 0;
	if (ca) {
		ok = ok && add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
		     add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
	} else {
		ok = ok && add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		     add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") == 0 &&
		     add_ext(x, issuer, NID_ext_key_usage, "1.3.6.1.5.5.7.3.22,serverAuth") == 0 &&
		     add_ext(
		         x, issuer, NID_subject_alt_name, "DNS:host.example.net,IP:192.0.2.1") == 0;
	}
	ok = ok && X509_sign(x, ikey, NULL) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int to_der_cert(X509 *x, struct der *d)
{
	int n = i2d_X509(x, &d->p);

	d->n = n > 0 ? (size_t)n : 0;
	return n > 0 ? 0 : -1;
}

/* OCSP_basic_sign stamps producedAt with the current time: put a fixed one in and sign again, so
 * that the responses (and the seed corpus) are the same bytes on every run */
static int fix_produced_at(OCSP_BASICRESP *bs, EVP_PKEY *ikey)
{
	ASN1_GENERALIZEDTIME *at = (ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs);

	if (at == NULL || ASN1_GENERALIZEDTIME_set(at, NOW - 3600) == NULL) {
		return -1;
	}
	return ASN1_item_sign(ASN1_ITEM_rptr(OCSP_RESPDATA),
	           (X509_ALGOR *)OCSP_resp_get0_tbs_sigalg(bs), NULL,
	           (ASN1_BIT_STRING *)OCSP_resp_get0_signature(bs),
	           (void *)OCSP_resp_get0_respdata(bs), ikey, NULL) > 0
	           ? 0
	           : -1;
}

static int make_ocsp(X509 *cert, X509 *issuer, EVP_PKEY *ikey, int revoked, struct der *d)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	ASN1_TIME *thisupd = ASN1_TIME_set(NULL, NOW - 3600);
	ASN1_TIME *nextupd = ASN1_TIME_set(NULL, NOW + 86400);
	ASN1_TIME *revtime = ASN1_TIME_set(NULL, NOW - 7200);
	int n = -1;

	if (bs != NULL && id != NULL && thisupd != NULL && nextupd != NULL && revtime != NULL &&
	    OCSP_basic_add1_status(bs, id,
	        revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
	        revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0, revoked ? revtime : NULL, thisupd,
	        nextupd) != NULL &&
	    OCSP_basic_sign(bs, issuer, ikey, NULL, NULL, OCSP_NOCERTS) == 1 &&
	    fix_produced_at(bs, ikey) == 0 &&
	    (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) != NULL) {
		n = i2d_OCSP_RESPONSE(resp, &d->p);
	}
	d->n = n > 0 ? (size_t)n : 0;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(revtime);
	return n > 0 ? 0 : -1;
}

static int write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	int ok = f != NULL && PEM_write_X509(f, x) == 1;

	if (f != NULL && fclose(f) != 0) {
		ok = 0;
	}
	return ok ? 0 : -1;
}

static struct certstore *make_store(const char *ca, int partial, int max_chain, int rev)
{
	struct certstore_config cfg;
	struct certstore *cs = NULL;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_files[0] = ca;
	cfg.explicit_ca = 1;
	cfg.allow_partial_chain = partial;
	cfg.max_chain = max_chain;
	cfg.revocation = rev;
	if (certstore_new(&cfg, &cs, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_certstore: certstore_new: %s\n", err);
		return NULL;
	}
	return cs;
}

static int make_pki(void)
{
	EVP_PKEY *kroot = key_from("root"), *kinter = key_from("inter"), *kleaf = key_from("leaf");
	X509 *root = NULL, *inter = NULL, *leaf = NULL;
	char dir[] = "/tmp/fuzz_certstore.XXXXXX", root_pem[64], inter_pem[64];
	int ok = 0;

	if (kroot == NULL || kinter == NULL || kleaf == NULL || mkdtemp(dir) == NULL) {
		goto out;
	}
	snprintf(root_pem, sizeof(root_pem), "%s/root.pem", dir);
	snprintf(inter_pem, sizeof(inter_pem), "%s/inter.pem", dir);
	root = make_cert("Fuzz Root CA", kroot, NULL, NULL, 1, 1);
	inter = root != NULL ? make_cert("Fuzz Intermediate CA", kinter, root, kroot, 2, 1) : NULL;
	leaf = inter != NULL ? make_cert("host.example.net", kleaf, inter, kinter, 3, 0) : NULL;
	ok = leaf != NULL && to_der_cert(leaf, &certs[C_LEAF]) == 0 &&
	     to_der_cert(inter, &certs[C_INTER]) == 0 && to_der_cert(root, &certs[C_ROOT]) == 0 &&
	     make_ocsp(leaf, inter, kinter, 0, &ocsps[O_LEAF_GOOD]) == 0 &&
	     make_ocsp(leaf, inter, kinter, 1, &ocsps[O_LEAF_REVOKED]) == 0 &&
	     make_ocsp(inter, root, kroot, 0, &ocsps[O_INTER_GOOD]) == 0 &&
	     write_pem(root_pem, root) == 0 && write_pem(inter_pem, inter) == 0;
	if (ok) {
		stores[0] = make_store(root_pem, 0, 0, CERTSTORE_REV_CHECK);
		stores[1] = make_store(root_pem, 0, 4, CERTSTORE_REV_REQUIRE);
		stores[2] = make_store(inter_pem, 1, 2, CERTSTORE_REV_CHECK);
		stores[3] = make_store(root_pem, 0, 0, CERTSTORE_REV_NO);
		ok = stores[0] != NULL && stores[1] != NULL && stores[2] != NULL &&
		     stores[3] != NULL;
	}
	unlink(root_pem);
	unlink(inter_pem);
	rmdir(dir);
out:
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	EVP_PKEY_free(kroot);
	EVP_PKEY_free(kinter);
	EVP_PKEY_free(kleaf);
	return ok ? 0 : -1;
}

/* ---- one run ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int purposes[4] = {0, CERTSTORE_PURPOSE_SSH_SERVER,
	    CERTSTORE_PURPOSE_SERVER_AUTH | CERTSTORE_PURPOSE_ANY, CERTSTORE_PURPOSE_SSH_CLIENT};
	const uint8_t *cp[MAXC] = {NULL}, *op[MAXC] = {NULL};
	size_t clen[MAXC] = {0}, olen[MAXC] = {0}, nc = 0, no = 0, i = 1, len, k;
	struct certstore_check chk;
	struct certstore_result res;
	uint8_t tag;

	if (size < 1) {
		return 0;
	}
	memset(&chk, 0, sizeof(chk));
	chk.host = (data[0] & 4) ? "192.0.2.1" : "host.example.net";
	chk.name_fallback_cn = (data[0] >> 3) & 1;
	chk.purposes = purposes[(data[0] >> 4) & 3];
	chk.now = NOW;
	while (i < size) {
		tag = data[i++];
		switch (tag % 4) {
		case 0:
		case 1:
			if (size - i < 2) {
				i = size;
				break;
			}
			len = (size_t)data[i] << 8 | data[i + 1];
			i += 2;
			if (len > size - i) {
				len = size - i;
			}
			if (tag % 4 == 0 && nc < MAXC) {
				cp[nc] = data + i;
				clen[nc++] = len;
			} else if (tag % 4 == 1) {
				k = (size_t)(tag >> 2) % MAXC;
				op[k] = data + i;
				olen[k] = len;
				no = k + 1 > no ? k + 1 : no;
			}
			i += len;
			break;
		case 2:
			if (nc < MAXC) {
				k = (size_t)(tag >> 2) % NCERTS;
				cp[nc] = certs[k].p;
				clen[nc++] = certs[k].n;
			}
			break;
		default:
			k = (size_t)(tag >> 2) % NOCSP;
			op[k == O_INTER_GOOD] = ocsps[k].p;
			olen[k == O_INTER_GOOD] = ocsps[k].n;
			no = (k == O_INTER_GOOD ? 2 : 1) > no ? (k == O_INTER_GOOD ? 2 : 1) : no;
			break;
		}
	}
	if (no > nc) {
		no = nc; /* the API wants nocsp <= ncerts */
	}
	memset(&res, 0, sizeof(res));
	if (certstore_verify(stores[data[0] & 3], cp, clen, nc, op, olen, no, &chk, &res) == 0 &&
	    res.verdict == CERTSTORE_OK && nc == 0) {
		abort(); /* trusted without a certificate */
	}
	if (trace) {
		fprintf(
		    stderr, "verdict %d depth %d: %s\n", (int)res.verdict, res.depth, res.reason);
	}
	certstore_result_clear(&res);
	return 0;
}

/* ---- seed corpus ---- */

struct seed {
	uint8_t b[16384];
	size_t n;
};

static void put_der(struct seed *s, uint8_t tag, const struct der *d)
{
	if (s->n + 3 + d->n > sizeof(s->b)) {
		return;
	}
	s->b[s->n++] = tag;
	s->b[s->n++] = (uint8_t)(d->n >> 8);
	s->b[s->n++] = (uint8_t)d->n;
	memcpy(s->b + s->n, d->p, d->n);
	s->n += d->n;
}

static int seed_write(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ok = f != NULL && fwrite(s->b, 1, s->n, f) == s->n;
	if (f != NULL && fclose(f) != 0) {
		ok = 0;
	}
	if (!ok) {
		fprintf(stderr, "fuzz_certstore: cannot write %s\n", path);
	}
	return ok ? 0 : -1;
}

static int gen_corpus(const char *dir)
{
	struct seed s;
	int r = 0;

	/* leaf + intermediate, stapled good responses for both, store "require" */
	memset(&s, 0, sizeof(s));
	s.b[s.n++] = 1;
	put_der(&s, 0, &certs[C_LEAF]);
	put_der(&s, 0, &certs[C_INTER]);
	put_der(&s, 1, &ocsps[O_LEAF_GOOD]);
	put_der(&s, 1 | 1 << 2, &ocsps[O_INTER_GOOD]);
	r |= seed_write(dir, "chain-ocsp-good", &s);

	/* the whole chain with the root, no OCSP, store "check" */
	memset(&s, 0, sizeof(s));
	s.b[s.n++] = 0;
	put_der(&s, 0, &certs[C_LEAF]);
	put_der(&s, 0, &certs[C_INTER]);
	put_der(&s, 0, &certs[C_ROOT]);
	r |= seed_write(dir, "chain-with-root", &s);

	/* a revoked leaf */
	memset(&s, 0, sizeof(s));
	s.b[s.n++] = 0;
	put_der(&s, 0, &certs[C_LEAF]);
	put_der(&s, 0, &certs[C_INTER]);
	put_der(&s, 1, &ocsps[O_LEAF_REVOKED]);
	r |= seed_write(dir, "leaf-revoked", &s);

	/* the leaf alone against the intermediate as a partial-chain anchor, by IP address */
	memset(&s, 0, sizeof(s));
	s.b[s.n++] = 2 | 4;
	put_der(&s, 0, &certs[C_LEAF]);
	put_der(&s, 1, &ocsps[O_LEAF_GOOD]);
	r |= seed_write(dir, "partial-chain-ip", &s);

	/* a response for another certificate; purposes: client only */
	memset(&s, 0, sizeof(s));
	s.b[s.n++] = 3 << 4;
	put_der(&s, 0, &certs[C_LEAF]);
	put_der(&s, 0, &certs[C_INTER]);
	put_der(&s, 1, &ocsps[O_INTER_GOOD]);
	r |= seed_write(dir, "ocsp-wrong-cert", &s);

	/* built-in references only */
	memset(&s, 0, sizeof(s));
	s.b[s.n++] = 1;
	s.b[s.n++] = 2 | 0 << 2;
	s.b[s.n++] = 2 | 1 << 2;
	s.b[s.n++] = 3 | 0 << 2;
	s.b[s.n++] = 3 | 2 << 2;
	r |= seed_write(dir, "builtin-refs", &s);
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *gen = getenv("X509SSH_FUZZ_GEN");

	(void)argc;
	(void)argv;
	trace = getenv("X509SSH_FUZZ_TRACE") != NULL;
	if (make_pki() != 0) {
		fprintf(stderr, "fuzz_certstore: cannot make the test PKI\n");
		exit(1);
	}
	if (gen != NULL) {
		exit(gen_corpus(gen) == 0 ? 0 : 1);
	}
	return 0;
}
