/* srtpsdes — the ROC of an SSRC across a change of master key
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gstsrtpsdesstream.h"

G_BEGIN_DECLS

srtp_err_status_t gst_srtp_sdes_session_unprotect (GstSrtpSdesSession *ds,
                                                   GstSrtpSdesSsrc *state,
                                                   guint window,
                                                   guint8 *data,
                                                   gsize size,
                                                   gint *len,
                                                   guint16 seq,
                                                   gboolean carry_roc);

G_END_DECLS
