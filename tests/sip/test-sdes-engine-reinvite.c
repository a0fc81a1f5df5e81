/* srtpsdes — tests of the SDES offer/answer engine after the first
 * exchange: the RTP fallback INVITE, re-INVITEs (keys, rekeying, hold),
 * T.38, forking and rtcp-mux across re-offers
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every produced SDP is parsed back with Sofia and checked field by field;
 * two real SdesSession objects talk to each other.
 */

#include "test-sdes-engine-call.h"

/* ------------------------------------------------------------------------- */
/* Fallback                                                                   */
/* ------------------------------------------------------------------------- */

static void
test_fallback_optional (void)
{
  const guint statuses[] = { 488, 415, 606 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++) {
    g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
    g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
    g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *fallback = sdes_session_create_fallback_offer (caller, statuses[i], &error);
    g_autofree gchar *again = NULL;
    g_autoptr (ParsedSdp) p = NULL;

    /* Cisco "securertp fallback", baresip/baresip#641: RTP-only offer, once. */
    g_assert_no_error (error);
    p = parsed_sdp_new (fallback);
    g_assert_cmpuint (n_media (p), ==, 1);
    assert_mline (nth_media (p, 0), "audio", 4000, "RTP/AVP");
    g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 0);
    again = sdes_session_create_fallback_offer (caller, statuses[i], &error);
    g_assert_null (again);
    g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK);
  }
}

static void
test_fallback_mandatory (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fallback = sdes_session_create_fallback_offer (caller, 488, &error);

  g_assert_null (fallback);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK);
}

static void
test_fallback_bad_status (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fallback = sdes_session_create_fallback_offer (caller, 486, &error);

  g_assert_null (fallback);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT);
}

static void
test_fallback_after_rtp_only_offer (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_OPTIONAL, FALSE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fallback = NULL;

  /* Table 44 already made this offer RTP-only: nothing to fall back from. */
  g_assert_null (strstr (offer, "a=crypto"));
  fallback = sdes_session_create_fallback_offer (caller, 488, &error);
  g_assert_null (fallback);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK);
}

/* ------------------------------------------------------------------------- */
/* Re-INVITE: keys, rekeying, hold                                            */
/* ------------------------------------------------------------------------- */

static void
test_reoffer_keeps_keys (void)
{
  Call call = { 0, };
  g_autoptr (SdesMediaDescription) a0 = NULL;
  g_autoptr (SdesMediaDescription) b0 = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesMediaDescription) b1 = NULL;
  g_autofree gchar *reoffer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) line = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  a0 = media_at (call.caller, NULL, 0);
  b0 = media_at (call.callee, NULL, 0);
  /* sipsorcery-org/sipsorcery#930: a session refresh (SDP-less re-INVITE on our side) re-offers
   * only the active crypto line, same key; nobody rekeys. */
  call_reoffer_from_caller (&call, NULL, &reoffer);
  p = parsed_sdp_new (reoffer);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 1);
  line = nth_crypto (nth_media (p, 0), 0);
  g_assert_true (crypto_equal_keys (line, a0->local_crypto));
  a1 = media_at (call.caller, NULL, 0);
  b1 = media_at (call.callee, NULL, 0);
  g_assert_true (crypto_equal_keys (a1->local_crypto, a0->local_crypto));
  g_assert_true (crypto_equal_keys (b1->local_crypto, b0->local_crypto));
  g_assert_false (a1->local_key_changed);
  g_assert_false (a1->remote_key_changed);
  g_assert_false (b1->local_key_changed);
  g_assert_false (b1->remote_key_changed);
  g_assert_false (a1->local_roc_reset || a1->remote_roc_reset);
  /* RFC 3264 §8: an unchanged SDP keeps its o= version */
  {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *again = sdes_session_create_offer (call.caller, NULL, &error);

    g_assert_cmpstr (again, ==, reoffer);
    sdes_session_cancel_offer (call.caller);
  }
  call_clear (&call);
}

static void
test_callee_sdp_less_reinvite (void)
{
  Call call = { 0, };
  g_autoptr (SdesMediaDescription) b0 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) line = NULL;

  call_setup (&call, SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_OPTIONAL);
  b0 = media_at (call.callee, NULL, 0);
  /* signalwire/freeswitch#3158: the callee gets an SDP-less re-INVITE and
   * must offer; it re-offers the current RTP/SAVP and key, no downgrade. */
  offer = sdes_session_create_offer (call.callee, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (offer);
  g_assert_cmpuint (n_media (p), ==, 1);
  assert_mline (nth_media (p, 0), "audio", 5000, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 1);
  line = nth_crypto (nth_media (p, 0), 0);
  g_assert_true (crypto_equal_keys (line, b0->local_crypto));
  call_clear (&call);
}

static void
test_reoffer_local_port_change_rekeys (void)
{
  Call call = { 0, };
  g_autoptr (SdesMediaDescription) a0 = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesMediaDescription) b1 = NULL;
  g_autofree gchar *reoffer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) line = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  a0 = media_at (call.caller, NULL, 0);
  sdes_local_media_set_port (call.caller_media, 0, 4100);
  call_reoffer_from_caller (&call, call.caller_media, &reoffer);
  p = parsed_sdp_new (reoffer);
  assert_mline (nth_media (p, 0), "audio", 4100, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 1);
  line = nth_crypto (nth_media (p, 0), 0);
  /* Cisco rekeying rules: new address or port -> new key, same tag and suite */
  g_assert_cmpuint (line->tag, ==, a0->local_crypto->tag);
  g_assert_cmpint (line->suite, ==, a0->local_crypto->suite);
  g_assert_false (sdes_crypto_attr_same_keys (line, a0->local_crypto));
  a1 = media_at (call.caller, NULL, 0);
  g_assert_true (a1->local_key_changed);
  g_assert_true (a1->local_roc_reset);
  g_assert_cmpuint (a1->local_port, ==, 4100);
  /* the callee saw a new offer address/port and rekeyed too (pjsip/pjproject
   * PR#2846: address change = new key and ROC 0 both ways) */
  b1 = media_at (call.callee, NULL, 0);
  g_assert_true (b1->local_key_changed && b1->local_roc_reset);
  g_assert_true (b1->remote_key_changed && b1->remote_roc_reset);
  g_assert_true (a1->remote_key_changed && a1->remote_roc_reset);
  call_clear (&call);
}

static void
test_answerer_remote_rekey_same_address_keeps_roc (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  g_autoptr (SdesMediaDescription) d1 = NULL;
  g_autoptr (SdesMediaDescription) d2 = NULL;

  a1 = sdes_session_process_offer (callee, local, SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  d1 = media_at (callee, NULL, 0);
  /* the peer changes its key, same address and port (and SSRC) */
  a2 = sdes_session_process_offer (callee, NULL, SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  d2 = media_at (callee, NULL, 0);
  /* sipwise/rtpengine PR#107: new remote key, ROC continues. The peer
   * rekeyed (RFC 4568 §7.1.4), so our answer carries a new key too, same
   * tag and suite, and its ROC continues as well. */
  g_assert_true (d2->remote_key_changed);
  g_assert_false (d2->remote_roc_reset);
  g_assert_true (d2->local_key_changed);
  g_assert_false (d2->local_roc_reset);
  g_assert_false (sdes_crypto_attr_same_keys (d1->local_crypto, d2->local_crypto));
  g_assert_cmpuint (d2->local_crypto->tag, ==, d1->local_crypto->tag);
  g_assert_cmpint (d2->local_crypto->suite, ==, d1->local_crypto->suite);
}

static void
test_answerer_remote_address_change_rekeys (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  g_autoptr (SdesMediaDescription) d1 = NULL;
  g_autoptr (SdesMediaDescription) d2 = NULL;

  a1 = sdes_session_process_offer (callee, local, SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
      NULL, NULL, &error);
  d1 = media_at (callee, NULL, 0);
  a2 = sdes_session_process_offer (callee, NULL, SDP_HEAD ("203.0.113.9")
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  d2 = media_at (callee, NULL, 0);
  /* Cisco rekeying rules: new connection address -> new key;
   * pjsip/pjproject PR#2846: ROC 0 both ways */
  g_assert_false (sdes_crypto_attr_same_keys (d1->local_crypto, d2->local_crypto));
  g_assert_true (d2->local_key_changed && d2->local_roc_reset);
  g_assert_true (d2->remote_key_changed && d2->remote_roc_reset);
  g_assert_cmpstr (d2->remote_address, ==, "203.0.113.9");
}

static void
test_hold_sendonly_answer_keeps_crypto (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  g_autofree gchar *a3 = NULL;
  g_autoptr (ParsedSdp) p2 = NULL;
  g_autoptr (ParsedSdp) p3 = NULL;
  g_autoptr (SdesMediaDescription) d1 = NULL;
  g_autoptr (SdesMediaDescription) d2 = NULL;
  g_autoptr (SdesMediaDescription) d3 = NULL;
  const gchar *crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  g_autofree gchar *hold = g_strconcat (SDP_HEAD (REMOTE_ADDR),
      "m=audio 5000 RTP/SAVP 0\r\na=sendonly\r\n", crypto, NULL);
  g_autofree gchar *resume = g_strconcat (SDP_HEAD (REMOTE_ADDR),
      "m=audio 5000 RTP/SAVP 0\r\n", crypto, NULL);

  a1 = sdes_session_process_offer (callee, local, resume, NULL, NULL, &error);
  d1 = media_at (callee, NULL, 0);
  /* Cisco "Call Hold": crypto in the offer -> crypto in the answer */
  a2 = sdes_session_process_offer (callee, NULL, hold, NULL, NULL, &error);
  g_assert_no_error (error);
  p2 = parsed_sdp_new (a2);
  g_assert_cmpuint (nth_media (p2, 0)->m_mode, ==, sdp_recvonly);
  g_assert_cmpuint (n_crypto (nth_media (p2, 0)), ==, 1);
  d2 = media_at (callee, NULL, 0);
  g_assert_cmpint (d2->direction, ==, SDES_DIRECTION_RECVONLY);
  g_assert_true (crypto_equal_keys (d1->local_crypto, d2->local_crypto));
  g_assert_false (d2->local_key_changed || d2->remote_key_changed);

  a3 = sdes_session_process_offer (callee, NULL, resume, NULL, NULL, &error);
  g_assert_no_error (error);
  p3 = parsed_sdp_new (a3);
  g_assert_cmpuint (nth_media (p3, 0)->m_mode, ==, sdp_sendrecv);
  d3 = media_at (callee, NULL, 0);
  g_assert_cmpint (d3->direction, ==, SDES_DIRECTION_SENDRECV);
  g_assert_true (crypto_equal_keys (d1->local_crypto, d3->local_crypto));
}

static void
test_hold_inactive_and_c0000 (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  const gchar *crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  g_autofree gchar *resume = g_strconcat (SDP_HEAD (REMOTE_ADDR), "m=audio 5000 RTP/SAVP 0\r\n", crypto, NULL);
  g_autofree gchar *inactive = g_strconcat (SDP_HEAD (REMOTE_ADDR), "m=audio 5000 RTP/SAVP 0\r\na=inactive\r\n", crypto, NULL);
  g_autofree gchar *old_hold = g_strconcat (SDP_HEAD ("0.0.0.0"), "m=audio 5000 RTP/SAVP 0\r\n", crypto, NULL);
  g_autofree gchar *a1 = sdes_session_process_offer (callee, local, resume, NULL, NULL, &error);
  g_autoptr (SdesMediaDescription) d1 = media_at (callee, NULL, 0);
  g_autofree gchar *a2 = NULL;
  g_autofree gchar *a3 = NULL;
  g_autofree gchar *a4 = NULL;
  g_autoptr (ParsedSdp) p2 = NULL;
  g_autoptr (ParsedSdp) p3 = NULL;
  g_autoptr (SdesMediaDescription) d3 = NULL;
  g_autoptr (SdesMediaDescription) d4 = NULL;

  a2 = sdes_session_process_offer (callee, NULL, inactive, NULL, NULL, &error);
  g_assert_no_error (error);
  p2 = parsed_sdp_new (a2);
  g_assert_cmpuint (nth_media (p2, 0)->m_mode, ==, sdp_inactive);
  g_assert_cmpuint (n_crypto (nth_media (p2, 0)), ==, 1);

  /* RFC 2543 hold (c=0.0.0.0, pjsip/pjproject PR#5085): answered recvonly,
   * not an address change, so no new key; resume keeps the key too. */
  a3 = sdes_session_process_offer (callee, NULL, old_hold, NULL, NULL, &error);
  g_assert_no_error (error);
  p3 = parsed_sdp_new (a3);
  g_assert_cmpuint (nth_media (p3, 0)->m_mode, ==, sdp_recvonly);
  g_assert_cmpuint (n_crypto (nth_media (p3, 0)), ==, 1);
  d3 = media_at (callee, NULL, 0);
  g_assert_cmpstr (d3->remote_address, ==, "0.0.0.0");
  g_assert_true (crypto_equal_keys (d1->local_crypto, d3->local_crypto));
  a4 = sdes_session_process_offer (callee, NULL, resume, NULL, NULL, &error);
  g_assert_no_error (error);
  d4 = media_at (callee, NULL, 0);
  g_assert_cmpstr (d4->remote_address, ==, REMOTE_ADDR);
  g_assert_true (crypto_equal_keys (d1->local_crypto, d4->local_crypto));
  g_assert_false (d4->local_roc_reset || d4->remote_roc_reset);
}

static void
test_hold_from_offerer (void)
{
  Call call = { 0, };
  g_autoptr (SdesMediaDescription) a0 = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesMediaDescription) b1 = NULL;
  g_autofree gchar *reoffer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) line = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  a0 = media_at (call.caller, NULL, 0);
  sdes_local_media_set_direction (call.caller_media, 0, SDES_DIRECTION_SENDONLY);
  call_reoffer_from_caller (&call, call.caller_media, &reoffer);
  p = parsed_sdp_new (reoffer);
  g_assert_cmpuint (nth_media (p, 0)->m_mode, ==, sdp_sendonly);
  line = nth_crypto (nth_media (p, 0), 0);
  g_assert_true (crypto_equal_keys (line, a0->local_crypto));
  a1 = media_at (call.caller, NULL, 0);
  b1 = media_at (call.callee, NULL, 0);
  g_assert_cmpint (a1->direction, ==, SDES_DIRECTION_SENDONLY);
  g_assert_cmpint (b1->direction, ==, SDES_DIRECTION_RECVONLY);
  g_assert_true (b1->secure);
  call_clear (&call);
}

static void
test_reoffer_dropping_crypto (void)
{
  const gchar *secure = SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  const gchar *plain = SDP_HEAD (REMOTE_ADDR) "m=audio 5000 RTP/AVP 0\r\n";
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (SdesSession) mandatory = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesSession) optional = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *a1 = sdes_session_process_offer (mandatory, local, secure, NULL, NULL, NULL);
  g_autofree gchar *a2 = sdes_session_process_offer (optional, local, secure, NULL, NULL, NULL);
  g_autoptr (SdesMediaDescription) before = media_at (mandatory, NULL, 0);
  g_autofree gchar *warning = NULL;
  g_autofree gchar *r1 = NULL;
  g_autofree gchar *r2 = NULL;
  g_autoptr (SdesMediaDescription) after = NULL;
  g_autoptr (SdesMediaDescription) opt = NULL;
  guint status = 0;

  /* signalwire/freeswitch#3158: mandatory refuses the downgrade and keeps
   * its state and keys. */
  r1 = sdes_session_process_offer (mandatory, NULL, plain, &status, &warning, &error);
  g_assert_null (r1);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpuint (status, ==, 488);
  g_assert_cmpstr (warning, ==, "399 srtpsdes \"Incompatible media: SRTP required\"");
  after = media_at (mandatory, NULL, 0);
  g_assert_true (after->secure);
  g_assert_true (crypto_equal_keys (before->local_crypto, after->local_crypto));
  g_clear_error (&error);

  r2 = sdes_session_process_offer (optional, NULL, plain, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (r2, "a=crypto"));
  opt = media_at (optional, NULL, 0);
  g_assert_false (opt->secure);
  g_assert_true (opt->local_key_changed);
}

/* ------------------------------------------------------------------------- */
/* T.38                                                                       */
/* ------------------------------------------------------------------------- */

static void
test_t38_answerer_and_back (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  g_autofree gchar *a3 = NULL;
  g_autoptr (ParsedSdp) p2 = NULL;
  g_autoptr (ParsedSdp) p3 = NULL;
  g_autoptr (SdesMediaDescription) d1 = NULL;
  g_autoptr (SdesMediaDescription) d2 = NULL;
  g_autoptr (SdesMediaDescription) d3 = NULL;
  guint fax = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_IMAGE, 4010);

  sdes_local_media_add_attribute (local, fax, "T38FaxVersion", "0");
  a1 = sdes_session_process_offer (callee, local, SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  d1 = media_at (callee, NULL, 0);

  /* Cisco "T.38 Fax" / sipwise/rtpengine#1067: the fax leg is not secured, even under
   * the mandatory policy. */
  a2 = sdes_session_process_offer (callee, NULL, SDP_HEAD (REMOTE_ADDR)
      "m=image 5010 udptl t38\r\na=T38FaxVersion:0\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p2 = parsed_sdp_new (a2);
  assert_mline (nth_media (p2, 0), "image", 4010, "udptl");
  g_assert_cmpstr (nth_media (p2, 0)->m_format->l_text, ==, "t38");
  g_assert_cmpuint (n_crypto (nth_media (p2, 0)), ==, 0);
  g_assert_nonnull (sdp_attribute_find (nth_media (p2, 0)->m_attributes, "T38FaxVersion"));
  d2 = media_at (callee, NULL, 0);
  g_assert_false (d2->secure);
  g_assert_cmpint (d2->media_type, ==, SDES_MEDIA_TYPE_IMAGE);
  g_assert_true (d2->local_key_changed);
  g_assert_cmpint (d2->payload_type, ==, -1);

  /* back to voice: SRTP restored with a fresh key */
  a3 = sdes_session_process_offer (callee, NULL, SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  p3 = parsed_sdp_new (a3);
  assert_mline (nth_media (p3, 0), "audio", 4000, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p3, 0)), ==, 1);
  d3 = media_at (callee, NULL, 0);
  g_assert_true (d3->secure);
  g_assert_false (sdes_crypto_attr_same_keys (d1->local_crypto, d3->local_crypto));
  g_assert_true (d3->local_key_changed && d3->local_roc_reset);
}

static void
test_t38_offerer_rejected_keeps_keys (void)
{
  Call call = { 0, };
  g_autoptr (SdesLocalMedia) fax = sdes_local_media_new (LOCAL_ADDR);
  g_autoptr (SdesMediaDescription) before = NULL;
  g_autoptr (SdesMediaDescription) after = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *t38 = NULL;
  g_autofree gchar *reoffer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (ParsedSdp) p2 = NULL;
  g_autoptr (SdesCryptoAttr) line = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  before = media_at (call.caller, NULL, 0);
  sdes_local_media_add_stream (fax, SDES_MEDIA_TYPE_IMAGE, 4010);
  t38 = sdes_session_create_offer (call.caller, fax, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (t38);
  g_assert_cmpuint (n_media (p), ==, 1);
  assert_mline (nth_media (p, 0), "image", 4010, "udptl");
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 0);

  /* the peer answers 488: the old keys stay (signalwire/freeswitch PR#66) */
  sdes_session_cancel_offer (call.caller);
  after = media_at (call.caller, NULL, 0);
  g_assert_true (after->secure);
  g_assert_true (crypto_equal_keys (before->local_crypto, after->local_crypto));
  reoffer = sdes_session_create_offer (call.caller, NULL, &error);
  g_assert_no_error (error);
  p2 = parsed_sdp_new (reoffer);
  assert_mline (nth_media (p2, 0), "audio", 4000, "RTP/SAVP");
  line = nth_crypto (nth_media (p2, 0), 0);
  g_assert_true (crypto_equal_keys (line, before->local_crypto));
  sdes_session_cancel_offer (call.caller);
  call_clear (&call);
}

static void
test_t38_offerer_switch_and_back (void)
{
  Call call = { 0, };
  g_autoptr (SdesLocalMedia) fax = sdes_local_media_new (LOCAL_ADDR);
  g_autoptr (SdesMediaDescription) before = NULL;
  g_autoptr (SdesMediaDescription) during = NULL;
  g_autoptr (SdesMediaDescription) back = NULL;
  g_autofree gchar *voice = NULL;
  g_autoptr (ParsedSdp) p = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  sdes_local_media_add_stream (call.callee_media, SDES_MEDIA_TYPE_IMAGE, 5010);
  before = media_at (call.caller, NULL, 0);
  sdes_local_media_add_stream (fax, SDES_MEDIA_TYPE_IMAGE, 4010);
  call_reoffer_from_caller (&call, fax, NULL);
  during = media_at (call.caller, NULL, 0);
  g_assert_false (during->secure);
  g_assert_cmpint (during->media_type, ==, SDES_MEDIA_TYPE_IMAGE);
  g_assert_cmpuint (during->remote_port, ==, 5010);

  call_reoffer_from_caller (&call, call.caller_media, &voice);
  p = parsed_sdp_new (voice);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/SAVP");
  /* a fresh offer: every configured suite again, new keys */
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 2);
  back = media_at (call.caller, NULL, 0);
  g_assert_true (back->secure);
  g_assert_false (sdes_crypto_attr_same_keys (before->local_crypto, back->local_crypto));
  g_assert_true (back->local_roc_reset && back->remote_roc_reset);
  call_clear (&call);
}

/* ------------------------------------------------------------------------- */
/* Forking                                                                    */
/* ------------------------------------------------------------------------- */

typedef struct {
  guint media_changed;
  guint released;
  gchar *last_released;
  SdesSession *session;
  guint media_seen;
} SignalLog;

static void
on_media_changed (SdesSession *session, const gchar *tag, GPtrArray *media, SignalLog *log)
{
  /* Calls back into the session: would deadlock if emitted with the lock. */
  g_autoptr (GPtrArray) again = sdes_session_get_media (session, tag);

  log->media_changed++;
  log->media_seen = media->len;
  g_assert_nonnull (again);
  g_assert_cmpuint (again->len, ==, media->len);
}

static void
on_dialog_released (SdesSession *session, const gchar *tag, SignalLog *log)
{
  g_auto (GStrv) dialogs = sdes_session_list_dialogs (session);

  log->released++;
  g_free (log->last_released);
  log->last_released = g_strdup (tag);
  g_assert_false (g_strv_contains ((const gchar *const *) dialogs, tag));
}

static void
test_forking_three_forks (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, &error);
  const gchar *tags[] = { "fork-a", "fork-b", "fork-c" };
  SdesSession *forks[3];
  SdesMediaDescription *descs[3];
  SignalLog log = { 0, };
  g_auto (GStrv) dialogs = NULL;
  g_autoptr (GPtrArray) winner = NULL;

  g_signal_connect (caller, "media-changed", G_CALLBACK (on_media_changed), &log);
  g_signal_connect (caller, "dialog-released", G_CALLBACK (on_dialog_released), &log);

  /* pjsip/pjproject#600: one crypto context per To-tag, all usable at once */
  for (guint i = 0; i < 3; i++) {
    g_autoptr (SdesLocalMedia) remote = local_audio (REMOTE_ADDR, 5000 + 2 * i);
    g_autofree gchar *answer = NULL;

    forks[i] = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
    answer = sdes_session_process_offer (forks[i], remote, offer, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (sdes_session_process_answer (caller, tags[i], answer, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (log.media_changed, ==, 3);
  g_assert_cmpuint (log.media_seen, ==, 1);
  for (guint i = 0; i < 3; i++) {
    g_autoptr (SdesMediaDescription) fork_local = media_at (forks[i], NULL, 0);

    descs[i] = media_at (caller, tags[i], 0);
    g_assert_cmpstr (descs[i]->dialog_tag, ==, tags[i]);
    g_assert_cmpuint (descs[i]->remote_port, ==, 5000 + 2 * i);
    g_assert_true (sdes_crypto_attr_same_keys (descs[i]->remote_crypto, fork_local->local_crypto));
  }
  g_assert_false (sdes_crypto_attr_same_keys (descs[0]->remote_crypto, descs[1]->remote_crypto));
  g_assert_false (sdes_crypto_attr_same_keys (descs[1]->remote_crypto, descs[2]->remote_crypto));
  /* all forks chose tag 1: the same local key goes to each */
  g_assert_true (sdes_crypto_attr_same_keys (descs[0]->local_crypto, descs[2]->local_crypto));

  g_assert_true (sdes_session_confirm_dialog (caller, "fork-b", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.released, ==, 2);
  dialogs = sdes_session_list_dialogs (caller);
  g_assert_cmpuint (g_strv_length (dialogs), ==, 1);
  g_assert_cmpstr (dialogs[0], ==, "fork-b");
  g_assert_null (sdes_session_get_media (caller, "fork-a"));
  winner = sdes_session_get_media (caller, NULL);
  g_assert_true (crypto_equal_keys (((SdesMediaDescription *) g_ptr_array_index (winner, 0))->remote_crypto,
                                    descs[1]->remote_crypto));
  /* confirming another one now is a state error */
  g_assert_false (sdes_session_confirm_dialog (caller, "fork-a", &error));
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE);
  g_clear_error (&error);

  for (guint i = 0; i < 3; i++) {
    sdes_media_description_unref (descs[i]);
    g_object_unref (forks[i]);
  }
  g_free (log.last_released);
}

static void
test_forking_unknown_dialog (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);

  g_assert_false (sdes_session_confirm_dialog (caller, "never-answered", &error));
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNKNOWN_DIALOG);
}

/* ------------------------------------------------------------------------- */
/* rtcp-mux follows re-INVITEs (RFC 5761 §5.1.1)                              */
/* ------------------------------------------------------------------------- */

/* @caller_mux and @callee_mux: what each end's local media wants. */
static void
call_setup_mux (Call *call, gboolean caller_mux, gboolean callee_mux)
{
  call_prepare (call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  sdes_local_media_set_rtcp (call->caller_media, 0, 0, caller_mux);
  sdes_local_media_set_rtcp (call->callee_media, 0, 0, callee_mux);
  call_negotiate (call);
}

/* The RTCP transport of @desc, whose RTP ports are @local and @remote. */
static void
assert_rtcp (const SdesMediaDescription *desc, gboolean mux, guint local, guint remote)
{
  g_assert_true (desc->active);
  g_assert_cmpint (desc->rtcp_mux, ==, mux);
  g_assert_cmpuint (desc->local_port, ==, local);
  g_assert_cmpuint (desc->remote_port, ==, remote);
  g_assert_cmpuint (desc->local_rtcp_port, ==, mux ? local : local + 1);
  g_assert_cmpuint (desc->remote_rtcp_port, ==, mux ? remote : remote + 1);
}

/* Only RTCP moved: the keys and ROCs of the call carry on. */
static void
assert_keys_kept (const SdesMediaDescription *desc)
{
  g_assert_true (desc->secure);
  g_assert_false (desc->local_key_changed || desc->remote_key_changed);
  g_assert_false (desc->local_roc_reset || desc->remote_roc_reset);
}

static gboolean
has_rtcp_mux (const gchar *sdp)
{
  g_autoptr (ParsedSdp) p = parsed_sdp_new (sdp);
  const sdp_media_t *m = nth_media (p, 0);

  if (m == NULL)
    g_error ("no m-line in %s", sdp);
  return sdp_attribute_find (m->m_attributes, "rtcp-mux") != NULL;
}

/* Our re-offer adds (@to_mux) or drops a=rtcp-mux; the peer wants mux all along. */
static void
test_rtcp_mux_offerer_reoffer (gconstpointer data)
{
  gboolean to_mux = GPOINTER_TO_INT (data);
  Call call = { 0, };
  g_autoptr (SdesLocalMedia) media = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *reoffer = NULL;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *refresh = NULL;
  g_autoptr (SdesMediaDescription) a0 = NULL;
  g_autoptr (SdesMediaDescription) a1 = NULL;
  g_autoptr (SdesMediaDescription) b1 = NULL;
  g_autoptr (SdesMediaDescription) a2 = NULL;

  call_setup_mux (&call, !to_mux, TRUE);
  a0 = media_at (call.caller, NULL, 0);
  assert_rtcp (a0, !to_mux, 4000, 5000);

  sdes_local_media_set_rtcp (media, 0, 0, to_mux);
  reoffer = sdes_session_create_offer (call.caller, media, &error);
  g_assert_no_error (error);
  g_assert_cmpint (has_rtcp_mux (reoffer), ==, to_mux);
  answer = sdes_session_process_offer (call.callee, NULL, reoffer, NULL, NULL, &error);
  g_assert_no_error (error);
  /* RFC 8035: the answer carries a=rtcp-mux only when the offer did */
  g_assert_cmpint (has_rtcp_mux (answer), ==, to_mux);
  g_assert_null (strstr (answer, "a=rtcp:"));
  g_assert_true (sdes_session_process_answer (call.caller, "callee-tag", answer, &error));
  g_assert_no_error (error);

  a1 = media_at (call.caller, NULL, 0);
  b1 = media_at (call.callee, NULL, 0);
  assert_rtcp (a1, to_mux, 4000, 5000);
  assert_rtcp (b1, to_mux, 5000, 4000);
  g_assert_true (a1->rtcp_changed);
  g_assert_true (b1->rtcp_changed);
  assert_keys_kept (a1);
  assert_keys_kept (b1);

  /* a session refresh keeps the new state, and nothing moves */
  call_reoffer_from_caller (&call, NULL, &refresh);
  g_assert_cmpint (has_rtcp_mux (refresh), ==, to_mux);
  a2 = media_at (call.caller, NULL, 0);
  assert_rtcp (a2, to_mux, 4000, 5000);
  g_assert_false (a2->rtcp_changed);
  call_clear (&call);
}

/* The peer's re-offer adds (@to_mux) or drops a=rtcp-mux; we want mux. */
static void
test_rtcp_mux_answerer_reoffer (gconstpointer data)
{
  gboolean to_mux = GPOINTER_TO_INT (data);
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer1 = NULL;
  g_autofree gchar *offer2 = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  g_autoptr (SdesMediaDescription) d1 = NULL;
  g_autoptr (SdesMediaDescription) d2 = NULL;
  const gchar *mline = "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";

  sdes_local_media_set_rtcp (local, 0, 0, TRUE);
  offer1 = g_strconcat (SDP_HEAD (REMOTE_ADDR), mline, to_mux ? "" : "a=rtcp-mux\r\n", NULL);
  offer2 = g_strconcat (SDP_HEAD (REMOTE_ADDR), mline, to_mux ? "a=rtcp-mux\r\n" : "", NULL);
  a1 = sdes_session_process_offer (callee, local, offer1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (has_rtcp_mux (a1), ==, !to_mux);
  d1 = media_at (callee, NULL, 0);
  assert_rtcp (d1, !to_mux, 4000, 5000);

  a2 = sdes_session_process_offer (callee, NULL, offer2, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (has_rtcp_mux (a2), ==, to_mux);
  g_assert_null (strstr (a2, "a=rtcp:"));
  d2 = media_at (callee, NULL, 0);
  assert_rtcp (d2, to_mux, 4000, 5000);
  g_assert_true (d2->rtcp_changed);
  assert_keys_kept (d2);
}

/* RFC 5761 §5.1.3: an offer of rtcp-mux names the port RTCP falls back to;
 * an answer without a=rtcp-mux leaves RTCP there (RFC 5761 §5.1.1). */
static void
test_rtcp_mux_refused_falls_back_to_rtcp_port (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesMediaDescription) desc = NULL;
  const sdp_attribute_t *rtcp;

  sdes_local_media_set_rtcp (local, 0, 4009, TRUE);
  offer = sdes_session_create_offer (caller, local, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (offer);
  g_assert_nonnull (sdp_attribute_find (nth_media (p, 0)->m_attributes, "rtcp-mux"));
  rtcp = sdp_attribute_find (nth_media (p, 0)->m_attributes, "rtcp");
  g_assert_nonnull (rtcp);
  g_assert_cmpstr (rtcp->a_value, ==, "4009");
  answer = g_strconcat (SDP_HEAD (REMOTE_ADDR), "m=audio 5000 RTP/SAVP 0\r\n"
                        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n", NULL);
  g_assert_true (sdes_session_process_answer (caller, "t", answer, &error));
  g_assert_no_error (error);
  desc = media_at (caller, "t", 0);
  g_assert_false (desc->rtcp_mux);
  g_assert_cmpuint (desc->local_rtcp_port, ==, 4009);
  g_assert_cmpuint (desc->remote_rtcp_port, ==, 5001);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/fallback/optional-488-415-606-once", test_fallback_optional);
  g_test_add_func ("/engine/fallback/mandatory-none", test_fallback_mandatory);
  g_test_add_func ("/engine/fallback/other-status-refused", test_fallback_bad_status);
  g_test_add_func ("/engine/fallback/offer-had-no-srtp", test_fallback_after_rtp_only_offer);
  g_test_add_func ("/engine/reinvite/reoffer-keeps-keys", test_reoffer_keeps_keys);
  g_test_add_func ("/engine/reinvite/sdp-less-reoffers-savp", test_callee_sdp_less_reinvite);
  g_test_add_func ("/engine/reinvite/local-port-change-rekeys", test_reoffer_local_port_change_rekeys);
  g_test_add_func ("/engine/reinvite/remote-rekey-same-address-keeps-roc", test_answerer_remote_rekey_same_address_keeps_roc);
  g_test_add_func ("/engine/reinvite/remote-address-change-rekeys", test_answerer_remote_address_change_rekeys);
  g_test_add_func ("/engine/reinvite/drop-crypto-only-if-policy-allows", test_reoffer_dropping_crypto);
  g_test_add_func ("/engine/hold/sendonly-answer-keeps-crypto", test_hold_sendonly_answer_keeps_crypto);
  g_test_add_func ("/engine/hold/inactive-and-c0000", test_hold_inactive_and_c0000);
  g_test_add_func ("/engine/hold/offerer-sendonly", test_hold_from_offerer);
  g_test_add_func ("/engine/t38/answerer-unsecured-and-back", test_t38_answerer_and_back);
  g_test_add_func ("/engine/t38/offerer-rejected-keeps-keys", test_t38_offerer_rejected_keeps_keys);
  g_test_add_func ("/engine/t38/offerer-switch-and-back-fresh-crypto", test_t38_offerer_switch_and_back);
  g_test_add_func ("/engine/forking/three-forks", test_forking_three_forks);
  g_test_add_data_func ("/engine/rtcp-mux/offerer/reoffer-adds-mux", GINT_TO_POINTER (TRUE),
                        test_rtcp_mux_offerer_reoffer);
  g_test_add_data_func ("/engine/rtcp-mux/offerer/reoffer-drops-mux", GINT_TO_POINTER (FALSE),
                        test_rtcp_mux_offerer_reoffer);
  g_test_add_data_func ("/engine/rtcp-mux/answerer/reoffer-adds-mux", GINT_TO_POINTER (TRUE),
                        test_rtcp_mux_answerer_reoffer);
  g_test_add_data_func ("/engine/rtcp-mux/answerer/reoffer-drops-mux", GINT_TO_POINTER (FALSE),
                        test_rtcp_mux_answerer_reoffer);
  g_test_add_func ("/engine/rtcp-mux/refused-falls-back-to-rtcp-port",
                   test_rtcp_mux_refused_falls_back_to_rtcp_port);
  g_test_add_func ("/engine/forking/unknown-dialog", test_forking_unknown_dialog);
  return g_test_run ();
}
