/* turn_peer.c: which peers the relay may talk to (RFC 8656 §9.1 and §21):
 * turn.denied_peers first, then turn.allowed_peers, then the special-purpose classifier of
 * stun_addr_peer_allowed. An IPv4-mapped IPv6 peer is judged as its IPv4 address
 * everywhere, so ::ffff:127.0.0.1 cannot slip past a 127.0.0.0/8 rule (CVE-2020-26262 and
 * CVE-2026-27624 are the cases). It only decides; it sends nothing. */
#include "turn_private.h"

#include <string.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d becomes a.b.c.d; anything else is copied. */
static void unmap(struct stun_addr *out, const struct stun_addr *in)
{
	*out = *in;
	if (in->family == STUN_FAMILY_IPV6 && memcmp(in->ip, v4mapped, 12) == 0) {
		out->family = STUN_FAMILY_IPV4;
		memmove(out->ip, in->ip + 12, 4);
		memset(out->ip + 4, 0, 12);
	}
}

gboolean turn_cidr_parse(const char *text, TurnCidr *out)
{
	g_autofree char *copy = g_strdup(text);
	char *slash = strchr(copy, '/');
	g_autoptr(GInetAddress) ia = NULL;
	struct stun_addr a = {0};
	guint max;
	gint64 prefix = -1;

	if (slash) {
		char *end = NULL;

		*slash = '\0';
		prefix = g_ascii_strtoll(slash + 1, &end, 10);
		if (!slash[1] || *end || prefix < 0)
			return FALSE;
	}
	ia = g_inet_address_new_from_string(copy);
	if (!ia)
		return FALSE;
	if (g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV4) {
		a.family = STUN_FAMILY_IPV4;
		memcpy(a.ip, g_inet_address_to_bytes(ia), 4);
		max = 32;
	} else {
		a.family = STUN_FAMILY_IPV6;
		memcpy(a.ip, g_inet_address_to_bytes(ia), 16);
		max = 128;
	}
	if (prefix < 0)
		prefix = max;
	if (prefix > max)
		return FALSE;
	/* A mapped network is kept as the IPv4 network it names. */
	if (a.family == STUN_FAMILY_IPV6 && prefix >= 96 && memcmp(a.ip, v4mapped, 12) == 0) {
		unmap(&a, &a);
		prefix -= 96;
	}
	out->net = a;
	out->prefix = (guint)prefix;
	return TRUE;
}

static gboolean cidr_match(const TurnCidr *c, const struct stun_addr *a)
{
	guint full = c->prefix / 8, rest = c->prefix % 8;

	if (c->net.family != a->family)
		return FALSE;
	if (memcmp(c->net.ip, a->ip, full) != 0)
		return FALSE;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((c->net.ip[full] & mask) != (a->ip[full] & mask))
			return FALSE;
	}
	return TRUE;
}

static gboolean in_list(const GArray *list, const struct stun_addr *a)
{
	for (guint i = 0; list && i < list->len; i++)
		if (cidr_match(&g_array_index(list, TurnCidr, i), a))
			return TRUE;
	return FALSE;
}

int turn_peer_check(const TurnConfig *cfg, const struct stun_addr *peer)
{
	struct stun_addr a;
	unsigned allow = cfg->allow_loopback ? 1u << STUN_ADDR_LOOPBACK : 0;

	if (peer->port == 0)
		return 403;
	unmap(&a, peer);
	if (in_list(cfg->denied, &a))
		return 403;
	if (in_list(cfg->allowed, &a)) {
		/* An explicit allow opens private ranges, never the unspecified address, which
		 * the kernel treats as "this host" (CVE-2020-26262). */
		return stun_addr_classify(&a) == STUN_ADDR_UNSPECIFIED ? 403 : 0;
	}
	return stun_addr_peer_allowed(&a, allow) ? 0 : 403;
}
