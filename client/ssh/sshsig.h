/*
 * The SSH side of a signer (signer.h): which algorithm rows its key can do, its key blob for a
 * row (plain, or RFC 6187 from its chain), the request a row makes (primitive and hash), and
 * the SSH signature blob (string sig_name, string signature) from the signer's raw output.
 * Signers never write SSH encodings; the engine alone does, here.
 */
#ifndef X509SSH_SSHSIG_H
#define X509SSH_SSHSIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "sshkey.h"
#include "signer.h"

/* 1 when the row fits the key (sshkey_fits_alg) and, for an x509v3 row, there is a chain */
int sshsig_key_fits(const EVP_PKEY *pub, int with_chain, const struct hostkey_alg *alg);

/* 1 when the signer can sign for the row (its public key and chain), else 0 */
int signer_fits(struct signer *s, const struct hostkey_alg *alg);

/* The rows of a NULL-terminated name list (NULL: our default PubkeyAcceptedAlgorithms, i.e.
 * the HK_FLAG_DEFAULT rows but x509v3-sign-rsa) that a key with or without a chain can do;
 * 1 when there is at least one, else 0. */
int sshsig_key_usable(const EVP_PKEY *pub, int with_chain, const char *const *names);

/* Append the public-key blob the signer sends for alg: RFC 6187 from its chain for an x509v3
 * row, else the plain blob. SSH_ERR_KEY_TYPE when the signer cannot do alg. */
int signer_key_blob(struct signer *s, const struct hostkey_alg *alg, struct buf *out);

/* The request for signing data with alg (req->data points to data). */
int sshsig_request(
    const struct hostkey_alg *alg, const uint8_t *data, size_t len, struct signer_req *req);

/*
 * Append the signature blob of alg from a signer's raw output for pub: RSA left-padded to the
 * modulus length (longer is SSH_ERR_SIGNATURE), ECDSA r || s (two equal halves of at most the
 * field size) as two mpints, Ed25519 exactly 64 bytes. On error out is left as it was.
 */
int sshsig_from_raw(const struct hostkey_alg *alg, const EVP_PKEY *pub, const uint8_t *raw,
    size_t len, struct buf *out);

/* The raw primitive of req with a private key in memory (the file signer, test signers):
 * SIGNER_OK with *sig malloc'd, or a SIGNER_ERR_* code. */
int sshsig_raw_sign(EVP_PKEY *priv, const struct signer_req *req, uint8_t **sig, size_t *len);

/* The engine's error code for a signer result */
int sshsig_signer_err(int signer_result);

#endif
