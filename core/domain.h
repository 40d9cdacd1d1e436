/* core/domain.h: the words of the domain (states, severities, deadlines, checklist), declared once. */
#ifndef EMBARGO_DOMAIN_H
#define EMBARGO_DOMAIN_H

#include <stdbool.h>

/* Case states, in life-cycle order: X(enum, name, open) */
#define EMB_STATES(X)                                                   \
	X(STATE_NEW, "new", true)                                       \
	X(STATE_ACKNOWLEDGED, "acknowledged", true)                     \
	X(STATE_TRIAGED, "triaged", true)                               \
	X(STATE_CONFIRMED, "confirmed", true)                           \
	X(STATE_FIXING, "fixing", true)                                 \
	X(STATE_FIX_READY, "fix-ready", true)                           \
	X(STATE_DISTROS_NOTIFIED, "distros-notified", true)             \
	X(STATE_PUBLISHED, "published", false)                          \
	X(STATE_CLOSED, "closed", false)                                \
	X(STATE_REJECTED, "rejected", false)

enum state {
#define X(e, n, o) e,
	EMB_STATES(X)
#undef X
	STATE__COUNT
};

/* Severities, from least to most severe; SEV_UNSET is "not set yet". */
#define EMB_SEVERITIES(X)                                               \
	X(SEV_NONE, "none")                                             \
	X(SEV_MINOR, "minor")                                           \
	X(SEV_MODERATE, "moderate")                                     \
	X(SEV_IMPORTANT, "important")                                   \
	X(SEV_CRITICAL, "critical")

enum severity {
	SEV_UNSET = -1,
#define X(e, n) e,
	EMB_SEVERITIES(X)
#undef X
	SEV__COUNT
};

/* Deadline kinds: X(enum, name, short name for narrow columns) */
#define EMB_DEADLINES(X)                                                \
	X(DL_ACK, "ack", "ack")                                         \
	X(DL_RESPONSE, "response", "resp")                              \
	X(DL_UPDATE, "update", "upd")                                   \
	X(DL_DISTROS, "distros", "dist")                                \
	X(DL_ANNOUNCE, "announce", "ann")                               \
	X(DL_PUBLISH, "publish", "pub")

enum deadline_kind {
#define X(e, n, s) e,
	EMB_DEADLINES(X)
#undef X
	DL__COUNT
};

/* Urgency of a deadline, most urgent first. */
#define EMB_URGENCIES(X)                                                \
	X(URG_OVERDUE, "overdue")                                       \
	X(URG_SOON, "soon")                                             \
	X(URG_OK, "ok")                                                 \
	X(URG_MET, "met")

enum urgency {
#define X(e, n) e,
	EMB_URGENCIES(X)
#undef X
	URG__COUNT
};

/* The publication checklist, ticked after the embargo lifts: X(enum, name, help) */
#define EMB_CHECKLIST(X)                                                          \
	X(CHK_ANNOUNCE_MAIL, "announce-mail", "signed mail to the announce list")    \
	X(CHK_BLOG, "blog", "blog post")                                              \
	X(CHK_FORUM, "forum", "forum post")                                           \
	X(CHK_ADVISORY, "advisory", "GitHub security advisory")                      \
	X(CHK_OSS_SECURITY, "oss-security", "mail to oss-security")

enum checklist_item {
#define X(e, n, h) e,
	EMB_CHECKLIST(X)
#undef X
	CHK__COUNT
};

/*
 * Event kinds.  A "field" event sets one of a case's fields; the store keeps
 * the fold of those (last writer by (time, uuid) wins).  Markers are fields
 * whose value is a time or "yes"; a note only adds to the timeline.
 * X(enum, name, folds into a field)
 */
#define EMB_EVENTS(X)                                                   \
	X(EV_CREATED, "created", false)                                 \
	X(EV_STATE, "state", true)                                      \
	X(EV_SEVERITY, "severity", true)                                \
	X(EV_HANDLER, "handler", true)                                  \
	X(EV_EMBARGO, "embargo", true)                                  \
	X(EV_CVE, "cve", true)                                          \
	X(EV_AFFECTED, "affected", true)                                \
	X(EV_RESPONSE_SENT, "response-sent", true)                      \
	X(EV_DISTROS_NOTIFIED, "distros-notified", true)                \
	X(EV_ANNOUNCED, "announced", true)                              \
	X(EV_CHECK, "check", true)                                      \
	X(EV_NOTE, "note", false)                                       \
	X(EV_REPLY_SENT, "reply-sent", false)

enum event_kind {
#define X(e, n, f) e,
	EMB_EVENTS(X)
#undef X
	EV__COUNT
};

/* Name lookups: return NULL (or -1) for out-of-range values or unknown names. */
const char *state_name(enum state);
int state_from_name(const char *); /* -1 when unknown */
bool state_is_open(enum state);
const char *severity_name(enum severity); /* NULL for SEV_UNSET */
int severity_from_name(const char *, enum severity *); /* 0 or -1 */
const char *deadline_kind_name(enum deadline_kind);
const char *deadline_kind_short(enum deadline_kind);
const char *urgency_name(enum urgency);
const char *checklist_name(enum checklist_item);
const char *checklist_help(enum checklist_item);
int checklist_from_name(const char *); /* -1 when unknown */
const char *event_kind_name(enum event_kind);
int event_kind_from_name(const char *); /* -1 when unknown */
bool event_kind_folds(enum event_kind);

#endif
