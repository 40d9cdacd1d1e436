/* tests/test_domain.c: unit tests for core/domain (the name tables: lookups, round trips, bad names). */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/domain.h"

/* Names that must never be accepted by any *_from_name lookup. */
static const char *const bad_names[] = {
	"", " ", "NEW", "New", "new ", " new", "unknown", "fix_ready", "critical\n",
	"ack\0hidden", "\x1b[31m", "n\xc3\xa9w",
};

static void
test_state_names(void **state)
{
	static const char *const want[] = {"new", "acknowledged", "triaged", "confirmed",
		"fixing", "fix-ready", "distros-notified", "published", "closed", "rejected"};

	(void)state;
	assert_int_equal(STATE__COUNT, sizeof want / sizeof want[0]);
	for (int i = 0; i < STATE__COUNT; i++) {
		assert_string_equal(state_name((enum state)i), want[i]);
		assert_int_equal(state_from_name(want[i]), i);
	}
	assert_int_equal(STATE_FIX_READY, state_from_name("fix-ready"));
	assert_int_equal(STATE_DISTROS_NOTIFIED, state_from_name("distros-notified"));
}

static void
test_state_open(void **state)
{
	(void)state;
	for (int i = STATE_NEW; i <= STATE_DISTROS_NOTIFIED; i++)
		assert_true(state_is_open((enum state)i));
	assert_false(state_is_open(STATE_PUBLISHED));
	assert_false(state_is_open(STATE_CLOSED));
	assert_false(state_is_open(STATE_REJECTED));
	assert_false(state_is_open((enum state)-1));
	assert_false(state_is_open(STATE__COUNT));
}

static void
test_severity_names(void **state)
{
	static const char *const want[] = {"none", "minor", "moderate", "important", "critical"};
	enum severity sev;

	(void)state;
	assert_int_equal(SEV__COUNT, sizeof want / sizeof want[0]);
	for (int i = 0; i < SEV__COUNT; i++) {
		assert_string_equal(severity_name((enum severity)i), want[i]);
		sev = SEV_UNSET;
		assert_int_equal(severity_from_name(want[i], &sev), 0);
		assert_int_equal(sev, i);
	}
	/* Ordered from least to most severe, so comparisons mean something. */
	assert_true(SEV_NONE < SEV_MINOR && SEV_MINOR < SEV_MODERATE &&
	    SEV_MODERATE < SEV_IMPORTANT && SEV_IMPORTANT < SEV_CRITICAL);
	assert_true(SEV_UNSET < SEV_NONE);
	assert_null(severity_name(SEV_UNSET));
	assert_null(severity_name(SEV__COUNT));
}

static void
test_deadline_names(void **state)
{
	static const char *const want[][2] = {{"ack", "ack"}, {"response", "resp"},
		{"update", "upd"}, {"distros", "dist"}, {"announce", "ann"}, {"publish", "pub"}};

	(void)state;
	assert_int_equal(DL__COUNT, sizeof want / sizeof want[0]);
	for (int i = 0; i < DL__COUNT; i++) {
		assert_string_equal(deadline_kind_name((enum deadline_kind)i), want[i][0]);
		assert_string_equal(deadline_kind_short((enum deadline_kind)i), want[i][1]);
		/* Short names fit a narrow column. */
		assert_true(strlen(deadline_kind_short((enum deadline_kind)i)) <= 4);
	}
	assert_null(deadline_kind_name(DL__COUNT));
	assert_null(deadline_kind_short((enum deadline_kind)-1));
}

static void
test_urgency_names(void **state)
{
	static const char *const want[] = {"overdue", "soon", "ok", "met"};

	(void)state;
	assert_int_equal(URG__COUNT, sizeof want / sizeof want[0]);
	for (int i = 0; i < URG__COUNT; i++)
		assert_string_equal(urgency_name((enum urgency)i), want[i]);
	/* Most urgent first: sorting by the enum sorts by urgency. */
	assert_true(URG_OVERDUE < URG_SOON && URG_SOON < URG_OK && URG_OK < URG_MET);
	assert_null(urgency_name(URG__COUNT));
	assert_null(urgency_name((enum urgency)-1));
}

static void
test_checklist_names(void **state)
{
	static const char *const want[] = {"announce-mail", "blog", "forum", "advisory", "oss-security"};

	(void)state;
	assert_int_equal(CHK__COUNT, sizeof want / sizeof want[0]);
	for (int i = 0; i < CHK__COUNT; i++) {
		assert_string_equal(checklist_name((enum checklist_item)i), want[i]);
		assert_int_equal(checklist_from_name(want[i]), i);
		assert_non_null(checklist_help((enum checklist_item)i));
		assert_true(strlen(checklist_help((enum checklist_item)i)) > 3);
	}
	assert_null(checklist_name(CHK__COUNT));
	assert_null(checklist_help(CHK__COUNT));
	assert_null(checklist_help((enum checklist_item)-1));
}

static void
test_event_kinds(void **state)
{
	static const struct {
		const char *name;
		bool folds;
	} want[] = {
		{"created", false}, {"state", true}, {"severity", true}, {"handler", true},
		{"embargo", true}, {"cve", true}, {"affected", true}, {"response-sent", true},
		{"distros-notified", true}, {"announced", true}, {"check", true},
		{"note", false}, {"reply-sent", false},
	};

	(void)state;
	assert_int_equal(EV__COUNT, sizeof want / sizeof want[0]);
	for (int i = 0; i < EV__COUNT; i++) {
		assert_string_equal(event_kind_name((enum event_kind)i), want[i].name);
		assert_int_equal(event_kind_from_name(want[i].name), i);
		assert_int_equal(event_kind_folds((enum event_kind)i), want[i].folds);
	}
	assert_null(event_kind_name(EV__COUNT));
	assert_false(event_kind_folds(EV__COUNT));
	assert_false(event_kind_folds((enum event_kind)-1));
}

static void
test_names_are_unique(void **state)
{
	(void)state;
	for (int i = 0; i < STATE__COUNT; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(state_name((enum state)i), state_name((enum state)j));
	for (int i = 0; i < EV__COUNT; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(event_kind_name((enum event_kind)i),
			    event_kind_name((enum event_kind)j));
	for (int i = 0; i < DL__COUNT; i++)
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(deadline_kind_name((enum deadline_kind)i),
			    deadline_kind_name((enum deadline_kind)j));
			assert_string_not_equal(deadline_kind_short((enum deadline_kind)i),
			    deadline_kind_short((enum deadline_kind)j));
		}
	for (int i = 0; i < CHK__COUNT; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(checklist_name((enum checklist_item)i),
			    checklist_name((enum checklist_item)j));
}

static void
test_bad_names_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		enum severity sev = SEV_CRITICAL;

		assert_int_equal(state_from_name(bad_names[i]), -1);
		assert_int_equal(checklist_from_name(bad_names[i]), -1);
		assert_int_equal(event_kind_from_name(bad_names[i]), -1);
		assert_int_equal(severity_from_name(bad_names[i], &sev), -1);
		/* The out-parameter is left alone on failure. */
		assert_int_equal(sev, SEV_CRITICAL);
	}
	/* A name from one table is not accepted by another. */
	assert_int_equal(state_from_name("critical"), -1);
	assert_int_equal(checklist_from_name("new"), -1);
	assert_int_equal(event_kind_from_name("blog"), -1);
}

static void
test_null_names_rejected(void **state)
{
	enum severity sev = SEV_MINOR;

	(void)state;
	assert_int_equal(state_from_name(NULL), -1);
	assert_int_equal(checklist_from_name(NULL), -1);
	assert_int_equal(event_kind_from_name(NULL), -1);
	assert_int_equal(severity_from_name(NULL, &sev), -1);
	assert_int_equal(sev, SEV_MINOR);
}

static void
test_out_of_range_values(void **state)
{
	(void)state;
	assert_null(state_name((enum state)-1));
	assert_null(state_name(STATE__COUNT));
	assert_null(state_name((enum state)1000));
	assert_null(severity_name((enum severity)-2));
	assert_null(severity_name((enum severity)1000));
	assert_null(deadline_kind_name((enum deadline_kind)-1));
	assert_null(checklist_name((enum checklist_item)-1));
	assert_null(event_kind_name((enum event_kind)-1));
	assert_null(event_kind_name((enum event_kind)1000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_open),
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test(test_deadline_names),
		cmocka_unit_test(test_urgency_names),
		cmocka_unit_test(test_checklist_names),
		cmocka_unit_test(test_event_kinds),
		cmocka_unit_test(test_names_are_unique),
		cmocka_unit_test(test_bad_names_rejected),
		cmocka_unit_test(test_null_names_rejected),
		cmocka_unit_test(test_out_of_range_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
