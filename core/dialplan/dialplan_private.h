/* dialplan_private.h: the compiled form of a dialplan, shared by the files of
 * core/dialplan/. Everything here is built once by compile.c and never changed after: a
 * plan may be read by any number of hunts while the live plan is swapped. */
#pragma once

#include "../core_private.h"

#include <crossbar/dialplan.h>

typedef enum {
	BREAK_ON_FALSE, /* stop the extension at a false condition (the default) */
	BREAK_ON_TRUE,
	BREAK_ALWAYS,
	BREAK_NEVER,
} BreakMode;

/* The time attributes of a condition, as FreeSWITCH names them. */
typedef enum {
	TIME_YEAR,
	TIME_YDAY,
	TIME_MON,
	TIME_MDAY,
	TIME_WDAY,
	TIME_HOUR,
	TIME_MINUTE,
	TIME_MINUTE_OF_DAY,
	TIME_TIME_OF_DAY,
	TIME_DATE_TIME,
	TIME_N_FIELDS,
} TimeField;

/* An inclusive span of values; lo > hi wraps around (fri-mon, 22:00-06:00). */
typedef struct {
	gint64 lo, hi;
} TimeSpan;

typedef struct {
	TimeField field;
	char *text;    /* as written, for the dry run */
	GArray *spans; /* TimeSpan, any of which matches */
} TimeTest;

typedef enum { ITEM_ACTION, ITEM_CONDITION } ItemKind;

typedef struct {
	ItemKind kind; /* ITEM_ACTION */
	guint line;
	char *application;
	char *data;
	gboolean is_inline;
} Action;

typedef struct condition Condition;
struct condition {
	ItemKind kind; /* ITEM_CONDITION */
	guint line;
	char *field; /* NULL: no regular expression */
	char *expression;
	GRegex *regex;
	BreakMode brk;
	GPtrArray *times; /* TimeTest *, all of which must match */
	GPtrArray *items; /* Action * and Condition *, in file order */
	GPtrArray *anti;  /* Action * */
};

typedef struct {
	char *name;
	guint line;
	gboolean cont;
	GPtrArray *conditions; /* Condition * */
} Extension;

typedef struct {
	char *name;
	guint line;
	GPtrArray *extensions; /* Extension * */
} Context;

/* A module's section of the plan (<menus>), compiled by the module's functions. */
typedef struct {
	const XbDialplanSection *def; /* the module's descriptor's; NULL once it is closed */
	XbModule *owner;
	guint line;
	gpointer data; /* what def->compile returned */
} SectionData;

struct xb_dialplan {
	char *file;
	char *tz_name; /* "" for local time */
	GTimeZone *tz;
	GPtrArray *contexts; /* Context *, file order */
	GArray *apps;        /* XbDialplanAppUse: each application once, at its first line */
	guint n_extensions;
	GPtrArray *sections; /* SectionData *, file order */
	GArray *foreign;     /* XbDialplanAppUse: a section no module of core.modules declares
	                      * but that a part of crossbar provides (application: the element,
	                      * interned), left uncompiled */
};

/* timespec.c */
const char *xb_dialplan_time_name(TimeField field);
/* Parses the value of a time attribute; FALSE with a message (no file or line) in *why. */
TimeTest *xb_dialplan_time_parse(TimeField field, const char *text, char **why);
void xb_dialplan_time_free(gpointer test);
gboolean xb_dialplan_time_match(const TimeTest *test, GDateTime *now);
/* The value a test looks at, as text, for the dry run ("3" for wday on a Tuesday). */
char *xb_dialplan_time_value(TimeField field, GDateTime *now);

/* dialplan_apps.c */
void xb_dialplan_apps_register(void);
/* exec.c: the applications that act on a call and its extension. */
void xb_dialplan_exec_register(void);
