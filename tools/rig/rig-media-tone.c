/* srtpsdes — sdes-rig media: G.711 tone tables (see rig-media-private.h)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-media-private.h"

#include <math.h>

/* ------------------------------------------------------------------------- */
/* G.711 (ITU-T G.711 tables as in the Sun reference implementation)         */
/* ------------------------------------------------------------------------- */

static guint8
linear_to_ulaw (gint16 pcm)
{
  static const gint16 seg_end[8] = { 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF };
  gint v = pcm >> 2;
  guint8 mask;
  gint seg;

  if (v < 0) {
    v = -v;
    mask = 0x7F;
  } else {
    mask = 0xFF;
  }
  if (v > 8159)
    v = 8159;
  v += 0x84 >> 2;
  for (seg = 0; seg < 8; seg++)
    if (v <= seg_end[seg])
      break;
  if (seg >= 8)
    return 0x7F ^ mask;
  return (guint8) (((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask);
}

static guint8
linear_to_alaw (gint16 pcm)
{
  static const gint16 seg_end[8] = { 0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF };
  gint v = pcm >> 3;
  guint8 mask;
  gint seg;
  guint8 aval;

  if (v >= 0) {
    mask = 0xD5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  for (seg = 0; seg < 8; seg++)
    if (v <= seg_end[seg])
      break;
  if (seg >= 8)
    return 0x7F ^ mask;
  aval = (guint8) (seg << 4);
  if (seg < 2)
    aval |= (v >> 1) & 0xF;
  else
    aval |= (v >> seg) & 0xF;
  return aval ^ mask;
}

const guint8 *
rig_tone_table (RigMedia *media, guint hz, guint8 pt)
{
  guint key = hz << 8 | pt;
  guint8 *table;

  g_mutex_lock (&media->lock);
  table = g_hash_table_lookup (media->tones, GUINT_TO_POINTER (key));
  if (table == NULL) {
    table = g_malloc (TONE_CHUNKS * SAMPLES_PER_PACKET);
    for (guint i = 0; i < TONE_CHUNKS * SAMPLES_PER_PACKET; i++) {
      gint16 s = (gint16) lrint (12000.0 * sin (2.0 * G_PI * hz * i / 8000.0));
      table[i] = pt == 8 ? linear_to_alaw (s) : linear_to_ulaw (s);
    }
    g_hash_table_insert (media->tones, GUINT_TO_POINTER (key), table);
  }
  g_mutex_unlock (&media->lock);
  return table;
}
