/* random.h: unguessable tokens. SIP tags, branches and Call-IDs (RFC 3261 §19.3: at least
 * 32 random bits, since a guessed tag lets a stranger end a call), nonce material and salts
 * all come from here: OpenSSL's RAND_bytes, a CSPRNG, never GLib's g_random (a Mersenne
 * twister whose output predicts the rest). Any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* len random octets into buf. */
void xb_random_bytes(void *buf, gsize len);
/* nhex random lowercase hex digits and a NUL into out (nhex + 1 octets). */
void xb_random_hex(char *out, gsize nhex);
/* The same, newly allocated; free with g_free. */
char *xb_random_hex_new(gsize nhex);

G_END_DECLS
