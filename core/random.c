/* random.c: unguessable tokens from OpenSSL's CSPRNG (see crossbar/random.h). */
#include <crossbar/random.h>

#include <openssl/rand.h>
#include <string.h>

/* RAND_bytes costs a lock, a getpid and a DRBG round per call, a few microseconds: too much
 * for a tag on every response under load. Short requests are served from a per-thread
 * buffer filled 4 KiB at a time and wiped as it is used. (The daemon does not fork after
 * start, so no two processes share a buffer.) */
#define POOL_SIZE 4096

static __thread guint8 pool[POOL_SIZE];
static __thread gsize pool_left;

static void fill(guint8 *p, gsize len)
{
	if (len == 0 || RAND_bytes(p, (int)len) == 1)
		return;
	/* The CSPRNG failed (no entropy source): say so once, and still fill the buffer. */
	static gsize warned;
	if (g_once_init_enter(&warned)) {
		g_critical("OpenSSL's RAND_bytes failed: tokens come from GLib's generator");
		g_once_init_leave(&warned, 1);
	}
	for (gsize i = 0; i < len; i++)
		p[i] = (guint8)g_random_int();
}

void xb_random_bytes(void *buf, gsize len)
{
	if (len > 64) {
		fill(buf, len);
		return;
	}
	if (pool_left < len) {
		fill(pool, POOL_SIZE);
		pool_left = POOL_SIZE;
	}
	memcpy(buf, pool + POOL_SIZE - pool_left, len);
	memset(pool + POOL_SIZE - pool_left, 0, len);
	pool_left -= len;
}

void xb_random_hex(char *out, gsize nhex)
{
	static const char digits[] = "0123456789abcdef";
	guint8 raw[64];
	gsize i = 0;

	while (i < nhex) {
		gsize n = MIN(sizeof(raw), (nhex - i + 1) / 2);
		xb_random_bytes(raw, n);
		for (gsize k = 0; k < n && i < nhex; k++) {
			out[i++] = digits[raw[k] >> 4];
			if (i < nhex)
				out[i++] = digits[raw[k] & 15];
		}
	}
	out[nhex] = 0;
}

char *xb_random_hex_new(gsize nhex)
{
	char *out = g_malloc(nhex + 1);

	xb_random_hex(out, nhex);
	return out;
}
