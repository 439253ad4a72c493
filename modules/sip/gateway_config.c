/* modules/sip/gateway_config.c: reading <gateways><gateway name><param name value/>
 * into checked GatewayDefs, with errors naming file, line, gateway and parameter. A proxy
 * that is a host name is only checked for syntax here: it is resolved (gateway_proxy.c)
 * before each registration attempt and ping, never at load. Nothing here starts a
 * registration. */
#include "gateway.h"

#include <errno.h>
#include <libxml/tree.h>
#include <string.h>

static const char *const known_params[] = {
    "proxy",          "transport", "username",          "auth_username", "password",
    "realm",          "from_user", "from_domain",       "register",      "expiry",
    "retry_interval", "ping",      "caller_id_in_from", "context",       NULL};

void gateway_def_free(GatewayDef *d)
{
	if (!d)
		return;
	g_free(d->name);
	g_free(d->proxy);
	gateway_proxy_clear(&d->dest);
	g_free(d->username);
	g_free(d->auth_username);
	g_free(d->password);
	g_free(d->realm);
	g_free(d->from_user);
	g_free(d->from_domain);
	g_free(d->context);
	g_free(d);
}

gboolean gateway_def_equal(const GatewayDef *a, const GatewayDef *b)
{
	return g_strcmp0(a->name, b->name) == 0 && g_strcmp0(a->proxy, b->proxy) == 0 &&
	       a->dest.peer.transport == b->dest.peer.transport &&
	       g_strcmp0(a->username, b->username) == 0 &&
	       g_strcmp0(a->auth_username, b->auth_username) == 0 &&
	       g_strcmp0(a->password, b->password) == 0 && g_strcmp0(a->realm, b->realm) == 0 &&
	       g_strcmp0(a->from_user, b->from_user) == 0 &&
	       g_strcmp0(a->from_domain, b->from_domain) == 0 &&
	       g_strcmp0(a->context, b->context) == 0 && a->reg == b->reg &&
	       a->caller_id_in_from == b->caller_id_in_from && a->expiry == b->expiry &&
	       a->retry_interval == b->retry_interval && a->ping == b->ping;
}

static gboolean uint_param(GHashTable *p, const char *name, guint def, guint min, guint max,
                           guint *out)
{
	const char *v = g_hash_table_lookup(p, name);
	guint64 n;

	if (!v) {
		*out = def;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(v, 10, min, max, &n, NULL))
		return FALSE;
	*out = (guint)n;
	return TRUE;
}

static char *dup_or(GHashTable *p, const char *name, const char *def)
{
	const char *v = g_hash_table_lookup(p, name);
	return g_strdup(v && *v ? v : def);
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		g_autofree char *msg_ = g_strdup_printf(__VA_ARGS__);                              \
		g_set_error(error, XB_SIP_ERROR, XB_SIP_ERROR_CONFIG, "%s:%ld: gateway '%s': %s",  \
		            file, line, name, msg_);                                               \
		gateway_def_free(d);                                                               \
		return NULL;                                                                       \
	} while (0)

static GatewayDef *def_from_node(xmlNode *node, GError **error)
{
	const char *file = xb_config_file() ? xb_config_file() : "<config>";
	long line = xmlGetLineNo(node);
	g_autofree char *name = (char *)xmlGetProp(node, BAD_CAST "name");
	g_autoptr(GHashTable) p = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GatewayDef *d = NULL;
	const char *v;

	for (xmlNode *c = node->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		char *pn = (char *)xmlGetProp(c, BAD_CAST "name");
		char *pv = (char *)xmlGetProp(c, BAD_CAST "value");
		line = xmlGetLineNo(c);
		if (!pn || !g_strv_contains(known_params, pn)) {
			g_autofree char *bad = g_strdup(pn);
			xmlFree(pn);
			xmlFree(pv);
			FAIL(
			    "unknown param '%s' (known: proxy, transport, username, auth_username, "
			    "password, realm, from_user, from_domain, register, expiry, "
			    "retry_interval, ping, caller_id_in_from, context)",
			    bad ? bad : "");
		}
		/* Copy into GLib's allocator: the table frees with g_free. */
		g_hash_table_replace(p, g_strdup(pn), g_strdup(pv ? pv : ""));
		xmlFree(pn);
		xmlFree(pv);
	}
	line = xmlGetLineNo(node);
	d = g_new0(GatewayDef, 1);
	d->name = g_strdup(name);
	d->line = line;

	XbTransport tp = XB_TRANSPORT_UDP;
	v = g_hash_table_lookup(p, "transport");
	if (v && g_ascii_strcasecmp(v, "tcp") == 0)
		tp = XB_TRANSPORT_TCP;
	else if (v && g_ascii_strcasecmp(v, "tls") == 0)
		tp = XB_TRANSPORT_TLS;
	else if (v && g_ascii_strcasecmp(v, "udp") != 0)
		FAIL("transport '%s' is not udp, tcp or tls", v);

	v = g_hash_table_lookup(p, "proxy");
	if (!v || !*v)
		FAIL("param 'proxy' is missing");
	if (!gateway_proxy_parse(v, tp, &d->dest))
		FAIL("proxy '%s' is not a host name, an IPv4 address or an [IPv6] address, with "
		     "an optional :port",
		     v);
	d->proxy = g_strdup(v);

	v = g_hash_table_lookup(p, "register");
	d->reg = FALSE;
	if (v && !xb_bool_parse(v, &d->reg))
		FAIL("register '%s' is not yes or no", v);
	v = g_hash_table_lookup(p, "caller_id_in_from");
	if (v && !xb_bool_parse(v, &d->caller_id_in_from))
		FAIL("caller_id_in_from '%s' is not yes or no", v);
	if (!uint_param(p, "expiry", 3600, 1, 604800, &d->expiry))
		FAIL("expiry '%s' is not a number of seconds within 1-604800",
		     (char *)g_hash_table_lookup(p, "expiry"));
	if (!uint_param(p, "retry_interval", 30, 1, 86400, &d->retry_interval))
		FAIL("retry_interval '%s' is not a number of seconds within 1-86400",
		     (char *)g_hash_table_lookup(p, "retry_interval"));
	if (!uint_param(p, "ping", 0, 0, 86400, &d->ping))
		FAIL("ping '%s' is not a number of seconds within 0-86400 (0: off)",
		     (char *)g_hash_table_lookup(p, "ping"));

	d->username = dup_or(p, "username", "");
	d->auth_username = dup_or(p, "auth_username", d->username);
	d->password = dup_or(p, "password", "");
	d->realm = dup_or(p, "realm", "");
	d->context = dup_or(p, "context", "public");
	d->from_user = dup_or(p, "from_user", d->username);
	d->from_domain = dup_or(p, "from_domain", d->proxy);
	if (d->reg && !*d->username)
		FAIL("register is yes but param 'username' is missing");
	return d;
}
#undef FAIL

GPtrArray *gateway_defs_from_config(GError **error)
{
	const xmlNode *root = xb_config_get_node("gateways");
	g_autoptr(GPtrArray) defs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)gateway_def_free);

	for (const xmlNode *n = root ? root->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		GatewayDef *d = def_from_node((xmlNode *)n, error);
		if (!d)
			return NULL;
		for (guint i = 0; i < defs->len; i++) {
			GatewayDef *o = defs->pdata[i];
			if (strcmp(o->name, d->name) == 0) {
				g_set_error(error, XB_SIP_ERROR, XB_SIP_ERROR_CONFIG,
				            "%s:%ld: gateway '%s' is defined twice (also line %ld)",
				            xb_config_file() ? xb_config_file() : "<config>",
				            d->line, d->name, o->line);
				gateway_def_free(d);
				return NULL;
			}
		}
		g_ptr_array_add(defs, d);
	}
	return g_steal_pointer(&defs);
}
