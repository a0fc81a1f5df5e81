/* srtpsdes — SdesMediaBinding with real sessions, real pipelines, loopback UDP
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No SIP here: two or three SdesSession objects negotiate as caller and
 * forked callees, and the callees' send keys drive plain sender pipelines
 * (audiotestsrc ! mulawenc ! rtppcmupay ! srtpsdesenc ! udpsink) aimed at
 * the binding's RTP port. The binding is driven through sdes-phone's
 * pipeline (examples/phone-media.c), as the phone drives it.
 */

#include <gst/gst.h>

#include "phone-media.h"

#if defined(__SANITIZE_ADDRESS__)
/* A one-time allocation in a library constructor (_dl_init in lsan.supp) is
 * only matched with full stacks: GStreamer's plugins have no frame pointers.
 * ASAN_OPTIONS from the environment still override these defaults. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:malloc_context_size=40";
}
#endif

typedef struct {
  SdesSession *session;
  SdesLocalMedia *local;
  gchar *answer;
} Fork;

static void
run_for (guint ms)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (ms, (GSourceFunc) (void (*) (void)) g_main_loop_quit, loop);
  g_main_loop_run (loop);
}

static SdesSession *
new_session (void)
{
  SdesSession *s = sdes_session_new ();
  g_object_set (s, "policy", SDES_SRTP_POLICY_MANDATORY, "require-secure-signaling", FALSE, NULL);
  return s;
}

static void
fork_answer (Fork *f, guint port, const gchar *offer)
{
  g_autoptr (GError) error = NULL;
  guint status = 0;
  g_autofree gchar *warning = NULL;
  guint stream;

  f->session = new_session ();
  f->local = sdes_local_media_new ("127.0.0.1");
  stream = sdes_local_media_add_stream (f->local, SDES_MEDIA_TYPE_AUDIO, port);
  sdes_local_media_add_codec (f->local, stream, 0, "PCMU", 8000, 1, NULL);
  f->answer = sdes_session_process_offer (f->session, f->local, offer, &status, &warning, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->answer);
}

/* A sender keyed with the fork's own send key, aimed at @port. */
static GstElement *
start_sender (Fork *f, guint ssrc, gdouble freq, guint port)
{
  g_autoptr (GPtrArray) media = sdes_session_get_media (f->session, NULL);
  const SdesMediaDescription *d;
  g_autofree gchar *key = NULL;
  g_autofree gchar *desc = NULL;
  g_autoptr (GError) error = NULL;
  GstElement *pipeline, *enc;

  g_assert_nonnull (media);
  d = g_ptr_array_index (media, 0);
  g_assert_true (d->secure);
  desc = g_strdup_printf ("audiotestsrc is-live=true freq=%.0f samplesperbuffer=160 ! "
                          "audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay ssrc=%u ! "
                          "srtpsdesenc name=enc ! udpsink host=127.0.0.1 port=%u sync=false async=false",
                          freq, ssrc, port);
  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  enc = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  key = sdes_crypto_attr_format (d->local_crypto);
  g_object_set (enc, "crypto", key, NULL);
  gst_object_unref (enc);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  return pipeline;
}

static void
fork_clear (Fork *f)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->local, sdes_local_media_unref);
  g_clear_pointer (&f->answer, g_free);
}

/* Each fork's early media decrypts at once (add-crypto per To-tag); the
 * 2xx winner keeps its key and the loser's packets become counted
 * unknown-key drops, never a failure of the call. */
static void
test_forked_early_media_then_winner (void)
{
  g_autoptr (PhoneMedia) binding = phone_media_new ("127.0.0.1");
  g_autoptr (SdesLocalMedia) local = NULL;
  g_autoptr (SdesSession) caller = new_session ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL;
  g_autoptr (GPtrArray) early1 = NULL, early2 = NULL, final = NULL;
  Fork f1 = { 0 }, f2 = { 0 };
  GstElement *s1, *s2;
  SdesMediaStats st0, st1, st2;
  guint port = 0;

  g_object_set (binding, "tone", 0.0, NULL);
  local = phone_media_prepare (binding, &error);
  g_assert_no_error (error);
  g_object_get (binding, "rtp-port", &port, NULL);
  g_assert_cmpuint (port % 2, ==, 0);

  offer = sdes_session_create_offer (caller, local, &error);
  g_assert_no_error (error);
  fork_answer (&f1, 40010, offer);
  fork_answer (&f2, 40020, offer);
  g_assert_true (sdes_session_process_answer (caller, "fork-1", f1.answer, &error));
  g_assert_true (sdes_session_process_answer (caller, "fork-2", f2.answer, &error));
  early1 = sdes_session_get_media (caller, "fork-1");
  early2 = sdes_session_get_media (caller, "fork-2");
  g_assert_false (sdes_crypto_attr_same_keys (
      ((SdesMediaDescription *) g_ptr_array_index (early1, 0))->remote_crypto,
      ((SdesMediaDescription *) g_ptr_array_index (early2, 0))->remote_crypto));

  g_assert_true (phone_media_add_early (binding, "fork-1", early1, &error));
  g_assert_no_error (error);
  g_assert_true (phone_media_add_early (binding, "fork-2", early2, &error));
  g_assert_no_error (error);

  s1 = start_sender (&f1, 0x1111, 440, port);
  s2 = start_sender (&f2, 0x2222, 880, port);
  run_for (1500);
  phone_media_get_stats (binding, &st1);
  /* Both forks at 50 packets/s for ~1.5 s authenticate. */
  g_assert_cmpuint (st1.packets_received, >, 100);
  g_assert_cmpuint (st1.unknown_key_drops, ==, 0);
  g_assert_cmpuint (st1.auth_failures, ==, 0);
  g_assert_cmpuint (st1.secure_streams, >=, 1);

  /* fork-1 answers 200 OK: the caller confirms it, the binding applies it. */
  g_assert_true (sdes_session_confirm_dialog (caller, "fork-1", &error));
  g_assert_no_error (error);
  final = sdes_session_get_media (caller, "fork-1");
  g_assert_true (phone_media_apply (binding, final, &error));
  g_assert_no_error (error);
  phone_media_get_stats (binding, &st0);
  run_for (1500);
  phone_media_get_stats (binding, &st2);
  /* Only the winner still authenticates (~75 packets); the loser's ~75
   * are dropped and counted. */
  g_assert_cmpuint (st2.packets_received - st0.packets_received, >, 40);
  g_assert_cmpuint (st2.packets_received - st0.packets_received, <, 110);
  g_assert_cmpuint (st2.unknown_key_drops, >, 40);
  g_assert_cmpuint (st2.auth_failures, ==, 0);

  gst_element_set_state (s1, GST_STATE_NULL);
  gst_element_set_state (s2, GST_STATE_NULL);
  gst_object_unref (s1);
  gst_object_unref (s2);
  phone_media_stop (binding);
  fork_clear (&f1);
  fork_clear (&f2);
}

/* A caller and a callee binding talking to each other: keys from a real
 * offer/answer, the tone comes out at 440 Hz, hold stops the sender. */
static void
test_two_bindings_call_and_hold (void)
{
  g_autoptr (PhoneMedia) a = phone_media_new ("127.0.0.1");
  g_autoptr (PhoneMedia) b = phone_media_new ("127.0.0.1");
  g_autoptr (SdesLocalMedia) la = NULL, lb = NULL;
  g_autoptr (SdesSession) sa = new_session (), sb = new_session ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL, *answer = NULL, *hold = NULL, *hold_answer = NULL;
  g_autoptr (GPtrArray) ma = NULL, mb = NULL, ha = NULL, hb = NULL;
  g_autofree gchar *warning = NULL;
  guint status = 0;
  SdesMediaStats a1, b1, a2, b2;

  g_object_set (b, "tone", 880.0, NULL);
  la = phone_media_prepare (a, &error);
  g_assert_no_error (error);
  lb = phone_media_prepare (b, &error);
  g_assert_no_error (error);

  offer = sdes_session_create_offer (sa, la, &error);
  g_assert_no_error (error);
  answer = sdes_session_process_offer (sb, lb, offer, &status, &warning, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (sa, "b", answer, &error));
  g_assert_true (sdes_session_confirm_dialog (sa, "b", &error));
  ma = sdes_session_get_media (sa, "b");
  mb = sdes_session_get_media (sb, NULL);
  g_assert_true (phone_media_apply (a, ma, &error));
  g_assert_true (phone_media_apply (b, mb, &error));
  g_assert_no_error (error);

  run_for (2000);
  phone_media_get_stats (a, &a1);
  phone_media_get_stats (b, &b1);
  g_assert_cmpuint (a1.packets_received, >, 50);
  g_assert_cmpuint (b1.packets_received, >, 50);
  g_assert_cmpuint (a1.auth_failures + b1.auth_failures, ==, 0);
  g_assert_cmpfloat_with_epsilon (phone_media_get_dominant_frequency (a), 880.0, 10.0);
  g_assert_cmpfloat_with_epsilon (phone_media_get_dominant_frequency (b), 440.0, 10.0);

  /* a holds: a re-offer with sendonly; b answers recvonly and stops sending. */
  sdes_local_media_set_direction (la, 0, SDES_DIRECTION_SENDONLY);
  hold = sdes_session_create_offer (sa, la, &error);
  g_assert_no_error (error);
  g_clear_pointer (&warning, g_free);
  hold_answer = sdes_session_process_offer (sb, lb, hold, &status, &warning, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (sa, "b", hold_answer, &error));
  ha = sdes_session_get_media (sa, "b");
  hb = sdes_session_get_media (sb, NULL);
  g_assert_false (((SdesMediaDescription *) g_ptr_array_index (ha, 0))->local_key_changed);
  g_assert_true (phone_media_apply (a, ha, &error));
  g_assert_true (phone_media_apply (b, hb, &error));
  run_for (300);   /* packets in flight and in the jitter buffer drain */
  phone_media_get_stats (a, &a1);
  phone_media_get_stats (b, &b1);
  run_for (1500);
  phone_media_get_stats (a, &a2);
  phone_media_get_stats (b, &b2);
  /* b keeps receiving a's audio; a receives nothing while held. */
  g_assert_cmpuint (b2.packets_received - b1.packets_received, >, 40);
  g_assert_cmpuint (a2.packets_received - a1.packets_received, ==, 0);

  phone_media_stop (a);
  phone_media_stop (b);
}

/* RFC 5761: with rtcp-mux on both bindings, RTCP travels on
 * the RTP port both ways (the RTCP sockets get nothing: there is no reader
 * on them, yet RTCP is counted as authenticated by srtpsdesdec on its RTP
 * pad, or as delivered into rtpbin for RTP); with it on one side only, the
 * call keeps separate RTCP ports. @data: policy of both sessions. */
static void
test_rtcp_mux (gconstpointer data)
{
  SdesSrtpPolicy policy = GPOINTER_TO_INT (data);

  for (guint only_one = 0; only_one < 2; only_one++) {
    g_autoptr (PhoneMedia) a = phone_media_new ("127.0.0.1");
    g_autoptr (PhoneMedia) b = phone_media_new ("127.0.0.1");
    g_autoptr (SdesLocalMedia) la = NULL, lb = NULL;
    g_autoptr (SdesSession) sa = new_session (), sb = new_session ();
    g_autoptr (GError) error = NULL;
    g_autofree gchar *offer = NULL, *answer = NULL, *warning = NULL;
    g_autoptr (GPtrArray) ma = NULL, mb = NULL;
    const SdesMediaDescription *da, *db;
    guint status = 0;
    SdesMediaStats as, bs;

    g_object_set (sa, "policy", policy, NULL);
    g_object_set (sb, "policy", policy, NULL);
    g_object_set (a, "rtcp-mux", TRUE, NULL);
    g_object_set (b, "rtcp-mux", !only_one, NULL);
    la = phone_media_prepare (a, &error);
    g_assert_no_error (error);
    lb = phone_media_prepare (b, &error);
    g_assert_no_error (error);
    offer = sdes_session_create_offer (sa, la, &error);
    g_assert_no_error (error);
    /* RFC 5761 §5.1.1: mux offered; the RTCP socket (RTP port + 1, the
     * RFC 3550 default, so no a=rtcp) stays bound for a peer that declines. */
    g_assert_nonnull (strstr (offer, "a=rtcp-mux\r\n"));
    answer = sdes_session_process_offer (sb, lb, offer, &status, &warning, &error);
    g_assert_no_error (error);
    g_assert_true ((strstr (answer, "a=rtcp-mux\r\n") != NULL) == !only_one);
    g_assert_true (sdes_session_process_answer (sa, "b", answer, &error));
    g_assert_true (sdes_session_confirm_dialog (sa, "b", &error));
    ma = sdes_session_get_media (sa, "b");
    mb = sdes_session_get_media (sb, NULL);
    da = g_ptr_array_index (ma, 0);
    db = g_ptr_array_index (mb, 0);
    g_assert_true (da->rtcp_mux == !only_one && db->rtcp_mux == !only_one);
    if (!only_one)
      g_assert_cmpuint (da->remote_rtcp_port, ==, da->remote_port);
    g_assert_true (phone_media_apply (a, ma, &error));
    g_assert_true (phone_media_apply (b, mb, &error));
    g_assert_no_error (error);

    /* rtpbin sends its first RTCP within a few seconds. */
    for (guint i = 0; i < 60; i++) {
      run_for (100);
      phone_media_get_stats (a, &as);
      phone_media_get_stats (b, &bs);
      if (as.rtcp_received > 0 && bs.rtcp_received > 0 && as.rtcp_sent > 0 && i >= 20)
        break;
    }
    g_assert_cmpuint (as.rtcp_received, >, 0);
    g_assert_cmpuint (bs.rtcp_received, >, 0);
    g_assert_cmpuint (as.rtcp_sent, >, 0);
    g_assert_cmpuint (as.packets_received, >, 50);
    g_assert_cmpuint (bs.packets_received, >, 50);
    g_assert_cmpuint (as.auth_failures + bs.auth_failures, ==, 0);
    g_assert_cmpfloat_with_epsilon (phone_media_get_dominant_frequency (b), 440.0, 10.0);
    phone_media_stop (a);
    phone_media_stop (b);
  }
}

static gboolean
rtcp_mux_of (GPtrArray *media)
{
  return ((SdesMediaDescription *) g_ptr_array_index (media, 0))->rtcp_mux;
}

/* RFC 5761 §5.1.1: a re-offer adds (data = TRUE) or drops a=rtcp-mux in a
 * call with SRTP media. RTCP moves to (from) the RTP port on both sides,
 * SRTCP authenticates on the new port with the same key, and RTP goes on:
 * at most 2 packets missing from either receiver's sequence. */
static void
test_rtcp_mux_follows_reoffer (gconstpointer data)
{
  gboolean add = GPOINTER_TO_INT (data);
  g_autoptr (PhoneMedia) a = phone_media_new ("127.0.0.1");
  g_autoptr (PhoneMedia) b = phone_media_new ("127.0.0.1");
  g_autoptr (SdesLocalMedia) la = NULL, lb = NULL, la2 = NULL;
  g_autoptr (SdesSession) sa = new_session (), sb = new_session ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *offer = NULL, *answer = NULL, *reoffer = NULL, *reanswer = NULL;
  g_autofree gchar *warning = NULL, *warning2 = NULL;
  g_autoptr (GPtrArray) ma = NULL, mb = NULL, ua = NULL, ub = NULL;
  const SdesMediaDescription *da;
  guint status = 0, a_new0, b_new0, a_new = 0, b_new = 0, a_old, b_old, a_port = 0, b_port = 0;
  SdesMediaStats as0, bs0, as1, bs1;

  g_object_set (a, "rtcp-mux", !add, NULL);
  g_object_set (b, "rtcp-mux", TRUE, NULL);
  la = phone_media_prepare (a, &error);
  g_assert_no_error (error);
  lb = phone_media_prepare (b, &error);
  g_assert_no_error (error);
  offer = sdes_session_create_offer (sa, la, &error);
  answer = sdes_session_process_offer (sb, lb, offer, &status, &warning, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (sa, "b", answer, &error));
  g_assert_true (sdes_session_confirm_dialog (sa, "b", &error));
  ma = sdes_session_get_media (sa, "b");
  mb = sdes_session_get_media (sb, NULL);
  g_assert_true (rtcp_mux_of (ma) == !add && rtcp_mux_of (mb) == !add);
  g_assert_true (phone_media_apply (a, ma, &error));
  g_assert_true (phone_media_apply (b, mb, &error));
  g_assert_no_error (error);
  run_for (1500);

  /* a re-offers the same media with rtcp-mux the other way. */
  g_object_set (a, "rtcp-mux", add, NULL);
  la2 = phone_media_describe (a, &error);
  g_assert_no_error (error);
  reoffer = sdes_session_create_offer (sa, la2, &error);
  g_assert_no_error (error);
  g_assert_true ((strstr (reoffer, "a=rtcp-mux\r\n") != NULL) == add);
  reanswer = sdes_session_process_offer (sb, lb, reoffer, &status, &warning2, &error);
  g_assert_no_error (error);
  g_assert_true (sdes_session_process_answer (sa, "b", reanswer, &error));
  ua = sdes_session_get_media (sa, "b");
  ub = sdes_session_get_media (sb, NULL);
  da = g_ptr_array_index (ua, 0);
  g_assert_true (da->rtcp_mux == add && rtcp_mux_of (ub) == add);
  g_assert_true (da->rtcp_changed);
  g_assert_false (da->local_key_changed || da->remote_key_changed);
  phone_media_get_stats (a, &as0);
  phone_media_get_stats (b, &bs0);
  phone_media_get_rtcp_ports (a, add ? &a_new0 : &a_old, add ? &a_old : &a_new0);
  phone_media_get_rtcp_ports (b, add ? &b_new0 : &b_old, add ? &b_old : &b_new0);
  g_assert_true (phone_media_apply (a, ua, &error));
  g_assert_true (phone_media_apply (b, ub, &error));
  g_assert_no_error (error);

  /* rtpbin's RTCP interval is 2.5-7.5 s. */
  for (guint i = 0; i < 120 && (a_new <= a_new0 || b_new <= b_new0 || i < 20); i++) {
    run_for (100);
    phone_media_get_rtcp_ports (a, add ? &a_new : &a_old, add ? &a_old : &a_new);
    phone_media_get_rtcp_ports (b, add ? &b_new : &b_old, add ? &b_old : &b_new);
  }
  phone_media_get_stats (a, &as1);
  phone_media_get_stats (b, &bs1);
  g_assert_cmpuint (a_new, >, a_new0);
  g_assert_cmpuint (b_new, >, b_new0);
  g_assert_cmpuint (as1.packets_received - as0.packets_received, >, 80);
  g_assert_cmpuint (bs1.packets_received - bs0.packets_received, >, 80);
  g_assert_cmpuint (phone_media_get_rtp_lost (a), <=, 2);
  g_assert_cmpuint (phone_media_get_rtp_lost (b), <=, 2);
  g_assert_cmpuint (as1.auth_failures + bs1.auth_failures + as1.invalid_drops + bs1.invalid_drops,
                    ==, 0);
  g_assert_cmpuint (as1.rekeys + bs1.rekeys, ==, 0);
  /* Each side's last SRTCP left by the socket the new layout says: the
   * peer's RTP socket with mux, its RTCP socket without. */
  g_object_get (a, "rtp-port", &a_port, NULL);
  g_object_get (b, "rtp-port", &b_port, NULL);
  g_assert_cmpuint (phone_media_get_rtcp_source_port (b), ==, add ? a_port : a_port + 1);
  g_assert_cmpuint (phone_media_get_rtcp_source_port (a), ==, add ? b_port : b_port + 1);
  g_test_message ("after the switch: a %u, b %u SRTCP on the new port; RTP lost %u / %u",
                  a_new - a_new0, b_new - b_new0, phone_media_get_rtp_lost (a),
                  phone_media_get_rtp_lost (b));
  phone_media_stop (a);
  phone_media_stop (b);
}

/* The installed binding alone, on a pipeline of the application's own
 * (what a GI program does): first-media builds it, the binding keys and
 * aims it and starts it. */
typedef struct {
  GSocket *socket;
  GstElement *pipeline;
} OwnPipeline;

static void
build_own_pipeline (SdesMediaBinding *binding, SdesMediaDescription *desc, OwnPipeline *own)
{
  g_autoptr (GError) error = NULL;
  GstElement *in, *enc, *dec, *out, *valve;

  g_assert_true (desc->secure);
  own->pipeline = gst_parse_launch (
      "udpsrc name=in caps=\"application/x-srtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0\" "
      "! srtpsdesdec name=dec ! rtppcmudepay ! fakesink sync=false async=false "
      "audiotestsrc is-live=true samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! mulawenc "
      "! rtppcmupay ! valve name=valve ! srtpsdesenc name=enc ! udpsink name=out sync=false async=false",
      &error);
  g_assert_no_error (error);
  in = gst_bin_get_by_name (GST_BIN (own->pipeline), "in");
  g_object_set (in, "socket", own->socket, "close-socket", FALSE, NULL);
  enc = gst_bin_get_by_name (GST_BIN (own->pipeline), "enc");
  dec = gst_bin_get_by_name (GST_BIN (own->pipeline), "dec");
  out = gst_bin_get_by_name (GST_BIN (own->pipeline), "out");
  valve = gst_bin_get_by_name (GST_BIN (own->pipeline), "valve");
  g_object_set (binding, "pipeline", own->pipeline, "encoder", enc, "decoder", dec,
                "rtp-sink", out, "valve", valve, NULL);
  gst_object_unref (in);
  gst_object_unref (enc);
  gst_object_unref (dec);
  gst_object_unref (out);
  gst_object_unref (valve);
}

static void
send_junk (guint port, guint8 first_byte, guint count)
{
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (lo, (guint16) port);
  guint8 junk[40] = { 0 };

  junk[0] = first_byte;
  for (guint i = 0; i < count; i++) {
    junk[11] = (guint8) i;   /* another SSRC each time */
    g_assert_cmpint (g_socket_send_to (sock, to, (const gchar *) junk, sizeof junk, NULL, NULL),
                     ==, sizeof junk);
  }
}

static void
on_secure_media_count (SdesMediaBinding *binding, const gchar *suite, guint tag, guint *count)
{
  (*count)++;
}

/* Every drop counter reaches SdesMediaStats: datagrams that are not SRTP at
 * all are invalid drops, RTP-looking junk of unknown SSRCs unknown-key
 * drops; the call's own packets still authenticate. */
static void
test_own_pipeline_counts_every_drop (void)
{
  g_autoptr (SdesMediaBinding) binding = sdes_media_binding_new ();
  g_autoptr (SdesSession) caller = new_session ();
  g_autoptr (SdesLocalMedia) local = sdes_local_media_new ("127.0.0.1");
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) media = NULL;
  g_autofree gchar *offer = NULL;
  OwnPipeline own = { 0 };
  Fork f = { 0 };
  GstElement *sender, *out;
  SdesMediaStats st0, st1, st2;
  guint port, stream, secure = 0;
  gint out_port = 0;

  own.socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                             &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (own.socket, any, FALSE, &error));
  bound = g_socket_get_local_address (own.socket, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  stream = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, port);
  sdes_local_media_add_codec (local, stream, 0, "PCMU", 8000, 1, NULL);
  offer = sdes_session_create_offer (caller, local, &error);
  g_assert_no_error (error);
  fork_answer (&f, 40030, offer);
  g_assert_true (sdes_session_process_answer (caller, "b", f.answer, &error));
  g_assert_true (sdes_session_confirm_dialog (caller, "b", &error));
  media = sdes_session_get_media (caller, "b");

  g_signal_connect (binding, "first-media", G_CALLBACK (build_own_pipeline), &own);
  g_signal_connect (binding, "secure-media", G_CALLBACK (on_secure_media_count), &secure);
  g_assert_true (sdes_media_binding_apply (binding, media, &error));
  g_assert_no_error (error);
  out = gst_bin_get_by_name (GST_BIN (own.pipeline), "out");
  g_object_get (out, "port", &out_port, NULL);
  g_assert_cmpint (out_port, ==, 40030);
  gst_object_unref (out);

  sender = start_sender (&f, 0x3333, 440, port);
  run_for (1500);
  sdes_media_binding_get_stats (binding, &st0);
  g_assert_cmpuint (st0.packets_received, >, 40);
  g_assert_cmpuint (st0.packets_sent, >, 40);
  g_assert_cmpuint (secure, ==, 1);
  g_assert_cmpuint (st0.invalid_drops + st0.unknown_key_drops + st0.auth_failures, ==, 0);

  send_junk (port, 0x00, 50);   /* not RTP version 2 */
  run_for (500);
  sdes_media_binding_get_stats (binding, &st1);
  g_assert_cmpuint (st1.invalid_drops, ==, 50);
  g_assert_cmpuint (st1.unknown_key_drops, ==, 0);

  send_junk (port, 0x80, 30);   /* RTP-looking, 30 unknown SSRCs, no valid tag */
  run_for (500);
  sdes_media_binding_get_stats (binding, &st2);
  g_assert_cmpuint (st2.invalid_drops, ==, 50);
  g_assert_cmpuint (st2.unknown_key_drops, ==, 30);
  g_assert_cmpuint (st2.auth_failures + st2.replay_drops + st2.limit_drops + st2.send_drops, ==, 0);
  g_assert_cmpuint (st2.packets_received, >, st0.packets_received);

  sdes_media_binding_stop (binding);
  gst_element_set_state (sender, GST_STATE_NULL);
  gst_object_unref (sender);
  gst_element_set_state (own.pipeline, GST_STATE_NULL);
  gst_object_unref (own.pipeline);
  g_object_unref (own.socket);
  fork_clear (&f);
}

/* A secure stream and nothing to key: a GError, not a call in the clear. */
static void
test_secure_stream_without_elements_fails (void)
{
  g_autoptr (SdesMediaBinding) binding = sdes_media_binding_new ();
  g_autoptr (SdesSession) caller = new_session ();
  g_autoptr (SdesLocalMedia) local = sdes_local_media_new ("127.0.0.1");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) media = NULL;
  g_autofree gchar *offer = NULL;
  Fork f = { 0 };
  guint stream;

  stream = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, 40040);
  sdes_local_media_add_codec (local, stream, 0, "PCMU", 8000, 1, NULL);
  offer = sdes_session_create_offer (caller, local, &error);
  fork_answer (&f, 40050, offer);
  g_assert_true (sdes_session_process_answer (caller, "b", f.answer, &error));
  g_assert_true (sdes_session_confirm_dialog (caller, "b", &error));
  media = sdes_session_get_media (caller, "b");
  g_assert_false (sdes_media_binding_apply (binding, media, &error));
  g_assert_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_MISSING_ELEMENT);
  fork_clear (&f);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/binding/forked-early-media-then-winner-peers-2.3",
                   test_forked_early_media_then_winner);
  g_test_add_func ("/media/binding/two-bindings-call-and-hold", test_two_bindings_call_and_hold);
  g_test_add_data_func ("/media/binding/rtcp-mux-peers-2.13/srtp",
                        GINT_TO_POINTER (SDES_SRTP_POLICY_MANDATORY), test_rtcp_mux);
  g_test_add_data_func ("/media/binding/rtcp-mux-peers-2.13/rtp",
                        GINT_TO_POINTER (SDES_SRTP_POLICY_OFF), test_rtcp_mux);
  g_test_add_data_func ("/media/binding/rtcp-mux-follows-reoffer/added", GINT_TO_POINTER (TRUE),
                        test_rtcp_mux_follows_reoffer);
  g_test_add_data_func ("/media/binding/rtcp-mux-follows-reoffer/dropped", GINT_TO_POINTER (FALSE),
                        test_rtcp_mux_follows_reoffer);
  g_test_add_func ("/media/binding/own-pipeline-counts-every-drop",
                   test_own_pipeline_counts_every_drop);
  g_test_add_func ("/media/binding/secure-stream-without-elements-fails",
                   test_secure_stream_without_elements_fails);
  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
