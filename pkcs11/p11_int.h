/* Internals shared by the pkcs11/ files: modules, tokens and keys. Not for the client. */
#ifndef X509SSH_P11_INT_H
#define X509SSH_P11_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "errfmt.h"
#include "p11.h"

#define P11_MAX_OBJECTS 256   /* objects of one class read from a token */
#define P11_MAX_ATTR    16384 /* bytes of one attribute value */
#define P11_PIN_MAX     256   /* bytes of a PIN, NUL included */

/* The set of initialized modules one load used; shared by its tokens. */
struct p11_modset {
	CK_FUNCTION_LIST **mods; /* NULL-terminated */
	int from_registry;       /* release with p11_kit_modules_finalize_and_release */
	int refs;
	int in_helper;        /* the modules are the token helper's (mods is NULL) */
	uint32_t helper_load; /* the helper's number for them */
};

/* The identity of a pin-source file (never its contents): what p11pinmem.c records. */
struct p11_fileid {
	uint64_t dev, ino;
	int64_t size, msec, csec;
	long mnsec, cnsec;
	int valid;
};

/* One token (slot) with one session; shared by its keys. */
struct p11_token {
	int refs;
	struct p11_modset *set;
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	int have_session;
	unsigned seq; /* order of discovery, for a stable key order */
	char label[33], serial[17], manufacturer[33], model[17];
	char *module_path; /* for the keys' URIs when the module was named by path, else NULL */
	int logged_in;
	int pin_failed;     /* a PIN was refused: never try again */
	pthread_mutex_t mu; /* serialises use of the session */
};

/* One key on a token; the signer's impl. */
struct p11_key {
	struct p11_token *tok;
	uint8_t *id;
	size_t idlen;
	char *label;
	EVP_PKEY *pub;
	const char *type; /* "RSA", "ECDSA", "Ed25519" */
	int bits;
	X509 *leaf;
	STACK_OF(X509) * chain;      /* as sent: leaf first, root only with send_root */
	struct signer_der_chain der; /* chain as DER, for the signer interface */

	/* login */
	int batch_mode;
	int can_ask;               /* the caller asks the user (SIGNER_NEED_SECRET) */
	char *uri_pin;             /* pin-value, or NULL */
	char *pin_file;            /* pin-source path, or NULL */
	struct p11_fileid pin_fid; /* of the pin-source file when k->pin came from it */
	char *pin;                 /* one mmap'd, mlocked page while a PIN is kept, else NULL */
	int always_auth;           /* -1 unknown until logged in */
	/* the PIN question, on the caller's thread (p11login.c): this key asks it, or waits for
	 * the question another key of the same token asks */
	int pin_wait;             /* P11_PIN_NONE, P11_PIN_ASKING, P11_PIN_QUEUED */
	int pin_woken;            /* queued: that question ended (a byte was sent to pfd[1]) */
	int pin_refused_other;    /* queued: the PIN it brought was refused by the token */
	struct p11_key *pin_next; /* in p11login.c's list of asking and queued keys */
	char prompt[200];         /* the question while asking */

	/* the asynchronous job */
	int busy;
	pthread_t th;
	int pfd[2]; /* socketpair: the caller polls [0], the worker sends one byte on [1] */
	enum signer_prim prim;
	CK_MECHANISM_TYPE mech;
	uint8_t in[128]; /* DigestInfo, hash */
	size_t inlen;
	uint8_t *raw_in; /* Ed25519 signs the data itself */
	size_t raw_len;
	int use_pin; /* the worker may use key->pin */
	int rc;
	uint8_t *sig;
	CK_ULONG siglen;
	char err[512];
};

/* p11util.c */
/* error texts go into the caller's buffer with errfmt() (errfmt.h, shared with the program) */
/* copy a blank-padded fixed-width field into a NUL-terminated string without the padding */
void p11_field(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t n);
/* read one attribute value (malloc'd, capped); P11_ERR_NOT_FOUND if unavailable */
int p11_get_attr(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *len);
/* find up to max objects matching the template */
int p11_find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *found, CK_RV *rv_out, const char **fn);

/* p11pub.c: the public key of a CKO_PUBLIC_KEY object */
int p11_pubkey_from_object(
    CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, EVP_PKEY **out);
/* type name and size of an EVP key */
void p11_key_kind(const EVP_PKEY *pk, const char **type, int *bits);

/* p11pinmem.c: refused pin-source files remembered across runs in ~/.x509ssh/pin-refused */
struct stat;
void p11_fileid_of(const struct stat *st, struct p11_fileid *id);
/* 1 (and *when, a time_t) if this file was refused by this token; 0 if not or unknown */
int p11_pinmem_refused(const struct p11_token *t, const struct p11_fileid *id, long long *when);
/* remember that the token refused the file / forget the token's records of the file */
int p11_pinmem_record(const struct p11_token *t, const struct p11_fileid *id, const char *file);
int p11_pinmem_clear(const struct p11_token *t, const struct p11_fileid *id, const char *file);
/* $HOME/.x509ssh and $HOME/.x509ssh/pin-refused */
int p11_pinmem_dir(char *buf, size_t len);
int p11_pinmem_path(char *buf, size_t len);

/* p11quiet.c: fd 2 captured around the loading path (caller's thread only) */
struct p11_quiet {
	int saved, sink;
};
struct p11_quiet_out {
	void (*line)(void *arg, const char *line);
	void *arg;
};
void p11_quiet_begin(struct p11_quiet *q);
/* fd 2 restored; the captured lines (bounded, control bytes replaced) to out->line, or dropped
 * when out or out->line is NULL */
void p11_quiet_end(struct p11_quiet *q, const struct p11_quiet_out *out);
/* the lines of captured text buf[0..n) to out->line, as p11_quiet_end hands them on */
void p11_quiet_lines(const char *buf, size_t n, const struct p11_quiet_out *out);

/* p11load.c: drop one reference to a token (the last closes its session) */
void p11_token_unref(struct p11_token *t);
/* the module at path, or every module registered with p11-kit (path NULL), initialised (what
 * they print is not captured here); a message in err on failure */
int p11_modset_load(const char *path, struct p11_modset **out, char *err, size_t errlen);
/* drop one reference; the last finalises the modules (or has the helper do it) */
void p11_modset_unref(struct p11_modset *m);
/* a registered module: the one named (module_name), or any but a trust-policy module (NULL) */
int p11_module_wanted(const char *module_name, CK_FUNCTION_LIST *fl);
/* a blank-padded field equals want (want NULL: any field) */
int p11_field_match(const char *want, const CK_UTF8CHAR *f, size_t n);

/* p11helper.c: the client of the token helper (one per process, shared by every load) */
struct p11_helper_slot {
	CK_SLOT_ID handle; /* what the helper's function list takes */
	CK_SLOT_ID real;   /* the module's slot id (the URI's slot-id) */
};
/* what one load asks the helper for (NULL: no such attribute) */
struct p11_helper_req {
	const char *path, *module_name, *lib_desc, *lib_manuf;
};
/* start the helper unless it runs (on the caller's thread, before fd 2 is captured) */
int p11_helper_start(char *err, size_t errlen);
/* load modules in the helper: its number, the slots of the modules that match (at most max), and
 * what the modules printed, handed to out after the call */
int p11_helper_load(const struct p11_helper_req *req, const struct p11_quiet_out *out,
    uint32_t *load, struct p11_helper_slot *slots, size_t max, size_t *nslots, char *err,
    size_t errlen);
void p11_helper_unload(uint32_t load);
/* the function list that forwards to the helper (what pkcs11/ calls; the rest answer
 * CKR_FUNCTION_NOT_SUPPORTED) */
CK_FUNCTION_LIST *p11_helper_functions(void);
/* p11helper_unsup.c: every function pkcs11/ does not call set to answer not supported */
void p11_helper_unsupported(CK_FUNCTION_LIST *fl);

/* p11signer.c: the signer over a key (takes the token reference) */
int p11_signer_new(
    struct p11_key *k, const struct p11_opts *o, const char *uri, struct signer **out);
void p11_key_free(struct p11_key *k);
/* the private key with the key's CKA_ID (under tok->mu); sets k->always_auth */
int p11_find_private(struct p11_key *k, CK_OBJECT_HANDLE *h);

/* p11login.c: PIN sources and the login. Errors are 0 or a negative P11_ERR_* with k->err set. */
enum { P11_PIN_NONE, P11_PIN_ASKING, P11_PIN_QUEUED };
#define P11_ASK_PIN  1 /* p11_login_prepare: ask k->prompt, answer with p11_login_answer */
#define P11_WAIT_PIN 2 /* p11_login_prepare: queued behind another key's question */
/* wipe and unmap the PIN page (NULL is fine); *pin becomes NULL */
void p11_pin_wipe(char **pin);
/* on the caller's thread before a job (k->pfd open): refuse a token whose PIN was refused or is
 * locked, and fetch the PIN into k->pin when the job will log in (pin-value, pin-source); when
 * it must be asked: P11_ASK_PIN (k asks; k->prompt is the question), or P11_WAIT_PIN while
 * another key of the same token asks (k is woken through pfd when that question ends) */
int p11_login_prepare(struct p11_key *k);
/* the asking key's answer (NULL: none): 0 with k->pin set (k still asks until p11_login_done),
 * or P11_ERR_* when there is no PIN to log in with (the question is over) */
int p11_login_answer(struct p11_key *k, const char *pin);
/* after the asking key's job (its login done or failed): the question is over, the keys queued
 * behind it are woken (with the refusal, if the token refused the PIN) */
void p11_login_done(struct p11_key *k);
/* a queued key: 1 when woken (it is no longer queued: prepare again), 0 while it waits */
int p11_login_woken(struct p11_key *k);
/* give up k's question or its place in the queue (nothing when it has neither) */
void p11_login_forget(struct p11_key *k);
/* in the worker under tok->mu: C_Login as the user unless the token is logged in already */
int p11_login_user(struct p11_key *k);
/* in the worker after C_SignInit: the context-specific login of an always-authenticate key */
int p11_login_context(struct p11_key *k);

#endif
