/* core/verify.h: the [mail] team_reply = verified rule, one implementation for the facts and the message view. */
#ifndef EMBARGO_VERIFY_H
#define EMBARGO_VERIFY_H

#include <stdbool.h>

#include <glib.h>

#include "core/config.h"
#include "core/error.h"

/* How a message From the team or a handler was shown to be the team's: X(enum, name) */
#define EMB_TEAM_PROOFS(X)                        \
	X(TEAM_PROOF_NONE, "none")                \
	X(TEAM_PROOF_SENT, "sent folder")         \
	X(TEAM_PROOF_DKIM, "dkim")                \
	X(TEAM_PROOF_TEAM_KEY, "team key")        \
	X(TEAM_PROOF_HANDLER_KEY, "handler key")

enum team_proof {
#define X(e, n) e,
	EMB_TEAM_PROOFS(X)
#undef X
};
const char *team_proof_name(enum team_proof p);

/*
 * The signatures of the message (struct crypto_signature *), asked for only
 * when the cheaper proofs failed: reading them may mean parsing, decrypting
 * and verifying the whole message.  The array stays owned by whatever ARG
 * holds; NULL when there are none or the message could not be read.
 */
typedef GPtrArray *(*verify_sigs_fn)(void *arg);

/* What is known of one message From the team address or a handler. */
struct team_evidence {
	const char *mail_root;   /* notmuch's mail root */
	const char *path;        /* the message file */
	const char *from_addr;   /* the From address, lower-cased */
	GPtrArray *auth_results; /* char *: its Authentication-Results values, topmost first; may be NULL */
	verify_sigs_fn sigs;     /* may be NULL: no signatures */
	void *sigs_arg;
};

/*
 * The team_reply = verified rule.  A message counts as the team's when
 *  - its file is under MAIL_ROOT/cfg->sent_folder/ (only embargo and the
 *    team's own clients put mail there), or
 *  - the first (topmost) Authentication-Results header whose authserv-id
 *    is cfg->authserv_id (compared case-insensitively) says dkim=pass with
 *    header.d, or the domain of header.i, equal to the From domain (exact,
 *    case-insensitive: no parent or subdomain), or
 *  - it carries a good signature by cfg->team_key, or by a key with a user
 *    id for the From address that gpg holds fully valid (full or ultimate),
 *    when From is a handler.
 * Only the topmost header with our authserv-id counts: a receiving MTA adds
 * its header above those already there, and RFC 8601 section 5 has it
 * remove any header carrying its own authserv-id on arrival; where it does
 * not, a forged one sits below the real one and is ignored.  A message
 * reaching the mailbox without passing that MTA can still carry a forged
 * header on top: set authserv_id only when all mail passes it.
 * The proofs are tried cheapest first; EV->sigs is called last, and only
 * when needed.  Does not check that From is a team address (callers do).
 */
enum team_proof verify_team_reply(const struct config *cfg,
    const struct team_evidence *ev);

/* True when PATH lies under ROOT/FOLDER/ (both paths as notmuch gives them). */
bool verify_in_folder(const char *root, const char *folder, const char *path);

/* One method's result in an Authentication-Results header (RFC 8601). */
struct auth_result {
	char *method;   /* lower-cased, without its version ("dkim") */
	char *result;   /* lower-cased ("pass") */
	char *header_d; /* the header.d property, or NULL */
	char *header_i; /* the header.i property, or NULL */
};

struct auth_results {
	char *authserv_id;
	GPtrArray *results; /* struct auth_result *; empty for "none" */
};
void auth_results_free(struct auth_results *ar);

/*
 * Parses an Authentication-Results value (comments and folding allowed).
 * Strict: anything that is not authserv-id [version] followed by "; none"
 * or "; method=result [reason=...] [ptype.property=value ...]" entries is
 * refused with a message naming what was expected.  New (auth_results_free).
 */
int auth_results_parse(const char *value, struct auth_results **out,
    struct error *err);

/* The authserv-id of VALUE, or NULL when it has none (g_free); the rest is not checked. */
char *auth_results_authserv_id(const char *value);

/*
 * True when the topmost of HEADERS (char *, topmost first) whose
 * authserv-id is AUTHSERV_ID parses and holds dkim=pass for DOMAIN.
 */
bool verify_dkim_pass(const char *authserv_id, const char *domain,
    GPtrArray *headers);

#endif
