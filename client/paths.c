/* Local paths and names (paths.h). */
#include "paths.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

#define PATHS_MAX_USER 256 /* longest local user name kept */

const struct paths_ca_default paths_ca_defaults[] = {
    {.ca_file = PATHS_USER_DIR "/ca-bundle.pem",
        .ca_dir = PATHS_USER_DIR "/ca",
        .crl_dir = PATHS_USER_DIR "/crl"},
    {.ca_file = PATHS_SYSTEM_DIR "/ca-bundle.pem",
        .ca_dir = PATHS_SYSTEM_DIR "/ca",
        .crl_dir = PATHS_SYSTEM_DIR "/crl"},
};
const size_t paths_n_ca_defaults = sizeof(paths_ca_defaults) / sizeof(paths_ca_defaults[0]);

const struct paths_config paths_configs[] = {
    {.file = PATHS_USER_CONFIG, .incdir = PATHS_USER_DIR, .openssh = 0, .user = 1},
    {.file = PATHS_OPENSSH_USER_DIR "/config",
        .incdir = PATHS_OPENSSH_USER_DIR,
        .openssh = 1,
        .user = 1},
    {.file = PATHS_SYSTEM_CONFIG, .incdir = PATHS_SYSTEM_DIR, .openssh = 0, .user = 0},
    {.file = PATHS_OPENSSH_SYSTEM_DIR "/ssh_config",
        .incdir = PATHS_OPENSSH_SYSTEM_DIR,
        .openssh = 1,
        .user = 0},
};
const size_t paths_n_configs = sizeof(paths_configs) / sizeof(paths_configs[0]);

const char *const paths_user_known_hosts[] = {"~/.ssh/known_hosts", NULL};
const char *const paths_global_known_hosts[] = {"/etc/ssh/ssh_known_hosts", NULL};
const char *const paths_default_identities[] = {
    "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa", NULL};

const char *paths_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] != '\0') {
		return h;
	}
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL && pw->pw_dir[0] != '\0') {
		return pw->pw_dir;
	}
	return "/";
}

const char *paths_local_user(void)
{
	static char name[PATHS_MAX_USER];
	static const char *const env[] = {"USER", "LOGNAME"};
	struct passwd *pw = getpwuid(getuid());
	const char *v = NULL;
	size_t i;

	if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0') {
		v = pw->pw_name;
	}
	for (i = 0; v == NULL && i < sizeof(env) / sizeof(env[0]); i++) {
		const char *e = getenv(env[i]);
		if (e != NULL && e[0] != '\0') {
			v = e;
		}
	}
	if (v == NULL || strlen(v) >= sizeof(name)) {
		return NULL;
	}
	memcpy(name, v, strlen(v) + 1);
	return name;
}

int paths_expand_tilde(const char *in, char **out)
{
	const char *h;
	size_t hl;

	*out = NULL;
	if (in[0] != '~' || (in[1] != '/' && in[1] != '\0')) {
		*out = strdup(in);
		return *out != NULL ? 0 : SSH_ERR_ALLOC;
	}
	h = paths_home();
	hl = strlen(h);
	while (hl > 1 && h[hl - 1] == '/') {
		hl--;
	}
	if ((*out = malloc(hl + strlen(in + 1) + 1)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	memcpy(*out, h, hl);
	strcpy(*out + hl, in + 1);
	return 0;
}

static int exists(const char *path)
{
	struct stat st;
	char *p = NULL;
	int r;

	if (paths_expand_tilde(path, &p) != 0) {
		return 0;
	}
	r = stat(p, &st) == 0;
	free(p);
	return r;
}

int paths_default_ca_exists(void)
{
	size_t i;

	for (i = 0; i < paths_n_ca_defaults; i++) {
		if (exists(paths_ca_defaults[i].ca_file) || exists(paths_ca_defaults[i].ca_dir)) {
			return 1;
		}
	}
	return 0;
}
