/* authlimit.h: the one authentication-failure limiter that every module which checks a
 * password shares (the registrar's digest, TURN's long-term credentials, later calls and
 * voicemail PINs). After `failures` failures from one source within `window_s` seconds, the
 * source is banned for `ban_s` seconds: every module refuses it without checking a password,
 * so guesses through one module count against guesses through all of them.
 *
 * A source is an address without port; IPv6 sources are counted by their /64 (one host owns
 * a whole /64 and can pick any address in it), IPv4-mapped IPv6 as IPv4. The table holds at
 * most XB_AUTHLIMIT_MAX_SOURCES sources; when full, the source least recently failed is
 * forgotten (never "stop counting"). A party that owns that many addresses can so lift its
 * own ban early; it cannot lift anyone else's or ban anyone.
 *
 * What a caller may count: only a failure that a forged source cannot produce, i.e. a wrong
 * answer to a challenge (a nonce) that this server sent to that very address and that has
 * not expired. Whoever produced it received our nonce at the address, so it is that address
 * (or someone on its path) guessing. A response to a made-up, foreign or expired nonce is
 * answered with a new challenge and never counted: over UDP anyone can forge it.
 *
 * Settings: directory.ban_failures, directory.ban_window and directory.ban_time (also
 * accepted as registrar.ban_*), in the core directory's section; the core applies them with
 * xb_authlimit_configure() at start and on reload, whichever modules are loaded. The defaults
 * below are theirs. Main loop only, no locks; each call is O(1). */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

#define XB_AUTHLIMIT_MAX_SOURCES      65536
#define XB_AUTHLIMIT_DEFAULT_FAILURES 10
#define XB_AUTHLIMIT_DEFAULT_WINDOW_S 60
#define XB_AUTHLIMIT_DEFAULT_BAN_S    600

typedef struct {
	guint failures;  /* failures within window_s that start a ban; 0: never ban */
	gint64 window_s; /* seconds in which those failures count */
	gint64 ban_s;    /* seconds a banned source is refused */
} XbAuthLimitConfig;

/* A source as every per-source limit counts it (bans, connections per source): an IPv4
 * address, IPv4-mapped IPv6 as IPv4, or an IPv6 /64. xb_source_key is FALSE for a family
 * other than AF_INET and AF_INET6. The hash is seeded per run, for GHashTable. */
typedef struct {
	guint64 bits; /* IPv4 address, or the upper 64 bits of an IPv6 one */
	guint8 family;
} XbSourceKey;
gboolean xb_source_key(const struct sockaddr *sa, XbSourceKey *k);
guint xb_source_key_hash(gconstpointer k);
gboolean xb_source_key_equal(gconstpointer a, gconstpointer b);

void xb_authlimit_configure(const XbAuthLimitConfig *cfg);
void xb_authlimit_get_config(XbAuthLimitConfig *out);

/* Is the source of `sa` (AF_INET or AF_INET6; the port is ignored) banned now? */
gboolean xb_authlimit_is_banned(const struct sockaddr *sa);
/* Counts one failure of `module` ("registrar", "turn") from sa. TRUE when it started a ban;
 * the limiter then logs the one line that says so, naming the module. */
gboolean xb_authlimit_failure(const struct sockaddr *sa, const char *module);

/* For status and tests: sources counted, and of those, banned now. */
guint xb_authlimit_tracked_count(void);
guint xb_authlimit_banned_count(void);
/* Forgets every source (core shutdown, tests); the configuration stays. */
void xb_authlimit_reset(void);

G_END_DECLS
