/*
 * Public-key algorithms (host keys and userauth keys) as table rows with separate columns for
 * the negotiated name, the key-blob name and the signature name: rsa-sha2-256 sends an "ssh-rsa"
 * key blob and signs as "rsa-sha2-256"; x509v3-ssh-rsa sends an x509v3-ssh-rsa blob (x509key.h)
 * and signs as "ssh-rsa". Plain key blobs (RFC 4253 6.6, RFC 5656, RFC 8709) and signature blobs
 * are encoded and decoded here with EVP keys.
 */
#ifndef X509SSH_SSHKEY_H
#define X509SSH_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "buf.h"

#define HK_FLAG_DEFAULT     1 /* in our default HostKeyAlgorithms / PubkeyAcceptedAlgorithms */
#define HK_FLAG_LEGACY      2 /* only on request (ssh-rsa with SHA-1) */
#define HK_FLAG_X509        4 /* RFC 6187 row: certificate blob (x509key.h), plain signatures */
#define HK_FLAG_SINGLE_CERT 8 /* x509v3-sign-rsa: the key blob is the leaf's bare DER, no chain */

struct hostkey_alg {
	const char *name;      /* negotiated name: "rsa-sha2-256" */
	const char *blob_name; /* key type in the key blob: "ssh-rsa" */
	const char *sig_name;  /* name inside the signature blob: "rsa-sha2-256" */
	int pkey_type;         /* EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_ED25519 */
	const char *label; /* the key type in messages, as OpenSSH prints it: "ED25519", "ECDSA" */
	const char *curve; /* EC: OpenSSL group name "P-256"; else NULL */
	const char *ssh_curve; /* EC: "nistp256"; else NULL */
	size_t field_len;      /* EC: bytes of a coordinate (32, 48, 66); else 0 */
	const char *digest;    /* OpenSSL digest name ("SHA256"); NULL for Ed25519 */
	int flags;             /* HK_FLAG_* */
	int min_bits;          /* RSA: smallest modulus this row accepts (0: the 1024-bit floor) */
};

const struct hostkey_alg *hostkey_alg_by_name(const char *name);
/* The first plain (non-X.509) row whose key blob carries the n-byte type name p, or NULL. */
const struct hostkey_alg *hostkey_alg_by_blob_name(const uint8_t *p, size_t n);
const struct hostkey_alg *hostkey_alg_at(size_t i);

/* Decode a plain public-key blob; *type_out (optional) gets the key type name (malloc'd).
 * Rejects trailing bytes, RSA moduli under 1024 bits, points not on the curve. */
int sshkey_from_blob(const uint8_t *blob, size_t len, EVP_PKEY **out, char **type_out);
/* Does this EVP key fit this algorithm row (type, curve, RSA size >= 1024 and >= the row's
 * min_bits: 2048 for x509v3-rsa2048-sha256)? 1 or 0. */
int sshkey_fits_alg(const EVP_PKEY *pk, const struct hostkey_alg *alg);
/* Encode a public key (private keys work too: only the public part is written) as the plain
 * blob of algorithm alg (alg->blob_name). */
int sshkey_to_blob(const EVP_PKEY *pk, const struct hostkey_alg *alg, struct buf *out);
/* "SHA256:<unpadded base64>" of a key blob; malloc'd */
int sshkey_fingerprint(const uint8_t *blob, size_t len, char **out);

/* Verify the signature blob (string sig_name, string signature) over data with alg; the name
 * inside must equal alg->sig_name. Returns 0, SSH_ERR_SIGNATURE or SSH_ERR_FORMAT. */
int sshsig_verify(const struct hostkey_alg *alg, EVP_PKEY *pk, const uint8_t *sig, size_t siglen,
    const uint8_t *data, size_t dlen);
/* Make the signature blob for alg with a private key and append it to out (x509v3 rows too:
 * same encodings under their inner names). */
int sshsig_sign(const struct hostkey_alg *alg, EVP_PKEY *priv, const uint8_t *data, size_t dlen,
    struct buf *out);

/*
 * The one builder of EVP keys from OSSL_PARAM values (key blobs, key files, the key exchange's
 * groups and peer values): an EVP key of OpenSSL type `type` ("RSA", "EC", "DH") from the
 * parameters in bld; selection is EVP_PKEY_PUBLIC_KEY, EVP_PKEY_KEYPAIR or
 * EVP_PKEY_KEY_PARAMETERS. The parameter copy is freed (and wiped, when bld held secure numbers)
 * before returning; bld stays the caller's.
 * Returns 0; SSH_ERR_FORMAT when OpenSSL refuses the values (its errors from this call are
 * dropped: the values are the cause); SSH_ERR_LIBCRYPTO when OpenSSL itself failed (no memory,
 * unknown type: its reason stays in the error queue for ssh_err_why). Errors queued before the
 * call are left as they were.
 */
int sshkey_from_params(const char *type, int selection, OSSL_PARAM_BLD *bld, EVP_PKEY **out);

/*
 * The key builders over sshkey_from_params that the blob decoder (public keys) and the program's
 * key file reader (key pairs) share.
 *
 * RSA from its numbers: n and e alone give a public key; with d, the key pair, which then needs
 * every CRT part (p, q, dmp1, dmq1, iqmp: SSH_ERR_INTERNAL when one is missing). The caller
 * checks the numbers (sizes, consistency) first.
 */
struct sshkey_rsa_parts {
	const BIGNUM *n, *e, *d, *p, *q, *dmp1, *dmq1, *iqmp;
};
int sshkey_rsa_from_parts(const struct sshkey_rsa_parts *k, EVP_PKEY **out);
/* ECDSA on alg's curve from the encoded point q (and the private scalar d, or NULL for a public
 * key), validated in full: the point on the curve and of the right order, and with d, d * G == Q.
 * SSH_ERR_FORMAT for values that fail. */
int sshkey_ec_from_point(
    const struct hostkey_alg *alg, const uint8_t *q, size_t qlen, const BIGNUM *d, EVP_PKEY **out);

/* Raw signature conversions shared with token signers: ECDSA DER <-> r,s mpints */
int sshsig_ecdsa_der_to_ssh(
    const uint8_t *der, size_t len, struct buf *out); /* appends mpint r, mpint s */
int sshsig_ecdsa_raw_to_ssh(const uint8_t *rs, size_t len, struct buf *out); /* r||s halves */

#endif
