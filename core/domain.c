/* core/domain.c: name lookups for the tables in domain.h. */
#include "build-config.h"

#include <string.h>

#include "core/domain.h"

static const struct {
	const char *name;
	bool open;
} states[] = {
#define X(e, n, o) {n, o},
	EMB_STATES(X)
#undef X
};

static const char *const severities[] = {
#define X(e, n) n,
	EMB_SEVERITIES(X)
#undef X
};

static const char *const deadline_names[][2] = {
#define X(e, n, s) {n, s},
	EMB_DEADLINES(X)
#undef X
};

static const char *const urgencies[] = {
#define X(e, n) n,
	EMB_URGENCIES(X)
#undef X
};

static const char *const checklist[][2] = {
#define X(e, n, h) {n, h},
	EMB_CHECKLIST(X)
#undef X
};

static const struct {
	const char *name;
	bool folds;
} events[] = {
#define X(e, n, f) {n, f},
	EMB_EVENTS(X)
#undef X
};

const char *
state_name(enum state s)
{
	return (s >= 0 && s < STATE__COUNT) ? states[s].name : NULL;
}

int
state_from_name(const char *name)
{
	for (int i = 0; i < STATE__COUNT; i++)
		if (name != NULL && strcmp(states[i].name, name) == 0)
			return i;
	return -1;
}

bool
state_is_open(enum state s)
{
	return s >= 0 && s < STATE__COUNT && states[s].open;
}

const char *
severity_name(enum severity s)
{
	return (s >= 0 && s < SEV__COUNT) ? severities[s] : NULL;
}

int
severity_from_name(const char *name, enum severity *out)
{
	for (int i = 0; i < SEV__COUNT; i++) {
		if (name != NULL && strcmp(severities[i], name) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	}
	return -1;
}

const char *
deadline_kind_name(enum deadline_kind k)
{
	return (k >= 0 && k < DL__COUNT) ? deadline_names[k][0] : NULL;
}

const char *
deadline_kind_short(enum deadline_kind k)
{
	return (k >= 0 && k < DL__COUNT) ? deadline_names[k][1] : NULL;
}

const char *
urgency_name(enum urgency u)
{
	return (u >= 0 && u < URG__COUNT) ? urgencies[u] : NULL;
}

const char *
checklist_name(enum checklist_item c)
{
	return (c >= 0 && c < CHK__COUNT) ? checklist[c][0] : NULL;
}

const char *
checklist_help(enum checklist_item c)
{
	return (c >= 0 && c < CHK__COUNT) ? checklist[c][1] : NULL;
}

int
checklist_from_name(const char *name)
{
	for (int i = 0; i < CHK__COUNT; i++)
		if (name != NULL && strcmp(checklist[i][0], name) == 0)
			return i;
	return -1;
}

const char *
event_kind_name(enum event_kind k)
{
	return (k >= 0 && k < EV__COUNT) ? events[k].name : NULL;
}

int
event_kind_from_name(const char *name)
{
	for (int i = 0; i < EV__COUNT; i++)
		if (name != NULL && strcmp(events[i].name, name) == 0)
			return i;
	return -1;
}

bool
event_kind_folds(enum event_kind k)
{
	return k >= 0 && k < EV__COUNT && events[k].folds;
}
