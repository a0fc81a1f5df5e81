/* srtpsdes — caps: stock srtpenc/srtpdec caps keys and caps renaming
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gstsrtpsdeskey.h"

G_BEGIN_DECLS

GstSrtpSdesKey *gst_srtp_sdes_key_new_from_caps (const GstStructure *s, GError **error);
GstCaps *gst_srtp_sdes_transform_caps (GstCaps *caps, gboolean to_secure);
gboolean gst_srtp_sdes_query_caps (GstPad *pad,
                                   GstPad *otherpad,
                                   GstQuery *query,
                                   gboolean to_secure);

G_END_DECLS
