/* lib/sip/pl.c: pointer-length slices, header/URI parameter iteration and the character
 * table of the SIP grammar. Nothing here allocates except sip_pl_dup(); nothing reads past
 * the slice it is given. */
#include "chars.h"
#include <crossbar/sipmsg.h>

#include <string.h>

/* Indexed by octet; generated from the RFC 3261 §25 rule names in chars.h. */
const uint16_t sip_ctab[256] = {
    [0] = SIP_C_CTL,
    [1] = SIP_C_CTL,
    [2] = SIP_C_CTL,
    [3] = SIP_C_CTL,
    [4] = SIP_C_CTL,
    [5] = SIP_C_CTL,
    [6] = SIP_C_CTL,
    [7] = SIP_C_CTL,
    [8] = SIP_C_CTL,
    [9] = SIP_C_WS,
    [10] = SIP_C_CTL,
    [11] = SIP_C_CTL,
    [12] = SIP_C_CTL,
    [13] = SIP_C_CTL,
    [14] = SIP_C_CTL,
    [15] = SIP_C_CTL,
    [16] = SIP_C_CTL,
    [17] = SIP_C_CTL,
    [18] = SIP_C_CTL,
    [19] = SIP_C_CTL,
    [20] = SIP_C_CTL,
    [21] = SIP_C_CTL,
    [22] = SIP_C_CTL,
    [23] = SIP_C_CTL,
    [24] = SIP_C_CTL,
    [25] = SIP_C_CTL,
    [26] = SIP_C_CTL,
    [27] = SIP_C_CTL,
    [28] = SIP_C_CTL,
    [29] = SIP_C_CTL,
    [30] = SIP_C_CTL,
    [31] = SIP_C_CTL,
    [32] = SIP_C_WS,
    [33] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [34] = SIP_C_WORD,
    [35] = SIP_C_TEL,
    [36] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_RESERVED | SIP_C_USER,
    [37] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [38] = SIP_C_PARAM | SIP_C_PASS | SIP_C_RESERVED | SIP_C_USER,
    [39] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [40] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_USER | SIP_C_WORD,
    [41] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_USER | SIP_C_WORD,
    [42] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [43] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_RESERVED | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [44] = SIP_C_PASS | SIP_C_RESERVED | SIP_C_USER,
    [45] = SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [46] = SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [47] = SIP_C_HNV | SIP_C_PARAM | SIP_C_RESERVED | SIP_C_USER | SIP_C_WORD,
    [48] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [49] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [50] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [51] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [52] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [53] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [54] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [55] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [56] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [57] = SIP_C_DIGIT | SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
           SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [58] = SIP_C_HNV | SIP_C_PARAM | SIP_C_RESERVED | SIP_C_WORD,
    [59] = SIP_C_RESERVED | SIP_C_USER,
    [60] = SIP_C_WORD,
    [61] = SIP_C_PASS | SIP_C_RESERVED | SIP_C_USER,
    [62] = SIP_C_WORD,
    [63] = SIP_C_HNV | SIP_C_RESERVED | SIP_C_USER | SIP_C_WORD,
    [64] = SIP_C_RESERVED,
    [65] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [66] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [67] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [68] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [69] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [70] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [71] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [72] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [73] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [74] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [75] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [76] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [77] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [78] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [79] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [80] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [81] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [82] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [83] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [84] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [85] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [86] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [87] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [88] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [89] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [90] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [91] = SIP_C_HNV | SIP_C_PARAM | SIP_C_WORD,
    [92] = SIP_C_WORD,
    [93] = SIP_C_HNV | SIP_C_PARAM | SIP_C_WORD,
    [95] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [96] = SIP_C_TOKEN | SIP_C_WORD,
    [97] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [98] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [99] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL | SIP_C_TOKEN |
           SIP_C_USER | SIP_C_WORD,
    [100] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
            SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [101] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
            SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [102] = SIP_C_HEX | SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TEL |
            SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [103] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [104] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [105] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [106] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [107] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [108] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [109] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [110] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [111] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [112] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [113] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [114] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [115] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [116] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [117] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [118] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [119] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [120] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [121] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [122] =
        SIP_C_HNV | SIP_C_HOST | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [123] = SIP_C_WORD,
    [125] = SIP_C_WORD,
    [126] = SIP_C_HNV | SIP_C_PARAM | SIP_C_PASS | SIP_C_TOKEN | SIP_C_USER | SIP_C_WORD,
    [127] = SIP_C_CTL,
};

struct sip_pl sip_pl_str(const char *s)
{
	struct sip_pl pl = {s, s ? strlen(s) : 0};
	return pl;
}

bool sip_pl_isset(const struct sip_pl *pl)
{
	return pl && pl->p && pl->l;
}

bool sip_pl_caseeq_pl(const struct sip_pl *a, const struct sip_pl *b)
{
	return a->l == b->l && (a->l == 0 || g_ascii_strncasecmp(a->p, b->p, a->l) == 0);
}

bool sip_pl_eq_pl(const struct sip_pl *a, const struct sip_pl *b)
{
	return a->l == b->l && (a->l == 0 || memcmp(a->p, b->p, a->l) == 0);
}

int sip_pl_u32(const struct sip_pl *pl, uint32_t max, uint32_t *v)
{
	uint64_t n = 0;

	if (!pl->l)
		return -EINVAL;
	for (size_t i = 0; i < pl->l; i++) {
		unsigned char c = pl->p[i];
		if (c < '0' || c > '9')
			return -EINVAL;
		n = n * 10 + (c - '0');
		if (n > max)
			return -ERANGE;
	}
	*v = (uint32_t)n;
	return 0;
}

void sip_pl_trim(struct sip_pl *pl)
{
	while (pl->l && sip_cis(pl->p[0], SIP_C_WS)) {
		pl->p++;
		pl->l--;
	}
	while (pl->l && sip_cis(pl->p[pl->l - 1], SIP_C_WS))
		pl->l--;
}

bool sip_pl_has_nul(const struct sip_pl *pl)
{
	return pl->l && memchr(pl->p, '\0', pl->l) != NULL;
}

char *sip_pl_dup(const struct sip_pl *pl)
{
	return g_strndup(pl->p ? pl->p : "", pl->l);
}

/* Past a quoted-string starting at p (on the opening quote); NULL if unterminated. */
const char *sip_quoted_skip(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (++p == e)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* One parameter off the front of rest (";name=value ..."): 1 if one was taken, 0 at the end,
 * -EBADMSG if what is there is not a parameter. Quoted values keep their quotes. */
int sip_param_next(struct sip_pl *rest, struct sip_param *prm)
{
	const char *p, *e;
	bool semi = false;

	if (!rest->l)
		return 0;
	p = rest->p;
	e = p + rest->l;

	while (p < e && sip_cis(*p, SIP_C_WS))
		p++;
	if (p < e && *p == ';') {
		semi = true;
		p++;
		while (p < e && sip_cis(*p, SIP_C_WS))
			p++;
	}
	if (p == e) {
		rest->p = p;
		rest->l = 0;
		return semi ? -EBADMSG : 0;
	}
	prm->name.p = p;
	while (p < e && *p != ';' && *p != '=' && !sip_cis(*p, SIP_C_WS))
		p++;
	prm->name.l = p - prm->name.p;
	prm->val.p = p;
	prm->val.l = 0;
	prm->has_val = false;
	if (!prm->name.l)
		return -EBADMSG;
	while (p < e && sip_cis(*p, SIP_C_WS))
		p++;
	if (p < e && *p == '=') {
		p++;
		while (p < e && sip_cis(*p, SIP_C_WS))
			p++;
		prm->val.p = p;
		if (p < e && *p == '"') {
			p = sip_quoted_skip(p, e);
			if (!p)
				return -EBADMSG;
		} else {
			while (p < e && *p != ';' && !sip_cis(*p, SIP_C_WS))
				p++;
		}
		prm->val.l = p - prm->val.p;
		prm->has_val = true;
		while (p < e && sip_cis(*p, SIP_C_WS))
			p++;
	}
	if (p < e && *p != ';')
		return -EBADMSG;
	rest->p = p;
	rest->l = e - p;
	return 1;
}

bool sip_param_get(const struct sip_pl *params, const char *name, struct sip_pl *val)
{
	struct sip_pl rest = *params;
	struct sip_param prm;

	while (sip_param_next(&rest, &prm) > 0) {
		if (sip_pl_caseeq(&prm.name, name)) {
			if (val)
				*val = prm.val;
			return true;
		}
	}
	return false;
}

bool sip_param_exists(const struct sip_pl *params, const char *name)
{
	return sip_param_get(params, name, NULL);
}

/* The text of a quoted-string (quotes included in q) with its backslash escapes resolved,
 * NUL-terminated into out. An escaped NUL (valid SIP) is refused with -EINVAL: the C string
 * made here could not hold it without being cut short. */
int sip_quoted_unescape(const struct sip_pl *q, char *out, size_t size, size_t *len)
{
	size_t n = 0;

	if (q->l < 2 || q->p[0] != '"' || q->p[q->l - 1] != '"' || !size)
		return -EINVAL;
	for (size_t i = 1; i + 1 < q->l; i++) {
		char c = q->p[i];
		if (c == '\\') {
			if (i + 2 >= q->l)
				return -EINVAL; /* the closing quote was escaped */
			c = q->p[++i];
		}
		if (!c)
			return -EINVAL;
		if (n + 1 >= size)
			return -ENOBUFS;
		out[n++] = c;
	}
	out[n] = '\0';
	if (len)
		*len = n;
	return 0;
}
