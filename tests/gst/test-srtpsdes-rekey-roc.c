/* srtpsdes — the ROC across a key change, with the stock elements both ways
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RFC 3711 §3.3.1 leaves the ROC of a new master key open: RFC 4568
 * §7.1.4 peers continue it, stock srtpenc (gst-plugins-bad 1.22) starts
 * the new key at ROC 0 and stock srtpdec expects that (pjsip PR #2846 and
 * rtpengine PR #107 describe both in the field). A stream starts at
 * sequence number 65000, so it wraps to ROC 1 after 536 packets; at packet
 * 1000 both ends change the key while PLAYING; all 2000 packets must come
 * out byte for byte. Real libsrtp2, real stock elements, GstHarness. */

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <srtp2/srtp.h>

#define RTP_CAPS "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0"
#define SRTP_CAPS "application/x-srtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0"
#define SSRC 0x5eed0042u
#define FIRST_SEQ 65000
#define N_PACKETS 2000
#define REKEY_AT 1000
#define PAYLOAD_LEN 160
#define KEY_LEN 30

static GstBuffer *
key_buffer (guint8 seed)
{
  guint8 key[KEY_LEN];

  for (guint i = 0; i < KEY_LEN; i++)
    key[i] = (guint8) (seed + 11 * i);
  return gst_buffer_new_memdup (key, KEY_LEN);
}

static gchar *
key_line (guint8 seed)
{
  GstBuffer *kb = key_buffer (seed);
  GstMapInfo map;
  gchar *b64, *line;

  fail_unless (gst_buffer_map (kb, &map, GST_MAP_READ));
  b64 = g_base64_encode (map.data, map.size);
  gst_buffer_unmap (kb, &map);
  gst_buffer_unref (kb);
  line = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s", b64);
  g_free (b64);
  return line;
}

static GstBuffer *
rtp_packet (guint i)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (PAYLOAD_LEN, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq = (guint16) (FIRST_SEQ + i);
  guint8 *payload;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_ssrc (&rtp, SSRC);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, i * 160);
  gst_rtp_buffer_set_payload_type (&rtp, 0);
  payload = gst_rtp_buffer_get_payload (&rtp);
  for (guint b = 0; b < PAYLOAD_LEN; b++)
    payload[b] = (guint8) (i * 7 + b);
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

static gboolean
same_bytes (GstBuffer *a, GstBuffer *b)
{
  GstMapInfo ma, mb;
  gboolean same;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  same = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

static guint64
stat (GstElement *element, const gchar *field)
{
  GstStructure *stats = NULL;
  const GValue *streams;
  guint64 result = G_MAXUINT64;

  g_object_get (element, "stats", &stats, NULL);
  streams = gst_structure_get_value (stats, "streams");
  for (guint i = 0; i < gst_value_array_get_size (streams); i++) {
    const GstStructure *s = gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint ssrc, roc;
    gboolean rtcp;

    fail_unless (gst_structure_get_uint (s, "ssrc", &ssrc));
    fail_unless (gst_structure_get_boolean (s, "rtcp", &rtcp));
    if (ssrc != SSRC || rtcp)
      continue;
    if (g_str_equal (field, "roc")) {
      fail_unless (gst_structure_get_uint (s, "roc", &roc));
      result = roc;
    } else {
      fail_unless (gst_structure_get_uint64 (s, field, &result));
    }
  }
  gst_structure_free (stats);
  return result;
}

/* ------------------------------------------------------------------------- */
/* The four ends                                                              */
/* ------------------------------------------------------------------------- */

static GstHarness *
stock_enc_harness (guint8 seed)
{
  GstElement *stock = gst_element_factory_make ("srtpenc", NULL);
  GstBuffer *kb = key_buffer (seed);
  GstHarness *h;

  fail_unless (stock != NULL, "stock srtpenc (gst-plugins-bad) missing");
  g_object_set (stock, "key", kb, NULL);
  gst_buffer_unref (kb);
  h = gst_harness_new_with_element (stock, "rtp_sink_0", "rtp_src_0");
  gst_object_unref (stock);
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  return h;
}

static void
stock_enc_rekey (GstHarness *h, guint8 seed)
{
  GstBuffer *kb = key_buffer (seed);

  g_object_set (h->element, "key", kb, NULL);
  gst_buffer_unref (kb);
}

static GstCaps *
stock_dec_caps (guint8 seed)
{
  GstBuffer *kb = key_buffer (seed);
  GstCaps *caps = gst_caps_from_string (SRTP_CAPS);

  gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, SSRC, "srtp-key", GST_TYPE_BUFFER, kb,
      "srtp-cipher", G_TYPE_STRING, "aes-128-icm", "srtp-auth", G_TYPE_STRING, "hmac-sha1-80",
      "srtcp-cipher", G_TYPE_STRING, "aes-128-icm", "srtcp-auth", G_TYPE_STRING,
      "hmac-sha1-80", NULL);
  gst_buffer_unref (kb);
  return caps;
}

/* Stock srtpdec asks for a key with request-key after clear-keys. */
static GstCaps *
on_stock_request_key (GstElement *dec, guint ssrc, gpointer seed)
{
  return stock_dec_caps ((guint8) GPOINTER_TO_UINT (seed));
}

static GstHarness *
stock_dec_harness (guint8 seed, guint8 new_seed)
{
  GstHarness *h = gst_harness_new_with_padnames ("srtpdec", "rtp_sink", "rtp_src");

  fail_unless (h->element != NULL, "stock srtpdec (gst-plugins-bad) missing");
  gst_harness_set_src_caps (h, stock_dec_caps (seed));
  g_signal_connect (h->element, "request-key", G_CALLBACK (on_stock_request_key),
      GUINT_TO_POINTER (new_seed));
  return h;
}

static void
stock_dec_rekey (GstHarness *h)
{
  g_signal_emit_by_name (h->element, "clear-keys");
}

static GstHarness *
ours_enc_harness (guint8 seed, const gchar *rekey_roc)
{
  GstHarness *h = gst_harness_new_with_padnames ("srtpsdesenc", "rtp_sink_0", "rtp_src_0");
  g_autofree gchar *line = key_line (seed);

  g_object_set (h->element, "crypto", line, NULL);
  gst_util_set_object_arg (G_OBJECT (h->element), "rekey-roc", rekey_roc);
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  return h;
}

static GstHarness *
ours_dec_harness (guint8 seed)
{
  GstHarness *h = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");
  g_autofree gchar *line = key_line (seed);

  g_object_set (h->element, "crypto", line, NULL);
  gst_harness_set_src_caps_str (h, SRTP_CAPS);
  return h;
}

static void
ours_rekey (GstHarness *h, guint8 seed)
{
  g_autofree gchar *line = key_line (seed);

  g_object_set (h->element, "crypto", line, NULL);
}

typedef void (*Rekey) (GstHarness *h, guint8 seed);

static void
stock_dec_rekey_cb (GstHarness *h, guint8 seed)
{
  stock_dec_rekey (h);
}

/* Sends N_PACKETS through @enc and @dec, both PLAYING, changing the key of
 * each to @new_seed before packet REKEY_AT; @forge, if any, is pushed into
 * @dec right after the rekey. Returns how many packets came out of @dec,
 * each checked byte for byte. */
static guint
run (GstHarness *enc, Rekey enc_rekey, GstHarness *dec, Rekey dec_rekey, guint8 new_seed,
     GstBuffer *forge)
{
  guint delivered = 0;

  for (guint i = 0; i < N_PACKETS; i++) {
    GstBuffer *plain = rtp_packet (i), *srtp, *out;

    if (i == REKEY_AT) {
      enc_rekey (enc, new_seed);
      dec_rekey (dec, new_seed);
      if (forge != NULL) {
        fail_unless_equals_int (gst_harness_push (dec, forge), GST_FLOW_OK);
        fail_unless (gst_harness_try_pull (dec) == NULL, "a forged packet came out");
      }
    }
    fail_unless_equals_int (gst_harness_push (enc, gst_buffer_copy_deep (plain)), GST_FLOW_OK);
    srtp = gst_harness_pull (enc);
    fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
    out = gst_harness_try_pull (dec);
    if (out != NULL) {
      fail_unless (same_bytes (out, plain), "packet %u differs", i);
      delivered++;
      gst_buffer_unref (out);
    }
    gst_buffer_unref (plain);
  }
  return delivered;
}

/* A libsrtp2 session for SSRC with the key of @seed, its ROC at @roc. */
static srtp_t
libsrtp_session (guint8 seed, guint32 roc)
{
  GstBuffer *kb = key_buffer (seed);
  GstMapInfo key_map;
  srtp_policy_t policy;
  srtp_t session = NULL;

  fail_unless (gst_buffer_map (kb, &key_map, GST_MAP_READ));
  memset (&policy, 0, sizeof (policy));
  srtp_crypto_policy_set_rtp_default (&policy.rtp);
  srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = SSRC;
  policy.key = key_map.data;
  policy.window_size = 128;
  fail_unless_equals_int (srtp_create (&session, &policy), srtp_err_status_ok);
  if (roc != 0)
    fail_unless_equals_int (srtp_set_stream_roc (session, SSRC, roc), srtp_err_status_ok);
  gst_buffer_unmap (kb, &key_map);
  gst_buffer_unref (kb);
  return session;
}

/* A packet of SSRC at sequence number @seq and ROC @roc under the key of
 * @seed, made with libsrtp2 directly; checked to authenticate at that ROC
 * and not at ROC 0. */
static GstBuffer *
forge_packet (guint8 seed, guint16 seq, guint32 roc)
{
  GstBuffer *buf;
  GstMapInfo map;
  srtp_t session = libsrtp_session (seed, roc);
  guint8 packet[12 + PAYLOAD_LEN + SRTP_MAX_TRAILER_LEN] = { 0x80, 0 };
  guint8 copy[sizeof (packet)];
  gint len = 12 + PAYLOAD_LEN, copy_len;

  GST_WRITE_UINT16_BE (packet + 2, seq);
  GST_WRITE_UINT32_BE (packet + 8, SSRC);
  fail_unless_equals_int (srtp_protect (session, packet, &len), srtp_err_status_ok);
  srtp_dealloc (session);
  session = libsrtp_session (seed, 0);
  memcpy (copy, packet, len);
  copy_len = len;
  fail_unless_equals_int (srtp_unprotect (session, copy, &copy_len), srtp_err_status_auth_fail);
  srtp_dealloc (session);
  session = libsrtp_session (seed, roc);
  memcpy (copy, packet, len);
  copy_len = len;
  fail_unless_equals_int (srtp_unprotect (session, copy, &copy_len), srtp_err_status_ok);
  srtp_dealloc (session);
  buf = gst_buffer_new_allocate (NULL, len, NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memcpy (map.data, packet, len);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* ------------------------------------------------------------------------- */
/* Tests                                                                      */
/* ------------------------------------------------------------------------- */

/* Stock srtpenc starts the new key at ROC 0; srtpsdesdec tries the
 * continued ROC (1), then 0, keeps 0 for the SSRC and counts the guess. A
 * forged packet under the new key at ROC 5 (no candidate: 1, 0, 2)
 * authenticates under none and is dropped. */
GST_START_TEST (test_stock_srtpenc_to_srtpsdesdec_across_rekey)
{
  GstHarness *enc = stock_enc_harness (1);
  GstHarness *dec = ours_dec_harness (1);
  GstBuffer *forge = forge_packet (2, (guint16) (FIRST_SEQ + REKEY_AT), 5);

  fail_unless_equals_int (run (enc, stock_enc_rekey, dec, ours_rekey, 2, forge), N_PACKETS);
  /* The forged packet: two guesses (0 and 2) after the continued ROC. */
  fail_unless_equals_uint64 (stat (dec->element, "roc-guesses"), 2 + 1);
  fail_unless_equals_uint64 (stat (dec->element, "roc-guess-hits"), 1);
  fail_unless_equals_uint64 (stat (dec->element, "auth-failures"), 1);
  fail_unless_equals_uint64 (stat (dec->element, "packets"), N_PACKETS);
  /* Packets 1000..1999 are seq 464..1463 at ROC 0. */
  fail_unless_equals_uint64 (stat (dec->element, "roc"), 0);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* rekey-roc=reset: the new key starts at ROC 0, as stock srtpdec expects
 * after clear-keys and request-key; the default (continue) loses every
 * packet after the rekey there. */
GST_START_TEST (test_srtpsdesenc_to_stock_srtpdec_across_rekey)
{
  GstHarness *enc = ours_enc_harness (3, "reset");
  GstHarness *dec = stock_dec_harness (3, 4);

  fail_unless_equals_int (run (enc, ours_rekey, dec, stock_dec_rekey_cb, 4, NULL), N_PACKETS);
  fail_unless_equals_uint64 (stat (enc->element, "roc"), 0);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);

  enc = ours_enc_harness (3, "continue");
  dec = stock_dec_harness (3, 4);
  fail_unless_equals_int (run (enc, ours_rekey, dec, stock_dec_rekey_cb, 4, NULL), REKEY_AT);
  fail_unless_equals_uint64 (stat (enc->element, "roc"), 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* Both ends ours: continue needs no guess, reset needs one. */
GST_START_TEST (test_srtpsdes_both_rekey_roc_modes_to_srtpsdesdec)
{
  const gchar *modes[] = { "continue", "reset" };

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++) {
    GstHarness *enc = ours_enc_harness (5, modes[m]);
    GstHarness *dec = ours_dec_harness (5);

    fail_unless_equals_int (run (enc, ours_rekey, dec, ours_rekey, 6, NULL), N_PACKETS);
    fail_unless_equals_uint64 (stat (dec->element, "roc-guess-hits"), m);
    fail_unless_equals_uint64 (stat (dec->element, "roc-guesses"), m);
    fail_unless_equals_uint64 (stat (dec->element, "roc"), 1 - m);
    fail_unless_equals_uint64 (stat (enc->element, "roc"), 1 - m);
    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
  }
}
GST_END_TEST;

/* rekey-roc=reset never resets under the same key material (RFC 3711
 * §9.1): the same a=crypto value set again keeps the ROC. */
GST_START_TEST (test_srtpsdesenc_reset_keeps_roc_for_the_same_key)
{
  GstHarness *enc = ours_enc_harness (7, "reset");
  GstHarness *dec = ours_dec_harness (7);

  fail_unless_equals_int (run (enc, ours_rekey, dec, ours_rekey, 7, NULL), N_PACKETS);
  fail_unless_equals_uint64 (stat (enc->element, "roc"), 1);
  fail_unless_equals_uint64 (stat (dec->element, "roc-guesses"), 0);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

static Suite *
srtpsdes_rekey_roc_suite (void)
{
  Suite *s = suite_create ("srtpsdes-rekey-roc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stock_srtpenc_to_srtpsdesdec_across_rekey);
  tcase_add_test (tc, test_srtpsdesenc_to_stock_srtpdec_across_rekey);
  tcase_add_test (tc, test_srtpsdes_both_rekey_roc_modes_to_srtpsdesdec);
  tcase_add_test (tc, test_srtpsdesenc_reset_keeps_roc_for_the_same_key);
  return s;
}

GST_CHECK_MAIN (srtpsdes_rekey_roc);
