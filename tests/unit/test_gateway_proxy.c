/* test_gateway_proxy.c: a gateway's proxy parameter (modules/sip/gateway_proxy.c):
 * the forms accepted (host, host:port, IPv4, [IPv6] with an optional port; RFC 3986 §3.2.2
 * and RFC 1123 §2.1 host syntax), garbage refused, the family chosen among the addresses
 * found, SRV targets tried in order (RFC 3263 §4.2, against a DNS server of the test's in a
 * namespace of its own), and a cancelled look-up never calling back (the module may be gone
 * by then). */
#define _GNU_SOURCE /* unshare(2) */
#include "modules/sip/gateway_proxy.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

static guint16 port_of(const SipFlow *p)
{
	if (p->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&p->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&p->addr)->sin6_port);
}

static void test_literal_addresses(void)
{
	GatewayProxy p;

	g_assert_true(gateway_proxy_parse("192.0.2.10", XB_TRANSPORT_UDP, &p));
	g_assert_false(p.is_name);
	g_assert_cmpint(p.peer.addr.ss_family, ==, AF_INET);
	g_assert_cmpuint(port_of(&p.peer), ==, 5060);
	g_assert_cmpuint(p.peer.addr_len, ==, sizeof(struct sockaddr_in));
	gateway_proxy_clear(&p);

	g_assert_true(gateway_proxy_parse("192.0.2.10:5090", XB_TRANSPORT_TCP, &p));
	g_assert_cmpuint(port_of(&p.peer), ==, 5090);
	g_assert_cmpint(p.peer.transport, ==, XB_TRANSPORT_TCP);
	gateway_proxy_clear(&p);

	g_assert_true(gateway_proxy_parse("[2001:db8::1]:5070", XB_TRANSPORT_UDP, &p));
	g_assert_cmpint(p.peer.addr.ss_family, ==, AF_INET6);
	g_assert_cmpuint(port_of(&p.peer), ==, 5070);
	g_assert_cmpstr(p.host, ==, "2001:db8::1");
	gateway_proxy_clear(&p);

	/* A bare IPv6 address (two colons or more) has no port; TLS defaults to 5061. */
	g_assert_true(gateway_proxy_parse("::1", XB_TRANSPORT_TLS, &p));
	g_assert_cmpint(p.peer.addr.ss_family, ==, AF_INET6);
	g_assert_cmpuint(port_of(&p.peer), ==, 5061);
	gateway_proxy_clear(&p);
}

static void test_host_names(void)
{
	GatewayProxy p;

	g_assert_true(gateway_proxy_parse("sip.carrier.example", XB_TRANSPORT_UDP, &p));
	g_assert_true(p.is_name);
	g_assert_cmpstr(p.host, ==, "sip.carrier.example");
	g_assert_cmpuint(p.port, ==, 5060);
	g_assert_cmpuint(p.peer.addr_len, ==, 0); /* resolved later, never at load */
	g_assert_true(p.srv);                     /* RFC 3263 §4.2: no port written, SRV first */
	gateway_proxy_clear(&p);

	g_assert_true(gateway_proxy_parse("localhost:5080", XB_TRANSPORT_TCP, &p));
	g_assert_true(p.has_port);
	g_assert_true(p.is_name);
	g_assert_cmpstr(p.host, ==, "localhost");
	g_assert_cmpuint(p.port, ==, 5080);
	g_assert_false(p.srv); /* a port written: A/AAAA only */
	g_assert_cmpint(p.peer.transport, ==, XB_TRANSPORT_TCP);
	gateway_proxy_clear(&p);

	g_assert_true(gateway_proxy_parse("sip-1.Carrier.example.:5060", XB_TRANSPORT_UDP, &p));
	gateway_proxy_clear(&p);
}

static void test_garbage_refused(void)
{
	static const char *const bad[] = {
	    "",
	    "bad host!",
	    "carrier.example:",
	    "carrier.example:0",
	    "carrier.example:65536",
	    "carrier.example:50x",
	    "-carrier.example",
	    "carrier-.example",
	    "carrier..example",
	    "carrier_1.example",
	    "10.0.0.300", /* a mistyped address, not a name: the last label is all digits */
	    "[carrier.example]:5060",
	    "[192.0.2.1]",
	    "[2001:db8::1",
	    "[2001:db8::1]5060",
	    "sip:carrier.example",
	    "..",
	    ".",
	};
	GatewayProxy p;
	g_autofree char *long_label = g_strnfill(64, 'a');
	g_autoptr(GString) long_name = g_string_new("a");

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_message("%s", bad[i]);
		g_assert_false(gateway_proxy_parse(bad[i], XB_TRANSPORT_UDP, &p));
		g_assert_null(p.host);
	}
	g_assert_false(gateway_host_name_valid(long_label));
	for (guint i = 0; i < 4; i++) /* labels of 63, 255 in all */
		g_string_append_printf(long_name, ".%.63s", long_label);
	g_assert_cmpuint(long_name->len, ==, 257);
	g_assert_false(gateway_host_name_valid(long_name->str));
	g_string_truncate(long_name, 253);
	g_assert_true(gateway_host_name_valid(long_name->str));
}

/* The first address of a family crossbar can send from, in the resolver's order. */
static void test_family_pick(void)
{
	GList *l = NULL;
	GInetAddress *v6 = g_inet_address_new_from_string("::1");
	GInetAddress *v4 = g_inet_address_new_from_string("127.0.0.1");

	l = g_list_append(l, v6);
	l = g_list_append(l, v4);
	g_assert_true(gateway_address_pick(l, TRUE, FALSE) == v4);
	g_assert_true(gateway_address_pick(l, FALSE, TRUE) == v6);
	g_assert_true(gateway_address_pick(l, TRUE, TRUE) == v6);
	g_assert_null(gateway_address_pick(l->next, FALSE, TRUE));
	g_resolver_free_addresses(l);
}

/* ---- look-ups (localhost resolves through /etc/hosts, without a network) ---- */

static const char *sent_by_v4(XbTransport tp, int family)
{
	return tp == XB_TRANSPORT_UDP && family == AF_INET ? "127.0.0.1:5060" : NULL;
}

typedef struct {
	int calls;
	SipFlow peer;
	char *error;
	guint targets;     /* how many the look-up reported */
	char *first_error; /* ... and why the first has no address, if so */
} Outcome;

static void outcome_cb(GatewayTargets *found, const char *error, void *user_data)
{
	Outcome *o = user_data;
	int first = error ? -1 : gateway_targets_next(found, 0);

	o->calls++;
	if (found) {
		o->targets = found->targets->len;
		if (found->targets->len)
			o->first_error =
			    g_strdup(g_array_index(found->targets, GatewayTarget, 0).error);
	}
	if (first >= 0)
		o->peer = g_array_index(found->targets, GatewayTarget, first).peer;
	o->error = g_strdup(error);
}

static void wait_for_lookups(void)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (gateway_lookups_pending() && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(gateway_lookups_pending(), ==, 0);
}

static void test_lookup_localhost(void)
{
	SipApi sip = {.sent_by = sent_by_v4};
	GatewayProxy p;
	Outcome o = {0};

	g_assert_true(gateway_proxy_parse("localhost:5099", XB_TRANSPORT_TCP, &p));
	gateway_lookup_start(&p, &sip, outcome_cb, &o);
	wait_for_lookups();
	g_assert_cmpint(o.calls, ==, 1);
	g_assert_null(o.error);
	/* Only IPv4 has a listener: never ::1, whatever /etc/hosts lists first. */
	g_assert_cmpint(o.peer.addr.ss_family, ==, AF_INET);
	g_assert_cmpuint(port_of(&o.peer), ==, 5099);
	g_assert_cmpint(o.peer.transport, ==, XB_TRANSPORT_TCP);
	g_autofree char *text = gateway_peer_text(&o.peer);
	g_assert_cmpstr(text, ==, "127.0.0.1:5099");
	gateway_proxy_clear(&p);
}

/* A name that cannot resolve fails with a "DNS:" error. Run in a child alone in a new
 * network namespace (root only) so that no DNS query leaves the machine: there, the
 * resolver fails at once. */
static void test_lookup_invalid_tld(void)
{
	if (g_test_subprocess()) {
		SipApi sip = {.sent_by = sent_by_v4};
		GatewayProxy p;
		Outcome o = {0};

		if (unshare(CLONE_NEWNET) < 0)
			g_error("unshare(CLONE_NEWNET): %s", g_strerror(errno));
		g_assert_true(gateway_proxy_parse("nowhere.invalid", XB_TRANSPORT_UDP, &p));
		gateway_lookup_start(&p, &sip, outcome_cb, &o);
		wait_for_lookups();
		g_assert_cmpint(o.calls, ==, 1);
		g_assert_nonnull(o.error);
		g_assert_true(g_str_has_prefix(o.error, "DNS: nowhere.invalid: "));
		g_free(o.error);
		g_free(o.first_error);
		gateway_proxy_clear(&p);
		return;
	}
	if (geteuid() != 0) {
		g_test_skip("a network namespace of its own needs root");
		return;
	}
	g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

/* RFC 3263 §4.2: a host without SRV records is looked up as A/AAAA with the transport's
 * default port. In a network namespace of its own (root only) the SRV query fails at once
 * and localhost comes from /etc/hosts. */
static void test_lookup_srv_falls_back(void)
{
	if (g_test_subprocess()) {
		SipApi sip = {.sent_by = sent_by_v4};
		GatewayProxy p;
		Outcome o = {0};

		if (unshare(CLONE_NEWNET) < 0)
			g_error("unshare(CLONE_NEWNET): %s", g_strerror(errno));
		g_assert_true(gateway_proxy_parse("localhost", XB_TRANSPORT_TCP, &p));
		g_assert_false(p.has_port);
		p.srv = TRUE;
		gateway_lookup_start(&p, &sip, outcome_cb, &o);
		wait_for_lookups();
		g_assert_cmpint(o.calls, ==, 1);
		g_assert_null(o.error);
		g_assert_cmpuint(port_of(&o.peer), ==, 5060);
		g_assert_cmpint(o.peer.transport, ==, XB_TRANSPORT_TCP);
		gateway_proxy_clear(&p);
		return;
	}
	if (geteuid() != 0) {
		g_test_skip("a network namespace of its own needs root");
		return;
	}
	g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

/* ---- SRV (RFC 2782) from a DNS server of the test's ---- */

/* The SRV records of _sip._tcp.srv.test: the first target does not resolve (NXDOMAIN), the
 * second is localhost (/etc/hosts). Every other question gets NXDOMAIN. */
static const struct {
	guint16 priority, port;
	const char *target;
} srv_records[] = {{10, 5071, "nowhere.invalid"}, {20, 5072, "localhost"}};

static void dns_name(GByteArray *out, const char *name)
{
	g_auto(GStrv) labels = g_strsplit(name, ".", -1);

	for (guint i = 0; labels[i]; i++) {
		guint8 len = (guint8)strlen(labels[i]);
		if (!len)
			continue;
		g_byte_array_append(out, &len, 1);
		g_byte_array_append(out, (const guint8 *)labels[i], len);
	}
	g_byte_array_append(out, (const guint8 *)"", 1);
}

static void put16(GByteArray *out, guint16 v)
{
	guint8 b[2] = {v >> 8, v & 0xff};
	g_byte_array_append(out, b, 2);
}

/* The answer to one query (its question copied back), or NULL to say nothing. */
static GByteArray *dns_answer(const guint8 *q, gsize len)
{
	gsize off = 12;
	GString *qname = g_string_new(NULL);

	while (off < len && q[off]) {
		g_string_append_len(qname, (const char *)q + off + 1, q[off]);
		g_string_append_c(qname, '.');
		off += q[off] + 1;
	}
	off++;
	if (len < 12 || off + 4 > len) {
		g_string_free(qname, TRUE);
		return NULL;
	}
	guint16 qtype = (guint16)(q[off] << 8 | q[off + 1]);
	gboolean srv = qtype == 33 && !g_ascii_strcasecmp(qname->str, "_sip._tcp.srv.test.");
	GByteArray *out = g_byte_array_new();
	g_byte_array_append(out, q, 2);    /* the query's id */
	put16(out, srv ? 0x8580 : 0x8583); /* a response, authoritative; NXDOMAIN but for SRV */
	put16(out, 1);
	put16(out, srv ? G_N_ELEMENTS(srv_records) : 0);
	put16(out, 0);
	put16(out, 0);
	g_byte_array_append(out, q + 12, off + 4 - 12);
	for (guint i = 0; srv && i < G_N_ELEMENTS(srv_records); i++) {
		g_autoptr(GByteArray) rdata = g_byte_array_new();
		put16(rdata, srv_records[i].priority);
		put16(rdata, 10);
		put16(rdata, srv_records[i].port);
		dns_name(rdata, srv_records[i].target);
		put16(out, 0xc00c); /* the question's name */
		put16(out, 33);
		put16(out, 1);
		put16(out, 0);
		put16(out, 60);
		put16(out, (guint16)rdata->len);
		g_byte_array_append(out, rdata->data, rdata->len);
	}
	g_string_free(qname, TRUE);
	return out;
}

static gpointer dns_server(gpointer data)
{
	int fd = GPOINTER_TO_INT(data);
	guint8 buf[512];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n <= 0)
			return NULL; /* the socket was shut down */
		g_autoptr(GByteArray) a = dns_answer(buf, (gsize)n);
		if (a)
			sendto(fd, a->data, a->len, 0, (struct sockaddr *)&from, flen);
	}
}

/* In new network and mount namespaces: loopback up, and /etc/resolv.conf naming a DNS
 * server on 127.0.0.1:53 that this process runs. */
static int dns_sandbox(void)
{
	struct ifreq ifr = {0};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	g_autofree char *conf = g_build_filename(g_get_tmp_dir(), "xb-test-resolv-XXXXXX", NULL);
	int fd, s;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		g_error("unshare: %s", g_strerror(errno));
	g_assert_cmpint(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
	fd = g_mkstemp(conf);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, "nameserver 127.0.0.1\n", 21), ==, 21);
	close(fd);
	g_assert_cmpint(mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL), ==, 0);
	unlink(conf);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	g_strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	g_assert_cmpint(ioctl(s, SIOCGIFFLAGS, &ifr), ==, 0);
	ifr.ifr_flags |= IFF_UP;
	g_assert_cmpint(ioctl(s, SIOCSIFFLAGS, &ifr), ==, 0);
	close(s);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	return fd;
}

/* RFC 3263 §4.2, RFC 2782: a host name without a port is looked up as SRV first, and its
 * targets are tried in priority order with their own ports: the first does not resolve,
 * the second does. */
static void test_lookup_srv_targets(void)
{
	if (g_test_subprocess()) {
		SipApi sip = {.sent_by = sent_by_v4};
		GatewayProxy p;
		Outcome o = {0};
		int fd = dns_sandbox();
		GThread *server = g_thread_new("dns", dns_server, GINT_TO_POINTER(fd));

		g_assert_true(gateway_proxy_parse("srv.test", XB_TRANSPORT_TCP, &p));
		p.srv = TRUE;
		gateway_lookup_start(&p, &sip, outcome_cb, &o);
		wait_for_lookups();
		g_assert_cmpint(o.calls, ==, 1);
		g_assert_null(o.error);
		g_assert_cmpint(o.peer.transport, ==, XB_TRANSPORT_TCP);
		g_autofree char *text = gateway_peer_text(&o.peer);
		g_assert_cmpstr(text, ==, "127.0.0.1:5072");
		/* Both targets are reported, the first with the reason it has no address. */
		g_assert_cmpuint(o.targets, ==, 2);
		g_assert_nonnull(o.first_error);
		g_free(o.first_error);
		gateway_proxy_clear(&p);
		shutdown(fd, SHUT_RDWR);
		g_thread_join(server);
		close(fd);
		return;
	}
	if (geteuid() != 0) {
		g_test_skip("namespaces of its own need root");
		return;
	}
	g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

static void test_cancelled_lookup_is_silent(void)
{
	SipApi sip = {.sent_by = sent_by_v4};
	GatewayProxy p;
	Outcome o = {0};

	g_assert_true(gateway_proxy_parse("localhost", XB_TRANSPORT_UDP, &p));
	gateway_lookup_cancel(gateway_lookup_start(&p, &sip, outcome_cb, &o));
	g_assert_cmpuint(gateway_lookups_pending(), ==, 1);
	wait_for_lookups();
	g_assert_cmpint(o.calls, ==, 0);
	gateway_lookup_cancel(NULL);
	gateway_proxy_clear(&p);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/registrar/gateway-proxy/literal-addresses", test_literal_addresses);
	g_test_add_func("/registrar/gateway-proxy/host-names-rfc1123", test_host_names);
	g_test_add_func("/registrar/gateway-proxy/garbage-refused", test_garbage_refused);
	g_test_add_func("/registrar/gateway-proxy/family-pick", test_family_pick);
	g_test_add_func("/registrar/gateway-proxy/lookup-localhost", test_lookup_localhost);
	g_test_add_func("/registrar/gateway-proxy/lookup-invalid-tld-rfc6761",
	                test_lookup_invalid_tld);
	g_test_add_func("/registrar/gateway-proxy/lookup-srv-falls-back-rfc3263",
	                test_lookup_srv_falls_back);
	g_test_add_func("/registrar/gateway-proxy/lookup-srv-targets-in-order-rfc2782",
	                test_lookup_srv_targets);
	g_test_add_func("/registrar/gateway-proxy/cancelled-lookup-is-silent",
	                test_cancelled_lookup_is_silent);
	return g_test_run();
}
