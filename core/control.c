/* control.c: the control socket. A UNIX stream socket, mode 0600, in core.data_dir. One
 * request per connection: a 4-byte big-endian length and a serialised GVariant "as" (the
 * words of the command); the answer is framed the same way with an "a{sv}" reply. Reads are
 * non-blocking on the main loop; a client that stalls is dropped after a few seconds. */
#include "core_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#define CONN_TIMEOUT_MS 5000
#define ACCEPT_PAUSE_MS 250 /* between attempts to accept while out of descriptors */

typedef struct {
	GSocket *socket;
	GSource *source;
	GByteArray *in;
	XbTimer *timeout;
} Conn;

GQuark xb_control_error_quark(void)
{
	return g_quark_from_static_string("xb-control-error-quark");
}

static GSocket *listener;
static GSource *listen_source;
static char *socket_path;
static GHashTable *conns; /* Conn * set */
static XbTimer *accept_pause;
static gboolean accept_failing;

static void conn_close(Conn *c)
{
	g_hash_table_remove(conns, c);
	xb_timer_clear(&c->timeout);
	if (c->source) {
		g_source_destroy(c->source);
		g_source_unref(c->source);
	}
	g_socket_close(c->socket, NULL);
	g_object_unref(c->socket);
	g_byte_array_unref(c->in);
	g_free(c);
}

static void conn_timeout_cb(XbTimer *t, gpointer user_data)
{
	Conn *c = user_data;

	c->timeout = NULL;
	g_info("control: dropping a client that sent no complete request");
	conn_close(c);
}

static void conn_answer(Conn *c, GVariant *reply)
{
	gsize len = g_variant_get_size(reply);
	guint32 be = GUINT32_TO_BE((guint32)len);
	g_autofree guint8 *buf = g_malloc(len + 4);

	memcpy(buf, &be, 4);
	/* g_variant_store() wants storage aligned for the type; buf + 4 is not. */
	memcpy(buf + 4, g_variant_get_data(reply), len);
	/* Replies are small and the peer is local: a bounded blocking write keeps this simple. */
	g_socket_set_blocking(c->socket, TRUE);
	g_socket_set_timeout(c->socket, 2);
	gsize off = 0;
	while (off < len + 4) {
		gssize n = g_socket_send(c->socket, (char *)buf + off, len + 4 - off, NULL, NULL);
		if (n <= 0)
			break;
		off += n;
	}
}

static gboolean conn_read_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	Conn *c = user_data;
	char buf[4096];
	gssize n;
	guint32 len;

	n = g_socket_receive(socket, buf, sizeof(buf), NULL, NULL);
	if (n <= 0) {
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	g_byte_array_append(c->in, (guint8 *)buf, n);
	if (c->in->len < 4)
		return G_SOURCE_CONTINUE;
	memcpy(&len, c->in->data, 4);
	len = GUINT32_FROM_BE(len);
	if (len > XB_CONTROL_MAX_REQUEST) {
		g_warning("control: request of %u bytes refused (limit %d)", len,
		          XB_CONTROL_MAX_REQUEST);
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	if (c->in->len < len + 4)
		return G_SOURCE_CONTINUE;

	g_autoptr(GBytes) body = g_bytes_new(c->in->data + 4, len);
	g_autoptr(GVariant) req =
	    g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_STRING_ARRAY, body, FALSE));
	g_autoptr(GVariant) reply = NULL;
	if (!g_variant_is_normal_form(req)) {
		GVariantDict d;
		g_variant_dict_init(&d, NULL);
		g_variant_dict_insert(&d, "ok", "b", FALSE);
		g_variant_dict_insert(&d, "error", "s", "malformed request");
		reply = g_variant_ref_sink(g_variant_dict_end(&d));
	} else {
		g_autofree const char **words = g_variant_get_strv(req, NULL);
		g_autofree char *line = g_strjoinv(" ", (char **)words);
		g_info("control: %s", line);
		reply = xb_cli_dispatch((char **)words);
	}
	conn_answer(c, reply);
	conn_close(c);
	return G_SOURCE_REMOVE;
}

static gboolean accept_cb(GSocket *socket, GIOCondition cond, gpointer user_data);

static void listen_watch(void)
{
	listen_source = g_socket_create_source(listener, G_IO_IN, NULL);
	g_source_set_callback(listen_source, (GSourceFunc)(void (*)(void))accept_cb, NULL, NULL);
	g_source_attach(listen_source, NULL);
}

static void accept_resume_cb(XbTimer *t, gpointer user_data)
{
	accept_pause = NULL;
	listen_watch();
}

static gboolean accept_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	GSocket *client = g_socket_accept(socket, NULL, &error);
	Conn *c;

	if (!client) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return G_SOURCE_CONTINUE;
		/* Out of descriptors the client stays in the backlog and the socket readable: a
		 * watch left armed would spin. Pause, and say so once until accepting works. */
		if (!accept_failing)
			g_warning("control: cannot accept: %s; pausing for %d ms at a time",
			          error->message, ACCEPT_PAUSE_MS);
		accept_failing = TRUE;
		g_clear_pointer(&listen_source, g_source_unref); /* returning FALSE destroys it */
		accept_pause = xb_timer_start(NULL, ACCEPT_PAUSE_MS, accept_resume_cb, NULL);
		return G_SOURCE_REMOVE;
	}
	if (accept_failing) {
		g_message("control: accepting again");
		accept_failing = FALSE;
	}
	g_socket_set_blocking(client, FALSE);
	c = g_new0(Conn, 1);
	c->socket = client;
	c->in = g_byte_array_new();
	c->source = g_socket_create_source(client, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(c->source, (GSourceFunc)(void (*)(void))conn_read_cb, c, NULL);
	g_source_attach(c->source, NULL);
	c->timeout = xb_timer_start(NULL, CONN_TIMEOUT_MS, conn_timeout_cb, c);
	g_hash_table_add(conns, c);
	return G_SOURCE_CONTINUE;
}

gboolean xb_control_chmod_socket(const char *path, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return FALSE;
	if (!S_ISSOCK(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTSOCK;
		return FALSE;
	}
	/* Never chmod(): between bind and here the name may have become a link to a file of
	 * someone else's choosing. */
	return fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Is a daemon answering on `path`? */
static gboolean socket_alive(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	gboolean alive;

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	alive = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return alive;
}

gboolean xb_control_start(const char *path, GError **error)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GError) err = NULL;
	mode_t old_mask;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(
		    error, XB_CONTROL_ERROR, XB_CONTROL_ERROR_PATH,
		    "control socket %s: path longer than %zu bytes (set core.control_socket)", path,
		    sizeof(sa.sun_path) - 1);
		return FALSE;
	}
	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (socket_alive(path)) {
			g_set_error(error, XB_CONTROL_ERROR, XB_CONTROL_ERROR_IN_USE,
			            "control socket %s is in use: is another crossbar running with "
			            "this data_dir?",
			            path);
			return FALSE;
		}
		unlink(path); /* left behind by a daemon that did not stop cleanly */
	}
	listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
	                        G_SOCKET_PROTOCOL_DEFAULT, &err);
	if (!listener)
		goto fail;
	addr = g_unix_socket_address_new(path);
	old_mask = umask(0077); /* the socket is born 0600: no window where others may connect */
	gboolean bound = g_socket_bind(listener, addr, FALSE, &err);
	umask(old_mask);
	if (!bound || !g_socket_listen(listener, &err))
		goto fail;
	if (!xb_control_chmod_socket(path, 0600)) {
		g_set_error(error, XB_CONTROL_ERROR, XB_CONTROL_ERROR_SOCKET,
		            "control socket %s: cannot set its mode 0600: %s", path,
		            g_strerror(errno));
		g_socket_close(listener, NULL);
		g_object_unref(listener);
		listener = NULL;
		return FALSE;
	}
	g_socket_set_blocking(listener, FALSE);
	socket_path = g_strdup(path);
	conns = g_hash_table_new(NULL, NULL);
	listen_watch();
	return TRUE;
fail:
	g_set_error(error, XB_CONTROL_ERROR, XB_CONTROL_ERROR_SOCKET, "control socket %s: %s", path,
	            err ? err->message : "failed");
	g_clear_object(&listener);
	return FALSE;
}

void xb_control_stop(void)
{
	xb_timer_clear(&accept_pause);
	accept_failing = FALSE;
	if (conns) {
		GList *all = g_hash_table_get_keys(conns);
		for (GList *l = all; l; l = l->next)
			conn_close(l->data);
		g_list_free(all);
		g_clear_pointer(&conns, g_hash_table_unref);
	}
	if (listen_source) {
		g_source_destroy(listen_source);
		g_clear_pointer(&listen_source, g_source_unref);
	}
	if (listener) {
		g_socket_close(listener, NULL);
		g_clear_object(&listener);
	}
	if (socket_path) {
		unlink(socket_path);
		g_clear_pointer(&socket_path, g_free);
	}
}
