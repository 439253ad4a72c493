/* xml.c: reading an XML file of crossbar's (the configuration, a dialplan) the one way: no
 * network access, line numbers kept, checked against a RelaxNG schema built into the binary
 * (a GResource), and only the first error reported, with its line: later ones are its
 * consequences. libxml2's error hooks are global, so this runs on the main thread only. */
#include "core_private.h"

#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

static GHashTable *schemas; /* resource path -> xmlRelaxNGPtr, compiled once */

static void silent_error_cb(void *ctx, const char *msg, ...)
{
}

static void first_error_cb(void *user_data, xmlErrorPtr err)
{
	char **first = user_data;

	if (*first || !err)
		return;
	g_autofree char *msg = g_strstrip(g_strdup(err->message ? err->message : "invalid"));
	*first = g_strdup_printf("%d: %s", err->line, msg);
}

static xmlRelaxNGPtr schema_get(const XbXmlKind *kind, GError **error)
{
	xmlRelaxNGPtr schema = schemas ? g_hash_table_lookup(schemas, kind->schema) : NULL;

	if (schema)
		return schema;
	g_autoptr(GBytes) bytes = g_resources_lookup_data(kind->schema, 0, error);
	if (!bytes)
		return NULL;
	gsize len;
	const char *data = g_bytes_get_data(bytes, &len);
	xmlRelaxNGParserCtxtPtr pctx = xmlRelaxNGNewMemParserCtxt(data, (int)len);
	schema = xmlRelaxNGParse(pctx);
	xmlRelaxNGFreeParserCtxt(pctx);
	if (!schema) {
		g_set_error(error, kind->domain, kind->code,
		            "the built-in %s schema does not compile", kind->what);
		return NULL;
	}
	if (!schemas)
		schemas = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(schemas, (gpointer)kind->schema, schema);
	return schema;
}

/* The top-level elements the kind's schema does not check, unlinked into aside. */
static void set_aside(const XbXmlKind *kind, xmlDoc *doc, GPtrArray *aside)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *next;

	for (xmlNode *n = root ? root->children : NULL; n; n = next) {
		next = n->next;
		if (n->type != XML_ELEMENT_NODE ||
		    g_strv_contains(kind->own, (const char *)n->name))
			continue;
		xmlUnlinkNode(n);
		if (aside)
			g_ptr_array_add(aside, n);
		else
			xmlFreeNode(n);
	}
}

struct _xmlDoc *xb_xml_read(const XbXmlKind *kind, const char *name, const char *data, gsize len,
                            GPtrArray *aside, GError **error)
{
	const int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
	g_autofree char *first = NULL;
	xmlParserCtxtPtr ctx;
	xmlDoc *doc;

	xmlSetGenericErrorFunc(NULL, silent_error_cb);
	xmlSetStructuredErrorFunc(&first, first_error_cb);
	ctx = xmlNewParserCtxt();
	if (data)
		doc = xmlCtxtReadMemory(ctx, data, (int)MIN(len, (gsize)G_MAXINT), name, NULL,
		                        options);
	else
		doc = xmlCtxtReadFile(ctx, name, NULL, options);
	xmlFreeParserCtxt(ctx);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc || first) {
		g_set_error(error, kind->domain, kind->code, "%s:%s", name,
		            first ? first : "1: not XML");
		if (doc)
			xmlFreeDoc(doc);
		return NULL;
	}

	xmlRelaxNGPtr schema = schema_get(kind, error);
	if (!schema) {
		xmlFreeDoc(doc);
		return NULL;
	}
	if (kind->own)
		set_aside(kind, doc, aside);
	xmlRelaxNGValidCtxtPtr vctx = xmlRelaxNGNewValidCtxt(schema);
	xmlRelaxNGSetValidStructuredErrors(vctx, first_error_cb, &first);
	int rc = xmlRelaxNGValidateDoc(vctx, doc);
	xmlRelaxNGFreeValidCtxt(vctx);
	if (rc != 0) {
		g_set_error(error, kind->domain, kind->code, "%s:%s (does not match the %s schema)",
		            name, first ? first : "1: invalid document", kind->what);
		for (guint i = 0; aside && i < aside->len; i++)
			xmlFreeNode(aside->pdata[i]);
		if (aside)
			g_ptr_array_set_size(aside, 0);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}
