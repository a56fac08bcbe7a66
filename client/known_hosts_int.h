/* known_hosts.c and known_hosts_keep.c: the files kept in memory for a run. */
#ifndef X509SSH_KNOWN_HOSTS_INT_H
#define X509SSH_KNOWN_HOSTS_INT_H

#include <stddef.h>
#include <stdio.h>

/* 1 when the file is kept (*fp: a stream over the copy, NULL when it is empty or missing), 0
 * when the caller reads the file itself. */
int kh_keep_open(const char *path, FILE **fp);
/* a line the run appended to path: added to the kept copy, if any */
void kh_keep_append(const char *path, const char *line, size_t len);

#endif
