/* Logging: OpenSSH-like lines on stderr or in the -E file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "ssh/conn.h"
#include "ssh/err.h"

#define LOG_LINE_MAX 2048

static int log_level = LOG_INFO;
static FILE *log_file = NULL;
static const char *log_prog = "x509ssh: ";

int log_init(int level, const char *logfile)
{
	log_set_level(level);
	if (logfile != NULL) {
		FILE *f = fopen(logfile, "a");
		if (f == NULL) {
			return SSH_ERR_SYSTEM;
		}
		setvbuf(f, NULL, _IOLBF, 0);
		log_close();
		log_file = f;
	}
	return 0;
}

void log_set_program(int fleet)
{
	log_prog = fleet ? "x509ssh-fleet: " : "x509ssh: ";
}

void log_set_level(int level)
{
	if (level < LOG_QUIET) {
		level = LOG_QUIET;
	}
	if (level > LOG_DEBUG3) {
		level = LOG_DEBUG3;
	}
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

void log_close(void)
{
	if (log_file != NULL) {
		fclose(log_file);
		log_file = NULL;
	}
}

static const char *level_prefix(int level)
{
	switch (level) {
	case LOG_DEBUG1:
		return "debug1: ";
	case LOG_DEBUG2:
		return "debug2: ";
	case LOG_DEBUG3:
		return "debug3: ";
	default:
		return "";
	}
}

/* Replace control characters (a server's text may reach us) so one message stays one line. */
static void sanitise(char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			*s = '?';
		}
	}
}

static void emit(FILE *f, const char *prefix, const char *line)
{
	int saved = errno;

	/* one write per line so concurrent output does not interleave mid-line */
	fprintf(f, "%s%s\n", prefix, line);
	fflush(f);
	errno = saved;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	if (level > log_level || level <= LOG_QUIET) {
		return;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	sanitise(line);
	emit(log_file != NULL ? log_file : stderr, level_prefix(level), line);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void fatal_line(const char *msg)
{
	char line[LOG_LINE_MAX];

	/* printed at every level, QUIET included: a failure always says why */
	snprintf(line, sizeof(line), "%s", msg != NULL ? msg : "internal error");
	sanitise(line);
	emit(stderr, log_prog, line);
	if (log_file != NULL) {
		emit(log_file, log_prog, line);
	}
}

void fatal_error(const char *category, const char *fmt, ...)
{
	char cause[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", category, cause);
	fatal_line(line);
}

void log_conn_cb(void *arg, int level, const char *msg)
{
	(void)arg;
	log_msg(level, "%s", msg);
}
