/*
 * Logging for the client around the engine: levels of enum log_level (options.h), OpenSSH-like
 * output ("debug1: ..." lines, plain lines for info/verbose/error), optional -E log file, and the
 * one-line "x509ssh: category: cause" form for fatal errors.
 * Never pass a password, passphrase or PIN to any of these.
 */
#ifndef X509SSH_LOG_H
#define X509SSH_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "errfmt.h"

/* Set the level (enum log_level) and, if logfile is not NULL, append everything to that file
 * instead of stderr. Returns 0, or SSH_ERR_SYSTEM when the file cannot be opened (errno set). */
int log_init(int level, const char *logfile);
void log_set_level(int level);
int log_get_level(void);
void log_close(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_error(...)   log_msg(2 /* LOG_ERROR */, __VA_ARGS__)
#define log_info(...)    log_msg(3 /* LOG_INFO */, __VA_ARGS__)
#define log_verbose(...) log_msg(4 /* LOG_VERBOSE */, __VA_ARGS__)
#define log_debug1(...)  log_msg(5 /* LOG_DEBUG1 */, __VA_ARGS__)
#define log_debug2(...)  log_msg(6 /* LOG_DEBUG2 */, __VA_ARGS__)
#define log_debug3(...)  log_msg(7 /* LOG_DEBUG3 */, __VA_ARGS__)

/*
 * Print exactly one line "x509ssh: category: cause" (to stderr, and to the -E file if any).
 * Suppressed only by LogLevel QUIET, like OpenSSH's fatal(). Does not exit.
 */
void fatal_error(const char *category, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with a preformatted "category: cause" message (e.g. ssh_conn_error()). */
void fatal_line(const char *msg);
/* The program those lines name: x509ssh (0, the default) or x509ssh-fleet (1). */
void log_set_program(int fleet);

/* errfmt(err, errlen, fmt, ...): "cause" messages into a caller's buffer (errfmt.h) */

/* Callback for ssh_conn_config.log (arg unused). */
void log_conn_cb(void *arg, int level, const char *msg);

#endif
