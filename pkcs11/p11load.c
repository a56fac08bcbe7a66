/*
 * p11_load_signers: modules (by path, by name or every registered one), tokens matching the URI,
 * and the keys on them, found through certificate and public-key objects without logging in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <p11-kit/p11-kit.h>

#include "p11_int.h"
#include "p11rpc.h"
#include "p11uri.h"

#define MAX_SLOTS 64
#define MAX_KEYS  64

struct cert_obj {
	X509 *x;
	uint8_t *id;
	size_t idlen;
	char *label;
};

struct load {
	const struct p11_opts *o;
	const struct p11uri *u;  /* NULL for a bare module path */
	const char *module_path; /* for the keys' URIs */
	struct p11_key *keys[MAX_KEYS];
	size_t nkeys;
	int tokens_matched;
	unsigned ntokens;
	char *err;
	size_t errlen;
};

void p11_modset_unref(struct p11_modset *m)
{
	struct p11_quiet q;
	size_t i;

	if (m == NULL || --m->refs > 0) {
		return;
	}
	if (m->in_helper) {
		p11_helper_unload(m->helper_load);
		free(m);
		return;
	}
	p11_quiet_begin(&q); /* what C_Finalize prints is dropped */
	if (m->mods != NULL) {
		if (m->from_registry) {
			p11_kit_modules_finalize_and_release(m->mods);
		} else {
			for (i = 0; m->mods[i] != NULL; i++) {
				p11_kit_module_finalize(m->mods[i]);
				p11_kit_module_release(m->mods[i]);
			}
			free(m->mods);
		}
	}
	p11_quiet_end(&q, NULL);
	free(m);
}

void p11_token_unref(struct p11_token *t)
{
	if (t == NULL || --t->refs > 0) {
		return;
	}
	if (t->have_session) {
		t->fl->C_CloseSession(t->session);
	}
	pthread_mutex_destroy(&t->mu);
	free(t->module_path);
	p11_modset_unref(t->set);
	free(t);
}

int p11_field_match(const char *want, const CK_UTF8CHAR *f, size_t n)
{
	char buf[80];

	if (want == NULL) {
		return 1;
	}
	p11_field(buf, sizeof(buf), f, n);
	return strcmp(buf, want) == 0;
}

/* an attribute of the URI matches a padded field (absent attribute = match) */
static int match_field(const struct p11uri *u, enum p11uri_attr a, const CK_UTF8CHAR *f, size_t n)
{
	return u == NULL || p11_field_match(u->v[a], f, n);
}

int p11_modset_load(const char *path, struct p11_modset **out, char *err, size_t errlen)
{
	struct p11_modset *m = NULL;
	CK_FUNCTION_LIST *one = NULL;
	CK_RV rv;
	int r = P11_ERR_ALLOC;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		return P11_ERR_ALLOC;
	}
	m->refs = 1;
	if (path != NULL) {
		if ((one = p11_kit_module_load(path, 0)) == NULL) {
			errfmt(err, errlen, "cannot load module %s: %s", path,
			    p11_kit_message() != NULL ? p11_kit_message() : "unknown error");
			r = P11_ERR_NOT_FOUND;
			goto out;
		}
		if ((rv = p11_kit_module_initialize(one)) != CKR_OK) {
			errfmt(err, errlen, "%s: C_Initialize: %s", path, p11_rv_str(rv));
			p11_kit_module_release(one);
			r = P11_ERR_INTERNAL;
			goto out;
		}
		if ((m->mods = calloc(2, sizeof(*m->mods))) == NULL) {
			p11_kit_module_finalize(one);
			p11_kit_module_release(one);
			goto out;
		}
		m->mods[0] = one;
	} else {
		m->from_registry = 1;
		if ((m->mods = p11_kit_modules_load_and_initialize(0)) == NULL) {
			errfmt(err, errlen, "cannot load the registered modules: %s",
			    p11_kit_message() != NULL ? p11_kit_message() : "unknown error");
			r = P11_ERR_NOT_FOUND;
			goto out;
		}
	}
	*out = m;
	m = NULL;
	r = 0;
out:
	p11_modset_unref(m);
	return r;
}

static void cert_objs_free(struct cert_obj *c, size_t n)
{
	size_t i;

	for (i = 0; c != NULL && i < n; i++) {
		X509_free(c[i].x);
		free(c[i].id);
		free(c[i].label);
	}
	free(c);
}

static int id_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* every X.509 certificate object of the token */
static int read_certs(
    struct p11_token *t, struct cert_obj **out, size_t *nout, char *err, size_t errlen)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)}, {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)}};
	CK_OBJECT_HANDLE h[P11_MAX_OBJECTS];
	CK_ULONG found = 0, i;
	CK_RV rv = CKR_OK;
	const char *fn = "";
	struct cert_obj *c = NULL;
	size_t n = 0, vlen;
	uint8_t *v = NULL;
	const unsigned char *q;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = p11_find(t->fl, t->session, tmpl, 2, h, P11_MAX_OBJECTS, &found, &rv, &fn)) != 0) {
		errfmt(err, errlen, "token %s: %s: %s", t->label, fn, p11_rv_str(rv));
		return r;
	}
	if ((c = calloc(found + 1, sizeof(*c))) == NULL) {
		return P11_ERR_ALLOC;
	}
	for (i = 0; i < found; i++) {
		if (p11_get_attr(t->fl, t->session, h[i], CKA_VALUE, &v, &vlen) != 0) {
			continue;
		}
		q = v;
		c[n].x = d2i_X509(NULL, &q, (long)vlen);
		free(v);
		v = NULL;
		if (c[n].x == NULL) {
			ERR_clear_error();
			continue; /* not ours to judge: skip an undecodable certificate */
		}
		if ((r = p11_get_attr(t->fl, t->session, h[i], CKA_ID, &c[n].id, &c[n].idlen)) ==
		        P11_ERR_ALLOC ||
		    (r = p11_get_attr(t->fl, t->session, h[i], CKA_LABEL, (uint8_t **)&c[n].label,
		         &vlen)) == P11_ERR_ALLOC) {
			n++;
			goto fail;
		}
		n++;
	}
	*out = c;
	*nout = n;
	return 0;
fail:
	cert_objs_free(c, n);
	return P11_ERR_ALLOC;
}

/* does this key pass the URI's id= and object= filters? */
static int key_selected(
    const struct p11uri *u, const uint8_t *id, size_t idlen, const char *l1, const char *l2)
{
	if (u == NULL) {
		return 1;
	}
	if (u->v[P11U_ID] != NULL &&
	    !id_eq(id, idlen, (const uint8_t *)u->v[P11U_ID], u->len[P11U_ID])) {
		return 0;
	}
	if (u->v[P11U_OBJECT] != NULL) {
		return (l1 != NULL && strcmp(l1, u->v[P11U_OBJECT]) == 0) ||
		       (l2 != NULL && strcmp(l2, u->v[P11U_OBJECT]) == 0);
	}
	return 1;
}

/* Make a key: the leaf is the certificate with its id that carries its public key. */
static int add_key(struct load *L, struct p11_token *t, const uint8_t *id, size_t idlen,
    const char *label, EVP_PKEY *pub, struct cert_obj *certs, size_t ncerts, STACK_OF(X509) * pool)
{
	struct p11_key *k = NULL;
	X509 *leaf = NULL;
	size_t i;
	int with_id = 0, r = P11_ERR_ALLOC;
	char *subj = NULL;

	for (i = 0; i < ncerts; i++) {
		if (!id_eq(certs[i].id, certs[i].idlen, id, idlen)) {
			continue;
		}
		with_id++;
		if (EVP_PKEY_eq(X509_get0_pubkey(certs[i].x), pub) == 1) {
			leaf = certs[i].x;
			break;
		}
	}
	ERR_clear_error();
	if (leaf == NULL && with_id > 0) {
		for (i = 0; i < ncerts; i++) {
			if (id_eq(certs[i].id, certs[i].idlen, id, idlen)) {
				subj =
				    X509_NAME_oneline(X509_get_subject_name(certs[i].x), NULL, 0);
				break;
			}
		}
		errfmt(L->err, L->errlen,
		    "token %s: certificate %s (object \"%s\") does not match the public key with "
		    "the "
		    "same CKA_ID: refused",
		    t->label, subj != NULL ? subj : "?", label != NULL ? label : "");
		OPENSSL_free(subj);
		return P11_ERR_KEY_TYPE;
	}
	if (L->o->key_usable != NULL && !L->o->key_usable(L->o->usable_arg, pub, 0, 0)) {
		return 0; /* a key we cannot use for SSH (e.g. RSA-512, P-224): not offered */
	}
	if (L->nkeys >= MAX_KEYS) {
		errfmt(L->err, L->errlen, "more than %d keys selected", MAX_KEYS);
		return P11_ERR_TOO_LARGE;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		return P11_ERR_ALLOC;
	}
	k->pfd[0] = k->pfd[1] = -1;
	k->always_auth = -1;
	if ((k->id = malloc(idlen + 1)) == NULL ||
	    (k->label = strdup(label != NULL ? label : "")) == NULL) {
		goto out;
	}
	memcpy(k->id, id, idlen);
	k->idlen = idlen;
	if (!EVP_PKEY_up_ref(pub)) {
		goto out;
	}
	k->pub = pub;
	p11_key_kind(pub, &k->type, &k->bits);
	if (leaf != NULL) {
		if (!X509_up_ref(leaf)) {
			goto out;
		}
		k->leaf = leaf;
		if (L->o->build_chain != NULL) {
			r = L->o->build_chain(L->o->chain_arg, leaf, pool, &k->chain) == 0
			        ? 0
			        : P11_ERR_ALLOC;
		} else if ((k->chain = sk_X509_new_null()) == NULL || !X509_up_ref(leaf)) {
			r = P11_ERR_ALLOC;
		} else if (!sk_X509_push(k->chain, leaf)) {
			X509_free(leaf);
			r = P11_ERR_ALLOC;
		} else {
			r = 0; /* no build_chain: the leaf alone */
		}
		if (r != 0) {
			goto out;
		}
	}
	k->tok = t;
	t->refs++;
	L->keys[L->nkeys++] = k;
	k = NULL;
	r = 0;
out:
	p11_key_free(k);
	return r;
}

static int scan_token(struct load *L, struct p11_token *t)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[P11_MAX_OBJECTS];
	CK_ULONG found = 0, i;
	CK_RV rv = CKR_OK;
	const char *fn = "";
	struct cert_obj *certs = NULL;
	size_t ncerts = 0, j, idlen, llen;
	STACK_OF(X509) *pool = NULL;
	uint8_t *id = NULL;
	char *label = NULL;
	EVP_PKEY *pub = NULL;
	uint8_t **pub_ids = NULL;
	size_t *pub_idlens = NULL, npub = 0, k;
	int r, dup;

	if ((r = read_certs(t, &certs, &ncerts, L->err, L->errlen)) != 0) {
		goto out;
	}
	r = P11_ERR_ALLOC;
	if ((pool = sk_X509_new_null()) == NULL) {
		goto out;
	}
	for (j = 0; j < ncerts; j++) {
		if (!sk_X509_push(pool, certs[j].x)) {
			goto out;
		}
	}
	if ((r = p11_find(t->fl, t->session, tmpl, 1, h, P11_MAX_OBJECTS, &found, &rv, &fn)) != 0) {
		errfmt(L->err, L->errlen, "token %s: %s: %s", t->label, fn, p11_rv_str(rv));
		goto out;
	}
	r = P11_ERR_ALLOC;
	if ((pub_ids = calloc(found + 1, sizeof(*pub_ids))) == NULL ||
	    (pub_idlens = calloc(found + 1, sizeof(*pub_idlens))) == NULL) {
		goto out;
	}
	/* keys with a public-key object */
	for (i = 0; i < found; i++) {
		if (p11_get_attr(t->fl, t->session, h[i], CKA_ID, &id, &idlen) != 0 || idlen == 0) {
			free(id);
			id = NULL;
			continue; /* without an id we could not find its private key */
		}
		for (dup = 0, k = 0; k < npub; k++) {
			dup |= id_eq(pub_ids[k], pub_idlens[k], id, idlen);
		}
		if (dup) {
			free(id);
			id = NULL;
			continue;
		}
		pub_ids[npub] = id;
		pub_idlens[npub++] = idlen;
		id = NULL; /* owned by pub_ids */
		(void)p11_get_attr(t->fl, t->session, h[i], CKA_LABEL, (uint8_t **)&label, &llen);
		if (p11_pubkey_from_object(t->fl, t->session, h[i], &pub) == 0) {
			const uint8_t *kid = pub_ids[npub - 1];
			const char *clabel = NULL;

			for (j = 0; j < ncerts; j++) {
				if (id_eq(certs[j].id, certs[j].idlen, kid, idlen)) {
					clabel = certs[j].label;
				}
			}
			if (key_selected(L->u, kid, idlen, label, clabel) &&
			    (r = add_key(L, t, kid, idlen, label, pub, certs, ncerts, pool)) != 0) {
				goto out;
			}
		}
		ERR_clear_error();
		free(label);
		label = NULL;
		EVP_PKEY_free(pub);
		pub = NULL;
	}
	/* keys known only by their (end-entity) certificate */
	for (j = 0; j < ncerts; j++) {
		for (dup = 0, k = 0; k < npub; k++) {
			dup |= id_eq(pub_ids[k], pub_idlens[k], certs[j].id, certs[j].idlen);
		}
		for (k = 0; k < j; k++) {
			dup |= id_eq(certs[k].id, certs[k].idlen, certs[j].id, certs[j].idlen);
		}
		if (dup || certs[j].idlen == 0 || X509_check_ca(certs[j].x) != 0 ||
		    X509_get0_pubkey(certs[j].x) == NULL) {
			continue;
		}
		if (key_selected(L->u, certs[j].id, certs[j].idlen, certs[j].label, NULL) &&
		    (r = add_key(L, t, certs[j].id, certs[j].idlen, certs[j].label,
		         X509_get0_pubkey(certs[j].x), certs, ncerts, pool)) != 0) {
			goto out;
		}
	}
	r = 0;
out:
	ERR_clear_error();
	for (k = 0; pub_ids != NULL && k < npub; k++) {
		free(pub_ids[k]);
	}
	free(pub_ids);
	free(pub_idlens);
	free(id);
	free(label);
	EVP_PKEY_free(pub);
	sk_X509_free(pool);
	cert_objs_free(certs, ncerts);
	return r;
}

/* slot: the handle fl takes; real: the module's slot id (they differ through the helper) */
static int scan_slot(
    struct load *L, struct p11_modset *set, CK_FUNCTION_LIST *fl, CK_SLOT_ID slot, CK_SLOT_ID real)
{
	const struct p11uri *u = L->u;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	struct p11_token *t = NULL;
	CK_RV rv;
	int r;

	if (u != NULL && u->v[P11U_SLOT_ID] != NULL && u->slot_id != real) {
		return 0;
	}
	if (fl->C_GetSlotInfo(slot, &si) != CKR_OK ||
	    !match_field(
	        u, P11U_SLOT_DESCRIPTION, si.slotDescription, sizeof(si.slotDescription)) ||
	    !match_field(u, P11U_SLOT_MANUFACTURER, si.manufacturerID, sizeof(si.manufacturerID))) {
		return 0;
	}
	if (fl->C_GetTokenInfo(slot, &ti) != CKR_OK || (ti.flags & CKF_TOKEN_INITIALIZED) == 0 ||
	    !match_field(u, P11U_TOKEN, ti.label, sizeof(ti.label)) ||
	    !match_field(u, P11U_MANUFACTURER, ti.manufacturerID, sizeof(ti.manufacturerID)) ||
	    !match_field(u, P11U_SERIAL, ti.serialNumber, sizeof(ti.serialNumber)) ||
	    !match_field(u, P11U_MODEL, ti.model, sizeof(ti.model))) {
		return 0;
	}
	L->tokens_matched++;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		return P11_ERR_ALLOC;
	}
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return P11_ERR_SYSTEM;
	}
	t->refs = 1;
	t->seq = L->ntokens++;
	t->set = set;
	set->refs++;
	t->fl = fl;
	t->slot = slot;
	p11_field(t->label, sizeof(t->label), ti.label, sizeof(ti.label));
	p11_field(t->serial, sizeof(t->serial), ti.serialNumber, sizeof(ti.serialNumber));
	if (t->serial[strspn(t->serial, "0")] == '\0') {
		t->serial[0] = '\0'; /* all zeros (tpm2-pkcs11, some cards): tells no token apart */
	}
	p11_field(
	    t->manufacturer, sizeof(t->manufacturer), ti.manufacturerID, sizeof(ti.manufacturerID));
	p11_field(t->model, sizeof(t->model), ti.model, sizeof(ti.model));
	if (L->module_path != NULL && (t->module_path = strdup(L->module_path)) == NULL) {
		r = P11_ERR_ALLOC;
		goto out;
	}
	if ((rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session)) != CKR_OK) {
		errfmt(L->err, L->errlen, "token %s: C_OpenSession: %s", t->label, p11_rv_str(rv));
		r = P11_ERR_INTERNAL;
		goto out;
	}
	t->have_session = 1;
	r = scan_token(L, t);
out:
	p11_token_unref(t);
	return r;
}

static int scan_module(struct load *L, struct p11_modset *set, CK_FUNCTION_LIST *fl)
{
	const struct p11uri *u = L->u;
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG ns = MAX_SLOTS, i;
	CK_INFO info;
	CK_RV rv;
	int r;

	if (fl->C_GetInfo(&info) != CKR_OK ||
	    !match_field(u, P11U_LIBRARY_DESCRIPTION, info.libraryDescription,
	        sizeof(info.libraryDescription)) ||
	    !match_field(
	        u, P11U_LIBRARY_MANUFACTURER, info.manufacturerID, sizeof(info.manufacturerID))) {
		return 0;
	}
	if ((rv = fl->C_GetSlotList(CK_TRUE, slots, &ns)) != CKR_OK) {
		if (set->from_registry) {
			return 0;
		}
		errfmt(L->err, L->errlen, "C_GetSlotList: %s", p11_rv_str(rv));
		return P11_ERR_INTERNAL;
	}
	for (i = 0; i < ns && i < MAX_SLOTS; i++) {
		if ((r = scan_slot(L, set, fl, slots[i], slots[i])) != 0) {
			return r;
		}
	}
	return 0;
}

int p11_module_wanted(const char *module_name, CK_FUNCTION_LIST *fl)
{
	char *v = NULL;
	int ok = 1;

	if (module_name != NULL) {
		v = p11_kit_module_get_name(fl);
		ok = v != NULL && strcmp(v, module_name) == 0;
		free(v);
		return ok;
	}
	/* the trust-policy module only holds CA certificates */
	v = p11_kit_config_option(fl, "trust-policy");
	ok = !(v != NULL && strcmp(v, "yes") == 0);
	free(v);
	return ok;
}

/* the modules in the token helper: it loads them, picks the modules and lists their slots */
static int scan_in_helper(
    struct load *L, const char *path, const struct p11_quiet_out *qo, struct p11_modset **out)
{
	struct p11_helper_slot slots[P11RPC_LOAD_SLOTS];
	struct p11_helper_req q;
	struct p11_modset *m = NULL;
	size_t n = 0, i;
	uint32_t id = 0;
	int r;

	*out = NULL;
	memset(&q, 0, sizeof(q));
	q.path = path;
	if (L->u != NULL) {
		q.module_name = L->u->v[P11U_MODULE_NAME];
		q.lib_desc = L->u->v[P11U_LIBRARY_DESCRIPTION];
		q.lib_manuf = L->u->v[P11U_LIBRARY_MANUFACTURER];
	}
	if ((r = p11_helper_load(&q, qo, &id, slots, sizeof(slots) / sizeof(slots[0]), &n, L->err,
	         L->errlen)) != 0) {
		return r;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		p11_helper_unload(id);
		return P11_ERR_ALLOC;
	}
	m->refs = 1;
	m->in_helper = 1;
	m->helper_load = id;
	*out = m;
	for (i = 0; i < n; i++) {
		if ((r = scan_slot(L, m, p11_helper_functions(), slots[i].handle, slots[i].real)) !=
		    0) {
			return r;
		}
	}
	return 0;
}

/* keys in token order, then by CKA_ID (modules list objects in any order) */
static int key_before(const struct p11_key *a, const struct p11_key *b)
{
	size_t n = a->idlen < b->idlen ? a->idlen : b->idlen;
	int c;

	if (a->tok->seq != b->tok->seq) {
		return a->tok->seq < b->tok->seq;
	}
	if ((c = memcmp(a->id, b->id, n)) != 0) {
		return c < 0;
	}
	return a->idlen < b->idlen;
}

static void sort_keys(struct load *L)
{
	struct p11_key *k;
	size_t i, j;

	for (i = 1; i < L->nkeys; i++) {
		k = L->keys[i];
		for (j = i; j > 0 && key_before(k, L->keys[j - 1]); j--) {
			L->keys[j] = L->keys[j - 1];
		}
		L->keys[j] = k;
	}
}

static int make_signers(struct load *L, struct signer ***out, size_t *n)
{
	struct signer **v = NULL;
	size_t i, kept = 0;
	int r;

	if ((v = calloc(L->nkeys + 1, sizeof(*v))) == NULL) {
		return P11_ERR_ALLOC;
	}
	for (i = 0; i < L->nkeys; i++) {
		r = p11_signer_new(L->keys[i], L->o, NULL, &v[kept]);
		L->keys[i] = NULL; /* owned by the signer, or freed */
		if (r == P11_ERR_KEY_TYPE) {
			v[kept] = NULL; /* fits no PubkeyAcceptedAlgorithms entry: not offered */
			continue;
		}
		if (r != 0) {
			errfmt(L->err, L->errlen, "cannot make a signer: %s", p11_strerror(r));
			p11_free_signers(v, kept);
			return r;
		}
		kept++;
	}
	if (kept == 0) {
		errfmt(L->err, L->errlen, "no selected key fits PubkeyAcceptedAlgorithms");
		free(v);
		return P11_ERR_KEY_TYPE;
	}
	*out = v;
	*n = kept;
	return 0;
}

static int check_ambiguous(struct load *L, struct signer **v, size_t n)
{
	size_t i, off;

	if (n < 2 || L->u == NULL || (L->u->v[P11U_OBJECT] == NULL && L->u->v[P11U_ID] == NULL)) {
		return 0;
	}
	off = (size_t)snprintf(L->err, L->errlen, "the URI matches %zu keys:", n);
	for (i = 0; i < n && off < L->errlen; i++) {
		off += (size_t)snprintf(L->err + off, L->errlen - off, " %s", v[i]->name);
	}
	return P11_ERR_FORMAT;
}

int p11_load_signers(const char *spec, const struct p11_opts *o, struct signer ***out, size_t *n,
    char *err, size_t errlen)
{
	static const struct p11_opts no_opts;
	struct load L;
	struct p11uri *u = NULL;
	struct p11_modset *set = NULL;
	struct signer **v = NULL;
	struct p11_quiet q;
	struct p11_quiet_out qo;
	size_t i, nv = 0;
	const char *path = NULL;
	char shown[P11URI_MAX + 8];
	int r;

	*out = NULL;
	*n = 0;
	memset(&L, 0, sizeof(L));
	L.o = o != NULL ? o : &no_opts;
	L.err = err;
	L.errlen = errlen;
	errfmt(err, errlen, "%s", "");
	if (spec == NULL || spec[0] == '\0') {
		errfmt(err, errlen, "empty module path or URI");
		return P11_ERR_FORMAT;
	}
	if (p11uri_is_uri(spec)) {
		if ((r = p11uri_parse(spec, &u, err, errlen)) != 0) {
			return r;
		}
		L.u = u;
		path = u->v[P11U_MODULE_PATH];
	} else {
		path = spec;
	}
	L.module_path = path;
	/* modules print on fd 2 (the TSS layer of tpm2-pkcs11 about 20 lines without a TPM): keep
	 * it off the terminal while loading; the program shows it with -v */
	qo.line = L.o->module_output;
	qo.arg = L.o->output_arg;
	q.saved = q.sink = -1;
	if (L.o->helper) {
		/* the helper captures its modules' fd 2 itself and sends the lines */
		if ((r = p11_helper_start(err, errlen)) != 0 ||
		    (r = scan_in_helper(&L, path, &qo, &set)) != 0) {
			goto out;
		}
	} else {
		p11_quiet_begin(&q);
		if ((r = p11_modset_load(path, &set, err, errlen)) != 0) {
			goto out;
		}
	}
	for (i = 0; !set->in_helper && set->mods[i] != NULL; i++) {
		if (set->from_registry &&
		    !p11_module_wanted(u != NULL ? u->v[P11U_MODULE_NAME] : NULL, set->mods[i])) {
			continue;
		}
		if ((r = scan_module(&L, set, set->mods[i])) != 0) {
			goto out;
		}
	}
	if (L.tokens_matched == 0) {
		p11uri_mask_pin(spec, shown, sizeof(shown));
		errfmt(err, errlen, "no token matches %s", shown);
		r = P11_ERR_NOT_FOUND;
		goto out;
	}
	if (L.nkeys == 0) {
		p11uri_mask_pin(spec, shown, sizeof(shown));
		errfmt(err, errlen, "no key found on the token%s matching %s",
		    L.tokens_matched > 1 ? "s" : "", shown);
		r = P11_ERR_NOT_FOUND;
		goto out;
	}
	/* the keys' URIs and the login details */
	for (i = 0; i < L.nkeys; i++) {
		struct p11_key *k = L.keys[i];

		k->batch_mode = L.o->batch_mode;
		k->can_ask = L.o->can_ask;
		if (u != NULL && u->v[P11U_PIN_VALUE] != NULL &&
		    (k->uri_pin = strdup(u->v[P11U_PIN_VALUE])) == NULL) {
			r = P11_ERR_ALLOC;
			goto out;
		}
		if (u != NULL && u->v[P11U_PIN_SOURCE] != NULL) {
			const char *ps = u->v[P11U_PIN_SOURCE] + 5;

			if (strncmp(ps, "//localhost/", 12) == 0) {
				ps += 11;
			} else if (strncmp(ps, "//", 2) == 0) {
				ps += 2;
			}
			if ((k->pin_file = strdup(ps)) == NULL) {
				r = P11_ERR_ALLOC;
				goto out;
			}
		}
	}
	sort_keys(&L);
	if ((r = make_signers(&L, &v, &nv)) != 0) {
		goto out;
	}
	L.nkeys = 0;
	if ((r = check_ambiguous(&L, v, nv)) != 0) {
		goto out;
	}
	*out = v;
	*n = nv;
	v = NULL;
	nv = 0;
	r = 0;
out:
	p11_free_signers(v, nv);
	for (i = 0; i < L.nkeys; i++) {
		p11_key_free(L.keys[i]);
	}
	p11_modset_unref(set);
	p11_quiet_end(&q, &qo);
	p11uri_free(u);
	if (r != 0 && L.o->helper && p11_helper_failure() != NULL) {
		errfmt(err, errlen, "%s", p11_helper_failure());
	}
	return r;
}

void p11_free_signers(struct signer **v, size_t n)
{
	size_t i;

	if (v == NULL) {
		return;
	}
	for (i = 0; i < n; i++) {
		signer_free(v[i]);
	}
	free(v);
}
