/* srtpsdes — a=crypto values for the command-line tools from stdin or a file
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A key given as an argument is visible to every user of the machine (ps,
 * /proc/PID/cmdline) for as long as the tool runs. sdes-crypto and
 * sdes-pcap also take "-" (standard input) or "@FILE" where they take a
 * value; this is the reader both tools share (not part of the library).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most a key file or standard input may hold. */
#define SDES_CRYPTO_INPUT_MAX 65536

gboolean sdes_crypto_input_is_indirect (const gchar *arg);
GPtrArray *sdes_crypto_input_read (const gchar *arg, GError **error);

G_END_DECLS
