/* srtpsdes — tests of the engine's rekey (sdes_session_create_offer_full)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two real SdesSession objects negotiate a call, then the caller rekeys
 * (RFC 4568 §7.1.4). Every produced SDP is parsed back with Sofia.
 */

#include "test-sdes-common.h"

typedef struct {
  SdesSession *caller;
  SdesSession *callee;
  SdesLocalMedia *caller_media;
  SdesLocalMedia *callee_media;
} Call;

static void
call_setup (Call *call, SdesSrtpPolicy policy)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;

  call->caller = session_new (policy, TRUE);
  call->callee = session_new (policy, TRUE);
  call->caller_media = local_audio (LOCAL_ADDR, 4000);
  call->callee_media = local_audio (REMOTE_ADDR, 5000);
  offer = sdes_session_create_offer (call->caller, call->caller_media, &error);
  g_assert_no_error (error);
  answer = sdes_session_process_offer (call->callee, call->callee_media, offer, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (call->caller, "callee-tag", answer, &error));
  g_assert_true (sdes_session_confirm_dialog (call->caller, "callee-tag", &error));
  g_assert_no_error (error);
}

static void
call_clear (Call *call)
{
  g_clear_object (&call->caller);
  g_clear_object (&call->callee);
  g_clear_pointer (&call->caller_media, sdes_local_media_unref);
  g_clear_pointer (&call->callee_media, sdes_local_media_unref);
}

/* The only a=crypto line of m-line 0 of @sdp. */
static SdesCryptoAttr *
only_crypto (const gchar *sdp)
{
  g_autoptr (ParsedSdp) p = parsed_sdp_new (sdp);
  const sdp_media_t *m = nth_media (p, 0);

  g_assert_cmpuint (n_media (p), ==, 1);
  g_assert_nonnull (m);
  g_assert_cmpstr (m->m_proto_name, ==, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (m), ==, 1);
  return nth_crypto (m, 0);
}

/* Same tag and suite as @before, other key and salt. */
static void
assert_rekeyed (const SdesCryptoAttr *after, const SdesCryptoAttr *before)
{
  g_assert_nonnull (after);
  g_assert_nonnull (before);
  g_assert_cmpuint (after->tag, ==, before->tag);
  g_assert_cmpint (after->suite, ==, before->suite);
  g_assert_false (sdes_crypto_attr_same_keys (after, before));
}

static void
assert_rekey_flags (const SdesMediaDescription *desc)
{
  /* RFC 3711 §3.3.1: same SSRC and address, so the ROC continues */
  g_assert_true (desc->active && desc->secure);
  g_assert_true (desc->local_key_changed);
  g_assert_true (desc->remote_key_changed);
  g_assert_false (desc->local_roc_reset);
  g_assert_false (desc->remote_roc_reset);
  g_assert_false (desc->rtcp_changed);
}

static void
test_rekey_new_keys_both_ways (void)
{
  Call call = { 0, };
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesMediaDescription) a0 = NULL;
  g_autoptr (SdesMediaDescription) b0 = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesMediaDescription) b1 = NULL;
  g_autoptr (SdesCryptoAttr) offered = NULL;
  g_autoptr (SdesCryptoAttr) answered = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY);
  a0 = media_at (call.caller, "callee-tag", 0);
  b0 = media_at (call.callee, NULL, 0);
  offer = sdes_session_create_offer_full (call.caller, NULL, SDES_OFFER_FLAG_REKEY, &error);
  g_assert_no_error (error);
  offered = only_crypto (offer);
  assert_rekeyed (offered, a0->local_crypto);
  g_assert_false (sdes_crypto_attr_same_keys (offered, a0->remote_crypto));

  answer = sdes_session_process_offer (call.callee, NULL, offer, NULL, NULL, &error);
  g_assert_no_error (error);
  answered = only_crypto (answer);
  /* the answerer follows with a new key of its own */
  assert_rekeyed (answered, b0->local_crypto);
  g_assert_false (sdes_crypto_attr_same_keys (answered, offered));
  g_assert_true (sdes_session_process_answer (call.caller, "callee-tag", answer, &error));
  g_assert_no_error (error);

  a1 = media_at (call.caller, "callee-tag", 0);
  b1 = media_at (call.callee, NULL, 0);
  assert_rekey_flags (a1);
  assert_rekey_flags (b1);
  g_assert_true (sdes_crypto_attr_same_keys (a1->local_crypto, offered));
  g_assert_true (sdes_crypto_attr_same_keys (a1->remote_crypto, answered));
  g_assert_true (sdes_crypto_attr_same_keys (b1->local_crypto, answered));
  g_assert_true (sdes_crypto_attr_same_keys (b1->remote_crypto, offered));
  g_assert_cmpuint (a1->local_port, ==, 4000);
  g_assert_cmpuint (a1->remote_port, ==, 5000);
  g_assert_cmpstr (b1->remote_address, ==, LOCAL_ADDR);
  g_assert_cmpint (a1->direction, ==, SDES_DIRECTION_SENDRECV);
  call_clear (&call);
}

static void
test_rekey_then_plain_reoffer_keeps_new_keys (void)
{
  Call call = { 0, };
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesMediaDescription) a2 = NULL;
  g_autoptr (SdesMediaDescription) b2 = NULL;
  g_autoptr (SdesCryptoAttr) line = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *refresh = NULL;
  g_autofree gchar *answer2 = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY);
  offer = sdes_session_create_offer_full (call.caller, NULL, SDES_OFFER_FLAG_REKEY, &error);
  answer = sdes_session_process_offer (call.callee, NULL, offer, NULL, NULL, &error);
  g_assert_true (sdes_session_process_answer (call.caller, "callee-tag", answer, &error));
  g_assert_no_error (error);
  a1 = media_at (call.caller, "callee-tag", 0);

  /* the flag applies to one offer: a session refresh afterwards keeps the
   * keys the rekey set up */
  refresh = sdes_session_create_offer_full (call.caller, NULL, SDES_OFFER_FLAG_NONE, &error);
  g_assert_no_error (error);
  line = only_crypto (refresh);
  g_assert_true (sdes_crypto_attr_same_keys (line, a1->local_crypto));
  answer2 = sdes_session_process_offer (call.callee, NULL, refresh, NULL, NULL, &error);
  g_assert_true (sdes_session_process_answer (call.caller, "callee-tag", answer2, &error));
  g_assert_no_error (error);
  a2 = media_at (call.caller, "callee-tag", 0);
  b2 = media_at (call.callee, NULL, 0);
  g_assert_false (a2->local_key_changed || a2->remote_key_changed);
  g_assert_false (b2->local_key_changed || b2->remote_key_changed);
  g_assert_false (a2->local_roc_reset || a2->remote_roc_reset);
  g_assert_true (sdes_crypto_attr_same_keys (a2->remote_crypto, a1->remote_crypto));
  call_clear (&call);
}

static void
test_rekey_refused_keeps_old_keys (void)
{
  Call call = { 0, };
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesMediaDescription) a0 = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesCryptoAttr) rekeyed = NULL;
  g_autoptr (SdesCryptoAttr) again = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *retry = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY);
  a0 = media_at (call.caller, "callee-tag", 0);
  offer = sdes_session_create_offer_full (call.caller, NULL, SDES_OFFER_FLAG_REKEY, &error);
  g_assert_no_error (error);
  rekeyed = only_crypto (offer);
  /* RFC 3264 §8: the re-INVITE got a 488; the old session stands */
  sdes_session_cancel_offer (call.caller);
  a1 = media_at (call.caller, "callee-tag", 0);
  g_assert_true (sdes_crypto_attr_same_keys (a1->local_crypto, a0->local_crypto));
  retry = sdes_session_create_offer (call.caller, NULL, &error);
  g_assert_no_error (error);
  again = only_crypto (retry);
  g_assert_true (sdes_crypto_attr_same_keys (again, a0->local_crypto));
  g_assert_false (sdes_crypto_attr_same_keys (again, rekeyed));
  sdes_session_cancel_offer (call.caller);
  call_clear (&call);
}

static void
test_rekey_initial_offer_is_an_ordinary_offer (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer =
      sdes_session_create_offer_full (caller, local, SDES_OFFER_FLAG_REKEY, &error);
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) first = NULL;
  g_autoptr (SdesCryptoAttr) second = NULL;

  g_assert_no_error (error);
  p = parsed_sdp_new (offer);
  g_assert_cmpuint (n_media (p), ==, 1);
  /* nothing to rekey yet: every configured suite, tags from 1 */
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 2);
  first = nth_crypto (nth_media (p, 0), 0);
  second = nth_crypto (nth_media (p, 0), 1);
  g_assert_cmpuint (first->tag, ==, 1);
  g_assert_cmpint (first->suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
  g_assert_cmpuint (second->tag, ==, 2);
  g_assert_cmpint (second->suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
}

static void
test_rekey_rtp_only_call_stays_rtp (void)
{
  Call call = { 0, };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autoptr (ParsedSdp) p = NULL;

  call_setup (&call, SDES_SRTP_POLICY_OFF);
  offer = sdes_session_create_offer_full (call.caller, NULL, SDES_OFFER_FLAG_REKEY, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (offer);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/AVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 0);
  sdes_session_cancel_offer (call.caller);
  call_clear (&call);
}

static void
test_rekey_flags_type (void)
{
  GFlagsClass *klass = g_type_class_ref (SDES_TYPE_OFFER_FLAGS);
  GFlagsValue *v = g_flags_get_first_value (klass, SDES_OFFER_FLAG_REKEY);

  g_assert_nonnull (v);
  g_assert_cmpstr (v->value_nick, ==, "rekey");
  g_type_class_unref (klass);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/rekey/new-keys-both-ways-roc-continues", test_rekey_new_keys_both_ways);
  g_test_add_func ("/engine/rekey/plain-reoffer-after-keeps-new-keys",
                   test_rekey_then_plain_reoffer_keeps_new_keys);
  g_test_add_func ("/engine/rekey/refused-keeps-old-keys", test_rekey_refused_keeps_old_keys);
  g_test_add_func ("/engine/rekey/initial-offer-is-ordinary",
                   test_rekey_initial_offer_is_an_ordinary_offer);
  g_test_add_func ("/engine/rekey/rtp-only-call-stays-rtp", test_rekey_rtp_only_call_stays_rtp);
  g_test_add_func ("/engine/rekey/flags-type", test_rekey_flags_type);
  return g_test_run ();
}
