/*
 * OpenSSH known_hosts files: plain and hashed (|1|salt|hash) host names, [host]:port for
 * non-default ports, several keys per host, comma-separated name lists with * ? ! patterns,
 * @revoked markers; @cert-authority lines are skipped without error; malformed lines are skipped.
 */
#ifndef X509SSH_KNOWN_HOSTS_H
#define X509SSH_KNOWN_HOSTS_H

#include <stddef.h>
#include <stdint.h>

enum kh_status {
	KH_NOT_FOUND = 0, /* no line names this host */
	KH_MATCH,         /* a line names this host with exactly this key */
	KH_MISMATCH,      /* the host is known with another key of the same type (file/line set) */
	KH_OTHER_TYPES,   /* the host is known, but only with keys of other types */
	KH_REVOKED,       /* the key is marked @revoked (file/line set) */
};

struct kh_result {
	enum kh_status status;
	char file[512]; /* for KH_MATCH/KH_MISMATCH/KH_REVOKED: where */
	unsigned long line;
};

/*
 * Look up host (the name as OpenSSH would write it: "host" for port 22, "[host]:port"
 * otherwise; build it with known_hosts_hostname) with the plain key blob in files (missing files
 * are skipped). @revoked wins over everything, then a match, then a mismatch.
 */
int known_hosts_check(const char *const *files, size_t nfiles, const char *khname,
    const uint8_t *blob, size_t bloblen, struct kh_result *res);

/* The key types known for khname across files, comma-separated, malloc'd ("" if none): used to
 * prefer the host-key algorithms we can already verify. */
char *known_hosts_types(const char *const *files, size_t nfiles, const char *khname);

/* "host" or "[host]:port" */
int known_hosts_hostname(const char *host, int port, char *out, size_t outlen);

/* Append "khname keytype base64" (hashed name if hash) to file, creating it (and its directory,
 * mode 0700) if needed. */
int known_hosts_add(
    const char *file, const char *khname, const uint8_t *blob, size_t bloblen, int hash);

/* on: from now on each file is read once and kept in memory (the lines known_hosts_add writes
 * are added to the copy); off: the copies are dropped and files are read each time (the
 * default). x509ssh-fleet keeps them for its run. */
void known_hosts_keep(int on);

#endif
