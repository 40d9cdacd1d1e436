/* tui/tui.h: the curses front end: tui_run() for main(), and the state its panels share. */
#ifndef EMBARGO_TUI_H
#define EMBARGO_TUI_H

#include <stdbool.h>
#include <stdint.h>

#include <curses.h>
#include <glib.h>

#include "core/app.h"
#include "keys/keymap.h"
#include "tui/cmd.h"

/*
 * Runs the interactive interface until the user quits (or SIGINT, SIGTERM,
 * SIGHUP).  Opens the session itself (--config from G); errors before the
 * screen is set up are printed on stderr.  Returns an exit status.
 */
int tui_run(const struct cmd_globals *g);

/* Everything below is shared by the files of tui/ only. */

/* Display styles: each maps to a colour pair and attributes, or attributes alone without colour. */
enum style {
	ST_NORMAL,
	ST_STATUS,      /* the status bar */
	ST_TITLE,       /* panel title bars */
	ST_TITLE_FOCUS, /* the focused panel's title bar */
	ST_COLHEAD,     /* the queue's column headings */
	ST_SELECTED,    /* the selected queue row */
	ST_OVERDUE,
	ST_SOON,
	ST_OK,
	ST_MET,
	ST_HEADER,      /* a message's header line */
	ST_BADGE_GOOD,  /* [signed: ...], [encrypted] */
	ST_BADGE_BAD,   /* [BAD SIGNATURE], [cannot decrypt] */
	ST_BADGE_WARN,  /* [signer is not From], [partly signed] */
	ST_BODY,        /* mail text */
	ST_QUOTE,       /* quoted mail text */
	ST_GUTTER,      /* the program's prefix before mail text */
	ST_NOTICE,      /* what embargo says inside a message (attachments, folds) */
	ST_EVENT,       /* events in the timeline */
	ST_FIELD,       /* field names in the case summary */
	ST_ERROR,       /* error messages */
	ST_INFO,        /* informational messages */
	ST_HINT,        /* prompt completion hints */
	ST__COUNT
};

/* tui/colour.c */
void colour_init(bool use_colour);
bool colour_enabled(void);
attr_t colour_attr(enum style s, short *pair);
void colour_set(WINDOW *w, enum style s);
enum style colour_urgency(int urgency); /* enum urgency -> style; -1 (none) -> ST_NORMAL */

/*
 * tui/draw.c: the only way text reaches the screen.  Every string is passed
 * through core/sanitize (SAN_LINE) before it is drawn, whatever its origin,
 * so mail text cannot reach the terminal raw by mistake.
 */
int text_width(const char *s); /* display columns of UTF-8 text (after sanitising) */
/* Draws S at (Y, X) clipped to WIDTH columns; pads with blanks to WIDTH when PAD. Returns columns used. */
int draw_text(WINDOW *w, int y, int x, int width, const char *s,
    enum style st, bool pad);
/* The same with EXTRA attributes added to the style's (A_REVERSE for a selected row). */
int draw_text_ex(WINDOW *w, int y, int x, int width, const char *s,
    enum style st, attr_t extra, bool pad);
/* The same, right-aligned in WIDTH. */
void draw_text_right(WINDOW *w, int y, int x, int width, const char *s,
    enum style st);
/* Wraps sanitised single-line text S to WIDTH columns (at blanks when possible); appends new strings to OUT. */
void text_wrap(const char *s, int width, GPtrArray *out);
/* S clipped to WIDTH columns with "…" when cut (new string). */
char *text_clip(const char *s, int width);

/* A span of one line of the timeline: text (sanitised when built) in a style. */
struct tl_seg {
	enum style style;
	char *text;
};

struct tl_line {
	GArray *segs;   /* struct tl_seg */
	int msg;        /* index of the message the line belongs to, -1 for none */
	bool msg_start; /* first line of a message (for next/prev-message) */
};

enum focus { FOCUS_QUEUE, FOCUS_TIMELINE };

struct composer; /* the compose panel's state (tui/compose.c) */

/* What needs drawing on the next pass. */
enum {
	DIRTY_STATUS = 1 << 0,
	DIRTY_QUEUE = 1 << 1,     /* the whole queue panel */
	DIRTY_QUEUE_SEL = 1 << 2, /* only the old and new selected rows */
	DIRTY_TIMELINE = 1 << 3,
	DIRTY_MSG = 1 << 4,
	DIRTY_HELP = 1 << 5,
	DIRTY_PANEL = 1 << 6,     /* the on-call view or the compose panel */
	DIRTY_ALL = 0xff,
};

struct tui {
	struct app *app;
	struct keymap *km;
	bool quit;

	/* windows (tui/layout.c) */
	WINDOW *w_status, *w_queue, *w_tl, *w_msg, *w_help;
	WINDOW *w_panel;     /* the body area, for the on-call view and the compose panel */
	int queue_h, tl_h;   /* rows of the panels, title rows included */
	bool side_by_side;
	bool too_small;      /* below 20x5: only a notice is drawn */
	bool zoom;
	enum focus focus;
	bool help_open;
	int help_top;
	GPtrArray *help_rows; /* struct keymap_help_row * */
	unsigned dirty;

	/* the queue (tui/queue.c) */
	GPtrArray *cases;    /* struct case_view * (owning), app_cases order */
	GPtrArray *rows;     /* struct case_view *, the filtered view of cases */
	int sel, top;        /* selected row and first visible row */
	int64_t sel_id;      /* the selected case's id (kept across reloads), -1 for none */
	int prev_sel;        /* selection drawn last, for DIRTY_QUEUE_SEL */
	bool show_closed;
	bool f_mine, f_unassigned;
	char *f_state;       /* a state name, or NULL */
	char *f_query;       /* a notmuch query, or NULL */
	GHashTable *f_threads; /* thread ids matching f_query */

	/* the timeline (tui/timeline.c) */
	struct case_view *tl_cv;  /* the open case, NULL when none */
	GPtrArray *tl_msgs;       /* struct thread_message * */
	GPtrArray *tl_events;     /* struct store_event * */
	char *tl_error;           /* why messages could not be read */
	GPtrArray *tl_lines;      /* struct tl_line * */
	int tl_width;             /* width the lines were built for */
	int tl_top;
	bool tl_quotes;           /* quoted text unfolded */

	/* the on-call view (tui/oncall.c) */
	bool oncall_open;
	bool oncall_mine;         /* only my cases' deadlines */
	int oncall_sel, oncall_top;
	int64_t oncall_sel_case;  /* the selected deadline (case, kind), kept across reloads */
	int oncall_sel_kind;
	/* who is on call by the rota, for the status bar (tui/oncall.c) */
	char *oncall_who;         /* NULL: no rota, or before its first date */
	char *oncall_error;       /* why the rota could not be read, or NULL */
	time_t oncall_checked;    /* when (app->now) it was last worked out; 0 never */

	/* the compose panel (tui/compose.c): open while it runs, else NULL */
	struct composer *composer;

	/* the message line (tui/status.c) */
	char *msg;
	enum style msg_style;
	bool msg_keep;            /* set during this key press: keep it for the next draw */

	/* live refresh */
	int64_t data_version;
	uint64_t mail_rev;
	bool have_mail_rev;
	time_t last_tick;
};

/* tui/layout.c */
void layout_update(struct tui *t);
void layout_free(struct tui *t);
int queue_visible_rows(const struct tui *t);
int tl_visible_rows(const struct tui *t);

/* tui/status.c */
void status_draw(struct tui *t);
void msg_draw(struct tui *t);
void tui_message(struct tui *t, enum style st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* tui/queue.c */
int queue_reload(struct tui *t, struct error *err);
void queue_apply_filters(struct tui *t);
void queue_draw(struct tui *t);
void queue_draw_sel(struct tui *t);
void queue_move(struct tui *t, int delta);
void queue_move_to(struct tui *t, int row);
struct case_view *queue_selected(const struct tui *t);
void queue_free(struct tui *t);
const char *queue_filter_text(const struct tui *t); /* static buffer: "mine, state=new", "" */

/* tui/timeline.c */
int timeline_open(struct tui *t, int64_t case_id, struct error *err);
int timeline_reload(struct tui *t, bool messages, struct error *err);
void timeline_build(struct tui *t);
void timeline_draw(struct tui *t);
void timeline_scroll(struct tui *t, int delta);
void timeline_scroll_to(struct tui *t, int line);
void timeline_jump_message(struct tui *t, int dir);
void timeline_free(struct tui *t);

/* tui/help.c */
void help_open(struct tui *t);
void help_draw(struct tui *t);
void help_scroll(struct tui *t, int delta);
void help_free(struct tui *t);

/* tui/prompt.c */
struct prompt_opts {
	const char *label;            /* "severity: " */
	const char *initial;          /* text to start from, may be NULL */
	const char *const *choices;   /* completion choices, NULL-terminated, may be NULL */
	bool masked;                  /* passphrases: show '*' */
};
/* Asks on the bottom line.  0 and *OUT (g_free) when accepted, -1 when cancelled. */
int prompt_read(struct tui *t, const struct prompt_opts *o, char **out);
/* prompt_read with the usual options: the answer (g_free), or NULL when cancelled. */
char *prompt_ask(struct tui *t, const char *label, const char *initial,
    const char *const *choices);
/* y/n question: true only for y. */
bool prompt_yes_no(struct tui *t, const char *question);
/* The CHOICES that start with TEXT (case-insensitive), not owned; for completion and its hint. */
GPtrArray *prompt_matches(const char *const *choices, const char *text);

/* tui/action.c: the case actions; ACT is one of the case actions of keys/action.h. */
void case_action(struct tui *t, enum action act);
/*
 * After a change to case ID: reloads the queue and shows the case (its
 * messages again too when MESSAGES) in the timeline, scrolled to the end
 * where the new event is.
 */
void case_changed(struct tui *t, int64_t id, bool messages);

/*
 * tui/editor.c: the built-in multi-line editor.  The text is plaintext of
 * an embargoed case: it is wiped when replaced or freed; editor_text()'s
 * copy must be wiped by its caller.
 */
struct editor;
struct editor *editor_new(void);
void editor_free(struct editor *e);
void editor_set_text(struct editor *e, const char *utf8); /* invalid UTF-8 becomes U+FFFD, CR is dropped */
char *editor_text(const struct editor *e);    /* new UTF-8 string: wipe, then g_free */
bool editor_blank(const struct editor *e);    /* empty or only white space */
void editor_home(struct editor *e);           /* cursor and view to the start */
/*
 * Does editor action ACT (ACT_EDITOR_*), or inserts K when ACT is ACT_NONE
 * and K is text, for text WIDTH columns wide.  1: the text changed; 0: the
 * cursor moved (or nothing happened); -1: the text is full; -2: not an
 * editor key.
 */
int editor_key(struct editor *e, enum action act, key_code k, int width);
/* Draws the text soft-wrapped into rows Y.. Y+HEIGHT-1 of W and puts W's cursor at the editor's. */
void editor_draw(struct editor *e, WINDOW *w, int y, int height);

/*
 * tui/compose.c: the compose panel.  composer_reply() and composer_note()
 * run the panel until it is left (or the program is told to quit, after the
 * draft is saved); the panel draws through tui_draw().
 */
void composer_reply(struct tui *t, const struct case_view *cv);
void composer_note(struct tui *t, const struct case_view *cv);
void composer_draw(struct tui *t);

/* tui/oncall.c: the on-call view and the status bar's on-call hint. */
void oncall_view_toggle(struct tui *t);
void oncall_view_draw(struct tui *t);
void oncall_view_move(struct tui *t, int delta, bool absolute);
int oncall_view_page(const struct tui *t);
void oncall_view_toggle_mine(struct tui *t);
int64_t oncall_view_selected(struct tui *t); /* the selected deadline's case, -1 for none */
/* "on call: bob" for the status bar (NULL without a rota), refreshed when the clock moves; static buffer. */
const char *oncall_hint(struct tui *t, bool wide);
void oncall_free(struct tui *t);

/* tui/tui.c */
void tui_draw(struct tui *t);
void tui_resize(struct tui *t);
void tui_reload(struct tui *t, bool messages);
int tui_read_key(struct tui *t, key_code *out); /* 0 a key, 1 resize, -1 timeout/signal */
/* Live refresh on the idle timer (FORCE: now, and read the open thread again). */
void tui_poll(struct tui *t, bool force);
/* Selects case ID in the queue (dropping filters that hide it) and opens it in the timeline. */
void tui_open_case(struct tui *t, int64_t id);
/* Forgets a SIGINT that arrived while a child (the editor) had the terminal. */
void tui_forget_interrupt(void);

#endif
