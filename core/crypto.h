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

/*
 * With ON, the signers' keys looked up while checking signatures are kept
 * by fingerprint, so a signer's key costs one gpg run per batch of messages
 * instead of one per signature.  Every call drops the keys kept so far:
 * turn it on at the start of a batch (one thread opened) and off after, so
 * a key imported or changed in between is seen by the next batch.
 */
void crypto_cache_keys(struct crypto *c, bool on);

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

/*
 * Keys for sending: what a recipient's or the team's key lookup found.
 * X(enum, the word the plan shows)
 */
#define EMB_KEY_PROBLEMS(X)                          \
	X(KEY_OK, "usable")                          \
	X(KEY_MISSING, "missing")                    \
	X(KEY_EXPIRED, "expired")                    \
	X(KEY_REVOKED, "revoked")                    \
	X(KEY_DISABLED, "disabled")                  \
	X(KEY_INVALID, "invalid")                    \
	X(KEY_CANNOT_ENCRYPT, "cannot encrypt")      \
	X(KEY_CANNOT_SIGN, "cannot sign")            \
	X(KEY_NO_SECRET, "no secret key")            \
	X(KEY_NOT_PINNED, "not the key that signed the reporter's mail")

enum key_problem {
#define X(e, n) e,
	EMB_KEY_PROBLEMS(X)
#undef X
};
const char *key_problem_name(enum key_problem p);

struct crypto_key_choice {
	enum key_problem problem; /* KEY_OK when FPR names a usable key */
	char *fpr;  /* the chosen key (upper-case primary fingerprint); for a problem, the key it concerns or NULL */
	char *uid;  /* the user id that matched (untrusted text: sanitise before display) */
};
void crypto_key_choice_clear(struct crypto_key_choice *k);

/*
 * The public key to encrypt to for ADDR: only keys with a valid user id whose
 * e-mail is exactly ADDR (case-insensitive) count, and only a key that is
 * not revoked, expired, disabled or invalid and has a usable encryption
 * subkey.  When PINNED_FPR is not NULL (the key that signed this
 * correspondent's mail in the case), only that key may be chosen.  OUT gets
 * the first usable key, else the problem of the best candidate (missing when
 * there is none).  Returns -1 only when gpg itself fails.
 */
int crypto_key_for_address(struct crypto *c, const char *addr,
    const char *pinned_fpr, struct crypto_key_choice *out, struct error *err);

/*
 * The signing key FPR: it must be in the keyring with its secret part, not
 * revoked, expired, disabled or invalid, and able to sign.  OUT->uid is the
 * key's first valid user id.  Returns -1 only when gpg itself fails.
 */
int crypto_signing_key(struct crypto *c, const char *fpr,
    struct crypto_key_choice *out, struct error *err);

/*
 * The handler's own signing key for ADDR: a key with its secret part in the
 * keyring and a user id (not revoked or invalid) whose e-mail is exactly
 * ADDR; the first one that can sign, else the problem of the first found
 * (KEY_NO_SECRET when there is none).  Returns -1 only when gpg fails.
 */
int crypto_signing_key_for_address(struct crypto *c, const char *addr,
    struct crypto_key_choice *out, struct error *err);

/*
 * The key FPR itself, for encrypting to it (ENCRYPT) or, without, only that
 * it is in the public keyring and not revoked, expired, disabled or invalid.
 * Returns -1 only when gpg itself fails.
 */
int crypto_key_by_fpr(struct crypto *c, const char *fpr, bool encrypt,
    struct crypto_key_choice *out, struct error *err);

/*
 * Signs DATA with SIGNER_FPR and encrypts it to RECIPIENTS (NULL-terminated
 * fingerprints) in one pass, armoured, into *OUT (g_byte_array_unref).
 * Encryption trusts the recipient keys as given (GPGME_ENCRYPT_ALWAYS_TRUST):
 * callers pass only keys chosen by crypto_key_for_address or the team's own.
 * SIGNER_FPR NULL encrypts without signing.
 */
int crypto_encrypt_sign(struct crypto *c, const char *const *recipients,
    const char *signer_fpr, const char *data, size_t len, GByteArray **out,
    struct error *err);

/*
 * A detached, armoured signature by SIGNER_FPR over DATA into *SIG
 * (g_byte_array_unref); *MICALG (g_free) is the RFC 3156 micalg value of the
 * hash used ("pgp-sha256").
 */
int crypto_sign_detached(struct crypto *c, const char *signer_fpr,
    const char *data, size_t len, GByteArray **sig, char **micalg,
    struct error *err);

#endif
