/* registrar.h: mod_registrar's shared state, private to modules/registrar/. */
#pragma once

#include "directory.h"

#include <libxml/tree.h>

typedef struct {
	XbModule *module;
	DirStore *store;
	char *realm; /* digest realm of the directory */
} Registrar;

const char *registrar_realm(Registrar *reg);
/* The realm for TURN long-term keys: turn.realm when mod_turn is loaded. */
const char *registrar_turn_realm(void);
void directory_cli_register(Registrar *reg);
