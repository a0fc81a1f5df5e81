/* srtpsdes — SIP agent and calls on Sofia-SIP nua, driven by a GMainContext
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <glib-object.h>

#include "sdes-engine.h"

G_BEGIN_DECLS

/**
 * SDES_AGENT_ERROR:
 *
 * Error domain of #SdesAgent and #SdesCall. Errors in this domain are from
 * the #SdesAgentError enumeration.
 *
 * Since: 0.1
 */
#define SDES_AGENT_ERROR (sdes_agent_error_quark ())
GQuark sdes_agent_error_quark (void);

/**
 * SdesAgentError:
 * @SDES_AGENT_ERROR_BAD_URI: a bind URI or a target URI does not parse, or
 *   two bind URIs of the same scheme were given (nua binds one sip: and one
 *   sips: URI).
 * @SDES_AGENT_ERROR_BIND: Sofia could not create its stack or bind a
 *   transport (port in use, TLS files unreadable, ...).
 * @SDES_AGENT_ERROR_TLS_CONFIG: a TLS file could not be read or staged.
 * @SDES_AGENT_ERROR_NOT_STARTED: the agent is not started or already shut down.
 * @SDES_AGENT_ERROR_INSECURE_SIGNALING: Cisco Table 44: the SRTP policy is
 *   mandatory, require-secure-signaling is on and the target is not sips:,
 *   so no INVITE is sent.
 * @SDES_AGENT_ERROR_NO_LOCAL_MEDIA: no #SdesLocalMedia for the call.
 * @SDES_AGENT_ERROR_WRONG_STATE: the call method does not fit the call state
 *   (accepting an outgoing call, holding a call that is not active, ...).
 * @SDES_AGENT_ERROR_NEGOTIATION: the offer/answer engine refused (the
 *   #SDES_ENGINE_ERROR message is appended).
 *
 * Specific failures of the SIP agent.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_AGENT_ERROR_BAD_URI,
  SDES_AGENT_ERROR_BIND,
  SDES_AGENT_ERROR_TLS_CONFIG,
  SDES_AGENT_ERROR_NOT_STARTED,
  SDES_AGENT_ERROR_INSECURE_SIGNALING,
  SDES_AGENT_ERROR_NO_LOCAL_MEDIA,
  SDES_AGENT_ERROR_WRONG_STATE,
  SDES_AGENT_ERROR_NEGOTIATION,
} SdesAgentError;

/**
 * SdesCallState:
 * @SDES_CALL_STATE_IDLE: created, nothing sent.
 * @SDES_CALL_STATE_CALLING: outgoing INVITE sent, no provisional answer yet.
 * @SDES_CALL_STATE_EARLY: outgoing call received an 18x (early dialogs exist).
 * @SDES_CALL_STATE_INCOMING: incoming INVITE waiting for accept/reject.
 * @SDES_CALL_STATE_ACTIVE: dialog confirmed, media negotiated.
 * @SDES_CALL_STATE_ENDED: terminated; #SdesCall::ended has been emitted.
 *
 * Life cycle of a #SdesCall.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_CALL_STATE_IDLE,
  SDES_CALL_STATE_CALLING,
  SDES_CALL_STATE_EARLY,
  SDES_CALL_STATE_INCOMING,
  SDES_CALL_STATE_ACTIVE,
  SDES_CALL_STATE_ENDED,
} SdesCallState;

GType sdes_call_state_get_type (void);
#define SDES_TYPE_CALL_STATE (sdes_call_state_get_type ())

#define SDES_TYPE_CALL (sdes_call_get_type ())
G_DECLARE_FINAL_TYPE (SdesCall, sdes_call, SDES, CALL, GObject)

#define SDES_TYPE_AGENT (sdes_agent_get_type ())
G_DECLARE_FINAL_TYPE (SdesAgent, sdes_agent, SDES, AGENT, GObject)

SdesAgent *sdes_agent_new (GMainContext *context);
gboolean sdes_agent_start (SdesAgent *agent, GError **error);
const gchar *sdes_agent_get_contact (SdesAgent *agent);
SdesCall *sdes_agent_call (SdesAgent *agent,
                           const gchar *to_uri,
                           SdesLocalMedia *local,
                           GError **error);
void sdes_agent_shutdown (SdesAgent *agent);
gboolean sdes_agent_is_shut_down (SdesAgent *agent);

SdesCallState sdes_call_get_state (SdesCall *call);
SdesSession *sdes_call_get_session (SdesCall *call);
const gchar *sdes_call_get_remote_uri (SdesCall *call);
gboolean sdes_call_is_secure (SdesCall *call);
gboolean sdes_call_accept (SdesCall *call, GError **error);
gboolean sdes_call_reject (SdesCall *call, guint status, const gchar *reason,
                           GError **error);
gboolean sdes_call_hangup (SdesCall *call, GError **error);
gboolean sdes_call_hold (SdesCall *call, GError **error);
gboolean sdes_call_resume (SdesCall *call, GError **error);
gboolean sdes_call_refer (SdesCall *call, const gchar *target, GError **error);

G_END_DECLS
