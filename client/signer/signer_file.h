/* The signer interface over a private key loaded from a file (synchronous). */
#ifndef X509SSH_SIGNER_FILE_H
#define X509SSH_SIGNER_FILE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signer.h"

/* Takes ownership of pkey (freed on failure too). SSH_ERR_KEY_TYPE for a key no SSH algorithm
 * can use (RSA under 1024 bits, a curve other than P-256/384/521). */
int signer_file_new(EVP_PKEY *pkey, const char *path, struct signer **out);

/*
 * The same with an X.509 chain as sent (leaf first, then intermediates; x509chain_build): takes
 * ownership of pkey and chain, even on failure. The leaf's public key must equal pkey's
 * (SSH_ERR_KEY_TYPE otherwise; signer_file_cert_matches tells beforehand); at most
 * X509_BLOB_MAX certificates (SSH_ERR_TOO_LARGE).
 */
int signer_file_new_x509(
    EVP_PKEY *pkey, STACK_OF(X509) * chain, const char *path, struct signer **out);

/* The passphrase tries of an encrypted key, as OpenSSH gives them. */
#define SIGNER_FILE_PASSPHRASE_TRIES 3

/*
 * Load the private half later: s was made from the public key alone (e.g. FILE.pub of an
 * encrypted key). Its first sign() keeps a copy of the request and answers SIGNER_NEED_SECRET
 * with "Enter passphrase for key 'NAME': "; secret_answer() calls unlock(arg, passphrase,
 * &priv, why, whylen), which returns 0 with the private key, SIGNER_ERR_PASSPHRASE for a wrong
 * passphrase, or another SIGNER_ERR_* with a one-line why. The private key must equal the
 * public one (SIGNER_ERR_KEY_MISMATCH otherwise). A wrong passphrase is asked again up to
 * SIGNER_FILE_PASSPHRASE_TRIES times in all; no passphrase (NULL or empty), the tries used up or
 * a key that does not load is SIGNER_ERR_DECLINED: the next identity is tried, as OpenSSH does.
 * So a passphrase is asked only once the server has accepted the public key, and never by the
 * signer itself.
 */
int signer_file_set_unlock(struct signer *s,
    int (*unlock)(void *arg, const char *passphrase, EVP_PKEY **priv, char *why, size_t whylen),
    void *arg);

/* Call used(arg, private key) once, after the first signature s makes (a key file used for
 * authentication: AddKeysToAgent). */
int signer_file_set_used(
    struct signer *s, void (*used)(void *arg, const EVP_PKEY *priv), void *arg);

/* 1 when cert's public key is pkey's public key, else 0 */
int signer_file_cert_matches(EVP_PKEY *pkey, X509 *cert);

#endif
