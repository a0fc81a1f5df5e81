/* srtpsdes — GstSrtpSdesEncPad: a request sink pad with a key of its own
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gstsrtpsdeskey.h"

G_BEGIN_DECLS

#define GST_TYPE_SRTP_SDES_ENC_PAD (gst_srtp_sdes_enc_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstSrtpSdesEncPad, gst_srtp_sdes_enc_pad, GST, SRTP_SDES_ENC_PAD,
    GstPad)

struct _GstSrtpSdesEncPad {
  GstPad parent;

  /* GST_OBJECT_LOCK of the pad; key_gen is also read atomically by the
   * encoder's streaming thread, which takes the lock only when it changed. */
  GstSrtpSdesKey *key;
  gint key_gen;
};

G_END_DECLS
