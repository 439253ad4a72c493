/* cli.h: control commands. The core and modules register commands in tables; crossbar-cli
 * sends the words of its command line over the control socket and the longest registered
 * name that prefixes them ("user add" before "user") gets the rest as argv. A command answers
 * with a message, a record (key/value pairs) or a table (rows of named columns), which the
 * client prints as text or, with --json, as JSON. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>

G_BEGIN_DECLS

typedef struct xb_cli_reply XbCliReply;

/* argv holds the words after the command's name. Return FALSE after xb_cli_reply_error. */
typedef gboolean (*XbCliFunc)(XbCliReply *reply, int argc, char **argv, gpointer user_data);

typedef struct {
	const char *name;  /* one or more words: "status", "user add" */
	const char *usage; /* arguments: "EXT --password P [--name N]" */
	const char *help;  /* one line */
	XbCliFunc func;
} XbCliCommand;

#define XB_CLI_END                                                                                 \
	{                                                                                          \
		NULL, NULL, NULL, NULL                                                             \
	}

/* Register every command of a table (terminated by XB_CLI_END). A name already taken is
 * refused with a warning, and FALSE. The table must outlive the registration. */
gboolean xb_cli_register(XbModule *owner, const XbCliCommand *commands, gpointer user_data);

void xb_cli_reply_error(XbCliReply *reply, const char *format, ...) G_GNUC_PRINTF(2, 3);
void xb_cli_reply_message(XbCliReply *reply, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* A record field; value is a GVariant of a basic type (floating references are taken). */
void xb_cli_reply_field(XbCliReply *reply, const char *key, GVariant *value);
/* A table row: pairs of column name and GVariant value, NULL-terminated. The first row
 * fixes the columns' order. */
void xb_cli_reply_row(XbCliReply *reply, const char *first_column, ...) G_GNUC_NULL_TERMINATED;
/* Columns to show even when there are no rows (so an empty table still has a header). */
void xb_cli_reply_columns(XbCliReply *reply, const char *first_column, ...) G_GNUC_NULL_TERMINATED;
/* The columns the text layout shows, in this order, for a table whose rows carry more than
 * a terminal line holds (a call detail record); --json still gives every column. */
void xb_cli_reply_text_columns(XbCliReply *reply, const char *first_column,
                               ...) G_GNUC_NULL_TERMINATED;

/* Helpers for option parsing inside a command: find "--name VALUE" in argv. */
const char *xb_cli_option(int argc, char **argv, const char *name);

G_END_DECLS
