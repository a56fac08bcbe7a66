/* Identities: which key files to offer, loaded one at a time when their turn comes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "identity_int.h"
#include "keyfile.h"
#include "log.h"
#include "p11.h"
#include "paths.h"
#include "signer_file.h"
#include "textfile.h"
#include "ssh/err.h"
#include "ssh/namelist.h"
#include "ssh/sshkey.h"

static int is_default_path(const char *expanded)
{
	char *d = NULL;
	int same = 0;

	for (size_t i = 0; paths_default_identities[i] != NULL && !same; i++) {
		if (path_expand(paths_default_identities[i], NULL, &d) == 0) {
			same = strcmp(d, expanded) == 0;
		}
		free(d);
		d = NULL;
	}
	return same;
}

/* PubkeyAcceptedAlgorithms as a NULL-terminated array of names (empty elements skipped) */
static int split_prefs(const char *list, char ***out)
{
	struct namelist_iter it;
	const char *name;
	char **v = NULL;
	size_t n = 0, cap = 0, len;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	if (list == NULL) {
		return 0;
	}
	for (namelist_begin(&it, list); namelist_next(&it, &name, &len);) {
		cap++;
	}
	if ((v = calloc(cap + 1, sizeof(*v))) == NULL) {
		goto out;
	}
	namelist_begin(&it, list);
	while (n < cap && namelist_next(&it, &name, &len)) {
		if (len == 0) {
			continue;
		}
		if ((v[n] = strndup(name, len)) == NULL) {
			goto out;
		}
		n++;
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	if (v != NULL) {
		for (size_t i = 0; i < n; i++) {
			free(v[i]);
		}
		free(v);
	}
	return r;
}

static int add_identity(
    struct identities *ids, const char *spec, int user_provided, const struct options *o)
{
	char *path = NULL;
	int r;

	if (ids->n >= ID_MAX) {
		return 0;
	}
	if ((r = path_expand(spec, o, &path)) != 0) {
		log_info("identity file %s: cannot expand path", spec);
		return 0;
	}
	for (size_t i = 0; i < ids->n; i++) {
		if (strcmp(ids->v[i].path, path) == 0) {
			free(path);
			return 0;
		}
	}
	ids->v[ids->n].path = path;
	ids->v[ids->n].user_provided = user_provided && !is_default_path(path);
	ids->n++;
	return 0;
}

int identities_new(const struct options *o, struct identities **out, char *err, size_t errlen)
{
	struct identities *ids = NULL;
	int r = SSH_ERR_ALLOC, tokens = 0;

	*out = NULL;
	err[0] = '\0';
	if ((ids = calloc(1, sizeof(*ids))) == NULL) {
		goto out;
	}
	ids->batch_mode = o->batch_mode == 1;
	ids->send_root = o->x509_send_root == 1;
	for (size_t i = 0; i < o->n_x509_certificate_file && i < OPT_MAX_LIST; i++) {
		if (path_expand(
		        o->x509_certificate_file[i], o, &ids->cert_files[ids->n_cert_files]) != 0) {
			log_info("X509CertificateFile %s: cannot expand the path",
			    o->x509_certificate_file[i]);
			continue;
		}
		ids->n_cert_files++;
	}
	if ((r = split_prefs(o->pubkey_accepted_algorithms, &ids->prefs)) != 0) {
		goto out;
	}
	/* -I / PKCS11Provider first: the user picked a token */
	if (o->pkcs11_provider != NULL) {
		if ((r = identity_add_token(ids, o->pkcs11_provider, o, err, errlen)) != 0) {
			goto out;
		}
		tokens++;
	}
	for (size_t i = 0; i < o->n_identity_file && !o->identity_file_default; i++) {
		const char *spec = o->identity_file[i];
		if (strncmp(spec, "pkcs11:", 7) == 0) {
			if ((r = identity_add_token(ids, spec, o, err, errlen)) != 0) {
				goto out;
			}
			tokens++;
			continue;
		}
		if ((r = add_identity(ids, spec, 1, o)) != 0) {
			goto out;
		}
	}
	/* default key files only when nothing was chosen: with a token, only its keys are offered
	 * (routers count every refused key against a few retries) */
	if ((o->n_identity_file == 0 || o->identity_file_default) && tokens == 0) {
		for (size_t i = 0; paths_default_identities[i] != NULL; i++) {
			if ((r = add_identity(ids, paths_default_identities[i], 0, o)) != 0) {
				goto out;
			}
		}
	}
	/* the agent's keys: the configured ones it holds first, signed through it */
	if ((r = identity_agent_setup(ids, o)) != 0) {
		goto out;
	}
	*out = ids;
	ids = NULL;
	r = 0;
out:
	if (r != 0 && err[0] == '\0') {
		snprintf(err, errlen, "auth: cannot list identities: %s", ssh_err_str(r));
	}
	identities_free(ids);
	return r;
}

void identity_note(struct identities *ids, const char *fmt, ...)
{
	size_t l = strlen(ids->note);
	va_list ap;

	if (l > 0 && l + 16 < sizeof(ids->note)) {
		snprintf(ids->note + l, sizeof(ids->note) - l, "; ");
		l += 2;
	}
	if (l + 16 < sizeof(ids->note)) {
		va_start(ap, fmt);
		vsnprintf(ids->note + l, sizeof(ids->note) - l, fmt, ap);
		va_end(ap);
	}
}

/* an encrypted key skipped in BatchMode: one part of the note names them all */
static void add_note(struct identities *ids, const char *path)
{
	size_t l = strlen(ids->note);

	if (!ids->note_skipped) {
		ids->note_skipped = 1;
		identity_note(ids, "encrypted key %s skipped in BatchMode", path);
	} else if (l + 16 < sizeof(ids->note)) {
		snprintf(ids->note + l, sizeof(ids->note) - l, ", %s", path);
	}
}

EVP_PKEY *identity_read_pub(const char *pubpath)
{
	char line[TEXTFILE_B64_MAX];
	char *type, *b64, *save = NULL;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	EVP_PKEY *pk = NULL;
	char *btype = NULL;
	FILE *f = NULL;
	int bad = 0;

	if ((f = fopen(pubpath, "r")) == NULL) {
		return NULL;
	}
	if (textfile_read_line(f, line, sizeof(line), &bad) && !bad &&
	    (type = strtok_r(line, " \t", &save)) != NULL &&
	    (b64 = strtok_r(NULL, " \t", &save)) != NULL &&
	    textfile_b64_decode(b64, strlen(b64), &blob, &bloblen) == 0 &&
	    sshkey_from_blob(blob, bloblen, &pk, &btype) == 0 && strcmp(btype, type) != 0) {
		EVP_PKEY_free(pk); /* the line names another type than its blob */
		pk = NULL;
	}
	fclose(f);
	free(blob);
	free(btype);
	return pk;
}

/* The public key of an encrypted key file from FILE.pub, or NULL. */
static EVP_PKEY *read_pub_file(const char *path)
{
	char pubpath[PATH_MAX_LEN + 8];

	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= (int)sizeof(pubpath)) {
		return NULL;
	}
	return identity_read_pub(pubpath);
}

/* signer_file unlock callback: the private key with the passphrase the user gave */
static int unlock_identity(void *arg, const char *pass, EVP_PKEY **priv, char *why, size_t whylen)
{
	struct identity *id = arg;
	int r;

	*priv = NULL;
	log_debug1("decrypting %s: the server accepts its public key", id->path);
	r = keyfile_load(id->path, pass, priv, why, whylen);
	if (r == SSH_ERR_PASSPHRASE) {
		log_debug1("bad passphrase for %s", id->path);
		return SIGNER_ERR_PASSPHRASE;
	}
	if (r != 0) {
		log_info("Load key \"%s\": %s", id->path, why[0] ? why : ssh_err_str(r));
		return SIGNER_ERR_DEVICE;
	}
	return 0;
}

/* signer_file used callback: a key file's key signed for a login (AddKeysToAgent) */
static void key_used(void *arg, const EVP_PKEY *priv)
{
	struct identity *id = arg;

	identity_agent_add(id->owner, id, priv);
}

/* The signer of a loaded key (pk, owned), with its chain; deferred: pk is the public half and
 * the passphrase is asked once the server accepts it. NULL when it is not to be used. */
static struct signer *key_signer(
    struct identities *ids, struct identity *id, EVP_PKEY *pk, int deferred)
{
	STACK_OF(X509) *chain = NULL;
	struct signer *s = NULL;
	int r;

	if (identity_key_chain(ids, id->path, pk, &chain) != 0) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	r = signer_file_new_x509(pk, chain, id->path, &s); /* owns pk and chain, even on failure */
	if (r != 0) {
		log_info("Load key \"%s\": %s", id->path, ssh_err_str(r));
		return NULL;
	}
	id->owner = ids;
	if ((deferred && signer_file_set_unlock(s, unlock_identity, id) != 0) ||
	    (ids->agent.add.mode != ADDKEYS_NO && signer_file_set_used(s, key_used, id) != 0)) {
		signer_free(s);
		return NULL;
	}
	log_debug1("Will attempt key: %s%s%s", id->path, chain != NULL ? " (X.509)" : "",
	    deferred ? " (encrypted: its passphrase is asked once the server accepts it)" : "");
	id->signer = s;
	return s;
}

/* An encrypted key without FILE.pub: its passphrase is asked before it is offered (as in
 * OpenSSH), through the caller (identities_question, identities_answer). 1: asked, 0: skipped. */
static int ask_passphrase(struct identities *ids, struct identity *id)
{
	if (ids->batch_mode) {
		log_verbose("Skipping encrypted key %s: BatchMode is on", id->path);
		add_note(ids, id->path);
		return 0;
	}
	ids->asking = id;
	ids->ask_tries = 0;
	snprintf(ids->question, sizeof(ids->question), "Enter passphrase for key '%s': ", id->path);
	return 1;
}

const char *identities_question(const struct identities *ids, int *retry)
{
	if (ids == NULL || ids->asking == NULL) {
		return NULL;
	}
	if (retry != NULL) {
		*retry = ids->ask_tries > 0;
	}
	return ids->question;
}

void identities_answer(struct identities *ids, const char *pass)
{
	struct identity *id;
	EVP_PKEY *pk = NULL;
	char err[256];
	int r;

	if (ids == NULL || (id = ids->asking) == NULL) {
		return;
	}
	if (pass == NULL || pass[0] == '\0') {
		log_debug1("no passphrase given for %s: next key", id->path); /* as OpenSSH */
		ids->asking = NULL;
		return;
	}
	err[0] = '\0';
	r = keyfile_load(id->path, pass, &pk, err, sizeof(err));
	if (r == SSH_ERR_PASSPHRASE) {
		log_debug1("bad passphrase for %s", id->path);
		if (++ids->ask_tries >= SIGNER_FILE_PASSPHRASE_TRIES) {
			ids->asking = NULL;
		}
		return;
	}
	ids->asking = NULL;
	if (r != 0) {
		log_info("Load key \"%s\": %s", id->path, err[0] ? err : ssh_err_str(r));
		return;
	}
	ids->ready = key_signer(ids, id, pk, 0);
}

struct signer *identities_next(struct identities *ids)
{
	struct identity *id;
	struct stat st;
	EVP_PKEY *pk = NULL;
	struct signer *s = NULL;
	char err_buf[256];
	int r;

	if (ids == NULL || ids->asking != NULL) {
		return NULL; /* a passphrase to be answered first */
	}
	if (ids->ready != NULL) {
		s = ids->ready; /* decrypted with the passphrase just given */
		ids->ready = NULL;
		return s;
	}
	if ((s = identity_agent_next_front(ids)) != NULL) {
		return s;
	}
	while (ids->next < ids->n) {
		id = &ids->v[ids->next];
		if (id->p11v != NULL) {
			while (id->p11next < id->p11n) {
				int by_agent = id->p11agent != NULL && id->p11agent[id->p11next];
				s = id->p11q != NULL ? id->p11q[id->p11next]
				                     : id->p11v[id->p11next];
				id->p11next++;
				if (s != NULL && !by_agent) {
					log_debug1("Will attempt token key: %s", s->name);
					return s;
				}
			}
			ids->next++;
			continue;
		}
		ids->next++;
		if (id->agent_served) {
			continue; /* offered through the agent already */
		}
		if (stat(id->path, &st) != 0) {
			if (id->user_provided) {
				log_info("no such identity: %s: %s", id->path, strerror(errno));
			} else {
				log_debug3("no such identity: %s: %s", id->path, strerror(errno));
			}
			continue;
		}
		/* as OpenSSH: a private key others may read is not used */
		if (st.st_uid == getuid() && (st.st_mode & 077) != 0) {
			log_error(
			    "Load key \"%s\": permissions %04o are too open: this private key "
			    "is ignored (chmod 600 it)",
			    id->path, (unsigned)(st.st_mode & 07777));
			continue;
		}
		id->owner = ids;
		if ((r = identity_kept_key(id->path, &pk)) != 0) { /* fleet mode */
			if (r == 1 && (s = key_signer(ids, id, pk, 0)) != NULL) {
				return s;
			}
			continue;
		}
		err_buf[0] = '\0';
		r = keyfile_load(id->path, NULL, &pk, err_buf, sizeof(err_buf));
		if (r == SSH_ERR_PASSPHRASE) {
			/* an encrypted key whose public half is known (FILE.pub): offer it first,
			 * decrypt only once the server accepts it (as OpenSSH does) */
			if (!ids->batch_mode && (pk = read_pub_file(id->path)) != NULL) {
				if ((s = key_signer(ids, id, pk, 1)) != NULL) {
					return s;
				}
				continue;
			}
			if (ask_passphrase(ids, id)) {
				return NULL; /* identities_question says what to ask */
			}
			continue;
		}
		if (r != 0) {
			log_info(
			    "Load key \"%s\": %s", id->path, err_buf[0] ? err_buf : ssh_err_str(r));
			continue;
		}
		if ((s = key_signer(ids, id, pk, 0)) != NULL) {
			return s;
		}
	}
	return identity_agent_next_extra(ids);
}

const char *identities_note(const struct identities *ids)
{
	if (ids == NULL || ids->note[0] == '\0') {
		return NULL;
	}
	return ids->note;
}

void identities_free(struct identities *ids)
{
	if (ids == NULL) {
		return;
	}
	identity_agent_free(ids);
	for (size_t i = 0; i < ids->n; i++) {
		free(ids->v[i].path);
		free(ids->v[i].p11agent);
		if (ids->v[i].signer != NULL) {
			signer_free(ids->v[i].signer);
		}
		identity_token_unqueue(&ids->v[i]);
		if (ids->v[i].p11v != NULL) {
			identity_token_release(ids->v[i].p11v, ids->v[i].p11n);
		}
	}
	for (size_t i = 0; i < ids->n_cert_files; i++) {
		free(ids->cert_files[i]);
	}
	sk_X509_pop_free(ids->cert_pool, X509_free);
	if (ids->prefs != NULL) {
		for (size_t i = 0; ids->prefs[i] != NULL; i++) {
			free(ids->prefs[i]);
		}
		free(ids->prefs);
	}
	free(ids);
}
