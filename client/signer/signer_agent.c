/*
 * Signers over ssh-agent keys (signer_agent.h). The request goes out at once; the answer is
 * collected by sign_finish() once the socket is readable. The agent returns a finished SSH
 * signature: it is unwrapped here, its name checked against what was asked. An agent that holds
 * X.509 identities itself (PKIX-SSH's: the key blob is an RFC 6187 x509v3-* blob) is asked with
 * the blob of the algorithm (x509v3-ssh-rsa for SHA-1, x509v3-rsa2048-sha256 for SHA-256, the
 * curve's name for ECDSA; the plain blob where no x509v3 name fits) and may answer under the
 * x509v3 signature name ("rsa2048-sha256") as well as the plain one. A key PKIX-SSH's agent lists
 * as x509v3-sign-rsa (the bare certificate) is asked for SHA-1 with that blob, as PKIX-SSH signs
 * x509v3-sign-rsa, and may answer "ssh-rsa" or "x509v3-sign-rsa"; for SHA-256 as any native key.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "signer_agent.h"
#include "signer_file.h"
#include "ssh/err.h"
#include "ssh/sshsig.h"
#include "ssh/x509key.h"

struct agent_conn {
	int fd;
	unsigned refs;
	int broken; /* a short or failed exchange: the socket is out of step, not used again */
};

struct sa_key {
	struct agent_conn *conn;
	uint8_t *blob;
	size_t bloblen;
	EVP_PKEY *pk;
	struct signer_der_chain chain;
	int native;    /* the agent knows the key by its x509v3 blob (PKIX-SSH's agent) */
	int single;    /* native, listed as x509v3-sign-rsa: the blob is the bare certificate */
	int pending;   /* a request is on its way */
	char want[32]; /* the signature name the answer must carry */
	char alt[32];  /* native: the x509v3 signature name it may carry instead, or "" */
	size_t field;  /* ECDSA: bytes of one half */
	char err[160];
};

static const struct signer_ops signer_agent_ops;

int agent_sock_connect(const char *path, int wait, int *pending)
{
	struct sockaddr_un sa;
	int fd, e;

	*pending = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (wait ? 0 : SOCK_NONBLOCK), 0)) <
	    0) {
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		if (!wait || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0) {
			return fd;
		}
	} else if (!wait && errno == EINPROGRESS) {
		*pending = 1;
		return fd;
	}
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int agent_conn_open(const char *path, struct agent_conn **out)
{
	struct agent_conn *c;
	int fd, pending;

	*out = NULL;
	if ((fd = agent_sock_connect(path, 1, &pending)) < 0) {
		return SSH_ERR_SYSTEM;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return SSH_ERR_ALLOC;
	}
	c->fd = fd;
	c->refs = 1;
	*out = c;
	return 0;
}

int agent_conn_take_fd(struct agent_conn *c)
{
	int fd = c->broken ? -1 : c->fd;

	if (fd >= 0) {
		c->fd = -1;
	}
	agent_conn_unref(c);
	return fd;
}

void agent_conn_unref(struct agent_conn *c)
{
	if (c == NULL || --c->refs > 0) {
		return;
	}
	if (c->fd >= 0) {
		close(c->fd);
	}
	free(c);
}

/* write all of b (the socket is non-blocking: wait for room) */
static int conn_write(struct agent_conn *c, const struct buf *b)
{
	const uint8_t *p = buf_ptr(b);
	size_t left = buf_len(b);
	struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
	ssize_t n;

	while (left > 0) {
		n = send(c->fd, p, left, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				return SSH_ERR_SYSTEM;
			}
			continue;
		}
		if (n <= 0) {
			return SSH_ERR_SYSTEM;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* read one whole message into b (blocking); *msg and *len point at its body inside b */
static int conn_read(struct agent_conn *c, struct buf *b, const uint8_t **msg, size_t *len)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	uint8_t *room;
	ssize_t n;
	int r;

	for (;;) {
		if ((r = agent_frame(buf_ptr(b), buf_len(b), msg, len)) != 0) {
			return r < 0 ? r : 0;
		}
		if ((r = buf_tail(b, 4096, &room)) != 0) {
			return r;
		}
		n = recv(c->fd, room, 4096, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				return SSH_ERR_SYSTEM;
			}
			continue;
		}
		if (n == 0) {
			errno = ECONNRESET; /* the agent closed the connection */
			return SSH_ERR_SYSTEM;
		}
		if (n < 0) {
			return SSH_ERR_SYSTEM;
		}
		if ((r = buf_commit(b, (size_t)n)) != 0) {
			return r;
		}
	}
}

int agent_conn_list(struct agent_conn *c, struct agent_keys *out)
{
	struct buf b;
	const uint8_t *msg;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	buf_init(&b);
	buf_set_max(&b, AGENT_MSG_MAX + 4 + 4096);
	if (c->broken) {
		r = SSH_ERR_PROTOCOL;
		goto out;
	}
	if ((r = agent_enc_request_identities(&b)) != 0 || (r = conn_write(c, &b)) != 0) {
		goto out;
	}
	buf_reset(&b);
	if ((r = conn_read(c, &b, &msg, &len)) != 0) {
		goto out;
	}
	r = agent_dec_identities(msg, len, out);
out:
	if (r != 0 && r != AGENT_ERR_REFUSED) {
		c->broken = 1;
	}
	buf_free(&b);
	return r;
}

int agent_conn_call(struct agent_conn *c, const struct buf *req)
{
	struct buf b;
	const uint8_t *msg;
	size_t len;
	int r;

	buf_init(&b);
	buf_set_max(&b, AGENT_MSG_MAX + 4 + 4096);
	if (c->broken) {
		r = SSH_ERR_PROTOCOL;
		goto out;
	}
	if ((r = conn_write(c, req)) != 0 || (r = conn_read(c, &b, &msg, &len)) != 0) {
		goto out;
	}
	r = agent_dec_status(msg, len);
out:
	if (r != 0 && r != AGENT_ERR_REFUSED) {
		c->broken = 1;
	}
	buf_free(&b);
	return r;
}

static EVP_PKEY *sa_pubkey(struct signer *s)
{
	return ((struct sa_key *)s->impl)->pk;
}

static void sa_chain(struct signer *s, const uint8_t *const **der, const size_t **len, size_t *n)
{
	struct sa_key *k = s->impl;

	*der = (const uint8_t *const *)k->chain.der;
	*len = k->chain.len;
	*n = k->chain.n;
}

/* the flags, the answer's name(s) and the key blob for a request: SIGNER_ERR_UNSUPPORTED when
 * the key cannot */
static int request_form(
    struct sa_key *k, const struct signer_req *req, uint32_t *flags, struct buf *blob)
{
	static const struct {
		enum signer_prim prim;
		int bits; /* ECDSA curve size, 0 for any */
		const char *digest;
		uint32_t flags;
		const char *name;
		const char *x509; /* the x509v3 row a native key is asked with, or NULL: plain */
		int own;          /* a key listed as x509v3-sign-rsa is asked with its own blob */
	} rows[] = {
	    {SIGNER_RSA_PKCS1, 0, "SHA1", 0, "ssh-rsa", "x509v3-ssh-rsa", 1},
	    {SIGNER_RSA_PKCS1, 0, "SHA256", AGENT_RSA_SHA2_256, "rsa-sha2-256",
	        "x509v3-rsa2048-sha256", 0},
	    {SIGNER_RSA_PKCS1, 0, "SHA512", AGENT_RSA_SHA2_512, "rsa-sha2-512", NULL, 0},
	    {SIGNER_ECDSA, 256, "SHA256", 0, "ecdsa-sha2-nistp256", "x509v3-ecdsa-sha2-nistp256",
	        0},
	    {SIGNER_ECDSA, 384, "SHA384", 0, "ecdsa-sha2-nistp384", "x509v3-ecdsa-sha2-nistp384",
	        0},
	    {SIGNER_ECDSA, 521, "SHA512", 0, "ecdsa-sha2-nistp521", "x509v3-ecdsa-sha2-nistp521",
	        0},
	    {SIGNER_ED25519, 0, NULL, 0, "ssh-ed25519", NULL, 0},
	};
	const struct hostkey_alg *row;
	int bits = EVP_PKEY_get_bits(k->pk);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].prim != req->prim || (rows[i].bits != 0 && rows[i].bits != bits)) {
			continue;
		}
		if ((rows[i].digest == NULL) != (req->digest == NULL) ||
		    (req->digest != NULL && strcasecmp(rows[i].digest, req->digest) != 0)) {
			continue;
		}
		*flags = rows[i].flags;
		snprintf(k->want, sizeof(k->want), "%s", rows[i].name);
		k->alt[0] = '\0';
		k->field = rows[i].bits != 0 ? ((size_t)rows[i].bits + 7) / 8 : 0;
		if (!k->native || (k->single && rows[i].own)) {
			if (k->single) {
				snprintf(k->alt, sizeof(k->alt), "x509v3-sign-rsa");
			}
			return buf_put(blob, k->blob, k->bloblen) == 0 ? SIGNER_OK
			                                               : SIGNER_ERR_ALLOC;
		}
		if (rows[i].x509 != NULL && k->chain.n > 0 &&
		    (row = hostkey_alg_by_name(rows[i].x509)) != NULL) {
			snprintf(k->alt, sizeof(k->alt), "%s", row->sig_name);
			return x509blob_build(row, (const uint8_t *const *)k->chain.der,
			           k->chain.len, k->chain.n, blob) == 0
			           ? SIGNER_OK
			           : SIGNER_ERR_UNSUPPORTED;
		}
		row = hostkey_alg_by_name(rows[i].name);
		return row != NULL && sshkey_to_blob(k->pk, row, blob) == 0
		           ? SIGNER_OK
		           : SIGNER_ERR_UNSUPPORTED;
	}
	return SIGNER_ERR_UNSUPPORTED;
}

static int sa_sign(struct signer *s, const struct signer_req *req, uint8_t **sig, size_t *siglen)
{
	struct sa_key *k;
	struct buf b, blob;
	uint32_t flags = 0;
	int r;

	*sig = NULL;
	*siglen = 0;
	if (s == NULL || (k = s->impl) == NULL || req == NULL || k->pending) {
		return SIGNER_ERR_INTERNAL;
	}
	k->err[0] = '\0';
	buf_init(&blob);
	if ((r = request_form(k, req, &flags, &blob)) != SIGNER_OK) {
		buf_free(&blob);
		return r;
	}
	if (k->conn->broken) {
		buf_free(&blob);
		snprintf(k->err, sizeof(k->err), "agent connection lost");
		return SIGNER_ERR_DEVICE;
	}
	buf_init(&b);
	r = agent_enc_sign_request(&b, buf_ptr(&blob), buf_len(&blob), req->data, req->len, flags);
	buf_free(&blob);
	if (r != 0) {
		buf_free(&b);
		return r == SSH_ERR_ALLOC ? SIGNER_ERR_ALLOC : SIGNER_ERR_UNSUPPORTED;
	}
	r = conn_write(k->conn, &b);
	buf_free(&b);
	if (r != 0) {
		snprintf(k->err, sizeof(k->err), "agent: %s", strerror(errno));
		k->conn->broken = 1;
		return SIGNER_ERR_DEVICE;
	}
	k->pending = 1;
	return SIGNER_AGAIN;
}

/* after a refusal: does the agent still list the key? (1 when it cannot tell) */
static int still_listed(struct sa_key *k)
{
	struct agent_keys keys;
	int found = 0;

	if (agent_conn_list(k->conn, &keys) != 0) {
		return 1;
	}
	for (size_t i = 0; i < keys.n && !found; i++) {
		found = keys.v[i].bloblen == k->bloblen &&
		        memcmp(keys.v[i].blob, k->blob, k->bloblen) == 0;
	}
	agent_keys_clear(&keys);
	return found;
}

static int sa_sign_finish(struct signer *s, uint8_t **sig, size_t *siglen)
{
	struct sa_key *k = s->impl;
	const uint8_t *msg, *blob;
	size_t len, bloblen;
	struct buf b;
	int r, res;

	*sig = NULL;
	*siglen = 0;
	if (!k->pending) {
		return SIGNER_ERR_INTERNAL;
	}
	k->pending = 0;
	buf_init(&b);
	buf_set_max(&b, AGENT_MSG_MAX + 4 + 4096);
	if ((r = conn_read(k->conn, &b, &msg, &len)) != 0) {
		snprintf(k->err, sizeof(k->err), "agent: %s",
		    r == SSH_ERR_SYSTEM ? strerror(errno) : agent_strerror(r));
		k->conn->broken = 1;
		res = SIGNER_ERR_DEVICE;
		goto out;
	}
	if ((r = agent_dec_sign_response(msg, len, &blob, &bloblen)) != 0) {
		if (r == AGENT_ERR_REFUSED && !still_listed(k)) {
			/* OpenSSH's agent also hides keys constrained to other destinations
			 * from a connection bound to this one (ssh-add -h) */
			snprintf(k->err, sizeof(k->err),
			    "agent: the agent no longer lists the key (removed or locked since it "
			    "was listed, or constrained to other destinations)");
		} else {
			snprintf(k->err, sizeof(k->err), "agent: %s", agent_strerror(r));
		}
		if (r != AGENT_ERR_REFUSED) {
			k->conn->broken = 1;
		}
		res = r == AGENT_ERR_REFUSED ? SIGNER_ERR_DECLINED : SIGNER_ERR_DEVICE;
		goto out;
	}
	if ((r = agent_unwrap_sig(blob, bloblen, k->want, k->field, sig, siglen)) ==
	        SSH_ERR_SIGNATURE &&
	    k->alt[0] != '\0') {
		r = agent_unwrap_sig(blob, bloblen, k->alt, k->field, sig, siglen);
	}
	if (r != 0) {
		snprintf(k->err, sizeof(k->err), "agent: the signature is not %s%s%s: %s", k->want,
		    k->alt[0] != '\0' ? " or " : "", k->alt, agent_strerror(r));
		res = r == SSH_ERR_ALLOC ? SIGNER_ERR_ALLOC : SIGNER_ERR_BAD_OUTPUT;
		goto out;
	}
	res = SIGNER_OK;
out:
	buf_free(&b);
	return res;
}

static int sa_poll_fd(struct signer *s)
{
	struct sa_key *k = s->impl;

	return k->pending ? k->conn->fd : -1;
}

static const char *sa_error(struct signer *s)
{
	return ((struct sa_key *)s->impl)->err;
}

static void sa_free(struct signer *s)
{
	struct sa_key *k;

	if (s == NULL) {
		return;
	}
	if ((k = s->impl) != NULL) {
		if (k->pending) {
			k->conn->broken = 1; /* its answer would be read as the next one's */
		}
		agent_conn_unref(k->conn);
		free(k->blob);
		EVP_PKEY_free(k->pk);
		signer_der_chain_clear(&k->chain);
		free(k);
	}
	free(s->name);
	free(s);
}

static const struct signer_ops signer_agent_ops = {
    .pubkey = sa_pubkey,
    .chain = sa_chain,
    .sign = sa_sign,
    .sign_finish = sa_sign_finish,
    .poll_fd = sa_poll_fd,
    .error = sa_error,
    .free = sa_free,
};

int signer_is_agent(const struct signer *s)
{
	return s != NULL && s->ops == &signer_agent_ops;
}

int signer_agent_new(struct agent_conn *c, const uint8_t *blob, size_t bloblen, EVP_PKEY *pk,
    const char *name, struct signer **out)
{
	const struct hostkey_alg *row;
	struct signer *s = NULL;
	struct sa_key *k = NULL;
	int e = SSH_ERR_ALLOC;

	*out = NULL;
	if (c == NULL || pk == NULL || bloblen == 0) {
		e = SSH_ERR_INTERNAL;
		goto out;
	}
	if (!sshsig_key_usable(pk, 0, NULL)) {
		e = SSH_ERR_KEY_TYPE;
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->blob = malloc(bloblen)) == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL || (s->name = strdup(name)) == NULL) {
		goto out;
	}
	memcpy(k->blob, blob, bloblen);
	k->bloblen = bloblen;
	row = x509blob_row_of(blob, bloblen);
	k->native = row != NULL;
	k->single = row != NULL && (row->flags & HK_FLAG_SINGLE_CERT) != 0;
	k->pk = pk;
	pk = NULL;
	k->conn = c;
	c->refs++;
	s->ops = &signer_agent_ops;
	s->impl = k;
	k = NULL;
	*out = s;
	s = NULL;
	e = 0;
out:
	if (k != NULL) {
		free(k->blob);
		free(k);
	}
	if (s != NULL) {
		free(s->name);
		free(s);
	}
	EVP_PKEY_free(pk);
	return e;
}

int signer_agent_set_chain(struct signer *s, STACK_OF(X509) * chain)
{
	struct sa_key *k;
	int e = 0;

	if (!signer_is_agent(s) || (k = s->impl) == NULL) {
		e = SSH_ERR_INTERNAL;
	} else if (chain == NULL || sk_X509_num(chain) <= 0) {
		e = 0;
	} else if ((size_t)sk_X509_num(chain) > X509_BLOB_MAX) {
		e = SSH_ERR_TOO_LARGE;
	} else if (!signer_file_cert_matches(k->pk, sk_X509_value(chain, 0))) {
		e = SSH_ERR_KEY_TYPE;
	} else if (signer_der_chain_set(&k->chain, chain) != SIGNER_OK) {
		e = SSH_ERR_ALLOC;
	}
	sk_X509_pop_free(chain, X509_free);
	return e;
}

int signer_agent_copy_chain(struct signer *s, struct signer *from)
{
	const uint8_t *const *der;
	const size_t *len;
	size_t n = signer_chain(from, &der, &len);
	STACK_OF(X509) * st;
	int r;

	if (n == 0) {
		return 0;
	}
	return (r = x509_der_stack(der, len, n, &st)) != 0 ? r : signer_agent_set_chain(s, st);
}
