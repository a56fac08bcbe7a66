/*
 * The agent signer (client/signer/signer_agent.c) against a scripted agent on a Unix socket:
 * the request's flags for each hash (RSA SHA-1 none, SHA-256 2, SHA-512 4; ECDSA and Ed25519
 * none), the answer's name checked (an agent answering ssh-rsa to a SHA-256 request is refused),
 * ECDSA unwrapped to r || s, FAILURE as SIGNER_ERR_DECLINED (the agent is then asked for its
 * keys: a key it still lists was refused, one it no longer lists was removed), poll_fd only
 * while pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "signer_agent.h"
#include "ssh/err.h"
#include "t.h"

static int srv;    /* the scripted agent's end */
static int listed; /* after a FAILURE: the identities answer lists the key ("blob") */

/* read one request; return its flags (the last 4 bytes), -1 on error */
static long read_request(void)
{
	uint8_t b[4096];
	ssize_t n = read(srv, b, sizeof(b));

	if (n < 9 || b[4] != AGENTC_SIGN_REQUEST) {
		return -1;
	}
	return (long)((uint32_t)b[n - 4] << 24 | (uint32_t)b[n - 3] << 16 |
	              (uint32_t)b[n - 2] << 8 | b[n - 1]);
}

/* answer a SIGN_RESPONSE whose signature blob is (name, sig) */
static void answer(const char *name, const uint8_t *sig, size_t siglen)
{
	struct buf blob, body, msg;

	buf_init(&blob);
	buf_init(&body);
	buf_init(&msg);
	buf_put_cstring(&blob, name);
	buf_put_string(&blob, sig, siglen);
	buf_put_u8(&body, AGENT_SIGN_RESPONSE);
	buf_put_buf(&body, &blob);
	buf_put_u32(&msg, (uint32_t)buf_len(&body));
	buf_put(&msg, buf_ptr(&body), buf_len(&body));
	CHECK(write(srv, buf_ptr(&msg), buf_len(&msg)) == (ssize_t)buf_len(&msg));
	buf_free(&blob);
	buf_free(&body);
	buf_free(&msg);
}

/* one signature: the flags the agent saw and the result; *raw (malloc'd) on success */
static int sign_once(struct signer *s, enum signer_prim prim, const char *digest, long *flags,
    const char *ans_name, const uint8_t *ans, size_t anslen, uint8_t **raw, size_t *rawlen)
{
	struct signer_req req = {
	    .prim = prim, .digest = digest, .data = (const uint8_t *)"d", .len = 1};
	int r;

	*flags = -2;
	r = s->ops->sign(s, &req, raw, rawlen);
	if (r != SIGNER_AGAIN) {
		return r;
	}
	CHECK(s->ops->poll_fd(s) >= 0);
	*flags = read_request();
	if (ans_name != NULL) {
		answer(ans_name, ans, anslen);
	} else {
		/* SSH_AGENT_FAILURE; the listing that follows it is answered by a child (the key
		 * "blob", or no key) once it was asked */
		static const uint8_t keys[] = "\0\0\0\x18\x0c\0\0\0\1\0\0\0\4blob\0\0\0\7comment";
		static const uint8_t none[] = "\0\0\0\5\x0c\0\0\0\0";
		uint8_t req[5];
		pid_t pid;
		int st = -1;
		CHECK(write(srv, "\0\0\0\1\5", 5) == 5);
		if ((pid = fork()) == 0) {
			int ok = read(srv, req, sizeof(req)) == 5 &&
			         memcmp(req, "\0\0\0\1\x0b", 5) == 0 &&
			         (listed ? write(srv, keys, sizeof(keys) - 1) ==
			                       (ssize_t)sizeof(keys) - 1
			                 : write(srv, none, sizeof(none) - 1) ==
			                       (ssize_t)sizeof(none) - 1);
			_exit(ok ? 0 : 1);
		}
		CHECK(pid > 0);
		r = s->ops->sign_finish(s, raw, rawlen);
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0);
		CHECK_EQ_INT(s->ops->poll_fd(s), -1);
		return r;
	}
	r = s->ops->sign_finish(s, raw, rawlen);
	CHECK_EQ_INT(s->ops->poll_fd(s), -1);
	return r;
}

static struct signer *make(struct agent_conn *c, const char *alg)
{
	EVP_PKEY *pk = strcmp(alg, "RSA") == 0  ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	               : strcmp(alg, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
	                                        : EVP_PKEY_Q_keygen(NULL, NULL, alg);
	struct signer *s = NULL;

	CHECK(pk != NULL);
	CHECK_EQ_INT(signer_agent_new(c, (const uint8_t *)"blob", 4, pk, alg, &s), 0);
	CHECK(signer_is_agent(s));
	return s;
}

int main(void)
{
	struct sockaddr_un sa;
	struct agent_conn *c = NULL;
	struct signer *rsa, *ec, *ed;
	uint8_t *raw = NULL, ecsig[64], ed64[64];
	size_t rawlen = 0;
	long fl;
	int ls;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/x509ssh-ut-agent.%d", (int)getpid());
	unlink(sa.sun_path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(ls, 1) == 0);
	CHECK_EQ_INT(agent_conn_open(sa.sun_path, &c), 0);
	CHECK((srv = accept(ls, NULL, NULL)) >= 0);
	unlink(sa.sun_path);
	CHECK_EQ_INT(agent_conn_open("/nonexistent/agent.sock", &(struct agent_conn *){NULL}),
	    SSH_ERR_SYSTEM);

	rsa = make(c, "RSA");
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA256", &fl, "rsa-sha2-256",
	                 (const uint8_t *)"sig", 3, &raw, &rawlen),
	    SIGNER_OK);
	CHECK_EQ_INT(fl, AGENT_RSA_SHA2_256);
	CHECK(rawlen == 3 && raw != NULL && memcmp(raw, "sig", 3) == 0);
	free(raw);
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA512", &fl, "rsa-sha2-512",
	                 (const uint8_t *)"s", 1, &raw, &rawlen),
	    SIGNER_OK);
	CHECK_EQ_INT(fl, AGENT_RSA_SHA2_512);
	free(raw);
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA1", &fl, "ssh-rsa", (const uint8_t *)"s",
	                 1, &raw, &rawlen),
	    SIGNER_OK);
	CHECK_EQ_INT(fl, 0);
	free(raw);
	/* an agent that ignored the SHA-256 flag */
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA256", &fl, "ssh-rsa",
	                 (const uint8_t *)"s", 1, &raw, &rawlen),
	    SIGNER_ERR_BAD_OUTPUT);
	CHECK(raw == NULL);
	CHECK(strstr(signer_error(rsa), "not rsa-sha2-256") != NULL);
	/* refused (the agent still lists the key): the next identity */
	listed = 1;
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA256", &fl, NULL, NULL, 0, &raw, &rawlen),
	    SIGNER_ERR_DECLINED);
	CHECK_STR(signer_error(rsa), "agent: agent refused operation");
	/* removed since it was listed: said so, the next identity too */
	listed = 0;
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA256", &fl, NULL, NULL, 0, &raw, &rawlen),
	    SIGNER_ERR_DECLINED);
	CHECK(strstr(signer_error(rsa), "the agent no longer lists the key") != NULL);
	/* the connection is still in step: the next signature works */
	CHECK_EQ_INT(sign_once(rsa, SIGNER_RSA_PKCS1, "SHA1", &fl, "ssh-rsa", (const uint8_t *)"s",
	                 1, &raw, &rawlen),
	    SIGNER_OK);
	free(raw);

	ec = make(c, "EC");
	/* mpint r = 0x7f, mpint s = 0x00 0x80 */
	memcpy(ecsig, "\0\0\0\1\x7f\0\0\0\2\0\x80", 11);
	CHECK_EQ_INT(sign_once(ec, SIGNER_ECDSA, "SHA256", &fl, "ecdsa-sha2-nistp256", ecsig, 11,
	                 &raw, &rawlen),
	    SIGNER_OK);
	CHECK_EQ_INT(fl, 0);
	CHECK_EQ_INT(rawlen, 64);
	CHECK(raw != NULL && raw[31] == 0x7f && raw[63] == 0x80 && raw[0] == 0 && raw[32] == 0);
	free(raw);
	CHECK_EQ_INT(sign_once(ec, SIGNER_ECDSA, "SHA384", &fl, NULL, NULL, 0, &raw, &rawlen),
	    SIGNER_ERR_UNSUPPORTED);
	CHECK_EQ_INT(fl, -2); /* nothing was sent */

	ed = make(c, "ED25519");
	memset(ed64, 0x5a, sizeof(ed64));
	CHECK_EQ_INT(
	    sign_once(ed, SIGNER_ED25519, NULL, &fl, "ssh-ed25519", ed64, 64, &raw, &rawlen),
	    SIGNER_OK);
	CHECK(rawlen == 64 && raw != NULL && memcmp(raw, ed64, 64) == 0);
	free(raw);

	agent_conn_unref(c); /* the signers keep the connection */
	signer_free(rsa);
	signer_free(ec);
	signer_free(ed);
	close(srv);
	close(ls);
	T_DONE();
}
