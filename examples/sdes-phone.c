/* srtpsdes — sdes-phone: a small SIP phone with SDES-SRTP media
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One process, one call: either `--call URI` or `--answer`. Signalling is the
 * srtpsdes agent (Sofia-SIP on the GLib main loop), media is the pipeline of
 * phone-media.c whose srtpsdesenc/srtpsdesdec follow the call's keys through
 * SdesMediaBinding. Keys are never printed; `--json` prints one JSON object
 * per event on stdout (built with json-glib), otherwise one line of words.
 *
 * Exit status:
 *   0    the call did what was asked: connected, lasted, held and resumed if
 *        asked, media received, no packet dropped that should not have been
 *        (authentication, replay, invalid datagrams, key limits, no key
 *        outside a forked call), and secure when --srtp mandatory;
 *   1    the call failed: the reason is on stderr and in the summary;
 *   2    the command line is wrong;
 *   3    GStreamer elements the phone needs are not installed (the message
 *        says what to set);
 *   128 + N  interrupted by signal N (130 SIGINT, 143 SIGTERM): the call was
 *        hung up (BYE, CANCEL or 603), the summary printed and the recording
 *        finished first.
 */

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "phone-media.h"
#include "sdes-agent.h"
#include "sdes-engine.h"

#ifndef SRTPSDES_VERSION
#define SRTPSDES_VERSION "unknown"
#endif

/* How long a hang-up on a signal may wait for the peer's answer to BYE. */
#define HANGUP_GRACE_MS 3000

typedef struct {
  GMainLoop *loop;
  SdesAgent *agent;
  SdesCall *call;
  PhoneMedia *media;
  gboolean json;

  /* what was asked */
  gchar *call_uri;
  gboolean answer;
  gdouble duration;
  gdouble hold_after;
  gdouble resume_after;
  gdouble mux_switch_after;
  SdesSrtpPolicy policy;

  /* what happened */
  gboolean connected;
  gboolean held;
  gboolean resumed;
  gboolean mux_switched;
  gboolean secure_media;
  gchar *suite;
  guint tag;
  gchar *profile;
  gboolean ended;
  guint end_status;
  gchar *end_reason;
  gchar *failure;
  GHashTable *early_tags;  /* forks that sent early media */
  gint signal;             /* SIGINT/SIGTERM received, 0 if none */
  gboolean recording_ok;
  guint timers[5];         /* hold, resume, hang-up, hang-up grace, rtcp-mux switch */
  guint signal_sources[2];
} Phone;

/* ------------------------------------------------------------------------- */
/* Events                                                                     */
/* ------------------------------------------------------------------------- */

/* An event's fields, in order; "event" first. */
static JsonObject *
event_new (const gchar *event)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "event", event);
  return o;
}

/* "rtp_port" -> "rtp port"; values as words: yes/no, numbers, text as is. */
static void
append_words (GString *line, const gchar *name, JsonNode *value)
{
  g_autofree gchar *label = g_strdelimit (g_strdup (name), "_", ' ');

  g_string_append_printf (line, "%s%s ", line->len ? ", " : "", label);
  if (JSON_NODE_HOLDS_NULL (value))
    g_string_append (line, "none");
  else if (json_node_get_value_type (value) == G_TYPE_BOOLEAN)
    g_string_append (line, json_node_get_boolean (value) ? "yes" : "no");
  else if (json_node_get_value_type (value) == G_TYPE_INT64)
    g_string_append_printf (line, "%" G_GINT64_FORMAT, json_node_get_int (value));
  else if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
    g_string_append_printf (line, "%.0f", json_node_get_double (value));
  else
    g_string_append (line, json_node_get_string (value) ? json_node_get_string (value) : "");
}

/* One event: a JSON object per line with --json (json-glib escapes every
 * string), else "sdes-phone: EVENT  name value, name value". The fields
 * never contain key material: they come from redacted or non-key values. */
static void
emit (Phone *p, JsonObject *o)
{
  g_autoptr (JsonObject) owned = o;

  if (p->json) {
    g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (), o);
    g_autofree gchar *text = json_to_string (root, FALSE);

    g_print ("%s\n", text);
  } else {
    g_autoptr (GString) line = g_string_new (NULL);
    g_autoptr (GList) names = json_object_get_members (o);

    for (GList *l = names; l; l = l->next)
      if (strcmp (l->data, "event") != 0)
        append_words (line, l->data, json_object_get_member (o, l->data));
    g_print ("sdes-phone: %-12s %s\n", json_object_get_string_member (o, "event"), line->str);
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

/* The signaling transport of the call: what Cisco "SIP Support for SRTP",
 * Table 44 calls secure. */
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

/* ------------------------------------------------------------------------- */
/* Call events                                                                */
/* ------------------------------------------------------------------------- */

static void
on_state (SdesCall *call, SdesCallState state, Phone *p)
{
  JsonObject *o = event_new ("state");

  json_object_set_string_member (o, "state", state_name (state));
  emit (p, o);
  if (state == SDES_CALL_STATE_ACTIVE)
    p->connected = TRUE;
}

static void
describe_media (Phone *p, const gchar *event, GPtrArray *media)
{
  for (guint i = 0; media && i < media->len; i++) {
    const SdesMediaDescription *d = g_ptr_array_index (media, i);
    gboolean keyed = d->secure && d->local_crypto;
    g_autofree gchar *codec = g_strdup_printf ("%s/%u", d->encoding_name ? d->encoding_name : "",
                                               d->clock_rate);
    g_autofree gchar *remote = g_strdup_printf ("%s:%u", d->remote_address ? d->remote_address : "",
                                                d->remote_port);
    JsonObject *o;

    if (!d->active)
      continue;
    g_free (p->profile);
    p->profile = g_strdup (d->profile);
    if (keyed) {
      g_free (p->suite);
      p->suite = g_strdup (d->local_crypto->suite_name);
      p->tag = d->local_crypto->tag;
    }
    o = event_new (event);
    json_object_set_int_member (o, "m", d->index);
    json_object_set_string_member (o, "transport", d->profile ? d->profile : "");
    json_object_set_boolean_member (o, "secure", d->secure);
    json_object_set_string_member (o, "suite", keyed ? d->local_crypto->suite_name : "");
    json_object_set_int_member (o, "tag", keyed ? d->local_crypto->tag : 0);
    json_object_set_string_member (o, "direction", direction_name (d->direction));
    json_object_set_string_member (o, "codec", codec);
    json_object_set_string_member (o, "remote", remote);
    json_object_set_boolean_member (o, "rtcp_mux", d->rtcp_mux);
    json_object_set_boolean_member (o, "local_key_changed", d->local_key_changed);
    json_object_set_boolean_member (o, "remote_key_changed", d->remote_key_changed);
    emit (p, o);
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
    JsonObject *o;

    if (!d->active || !(d->local_key_changed || d->remote_key_changed))
      continue;
    o = event_new ("rekey");
    json_object_set_int_member (o, "m", d->index);
    json_object_set_boolean_member (o, "local", d->local_key_changed);
    json_object_set_boolean_member (o, "remote", d->remote_key_changed);
    emit (p, o);
  }
}

static void
on_early_media (SdesCall *call, const gchar *tag, GPtrArray *media, Phone *p)
{
  g_hash_table_add (p->early_tags, g_strdup (tag));
}

static void
on_secure_changed (SdesCall *call, gboolean secure, Phone *p)
{
  JsonObject *o = event_new ("secure");

  json_object_set_boolean_member (o, "signalled", secure);
  emit (p, o);
}

static void
on_secure_media (SdesMediaBinding *binding, const gchar *suite, guint tag, Phone *p)
{
  JsonObject *o = event_new ("secure-media");

  p->secure_media = TRUE;
  json_object_set_string_member (o, "suite", suite ? suite : "");
  json_object_set_int_member (o, "tag", tag);
  emit (p, o);
}

static void
on_media_error (SdesMediaBinding *binding, GError *error, Phone *p)
{
  g_printerr ("sdes-phone: media pipeline error: %s\n", error->message);
  fail (p, error->message);
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, Phone *p)
{
  JsonObject *o = event_new ("ended");

  p->ended = TRUE;
  p->end_status = status;
  g_free (p->end_reason);
  p->end_reason = g_strdup (reason);
  json_object_set_int_member (o, "status", status);
  json_object_set_string_member (o, "reason", reason ? reason : "");
  emit (p, o);
  g_main_loop_quit (p->loop);
}

static void
emit_simple (Phone *p, const gchar *event)
{
  emit (p, event_new (event));
}

static gboolean
do_hold (gpointer data)
{
  Phone *p = data;
  g_autoptr (GError) error = NULL;

  p->timers[0] = 0;
  if (p->call && sdes_call_hold (p->call, &error)) {
    p->held = TRUE;
    emit_simple (p, "hold");
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
    emit_simple (p, "resume");
  } else {
    fail (p, error ? error->message : "resume failed");
  }
  return G_SOURCE_REMOVE;
}

/* A re-INVITE with a=rtcp-mux added or dropped (RFC 5761 §5.1.1): the
 * same media with RTCP moved to or from the RTP port. */
static gboolean
do_switch_rtcp_mux (gpointer data)
{
  Phone *p = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesLocalMedia) local = NULL;
  gboolean mux = FALSE;
  JsonObject *o;

  p->timers[4] = 0;
  g_object_get (p->media, "rtcp-mux", &mux, NULL);
  g_object_set (p->media, "rtcp-mux", !mux, NULL);
  local = phone_media_describe (p->media, &error);
  if (p->call == NULL || local == NULL || !sdes_call_set_local_media (p->call, local, &error)) {
    fail (p, error ? error->message : "the rtcp-mux switch failed");
    return G_SOURCE_REMOVE;
  }
  p->mux_switched = TRUE;
  o = event_new ("rtcp-mux-switch");
  json_object_set_boolean_member (o, "offered", !mux);
  emit (p, o);
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

/* The peer did not answer the BYE/CANCEL of a hang-up on a signal. */
static gboolean
on_hangup_grace_over (gpointer data)
{
  Phone *p = data;

  p->timers[3] = 0;
  g_main_loop_quit (p->loop);
  return G_SOURCE_REMOVE;
}

/* SIGINT/SIGTERM (main context, g_unix_signal_add): hang up as --duration
 * would (BYE, CANCEL or 603), then the usual summary and teardown. A second
 * signal, or one before any call, stops waiting. */
static void
handle_signal (Phone *p, gint signum)
{
  JsonObject *o;

  if (p->signal != 0 || p->call == NULL || p->ended) {
    p->signal = p->signal ? p->signal : signum;
    g_main_loop_quit (p->loop);
    return;
  }
  p->signal = signum;
  o = event_new ("interrupted");
  json_object_set_string_member (o, "signal", signum == SIGINT ? "SIGINT" : "SIGTERM");
  emit (p, o);
  if (!sdes_call_hangup (p->call, NULL))
    g_main_loop_quit (p->loop);
  else
    p->timers[3] = g_timeout_add (HANGUP_GRACE_MS, on_hangup_grace_over, p);
}

static gboolean
on_sigint (gpointer data)
{
  handle_signal (data, SIGINT);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigterm (gpointer data)
{
  handle_signal (data, SIGTERM);
  return G_SOURCE_CONTINUE;
}

static void
follow_call (Phone *p, SdesCall *call)
{
  p->call = g_object_ref (call);
  phone_media_attach_call (p->media, call);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_state), p);
  g_signal_connect (call, "media-ready", G_CALLBACK (on_media_ready), p);
  g_signal_connect (call, "media-updated", G_CALLBACK (on_media_updated), p);
  g_signal_connect (call, "early-media", G_CALLBACK (on_early_media), p);
  g_signal_connect (call, "secure-changed", G_CALLBACK (on_secure_changed), p);
  g_signal_connect (call, "ended", G_CALLBACK (on_ended), p);
  if (p->hold_after > 0)
    p->timers[0] = g_timeout_add ((guint) (p->hold_after * 1000), do_hold, p);
  if (p->resume_after > 0)
    p->timers[1] = g_timeout_add ((guint) (p->resume_after * 1000), do_resume, p);
  if (p->mux_switch_after > 0)
    p->timers[4] = g_timeout_add ((guint) (p->mux_switch_after * 1000), do_switch_rtcp_mux, p);
}

/* The offer's c= decides the address family of our media: the answer's c=
 * is an address we receive on, in the family the peer can reach. When the
 * phone has no media address in that family the INVITE is refused (488
 * with a Warning) rather than answered with an address the peer cannot
 * use. Returns FALSE when the call was refused. */
static gboolean
answer_in_peer_family (Phone *p, SdesCall *call)
{
  g_autoptr (GPtrArray) media = sdes_session_get_media (sdes_call_get_session (call), NULL);
  g_autoptr (SdesLocalMedia) local = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *peer = NULL;

  for (guint i = 0; media && i < media->len && peer == NULL; i++) {
    const SdesMediaDescription *d = g_ptr_array_index (media, i);
    if (d->active && d->media_type == SDES_MEDIA_TYPE_AUDIO)
      peer = d->remote_address;
  }
  if (peer == NULL || strcmp (peer, "0.0.0.0") == 0 || strcmp (peer, "::") == 0)
    return TRUE;   /* a late offer, or an offer on hold: our own address */
  local = phone_media_prepare_for_peer (p->media, peer, &error);
  if (local != NULL && sdes_call_set_local_media (call, local, &error))
    return TRUE;
  if (local == NULL) {
    g_autofree gchar *reason = g_strdup_printf ("Incompatible network address formats: "
                                                "no %s media address",
                                                strchr (peer, ':') ? "IPv6" : "IPv4");

    /* The reason also goes into the Warning (RFC 3261 §20.43). */
    sdes_call_reject (call, 488, reason, NULL);
    fail (p, error->message);
  } else {
    fail (p, error->message);
  }
  return FALSE;
}

static void
on_incoming (SdesAgent *agent, SdesCall *call, Phone *p)
{
  g_autoptr (GError) error = NULL;
  JsonObject *o;

  if (p->call != NULL || p->signal != 0) {
    sdes_call_reject (call, 486, "Busy Here", NULL);
    return;
  }
  o = event_new ("incoming");
  json_object_set_string_member (o, "from", sdes_call_get_remote_uri (call));
  json_object_set_string_member (o, "signaling",
                                 signaling_transport (sdes_call_get_remote_uri (call)));
  emit (p, o);
  follow_call (p, call);
  if (!answer_in_peer_family (p, call))
    return;
  if (!sdes_call_accept (call, &error)) {
    fail (p, error->message);
    g_main_loop_quit (p->loop);
  }
}

/* The transports are bound: the contact (with its real port) is known. */
static void
on_ready (SdesAgent *agent, Phone *p)
{
  JsonObject *o = event_new ("started");
  guint rtp_port = 0;

  g_object_get (p->media, "rtp-port", &rtp_port, NULL);
  json_object_set_string_member (o, "contact", sdes_agent_get_contact (agent));
  json_object_set_int_member (o, "rtp_port", rtp_port);
  emit (p, o);
}

/* ------------------------------------------------------------------------- */
/* The end of the call                                                        */
/* ------------------------------------------------------------------------- */

/* Every drop counter is a failure unless it is expected: unknown-key drops
 * come from the losing forks of a call that had early media from more than
 * one fork. */
static void
check_counters (Phone *p, const SdesMediaStats *st)
{
  g_autofree gchar *why = NULL;

  if (st->auth_failures > 0)
    why = g_strdup_printf ("%" G_GUINT64_FORMAT " media packets failed authentication",
                           st->auth_failures);
  else if (st->invalid_drops > 0)
    why = g_strdup_printf ("%" G_GUINT64_FORMAT " datagrams on the media ports were not "
                           "%s packets and were dropped", st->invalid_drops,
                           p->secure_media || p->suite ? "SRTP/SRTCP" : "RTP");
  else if (st->replay_drops > 0)
    why = g_strdup_printf ("%" G_GUINT64_FORMAT " replayed media packets were dropped",
                           st->replay_drops);
  else if (st->limit_drops > 0 || st->send_drops > 0)
    why = g_strdup_printf ("%" G_GUINT64_FORMAT " received and %" G_GUINT64_FORMAT " sent media "
                           "packets were dropped at a key's limit or as unprotectable",
                           st->limit_drops, st->send_drops);
  else if (st->unknown_key_drops > 0 && g_hash_table_size (p->early_tags) < 2)
    why = g_strdup_printf ("%" G_GUINT64_FORMAT " media packets matched no negotiated key",
                           st->unknown_key_drops);
  if (why)
    fail (p, why);
}

static void
judge (Phone *p, const SdesMediaStats *st)
{
  if (p->signal != 0) {
    g_autofree gchar *why = g_strdup_printf ("interrupted by %s",
                                             p->signal == SIGINT ? "SIGINT" : "SIGTERM");
    fail (p, why);
  }
  if (!p->connected)
    fail (p, p->end_status ? "the call was not established" : "no call");
  if (p->hold_after > 0 && !p->held)
    fail (p, "the call was not put on hold");
  if (p->resume_after > 0 && !p->resumed)
    fail (p, "the call was not resumed");
  if (p->mux_switch_after > 0 && !p->mux_switched)
    fail (p, "the rtcp-mux re-INVITE was not sent");
  if (p->connected && st->packets_received == 0)
    fail (p, "no media packet was received");
  check_counters (p, st);
  if (p->policy == SDES_SRTP_POLICY_MANDATORY && p->connected && !p->secure_media)
    fail (p, "SRTP was mandatory but no authenticated SRTP packet arrived");
  if (!p->recording_ok)
    fail (p, "the recording could not be finished");
}

static void
emit_summary (Phone *p, const SdesMediaStats *st, gdouble freq)
{
  JsonObject *o = event_new ("summary");
  const gchar *uri = p->call_uri ? p->call_uri : (p->call ? sdes_call_get_remote_uri (p->call) : NULL);

  json_object_set_boolean_member (o, "connected", p->connected);
  json_object_set_string_member (o, "signaling", signaling_transport (uri));
  json_object_set_string_member (o, "transport", p->profile ? p->profile : "");
  json_object_set_string_member (o, "suite", p->suite ? p->suite : "");
  json_object_set_int_member (o, "tag", p->tag);
  json_object_set_boolean_member (o, "secure", p->secure_media);
  json_object_set_boolean_member (o, "held", p->held);
  json_object_set_boolean_member (o, "resumed", p->resumed);
  json_object_set_int_member (o, "packets_sent", (gint64) st->packets_sent);
  json_object_set_int_member (o, "packets_received", (gint64) st->packets_received);
  json_object_set_int_member (o, "rtcp_sent", (gint64) st->rtcp_sent);
  {
    guint on_rtp = 0, on_rtcp = 0;

    phone_media_get_rtcp_ports (p->media, &on_rtp, &on_rtcp);
    json_object_set_int_member (o, "rtcp_on_rtp_port", on_rtp);
    json_object_set_int_member (o, "rtcp_on_rtcp_port", on_rtcp);
    json_object_set_int_member (o, "rtp_lost", phone_media_get_rtp_lost (p->media));
  }
  json_object_set_int_member (o, "rtcp_received", (gint64) st->rtcp_received);
  json_object_set_int_member (o, "auth_failures", (gint64) st->auth_failures);
  json_object_set_int_member (o, "replay_drops", (gint64) st->replay_drops);
  json_object_set_int_member (o, "unknown_key_drops", (gint64) st->unknown_key_drops);
  json_object_set_int_member (o, "invalid_drops", (gint64) st->invalid_drops);
  json_object_set_int_member (o, "limit_drops", (gint64) st->limit_drops);
  json_object_set_int_member (o, "send_drops", (gint64) st->send_drops);
  json_object_set_int_member (o, "rekeys", st->rekeys);
  json_object_set_int_member (o, "dominant_hz", (gint64) (freq + 0.5));
  json_object_set_int_member (o, "end_status", p->end_status);
  json_object_set_string_member (o, "end_reason", p->end_reason ? p->end_reason : "");
  if (p->signal)
    json_object_set_string_member (o, "interrupted_by", p->signal == SIGINT ? "SIGINT" : "SIGTERM");
  if (p->failure)
    json_object_set_string_member (o, "failure", p->failure);
  json_object_set_boolean_member (o, "ok", p->failure == NULL);
  emit (p, o);
}

/* After the main loop: counters, verdict, summary. */
static int
finish_call (Phone *p)
{
  SdesMediaStats st;
  gdouble freq;

  for (guint i = 0; i < G_N_ELEMENTS (p->timers); i++)
    if (p->timers[i])
      g_source_remove (p->timers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (p->signal_sources); i++)
    g_source_remove (p->signal_sources[i]);
  freq = phone_media_get_dominant_frequency (p->media);
  p->recording_ok = phone_media_stop (p->media);
  phone_media_get_stats (p->media, &st);
  judge (p, &st);
  emit_summary (p, &st, freq);
  if (p->failure)
    g_printerr ("sdes-phone: %s\n", p->failure);
  if (p->signal)
    return 128 + p->signal;
  return p->failure ? 1 : 0;
}

/* ------------------------------------------------------------------------- */
/* Start-up                                                                   */
/* ------------------------------------------------------------------------- */

static gboolean
have_element (const gchar *name)
{
  g_autoptr (GstElementFactory) f = gst_element_factory_find (name);
  return f != NULL;
}

/* srtpsdesenc/srtpsdesdec from the registry, else from where `meson
 * install` put them; then the stock elements of the pipeline. Exit status
 * 3 with what to set or install. */
static gboolean
check_elements (void)
{
  static const gchar *stock[][2] = {
    { "rtpbin", "gstreamer1.0-plugins-good" }, { "udpsrc", "gstreamer1.0-plugins-good" },
    { "udpsink", "gstreamer1.0-plugins-good" }, { "spectrum", "gstreamer1.0-plugins-good" },
    { "wavenc", "gstreamer1.0-plugins-good" }, { "rtppcmupay", "gstreamer1.0-plugins-good" },
    { "mulawenc", "gstreamer1.0-plugins-good" }, { "audiotestsrc", "gstreamer1.0-plugins-base" },
    { "audioconvert", "gstreamer1.0-plugins-base" }, { "valve", "gstreamer1.0-plugins-bad" },
  };

  if (!have_element ("srtpsdesenc") || !have_element ("srtpsdesdec")) {
#ifdef SRTPSDES_PLUGIN_DIR
    gst_registry_scan_path (gst_registry_get (), SRTPSDES_PLUGIN_DIR);
#endif
  }
  if (!have_element ("srtpsdesenc") || !have_element ("srtpsdesdec")) {
    g_printerr ("sdes-phone: the GStreamer elements srtpsdesenc and srtpsdesdec were not found "
                "(plugin libgstsrtpsdes.so; also looked in %s).\n"
                "sdes-phone: set GST_PLUGIN_PATH to the directory that holds it: BUILD_DIR/gst in a "
                "build tree, or run `meson install` to put it in %s.\n",
#ifdef SRTPSDES_PLUGIN_DIR
                SRTPSDES_PLUGIN_DIR, SRTPSDES_PLUGIN_DIR
#else
                "no install directory", "the GStreamer plugin directory"
#endif
                );
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (stock); i++) {
    if (!have_element (stock[i][0])) {
      g_printerr ("sdes-phone: the GStreamer element %s is not installed (Debian: apt-get install "
                  "%s).\n", stock[i][0], stock[i][1]);
      return FALSE;
    }
  }
  return TRUE;
}

typedef struct {
  gchar **binds, **suites, **codecs;
  gchar **media_addresses;
  gchar *tls_cert, *tls_key, *ca, *srtp, *offer, *record, *identity, *dump;
  gchar *rtp_port;
  guint rtp_port_min, rtp_port_max;
  gboolean no_verify, allow_insecure, play, rtcp_mux, version;
  gdouble tone;
} Options;

static void
options_clear (Options *o)
{
  g_strfreev (o->binds);
  g_strfreev (o->suites);
  g_strfreev (o->codecs);
  g_free (o->tls_cert);
  g_free (o->tls_key);
  g_free (o->ca);
  g_free (o->srtp);
  g_free (o->offer);
  g_free (o->record);
  g_strfreev (o->media_addresses);
  g_free (o->identity);
  g_free (o->dump);
  g_free (o->rtp_port);
}

static gboolean
parse_policy (const gchar *s, SdesSrtpPolicy *policy)
{
  static const gchar *names[] = { "off", "optional", "mandatory" };
  static const SdesSrtpPolicy values[] = {
    SDES_SRTP_POLICY_OFF, SDES_SRTP_POLICY_OPTIONAL, SDES_SRTP_POLICY_MANDATORY
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_strcmp0 (s, names[i]) == 0) {
      *policy = values[i];
      return TRUE;
    }
  }
  return FALSE;
}

/* "40000" or "40000-40100": the RTP port or the range it is taken from. */
static gboolean
parse_rtp_port (const gchar *s, guint *min, guint *max)
{
  guint64 lo, hi;
  gchar *end;

  lo = g_ascii_strtoull (s, &end, 10);
  hi = lo;
  if (*end == '-')
    hi = g_ascii_strtoull (end + 1, &end, 10);
  if (end == s || *end != '\0' || lo < 1 || hi > 65534 || lo > hi) {
    g_printerr ("sdes-phone: --rtp-port takes PORT or MIN-MAX within 1-65534, not '%s'\n", s);
    return FALSE;
  }
  if (lo == hi && lo % 2 != 0) {
    g_printerr ("sdes-phone: --rtp-port %s is odd: RTP takes an even port and RTCP the next one "
                "(RFC 3550 §11)\n", s);
    return FALSE;
  }
  *min = (guint) lo;
  *max = (guint) hi;
  return TRUE;
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

/* Returns -1 when the options are usable, else the exit status. */
static int
parse_options (Phone *p, Options *o, int *argc, char ***argv)
{
  GOptionEntry entries[] = {
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->binds, "SIP URI to bind (repeatable): sip:127.0.0.1:5060;transport=udp, sips:127.0.0.1:5061", "URI" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert, "PEM certificate for TLS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key, "PEM private key for TLS", "FILE" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &o->ca, "PEM file of trusted CA certificates", "FILE" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &o->no_verify, "Do not verify TLS peers (unsafe: keys travel in SDP)", NULL },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &o->srtp, "SRTP policy: off, optional, mandatory (default optional)", "POLICY" },
    { "offer", 0, 0, G_OPTION_ARG_STRING, &o->offer, "Offer style under optional: savp or dual", "STYLE" },
    { "suite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->suites, "Crypto suite to offer/accept (repeatable, in preference order)", "NAME" },
    { "allow-insecure-signaling", 0, 0, G_OPTION_ARG_NONE, &o->allow_insecure, "Allow SRTP keys over non-TLS signaling", NULL },
    { "identity", 0, 0, G_OPTION_ARG_STRING, &o->identity, "Our address-of-record (From)", "URI" },
    { "call", 0, 0, G_OPTION_ARG_STRING, &p->call_uri, "Call this URI", "URI" },
    { "answer", 0, 0, G_OPTION_ARG_NONE, &p->answer, "Answer the first incoming call", NULL },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &p->duration, "Seconds before hanging up (caller; answerer: maximum wait)", "S" },
    { "hold-after", 0, 0, G_OPTION_ARG_DOUBLE, &p->hold_after, "Put the call on hold after S seconds", "S" },
    { "resume-after", 0, 0, G_OPTION_ARG_DOUBLE, &p->resume_after, "Resume after S seconds", "S" },
    { "codec", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->codecs, "Codec to offer/accept (repeatable, in preference order): PCMU, PCMA, OPUS", "NAME" },
    { "tone", 0, 0, G_OPTION_ARG_DOUBLE, &o->tone, "Tone to send in Hz (default 440, 0 = silence)", "HZ" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &o->record, "Record received audio to a WAV file", "FILE" },
    { "play", 0, 0, G_OPTION_ARG_NONE, &o->play, "Play received audio (autoaudiosink)", NULL },
    { "rtcp-mux", 0, 0, G_OPTION_ARG_NONE, &o->rtcp_mux, "Offer/accept RTP and RTCP on one port (RFC 5761)", NULL },
    { "media-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->media_addresses, "Local IP for RTP (default: host of the first --bind); a second one of the other IP family answers offers from that family", "IP" },
    { "rtcp-mux-switch-after", 0, 0, G_OPTION_ARG_DOUBLE, &p->mux_switch_after, "Re-INVITE with a=rtcp-mux added (or dropped) after S seconds", "S" },
    { "rtp-port", 0, 0, G_OPTION_ARG_STRING, &o->rtp_port, "Even RTP port, or a range to take it from (RTCP: the next port)", "PORT|MIN-MAX" },
    { "dump-plaintext", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o->dump, "Test rigs: write the plaintext RTP payloads sent to FILE", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &p->json, "One JSON object per event on stdout", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- SIP phone with SDES-SRTP media");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, argc, argv, &error)) {
    g_printerr ("sdes-phone: %s\n", error->message);
    return 2;
  }
  if (o->version) {
    g_print ("sdes-phone %s (srtpsdes; %s)\n", SRTPSDES_VERSION, gst_version_string ());
    return 0;
  }
  if ((p->call_uri == NULL) == (p->answer == FALSE)) {
    g_printerr ("sdes-phone: give exactly one of --call URI or --answer\n");
    return 2;
  }
  if (!parse_policy (o->srtp ? o->srtp : "optional", &p->policy)) {
    g_printerr ("sdes-phone: --srtp must be off, optional or mandatory\n");
    return 2;
  }
  if (o->offer && g_strcmp0 (o->offer, "savp") != 0 && g_strcmp0 (o->offer, "dual") != 0) {
    g_printerr ("sdes-phone: --offer must be savp or dual\n");
    return 2;
  }
  if (p->resume_after > 0 && p->hold_after <= 0) {
    g_printerr ("sdes-phone: --resume-after needs --hold-after\n");
    return 2;
  }
  if (o->media_addresses && o->media_addresses[1] && o->media_addresses[2]) {
    g_printerr ("sdes-phone: --media-address takes at most two addresses, one per IP family\n");
    return 2;
  }
  if (o->rtp_port && !parse_rtp_port (o->rtp_port, &o->rtp_port_min, &o->rtp_port_max))
    return 2;
  if (p->duration <= 0)
    p->duration = p->answer ? 60 : 5;
  return -1;
}

/* Media on a loopback address also listen on the other family's loopback
 * when this host has it, so an offer with an IPv6 c= (or IPv4) from a
 * local peer is answered in its family. Other addresses: only what
 * --media-address names. */
static gchar *
loopback_of_other_family (const gchar *address)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GInetAddress) other = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  GSocketFamily family;

  if (inet == NULL || !g_inet_address_get_is_loopback (inet))
    return NULL;
  family = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4 ? G_SOCKET_FAMILY_IPV6
                                                                    : G_SOCKET_FAMILY_IPV4;
  other = g_inet_address_new_loopback (family);
  sa = g_inet_socket_address_new (other, 0);
  probe = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe == NULL || !g_socket_bind (probe, sa, FALSE, NULL))
    return NULL;
  return g_inet_address_to_string (other);
}

static gboolean
setup_media (Phone *p, Options *o, SdesLocalMedia **local)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *address = o->media_addresses ? g_strdup (o->media_addresses[0])
                                                 : media_address_from (o->binds);
  g_autofree gchar *alt = o->media_addresses ? g_strdup (o->media_addresses[1])
                                             : loopback_of_other_family (address);

  p->media = phone_media_new (address);
  g_object_set (p->media, "alt-address", alt, NULL);
  g_object_set (p->media, "tone", o->tone, "record-location", o->record, "play", o->play,
                "plaintext-dump", o->dump, "rtcp-mux", o->rtcp_mux,
                "rtp-port-min", o->rtp_port_min, "rtp-port-max", o->rtp_port_max, NULL);
  if (o->codecs)
    g_object_set (p->media, "codecs", o->codecs, NULL);
  g_signal_connect (phone_media_get_binding (p->media), "secure-media",
                    G_CALLBACK (on_secure_media), p);
  g_signal_connect (phone_media_get_binding (p->media), "error", G_CALLBACK (on_media_error), p);
  *local = phone_media_prepare (p->media, &error);
  if (*local == NULL) {
    g_printerr ("sdes-phone: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
setup_agent (Phone *p, Options *o, SdesLocalMedia *local)
{
  g_autoptr (GError) error = NULL;

  p->agent = sdes_agent_new (NULL);
  g_object_set (p->agent, "bind-uris", o->binds, "tls-cert-file", o->tls_cert,
                "tls-key-file", o->tls_key, "tls-ca-file", o->ca, "tls-verify", !o->no_verify,
                "srtp-policy", p->policy, "require-secure-signaling", !o->allow_insecure,
                "local-media", local, "auto-answer", FALSE, NULL);
  if (o->suites)
    g_object_set (p->agent, "suites", o->suites, NULL);
  if (o->identity)
    g_object_set (p->agent, "identity", o->identity, NULL);
  if (o->offer)
    g_object_set (p->agent, "offer-style", g_strcmp0 (o->offer, "dual") == 0
                  ? SDES_OFFER_STYLE_DUAL : SDES_OFFER_STYLE_SAVP, NULL);
  g_signal_connect (p->agent, "incoming-call", G_CALLBACK (on_incoming), p);
  g_signal_connect (p->agent, "ready", G_CALLBACK (on_ready), p);
  if (!sdes_agent_start (p->agent, &error)) {
    g_printerr ("sdes-phone: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
place_call (Phone *p, SdesLocalMedia *local)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesCall) call = sdes_agent_call (p->agent, p->call_uri, local, &error);
  JsonObject *o;

  if (call != NULL) {
    follow_call (p, call);
    return TRUE;
  }
  g_printerr ("sdes-phone: call to %s failed: %s\n", p->call_uri, error->message);
  o = event_new ("ended");
  json_object_set_int_member (o, "status", 0);
  json_object_set_string_member (o, "reason", "not sent");
  emit (p, o);
  return FALSE;
}

static void
phone_clear (Phone *p)
{
  g_clear_object (&p->call);
  if (p->agent) {
    /* Let Sofia finish its shutdown (bounded). */
    gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

    sdes_agent_shutdown (p->agent);
    while (!sdes_agent_is_shut_down (p->agent) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
  }
  g_clear_object (&p->agent);
  g_clear_object (&p->media);
  g_clear_pointer (&p->loop, g_main_loop_unref);
  g_clear_pointer (&p->early_tags, g_hash_table_unref);
  g_free (p->call_uri);
  g_free (p->suite);
  g_free (p->profile);
  g_free (p->end_reason);
  g_free (p->failure);
}

int
main (int argc, char **argv)
{
  Phone p = { 0 };
  Options o = { .tone = 440.0 };
  g_autoptr (SdesLocalMedia) local = NULL;
  int status;

  setlocale (LC_ALL, "");
  status = parse_options (&p, &o, &argc, &argv);
  if (status < 0 && !check_elements ())
    status = 3;
  if (status < 0) {
    p.loop = g_main_loop_new (NULL, FALSE);
    p.early_tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    status = setup_media (&p, &o, &local) && setup_agent (&p, &o, local) ? -1 : 1;
  }
  if (status < 0 && p.call_uri && !place_call (&p, local))
    status = 1;
  if (status < 0) {
    p.signal_sources[0] = g_unix_signal_add (SIGINT, on_sigint, &p);
    p.signal_sources[1] = g_unix_signal_add (SIGTERM, on_sigterm, &p);
    p.timers[2] = g_timeout_add ((guint) (p.duration * 1000), do_hangup, &p);
    g_main_loop_run (p.loop);
    status = finish_call (&p);
  }
  phone_clear (&p);
  options_clear (&o);
  return status;
}
