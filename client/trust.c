/* Host-key trust for plain keys: known_hosts and StrictHostKeyChecking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "known_hosts.h"
#include "log.h"
#include "prompt.h"
#include "ssh/buf.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/x509key.h"
#include "trust.h"
#include "trust_x509.h"

#define KH_NAME_MAX 1100

static const char *const default_user_files[] = {"~/.ssh/known_hosts"};
static const char *const default_global_files[] = {"/etc/ssh/ssh_known_hosts"};

void trust_files_free(char **files)
{
	if (files == NULL) {
		return;
	}
	for (size_t i = 0; files[i] != NULL; i++) {
		free(files[i]);
	}
	free(files);
}

int trust_files(const struct options *o, char ***out, size_t *nout)
{
	const char *const *user = (const char *const *)o->user_known_hosts_file;
	const char *const *global = (const char *const *)o->global_known_hosts_file;
	size_t nu = o->n_user_known_hosts_file, ng = o->n_global_known_hosts_file, n = 0;
	char **v = NULL;
	int r = SSH_ERR_ALLOC;

	*out = NULL;
	*nout = 0;
	if (nu == 0) {
		user = default_user_files;
		nu = 1;
	}
	if (ng == 0) {
		global = default_global_files;
		ng = 1;
	}
	if ((v = calloc(nu + ng + 1, sizeof(*v))) == NULL) {
		goto out;
	}
	for (size_t i = 0; i < nu + ng; i++) {
		const char *f = i < nu ? user[i] : global[i - nu];
		if (strcmp(f, "none") == 0) {
			continue;
		}
		if ((r = path_expand(f, o, &v[n])) != 0) {
			goto out;
		}
		n++;
	}
	*out = v;
	*nout = n;
	v = NULL;
	r = 0;
out:
	trust_files_free(v);
	return r;
}

int trust_khname(const struct options *o, char *out, size_t outlen)
{
	const char *host = o->hostname != NULL ? o->hostname : o->host;

	if (o->host_key_alias != NULL) {
		if ((size_t)snprintf(out, outlen, "%s", o->host_key_alias) >= outlen) {
			return SSH_ERR_TOO_LARGE;
		}
		return 0;
	}
	if (host == NULL) {
		return SSH_ERR_INTERNAL;
	}
	return known_hosts_hostname(host, o->port > 0 ? o->port : 22, out, outlen);
}

static void add_key(const struct options *o, char **files, size_t nuser, const char *khname,
    const char *label, const uint8_t *blob, size_t len)
{
	if (nuser == 0 || files[0] == NULL) {
		log_info("No UserKnownHostsFile: the %s key for %s was not saved.", label, khname);
		return;
	}
	if (known_hosts_add(files[0], khname, blob, len, o->hash_known_hosts == 1) != 0) {
		log_info("Failed to add the host to the list of known hosts (%s).", files[0]);
		return;
	}
	log_info("Warning: Permanently added '%s' (%s) to the list of known hosts.", khname, label);
}

/* A host key the user is asked about: the question, and what is needed to record the key. */
struct trust_question {
	char text[2400];
	char *fingerprint;
	char khname[KH_NAME_MAX];
	const char *label; /* the algorithm table's */
	uint8_t *blob;
	size_t len;
};

void trust_question_free(struct trust_question *q)
{
	if (q != NULL) {
		free(q->fingerprint);
		free(q->blob);
		free(q);
	}
}

const char *trust_question_text(const struct trust_question *q)
{
	return q->text;
}

const char *trust_question_fingerprint(const struct trust_question *q)
{
	return q->fingerprint;
}

static int make_question(const char *khname, const char *addr, const char *label, const char *fp,
    int other_types, const uint8_t *blob, size_t len, struct trust_question **out)
{
	struct trust_question *q;
	char ip[128];

	if ((q = calloc(1, sizeof(*q))) == NULL || (q->fingerprint = strdup(fp)) == NULL ||
	    (q->blob = malloc(len > 0 ? len : 1)) == NULL) {
		trust_question_free(q);
		return SSH_ERR_ALLOC;
	}
	memcpy(q->blob, blob, len);
	q->len = len;
	q->label = label;
	snprintf(q->khname, sizeof(q->khname), "%s", khname);
	ip[0] = '\0';
	if (addr != NULL && strcmp(addr, khname) != 0) {
		snprintf(ip, sizeof(ip), " (%s)", addr);
	}
	snprintf(q->text, sizeof(q->text),
	    "The authenticity of host '%s%s' can't be established.\n"
	    "%s key fingerprint is %s.\n"
	    "%s"
	    "Are you sure you want to continue connecting (yes/no)? ",
	    khname, ip, label, fp,
	    other_types ? "The host is known with keys of other types only.\n" : "");
	*out = q;
	return 0;
}

/* how many of files are user files (the first ones: new keys go to the first) */
static size_t user_files(const struct options *o, size_t nfiles)
{
	size_t nuser = 1; /* the default user file */

	if (o->n_user_known_hosts_file > 0) {
		nuser = 0;
		for (size_t i = 0; i < o->n_user_known_hosts_file; i++) {
			nuser += strcmp(o->user_known_hosts_file[i], "none") != 0;
		}
	}
	return nuser > nfiles ? nfiles : nuser;
}

int trust_question_answer(const struct options *o, const struct trust_question *q, int r, int yes,
    int *trusted, char *err, size_t errlen)
{
	char **files = NULL;
	size_t nfiles = 0;

	*trusted = 0;
	err[0] = '\0';
	if (r != 0) {
		snprintf(err, errlen, "hostkey: cannot ask to confirm the %s host key for %s (%s)",
		    q->label, q->khname, r == SSH_ERR_NOT_FOUND ? "no terminal" : ssh_err_str(r));
		return 0;
	}
	if (!yes) {
		snprintf(err, errlen,
		    "hostkey: host key verification failed: %s key of %s not accepted", q->label,
		    q->khname);
		return 0;
	}
	if ((r = trust_files(o, &files, &nfiles)) != 0) {
		snprintf(err, errlen, "hostkey: known_hosts file names: %s", ssh_err_str(r));
		return r;
	}
	add_key(o, files, user_files(o, nfiles), q->khname, q->label, q->blob, q->len);
	trust_files_free(files);
	*trusted = 1;
	return 0;
}

int trust_hostkey_view(const struct options *o, const char *addr, const struct ssh_hostkey_view *hk,
    int *trusted, char *err, size_t errlen, struct trust_question **ask)
{
	const char *alg = hk->alg, *label = hk->row != NULL ? hk->row->label : NULL;
	const uint8_t *blob = hk->blob;
	size_t len = hk->len;
	char khname[KH_NAME_MAX];
	char **files = NULL;
	size_t nfiles = 0, nuser;
	struct kh_result res;
	int r, shk;

	*trusted = 0;
	*ask = NULL;
	err[0] = '\0';
	memset(&res, 0, sizeof(res));
	if (hk->row == NULL) {
		snprintf(err, errlen, "hostkey: unknown host key algorithm %s", alg);
		return 0;
	}
	if (hk->row->flags & HK_FLAG_X509) {
		return trust_x509(o, hk, trusted, err, errlen);
	}
	if (o->x509_host_keys == X509HK_REQUIRE) {
		snprintf(err, errlen,
		    "x509: the server offered no X.509 host key we accept (it "
		    "uses %s) and X509HostKeys is require",
		    alg);
		return 0;
	}
	if ((r = trust_khname(o, khname, sizeof(khname))) != 0) {
		snprintf(err, errlen, "hostkey: bad host name for known_hosts: %s", ssh_err_str(r));
		return r;
	}
	if ((r = trust_files(o, &files, &nfiles)) != 0) {
		snprintf(err, errlen, "hostkey: known_hosts file names: %s", ssh_err_str(r));
		goto out;
	}
	nuser = user_files(o, nfiles);
	if ((r = known_hosts_check((const char *const *)files, nfiles, khname, blob, len, &res)) !=
	    0) {
		snprintf(err, errlen, "hostkey: reading known_hosts: %s", ssh_err_str(r));
		goto out;
	}
	switch (res.status) {
	case KH_MATCH:
		log_debug1("Host '%s' is known and matches the %s host key.", khname, label);
		log_debug1("Found key in %s:%lu", res.file, res.line);
		*trusted = 1;
		goto out;
	case KH_REVOKED:
		snprintf(err, errlen,
		    "hostkey: the %s host key for %s is marked as revoked (known_hosts %s:%lu)",
		    label, khname, res.file, res.line);
		goto out;
	case KH_MISMATCH:
		snprintf(err, errlen,
		    "hostkey: host key for %s has changed (known_hosts %s:%lu has a different %s "
		    "key); "
		    "someone could be eavesdropping on you, or the key was just replaced: if that "
		    "is "
		    "expected, remove the old key with: ssh-keygen -f '%s' -R '%s'",
		    khname, res.file, res.line, label, res.file, khname);
		goto out;
	case KH_NOT_FOUND:
	case KH_OTHER_TYPES:
	default:
		break;
	}
	shk = o->strict_host_key_checking;
	if (shk == OPT_UNSET) {
		shk = SHK_ASK;
	}
	if (o->batch_mode == 1 && shk == SHK_ASK) {
		snprintf(err, errlen, "hostkey: no %s host key known for %s in BatchMode", label,
		    khname);
		goto out;
	}
	switch (shk) {
	case SHK_YES:
		snprintf(err, errlen,
		    "hostkey: no %s host key known for %s and StrictHostKeyChecking is yes", label,
		    khname);
		goto out;
	case SHK_ACCEPT_NEW:
	case SHK_NO:
		add_key(o, files, nuser, khname, label, blob, len);
		*trusted = 1;
		goto out;
	default:
		break;
	}
	if (hk->fingerprint == NULL) {
		snprintf(err, errlen, "hostkey: cannot compute the fingerprint: %s",
		    ssh_err_str(SSH_ERR_INTERNAL));
		goto out;
	}
	/* the user is asked (trust_question_answer decides) */
	if ((r = make_question(khname, addr, label, hk->fingerprint, res.status == KH_OTHER_TYPES,
	         blob, len, ask)) != 0) {
		snprintf(err, errlen, "hostkey: out of memory");
	}
out:
	trust_files_free(files);
	return r;
}
