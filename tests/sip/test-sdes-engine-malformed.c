/* srtpsdes — the offer/answer engine against malformed SDP and crypto lines
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every input gets a specific error (or 488 decision with a Warning text),
 * never a crash or a leak (run under ASan/UBSan and valgrind), and leaves the
 * session unchanged.
 */

#include "test-sdes-common.h"

#define GOOD_CRYPTO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"
#define HEAD SDP_HEAD (REMOTE_ADDR)
#define SAVP_M "m=audio 5000 RTP/SAVP 0\r\n"

typedef struct {
  const gchar *name;
  const gchar *sdp;
  gint code;               /* SdesEngineError */
  guint status;            /* reject status */
  const gchar *warning;    /* exact Warning value, or NULL to only require one */
} OfferCase;

#define W306 "306 srtpsdes \"Attribute not understood: no acceptable a=crypto\""

static const OfferCase offer_cases[] = {
  /* SDP structure: Sofia's parser or our checks */
  { "empty", "", SDES_ENGINE_ERROR_BAD_SDP, 400, "399 srtpsdes \"Malformed SDP\"" },
  { "garbage", "hello world\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "binary", "\x01\x02\xff\xfe\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  /* Sofia 1.12 exhausts memory on this one (fuzzer find): refused before parsing */
  { "non-ascii-in-m-line", "v=0\r\nm=audio 1789 RT\xb0\xd5" "AVP 0\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "non-token-format", HEAD "m=image 5000 udptl t38 @a\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  /* crashed Sofia's sdp_attribute_mapped_find() (fuzzer find) */
  { "rtpmap-without-value", HEAD "m=audio 5000 RTP/SAVPF 96\r\na=rtpmap\r\na=rtpmap:\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, "305 srtpsdes \"Incompatible media format\"" },
  { "non-token-proto", HEAD "m=audio 5000 RT)/SAVPF 0 101\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  /* RFC 4566 §5: a CR ends a line only before LF (Sofia would start a new
   * line at it, which is how several fuzzer finds reached its loops) */
  { "bare-cr-splits-m-line", HEAD "m=audio 5000 RTP/SAVPF 0 101\r@yz\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400,
    "399 srtpsdes \"malformed SDP: CR not followed by LF (line 6)\"" },
  { "tab-in-m-line", HEAD "m=image 5000 udptl \tt38\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "m-line-after-bare-cr", "v=0\r\nt=0 0\rm=audio 99999VP\xf9\xff x\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "no-m-line", HEAD, SDES_ENGINE_ERROR_UNSUPPORTED_SDP, 488, NULL },
  { "no-connection", "v=0\r\no=- 1 1 IN IP4 " REMOTE_ADDR "\r\ns=-\r\nt=0 0\r\n" SAVP_M GOOD_CRYPTO,
    SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "connection-without-address", "v=0\r\no=- 1 1 IN IP4 " REMOTE_ADDR "\r\ns=-\r\nc=IN IP4\r\nt=0 0\r\n"
    SAVP_M GOOD_CRYPTO, SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "non-in-network", "v=0\r\no=- 1 1 IN IP4 " REMOTE_ADDR "\r\ns=-\r\nc=ATM NSAP 47.0005\r\nt=0 0\r\n"
    SAVP_M GOOD_CRYPTO, SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "port-not-a-number", HEAD "m=audio abc RTP/SAVP 0\r\n" GOOD_CRYPTO, SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "port-with-sign", HEAD "m=audio +5000 RTP/SAVP 0\r\n" GOOD_CRYPTO, SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  { "port-too-large", HEAD "m=audio 70000 RTP/SAVP 0\r\n" GOOD_CRYPTO, SDES_ENGINE_ERROR_UNSUPPORTED_SDP, 488, NULL },
  { "m-line-without-proto", HEAD "m=audio 5000\r\n", SDES_ENGINE_ERROR_BAD_SDP, 400, NULL },
  /* media the callee cannot take */
  { "only-application", HEAD "m=application 5000 UDP/BFCP *\r\n", SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488,
    "304 srtpsdes \"Media type not available\"" },
  { "dynamic-pt-without-rtpmap", HEAD "m=audio 5000 RTP/SAVP 96\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, "305 srtpsdes \"Incompatible media format\"" },
  { "no-common-codec", HEAD "m=audio 5000 RTP/SAVP 18\r\na=rtpmap:18 G729/8000\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, "305 srtpsdes \"Incompatible media format\"" },
  { "savp-without-crypto", HEAD SAVP_M, SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  /* crypto lines: each invalid line is skipped; none left -> 488/306 */
  { "crypto-empty", HEAD SAVP_M "a=crypto:\r\n", SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-no-value", HEAD SAVP_M "a=crypto\r\n", SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-tag-not-a-number", HEAD SAVP_M "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-tag-too-long", HEAD SAVP_M "a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-unknown-suite", HEAD SAVP_M "a=crypto:1 AES_CM_129_HMAC_SHA1_80 inline:" KEY_A "\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-suite-not-accepted", HEAD SAVP_M "a=crypto:1 AEAD_AES_128_GCM inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-key-method-uri", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:http://x/k\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-bad-base64", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:****************************************\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-key-too-short", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-key-too-long-for-suite", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A KEY_A "\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-lifetime-too-large", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|2^49\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-lifetime-zero", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|0\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-mki-length-zero", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|1:0\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-two-keys-without-mki", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A ";inline:" KEY_B "\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-kdr-out-of-range", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " KDR=25\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-wsh-too-small", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " WSH=10\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-duplicate-param", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " UNENCRYPTED_SRTP UNENCRYPTED_SRTP\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "crypto-extra-key-field", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "|2^20|1:4|9\r\n",
    SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488, W306 },
  { "dtls-only", HEAD "m=audio 5000 UDP/TLS/RTP/SAVP 0\r\n", SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488,
    "399 srtpsdes \"Incompatible transport profile\"" },
  { "t38-without-local-fax-stream", HEAD "m=image 5000 udptl t38\r\n", SDES_ENGINE_ERROR_NOT_ACCEPTABLE, 488,
    "304 srtpsdes \"Media type not available\"" },
};

static void
test_offer_case (gconstpointer data)
{
  const OfferCase *tc = data;
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *answer = NULL;
  guint status = 0;

  answer = sdes_session_process_offer (callee, local, tc->sdp, &status, &warning, &error);
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, tc->code);
  g_assert_cmpuint (status, ==, tc->status);
  g_assert_nonnull (warning);
  if (tc->warning != NULL)
    g_assert_cmpstr (warning, ==, tc->warning);
  /* nothing leaks into the error: no key text */
  g_assert_null (strstr (error->message, KEY_A));
  g_assert_null (strstr (warning, KEY_A));
  /* and nothing was committed */
  g_assert_null (sdes_session_get_media (callee, NULL));
}

typedef struct {
  const gchar *name;
  const gchar *sdp;        /* answer to a one-audio-m-line RTP/SAVP offer */
  gint code;
} AnswerCase;

static const AnswerCase answer_cases[] = {
  { "empty", "", SDES_ENGINE_ERROR_BAD_SDP },
  { "garbage", "v=0\r\nxyz\r\n", SDES_ENGINE_ERROR_BAD_SDP },
  { "no-m-line", HEAD, SDES_ENGINE_ERROR_UNSUPPORTED_SDP },
  { "non-ascii-in-m-line", HEAD "m=audio 5000 A\xd5\xd5 0\r\n", SDES_ENGINE_ERROR_BAD_SDP },
  { "two-m-lines", HEAD SAVP_M GOOD_CRYPTO "m=video 0 RTP/AVP 96\r\n", SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH },
  { "media-type-changed", HEAD "m=video 5000 RTP/SAVP 0\r\n" GOOD_CRYPTO, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH },
  { "no-common-codec", HEAD "m=audio 5000 RTP/SAVP 18\r\na=rtpmap:18 G729/8000\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH },
  { "all-rejected", HEAD "m=audio 0 RTP/SAVP 0\r\n", SDES_ENGINE_ERROR_ANSWER_NO_MEDIA },
  { "crypto-garbage", HEAD SAVP_M "a=crypto:garbage\r\n", SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO },
  { "crypto-unknown-suite", HEAD SAVP_M "a=crypto:1 NOPE_SUITE inline:" KEY_A "\r\n", SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO },
  { "crypto-tag-0-not-offered", HEAD SAVP_M "a=crypto:0 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
    SDES_ENGINE_ERROR_ANSWER_UNKNOWN_TAG },
  { "crypto-tag-2-wrong-suite", HEAD SAVP_M "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
    SDES_ENGINE_ERROR_ANSWER_SUITE_MISMATCH },
  { "crypto-unauthenticated-added", HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A " UNAUTHENTICATED_SRTP\r\n",
    SDES_ENGINE_ERROR_ANSWER_SESSION_PARAMS },
  { "profile-udptl", HEAD "m=audio 5000 udptl t38\r\n", SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH },
};

static void
test_answer_case (gconstpointer data)
{
  const AnswerCase *tc = data;
  g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = sdes_session_create_offer (caller, local, &error);

  g_assert_no_error (error);
  g_assert_false (sdes_session_process_answer (caller, "t", tc->sdp, &error));
  g_assert_error (error, SDES_ENGINE_ERROR, tc->code);
  g_assert_null (strstr (error->message, KEY_A));
  g_assert_true (sdes_session_has_pending_offer (caller));
  g_assert_null (sdes_session_get_media (caller, "t"));
}

static void
test_reoffer_removing_mline (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *a1 = NULL;
  g_autofree gchar *a2 = NULL;
  guint status = 0;

  a1 = sdes_session_process_offer (callee, local, HEAD "m=audio 5002 RTP/AVP 0\r\n" SAVP_M GOOD_CRYPTO,
                                   NULL, NULL, &error);
  g_assert_no_error (error);
  /* RFC 3264 §8: m-lines are never removed in a re-offer */
  a2 = sdes_session_process_offer (callee, NULL, HEAD SAVP_M GOOD_CRYPTO, &status, &warning, &error);
  g_assert_null (a2);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNSUPPORTED_SDP);
  g_assert_cmpuint (status, ==, 488);
  g_assert_nonnull (warning);
}

static void
test_huge_offer (void)
{
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_MANDATORY, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GString) sdp = g_string_new (HEAD);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autoptr (ParsedSdp) p = NULL;

  /* SDES_SDP_MAX_MEDIA m-lines with 20 crypto lines each: only the first
   * audio one is used (one more m-line is refused: tests/sip/test-sdp-guard.c). */
  for (guint i = 0; i < SDES_SDP_MAX_MEDIA; i++) {
    g_string_append_printf (sdp, "m=audio %u RTP/SAVP 0\r\n", 6000 + 2 * i);
    for (guint t = 1; t <= 20; t++)
      g_string_append_printf (sdp, "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", t,
                              t == 20 ? KEY_A : "c2hvcnQ=");
  }
  answer = sdes_session_process_offer (callee, local, sdp->str, NULL, NULL, &error);
  g_assert_no_error (error);
  p = parsed_sdp_new (answer);
  g_assert_cmpuint (n_media (p), ==, SDES_SDP_MAX_MEDIA);
  assert_mline (nth_media (p, 0), "audio", 4000, "RTP/SAVP");
  assert_mline (nth_media (p, 1), "audio", 0, "RTP/SAVP");
  assert_mline (nth_media (p, SDES_SDP_MAX_MEDIA - 1), "audio", 0, "RTP/SAVP");
  {
    g_autoptr (SdesCryptoAttr) attr = nth_crypto (nth_media (p, 0), 0);

    g_assert_cmpuint (attr->tag, ==, 20);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (offer_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/engine/malformed/offer/%s", offer_cases[i].name);

    g_test_add_data_func (path, &offer_cases[i], test_offer_case);
  }
  for (guint i = 0; i < G_N_ELEMENTS (answer_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/engine/malformed/answer/%s", answer_cases[i].name);

    g_test_add_data_func (path, &answer_cases[i], test_answer_case);
  }
  g_test_add_func ("/engine/malformed/reoffer-removing-mline", test_reoffer_removing_mline);
  g_test_add_func ("/engine/malformed/huge-offer", test_huge_offer);
  return g_test_run ();
}
