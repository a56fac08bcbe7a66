/* X.509 host keys: chain, name and purpose checks through certstore. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "castore_cache.h"
#include "certstore.h"
#include "identity.h"
#include "log.h"
#include "paths.h"
#include "ssh/err.h"
#include "ssh/namelist.h"
#include "ssh/sshkey.h"
#include "ssh/x509key.h"
#include "trust_x509.h"

void trust_x509_cleanup(void)
{
	castore_clear();
}

static int expand(const struct options *o, const char *in, char **out)
{
	return path_expand(in, o, out);
}

/*
 * The store of this connection's options: CACertificateFile/Path and CARevocationFile/Path, or
 * the defaults of OPTIONS.md, with X509AllowPartialChain, X509MaxChain and X509Revocation. Each
 * connection of a run (jump hosts too) names its own; equal ones are loaded once (castore_cache).
 */
static int load_store(const struct options *o, struct certstore **store, char *err, size_t errlen)
{
	struct certstore_config cfg;
	char *paths[12] = {0}; /* at most 3 per default row, 4 rows */
	char cause[512];
	size_t np = 0, i;
	int r = 0;
	/* the paths the user named: one that cannot be expanded fails the load (a CRL silently
	 * left out would turn revocation checking off) */
	const struct {
		const char *v, *kw;
		const char **slot;
	} named[] = {
	    {o->ca_certificate_file, "CACertificateFile", &cfg.ca_files[0]},
	    {o->ca_certificate_path, "CACertificatePath", &cfg.ca_paths[0]},
	    {o->ca_revocation_file, "CARevocationFile", &cfg.crl_files[0]},
	    {o->ca_revocation_path, "CARevocationPath", &cfg.crl_paths[0]},
	};

	memset(&cfg, 0, sizeof(cfg));
	cfg.explicit_ca = o->ca_certificate_file != NULL || o->ca_certificate_path != NULL;
	cfg.explicit_crl = o->ca_revocation_file != NULL || o->ca_revocation_path != NULL;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (named[i].v == NULL) {
			continue;
		}
		if ((r = expand(o, named[i].v, &paths[np])) != 0) {
			snprintf(err, errlen,
			    "x509: cannot load the CA store: %s %s: cannot expand it", named[i].kw,
			    named[i].v);
			goto out;
		}
		*named[i].slot = paths[np++];
	}
	/* else the one default list (paths.h), which also decides the HostKeyAlgorithms default */
	for (i = 0; i < paths_n_ca_defaults && i < CERTSTORE_MAX_PATHS; i++) {
		if (!cfg.explicit_ca && expand(o, paths_ca_defaults[i].ca_file, &paths[np]) == 0) {
			cfg.ca_files[i] = paths[np++];
		}
		if (!cfg.explicit_ca && expand(o, paths_ca_defaults[i].ca_dir, &paths[np]) == 0) {
			cfg.ca_paths[i] = paths[np++];
		}
		if (!cfg.explicit_crl && expand(o, paths_ca_defaults[i].crl_dir, &paths[np]) == 0) {
			cfg.crl_paths[i] = paths[np++];
		}
	}
	cfg.allow_partial_chain = o->x509_allow_partial_chain == 1;
	cfg.max_chain = o->x509_max_chain > 0 ? o->x509_max_chain : X509_MAX_CHAIN_DEFAULT;
	cfg.revocation = o->x509_revocation == X509REV_REQUIRE ? CERTSTORE_REV_REQUIRE
	                 : o->x509_revocation == X509REV_NO    ? CERTSTORE_REV_NO
	                                                       : CERTSTORE_REV_CHECK;
	cause[0] = '\0';
	r = castore_get(&cfg, store, cause, sizeof(cause));
	if (r != 0) {
		snprintf(err, errlen, "x509: cannot load the CA store: %s",
		    cause[0] != '\0' ? cause : certstore_err_str(r));
	}
out:
	for (i = 0; i < np; i++) {
		free(paths[i]);
	}
	return r;
}

static const struct {
	const char *name;
	int bit;
} purpose_names[] = {
    {"secureShellServer", CERTSTORE_PURPOSE_SSH_SERVER},
    {"serverAuth", CERTSTORE_PURPOSE_SERVER_AUTH},
    {"anyExtendedKeyUsage", CERTSTORE_PURPOSE_ANY},
};

/* X509HostPurposes (validated by the option parser) as certstore bits; default: all three */
static int purposes_of(const struct options *o)
{
	const char *p = o->x509_host_purposes, *name;
	struct namelist_iter it;
	int bits = 0;
	size_t i, l;

	if (p == NULL) {
		return CERTSTORE_PURPOSE_SSH_SERVER | CERTSTORE_PURPOSE_SERVER_AUTH |
		       CERTSTORE_PURPOSE_ANY;
	}
	namelist_begin(&it, p);
	while (namelist_next(&it, &name, &l)) {
		for (i = 0; i < sizeof(purpose_names) / sizeof(purpose_names[0]); i++) {
			if (strlen(purpose_names[i].name) == l &&
			    strncmp(name, purpose_names[i].name, l) == 0) {
				bits |= purpose_names[i].bit;
			}
		}
	}
	return bits;
}

/*
 * The resolver reads "010.0.0.1" as octal (8.0.0.1) and "1.2.3" or "0x7f.1" as addresses, while
 * the certificate check reads them otherwise: a name in such a form would be checked against
 * one address and connected to another. Only the canonical dotted quad is taken.
 */
static int unambiguous_address(const char *host, char *err, size_t errlen)
{
	struct in_addr a;
	char canon[INET_ADDRSTRLEN];

	if (inet_aton(host, &a) == 0 || inet_ntop(AF_INET, &a, canon, sizeof(canon)) == NULL ||
	    strcmp(canon, host) == 0) {
		return 1;
	}
	snprintf(
	    err, errlen, "x509: the host address '%s' is ambiguous: write it as %s", host, canon);
	return 0;
}

int trust_x509(const struct options *o, const struct ssh_hostkey_view *hk, int *trusted, char *err,
    size_t errlen)
{
	const struct x509_blob *xb = hk->x509;
	struct certstore *store = NULL;
	struct certstore_check chk;
	struct certstore_result res;
	int r;

	*trusted = 0;
	memset(&res, 0, sizeof(res));
	if (hk->row == NULL || !(hk->row->flags & HK_FLAG_X509) || xb == NULL) {
		snprintf(err, errlen, "x509: unknown X.509 host key algorithm %s", hk->alg);
		return 0;
	}
	if ((r = load_store(o, &store, err, errlen)) != 0) {
		return 0;
	}
	/* what the certificate is checked for is this connection's, not the store's */
	memset(&chk, 0, sizeof(chk));
	chk.host = o->x509_host_name != NULL   ? o->x509_host_name
	           : o->host_key_alias != NULL ? o->host_key_alias
	                                       : o->hostname;
	if (!unambiguous_address(chk.host, err, errlen)) {
		return 0;
	}
	chk.name_fallback_cn = o->x509_name_fallback_cn != 0;
	chk.purposes = purposes_of(o);
	if ((r = certstore_verify(store, xb->cert, xb->cert_len, xb->ncerts, xb->ocsp, xb->ocsp_len,
	         xb->nocsp, &chk, &res)) != 0) {
		snprintf(err, errlen, "x509: cannot verify the host certificate: %s",
		    certstore_err_str(r));
		goto out;
	}
	if (res.chain_text != NULL) {
		char *line = res.chain_text, *nl;
		while (line != NULL && *line != '\0') {
			nl = strchr(line, '\n');
			if (nl != NULL) {
				*nl = '\0';
			}
			log_verbose("x509: %s", line);
			line = nl != NULL ? nl + 1 : NULL;
		}
	}
	if (res.verdict != CERTSTORE_OK) {
		if (res.depth >= 0 && res.subject[0] != '\0') {
			snprintf(err, errlen,
			    "x509: %s host certificate refused: %s (certificate "
			    "'%s', depth %d)",
			    chk.host, res.reason, res.subject, res.depth);
		} else {
			snprintf(err, errlen, "x509: %s host certificate refused: %s", chk.host,
			    res.reason);
		}
		goto out;
	}
	log_verbose("x509: host certificate for %s verified (%s, %zu certificate%s sent)", chk.host,
	    hk->alg, xb->ncerts, xb->ncerts == 1 ? "" : "s");
	*trusted = 1;
out:
	certstore_result_clear(&res);
	return 0;
}
