/* libFuzzer target for the STUN/TURN message layer: decoding, every typed getter, integrity
 * checks (short- and long-term), error-response building, ChannelData parsing and stream
 * framing. It must only call pure library code: no sockets, no global state of its own. */
#include <crossbar/stun.h>

#include <string.h>

static void poke_attr(const struct stun_msg *m, const struct stun_attr *a)
{
	struct stun_addr addr;
	const char *s;
	size_t n, pos = 0;
	uint16_t types[8], u16;
	uint32_t u32;
	uint64_t u64;
	uint8_t u8, tok[8];
	const uint8_t *hash;
	bool b;
	int code, guard = 0;
	char text[64];

	if (stun_attr_addr(a, &addr) == 0) {
		stun_addr_to_string(&addr, text, sizeof(text));
		(void)stun_addr_peer_allowed(&addr, 0);
	}
	if (stun_attr_xor_addr(m, a, &addr) == 0)
		(void)stun_addr_classify(&addr);
	(void)stun_attr_u32(a, &u32);
	(void)stun_attr_u64(a, &u64);
	(void)stun_attr_string(a, &s, &n);
	(void)stun_attr_error_code(a, &code, &s, &n);
	(void)stun_attr_address_error_code(a, &u8, &code, &s, &n);
	(void)stun_attr_unknown_list(a, types, G_N_ELEMENTS(types), &n);
	(void)stun_attr_channel_number(a, &u16);
	(void)stun_attr_requested_transport(a, &u8);
	(void)stun_attr_even_port(a, &b);
	(void)stun_attr_address_family(a, &u8);
	(void)stun_attr_reservation_token(a, tok);
	(void)stun_attr_userhash(a, &hash);
	(void)stun_attr_icmp(a, &u8, &u16, &u32);
	(void)stun_attr_password_algorithm(a, &u16);
	while (stun_attr_password_algorithms_next(a, &pos, &u16) == 1 && guard++ < 1000)
		;
}

static void poke_msg(const struct stun_msg *m)
{
	static const uint8_t short_key[] = "VOkJxbRl1RmTxUk/WvJxBt";
	uint8_t key[STUN_KEY_MAX], out[1500];
	const struct stun_attr *a = NULL;
	struct stun_encoder e;
	size_t len;
	int klen;

	for (unsigned i = 0; i < m->n_attrs; i++)
		poke_attr(m, &m->attrs[i]);
	while ((a = stun_attr_next(m, STUN_ATTR_XOR_PEER_ADDRESS, a)) != NULL)
		;
	(void)stun_msg_check_integrity(m, short_key, sizeof(short_key) - 1);
	klen = stun_key_long_term(STUN_PWALG_MD5, "user", "realm", "pass", key);
	if (klen > 0)
		(void)stun_msg_check_integrity(m, key, (size_t)klen);
	stun_encode_error_response(&e, out, sizeof(out), m, m->n_unknown ? 420 : 401, NULL);
	stun_encode_integrity(&e, key, 16);
	stun_encode_fingerprint(&e);
	if (stun_encode_finish(&e, &len) == 0) {
		struct stun_msg r;

		if (stun_msg_decode(&r, out, len) != 0 ||
		    stun_msg_check_integrity(&r, key, 16) != 0)
			__builtin_trap(); /* what we encode must decode and verify */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	const uint8_t *cd;
	size_t off = 0, frame, cdlen;
	uint16_t ch;
	char pw[STUN_EPHEMERAL_PASSWORD_LEN + 1];
	struct stun_addr client = {STUN_FAMILY_IPV4, 1, {192, 0, 2, 1}};

	if (stun_msg_decode(&m, data, size) == 0)
		poke_msg(&m);
	(void)stun_channel_data_parse(data, size, false, &ch, &cd, &cdlen);
	(void)stun_channel_data_parse(data, size, true, &ch, &cd, &cdlen);

	/* Cut the input as a TCP stream, decoding each complete frame. */
	while (off < size && stun_stream_frame(data + off, size - off, &frame) == 1) {
		if (frame == 0 || frame > size - off)
			__builtin_trap(); /* the framer must never point past what it was given */
		if (stun_pkt_classify(data + off, frame) == STUN_PKT_STUN) {
			if (stun_msg_decode(&m, data + off, frame) == 0)
				poke_msg(&m);
		} else {
			(void)stun_channel_data_parse(data + off, frame, true, &ch, &cd, &cdlen);
		}
		off += frame;
	}

	(void)stun_cred_ephemeral_password("secret", 6, (const char *)data, size, 1700000000, pw);
	(void)stun_nonce_check((const uint8_t *)"secret", 6, (const char *)data, size, 1700000000,
	                       600, &client);
	return 0;
}
