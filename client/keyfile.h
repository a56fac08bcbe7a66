/*
 * Private key files: PEM (traditional and PKCS#8, encrypted or not) through OpenSSL, and
 * OpenSSH's own "openssh-key-v1" format for ed25519, ecdsa and rsa (unencrypted; an encrypted
 * one is refused with SSH_ERR_UNSUPPORTED and a message saying how to convert it).
 */
#ifndef X509SSH_KEYFILE_H
#define X509SSH_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * Load the private key in path. passphrase may be NULL: an encrypted key then returns
 * SSH_ERR_PASSPHRASE (so the caller can ask and retry); a wrong passphrase also returns
 * SSH_ERR_PASSPHRASE. On any failure, if errbuf is not NULL, a one-line cause is written there
 * ("unsupported key format", "encrypted OpenSSH key: convert it with ssh-keygen -p -m PEM -f FILE",
 * "no such file", ...). The returned key is checked to be RSA (>= 1024 bits), P-256/384/521 or
 * Ed25519.
 */
int keyfile_load(
    const char *path, const char *passphrase, EVP_PKEY **out, char *errbuf, size_t errlen);

/* 1 if the file exists and looks like a private key we could load (without a passphrase check) */
int keyfile_exists(const char *path);

/* keyfile_load on file contents already in memory (PEM or OpenSSH armour) */
int keyfile_from_bytes(const uint8_t *data, size_t len, const char *passphrase, EVP_PKEY **out,
    char *errbuf, size_t errlen);

/* Decode the binary "openssh-key-v1" container (the base64 payload of an OpenSSH key file);
 * checks the check-ints, the padding, and that the clear public key matches the private one. */
int keyfile_from_openssh_blob(
    const uint8_t *blob, size_t len, EVP_PKEY **out, char *errbuf, size_t errlen);

/*
 * The certificates of a PEM file, in file order, appended to pool (at most max in pool): those
 * that follow the private key in a PKIX-SSH identity file (key, then its certificate, then
 * intermediates), or every certificate of an X509CertificateFile. Key blocks are skipped without
 * being decoded (no passphrase needed); the file is read into wiped memory. *added (may be NULL)
 * gets the number appended, 0 for a file without certificates. Errors as keyfile_load (a
 * certificate block that does not decode: SSH_ERR_FORMAT; too many: SSH_ERR_TOO_LARGE).
 */
int keyfile_certs(const char *path, size_t max, STACK_OF(X509) * pool, size_t *added, char *errbuf,
    size_t errlen);

#endif
