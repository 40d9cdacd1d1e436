/* tui/tui.c: tui_run(): screen setup, the key loop, dispatch of actions, live refresh, teardown. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crypto.h"
#include "core/domain.h"
#include "core/mail.h"
#include "core/store.h"
#include "tui/tui.h"

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

void
tui_forget_interrupt(void)
{
	if (got_signal == SIGINT)
		got_signal = 0;
}

/* ncurses function keys to embargo's key codes. */
static key_code
map_function_key(wint_t k)
{
	static const struct {
		int curses;
		key_code key;
	} map[] = {
		{ KEY_UP, KEYC_UP },
		{ KEY_DOWN, KEYC_DOWN },
		{ KEY_LEFT, KEYC_LEFT },
		{ KEY_RIGHT, KEYC_RIGHT },
		{ KEY_PPAGE, KEYC_PAGEUP },
		{ KEY_NPAGE, KEYC_PAGEDOWN },
		{ KEY_HOME, KEYC_HOME },
		{ KEY_END, KEYC_END },
		{ KEY_IC, KEYC_INSERT },
		{ KEY_DC, KEYC_DELETE },
		{ KEY_BTAB, KEYC_BTAB },
		{ KEY_BACKSPACE, KEYC_BACKSPACE },
		{ KEY_ENTER, KEYC_ENTER },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if ((wint_t)map[i].curses == k)
			return map[i].key;
	if (k >= (wint_t)KEY_F(1) && k <= (wint_t)KEY_F(12))
		return KEYC_F1 + (key_code)(k - (wint_t)KEY_F(1));
	return KEYC_NONE;
}

/* A character from the terminal (not a function key) to a key code. */
static key_code
map_char(wint_t c)
{
	switch (c) {
	case '\r':
	case '\n':
		return KEYC_ENTER;
	case '\t':
		return KEYC_TAB;
	case 0x1b:
		return KEYC_ESCAPE;
	case 0x7f:
		return KEYC_BACKSPACE;
	case 0:
		return KEYC_CTRL | ' ';
	default:
		break;
	}
	if (c >= 1 && c <= 26)
		return KEYC_CTRL | (key_code)('a' + c - 1);
	if (c < 0x20)
		return KEYC_CTRL | (key_code)(c + 0x40);
	return (key_code)c;
}

int
tui_read_key(struct tui *t, key_code *out)
{
	wint_t wch;
	int rc;
	key_code k;

	if (t->w_msg == NULL)
		return -1;
	rc = wget_wch(t->w_msg, &wch);
	if (got_signal) {
		t->quit = true;
		return -1;
	}
	if (rc == ERR)
		return -1;
	if (rc == KEY_CODE_YES) {
		if (wch == KEY_RESIZE) {
			tui_resize(t);
			tui_draw(t);
			return 1;
		}
		if ((k = map_function_key(wch)) == KEYC_NONE)
			return -1;
		*out = k;
		return 0;
	}
	k = map_char(wch);
	if (k == KEYC_ESCAPE) {
		/* ESC and a key that came with it: Meta (Alt) plus that key. */
		wint_t next;

		wtimeout(t->w_msg, 0);
		rc = wget_wch(t->w_msg, &next);
		if (rc == OK && next == 0x1b)
			unget_wch(next); /* Escape, then a key of its own (M-x) */
		else if (rc == OK)
			k = KEYC_META | map_char(next);
		else if (rc == KEY_CODE_YES && next != KEY_RESIZE &&
		    map_function_key(next) != KEYC_NONE)
			k = KEYC_META | map_function_key(next);
		else if (rc == KEY_CODE_YES && next == KEY_RESIZE)
			unget_wch(next);
	}
	*out = keyc_normalize(k);
	return 0;
}

void
tui_draw(struct tui *t)
{
	if (t->w_status == NULL || t->w_msg == NULL)
		return;
	if (t->too_small) {
		werase(t->w_status);
		wnoutrefresh(t->w_status);
		msg_draw(t);
		wnoutrefresh(t->w_msg);
		doupdate();
		t->dirty = 0;
		return;
	}
	if (t->dirty & DIRTY_STATUS) {
		status_draw(t);
		wnoutrefresh(t->w_status);
	}
	if (t->help_open) {
		if (t->dirty & (DIRTY_HELP | DIRTY_QUEUE | DIRTY_TIMELINE)) {
			help_draw(t);
			wnoutrefresh(t->w_help);
		}
	} else if (t->composer != NULL) {
		if (t->w_panel != NULL && (t->dirty & (DIRTY_PANEL |
		    DIRTY_HELP | DIRTY_QUEUE | DIRTY_TIMELINE))) {
			composer_draw(t);
			wnoutrefresh(t->w_panel);
		}
	} else if (t->oncall_open) {
		if (t->w_panel != NULL && (t->dirty & (DIRTY_PANEL |
		    DIRTY_HELP | DIRTY_QUEUE | DIRTY_TIMELINE | DIRTY_STATUS))) {
			oncall_view_draw(t);
			wnoutrefresh(t->w_panel);
		}
	} else {
		if (t->w_queue != NULL && (t->dirty & DIRTY_QUEUE)) {
			queue_draw(t);
			wnoutrefresh(t->w_queue);
		} else if (t->w_queue != NULL && (t->dirty & DIRTY_QUEUE_SEL)) {
			queue_draw_sel(t);
			wnoutrefresh(t->w_queue);
		}
		if (t->w_tl != NULL && (t->dirty & DIRTY_TIMELINE)) {
			timeline_draw(t);
			wnoutrefresh(t->w_tl);
		}
	}
	if (t->dirty & DIRTY_MSG) {
		msg_draw(t);
		wnoutrefresh(t->w_msg);
	}
	/* The editor's cursor: the last window refreshed places it. */
	if (t->composer != NULL && !t->help_open && t->w_panel != NULL)
		wnoutrefresh(t->w_panel);
	doupdate();
	t->dirty = 0;
}

void
tui_resize(struct tui *t)
{
	erase();
	wnoutrefresh(stdscr);
	layout_update(t);
	if (t->w_tl != NULL && getmaxx(t->w_tl) != t->tl_width)
		timeline_build(t);
	else
		timeline_scroll(t, 0);
	queue_move_to(t, t->sel);
	help_scroll(t, 0);
	t->dirty = DIRTY_ALL;
}

void
tui_reload(struct tui *t, bool messages)
{
	struct error err = {{0}};

	if (queue_reload(t, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	if (timeline_reload(t, messages, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	t->dirty |= DIRTY_QUEUE | DIRTY_TIMELINE | DIRTY_STATUS;
}

/*
 * Live refresh, on the idle timer: another handler's commit changes the
 * store's data_version, new mail changes notmuch's revision; the clock
 * moving on changes the times left.  Only then is anything reloaded.
 */
void
tui_poll(struct tui *t, bool force)
{
	struct error err = {{0}};
	bool store_changed = false, mail_changed = false, clock_changed;
	int64_t dv;
	uint64_t rev;

	if (store_data_version(t->app->st, &dv, &err) == 0 &&
	    dv != t->data_version) {
		t->data_version = dv;
		store_changed = true;
	}
	if (t->app->mail != NULL && mail_revision(t->app->mail, &rev,
	    &err) == 0 && (!t->have_mail_rev || rev != t->mail_rev)) {
		t->mail_rev = rev;
		t->have_mail_rev = true;
		mail_changed = true;
	}
	if (app_tick(t->app, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	clock_changed = t->app->now / 60 != t->last_tick / 60;
	t->last_tick = t->app->now;

	if ((mail_changed || force) && app_refresh(t->app, &err) != 0)
		tui_message(t, ST_ERROR, "refresh: %s", err.msg);
	/* Asked for: read the open thread again (a key may have been imported meanwhile). */
	if (force && t->tl_msgs != NULL) {
		g_ptr_array_unref(t->tl_msgs);
		t->tl_msgs = NULL;
	}
	if (store_changed || mail_changed || clock_changed || force)
		tui_reload(t, mail_changed || force);
}

static enum key_context
current_context(const struct tui *t)
{
	if (t->help_open)
		return KCTX_HELP;
	if (t->oncall_open)
		return KCTX_ONCALL;
	return t->focus == FOCUS_TIMELINE ? KCTX_TIMELINE : KCTX_QUEUE;
}

/* Movement goes to the help screen, the timeline or the queue, whichever has the keys. */
static void
tui_move(struct tui *t, enum action a)
{
	int page, delta = 0, to = -1;

	if (t->help_open)
		page = t->w_help ? getmaxy(t->w_help) - 1 : 1;
	else if (t->oncall_open)
		page = oncall_view_page(t);
	else if (t->focus == FOCUS_TIMELINE)
		page = tl_visible_rows(t);
	else
		page = queue_visible_rows(t);
	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_MOVE_DOWN: delta = 1; break;
	case ACT_MOVE_UP: delta = -1; break;
	case ACT_PAGE_DOWN: delta = page; break;
	case ACT_PAGE_UP: delta = -page; break;
	case ACT_HALF_DOWN: delta = page / 2 > 0 ? page / 2 : 1; break;
	case ACT_HALF_UP: delta = -(page / 2 > 0 ? page / 2 : 1); break;
	case ACT_TOP: to = 0; break;
	case ACT_BOTTOM: to = G_MAXINT / 2; break;
	default: return;
	}
	if (t->help_open)
		help_scroll(t, to >= 0 ? to - t->help_top : delta);
	else if (t->oncall_open)
		oncall_view_move(t, to >= 0 ? to : delta, to >= 0);
	else if (t->focus == FOCUS_TIMELINE)
		timeline_scroll_to(t, to >= 0 ? to : t->tl_top + delta);
	else
		queue_move_to(t, to >= 0 ? to : t->sel + delta);
}

static void
open_selected(struct tui *t)
{
	struct error err = {{0}};
	struct case_view *cv = queue_selected(t);

	if (cv == NULL) {
		tui_message(t, ST_ERROR, "no case selected");
		return;
	}
	tui_message(t, ST_INFO, "reading case %lld...", (long long)cv->sc->id);
	msg_draw(t);
	wnoutrefresh(t->w_msg);
	doupdate();
	if (timeline_open(t, cv->sc->id, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	else {
		g_free(t->msg);
		t->msg = NULL;
	}
	t->focus = FOCUS_TIMELINE;
	if (t->zoom)
		tui_resize(t);
	t->dirty |= DIRTY_TIMELINE | DIRTY_MSG | DIRTY_QUEUE_SEL;
}

/* A filter's answer, without the blanks around it. */
static char *
ask(struct tui *t, const char *label, const char *initial,
    const char *const *choices)
{
	char *answer = prompt_ask(t, label, initial, choices);

	return answer != NULL ? g_strstrip(answer) : NULL;
}

static void
filter_query(struct tui *t)
{
	struct error err = {{0}};
	char *q = ask(t, "notmuch query (empty: all): ", t->f_query, NULL);
	GPtrArray *threads;

	if (q == NULL)
		return;
	if (*q == '\0') {
		g_free(t->f_query);
		t->f_query = NULL;
		if (t->f_threads != NULL)
			g_hash_table_unref(t->f_threads);
		t->f_threads = NULL;
	} else if (t->app->mail == NULL) {
		tui_message(t, ST_ERROR, "the notmuch database is not open; "
		    "cannot search");
	} else if (mail_search_threads(t->app->mail, t->app->cfg, q, &threads,
	    &err) != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
	} else {
		if (t->f_threads != NULL)
			g_hash_table_unref(t->f_threads);
		t->f_threads = g_hash_table_new_full(g_str_hash, g_str_equal,
		    g_free, NULL);
		for (guint i = 0; i < threads->len; i++)
			g_hash_table_add(t->f_threads,
			    g_strdup(threads->pdata[i]));
		g_ptr_array_unref(threads);
		g_free(t->f_query);
		t->f_query = g_strdup(q);
	}
	g_free(q);
	queue_apply_filters(t);
}

static void
filter_state(struct tui *t)
{
	char *names[STATE__COUNT + 1];
	char *s;

	for (int i = 0; i < STATE__COUNT; i++)
		names[i] = (char *)state_name((enum state)i);
	names[STATE__COUNT] = NULL;
	s = ask(t, "show state (empty: all): ", t->f_state,
	    (const char *const *)names);
	if (s == NULL)
		return;
	if (*s != '\0' && state_from_name(s) < 0) {
		tui_message(t, ST_ERROR, "unknown state '%.64s' (Tab lists "
		    "them)", s);
		g_free(s);
		return;
	}
	g_free(t->f_state);
	t->f_state = *s ? g_strdup(s) : NULL;
	g_free(s);
	queue_apply_filters(t);
}

static void
filter_clear(struct tui *t)
{
	t->f_mine = t->f_unassigned = false;
	g_free(t->f_state);
	g_free(t->f_query);
	t->f_state = t->f_query = NULL;
	if (t->f_threads != NULL)
		g_hash_table_unref(t->f_threads);
	t->f_threads = NULL;
	queue_apply_filters(t);
}

void
tui_open_case(struct tui *t, int64_t id)
{
	int row = -1;

	for (int pass = 0; pass < 2 && row < 0; pass++) {
		for (guint i = 0; i < t->rows->len && row < 0; i++)
			if (((struct case_view *)t->rows->pdata[i])->sc->id == id)
				row = (int)i;
		/* Hidden by a filter: the user asked for this case, so the filters go. */
		if (row < 0 && pass == 0)
			filter_clear(t);
	}
	if (row < 0) {
		tui_message(t, ST_ERROR, "case %lld is not in the queue",
		    (long long)id);
		return;
	}
	queue_move_to(t, row);
	open_selected(t);
}

static void
dispatch(struct tui *t, key_code k)
{
	enum action a = keymap_lookup(t->km, current_context(t), k);
	struct error err = {{0}};
	char name[KEYC_NAME_LEN];

	switch (a) {
	case ACT_NONE:
		tui_message(t, ST_INFO, "%s: no action here (? lists the keys)",
		    keyc_name(k, name));
		break;
	case ACT_QUIT:
		t->quit = true;
		break;
	case ACT_HELP:
		if (t->help_open) {
			t->help_open = false;
			t->dirty = DIRTY_ALL;
		} else
			help_open(t);
		break;
	case ACT_CLOSE:
		if (t->help_open) {
			t->help_open = false;
			t->dirty = DIRTY_ALL;
		} else if (t->oncall_open) {
			oncall_view_toggle(t);
		} else if (t->focus == FOCUS_TIMELINE) {
			t->focus = FOCUS_QUEUE;
			if (t->zoom)
				tui_resize(t);
			t->dirty |= DIRTY_TIMELINE | DIRTY_QUEUE_SEL;
		}
		break;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		t->dirty = DIRTY_ALL;
		break;
	case ACT_REFRESH:
		tui_poll(t, true);
		if (t->msg == NULL || t->msg_style != ST_ERROR)
			tui_message(t, ST_INFO, "refreshed");
		break;
	case ACT_SWITCH_PANEL:
		if (t->help_open)
			break;
		t->focus = t->focus == FOCUS_QUEUE ? FOCUS_TIMELINE :
		    FOCUS_QUEUE;
		if (t->zoom)
			tui_resize(t);
		t->dirty |= DIRTY_TIMELINE | DIRTY_QUEUE_SEL;
		break;
	case ACT_ZOOM:
		t->zoom = !t->zoom;
		tui_resize(t);
		break;
	case ACT_MOVE_DOWN:
	case ACT_MOVE_UP:
	case ACT_PAGE_DOWN:
	case ACT_PAGE_UP:
	case ACT_HALF_DOWN:
	case ACT_HALF_UP:
	case ACT_TOP:
	case ACT_BOTTOM:
		tui_move(t, a);
		break;
	case ACT_OPEN:
		if (t->oncall_open) {
			int64_t id = oncall_view_selected(t);

			if (id < 0) {
				tui_message(t, ST_INFO, "nothing selected");
				break;
			}
			oncall_view_toggle(t);
			tui_open_case(t, id);
		} else
			open_selected(t);
		break;
	case ACT_ONCALL:
		if (t->help_open) {
			t->help_open = false;
			t->dirty = DIRTY_ALL;
		}
		oncall_view_toggle(t);
		break;
	case ACT_FILTER_QUERY:
		filter_query(t);
		break;
	case ACT_FILTER_MINE:
		if (t->oncall_open) {
			oncall_view_toggle_mine(t);
			break;
		}
		t->f_mine = !t->f_mine;
		queue_apply_filters(t);
		break;
	case ACT_FILTER_UNASSIGNED:
		t->f_unassigned = !t->f_unassigned;
		queue_apply_filters(t);
		break;
	case ACT_FILTER_STATE:
		filter_state(t);
		break;
	case ACT_FILTER_CLEAR:
		filter_clear(t);
		break;
	case ACT_SHOW_CLOSED:
		t->show_closed = !t->show_closed;
		if (queue_reload(t, &err) != 0)
			tui_message(t, ST_ERROR, "%s", err.msg);
		break;
	case ACT_NEXT_MESSAGE:
		timeline_jump_message(t, 1);
		break;
	case ACT_PREV_MESSAGE:
		timeline_jump_message(t, -1);
		break;
	case ACT_TOGGLE_QUOTES:
		t->tl_quotes = !t->tl_quotes;
		timeline_build(t);
		tui_message(t, ST_INFO, "quoted text %s",
		    t->tl_quotes ? "shown" : "folded");
		break;
	case ACT_CLAIM:
	case ACT_ASSIGN:
	case ACT_SET_STATE:
	case ACT_SET_SEVERITY:
	case ACT_SET_EMBARGO:
	case ACT_SET_CVE:
	case ACT_SET_AFFECTED:
	case ACT_REPLY:
	case ACT_NOTE:
	case ACT_NOTE_EDITOR:
	case ACT_MARK:
	case ACT_CHECK:
	case ACT_RESPONSE_SENT:
	case ACT_DISTROS_NOTIFIED:
	case ACT_ANNOUNCED:
		case_action(t, a);
		break;
	default:
		/* Prompt actions never come here: prompts read their own keys. */
		break;
	}
}

/* Asked by gpg (loopback pinentry) when a secret key needs a passphrase. */
static char *
tui_passphrase(void *arg, const char *hint, bool bad_before)
{
	struct tui *t = arg;
	struct prompt_opts o = { NULL, NULL, NULL, true };
	char *label, *answer = NULL;

	label = g_strdup_printf("%spassphrase for %s: ",
	    bad_before ? "wrong passphrase; " : "", hint ? hint : "the key");
	o.label = label;
	if (prompt_read(t, &o, &answer) != 0)
		answer = NULL;
	g_free(label);
	t->dirty = DIRTY_ALL;
	tui_draw(t);
	return answer;
}

/*
 * Libraries (gpgme, notmuch, GLib) may write to stderr; on a curses screen
 * that would scribble over the panels, so stderr goes to a log file while
 * the screen is up.  Returns the saved stderr, or -1.
 */
static int
stderr_to_log(char **path_out)
{
	const char *state = g_getenv("XDG_STATE_HOME");
	char *dir, *path;
	int fd, saved;

	if (state != NULL && g_path_is_absolute(state))
		dir = g_build_filename(state, "embargo", NULL);
	else
		dir = g_build_filename(g_get_home_dir(), ".local", "state",
		    "embargo", NULL);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_free(dir);
		return -1;
	}
	path = g_build_filename(dir, "tui.log", NULL);
	g_free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_free(path);
		return -1;
	}
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		close(fd);
		g_free(path);
		return -1;
	}
	close(fd);
	*path_out = path;
	return saved;
}

static void
stderr_restore(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static void
signals_set(void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the wait for a key must end so the loop can quit. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static bool
want_colour(const struct config *cfg)
{
	const char *nc = getenv("NO_COLOR");

	return cfg->color && (nc == NULL || *nc == '\0');
}

/*
 * Opens the gpgme context once the first screen is up and no key is
 * waiting: gpgme's first context runs gpgconf and gpg --version (some
 * 20-40 ms), which would otherwise land on the first case opened.  A
 * failure is left for app_thread to report when a case is opened.
 */
static void
crypto_warm_up(struct tui *t)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	struct error err = {{0}};

	if (t->app->crypto != NULL || poll(&p, 1, 0) != 0)
		return;
	(void)app_open_crypto(t->app, &err);
}

static void
tui_loop(struct tui *t)
{
	int ms = t->app->cfg->refresh_secs > 0 ?
	    t->app->cfg->refresh_secs * 1000 : 2000;
	bool warm = false;

	while (!t->quit) {
		key_code k;
		int rc;

		tui_draw(t);
		if (!warm) {
			warm = true;
			crypto_warm_up(t);
		}
		if (t->w_msg != NULL)
			wtimeout(t->w_msg, ms);
		rc = tui_read_key(t, &k);
		if (t->quit)
			break;
		if (rc < 0) {
			tui_poll(t, false);
			continue;
		}
		if (rc == 1)
			continue;
		t->msg_keep = false;
		dispatch(t, k);
		if (!t->msg_keep && t->msg != NULL) {
			g_free(t->msg);
			t->msg = NULL;
			t->dirty |= DIRTY_MSG;
		}
	}
}

int
tui_run(const struct cmd_globals *g)
{
	struct tui tui, *t = &tui;
	struct error err = {{0}}, rerr = {{0}};
	SCREEN *scr;
	char *log_path = NULL;
	int saved_stderr, status = EXIT_OK;
	bool refreshed;

	memset(t, 0, sizeof *t);
	t->sel_id = -1;
	/* Configuration errors first, terminal or not. */
	if (app_open(g->config_path, &t->app, &err) != 0)
		return cmd_fail(&err);
	t->km = keymap_new();
	if (keymap_load_config(t->km, t->app->cfg, &err) != 0) {
		status = cmd_fail(&err);
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "embargo: the interactive interface needs a "
		    "terminal; use a command (embargo --help lists them)\n");
		status = EXIT_FAIL;
		goto out;
	}
	refreshed = app_refresh(t->app, &rerr) == 0;
	app_set_passphrase_fn(t->app, tui_passphrase, t);
	store_data_version(t->app->st, &t->data_version, &err);
	if (t->app->mail != NULL && mail_revision(t->app->mail, &t->mail_rev,
	    &err) == 0)
		t->have_mail_rev = true;
	t->last_tick = t->app->now;

	if (getenv("ESCDELAY") == NULL)
		set_escdelay(50);
	saved_stderr = stderr_to_log(&log_path);
	if ((scr = newterm(NULL, stdout, stdin)) == NULL) {
		stderr_restore(saved_stderr);
		fprintf(stderr, "embargo: cannot set up the terminal (TERM=%s)\n",
		    getenv("TERM") ? getenv("TERM") : "");
		status = EXIT_FAIL;
		goto out;
	}
	cbreak();
	noecho();
	nonl();
	curs_set(0);
	colour_init(want_colour(t->app->cfg));
	signals_set(on_signal);

	t->rows = g_ptr_array_new();
	layout_update(t);
	if (queue_reload(t, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	if (!refreshed)
		tui_message(t, ST_ERROR, "mail: %s", rerr.msg);
	else if (t->app->warnings->len > 0)
		tui_message(t, ST_ERROR, "config: %s",
		    (const char *)t->app->warnings->pdata[0]);
	timeline_build(t);
	tui_loop(t);

	/* The windows go before the screen that owns them. */
	layout_free(t);
	endwin();
	delscreen(scr);
	signals_set(SIG_DFL);
	stderr_restore(saved_stderr);
	if (got_signal != 0 && got_signal != SIGINT)
		status = 128 + got_signal;
out:
	layout_free(t);
	help_free(t);
	oncall_free(t);
	timeline_free(t);
	queue_free(t);
	g_free(t->msg);
	g_free(log_path);
	keymap_free(t->km);
	app_close(t->app);
	return status;
}
