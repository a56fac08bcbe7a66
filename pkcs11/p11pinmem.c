/*
 * The memory of refused PIN files, across runs: ~/.x509ssh/pin-refused.
 *
 * A PIN read from a pin-source file that a token refused is recorded with the token's identity
 * (manufacturer, model, serial number and label: not the module, since one token can be reached
 * through several modules) and the file's identity (device, inode, size, modification and change
 * times). The contents are never recorded, nor any hash of them: a short PIN's hash is
 * brute-forced at once. Before a file PIN is presented, a record with the same token and the
 * same file identity stops it; any change to the file (a write, a touch, a chmod) changes its
 * identity. A successful login with the file clears the token's records of that file.
 *
 * One line per record: TOKEN DEV INO SIZE MSEC.MNSEC CSEC.CNSEC WHEN PATH (TOKEN and PATH
 * %-encoded, PATH only for people). The file is bounded (PINMEM_MAX records, the oldest go
 * first), rewritten atomically (a temporary file renamed) under an flock of pin-refused.lock,
 * and a line that does not parse is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "p11_int.h"

#define PINMEM_MAX      64    /* records kept */
#define PINMEM_READ_MAX 65536 /* bytes read of the file */
#define PINMEM_LINE     1400  /* bytes of one line */
#define PINMEM_PATH_ENC 600   /* bytes of the encoded path kept */

struct rec {
	char tok[PINMEM_LINE];
	struct p11_fileid id;
	long long when;
	char path[PINMEM_LINE];
};

void p11_fileid_of(const struct stat *st, struct p11_fileid *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (int64_t)st->st_size;
	id->msec = (int64_t)st->st_mtim.tv_sec;
	id->mnsec = (long)st->st_mtim.tv_nsec;
	id->csec = (int64_t)st->st_ctim.tv_sec;
	id->cnsec = (long)st->st_ctim.tv_nsec;
	id->valid = 1;
}

static int fileid_eq(const struct p11_fileid *a, const struct p11_fileid *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->msec == b->msec &&
	       a->mnsec == b->mnsec && a->csec == b->csec && a->cnsec == b->cnsec;
}

int p11_pinmem_dir(char *buf, size_t len)
{
	const char *h = getenv("HOME");
	struct passwd *pw;
	int n;

	if ((h == NULL || h[0] == '\0') && (pw = getpwuid(getuid())) != NULL) {
		h = pw->pw_dir;
	}
	if (h == NULL || h[0] == '\0') {
		return P11_ERR_NOT_FOUND;
	}
	n = snprintf(buf, len, "%s/.x509ssh", h);
	return n < 0 || (size_t)n >= len ? P11_ERR_TOO_LARGE : 0;
}

static int file_path(char *buf, size_t len, const char *name)
{
	char dir[PINMEM_LINE];
	int n, r;

	if ((r = p11_pinmem_dir(dir, sizeof(dir))) != 0) {
		return r;
	}
	n = snprintf(buf, len, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= len ? P11_ERR_TOO_LARGE : 0;
}

int p11_pinmem_path(char *buf, size_t len)
{
	return file_path(buf, len, "pin-refused");
}

/* %-encode every byte but [A-Za-z0-9._/-] (no space, so a line splits on spaces) */
static void enc(char *dst, size_t dstlen, const char *src, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char c;

	for (; *src != '\0' && o + 4 <= dstlen && o + 3 <= cap; src++) {
		c = (unsigned char)*src;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-' || c == '/') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
}

/* the token's key: manufacturer, model, serial and label, each encoded, joined by ',' */
static void token_key(const struct p11_token *t, char *out, size_t len)
{
	char m[100], mo[52], s[52], l[100];

	enc(m, sizeof(m), t->manufacturer, sizeof(m));
	enc(mo, sizeof(mo), t->model, sizeof(mo));
	enc(s, sizeof(s), t->serial, sizeof(s));
	enc(l, sizeof(l), t->label, sizeof(l));
	snprintf(out, len, "%s,%s,%s,%s", m[0] ? m : "-", mo[0] ? mo : "-", s[0] ? s : "-",
	    l[0] ? l : "-");
}

/* one line into a record; 0, or -1 for a line that does not parse (dropped) */
static int parse_line(const char *line, struct rec *r)
{
	unsigned long long dev, ino;
	long long size, ms, cs, when;
	long mns, cns;
	int used = 0;

	if (strlen(line) >= PINMEM_LINE ||
	    sscanf(line, "%1399s %llu %llu %lld %lld.%ld %lld.%ld %lld %1399s%n", r->tok, &dev,
	        &ino, &size, &ms, &mns, &cs, &cns, &when, r->path, &used) != 10 ||
	    line[used] != '\0' || mns < 0 || mns > 999999999 || cns < 0 || cns > 999999999) {
		return -1;
	}
	memset(&r->id, 0, sizeof(r->id));
	r->id.dev = dev;
	r->id.ino = ino;
	r->id.size = size;
	r->id.msec = ms;
	r->id.mnsec = mns;
	r->id.csec = cs;
	r->id.cnsec = cns;
	r->id.valid = 1;
	r->when = when;
	return 0;
}

/* the records of the file (missing or unreadable: none); *n of at most PINMEM_MAX */
static void read_recs(struct rec *v, size_t *n)
{
	char path[PINMEM_LINE], line[PINMEM_LINE + 2];
	size_t total = 0, len;
	FILE *f;

	*n = 0;
	if (p11_pinmem_path(path, sizeof(path)) != 0 || (f = fopen(path, "re")) == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL && total < PINMEM_READ_MAX) {
		len = strlen(line);
		total += len;
		if (len == 0 || line[len - 1] != '\n') {
			/* an overlong line: skip its rest */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n') {
			}
			continue;
		}
		line[len - 1] = '\0';
		if (parse_line(line, &v[*n]) != 0) {
			continue;
		}
		if (*n == PINMEM_MAX) {
			memmove(v, v + 1, PINMEM_MAX * sizeof(*v)); /* keep the newest */
		} else {
			(*n)++;
		}
	}
	fclose(f);
}

int p11_pinmem_refused(const struct p11_token *t, const struct p11_fileid *id, long long *when)
{
	char key[PINMEM_LINE];
	struct rec *v;
	size_t n = 0, i;
	int found = 0;

	if ((v = calloc(PINMEM_MAX + 1, sizeof(*v))) == NULL) {
		return 0;
	}
	token_key(t, key, sizeof(key));
	read_recs(v, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].tok, key) == 0 && fileid_eq(&v[i].id, id)) {
			*when = v[i].when;
			found = 1;
		}
	}
	free(v);
	return found;
}

static int write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* rewrite the file with v[0..n) (a temporary file renamed over it) */
static int write_recs(const struct rec *v, size_t n)
{
	char path[PINMEM_LINE], tmp[PINMEM_LINE + 16], line[PINMEM_LINE * 2 + 128];
	size_t i;
	int fd, len, r = P11_ERR_SYSTEM;

	if (p11_pinmem_path(path, sizeof(path)) != 0) {
		return P11_ERR_NOT_FOUND;
	}
	/* mkostemp's template (path is shorter than PINMEM_LINE: it fits); the file is made 0600 */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		return P11_ERR_SYSTEM;
	}
	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof(line),
		    "%s %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 ".%09ld %" PRId64
		    ".%09ld %lld %s\n",
		    v[i].tok, v[i].id.dev, v[i].id.ino, v[i].id.size, v[i].id.msec, v[i].id.mnsec,
		    v[i].id.csec, v[i].id.cnsec, v[i].when, v[i].path);
		if (len < 0 || (size_t)len >= sizeof(line) ||
		    write_all(fd, line, (size_t)len) != 0) {
			goto out;
		}
	}
	if (fsync(fd) != 0) {
		goto out;
	}
	if (rename(tmp, path) != 0) {
		goto out;
	}
	tmp[0] = '\0';
	r = 0;
out:
	close(fd);
	if (tmp[0] != '\0') {
		unlink(tmp);
	}
	return r;
}

/* ~/.x509ssh (created mode 0700 if missing) and the lock held: the lock's fd, or negative */
static int lock_dir(void)
{
	char dir[PINMEM_LINE], lock[PINMEM_LINE];
	int fd;

	if (p11_pinmem_dir(dir, sizeof(dir)) != 0 ||
	    file_path(lock, sizeof(lock), "pin-refused.lock") != 0) {
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		return -1;
	}
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* under the lock: read, drop the token's records of this file (add = 1: then add one), write */
static int update(const struct p11_token *t, const struct p11_fileid *id, const char *file, int add)
{
	char key[PINMEM_LINE], epath[PINMEM_LINE];
	struct rec *v = NULL;
	size_t n = 0, i, kept = 0;
	int lfd, r = P11_ERR_SYSTEM, changed = add;

	if ((lfd = lock_dir()) < 0) {
		return P11_ERR_SYSTEM;
	}
	if ((v = calloc(PINMEM_MAX + 1, sizeof(*v))) == NULL) {
		r = P11_ERR_ALLOC;
		goto out;
	}
	token_key(t, key, sizeof(key));
	enc(epath, sizeof(epath), file, PINMEM_PATH_ENC);
	read_recs(v, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].tok, key) == 0 &&
		    ((v[i].id.dev == id->dev && v[i].id.ino == id->ino) ||
		        strcmp(v[i].path, epath) == 0)) {
			changed = 1;
			continue;
		}
		v[kept++] = v[i];
	}
	if (!changed) {
		r = 0;
		goto out;
	}
	if (add) {
		if (kept == PINMEM_MAX) {
			memmove(v, v + 1, (PINMEM_MAX - 1) * sizeof(*v));
			kept--;
		}
		snprintf(v[kept].tok, sizeof(v[kept].tok), "%s", key);
		snprintf(v[kept].path, sizeof(v[kept].path), "%s", epath[0] ? epath : "-");
		v[kept].id = *id;
		v[kept].when = (long long)time(NULL);
		kept++;
	}
	r = write_recs(v, kept);
out:
	free(v);
	close(lfd); /* releases the lock */
	return r;
}

int p11_pinmem_record(const struct p11_token *t, const struct p11_fileid *id, const char *file)
{
	return update(t, id, file, 1);
}

int p11_pinmem_clear(const struct p11_token *t, const struct p11_fileid *id, const char *file)
{
	char path[PINMEM_LINE];

	/* nothing recorded (the common case): no directory, lock or file is made */
	if (p11_pinmem_path(path, sizeof(path)) != 0 || access(path, F_OK) != 0) {
		return 0;
	}
	return update(t, id, file, 0);
}
