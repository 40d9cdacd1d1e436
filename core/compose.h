/* core/compose.h: replies to reporters and lists: drafts from templates, the send plan, PGP/MIME, sendmail. */
#ifndef EMBARGO_COMPOSE_H
#define EMBARGO_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "core/app.h"
#include "core/crypto.h"
#include "core/draft.h"
#include "core/error.h"
#include "core/template.h"

/*
 * How the compose panel (tui/) and `embargo reply` use this module:
 *
 *   draft_load(app, id, &d)              a saved draft, if any, else
 *   compose_draft_from_template(app, cv, "ack", NULL, &d)
 *   ... edit d->body (compose_draft_set_body, compose_edit_external),
 *       compose_draft_set_recipients, compose_draft_set_subject ...
 *   draft_save(app, d)                   whenever the user pauses or leaves
 *   compose_plan_new(app, cv, d, NULL, &plan)   show plan->lines
 *   compose_send(app, cv, d, NULL, &sent)       refuses exactly when the plan does
 *
 * Every text here that came from mail or a key (names, subjects, user ids,
 * addresses) is untrusted: sanitise it before display.
 */

/*
 * The placeholder values for case CV (EMB_TEMPLATE_VARS), as a table of
 * name -> value (g_hash_table_unref).
 */
GHashTable *compose_template_vars(struct app *app, const struct case_view *cv);

/*
 * A new draft of a reply on case CV from template NAME: To the case's
 * reporter as pinned in the store (the Reply-To of the report when it had
 * one, else its From), never an address from a later message; "Re: " and
 * the case's subject; In-Reply-To the newest message of the thread and
 * References its chain.  A template's own To, Cc and Subject win.  THREAD is
 * the case's messages as app_thread gives them, or NULL to read them here.
 */
int compose_draft_from_template(struct app *app, const struct case_view *cv,
    const char *name, GPtrArray *thread, struct compose_draft **out,
    struct error *err);

/* One recipient of the plan. */
struct compose_recipient {
	char *addr;               /* lower-cased */
	char *name;               /* display name or NULL */
	bool cc;
	struct crypto_key_choice key; /* key.problem KEY_OK: key.fpr/uid is the key used */
	char *pinned_fpr;         /* the key that signed this address's mail in the case, or NULL */
};

/*
 * Exactly what compose_send would do with the draft now.  LINES is that, in
 * words, for the panel and `reply` to show: From, To, Cc, Subject,
 * In-Reply-To, then per recipient "ADDR: encrypted to <uid> <fpr>" or
 * "ADDR: NOT ENCRYPTED", the team copy, "signed by <uid> <fpr>", then
 * "warning: ..." and "refused: ..." lines.
 */
struct compose_plan {
	GPtrArray *recipients;    /* struct compose_recipient *, To then Cc */
	bool encrypt;             /* the mail will be encrypted (to every recipient and the team key) */
	bool must_encrypt;        /* sending unencrypted is not allowed */
	char *must_encrypt_why;   /* e.g. "the reporter wrote encrypted"; NULL unless must_encrypt */
	struct crypto_key_choice signer;   /* the team key, signing */
	struct crypto_key_choice team_enc; /* the team key, encrypting the team's copy */
	char *from;               /* "Name <team address>" */
	GPtrArray *warnings;      /* char *: sent anyway, but the user should know */
	GPtrArray *refusals;      /* char *: why it cannot be sent; empty when it can */
	GPtrArray *lines;         /* char *: the plan in words */
};
void compose_plan_free(struct compose_plan *p);

/* True when the plan allows sending. */
bool compose_plan_ok(const struct compose_plan *p);

/*
 * Works out the plan for sending D on case CV (THREAD as for
 * compose_draft_from_template, may be NULL).  Fails only when the case or
 * gpg cannot be read; a send that is not allowed is a plan with refusals.
 */
int compose_plan_new(struct app *app, const struct case_view *cv,
    const struct compose_draft *d, GPtrArray *thread,
    struct compose_plan **out, struct error *err);

/*
 * The finished RFC 5322 / RFC 3156 message for D under PLAN (which must
 * allow sending): multipart/encrypted (signed and encrypted in one pass) or
 * multipart/signed.  *MSGID (g_free) is its Message-ID without <>.  *OUT is
 * the message bytes (LF line ends; g_byte_array_unref).
 */
int compose_build(struct app *app, const struct compose_draft *d,
    const struct compose_plan *plan, GByteArray **out, char **msgid,
    struct error *err);

/* What a send did besides sending. */
struct compose_sent {
	char *msgid;          /* without <> */
	char *path;           /* the sent copy in the sent folder, NULL if it could not be written */
	GPtrArray *warnings;  /* char *: after the mail left (copy not indexed yet, ...) */
};
void compose_sent_free(struct compose_sent *s);

/*
 * Sends D: works out the plan again and refuses (-1, the first refusal in
 * ERR) when it does; builds the message; runs cfg->sendmail with /bin/sh -c,
 * the message on its standard input (recipients are only in the headers).
 * When the command is missing or fails, -1 with its exit status and the
 * first lines of its stderr: the draft is untouched.  After a successful
 * send: the same bytes go to the sent folder (a maildir under the mail
 * root) and are indexed, a "reply-sent" event is recorded, the user's draft
 * of the case is deleted and the cases are refreshed (app_refresh), so the
 * deadlines move at once.  A failure among those is a warning in *OUT, not
 * an error: the mail has left.
 */
int compose_send(struct app *app, const struct case_view *cv,
    const struct compose_draft *d, GPtrArray *thread,
    struct compose_sent **out, struct error *err);

/* Building blocks of a send, shared with team sync (core/sync.c). */

/*
 * ENTITY (a whole MIME entity) serialised with CRLF line ends, signed by
 * SIGNER_FPR and encrypted to RECIPIENTS (NULL-terminated fingerprints) in
 * one pass, as the RFC 3156 multipart/encrypted carrying it (a new object,
 * g_object_unref); NULL with ERR when gpg fails.
 */
GMimeObject *compose_encrypt_entity(struct app *app, GMimeObject *entity,
    const char *const *recipients, const char *signer_fpr, struct error *err);

/* A new Message-ID (without <>) on the team's domain (g_free). */
char *compose_new_msgid(const struct config *cfg);

/*
 * Runs CMD with /bin/sh -c, MSG on its standard input; -1 with the exit
 * status and the first lines of its output when it fails ("not sent: ...").
 */
int compose_sendmail(const char *cmd, GByteArray *msg, struct error *err);

/*
 * Delivers MSG into the maildir [mail] sent_folder under the mail root
 * (tmp/, then cur/ flagged seen), not indexed yet.  *PATH (g_free).
 */
int compose_save_sent(struct app *app, GByteArray *msg, char **path,
    struct error *err);

#endif
