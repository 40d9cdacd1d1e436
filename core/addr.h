/* core/addr.h: address headers parsed leniently from raw header text. */
#ifndef EMBARGO_ADDR_H
#define EMBARGO_ADDR_H

#include <glib.h>

/*
 * Address headers (From, To, Cc, Reply-To), parsed leniently from raw
 * header text: display names (quoted, with '<' or '@' inside), comments,
 * groups.  ADDR is the addr-spec, lower-cased, always with an '@'; NAME the
 * display name or NULL.  Mailboxes without a usable address are skipped.
 */
struct mail_addr {
	char *name;
	char *addr;
};
void mail_addr_free(struct mail_addr *a);

/* All mailboxes of VALUE (GPtrArray of struct mail_addr *, owning them). */
GPtrArray *mail_addr_list_parse(const char *value);

/* The first mailbox of VALUE, or NULL when there is none (mail_addr_free). */
struct mail_addr *mail_addr_parse(const char *value);

#endif
