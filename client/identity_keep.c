/*
 * Fleet mode: key files loaded and decrypted once for the run (identities_keep_keys). The first
 * host that names a key file loads it, asking the passphrase of an encrypted one on the spot
 * (as prompt_secret), and the key is kept; every later host uses it without reading the file or
 * asking. A key whose passphrase was not given (an empty answer, wrong three times, no way to
 * ask) is not asked for again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "identity_int.h"
#include "keyfile.h"
#include "log.h"
#include "prompt.h"
#include "signer_file.h"
#include "ssh/err.h"

#define KEEP_KEYS_MAX 16 /* more distinct files are loaded (and asked for) per host */

struct kept_key {
	char *path;
	EVP_PKEY *pk; /* NULL: its passphrase was not given, the key is not used */
};

static int keeping;
static struct kept_key kept[KEEP_KEYS_MAX];
static size_t n_kept;

void identities_keep_keys(int on)
{
	for (size_t i = 0; i < n_kept; i++) {
		free(kept[i].path);
		EVP_PKEY_free(kept[i].pk);
		kept[i].path = NULL;
		kept[i].pk = NULL;
	}
	n_kept = 0;
	keeping = on;
}

static struct kept_key *find(const char *path)
{
	for (size_t i = 0; i < n_kept; i++) {
		if (strcmp(kept[i].path, path) == 0) {
			return &kept[i];
		}
	}
	return NULL;
}

int identity_kept_key(const char *path, EVP_PKEY **pk)
{
	const struct kept_key *k = keeping ? find(path) : NULL;

	*pk = NULL;
	if (k == NULL) {
		return 0;
	}
	if (k->pk == NULL) {
		log_debug1("skipping %s: its passphrase was not given earlier in this run", path);
		return 2;
	}
	if (EVP_PKEY_up_ref(k->pk) != 1) {
		return 0;
	}
	*pk = k->pk;
	return 1;
}

/* ask for path's passphrase (up to SIGNER_FILE_PASSPHRASE_TRIES times) and keep the key */
static void unlock_one(const char *path, struct kept_key *k)
{
	char question[PATH_MAX_LEN + 64], err[256], *pass = NULL;
	int r = SSH_ERR_PASSPHRASE;

	snprintf(question, sizeof(question), "Enter passphrase for key '%s': ", path);
	for (int tries = 0; tries < SIGNER_FILE_PASSPHRASE_TRIES && r == SSH_ERR_PASSPHRASE;
	     tries++) {
		if (tries > 0) {
			log_debug1("bad passphrase given, try again...");
		}
		if ((r = prompt_secret(question, 0, &pass)) != 0 || pass[0] == '\0') {
			log_debug1("no passphrase given for %s: it is not used", path);
			break;
		}
		err[0] = '\0';
		r = keyfile_load(path, pass, &k->pk, err, sizeof(err));
		prompt_free_secret(pass);
		pass = NULL;
		if (r != 0 && r != SSH_ERR_PASSPHRASE) {
			log_info("Load key \"%s\": %s", path, err[0] ? err : ssh_err_str(r));
		}
	}
	prompt_free_secret(pass);
}

void identities_unlock_kept(struct identities *ids)
{
	struct stat st;
	EVP_PKEY *pk = NULL;
	char err[256];
	int r;

	if (!keeping || ids == NULL) {
		return;
	}
	for (size_t i = 0; i < ids->n && n_kept < KEEP_KEYS_MAX; i++) {
		const struct identity *id = &ids->v[i];
		struct kept_key *k = &kept[n_kept];
		if (id->p11v != NULL || id->agent_served || find(id->path) != NULL ||
		    stat(id->path, &st) != 0 ||
		    (st.st_uid == getuid() && (st.st_mode & 077) != 0)) {
			continue; /* a token, the agent's, kept, missing, or ignored (too open) */
		}
		r = keyfile_load(id->path, NULL, &pk, err, sizeof(err));
		if (r != 0 && (r != SSH_ERR_PASSPHRASE || ids->batch_mode)) {
			continue; /* unreadable, or never asked (BatchMode): each host says so */
		}
		memset(k, 0, sizeof(*k));
		if ((k->path = strdup(id->path)) == NULL) {
			EVP_PKEY_free(pk);
			return;
		}
		n_kept++;
		k->pk = pk; /* a key without passphrase; NULL until the passphrase is given */
		pk = NULL;
		if (r == SSH_ERR_PASSPHRASE) {
			unlock_one(id->path, k);
		}
	}
}
