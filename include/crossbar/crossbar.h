/* crossbar.h: the one header a module includes. It pulls in every public subsystem of the
 * core. Nothing here may expose the core's private structures. */
#pragma once

#include <crossbar/version.h>
#include <crossbar/log.h>
#include <crossbar/config.h>
#include <crossbar/module.h>
#include <crossbar/event.h>
#include <crossbar/timer.h>
#include <crossbar/db.h>
#include <crossbar/cli.h>
#include <crossbar/channel.h>
#include <crossbar/app.h>
#include <crossbar/dialplan.h>
#include <crossbar/directory.h>
#include <crossbar/location.h>
#include <crossbar/authlimit.h>
#include <crossbar/random.h>
#include <crossbar/net.h>
#include <crossbar/media.h>
