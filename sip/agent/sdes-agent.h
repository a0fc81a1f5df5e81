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
 * @SDES_AGENT_ERROR_TLS_HANDSHAKE: a TLS handshake failed
 *   (#SdesAgent::tls-failed; the message names the peer and the cause).
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
  SDES_AGENT_ERROR_TLS_HANDSHAKE,
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

/**
 * SdesCallEndReason:
 * @SDES_CALL_END_REASON_NONE: the call has not ended.
 * @SDES_CALL_END_REASON_LOCAL_HANGUP: we ended it: BYE, CANCEL of our
 *   INVITE, or sdes_call_reject() / sdes_call_hangup() of an incoming call.
 * @SDES_CALL_END_REASON_REMOTE_HANGUP: the peer ended it: BYE, or CANCEL of
 *   its INVITE.
 * @SDES_CALL_END_REASON_REJECTED: the peer answered our INVITE with a
 *   final failure status (486, 603, 404, ...: the status of
 *   #SdesCall::ended).
 * @SDES_CALL_END_REASON_NOT_ACCEPTABLE: the media could not be agreed: the
 *   peer refused our offer (488, 606, 415) and no fallback was possible,
 *   the answer was unusable (the dialog was ended with BYE), or we refused
 *   the peer's offer (488 with a Warning).
 * @SDES_CALL_END_REASON_NO_RESPONSE: our INVITE got no response at all
 *   (RFC 3261 §17.1.1.2 timer B; the stack's own 408).
 * @SDES_CALL_END_REASON_ACK_TIMEOUT: we answered 200 and the ACK never came
 *   (RFC 3261 §13.3.1.4); the stack ended the dialog with BYE. The status
 *   of #SdesCall::ended is 408.
 * @SDES_CALL_END_REASON_TLS_FAILED: the TLS connection to the peer could
 *   not be set up (handshake failed: certificate not trusted, name
 *   mismatch, expired, or the peer refused ours); the reason of
 *   #SdesCall::ended says which when it is known.
 * @SDES_CALL_END_REASON_TRANSPORT_ERROR: the INVITE could not be sent
 *   (connection refused, ICMP unreachable: the stack's own 503).
 * @SDES_CALL_END_REASON_SHUTDOWN: sdes_agent_shutdown() ended the call.
 *
 * Why a #SdesCall ended (#SdesCall:end-reason), for what the SIP status of
 * #SdesCall::ended cannot tell apart.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_CALL_END_REASON_NONE,
  SDES_CALL_END_REASON_LOCAL_HANGUP,
  SDES_CALL_END_REASON_REMOTE_HANGUP,
  SDES_CALL_END_REASON_REJECTED,
  SDES_CALL_END_REASON_NOT_ACCEPTABLE,
  SDES_CALL_END_REASON_NO_RESPONSE,
  SDES_CALL_END_REASON_ACK_TIMEOUT,
  SDES_CALL_END_REASON_TLS_FAILED,
  SDES_CALL_END_REASON_TRANSPORT_ERROR,
  SDES_CALL_END_REASON_SHUTDOWN,
} SdesCallEndReason;

GType sdes_call_end_reason_get_type (void);
#define SDES_TYPE_CALL_END_REASON (sdes_call_end_reason_get_type ())

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
SdesCallEndReason sdes_call_get_end_reason (SdesCall *call);
SdesSession *sdes_call_get_session (SdesCall *call);
const gchar *sdes_call_get_remote_uri (SdesCall *call);
gboolean sdes_call_is_secure (SdesCall *call);
gboolean sdes_call_accept (SdesCall *call, GError **error);
gboolean sdes_call_reject (SdesCall *call, guint status, const gchar *reason,
                           GError **error);
gboolean sdes_call_hangup (SdesCall *call, GError **error);
gboolean sdes_call_hold (SdesCall *call, GError **error);
gboolean sdes_call_resume (SdesCall *call, GError **error);
gboolean sdes_call_rekey (SdesCall *call, GError **error);
gboolean sdes_call_set_local_media (SdesCall *call, SdesLocalMedia *local, GError **error);
gboolean sdes_call_refer (SdesCall *call, const gchar *target, GError **error);

G_END_DECLS
