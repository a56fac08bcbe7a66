/* libFuzzer target: the fleet's JSON Lines writer and status line (client/fleet/report.c,
 * json.c) on arbitrary bytes: the input is cut into the result's strings and streams; every
 * object must be one line of valid JSON (tests/unit/t_json.h) whatever the bytes, and the
 * status line must hold no control character but its final newline. The -b gathering runs on
 * the same pieces. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gather.h"
#include "json.h"
#include "report.h"
#include "sbuf.h"
#include "t_json.h"

/* the next piece of the input: a length byte then that many bytes, as a C string */
static char *piece(const uint8_t **p, const uint8_t *end, size_t *len)
{
	size_t n;
	char *s;

	if (*p >= end) {
		*len = 0;
		return NULL;
	}
	n = **p;
	(*p)++;
	if (n > (size_t)(end - *p)) {
		n = (size_t)(end - *p);
	}
	s = malloc(n + 1);
	if (s == NULL) {
		abort();
	}
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n;
	*len = n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct fleet_result r;
	struct fleet_line l;
	struct fleet_sb sb = FLEET_SB_INIT;
	struct fleet_gather *g;
	struct tm tm;
	char *s[8];
	size_t n[8], i, max;

	if (size < 3) {
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.status = (enum fleet_status)(data[0] % (FLEET_STATUS_COUNT + 1));
	max = data[1] == 255 ? SIZE_MAX : data[1];
	r.exit_status = (int)data[2] - 128;
	p += 3;
	for (i = 0; i < 8; i++) {
		s[i] = piece(&p, end, &n[i]);
	}
	r.host = s[0] != NULL ? s[0] : "h";
	r.user = s[1];
	r.signal = s[2];
	r.err_line = s[3];
	r.x509_subject = s[4];
	r.hostkey_fp = s[5];
	r.out.data = s[6];
	r.out.len = n[6];
	r.out.total = n[6] + (data[2] & 1);
	r.err.data = s[7];
	r.err.len = n[7];
	r.err.total = n[7];
	r.t_kex_us = FLEET_NO_TIME;
	r.t_total_us = (int64_t)size * 1000003;
	fleet_json_result(&sb, &r, max);
	if (sb.err || !t_json_valid(sb.p, sb.len) ||
	    memchr(sb.p, '\n', sb.len) != sb.p + sb.len - 1) {
		abort();
	}
	/* the whole input as one string */
	fleet_sb_reset(&sb);
	fleet_json_str(&sb, data, size);
	if (sb.err || !t_json_valid(sb.p, sb.len)) {
		abort();
	}
	fleet_sb_reset(&sb);
	memset(&tm, 0, sizeof(tm));
	memset(&l, 0, sizeof(l));
	l.index = 1;
	l.total = 2;
	l.when = &tm;
	l.host = r.host;
	l.status = r.status;
	l.signal = r.signal;
	l.cause = r.err_line;
	fleet_report_line(&sb, &l);
	for (i = 0; i + 1 < sb.len; i++) {
		if ((unsigned char)sb.p[i] < 0x20 || sb.p[i] == 0x7f) {
			abort();
		}
	}
	g = fleet_gather_new();
	if (g == NULL || fleet_gather_add(g, r.host, s[3], s[6], n[6], s[7], n[7]) != 0 ||
	    fleet_gather_add(g, s[1] != NULL ? s[1] : "u", NULL, s[6], n[6], NULL, 0) != 0 ||
	    fleet_gather_add(g, s[5] != NULL ? s[5] : "v", s[3], s[6], n[6], s[7], n[7]) != 0) {
		abort();
	}
	fleet_sb_reset(&sb);
	if (fleet_gather_write(g, &sb) != 0) {
		abort();
	}
	fleet_gather_free(g);
	fleet_sb_free(&sb);
	for (i = 0; i < 8; i++) {
		free(s[i]);
	}
	return 0;
}
