/* location.h: the location service (RFC 3261 §10): which contacts each extension is
 * registered at, until when, and through which flow (source address, transport,
 * connection) so that a call reaches a phone behind NAT the way its REGISTER came in.
 * Bindings live in SQLite and survive a restart; a timer removes them when they expire. */
#pragma once

#include <crossbar/crossbar.h>

typedef struct {
	char *ext;
	char *contact; /* the Contact URI as registered */
	char *call_id;
	guint32 cseq;
	gint64 expires_at; /* Unix time (s) */
	int q;             /* q-value x 1000, -1 when absent */
	char *path;        /* Path header values, comma-separated (RFC 3327), "" when none */
	char *source;      /* where the REGISTER came from: "udp:192.0.2.1:5060" */
	char *user_agent;
	guint64 conn_id; /* the TCP/TLS connection it came on (0: none or UDP) */
} Binding;

void binding_free(Binding *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Binding, binding_free)

typedef struct location Location;

/* A registration changed: published as the "registration" event (sssx): extension,
 * contact, source, seconds left (0: removed). */
#define REGISTRATION_EVENT      "registration"
#define REGISTRATION_EVENT_TYPE "(sssx)"

Location *location_new(XbModule *owner, XbDb *db, GError **error);
/* Commits whatever the batch of writes holds. */
void location_free(Location *loc);
/* How long writes may wait to share a commit (ms); 0 commits each REGISTER's at once. */
void location_set_write_interval(Location *loc, guint ms);
/* The live bindings of an extension (Binding *), soonest to expire last. */
GPtrArray *location_bindings(Location *loc, const char *ext, GError **error);
GPtrArray *location_all(Location *loc, GError **error);
/* Apply a REGISTER's changes atomically: `put` bindings are inserted or replaced (matched
 * by ext and contact), `removed` contacts deleted. They join the database's current batch
 * of writes, committed within the write interval (location_set_write_interval). */
gboolean location_apply(Location *loc, const char *ext, GPtrArray *put, GPtrArray *removed,
                        GError **error);
/* Remove what has expired now and re-arm the timer for the next expiry. */
void location_expire(Location *loc);
guint location_count(Location *loc);
