/*
 * Keys on PKCS#11 tokens (through p11-kit) as signers (client/signer.h).
 *
 * p11_load_signers() takes a `pkcs11:` URI (RFC 7512, validated strictly) or a bare module path
 * and returns one signer per key found. Loading never logs in: keys are found through their
 * certificate and public-key objects. The token is logged in (once per token) when the first
 * signature is needed; the PIN comes from pin-value, pin-source=file:, or o->ask_pin (never in
 * batch mode). sign() runs the login and C_Sign in a worker thread and returns SSH_ERR_AGAIN:
 * wait for poll_fd() to become readable (or just call sign_finish(), which blocks).
 */
#ifndef X509SSH_P11_H
#define X509SSH_P11_H

#include <stddef.h>

#include <openssl/x509.h>

#include "signer.h"

struct p11_opts {
	int batch_mode; /* never prompt */
	/* Ask for a PIN (NUL-terminated into buf); 0 or a negative ssh_err. May be NULL. Called on
	 * the caller's thread, from sign(). */
	int (*ask_pin)(void *arg, const char *prompt, char *buf, size_t len);
	void *ask_arg;
	const char *const *cert_files; /* NULL-terminated PEM files with CA certificates, or NULL */
	int send_root;                 /* include the self-signed root in the chain */
	const char *const *pubkey_algs; /* NULL-terminated preference list, or NULL for defaults */
};

/* Load every key selected by a pkcs11: URI or a module path. On success *out is a malloc'd
 * array of *n signers (free with p11_free_signers). On failure a negative ssh_err and a one-line
 * message in err (without the "x509ssh: pkcs11: " prefix). Finding no key is an error
 * (SSH_ERR_NOT_FOUND). */
int p11_load_signers(const char *uri_or_module, const struct p11_opts *o, struct signer ***out,
    size_t *n, char *err, size_t errlen);

/* Free the array and every signer still in it (entries may be set to NULL after being taken). */
void p11_free_signers(struct signer **v, size_t n);

/* 1 if s is a token signer made here */
int p11_is_signer(const struct signer *s);

/* The last error of a token signer's sign()/sign_finish() as one line ("C_Login:
 * CKR_PIN_INCORRECT"), or "" */
const char *p11_signer_error(const struct signer *s);

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
 * "<x509 algorithm> subject=<DN, RDN order as stored>", malloc'd. SSH_ERR_NOT_FOUND without a
 * certificate. */
int p11_dn_line(const struct signer *s, char **out);

/* The PKCS#11 return value as text ("CKR_PIN_INCORRECT", or "CKR_0x%lx") */
const char *p11_rv_str(unsigned long rv);

#endif
