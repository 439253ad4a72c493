/* Unit tests of the STUN/TURN message layer (lib/stun/): the RFC 5769 vectors,
 * every attribute's encode/decode, every decoder error path, integrity, framing and error
 * responses. Tests pure code only: no sockets, no server. */
#include <crossbar/stun.h>

#include <string.h>

#include <glib.h>

/* clang-format off */
/* RFC 5769 §2.1 / §2.2 / §2.3: short-term password. */
#define RFC5769_PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"

/* §2.1 Sample Request: SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED, USERNAME
 * "evtj:h6vY", MESSAGE-INTEGRITY, FINGERPRINT; padding bytes are 0x20. */
static const uint8_t rfc5769_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* §2.2 Sample IPv4 Response: SOFTWARE "test vector", XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t rfc5769_response_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc5769_response_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* §2.4 Sample Request with Long-Term Authentication: USERNAME "<U+30DE><U+30C8><U+30EA>
 * <U+30C3><U+30AF><U+30B9>", NONCE "f//499k954d6OL34oL9FSTvy64sA", REALM "example.org",
 * password "The<U+00AD>M<U+00AA>tr<U+2168>", which SASLprep turns into "TheMatrIX". */
#define RFC5769_LT_USERNAME                                                                     \
	"\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
#define RFC5769_LT_NONCE "f//499k954d6OL34oL9FSTvy64sA"
#define RFC5769_LT_REALM "example.org"
#define RFC5769_LT_PASSWORD_PREPPED "TheMatrIX"

static const uint8_t rfc5769_request_lt[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33,
	0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12,
	0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83,
	0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00, 0x00, 0x15, 0x00, 0x1c,
	0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
	0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79,
	0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14,
	0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71,
	0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};
/* clang-format on */

static const uint8_t tid_a[STUN_TID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                            0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static void decode_ok(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	int err = stun_msg_decode(m, buf, len);

	if (err)
		g_test_message("decode: %s", stun_strerror(err));
	g_assert_cmpint(err, ==, 0);
}

static void assert_string_attr(const struct stun_msg *m, uint16_t type, const char *want)
{
	const char *s;
	size_t n;

	g_assert_cmpint(stun_attr_string(stun_attr_get(m, type), &s, &n), ==, 0);
	g_assert_cmpmem(s, n, want, strlen(want));
}

static const uint8_t *pw(const char *s)
{
	return (const uint8_t *)s;
}

/* RFC 5769 §2.1: decoding, ICE attributes, short-term MESSAGE-INTEGRITY, FINGERPRINT. */
static void test_rfc5769_request(void)
{
	struct stun_msg m;
	uint32_t prio;
	uint64_t tie;

	decode_ok(&m, rfc5769_request, sizeof(rfc5769_request));
	g_assert_cmpuint(m.method, ==, STUN_METHOD_BINDING);
	g_assert_cmpint(m.cls, ==, STUN_CLASS_REQUEST);
	g_assert_cmpmem(m.tid, STUN_TID_LEN, tid_a, STUN_TID_LEN);
	g_assert_cmpuint(m.n_attrs, ==, 6);
	g_assert_cmpuint(m.n_unknown, ==, 0);
	g_assert_cmpint(m.fp, ==, 5);
	assert_string_attr(&m, STUN_ATTR_SOFTWARE, "STUN test client");
	assert_string_attr(&m, STUN_ATTR_USERNAME, "evtj:h6vY");
	g_assert_cmpint(stun_attr_u32(stun_attr_get(&m, STUN_ATTR_PRIORITY), &prio), ==, 0);
	g_assert_cmphex(prio, ==, 0x6e0001ff);
	g_assert_cmpint(stun_attr_u64(stun_attr_get(&m, STUN_ATTR_ICE_CONTROLLED), &tie), ==, 0);
	g_assert_cmphex(tie, ==, G_GUINT64_CONSTANT(0x932ff9b151263b36));
	g_assert_null(stun_attr_get(&m, STUN_ATTR_ICE_CONTROLLING));
	g_assert_cmpint(
	    stun_msg_check_integrity(&m, pw(RFC5769_PASSWORD), strlen(RFC5769_PASSWORD)), ==, 0);
	g_assert_cmpint(stun_msg_check_integrity(&m, pw("VOkJxbRl1RmTxUk/WvJxBu"), 22), ==,
	                STUN_E_INTEGRITY);
}

static void check_response(const uint8_t *buf, size_t len, const struct stun_addr *want)
{
	struct stun_msg m;
	struct stun_addr got;
	char s[64];

	decode_ok(&m, buf, len);
	g_assert_cmpuint(m.method, ==, STUN_METHOD_BINDING);
	g_assert_cmpint(m.cls, ==, STUN_CLASS_SUCCESS);
	assert_string_attr(&m, STUN_ATTR_SOFTWARE, "test vector");
	g_assert_cmpint(
	    stun_attr_xor_addr(&m, stun_attr_get(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &got), ==, 0);
	g_test_message("XOR-MAPPED-ADDRESS %s", stun_addr_to_string(&got, s, sizeof(s)));
	g_assert_true(stun_addr_equal(&got, want, true));
	g_assert_cmpint(
	    stun_msg_check_integrity(&m, pw(RFC5769_PASSWORD), strlen(RFC5769_PASSWORD)), ==, 0);
}

static const struct stun_addr rfc5769_v4 = {STUN_FAMILY_IPV4, 32853, {192, 0, 2, 1}};
static const struct stun_addr rfc5769_v6 = {STUN_FAMILY_IPV6,
                                            32853,
                                            {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00,
                                             0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}};

/* RFC 5769 §2.2 and §2.3: XOR-MAPPED-ADDRESS for both families. */
static void test_rfc5769_response_v4(void)
{
	check_response(rfc5769_response_v4, sizeof(rfc5769_response_v4), &rfc5769_v4);
}

static void test_rfc5769_response_v6(void)
{
	check_response(rfc5769_response_v6, sizeof(rfc5769_response_v6), &rfc5769_v6);
}

/* RFC 5769 §2.4: long-term key MD5(username ":" realm ":" SASLprep(password)). */
static void test_rfc5769_long_term(void)
{
	uint8_t key[STUN_KEY_MAX];
	struct stun_msg m;
	int klen;

	decode_ok(&m, rfc5769_request_lt, sizeof(rfc5769_request_lt));
	assert_string_attr(&m, STUN_ATTR_USERNAME, RFC5769_LT_USERNAME);
	assert_string_attr(&m, STUN_ATTR_NONCE, RFC5769_LT_NONCE);
	assert_string_attr(&m, STUN_ATTR_REALM, RFC5769_LT_REALM);
	g_assert_cmpint(m.fp, ==, -1);
	klen = stun_key_long_term(STUN_PWALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
	                          RFC5769_LT_PASSWORD_PREPPED, key);
	g_assert_cmpint(klen, ==, 16);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, 0);
	/* Without SASLprep the raw password gives another key: a documented limit. */
	klen = stun_key_long_term(STUN_PWALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
	                          "The\xc2\xad"
	                          "M\xc2\xaatr\xe2\x85\xa8",
	                          key);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, STUN_E_INTEGRITY);
}

/* The encoder reproduces the four vectors byte for byte (padding byte as the RFC chose). */
static void test_rfc5769_encode(void)
{
	static const uint8_t tid_lt[STUN_TID_LEN] = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	                                             0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
	uint8_t buf[256], key[STUN_KEY_MAX];
	struct stun_encoder e;
	size_t len = 0;
	int klen;

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	e.pad = 0x20;
	stun_encode_string(&e, STUN_ATTR_SOFTWARE, "STUN test client");
	stun_encode_u32(&e, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_encode_u64(&e, STUN_ATTR_ICE_CONTROLLED, G_GUINT64_CONSTANT(0x932ff9b151263b36));
	stun_encode_string(&e, STUN_ATTR_USERNAME, "evtj:h6vY");
	stun_encode_integrity(&e, pw(RFC5769_PASSWORD), strlen(RFC5769_PASSWORD));
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpmem(buf, len, rfc5769_request, sizeof(rfc5769_request));

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, tid_a);
	e.pad = 0x20;
	stun_encode_string(&e, STUN_ATTR_SOFTWARE, "test vector");
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &rfc5769_v4);
	stun_encode_integrity(&e, pw(RFC5769_PASSWORD), strlen(RFC5769_PASSWORD));
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpmem(buf, len, rfc5769_response_v4, sizeof(rfc5769_response_v4));

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, tid_a);
	e.pad = 0x20;
	stun_encode_string(&e, STUN_ATTR_SOFTWARE, "test vector");
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &rfc5769_v6);
	stun_encode_integrity(&e, pw(RFC5769_PASSWORD), strlen(RFC5769_PASSWORD));
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpmem(buf, len, rfc5769_response_v6, sizeof(rfc5769_response_v6));

	klen = stun_key_long_term(STUN_PWALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
	                          RFC5769_LT_PASSWORD_PREPPED, key);
	g_assert_cmpint(klen, ==, 16);
	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_lt);
	stun_encode_string(&e, STUN_ATTR_USERNAME, RFC5769_LT_USERNAME);
	stun_encode_string(&e, STUN_ATTR_NONCE, RFC5769_LT_NONCE);
	stun_encode_string(&e, STUN_ATTR_REALM, RFC5769_LT_REALM);
	stun_encode_integrity(&e, key, (size_t)klen);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpmem(buf, len, rfc5769_request_lt, sizeof(rfc5769_request_lt));
}

/* RFC 8489 §5: class bits C0/C1 interleaved with the method bits. */
static void test_type_bits(void)
{
	g_assert_cmphex(stun_type_make(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), ==, 0x0001);
	g_assert_cmphex(stun_type_make(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), ==, 0x0101);
	g_assert_cmphex(stun_type_make(STUN_METHOD_BINDING, STUN_CLASS_ERROR), ==, 0x0111);
	g_assert_cmphex(stun_type_make(STUN_METHOD_ALLOCATE, STUN_CLASS_ERROR), ==, 0x0113);
	g_assert_cmphex(stun_type_make(STUN_METHOD_SEND, STUN_CLASS_INDICATION), ==, 0x0016);
	g_assert_cmphex(stun_type_make(STUN_METHOD_DATA, STUN_CLASS_INDICATION), ==, 0x0017);
	g_assert_cmphex(stun_type_make(STUN_METHOD_CHANNEL_BIND, STUN_CLASS_SUCCESS), ==, 0x0109);
	for (unsigned m = 0; m < 0x1000; m += 7)
		for (int c = 0; c < 4; c++) {
			uint16_t t = stun_type_make((uint16_t)m, (enum stun_class)c);

			g_assert_cmphex(t & 0xc000, ==, 0);
			g_assert_cmpuint(stun_type_method(t), ==, m);
			g_assert_cmpint(stun_type_class(t), ==, c);
		}
}

/* Every TURN/ICE attribute survives an encode/decode round trip (RFC 8656 §18, RFC 6156). */
static void test_attr_roundtrip(void)
{
	static const uint8_t token[8] = {1, 2, 3, 4, 5, 6, 7, 8}, data[5] = {9, 8, 7, 6, 5};
	static const uint16_t algs[2] = {STUN_PWALG_MD5, STUN_PWALG_SHA256};
	static const struct stun_addr peer2 = {STUN_FAMILY_IPV4, 3478, {8, 8, 4, 4}};
	uint8_t buf[512], tok[8], fam = 0, proto = 0, icmp_type = 0;
	const uint8_t *hash = NULL;
	struct stun_encoder e;
	struct stun_msg m;
	struct stun_addr a;
	const struct stun_attr *at;
	uint16_t ch = 0, alg = 0, icmp_code = 0;
	uint32_t u = 0, icmp_data = 0;
	size_t len = 0, pos = 0;
	const char *reason;
	size_t rlen;
	bool r = false;
	int code = 0;
	uint8_t uh[STUN_USERHASH_LEN];

	g_assert_cmpint(stun_userhash("alice", "example.org", uh), ==, 0);
	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, tid_a);
	stun_encode_addr(&e, STUN_ATTR_MAPPED_ADDRESS, &rfc5769_v6);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, &rfc5769_v4);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_PEER_ADDRESS, &peer2);
	stun_encode_xor_addr(&e, STUN_ATTR_XOR_RELAYED_ADDRESS, &rfc5769_v6);
	stun_encode_addr(&e, STUN_ATTR_ALTERNATE_SERVER, &peer2);
	stun_encode_channel_number(&e, 0x4001);
	stun_encode_u32(&e, STUN_ATTR_LIFETIME, 600);
	stun_encode_attr(&e, STUN_ATTR_DATA, data, sizeof(data));
	stun_encode_even_port(&e, true);
	stun_encode_requested_transport(&e, STUN_TRANSPORT_UDP);
	stun_encode_flag(&e, STUN_ATTR_DONT_FRAGMENT);
	stun_encode_attr(&e, STUN_ATTR_RESERVATION_TOKEN, token, sizeof(token));
	stun_encode_address_family(&e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	stun_encode_address_family(&e, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	stun_encode_address_error_code(&e, STUN_FAMILY_IPV6, 440, NULL);
	stun_encode_icmp(&e, 3, 0x104, 1280);
	stun_encode_error_code(&e, 438, NULL);
	stun_encode_password_algorithms(&e, algs, 2);
	stun_encode_password_algorithm(&e, STUN_PWALG_SHA256);
	stun_encode_attr(&e, STUN_ATTR_USERHASH, uh, sizeof(uh));
	stun_encode_flag(&e, STUN_ATTR_USE_CANDIDATE);
	stun_encode_u64(&e, STUN_ATTR_ICE_CONTROLLING, 42);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpuint(m.n_unknown, ==, 0);

	g_assert_cmpint(stun_attr_addr(stun_attr_get(&m, STUN_ATTR_MAPPED_ADDRESS), &a), ==, 0);
	g_assert_true(stun_addr_equal(&a, &rfc5769_v6, true));
	at = stun_attr_get(&m, STUN_ATTR_XOR_PEER_ADDRESS);
	g_assert_cmpint(stun_attr_xor_addr(&m, at, &a), ==, 0);
	g_assert_true(stun_addr_equal(&a, &rfc5769_v4, true));
	at = stun_attr_next(&m, STUN_ATTR_XOR_PEER_ADDRESS, at);
	g_assert_cmpint(stun_attr_xor_addr(&m, at, &a), ==, 0);
	g_assert_true(stun_addr_equal(&a, &peer2, true));
	g_assert_null(stun_attr_next(&m, STUN_ATTR_XOR_PEER_ADDRESS, at));
	g_assert_cmpint(
	    stun_attr_xor_addr(&m, stun_attr_get(&m, STUN_ATTR_XOR_RELAYED_ADDRESS), &a), ==, 0);
	g_assert_true(stun_addr_equal(&a, &rfc5769_v6, true));
	g_assert_cmpint(stun_attr_addr(stun_attr_get(&m, STUN_ATTR_ALTERNATE_SERVER), &a), ==, 0);
	g_assert_true(stun_addr_equal(&a, &peer2, true));
	g_assert_cmpint(stun_attr_channel_number(stun_attr_get(&m, STUN_ATTR_CHANNEL_NUMBER), &ch),
	                ==, 0);
	g_assert_cmphex(ch, ==, 0x4001);
	g_assert_cmpint(stun_attr_u32(stun_attr_get(&m, STUN_ATTR_LIFETIME), &u), ==, 0);
	g_assert_cmpuint(u, ==, 600);
	at = stun_attr_get(&m, STUN_ATTR_DATA);
	g_assert_cmpmem(at->value, at->len, data, sizeof(data));
	g_assert_cmpint(stun_attr_even_port(stun_attr_get(&m, STUN_ATTR_EVEN_PORT), &r), ==, 0);
	g_assert_true(r);
	g_assert_cmpint(
	    stun_attr_requested_transport(stun_attr_get(&m, STUN_ATTR_REQUESTED_TRANSPORT), &proto),
	    ==, 0);
	g_assert_cmpuint(proto, ==, 17);
	g_assert_cmpuint(stun_attr_get(&m, STUN_ATTR_DONT_FRAGMENT)->len, ==, 0);
	g_assert_cmpint(
	    stun_attr_reservation_token(stun_attr_get(&m, STUN_ATTR_RESERVATION_TOKEN), tok), ==,
	    0);
	g_assert_cmpmem(tok, 8, token, 8);
	g_assert_cmpint(
	    stun_attr_address_family(stun_attr_get(&m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY), &fam),
	    ==, 0);
	g_assert_cmpuint(fam, ==, STUN_FAMILY_IPV6);
	g_assert_cmpint(
	    stun_attr_address_family(stun_attr_get(&m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY), &fam),
	    ==, 0);
	g_assert_cmpuint(fam, ==, STUN_FAMILY_IPV6);
	g_assert_cmpint(
	    stun_attr_address_error_code(stun_attr_get(&m, STUN_ATTR_ADDRESS_ERROR_CODE), &fam,
	                                 &code, &reason, &rlen),
	    ==, 0);
	g_assert_cmpint(code, ==, 440);
	g_assert_cmpmem(reason, rlen, "Address Family not Supported", 28);
	g_assert_cmpint(
	    stun_attr_icmp(stun_attr_get(&m, STUN_ATTR_ICMP), &icmp_type, &icmp_code, &icmp_data),
	    ==, 0);
	g_assert_cmpuint(icmp_type, ==, 3);
	g_assert_cmphex(icmp_code, ==, 0x104);
	g_assert_cmpuint(icmp_data, ==, 1280);
	g_assert_cmpint(
	    stun_attr_error_code(stun_attr_get(&m, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen),
	    ==, 0);
	g_assert_cmpint(code, ==, 438);
	g_assert_cmpmem(reason, rlen, "Stale Nonce", 11);
	at = stun_attr_get(&m, STUN_ATTR_PASSWORD_ALGORITHMS);
	g_assert_cmpint(stun_attr_password_algorithms_next(at, &pos, &alg), ==, 1);
	g_assert_cmpuint(alg, ==, STUN_PWALG_MD5);
	g_assert_cmpint(stun_attr_password_algorithms_next(at, &pos, &alg), ==, 1);
	g_assert_cmpuint(alg, ==, STUN_PWALG_SHA256);
	g_assert_cmpint(stun_attr_password_algorithms_next(at, &pos, &alg), ==, 0);
	g_assert_cmpint(
	    stun_attr_password_algorithm(stun_attr_get(&m, STUN_ATTR_PASSWORD_ALGORITHM), &alg), ==,
	    0);
	g_assert_cmpuint(alg, ==, STUN_PWALG_SHA256);
	g_assert_cmpint(stun_attr_userhash(stun_attr_get(&m, STUN_ATTR_USERHASH), &hash), ==, 0);
	g_assert_cmpmem(hash, STUN_USERHASH_LEN, uh, sizeof(uh));
	g_assert_nonnull(stun_attr_get(&m, STUN_ATTR_USE_CANDIDATE));
	g_assert_cmpint(stun_attr_u64(stun_attr_get(&m, STUN_ATTR_ICE_CONTROLLING), &(uint64_t){0}),
	                ==, 0);
	g_assert_cmpint(stun_attr_u32(stun_attr_get(&m, STUN_ATTR_NONCE), &u), ==,
	                STUN_E_NOT_FOUND);
}

/* Typed getters refuse values of the wrong size or form (RFC 8489 §14). */
static void test_attr_malformed(void)
{
	uint8_t buf[256];
	struct stun_encoder e;
	struct stun_msg m;
	struct stun_addr a;
	size_t len = 0, n = 0;
	uint16_t types[4];
	int code;
	const char *s;
	static const uint8_t addr_v4_short_as_v6[8] = {0, STUN_FAMILY_IPV6, 0, 1, 1, 2, 3, 4};
	static const uint8_t addr_bad_family[8] = {0, 3, 0, 1, 1, 2, 3, 4};
	static const uint8_t err_class[4] = {0, 0, 7, 0}, err_num[4] = {0, 0, 4, 100};
	static const uint8_t odd_unknown[3] = {0, 1, 2}, bad_utf8[2] = {0xc3, 0x28};
	static const uint8_t nul_in_name[3] = {'a', 0, 'b'};

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS, tid_a);
	stun_encode_attr(&e, STUN_ATTR_MAPPED_ADDRESS, addr_v4_short_as_v6, 8);
	stun_encode_attr(&e, STUN_ATTR_ALTERNATE_SERVER, addr_bad_family, 8);
	stun_encode_attr(&e, STUN_ATTR_ERROR_CODE, err_class, 4);
	stun_encode_attr(&e, STUN_ATTR_ADDRESS_ERROR_CODE, err_num, 4);
	stun_encode_attr(&e, STUN_ATTR_UNKNOWN_ATTRIBUTES, odd_unknown, 3);
	stun_encode_attr(&e, STUN_ATTR_SOFTWARE, bad_utf8, 2);
	stun_encode_attr(&e, STUN_ATTR_USERNAME, nul_in_name, 3);
	stun_encode_attr(&e, STUN_ATTR_LIFETIME, "abc", 3);
	stun_encode_attr(&e, STUN_ATTR_CHANNEL_NUMBER, "ab", 2);
	stun_encode_flag(&e, STUN_ATTR_EVEN_PORT);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);

	g_assert_cmpint(stun_attr_addr(stun_attr_get(&m, STUN_ATTR_MAPPED_ADDRESS), &a), ==,
	                STUN_E_ATTR_VALUE);
	g_assert_cmpint(stun_attr_addr(stun_attr_get(&m, STUN_ATTR_ALTERNATE_SERVER), &a), ==,
	                STUN_E_ATTR_VALUE);
	g_assert_cmpint(
	    stun_attr_error_code(stun_attr_get(&m, STUN_ATTR_ERROR_CODE), &code, NULL, NULL), ==,
	    STUN_E_ATTR_VALUE);
	g_assert_cmpint(
	    stun_attr_address_error_code(stun_attr_get(&m, STUN_ATTR_ADDRESS_ERROR_CODE),
	                                 &(uint8_t){0}, &code, NULL, NULL),
	    ==, STUN_E_ATTR_VALUE);
	g_assert_cmpint(
	    stun_attr_unknown_list(stun_attr_get(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 4, &n),
	    ==, STUN_E_ATTR_VALUE);
	g_assert_cmpint(stun_attr_string(stun_attr_get(&m, STUN_ATTR_SOFTWARE), &s, &n), ==,
	                STUN_E_ATTR_VALUE);
	g_assert_cmpint(stun_attr_string(stun_attr_get(&m, STUN_ATTR_USERNAME), &s, &n), ==,
	                STUN_E_ATTR_VALUE);
	g_assert_cmpint(stun_attr_u32(stun_attr_get(&m, STUN_ATTR_LIFETIME), &(uint32_t){0}), ==,
	                STUN_E_ATTR_VALUE);
	g_assert_cmpint(
	    stun_attr_channel_number(stun_attr_get(&m, STUN_ATTR_CHANNEL_NUMBER), &(uint16_t){0}),
	    ==, STUN_E_ATTR_VALUE);
	g_assert_cmpint(stun_attr_even_port(stun_attr_get(&m, STUN_ATTR_EVEN_PORT), &(bool){0}), ==,
	                STUN_E_ATTR_VALUE);
}

/* Every proper prefix of a valid message is refused, never read past. */
static void test_err_truncated(void)
{
	struct stun_msg m;

	for (size_t n = 0; n < sizeof(rfc5769_request); n++) {
		/* a heap copy of exactly n bytes, so ASan would see any over-read */
		g_autofree uint8_t *copy = g_memdup2(rfc5769_request, n ? n : 1);
		int err = stun_msg_decode(&m, copy, n);

		g_assert_cmpint(err, ==, STUN_E_TRUNCATED);
	}
}

static void test_err_header(void)
{
	uint8_t b[sizeof(rfc5769_response_v4) + 4];
	struct stun_msg m;

	memcpy(b, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	b[0] |= 0x80;
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(rfc5769_response_v4)), ==, STUN_E_NOT_STUN);
	memcpy(b, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	b[4] ^= 1;
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(rfc5769_response_v4)), ==, STUN_E_BAD_COOKIE);
	memcpy(b, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	b[3] -= 2; /* length not a multiple of 4 */
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(rfc5769_response_v4) - 2), ==,
	                STUN_E_BAD_PADDING);
	memcpy(b, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	memset(b + sizeof(rfc5769_response_v4), 0, 4); /* bytes after the message */
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_BAD_LENGTH);
	b[3] -= 4; /* header says shorter than the attributes: FINGERPRINT cut off */
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(rfc5769_response_v4) - 4), ==,
	                STUN_E_BAD_ATTR);
}

/* Attribute length beyond the message; an unpadded attribute (RFC 8489 §14: values are
 * padded to 4 bytes, so the message length is always a multiple of 4). */
static void test_err_attr_bounds(void)
{
	uint8_t b[32] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42};
	struct stun_msg m;

	/* SOFTWARE with length 5: needs 8 bytes of value+padding, only 4 there */
	b[20] = 0x80, b[21] = 0x22, b[22] = 0x00, b[23] = 0x05;
	g_assert_cmpint(stun_msg_decode(&m, b, 28), ==, STUN_E_BAD_ATTR);
	b[23] = 0x04;
	g_assert_cmpint(stun_msg_decode(&m, b, 28), ==, 0);
	b[3] = 0x0c;
	b[23] = 0x0d;
	g_assert_cmpint(stun_msg_decode(&m, b, 32), ==, STUN_E_BAD_ATTR);
	b[23] = 0xff;
	b[22] = 0xff;
	g_assert_cmpint(stun_msg_decode(&m, b, 32), ==, STUN_E_BAD_ATTR);
	/* the sender forgot the padding: 5 value bytes, message length 9 */
	b[3] = 0x09;
	b[22] = 0x00;
	b[23] = 0x05;
	g_assert_cmpint(stun_msg_decode(&m, b, 29), ==, STUN_E_BAD_PADDING);
}

static void test_err_fingerprint(void)
{
	uint8_t b[sizeof(rfc5769_request)];
	struct stun_msg m;

	memcpy(b, rfc5769_request, sizeof(b));
	b[sizeof(b) - 1] ^= 0x01;
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_BAD_FINGERPRINT);
	memcpy(b, rfc5769_request, sizeof(b));
	b[30] ^= 0x01; /* change the SOFTWARE text: CRC and HMAC both break */
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_BAD_FINGERPRINT);
}

/* An altered byte is caught by MESSAGE-INTEGRITY (2.4 has no FINGERPRINT to catch it). */
static void test_err_integrity(void)
{
	uint8_t b[sizeof(rfc5769_request_lt)], key[STUN_KEY_MAX];
	struct stun_msg m;
	int klen = stun_key_long_term(STUN_PWALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
	                              RFC5769_LT_PASSWORD_PREPPED, key);

	memcpy(b, rfc5769_request_lt, sizeof(b));
	b[60] ^= 0x20; /* a NONCE character */
	decode_ok(&m, b, sizeof(b));
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, STUN_E_INTEGRITY);
	decode_ok(&m, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	g_assert_cmpint(stun_msg_check_integrity(&m, NULL, 0), ==, STUN_E_INTEGRITY);
}

/* RFC 8489 §14.5: only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow. */
static void test_err_after_integrity(void)
{
	uint8_t b[sizeof(rfc5769_request_lt) + 8];
	struct stun_msg m;
	size_t n = sizeof(rfc5769_request_lt);

	memcpy(b, rfc5769_request_lt, n);
	/* append LIFETIME after MESSAGE-INTEGRITY */
	memcpy(b + n, (uint8_t[]){0x00, 0x0d, 0x00, 0x04, 0, 0, 0, 60}, 8);
	b[3] += 8;
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_AFTER_INTEGRITY);
	/* a second MESSAGE-INTEGRITY too */
	memcpy(b + n, (uint8_t[]){0x00, 0x08, 0x00, 0x04, 0, 0, 0, 60}, 8);
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_AFTER_INTEGRITY);
	/* a comprehension-optional one is refused as well */
	memcpy(b + n, (uint8_t[]){0x80, 0x22, 0x00, 0x04, 'a', 'b', 'c', 'd'}, 8);
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_AFTER_INTEGRITY);
}

static void test_err_after_fingerprint(void)
{
	uint8_t b[sizeof(rfc5769_request) + 8];
	struct stun_msg m;
	size_t n = sizeof(rfc5769_request);

	memcpy(b, rfc5769_request, n);
	memcpy(b + n, (uint8_t[]){0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0}, 8);
	b[3] += 8;
	g_assert_cmpint(stun_msg_decode(&m, b, sizeof(b)), ==, STUN_E_AFTER_FINGERPRINT);
}

static void test_err_special_lengths(void)
{
	uint8_t b[64] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42};
	struct stun_msg m;

	memcpy(b + 20, (uint8_t[]){0x80, 0x28, 0x00, 0x00}, 4); /* empty FINGERPRINT */
	b[3] = 4;
	g_assert_cmpint(stun_msg_decode(&m, b, 24), ==, STUN_E_ATTR_VALUE);
	memcpy(b + 20, (uint8_t[]){0x00, 0x08, 0x00, 0x04}, 4); /* 4-byte MESSAGE-INTEGRITY */
	b[3] = 8;
	g_assert_cmpint(stun_msg_decode(&m, b, 28), ==, STUN_E_ATTR_VALUE);
	memcpy(b + 20, (uint8_t[]){0x00, 0x1c, 0x00, 0x0c}, 4); /* 12-byte MI-SHA256 */
	b[3] = 16;
	g_assert_cmpint(stun_msg_decode(&m, b, 36), ==, STUN_E_ATTR_VALUE);
}

/* RFC 8489 §6.3.1: unknown comprehension-required attributes make a 420 listing them;
 * unknown comprehension-optional ones are ignored. */
static void test_unknown_attrs(void)
{
	uint8_t buf[256], out[256];
	struct stun_encoder e;
	struct stun_msg m, r;
	size_t len = 0, n = 0;
	uint16_t types[4];
	int code = 0;

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, tid_a);
	stun_encode_u32(&e, 0x7fff, 1);
	stun_encode_u32(&e, 0x0003, 1); /* CHANGE-REQUEST of RFC 5780: not ours */
	stun_encode_u32(&e, 0x7fff, 2); /* a duplicate is listed once */
	stun_encode_u32(&e, 0xc001, 1); /* optional: ignored */
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpuint(m.n_unknown, ==, 2);
	g_assert_cmphex(m.unknown[0], ==, 0x7fff);
	g_assert_cmphex(m.unknown[1], ==, 0x0003);

	stun_encode_error_response(&e, out, sizeof(out), &m, 420, NULL);
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&r, out, len);
	g_assert_cmpuint(r.method, ==, STUN_METHOD_ALLOCATE);
	g_assert_cmpint(r.cls, ==, STUN_CLASS_ERROR);
	g_assert_cmpmem(r.tid, STUN_TID_LEN, tid_a, STUN_TID_LEN);
	g_assert_cmpint(
	    stun_attr_error_code(stun_attr_get(&r, STUN_ATTR_ERROR_CODE), &code, NULL, NULL), ==,
	    0);
	g_assert_cmpint(code, ==, 420);
	g_assert_cmpint(
	    stun_attr_unknown_list(stun_attr_get(&r, STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 4, &n),
	    ==, 0);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(types[0], ==, 0x7fff);
	g_assert_cmphex(types[1], ==, 0x0003);
}

/* RFC 8656 §7.2: a server without DONT-FRAGMENT support answers 420 listing it. */
static void test_mark_unknown(void)
{
	uint8_t buf[128], out[128];
	struct stun_encoder e;
	struct stun_msg m, r;
	size_t len = 0, n = 0;
	uint16_t types[4];

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, tid_a);
	stun_encode_requested_transport(&e, STUN_TRANSPORT_UDP);
	stun_encode_flag(&e, STUN_ATTR_DONT_FRAGMENT);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpuint(m.n_unknown, ==, 0);
	stun_msg_mark_unknown(&m, STUN_ATTR_DONT_FRAGMENT);
	stun_msg_mark_unknown(&m, STUN_ATTR_DONT_FRAGMENT);
	g_assert_cmpuint(m.n_unknown, ==, 1);
	stun_encode_error_response(&e, out, sizeof(out), &m, 420, NULL);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&r, out, len);
	g_assert_cmpint(
	    stun_attr_unknown_list(stun_attr_get(&r, STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 4, &n),
	    ==, 0);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmphex(types[0], ==, STUN_ATTR_DONT_FRAGMENT);
}

static void test_too_many_attrs(void)
{
	uint8_t buf[1024];
	struct stun_encoder e;
	struct stun_msg m;
	size_t len = 0;

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	for (int i = 0; i < STUN_MAX_ATTRS; i++)
		stun_encode_flag(&e, STUN_ATTR_DONT_FRAGMENT);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpuint(m.n_attrs, ==, STUN_MAX_ATTRS);
	stun_encode_flag(&e, STUN_ATTR_DONT_FRAGMENT);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpint(stun_msg_decode(&m, buf, len), ==, STUN_E_TOO_MANY);
}

/* RFC 8489 §14.6: MESSAGE-INTEGRITY-SHA256 alone, and after MESSAGE-INTEGRITY; long-term
 * SHA-256 key of §9.2.2. */
static void test_integrity_sha256(void)
{
	uint8_t buf[256], key[STUN_KEY_MAX], md[32];
	g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
	struct stun_encoder e;
	struct stun_msg m;
	size_t len = 0, mdlen = sizeof(md);
	int klen;

	klen = stun_key_long_term(STUN_PWALG_SHA256, "alice", "example.org", "s3cret", key);
	g_assert_cmpint(klen, ==, 32);
	g_checksum_update(ck, (const guchar *)"alice:example.org:s3cret", -1);
	g_checksum_get_digest(ck, md, &mdlen);
	g_assert_cmpmem(key, 32, md, mdlen);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_REFRESH, STUN_CLASS_REQUEST, tid_a);
	stun_encode_u32(&e, STUN_ATTR_LIFETIME, 0);
	stun_encode_password_algorithm(&e, STUN_PWALG_SHA256);
	stun_encode_integrity_sha256(&e, key, (size_t)klen);
	stun_encode_fingerprint(&e);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpint(m.mi, ==, -1);
	g_assert_cmpint(m.mi256, ==, 2);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, 0);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen - 1), ==, STUN_E_INTEGRITY);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_REFRESH, STUN_CLASS_REQUEST, tid_a);
	stun_encode_integrity(&e, key, 16);
	stun_encode_integrity_sha256(&e, key, (size_t)klen);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpint(m.mi, ==, 0);
	g_assert_cmpint(m.mi256, ==, 1);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, 0);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&m, buf, len);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, 16), ==, STUN_E_NO_INTEGRITY);
}

/* RFC 8489 §14.6 against a message made outside crossbar: an Allocate with USERNAME,
 * REALM, NONCE, PASSWORD-ALGORITHM SHA-256 and MESSAGE-INTEGRITY-SHA256, zero padding. The
 * HMAC-SHA256 was computed with Python's hmac and hashlib over the bytes before the
 * attribute (the length field counting it), keyed with SHA-256("alice:example.org:s3cret")
 * (§9.2.2). */
/* clang-format off */
static const uint8_t mi256_vector[] = {
    0x00, 0x03, 0x00, 0x6c, 0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x00, 0x06, 0x00, 0x05,
    0x61, 0x6c, 0x69, 0x63, 0x65, 0x00, 0x00, 0x00,
    0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
    0x00, 0x15, 0x00, 0x20, 0x6f, 0x62, 0x4d, 0x61,
    0x74, 0x4a, 0x6f, 0x73, 0x32, 0x41, 0x41, 0x41,
    0x43, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b,
    0x39, 0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33,
    0x34, 0x6f, 0x4c, 0x39, 0x00, 0x1d, 0x00, 0x04,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x20,
    0x0d, 0x6c, 0xd0, 0xa7, 0x44, 0xb7, 0x9f, 0xac,
    0xaa, 0xf5, 0x93, 0x6b, 0x6a, 0x3e, 0xbc, 0x4a,
    0xbe, 0xc2, 0xd4, 0x2d, 0xad, 0xb0, 0x17, 0x08,
    0xc2, 0xdd, 0xef, 0xc8, 0xab, 0x1b, 0xa6, 0x13,
};
/* clang-format on */

/* The independent vector is accepted, refused once any byte it covers changes, and the
 * encoder makes the same bytes. */
static void test_integrity_sha256_vector(void)
{
	uint8_t buf[256], key[STUN_KEY_MAX], altered[sizeof(mi256_vector)];
	struct stun_encoder e;
	struct stun_msg m;
	size_t len = 0;
	int klen;

	klen = stun_key_long_term(STUN_PWALG_SHA256, "alice", "example.org", "s3cret", key);
	g_assert_cmpint(klen, ==, 32);
	decode_ok(&m, mi256_vector, sizeof(mi256_vector));
	g_assert_cmpint(m.mi, ==, -1);
	g_assert_cmpint(m.mi256, ==, 4);
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, 0);

	memcpy(altered, mi256_vector, sizeof(altered));
	altered[60] ^= 0x01; /* a NONCE byte */
	decode_ok(&m, altered, sizeof(altered));
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, STUN_E_INTEGRITY);
	memcpy(altered, mi256_vector, sizeof(altered));
	altered[sizeof(altered) - 1] ^= 0x80; /* the HMAC's last byte */
	decode_ok(&m, altered, sizeof(altered));
	g_assert_cmpint(stun_msg_check_integrity(&m, key, (size_t)klen), ==, STUN_E_INTEGRITY);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST, tid_a);
	stun_encode_string(&e, STUN_ATTR_USERNAME, "alice");
	stun_encode_string(&e, STUN_ATTR_REALM, "example.org");
	stun_encode_string(&e, STUN_ATTR_NONCE, "obMatJos2AAACf//499k954d6OL34oL9");
	stun_encode_password_algorithm(&e, STUN_PWALG_SHA256);
	stun_encode_integrity_sha256(&e, key, (size_t)klen);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	g_assert_cmpmem(buf, len, mi256_vector, sizeof(mi256_vector));
}

/* The encoder refuses to add attributes after integrity/fingerprint and to overflow. */
static void test_encode_errors(void)
{
	uint8_t buf[64];
	struct stun_encoder e;
	size_t len = 0;

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	stun_encode_integrity(&e, pw("k"), 1);
	stun_encode_u32(&e, STUN_ATTR_PRIORITY, 1);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, STUN_E_INVALID);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	stun_encode_fingerprint(&e);
	stun_encode_integrity(&e, pw("k"), 1);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, STUN_E_INVALID);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	stun_encode_string(&e, STUN_ATTR_SOFTWARE, "a software name that does not fit in 64 B");
	stun_encode_fingerprint(&e); /* no-op after the first error */
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, STUN_E_NOSPACE);

	stun_encode_init(&e, buf, 10, STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, STUN_E_NOSPACE);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_ERROR, tid_a);
	stun_encode_error_code(&e, 200, NULL);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, STUN_E_INVALID);

	stun_encode_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid_a);
	stun_encode_attr(&e, STUN_ATTR_FINGERPRINT, "abcd", 4);
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, STUN_E_INVALID);
}

/* The TURN error codes and their reason phrases (RFC 8489 §14.8, RFC 8656 §19, RFC 6062,
 * RFC 6156); a 401 answer to a request carries its method and transaction id. */
static void test_error_responses(void)
{
	static const struct {
		int code;
		const char *reason;
	} table[] = {
	    {400, "Bad Request"},
	    {401, "Unauthenticated"},
	    {403, "Forbidden"},
	    {420, "Unknown Attribute"},
	    {437, "Allocation Mismatch"},
	    {438, "Stale Nonce"},
	    {440, "Address Family not Supported"},
	    {441, "Wrong Credentials"},
	    {442, "Unsupported Transport Protocol"},
	    {443, "Peer Address Family Mismatch"},
	    {446, "Connection Already Exists"},
	    {447, "Connection Timeout or Failure"},
	    {486, "Allocation Quota Reached"},
	    {500, "Server Error"},
	    {508, "Insufficient Capacity"},
	};
	uint8_t out[256];
	struct stun_encoder e;
	struct stun_msg req, r;
	size_t len = 0, rlen = 0;
	const char *reason;
	int code = 0;

	decode_ok(&req, rfc5769_request, sizeof(rfc5769_request));
	for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
		g_assert_cmpstr(stun_reason_phrase(table[i].code), ==, table[i].reason);
		stun_encode_error_response(&e, out, sizeof(out), &req, table[i].code, NULL);
		if (table[i].code == 401) {
			stun_encode_string(&e, STUN_ATTR_REALM, "example.org");
			stun_encode_string(&e, STUN_ATTR_NONCE, "0123456789abcdef");
		}
		stun_encode_fingerprint(&e);
		g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
		decode_ok(&r, out, len);
		g_assert_cmphex(r.type, ==, 0x0111);
		g_assert_cmpmem(r.tid, STUN_TID_LEN, req.tid, STUN_TID_LEN);
		g_assert_cmpint(stun_attr_error_code(stun_attr_get(&r, STUN_ATTR_ERROR_CODE), &code,
		                                     &reason, &rlen),
		                ==, 0);
		g_assert_cmpint(code, ==, table[i].code);
		g_assert_cmpmem(reason, rlen, table[i].reason, strlen(table[i].reason));
		g_assert_null(stun_attr_get(&r, STUN_ATTR_UNKNOWN_ATTRIBUTES));
	}
	g_assert_cmpstr(stun_reason_phrase(299), ==, "");
	stun_encode_error_response(&e, out, sizeof(out), &req, 403, "Peer not allowed");
	g_assert_cmpint(stun_encode_finish(&e, &len), ==, 0);
	decode_ok(&r, out, len);
	g_assert_cmpint(
	    stun_attr_error_code(stun_attr_get(&r, STUN_ATTR_ERROR_CODE), &code, &reason, &rlen),
	    ==, 0);
	g_assert_cmpmem(reason, rlen, "Peer not allowed", 16);
}

/* RFC 8656 §12: ChannelData framing, padded over streams, unpadded allowed over UDP. */
static void test_channel_data(void)
{
	uint8_t frame[12] = {0};
	const uint8_t *data = NULL;
	size_t dlen = 0;
	uint16_t ch = 0;

	g_assert_cmpint(stun_channel_data_header(frame, 0x4000, 5), ==, 0);
	memcpy(frame + 4, "hello", 5);
	g_assert_cmpint(stun_pkt_classify(frame, 9), ==, STUN_PKT_CHANNEL_DATA);
	g_assert_cmpint(stun_pkt_classify(rfc5769_request, 20), ==, STUN_PKT_STUN);
	g_assert_cmpint(stun_pkt_classify((const uint8_t *)"\x80", 1), ==, STUN_PKT_OTHER);
	g_assert_cmpint(stun_pkt_classify(frame, 0), ==, STUN_PKT_OTHER);
	g_assert_cmpuint(stun_channel_data_frame_len(5, false), ==, 9);
	g_assert_cmpuint(stun_channel_data_frame_len(5, true), ==, 12);

	g_assert_cmpint(stun_channel_data_parse(frame, 9, false, &ch, &data, &dlen), ==, 0);
	g_assert_cmphex(ch, ==, 0x4000);
	g_assert_cmpmem(data, dlen, "hello", 5);
	g_assert_cmpint(stun_channel_data_parse(frame, 12, false, &ch, &data, &dlen), ==, 0);
	g_assert_cmpint(stun_channel_data_parse(frame, 9, true, &ch, &data, &dlen), ==,
	                STUN_E_TRUNCATED);
	g_assert_cmpint(stun_channel_data_parse(frame, 12, true, &ch, &data, &dlen), ==, 0);
	g_assert_cmpint(stun_channel_data_parse(frame, 8, false, &ch, &data, &dlen), ==,
	                STUN_E_TRUNCATED);
	g_assert_cmpint(stun_channel_data_parse(frame, 3, false, &ch, &data, &dlen), ==,
	                STUN_E_TRUNCATED);
	frame[0] = 0x50; /* 0x5000: valid in RFC 5766, reserved by RFC 8656 */
	g_assert_cmpint(stun_channel_data_parse(frame, 9, false, &ch, &data, &dlen), ==,
	                STUN_E_NOT_CHANNEL);
	g_assert_cmpint(stun_channel_data_header(frame, 0x3fff, 5), ==, STUN_E_INVALID);
	g_assert_cmpint(stun_channel_data_header(frame, 0x5000, 5), ==, STUN_E_INVALID);
}

/* Stream framing over a TCP byte stream: partial, complete, back to back, garbage. */
static void test_stream_frame(void)
{
	uint8_t stream[sizeof(rfc5769_request) + 12];
	size_t n = sizeof(rfc5769_request), fl = 99;

	memcpy(stream, rfc5769_request, n);
	stun_channel_data_header(stream + n, 0x4abc, 5);
	memcpy(stream + n + 4, "hello\0\0\0", 8);

	g_assert_cmpint(stun_stream_frame(stream, 0, &fl), ==, 0);
	g_assert_cmpuint(fl, ==, 0);
	g_assert_cmpint(stun_stream_frame(stream, 3, &fl), ==, 0);
	g_assert_cmpint(stun_stream_frame(stream, 4, &fl), ==, 0);
	g_assert_cmpuint(fl, ==, n);
	g_assert_cmpint(stun_stream_frame(stream, n - 1, &fl), ==, 0);
	g_assert_cmpint(stun_stream_frame(stream, sizeof(stream), &fl), ==, 1);
	g_assert_cmpuint(fl, ==, n);
	g_assert_cmpint(stun_stream_frame(stream + n, 11, &fl), ==, 0);
	g_assert_cmpuint(fl, ==, 12);
	g_assert_cmpint(stun_stream_frame(stream + n, 12, &fl), ==, 1);
	g_assert_cmpuint(fl, ==, 12);

	g_assert_cmpint(stun_stream_frame((const uint8_t *)"\x80\x00\x00\x01", 4, &fl), ==,
	                STUN_E_NOT_STUN); /* RTP */
	g_assert_cmpint(stun_stream_frame((const uint8_t *)"\x80", 1, &fl), ==, STUN_E_NOT_STUN);
	g_assert_cmpint(stun_stream_frame((const uint8_t *)"POST / HTTP/1.1", 15, &fl), ==,
	                STUN_E_NOT_CHANNEL); /* 0x504f: beyond the channel range */
	g_assert_cmpint(stun_stream_frame((const uint8_t *)"\x16\x03\x01\x02\x00", 5, &fl), <,
	                0); /* a TLS record where a message was expected */
	g_assert_cmpint(stun_stream_frame((const uint8_t *)"\x00\x01\x00\x05", 4, &fl), ==,
	                STUN_E_BAD_PADDING);
	g_assert_cmpint(
	    stun_stream_frame((const uint8_t *)"\x00\x01\x00\x04\x21\x12\xa4\x43", 8, &fl), ==,
	    STUN_E_NOT_STUN);
	g_assert_cmpint(stun_stream_frame((const uint8_t *)"\x60\x00\x00\x04", 4, &fl), ==,
	                STUN_E_NOT_CHANNEL);
}

static void test_crc32(void)
{
	/* the standard check value of CRC-32/ISO-HDLC */
	g_assert_cmphex(stun_crc32(0, (const uint8_t *)"123456789", 9), ==, 0xcbf43926);
	g_assert_cmphex(
	    stun_crc32(stun_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5), ==,
	    0xcbf43926);
	g_assert_cmphex(stun_crc32(0, NULL, 0), ==, 0);
}

static void test_strerror(void)
{
	for (int e = 0; e >= STUN_E_NOT_CHANNEL; e--)
		g_assert_cmpstr(stun_strerror(e), !=, "unknown STUN error");
	g_assert_cmpstr(stun_strerror(-1000), ==, "unknown STUN error");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/stun/rfc5769/sample-request", test_rfc5769_request);
	g_test_add_func("/stun/rfc5769/sample-ipv4-response", test_rfc5769_response_v4);
	g_test_add_func("/stun/rfc5769/sample-ipv6-response", test_rfc5769_response_v6);
	g_test_add_func("/stun/rfc5769/long-term-request", test_rfc5769_long_term);
	g_test_add_func("/stun/rfc5769/encode-reproduces-vectors", test_rfc5769_encode);
	g_test_add_func("/stun/header/type-bits", test_type_bits);
	g_test_add_func("/stun/attr/roundtrip", test_attr_roundtrip);
	g_test_add_func("/stun/attr/malformed-values", test_attr_malformed);
	g_test_add_func("/stun/decode/truncated", test_err_truncated);
	g_test_add_func("/stun/decode/bad-header", test_err_header);
	g_test_add_func("/stun/decode/attr-bounds-and-padding", test_err_attr_bounds);
	g_test_add_func("/stun/decode/bad-fingerprint", test_err_fingerprint);
	g_test_add_func("/stun/decode/integrity-mismatch", test_err_integrity);
	g_test_add_func("/stun/decode/attr-after-integrity", test_err_after_integrity);
	g_test_add_func("/stun/decode/attr-after-fingerprint", test_err_after_fingerprint);
	g_test_add_func("/stun/decode/special-attr-lengths", test_err_special_lengths);
	g_test_add_func("/stun/decode/unknown-comprehension-required", test_unknown_attrs);
	g_test_add_func("/stun/decode/mark-unknown-dont-fragment", test_mark_unknown);
	g_test_add_func("/stun/decode/too-many-attributes", test_too_many_attrs);
	g_test_add_func("/stun/integrity/sha256", test_integrity_sha256);
	g_test_add_func("/stun/integrity/sha256-independent-vector-rfc8489-14.6",
	                test_integrity_sha256_vector);
	g_test_add_func("/stun/encode/errors", test_encode_errors);
	g_test_add_func("/stun/error-response/codes", test_error_responses);
	g_test_add_func("/stun/frame/channel-data", test_channel_data);
	g_test_add_func("/stun/frame/stream", test_stream_frame);
	g_test_add_func("/stun/crc32", test_crc32);
	g_test_add_func("/stun/strerror", test_strerror);
	return g_test_run();
}
