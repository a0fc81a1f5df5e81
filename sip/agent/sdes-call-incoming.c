/* srtpsdes — the callee side of a SdesCall: INVITEs, re-INVITEs and ACKs
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The initial INVITE (decided at once by the engine, so that the
 * application only sees calls it can accept), the late offer (RFC 3264 §4:
 * our offer in the 200, the answer in the ACK) and re-INVITEs from the peer
 * inside an established dialog. */

#include "sdes-call-internal.h"

#include <string.h>

#define props _sdes_call_props

/* The caller's URI, and whether the INVITE came over sips: (Cisco Table 44:
 * keys only over secure signaling, judged by the session). */
static void
call_learn_caller (SdesCall *self, sip_t const *sip)
{
  gboolean secure = FALSE;

  if (sip != NULL && sip->sip_from != NULL) {
    char *from = url_as_string (NULL, sip->sip_from->a_url);

    g_free (self->remote_uri);
    self->remote_uri = g_strdup (from);
    free (from);
  }
  self->reliable_invite = sip != NULL && sip->sip_via != NULL &&
      sip->sip_via->v_protocol != NULL &&
      (g_ascii_strcasecmp (sip->sip_via->v_protocol, "SIP/2.0/TLS") == 0 ||
       g_ascii_strcasecmp (sip->sip_via->v_protocol, "SIP/2.0/TCP") == 0);
  secure = sip != NULL && sip->sip_request != NULL &&
      sip->sip_request->rq_url->url_type == url_sips;
  if (secure != self->secure_signaling) {
    self->secure_signaling = secure;
    _sdes_session_set_properties (self->session, "secure-signaling", secure, NULL);
  }
}

/* Answers the INVITE with @code and a Warning made from @text, and ends the
 * call: the application never sees it. */
static void
call_refuse_invite (SdesCall *self, guint code, const gchar *text, const gchar *why)
{
  g_autofree gchar *w = _sdes_call_warning (self, text);
  const gchar *phrase = sip_status_phrase (code) ? sip_status_phrase (code)
                                                 : "Not Acceptable Here";

  g_debug ("refusing INVITE with %u: %s", code, w);
  nua_respond (self->nh, code, phrase, SIPTAG_WARNING_STR (w), TAG_END ());
  _sdes_call_end (self, SDES_CALL_END_REASON_NOT_ACCEPTABLE, code, why ? why : phrase);
}

/* RFC 3261 §8.1.1.8, §12.1.1: the Contact of an INVITE (and each
 * Record-Route) is where every later request of the dialog goes. A Contact
 * of another scheme ("<ip:abuse@127.0.0.1>", one byte changed) passes
 * nua, but nta cannot create the dialog's BYE to it ("invalid URI") and
 * Debian's nua 1.12.11 retries it from within its own failure report until
 * the stack overflows: one such INVITE, left without ACK, crashed the agent
 * 32 s later (found by scripts/flood-soak.sh). Hosts outside the §25.1
 * hostport characters and non-numeric ports are refused with it. */
static gboolean
call_uri_is_usable (url_t const *url)
{
  if (url == NULL || (url->url_type != url_sip && url->url_type != url_sips) ||
      url->url_host == NULL || url->url_host[0] == '\0')
    return FALSE;
  for (const gchar *c = url->url_host; *c; c++)
    if (!g_ascii_isalnum (*c) && strchr (".-:[]", *c) == NULL)
      return FALSE;
  if (url->url_port != NULL) {
    if (url->url_port[0] == '\0' || strlen (url->url_port) > 5)
      return FALSE;
    for (const gchar *c = url->url_port; *c; c++)
      if (!g_ascii_isdigit (*c))
        return FALSE;
  }
  return TRUE;
}

static gboolean
call_dialog_uris_are_usable (sip_t const *sip)
{
  if (sip == NULL || sip->sip_contact == NULL || sip->sip_contact->m_next != NULL ||
      !call_uri_is_usable (sip->sip_contact->m_url))
    return FALSE;
  for (sip_record_route_t const *r = sip->sip_record_route; r; r = r->r_next)
    if (!call_uri_is_usable (r->r_url))
      return FALSE;
  return TRUE;
}

/* An initial INVITE: decide with the engine now, so that an unacceptable
 * offer (Cisco Table 46: 488) or a broken body is answered at once and the
 * application only sees calls it can accept. */
gboolean
_sdes_call_handle_initial_invite (SdesCall *self, sip_t const *sip)
{
  g_autoptr (SdesSecretText) offer = _sdes_call_dup_sdp (sip);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *warning = NULL;
  guint reject = 0;

  call_learn_caller (self, sip);
  if (!call_dialog_uris_are_usable (sip)) {
    g_autofree gchar *w = _sdes_call_warning (self, "Contact or Record-Route is no usable SIP URI");

    nua_respond (self->nh, SIP_400_BAD_REQUEST, SIPTAG_WARNING_STR (w), TAG_END ());
    _sdes_call_end (self, SDES_CALL_END_REASON_NOT_ACCEPTABLE, 400,
                    "Contact or Record-Route is no usable SIP URI");
    return FALSE;
  }
  if (self->local == NULL) {
    nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
    _sdes_call_end (self, SDES_CALL_END_REASON_NOT_ACCEPTABLE, 500,
                    "No local media configured");
    return FALSE;
  }
  if (offer == NULL) {
    /* Late offer (RFC 3261 §13.2.1, RFC 3264 §4): the INVITE has no SDP, so
     * our offer goes into the 200 and the answer must come in the ACK. The
     * policy applies to our offer as to any other (Cisco Table 44 included). */
    self->pending_answer = sdes_session_create_offer (self->session, self->local, &error);
    if (self->pending_answer == NULL) {
      call_refuse_invite (self, 488, error->message,
                          "No offer possible for an INVITE without SDP");
      return FALSE;
    }
    self->late_offer = TRUE;
    _sdes_call_set_state (self, SDES_CALL_STATE_INCOMING);
    return TRUE;
  }
  _sdes_call_set_sdp (self, &self->remote_sdp, offer, SDES_CALL_PROP_REMOTE_SDP);

  self->pending_answer = sdes_session_process_offer (self->session, self->local, offer,
                                                     &reject, &warning, &error);
  if (self->pending_answer == NULL) {
    call_refuse_invite (self, reject >= 400 ? reject : 488,
                        warning ? warning : (error ? error->message : NULL), NULL);
    return FALSE;
  }
  _sdes_call_set_state (self, SDES_CALL_STATE_INCOMING);
  return TRUE;
}

/* sdes_call_set_local_media() on an incoming call not yet accepted: the
 * peer's offer is decided again, on a new session, against the new local
 * media (another address family, other ports). A refusal answers the
 * INVITE as the first decision would have (488 + Warning). */
gboolean
_sdes_call_redecide_invite (SdesCall *self, GError **error)
{
  g_autoptr (SdesSecretText) offer = g_strdup (self->remote_sdp);
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *warning = NULL;
  guint reject = 0;

  g_clear_pointer (&self->pending_answer, sdes_crypto_free_secret);
  _sdes_call_reset_session (self, self->policy, self->secure_signaling);
  if (self->late_offer)
    self->pending_answer = sdes_session_create_offer (self->session, self->local, &local_error);
  else
    self->pending_answer = sdes_session_process_offer (self->session, self->local, offer,
                                                       &reject, &warning, &local_error);
  if (self->pending_answer != NULL)
    return TRUE;
  g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
               "The offer cannot be answered with this local media: %s",
               warning ? warning : (local_error ? local_error->message : "refused"));
  call_refuse_invite (self, reject >= 400 ? reject : 488,
                      warning ? warning : (local_error ? local_error->message : NULL), NULL);
  return FALSE;
}

void
_sdes_call_handle_reinvite (SdesCall *self, sip_t const *sip)
{
  g_autoptr (SdesSecretText) offer = _sdes_call_dup_sdp (sip);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autoptr (SdesSecretText) answer = NULL;
  guint reject = 0;

  if (offer == NULL) {
    /* An SDP-less re-INVITE gets our current offer, never a downgrade (RFC
     * 3264 §8, RFC 4568 §7.1.4: the keys stay); the answer comes in the ACK. */
    g_autoptr (SdesSecretText) reoffer = sdes_session_create_offer (self->session, self->local,
                                                                    &error);
    if (reoffer == NULL) {
      nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
      return;
    }
    _sdes_call_set_sdp (self, &self->local_sdp, reoffer, SDES_CALL_PROP_LOCAL_SDP);
    nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                 SIPTAG_PAYLOAD_STR (reoffer), TAG_END ());
    return;
  }

  _sdes_call_set_sdp (self, &self->remote_sdp, offer, SDES_CALL_PROP_REMOTE_SDP);
  answer = sdes_session_process_offer (self->session, self->local, offer, &reject,
                                       &warning, &error);
  if (answer == NULL) {
    g_autofree gchar *w = _sdes_call_warning (self, warning ? warning
                                              : (error ? error->message : NULL));
    /* RFC 3264 §8: the old session stays; the peer learns why. */
    nua_respond (self->nh, reject >= 400 ? reject : 488, "Not Acceptable Here",
                 SIPTAG_WARNING_STR (w), TAG_END ());
    return;
  }
  _sdes_call_set_sdp (self, &self->local_sdp, answer, SDES_CALL_PROP_LOCAL_SDP);
  nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (answer), TAG_END ());
  _sdes_call_emit_media (self, self->confirmed_tag, TRUE);
}

/* RFC 3264 §4 / RFC 3261 §13.2.1: the ACK of a late-offer call carries the
 * answer to the offer we sent in the 200. Without a usable one the dialog
 * exists but has no media: it is ended with BYE. */
static void
call_handle_late_answer (SdesCall *self, const gchar *sdp)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  self->late_offer = FALSE;
  if (sdp == NULL) {
    g_set_error_literal (&error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
                         "the ACK carries no SDP answer");
    ok = FALSE;
  } else {
    _sdes_call_set_sdp (self, &self->remote_sdp, sdp, SDES_CALL_PROP_REMOTE_SDP);
    ok = sdes_session_process_answer (self->session, NULL, sdp, &error) &&
         sdes_session_confirm_dialog (self->session, NULL, &error);
  }
  if (!ok) {
    g_autofree gchar *msg = g_strdup_printf ("Unusable answer in ACK: %s", error->message);

    g_debug ("%s", msg);
    nua_bye (self->nh, TAG_END ());
    _sdes_call_end (self, SDES_CALL_END_REASON_NOT_ACCEPTABLE, 488, msg);
    return;
  }
  if (self->state != SDES_CALL_STATE_ACTIVE)
    _sdes_call_set_state (self, SDES_CALL_STATE_ACTIVE);
  _sdes_call_emit_media (self, NULL, FALSE);
}

void
_sdes_call_handle_ack (SdesCall *self, sip_t const *sip)
{
  g_autoptr (SdesSecretText) sdp = _sdes_call_dup_sdp (sip);
  g_autoptr(GError) error = NULL;

  _sdes_call_stop_ack_timer (self);
  if (self->late_offer) {
    call_handle_late_answer (self, sdp);
    return;
  }
  /* The answer to the offer of an SDP-less re-INVITE's 200. */
  if (sdp != NULL && sdes_session_has_pending_offer (self->session)) {
    _sdes_call_set_sdp (self, &self->remote_sdp, sdp, SDES_CALL_PROP_REMOTE_SDP);
    if (sdes_session_process_answer (self->session, self->confirmed_tag, sdp, &error))
      _sdes_call_emit_media (self, self->confirmed_tag, TRUE);
  }
}
