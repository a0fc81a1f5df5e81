/* srtpsdes — re-INVITEs of an established SdesCall: hold, resume, rekey
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Each is one re-offer from the engine (RFC 3264 §8) sent as a re-INVITE;
 * the answer arrives in sdes-call-outgoing.c, which commits it or, on a
 * refusal, cancels the offer so that the old session stands. */

#include "sdes-call-internal.h"

static gboolean
call_reoffer (SdesCall *self, SdesDirection direction, SdesOfferFlags flags, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr (SdesSecretText) offer = NULL;
  guint n;

  if (!_sdes_call_check_state (self, SDES_CALL_STATE_ACTIVE, error))
    return FALSE;
  if (self->reinvite_pending) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "A re-INVITE is already in progress");
    return FALSE;
  }
  /* The session copies the local media, so the direction is set only for
   * this offer and the shared description is restored right after. */
  n = sdes_local_media_get_n_streams (self->local);
  for (guint i = 0; i < n; i++)
    sdes_local_media_set_direction (self->local, i, direction);
  offer = sdes_session_create_offer_full (self->session, self->local, flags, &local_error);
  for (guint i = 0; i < n; i++)
    sdes_local_media_set_direction (self->local, i, SDES_DIRECTION_SENDRECV);
  if (offer == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
                 "Could not create the re-offer: %s", local_error->message);
    return FALSE;
  }
  self->reinvite_pending = TRUE;
  self->on_hold = direction != SDES_DIRECTION_SENDRECV;
  _sdes_call_send_invite (self, offer, NULL, NULL);
  return TRUE;
}

/**
 * sdes_call_hold:
 * @call: an active #SdesCall
 * @error: return location for a #GError
 *
 * Re-INVITEs with a=sendonly (RFC 3264 §8.4). The engine keeps the keys
 * unless the address or port changes (Cisco "Rekeying Rules").
 * #SdesCall::media-updated follows the answer.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE, %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: %TRUE when the re-INVITE was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_hold (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  return call_reoffer (call, SDES_DIRECTION_SENDONLY, SDES_OFFER_FLAG_NONE, error);
}

/**
 * sdes_call_resume:
 * @call: an active #SdesCall
 * @error: return location for a #GError
 *
 * Re-INVITEs with a=sendrecv.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE, %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: %TRUE when the re-INVITE was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_resume (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  return call_reoffer (call, SDES_DIRECTION_SENDRECV, SDES_OFFER_FLAG_NONE, error);
}

/**
 * sdes_call_rekey:
 * @call: an active #SdesCall
 * @error: return location for a #GError
 *
 * Re-INVITEs with fresh keys on every secure m-line, same tags and suites
 * (RFC 4568 §7.1.4, Cisco "SIP Support for SRTP", rekeying); a held call
 * stays held. The peer answers with a new key of its own. When the 2xx
 * arrives, #SdesCall::media-updated carries the new keys with
 * `local_key_changed` and `remote_key_changed` set and, as the SSRC and
 * address do not change, `local_roc_reset` and `remote_roc_reset` clear
 * (RFC 3711 §3.3.1: the rollover counter continues). A refused re-INVITE
 * keeps the old keys. On a call without SRTP it is a plain re-offer.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE (not active, or a re-INVITE is in
 * progress), %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: %TRUE when the re-INVITE was sent.
 *
 * Since: 0.2
 */
gboolean
sdes_call_rekey (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  return call_reoffer (call, call->on_hold ? SDES_DIRECTION_SENDONLY : SDES_DIRECTION_SENDRECV,
                       SDES_OFFER_FLAG_REKEY, error);
}

/**
 * sdes_call_set_local_media:
 * @call: an incoming call not yet accepted, or an active call
 * @local: our media from now on (another address, ports, rtcp-mux)
 * @error: return location for a #GError
 *
 * On an incoming call waiting for sdes_call_accept(): the peer's offer is
 * decided again against @local (e.g. media in the address family of the
 * offer's c=); the answer sdes_call_accept() sends is the new one. When
 * @local cannot answer the offer, the INVITE is refused with the engine's
 * status and Warning (488) and the call ends.
 *
 * On an active call: @local is used for every later offer and answer, and
 * a re-INVITE carrying it is sent now (RFC 3264 §8; the direction stays as
 * it is). #SdesCall::media-updated follows the answer.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE (another state, or a re-INVITE in
 * progress), %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: %TRUE when the new answer is ready or the re-INVITE was sent.
 *
 * Since: 0.2
 */
gboolean
sdes_call_set_local_media (SdesCall *call, SdesLocalMedia *local, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  g_return_val_if_fail (local != NULL, FALSE);

  if (call->state == SDES_CALL_STATE_INCOMING && call->pending_answer != NULL) {
    g_clear_pointer (&call->local, sdes_local_media_unref);
    call->local = sdes_local_media_ref (local);
    return _sdes_call_redecide_invite (call, error);
  }
  if (!_sdes_call_check_state (call, SDES_CALL_STATE_ACTIVE, error))
    return FALSE;
  if (call->reinvite_pending) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "A re-INVITE is already in progress");
    return FALSE;
  }
  g_clear_pointer (&call->local, sdes_local_media_unref);
  call->local = sdes_local_media_ref (local);
  return call_reoffer (call, call->on_hold ? SDES_DIRECTION_SENDONLY : SDES_DIRECTION_SENDRECV,
                       SDES_OFFER_FLAG_NONE, error);
}
