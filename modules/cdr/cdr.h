/* cdr.h: mod_cdr's shared declarations, private to modules/cdr/. The recorder turns the
 * channel layer's state events into one record per call (cdr_call.c), kept by a store
 * (cdr_store.h) and shown by `crossbar-cli cdr` (cdr_cli.c). */
#pragma once

#include "cdr_store.h"

/* Seconds between two heartbeats: a crash is dated at most this much too early. */
#define CDR_HEARTBEAT_S 10

typedef struct cdr Cdr;

/* A recorder of `node`'s calls into store (which it takes): closes the records a previous
 * run left open, writes the first heartbeat and keeps beating. owner (may be NULL) owns
 * its timer. NULL with error when the store cannot be read or written. */
Cdr *cdr_new(XbModule *owner, CdrStore *store, const char *node, GError **error);
/* A clean stop: the calls still up are closed now, with the cause known (the core hangs
 * every call up first), and every write is committed. */
void cdr_free(Cdr *cdr);
CdrStore *cdr_store(Cdr *cdr);
/* An XB_EVENT_CHANNEL_STATE payload, (sssa{sv}). */
void cdr_channel_event(Cdr *cdr, GVariant *payload);
/* Calls whose A-leg is up. */
guint cdr_live_calls(Cdr *cdr);

void cdr_cli_register(XbModule *module, Cdr *cdr);
