/*
 * libFuzzer target: the config parser (client/options.h). The input is two config files
 * separated by the first NUL byte: the first is read with options_read_file (its first line is
 * also applied before it as a -o option), the second is ~/.x509ssh/inc.conf, reachable with
 * "Include inc.conf" (or a glob). Host and Match lines are evaluated against the host
 * "router1.example.net"; then options_finish resolves the algorithm lists and the defaults and
 * options_dump prints it all (to /dev/null).
 *
 * Everything stays in a private temp directory (HOME points there): an input with a '/' anywhere
 * is skipped, so no Include can reach another file, and the second file may not say "include"
 * itself, so Include recursion stays linear (the nesting limit has its unit test). An input
 * that says "exec" anywhere is skipped: Match exec would run it through the shell.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64], incdir[128], main_path[128], inc_path[160];
static FILE *devnull;
static int trace; /* X509SSH_FUZZ_TRACE set: the outcome on stderr */

static void cleanup(void)
{
	unlink(main_path);
	unlink(inc_path);
	rmdir(incdir);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("X509SSH_FUZZ_TRACE") != NULL;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_config.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_config: mkdtemp");
		exit(1);
	}
	snprintf(incdir, sizeof(incdir), "%s/.x509ssh", dir);
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	snprintf(inc_path, sizeof(inc_path), "%s/inc.conf", incdir);
	if (mkdir(incdir, 0700) != 0 || setenv("HOME", dir, 1) != 0 ||
	    (devnull = fopen("/dev/null", "w")) == NULL) {
		perror("fuzz_config: setup");
		exit(1);
	}
	atexit(cleanup);
	return 0;
}

static int write_file(const char *path, const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	int r = 0;

	if (f == NULL) {
		return -1;
	}
	if (n > 0 && fwrite(d, 1, n, f) != n) {
		r = -1;
	}
	if (fclose(f) != 0) {
		r = -1;
	}
	return r;
}

/* 1 if word (lower case) occurs in d, in any case */
static int says(const uint8_t *d, size_t n, const char *word)
{
	size_t i, j, wl = strlen(word);

	for (i = 0; i + wl <= n; i++) {
		for (j = 0; j < wl && tolower(d[i + j]) == word[j]; j++) {
		}
		if (j == wl) {
			return 1;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size), *nl;
	size_t main_len = nul != NULL ? (size_t)(nul - data) : size, line_len;
	const uint8_t *inc = nul != NULL ? nul + 1 : data + size;
	size_t inc_len = (size_t)(data + size - inc);
	struct options o;
	char err[1024], *line;

	/* no "Match exec": a fuzzed input must never reach the shell */
	if (memchr(data, '/', size) != NULL || says(inc, inc_len, "include") ||
	    says(data, size, "exec") || write_file(main_path, data, main_len) != 0 ||
	    write_file(inc_path, inc, inc_len) != 0) {
		return 0;
	}
	options_init(&o);
	if ((o.host = strdup("router1.example.net")) == NULL) {
		goto out;
	}
	/* the first line as a command-line -o option */
	nl = memchr(data, '\n', main_len);
	line_len = nl != NULL ? (size_t)(nl - data) : main_len;
	if ((line = malloc(line_len + 1)) != NULL) {
		memcpy(line, data, line_len);
		line[line_len] = '\0';
		(void)options_apply(&o, line, "command line", err, sizeof(err));
		free(line);
	}
	err[0] = '\0';
	if (options_read_file(&o, main_path, 0, err, sizeof(err)) != 0) {
		goto out;
	}
	if (options_finish(&o, "fuzzuser", size & 1, err, sizeof(err)) != 0) {
		goto out;
	}
	options_dump(&o, trace ? stderr : devnull);
out:
	if (trace) {
		fprintf(stderr, "outcome: %s\n", err[0] != '\0' ? err : "ok");
	}
	options_free(&o);
	return 0;
}
