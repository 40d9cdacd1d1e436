/* core/draft.h: a reply being written, and its copy in the store, encrypted to the team key. */
#ifndef EMBARGO_DRAFT_H
#define EMBARGO_DRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "core/error.h"

struct app;

/*
 * A reply being written: what the compose panel edits and what is sent.
 * The body is plaintext of an embargoed case: it lives in memory only and is
 * wiped when replaced or freed; the store keeps it encrypted (draft_save).
 */
struct compose_draft {
	int64_t case_id;
	char *template_name;   /* the template it started from */
	GPtrArray *to;         /* struct mail_addr * (core/mail.h) */
	GPtrArray *cc;         /* struct mail_addr * */
	char *subject;         /* one line */
	char *in_reply_to;     /* Message-ID without <>, or NULL */
	GPtrArray *references; /* char *: Message-IDs without <>, oldest first */
	char *body;            /* UTF-8, LF line ends */
	time_t updated;        /* when it was last saved, 0 if never */
};

/* An empty draft for CASE_ID (every list empty, strings NULL but body ""). */
struct compose_draft *compose_draft_new(int64_t case_id);
void compose_draft_free(struct compose_draft *d);

/* Replaces the body (the old one is wiped). */
void compose_draft_set_body(struct compose_draft *d, const char *body);

/*
 * Replaces To (and Cc when CC is not NULL) with the mailboxes of address
 * lists as a user types them ("Name <a@b>, c@d").  An empty To, or a list
 * with text that is not an address, is an error naming it.
 */
int compose_draft_set_recipients(struct compose_draft *d, const char *to,
    const char *cc, struct error *err);

/* Replaces the subject (control characters become spaces). */
void compose_draft_set_subject(struct compose_draft *d, const char *subject);

/*
 * The draft as text: a header block (X-Embargo-Template, To, Cc, Subject,
 * In-Reply-To, References; one recipient per To/Cc line as "<addr> name"),
 * an empty line, then the body.  New string (wipe and g_free: it holds the
 * body); *LEN its length.
 */
char *draft_serialize(const struct compose_draft *d, size_t *len);

/* Parses draft_serialize's text into a new draft for CASE_ID. */
int draft_parse(int64_t case_id, const char *data, size_t len,
    struct compose_draft **out, struct error *err);

/*
 * Saves D as APP's user's (cfg->me) draft of its case, replacing the one
 * there, encrypted to the team key ([crypto] team_key): without a usable
 * team key nothing is written and the error says how to fix it.  Sets
 * d->updated to app->now.
 */
int draft_save(struct app *app, struct compose_draft *d, struct error *err);

/*
 * Loads (and decrypts, in memory) the user's draft of CASE_ID.  Returns 0
 * with *OUT set, 1 when there is none (*OUT NULL), -1 on error.
 */
int draft_load(struct app *app, int64_t case_id, struct compose_draft **out,
    struct error *err);

/* Whether the user has a draft of CASE_ID, and when it was saved (UPDATED may be NULL). */
int draft_exists(struct app *app, int64_t case_id, bool *exists,
    time_t *updated, struct error *err);

/* Deletes the user's draft of CASE_ID (none is fine). */
int draft_delete(struct app *app, int64_t case_id, struct error *err);

/*
 * Hands *BODY to an external editor: EDITOR_CMD, else $VISUAL, else $EDITOR,
 * else vi, run through /bin/sh -c with the file name appended as "$1".  The
 * file is created 0600 in a new 0700 directory under $XDG_RUNTIME_DIR (when
 * it is an existing directory), else $TMPDIR, else /tmp, and the file and
 * directory are removed before this returns, whatever happens.  On success
 * *BODY is replaced (the old one wiped).  The caller suspends the terminal
 * around the call.  An editor exiting non-zero keeps *BODY as it was.
 */
int compose_edit_external(const char *editor_cmd, char **body,
    struct error *err);

#endif
