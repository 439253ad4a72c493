/* random.c: unguessable tokens from OpenSSL's CSPRNG (see crossbar/random.h). */
#include <crossbar/random.h>

#include <openssl/rand.h>

void xb_random_bytes(void *buf, gsize len)
{
	guint8 *p = buf;

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
