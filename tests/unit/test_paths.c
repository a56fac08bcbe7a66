/* paths: "~" expansion, the default CA store rows, the one local user name. */
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "t.h"

static const char home[] = "/nonexistent-x509ssh-home";

static int sys_ca_exists(void)
{
	return access("/etc/x509ssh/ca-bundle.pem", F_OK) == 0 ||
	       access("/etc/x509ssh/ca", F_OK) == 0;
}

static void test_paths(void)
{
	static const struct {
		const char *home, *in, *want;
	} rows[] = {
	    {.home = "/h/u", .in = "~", .want = "/h/u"},
	    {.home = "/h/u", .in = "~/.ssh/x", .want = "/h/u/.ssh/x"},
	    {.home = "/h/u//", .in = "~/x", .want = "/h/u/x"},
	    {.home = "/", .in = "~/x", .want = "//x"},
	    {.home = "/h/u", .in = "~other/x", .want = "~other/x"}, /* not ours: left alone */
	    {.home = "/h/u", .in = "/abs/~/x", .want = "/abs/~/x"},
	    {.home = "/h/u", .in = "rel", .want = "rel"},
	};
	char dir[] = "/tmp/x509ssh-paths-XXXXXX", path[256];
	char *out = NULL;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		setenv("HOME", rows[i].home, 1);
		CHECK_EQ_INT(paths_expand_tilde(rows[i].in, &out), 0);
		CHECK_STR(out, rows[i].want);
		free(out);
		out = NULL;
	}
	/* the default CA store rows decide the x509v3 host-key default */
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		setenv("HOME", home, 1);
		return;
	}
	setenv("HOME", dir, 1);
	CHECK_EQ_INT(paths_default_ca_exists(), sys_ca_exists());
	snprintf(path, sizeof(path), "%s/.x509ssh", dir);
	CHECK_EQ_INT(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.x509ssh/ca-bundle.pem", dir);
	if ((f = fopen(path, "w")) != NULL) {
		fclose(f);
	}
	CHECK_EQ_INT(paths_default_ca_exists(), 1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.x509ssh/ca", dir);
	CHECK_EQ_INT(mkdir(path, 0700), 0);
	CHECK_EQ_INT(paths_default_ca_exists(), 1);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.x509ssh", dir);
	rmdir(path);
	rmdir(dir);
	CHECK_STR(paths_ca_defaults[0].ca_file, "~/.x509ssh/ca-bundle.pem");
	CHECK_STR(paths_ca_defaults[paths_n_ca_defaults - 1].ca_dir, "/etc/x509ssh/ca");
	setenv("HOME", home, 1);
}

/* ---- the local user name (paths_local_user) ---- */

/* a uid without a passwd entry, or 0 */
static uid_t unmapped_uid(void)
{
	for (uid_t u = 54321; u < 54421; u++) {
		if (getpwuid(u) == NULL) {
			return u;
		}
	}
	return 0;
}

/* in a child as uid with $USER / $LOGNAME as given (NULL: unset): paths_local_user() when bin
 * is NULL, else the output (stdout and stderr) of "bin -F none -G h.example"; the exit status */
static int run_as(
    uid_t uid, const char *user, const char *logname, const char *bin, char *out, size_t outlen)
{
	int fds[2], status = -1;
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		return -1;
	}
	if (pid == 0) {
		const char *name;
		close(fds[0]);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0) {
			_exit(126);
		}
		(void)(user != NULL ? setenv("USER", user, 1) : unsetenv("USER"));
		(void)(logname != NULL ? setenv("LOGNAME", logname, 1) : unsetenv("LOGNAME"));
		if (bin != NULL) {
			execl(bin, "x509ssh", "-F", "none", "-G", "h.example", (char *)NULL);
			_exit(127);
		}
		name = paths_local_user();
		printf("%s", name != NULL ? name : "(none)");
		fflush(stdout);
		_exit(0);
	}
	close(fds[1]);
	while (n + 1 < outlen && (k = read(fds[0], out + n, outlen - 1 - n)) > 0) {
		n += (size_t)k;
	}
	out[n] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		return -1;
	}
	return WEXITSTATUS(status);
}

/*
 * One local user name for every caller: the passwd entry of getuid(), else $USER, else
 * $LOGNAME, else none (a config error) - never a made-up "root". Seen through the binary's -G
 * as well (the user default), which used a copy that said "root".
 */
static void test_local_user(void)
{
	char self[1024], bin[1100], out[8192];
	uid_t u = unmapped_uid();
	struct passwd *pw = getpwuid(getuid());
	ssize_t k;

	if (pw != NULL) {
		char want[256];
		setenv("USER", "not-the-passwd-name", 1);
		snprintf(want, sizeof(want), "%s", pw->pw_name);
		CHECK_STR(paths_local_user(), want); /* the passwd entry wins over $USER */
		unsetenv("USER");
	}
	if (geteuid() != 0 || u == 0) {
		printf("test_local_user: the uid cases need root and a free uid: skipped\n");
		return;
	}
	CHECK_EQ_INT(run_as(u, "alice", "bob", NULL, out, sizeof(out)), 0);
	CHECK_STR(out, "alice");
	CHECK_EQ_INT(run_as(u, "", "bob", NULL, out, sizeof(out)), 0);
	CHECK_STR(out, "bob");
	CHECK_EQ_INT(run_as(u, NULL, NULL, NULL, out, sizeof(out)), 0);
	CHECK_STR(out, "(none)");

	/* the binary built next to this test */
	if ((k = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		CHECK(0);
		return;
	}
	self[k] = '\0';
	snprintf(bin, sizeof(bin), "%s/x509ssh", dirname(self));
	if (access(bin, X_OK) != 0) {
		printf("test_local_user: no %s: the -G cases skipped\n", bin);
		return;
	}
	CHECK_EQ_INT(run_as(u, "alice", NULL, bin, out, sizeof(out)), 0);
	CHECK(strstr(out, "\nuser alice\n") != NULL);
	CHECK(strstr(out, "user root") == NULL);
	CHECK_EQ_INT(run_as(u, NULL, NULL, bin, out, sizeof(out)), 255);
	CHECK_STR(out, "x509ssh: config: no user name\n");
}

int main(void)
{
	test_paths();
	test_local_user();
	T_DONE();
}
