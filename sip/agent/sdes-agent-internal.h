/* srtpsdes — the SdesAgent object, shared by its own files
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Included by sdes-agent.c (the object, its stack, nua events) and
 * sdes-agent-calls.c (the agent as its calls' SdesCallHost, and TLS
 * failures) only. */

#pragma once

#include "sdes-call-private.h"

G_BEGIN_DECLS

struct _SdesAgent
{
  GObject parent;

  GMainContext *context;
  gchar **bind_uris;
  gchar *tls_cert_file;
  gchar *tls_key_file;
  gchar *tls_ca_file;
  gchar *tls_ca_dir;
  gboolean tls_verify;
  gchar *identity;
  gchar *user_agent;
  gchar *registrar;
  gchar *auth_username;
  gchar *auth_password;
  SdesSrtpPolicy policy;
  gchar **suites;
  gboolean require_secure_signaling;
  SdesOfferStyle offer_style;
  gboolean auto_answer;
  SdesLocalMedia *local_media;

  su_root_t *root;
  GSource *source;          /* borrowed from the root (su_source.c) */
  nua_t *nua;
  gchar *cert_dir;          /* staged agent.pem/cafile.pem for Sofia */
  gchar *contact;
  gchar *warn_host;
  gboolean shutdown_requested;
  gboolean shutdown_done;
  guint destroy_idle;
  nua_handle_t *register_nh;
  gint auth_attempts;

  GHashTable *calls;        /* SdesCall* -> strong ref while not ended */
  GMutex tls_lock;          /* the next three: Sofia's thread reports failures */
  GQueue tls_failures;      /* TlsFailure*, reported by Sofia's log, to handle */
  guint tls_idle;
  GHashTable *tls_failed;   /* "host:port" -> TlsFailure: its last failed handshake */

  GSource *trim_source;     /* malloc_trim() ticks while SIP traffic is recent */
  gint64 last_activity;     /* monotonic time of the last nua event */
};

enum
{
  SDES_AGENT_SIGNAL_INCOMING_CALL,
  SDES_AGENT_SIGNAL_READY,
  SDES_AGENT_SIGNAL_REGISTERED,
  SDES_AGENT_SIGNAL_SHUTDOWN_COMPLETE,
  SDES_AGENT_SIGNAL_TLS_FAILED,
  SDES_AGENT_N_SIGNALS
};

extern guint _sdes_agent_signals[SDES_AGENT_N_SIGNALS];

/* sdes-agent-calls.c */
extern const SdesCallHost _sdes_agent_call_host;
SdesCallConfig _sdes_agent_call_config (SdesAgent *self, SdesSrtpPolicy policy,
                                        SdesLocalMedia *local);
gboolean _sdes_agent_authorize (GObject *host, int status, sip_t const *sip,
                                const gchar *method, url_t const *uri,
                                su_home_t *home, msg_header_t **headers);
void _sdes_agent_tls_failed (gpointer data, const gchar *peer, gboolean we_connected,
                             const gchar *reason);
void _sdes_agent_tls_init (SdesAgent *self);
void _sdes_agent_tls_clear (SdesAgent *self);

void _sdes_agent_note_activity (SdesAgent *self);
void _sdes_agent_trim_stop (SdesAgent *self);

G_END_DECLS
