/* register.h: the REGISTER handler (register.c). */
#pragma once

#include "registrar.h"

/* The SipMethodFunc mod_registrar gives mod_sip for REGISTER. */
gboolean registrar_register_cb(SipServerReq *req, void *user_data);
