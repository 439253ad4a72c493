/* version.h: the release and the module ABI version. A module is built against one ABI
 * version; the loader refuses any other. Bump XB_MODULE_ABI_VERSION on any change to a
 * public structure's layout or a public function's signature. */
#pragma once

#define XB_VERSION_STRING     "0.1.0"
#define XB_MODULE_ABI_VERSION 5u /* 3: .applications, 4: .commands, 5: .dialplan_sections */
