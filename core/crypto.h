/* core/crypto.h: OpenPGP decryption, verification, signing and encryption through gpgme. */
#ifndef EMBARGO_CRYPTO_H
#define EMBARGO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <glib.h>

#include "core/error.h"

struct crypto;

/* X(enum, name as in INTERFACE.md) */
#define EMB_SIG_STATUSES(X)                 \
	X(SIG_NONE, "none")                 \
	X(SIG_GOOD, "good")                 \
	X(SIG_BAD, "bad")                   \
	X(SIG_UNKNOWN_KEY, "unknown-key")   \
	X(SIG_EXPIRED, "expired")           \
	X(SIG_REVOKED, "revoked")           \
	X(SIG_ERROR, "error")

enum sig_status {
#define X(e, n) e,
	EMB_SIG_STATUSES(X)
#undef X
};
const char *sig_status_name(enum sig_status s);

/* gpg's validity of the signer's user id: X(enum, name) */
#define EMB_VALIDITIES(X)                 \
	X(VALIDITY_UNKNOWN, "unknown")    \
	X(VALIDITY_NEVER, "never")        \
	X(VALIDITY_MARGINAL, "marginal")  \
	X(VALIDITY_FULL, "full")

enum validity {
#define X(e, n) e,
	EMB_VALIDITIES(X)
#undef X
};
const char *validity_name(enum validity v);

struct crypto_signature {
	enum sig_status status;
	char *fpr;        /* full fingerprint (upper-case hex), NULL when unknown */
	char *uid;        /* primary user id of the signing key, NULL when the key is unknown */
	char **emails;    /* NULL-terminated lower-case addresses of every user id of the key */
	enum validity *email_validity; /* validity of the user id of each of EMAILS (same order) */
	enum validity validity;
	time_t created;
	char *error;      /* for SIG_ERROR: what went wrong */
};
void crypto_signature_free(struct crypto_signature *sig);
/* True when one of SIG's user ids carries ADDR (case-insensitive). */
bool crypto_signature_has_email(const struct crypto_signature *sig, const char *addr);
/* gpg's validity of the user id of SIG's key that carries ADDR, else SIG's own validity. */
enum validity crypto_signature_validity_for(const struct crypto_signature *sig,
    const char *addr);

/*
 * Asked for a passphrase when a secret key needs one (loopback pinentry).
 * HINT names the key.  Returns a new string (the caller wipes and frees it)
 * or NULL to cancel.
 */
typedef char *(*crypto_passphrase_fn)(void *arg, const char *hint, bool bad_before);

/*
 * A gpgme context for OpenPGP.  With PASS_CB, pinentry runs in loopback mode
 * and asks PASS_CB; without it gpg-agent's own pinentry is used.
 */
int crypto_new(crypto_passphrase_fn pass_cb, void *pass_arg,
    struct crypto **out, struct error *err);
void crypto_free(struct crypto *c);

struct crypto_decrypt_result {
	GByteArray *plain;      /* decrypted bytes, NULL on failure; wipe before freeing (crypto_wipe_bytes) */
	GPtrArray *signatures;  /* struct crypto_signature * of an encrypted+signed payload */
	bool integrity_ok;      /* MDC/AEAD present and valid */
	char *error;            /* why decryption failed, NULL on success */
};
void crypto_decrypt_result_clear(struct crypto_decrypt_result *r);
void crypto_wipe_bytes(GByteArray *b);

/*
 * Decrypts (and verifies, if signed) an OpenPGP message, binary or armoured,
 * into at most MAX_PLAIN bytes.  Never returns partial plaintext: when gpg
 * fails, integrity protection is missing or the output would exceed
 * MAX_PLAIN, returns -1 with res->plain NULL and res->error (and ERR) naming
 * why ("cannot decrypt: ...").  Clear RES with crypto_decrypt_result_clear
 * in both cases.
 */
int crypto_decrypt(struct crypto *c, const char *data, size_t len,
    size_t max_plain, struct crypto_decrypt_result *res, struct error *err);

/* Verifies a detached signature over DATA; fills SIGS (struct crypto_signature *). */
int crypto_verify_detached(struct crypto *c, const char *data, size_t len,
    const char *sig, size_t siglen, GPtrArray *sigs, struct error *err);

/* Verifies a clearsigned (BEGIN PGP SIGNED MESSAGE) block; *PLAIN gets the signed text. */
int crypto_verify_clearsigned(struct crypto *c, const char *data, size_t len,
    GByteArray **plain, GPtrArray *sigs, struct error *err);

#endif
