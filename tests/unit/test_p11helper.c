/*
 * The program's side of the token helper against a helper that lies: this program, run again as
 * the helper (argv[1] is the helper's marker), answers as T_FAKE says instead of loading modules.
 * Every lie ends the helper with one message and fails the load, without reading past what was
 * sent or writing past the caller's arrays: a LOAD reply listing more slots than the cap, a reply
 * cut short, a C_FindObjects reply with more handles than asked for, an attribute value longer
 * than the caller's buffer, an output frame of more lines than the cap or two frames ahead of one
 * reply; a helper that exits is reported with its status. Each case runs in a
 * child process (the helper is one per process).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11.h"
#include "p11rpc.h"
#include "t.h"

/* ---- the lying helper ---- */

static void reply(struct p11rpc_w *w)
{
	if (p11rpc_send(P11RPC_FD, w) != 0) {
		_exit(1);
	}
	p11rpc_w_free(w);
}

/* LOAD: `slots` slots (handles 1.., slot ids 0..), or a reply cut after its lines */
static void load_reply(uint32_t slots, int cut)
{
	struct p11rpc_w w;
	uint32_t i;

	p11rpc_w_init(&w);
	p11rpc_w_u64(&w, CKR_OK);
	p11rpc_w_u32(&w, 0);  /* status */
	p11rpc_w_str(&w, ""); /* error */
	if (!cut) {
		p11rpc_w_u32(&w, 1); /* load id */
		p11rpc_w_u32(&w, slots);
		for (i = 0; i < slots; i++) {
			p11rpc_w_u64(&w, i + 1);
			p11rpc_w_u64(&w, i);
		}
	}
	reply(&w);
}

/* an output frame of n lines ahead of the reply */
static void output_frame(uint32_t n)
{
	struct p11rpc_w w;
	uint32_t i;

	p11rpc_w_init(&w);
	p11rpc_w_u64(&w, P11RPC_OUTPUT);
	p11rpc_w_u32(&w, n);
	for (i = 0; i < n; i++) {
		p11rpc_w_str(&w, "module line");
	}
	reply(&w);
}

static void fake_helper(const char *how)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	struct p11rpc_w w;
	uint8_t *msg;
	size_t len;
	uint32_t i;

	while (p11rpc_recv(P11RPC_FD, &msg, &len) == 0) {
		uint8_t op = len > 0 ? msg[0] : 0;

		p11rpc_msg_free(msg, len);
		p11rpc_w_init(&w);
		if (op == P11RPC_LOAD) {
			if (strcmp(how, "exit") == 0) {
				_exit(7);
			}
			if (strcmp(how, "lines") == 0 || strcmp(how, "frames") == 0) {
				output_frame(strcmp(how, "lines") == 0 ? 1000 : 1);
			}
			if (strcmp(how, "frames") == 0) {
				output_frame(1);
			}
			load_reply(strcmp(how, "slots") == 0 ? 1000 : 1, strcmp(how, "cut") == 0);
			continue;
		}
		p11rpc_w_u64(&w, CKR_OK);
		switch (op) {
		case P11RPC_GET_SLOT_INFO:
			memset(&si, ' ', sizeof(si));
			si.flags = CKF_TOKEN_PRESENT;
			p11rpc_w_slot_info(&w, &si);
			break;
		case P11RPC_GET_TOKEN_INFO:
			memset(&ti, ' ', sizeof(ti));
			memcpy(ti.label, "fake", 4);
			ti.flags = CKF_TOKEN_INITIALIZED;
			p11rpc_w_token_info(&w, &ti);
			break;
		case P11RPC_OPEN_SESSION:
			p11rpc_w_u64(&w, 1);
			break;
		case P11RPC_FIND_OBJECTS:
			if (strcmp(how, "find") == 0) { /* more than the 256 asked for */
				p11rpc_w_u32(&w, 300);
				for (i = 0; i < 300; i++) {
					p11rpc_w_u64(&w, i + 1);
				}
			} else {
				p11rpc_w_u32(&w, 1);
				p11rpc_w_u64(&w, 5);
			}
			break;
		case P11RPC_GET_ATTRIBUTE_VALUE: /* 64 bytes whatever the buffer ("attr") */
			p11rpc_w_u32(&w, 1);
			p11rpc_w_u64(&w, 64);
			p11rpc_w_u8(&w, strcmp(how, "attr") == 0);
			if (strcmp(how, "attr") == 0) {
				uint8_t v[64];

				memset(v, 0x30, sizeof(v));
				p11rpc_w_bytes(&w, v, sizeof(v));
			}
			break;
		default: /* FindObjectsInit, Final, CloseSession, UNLOAD: the CK_RV alone */
			break;
		}
		reply(&w);
	}
	_exit(0);
}

/* ---- the cases ---- */

/* in a child: load through the fake helper; 0 when the load failed with want as its message */
static int fails_with(const char *how, const char *want)
{
	struct p11_opts o = {.batch_mode = 1, .helper = 1};
	struct signer **v = NULL;
	char err[512] = "";
	size_t n = 0;
	pid_t pid;
	int st = 0, r;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		return -1;
	}
	if (pid == 0) {
		setenv("T_FAKE", how, 1);
		r = p11_load_signers(
		    "pkcs11:token=fake?module-path=/nonexistent.so", &o, &v, &n, err, sizeof(err));
		if (r == 0 || strcmp(err, want) != 0 || p11_helper_failure() == NULL ||
		    strcmp(p11_helper_failure(), want) != 0) {
			fprintf(stderr, "  %s: %d \"%s\"\n", how, r, err);
			p11_free_signers(v, n);
			_exit(1);
		}
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0) {
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char broken[] = "the token helper sent a malformed reply (stopped)";

	if (argc == 2 && strcmp(argv[1], P11RPC_MARK) == 0) {
		fake_helper(getenv("T_FAKE") != NULL ? getenv("T_FAKE") : "");
	}
	CHECK_EQ_INT(fails_with("slots", broken), 0);
	CHECK_EQ_INT(fails_with("cut", broken), 0);
	CHECK_EQ_INT(fails_with("find", broken), 0);
	CHECK_EQ_INT(fails_with("attr", broken), 0);
	CHECK_EQ_INT(fails_with("lines", broken), 0);
	CHECK_EQ_INT(fails_with("frames", broken), 0);
	CHECK_EQ_INT(fails_with("exit", "the token module exited with status 7"), 0);
	T_DONE();
}
