/*
 * The agent's keys in the identity list. As OpenSSH: IdentityAgent (a path with ~ and %
 * tokens, "SSH_AUTH_SOCK", "$VAR", "none"), else $SSH_AUTH_SOCK; an agent that is not there is
 * no error (a -v line). Order: the configured identities the agent holds come first, signed by
 * the agent (no passphrase, no PIN, no token login); then the other configured identities
 * (identity.c); then the agent's other keys, unless IdentitiesOnly, at most AGENT_EXTRA_MAX.
 * An agent key whose public key is a certificate's we can read without a PIN (the token's
 * certificate objects, a PKIX-SSH key file's, X509CertificateFile) carries that chain. An agent
 * that holds X.509 identities itself (PKIX-SSH's) lists them as RFC 6187 blobs or, for
 * x509v3-sign-rsa, as the bare certificate: their leaf's key with the chain (or the one
 * certificate) the agent sent, used as they are (configured or not, as any agent key).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "agent_sock.h"
#include "identity_int.h"
#include "keyfile.h"
#include "loop.h"
#include "log.h"
#include "signer_agent.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/sshsig.h"
#include "ssh/x509key.h"

/* the agent key with public key pk that is not yet used, or -1 */
static long find_key(const struct id_agent *a, const EVP_PKEY *pk)
{
	for (size_t k = 0; pk != NULL && k < a->keys.n; k++) {
		if (a->pk[k] != NULL && !a->used[k] && EVP_PKEY_eq(a->pk[k], pk) == 1) {
			return (long)k;
		}
	}
	ERR_clear_error();
	return -1;
}

/* a signer over agent key k named name, appended to the front list when front */
static struct signer *make_signer(struct id_agent *a, size_t k, const char *name)
{
	struct signer *s = NULL;
	int r;

	if (!EVP_PKEY_up_ref(a->pk[k])) {
		return NULL;
	}
	if ((r = signer_agent_new(
	         a->conn, a->keys.v[k].blob, a->keys.v[k].bloblen, a->pk[k], name, &s)) != 0) {
		log_debug1("agent key %s: %s", name, ssh_err_str(r));
		return NULL;
	}
	if (a->x509 != NULL && a->x509[k] != NULL &&
	    signer_agent_set_chain(s, X509_chain_up_ref(a->x509[k])) != 0) {
		log_debug1("agent key %s: its certificate chain is not usable", name);
		signer_free(s);
		return NULL;
	}
	return s;
}

/* An agent key known by its certificate (an RFC 6187 blob, or PKIX-SSH's x509v3-sign-rsa: the
 * bare certificate): the leaf's public key and the chain. SSH_ERR_NO_ALGO for another blob. */
static int x509_agent_key(const struct agent_key *ak, EVP_PKEY **pk, STACK_OF(X509) * *chain)
{
	const struct hostkey_alg *row = x509blob_row_of(ak->blob, ak->bloblen);
	struct x509_blob xb;
	int e;

	*pk = NULL;
	*chain = NULL;
	if (row == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if ((e = x509blob_parse(row, ak->blob, ak->bloblen, 0, &xb)) == 0 &&
	    (e = x509blob_leaf_key(&xb, pk)) == 0) {
		e = x509_der_stack(xb.cert, xb.cert_len, xb.ncerts, chain);
	}
	if (e != 0) {
		EVP_PKEY_free(*pk);
		*pk = NULL;
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
		ERR_clear_error();
	}
	return e;
}

/* the public key of agent key k (and its chain when the agent holds it as X.509), or NULL */
static void agent_key_decode(struct id_agent *a, size_t k)
{
	char *type = NULL;
	int e;

	if ((e = x509_agent_key(&a->keys.v[k], &a->pk[k], &a->x509[k])) == 0) {
		log_debug1("agent key %s: an X.509 identity (%d certificate%s)",
		    a->keys.v[k].comment, sk_X509_num(a->x509[k]),
		    sk_X509_num(a->x509[k]) == 1 ? "" : "s");
		return;
	}
	if (e != SSH_ERR_NO_ALGO) {
		log_debug1("agent key %s: its X.509 blob is not usable: %s", a->keys.v[k].comment,
		    ssh_err_str(e));
		return;
	}
	if (sshkey_from_blob(a->keys.v[k].blob, a->keys.v[k].bloblen, &a->pk[k], &type) != 0) {
		log_debug1("agent key %s: a key type x509ssh does not use", a->keys.v[k].comment);
		a->pk[k] = NULL;
		ERR_clear_error();
	}
	free(type);
}

static void add_front(struct id_agent *a, size_t k, struct signer *s)
{
	a->front[a->nfront++] = s;
	a->used[k] = 1;
}

/* the public key of a key file without asking anything: the file itself when it is not
 * encrypted, FILE.pub, or the file when it is a public key file (-i key.pub) */
static EVP_PKEY *file_pubkey(const char *path)
{
	char pubpath[PATH_MAX_LEN + 8];
	EVP_PKEY *pk = NULL;

	if (keyfile_load(path, NULL, &pk, NULL, 0) == 0) {
		return pk;
	}
	ERR_clear_error();
	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) < (int)sizeof(pubpath) &&
	    (pk = identity_read_pub(pubpath)) != NULL) {
		return pk;
	}
	return identity_read_pub(path);
}

/* the token keys of identity id the agent holds */
static void match_token(struct identities *ids, struct identity *id)
{
	struct id_agent *a = &ids->agent;
	struct signer *s;
	long k;

	for (size_t j = 0; j < id->p11n; j++) {
		if (id->p11v[j] == NULL ||
		    (k = find_key(a, id->p11v[j]->ops->pubkey(id->p11v[j]))) < 0 ||
		    (s = make_signer(a, (size_t)k, id->p11v[j]->name)) == NULL) {
			continue;
		}
		if (signer_agent_copy_chain(s, id->p11v[j]) != 0) {
			log_info(
			    "agent key %s: the token's certificate chain is not usable", s->name);
		}
		if (id->p11agent == NULL && (id->p11agent = calloc(id->p11n, 1)) == NULL) {
			signer_free(s);
			return;
		}
		id->p11agent[j] = 1;
		add_front(a, (size_t)k, s);
		log_debug1("token key %s: the agent holds it (no token login)", s->name);
	}
}

/* a key file the agent holds */
static void match_file(struct identities *ids, struct identity *id)
{
	struct id_agent *a = &ids->agent;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pk = file_pubkey(id->path);
	struct signer *s;
	long k = find_key(a, pk);

	if (k < 0 || (s = make_signer(a, (size_t)k, id->path)) == NULL) {
		EVP_PKEY_free(pk);
		return;
	}
	if (identity_key_chain(ids, id->path, pk, &chain) == 0 && chain != NULL &&
	    signer_agent_set_chain(s, chain) != 0) {
		log_info("agent key %s: the certificate chain is not usable", id->path);
	}
	EVP_PKEY_free(pk);
	id->agent_served = 1;
	add_front(a, (size_t)k, s);
}

/* agent keys with an X509CertificateFile certificate: configured identities too (an agent's
 * own X.509 identity keeps the chain the agent listed) */
static void match_cert_files(struct identities *ids)
{
	struct id_agent *a = &ids->agent;
	STACK_OF(X509) *chain = NULL;
	struct signer *s;

	for (size_t k = 0; ids->n_cert_files > 0 && k < a->keys.n; k++) {
		if (a->pk[k] == NULL || a->used[k] ||
		    identity_key_chain(ids, NULL, a->pk[k], &chain) != 0 || chain == NULL) {
			continue;
		}
		if ((s = make_signer(a, k, a->keys.v[k].comment)) == NULL) {
			sk_X509_pop_free(chain, X509_free);
			continue;
		}
		if (a->x509[k] != NULL) {
			sk_X509_pop_free(chain, X509_free);
		} else if (signer_agent_set_chain(s, chain) != 0) {
			signer_free(s);
			continue;
		}
		add_front(a, k, s);
	}
}

int identity_agent_setup(struct identities *ids, const struct options *o)
{
	struct id_agent *a = &ids->agent;
	const char *from;
	char *path;
	size_t n;
	int r;

	a->identities_only = o->identities_only == 1;
	if (o->add_keys_to_agent != NULL &&
	    agent_addkeys_parse(o->add_keys_to_agent, &a->add, NULL, 0) != 0) {
		a->add.mode = ADDKEYS_NO; /* checked by options_finish already */
	}
	if (o->pubkey_authentication == 0 || (path = agent_sock_path(o, &from)) == NULL) {
		return 0;
	}
	if ((r = agent_conn_open(path, &a->conn)) != 0) {
		const char *why = r == SSH_ERR_SYSTEM ? strerror(errno) : ssh_err_str(r);
		log_verbose("agent socket %s (%s): %s", path, from, why);
		identity_note(ids, "no agent at %s (%s): %s", path, from, why);
		free(path);
		return 0;
	}
	if ((r = agent_conn_list(a->conn, &a->keys)) != 0) {
		log_verbose("agent %s: listing its keys: %s", path, agent_strerror(r));
		identity_note(ids, "agent %s: listing its keys: %s", path, agent_strerror(r));
		free(path);
		agent_conn_unref(a->conn);
		a->conn = NULL;
		return 0;
	}
	log_debug1("agent %s (%s): %zu key%s", path, from, a->keys.n, a->keys.n == 1 ? "" : "s");
	free(path);
	n = a->keys.n;
	if (n == 0) {
		return 0;
	}
	if ((a->pk = calloc(n, sizeof(*a->pk))) == NULL || (a->used = calloc(n, 1)) == NULL ||
	    (a->front = calloc(n, sizeof(*a->front))) == NULL ||
	    (a->extra = calloc(n, sizeof(*a->extra))) == NULL ||
	    (a->x509 = calloc(n, sizeof(*a->x509))) == NULL) {
		return SSH_ERR_ALLOC;
	}
	for (size_t k = 0; k < n; k++) {
		agent_key_decode(a, k);
	}
	for (size_t i = 0; i < ids->n; i++) {
		if (ids->v[i].p11v != NULL) {
			match_token(ids, &ids->v[i]);
		} else {
			match_file(ids, &ids->v[i]);
		}
	}
	match_cert_files(ids);
	return 0;
}

struct signer *identity_agent_next_front(struct identities *ids)
{
	struct id_agent *a = &ids->agent;
	struct signer *s;
	const uint8_t *const *der;
	const size_t *len;

	if (a->front_next >= a->nfront) {
		return NULL;
	}
	s = a->front[a->front_next++];
	log_debug1("Will attempt key: %s (agent)%s", s->name,
	    signer_chain(s, &der, &len) > 0 ? " (X.509)" : "");
	return s;
}

struct signer *identity_agent_next_extra(struct identities *ids)
{
	struct id_agent *a = &ids->agent;
	struct signer *s;
	size_t k, left;

	while (a->extra_next < a->keys.n) {
		k = a->extra_next++;
		if (a->pk[k] == NULL || a->used[k]) {
			continue;
		}
		if (a->identities_only) {
			log_debug1(
			    "IdentitiesOnly: agent key %s not offered", a->keys.v[k].comment);
			continue;
		}
		if (a->extra_offered >= AGENT_EXTRA_MAX) {
			for (left = 0; k < a->keys.n; k++) {
				left += a->pk[k] != NULL && !a->used[k];
			}
			log_verbose("agent: %zu more key%s not offered (at most %d agent keys that "
			            "match no IdentityFile are offered)",
			    left, left == 1 ? "" : "s", AGENT_EXTRA_MAX);
			a->extra_next = a->keys.n;
			return NULL;
		}
		if ((s = make_signer(a, k, a->keys.v[k].comment)) == NULL) {
			continue;
		}
		a->extra[k] = s;
		a->extra_offered++;
		log_debug1("Will attempt key: %s (agent)", s->name);
		return s;
	}
	return NULL;
}

void identity_agent_free(struct identities *ids)
{
	struct id_agent *a = &ids->agent;

	for (size_t i = 0; a->front != NULL && i < a->nfront; i++) {
		signer_free(a->front[i]);
	}
	for (size_t k = 0; k < a->keys.n; k++) {
		if (a->extra != NULL) {
			signer_free(a->extra[k]);
		}
		if (a->pk != NULL) {
			EVP_PKEY_free(a->pk[k]);
		}
		if (a->x509 != NULL) {
			sk_X509_pop_free(a->x509[k], X509_free);
		}
	}
	free(a->x509);
	EVP_PKEY_free(a->ask_key);
	free(a->front);
	free(a->extra);
	free(a->pk);
	free(a->used);
	agent_keys_clear(&a->keys);
	agent_conn_unref(a->conn);
	memset(a, 0, sizeof(*a));
}

/* give the agent the key (the user said yes, or was not to be asked) */
static void add_now(struct id_agent *a, struct identity *id, const EVP_PKEY *priv)
{
	struct buf b;
	int r;

	buf_init_secret(&b); /* holds the private key */
	if ((r = agent_enc_add_identity(
	         &b, priv, id->path, a->add.lifetime, a->add.mode == ADDKEYS_CONFIRM)) == 0) {
		r = agent_conn_call(a->conn, &b);
	}
	buf_free(&b);
	if (r != 0) {
		log_verbose("AddKeysToAgent: %s not added: %s", id->path, agent_strerror(r));
		return;
	}
	log_debug1("AddKeysToAgent: %s added to the agent%s", id->path,
	    a->add.mode == ADDKEYS_CONFIRM ? " (confirm)" : "");
}

void identity_agent_add(struct identities *ids, struct identity *id, const EVP_PKEY *priv)
{
	struct id_agent *a = &ids->agent;

	if (a->add.mode == ADDKEYS_NO || priv == NULL) {
		return;
	}
	if (a->conn == NULL) {
		log_verbose("AddKeysToAgent: no agent to add %s to", id->path);
		return;
	}
	if (a->add.mode != ADDKEYS_ASK) {
		add_now(a, id, priv);
		return;
	}
	if (ids->batch_mode) {
		log_verbose("AddKeysToAgent ask: not asked in BatchMode; %s not added", id->path);
		return;
	}
	/* asked by the poll loop before the signature goes out (identities_add_question) */
	EVP_PKEY_free(a->ask_key);
	if (!EVP_PKEY_up_ref((EVP_PKEY *)priv)) {
		a->ask_key = NULL;
		return;
	}
	a->ask_key = (EVP_PKEY *)priv;
	a->ask_id = id;
	snprintf(a->ask_q, sizeof(a->ask_q), "Add key %s to the agent? (yes/no) ", id->path);
}

const char *identities_add_question(const struct identities *ids)
{
	return ids != NULL && ids->agent.ask_key != NULL ? ids->agent.ask_q : NULL;
}

void identities_add_answer(struct identities *ids, int yes)
{
	struct id_agent *a;

	if (ids == NULL || (a = &ids->agent)->ask_key == NULL) {
		return;
	}
	if (yes) {
		add_now(a, a->ask_id, a->ask_key);
	} else {
		log_debug1("AddKeysToAgent ask: %s not added", a->ask_id->path);
	}
	EVP_PKEY_free(a->ask_key);
	a->ask_key = NULL;
	a->ask_id = NULL;
}
