/* srtpsdes — keeps a GStreamer pipeline in step with a call's negotiated media
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:sdes-media-binding
 * @title: SdesMediaBinding
 * @short_description: drive srtpsdesenc/srtpsdesdec from a call's negotiated keys
 *
 * The binding owns the RTP and RTCP sockets of one audio stream and a
 * pipeline built around them:
 *
 * |[
 * audiotestsrc ! audioconvert ! audioresample ! <enc> ! <pay> ! valve ! rtpbin.send_rtp_sink_0
 * rtpbin.send_rtp_src_0  ! srtpsdesenc.rtp_sink_0  ... rtp_src_0  ! udpsink (RTP socket)
 * rtpbin.send_rtcp_src_0 ! srtpsdesenc.rtcp_sink_0 ... rtcp_src_0 ! udpsink (RTCP socket)
 * udpsrc (RTP socket)  ! srtpsdesdec.rtp_sink  ... rtp_src  ! rtpbin.recv_rtp_sink_0
 * udpsrc (RTCP socket) ! srtpsdesdec.rtcp_sink ... rtcp_src ! rtpbin.recv_rtcp_sink_0
 * rtpbin.recv_rtp_src_0_* ! <depay> ! <dec> ! audioconvert ! audioresample ! tee ! ... sinks
 * ]|
 *
 * The SRTP elements sit outside rtpbin so that an RTP-only call (fallback)
 * links udpsrc/udpsink to rtpbin directly: no SRTP element in the path.
 * Signalling decides keys; the pipeline does the crypto ("DSP offload" in the
 * Cisco seed). The binding never sees a packet's payload: it only sets the
 * elements' `crypto` property, `add-crypto`/`clear-crypto` for forks, the
 * valve for hold, and udpsink's destination.
 *
 * All methods must be called from the thread that runs the call's
 * GMainContext. The pipeline's bus is watched on the thread-default context
 * at the time sdes_media_binding_apply() builds it.
 *
 * Since: 0.1
 */

#include "sdes-media-binding.h"


#include <math.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK (sdes-media-error-quark, sdes_media_error)

/* One second of 8 kHz mono audio per analysis window. */
#define ANALYSIS_RATE 8000
#define ANALYSIS_MAX_SAMPLES (ANALYSIS_RATE * 4)

struct _SdesMediaBinding {
  GObject parent;

  gchar *address;
  gdouble tone;
  gchar *record_location;
  gboolean play;
  gchar **codecs;
  gchar *plaintext_dump;
  FILE *plaintext_file;   /* written from the streaming thread only */
  gboolean rtcp_mux;      /* offer RTCP on the RTP port (RFC 5761) */

  GSocket *rtp_socket;
  GSocket *rtcp_socket;
  guint rtp_port;
  guint rtcp_port;

  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *valve;
  GstElement *enc;      /* srtpsdesenc, NULL on an RTP-only call */
  GstElement *dec;      /* srtpsdesdec, NULL on an RTP-only call */
  GstElement *rtp_sink;
  GstElement *rtcp_sink;
  GstElement *recv_head; /* first element after rtpbin's recv pad */
  guint bus_watch;
  gboolean secure;
  gint payload_type;
  guint clock_rate;
  gchar *encoding_name;

  SdesMediaDescription *current;
  GHashTable *early_tags;   /* dialog tags whose keys are on the decoder */

  /* Received audio for the frequency check: written from the streaming thread. */
  GMutex samples_lock;
  GArray *samples;

  SdesMediaStats stats;
  /* RTP packets through udpsink / out of rtpbin, counted by pad probes so an
   * RTP-only call (no SRTP elements) has counts too. */
  gint plain_sent;
  gint plain_received;
  /* RTCP out of rtpbin / into rtpbin, for the same reason. */
  gint plain_rtcp_sent;
  gint plain_rtcp_received;
  /* RFC 5761 rtcp-mux negotiated: RTCP leaves by the RTP socket, and what
   * arrives on it is split by payload type (RFC 5761 §4), RTCP going into
   * rtpbin through this appsrc. NULL without rtcp-mux. */
  GstElement *mux_rtcp_src;
  GWeakRef call;
};

G_DEFINE_FINAL_TYPE (SdesMediaBinding, sdes_media_binding, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TONE,
  PROP_RECORD_LOCATION,
  PROP_PLAY,
  PROP_PLAINTEXT_DUMP,
  PROP_CODECS,
  PROP_RTP_PORT,
  PROP_SECURE,
  PROP_RTCP_MUX,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_SECURE_MEDIA,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
sdes_media_binding_init (SdesMediaBinding *self)
{
  self->tone = 440.0;
  self->codecs = g_strsplit ("PCMU,PCMA,OPUS", ",", -1);
  self->payload_type = -1;
  self->early_tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->samples_lock);
  self->samples = g_array_new (FALSE, FALSE, sizeof (gint16));
  g_weak_ref_init (&self->call, NULL);
}

static void
sdes_media_binding_dispose (GObject *object)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);

  sdes_media_binding_stop (self);
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);
  G_OBJECT_CLASS (sdes_media_binding_parent_class)->dispose (object);
}

static void
sdes_media_binding_finalize (GObject *object)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);

  g_free (self->address);
  g_free (self->record_location);
  g_free (self->plaintext_dump);
  g_strfreev (self->codecs);
  g_free (self->encoding_name);
  g_clear_pointer (&self->current, sdes_media_description_unref);
  g_hash_table_unref (self->early_tags);
  g_array_unref (self->samples);
  g_mutex_clear (&self->samples_lock);
  g_weak_ref_clear (&self->call);
  G_OBJECT_CLASS (sdes_media_binding_parent_class)->finalize (object);
}

static void
sdes_media_binding_set_property (GObject *object, guint prop_id,
                                 const GValue *value, GParamSpec *pspec)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);

  switch (prop_id) {
    case PROP_TONE:
      self->tone = g_value_get_double (value);
      break;
    case PROP_RECORD_LOCATION:
      g_free (self->record_location);
      self->record_location = g_value_dup_string (value);
      break;
    case PROP_PLAY:
      self->play = g_value_get_boolean (value);
      break;
    case PROP_PLAINTEXT_DUMP:
      g_free (self->plaintext_dump);
      self->plaintext_dump = g_value_dup_string (value);
      break;
    case PROP_CODECS:
      g_strfreev (self->codecs);
      self->codecs = g_value_dup_boxed (value);
      break;
    case PROP_RTCP_MUX:
      self->rtcp_mux = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sdes_media_binding_get_property (GObject *object, guint prop_id,
                                 GValue *value, GParamSpec *pspec)
{
  SdesMediaBinding *self = SDES_MEDIA_BINDING (object);

  switch (prop_id) {
    case PROP_TONE:
      g_value_set_double (value, self->tone);
      break;
    case PROP_RECORD_LOCATION:
      g_value_set_string (value, self->record_location);
      break;
    case PROP_PLAY:
      g_value_set_boolean (value, self->play);
      break;
    case PROP_PLAINTEXT_DUMP:
      g_value_set_string (value, self->plaintext_dump);
      break;
    case PROP_CODECS:
      g_value_set_boxed (value, self->codecs);
      break;
    case PROP_RTP_PORT:
      g_value_set_uint (value, self->rtp_port);
      break;
    case PROP_SECURE:
      g_value_set_boolean (value, self->secure);
      break;
    case PROP_RTCP_MUX:
      g_value_set_boolean (value, self->rtcp_mux);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sdes_media_binding_class_init (SdesMediaBindingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sdes_media_binding_dispose;
  object_class->finalize = sdes_media_binding_finalize;
  object_class->set_property = sdes_media_binding_set_property;
  object_class->get_property = sdes_media_binding_get_property;

  /**
   * SdesMediaBinding:tone:
   *
   * Frequency in Hz of the sine tone sent; 0 sends silence.
   *
   * Since: 0.1
   */
  props[PROP_TONE] = g_param_spec_double ("tone", NULL, "Tone frequency to send (Hz, 0 = silence)",
      0.0, 20000.0, 440.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesMediaBinding:record-location:
   *
   * WAV file to write the received (decrypted, decoded) audio to.
   *
   * Since: 0.1
   */
  props[PROP_RECORD_LOCATION] = g_param_spec_string ("record-location", NULL,
      "WAV file for the received audio (NULL: none)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesMediaBinding:play:
   *
   * Also play the received audio on autoaudiosink.
   *
   * Since: 0.1
   */
  props[PROP_PLAY] = g_param_spec_boolean ("play", NULL, "Play received audio (autoaudiosink)",
      FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesMediaBinding:plaintext-dump:
   *
   * Test rigs only: append the plaintext RTP payload of every packet sent
   * (before srtpsdesenc) to this file, so a capture of the media port can be
   * checked for the absence of plaintext. It is media, not key material.
   *
   * Since: 0.1
   */
  props[PROP_PLAINTEXT_DUMP] = g_param_spec_string ("plaintext-dump", NULL,
      "File receiving the plaintext RTP payloads sent (test rigs)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesMediaBinding:codecs:
   *
   * Codecs to offer/accept, in preference order: any of "PCMU", "PCMA",
   * "OPUS" (default all three, in that order). Read by
   * sdes_media_binding_prepare(); codecs whose encoder is not installed are
   * left out.
   *
   * Since: 0.1
   */
  props[PROP_CODECS] = g_param_spec_boxed ("codecs", NULL, "Codecs in preference order",
      G_TYPE_STRV, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_RTP_PORT] = g_param_spec_uint ("rtp-port", NULL, "Local RTP port (after prepare)",
      0, 65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_SECURE] = g_param_spec_boolean ("secure", NULL,
      "The stream runs through srtpsdesenc/srtpsdesdec", FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesMediaBinding:rtcp-mux:
   *
   * Offer RTP and RTCP on one port (RFC 5761: a=rtcp-mux; PEERS §2.13,
   * mediasoup and WebRTC-era peers expect it). The RTCP port is still
   * allocated (RTP port + 1, the RFC 3550 default, so no a=rtcp), so a
   * peer that does not accept mux gets separate ports. When mux is negotiated, RTCP is sent from the RTP
   * socket to the peer's RTP port, and the packets arriving on the RTP
   * socket are split by payload type (RTCP is 192..223). With SRTP, both
   * use the stream's one key (SRTCP from the same master key). Read by
   * sdes_media_binding_prepare() (offers) and at the first negotiated
   * media (answers); the first negotiation decides for the call.
   *
   * Since: 0.1
   */
  props[PROP_RTCP_MUX] = g_param_spec_boolean ("rtcp-mux", NULL,
      "Offer/accept RTP and RTCP on one port (RFC 5761)", FALSE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

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
   * The pipeline failed.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

/**
 * sdes_media_binding_new:
 * @address: local IP address for RTP/RTCP (e.g. "127.0.0.1")
 *
 * Returns: (transfer full): a new binding.
 *
 * Since: 0.1
 */
SdesMediaBinding *
sdes_media_binding_new (const gchar *address)
{
  SdesMediaBinding *self;

  g_return_val_if_fail (address != NULL, NULL);
  self = g_object_new (SDES_TYPE_MEDIA_BINDING, NULL);
  self->address = g_strdup (address);
  return self;
}

typedef struct {
  const gchar *encoding;
  guint payload_type;   /* static PT, or the dynamic one we offer */
  guint clock_rate;
  guint channels;       /* as written in a=rtpmap */
  guint raw_rate;       /* what the encoder is fed */
  const gchar *encoder;
  const gchar *payloader;
  const gchar *depayloader;
  const gchar *decoder;
} CodecElements;

/* RFC 3551 static types; RFC 7587: opus/48000/2 whatever the channel count. */
static const CodecElements codecs[] = {
  { "PCMU", 0, 8000, 1, 8000, "mulawenc", "rtppcmupay", "rtppcmudepay", "mulawdec" },
  { "PCMA", 8, 8000, 1, 8000, "alawenc", "rtppcmapay", "rtppcmadepay", "alawdec" },
  { "OPUS", 111, 48000, 2, 48000, "opusenc", "rtpopuspay", "rtpopusdepay", "opusdec" },
};

static const CodecElements *
codec_by_name (const gchar *name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (name, codecs[i].encoding) == 0)
      return &codecs[i];
  return NULL;
}

static GSocket *
bind_udp (GInetAddress *inet, guint port, GError **error)
{
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocketAddress) sa = NULL;

  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM,
                       G_SOCKET_PROTOCOL_UDP, error);
  if (sock == NULL)
    return NULL;
  sa = g_inet_socket_address_new (inet, (guint16) port);
  if (!g_socket_bind (sock, sa, FALSE, error))
    return NULL;
  return g_steal_pointer (&sock);
}

static guint
socket_port (GSocket *sock)
{
  g_autoptr (GSocketAddress) sa = g_socket_get_local_address (sock, NULL);
  return sa ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)) : 0;
}

/**
 * sdes_media_binding_prepare:
 * @self: a binding
 * @error: return location for a #SDES_MEDIA_ERROR
 *
 * Binds an even RTP port and the next odd RTCP port on the binding's
 * address (RFC 3550 §11) and describes what the default pipeline can do:
 * one audio stream offering PCMU, PCMA and (when installed) Opus.
 *
 * Returns: (transfer full) (nullable): the local media to hand to the agent.
 *
 * Since: 0.1
 */
SdesLocalMedia *
sdes_media_binding_prepare (SdesMediaBinding *self, GError **error)
{
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (SdesLocalMedia) local = NULL;
  guint stream;

  g_return_val_if_fail (SDES_IS_MEDIA_BINDING (self), NULL);

  inet = g_inet_address_new_from_string (self->address);
  if (inet == NULL) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "'%s' is not an IP address", self->address);
    return NULL;
  }

  for (guint attempt = 0; attempt < 50 && self->rtcp_socket == NULL; attempt++) {
    g_autoptr (GSocket) rtp = bind_udp (inet, 0, error);
    guint port;

    if (rtp == NULL)
      return NULL;
    port = socket_port (rtp);
    if (port % 2 != 0 || port >= 65535)
      continue;
    self->rtcp_socket = bind_udp (inet, port + 1, NULL);
    if (self->rtcp_socket != NULL) {
      self->rtp_socket = g_steal_pointer (&rtp);
      self->rtp_port = port;
      self->rtcp_port = port + 1;
    }
  }
  if (self->rtp_socket == NULL) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "no free even/odd UDP port pair on %s", self->address);
    return NULL;
  }

  local = sdes_local_media_new (self->address);
  stream = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, self->rtp_port);
  sdes_local_media_set_rtcp (local, stream, self->rtcp_port, self->rtcp_mux);
  for (gchar **c = self->codecs; c && *c; c++) {
    const CodecElements *ce = codec_by_name (*c);
    GstElementFactory *f;
    if (ce == NULL) {
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_UNSUPPORTED,
                   "codec '%s' is not one of PCMU, PCMA, OPUS", *c);
      return NULL;
    }
    /* Offer only what this machine can encode. */
    f = gst_element_factory_find (ce->encoder);
    if (f == NULL)
      continue;
    gst_object_unref (f);
    sdes_local_media_add_codec (local, stream, ce->payload_type,
                                ce->payload_type == 111 ? "opus" : ce->encoding,
                                ce->clock_rate, ce->channels, NULL);
  }
  return g_steal_pointer (&local);
}

/* ------------------------------------------------------------------------- */
/* Pipeline                                                                   */
/* ------------------------------------------------------------------------- */

static GstElement *
make (const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (e == NULL)
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_MISSING_ELEMENT,
                 "GStreamer element '%s' is not installed", factory);
  return e;
}

/* Streaming thread: keep the last seconds of received audio for the
 * dominant-frequency check. Takes samples_lock only. */
static GstPadProbeReturn
collect_samples (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SdesMediaBinding *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  if (buf && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_mutex_lock (&self->samples_lock);
    g_array_append_vals (self->samples, map.data, map.size / sizeof (gint16));
    if (self->samples->len > ANALYSIS_MAX_SAMPLES)
      g_array_remove_range (self->samples, 0, self->samples->len - ANALYSIS_MAX_SAMPLES);
    g_mutex_unlock (&self->samples_lock);
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: the payload of an outgoing RTP packet, before SRTP. */
static GstPadProbeReturn
dump_plaintext (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SdesMediaBinding *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  if (buf && self->plaintext_file && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    /* RFC 3550 §5.1: 12-byte header plus 4 bytes per CSRC. */
    gsize hdr = map.size >= 12 ? 12 + 4 * (gsize) (map.data[0] & 0x0f) : map.size;
    if (hdr < map.size)
      fwrite (map.data + hdr, 1, map.size - hdr, self->plaintext_file);
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static void
on_recv_pad_added (GstElement *rtpbin, GstPad *pad, gpointer user_data)
{
  SdesMediaBinding *self = user_data;
  g_autoptr (GstPad) sink = NULL;
  g_autofree gchar *name = gst_pad_get_name (pad);

  if (!g_str_has_prefix (name, "recv_rtp_src_0_") || self->recv_head == NULL)
    return;
  sink = gst_element_get_static_pad (self->recv_head, "sink");
  if (gst_pad_is_linked (sink)) {
    /* A second SSRC (another fork's early media): not played, but its pad
     * must be linked, or its not-linked flow return stops udpsrc for all. */
    GstElement *drop = gst_element_factory_make ("fakesink", NULL);
    g_autoptr (GstPad) drop_sink = NULL;

    g_object_set (drop, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (self->pipeline), drop);
    drop_sink = gst_element_get_static_pad (drop, "sink");
    gst_pad_link (pad, drop_sink);
    gst_element_sync_state_with_parent (drop);
    return;
  }
  gst_pad_link (pad, sink);
}

static GstCaps *
on_request_pt_map (GstElement *rtpbin, guint session, guint pt, gpointer user_data)
{
  SdesMediaBinding *self = user_data;

  if ((gint) pt != self->payload_type)
    return NULL;
  return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                              "clock-rate", G_TYPE_INT, (gint) self->clock_rate,
                              "encoding-name", G_TYPE_STRING, self->encoding_name,
                              "payload", G_TYPE_INT, self->payload_type, NULL);
}

static void
add_stats_from (GstElement *element, gboolean sending, SdesMediaStats *stats)
{
  g_autoptr (GstStructure) s = NULL;
  const GValue *streams;

  if (element == NULL)
    return;
  g_object_get (element, "stats", &s, NULL);
  if (s == NULL)
    return;
  streams = gst_structure_get_value (s, "streams");
  if (streams == NULL || !GST_VALUE_HOLDS_ARRAY (streams))
    return;
  for (guint i = 0; i < gst_value_array_get_size (streams); i++) {
    const GstStructure *st = gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint64 packets = 0, auth = 0, replay = 0, unknown = 0;
    gboolean rtcp = FALSE;

    gst_structure_get_uint64 (st, "packets", &packets);
    gst_structure_get_uint64 (st, "auth-failures", &auth);
    gst_structure_get_uint64 (st, "replay-drops", &replay);
    gst_structure_get_uint64 (st, "unknown-key-drops", &unknown);
    gst_structure_get_boolean (st, "rtcp", &rtcp);
    if (sending) {
      if (rtcp)
        stats->rtcp_sent += packets;
      else
        stats->packets_sent += packets;
    } else {
      if (rtcp)
        stats->rtcp_received += packets;
      else
        stats->packets_received += packets;
      stats->auth_failures += auth;
      stats->replay_drops += replay;
      stats->unknown_key_drops += unknown;
    }
  }
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  SdesMediaBinding *self = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) err = NULL;
      g_autofree gchar *dbg = NULL;
      gst_message_parse_error (msg, &err, &dbg);
      g_warning ("media pipeline error from %s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
                 err->message);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, err);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure (msg);
      if (s && gst_structure_has_name (s, "srtpsdes-secure")
          && GST_MESSAGE_SRC (msg) == GST_OBJECT (self->dec)) {
        gboolean rtcp = FALSE;
        guint tag = 0;
        gst_structure_get_boolean (s, "rtcp", &rtcp);
        gst_structure_get_uint (s, "tag", &tag);
        if (!rtcp) {
          self->stats.secure_streams++;
          g_signal_emit (self, signals[SIGNAL_SECURE_MEDIA], 0,
                         gst_structure_get_string (s, "suite"), tag);
        }
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
link_pads (GstElement *src, const gchar *src_pad, GstElement *sink, const gchar *sink_pad,
           GError **error)
{
  if (!gst_element_link_pads (src, src_pad, sink, sink_pad)) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE,
                 "could not link %s:%s to %s:%s", GST_OBJECT_NAME (src), src_pad,
                 GST_OBJECT_NAME (sink), sink_pad);
    return FALSE;
  }
  return TRUE;
}

static gchar *
crypto_value (const SdesCryptoAttr *attr)
{
  return attr ? sdes_crypto_attr_format (attr) : NULL;
}

/* Sets a key property; the formatted value holds key bytes, so it is wiped. */
static void
set_crypto (GstElement *element, const SdesCryptoAttr *attr)
{
  gchar *value = crypto_value (attr);

  g_object_set (element, "crypto", value, NULL);
  sdes_crypto_free_secret (value);
}

/* RFC 5761 §4: on a muxed port, RTP and RTCP differ by the second byte
 * (RTCP packet types 192..223 where RTP would carry a payload type). RTCP
 * leaves the RTP path here and enters rtpbin's RTCP pad through the
 * appsrc. Runs in the streaming thread; no lock of ours is held. */
static GstPadProbeReturn
demux_rtcp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SdesMediaBinding *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 head[2];
  GstFlowReturn ret;

  if (gst_buffer_extract (buf, 0, head, 2) != 2 || (head[0] & 0xc0) != 0x80 ||
      head[1] < 192 || head[1] > 223 || gst_buffer_get_size (buf) < 8)
    return GST_PAD_PROBE_OK;
  g_signal_emit_by_name (self->mux_rtcp_src, "push-buffer", buf, &ret);
  return GST_PAD_PROBE_DROP;
}

static void
add_rtcp_demux (SdesMediaBinding *self, GstElement *element, const gchar *pad_name)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, demux_rtcp, self, NULL);
}

static gboolean
build_pipeline (SdesMediaBinding *self, const SdesMediaDescription *desc, GError **error)
{
  const CodecElements *codec = NULL;
  GstElement *src, *conv, *res, *capsf, *enc, *pay, *udpsrc, *rtcpsrc;
  GstElement *depay, *dec, *conv2, *res2, *capsf2, *tee, *q, *sink;
  g_autoptr (GstCaps) src_caps = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) probe_pad = NULL;

  codec = codec_by_name (desc->encoding_name);
  if (codec == NULL || desc->clock_rate != codec->clock_rate) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_UNSUPPORTED,
                 "the default pipeline plays PCMU/8000, PCMA/8000 and opus/48000, not %s/%u",
                 desc->encoding_name ? desc->encoding_name : "(none)", desc->clock_rate);
    return FALSE;
  }

  self->secure = desc->secure;
  self->payload_type = desc->payload_type;
  self->clock_rate = codec->clock_rate;
  g_free (self->encoding_name);
  self->encoding_name = g_strdup (codec->encoding);

  self->pipeline = gst_pipeline_new ("sdes-media");
  if (!(self->rtpbin = make ("rtpbin", error)) || !(src = make ("audiotestsrc", error))
      || !(conv = make ("audioconvert", error)) || !(res = make ("audioresample", error))
      || !(capsf = make ("capsfilter", error)) || !(enc = make (codec->encoder, error))
      || !(pay = make (codec->payloader, error)) || !(self->valve = make ("valve", error))
      || !(self->rtp_sink = make ("udpsink", error)) || !(self->rtcp_sink = make ("udpsink", error))
      || !(udpsrc = make ("udpsrc", error))
      /* With rtcp-mux, RTCP comes out of the RTP path (demux_rtcp) into an
       * appsrc; otherwise it has its own socket. */
      || !(rtcpsrc = make (desc->rtcp_mux ? "appsrc" : "udpsrc", error))
      || !(depay = make (codec->depayloader, error)) || !(dec = make (codec->decoder, error))
      || !(conv2 = make ("audioconvert", error)) || !(res2 = make ("audioresample", error))
      || !(capsf2 = make ("capsfilter", error)) || !(tee = make ("tee", error))
      || !(q = make ("queue", error))
      || !(sink = make (self->record_location ? "wavenc" : "fakesink", error)))
    return FALSE;

  g_object_set (src, "is-live", TRUE, "freq", self->tone > 0 ? self->tone : 440.0,
                "wave", self->tone > 0 ? 0 /* sine */ : 4 /* silence */,
                "volume", 0.5, "samplesperbuffer", (gint) (codec->raw_rate / 50), NULL);
  src_caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                                  "rate", G_TYPE_INT, (gint) codec->raw_rate,
                                  "channels", G_TYPE_INT, 1, NULL);
  g_object_set (capsf, "caps", src_caps, NULL);
  {
    /* The received audio is analysed (and recorded) at 8 kHz mono. */
    g_autoptr (GstCaps) analysis = gst_caps_from_string ("audio/x-raw,format=S16LE,rate=8000,channels=1");
    g_object_set (capsf2, "caps", analysis, NULL);
  }
  g_object_set (pay, "pt", (guint) desc->payload_type, "min-ptime", (gint64) 20 * GST_MSECOND,
                "max-ptime", (gint64) 20 * GST_MSECOND, NULL);
  g_object_set (self->rtpbin, "latency", 60, NULL);
  g_object_set (self->rtp_sink, "socket", self->rtp_socket, "close-socket", FALSE,
                "sync", FALSE, "async", FALSE, NULL);
  /* RFC 5761 §5.1.3: with rtcp-mux, RTCP leaves by the RTP socket. */
  g_object_set (self->rtcp_sink, "socket", desc->rtcp_mux ? self->rtp_socket : self->rtcp_socket,
                "close-socket", FALSE,
                "sync", FALSE, "async", FALSE, NULL);
  {
    g_autoptr (GstCaps) rtp_caps = gst_caps_new_simple (
        self->secure ? "application/x-srtp" : "application/x-rtp",
        "media", G_TYPE_STRING, "audio", "clock-rate", G_TYPE_INT, (gint) codec->clock_rate,
        "encoding-name", G_TYPE_STRING, codec->encoding,
        "payload", G_TYPE_INT, desc->payload_type, NULL);
    g_autoptr (GstCaps) rtcp_caps = gst_caps_new_empty_simple (
        self->secure ? "application/x-srtcp" : "application/x-rtcp");
    g_object_set (udpsrc, "socket", self->rtp_socket, "close-socket", FALSE, "caps", rtp_caps, NULL);
    if (desc->rtcp_mux) {
      /* Plaintext RTCP: it joins after srtpsdesdec on a secure call. */
      g_autoptr (GstCaps) plain_rtcp = gst_caps_new_empty_simple ("application/x-rtcp");

      self->mux_rtcp_src = rtcpsrc;
      g_object_set (rtcpsrc, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                    "caps", plain_rtcp, NULL);
    } else {
      g_object_set (rtcpsrc, "socket", self->rtcp_socket, "close-socket", FALSE, "caps", rtcp_caps,
                    NULL);
    }
  }

  gst_bin_add_many (GST_BIN (self->pipeline), self->rtpbin, src, conv, res, capsf, enc, pay,
                    self->valve, self->rtp_sink, self->rtcp_sink, udpsrc, rtcpsrc, depay, dec,
                    conv2, res2, capsf2, tee, q, sink, NULL);
  if (!gst_element_link_many (src, conv, res, capsf, enc, pay, self->valve, NULL)
      || !gst_element_link_many (depay, dec, conv2, res2, capsf2, tee, q, sink, NULL)) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE, "could not link the codec chain");
    return FALSE;
  }
  if (self->record_location) {
    GstElement *file = make ("filesink", error);
    if (file == NULL)
      return FALSE;
    g_object_set (file, "location", self->record_location, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (self->pipeline), file);
    gst_element_link (sink, file);
  } else {
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  }
  if (self->play) {
    GstElement *q2 = make ("queue", error), *out = q2 ? make ("autoaudiosink", error) : NULL;
    if (out == NULL)
      return FALSE;
    gst_bin_add_many (GST_BIN (self->pipeline), q2, out, NULL);
    gst_element_link_many (tee, q2, out, NULL);
  }
  self->recv_head = depay;
  probe_pad = gst_element_get_static_pad (capsf2, "src");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, collect_samples, self, NULL);
  {
    g_autoptr (GstPad) out = gst_element_get_static_pad (self->rtp_sink, "sink");
    g_autoptr (GstPad) in = gst_element_get_static_pad (depay, "sink");
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, count_packet, &self->plain_sent, NULL);
    gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER, count_packet, &self->plain_received, NULL);
  }

  if (!link_pads (self->valve, "src", self->rtpbin, "send_rtp_sink_0", error))
    return FALSE;
  if (self->plaintext_dump) {
    g_autoptr (GstPad) valve_src = gst_element_get_static_pad (self->valve, "src");
    self->plaintext_file = fopen (self->plaintext_dump, "wb");
    if (self->plaintext_file == NULL) {
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE,
                   "cannot write %s", self->plaintext_dump);
      return FALSE;
    }
    gst_pad_add_probe (valve_src, GST_PAD_PROBE_TYPE_BUFFER, dump_plaintext, self, NULL);
  }

  if (self->secure) {
    if (!(self->enc = make ("srtpsdesenc", error)) || !(self->dec = make ("srtpsdesdec", error)))
      return FALSE;
    set_crypto (self->enc, desc->local_crypto);
    set_crypto (self->dec, desc->remote_crypto);
    gst_bin_add_many (GST_BIN (self->pipeline), self->enc, self->dec, NULL);
    if (!link_pads (self->rtpbin, "send_rtp_src_0", self->enc, "rtp_sink_0", error)
        || !link_pads (self->enc, "rtp_src_0", self->rtp_sink, "sink", error)
        || !link_pads (self->rtpbin, "send_rtcp_src_0", self->enc, "rtcp_sink_0", error)
        || !link_pads (self->enc, "rtcp_src_0", self->rtcp_sink, "sink", error)
        || !link_pads (udpsrc, "src", self->dec, "rtp_sink", error)
        || !link_pads (self->dec, "rtp_src", self->rtpbin, "recv_rtp_sink_0", error))
      return FALSE;
    if (self->mux_rtcp_src) {
      /* srtpsdesdec authenticates SRTCP arriving on its RTP pad (RFC 5761
       * §4 payload types) and passes it on with the RTP: split it there. */
      if (!link_pads (rtcpsrc, "src", self->rtpbin, "recv_rtcp_sink_0", error))
        return FALSE;
      add_rtcp_demux (self, self->dec, "rtp_src");
    } else if (!link_pads (rtcpsrc, "src", self->dec, "rtcp_sink", error)
               || !link_pads (self->dec, "rtcp_src", self->rtpbin, "recv_rtcp_sink_0", error)) {
      return FALSE;
    }
  } else {
    /* RTP-only fallback: no SRTP element in the path at all. */
    if (!link_pads (self->rtpbin, "send_rtp_src_0", self->rtp_sink, "sink", error)
        || !link_pads (self->rtpbin, "send_rtcp_src_0", self->rtcp_sink, "sink", error)
        || !link_pads (udpsrc, "src", self->rtpbin, "recv_rtp_sink_0", error)
        || !link_pads (rtcpsrc, "src", self->rtpbin, "recv_rtcp_sink_0", error))
      return FALSE;
    if (self->mux_rtcp_src)
      add_rtcp_demux (self, udpsrc, "src");
  }
  {
    g_autoptr (GstPad) out = gst_element_get_static_pad (self->rtcp_sink, "sink");
    g_autoptr (GstPad) in = gst_element_get_static_pad (self->rtpbin, "recv_rtcp_sink_0");

    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, count_packet, &self->plain_rtcp_sent, NULL);
    if (in != NULL)
      gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER, count_packet, &self->plain_rtcp_received,
                         NULL);
  }

  g_signal_connect (self->rtpbin, "pad-added", G_CALLBACK (on_recv_pad_added), self);
  g_signal_connect (self->rtpbin, "request-pt-map", G_CALLBACK (on_request_pt_map), self);

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  return TRUE;
}

static void
update_destination (SdesMediaBinding *self, const SdesMediaDescription *desc)
{
  gboolean can_send = desc->remote_address && desc->remote_port != 0
      && strcmp (desc->remote_address, "0.0.0.0") != 0 && strcmp (desc->remote_address, "::") != 0
      && (desc->direction == SDES_DIRECTION_SENDRECV || desc->direction == SDES_DIRECTION_SENDONLY);

  if (desc->remote_address && desc->remote_port != 0) {
    g_object_set (self->rtp_sink, "host", desc->remote_address, "port", (gint) desc->remote_port, NULL);
    g_object_set (self->rtcp_sink, "host", desc->remote_address,
                  "port", (gint) (desc->remote_rtcp_port ? desc->remote_rtcp_port : desc->remote_port + 1),
                  NULL);
  }
  /* Hold (RFC 3264 §8.4 sendonly/recvonly/inactive, or RFC 2543 c=0.0.0.0):
   * stop sending; the key and the stream's ROC stay. */
  g_object_set (self->valve, "drop", !can_send, NULL);
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

/**
 * sdes_media_binding_apply:
 * @self: a binding
 * @media: (element-type SdesMediaDescription): the negotiated descriptions
 *   (#SdesCall::media-ready or #SdesCall::media-updated)
 * @error: return location for a #SDES_MEDIA_ERROR
 *
 * Builds and starts the pipeline on the first call; afterwards applies what
 * changed: destination, hold/resume, and live rekeys (the decoder keeps the
 * old key until the new one authenticates, so no packet is lost).
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
  if (desc == NULL) {
    if (self->valve)
      g_object_set (self->valve, "drop", TRUE, NULL);
    return TRUE;
  }

  if (self->pipeline == NULL) {
    if (!build_pipeline (self, desc, error)) {
      sdes_media_binding_stop (self);
      return FALSE;
    }
    update_destination (self, desc);
    if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE, "the media pipeline did not start");
      sdes_media_binding_stop (self);
      return FALSE;
    }
    g_hash_table_remove_all (self->early_tags);
  } else {
    if (desc->secure != self->secure) {
      /* An SRTP <-> RTP switch mid-call would need a new pipeline; say so
       * instead of sending in the clear or encrypting toward a plain peer
       * (PEERS §2.4, one-way noise). */
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_UNSUPPORTED,
                   "switching between SRTP and RTP during a call is not supported");
      g_object_set (self->valve, "drop", TRUE, NULL);
      return FALSE;
    }
    if (self->secure && desc->local_key_changed) {
      set_crypto (self->enc, desc->local_crypto);
      self->stats.rekeys++;
    }
    if (self->secure && (desc->remote_key_changed || g_hash_table_size (self->early_tags) > 0)) {
      /* The winner's key replaces every early fork's (PEERS §2.3): packets of
       * the losing forks then authenticate with no key and are counted. */
      if (g_hash_table_size (self->early_tags) > 0)
        g_signal_emit_by_name (self->dec, "clear-crypto");
      set_crypto (self->dec, desc->remote_crypto);
      if (desc->remote_key_changed)
        self->stats.rekeys++;
      g_hash_table_remove_all (self->early_tags);
    }
    update_destination (self, desc);
  }

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
 * Early media from one fork (#SdesCall::early-media): the first fork builds
 * the pipeline; each further fork's key is added to the decoder with
 * `add-crypto`, so every fork's early media decrypts at once (PEERS §2.3).
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
  if (desc == NULL)
    return TRUE;
  if (self->pipeline == NULL) {
    if (!sdes_media_binding_apply (self, media, error))
      return FALSE;
  } else if (self->secure && desc->secure && desc->remote_crypto
             && !g_hash_table_contains (self->early_tags, dialog_tag)) {
    gchar *value = crypto_value (desc->remote_crypto);
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
 * @call: the call whose media this binding plays
 *
 * Follows @call: early media, media ready/updated, and stops when it ends.
 *
 * Since: 0.1
 */
void
sdes_media_binding_attach_call (SdesMediaBinding *self, SdesCall *call)
{
  g_return_if_fail (SDES_IS_MEDIA_BINDING (self));
  g_return_if_fail (SDES_IS_CALL (call));

  g_weak_ref_set (&self->call, call);
  g_signal_connect_object (call, "early-media", G_CALLBACK (on_early_media), self, 0);
  g_signal_connect_object (call, "media-ready", G_CALLBACK (on_media), self, 0);
  g_signal_connect_object (call, "media-updated", G_CALLBACK (on_media), self, 0);
  g_signal_connect_object (call, "ended", G_CALLBACK (on_ended), self, 0);
}

/**
 * sdes_media_binding_get_stats:
 * @self: a binding
 * @stats: (out caller-allocates): the counters
 *
 * Counters from srtpsdesenc/srtpsdesdec (zero on an RTP-only call, which has
 * no SRTP elements) plus what the binding counted. After
 * sdes_media_binding_stop() the last values are kept.
 *
 * Since: 0.1
 */
void
sdes_media_binding_get_stats (SdesMediaBinding *self, SdesMediaStats *stats)
{
  g_return_if_fail (SDES_IS_MEDIA_BINDING (self));
  g_return_if_fail (stats != NULL);

  if (self->pipeline) {
    SdesMediaStats now = self->stats;
    now.packets_sent = now.packets_received = now.rtcp_sent = now.rtcp_received = 0;
    now.auth_failures = now.replay_drops = now.unknown_key_drops = 0;
    if (self->secure) {
      add_stats_from (self->enc, TRUE, &now);
      add_stats_from (self->dec, FALSE, &now);
    } else {
      now.packets_sent = (guint64) (guint) g_atomic_int_get (&self->plain_sent);
      now.packets_received = (guint64) (guint) g_atomic_int_get (&self->plain_received);
      now.rtcp_sent = (guint64) (guint) g_atomic_int_get (&self->plain_rtcp_sent);
      now.rtcp_received = (guint64) (guint) g_atomic_int_get (&self->plain_rtcp_received);
    }
    self->stats = now;
  }
  *stats = self->stats;
}

/**
 * sdes_media_binding_get_dominant_frequency:
 * @self: a binding
 *
 * The strongest frequency (Hz, 10 Hz resolution, 100..3000 Hz) in the last
 * second of received audio, by a Goertzel scan: what a person would hear.
 *
 * Returns: the frequency, or 0 when less than a second of audio came in.
 *
 * Since: 0.1
 */
gdouble
sdes_media_binding_get_dominant_frequency (SdesMediaBinding *self)
{
  g_autoptr (GArray) window = NULL;
  gdouble best_f = 0, best_p = 0;
  const gint16 *x;
  guint n = ANALYSIS_RATE;

  g_return_val_if_fail (SDES_IS_MEDIA_BINDING (self), 0);

  g_mutex_lock (&self->samples_lock);
  if (self->samples->len >= n)
    window = g_array_copy (self->samples);
  g_mutex_unlock (&self->samples_lock);
  if (window == NULL)
    return 0;

  x = &g_array_index (window, gint16, window->len - n);
  for (gdouble f = 100; f <= 3000; f += 10) {
    gdouble coeff = 2 * cos (2 * G_PI * f / ANALYSIS_RATE), s1 = 0, s2 = 0, p;
    for (guint i = 0; i < n; i++) {
      gdouble s0 = x[i] + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (p > best_p) {
      best_p = p;
      best_f = f;
    }
  }
  return best_f;
}

/**
 * sdes_media_binding_get_pipeline:
 * @self: a binding
 *
 * Returns: (transfer none) (nullable): the pipeline, once built.
 *
 * Since: 0.1
 */
GstElement *
sdes_media_binding_get_pipeline (SdesMediaBinding *self)
{
  g_return_val_if_fail (SDES_IS_MEDIA_BINDING (self), NULL);
  return self->pipeline;
}

/**
 * sdes_media_binding_stop:
 * @self: a binding
 *
 * Finishes the recording (EOS, at most 2 s), takes final statistics and
 * tears the pipeline down. Idempotent.
 *
 * Since: 0.1
 */
void
sdes_media_binding_stop (SdesMediaBinding *self)
{
  g_return_if_fail (SDES_IS_MEDIA_BINDING (self));

  if (self->pipeline == NULL)
    return;
  {
    SdesMediaStats last;
    sdes_media_binding_get_stats (self, &last);
  }
  if (self->bus_watch) {
    g_source_remove (self->bus_watch);
    self->bus_watch = 0;
  }
  if (self->record_location) {
    g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
    g_autoptr (GstMessage) msg = NULL;
    gst_element_send_event (self->pipeline, gst_event_new_eos ());
    msg = gst_bus_timed_pop_filtered (bus, 2 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  }
  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  if (self->plaintext_file) {
    fclose (self->plaintext_file);
    self->plaintext_file = NULL;
  }
  self->enc = self->dec = self->valve = self->rtp_sink = self->rtcp_sink = NULL;
  self->rtpbin = self->recv_head = self->mux_rtcp_src = NULL;
  gst_clear_object (&self->pipeline);
}
