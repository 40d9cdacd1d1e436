/* core/crypto.c: OpenPGP decryption and verification through gpgme, never returning unverified plaintext. */
#include "build-config.h"

#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <string.h>

#include <gpgme.h>

#include "core/crypto.h"

struct crypto {
	gpgme_ctx_t ctx;    /* decrypt and verify */
	gpgme_ctx_t keyctx; /* key lookups: a keylist on CTX would discard its op results */
	crypto_passphrase_fn pass_cb;
	void *pass_arg;
	GHashTable *keys;   /* crypto_cache_keys: upper-case fpr -> gpgme_key_t, NULL when off */
};

/*
 * gpgme_strerror is not thread-safe (gpgme.info "Multi-Threading") and
 * core/app.c decrypts on several threads, each with its own context: the
 * text goes to a per-thread buffer, valid until the next call on the thread.
 */
static const char *
crypto_strerror(gpgme_error_t e)
{
	static _Thread_local char buf[256];

	gpgme_strerror_r(e, buf, sizeof buf);
	return buf;
}

static const char *const sig_status_names[] = {
#define X(e, n) n,
	EMB_SIG_STATUSES(X)
#undef X
};

static const char *const validity_names[] = {
#define X(e, n) n,
	EMB_VALIDITIES(X)
#undef X
};

const char *
sig_status_name(enum sig_status s)
{
	if ((unsigned)s >= G_N_ELEMENTS(sig_status_names))
		return "error";
	return sig_status_names[s];
}

const char *
validity_name(enum validity v)
{
	if ((unsigned)v >= G_N_ELEMENTS(validity_names))
		return "unknown";
	return validity_names[v];
}

void
crypto_wipe_bytes(GByteArray *b)
{
	if (b == NULL)
		return;
	if (b->len > 0)
		explicit_bzero(b->data, b->len);
	g_byte_array_unref(b);
}

void
crypto_signature_free(struct crypto_signature *sig)
{
	if (sig == NULL)
		return;
	g_free(sig->fpr);
	g_free(sig->uid);
	g_strfreev(sig->emails);
	g_free(sig->email_validity);
	g_free(sig->error);
	g_free(sig);
}

bool
crypto_signature_has_email(const struct crypto_signature *sig, const char *addr)
{
	if (sig == NULL || sig->emails == NULL || addr == NULL || *addr == '\0')
		return false;
	for (char **e = sig->emails; *e != NULL; e++) {
		if (g_ascii_strcasecmp(*e, addr) == 0)
			return true;
	}
	return false;
}

enum validity
crypto_signature_validity_for(const struct crypto_signature *sig, const char *addr)
{
	if (sig == NULL)
		return VALIDITY_UNKNOWN;
	if (sig->emails != NULL && sig->email_validity != NULL && addr != NULL) {
		for (size_t i = 0; sig->emails[i] != NULL; i++) {
			if (g_ascii_strcasecmp(sig->emails[i], addr) == 0)
				return sig->email_validity[i];
		}
	}
	return sig->validity;
}

void
crypto_decrypt_result_clear(struct crypto_decrypt_result *r)
{
	if (r == NULL)
		return;
	crypto_wipe_bytes(r->plain);
	if (r->signatures != NULL)
		g_ptr_array_unref(r->signatures);
	g_free(r->error);
	memset(r, 0, sizeof *r);
}

static gpgme_error_t
crypto_passphrase(void *hook, const char *uid_hint, const char *info,
    int prev_was_bad, int fd)
{
	struct crypto *c = hook;
	char *pass;
	size_t n;
	int rc;

	pass = c->pass_cb(c->pass_arg, uid_hint != NULL ? uid_hint : "",
	    prev_was_bad != 0);
	if (pass == NULL)
		return gpgme_error(GPG_ERR_CANCELED);
	n = strlen(pass);
	rc = gpgme_io_writen(fd, pass, n);
	if (rc == 0)
		rc = gpgme_io_writen(fd, "\n", 1);
	explicit_bzero(pass, n);
	g_free(pass);
	return rc == 0 ? 0 : gpgme_error_from_syserror();
}

static int
crypto_ctx_new(gpgme_ctx_t *out, struct error *err)
{
	gpgme_ctx_t ctx;
	gpgme_error_t e;

	e = gpgme_new(&ctx);
	if (e != 0)
		return error_set(err, "gpgme: cannot create a context: %s",
		    crypto_strerror(e));
	e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (e != 0) {
		gpgme_release(ctx);
		return error_set(err, "gpgme: OpenPGP is not available: %s",
		    crypto_strerror(e));
	}
	gpgme_set_armor(ctx, 1);
	/* A signature by an unknown key must never make gpg fetch it: that is a web bug. */
	gpgme_set_offline(ctx, 1);
	*out = ctx;
	return 0;
}

static gpgme_error_t crypto_init_error;

static gpointer
crypto_init_once(gpointer unused)
{
	const char *loc;

	gpgme_check_version(NULL);
	loc = setlocale(LC_CTYPE, NULL);
	if (loc != NULL)
		gpgme_set_locale(NULL, LC_CTYPE, loc);
	crypto_init_error = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	return NULL;
}

int
crypto_new(crypto_passphrase_fn pass_cb, void *pass_arg, struct crypto **out,
    struct error *err)
{
	static GOnce once = G_ONCE_INIT;
	struct crypto *c;
	gpgme_error_t e;

	g_once(&once, crypto_init_once, NULL);
	if (crypto_init_error != 0)
		return error_set(err, "gpgme: no usable gpg engine: %s",
		    crypto_strerror(crypto_init_error));

	c = g_new0(struct crypto, 1);
	if (crypto_ctx_new(&c->ctx, err) != 0 ||
	    crypto_ctx_new(&c->keyctx, err) != 0) {
		crypto_free(c);
		return -1;
	}
	if (pass_cb != NULL) {
		e = gpgme_set_pinentry_mode(c->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		if (e != 0) {
			crypto_free(c);
			return error_set(err, "gpgme: cannot use loopback pinentry: %s",
			    crypto_strerror(e));
		}
		c->pass_cb = pass_cb;
		c->pass_arg = pass_arg;
		gpgme_set_passphrase_cb(c->ctx, crypto_passphrase, c);
	}
	*out = c;
	return 0;
}

void
crypto_free(struct crypto *c)
{
	if (c == NULL)
		return;
	if (c->keys != NULL)
		g_hash_table_unref(c->keys);
	if (c->ctx != NULL)
		gpgme_release(c->ctx);
	if (c->keyctx != NULL)
		gpgme_release(c->keyctx);
	g_free(c);
}

/*
 * An output sink for gpg that refuses to hold more than MAX bytes (so a
 * compressed bomb stops early) and wipes every buffer it lets go of.
 */
struct sink {
	guint8 *buf;
	size_t len;
	size_t alloc;
	size_t max;
	bool over;
};

static ssize_t
sink_write(void *handle, const void *data, size_t n)
{
	struct sink *s = handle;
	size_t want;
	guint8 *nb;

	if (n > s->max - s->len) {
		s->over = true;
		errno = EFBIG;
		return -1;
	}
	if (s->len + n > s->alloc) {
		want = s->alloc < 4096 ? 4096 : s->alloc;
		while (want < s->len + n)
			want = want > G_MAXSIZE / 2 ? G_MAXSIZE : want * 2;
		if (want > s->max && s->max >= s->len + n)
			want = s->max;
		nb = g_malloc(want);
		if (s->len > 0) {
			memcpy(nb, s->buf, s->len);
			explicit_bzero(s->buf, s->len);
		}
		g_free(s->buf);
		s->buf = nb;
		s->alloc = want;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return (ssize_t)n;
}

static void
sink_wipe(struct sink *s)
{
	if (s->buf != NULL && s->len > 0)
		explicit_bzero(s->buf, s->len);
	g_free(s->buf);
	s->buf = NULL;
	s->len = s->alloc = 0;
}

/* The sink's bytes as a GByteArray (ownership moves; the sink is emptied). */
static GByteArray *
sink_take(struct sink *s)
{
	GByteArray *b;

	if (s->buf == NULL)
		return g_byte_array_new();
	b = g_byte_array_new_take(s->buf, s->len);
	s->buf = NULL;
	s->len = s->alloc = 0;
	return b;
}

static struct gpgme_data_cbs sink_cbs = {
	.read = NULL,
	.write = sink_write,
	.seek = NULL,
	.release = NULL,
};

static int
sink_data_new(struct sink *s, gpgme_data_t *out, struct error *err)
{
	gpgme_error_t e;

	e = gpgme_data_new_from_cbs(out, &sink_cbs, s);
	if (e != 0)
		return error_set(err, "gpgme: cannot create an output buffer: %s",
		    crypto_strerror(e));
	return 0;
}

static int
mem_data_new(const char *data, size_t len, gpgme_data_t *out, struct error *err)
{
	gpgme_error_t e;

	e = gpgme_data_new_from_mem(out, data, len, 0);
	if (e != 0)
		return error_set(err, "gpgme: cannot create an input buffer: %s",
		    crypto_strerror(e));
	return 0;
}

static enum validity
validity_from_gpgme(gpgme_validity_t v)
{
	switch (v) {
	case GPGME_VALIDITY_NEVER:
		return VALIDITY_NEVER;
	case GPGME_VALIDITY_MARGINAL:
		return VALIDITY_MARGINAL;
	case GPGME_VALIDITY_FULL:
	case GPGME_VALIDITY_ULTIMATE:
		return VALIDITY_FULL;
	case GPGME_VALIDITY_UNKNOWN:
	case GPGME_VALIDITY_UNDEFINED:
	default:
		return VALIDITY_UNKNOWN;
	}
}

/* Status first, then the summary bits: a "good" status is only good when nothing in the summary says otherwise. */
static enum sig_status
status_from_gpgme(gpgme_signature_t s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			return SIG_REVOKED;
		if (s->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
			return SIG_EXPIRED;
		if (s->summary & GPGME_SIGSUM_KEY_MISSING)
			return SIG_UNKNOWN_KEY;
		if (s->summary & GPGME_SIGSUM_RED)
			return SIG_BAD;
		return SIG_GOOD;
	case GPG_ERR_BAD_SIGNATURE:
		return SIG_BAD;
	case GPG_ERR_NO_PUBKEY:
		return SIG_UNKNOWN_KEY;
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_SIG_EXPIRED:
		return SIG_EXPIRED;
	case GPG_ERR_CERT_REVOKED:
		return SIG_REVOKED;
	default:
		if (s->summary & GPGME_SIGSUM_RED)
			return SIG_BAD;
		if (s->summary & GPGME_SIGSUM_KEY_MISSING)
			return SIG_UNKNOWN_KEY;
		return SIG_ERROR;
	}
}

static bool
is_hex(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!g_ascii_isxdigit(*s))
			return false;
	}
	return true;
}

void
crypto_cache_keys(struct crypto *c, bool on)
{
	if (c->keys != NULL) {
		g_hash_table_unref(c->keys);
		c->keys = NULL;
	}
	if (on)
		c->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		    (GDestroyNotify)gpgme_key_unref);
}

/*
 * The public key that made a signature (FPR as gpg reported it, maybe a
 * subkey's), or NULL.  Each lookup is a gpg run, so with crypto_cache_keys
 * on a key found is kept for the next signature by the same key.
 */
static gpgme_key_t
signer_key(struct crypto *c, const char *fpr)
{
	gpgme_key_t key = NULL;
	char *up;

	if (c->keys == NULL) {
		if (gpgme_get_key(c->keyctx, fpr, &key, 0) != 0)
			return NULL;
		return key;
	}
	up = g_ascii_strup(fpr, -1);
	key = g_hash_table_lookup(c->keys, up);
	if (key != NULL)
		g_free(up);
	else if (gpgme_get_key(c->keyctx, fpr, &key, 0) == 0 && key != NULL)
		g_hash_table_insert(c->keys, up, key); /* the table's reference */
	else {
		g_free(up);
		return NULL;
	}
	gpgme_key_ref(key);
	return key;
}

static struct crypto_signature *
signature_new(struct crypto *c, gpgme_signature_t s)
{
	struct crypto_signature *sig;
	gpgme_key_t key = NULL;
	GPtrArray *emails;
	GArray *vals;
	size_t fl;

	sig = g_new0(struct crypto_signature, 1);
	sig->status = status_from_gpgme(s);
	sig->validity = validity_from_gpgme(s->validity);
	sig->created = (time_t)s->timestamp;
	if (sig->status == SIG_ERROR)
		sig->error = g_strdup_printf("signature could not be checked: %s",
		    crypto_strerror(s->status));

	fl = s->fpr != NULL ? strlen(s->fpr) : 0;
	if (s->fpr != NULL && (fl == 40 || fl == 64) && is_hex(s->fpr))
		sig->fpr = g_ascii_strup(s->fpr, -1);

	if (s->fpr == NULL || sig->status == SIG_UNKNOWN_KEY ||
	    (key = signer_key(c, s->fpr)) == NULL) {
		/* Only a key id: say which, since there is no fingerprint to show. */
		if (sig->fpr == NULL && sig->error == NULL && is_hex(s->fpr))
			sig->error = g_strdup_printf("signed by key 0x%s, not in the keyring",
			    s->fpr);
		return sig;
	}

	/* The primary key's fingerprint names the signer even when a subkey signed. */
	if (key->fpr != NULL && is_hex(key->fpr)) {
		g_free(sig->fpr);
		sig->fpr = g_ascii_strup(key->fpr, -1);
	}
	emails = g_ptr_array_new();
	vals = g_array_new(FALSE, FALSE, sizeof(enum validity));
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		enum validity v;

		if (u->revoked || u->invalid)
			continue;
		if (sig->uid == NULL && u->uid != NULL)
			sig->uid = g_strdup(u->uid);
		if (u->email == NULL || *u->email == '\0')
			continue;
		g_ptr_array_add(emails, g_ascii_strdown(u->email, -1));
		v = validity_from_gpgme(u->validity);
		g_array_append_val(vals, v);
	}
	g_ptr_array_add(emails, NULL);
	sig->emails = (char **)g_ptr_array_free(emails, FALSE);
	sig->email_validity = (enum validity *)(void *)g_array_free(vals, FALSE);
	gpgme_key_unref(key);
	return sig;
}

static void
signatures_collect(struct crypto *c, GPtrArray *sigs)
{
	gpgme_verify_result_t vr;

	vr = gpgme_op_verify_result(c->ctx);
	if (vr == NULL)
		return;
	for (gpgme_signature_t s = vr->signatures; s != NULL; s = s->next)
		g_ptr_array_add(sigs, signature_new(c, s));
}

static char *
decrypt_error_text(gpgme_error_t e, gpgme_decrypt_result_t dr)
{
	GString *ids;

	if (dr != NULL && dr->legacy_cipher_nomdc)
		return g_strdup("cannot decrypt: message was not integrity protected");
	switch (gpgme_err_code(e)) {
	case GPG_ERR_NO_SECKEY:
	case GPG_ERR_DECRYPT_FAILED: {
		bool all = true;
		char *msg;

		if (dr == NULL || dr->recipients == NULL)
			break;
		ids = g_string_new(NULL);
		for (gpgme_recipient_t r = dr->recipients; r != NULL; r = r->next) {
			if (gpgme_err_code(r->status) != GPG_ERR_NO_SECKEY) {
				all = false;
				continue;
			}
			g_string_append_printf(ids, "%s0x%s", ids->len > 0 ? ", " : "",
			    r->keyid != NULL ? r->keyid : "?");
		}
		if (ids->len > 0 && (all || gpgme_err_code(e) == GPG_ERR_NO_SECKEY)) {
			msg = g_strdup_printf("cannot decrypt: no secret key for %s",
			    ids->str);
			g_string_free(ids, TRUE);
			return msg;
		}
		g_string_free(ids, TRUE);
		break;
	}
	case GPG_ERR_NO_DATA:
		return g_strdup("cannot decrypt: no OpenPGP encrypted data found");
	case GPG_ERR_BAD_DATA:
		return g_strdup_printf("cannot decrypt: gpg: decryption failed: %s "
		    "(corrupt or not integrity protected)", crypto_strerror(e));
	default:
		break;
	}
	return g_strdup_printf("cannot decrypt: gpg: decryption failed: %s",
	    crypto_strerror(e));
}

/* The binary OpenPGP data of DATA: dearmoured when it is armoured.  (g_free) */
static guint8 *
openpgp_binary(const char *data, size_t len, size_t *out_len)
{
	const char *p = data, *end = data + len, *b64;
	const char *begin = g_strstr_len(data, (gssize)len, "-----BEGIN PGP MESSAGE-----");
	GString *acc;
	guint8 *bin;
	gsize n;

	if (begin == NULL) {
		*out_len = len;
		return g_memdup2(data, len);
	}
	/* Skip the armour header lines up to the first empty line. */
	p = memchr(begin, '\n', (size_t)(end - begin));
	while (p != NULL && p < end) {
		const char *q = p + 1;

		while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < end && *q == '\n') {
			p = q + 1;
			break;
		}
		p = memchr(q, '\n', (size_t)(end - q));
	}
	if (p == NULL || p >= end)
		return NULL;
	acc = g_string_new(NULL);
	for (b64 = p; b64 < end && *b64 != '=' && *b64 != '-'; b64++) {
		if (g_ascii_isalnum(*b64) || *b64 == '+' || *b64 == '/')
			g_string_append_c(acc, *b64);
		else if (*b64 == '\n' && b64 + 1 < end && b64[1] == '=')
			break;
	}
	while (acc->len % 4 != 0)
		g_string_append_c(acc, '=');
	bin = g_base64_decode(acc->str, &n);
	g_string_free(acc, TRUE);
	*out_len = n;
	return bin;
}

enum integrity { INTEGRITY_UNKNOWN, INTEGRITY_PROTECTED, INTEGRITY_MISSING };

/*
 * Looks at the packet that carries the encrypted data: tag 9 (Symmetrically
 * Encrypted Data) has no integrity protection, tags 18 (with MDC) and 20
 * (AEAD) have.  Checked here as well as by gpg, whose refusal a user's
 * "ignore-mdc-error" would turn off.
 */
static enum integrity
openpgp_integrity(const char *data, size_t len)
{
	size_t blen, i = 0;
	guint8 *b = openpgp_binary(data, len, &blen);
	enum integrity res = INTEGRITY_UNKNOWN;

	while (b != NULL && i < blen) {
		unsigned hdr = b[i], tag;
		size_t plen;

		if ((hdr & 0x80) == 0)
			break;
		if (hdr & 0x40) {
			tag = hdr & 0x3f;
			if (i + 1 >= blen)
				break;
			if (b[i + 1] < 192) {
				plen = b[i + 1];
				i += 2;
			} else if (b[i + 1] < 224 && i + 2 < blen) {
				plen = ((size_t)(b[i + 1] - 192) << 8) + b[i + 2] + 192;
				i += 3;
			} else if (b[i + 1] == 255 && i + 5 < blen) {
				plen = ((size_t)b[i + 2] << 24) | ((size_t)b[i + 3] << 16) |
				    ((size_t)b[i + 4] << 8) | b[i + 5];
				i += 6;
			} else {
				plen = SIZE_MAX; /* partial length: only data packets use it */
				i += 2;
			}
		} else {
			static const size_t lensz[] = { 1, 2, 4, 0 };
			size_t ls = lensz[hdr & 3];

			tag = (hdr >> 2) & 0xf;
			if (i + ls >= blen)
				break;
			plen = 0;
			for (size_t k = 0; k < ls; k++)
				plen = (plen << 8) | b[i + 1 + k];
			if (ls == 0)
				plen = SIZE_MAX;
			i += 1 + ls;
		}
		if (tag == 9) {
			res = INTEGRITY_MISSING;
			break;
		}
		if (tag == 18 || tag == 20) {
			res = INTEGRITY_PROTECTED;
			break;
		}
		/* Only session key packets and markers come before the encrypted data. */
		if ((tag != 1 && tag != 3 && tag != 10) || plen > blen - i)
			break;
		i += plen;
	}
	g_free(b);
	return res;
}

int
crypto_decrypt(struct crypto *c, const char *data, size_t len, size_t max_plain,
    struct crypto_decrypt_result *res, struct error *err)
{
	struct sink s = { .max = max_plain };
	gpgme_data_t in = NULL, out = NULL;
	gpgme_decrypt_result_t dr;
	gpgme_error_t e;
	char *why = NULL;

	memset(res, 0, sizeof *res);
	res->signatures = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)crypto_signature_free);
	if (mem_data_new(data, len, &in, err) != 0 ||
	    sink_data_new(&s, &out, err) != 0) {
		if (in != NULL)
			gpgme_data_release(in);
		res->error = g_strdup(err->msg);
		return -1;
	}
	if (openpgp_integrity(data, len) == INTEGRITY_MISSING) {
		gpgme_data_release(in);
		gpgme_data_release(out);
		res->error = g_strdup("cannot decrypt: message was not integrity protected");
		return error_set(err, "%s", res->error);
	}
	e = gpgme_op_decrypt_verify(c->ctx, in, out);
	dr = gpgme_op_decrypt_result(c->ctx);

	/* Any doubt about the plaintext means none of it is shown (EFAIL). */
	if (s.over)
		why = g_strdup_printf("cannot decrypt: decrypted data exceeds %zu bytes",
		    max_plain);
	else if (e != 0 || dr == NULL || dr->legacy_cipher_nomdc)
		why = decrypt_error_text(e, dr);

	if (why == NULL) {
		res->integrity_ok = true;
		res->plain = sink_take(&s);
		signatures_collect(c, res->signatures);
	}
	gpgme_data_release(in);
	gpgme_data_release(out);
	sink_wipe(&s);
	if (why != NULL) {
		error_set(err, "%s", why);
		res->error = why;
		return -1;
	}
	return 0;
}

static int
verify_finish(struct crypto *c, gpgme_error_t e, GPtrArray *sigs, struct error *err)
{
	gpgme_verify_result_t vr = gpgme_op_verify_result(c->ctx);

	if (e != 0)
		return error_set(err, "cannot verify: gpg: %s", crypto_strerror(e));
	if (vr == NULL || vr->signatures == NULL)
		return error_set(err, "cannot verify: no signature found");
	signatures_collect(c, sigs);
	return 0;
}

int
crypto_verify_detached(struct crypto *c, const char *data, size_t len,
    const char *sig, size_t siglen, GPtrArray *sigs, struct error *err)
{
	gpgme_data_t text = NULL, sigd = NULL;
	gpgme_error_t e;
	int rc;

	if (mem_data_new(data, len, &text, err) != 0)
		return -1;
	if (mem_data_new(sig, siglen, &sigd, err) != 0) {
		gpgme_data_release(text);
		return -1;
	}
	e = gpgme_op_verify(c->ctx, sigd, text, NULL);
	rc = verify_finish(c, e, sigs, err);
	gpgme_data_release(text);
	gpgme_data_release(sigd);
	return rc;
}

int
crypto_verify_clearsigned(struct crypto *c, const char *data, size_t len,
    GByteArray **plain, GPtrArray *sigs, struct error *err)
{
	/* The signed text is never longer than the armoured block, give or take dash-escaping. */
	struct sink s = { .max = len + 4096 };
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t e;
	int rc;

	if (mem_data_new(data, len, &in, err) != 0)
		return -1;
	if (sink_data_new(&s, &out, err) != 0) {
		gpgme_data_release(in);
		return -1;
	}
	e = gpgme_op_verify(c->ctx, in, NULL, out);
	rc = verify_finish(c, e, sigs, err);
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (rc == 0)
		*plain = sink_take(&s);
	sink_wipe(&s);
	return rc;
}

/* --- keys for sending: lookup, encryption and signing ------------------------ */

static const char *const key_problem_names[] = {
#define X(e, n) n,
	EMB_KEY_PROBLEMS(X)
#undef X
};

const char *
key_problem_name(enum key_problem p)
{
	if ((unsigned)p >= G_N_ELEMENTS(key_problem_names))
		return "unusable";
	return key_problem_names[p];
}

void
crypto_key_choice_clear(struct crypto_key_choice *k)
{
	if (k == NULL)
		return;
	g_free(k->fpr);
	g_free(k->uid);
	memset(k, 0, sizeof *k);
}

static bool
subkey_usable(gpgme_subkey_t sk)
{
	return !sk->revoked && !sk->expired && !sk->disabled && !sk->invalid;
}

/* Why KEY cannot be used for CAPABILITY (encrypt when ENCRYPT, else sign), or KEY_OK. */
static enum key_problem
key_problem_of(gpgme_key_t key, bool encrypt)
{
	bool some = false, expired = false, revoked = false;

	if (key->revoked)
		return KEY_REVOKED;
	if (key->expired)
		return KEY_EXPIRED;
	if (key->disabled)
		return KEY_DISABLED;
	if (key->invalid)
		return KEY_INVALID;
	for (gpgme_subkey_t sk = key->subkeys; sk != NULL; sk = sk->next) {
		if (!(encrypt ? sk->can_encrypt : sk->can_sign))
			continue;
		if (subkey_usable(sk))
			return KEY_OK;
		some = true;
		expired |= sk->expired != 0;
		revoked |= sk->revoked != 0;
	}
	if (some && revoked)
		return KEY_REVOKED;
	if (some && expired)
		return KEY_EXPIRED;
	return encrypt ? KEY_CANNOT_ENCRYPT : KEY_CANNOT_SIGN;
}

static char *
key_fpr_upper(gpgme_key_t key)
{
	const char *f = key->fpr != NULL ? key->fpr :
	    (key->subkeys != NULL ? key->subkeys->fpr : NULL);

	return f != NULL ? g_ascii_strup(f, -1) : NULL;
}

/*
 * Starts listing the (SECRET) keys with a user id for ADDR; the caller
 * checks each key's e-mail itself and ends with gpgme_op_keylist_end.
 */
static int
keylist_start(struct crypto *c, const char *addr, bool secret,
    struct error *err)
{
	gpgme_error_t e;
	char *pattern;

	if (addr == NULL || *addr == '\0' || strchr(addr, '@') == NULL)
		return error_set(err, "cannot look up a %skey: \"%s\" is not an address",
		    secret ? "signing " : "", addr != NULL ? addr : "");
	/* "<addr>" asks gpg for an exact match on the e-mail of a user id. */
	pattern = g_strdup_printf("<%s>", addr);
	e = gpgme_op_keylist_start(c->keyctx, pattern, secret ? 1 : 0);
	g_free(pattern);
	if (e != 0)
		return error_set(err, "gpg: cannot list %skeys for %s: %s",
		    secret ? "secret " : "", addr, crypto_strerror(e));
	return 0;
}

int
crypto_key_for_address(struct crypto *c, const char *addr,
    const char *pinned_fpr, struct crypto_key_choice *out, struct error *err)
{
	struct crypto_key_choice best = { .problem = KEY_MISSING };
	bool have_candidate = false, pinned_seen = false;
	gpgme_error_t e;
	gpgme_key_t key;

	memset(out, 0, sizeof *out);
	if (keylist_start(c, addr, false, err) != 0)
		return -1;
	while ((e = gpgme_op_keylist_next(c->keyctx, &key)) == 0) {
		gpgme_user_id_t match = NULL;
		enum key_problem p;
		char *fpr;
		bool pinned;

		/* Check the match ourselves: never trust a pattern's idea of "exact". */
		for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
			if (u->email != NULL && g_ascii_strcasecmp(u->email, addr) == 0 &&
			    (match == NULL || (match->revoked && !u->revoked)))
				match = u;
		}
		if (match == NULL) {
			gpgme_key_unref(key);
			continue;
		}
		fpr = key_fpr_upper(key);
		p = key_problem_of(key, true);
		if (p == KEY_OK && (match->revoked || match->invalid))
			p = match->revoked ? KEY_REVOKED : KEY_INVALID;
		pinned = pinned_fpr != NULL && fpr != NULL &&
		    g_ascii_strcasecmp(fpr, pinned_fpr) == 0;
		if (pinned_fpr != NULL && !pinned && p == KEY_OK)
			p = KEY_NOT_PINNED;
		/* The pinned key's own state wins over any other candidate's. */
		if (p == KEY_OK || !have_candidate || (pinned && !pinned_seen)) {
			crypto_key_choice_clear(&best);
			best.problem = p;
			best.fpr = fpr;
			best.uid = g_strdup(match->uid != NULL ? match->uid : addr);
			fpr = NULL;
			have_candidate = true;
			pinned_seen |= pinned;
		}
		g_free(fpr);
		gpgme_key_unref(key);
		if (best.problem == KEY_OK)
			break;
	}
	gpgme_op_keylist_end(c->keyctx);
	if (e != 0 && gpgme_err_code(e) != GPG_ERR_EOF) {
		crypto_key_choice_clear(&best);
		return error_set(err, "gpg: cannot list keys for %s: %s", addr,
		    crypto_strerror(e));
	}
	if (!have_candidate && pinned_fpr != NULL)
		best.fpr = g_ascii_strup(pinned_fpr, -1);
	*out = best;
	return 0;
}

int
crypto_signing_key(struct crypto *c, const char *fpr,
    struct crypto_key_choice *out, struct error *err)
{
	gpgme_key_t key = NULL;
	gpgme_error_t e;

	memset(out, 0, sizeof *out);
	if (fpr == NULL || *fpr == '\0')
		return error_set(err, "no signing key given");
	e = gpgme_get_key(c->keyctx, fpr, &key, 1);
	if (gpgme_err_code(e) == GPG_ERR_EOF || gpgme_err_code(e) == GPG_ERR_NOT_FOUND ||
	    (e == 0 && key == NULL)) {
		out->fpr = g_ascii_strup(fpr, -1);
		e = gpgme_get_key(c->keyctx, fpr, &key, 0);
		out->problem = e == 0 && key != NULL ? KEY_NO_SECRET : KEY_MISSING;
		if (key != NULL) {
			if (key->uids != NULL && key->uids->uid != NULL)
				out->uid = g_strdup(key->uids->uid);
			gpgme_key_unref(key);
		}
		return 0;
	}
	if (e != 0)
		return error_set(err, "gpg: cannot look up key %s: %s", fpr,
		    crypto_strerror(e));
	out->fpr = key_fpr_upper(key);
	out->problem = key_problem_of(key, false);
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		if (!u->revoked && !u->invalid && u->uid != NULL) {
			out->uid = g_strdup(u->uid);
			break;
		}
	}
	gpgme_key_unref(key);
	return 0;
}

int
crypto_signing_key_for_address(struct crypto *c, const char *addr,
    struct crypto_key_choice *out, struct error *err)
{
	struct crypto_key_choice best = { .problem = KEY_NO_SECRET };
	gpgme_error_t e;
	gpgme_key_t key;

	memset(out, 0, sizeof *out);
	if (keylist_start(c, addr, true, err) != 0)
		return -1;
	while ((e = gpgme_op_keylist_next(c->keyctx, &key)) == 0) {
		gpgme_user_id_t match = NULL;
		enum key_problem p;

		/* The exact e-mail, on a user id that is neither revoked nor invalid. */
		for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
			if (u->email != NULL && g_ascii_strcasecmp(u->email, addr) == 0 &&
			    !u->revoked && !u->invalid) {
				match = u;
				break;
			}
		}
		if (match == NULL) {
			gpgme_key_unref(key);
			continue;
		}
		p = key_problem_of(key, false);
		if (p == KEY_OK || best.fpr == NULL) {
			crypto_key_choice_clear(&best);
			best.problem = p;
			best.fpr = key_fpr_upper(key);
			best.uid = g_strdup(match->uid != NULL ? match->uid : addr);
		}
		gpgme_key_unref(key);
		if (best.problem == KEY_OK)
			break;
	}
	gpgme_op_keylist_end(c->keyctx);
	if (e != 0 && gpgme_err_code(e) != GPG_ERR_EOF) {
		crypto_key_choice_clear(&best);
		return error_set(err, "gpg: cannot list secret keys for %s: %s", addr,
		    crypto_strerror(e));
	}
	*out = best;
	return 0;
}

int
crypto_key_by_fpr(struct crypto *c, const char *fpr, bool encrypt,
    struct crypto_key_choice *out, struct error *err)
{
	gpgme_key_t key = NULL;
	gpgme_error_t e;

	memset(out, 0, sizeof *out);
	if (fpr == NULL || *fpr == '\0')
		return error_set(err, "no key given");
	e = gpgme_get_key(c->keyctx, fpr, &key, 0);
	if (gpgme_err_code(e) == GPG_ERR_EOF || gpgme_err_code(e) == GPG_ERR_NOT_FOUND ||
	    (e == 0 && key == NULL)) {
		out->fpr = g_ascii_strup(fpr, -1);
		out->problem = KEY_MISSING;
		return 0;
	}
	if (e != 0)
		return error_set(err, "gpg: cannot look up key %s: %s", fpr,
		    crypto_strerror(e));
	out->fpr = key_fpr_upper(key);
	out->problem = encrypt ? key_problem_of(key, true) :
	    key->revoked ? KEY_REVOKED : key->expired ? KEY_EXPIRED :
	    key->disabled ? KEY_DISABLED : key->invalid ? KEY_INVALID : KEY_OK;
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		if (!u->revoked && !u->invalid && u->uid != NULL) {
			out->uid = g_strdup(u->uid);
			break;
		}
	}
	gpgme_key_unref(key);
	return 0;
}

/* The gpgme data's bytes as a GByteArray; releases D. */
static GByteArray *
data_take(gpgme_data_t d)
{
	size_t n = 0;
	char *mem = gpgme_data_release_and_get_mem(d, &n);
	GByteArray *b = g_byte_array_sized_new((guint)n);

	if (mem != NULL) {
		g_byte_array_append(b, (const guint8 *)mem, (guint)n);
		gpgme_free(mem);
	}
	return b;
}

static int
signer_set(struct crypto *c, const char *signer_fpr, struct error *err)
{
	gpgme_key_t key = NULL;
	gpgme_error_t e;

	gpgme_signers_clear(c->ctx);
	if (signer_fpr == NULL)
		return 0;
	e = gpgme_get_key(c->keyctx, signer_fpr, &key, 1);
	if (e != 0 || key == NULL)
		return error_set(err, "gpg: no secret key %s to sign with: %s",
		    signer_fpr, e != 0 ? crypto_strerror(e) : "not found");
	e = gpgme_signers_add(c->ctx, key);
	gpgme_key_unref(key);
	if (e != 0)
		return error_set(err, "gpg: cannot sign with %s: %s", signer_fpr,
		    crypto_strerror(e));
	return 0;
}

int
crypto_encrypt_sign(struct crypto *c, const char *const *recipients,
    const char *signer_fpr, const char *data, size_t len, GByteArray **out,
    struct error *err)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func((GDestroyNotify)gpgme_key_unref);
	gpgme_data_t in = NULL, cipher = NULL;
	gpgme_encrypt_result_t er;
	gpgme_error_t e;
	int rc = -1;

	if (recipients == NULL || recipients[0] == NULL) {
		g_ptr_array_unref(keys);
		return error_set(err, "cannot encrypt: no recipient keys");
	}
	for (size_t i = 0; recipients[i] != NULL; i++) {
		gpgme_key_t k = NULL;

		e = gpgme_get_key(c->keyctx, recipients[i], &k, 0);
		if (e != 0 || k == NULL) {
			error_set(err, "cannot encrypt: key %s: %s", recipients[i],
			    e != 0 ? crypto_strerror(e) : "not found");
			goto out;
		}
		g_ptr_array_add(keys, k);
	}
	g_ptr_array_add(keys, NULL);
	if (signer_set(c, signer_fpr, err) != 0 ||
	    mem_data_new(data, len, &in, err) != 0)
		goto out;
	if ((e = gpgme_data_new(&cipher)) != 0) {
		error_set(err, "gpgme: cannot create an output buffer: %s", crypto_strerror(e));
		goto out;
	}
	if (signer_fpr != NULL)
		e = gpgme_op_encrypt_sign(c->ctx, (gpgme_key_t *)keys->pdata,
		    GPGME_ENCRYPT_ALWAYS_TRUST, in, cipher);
	else
		e = gpgme_op_encrypt(c->ctx, (gpgme_key_t *)keys->pdata,
		    GPGME_ENCRYPT_ALWAYS_TRUST, in, cipher);
	er = gpgme_op_encrypt_result(c->ctx);
	if (e != 0 || (er != NULL && er->invalid_recipients != NULL)) {
		if (er != NULL && er->invalid_recipients != NULL)
			error_set(err, "cannot encrypt to %s: %s",
			    er->invalid_recipients->fpr ? er->invalid_recipients->fpr : "?",
			    crypto_strerror(er->invalid_recipients->reason));
		else
			error_set(err, "cannot %s: gpg: %s",
			    signer_fpr != NULL ? "encrypt and sign" : "encrypt",
			    crypto_strerror(e));
		goto out;
	}
	if (signer_fpr != NULL) {
		gpgme_sign_result_t sr = gpgme_op_sign_result(c->ctx);

		if (sr == NULL || sr->signatures == NULL || sr->invalid_signers != NULL) {
			error_set(err, "cannot sign with %s: gpg made no signature", signer_fpr);
			goto out;
		}
	}
	*out = data_take(cipher);
	cipher = NULL;
	rc = 0;
out:
	gpgme_signers_clear(c->ctx);
	if (in != NULL)
		gpgme_data_release(in);
	if (cipher != NULL)
		gpgme_data_release(cipher);
	g_ptr_array_unref(keys);
	return rc;
}

int
crypto_sign_detached(struct crypto *c, const char *signer_fpr,
    const char *data, size_t len, GByteArray **sig, char **micalg,
    struct error *err)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t sr;
	gpgme_error_t e;
	const char *hash;
	int rc = -1;

	if (signer_fpr == NULL)
		return error_set(err, "cannot sign: no signing key");
	if (signer_set(c, signer_fpr, err) != 0 ||
	    mem_data_new(data, len, &in, err) != 0)
		goto done;
	if ((e = gpgme_data_new(&out)) != 0) {
		error_set(err, "gpgme: cannot create an output buffer: %s", crypto_strerror(e));
		goto done;
	}
	e = gpgme_op_sign(c->ctx, in, out, GPGME_SIG_MODE_DETACH);
	sr = gpgme_op_sign_result(c->ctx);
	if (e != 0 || sr == NULL || sr->signatures == NULL || sr->invalid_signers != NULL) {
		error_set(err, "cannot sign with %s: gpg: %s", signer_fpr,
		    e != 0 ? crypto_strerror(e) : "no signature made");
		goto done;
	}
	hash = gpgme_hash_algo_name(sr->signatures->hash_algo);
	if (hash == NULL) {
		error_set(err, "cannot sign with %s: unknown hash algorithm %d",
		    signer_fpr, (int)sr->signatures->hash_algo);
		goto done;
	}
	*micalg = g_ascii_strdown(hash, -1);
	{
		char *m = g_strdup_printf("pgp-%s", *micalg);

		g_free(*micalg);
		*micalg = m;
	}
	*sig = data_take(out);
	out = NULL;
	rc = 0;
done:
	gpgme_signers_clear(c->ctx);
	if (in != NULL)
		gpgme_data_release(in);
	if (out != NULL)
		gpgme_data_release(out);
	return rc;
}
