/* srtpsdes — blind transfer (REFER, RFC 3515) for a SdesCall
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The referrer sends REFER and reads the referee's NOTIFYs; the referee
 * calls the Refer-To target through its owner (SdesCallHost.start_call)
 * and reports that call's progress in NOTIFYs. */

#include "sdes-call-internal.h"

#include <stdio.h>

#define signals _sdes_call_signals

/* RFC 3515 §2.4.4 / RFC 3265: progress of the transfer call as a
 * message/sipfrag NOTIFY in the REFER's implicit subscription. */
static void
call_notify_transfer (SdesCall *self, guint status, const gchar *reason, gboolean final)
{
  g_autofree gchar *frag = NULL;

  if (self->nh == NULL || self->refer_event == NULL || self->state == SDES_CALL_STATE_ENDED)
    return;
  frag = g_strdup_printf ("SIP/2.0 %u %s\r\n", status, reason);
  nua_notify (self->nh,
              NUTAG_SUBSTATE (final ? nua_substate_terminated : nua_substate_active),
              SIPTAG_EVENT_STR (self->refer_event),
              SIPTAG_CONTENT_TYPE_STR ("message/sipfrag;version=2.0"),
              SIPTAG_PAYLOAD_STR (frag),
              TAG_END ());
  if (final)
    g_clear_pointer (&self->refer_event, g_free);
}

static void
on_transfer_state (SdesCall *target, SdesCallState state, SdesCall *self)
{
  if (state == SDES_CALL_STATE_ACTIVE)
    call_notify_transfer (self, 200, "OK", TRUE);
}

static void
on_transfer_ended (SdesCall *target, guint status, const gchar *reason, SdesCall *self)
{
  /* Ended before it was answered: the failure is the final progress. */
  if (self->refer_event != NULL)
    call_notify_transfer (self, status >= 300 ? status : 487,
                          reason && *reason ? reason : "Request Terminated", TRUE);
}

void
_sdes_call_release_transfer (SdesCall *self)
{
  if (self->transfer_call == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->transfer_call, self);
  g_clear_object (&self->transfer_call);
}

/* Blind transfer, recipient side (RFC 3515): nua accepted the REFER with
 * 202; the first NOTIFY (100 Trying) is ours. We call the Refer-To target
 * with this call's policy (the new dialog inherits it, a sips: target makes
 * an optional policy mandatory; Cisco "Call Transfer": the outbound
 * configuration decides the SRTP offer) and report its outcome. */
void
_sdes_call_handle_refer (SdesCall *self, sip_t const *sip, tagi_t tags[])
{
  sip_refer_to_t const *rt = sip ? sip->sip_refer_to : NULL;
  sip_event_t const *event = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *target = NULL;
  SdesSrtpPolicy policy = self->base_policy;
  SdesCall *call;

  if (rt == NULL || self->host == NULL)
    return;
  {
    char *uri = url_as_string (NULL, rt->r_url);
    if (uri == NULL)
      return;
    target = g_strdup (uri);
    free (uri);
  }
  tl_gets (tags, NUTAG_REFER_EVENT_REF (event), TAG_END ());
  g_free (self->refer_event);
  self->refer_event = event == NULL ? g_strdup ("refer")
                    : event->o_id ? g_strdup_printf ("%s;id=%s", event->o_type, event->o_id)
                    : g_strdup (event->o_type);

  /* RFC 3515 §2.4.4: the implicit subscription gets a NOTIFY at once; nua
   * answered 202 but sends none itself. */
  call_notify_transfer (self, 100, "Trying", FALSE);
  g_signal_emit (self, signals[SDES_CALL_SIGNAL_TRANSFER_REQUESTED], 0, target);
  if (_sdes_call_uri_is_secure (target) && policy == SDES_SRTP_POLICY_OPTIONAL)
    policy = SDES_SRTP_POLICY_MANDATORY;
  _sdes_call_release_transfer (self);
  call = self->host_iface->start_call (self->host, target, policy, &error);
  if (call == NULL) {
    g_debug ("transfer to %s not started: %s", target, error->message);
    call_notify_transfer (self, 503, "Service Unavailable", TRUE);
    return;
  }
  self->transfer_call = call;
  g_signal_connect (call, "state-changed", G_CALLBACK (on_transfer_state), self);
  g_signal_connect (call, "ended", G_CALLBACK (on_transfer_ended), self);
  g_signal_emit (self, signals[SDES_CALL_SIGNAL_TRANSFER_STARTED], 0, call);
}

/* Blind transfer, sender side: the referee's NOTIFYs carry the status line
 * of its call to the target (message/sipfrag). */
void
_sdes_call_handle_notify (SdesCall *self, sip_t const *sip)
{
  g_autofree gchar *body = NULL;
  guint status = 0;
  gchar reason[64] = "";

  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return;
  if (sip->sip_event == NULL || g_ascii_strcasecmp (sip->sip_event->o_type, "refer") != 0)
    return;
  body = g_strndup (sip->sip_payload->pl_data, MIN (sip->sip_payload->pl_len, 256));
  if (sscanf (body, "SIP/2.0 %3u %63[^\r\n]", &status, reason) < 1 ||
      status < 100 || status > 699)
    return;
  g_signal_emit (self, signals[SDES_CALL_SIGNAL_REFER_PROGRESS], 0, status, reason);
}

/**
 * sdes_call_refer:
 * @call: an active #SdesCall
 * @target: the transfer target URI
 * @error: return location for a #GError
 *
 * Sends REFER (blind transfer, RFC 3515). The referee's NOTIFYs are
 * reported by #SdesCall::refer-progress (100 Trying, then 200 OK or the
 * failure of its call to @target).
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE, %SDES_AGENT_ERROR_BAD_URI.
 *
 * Returns: %TRUE when the REFER was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_refer (SdesCall *call, const gchar *target, GError **error)
{
  g_autofree gchar *refer_to = NULL;

  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  g_return_val_if_fail (target != NULL, FALSE);

  if (!_sdes_call_check_state (call, SDES_CALL_STATE_ACTIVE, error))
    return FALSE;
  if (!g_str_has_prefix (target, "sip:") && !g_str_has_prefix (target, "sips:")) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_BAD_URI,
                 "Not a sip: or sips: URI: %s", target);
    return FALSE;
  }
  /* RFC 3261 §20: without <>, ";transport=..." would be a header parameter,
   * not part of the target URI. */
  refer_to = g_strdup_printf ("<%s>", target);
  nua_refer (call->nh, SIPTAG_REFER_TO_STR (refer_to), TAG_END ());
  return TRUE;
}
