/* report: status lines, JSON Lines objects and the summary of a fleet run (see report.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "report.h"

static const struct fleet_status_info statuses[FLEET_STATUS_COUNT] = {
    [FLEET_OK] = {"ok", "OK", FLEET_CLASS_OK},
    [FLEET_EXIT] = {"exit", "EXIT", FLEET_CLASS_REMOTE},
    [FLEET_SIGNAL] = {"signal", "SIGNAL", FLEET_CLASS_REMOTE},
    [FLEET_REFUSED] = {"refused", "REFUSED", FLEET_CLASS_LOCAL},
    [FLEET_UNREACHABLE] = {"unreachable", "UNREACHABLE", FLEET_CLASS_LOCAL},
    [FLEET_TIMEOUT] = {"timeout", "TIMEOUT", FLEET_CLASS_LOCAL},
    [FLEET_HOSTKEY] = {"hostkey", "HOSTKEY", FLEET_CLASS_LOCAL},
    [FLEET_TRUST] = {"trust", "TRUST", FLEET_CLASS_LOCAL},
    [FLEET_KEX] = {"kex", "KEX", FLEET_CLASS_LOCAL},
    [FLEET_AUTH] = {"auth", "AUTH", FLEET_CLASS_LOCAL},
    [FLEET_PKCS11] = {"pkcs11", "PKCS11", FLEET_CLASS_LOCAL},
    [FLEET_CHANNEL] = {"channel", "CHANNEL", FLEET_CLASS_LOCAL},
    [FLEET_CONFIG] = {"config", "CONFIG", FLEET_CLASS_LOCAL},
    [FLEET_ERROR] = {"error", "ERROR", FLEET_CLASS_LOCAL},
};

const struct fleet_status_info *fleet_status_info(enum fleet_status s)
{
	if ((unsigned)s >= FLEET_STATUS_COUNT) {
		s = FLEET_ERROR;
	}
	return &statuses[s];
}

int fleet_status_from_json(const char *word, enum fleet_status *s)
{
	unsigned i;

	for (i = 0; i < FLEET_STATUS_COUNT; i++) {
		if (strcmp(statuses[i].json, word) == 0) {
			*s = (enum fleet_status)i;
			return 0;
		}
	}
	return -1;
}

/* "S.ss" seconds from microseconds, rounded to 1/100 */
static void add_secs2(struct fleet_sb *sb, uint64_t us)
{
	uint64_t cs = us / 10000 + (us % 10000 >= 5000 ? 1 : 0);

	fleet_sb_printf(
	    sb, "%llu.%02llu", (unsigned long long)(cs / 100), (unsigned long long)(cs % 100));
}

/* "S.mmm" seconds from microseconds, rounded to 1/1000; null when negative */
static void add_secs3(struct fleet_sb *sb, int64_t us)
{
	uint64_t ms;

	if (us < 0) {
		fleet_sb_str(sb, "null");
		return;
	}
	ms = (uint64_t)us / 1000 + ((uint64_t)us % 1000 >= 500 ? 1 : 0);
	fleet_sb_printf(
	    sb, "%llu.%03llu", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
}

/* text with control characters (and DEL) shown as '?' */
static void add_shown(struct fleet_sb *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		fleet_sb_ch(sb, c < 0x20 || c == 0x7f ? '?' : *s);
	}
}

void fleet_report_line(struct fleet_sb *sb, const struct fleet_line *l)
{
	const struct fleet_status_info *si = fleet_status_info(l->status);

	fleet_sb_printf(sb, "[%zu/%zu] %02d:%02d:%02d %s ", l->index, l->total, l->when->tm_hour,
	    l->when->tm_min, l->when->tm_sec, si->line);
	add_shown(sb, l->host);
	fleet_sb_str(sb, " (");
	if (si->cls == FLEET_CLASS_OK || l->status == FLEET_EXIT) {
		fleet_sb_printf(sb, "exit %d", l->exit_status);
	} else if (l->status == FLEET_SIGNAL) {
		fleet_sb_str(sb, "signal ");
		add_shown(sb, l->signal != NULL ? l->signal : "?");
	} else {
		add_shown(sb, l->cause != NULL ? l->cause : si->json);
	}
	fleet_sb_str(sb, ", ");
	add_secs2(sb, l->elapsed_us);
	fleet_sb_str(sb, " s)\n");
}

/* ,"key": */
static void key(struct fleet_sb *sb, const char *k)
{
	fleet_sb_ch(sb, ',');
	fleet_json_cstr(sb, k);
	fleet_sb_ch(sb, ':');
}

/* "name":..., "name_bytes":..., "name_base64":..., "name_truncated":... */
static void add_stream(
    struct fleet_sb *sb, const char *name, const struct fleet_stream *st, size_t max_output)
{
	const unsigned char *p = st->data;
	size_t n = st->len < max_output ? st->len : max_output;
	int truncated = (uint64_t)n < st->total, b64;
	char k[32];

	if (p == NULL) {
		n = 0;
		truncated = st->total > 0;
	}
	if (truncated) {
		n = fleet_utf8_cut(p, n);
	}
	b64 = n > 0 && !fleet_utf8_valid(p, n);
	key(sb, name);
	if (b64) {
		fleet_sb_ch(sb, '"');
		fleet_base64(sb, p, n);
		fleet_sb_ch(sb, '"');
	} else {
		fleet_json_str(sb, p, n);
	}
	snprintf(k, sizeof(k), "%s_bytes", name);
	key(sb, k);
	fleet_sb_printf(sb, "%llu", (unsigned long long)st->total);
	snprintf(k, sizeof(k), "%s_base64", name);
	key(sb, k);
	fleet_sb_str(sb, b64 ? "true" : "false");
	snprintf(k, sizeof(k), "%s_truncated", name);
	key(sb, k);
	fleet_sb_str(sb, truncated ? "true" : "false");
}

void fleet_json_result(struct fleet_sb *sb, const struct fleet_result *r, size_t max_output)
{
	const struct fleet_status_info *si = fleet_status_info(r->status);
	static const struct {
		const char *name;
		size_t off;
	} times[] = {
	    {"connect", offsetof(struct fleet_result, t_connect_us)},
	    {"kex", offsetof(struct fleet_result, t_kex_us)},
	    {"auth", offsetof(struct fleet_result, t_auth_us)},
	    {"command", offsetof(struct fleet_result, t_command_us)},
	    {"total", offsetof(struct fleet_result, t_total_us)},
	};
	size_t i;
	int64_t t;

	fleet_sb_str(sb, "{\"type\":\"host\"");
	key(sb, "host");
	fleet_json_cstr(sb, r->host);
	key(sb, "address");
	fleet_json_cstr(sb, r->address);
	key(sb, "port");
	if (r->port > 0) {
		fleet_sb_printf(sb, "%d", r->port);
	} else {
		fleet_sb_str(sb, "null");
	}
	key(sb, "user");
	fleet_json_cstr(sb, r->user);
	key(sb, "status");
	fleet_json_cstr(sb, si->json);
	key(sb, "exit_status");
	if (r->status == FLEET_OK || r->status == FLEET_EXIT) {
		fleet_sb_printf(sb, "%d", r->exit_status);
	} else {
		fleet_sb_str(sb, "null");
	}
	key(sb, "signal");
	fleet_json_cstr(sb, r->status == FLEET_SIGNAL ? r->signal : NULL);
	key(sb, "error");
	if (r->err_category != NULL || r->err_line != NULL) {
		fleet_sb_str(sb, "{\"category\":");
		fleet_json_cstr(sb, r->err_category);
		key(sb, "line");
		fleet_json_cstr(sb, r->err_line);
		fleet_sb_ch(sb, '}');
	} else {
		fleet_sb_str(sb, "null");
	}
	key(sb, "hostkey");
	if (r->hostkey_alg != NULL || r->hostkey_fp != NULL) {
		fleet_sb_str(sb, "{\"algorithm\":");
		fleet_json_cstr(sb, r->hostkey_alg);
		key(sb, "fingerprint");
		fleet_json_cstr(sb, r->hostkey_fp);
		fleet_sb_ch(sb, '}');
	} else {
		fleet_sb_str(sb, "null");
	}
	key(sb, "x509");
	if (r->x509_subject != NULL || r->x509_verdict != NULL) {
		fleet_sb_str(sb, "{\"subject\":");
		fleet_json_cstr(sb, r->x509_subject);
		key(sb, "issuer");
		fleet_json_cstr(sb, r->x509_issuer);
		key(sb, "not_after");
		fleet_json_cstr(sb, r->x509_not_after);
		key(sb, "verdict");
		fleet_json_cstr(sb, r->x509_verdict);
		fleet_sb_ch(sb, '}');
	} else {
		fleet_sb_str(sb, "null");
	}
	key(sb, "auth_method");
	fleet_json_cstr(sb, r->auth_method);
	key(sb, "timings");
	fleet_sb_ch(sb, '{');
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		memcpy(&t, (const char *)r + times[i].off, sizeof(t));
		if (i > 0) {
			fleet_sb_ch(sb, ',');
		}
		fleet_json_cstr(sb, times[i].name);
		fleet_sb_ch(sb, ':');
		add_secs3(sb, t);
	}
	fleet_sb_ch(sb, '}');
	add_stream(sb, "stdout", &r->out, max_output);
	add_stream(sb, "stderr", &r->err, max_output);
	fleet_sb_str(sb, "}\n");
}

void fleet_summary_add(struct fleet_summary *s, enum fleet_status st)
{
	if ((unsigned)st >= FLEET_STATUS_COUNT) {
		st = FLEET_ERROR;
	}
	s->hosts++;
	s->count[st]++;
}

int fleet_summary_exit_code(const struct fleet_summary *s)
{
	unsigned i;
	int code = 0;

	for (i = 0; i < FLEET_STATUS_COUNT; i++) {
		if (s->count[i] == 0) {
			continue;
		}
		if (statuses[i].cls == FLEET_CLASS_LOCAL) {
			return 255;
		}
		if (i == FLEET_SIGNAL) {
			code = 3;
		} else if (i == FLEET_EXIT && code == 0) {
			code = 4;
		}
	}
	return code;
}

void fleet_json_summary(struct fleet_sb *sb, const struct fleet_summary *s)
{
	unsigned i;

	fleet_sb_printf(sb, "{\"type\":\"summary\",\"hosts\":%zu", s->hosts);
	for (i = 0; i < FLEET_STATUS_COUNT; i++) {
		key(sb, statuses[i].json);
		fleet_sb_printf(sb, "%zu", s->count[i]);
	}
	key(sb, "wall");
	add_secs3(sb, s->wall_us > INT64_MAX ? INT64_MAX : (int64_t)s->wall_us);
	key(sb, "exit_code");
	fleet_sb_printf(sb, "%d", fleet_summary_exit_code(s));
	fleet_sb_str(sb, "}\n");
}
