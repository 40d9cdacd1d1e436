/* tui/colour.c: display styles as colour pairs, or as attributes alone (NO_COLOR, monochrome terminals). */
#include "build-config.h"

#include "core/domain.h"
#include "tui/tui.h"

/*
 * One row per style: colours when the terminal has them, and the
 * attributes that carry the same meaning without colour (urgency must stay
 * visible: overdue bold, soon underlined, and the queue's markers).
 */
static const struct {
	short fg, bg;      /* -1: the terminal's default */
	attr_t attr;       /* with colour */
	attr_t mono;       /* without colour */
} styles[ST__COUNT] = {
	[ST_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_STATUS] = { COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE },
	[ST_TITLE] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE },
	[ST_TITLE_FOCUS] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[ST_COLHEAD] = { -1, -1, A_UNDERLINE, A_UNDERLINE },
	[ST_SELECTED] = { -1, -1, A_REVERSE, A_REVERSE },
	[ST_OVERDUE] = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[ST_SOON] = { COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE },
	[ST_OK] = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[ST_MET] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_HEADER] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[ST_BADGE_GOOD] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[ST_BADGE_BAD] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD | A_REVERSE },
	[ST_BADGE_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[ST_BODY] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_QUOTE] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[ST_GUTTER] = { COLOR_BLUE, -1, A_NORMAL, A_NORMAL },
	[ST_NOTICE] = { COLOR_MAGENTA, -1, A_NORMAL, A_UNDERLINE },
	[ST_EVENT] = { COLOR_MAGENTA, -1, A_NORMAL, A_NORMAL },
	[ST_FIELD] = { -1, -1, A_BOLD, A_BOLD },
	[ST_ERROR] = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[ST_INFO] = { -1, -1, A_NORMAL, A_NORMAL },
	[ST_HINT] = { COLOR_BLUE, -1, A_NORMAL, A_NORMAL },
};

static bool use_colour;

void
colour_init(bool want)
{
	use_colour = false;
	if (!want || !has_colors() || start_color() == ERR || COLORS < 8)
		return;
	use_default_colors();
	for (int s = 1; s < ST__COUNT; s++)
		init_pair((short)s, styles[s].fg, styles[s].bg);
	use_colour = true;
}

bool
colour_enabled(void)
{
	return use_colour;
}

attr_t
colour_attr(enum style s, short *pair)
{
	if ((int)s < 0 || s >= ST__COUNT)
		s = ST_NORMAL;
	if (!use_colour) {
		*pair = 0;
		return styles[s].mono;
	}
	*pair = styles[s].fg == -1 && styles[s].bg == -1 ? 0 : (short)s;
	return styles[s].attr;
}

void
colour_set(WINDOW *w, enum style s)
{
	short pair;
	attr_t a = colour_attr(s, &pair);

	wattr_set(w, a, pair, NULL);
}

enum style
colour_urgency(int urgency)
{
	switch (urgency) {
	case URG_OVERDUE:
		return ST_OVERDUE;
	case URG_SOON:
		return ST_SOON;
	case URG_OK:
		return ST_OK;
	case URG_MET:
		return ST_MET;
	default:
		return ST_NORMAL;
	}
}
