/*
 * known_hosts files kept in memory for a run (known_hosts_keep): x509ssh-fleet checks hundreds
 * of hosts against the same files; each is read once, and the lines the run appends are added
 * to the copy too, so that later hosts see them.
 */
#include "known_hosts.h"
#include "known_hosts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "textfile.h"

#define KEEP_FILES_MAX 16                  /* more distinct files are read each time */
#define KEEP_FILE_MAX  (64u * 1024 * 1024) /* a larger file is read each time */

struct kept_file {
	char *path;
	char *data; /* NULL while empty or missing */
	size_t len;
};

static int keeping;
static struct kept_file kept[KEEP_FILES_MAX];
static size_t n_kept;

void known_hosts_keep(int on)
{
	for (size_t i = 0; i < n_kept; i++) {
		free(kept[i].path);
		free(kept[i].data);
		kept[i].path = kept[i].data = NULL;
		kept[i].len = 0;
	}
	n_kept = 0;
	keeping = on;
}

/* the whole file (a missing one is empty); -1 when it cannot be kept */
static int read_file(const char *path, struct kept_file *k)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0) {
		return errno == ENOENT ? 0 : -1;
	}
	r = textfile_read_fd(fd, KEEP_FILE_MAX, &k->data, &k->len);
	close(fd);
	return r;
}

static struct kept_file *find(const char *path)
{
	for (size_t i = 0; i < n_kept; i++) {
		if (strcmp(kept[i].path, path) == 0) {
			return &kept[i];
		}
	}
	return NULL;
}

int kh_keep_open(const char *path, FILE **fp)
{
	struct kept_file *k;

	*fp = NULL;
	if (!keeping) {
		return 0;
	}
	if ((k = find(path)) == NULL) {
		if (n_kept == KEEP_FILES_MAX) {
			return 0;
		}
		k = &kept[n_kept];
		memset(k, 0, sizeof(*k));
		if ((k->path = strdup(path)) == NULL || read_file(path, k) != 0) {
			free(k->path);
			k->path = NULL;
			return 0;
		}
		n_kept++;
	}
	if (k->len > 0 && (*fp = fmemopen(k->data, k->len, "r")) == NULL) {
		return 0; /* no stream over the copy: the caller reads the file */
	}
	return 1;
}

void kh_keep_append(const char *path, const char *line, size_t len)
{
	struct kept_file *k = keeping ? find(path) : NULL;
	char *nd;
	int nl;

	if (k == NULL) {
		return;
	}
	nl = k->len > 0 && k->data[k->len - 1] != '\n';
	if ((nd = realloc(k->data, k->len + (size_t)nl + len)) == NULL) {
		k->path[0] =
		    '\0'; /* out of memory: never found again, the file is read each time */
		return;
	}
	k->data = nd;
	if (nl) {
		k->data[k->len++] = '\n';
	}
	memcpy(k->data + k->len, line, len);
	k->len += len;
}
