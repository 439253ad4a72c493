/* sdp_int.h: what the files of lib/sdp/ share and nothing else may use: the static payload
 * types of RFC 3551 and the constructors of the structs. Not exported from libcrossbar (no
 * xb_ prefix). */
#pragma once

#include <crossbar/sdp.h>

/* The static payload type pt of RFC 3551 §6 (audio and video): true and its encoding,
 * clock rate and channels, or false for a dynamic or unassigned number. */
bool sdp_static_pt(unsigned pt, const char **encoding, unsigned *clock_rate, unsigned *channels);

XbSdpLine *sdp_line_new(char type, const char *name, const char *value);
void sdp_line_free(gpointer line);
XbSdpMedia *sdp_media_new(void);
void sdp_media_free(gpointer m);
void sdp_format_free(gpointer f);
