/* Edge cases of the client engine's session channel, driven over byte buffers against the
 * in-memory server (engine_rig.h, testsrv.h):
 *   - our CHANNEL_CLOSE held back by a key exchange: the session is not "done" until it went out;
 *   - a server announcing a maximum packet of 1 byte: the stdin room counts each packet's framing,
 *     so writing all of it succeeds and the output stays under its cap;
 *   - (issue 8) messages for the channel after its CLOSE, empty CHANNEL_DATA. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "t.h"
#include "testsrv.h"
#include "engine_rig.h"

/* 2. the server closes the channel while our rekey is in flight: our CLOSE waits for NEWKEYS
 * and the session is not done before it went out */
static void test_close_held(void)
{
	struct rig r;
	struct ssh_event ev;
	size_t n = 1;
	int ok = rig_session(&r, 100000, 32768, 10) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 12000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 96); /* EOF */
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 97); /* CLOSE */
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(testsrv_next_event(r.s.c, SSH_EV_EXIT, &ev));
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK_EQ_INT(n, 0); /* nothing but kex messages may go out now */
	CHECK_EQ_INT(ssh_conn_done(r.s.c), 0);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_EQ_INT(testsrv_newkeys(&r.s), 0);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 97); /* our CLOSE, under the new keys */
	CHECK_EQ_INT(testsrv_next_type(&r.s), -1);
	CHECK_EQ_INT(ssh_conn_done(r.s.c), 1);
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* 3. the server's maximum packet is 1 byte and its window 4 GiB: each byte is a packet of its own.
 * Writing the whole room, again and again without draining, never fails and never takes the
 * output past its cap (plus one packet); then every byte reaches the server, in order. */
static void test_tiny_maxpkt(void)
{
	struct rig r;
	uint8_t *d = NULL;
	size_t room = 0, first = 0, total = 0, n = 0, i, got = 0, bad = 0;
	int rounds = 0, ok = rig_session(&r, 0xffffffffu, 1, 0) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	first = ssh_conn_stdin_room(r.s.c);
	CHECK(first > 0 && first < OUT_CAP / 16);
	if ((d = malloc(first)) == NULL) {
		CHECK(d != NULL);
		goto out;
	}
	while ((room = ssh_conn_stdin_room(r.s.c)) > 0 && room <= first && rounds++ < 200) {
		for (i = 0; i < room; i++) {
			d[i] = PATTERN(total + i);
		}
		if (ssh_conn_stdin_write(r.s.c, d, room) != 0) {
			break;
		}
		total += room;
		(void)ssh_conn_send_ptr(r.s.c, &n);
		if (n > OUT_CAP + ONE_PACKET) {
			break;
		}
	}
	CHECK_EQ_INT(room, 0); /* the writes filled the output up, none failed */
	CHECK_STR(conn_err(r.s.c), "");
	(void)ssh_conn_send_ptr(r.s.c, &n);
	CHECK(n > OUT_CAP / 2 && n <= OUT_CAP + ONE_PACKET);
	/* every byte arrives, one per packet, in order */
	testsrv_pump(&r.s);
	while (testsrv_recv(&r.s, &r.s.p) == 1) {
		if (buf_len(&r.s.p) != 10 || buf_ptr(&r.s.p)[0] != 94 || got >= total ||
		    buf_ptr(&r.s.p)[9] != PATTERN(got)) {
			bad++;
		}
		got++;
	}
	CHECK_EQ_INT(got, total);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(ssh_conn_stdin_room(r.s.c), first); /* output drained: the same room again */
out:
	free(d);
	rig_free(&r);
}

/* 7. (issue 8 #3) anything for the channel after the server's CLOSE is a specific channel error,
 * whether it comes in the same read as the CLOSE or later */
static void test_after_close(void)
{
	static const struct {
		uint8_t type;
		const char *want;
	} rows[] = {
	    {94, "channel: the server sent data after closing the channel"},
	    {95, "channel: the server sent data after closing the channel"},
	    {96, "channel: the server sent EOF after closing the channel"},
	    {97, "channel: the server sent a second CLOSE after closing the channel"},
	    {98, "channel: the server sent a channel request after closing the channel"},
	    {93, "channel: the server sent a window adjustment after closing the channel"},
	};
	size_t i;
	int same_read;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (same_read = 0; same_read < 2; same_read++) {
			struct rig r;
			struct ssh_event ev;
			struct buf wire;
			int ok = rig_session(&r, 100000, 32768, 0) == 0;

			buf_init(&wire);
			CHECK(ok);
			if (!ok) {
				rig_free(&r);
				continue;
			}
			chan_msg(&r, 98); /* exit-status 3 */
			srv_seal(&r, &r.s.p, &wire);
			chan_msg(&r, 97); /* CLOSE */
			srv_seal(&r, &r.s.p, &wire);
			if (!same_read) {
				CHECK_EQ_INT(
				    ssh_conn_recv(r.s.c, buf_ptr(&wire), buf_len(&wire)), 0);
				CHECK(testsrv_next_event(r.s.c, SSH_EV_EXIT, &ev) &&
				      ev.u.exit.has_status && ev.u.exit.status == 3);
				buf_reset(&wire);
			}
			chan_msg(&r, rows[i].type);
			srv_seal(&r, &r.s.p, &wire);
			CHECK(ssh_conn_recv(r.s.c, buf_ptr(&wire), buf_len(&wire)) < 0);
			CHECK_STR(conn_err(r.s.c), rows[i].want);
			CHECK_EQ_INT(ssh_conn_done(r.s.c), 0); /* not a clean end */
			buf_free(&wire);
			rig_free(&r);
		}
	}
}

/* 8. (issue 8 #4) an empty CHANNEL_DATA / EXTENDED_DATA before any data: nothing is buffered,
 * no event, no error (it reached buf_put with a buffer without storage: NULL + 0 under UBSan) */
static void test_empty_data(void)
{
	struct rig r;
	struct ssh_event ev;
	int ok = rig_session(&r, 100000, 32768, 0) == 0, k;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	for (k = 0; k < 2; k++) {
		buf_reset(&r.s.p);
		buf_put_u8(&r.s.p, k == 0 ? 94 : 95);
		buf_put_u32(&r.s.p, 0);
		if (k == 1) {
			buf_put_u32(&r.s.p, 1);
		}
		buf_put_string(&r.s.p, NULL, 0);
		srv_send(&r, &r.s.p);
	}
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(out_is(r.s.c, 0, "", 0));
	CHECK(out_is(r.s.c, 1, "", 0));
	CHECK(!ssh_conn_next_event(r.s.c, &ev));
	CHECK_EQ_INT(ssh_conn_channel_consumed(r.s.c, 0, 0), 0);
	chan_msg(&r, 94);
	srv_send(&r, &r.s.p);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_CHANNEL_DATA, &ev));
	CHECK(out_is(r.s.c, 0, "late", 4));
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

int main(void)
{
	test_close_held();
	test_tiny_maxpkt();
	test_after_close();
	test_empty_data();
	T_DONE();
}
