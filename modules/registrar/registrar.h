/* registrar.h: mod_registrar's shared state, private to modules/registrar/. */
#pragma once

#include <crossbar/crossbar.h>
#include <crossbar/sip.h>
#include <crossbar/sipdigest.h>
#include "location.h"

typedef struct {
	guint32 min_expires, max_expires, default_expires;
} RegistrarConfig;

typedef struct {
	XbModule *module;
	const SipApi *sip;
	SipDigestServer *digest;
	Location *location;
	RegistrarConfig cfg;
	XbDirUser *current_user; /* the user of the REGISTER being handled (register.c) */
} Registrar;

void location_cli_register(Registrar *reg);
