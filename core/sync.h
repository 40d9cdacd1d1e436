/* core/sync.h: team sync over mail: local case events mailed to the team signed by their handler, event mails imported back. */
#ifndef EMBARGO_SYNC_H
#define EMBARGO_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "core/app.h"
#include "core/error.h"
#include "core/store.h"

/*
 * With [team] sync = mail every case event made here (a field set, a note,
 * a checklist tick, a reply recorded; not "created", which every machine
 * makes for itself) is mailed to [team] events_address as a reply in the
 * case's thread (In-Reply-To and References name the report), marked with
 * the MAIL_EVENT_HEADER (core/mail.h) holding the event's uuid, PGP/MIME
 * encrypted to [crypto] team_key and signed by the handler's own key (the
 * secret key whose user id is [mail] me; there is no fallback to the team
 * key, since others accept only a handler's key).  Inside: a text/plain
 * line for people and the event as SYNC_EVENT_TYPE, a flat JSON object:
 *
 *   {"version": 1, "uuid": "...", "case_ref": "K7Q2M",
 *    "case_msgid": "report@example.org", "author": "alice@example.org",
 *    "at": "2026-11-22T12:00:00Z", "kind": "state", "field": "state",
 *    "value": "triaged", "prev": "new"}
 *
 * On refresh, event mails that notmuch has seen since the last import are
 * checked and imported once each (store_append_event ignores a known uuid);
 * the fold ((at, uuid) greatest wins) then gives every machine the same
 * fields whatever order the mail came in, a claim race included.  An event
 * is imported only when it is encrypted, carries a good signature by a key
 * with a fully valid user id for its author, and that author is a handler;
 * anything else is left out and named in app->warnings.
 */

#define SYNC_EVENT_TYPE "application/vnd.embargo.event+json"
#define SYNC_EVENT_VERSION 1
/* Event mails larger than this are not read (an event is a few hundred bytes; a note at most 64 KiB). */
#define SYNC_MAIL_MAX (1024 * 1024)

/* An event as it travels: the store's event plus the case it belongs to. */
struct sync_event {
	struct store_event ev; /* ev.case_id is 0: cases are named by their report */
	char *case_msgid;      /* the report's Message-ID, without <> */
	char *case_ref;        /* the sender's ref for it (informative) */
};
void sync_event_free(struct sync_event *se);

/* EV of the case with report CASE_MSGID and ref CASE_REF as the JSON object above (g_free). */
char *sync_event_json(const struct store_event *ev, const char *case_msgid,
    const char *case_ref);

/*
 * Parses and checks the JSON object of an event mail: version 1, a uuid, the
 * case's Message-ID, an author address, an ISO 8601 time, a known kind
 * other than "created" with the field it allows, values without control
 * characters (but newline and tab).  Unknown keys are ignored; duplicate
 * keys, other JSON types and trailing text are refused, the error naming
 * the key or offset and what was expected.
 */
int sync_event_parse(const char *json, size_t len, struct sync_event **out,
    struct error *err);

/* The line for people: "alice@example.org set state of case K7Q2M: new -> triaged" (g_free). */
char *sync_event_summary(const struct store_event *ev, const char *ref);

/*
 * Sets up sync for APP (app_open calls it): with sync = mail, checks that
 * events_address and team_key are set, starts mailing from the newest event
 * stored now (older ones are never mailed) and hooks sync_flush to every
 * commit that stores an event; with sync = off, forgets that starting point,
 * so turning sync on later does not mail the backlog.
 */
int sync_setup(struct app *app, struct error *err);
void sync_free(struct sync *s);

/*
 * The finished event mail for EV on case C, signed by the handler's key
 * ([mail] me) and encrypted to the team key.  *MSGID (g_free) is its
 * Message-ID without <>; *OUT the bytes (g_byte_array_unref).
 */
int sync_event_mail(struct app *app, const struct store_event *ev,
    const struct store_case *c, GByteArray **out, char **msgid,
    struct error *err);

/*
 * Mails every event made here by [mail] me that was neither mailed nor
 * imported yet, oldest first, through [mail] sendmail; keeps a copy in the
 * sent folder, indexed.  When a send fails the rest stay pending and are
 * retried by a later call (app_refresh retries at most once a minute).
 * *SENT (may be NULL) counts mails sent.  Nothing happens with sync = off.
 */
int sync_flush(struct app *app, int *sent, struct error *err);

/*
 * Checks one event mail (its bytes) against the import rule: PGP/MIME
 * encrypted, decryptable, with exactly one SYNC_EVENT_TYPE part, signed
 * (good) by a key whose user id for the author is fully valid, the author a
 * handler.  On refusal ERR says why.
 */
int sync_check_mail(struct app *app, const char *data, size_t len,
    struct sync_event **out, struct error *err);

/*
 * Imports the event mails notmuch has seen since the last call (app->mail
 * must be open: call after mail_refresh).  Each refused mail adds a warning
 * to app->warnings.  *IMPORTED (may be NULL) counts events new to the store.
 */
int sync_import(struct app *app, int *imported, struct error *err);

/*
 * What app_refresh does after mail_refresh: sync_import, then sync_flush
 * again for events a failed send left behind (at most once a minute; its
 * failure is a warning).  Nothing with sync = off.
 */
int sync_refresh(struct app *app, struct error *err);

#endif
