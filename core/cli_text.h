/* cli_text.h: crossbar-cli's text layout of a control reply (message, record, table) fitted
 * to a terminal's width. Private to the client and its unit test. */
#pragma once

#include <glib.h>

/* Narrowest width a reply is laid out to; a smaller one is raised to it. */
#define XB_CLI_TEXT_MIN_WIDTH 40

/* The text of a reply (a{sv} as the daemon sends it) with no line wider than width
 * characters: text wraps at spaces, and a word longer than a line is broken. */
char *xb_cli_text_format(GVariant *reply, gsize width);
