/*
 * session-bind@openssh.com (OpenSSH PROTOCOL.agent): before the agent signs anything for a
 * connection, it is told the server's host key, the session identifier and the server's
 * signature over it, as OpenSSH's ssh does, so that keys added with destination constraints
 * (ssh-add -h) are usable for that host only. is_forwarding is 0 on our own connection to the
 * agent, 1 on each connection made for a forwarded agent channel (agent_bind_forwarded), so the
 * agent knows that hop and applies the key's constraints to where the far side goes next.
 *
 * X.509 host keys: OpenSSH's agent parses the key blob and verifies the signature with it, and
 * knows no x509v3-* blob. The binding then carries the certificate's public key as a plain key
 * blob (ssh-rsa, ecdsa-sha2-*) and the signature under the plain name the agent verifies
 * (rsa2048-sha256 -> rsa-sha2-256, x509v3-sign-rsa -> ssh-rsa): the same key, so a key
 * constrained to a host whose known_hosts line holds that public key works.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "identity.h"
#include "identity_int.h"
#include "log.h"
#include "signer_agent.h"
#include "ssh/conn.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/x509key.h"

#define AGENTC_EXTENSION 27

/* inner signature names of X.509 algorithms and the plain ones OpenSSH's agent verifies */
static const struct {
	const char *from, *to;
} sig_names[] = {
    {"rsa2048-sha256", "rsa-sha2-256"},
    {"x509v3-sign-rsa", "ssh-rsa"},
};

/* the plain key blob and signature blob for an X.509 host key (out_key, out_sig) */
static int plain_form(const struct ssh_session_bind *sb, struct buf *out_key, struct buf *out_sig)
{
	const struct hostkey_alg *row = hostkey_alg_by_name(sb->hostkey_alg), *plain;
	struct x509_blob xb;
	const uint8_t *p, *name, *sig;
	size_t nlen, slen, i;
	char pname[64];
	struct rd rd;
	X509 *leaf = NULL;
	int r;

	if (row == NULL || (r = x509blob_parse(row, sb->hostkey, sb->hostkey_len, 0, &xb)) != 0) {
		return SSH_ERR_KEY_TYPE;
	}
	p = xb.cert[0];
	if ((leaf = d2i_X509(NULL, &p, (long)xb.cert_len[0])) == NULL) {
		ERR_clear_error();
		return SSH_ERR_FORMAT;
	}
	if (row->ssh_curve != NULL) {
		snprintf(pname, sizeof(pname), "ecdsa-sha2-%s", row->ssh_curve);
	} else {
		snprintf(pname, sizeof(pname), "ssh-rsa");
	}
	if ((plain = hostkey_alg_by_name(pname)) == NULL ||
	    (r = sshkey_to_blob(X509_get0_pubkey(leaf), plain, out_key)) != 0) {
		r = SSH_ERR_KEY_TYPE;
		goto out;
	}
	rd = rd_make(sb->sig, sb->sig_len);
	if (rd_string(&rd, &name, &nlen) != 0 || rd_string(&rd, &sig, &slen) != 0) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	for (i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
		if (strlen(sig_names[i].from) == nlen &&
		    memcmp(sig_names[i].from, name, nlen) == 0) {
			name = (const uint8_t *)sig_names[i].to;
			nlen = strlen(sig_names[i].to);
			break;
		}
	}
	if ((r = buf_put_string(out_sig, name, nlen)) == 0) {
		r = buf_put_string(out_sig, sig, slen);
	}
out:
	X509_free(leaf);
	return r;
}

/* the framed EXTENSION message */
static int bind_message(
    const struct ssh_session_bind *sb, int x509, int forwarding, struct buf *out)
{
	struct buf key, sig, body;
	int r;

	buf_init(&key);
	buf_init(&sig);
	buf_init(&body);
	if (x509) {
		if ((r = plain_form(sb, &key, &sig)) != 0) {
			goto out;
		}
	} else if ((r = buf_put(&key, sb->hostkey, sb->hostkey_len)) != 0 ||
	           (r = buf_put(&sig, sb->sig, sb->sig_len)) != 0) {
		goto out;
	}
	if ((r = buf_put_u8(&body, AGENTC_EXTENSION)) != 0 ||
	    (r = buf_put_cstring(&body, "session-bind@openssh.com")) != 0 ||
	    (r = buf_put_string(&body, buf_ptr(&key), buf_len(&key))) != 0 ||
	    (r = buf_put_string(&body, sb->session_id, sb->session_id_len)) != 0 ||
	    (r = buf_put_string(&body, buf_ptr(&sig), buf_len(&sig))) != 0 ||
	    (r = buf_put_bool(&body, forwarding)) != 0 ||
	    (r = buf_put_u32(out, (uint32_t)buf_len(&body))) != 0) {
		goto out;
	}
	r = buf_put(out, buf_ptr(&body), buf_len(&body));
out:
	buf_free(&key);
	buf_free(&sig);
	buf_free(&body);
	return r;
}

void identities_agent_bind(struct identities *ids, const struct ssh_conn *c)
{
	struct id_agent *a;
	struct ssh_session_bind sb;
	const struct hostkey_alg *row;
	struct buf m;
	int r, x509;

	if (ids == NULL || (a = &ids->agent)->conn == NULL || a->bound ||
	    ssh_conn_session_bind(c, &sb) != 0) {
		return;
	}
	a->bound = 1;
	row = hostkey_alg_by_name(sb.hostkey_alg);
	x509 = row != NULL && (row->flags & HK_FLAG_X509) != 0;
	buf_init(&m);
	if ((r = bind_message(&sb, x509, 0, &m)) == 0) {
		r = agent_conn_call(a->conn, &m);
	}
	buf_free(&m);
	if (r != 0) {
		/* an agent without the extension: its keys are used unbound, as by OpenSSH */
		log_debug1("agent: session-bind@openssh.com: %s", agent_strerror(r));
		return;
	}
	log_debug1(
	    "agent: session bound to the host key%s", x509 ? " (the certificate's key)" : "");
}

int agent_bind_forwarded(struct agent_conn *ac, const struct ssh_conn *c)
{
	struct ssh_session_bind sb;
	const struct hostkey_alg *row;
	struct buf m;
	int r;

	if ((r = ssh_conn_session_bind(c, &sb)) != 0) {
		return r;
	}
	row = hostkey_alg_by_name(sb.hostkey_alg);
	buf_init(&m);
	if ((r = bind_message(&sb, row != NULL && (row->flags & HK_FLAG_X509) != 0, 1, &m)) == 0) {
		r = agent_conn_call(ac, &m);
	}
	buf_free(&m);
	return r;
}
