/*
 * Where things are on the local machine: the home directory, the local user name, "~"
 * expansion and the default files (config, CA store, known_hosts, identities), each listed once.
 */
#ifndef X509SSH_PATHS_H
#define X509SSH_PATHS_H

#include <stddef.h>

#define PATHS_USER_DIR           "~/.x509ssh"
#define PATHS_SYSTEM_DIR         "/etc/x509ssh"
#define PATHS_USER_CONFIG        PATHS_USER_DIR "/config"
#define PATHS_SYSTEM_CONFIG      PATHS_SYSTEM_DIR "/x509ssh_config"
#define PATHS_OPENSSH_USER_DIR   "~/.ssh"
#define PATHS_OPENSSH_SYSTEM_DIR "/etc/ssh"

/* $HOME when set and not empty, else the passwd entry of getuid(), else "/". */
const char *paths_home(void);

/*
 * The local user name: the passwd entry of getuid() (as OpenSSH), else $USER, else $LOGNAME
 * when set and not empty; NULL when none is known (never a made-up name). The string stays
 * valid until the next call.
 */
const char *paths_local_user(void);

/* "~" and "~/..." to the home directory; anything else copied. malloc'd; 0 or SSH_ERR_ALLOC. */
int paths_expand_tilde(const char *in, char **out);

/*
 * The default CA store, used when neither CACertificateFile nor CACertificatePath is set: the
 * user's, then the system's ("~" not expanded). The same rows decide the HostKeyAlgorithms
 * default (paths_default_ca_exists) and load the store.
 */
struct paths_ca_default {
	const char *ca_file; /* bundle of PEM certificates */
	const char *ca_dir;  /* hashed directory */
	const char *crl_dir; /* CRLs, when CARevocationFile/Path are not set */
};
extern const struct paths_ca_default paths_ca_defaults[];
extern const size_t paths_n_ca_defaults;

/* 1 if a default CA file or directory exists, else 0. */
int paths_default_ca_exists(void);

/*
 * The config files read without -F, in this order (the first obtained value wins): ours, then
 * OpenSSH's, the user's before the system's. A relative Include in a file (or in what it
 * includes) is relative to its incdir; `openssh` marks OpenSSH's own files, where a
 * HostKeyAlgorithms list naming no x509v3 algorithm governs the plain ones only. The same rows
 * classify a -F file by its directory. The user's files and every included file must belong to
 * the user (or root) and be writable by no one else (Match exec runs what they say).
 */
struct paths_config {
	const char *file;   /* "~" expanded when read */
	const char *incdir; /* "~" expanded when used */
	int openssh;
	int user; /* the user's own file: refused when others may write it, as OpenSSH does */
};
extern const struct paths_config paths_configs[];
extern const size_t paths_n_configs;

/* NULL-terminated default lists of UserKnownHostsFile, GlobalKnownHostsFile, IdentityFile. */
extern const char *const paths_user_known_hosts[];
extern const char *const paths_global_known_hosts[];
extern const char *const paths_default_identities[];

#endif
