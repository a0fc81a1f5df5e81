/* srtpsdes — tests of the SDES offer/answer engine
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every produced SDP is parsed back with Sofia and checked field by field.
 * Where both ends are needed, two real SdesSession objects talk to each other.
 */

#include "test-sdes-engine-call.h"


/* ------------------------------------------------------------------------- */
/* Cisco Table 46: 3 policies x 3 offers                                      */
/* ------------------------------------------------------------------------- */

typedef enum { OFFER_SAVP, OFFER_DUAL, OFFER_AVP } OfferKind;

typedef struct {
  const gchar *path;
  SdesSrtpPolicy policy;
  OfferKind offer;
  guint status;              /* 0: answered */
  const gchar *warning;
  guint ports[2];            /* expected answer ports per m-line */
  gboolean crypto[2];        /* a=crypto expected on the m-line */
} Table46Case;

static const gchar *const table46_offers[] = {
  [OFFER_SAVP] = SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
  [OFFER_DUAL] = SDP_HEAD (REMOTE_ADDR)
      "m=audio 5002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "m=audio 5000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
  [OFFER_AVP] = SDP_HEAD (REMOTE_ADDR)
      "m=audio 5002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
};

static const gchar *const table46_protos[][2] = {
  [OFFER_SAVP] = { "RTP/SAVP", NULL },
  [OFFER_DUAL] = { "RTP/AVP", "RTP/SAVP" },
  [OFFER_AVP] = { "RTP/AVP", NULL },
};

static const Table46Case table46_cases[] = {
  /* Row "SRTP Only" */
  { "/engine/answer/table46/mandatory/savp-only", SDES_SRTP_POLICY_MANDATORY, OFFER_SAVP,
    0, NULL, { 4000 }, { TRUE } },
  { "/engine/answer/table46/mandatory/savp-and-avp", SDES_SRTP_POLICY_MANDATORY, OFFER_DUAL,
    0, NULL, { 0, 4000 }, { FALSE, TRUE } },
  { "/engine/answer/table46/mandatory/avp-only", SDES_SRTP_POLICY_MANDATORY, OFFER_AVP,
    488, "399 srtpsdes \"Incompatible media: SRTP required\"", { 0 }, { FALSE } },
  /* Row "SRTP with fallback" */
  { "/engine/answer/table46/optional/savp-only", SDES_SRTP_POLICY_OPTIONAL, OFFER_SAVP,
    0, NULL, { 4000 }, { TRUE } },
  { "/engine/answer/table46/optional/savp-and-avp", SDES_SRTP_POLICY_OPTIONAL, OFFER_DUAL,
    0, NULL, { 0, 4000 }, { FALSE, TRUE } },
  { "/engine/answer/table46/optional/avp-only", SDES_SRTP_POLICY_OPTIONAL, OFFER_AVP,
    0, NULL, { 4000 }, { FALSE } },
  /* Row "No SRTP" */
  { "/engine/answer/table46/off/savp-only", SDES_SRTP_POLICY_OFF, OFFER_SAVP,
    488, "399 srtpsdes \"Incompatible media: SRTP not enabled\"", { 0 }, { FALSE } },
  { "/engine/answer/table46/off/savp-and-avp", SDES_SRTP_POLICY_OFF, OFFER_DUAL,
    0, NULL, { 4000, 0 }, { FALSE, FALSE } },
  { "/engine/answer/table46/off/avp-only", SDES_SRTP_POLICY_OFF, OFFER_AVP,
    0, NULL, { 4000 }, { FALSE } },
};

static void
test_table46 (gconstpointer data)
{
  const Table46Case *tc = data;
  g_autoptr (SdesSession) callee = session_new (tc->policy, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  guint status = 0;
  guint n = tc->offer == OFFER_DUAL ? 2 : 1;

  answer = sdes_session_process_offer (callee, local, table46_offers[tc->offer],
                                       &status, &warning, &error);
  if (tc->status != 0) {
    g_assert_null (answer);
    g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
    g_assert_cmpuint (status, ==, tc->status);
    g_assert_cmpstr (warning, ==, tc->warning);
    g_assert_null (sdes_session_get_media (callee, NULL));
    return;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 0);
  p = parsed_sdp_new (answer);
  g_assert_cmpuint (n_media (p), ==, n);
  for (guint i = 0; i < n; i++) {
    sdp_media_t *m = nth_media (p, i);
    g_autoptr (SdesMediaDescription) desc = media_at (callee, NULL, i);

    assert_mline (m, "audio", tc->ports[i], table46_protos[tc->offer][i]);
    g_assert_cmpuint (n_crypto (m), ==, tc->crypto[i] ? 1 : 0);
    g_assert_cmpint (desc->active, ==, tc->ports[i] != 0);
    g_assert_cmpint (desc->secure, ==, tc->crypto[i]);
    if (tc->crypto[i]) {
      g_autoptr (SdesCryptoAttr) attr = nth_crypto (m, 0);

      g_assert_cmpuint (attr->tag, ==, 1);
      g_assert_cmpint (attr->suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
      g_assert_nonnull (desc->remote_crypto);
      g_assert_true (sdes_crypto_attr_same_keys (desc->local_crypto, attr));
    }
    if (desc->active) {
      g_assert_cmpstr (desc->remote_address, ==, REMOTE_ADDR);
      g_assert_cmpint (desc->payload_type, ==, 0);
      g_assert_cmpstr (desc->encoding_name, ==, "PCMU");
      g_assert_cmpuint (desc->clock_rate, ==, 8000);
      g_assert_cmpuint (desc->remote_rtcp_port, ==, desc->remote_port + 1);
      g_assert_cmpint (desc->direction, ==, SDES_DIRECTION_SENDRECV);
    }
  }
}

/* ------------------------------------------------------------------------- */
/* Answer crypto rules                                                        */
/* ------------------------------------------------------------------------- */


static void
test_answer_first_valid_in_offer_order (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  g_autoptr (SdesCryptoAttr) offered = sdes_crypto_attr_parse (
      "3 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B, NULL);

  /* RFC 4568 §7.1.2: tag 1 has a bad key, tag 2 a suite we do not accept,
   * tag 3 is the first valid line, tag 4 is valid too but comes later. */
  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n"
      "a=crypto:2 F8_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"
      "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n"
      "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 1);
  attr = nth_crypto (nth_media (p, 0), 0);
  g_assert_cmpuint (attr->tag, ==, 3);
  g_assert_cmpint (attr->suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
  g_assert_cmpstr (attr->suite_name, ==, "AES_CM_128_HMAC_SHA1_32");
  /* our own fresh key, never the offerer's */
  g_assert_false (sdes_crypto_attr_same_keys (attr, offered));
  g_assert_null (strstr (answer, KEY_B));
}

static void
test_answer_fresh_key_per_call (void)
{
  g_autoptr (SdesSession) a = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesSession) b = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  const gchar *mline = "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  g_autofree gchar *ans_a = answer_with (a, mline, NULL, NULL, NULL);
  g_autofree gchar *ans_b = answer_with (b, mline, NULL, NULL, NULL);
  g_autoptr (ParsedSdp) pa = parsed_sdp_new (ans_a);
  g_autoptr (ParsedSdp) pb = parsed_sdp_new (ans_b);
  g_autoptr (SdesCryptoAttr) ka = nth_crypto (nth_media (pa, 0), 0);
  g_autoptr (SdesCryptoAttr) kb = nth_crypto (nth_media (pb, 0), 0);

  g_assert_cmpuint (ka->keys[0].key_salt_len, ==, 30);
  g_assert_false (sdes_crypto_attr_same_keys (ka, kb));
}

/* RFC 4566 §5.2: the o= sess-id identifies the session; two calls made in
 * the same second by one process (a gateway) must not share it, and one
 * session keeps it while its version grows. */
static void
test_origin_unique_per_session (void)
{
  g_autoptr (SdesSession) a = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesSession) b = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  const gchar *mline = "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  g_autofree gchar *ans_a = answer_with (a, mline, NULL, NULL, NULL);
  g_autofree gchar *ans_b = answer_with (b, mline, NULL, NULL, NULL);
  g_autoptr (ParsedSdp) pa = parsed_sdp_new (ans_a);
  g_autoptr (ParsedSdp) pb = parsed_sdp_new (ans_b);
  guint64 now_ntp = (guint64) g_get_real_time () / G_USEC_PER_SEC + 2208988800u;

  g_assert_nonnull (pa->session->sdp_origin);
  g_assert_nonnull (pb->session->sdp_origin);
  g_assert_cmpuint (pa->session->sdp_origin->o_id, !=, pb->session->sdp_origin->o_id);
  /* NTP seconds in the high word, the version starts at them. */
  g_assert_cmpuint (pa->session->sdp_origin->o_id >> 32, <=, now_ntp);
  g_assert_cmpuint (pa->session->sdp_origin->o_id >> 32, >=, now_ntp - 5);
  g_assert_cmpuint (pa->session->sdp_origin->o_version, >=, pa->session->sdp_origin->o_id >> 32);
  g_assert_cmpuint (pa->session->sdp_origin->o_version, <=, (pa->session->sdp_origin->o_id >> 32) + 1);
}

static void
test_answer_session_params (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;

  /* RFC 4568 §6.3: UNENCRYPTED_SRTCP and UNAUTHENTICATED_SRTP are negotiated
   * (echoed); WSH and FEC_ORDER are declarative (not echoed). */
  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP WSH=256 FEC_ORDER=SRTP_FEC -X_EXT=1\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  attr = nth_crypto (nth_media (p, 0), 0);
  g_assert_true (attr->unencrypted_srtcp);
  g_assert_true (attr->unauthenticated_srtp);
  g_assert_false (attr->unencrypted_srtp);
  g_assert_cmpuint (attr->wsh, ==, 0);
  g_assert_cmpint (attr->fec_order, ==, SDES_FEC_ORDER_NONE);
  g_assert_cmpint (attr->kdr, ==, -1);
  g_assert_null (attr->extensions);
}

static void
test_answer_skips_kdr_line (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;

  /* RFC 4568 §6.3.1: KDR is declarative for the offerer's stream; libsrtp2
   * cannot apply it, so that line is skipped. */
  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " KDR=10\r\n"
      "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B "\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  attr = nth_crypto (nth_media (p, 0), 0);
  g_assert_cmpuint (attr->tag, ==, 2);
}

static void
test_answer_skips_unknown_mandatory_param (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;

  /* RFC 4568 §6.3.7 (livekit/media-sdk PR#73): skip, never misparse. */
  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " NEW_PARAM=1\r\n"
      "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  attr = nth_crypto (nth_media (p, 0), 0);
  g_assert_cmpuint (attr->tag, ==, 2);
}

static void
test_answer_mki_mirrored (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  g_autoptr (SdesMediaDescription) desc = NULL;

  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|2^20|1:4\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  attr = nth_crypto (nth_media (p, 0), 0);
  g_assert_cmpuint (attr->keys[0].mki_length, ==, 4);
  g_assert_cmpuint (attr->keys[0].lifetime_exp, ==, 20);
  desc = media_at (callee, NULL, 0);
  g_assert_cmpuint (desc->remote_crypto->keys[0].mki_length, ==, 4);
}

static void
test_answer_mki_refused_when_disabled (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *warning = NULL;
  guint status = 0;

  /* asterisk/asterisk#825: implement MKI or reject the line, never
   * accept-and-ignore. */
  g_object_set (callee, "accept-mki", FALSE, NULL);
  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|1:4\r\n", &status, &warning, &error);
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpuint (status, ==, 488);
  g_assert_cmpstr (warning, ==, "306 srtpsdes \"Attribute not understood: no acceptable a=crypto\"");

  /* The same values for bindings, where the GError is an exception. */
  {
    g_autofree gchar *again = NULL;
    g_autofree gchar *w = NULL;
    g_autofree gchar *ok = NULL;

    g_assert_cmpuint (sdes_session_get_rejection (callee, &w), ==, 488);
    g_assert_cmpstr (w, ==, warning);
    g_clear_error (&error);
    ok = answer_with (callee, "m=audio 5000 RTP/SAVP 0\r\n"
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (ok);
    g_assert_cmpuint (sdes_session_get_rejection (callee, &again), ==, 0);
    g_assert_null (again);
  }
}

static void
test_answer_no_valid_crypto_488 (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *answer = NULL;
  guint status = 0;

  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!bad\r\n"
      "a=crypto:2 AES_CM_999 inline:" KEY_A "\r\n", &status, &warning, &error);
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpuint (status, ==, 488);
  g_assert_cmpstr (warning, ==, "306 srtpsdes \"Attribute not understood: no acceptable a=crypto\"");
}

static void
test_answer_no_valid_crypto_falls_back_to_rtp (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;

  /* Cisco "SRTP Offer and Answer Exchange": no valid crypto, but an RTP
   * alternative: the call falls back to RTP. */
  answer = answer_with (callee,
      "m=audio 5002 RTP/AVP 0\r\n"
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!bad\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/AVP");
  assert_mline (nth_media (p, 1), "audio", 0, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 1)), ==, 0);
}

static void
test_answer_tags (void)
{
  /* baresip/baresip#229, sipwise/rtpengine#2098: accept tag 0, echo the
   * offer's tag. */
  const struct { const gchar *line; guint tag; } cases[] = {
    { "a=crypto:0 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", 0 },
    { "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", 7 },
    { "a=crypto:999999999 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", 999999999 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
    g_autofree gchar *mline = g_strconcat ("m=audio 5000 RTP/SAVP 0\r\n", cases[i].line, NULL);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *answer = answer_with (callee, mline, NULL, NULL, &error);
    g_autoptr (ParsedSdp) p = NULL;
    g_autoptr (SdesCryptoAttr) attr = NULL;

    g_assert_no_error (error);
    p = parsed_sdp_new (answer);
    attr = nth_crypto (nth_media (p, 0), 0);
    g_assert_cmpuint (attr->tag, ==, cases[i].tag);
  }
}

static void
test_answer_legacy_alias_echoed (void)
{
  const gchar *const suites[] = { "AES_256_CM_HMAC_SHA1_80", NULL };
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesCryptoAttr) gen = sdes_crypto_attr_generate (
      SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, 1, 0, 0, 0, NULL);
  g_autofree gchar *value = sdes_crypto_attr_format (gen);
  g_autofree gchar *key = g_strdup (strstr (value, "inline:"));
  g_autofree gchar *mline = g_strdup_printf (
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_256_HMAC_SHA1_80 %s\r\n", key);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;

  /* sipwise/rtpengine#736: the legacy name is echoed as spelled. */
  g_object_set (callee, "suites", suites, NULL);
  answer = answer_with (callee, mline, NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  g_assert_true (g_str_has_prefix (nth_crypto_text (nth_media (p, 0), 0),
                                   "1 AES_CM_256_HMAC_SHA1_80 inline:"));
  {
    g_autoptr (SdesCryptoAttr) attr = nth_crypto (nth_media (p, 0), 0);

    g_assert_cmpuint (attr->keys[0].key_salt_len, ==, 46);
  }
}

static void
test_answer_savpf (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesMediaDescription) desc = NULL;
  sdp_media_t *m;
  char *rtpmap = NULL;

  sdes_local_media_set_rtcp (local, 0, 0, TRUE);
  answer = sdes_session_process_offer (callee, local, SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVPF 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtcp-mux\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  m = nth_media (p, 0);
  assert_mline (m, "audio", 4000, "RTP/SAVPF");
  g_assert_cmpstr (m->m_format->l_text, ==, "8");
  g_assert_cmpstr (m->m_format->l_next->l_text, ==, "0");
  g_assert_nonnull (sdp_attribute_mapped_find (m->m_attributes, "rtpmap", 8, &rtpmap));
  g_assert_cmpstr (rtpmap, ==, "PCMA/8000");
  g_assert_nonnull (sdp_attribute_find (m->m_attributes, "rtcp-mux"));
  g_assert_cmpuint (n_crypto (m), ==, 1);
  desc = media_at (callee, NULL, 0);
  g_assert_true (desc->secure);
  g_assert_true (desc->feedback);
  g_assert_true (desc->rtcp_mux);
  g_assert_cmpuint (desc->remote_rtcp_port, ==, 5000);
  g_assert_cmpuint (desc->local_rtcp_port, ==, 4000);
  g_assert_cmpstr (desc->profile, ==, "RTP/SAVPF");
  g_assert_cmpint (desc->payload_type, ==, 8);
}

static void
test_answer_dtls_declined (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *warning = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  guint status = 0;

  /* DTLS-SRTP is not SDES: port 0 when something else is acceptable. */
  answer = answer_with (callee,
      "m=audio 5004 UDP/TLS/RTP/SAVP 0\r\na=fingerprint:sha-256 AA:BB\r\n"
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
      NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  assert_mline (nth_media (p, 0), "audio", 0, "UDP/TLS/RTP/SAVP");
  assert_mline (nth_media (p, 1), "audio", 4000, "RTP/SAVP");
  g_clear_pointer (&answer, g_free);

  /* ... and a clean 488 when it is the only thing offered. */
  g_clear_object (&callee);
  callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  answer = answer_with (callee, "m=audio 5004 UDP/TLS/RTP/SAVP 0\r\na=fingerprint:sha-256 AA:BB\r\n",
                        &status, &warning, &error);
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpuint (status, ==, 488);
  g_assert_cmpstr (warning, ==, "399 srtpsdes \"Incompatible transport profile\"");
}

static void
test_answer_best_effort_avp_crypto (void)
{
  const gchar *mline = "m=audio 5000 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  g_autoptr (SdesSession) optional = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesSession) off = session_new (SDES_SRTP_POLICY_OFF, TRUE);
  g_autofree gchar *a1 = answer_with (optional, mline, NULL, NULL, NULL);
  g_autofree gchar *a2 = answer_with (off, mline, NULL, NULL, NULL);
  g_autoptr (ParsedSdp) p1 = parsed_sdp_new (a1);
  g_autoptr (ParsedSdp) p2 = parsed_sdp_new (a2);
  g_autoptr (SdesMediaDescription) d1 = media_at (optional, NULL, 0);
  g_autoptr (SdesMediaDescription) d2 = media_at (off, NULL, 0);

  /* RFC 8643 / sipwise/rtpengine#951: optional answers RTP/AVP with a=crypto and uses
   * SRTP; off answers plain RTP. */
  assert_mline (nth_media (p1, 0), "audio", 4000, "RTP/AVP");
  g_assert_cmpuint (n_crypto (nth_media (p1, 0)), ==, 1);
  g_assert_true (d1->secure);
  assert_mline (nth_media (p2, 0), "audio", 4000, "RTP/AVP");
  g_assert_cmpuint (n_crypto (nth_media (p2, 0)), ==, 0);
  g_assert_false (d2->secure);
}

static SdesLocalMedia *
local_audio_video (void)
{
  SdesLocalMedia *local = local_audio (LOCAL_ADDR, 4000);
  guint v = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_VIDEO, 4002);

  sdes_local_media_add_codec (local, v, 96, "H264", 90000, 0, "profile-level-id=42e01f");
  return local;
}

static void
test_answer_audio_video_independent (void)
{
  const gchar *offer = SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"
      "m=video 5002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n";
  g_autoptr (SdesLocalMedia) local = local_audio_video ();
  g_autoptr (SdesSession) mandatory = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesSession) optional = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *a1 = sdes_session_process_offer (mandatory, local, offer, NULL, NULL, &error);
  g_autofree gchar *a2 = sdes_session_process_offer (optional, local, offer, NULL, NULL, &error);
  g_autoptr (ParsedSdp) p1 = parsed_sdp_new (a1);
  g_autoptr (ParsedSdp) p2 = parsed_sdp_new (a2);
  g_autoptr (SdesMediaDescription) video = NULL;
  sdp_rtpmap_t *rm;

  g_assert_no_error (error);
  assert_mline (nth_media (p1, 0), "audio", 4000, "RTP/SAVP");
  assert_mline (nth_media (p1, 1), "video", 0, "RTP/AVP");
  /* RFC 3264 §6: the rejected m-line keeps the offered formats */
  g_assert_cmpuint (nth_media (p1, 1)->m_rtpmaps->rm_pt, ==, 97);
  assert_mline (nth_media (p2, 0), "audio", 4000, "RTP/SAVP");
  assert_mline (nth_media (p2, 1), "video", 4002, "RTP/AVP");
  g_assert_cmpuint (n_crypto (nth_media (p2, 1)), ==, 0);
  /* RFC 3264 §6.1: the offer's payload type, our fmtp */
  rm = nth_media (p2, 1)->m_rtpmaps;
  g_assert_cmpuint (rm->rm_pt, ==, 97);
  g_assert_cmpstr (rm->rm_encoding, ==, "H264");
  g_assert_cmpstr (rm->rm_fmtp, ==, "profile-level-id=42e01f");
  video = media_at (optional, NULL, 1);
  g_assert_true (video->active);
  g_assert_false (video->secure);
  g_assert_cmpint (video->media_type, ==, SDES_MEDIA_TYPE_VIDEO);
  g_assert_cmpint (video->local_stream, ==, 1);
}

static void
test_answer_table44_insecure_signaling (void)
{
  g_autoptr (SdesSession) optional = session_new (SDES_SRTP_POLICY_OPTIONAL, FALSE);
  g_autoptr (SdesSession) mandatory = session_new (SDES_SRTP_POLICY_MANDATORY, FALSE);
  g_autoptr (SdesSession) relaxed = session_new (SDES_SRTP_POLICY_MANDATORY, FALSE);
  const gchar *savp = "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  const gchar *dual = "m=audio 5002 RTP/AVP 0\r\n"
                      "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n";
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  guint status = 0;

  /* Cisco Table 44 applied to answers: no key into insecure signaling. */
  answer = answer_with (optional, savp, &status, &warning, &error);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpuint (status, ==, 488);
  g_assert_cmpstr (warning, ==, "399 srtpsdes \"Incompatible media: SRTP requires secure signaling\"");
  g_clear_error (&error);
  g_clear_pointer (&warning, g_free);

  answer = answer_with (optional, dual, NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/AVP");
  assert_mline (nth_media (p, 1), "audio", 0, "RTP/SAVP");
  g_clear_pointer (&answer, g_free);

  answer = answer_with (mandatory, savp, &status, &warning, &error);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpstr (warning, ==, "399 srtpsdes \"Incompatible media: SRTP requires secure signaling\"");
  g_clear_error (&error);

  g_object_set (relaxed, "require-secure-signaling", FALSE, NULL);
  answer = answer_with (relaxed, savp, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer);
}

/* ------------------------------------------------------------------------- */
/* Offers, Table 44                                                           */
/* ------------------------------------------------------------------------- */

typedef struct {
  const gchar *path;
  gboolean tls;
  SdesSrtpPolicy policy;
  gboolean expect_error;
  const gchar *proto;
} Table44Case;

static const Table44Case table44_cases[] = {
  { "/engine/offer/table44/tls-on-srtp-on", TRUE, SDES_SRTP_POLICY_MANDATORY, FALSE, "RTP/SAVP" },
  { "/engine/offer/table44/tls-off-srtp-on-fallback", FALSE, SDES_SRTP_POLICY_OPTIONAL, FALSE, "RTP/AVP" },
  { "/engine/offer/table44/tls-off-srtp-on-no-fallback", FALSE, SDES_SRTP_POLICY_MANDATORY, TRUE, NULL },
  { "/engine/offer/table44/tls-on-srtp-off", TRUE, SDES_SRTP_POLICY_OFF, FALSE, "RTP/AVP" },
  { "/engine/offer/table44/tls-off-srtp-off", FALSE, SDES_SRTP_POLICY_OFF, FALSE, "RTP/AVP" },
};

static void
test_table44 (gconstpointer data)
{
  const Table44Case *tc = data;
  g_autoptr (SdesSession) caller = session_new (tc->policy, tc->tls);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, &error);
  g_autoptr (ParsedSdp) p = NULL;

  if (tc->expect_error) {
    g_assert_null (offer);
    g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INSECURE_SIGNALING);
    g_assert_false (sdes_session_has_pending_offer (caller));
    return;
  }
  g_assert_no_error (error);
  p = parsed_sdp_new (offer);
  g_assert_cmpuint (n_media (p), ==, 1);
  assert_mline (nth_media (p, 0), "audio", 4000, tc->proto);
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, strcmp (tc->proto, "RTP/SAVP") == 0 ? 2 : 0);
}

static void
test_offer_savp_style (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) c1 = NULL;
  g_autoptr (SdesCryptoAttr) c2 = NULL;
  sdp_media_t *m;

  sdes_local_media_add_codec (local, 0, 101, "telephone-event", 8000, 1, "0-15");
  offer = sdes_session_create_offer (caller, local, NULL);
  p = parsed_sdp_new (offer);
  g_assert_cmpstr (p->session->sdp_connection->c_address, ==, LOCAL_ADDR);
  g_assert_cmpuint (n_media (p), ==, 1);
  m = nth_media (p, 0);
  assert_mline (m, "audio", 4000, "RTP/SAVP");
  g_assert_cmpuint (m->m_rtpmaps->rm_pt, ==, 0);
  g_assert_cmpuint (m->m_rtpmaps->rm_next->rm_pt, ==, 8);
  g_assert_cmpuint (m->m_rtpmaps->rm_next->rm_next->rm_pt, ==, 101);
  g_assert_cmpstr (m->m_rtpmaps->rm_next->rm_next->rm_fmtp, ==, "0-15");
  g_assert_cmpuint (n_crypto (m), ==, 2);
  c1 = nth_crypto (m, 0);
  c2 = nth_crypto (m, 1);
  /* baresip/baresip#229: tags from 1; suites in configured order; distinct
   * keys */
  g_assert_cmpuint (c1->tag, ==, 1);
  g_assert_cmpint (c1->suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
  g_assert_cmpuint (c2->tag, ==, 2);
  g_assert_cmpint (c2->suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
  g_assert_false (sdes_crypto_attr_same_keys (c1, c2));
  g_assert_cmpint (c1->kdr, ==, -1);
  g_assert_cmpuint (c1->keys[0].mki_length, ==, 0);
  g_assert_true (sdes_session_has_pending_offer (caller));
}

static void
test_offer_dual_style (void)
{
  g_autoptr (SdesSession) caller = g_object_new (SDES_TYPE_SESSION,
      "policy", SDES_SRTP_POLICY_OPTIONAL, "offer-style", SDES_OFFER_STYLE_DUAL,
      "secure-signaling", TRUE, NULL);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autoptr (ParsedSdp) p = parsed_sdp_new (offer);

  /* The example offer of Cisco "SIP Support for SRTP": RTP/AVP first,
   * RTP/SAVP with crypto second. */
  g_assert_cmpuint (n_media (p), ==, 2);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/AVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 0)), ==, 0);
  assert_mline (nth_media (p, 1), "audio", 4000, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 1)), ==, 2);
}

/* ------------------------------------------------------------------------- */
/* Offerer and answerer together                                              */
/* ------------------------------------------------------------------------- */


static void
test_call_keys_cross_match (void)
{
  Call call = { 0, };
  g_autoptr (SdesMediaDescription) a = NULL;
  g_autoptr (SdesMediaDescription) b = NULL;

  call_setup (&call, SDES_SRTP_POLICY_MANDATORY, SDES_SRTP_POLICY_MANDATORY);
  a = media_at (call.caller, NULL, 0);
  b = media_at (call.callee, NULL, 0);
  g_assert_true (a->secure && b->secure);
  /* our send key is their receive key, both ways; tag 1 (first offered) */
  g_assert_true (sdes_crypto_attr_same_keys (a->local_crypto, b->remote_crypto));
  g_assert_true (sdes_crypto_attr_same_keys (a->remote_crypto, b->local_crypto));
  g_assert_false (sdes_crypto_attr_same_keys (a->local_crypto, a->remote_crypto));
  g_assert_cmpuint (a->local_crypto->tag, ==, 1);
  g_assert_cmpuint (a->remote_crypto->tag, ==, 1);
  g_assert_cmpstr (a->dialog_tag, ==, "callee-tag");
  g_assert_cmpstr (a->remote_address, ==, REMOTE_ADDR);
  g_assert_cmpuint (a->remote_port, ==, 5000);
  g_assert_cmpstr (b->remote_address, ==, LOCAL_ADDR);
  g_assert_cmpuint (b->remote_port, ==, 4000);
  g_assert_true (a->local_key_changed && a->remote_key_changed);
  g_assert_true (a->local_roc_reset && a->remote_roc_reset);
  g_assert_false (sdes_session_has_pending_offer (call.caller));
  call_clear (&call);
}

/* Builds an answer to @offer's first m-line with @crypto_lines. */
static gchar *
manual_answer (const gchar *proto, const gchar *crypto_lines)
{
  return g_strdup_printf (SDP_HEAD (REMOTE_ADDR) "m=audio 5000 %s 0\r\n%s", proto, crypto_lines);
}

typedef struct {
  const gchar *path;
  const gchar *proto;
  const gchar *crypto;
  gint code;
} AnswerCheckCase;

static const AnswerCheckCase answer_checks[] = {
  { "/engine/offerer/answer/unknown-tag", "RTP/SAVP",
    "a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n", SDES_ENGINE_ERROR_ANSWER_UNKNOWN_TAG },
  { "/engine/offerer/answer/suite-mismatch", "RTP/SAVP",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n", SDES_ENGINE_ERROR_ANSWER_SUITE_MISMATCH },
  { "/engine/offerer/answer/bad-key", "RTP/SAVP",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n", SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO },
  { "/engine/offerer/answer/two-crypto-lines", "RTP/SAVP",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B "\r\n", SDES_ENGINE_ERROR_ANSWER_TOO_MANY_CRYPTO },
  { "/engine/offerer/answer/no-crypto", "RTP/SAVP", "", SDES_ENGINE_ERROR_ANSWER_NO_CRYPTO },
  { "/engine/offerer/answer/added-session-param", "RTP/SAVP",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " UNENCRYPTED_SRTP\r\n",
    SDES_ENGINE_ERROR_ANSWER_SESSION_PARAMS },
  { "/engine/offerer/answer/profile-switched-to-dtls", "UDP/TLS/RTP/SAVP", "",
    SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH },
  { "/engine/offerer/answer/downgraded-to-avp-under-mandatory", "RTP/AVP", "",
    SDES_ENGINE_ERROR_ANSWER_INSECURE },
};

static void
test_answer_check (gconstpointer data)
{
  const AnswerCheckCase *tc = data;
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autofree gchar *answer = manual_answer (tc->proto, tc->crypto);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (offer);
  g_assert_false (sdes_session_process_answer (caller, "t", answer, &error));
  g_assert_error (error, SDES_ENGINE_ERROR, tc->code);
  /* the error never quotes key text */
  g_assert_null (strstr (error->message, KEY_A));
  /* nothing changed: the offer is still pending, no dialog exists */
  g_assert_true (sdes_session_has_pending_offer (caller));
  g_assert_null (sdes_session_get_media (caller, "t"));
}

static void
test_offerer_avp_answer_to_savp_optional (void)
{
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autofree gchar *answer = manual_answer ("RTP/AVP", "");
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesMediaDescription) desc = NULL;

  /* emiago/diago#129: never encrypt toward a peer that answered RTP. */
  g_assert_true (sdes_session_process_answer (caller, "t", answer, &error));
  g_assert_no_error (error);
  desc = media_at (caller, "t", 0);
  g_assert_true (desc->active);
  g_assert_false (desc->secure);
  g_assert_null (desc->local_crypto);
}

static void
test_offerer_dual_answer_picks_avp (void)
{
  g_autoptr (SdesSession) caller = g_object_new (SDES_TYPE_SESSION,
      "policy", SDES_SRTP_POLICY_OPTIONAL, "offer-style", SDES_OFFER_STYLE_DUAL,
      "secure-signaling", TRUE, NULL);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  const gchar *answer = SDP_HEAD (REMOTE_ADDR)
      "m=audio 5000 RTP/AVP 0\r\n"
      "m=audio 0 RTP/SAVP 0\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesMediaDescription) d0 = NULL;
  g_autoptr (SdesMediaDescription) d1 = NULL;

  /* Policy became mandatory before the answer arrived: refused. */
  g_object_set (caller, "policy", SDES_SRTP_POLICY_MANDATORY, NULL);
  g_assert_false (sdes_session_process_answer (caller, "t", answer, &error));
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_INSECURE);
  g_clear_error (&error);

  /* Optional allows it. */
  g_object_set (caller, "policy", SDES_SRTP_POLICY_OPTIONAL, NULL);
  g_assert_true (sdes_session_process_answer (caller, "t", answer, &error));
  g_assert_no_error (error);
  d0 = media_at (caller, "t", 0);
  d1 = media_at (caller, "t", 1);
  g_assert_true (d0->active);
  g_assert_false (d0->secure);
  g_assert_false (d1->active);
}

static void
test_mline_order_stable (void)
{
  g_autoptr (SdesSession) caller = g_object_new (SDES_TYPE_SESSION,
      "policy", SDES_SRTP_POLICY_OPTIONAL, "offer-style", SDES_OFFER_STYLE_DUAL,
      "secure-signaling", TRUE, NULL);
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (SdesLocalMedia) remote = local_audio (REMOTE_ADDR, 5000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, NULL);
  g_autofree gchar *answer = sdes_session_process_offer (callee, remote, offer, NULL, NULL, &error);
  g_autofree gchar *reoffer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesMediaDescription) before = NULL;
  g_autoptr (SdesCryptoAttr) active = NULL;

  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (caller, "t", answer, &error));
  g_assert_true (sdes_session_confirm_dialog (caller, "t", &error));
  before = media_at (caller, NULL, 1);
  g_assert_true (before->secure);

  /* RFC 3264 §8, sipwise/rtpengine#1489: the re-offer keeps both m-lines in place; the refused
   * RTP/AVP one stays at port 0; only the active crypto is re-offered. */
  reoffer = sdes_session_create_offer (caller, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (reoffer);
  g_assert_cmpuint (n_media (p), ==, 2);
  assert_mline (nth_media (p, 0), "audio", 0, "RTP/AVP");
  assert_mline (nth_media (p, 1), "audio", 4000, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 1)), ==, 1);
  active = nth_crypto (nth_media (p, 1), 0);
  g_assert_true (crypto_equal_keys (active, before->local_crypto));
}

/* ------------------------------------------------------------------------- */
/* Cisco's example, state errors, logging                                     */
/* ------------------------------------------------------------------------- */

static void
test_cisco_example (void)
{
  /* Cisco "SIP Support for SRTP", "SDP Negotiation" example (the crypto line
   * joined). */
  const gchar *offer =
      "v=0\r\n"
      "o=CiscoSystemsSIP-GW-UserAgent 7826 3751 IN IP4 172.18.193.98\r\n"
      "s=SIP Call\r\n"
      "c=IN IP4 172.18.193.98\r\n"
      "t=0 0\r\n"
      "m=audio 1789 RTP/AVP 0\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "m=audio 51372 RTP/SAVP 0\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHawJSoj|2^20|1:32\r\n";
  g_autoptr (SdesSession) gw = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio ("172.18.193.98", 49170);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = sdes_session_process_offer (gw, local, offer, NULL, NULL, &error);
  g_autoptr (ParsedSdp) p = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  g_autoptr (SdesMediaDescription) desc = NULL;
  g_auto (GStrv) parts = NULL;

  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  /* Cisco's example answer: m=audio 0 RTP/AVP 0, m=audio 49170 RTP/SAVP 0 with
   * crypto tag 1, same suite, own key, |2^20|1:32 */
  assert_mline (nth_media (p, 0), "audio", 0, "RTP/AVP");
  assert_mline (nth_media (p, 1), "audio", 49170, "RTP/SAVP");
  g_assert_cmpuint (n_crypto (nth_media (p, 1)), ==, 1);
  parts = g_strsplit (nth_crypto_text (nth_media (p, 1), 0), " ", -1);
  g_assert_cmpstr (parts[0], ==, "1");
  g_assert_cmpstr (parts[1], ==, "AES_CM_128_HMAC_SHA1_32");
  g_assert_true (g_str_has_prefix (parts[2], "inline:"));
  g_assert_true (g_str_has_suffix (parts[2], "|2^20|1:32"));
  g_assert_null (parts[3]);
  attr = nth_crypto (nth_media (p, 1), 0);
  g_assert_cmpuint (attr->keys[0].mki_length, ==, 32);
  desc = media_at (gw, NULL, 1);
  g_assert_cmpuint (desc->remote_port, ==, 51372);
  g_assert_cmpstr (desc->remote_address, ==, "172.18.193.98");
  g_assert_false (sdes_crypto_attr_same_keys (desc->remote_crypto, attr));
}

static void
test_state_errors (void)
{
  g_autoptr (SdesSession) s = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autofree gchar *second = NULL;
  g_autofree gchar *answer = NULL;
  guint status = 0;

  /* an answer without an offer */
  g_assert_false (sdes_session_process_answer (s, "t", table46_offers[OFFER_SAVP], &error));
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE);
  g_clear_error (&error);
  /* no local media at all */
  g_assert_null (sdes_session_create_offer (s, NULL, &error));
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  offer = sdes_session_create_offer (s, local, &error);
  g_assert_no_error (error);
  second = sdes_session_create_offer (s, local, &error);
  g_assert_null (second);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE);
  g_clear_error (&error);
  /* glare: RFC 3261 §14.2 -> 491 */
  answer = sdes_session_process_offer (s, local, table46_offers[OFFER_SAVP], &status, NULL, &error);
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE);
  g_assert_cmpuint (status, ==, 491);
}

static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      g_string_append_printf (captured_log, "%s\n", (const gchar *) fields[i].value);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
test_no_key_in_logs (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;
  g_autofree gchar *ours = NULL;

  g_string_truncate (captured_log, 0);
  answer = answer_with (callee,
      "m=audio 5000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " NEW_PARAM=1\r\n"
      "a=crypto:2 F8_128_HMAC_SHA1_80 inline:" KEY_B "\r\n"
      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY_C "|1:4 KDR=3\r\n"
      "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" KEY_C "\r\n", NULL, NULL, &error);
  g_assert_no_error (error);
  /* the skipped lines were logged ... */
  g_assert_nonnull (strstr (captured_log->str, "tag 2"));
  /* ... but no key text, theirs or ours */
  p = parsed_sdp_new (answer);
  ours = g_strdup (strstr (nth_crypto_text (nth_media (p, 0), 0), "inline:") + 7);
  if (strchr (ours, '|') != NULL)
    *strchr (ours, '|') = '\0';
  g_assert_cmpuint (strlen (ours), ==, 40);
  g_assert_null (strstr (captured_log->str, KEY_A));
  g_assert_null (strstr (captured_log->str, KEY_B));
  g_assert_null (strstr (captured_log->str, KEY_C));
  g_assert_null (strstr (captured_log->str, ours));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (table46_cases); i++)
    g_test_add_data_func (table46_cases[i].path, &table46_cases[i], test_table46);
  g_test_add_func ("/engine/answer/crypto/first-valid-in-offer-order", test_answer_first_valid_in_offer_order);
  g_test_add_func ("/engine/answer/crypto/fresh-key-per-call", test_answer_fresh_key_per_call);
  g_test_add_func ("/engine/sdp/origin-unique-per-session", test_origin_unique_per_session);
  g_test_add_func ("/engine/answer/crypto/negotiated-params-echoed-declarative-not", test_answer_session_params);
  g_test_add_func ("/engine/answer/crypto/kdr-line-skipped", test_answer_skips_kdr_line);
  g_test_add_func ("/engine/answer/crypto/unknown-mandatory-param-skipped", test_answer_skips_unknown_mandatory_param);
  g_test_add_func ("/engine/answer/crypto/mki-and-lifetime-mirrored", test_answer_mki_mirrored);
  g_test_add_func ("/engine/answer/crypto/mki-refused-when-disabled", test_answer_mki_refused_when_disabled);
  g_test_add_func ("/engine/answer/crypto/none-valid-488", test_answer_no_valid_crypto_488);
  g_test_add_func ("/engine/answer/crypto/none-valid-falls-back-to-rtp", test_answer_no_valid_crypto_falls_back_to_rtp);
  g_test_add_func ("/engine/answer/crypto/tags-accept-0-and-echo", test_answer_tags);
  g_test_add_func ("/engine/answer/crypto/legacy-alias-echoed", test_answer_legacy_alias_echoed);
  g_test_add_func ("/engine/answer/savpf-accepted-with-feedback", test_answer_savpf);
  g_test_add_func ("/engine/answer/dtls-srtp-declined-cleanly", test_answer_dtls_declined);
  g_test_add_func ("/engine/answer/best-effort-avp-crypto", test_answer_best_effort_avp_crypto);
  g_test_add_func ("/engine/answer/audio-video-independent", test_answer_audio_video_independent);
  g_test_add_func ("/engine/answer/table44/insecure-signaling", test_answer_table44_insecure_signaling);
  for (guint i = 0; i < G_N_ELEMENTS (table44_cases); i++)
    g_test_add_data_func (table44_cases[i].path, &table44_cases[i], test_table44);
  g_test_add_func ("/engine/offer/savp-style", test_offer_savp_style);
  g_test_add_func ("/engine/offer/dual-style-cisco-example", test_offer_dual_style);
  g_test_add_func ("/engine/offerer/keys-cross-match", test_call_keys_cross_match);
  for (guint i = 0; i < G_N_ELEMENTS (answer_checks); i++)
    g_test_add_data_func (answer_checks[i].path, &answer_checks[i], test_answer_check);
  g_test_add_func ("/engine/offerer/answer/avp-to-savp-offer-under-optional", test_offerer_avp_answer_to_savp_optional);
  g_test_add_func ("/engine/offerer/answer/dual-offer-avp-chosen-needs-policy", test_offerer_dual_answer_picks_avp);
  g_test_add_func ("/engine/reinvite/mline-order-stable", test_mline_order_stable);
  g_test_add_func ("/engine/cisco/example-answer", test_cisco_example);
  g_test_add_func ("/engine/state/errors-and-glare", test_state_errors);
  g_test_add_func ("/engine/logging/no-key-material", test_no_key_in_logs);

  {
    int ret = g_test_run ();

    g_string_free (captured_log, TRUE);
    return ret;
  }
}
