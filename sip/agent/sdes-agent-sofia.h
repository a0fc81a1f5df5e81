/* srtpsdes — what the agent needs around Sofia's stack: its logs, its TLS
 * files, and the TLS handshake failures only its logs report
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Redirects Sofia's logs (su_log_default, nua, nta, tport, soa) into GLib
 * logging after redaction of every `inline:` key; once per process. */
void _sdes_sofia_redirect_logs_once (void);

/* Stages the TLS files as Sofia's NUTAG_CERTIFICATE_DIR wants them
 * ("agent.pem" = key + certificate, "cafile.pem") in a new private 0700
 * directory, returned; NULL and @error when a file cannot be read. */
gchar *_sdes_sofia_stage_tls (const gchar *cert_file, const gchar *key_file,
                              const gchar *ca_file, const gchar *ca_dir, GError **error);
void _sdes_sofia_unstage_tls (const gchar *dir);

/* A TLS handshake of the stack failed. @peer: "host:port" of the other end;
 * @we_connected: TRUE for a connection we opened (our request to @peer),
 * FALSE for one we accepted; @reason: what failed, in words. Called from
 * inside Sofia (its logger): the callee must only queue the event. */
typedef void (*SdesTlsFailedFunc) (gpointer data, const gchar *peer,
                                   gboolean we_connected, const gchar *reason);

/* Watches the log lines Sofia writes while @source (a stack's su_glib
 * source) is being dispatched, for TLS handshake failures. */
void _sdes_sofia_watch_tls (GSource *source, SdesTlsFailedFunc func, gpointer data);
void _sdes_sofia_unwatch_tls (GSource *source);
/* Around nua_create() for the stack whose root's source is @source: the
 * stack thread nua starts then is @source's (its log lines are the watch's).
 * Stacks start one at a time: begin takes a lock that end releases. */
void _sdes_sofia_stack_start_begin (GSource *source);
void _sdes_sofia_stack_start_end (void);

G_END_DECLS
