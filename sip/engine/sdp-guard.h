/* srtpsdes — bounded, strict line check of SDP text before Sofia parses it
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "sdes-engine.h"

G_BEGIN_DECLS

/* Refuses @sdp (a NUL-terminated body from the network) unless it is made of
 * RFC 4566 §5 lines within the SDES_SDP_MAX_* limits of sdes-engine.h.
 * SDES_ENGINE_ERROR_BAD_SDP for text outside the grammar,
 * SDES_ENGINE_ERROR_SDP_LIMIT for a body over a limit. Linear in the size of
 * @sdp, allocates nothing. The message never quotes the input. */
G_GNUC_INTERNAL gboolean sdes_sdp_guard_check (const gchar *sdp, GError **error);

G_END_DECLS
