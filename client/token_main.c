/*
 * x509ssh-token: look at keys on PKCS#11 tokens.
 *
 *   x509ssh-token list [pkcs11-uri | module]
 *
 * For every key: its pkcs11: URI, type and size, label, the certificate's subject, issuer and
 * validity, the OpenSSH authorized_keys line and the distinguished-name line
 * ("x509v3-sign-rsa subject=...") for servers that take X.509 identities. Never logs in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "loop.h"
#include "p11.h"
#include "signer.h"
#include "textfile.h"
#include "ssh/buf.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/sshsig.h"
#include "x509chain.h"

#define EXIT_FAIL 255

static void print_name(const char *what, const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	if (b == NULL) {
		return;
	}
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0) {
		printf("  %s: %.*s\n", what, (int)n, p);
	}
	BIO_free(b);
}

static void print_time(const char *what, const ASN1_TIME *t)
{
	struct tm tm;
	char buf[64];

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) == 1 &&
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) > 0) {
		printf("  %s: %s\n", what, buf);
	}
}

/* the first row of our default PubkeyAcceptedAlgorithms (x509v3-sign-rsa is a host-key default
 * only) that the key can do, among the x509v3 rows (x509 = 1) or the plain ones */
static const struct hostkey_alg *first_row(struct signer *s, int x509)
{
	const struct hostkey_alg *row;
	size_t i;

	for (i = 0; (row = hostkey_alg_at(i)) != NULL; i++) {
		if (((row->flags & HK_FLAG_X509) != 0) == x509 &&
		    (row->flags & HK_FLAG_DEFAULT) != 0 &&
		    (row->flags & HK_FLAG_SINGLE_CERT) == 0 && signer_fits(s, row)) {
			return row;
		}
	}
	return NULL;
}

/* "ssh-rsa AAAA... label" from the key's first plain algorithm */
static int authorized_keys_line(struct signer *s, const char *label, char **out)
{
	const struct hostkey_alg *row = first_row(s, 0);
	struct buf blob;
	char *b64 = NULL, *line = NULL;
	size_t n;
	int r;

	*out = NULL;
	buf_init(&blob);
	if (row == NULL) {
		return SSH_ERR_KEY_TYPE;
	}
	if ((r = signer_key_blob(s, row, &blob)) != 0) {
		goto out;
	}
	r = SSH_ERR_ALLOC;
	if ((b64 = textfile_b64_encode(buf_ptr(&blob), buf_len(&blob))) == NULL) {
		goto out;
	}
	n = strlen(row->blob_name) + strlen(b64) + strlen(label) + 4;
	if ((line = malloc(n)) == NULL) {
		goto out;
	}
	snprintf(line, n, "%s %s%s%s", row->blob_name, b64, label[0] != '\0' ? " " : "", label);
	*out = line;
	r = 0;
out:
	free(b64);
	buf_free(&blob);
	return r;
}

/* the row of PKIX-SSH's x509v3-sign-rsa: the one whose key blob is the bare certificate */
static const struct hostkey_alg *single_cert_row(void)
{
	const struct hostkey_alg *row;
	size_t i;

	for (i = 0; (row = hostkey_alg_at(i)) != NULL; i++) {
		if ((row->flags & HK_FLAG_SINGLE_CERT) != 0) {
			return row;
		}
	}
	return NULL;
}

/* the distinguished-name line: PKIX-SSH's x509v3-sign-rsa for RSA (asyncssh takes any x509v3-
 * name), else the key's x509v3 algorithm */
static int dn_line(struct signer *s, char **out)
{
	const struct hostkey_alg *row = first_row(s, 1), *single = single_cert_row();
	const char *alg = row != NULL ? row->name : NULL;

	*out = NULL;
	if (EVP_PKEY_get_base_id(s->ops->pubkey(s)) == EVP_PKEY_RSA && single != NULL) {
		alg = single->name;
	}
	return alg != NULL ? p11_dn_line(s, alg, out) : P11_ERR_KEY_TYPE;
}

/* p11_opts.key_usable: our default PubkeyAcceptedAlgorithms */
static int token_key_usable(void *arg, const EVP_PKEY *pub, int with_cert, int listed)
{
	(void)arg;
	return sshsig_key_usable(pub, listed && with_cert, NULL);
}

static int list(const char *spec)
{
	struct p11_opts o;
	struct p11_key_info ki;
	struct signer **v = NULL;
	char err[1024], *line = NULL;
	size_t n = 0, i;
	int r;

	memset(&o, 0, sizeof(o));
	o.batch_mode = 1;                /* listing never needs a PIN */
	o.build_chain = x509chain_token; /* the token's own certificates */
	o.key_usable = token_key_usable;
	o.helper = 1; /* the modules run in the token helper, as x509ssh's do by default */
	if ((r = p11_load_signers(spec, &o, &v, &n, err, sizeof(err))) != 0) {
		fprintf(stderr, "x509ssh: pkcs11: %s\n", err[0] != '\0' ? err : p11_strerror(r));
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		if (p11_key_info(v[i], &ki) != 0) {
			continue;
		}
		printf("%s%s\n", i > 0 ? "\n" : "", ki.uri);
		printf("  type: %s %d\n", ki.type, ki.bits);
		printf("  label: %s\n", ki.label);
		if (ki.cert != NULL) {
			print_name("subject", X509_get_subject_name(ki.cert));
			print_name("issuer", X509_get_issuer_name(ki.cert));
			print_time("not before", X509_get0_notBefore(ki.cert));
			print_time("not after", X509_get0_notAfter(ki.cert));
			printf("  chain sent: %zu certificate%s\n", ki.chain_len,
			    ki.chain_len == 1 ? "" : "s");
		} else {
			printf("  certificate: none\n");
		}
		if (authorized_keys_line(v[i], ki.label, &line) == 0) {
			printf("  authorized_keys: %s\n", line);
			free(line);
			line = NULL;
		}
		if (dn_line(v[i], &line) == 0) {
			printf("  authorized_keys (X.509): %s\n", line);
			free(line);
			line = NULL;
		}
	}
	p11_free_signers(v, n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(
		    stderr, "x509ssh: pkcs11: cannot write the key list: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* the token helper (a process of ours running the PKCS#11 modules) never returns */
	(void)p11_helper_main(argc, argv);
	/* first of all: no core file, not dumpable (a PIN may come through the URI) */
	if (loop_no_dumps() != 0) {
		fprintf(stderr, "x509ssh: config: cannot make the process non-dumpable: %s\n",
		    strerror(errno));
		return EXIT_FAIL;
	}
	if (argc < 2 || argc > 3 || strcmp(argv[1], "list") != 0) {
		fprintf(
		    stderr, "x509ssh: config: usage: x509ssh-token list [pkcs11-uri | module]\n");
		return EXIT_FAIL;
	}
	return list(argc == 3 ? argv[2] : "pkcs11:");
}
