/* core/policy.h: the disclosure policy: deadlines, urgencies, the case life cycle, field rules. */
#ifndef EMBARGO_POLICY_H
#define EMBARGO_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/config.h"
#include "core/domain.h"
#include "core/error.h"
#include "core/facts.h"
#include "core/store.h"

struct deadline {
	enum deadline_kind kind;
	time_t start;   /* when its window opened (report, last update, notice...) */
	time_t due;
	time_t met_at;  /* 0 when unmet */
	enum urgency urgency;
};

struct case_deadlines {
	struct deadline d[DL__COUNT]; /* only the first n are used, in kind order */
	size_t n;
	int next;                     /* index of the most urgent unmet deadline, -1 if none */
	char warning[256];            /* e.g. embargo longer than distros_max_embargo; "" if none */
};

/*
 * Computes every deadline of a case from its mail facts F (may be NULL when
 * the thread is not indexed: then ack, response and update are absent), its
 * folded fields C (may be NULL: no fields; "state" unset means "new"), the
 * clock NOW and cfg's [policy]:
 *
 *   ack       report + ack (policy clock); met by the first team reply.
 *   response  report + response (policy clock); met by the second team
 *             reply to the reporter or the "response-sent" marker.
 *   update    last team message to the reporter + update (policy clock);
 *             only once such a message exists (before that, ack and response
 *             cover the case) and only while the case is open; never met:
 *             each new message starts the next window.
 *   distros   embargo - distros_notice (calendar time), when severity >=
 *             distros_min_severity and an embargo is set; met by the
 *             "distros-notified" marker, mail to the distros list in the
 *             thread, or the state distros-notified.  A warning is set when
 *             the embargo is more than distros_max_embargo after the notice
 *             (the actual one, or the planned one: max(due, NOW)).
 *   announce  the embargo; met by the "announced" marker or state published.
 *   publish   embargo + publish_window (calendar time); met when every
 *             checklist item "check:<item>" is set (at the latest of them).
 *
 * A marker's time is its value when that is an ISO 8601 time, else the time
 * of the event that set it.  Closed and rejected cases keep only met
 * deadlines; published ones keep met deadlines plus announce and publish.
 * next is the unmet deadline with the smallest due time (first in kind order
 * on a tie).
 */
void policy_deadlines(const struct config *cfg, const struct mail_facts *f,
    const struct store_case *c, time_t now, struct case_deadlines *out);

/*
 * The urgency of a deadline with window [START, DUE] at NOW (met_at 0 =
 * unmet): met once met; overdue when NOW > DUE (at DUE exactly it is still
 * "soon"); soon when DUE - NOW is less than max(soon_percent of the window,
 * soon_min); ok otherwise.  Times are wall-clock seconds.
 */
enum urgency policy_urgency(const struct config *cfg, time_t start, time_t due,
    time_t met_at, time_t now);

/*
 * START + SECS on the policy clock: plain addition, or with working_days
 * only time inside working days (Mon-Fri, not a holiday, in cfg->timezone)
 * counts: the whole 24 hours of a working day (23 or 25 across a DST
 * change) count, so 24h from Friday 18:00 falls due Monday 18:00, and a
 * start on a non-working day counts from the next working day's 00:00.
 * SECS <= 0 is plain addition.
 */
time_t policy_add(const struct config *cfg, time_t start, int64_t secs);

/* Whether FROM -> TO is an allowed life-cycle transition (one table in policy.c). */
bool policy_transition_allowed(enum state from, enum state to);

/* Whether FROM -> TO is an allowed life-cycle transition; else an error saying which are allowed. */
int policy_check_transition(enum state from, enum state to, struct error *err);

/*
 * Validates VALUE for FIELD (state, severity, handler, embargo, cve, affected,
 * a marker "response-sent", "distros-notified" or "announced", or a
 * checklist item "check:<item>") and returns its stored form in *NORMALIZED
 * (g_free): embargo as ISO 8601 UTC, CVE upper-cased, handler lower-cased
 * ("me" is cfg->me), markers and checks "yes" (a marker may also be a time).
 * A normalized "" clears the field: "" for any field but state (which
 * cannot be cleared), "unset" for severity ("none" is a severity), "none"
 * or "unset" for handler, embargo and cve, "no" for markers and checks.
 * Surrounding white space is dropped; control characters are refused.  An
 * embargo not in the future (or a marker time in the future) is refused
 * unless FORCE.
 */
int policy_normalize_field(const struct config *cfg, const char *field,
    const char *value, time_t now, bool force, char **normalized,
    struct error *err);

/*
 * Sets FIELD of case CASE_ID to VALUE as AUTHOR at NOW: validates, checks
 * the transition against the current state, and appends the event as a
 * compare-and-set, so two handlers acting at once cannot both win.  Claiming
 * a handler that another already holds (or releasing another's claim) fails
 * naming who holds it, unless FORCE.  Setting a field (other than state) to
 * the value it already has changes nothing and succeeds.
 */
int policy_set_field(struct store *st, const struct config *cfg,
    int64_t case_id, const char *field, const char *value,
    const char *author, time_t now, bool force, struct error *err);

/*
 * The same, against SEEN (not NULL): the case as the user saw it (e.g. on screen in the
 * TUI).  The compare-and-set expects SEEN's value, so a change made by
 * someone else since then is refused ("changed meanwhile") rather than
 * overwritten.
 */
int policy_set_field_seen(struct store *st, const struct config *cfg,
    const struct store_case *seen, const char *field, const char *value,
    const char *author, time_t now, bool force, struct error *err);

/* Adds an internal note (non-empty text, no control characters but newline and tab) to the case's timeline. */
int policy_add_note(struct store *st, int64_t case_id, const char *text,
    const char *author, time_t now, struct error *err);

/*
 * Orders cases for `list` and the queue: overdue first, then by next due
 * time (cases with no running deadline last), then by id.  Compares two
 * deadline sets with their ids; <0, 0, >0 as for qsort.
 */
int policy_compare(const struct case_deadlines *a, int64_t a_id,
    const struct case_deadlines *b, int64_t b_id);

#endif
