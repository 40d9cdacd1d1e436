/* tui/layout.c: where the panels go for the current terminal size (stacked, or side by side when wide). */
#include "build-config.h"

#include "tui/tui.h"

/* From this width the queue and the timeline sit side by side. */
#define SIDE_BY_SIDE_COLS 160

static void
del(WINDOW **w)
{
	if (*w != NULL)
		delwin(*w);
	*w = NULL;
}

void
layout_free(struct tui *t)
{
	del(&t->w_status);
	del(&t->w_queue);
	del(&t->w_tl);
	del(&t->w_msg);
	del(&t->w_help);
	del(&t->w_panel);
}

static WINDOW *
mkwin(int h, int w, int y, int x)
{
	WINDOW *win;

	if (h < 1 || w < 1)
		return NULL;
	win = newwin(h, w, y, x);
	if (win != NULL)
		leaveok(win, TRUE);
	return win;
}

/*
 * Recreates every window for LINES x COLS.  At 80x24 the queue takes the
 * top half and the timeline the bottom half, so the first screen shows both;
 * zoom gives the focused panel all of it.
 */
void
layout_update(struct tui *t)
{
	int body_y = 1, body_h = LINES - 2;
	bool show_queue, show_tl;

	layout_free(t);
	t->too_small = LINES < 6 || COLS < 30;
	t->w_status = mkwin(1, COLS, 0, 0);
	t->w_msg = mkwin(1, COLS, LINES - 1, 0);
	if (t->w_msg != NULL) {
		keypad(t->w_msg, TRUE);
		leaveok(t->w_msg, FALSE);
	}
	t->queue_h = t->tl_h = 0;
	if (t->too_small) {
		t->dirty = DIRTY_ALL;
		return;
	}

	show_queue = !t->zoom || t->focus == FOCUS_QUEUE;
	show_tl = !t->zoom || t->focus == FOCUS_TIMELINE;
	t->side_by_side = COLS >= SIDE_BY_SIDE_COLS && show_queue && show_tl;
	if (t->side_by_side) {
		int qw = COLS / 2;

		t->queue_h = t->tl_h = body_h;
		t->w_queue = mkwin(body_h, qw, body_y, 0);
		t->w_tl = mkwin(body_h, COLS - qw, body_y, qw);
	} else if (show_queue && show_tl) {
		t->queue_h = body_h / 2;
		t->tl_h = body_h - t->queue_h;
		t->w_queue = mkwin(t->queue_h, COLS, body_y, 0);
		t->w_tl = mkwin(t->tl_h, COLS, body_y + t->queue_h, 0);
	} else if (show_queue) {
		t->queue_h = body_h;
		t->w_queue = mkwin(body_h, COLS, body_y, 0);
	} else {
		t->tl_h = body_h;
		t->w_tl = mkwin(body_h, COLS, body_y, 0);
	}
	t->w_help = mkwin(body_h, COLS, body_y, 0);
	t->w_panel = mkwin(body_h, COLS, body_y, 0);
	/* Scrolling text: let ncurses use the terminal's scroll (fewer bytes over SSH). */
	if (t->w_tl != NULL)
		idlok(t->w_tl, TRUE);
	if (t->w_help != NULL)
		idlok(t->w_help, TRUE);
	t->dirty = DIRTY_ALL;
}

/* The queue's rows for cases: its window less the column headings. */
int
queue_visible_rows(const struct tui *t)
{
	return t->w_queue != NULL && t->queue_h > 1 ? t->queue_h - 1 : 0;
}

/* The timeline's text rows: its window less the title bar. */
int
tl_visible_rows(const struct tui *t)
{
	return t->w_tl != NULL && t->tl_h > 1 ? t->tl_h - 1 : 0;
}
