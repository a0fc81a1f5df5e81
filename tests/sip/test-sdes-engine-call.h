/* srtpsdes — helpers the engine test programs share: a standard answer,
 * and a call made of two real SdesSession objects
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "test-sdes-common.h"

/* Answers @offer_mline (after a standard header) with a default callee.
 * Returns the answer (NULL on rejection). */
static inline gchar *
answer_with (SdesSession *callee, const gchar *mlines, guint *status, gchar **warning,
             GError **error)
{
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = g_strconcat (SDP_HEAD (REMOTE_ADDR), mlines, NULL);

  return sdes_session_process_offer (callee, local, offer, status, warning, error);
}

typedef struct {
  SdesSession *caller;
  SdesSession *callee;
  SdesLocalMedia *caller_media;
  SdesLocalMedia *callee_media;
} Call;

static inline void
call_prepare (Call *call, SdesSrtpPolicy caller_policy, SdesSrtpPolicy callee_policy)
{
  call->caller = session_new (caller_policy, TRUE);
  call->callee = session_new (callee_policy, TRUE);
  call->caller_media = local_audio (LOCAL_ADDR, 4000);
  call->callee_media = local_audio (REMOTE_ADDR, 5000);
}

/* The initial offer/answer of a prepared @call, confirmed by the caller. */
static inline void
call_negotiate (Call *call)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;

  offer = sdes_session_create_offer (call->caller, call->caller_media, &error);
  g_assert_no_error (error);
  answer = sdes_session_process_offer (call->callee, call->callee_media, offer, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (call->caller, "callee-tag", answer, &error));
  g_assert_no_error (error);
  g_assert_true (sdes_session_confirm_dialog (call->caller, "callee-tag", &error));
  g_assert_no_error (error);
}

static inline void
call_setup (Call *call, SdesSrtpPolicy caller_policy, SdesSrtpPolicy callee_policy)
{
  call_prepare (call, caller_policy, callee_policy);
  call_negotiate (call);
}

static inline void
call_clear (Call *call)
{
  g_clear_object (&call->caller);
  g_clear_object (&call->callee);
  g_clear_pointer (&call->caller_media, sdes_local_media_unref);
  g_clear_pointer (&call->callee_media, sdes_local_media_unref);
}

/* caller re-offers (local may be NULL), callee answers with its media. */
static inline void
call_reoffer_from_caller (Call *call, SdesLocalMedia *caller_media, gchar **offer_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = sdes_session_create_offer (call->caller, caller_media, &error);
  g_autofree gchar *answer = NULL;

  g_assert_no_error (error);
  answer = sdes_session_process_offer (call->callee, call->callee_media, offer, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (call->caller, "callee-tag", answer, &error));
  g_assert_no_error (error);
  if (offer_out)
    *offer_out = g_steal_pointer (&offer);
}

static inline gboolean
crypto_equal_keys (const SdesCryptoAttr *a, const SdesCryptoAttr *b)
{
  return a != NULL && b != NULL && a->tag == b->tag && sdes_crypto_attr_same_keys (a, b);
}
