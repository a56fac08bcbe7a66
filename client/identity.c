/* Identities: which key files to offer, loaded one at a time when their turn comes. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "keyfile.h"
#include "log.h"
#include "loop.h"
#include "p11.h"
#include "prompt.h"
#include "signer_file.h"
#include "textfile.h"
#include "ssh/err.h"
#include "ssh/hostkey.h"
#include "ssh/sshsig.h"
#include "ssh/x509key.h"
#include "x509chain.h"

#define ID_MAX           (OPT_MAX_LIST + 3)
#define PASSPHRASE_TRIES 3
#define PATH_MAX_LEN     4096

static const char *const default_ids[] = {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"};

struct identity {
	struct identities *owner;
	char *path;            /* expanded; for a token: the pkcs11: URI or module path */
	int user_provided;     /* configured (IdentityFile / -i), not a default */
	struct signer *signer; /* loaded */
	struct signer **p11v;  /* a token source: every key it selected */
	size_t p11n, p11next;
};

struct identities {
	struct identity v[ID_MAX];
	size_t n, next;
	char **prefs; /* NULL-terminated PubkeyAcceptedAlgorithms names */
	int batch_mode;
	int send_root;                  /* X509SendRoot */
	char *cert_files[OPT_MAX_LIST]; /* X509CertificateFile, expanded */
	size_t n_cert_files;
	STACK_OF(X509) * cert_pool; /* their certificates, read at the first key file */
	int pool_read;
	char note[512];
};

/* PIN prompts for token keys: SSH_ASKPASS or the terminal, through prompt.c */
static int ask_pin(void *arg, const char *prompt, char *buf, size_t len)
{
	char *pin = NULL;
	size_t l;
	int r;

	(void)arg;
	loop_user_wait_begin(); /* the connection's timeouts do not count the user's time */
	r = prompt_secret(prompt, 0, &pin);
	loop_user_wait_end();
	if (r != 0) {
		return r;
	}
	l = strlen(pin);
	if (l >= len) {
		prompt_free_secret(pin);
		return SSH_ERR_TOO_LARGE;
	}
	memcpy(buf, pin, l + 1);
	prompt_free_secret(pin);
	return 0;
}

/* p11_opts.key_usable: the SSH algorithms are ours (listed: PubkeyAcceptedAlgorithms) */
static int token_key_usable(void *arg, const EVP_PKEY *pub, int with_cert, int listed)
{
	const struct identities *ids = arg;

	if (!listed) {
		return sshsig_key_usable(pub, 0, NULL);
	}
	return sshsig_key_usable(pub, with_cert, (const char *const *)ids->prefs);
}

/* The certificates of a token's X509CertificateFile files: a file that cannot be used is an
 * error ("pkcs11: FILE: why") */
static int token_cert_files(
    const struct options *o, STACK_OF(X509) * pool, char *err, size_t errlen)
{
	char *path = NULL, why[256];
	size_t i, n;
	int r = 0;

	for (i = 0; i < o->n_x509_certificate_file && r == 0; i++) {
		if (path_expand(o->x509_certificate_file[i], o, &path) != 0) {
			snprintf(err, errlen,
			    "config: X509CertificateFile %s: cannot expand the path",
			    o->x509_certificate_file[i]);
			return SSH_ERR_FORMAT;
		}
		why[0] = '\0';
		n = 0;
		if ((r = keyfile_certs(path, X509CHAIN_POOL_MAX, pool, &n, why, sizeof(why))) !=
		    0) {
			snprintf(err, errlen, "pkcs11: %s: %s", path,
			    why[0] != '\0' ? why : ssh_err_str(r));
		} else if (n == 0) {
			snprintf(err, errlen, "pkcs11: %s: no PEM certificate in the file", path);
			r = SSH_ERR_FORMAT;
		}
		free(path);
		path = NULL;
	}
	return r;
}

/* Find the keys of a token source now (no login: that waits for the first signature). */
static int add_token(
    struct identities *ids, const char *spec, const struct options *o, char *err, size_t errlen)
{
	struct p11_opts po;
	struct x509chain_src src;
	char cause[512];
	size_t i;
	int r;

	memset(&src, 0, sizeof(src));
	if (ids->n >= ID_MAX) {
		return 0;
	}
	for (i = 0; i < ids->n; i++) {
		if (ids->v[i].p11v != NULL && strcmp(ids->v[i].path, spec) == 0) {
			return 0;
		}
	}
	if ((src.extra = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "pkcs11: out of memory");
		r = SSH_ERR_ALLOC;
		goto out;
	}
	if ((r = token_cert_files(o, src.extra, err, errlen)) != 0) {
		goto out;
	}
	src.send_root = o->x509_send_root == 1;
	memset(&po, 0, sizeof(po));
	po.batch_mode = ids->batch_mode;
	po.ask_pin = ask_pin;
	po.build_chain = x509chain_token;
	po.chain_arg = &src;
	po.key_usable = token_key_usable;
	po.usable_arg = ids;
	cause[0] = '\0';
	if ((ids->v[ids->n].path = strdup(spec)) == NULL) {
		r = SSH_ERR_ALLOC;
		snprintf(err, errlen, "pkcs11: out of memory");
		goto out;
	}
	r = p11_load_signers(
	    spec, &po, &ids->v[ids->n].p11v, &ids->v[ids->n].p11n, cause, sizeof(cause));
	if (r != 0) {
		free(ids->v[ids->n].path);
		ids->v[ids->n].path = NULL;
		snprintf(err, errlen, "pkcs11: %s", cause[0] != '\0' ? cause : p11_strerror(r));
		r = SSH_ERR_NOT_FOUND; /* the token's keys are not usable: err says why */
		goto out;
	}
	for (i = 0; i < ids->v[ids->n].p11n; i++) {
		char *d = NULL;
		if (p11_describe(ids->v[ids->n].p11v[i], &d) == 0) {
			log_debug1("token key: %s", d);
		}
		free(d);
	}
	ids->v[ids->n].user_provided = 1;
	ids->n++;
	r = 0;
out:
	sk_X509_pop_free(src.extra, X509_free);
	return r;
}

const char *path_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0') {
		return h;
	}
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL) {
		return pw->pw_dir;
	}
	return "/";
}

static const char *local_user(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL) {
		return pw->pw_name;
	}
	return getenv("USER") != NULL ? getenv("USER") : "";
}

static int append(char *dst, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (*n + l >= PATH_MAX_LEN) {
		return SSH_ERR_TOO_LARGE;
	}
	memcpy(dst + *n, s, l);
	*n += l;
	dst[*n] = '\0';
	return 0;
}

int path_expand(const char *in, const struct options *o, char **out)
{
	char buf[PATH_MAX_LEN], num[32], lhost[256];
	const char *p = in, *v;
	size_t n = 0;
	int r = 0;

	*out = NULL;
	buf[0] = '\0';
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if ((r = append(buf, &n, path_home())) != 0) {
			return r;
		}
		p++;
	}
	for (; *p != '\0'; p++) {
		char one[2] = {*p, '\0'};
		if (*p != '%') {
			if ((r = append(buf, &n, one)) != 0) {
				return r;
			}
			continue;
		}
		p++;
		v = NULL;
		switch (*p) {
		case '%':
			v = "%";
			break;
		case 'd':
			v = path_home();
			break;
		case 'u':
			v = local_user();
			break;
		case 'l':
			if (gethostname(lhost, sizeof(lhost)) != 0) {
				lhost[0] = '\0';
			}
			lhost[sizeof(lhost) - 1] = '\0';
			v = lhost;
			break;
		case 'h':
			v = o != NULL ? (o->hostname != NULL ? o->hostname : o->host) : NULL;
			break;
		case 'n':
			v = o != NULL ? o->host : NULL;
			break;
		case 'r':
			v = o != NULL ? o->user : NULL;
			break;
		case 'p':
			if (o != NULL) {
				snprintf(num, sizeof(num), "%d", o->port > 0 ? o->port : 22);
				v = num;
			}
			break;
		default:
			break;
		}
		if (v == NULL) {
			return SSH_ERR_FORMAT;
		}
		if ((r = append(buf, &n, v)) != 0) {
			return r;
		}
	}
	if ((*out = strdup(buf)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	return 0;
}

static int is_default_path(const char *expanded)
{
	char *d = NULL;
	int same = 0;

	for (size_t i = 0; i < sizeof(default_ids) / sizeof(default_ids[0]) && !same; i++) {
		if (path_expand(default_ids[i], NULL, &d) == 0) {
			same = strcmp(d, expanded) == 0;
		}
		free(d);
		d = NULL;
	}
	return same;
}

static int split_prefs(const char *list, char ***out)
{
	char **v = NULL, *copy = NULL, *tok, *save = NULL;
	size_t n = 0, cap = 1;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	if (list == NULL) {
		return 0;
	}
	for (const char *c = list; *c != '\0'; c++) {
		cap += *c == ',';
	}
	if ((v = calloc(cap + 1, sizeof(*v))) == NULL || (copy = strdup(list)) == NULL) {
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL && n < cap;
	     tok = strtok_r(NULL, ",", &save)) {
		if ((v[n] = strdup(tok)) == NULL) {
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
	free(copy);
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
		if ((r = add_token(ids, o->pkcs11_provider, o, err, errlen)) != 0) {
			goto out;
		}
		tokens++;
	}
	for (size_t i = 0; i < o->n_identity_file && !o->identity_file_default; i++) {
		const char *spec = o->identity_file[i];
		if (strncmp(spec, "pkcs11:", 7) == 0) {
			if ((r = add_token(ids, spec, o, err, errlen)) != 0) {
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
		for (size_t i = 0; i < sizeof(default_ids) / sizeof(default_ids[0]); i++) {
			if ((r = add_identity(ids, default_ids[i], 0, o)) != 0) {
				goto out;
			}
		}
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

static void add_note(struct identities *ids, const char *path)
{
	size_t l = strlen(ids->note);

	if (l == 0) {
		snprintf(
		    ids->note, sizeof(ids->note), "encrypted key %s skipped in BatchMode", path);
	} else if (l + 16 < sizeof(ids->note)) {
		snprintf(ids->note + l, sizeof(ids->note) - l, ", %s", path);
	}
}

/* Load one identity's private key, asking its passphrase when it is encrypted. */
static int load_key(struct identities *ids, struct identity *id, EVP_PKEY **pk)
{
	char err[256], prompt[PATH_MAX_LEN + 64];
	char *pass = NULL;
	int r, tries;

	err[0] = '\0';
	r = keyfile_load(id->path, NULL, pk, err, sizeof(err));
	if (r != SSH_ERR_PASSPHRASE) {
		if (r != 0) {
			log_info("Load key \"%s\": %s", id->path, err[0] ? err : ssh_err_str(r));
		}
		return r;
	}
	if (ids->batch_mode) {
		log_verbose("Skipping encrypted key %s: BatchMode is on", id->path);
		add_note(ids, id->path);
		return r;
	}
	snprintf(prompt, sizeof(prompt), "Enter passphrase for key '%s': ", id->path);
	for (tries = 0; tries < PASSPHRASE_TRIES; tries++) {
		loop_user_wait_begin();
		r = prompt_secret(prompt, 0, &pass);
		loop_user_wait_end();
		if (r != 0) {
			log_debug1("no passphrase for %s: %s", id->path, ssh_err_str(r));
			return SSH_ERR_PASSPHRASE;
		}
		if (pass[0] == '\0') {
			prompt_free_secret(pass);
			return SSH_ERR_PASSPHRASE; /* an empty answer skips the key, as in OpenSSH
			                            */
		}
		err[0] = '\0';
		r = keyfile_load(id->path, pass, pk, err, sizeof(err));
		prompt_free_secret(pass);
		pass = NULL;
		if (r == 0) {
			return 0;
		}
		if (r != SSH_ERR_PASSPHRASE) {
			log_info("Load key \"%s\": %s", id->path, err[0] ? err : ssh_err_str(r));
			return r;
		}
		log_debug1("bad passphrase for %s", id->path);
	}
	return SSH_ERR_PASSPHRASE;
}

/* the subject of c on one line (RFC 2253), possibly cut */
static void subject_of(X509 *c, char *s, size_t max)
{
	BIO *bio = NULL;
	int n;

	snprintf(s, max, "?");
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(c), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, s, (int)max - 1)) > 0) {
		s[n] = '\0';
	}
	ERR_clear_error();
	BIO_free(bio);
}

/* the certificates of the X509CertificateFile files, once; a file that cannot be used is
 * reported and left out */
static void read_cert_pool(struct identities *ids)
{
	char err[256];
	size_t n, i;

	if (ids->pool_read) {
		return;
	}
	ids->pool_read = 1;
	if (ids->n_cert_files == 0 || (ids->cert_pool = sk_X509_new_null()) == NULL) {
		return;
	}
	for (i = 0; i < ids->n_cert_files; i++) {
		err[0] = '\0';
		n = 0;
		if (keyfile_certs(ids->cert_files[i], X509CHAIN_POOL_MAX, ids->cert_pool, &n, err,
		        sizeof(err)) != 0) {
			log_info("X509CertificateFile %s: %s", ids->cert_files[i], err);
		} else if (n == 0) {
			log_info("X509CertificateFile %s: no PEM certificate in the file",
			    ids->cert_files[i]);
		} else {
			log_debug1("X509CertificateFile %s: %zu certificate%s", ids->cert_files[i],
			    n, n == 1 ? "" : "s");
		}
	}
}

/*
 * The chain for a key file: the leaf is the first certificate in the file itself (PKIX-SSH
 * identity format; it must be the key's), else the X509CertificateFile certificate with the
 * key's public key; issuers come from the rest of the file and the X509CertificateFile pool.
 * *out stays NULL for a key without certificate; an error means the key is not to be used.
 */
static int key_chain(struct identities *ids, const char *path, EVP_PKEY *pk, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *file = NULL, *pool = NULL;
	X509 *leaf = NULL;
	char err[256], subj[256];
	size_t n = 0;
	int i, r = SSH_ERR_ALLOC;

	*out = NULL;
	err[0] = '\0';
	if ((file = sk_X509_new_null()) == NULL) {
		goto out;
	}
	if ((r = keyfile_certs(path, X509CHAIN_POOL_MAX, file, &n, err, sizeof(err))) != 0) {
		log_info("Load key \"%s\": certificates: %s", path, err[0] ? err : ssh_err_str(r));
		goto out;
	}
	read_cert_pool(ids);
	if (n > 0) {
		leaf = sk_X509_value(file, 0);
		if (!signer_file_cert_matches(pk, leaf)) {
			subject_of(leaf, subj, sizeof(subj));
			log_info(
			    "Load key \"%s\": the certificate in the file (subject %s) is not the "
			    "private key's; key not used",
			    path, subj);
			r = SSH_ERR_KEY_TYPE;
			goto out;
		}
	}
	for (i = 0; leaf == NULL && i < sk_X509_num(ids->cert_pool); i++) {
		if (signer_file_cert_matches(pk, sk_X509_value(ids->cert_pool, i))) {
			leaf = sk_X509_value(ids->cert_pool, i);
		}
	}
	if (leaf == NULL) {
		r = 0;
		goto out;
	}
	/* a borrowing view: the rest of the file, then the pool */
	if ((pool = sk_X509_dup(file)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < sk_X509_num(ids->cert_pool); i++) {
		if (!sk_X509_push(pool, sk_X509_value(ids->cert_pool, i))) {
			r = SSH_ERR_ALLOC;
			goto out;
		}
	}
	if ((r = x509chain_build(leaf, pool, ids->send_root, X509CHAIN_SEND_MAX, out)) != 0) {
		log_info("Load key \"%s\": certificate chain: %s", path, ssh_err_str(r));
		goto out;
	}
	subject_of(leaf, subj, sizeof(subj));
	log_debug1("key %s: X.509 certificate %s from %s, %d certificate%s sent", path, subj,
	    n > 0 ? "the key file" : "X509CertificateFile", sk_X509_num(*out),
	    sk_X509_num(*out) == 1 ? "" : "s");
	r = 0;
out:
	sk_X509_free(pool);
	sk_X509_pop_free(file, X509_free);
	return r;
}

/* The public key of an encrypted key file from FILE.pub ("type base64 [comment]"), or NULL. */
static EVP_PKEY *read_pub_file(const char *path)
{
	char pubpath[PATH_MAX_LEN + 8], line[TEXTFILE_B64_MAX];
	char *type, *b64, *save = NULL;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	EVP_PKEY *pk = NULL;
	char *btype = NULL;
	FILE *f = NULL;
	int bad = 0;

	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= (int)sizeof(pubpath) ||
	    (f = fopen(pubpath, "r")) == NULL) {
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

/* signer_file unlock callback: the private key, asking its passphrase now */
static int unlock_identity(void *arg, EVP_PKEY **priv)
{
	struct identity *id = arg;

	*priv = NULL;
	log_debug1("decrypting %s: the server accepts its public key", id->path);
	return load_key(id->owner, id, priv) == 0 ? 0 : SSH_ERR_PASSPHRASE;
}

struct signer *identities_next(struct identities *ids)
{
	struct identity *id;
	struct stat st;
	EVP_PKEY *pk = NULL;
	STACK_OF(X509) *chain = NULL;
	struct signer *s = NULL;
	int r, deferred;

	while (ids != NULL && ids->next < ids->n) {
		id = &ids->v[ids->next];
		if (id->p11v != NULL) {
			while (id->p11next < id->p11n) {
				s = id->p11v[id->p11next++];
				if (s != NULL) {
					log_debug1("Will attempt token key: %s", s->name);
					return s;
				}
			}
			ids->next++;
			continue;
		}
		ids->next++;
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
		deferred = 0;
		/* an encrypted key whose public half is known (FILE.pub): offer it first, decrypt
		 * only once the server accepts it (as OpenSSH does) */
		r = keyfile_load(id->path, NULL, &pk, NULL, 0);
		if (r == SSH_ERR_PASSPHRASE && !ids->batch_mode &&
		    (pk = read_pub_file(id->path)) != NULL) {
			deferred = 1;
		} else if (r != 0 && load_key(ids, id, &pk) != 0) {
			continue; /* load_key asks the passphrase (or says why not) */
		}
		if (key_chain(ids, id->path, pk, &chain) != 0) {
			EVP_PKEY_free(pk);
			pk = NULL;
			continue;
		}
		r = signer_file_new_x509(pk, chain, id->path, &s);
		pk = NULL; /* owned by the signer now, or freed by it on failure */
		if (r != 0) {
			log_info("Load key \"%s\": %s", id->path, ssh_err_str(r));
			chain = NULL;
			continue;
		}
		if (deferred && signer_file_set_unlock(s, unlock_identity, id) != 0) {
			signer_free(s);
			continue;
		}
		log_debug1("Will attempt key: %s%s%s", id->path, chain != NULL ? " (X.509)" : "",
		    deferred ? " (encrypted: its passphrase is asked once the server accepts it)"
		             : "");
		chain = NULL;
		id->signer = s;
		return s;
	}
	return NULL;
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
	for (size_t i = 0; i < ids->n; i++) {
		free(ids->v[i].path);
		if (ids->v[i].signer != NULL) {
			signer_free(ids->v[i].signer);
		}
		if (ids->v[i].p11v != NULL) {
			p11_free_signers(ids->v[i].p11v, ids->v[i].p11n);
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

/* the UPN (Microsoft otherName 1.3.6.1.4.1.311.20.2.3) of a certificate's subjectAltName */
static char *cert_upn(const X509 *cert)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ASN1_OBJECT *upn_oid = OBJ_txt2obj("1.3.6.1.4.1.311.20.2.3", 1);
	char *out = NULL;
	int i;

	for (i = 0;
	     names != NULL && upn_oid != NULL && i < sk_GENERAL_NAME_num(names) && out == NULL;
	     i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const ASN1_TYPE *v;
		if (gn->type != GEN_OTHERNAME || OBJ_cmp(gn->d.otherName->type_id, upn_oid) != 0) {
			continue;
		}
		v = gn->d.otherName->value;
		if (v != NULL && v->type == V_ASN1_UTF8STRING) {
			out = strndup((const char *)ASN1_STRING_get0_data(v->value.utf8string),
			    (size_t)ASN1_STRING_length(v->value.utf8string));
		}
	}
	GENERAL_NAMES_free(names);
	ASN1_OBJECT_free(upn_oid);
	return out;
}

static char *cert_cn(const X509 *cert)
{
	const X509_NAME *subj = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	const ASN1_STRING *d;
	unsigned char *utf8 = NULL;
	char *out = NULL;
	int n;

	if (idx < 0) {
		return NULL;
	}
	d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
	if ((n = ASN1_STRING_to_UTF8(&utf8, d)) < 0) {
		return NULL;
	}
	out = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return out;
}

/* the login name a certificate carries (CN or UPN), checked to be usable; NULL if none */
static char *cert_login(const X509 *cert, int upn)
{
	char *name = upn ? cert_upn(cert) : cert_cn(cert);

	if (name == NULL) {
		return NULL;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			free(name); /* a login name: no control characters */
			return NULL;
		}
	}
	if (name[0] == '\0') {
		free(name);
		return NULL;
	}
	return name;
}

int identities_cert_user(const struct identities *ids, int upn, char **out)
{
	struct p11_key_info info;
	STACK_OF(X509) *certs = NULL;
	char err[256];
	size_t i, j, n;

	*out = NULL;
	for (i = 0; ids != NULL && i < ids->n && *out == NULL; i++) {
		for (j = 0; ids->v[i].p11v != NULL && j < ids->v[i].p11n && *out == NULL; j++) {
			if (ids->v[i].p11v[j] != NULL &&
			    p11_key_info(ids->v[i].p11v[j], &info) == 0 && info.cert != NULL) {
				*out = cert_login(info.cert, upn);
			}
		}
		/* a PKIX-SSH identity file: its first certificate (read without the passphrase) */
		if (ids->v[i].p11v == NULL && *out == NULL &&
		    (certs = sk_X509_new_null()) != NULL) {
			n = 0;
			if (keyfile_certs(ids->v[i].path, X509CHAIN_POOL_MAX, certs, &n, err,
			        sizeof(err)) == 0 &&
			    n > 0) {
				*out = cert_login(sk_X509_value(certs, 0), upn);
			}
			sk_X509_pop_free(certs, X509_free);
			certs = NULL;
		}
	}
	return *out != NULL ? 0 : SSH_ERR_NOT_FOUND;
}
