/* ivr_state.c: what the menus do with a caller's entries and timeouts, as steps: what to
 * play, and whether to wait for keys, run an application or leave (the rules are in
 * ivr.h). No call, no clock: the `ivr` application (ivr_call.c) carries the steps out on
 * a channel, `ivr test` (ivr_cli.c) prints them. */
#include "ivr.h"

#include <string.h>

void ivr_state_init(IvrState *s, const IvrMenus *menus, const IvrMenu *top)
{
	s->menus = menus;
	s->stack = g_ptr_array_new();
	g_ptr_array_add(s->stack, (gpointer)top);
	s->failures = s->timeouts = 0;
}

void ivr_state_clear(IvrState *s)
{
	g_clear_pointer(&s->stack, g_ptr_array_unref);
}

const IvrMenu *ivr_state_menu(const IvrState *s)
{
	return s->stack->pdata[s->stack->len - 1];
}

void ivr_step_clear(IvrStep *step)
{
	g_free(step->app);
	g_free(step->data);
	memset(step, 0, sizeof(*step));
}

static void play(IvrStep *step, const char *file)
{
	guint n = 0;

	if (!file)
		return;
	while (step->plays[n])
		n++;
	g_assert(n < G_N_ELEMENTS(step->plays) - 1);
	step->plays[n] = file;
}

/* The current menu, entered: its greet-long. */
static void enter(IvrState *s, IvrStep *step)
{
	const IvrMenu *m = ivr_state_menu(s);

	s->failures = s->timeouts = 0;
	step->go = IVR_GO_COLLECT;
	step->entered = TRUE;
	play(step, m->greet_long.file);
}

/* The current menu again, after `first`: its greet-short. */
static void come_round(IvrState *s, IvrStep *step, const char *first)
{
	const IvrMenu *m = ivr_state_menu(s);

	step->go = IVR_GO_COLLECT;
	play(step, first);
	play(step, m->greet_short.file ? m->greet_short.file : m->greet_long.file);
}

/* Out of the menus: after `first`, exec-on-max-... (app) or the exit-sound. */
static void leave(IvrState *s, IvrStep *step, const char *reason, const char *first,
                  const char *app, const char *data)
{
	const IvrMenu *m = ivr_state_menu(s);

	step->go = IVR_GO_LEAVE;
	step->reason = reason;
	play(step, first);
	if (app) {
		step->app = g_strdup(app);
		step->data = g_strdup(data);
	} else
		play(step, m->exit_sound.file);
}

void ivr_state_start(IvrState *s, IvrStep *step)
{
	ivr_step_clear(step);
	enter(s, step);
}

void ivr_state_entry(IvrState *s, const char *keys, IvrStep *step)
{
	const IvrMenu *m = ivr_state_menu(s);
	g_auto(GStrv) captures = NULL;
	const IvrEntry *e = ivr_menu_match(m, keys, &captures);

	ivr_step_clear(step);
	if (!e) {
		if (++s->failures >= m->max_failures)
			leave(s, step, "max-failures", m->invalid_sound.file, m->max_failures_app,
			      m->max_failures_data);
		else
			come_round(s, step, m->invalid_sound.file);
		return;
	}
	step->entry = e;
	s->failures = s->timeouts = 0;
	switch (e->action) {
	case IVR_ACTION_SUB:
		g_ptr_array_add(s->stack, (gpointer)e->sub);
		enter(s, step);
		break;
	case IVR_ACTION_BACK:
		if (s->stack->len > 1) {
			g_ptr_array_set_size(s->stack, s->stack->len - 1);
			enter(s, step);
		} else
			leave(s, step, "back", NULL, NULL, NULL);
		break;
	case IVR_ACTION_TOP:
		g_ptr_array_set_size(s->stack, 1);
		enter(s, step);
		break;
	case IVR_ACTION_EXIT:
		leave(s, step, "exit", NULL, NULL, NULL);
		break;
	case IVR_ACTION_PLAY:
		come_round(s, step, e->sound);
		break;
	case IVR_ACTION_EXEC:
	case IVR_ACTION_TRANSFER:
		step->go = e->action == IVR_ACTION_EXEC && strcmp(e->app, "transfer") != 0
		               ? IVR_GO_EXEC
		               : IVR_GO_TRANSFER;
		step->app = g_strdup(e->app);
		step->data = ivr_substitute(e->app_data, captures);
		break;
	}
}

void ivr_state_timeout(IvrState *s, IvrStep *step)
{
	const IvrMenu *m = ivr_state_menu(s);

	ivr_step_clear(step);
	if (++s->timeouts >= m->max_timeouts)
		leave(s, step, "max-timeouts", m->timeout_sound.file, m->max_timeouts_app,
		      m->max_timeouts_data);
	else
		come_round(s, step, m->timeout_sound.file);
}

void ivr_state_resume(IvrState *s, IvrStep *step)
{
	ivr_step_clear(step);
	come_round(s, step, NULL);
}
