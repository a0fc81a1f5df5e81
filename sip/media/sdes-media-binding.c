/* srtpsdes — keeps srtpsdesenc/srtpsdesdec in step with a call's negotiated keys
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SdesMediaBinding:
 *
 * Makes the srtpsdesenc/srtpsdesdec of an application's pipeline follow the
 * keys a #SdesCall negotiates.
 *
 * The binding configures elements of the application's own pipeline from
 * the descriptions a call negotiates (#SdesCall::early-media,
 * #SdesCall::media-ready, #SdesCall::media-updated):
 *
 * - #SdesMediaBinding:encoder (srtpsdesenc): `crypto` from `local_crypto`,
 *   again on every local rekey;
 * - #SdesMediaBinding:decoder (srtpsdesdec): `crypto` from `remote_crypto`;
 *   `add-crypto` for each further fork's early media, `clear-crypto` and
 *   the winner's key once a 2xx decides the fork;
 * - #SdesMediaBinding:rtp-sink / #SdesMediaBinding:rtcp-sink (udpsink or
 *   anything with `host` and `port`): the peer's address and ports, again
 *   when a re-INVITE adds or drops rtcp-mux (#SdesMediaBinding:rtcp-mux);
 * - #SdesMediaBinding:valve (valve): `drop` while the call is on hold or
 *   has no destination.
 *
 * The pipeline is the application's: it is built when the first
 * negotiated description is known (codec, SRTP or RTP), in a handler of
 * #SdesMediaBinding::first-media that sets the element properties. The
 * binding then keys the elements, sets the destination and only then
 * starts #SdesMediaBinding:pipeline, so no packet meets a keyless decoder.
 * On an RTP-only call (fallback) no SRTP element is needed.
 *
 * The binding never sees a packet's payload. All methods must be called
 * from the thread that runs the call's GMainContext; the pipeline's bus is
 * watched on the thread-default context at the first media.
 *
 * Since: 0.1
 */

#include "sdes-media-binding.h"

#include <string.h>

/**
 * sdes_media_error_quark:
 *
 * The error domain of #SdesMediaBinding (`SDES_MEDIA_ERROR`): the errors of
 * sdes_media_binding_apply() and sdes_media_binding_add_early() are in it,
 * with a #SdesMediaError code. (#SdesMediaBinding::error passes on the
 * pipeline's own #GError, in a GStreamer domain.)
 *
 * Returns: the #GQuark of the domain.
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (sdes-media-error-quark, sdes_media_error)

struct _SdesMediaBinding {
  GObject parent;

  GstElement *pipeline;
  GstElement *enc;      /* srtpsdesenc, NULL on an RTP-only call */
  GstElement *dec;      /* srtpsdesdec, NULL on an RTP-only call */
  GstElement *rtp_sink;
  GstElement *rtcp_sink;
  GstElement *valve;

  gboolean started;
  gboolean stopped;     /* after stop(): later descriptions are ignored */
  gboolean secure;
  gboolean rtcp_mux;    /* as last negotiated (RFC 5761) */
  GstBus *bus;          /* watched (signal watch) while started */
  gulong bus_handler;

  SdesMediaDescription *current;
  GHashTable *early_tags;   /* dialog tags whose keys are on the decoder */
  SdesMediaStats stats;
};

G_DEFINE_FINAL_TYPE (SdesMediaBinding, sdes_media_binding, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PIPELINE,
  PROP_ENCODER,
  PROP_DECODER,
  PROP_RTP_SINK,
  PROP_RTCP_SINK,
  PROP_VALVE,
  PROP_SECURE,
  PROP_RTCP_MUX,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_FIRST_MEDIA,
  SIGNAL_SECURE_MEDIA,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
sdes_media_binding_init (SdesMediaBinding *self)
{
  self->early_tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
sdes_media_binding_dispose (GObject *object)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);

  sdes_media_binding_stop (self);
  G_OBJECT_CLASS (sdes_media_binding_parent_class)->dispose (object);
}

static void
sdes_media_binding_finalize (GObject *object)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);

  g_clear_pointer (&self->current, sdes_media_description_unref);
  g_hash_table_unref (self->early_tags);
  G_OBJECT_CLASS (sdes_media_binding_parent_class)->finalize (object);
}

static GstElement **
element_slot (SdesMediaBinding *self, guint prop_id)
{
  switch (prop_id) {
    case PROP_PIPELINE: return &self->pipeline;
    case PROP_ENCODER: return &self->enc;
    case PROP_DECODER: return &self->dec;
    case PROP_RTP_SINK: return &self->rtp_sink;
    case PROP_RTCP_SINK: return &self->rtcp_sink;
    case PROP_VALVE: return &self->valve;
    default: return NULL;
  }
}

static void
sdes_media_binding_set_property (GObject *object, guint prop_id,
                                 const GValue *value, GParamSpec *pspec)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);
  GstElement **slot = element_slot (self, prop_id);

  if (slot == NULL) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    return;
  }
  gst_clear_object (slot);
  *slot = g_value_dup_object (value);
}

static void
sdes_media_binding_get_property (GObject *object, guint prop_id,
                                 GValue *value, GParamSpec *pspec)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);
  GstElement **slot = element_slot (self, prop_id);

  if (slot != NULL)
    g_value_set_object (value, *slot);
  else if (prop_id == PROP_SECURE)
    g_value_set_boolean (value, self->secure);
  else if (prop_id == PROP_RTCP_MUX)
    g_value_set_boolean (value, self->rtcp_mux);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static GParamSpec *
element_param (const gchar *name, const gchar *blurb)
{
  return g_param_spec_object (name, NULL, blurb, GST_TYPE_ELEMENT,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

/* Over 100 lines only because every property and signal carries its
 * gi-docgen block (they are the introspected API's documentation). */
static void
sdes_media_binding_class_init (SdesMediaBindingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sdes_media_binding_dispose;
  object_class->finalize = sdes_media_binding_finalize;
  object_class->set_property = sdes_media_binding_set_property;
  object_class->get_property = sdes_media_binding_get_property;

  /**
   * SdesMediaBinding:pipeline:
   *
   * The pipeline to start (PLAYING) once the first negotiated media has
   * keyed the elements; %NULL when the application starts it itself.
   *
   * Since: 0.1
   */
  props[PROP_PIPELINE] = element_param ("pipeline",
      "Pipeline started after the first media keyed the elements (NULL: the application starts it)");
  /**
   * SdesMediaBinding:encoder:
   *
   * The srtpsdesenc protecting the stream; needed on a secure call.
   *
   * Since: 0.1
   */
  props[PROP_ENCODER] = element_param ("encoder", "srtpsdesenc of the stream (secure calls)");
  /**
   * SdesMediaBinding:decoder:
   *
   * The srtpsdesdec authenticating the stream; needed on a secure call.
   *
   * Since: 0.1
   */
  props[PROP_DECODER] = element_param ("decoder", "srtpsdesdec of the stream (secure calls)");
  /**
   * SdesMediaBinding:rtp-sink:
   *
   * Element whose `host` and `port` are set to the peer's RTP address.
   *
   * Since: 0.1
   */
  props[PROP_RTP_SINK] = element_param ("rtp-sink", "udpsink aimed at the peer's RTP port");
  /**
   * SdesMediaBinding:rtcp-sink:
   *
   * Element whose `host` and `port` are set to the peer's RTCP address (its
   * RTP port with rtcp-mux, RFC 5761).
   *
   * Since: 0.1
   */
  props[PROP_RTCP_SINK] = element_param ("rtcp-sink", "udpsink aimed at the peer's RTCP port");
  /**
   * SdesMediaBinding:valve:
   *
   * A valve before the sender: `drop` while the call is on hold (RFC 3264
   * §8.4 sendonly/recvonly/inactive, or RFC 2543 c=0.0.0.0).
   *
   * Since: 0.1
   */
  props[PROP_VALVE] = element_param ("valve", "valve that stops sending while on hold");
  /**
   * SdesMediaBinding:secure:
   *
   * The first negotiated media was SRTP: the stream runs through the
   * encoder and decoder.
   *
   * Since: 0.1
   */
  props[PROP_SECURE] = g_param_spec_boolean ("secure", NULL,
      "The stream runs through srtpsdesenc/srtpsdesdec", FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesMediaBinding:rtcp-mux:
   *
   * RTCP shares the RTP port (RFC 5761), as last negotiated. A re-INVITE
   * that adds or drops a=rtcp-mux changes it during the call: the notify
   * comes before #SdesMediaBinding:rtcp-sink is aimed at the peer's new
   * RTCP port, so a handler may move RTCP to the RTP socket (or back) and
   * replace the rtcp-sink element. The keys and the SRTCP index stay.
   *
   * Since: 0.2
   */
  props[PROP_RTCP_MUX] = g_param_spec_boolean ("rtcp-mux", NULL,
      "RTCP shares the RTP port (RFC 5761), as last negotiated", FALSE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * SdesMediaBinding::first-media:
   * @binding: the binding
   * @desc: the first active audio description of the call
   *
   * Emitted once, before any element is keyed: a handler builds the
   * pipeline @desc needs (its codec; SRTP elements when @desc is secure)
   * and sets the element properties of @binding.
   *
   * Since: 0.1
   */
  signals[SIGNAL_FIRST_MEDIA] = g_signal_new ("first-media", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
      SDES_TYPE_MEDIA_DESCRIPTION | G_SIGNAL_TYPE_STATIC_SCOPE);
  /**
   * SdesMediaBinding::secure-media:
   * @binding: the binding
   * @suite: suite of the stream's key
   * @tag: its a=crypto tag
   *
   * The decoder authenticated the first packet of a stream (the phone's
   * "lock icon"): emitted on the main context, never with a lock held.
   *
   * Since: 0.1
   */
  signals[SIGNAL_SECURE_MEDIA] = g_signal_new ("secure-media", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  /**
   * SdesMediaBinding::error:
   * @binding: the binding
   * @error: what went wrong
   *
   * The pipeline posted an error.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

/**
 * sdes_media_binding_new:
 *
 * Creates a binding that holds no element yet. Give it the elements of
 * the stream (#SdesMediaBinding:encoder, #SdesMediaBinding:decoder, the
 * sinks, the valve, the pipeline) either before the call or, once the
 * negotiated codec and security are known, from a
 * #SdesMediaBinding::first-media handler; then connect it to a call with
 * sdes_media_binding_attach_call(), or feed it descriptions with
 * sdes_media_binding_apply().
 *
 * Returns: (transfer full): a new binding with no elements; set them from
 *   #SdesMediaBinding::first-media or before the call.
 *
 * Since: 0.1
 */
SdesMediaBinding *
sdes_media_binding_new (void)
{
  return g_object_new (SDES_TYPE_MEDIA_BINDING, NULL);
}

/* ------------------------------------------------------------------------- */
/* Counters                                                                   */
/* ------------------------------------------------------------------------- */

static guint64
stats_u64 (const GstStructure *s, const gchar *field)
{
  guint64 v = 0;

  gst_structure_get_uint64 (s, field, &v);
  return v;
}

/* One per-SSRC entry of srtpsdesenc's or srtpsdesdec's stats. */
static void
add_stream_stats (const GstStructure *st, gboolean sending, SdesMediaStats *stats)
{
  guint64 packets = stats_u64 (st, "packets");
  gboolean rtcp = FALSE;

  gst_structure_get_boolean (st, "rtcp", &rtcp);
  if (sending) {
    *(rtcp ? &stats->rtcp_sent : &stats->packets_sent) += packets;
    stats->send_drops += stats_u64 (st, "replay-drops") + stats_u64 (st, "limit-drops")
        + stats_u64 (st, "invalid-drops");
    return;
  }
  *(rtcp ? &stats->rtcp_received : &stats->packets_received) += packets;
  stats->auth_failures += stats_u64 (st, "auth-failures");
  stats->replay_drops += stats_u64 (st, "replay-drops");
  stats->unknown_key_drops += stats_u64 (st, "unknown-key-drops");
  stats->limit_drops += stats_u64 (st, "limit-drops");
  stats->invalid_drops += stats_u64 (st, "invalid-drops");
}

static void
add_stats_from (GstElement *element, gboolean sending, SdesMediaStats *stats)
{
  g_autoptr (GstStructure) s = NULL;
  const GValue *streams;
  guint64 invalid;

  if (element == NULL)
    return;
  g_object_get (element, "stats", &s, NULL);
  if (s == NULL)
    return;
  /* Datagrams that are not SRTP/SRTCP belong to no SSRC: element-wide. */
  invalid = stats_u64 (s, "invalid-drops");
  if (sending)
    stats->send_drops += invalid;
  else
    stats->invalid_drops += invalid;
  streams = gst_structure_get_value (s, "streams");
  if (streams == NULL || !GST_VALUE_HOLDS_ARRAY (streams))
    return;
  for (guint i = 0; i < gst_value_array_get_size (streams); i++)
    add_stream_stats (gst_value_get_structure (gst_value_array_get_value (streams, i)),
                      sending, stats);
}

/**
 * sdes_media_binding_get_stats:
 * @self: a binding
 * @stats: (out caller-allocates): the counters
 *
 * Counters of srtpsdesenc/srtpsdesdec (packet counts stay zero on an
 * RTP-only call, which has no SRTP elements: the application counts those
 * itself) plus the rekeys and secure streams the binding saw. After
 * sdes_media_binding_stop() the last values are kept.
 *
 * Since: 0.1
 */
void
sdes_media_binding_get_stats (SdesMediaBinding *self, SdesMediaStats *stats)
{
  g_return_if_fail (SDES_IS_MEDIA_BINDING (self));
  g_return_if_fail (stats != NULL);

  if (self->started && self->secure) {
    SdesMediaStats now = { 0 };

    now.secure_streams = self->stats.secure_streams;
    now.rekeys = self->stats.rekeys;
    add_stats_from (self->enc, TRUE, &now);
    add_stats_from (self->dec, FALSE, &now);
    self->stats = now;
  }
  *stats = self->stats;
}

/* ------------------------------------------------------------------------- */
/* Keys, destination, hold                                                    */
/* ------------------------------------------------------------------------- */

/* Sets a key property; the formatted value holds key bytes, so it is wiped. */
static void
set_crypto (GstElement *element, const SdesCryptoAttr *attr)
{
  gchar *value = attr ? sdes_crypto_attr_format (attr) : NULL;

  g_object_set (element, "crypto", value, NULL);
  sdes_crypto_free_secret (value);
}

static void
set_drop (SdesMediaBinding *self, gboolean drop)
{
  if (self->valve)
    g_object_set (self->valve, "drop", drop, NULL);
}

static gboolean
is_unspecified (const gchar *address)
{
  return strcmp (address, "0.0.0.0") == 0 || strcmp (address, "::") == 0;
}

static void
update_destination (SdesMediaBinding *self, const SdesMediaDescription *desc)
{
  gboolean has_address = desc->remote_address && desc->remote_port != 0;
  gboolean can_send = has_address && !is_unspecified (desc->remote_address)
      && (desc->direction == SDES_DIRECTION_SENDRECV || desc->direction == SDES_DIRECTION_SENDONLY);

  if (has_address && self->rtp_sink)
    g_object_set (self->rtp_sink, "host", desc->remote_address, "port", (gint) desc->remote_port,
                  NULL);
  if (has_address && self->rtcp_sink)
    g_object_set (self->rtcp_sink, "host", desc->remote_address, "port",
                  (gint) (desc->remote_rtcp_port ? desc->remote_rtcp_port : desc->remote_port + 1),
                  NULL);
  /* Hold (RFC 3264 §8.4 sendonly/recvonly/inactive, or RFC 2543 c=0.0.0.0):
   * stop sending; the key and the stream's ROC stay. */
  set_drop (self, !can_send);
}

static const SdesMediaDescription *
find_audio (GPtrArray *media)
{
  for (guint i = 0; media && i < media->len; i++) {
    const SdesMediaDescription *d = g_ptr_array_index (media, i);
    if (d->media_type == SDES_MEDIA_TYPE_AUDIO && d->active)
      return d;
  }
  return NULL;
}

/* Main context (signal watch): the decoder's first authenticated packet of
 * a stream, and pipeline errors. */
static void
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  SdesMediaBinding *self = user_data;
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) err = NULL;
    g_autofree gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, err);
    return;
  }
  s = gst_message_get_structure (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && self->dec != NULL
      && GST_MESSAGE_SRC (msg) == GST_OBJECT (self->dec)
      && s != NULL && gst_structure_has_name (s, "srtpsdes-secure")) {
    gboolean rtcp = FALSE;
    guint tag = 0;

    gst_structure_get_boolean (s, "rtcp", &rtcp);
    gst_structure_get_uint (s, "tag", &tag);
    if (!rtcp) {
      self->stats.secure_streams++;
      g_signal_emit (self, signals[SIGNAL_SECURE_MEDIA], 0, gst_structure_get_string (s, "suite"),
                     tag);
    }
  }
}

static void
watch_bus (SdesMediaBinding *self)
{
  GstElement *any = self->pipeline ? self->pipeline : self->dec;

  if (any == NULL || (self->bus = gst_element_get_bus (any)) == NULL)
    return;
  gst_bus_add_signal_watch (self->bus);
  self->bus_handler = g_signal_connect (self->bus, "message", G_CALLBACK (on_bus_message), self);
}

/* The first active audio description: the application builds its
 * pipeline (first-media), the elements are keyed and aimed, then the
 * pipeline starts. */
static gboolean
start (SdesMediaBinding *self, const SdesMediaDescription *desc, GError **error)
{
  self->secure = desc->secure;
  self->rtcp_mux = desc->rtcp_mux;
  g_signal_emit (self, signals[SIGNAL_FIRST_MEDIA], 0, desc);
  if (self->pipeline == NULL && self->enc == NULL && self->rtp_sink == NULL) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_MISSING_ELEMENT,
                 "no pipeline or element was given for the %s stream (set them from first-media)",
                 desc->encoding_name ? desc->encoding_name : "negotiated");
    return FALSE;
  }
  if (self->secure && (self->enc == NULL || self->dec == NULL)) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_MISSING_ELEMENT,
                 "the stream is SRTP but no %s was given (set it from first-media)",
                 self->enc == NULL ? "srtpsdesenc (encoder)" : "srtpsdesdec (decoder)");
    return FALSE;
  }
  if (self->secure) {
    set_crypto (self->enc, desc->local_crypto);
    set_crypto (self->dec, desc->remote_crypto);
  }
  update_destination (self, desc);
  watch_bus (self);
  self->started = TRUE;
  if (self->pipeline
      && gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE,
                 "the media pipeline did not start");
    return FALSE;
  }
  g_hash_table_remove_all (self->early_tags);
  return TRUE;
}

/* A later description of the same call: rekeys, the fork's winner,
 * destination and hold. */
static gboolean
update (SdesMediaBinding *self, const SdesMediaDescription *desc, GError **error)
{
  gboolean forked = g_hash_table_size (self->early_tags) > 0;

  if (desc->secure != self->secure) {
    /* An SRTP <-> RTP switch mid-call would need a new pipeline; say so
     * instead of sending in the clear or encrypting toward a plain peer. */
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_UNSUPPORTED,
                 "switching between SRTP and RTP during a call is not supported");
    set_drop (self, TRUE);
    return FALSE;
  }
  if (self->secure && desc->local_key_changed) {
    set_crypto (self->enc, desc->local_crypto);
    self->stats.rekeys++;
  }
  if (self->secure && (desc->remote_key_changed || forked)) {
    /* The winner's key replaces every early fork's: packets of the losing
     * forks then authenticate with no key and are counted. */
    if (forked)
      g_signal_emit_by_name (self->dec, "clear-crypto");
    set_crypto (self->dec, desc->remote_crypto);
    if (desc->remote_key_changed)
      self->stats.rekeys++;
    g_hash_table_remove_all (self->early_tags);
  }
  if (desc->rtcp_mux != self->rtcp_mux) {
    /* RFC 5761 §5.1.1: a re-offer added or dropped a=rtcp-mux. */
    self->rtcp_mux = desc->rtcp_mux;
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RTCP_MUX]);
  }
  update_destination (self, desc);
  return TRUE;
}

/**
 * sdes_media_binding_apply:
 * @self: a binding
 * @media: (element-type SdesMediaDescription): the negotiated descriptions
 *   (#SdesCall::media-ready or #SdesCall::media-updated)
 * @error: return location for a #SDES_MEDIA_ERROR
 *
 * On the first active audio description: emits
 * #SdesMediaBinding::first-media, keys the elements, sets the destination
 * and starts the pipeline. Afterwards applies what changed: destination,
 * hold/resume, and live rekeys (the decoder keeps the old key until the new
 * one authenticates, so no packet is lost).
 *
 * Returns: %TRUE on success.
 *
 * Since: 0.1
 */
gboolean
sdes_media_binding_apply (SdesMediaBinding *self, GPtrArray *media, GError **error)
{
  const SdesMediaDescription *desc;

  g_return_val_if_fail (SDES_IS_MEDIA_BINDING (self), FALSE);

  desc = find_audio (media);
  if (self->stopped)
    return TRUE;
  if (desc == NULL) {
    set_drop (self, TRUE);
    return TRUE;
  }
  if (!(self->started ? update (self, desc, error) : start (self, desc, error)))
    return FALSE;
  g_clear_pointer (&self->current, sdes_media_description_unref);
  self->current = sdes_media_description_ref ((SdesMediaDescription *) desc);
  return TRUE;
}

/**
 * sdes_media_binding_add_early:
 * @self: a binding
 * @dialog_tag: the early dialog (To-tag) that answered
 * @media: (element-type SdesMediaDescription): its descriptions
 * @error: return location for a #SDES_MEDIA_ERROR
 *
 * Early media from one fork (#SdesCall::early-media): the first fork starts
 * the media as sdes_media_binding_apply() does; each further fork's key is
 * added to the decoder with `add-crypto`, so every fork's early media
 * decrypts at once (RFC 3261 §13.2.2.4 lets each fork answer).
 *
 * Returns: %TRUE on success.
 *
 * Since: 0.1
 */
gboolean
sdes_media_binding_add_early (SdesMediaBinding *self, const gchar *dialog_tag,
                              GPtrArray *media, GError **error)
{
  const SdesMediaDescription *desc;

  g_return_val_if_fail (SDES_IS_MEDIA_BINDING (self), FALSE);
  g_return_val_if_fail (dialog_tag != NULL, FALSE);

  desc = find_audio (media);
  if (desc == NULL || self->stopped)
    return TRUE;
  if (!self->started) {
    if (!sdes_media_binding_apply (self, media, error))
      return FALSE;
  } else if (self->secure && desc->secure && desc->remote_crypto
             && !g_hash_table_contains (self->early_tags, dialog_tag)) {
    gchar *value = sdes_crypto_attr_format (desc->remote_crypto);
    gboolean ok = FALSE;

    g_signal_emit_by_name (self->dec, "add-crypto", value, &ok);
    sdes_crypto_free_secret (value);
    if (!ok) {
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE,
                   "srtpsdesdec refused the key of early dialog %s", dialog_tag);
      return FALSE;
    }
  }
  g_hash_table_add (self->early_tags, g_strdup (dialog_tag));
  return TRUE;
}

static void
on_early_media (SdesCall *call, const gchar *tag, GPtrArray *media, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  if (!sdes_media_binding_add_early (user_data, tag, media, &error))
    g_warning ("early media: %s", error->message);
}

static void
on_media (SdesCall *call, GPtrArray *media, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  if (!sdes_media_binding_apply (user_data, media, &error))
    g_warning ("media: %s", error->message);
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, gpointer user_data)
{
  sdes_media_binding_stop (user_data);
}

/**
 * sdes_media_binding_attach_call:
 * @self: a binding
 * @call: the call whose keys the elements follow
 *
 * Follows @call: early media, media ready/updated; stops when it ends.
 * Connect to @call's #SdesCall::ended after this call to tear the pipeline
 * down once the binding has taken its last counters.
 *
 * Since: 0.1
 */
void
sdes_media_binding_attach_call (SdesMediaBinding *self, SdesCall *call)
{
  g_return_if_fail (SDES_IS_MEDIA_BINDING (self));
  g_return_if_fail (SDES_IS_CALL (call));

  g_signal_connect_object (call, "early-media", G_CALLBACK (on_early_media), self, 0);
  g_signal_connect_object (call, "media-ready", G_CALLBACK (on_media), self, 0);
  g_signal_connect_object (call, "media-updated", G_CALLBACK (on_media), self, 0);
  g_signal_connect_object (call, "ended", G_CALLBACK (on_ended), self, 0);
}

/**
 * sdes_media_binding_stop:
 * @self: a binding
 *
 * Takes the final counters, stops watching the bus and lets go of the
 * elements; the application stops its own pipeline afterwards. Idempotent.
 *
 * Since: 0.1
 */
void
sdes_media_binding_stop (SdesMediaBinding *self)
{
  SdesMediaStats last;

  g_return_if_fail (SDES_IS_MEDIA_BINDING (self));

  sdes_media_binding_get_stats (self, &last);
  self->started = FALSE;
  self->stopped = TRUE;
  if (self->bus) {
    g_signal_handler_disconnect (self->bus, self->bus_handler);
    gst_bus_remove_signal_watch (self->bus);
    gst_clear_object (&self->bus);
  }
  gst_clear_object (&self->pipeline);
  gst_clear_object (&self->enc);
  gst_clear_object (&self->dec);
  gst_clear_object (&self->rtp_sink);
  gst_clear_object (&self->rtcp_sink);
  gst_clear_object (&self->valve);
}
