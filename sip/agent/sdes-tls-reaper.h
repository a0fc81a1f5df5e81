/* srtpsdes — freeing the TLS connection objects Sofia-SIP forgets
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Starts tracking the OpenSSL SSL objects Sofia-SIP creates (once per
 * process; call before the first nua_create()). Safe to call many times. */
void _sdes_tls_reaper_init (void);

/* Frees the SSL objects whose Sofia connection is gone, and shuts down
 * connections whose TLS handshake stalled. Any thread; never from inside
 * Sofia's OpenSSL calls. Returns how many were freed;
 * @left (nullable) gets how many are still tracked. */
guint _sdes_tls_reaper_sweep (guint *left);

G_END_DECLS
