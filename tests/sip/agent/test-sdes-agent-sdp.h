/* srtpsdes — what the agent tests read out of the SDP a call sent or received
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include "sdes-agent.h"

/* "local-sdp" or "remote-sdp" of @call (contains keys: tests only). */
static inline gchar *
call_sdp (SdesCall *call, const gchar *which)
{
  gchar *sdp = NULL;
  g_object_get (call, which, &sdp, NULL);
  return sdp;
}

/* The first m= line of @sdp without the port, e.g. "m=audio RTP/SAVP 0". */
static inline gchar *
m_line_profile (const gchar *sdp)
{
  g_auto(GStrv) lines = g_strsplit (sdp, "\n", -1);

  for (guint i = 0; lines[i]; i++) {
    g_strchomp (lines[i]);
    if (g_str_has_prefix (lines[i], "m=")) {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", 4);
      return g_strdup_printf ("%s %s %s", f[0], f[2], f[3]);
    }
  }
  return NULL;
}

static inline guint
count_crypto (const gchar *sdp)
{
  guint n = 0;
  for (const gchar *p = sdp; (p = strstr (p, "a=crypto:")) != NULL; p++)
    n++;
  return n;
}
