/* srtpsdes — sdes-phone: a small SIP phone with SDES-SRTP media
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One process, one call: either `--call URI` or `--answer`. Signalling is the
 * srtpsdes agent (Sofia-SIP on the GLib main loop), media is a GStreamer
 * pipeline with srtpsdesenc/srtpsdesdec driven by SdesMediaBinding. Keys are
 * never printed; `--json` prints one JSON object per event on stdout.
 *
 * Exit status: 0 when the call did what was asked (connected, lasted, held
 * and resumed if asked, media received with no authentication failure, and
 * secure when --srtp mandatory); 1 otherwise, with the reason on stderr.
 */

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "sdes-agent.h"
#include "sdes-engine.h"
#include "sdes-media-binding.h"

typedef struct {
  GMainLoop *loop;
  SdesAgent *agent;
  SdesCall *call;
  SdesMediaBinding *media;
  gboolean json;

  /* what was asked */
  gchar *call_uri;
  gboolean answer;
  gdouble duration;
  gdouble hold_after;
  gdouble resume_after;
  SdesSrtpPolicy policy;

  /* what happened */
  gboolean connected;
  gboolean held;
  gboolean resumed;
  gboolean secure_call;
  gboolean secure_media;
  gchar *suite;
  guint tag;
  gchar *profile;
  guint end_status;
  gchar *end_reason;
  gchar *failure;
  guint64 received_before_hold;
  guint64 received_at_hold;
  guint64 received_at_resume;
  guint timers[3];
} Phone;

static void
emit (Phone *p, const gchar *event, const gchar *fmt, ...) G_GNUC_PRINTF (3, 4);

/* One event: a JSON object per line with --json, else a readable line. The
 * fields never contain key material: they come from redacted or non-key
 * values only. */
static void
emit (Phone *p, const gchar *event, const gchar *fmt, ...)
{
  g_autofree gchar *fields = NULL;
  va_list ap;

  if (fmt) {
    va_start (ap, fmt);
    fields = g_strdup_vprintf (fmt, ap);
    va_end (ap);
  }
  if (p->json) {
    g_print ("{\"event\":\"%s\"%s%s}\n", event, fields ? "," : "", fields ? fields : "");
  } else {
    g_autofree gchar *plain = fields ? g_strdelimit (g_strdup (fields), "\"{}", ' ') : NULL;
    g_print ("sdes-phone: %-12s %s\n", event, plain ? plain : "");
  }
}

static const gchar *
state_name (SdesCallState s)
{
  static const gchar *names[] = { "idle", "calling", "early", "incoming", "active", "ended" };
  return (guint) s < G_N_ELEMENTS (names) ? names[s] : "unknown";
}

static const gchar *
direction_name (SdesDirection d)
{
  static const gchar *names[] = { "inactive", "sendonly", "recvonly", "sendrecv" };
  return (guint) d < G_N_ELEMENTS (names) ? names[d] : "unknown";
}

/* The signaling transport of the call: what Cisco Table 44 calls secure. */
static const gchar *
signaling_transport (const gchar *uri)
{
  if (uri == NULL)
    return "unknown";
  if (g_str_has_prefix (uri, "sips:") || strstr (uri, "transport=tls"))
    return "tls";
  if (strstr (uri, "transport=tcp"))
    return "tcp";
  return "udp";
}

static void
fail (Phone *p, const gchar *why)
{
  if (p->failure == NULL)
    p->failure = g_strdup (why);
}

static void
on_state (SdesCall *call, SdesCallState state, Phone *p)
{
  emit (p, "state", "\"state\":\"%s\"", state_name (state));
  if (state == SDES_CALL_STATE_ACTIVE)
    p->connected = TRUE;
}

static void
describe_media (Phone *p, const gchar *event, GPtrArray *media)
{
  for (guint i = 0; media && i < media->len; i++) {
    const SdesMediaDescription *d = g_ptr_array_index (media, i);
    if (!d->active)
      continue;
    g_free (p->profile);
    p->profile = g_strdup (d->profile);
    if (d->secure && d->local_crypto) {
      g_free (p->suite);
      p->suite = g_strdup (d->local_crypto->suite_name);
      p->tag = d->local_crypto->tag;
    }
    emit (p, event,
          "\"m\":%u,\"transport\":\"%s\",\"secure\":%s,\"suite\":\"%s\",\"tag\":%u,"
          "\"direction\":\"%s\",\"codec\":\"%s/%u\",\"remote\":\"%s:%u\","
          "\"rtcp_mux\":%s,\"local_key_changed\":%s,\"remote_key_changed\":%s",
          d->index, d->profile ? d->profile : "", d->secure ? "true" : "false",
          d->secure && d->local_crypto ? d->local_crypto->suite_name : "",
          d->secure && d->local_crypto ? d->local_crypto->tag : 0,
          direction_name (d->direction), d->encoding_name ? d->encoding_name : "",
          d->clock_rate, d->remote_address ? d->remote_address : "", d->remote_port,
          d->rtcp_mux ? "true" : "false", d->local_key_changed ? "true" : "false", d->remote_key_changed ? "true" : "false");
  }
}

static void
on_media_ready (SdesCall *call, GPtrArray *media, Phone *p)
{
  describe_media (p, "media", media);
}

static void
on_media_updated (SdesCall *call, GPtrArray *media, Phone *p)
{
  describe_media (p, "media-update", media);
  for (guint i = 0; media && i < media->len; i++) {
    const SdesMediaDescription *d = g_ptr_array_index (media, i);
    if (d->active && (d->local_key_changed || d->remote_key_changed))
      emit (p, "rekey", "\"m\":%u,\"local\":%s,\"remote\":%s", d->index,
            d->local_key_changed ? "true" : "false", d->remote_key_changed ? "true" : "false");
  }
}

static void
on_secure_changed (SdesCall *call, gboolean secure, Phone *p)
{
  p->secure_call = secure;
  emit (p, "secure", "\"signalled\":%s", secure ? "true" : "false");
}

static void
on_secure_media (SdesMediaBinding *media, const gchar *suite, guint tag, Phone *p)
{
  p->secure_media = TRUE;
  emit (p, "secure-media", "\"suite\":\"%s\",\"tag\":%u", suite ? suite : "", tag);
}

static guint64
received_now (Phone *p)
{
  SdesMediaStats st;
  sdes_media_binding_get_stats (p->media, &st);
  return st.packets_received;
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, Phone *p)
{
  p->end_status = status;
  g_free (p->end_reason);
  p->end_reason = g_strdup (reason);
  emit (p, "ended", "\"status\":%u,\"reason\":\"%s\"", status, reason ? reason : "");
  g_main_loop_quit (p->loop);
}

static gboolean
do_hold (gpointer data)
{
  Phone *p = data;
  g_autoptr (GError) error = NULL;

  p->timers[0] = 0;
  p->received_at_hold = received_now (p);
  if (p->call && sdes_call_hold (p->call, &error)) {
    p->held = TRUE;
    emit (p, "hold", NULL);
  } else {
    fail (p, error ? error->message : "hold failed");
  }
  return G_SOURCE_REMOVE;
}

static gboolean
do_resume (gpointer data)
{
  Phone *p = data;
  g_autoptr (GError) error = NULL;

  p->timers[1] = 0;
  if (p->call && sdes_call_resume (p->call, &error)) {
    p->resumed = TRUE;
    p->received_at_resume = received_now (p);
    emit (p, "resume", NULL);
  } else {
    fail (p, error ? error->message : "resume failed");
  }
  return G_SOURCE_REMOVE;
}

static gboolean
do_hangup (gpointer data)
{
  Phone *p = data;
  g_autoptr (GError) error = NULL;

  p->timers[2] = 0;
  if (p->call == NULL || !sdes_call_hangup (p->call, &error)) {
    if (p->call == NULL)
      fail (p, "no call within the duration");
    g_main_loop_quit (p->loop);
  }
  return G_SOURCE_REMOVE;
}

static void
follow_call (Phone *p, SdesCall *call)
{
  p->call = g_object_ref (call);
  sdes_media_binding_attach_call (p->media, call);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (call, "media-ready", G_CALLBACK (on_media_ready), p);
  g_signal_connect (call, "media-updated", G_CALLBACK (on_media_updated), p);
  g_signal_connect (call, "secure-changed", G_CALLBACK (on_secure_changed), p);
  g_signal_connect (call, "ended", G_CALLBACK (on_ended), p);
  if (p->hold_after > 0)
    p->timers[0] = g_timeout_add ((guint) (p->hold_after * 1000), do_hold, p);
  if (p->resume_after > 0)
    p->timers[1] = g_timeout_add ((guint) (p->resume_after * 1000), do_resume, p);
}

static void
on_incoming (SdesAgent *agent, SdesCall *call, Phone *p)
{
  g_autoptr (GError) error = NULL;

  if (p->call != NULL) {
    sdes_call_reject (call, 486, "Busy Here", NULL);
    return;
  }
  emit (p, "incoming", "\"from\":\"%s\",\"signaling\":\"%s\"", sdes_call_get_remote_uri (call),
        signaling_transport (sdes_call_get_remote_uri (call)));
  follow_call (p, call);
  if (!sdes_call_accept (call, &error)) {
    fail (p, error->message);
    g_main_loop_quit (p->loop);
  }
}

/* The transports are bound: the contact (with its real port) is known. */
static void
on_ready (SdesAgent *agent, Phone *p)
{
  guint rtp_port = 0;

  g_object_get (p->media, "rtp-port", &rtp_port, NULL);
  emit (p, "started", "\"contact\":\"%s\",\"rtp_port\":%u",
        sdes_agent_get_contact (agent), rtp_port);
}

static SdesSrtpPolicy
parse_policy (const gchar *s, gboolean *ok)
{
  *ok = TRUE;
  if (g_strcmp0 (s, "off") == 0)
    return SDES_SRTP_POLICY_OFF;
  if (g_strcmp0 (s, "optional") == 0)
    return SDES_SRTP_POLICY_OPTIONAL;
  if (g_strcmp0 (s, "mandatory") == 0)
    return SDES_SRTP_POLICY_MANDATORY;
  *ok = FALSE;
  return SDES_SRTP_POLICY_OPTIONAL;
}

static gchar *
media_address_from (gchar **binds)
{
  /* The host of the first bind URI: "sip:127.0.0.1:5060;transport=udp". */
  const gchar *uri = binds && binds[0] ? binds[0] : "sip:127.0.0.1";
  const gchar *host = strchr (uri, ':');
  g_autofree gchar *h = NULL;
  gchar *end;

  host = host ? host + 1 : uri;
  if (*host == '[') {
    h = g_strdup (host + 1);
    if ((end = strchr (h, ']')))
      *end = '\0';
  } else {
    h = g_strdup (host);
    h[strcspn (h, ":;>")] = '\0';
  }
  return g_steal_pointer (&h);
}

int
main (int argc, char **argv)
{
  Phone p = { 0 };
  g_auto (GStrv) binds = NULL, suites = NULL, codecs = NULL;
  g_autofree gchar *tls_cert = NULL, *tls_key = NULL, *ca = NULL, *srtp = NULL,
      *offer = NULL, *record = NULL, *media_address = NULL, *identity = NULL,
      *dump = NULL;
  gboolean no_verify = FALSE, allow_insecure = FALSE, play = FALSE, rtcp_mux = FALSE;
  gdouble tone = 440.0;
  GOptionEntry entries[] = {
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &binds, "SIP URI to bind (repeatable): sip:127.0.0.1:5060;transport=udp, sips:127.0.0.1:5061", "URI" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate for TLS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key for TLS", "FILE" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "PEM file of trusted CA certificates", "FILE" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &no_verify, "Do not verify TLS peers (unsafe: keys travel in SDP)", NULL },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &srtp, "SRTP policy: off, optional, mandatory (default optional)", "POLICY" },
    { "offer", 0, 0, G_OPTION_ARG_STRING, &offer, "Offer style under optional: savp or dual", "STYLE" },
    { "suite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &suites, "Crypto suite to offer/accept (repeatable, in preference order)", "NAME" },
    { "allow-insecure-signaling", 0, 0, G_OPTION_ARG_NONE, &allow_insecure, "Allow SRTP keys over non-TLS signaling", NULL },
    { "identity", 0, 0, G_OPTION_ARG_STRING, &identity, "Our address-of-record (From)", "URI" },
    { "call", 0, 0, G_OPTION_ARG_STRING, &p.call_uri, "Call this URI", "URI" },
    { "answer", 0, 0, G_OPTION_ARG_NONE, &p.answer, "Answer the first incoming call", NULL },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &p.duration, "Seconds before hanging up (caller; answerer: maximum wait)", "S" },
    { "hold-after", 0, 0, G_OPTION_ARG_DOUBLE, &p.hold_after, "Put the call on hold after S seconds", "S" },
    { "resume-after", 0, 0, G_OPTION_ARG_DOUBLE, &p.resume_after, "Resume after S seconds", "S" },
    { "codec", 0, 0, G_OPTION_ARG_STRING_ARRAY, &codecs, "Codec to offer/accept (repeatable, in preference order): PCMU, PCMA, OPUS", "NAME" },
    { "tone", 0, 0, G_OPTION_ARG_DOUBLE, &tone, "Tone to send in Hz (default 440, 0 = silence)", "HZ" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &record, "Record received audio to a WAV file", "FILE" },
    { "play", 0, 0, G_OPTION_ARG_NONE, &play, "Play received audio (autoaudiosink)", NULL },
    { "rtcp-mux", 0, 0, G_OPTION_ARG_NONE, &rtcp_mux, "Offer/accept RTP and RTCP on one port (RFC 5761)", NULL },
    { "media-address", 0, 0, G_OPTION_ARG_STRING, &media_address, "Local IP for RTP (default: host of the first --bind)", "IP" },
    { "dump-plaintext", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &dump, "Test rigs: write the plaintext RTP payloads sent to FILE", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &p.json, "One JSON object per event on stdout", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- SIP phone with SDES-SRTP media");
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesLocalMedia) local = NULL;
  SdesMediaStats st;
  gboolean ok;
  gdouble freq;
  int status;

  setlocale (LC_ALL, "");
  gst_init (&argc, &argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("sdes-phone: %s\n", error->message);
    return 2;
  }
  if ((p.call_uri == NULL) == (p.answer == FALSE)) {
    g_printerr ("sdes-phone: give exactly one of --call URI or --answer\n");
    return 2;
  }
  p.policy = parse_policy (srtp ? srtp : "optional", &ok);
  if (!ok) {
    g_printerr ("sdes-phone: --srtp must be off, optional or mandatory\n");
    return 2;
  }
  if (offer && g_strcmp0 (offer, "savp") != 0 && g_strcmp0 (offer, "dual") != 0) {
    g_printerr ("sdes-phone: --offer must be savp or dual\n");
    return 2;
  }
  if (p.duration <= 0)
    p.duration = p.answer ? 60 : 5;
  if (p.resume_after > 0 && p.hold_after <= 0) {
    g_printerr ("sdes-phone: --resume-after needs --hold-after\n");
    return 2;
  }

  p.loop = g_main_loop_new (NULL, FALSE);
  if (media_address == NULL)
    media_address = media_address_from (binds);
  p.media = sdes_media_binding_new (media_address);
  g_object_set (p.media, "tone", tone, "record-location", record, "play", play,
                "plaintext-dump", dump, "rtcp-mux", rtcp_mux, NULL);
  if (codecs)
    g_object_set (p.media, "codecs", codecs, NULL);
  g_signal_connect (p.media, "secure-media", G_CALLBACK (on_secure_media), &p);
  local = sdes_media_binding_prepare (p.media, &error);
  if (local == NULL) {
    g_printerr ("sdes-phone: %s\n", error->message);
    return 1;
  }

  p.agent = sdes_agent_new (NULL);
  g_object_set (p.agent, "bind-uris", binds, "tls-cert-file", tls_cert, "tls-key-file", tls_key,
                "tls-ca-file", ca, "tls-verify", !no_verify, "srtp-policy", p.policy,
                "require-secure-signaling", !allow_insecure, "local-media", local,
                "auto-answer", FALSE, NULL);
  if (suites)
    g_object_set (p.agent, "suites", suites, NULL);
  if (identity)
    g_object_set (p.agent, "identity", identity, NULL);
  if (offer) {
    g_object_set (p.agent, "offer-style",
                  g_strcmp0 (offer, "dual") == 0 ? SDES_OFFER_STYLE_DUAL : SDES_OFFER_STYLE_SAVP, NULL);
  }
  g_signal_connect (p.agent, "incoming-call", G_CALLBACK (on_incoming), &p);
  g_signal_connect (p.agent, "ready", G_CALLBACK (on_ready), &p);
  if (!sdes_agent_start (p.agent, &error)) {
    g_printerr ("sdes-phone: %s\n", error->message);
    return 1;
  }


  if (p.call_uri) {
    g_autoptr (SdesCall) call = sdes_agent_call (p.agent, p.call_uri, local, &error);
    if (call == NULL) {
      g_printerr ("sdes-phone: call to %s failed: %s\n", p.call_uri, error->message);
      emit (&p, "ended", "\"status\":0,\"reason\":\"%s\"", "not sent");
      return 1;
    }
    follow_call (&p, call);
  }
  p.timers[2] = g_timeout_add ((guint) (p.duration * 1000), do_hangup, &p);
  g_main_loop_run (p.loop);

  for (guint i = 0; i < G_N_ELEMENTS (p.timers); i++)
    if (p.timers[i])
      g_source_remove (p.timers[i]);

  freq = sdes_media_binding_get_dominant_frequency (p.media);
  sdes_media_binding_stop (p.media);
  sdes_media_binding_get_stats (p.media, &st);

  if (!p.connected)
    fail (&p, p.end_status ? "the call was not established" : "no call");
  if (p.hold_after > 0 && !p.held)
    fail (&p, "the call was not put on hold");
  if (p.resume_after > 0 && !p.resumed)
    fail (&p, "the call was not resumed");
  if (p.connected && st.packets_received == 0)
    fail (&p, "no media packet was received");
  if (st.auth_failures > 0)
    fail (&p, "media packets failed authentication");
  if (p.policy == SDES_SRTP_POLICY_MANDATORY && p.connected && !p.secure_media)
    fail (&p, "SRTP was mandatory but no authenticated SRTP packet arrived");

  emit (&p, "summary",
        "\"connected\":%s,\"signaling\":\"%s\",\"transport\":\"%s\",\"suite\":\"%s\",\"tag\":%u,\"secure\":%s,"
        "\"held\":%s,\"resumed\":%s,\"packets_sent\":%" G_GUINT64_FORMAT ","
        "\"packets_received\":%" G_GUINT64_FORMAT ",\"rtcp_sent\":%" G_GUINT64_FORMAT ","
        "\"rtcp_received\":%" G_GUINT64_FORMAT ",\"auth_failures\":%" G_GUINT64_FORMAT ","
        "\"replay_drops\":%" G_GUINT64_FORMAT ",\"unknown_key_drops\":%" G_GUINT64_FORMAT ","
        "\"rekeys\":%u,\"dominant_hz\":%.0f,\"ok\":%s",
        p.connected ? "true" : "false",
        signaling_transport (p.call_uri ? p.call_uri : (p.call ? sdes_call_get_remote_uri (p.call) : NULL)),
        p.profile ? p.profile : "", p.suite ? p.suite : "",
        p.tag, p.secure_media ? "true" : "false", p.held ? "true" : "false",
        p.resumed ? "true" : "false", st.packets_sent, st.packets_received, st.rtcp_sent,
        st.rtcp_received, st.auth_failures, st.replay_drops, st.unknown_key_drops, st.rekeys,
        freq, p.failure ? "false" : "true");

  status = p.failure ? 1 : 0;
  if (p.failure)
    g_printerr ("sdes-phone: %s\n", p.failure);

  g_clear_object (&p.call);
  sdes_agent_shutdown (p.agent);
  {
    /* Let Sofia finish its shutdown (bounded). */
    gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
    while (!sdes_agent_is_shut_down (p.agent) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
  }
  g_clear_object (&p.agent);
  g_clear_object (&p.media);
  g_main_loop_unref (p.loop);
  g_free (p.call_uri);
  g_free (p.suite);
  g_free (p.profile);
  g_free (p.end_reason);
  g_free (p.failure);
  return status;
}
