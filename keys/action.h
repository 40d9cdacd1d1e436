/* keys/action.h: every user action of the TUI, declared once (name, contexts, help). */
#ifndef EMBARGO_ACTION_H
#define EMBARGO_ACTION_H

#include <stdbool.h>

/*
 * Key contexts: where a key press is looked up.  A key is looked up in the
 * focused panel's context first, then in "global" (except in prompts, which
 * see only their own bindings and insert unbound characters).
 * X(enum, name, help)
 */
#define EMB_KEY_CONTEXTS(X)                                                  \
	X(KCTX_GLOBAL, "global", "everywhere except prompts")                \
	X(KCTX_QUEUE, "queue", "the case queue")                             \
	X(KCTX_TIMELINE, "timeline", "the timeline of the open case")        \
	X(KCTX_ONCALL, "oncall", "the on-call view: what is due across all cases") \
	X(KCTX_COMPOSE, "compose",                                           \
	    "the compose panel's editor (other keys type text)")             \
	X(KCTX_HELP, "help", "the help screen")                              \
	X(KCTX_PROMPT, "prompt", "a question on the bottom line")

enum key_context {
#define X(e, n, h) e,
	EMB_KEY_CONTEXTS(X)
#undef X
	KCTX__COUNT
};

#define KC(c) (1u << (c))
#define KC_CASE (KC(KCTX_QUEUE) | KC(KCTX_TIMELINE))

/*
 * The actions: X(enum, name, contexts it may be bound in, help text).
 * Case actions work on the selected case in the queue and on the open case
 * in the timeline.  The help screen, the man page and `bind` validation are
 * all generated from this list.
 */
#define EMB_ACTIONS(X)                                                                          \
	X(ACT_QUIT, "quit", KC(KCTX_GLOBAL) | KC(KCTX_QUEUE), "quit embargo")                   \
	X(ACT_HELP, "help", KC(KCTX_GLOBAL), "show the keys and what they do")                  \
	X(ACT_REDRAW, "redraw", KC(KCTX_GLOBAL), "redraw the whole screen")                     \
	X(ACT_REFRESH, "refresh", KC(KCTX_GLOBAL), "look for new mail and changes now")         \
	X(ACT_SWITCH_PANEL, "switch-panel", KC(KCTX_GLOBAL), "move between queue and timeline") \
	X(ACT_ZOOM, "zoom", KC(KCTX_GLOBAL), "give the focused panel the whole screen, or not") \
	X(ACT_MOVE_DOWN, "move-down", KC(KCTX_GLOBAL), "next case, or scroll down a line")      \
	X(ACT_MOVE_UP, "move-up", KC(KCTX_GLOBAL), "previous case, or scroll up a line")        \
	X(ACT_PAGE_DOWN, "page-down", KC(KCTX_GLOBAL), "one page down")                         \
	X(ACT_PAGE_UP, "page-up", KC(KCTX_GLOBAL), "one page up")                               \
	X(ACT_HALF_DOWN, "half-page-down", KC(KCTX_GLOBAL), "half a page down")                 \
	X(ACT_HALF_UP, "half-page-up", KC(KCTX_GLOBAL), "half a page up")                       \
	X(ACT_TOP, "top", KC(KCTX_GLOBAL), "first case, or top of the timeline")                \
	X(ACT_BOTTOM, "bottom", KC(KCTX_GLOBAL), "last case, or end of the timeline")           \
	X(ACT_OPEN, "open", KC(KCTX_QUEUE) | KC(KCTX_ONCALL),                                   \
	    "open the selected case in the timeline")                                           \
	X(ACT_ONCALL, "oncall", KC(KCTX_GLOBAL),                                                \
	    "show every deadline overdue or due within [oncall] window, or hide them")         \
	X(ACT_FILTER_QUERY, "filter-query", KC(KCTX_QUEUE),                                     \
	    "narrow the queue with a notmuch query (empty: all)")                               \
	X(ACT_FILTER_MINE, "filter-mine", KC(KCTX_QUEUE) | KC(KCTX_ONCALL),                     \
	    "show only my cases, or all")                                                       \
	X(ACT_FILTER_UNASSIGNED, "filter-unassigned", KC(KCTX_QUEUE),                           \
	    "show only cases without a handler, or all")                                        \
	X(ACT_FILTER_STATE, "filter-state", KC(KCTX_QUEUE),                                     \
	    "show only cases in one state (empty: all)")                                        \
	X(ACT_FILTER_CLEAR, "filter-clear", KC(KCTX_QUEUE), "drop every filter")                \
	X(ACT_SHOW_CLOSED, "show-closed", KC(KCTX_QUEUE),                                       \
	    "include closed, rejected and published cases, or not")                            \
	X(ACT_CLOSE, "close", KC(KCTX_TIMELINE) | KC(KCTX_ONCALL) | KC(KCTX_HELP),              \
	    "leave the timeline, the on-call view or the help screen")                          \
	X(ACT_NEXT_MESSAGE, "next-message", KC(KCTX_TIMELINE), "jump to the next message")      \
	X(ACT_PREV_MESSAGE, "prev-message", KC(KCTX_TIMELINE), "jump to the previous message")  \
	X(ACT_TOGGLE_QUOTES, "toggle-quotes", KC(KCTX_TIMELINE), "fold or unfold quoted text")  \
	X(ACT_CLAIM, "claim", KC_CASE, "make me the case's handler")                            \
	X(ACT_ASSIGN, "assign", KC_CASE, "set the case's handler (none to release)")            \
	X(ACT_SET_STATE, "set-state", KC_CASE, "change the case's state")                       \
	X(ACT_SET_SEVERITY, "set-severity", KC_CASE, "set the severity")                        \
	X(ACT_SET_EMBARGO, "set-embargo", KC_CASE, "set the embargo date (+7d, 2026-12-01 14:00)") \
	X(ACT_SET_CVE, "set-cve", KC_CASE, "set the CVE id")                                    \
	X(ACT_SET_AFFECTED, "set-affected", KC_CASE, "set the affected versions")               \
	X(ACT_REPLY, "reply", KC_CASE,                                                          \
	    "reply to the reporter in the compose panel (a saved draft is offered first)")     \
	X(ACT_NOTE, "note", KC_CASE, "add an internal note to the timeline (never to the reporter)")     \
	X(ACT_NOTE_EDITOR, "note-editor", KC_CASE,                                              \
	    "write a longer internal note in the editor (never to the reporter)")                       \
	X(ACT_MARK, "mark", KC_CASE,                                                            \
	    "mark response-sent, distros-notified or announced")                                \
	X(ACT_CHECK, "check", KC_CASE, "tick an item of the publication checklist")             \
	X(ACT_RESPONSE_SENT, "mark-response-sent", KC_CASE, "mark the detailed response sent")  \
	X(ACT_DISTROS_NOTIFIED, "mark-distros-notified", KC_CASE, "mark the distros notified")  \
	X(ACT_ANNOUNCED, "mark-announced", KC_CASE, "mark the issue announced")                 \
	X(ACT_COMPOSE_SEND, "compose-send", KC(KCTX_COMPOSE),                                   \
	    "show exactly what will be sent, then send after a yes (a note: add it)")         \
	X(ACT_COMPOSE_EDITOR, "compose-editor", KC(KCTX_COMPOSE),                               \
	    "edit the text in $VISUAL or $EDITOR")                                              \
	X(ACT_COMPOSE_HEADERS, "compose-headers", KC(KCTX_COMPOSE), "edit To, Cc and Subject")  \
	X(ACT_COMPOSE_TEMPLATE, "compose-template", KC(KCTX_COMPOSE),                           \
	    "start again from a template (asks first)")                                         \
	X(ACT_COMPOSE_CLOSE, "compose-close", KC(KCTX_COMPOSE),                                 \
	    "leave the panel; a reply is kept as a draft, encrypted")                           \
	X(ACT_COMPOSE_DISCARD, "compose-discard", KC(KCTX_COMPOSE),                             \
	    "throw the text away and delete the draft (asks first)")                            \
	X(ACT_EDITOR_LEFT, "editor-left", KC(KCTX_COMPOSE), "cursor left")                      \
	X(ACT_EDITOR_RIGHT, "editor-right", KC(KCTX_COMPOSE), "cursor right")                   \
	X(ACT_EDITOR_UP, "editor-up", KC(KCTX_COMPOSE), "cursor up a screen line")              \
	X(ACT_EDITOR_DOWN, "editor-down", KC(KCTX_COMPOSE), "cursor down a screen line")        \
	X(ACT_EDITOR_HOME, "editor-home", KC(KCTX_COMPOSE), "cursor to the start of the line")  \
	X(ACT_EDITOR_END, "editor-end", KC(KCTX_COMPOSE), "cursor to the end of the line")      \
	X(ACT_EDITOR_PAGE_UP, "editor-page-up", KC(KCTX_COMPOSE), "cursor up a page")           \
	X(ACT_EDITOR_PAGE_DOWN, "editor-page-down", KC(KCTX_COMPOSE), "cursor down a page")     \
	X(ACT_EDITOR_TOP, "editor-top", KC(KCTX_COMPOSE), "cursor to the start of the text")    \
	X(ACT_EDITOR_BOTTOM, "editor-bottom", KC(KCTX_COMPOSE), "cursor to the end of the text") \
	X(ACT_EDITOR_BACKSPACE, "editor-backspace", KC(KCTX_COMPOSE),                           \
	    "delete the character before the cursor")                                           \
	X(ACT_EDITOR_DELETE, "editor-delete", KC(KCTX_COMPOSE),                                 \
	    "delete the character under the cursor")                                            \
	X(ACT_EDITOR_NEWLINE, "editor-newline", KC(KCTX_COMPOSE), "start a new line")           \
	X(ACT_EDITOR_TAB, "editor-tab", KC(KCTX_COMPOSE), "insert a tab")                       \
	X(ACT_EDITOR_KILL_LINE, "editor-kill-line", KC(KCTX_COMPOSE),                           \
	    "delete to the end of the line (at its end: join the next line)")                  \
	X(ACT_EDITOR_KILL_WORD, "editor-kill-word", KC(KCTX_COMPOSE),                           \
	    "delete the word before the cursor")                                                \
	X(ACT_PROMPT_ACCEPT, "prompt-accept", KC(KCTX_PROMPT), "accept the answer")             \
	X(ACT_PROMPT_CANCEL, "prompt-cancel", KC(KCTX_PROMPT), "cancel the question")           \
	X(ACT_PROMPT_COMPLETE, "prompt-complete", KC(KCTX_PROMPT),                              \
	    "complete the answer (again: next choice)")                                         \
	X(ACT_PROMPT_LEFT, "prompt-left", KC(KCTX_PROMPT), "cursor left")                       \
	X(ACT_PROMPT_RIGHT, "prompt-right", KC(KCTX_PROMPT), "cursor right")                    \
	X(ACT_PROMPT_HOME, "prompt-home", KC(KCTX_PROMPT), "cursor to the start")               \
	X(ACT_PROMPT_END, "prompt-end", KC(KCTX_PROMPT), "cursor to the end")                   \
	X(ACT_PROMPT_BACKSPACE, "prompt-backspace", KC(KCTX_PROMPT),                            \
	    "delete the character before the cursor")                                           \
	X(ACT_PROMPT_DELETE, "prompt-delete", KC(KCTX_PROMPT),                                  \
	    "delete the character under the cursor")                                            \
	X(ACT_PROMPT_KILL, "prompt-kill", KC(KCTX_PROMPT), "delete everything before the cursor") \
	X(ACT_PROMPT_KILL_WORD, "prompt-kill-word", KC(KCTX_PROMPT),                            \
	    "delete the word before the cursor")

enum action {
	ACT_NONE = -1, /* "none": unbinds a key */
#define X(e, n, c, h) e,
	EMB_ACTIONS(X)
#undef X
	ACT__COUNT
};

const char *key_context_name(enum key_context c);
const char *key_context_help(enum key_context c);
int key_context_from_name(const char *name); /* -1 when unknown */

const char *action_name(enum action a);       /* "none" for ACT_NONE, NULL out of range */
const char *action_help(enum action a);
unsigned action_contexts(enum action a);      /* KC() bits */
int action_from_name(const char *name);       /* ACT_NONE for "none", -2 when unknown */
/* Whether A may be bound in C: its own contexts, and global actions in every panel context. */
bool action_allowed_in(enum action a, enum key_context c);

#endif
