/* mwi.h: message waiting (RFC 3842 message-summary over RFC 6665 SUBSCRIBE/NOTIFY) for
 * mod_voicemail: subscriptions to a box's summary, kept across a restart, and unsolicited
 * NOTIFY to the registered phones of the box's owner. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>

/* A box's counts as the store holds them: new (unheard) and old (saved) messages. FALSE
 * when there is no such box. Implemented by the store (store.c). */
gboolean vm_store_counts(const char *box, guint *new_count, guint *old_count);

/* Take over SUBSCRIBE (Event: message-summary) through mod_sip's API and load the
 * subscriptions kept in the database; FALSE with error when it cannot. */
gboolean vm_mwi_start(XbModule *module, GError **error);
void vm_mwi_stop(void);
/* The box's counts changed (a deposit, a message read, saved or deleted): NOTIFY every
 * subscriber and every registered phone of the owner that expects it. */
void vm_mwi_changed(const char *box);
