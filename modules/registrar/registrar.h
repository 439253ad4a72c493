/* registrar.h: mod_registrar's shared state, private to modules/registrar/. */
#pragma once

#include "directory.h"

#include <libxml/tree.h>

#include <crossbar/sip.h>
#include "auth.h"
#include "location.h"

typedef struct {
	guint32 min_expires, max_expires, default_expires;
} RegistrarConfig;

typedef struct {
	XbModule *module;
	DirStore *store;
	char *realm; /* digest realm of the directory */
	const SipApi *sip;
	Auth *auth;
	Location *location;
	RegistrarConfig cfg;
	XbDirUser *current_user; /* the user of the REGISTER being handled (register.c) */
} Registrar;

const char *registrar_realm(Registrar *reg);
/* The realm for TURN long-term keys: turn.realm when mod_turn is loaded. */
const char *registrar_turn_realm(void);
void directory_cli_register(Registrar *reg);
void location_cli_register(Registrar *reg);
