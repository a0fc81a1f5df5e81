/* srtpsdes — the seam between SdesAgent and SdesCall
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The only header sdes-agent.c includes of the call, and the only contract
 * between them. It points one way: the agent creates calls and feeds them
 * nua events; what a call needs back from its owner (the nua stack, digest
 * credentials, starting a transfer call, being forgotten when it ends) is
 * the SdesCallHost table below, which the agent fills in. No sdes-call*.c
 * file includes anything of the agent but its public header. */

#pragma once

#include "sofia-decls.h"

G_BEGIN_DECLS

/**
 * SdesCallHost: (skip)
 * @get_nua: the running stack, %NULL once the host is shutting down.
 * @authorize: RFC 3261 §22.2/§22.4: fills @headers (allocated from @home)
 *   with the Authorization or Proxy-Authorization answering the challenge
 *   of the @status (401 or 407) response @sip for @method to @uri, from
 *   the host's credentials; %FALSE when there are none or the challenge
 *   cannot be answered. The one digest path of the library: REGISTER uses
 *   it too.
 * @start_call: starts an outgoing call owned by the host (blind transfer),
 *   with @policy.
 * @call_ended: @call has ended; the host drops its reference.
 * @tls_failure: the reason of a TLS handshake with @peer ("host:port")
 *   that failed at or after @since (g_get_monotonic_time()), or %NULL;
 *   a copy, the caller frees it.
 *
 * What a #SdesCall needs from the object that owns it. Every function gets
 * the owner (@host, the object given to the call's constructor).
 */
typedef struct {
  nua_t *(*get_nua) (GObject *host);
  gboolean (*authorize) (GObject *host, int status, sip_t const *sip,
                         const gchar *method, url_t const *uri,
                         su_home_t *home, msg_header_t **headers);
  SdesCall *(*start_call) (GObject *host, const gchar *to_uri,
                           SdesSrtpPolicy policy, GError **error);
  void (*call_ended) (GObject *host, SdesCall *call);
  gchar *(*tls_failure) (GObject *host, const gchar *peer, gint64 since);
} SdesCallHost;

/**
 * SdesCallConfig: (skip)
 * @policy: SRTP policy of the call.
 * @require_secure_signaling: Cisco Table 44, passed to every #SdesSession.
 * @offer_style: passed to every #SdesSession.
 * @suites: (nullable): passed to every #SdesSession when set.
 * @warn_agent: (nullable): warn-agent of our Warning headers.
 * @local: (nullable): local media of the call.
 *
 * The owner's settings a call is made with; the call copies them.
 */
typedef struct {
  SdesSrtpPolicy policy;
  gboolean require_secure_signaling;
  SdesOfferStyle offer_style;
  gchar **suites;
  const gchar *warn_agent;
  SdesLocalMedia *local;
  GMainContext *context;        /* the owner's: the call's timers run there */
} SdesCallConfig;

SdesCall *_sdes_call_new_outgoing (GObject *host, const SdesCallHost *iface,
                                   const SdesCallConfig *config, const gchar *to_uri);
SdesCall *_sdes_call_new_incoming (GObject *host, const SdesCallHost *iface,
                                   const SdesCallConfig *config, nua_handle_t *nh);
gboolean _sdes_call_start (SdesCall *call, GError **error);
/* Returns TRUE when the INVITE offer was acceptable and the app must be asked. */
gboolean _sdes_call_handle_initial_invite (SdesCall *call, sip_t const *sip);
void _sdes_call_handle_event (SdesCall *call, nua_event_t event, int status,
                              char const *phrase, nua_handle_t *nh,
                              sip_t const *sip, tagi_t tags[]);
void _sdes_call_shutdown (SdesCall *call);
/* A TLS connection to @peer ("host:port") failed its handshake: ends the
 * call if its INVITE went there and got no answer yet. */
void _sdes_call_handle_tls_failure (SdesCall *call, const gchar *peer, const gchar *message);

G_END_DECLS
