/* srtpsdes — srtpsdesenc: SRTP/SRTCP encoder keyed by an a=crypto value
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SRTP_SDES_ENC (gst_srtp_sdes_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstSrtpSdesEnc, gst_srtp_sdes_enc, GST, SRTP_SDES_ENC, GstElement)

GST_ELEMENT_REGISTER_DECLARE (srtpsdesenc);

/* Plugin-internal (not exported, gst/plugin.map). */
typedef struct _GstSrtpSdesKeyring GstSrtpSdesKeyring;
GstSrtpSdesKeyring *gst_srtp_sdes_enc_get_keyring (GstSrtpSdesEnc *self);

G_END_DECLS
