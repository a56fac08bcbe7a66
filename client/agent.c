/* The ssh-agent protocol messages of the client: encoders and bounded decoders (agent.h). */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "ssh/err.h"

/* a framed message: uint32 length, then the body put by fill */
static int put_framed(struct buf *out, const struct buf *body)
{
	int r;

	if (buf_len(body) > AGENT_MSG_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((r = buf_put_u32(out, (uint32_t)buf_len(body))) != 0 ||
	    (r = buf_put(out, buf_ptr(body), buf_len(body))) != 0) {
		return r;
	}
	return 0;
}

int agent_enc_request_identities(struct buf *out)
{
	int r;

	if ((r = buf_put_u32(out, 1)) != 0 ||
	    (r = buf_put_u8(out, AGENTC_REQUEST_IDENTITIES)) != 0) {
		return r;
	}
	return 0;
}

int agent_enc_sign_request(struct buf *out, const uint8_t *blob, size_t bloblen,
    const uint8_t *data, size_t dlen, uint32_t flags)
{
	struct buf body;
	int r;

	buf_init(&body);
	if ((r = buf_put_u8(&body, AGENTC_SIGN_REQUEST)) != 0 ||
	    (r = buf_put_string(&body, blob, bloblen)) != 0 ||
	    (r = buf_put_string(&body, data, dlen)) != 0 || (r = buf_put_u32(&body, flags)) != 0) {
		goto out;
	}
	r = put_framed(out, &body);
out:
	buf_free(&body);
	return r;
}

int agent_frame(const uint8_t *in, size_t inlen, const uint8_t **msg, size_t *msglen)
{
	uint32_t len;

	*msg = NULL;
	*msglen = 0;
	if (inlen < 4) {
		return 0;
	}
	len = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
	if (len > AGENT_MSG_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if (len == 0) {
		return SSH_ERR_FORMAT;
	}
	if (inlen - 4 < len) {
		return 0;
	}
	*msg = in + 4;
	*msglen = len;
	return (int)(len + 4);
}

/* the type byte of msg: AGENT_ERR_REFUSED for FAILURE, SSH_ERR_PROTOCOL when it is not want */
static int expect_type(struct rd *r, uint8_t want)
{
	uint8_t t;

	if (rd_u8(r, &t) != 0) {
		return SSH_ERR_FORMAT;
	}
	if (t == AGENT_FAILURE) {
		return AGENT_ERR_REFUSED;
	}
	return t == want ? 0 : SSH_ERR_PROTOCOL;
}

void agent_keys_clear(struct agent_keys *k)
{
	for (size_t i = 0; k->v != NULL && i < k->n; i++) {
		free(k->v[i].blob);
		free(k->v[i].comment);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

int agent_dec_identities(const uint8_t *msg, size_t len, struct agent_keys *out)
{
	struct rd r = rd_make(msg, len);
	const uint8_t *blob, *com;
	size_t bloblen, comlen;
	uint32_t n;
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = expect_type(&r, AGENT_IDENTITIES_ANSWER)) != 0) {
		return e;
	}
	if (rd_u32(&r, &n) != 0) {
		return SSH_ERR_FORMAT;
	}
	if (n > AGENT_KEYS_MAX) {
		return SSH_ERR_TOO_LARGE;
	}
	if (n > 0 && (out->v = calloc(n, sizeof(*out->v))) == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (rd_string(&r, &blob, &bloblen) != 0 || rd_string(&r, &com, &comlen) != 0 ||
		    bloblen == 0) {
			e = SSH_ERR_FORMAT;
			goto out;
		}
		if ((out->v[i].blob = malloc(bloblen)) == NULL ||
		    (out->v[i].comment = malloc(comlen + 1)) == NULL) {
			out->n = i + 1;
			e = SSH_ERR_ALLOC;
			goto out;
		}
		/* the comment ends the message: copied, not strndup (which may look past it) */
		memcpy(out->v[i].comment, com, comlen);
		out->v[i].comment[comlen] = '\0';
		memcpy(out->v[i].blob, blob, bloblen);
		out->v[i].bloblen = bloblen;
		out->n = i + 1;
	}
	e = rd_end(&r) != 0 ? SSH_ERR_FORMAT : 0;
out:
	if (e != 0) {
		agent_keys_clear(out);
	}
	return e;
}

int agent_dec_sign_response(const uint8_t *msg, size_t len, const uint8_t **sig, size_t *siglen)
{
	struct rd r = rd_make(msg, len);
	int e;

	*sig = NULL;
	*siglen = 0;
	if ((e = expect_type(&r, AGENT_SIGN_RESPONSE)) != 0) {
		return e;
	}
	if (rd_string(&r, sig, siglen) != 0 || rd_end(&r) != 0) {
		*sig = NULL;
		*siglen = 0;
		return SSH_ERR_FORMAT;
	}
	return 0;
}

/* one ECDSA half (mpint, non-negative) right-aligned into field bytes at dst */
static int put_half(struct rd *r, uint8_t *dst, size_t field)
{
	const uint8_t *p;
	size_t n;

	if (rd_mpint_bytes(r, &p, &n) != 0) {
		return SSH_ERR_FORMAT;
	}
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n > field) {
		return SSH_ERR_FORMAT;
	}
	memset(dst, 0, field - n);
	memcpy(dst + field - n, p, n);
	return 0;
}

int agent_unwrap_sig(
    const uint8_t *blob, size_t len, const char *want, size_t field, uint8_t **raw, size_t *rawlen)
{
	struct rd r = rd_make(blob, len), inner;
	const uint8_t *name, *sig;
	size_t namelen, siglen;
	uint8_t *out = NULL;
	int e = SSH_ERR_FORMAT;

	*raw = NULL;
	*rawlen = 0;
	if (rd_string(&r, &name, &namelen) != 0 || rd_string(&r, &sig, &siglen) != 0 ||
	    rd_end(&r) != 0) {
		goto out;
	}
	if (namelen != strlen(want) || memcmp(name, want, namelen) != 0) {
		e = SSH_ERR_SIGNATURE;
		goto out;
	}
	if (strncmp(want, "ecdsa-sha2-", 11) == 0) {
		if (field == 0 || field > 66 || (out = malloc(2 * field)) == NULL) {
			e = field == 0 || field > 66 ? SSH_ERR_INTERNAL : SSH_ERR_ALLOC;
			goto out;
		}
		inner = rd_make(sig, siglen);
		if ((e = put_half(&inner, out, field)) != 0 ||
		    (e = put_half(&inner, out + field, field)) != 0) {
			goto out;
		}
		if (rd_end(&inner) != 0) {
			e = SSH_ERR_FORMAT;
			goto out;
		}
		*rawlen = 2 * field;
	} else {
		if (siglen == 0 || (strcmp(want, "ssh-ed25519") == 0 && siglen != 64)) {
			goto out;
		}
		if ((out = malloc(siglen)) == NULL) {
			e = SSH_ERR_ALLOC;
			goto out;
		}
		memcpy(out, sig, siglen);
		*rawlen = siglen;
	}
	*raw = out;
	out = NULL;
	e = 0;
out:
	free(out);
	return e;
}

const char *agent_strerror(int r)
{
	if (r == AGENT_ERR_REFUSED) {
		return "agent refused operation";
	}
	return ssh_err_str(r);
}
