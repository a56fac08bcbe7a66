/*
 * Keys on PKCS#11 tokens (through p11-kit) as signers (client/signer.h).
 *
 * p11_load_signers() takes a `pkcs11:` URI (RFC 7512, validated strictly) or a bare module path
 * and returns one signer per key found. Loading never logs in: keys are found through their
 * certificate and public-key objects. The token is logged in (once per token) when the first
 * signature is needed; the PIN comes from pin-value, pin-source=file:, or the caller, who asks
 * the user (o->can_ask, never in batch mode): sign() then answers SIGNER_NEED_SECRET and
 * secret_answer() takes the PIN (signer.h). sign() runs the login and C_Sign in a worker thread
 * and returns SIGNER_AGAIN: wait for poll_fd() to become readable, then call sign_finish().
 * A token's PIN is asked once: a key of the same token that needs it while another key's
 * question is open waits for that answer (SIGNER_AGAIN; sign_finish() then goes on with the
 * login it brought, or asks itself when that question was given up).
 */
#ifndef X509SSH_P11_H
#define X509SSH_P11_H

#include <stddef.h>

#include <openssl/x509.h>

#include "signer.h"

/* Results of the p11_* functions: 0 or one of these (the texts of p11_strerror). */
enum p11_err {
	P11_OK = 0,
	P11_ERR_INTERNAL = -1,     /* a bug, or a module call failed (the message says which) */
	P11_ERR_ALLOC = -2,        /* out of memory */
	P11_ERR_FORMAT = -3,       /* malformed input (URI, PEM file, attribute) */
	P11_ERR_TOO_LARGE = -4,    /* a cap was exceeded */
	P11_ERR_LIBCRYPTO = -5,    /* an OpenSSL call failed */
	P11_ERR_NO_ALGO = -6,      /* unknown mechanism or hash */
	P11_ERR_SIGNATURE = -7,    /* the token's signature has the wrong size */
	P11_ERR_KEY_TYPE = -8,     /* the key cannot do this */
	P11_ERR_SYSTEM = -9,       /* errno says why */
	P11_ERR_PIN = -10,         /* wrong, missing or locked PIN */
	P11_ERR_NOT_FOUND = -11,   /* no such module, token, key or attribute */
	P11_ERR_UNSUPPORTED = -12, /* valid input we do not handle */
};

/* A short English phrase for a p11_err ("not found") */
const char *p11_strerror(int err);

struct p11_opts {
	int batch_mode; /* never prompt */
	/* 1: the caller answers SIGNER_NEED_SECRET (asks the user for a PIN); 0: nobody can be
	 * asked, a PIN must come from the URI */
	int can_ask;
	/* The chain sent for a key with a certificate: leaf first, its issuers found in the
	 * token's certificates (token_certs, borrowed) and wherever the program looks
	 * (X509CertificateFile); *out holds new references. Nonzero is a failure (out of memory).
	 * NULL: the leaf alone. */
	int (*build_chain)(
	    void *arg, X509 *leaf, STACK_OF(X509) * token_certs, STACK_OF(X509) * *out);
	void *chain_arg;
	/*
	 * Which keys the program can use (the SSH algorithms are the program's, not ours): 1 when
	 * a key with this public key (and a certificate, with_cert) fits some algorithm of the
	 * program's list (listed = 1: PubkeyAcceptedAlgorithms, a key that does not is left out,
	 * and none at all is an error) or of any algorithm the program knows (listed = 0: other
	 * keys are not offered, e.g. RSA-512). NULL: every key.
	 */
	int (*key_usable)(void *arg, const EVP_PKEY *pub, int with_cert, int listed);
	void *usable_arg;
	/* What the modules printed on fd 2 while loading (captured, never on the terminal): one
	 * call per line, at most 40 lines, after fd 2 is restored. NULL: dropped. With the helper,
	 * also what they print later (logging in, signing: any thread, one call at a time), so
	 * output_arg must outlive the keys; in-process, that later output is not captured. */
	void (*module_output)(void *arg, const char *line);
	void *output_arg;
	/* 1: the modules run in the token helper, a process of their own (p11_helper_main);
	 * 0: loaded into this process */
	int helper;
};

/* Load every key selected by a pkcs11: URI or a module path. On success *out is a malloc'd
 * array of *n signers (free with p11_free_signers). On failure a P11_ERR_* and a one-line
 * message in err (without the "x509ssh: pkcs11: " prefix). Finding no key is an error
 * (P11_ERR_NOT_FOUND). */
int p11_load_signers(const char *uri_or_module, const struct p11_opts *o, struct signer ***out,
    size_t *n, char *err, size_t errlen);

/* Free the array and every signer still in it (entries may be set to NULL after being taken). */
void p11_free_signers(struct signer **v, size_t n);

/* 1 if s is a token signer made here */
int p11_is_signer(const struct signer *s);

/* Details of a token key for -v and `x509ssh-token list`; pointers are borrowed from the signer. */
struct p11_key_info {
	const char *uri;   /* the key's pkcs11: URI (= signer->name) */
	const char *label; /* CKA_LABEL, "" if none */
	const char *type;  /* "RSA", "ECDSA", "Ed25519" */
	int bits;          /* key size */
	const X509 *cert;  /* leaf certificate or NULL */
	size_t chain_len;  /* certificates sent (leaf first), 0 without a certificate */
};
int p11_key_info(const struct signer *s, struct p11_key_info *out);

/* One line for -v: "pkcs11:... RSA-2048 label \"x\" cert CN=..." (malloc'd in *out). */
int p11_describe(const struct signer *s, char **out);

/* The distinguished-name line for authorized_keys (asyncssh / PKIX-SSH form):
 * "<alg> subject=<DN, RDN order as stored>", malloc'd; alg is the x509v3 algorithm name the
 * program picks for the key. P11_ERR_NOT_FOUND without a certificate. */
int p11_dn_line(const struct signer *s, const char *alg, char **out);

/*
 * The token helper: the program's own executable run again (/proc/self/exe) with the caller's
 * argv[0] (p11-kit applies enable-in/disable-in by that name) and a marker argument. A program
 * that loads keys with o->helper calls p11_helper_main(argc, argv) first thing in main(): it
 * returns -1 when this process is not the helper, and never returns when it is.
 */
int p11_helper_main(int argc, char **argv);
/* NULL while the helper lives (or never ran); after its death one line without the
 * "x509ssh: pkcs11: " prefix: "the token module crashed (signal SEGV)" */
const char *p11_helper_failure(void);

/* The PKCS#11 return value as text ("CKR_PIN_INCORRECT", or "CKR_0x%lx") */
const char *p11_rv_str(unsigned long rv);

#endif
