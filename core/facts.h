/* core/facts.h: what a case's mail thread says, derived by core/mail and cached by core/store. */
#ifndef EMBARGO_FACTS_H
#define EMBARGO_FACTS_H

#include <stdbool.h>
#include <time.h>

/*
 * All strings are owned (g_free) and come from mail: they are untrusted and
 * must pass core/sanitize before display.  Times are 0 when absent.
 */
struct mail_facts {
	char *thread;          /* notmuch thread id */
	char *report_msgid;    /* Message-ID of the thread's first message (the case key) */
	char *subject;         /* outer Subject of the first message */
	char *reporter_name;   /* display name of the first message not from the team */
	char *reporter_addr;   /* its address, lower-cased */
	char *reply_to;        /* its Reply-To address, when it has one */
	time_t report_at;      /* date of the first message not from the team */
	time_t first_team_reply_at;   /* first team message after the report */
	time_t second_team_reply_at;  /* second team message to the reporter */
	time_t last_team_to_reporter_at; /* last team message addressed to the reporter */
	time_t last_reporter_at;       /* last message from the reporter */
	time_t last_message_at;        /* newest message in the thread */
	int message_count;
	bool encrypted;        /* any message has an encrypted part */
	bool reporter_encrypted; /* the reporter wrote encrypted at least once */
	time_t distros_mail_at;  /* first message in the thread to the distros list, 0 if none */
	time_t oss_mail_at;      /* first message to oss-security, 0 if none */
	/*
	 * Where the walk over the thread's messages stood after its last one,
	 * so that messages arriving later can be folded in without reading
	 * the old ones again (core/mail.c).
	 */
	bool has_reporter;       /* a message not from the team has been seen */
	int team_to_reporter;    /* team replies that count, addressed to the reporter */
};

void mail_facts_clear(struct mail_facts *f); /* frees the strings, zeroes the rest */
/* DST becomes a copy of SRC with strings of its own (mail_facts_clear frees them). */
void mail_facts_copy(struct mail_facts *dst, const struct mail_facts *src);

#endif
