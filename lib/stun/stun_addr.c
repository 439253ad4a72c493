/* Transport addresses for STUN/TURN, and the peer address safety check a TURN server runs
 * before relaying (RFC 8656 §21.1 "abuse of relays"; coturn CVE-2020-26262 class of bug:
 * loopback reached through ::ffff:127.0.0.1 or 0.0.0.0). Pure: it classifies, the server
 * decides; it never resolves names. */
#include <crossbar/stun.h>

#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int stun_addr_from_sockaddr(struct stun_addr *out, const struct sockaddr *sa)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return STUN_E_INVALID;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		out->family = STUN_FAMILY_IPV4;
		out->port = ntohs(in->sin_port);
		memcpy(out->ip, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		out->family = STUN_FAMILY_IPV6;
		out->port = ntohs(in6->sin6_port);
		memcpy(out->ip, &in6->sin6_addr, 16);
		return 0;
	}
	return STUN_E_INVALID;
}

size_t stun_addr_to_sockaddr(const struct stun_addr *a, void *ss, size_t cap)
{
	if (a->family == STUN_FAMILY_IPV4 && cap >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in = {0};

		in.sin_family = AF_INET;
		in.sin_port = htons(a->port);
		memcpy(&in.sin_addr, a->ip, 4);
		memcpy(ss, &in, sizeof(in));
		return sizeof(in);
	}
	if (a->family == STUN_FAMILY_IPV6 && cap >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6 = {0};

		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons(a->port);
		memcpy(&in6.sin6_addr, a->ip, 16);
		memcpy(ss, &in6, sizeof(in6));
		return sizeof(in6);
	}
	return 0;
}

char *stun_addr_to_string(const struct stun_addr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = a->family == STUN_FAMILY_IPV6;

	if (cap == 0)
		return out;
	if ((a->family != STUN_FAMILY_IPV4 && !v6) ||
	    inet_ntop(v6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof(ip)) == NULL) {
		g_strlcpy(out, "?", cap);
		return out;
	}
	g_snprintf(out, cap, v6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)a->port);
	return out;
}

bool stun_addr_equal(const struct stun_addr *a, const struct stun_addr *b, bool with_port)
{
	size_t n = a->family == STUN_FAMILY_IPV4 ? 4 : 16;

	return a->family == b->family && (!with_port || a->port == b->port) &&
	       memcmp(a->ip, b->ip, n) == 0;
}

const char *stun_addr_class_name(enum stun_addr_class c)
{
	static const char *const names[STUN_ADDR_CLASS_COUNT] = {
	    [STUN_ADDR_PUBLIC] = "public",
	    [STUN_ADDR_UNSPECIFIED] = "unspecified",
	    [STUN_ADDR_LOOPBACK] = "loopback",
	    [STUN_ADDR_THIS_NETWORK] = "this-network",
	    [STUN_ADDR_PRIVATE] = "private",
	    [STUN_ADDR_CGNAT] = "cgnat",
	    [STUN_ADDR_LINK_LOCAL] = "link-local",
	    [STUN_ADDR_MULTICAST] = "multicast",
	    [STUN_ADDR_BROADCAST] = "broadcast",
	    [STUN_ADDR_RESERVED] = "reserved",
	    [STUN_ADDR_DOCUMENTATION] = "documentation",
	};

	return (unsigned)c < STUN_ADDR_CLASS_COUNT ? names[c] : "?";
}

/* IPv4 special-purpose ranges (IANA registry, RFC 6890 and successors). */
static enum stun_addr_class classify4(const uint8_t *p)
{
	uint8_t a = p[0], b = p[1], c = p[2];

	if (a == 0)
		return (p[1] | p[2] | p[3]) ? STUN_ADDR_THIS_NETWORK : STUN_ADDR_UNSPECIFIED;
	if (a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168))
		return STUN_ADDR_PRIVATE;
	if (a == 100 && (b & 0xc0) == 64)
		return STUN_ADDR_CGNAT;
	if (a == 127)
		return STUN_ADDR_LOOPBACK;
	if (a == 169 && b == 254)
		return STUN_ADDR_LINK_LOCAL;
	if ((a == 192 && b == 0 && c == 2) || (a == 198 && b == 51 && c == 100) ||
	    (a == 203 && b == 0 && c == 113))
		return STUN_ADDR_DOCUMENTATION;
	/* 192.0.0/24 protocol assignments, 192.88.99/24 old 6to4 anycast, 198.18/15 benchmarks */
	if ((a == 192 && b == 0 && c == 0) || (a == 192 && b == 88 && c == 99) ||
	    (a == 198 && (b & 0xfe) == 18))
		return STUN_ADDR_RESERVED;
	if ((a & 0xf0) == 224)
		return STUN_ADDR_MULTICAST;
	if (a == 255 && b == 255 && c == 255 && p[3] == 255)
		return STUN_ADDR_BROADCAST;
	if ((a & 0xf0) == 240)
		return STUN_ADDR_RESERVED;
	return STUN_ADDR_PUBLIC;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* An IPv6 address that carries an IPv4 one: the embedded class wins unless it is public,
 * in which case 'otherwise' is returned. */
static enum stun_addr_class embedded(const uint8_t *v4, enum stun_addr_class otherwise)
{
	enum stun_addr_class c = classify4(v4);

	return c == STUN_ADDR_PUBLIC ? otherwise : c;
}

static enum stun_addr_class classify6(const uint8_t *p)
{
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	uint8_t teredo_client[4];

	if (all_zero(p, 10)) {
		if (p[10] == 0xff && p[11] == 0xff) /* ::ffff:a.b.c.d, IPv4-mapped */
			return classify4(p + 12);
		if (p[10] == 0 && p[11] == 0) {
			if (all_zero(p + 12, 4))
				return STUN_ADDR_UNSPECIFIED;
			if (all_zero(p + 12, 3) && p[15] == 1)
				return STUN_ADDR_LOOPBACK;
			/* ::a.b.c.d, IPv4-compatible (deprecated by RFC 4291): never routable */
			return embedded(p + 12, STUN_ADDR_RESERVED);
		}
	}
	if (all_zero(p, 8) && p[8] == 0xff && p[9] == 0xff && p[10] == 0 && p[11] == 0)
		return classify4(p + 12); /* ::ffff:0:a.b.c.d, SIIT (RFC 2765) */
	if (memcmp(p, nat64, 12) == 0)    /* 64:ff9b::/96 (RFC 6052) */
		return classify4(p + 12);
	if (p[0] == 0x00 && p[1] == 0x64 && p[2] == 0xff && p[3] == 0x9b && p[4] == 0 && p[5] == 1)
		return STUN_ADDR_PRIVATE; /* 64:ff9b:1::/48, local-use NAT64 (RFC 8215) */
	if (p[0] == 0x20 && p[1] == 0x02) /* 2002::/16, 6to4 */
		return embedded(p + 2, STUN_ADDR_PUBLIC);
	if (p[0] == 0x20 && p[1] == 0x01 && p[2] == 0 && p[3] == 0) {
		/* 2001::/32, Teredo: server at bytes 4-7, client inverted at bytes 12-15 */
		for (int i = 0; i < 4; i++)
			teredo_client[i] = (uint8_t)~p[12 + i];
		if (classify4(p + 4) != STUN_ADDR_PUBLIC)
			return classify4(p + 4);
		return embedded(teredo_client, STUN_ADDR_PUBLIC);
	}
	if (p[0] == 0x20 && p[1] == 0x01 && p[2] == 0x0d && p[3] == 0xb8)
		return STUN_ADDR_DOCUMENTATION;
	if (p[0] == 0x3f && p[1] == 0xff && (p[2] & 0xf0) == 0)
		return STUN_ADDR_DOCUMENTATION; /* 3fff::/20 (RFC 9637) */
	if (p[0] == 0x20 && p[1] == 0x01 && (p[2] & 0xfe) == 0)
		return STUN_ADDR_RESERVED; /* 2001::/23, IETF protocol assignments */
	if (p[0] == 0x01 && p[1] == 0x00 && all_zero(p + 2, 6))
		return STUN_ADDR_RESERVED; /* 100::/64, discard-only */
	if ((p[0] & 0xfe) == 0xfc)
		return STUN_ADDR_PRIVATE; /* fc00::/7, unique local */
	if (p[0] == 0xfe && (p[1] & 0xc0) == 0x80)
		return STUN_ADDR_LINK_LOCAL;
	if (p[0] == 0xfe && (p[1] & 0xc0) == 0xc0)
		return STUN_ADDR_PRIVATE; /* fec0::/10, site-local (deprecated) */
	if (p[0] == 0xff)
		return STUN_ADDR_MULTICAST;
	if ((p[0] & 0xe0) != 0x20)
		return STUN_ADDR_RESERVED; /* outside 2000::/3, the only global unicast today */
	return STUN_ADDR_PUBLIC;
}

enum stun_addr_class stun_addr_classify(const struct stun_addr *a)
{
	if (a->family == STUN_FAMILY_IPV4)
		return classify4(a->ip);
	if (a->family == STUN_FAMILY_IPV6)
		return classify6(a->ip);
	return STUN_ADDR_RESERVED;
}

bool stun_addr_peer_allowed(const struct stun_addr *a, unsigned allow)
{
	enum stun_addr_class c;

	if (a == NULL || a->port == 0)
		return false;
	if (a->family != STUN_FAMILY_IPV4 && a->family != STUN_FAMILY_IPV6)
		return false;
	c = stun_addr_classify(a);
	return c == STUN_ADDR_PUBLIC || (allow & (1u << c));
}
