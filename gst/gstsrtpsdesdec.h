/* srtpsdes — srtpsdesdec: SRTP/SRTCP decoder keyed by a=crypto values
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SRTP_SDES_DEC (gst_srtp_sdes_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstSrtpSdesDec, gst_srtp_sdes_dec, GST, SRTP_SDES_DEC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (srtpsdesdec);

G_END_DECLS
