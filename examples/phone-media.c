/* srtpsdes — sdes-phone's demo pipeline around SdesMediaBinding
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The phone owns the RTP and RTCP sockets of one audio stream and builds,
 * when the call's first description is known (SdesMediaBinding::first-media):
 *
 *   audiotestsrc ! audioconvert ! audioresample ! <enc> ! <pay> ! valve ! rtpbin.send_rtp_sink_0
 *   rtpbin.send_rtp_src_0  ! srtpsdesenc.rtp_sink_0  ... rtp_src_0  ! udpsink (RTP socket)
 *   rtpbin.send_rtcp_src_0 ! srtpsdesenc.rtcp_sink_0 ... rtcp_src_0 ! output-selector
 *       ! (udpsink (RTCP socket) | udpsink (RTP socket, rtcp-mux))
 *   udpsrc (RTP socket)  ! srtpsdesdec.rtp_sink  ... rtp_src  ! rtpbin.recv_rtp_sink_0
 *       (RTCP split off here into an appsrc, RFC 5761 §4)
 *   udpsrc (RTCP socket) ! srtpsdesdec.rtcp_sink ... rtcp_src ! funnel (+ appsrc)
 *       ! rtpbin.recv_rtcp_sink_0
 *   rtpbin.recv_rtp_src_0_* ! <depay> ! <dec> ! audioconvert ! audioresample
 *       ! spectrum ! tee ! (wavenc ! filesink | fakesink) [+ autoaudiosink]
 *
 * The SRTP elements sit outside rtpbin so that an RTP-only call (fallback)
 * links udpsrc/udpsink to rtpbin directly: no SRTP element in the path.
 * SdesMediaBinding keys them, aims the udpsinks, works the valve on hold and
 * starts the pipeline.
 */

#include "phone-media.h"

#include <stdio.h>
#include <string.h>

#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtpbuffer.h>

/* The received audio is analysed (and recorded) at 8 kHz mono. */
#define ANALYSIS_RATE 8000
/* spectrum's FFT has 2 * (bands - 1) points: 400 bands are ~10 Hz apart. */
#define SPECTRUM_BANDS 400

/* The RTP/RTCP sockets of one address family. */
typedef struct {
  gchar *address;
  GSocket *rtp;
  GSocket *rtcp;
  guint rtp_port;
  guint rtcp_port;
} MediaSockets;

struct _PhoneMedia {
  GObject parent;

  gchar *alt_address;     /* the other address family's media address */
  gdouble tone;
  gchar *record_location;
  gboolean play;
  gchar **codecs;
  gchar *plaintext_dump;
  FILE *plaintext_file;   /* written from the streaming thread only */
  gboolean rtcp_mux;      /* offer RTCP on the RTP port (RFC 5761) */
  guint port_min, port_max;

  MediaSockets sock;       /* the family the call uses */
  MediaSockets other;      /* the other family, when alt-address is bound */

  SdesMediaBinding *binding;
  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *recv_head;  /* first element after rtpbin's recv pad */
  GstElement *mux_rtcp_src; /* appsrc feeding RTCP demuxed from the RTP port */
  GstElement *rtcp_select;  /* output-selector: RTCP out by the RTCP or RTP socket */
  GstElement *rtcp_sinks[2]; /* udpsinks on the RTCP socket and on the RTP socket */
  GstBus *bus;
  gulong bus_handler;
  gboolean secure;
  gint payload_type;
  guint clock_rate;
  gchar *encoding_name;
  gdouble dominant_hz;    /* from the last spectrum message */
  gboolean record_failed; /* EOS did not reach the WAV writer in time */

  /* RTP/RTCP packets counted by pad probes, so that an RTP-only call (no
   * SRTP elements) has counts too; and datagrams on its RTP port that are
   * not RTP at all. Streaming threads: atomics. */
  gint plain_sent;
  gint plain_received;
  gint plain_rtcp_sent;
  gint plain_rtcp_received;
  gint plain_invalid;
  /* RTCP received (authenticated on a secure call) by port, and RTP
   * sequence gaps seen by the receiver (RFC 3550 §A.3 "expected" minus
   * received, for one SSRC). */
  gint rtcp_on_rtp_port;
  gint rtcp_on_rtcp_port;
  gint rtp_lost;
  gint rtcp_source_port;   /* UDP source port of the last RTCP datagram */
  gint rtp_last_seq;       /* -1 before the first packet */
  guint32 rtp_last_ssrc;
};

G_DEFINE_FINAL_TYPE (PhoneMedia, phone_media, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TONE,
  PROP_RECORD_LOCATION,
  PROP_PLAY,
  PROP_PLAINTEXT_DUMP,
  PROP_CODECS,
  PROP_RTP_PORT,
  PROP_RTP_PORT_MIN,
  PROP_RTP_PORT_MAX,
  PROP_RTCP_MUX,
  PROP_ALT_ADDRESS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void on_first_media (SdesMediaBinding *binding, SdesMediaDescription *desc,
                            PhoneMedia *self);
static void on_rtcp_mux_changed (SdesMediaBinding *binding, GParamSpec *pspec,
                                 PhoneMedia *self);

static void
phone_media_init (PhoneMedia *self)
{
  self->tone = 440.0;
  self->codecs = g_strsplit ("PCMU,PCMA,OPUS", ",", -1);
  self->payload_type = -1;
  self->rtp_last_seq = -1;
  self->binding = sdes_media_binding_new ();
  g_signal_connect (self->binding, "first-media", G_CALLBACK (on_first_media), self);
  g_signal_connect (self->binding, "notify::rtcp-mux", G_CALLBACK (on_rtcp_mux_changed), self);
}

static void
phone_media_dispose (GObject *object)
{
  PhoneMedia *self = PHONE_MEDIA (object);

  phone_media_stop (self);
  g_clear_object (&self->binding);
  g_clear_object (&self->sock.rtp);
  g_clear_object (&self->sock.rtcp);
  g_clear_object (&self->other.rtp);
  g_clear_object (&self->other.rtcp);
  G_OBJECT_CLASS (phone_media_parent_class)->dispose (object);
}

static void
phone_media_finalize (GObject *object)
{
  PhoneMedia *self = PHONE_MEDIA (object);

  g_free (self->sock.address);
  g_free (self->other.address);
  g_free (self->alt_address);
  g_free (self->record_location);
  g_free (self->plaintext_dump);
  g_strfreev (self->codecs);
  g_free (self->encoding_name);
  G_OBJECT_CLASS (phone_media_parent_class)->finalize (object);
}

static void
phone_media_set_property (GObject *object, guint prop_id, const GValue *value,
                          GParamSpec *pspec)
{
  PhoneMedia *self = PHONE_MEDIA (object);

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
    case PROP_RTP_PORT_MIN:
      self->port_min = g_value_get_uint (value);
      break;
    case PROP_RTP_PORT_MAX:
      self->port_max = g_value_get_uint (value);
      break;
    case PROP_RTCP_MUX:
      self->rtcp_mux = g_value_get_boolean (value);
      break;
    case PROP_ALT_ADDRESS:
      g_free (self->alt_address);
      self->alt_address = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
phone_media_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PhoneMedia *self = PHONE_MEDIA (object);

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
      g_value_set_uint (value, self->sock.rtp_port);
      break;
    case PROP_RTP_PORT_MIN:
      g_value_set_uint (value, self->port_min);
      break;
    case PROP_RTP_PORT_MAX:
      g_value_set_uint (value, self->port_max);
      break;
    case PROP_RTCP_MUX:
      g_value_set_boolean (value, self->rtcp_mux);
      break;
    case PROP_ALT_ADDRESS:
      g_value_set_string (value, self->alt_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
phone_media_class_init (PhoneMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = phone_media_dispose;
  object_class->finalize = phone_media_finalize;
  object_class->set_property = phone_media_set_property;
  object_class->get_property = phone_media_get_property;

  props[PROP_TONE] = g_param_spec_double ("tone", NULL, "Tone frequency to send (Hz, 0 = silence)",
      0.0, 20000.0, 440.0, rw);
  props[PROP_RECORD_LOCATION] = g_param_spec_string ("record-location", NULL,
      "WAV file for the received (decrypted, decoded) audio (NULL: none)", NULL, rw);
  props[PROP_PLAY] = g_param_spec_boolean ("play", NULL, "Play received audio (autoaudiosink)",
      FALSE, rw);
  /* Test rigs only: the plaintext RTP payload of every packet sent (before
   * srtpsdesenc), so a capture can be checked for the absence of
   * plaintext. It is media, not key material. */
  props[PROP_PLAINTEXT_DUMP] = g_param_spec_string ("plaintext-dump", NULL,
      "File receiving the plaintext RTP payloads sent (test rigs)", NULL, rw);
  /* "PCMU", "PCMA", "OPUS" in preference order; read by prepare(), which
   * leaves out the codecs whose encoder is not installed. */
  props[PROP_CODECS] = g_param_spec_boxed ("codecs", NULL, "Codecs in preference order",
      G_TYPE_STRV, rw);
  props[PROP_RTP_PORT] = g_param_spec_uint ("rtp-port", NULL, "Local RTP port (after prepare)",
      0, 65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_RTP_PORT_MIN] = g_param_spec_uint ("rtp-port-min", NULL,
      "Lowest RTP port prepare() may bind (0: any)", 0, 65534, 0, rw);
  props[PROP_RTP_PORT_MAX] = g_param_spec_uint ("rtp-port-max", NULL,
      "Highest RTP port prepare() may bind (0: rtp-port-min)", 0, 65534, 0, rw);
  /* RFC 5761: a=rtcp-mux offered; the RTCP port (RTP port + 1, the RFC
   * 3550 default, so no a=rtcp) is still bound for a peer that declines.
   * A re-INVITE may add or drop it (SdesMediaBinding:rtcp-mux). */
  props[PROP_RTCP_MUX] = g_param_spec_boolean ("rtcp-mux", NULL,
      "Offer/accept RTP and RTCP on one port (RFC 5761)", FALSE, rw);
  /* A second media address in the other address family (IPv6 beside an
   * IPv4 address, or the reverse): prepare() binds it too, and
   * prepare_for_peer() answers an offer from that family on it, so the c=
   * we write is always an address we receive on, in the peer's family. */
  props[PROP_ALT_ADDRESS] = g_param_spec_string ("alt-address", NULL,
      "Media address in the other IP family (NULL: one family only)", NULL, rw);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

PhoneMedia *
phone_media_new (const gchar *address)
{
  PhoneMedia *self;

  g_return_val_if_fail (address != NULL, NULL);
  self = g_object_new (PHONE_TYPE_MEDIA, NULL);
  self->sock.address = g_strdup (address);
  return self;
}

SdesMediaBinding *
phone_media_get_binding (PhoneMedia *self)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), NULL);
  return self->binding;
}

/* ------------------------------------------------------------------------- */
/* Sockets and the local media                                                */
/* ------------------------------------------------------------------------- */

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

/* RTP on @port (0: the kernel's choice), RTCP on the next port. */
static gboolean
bind_pair (MediaSockets *ms, GInetAddress *inet, guint port, GError **error)
{
  g_autoptr (GSocket) rtp = bind_udp (inet, port, error);

  if (rtp == NULL)
    return FALSE;
  port = socket_port (rtp);
  if (port % 2 != 0 || port >= 65535)
    return TRUE;   /* not a usable pair: the caller tries another */
  ms->rtcp = bind_udp (inet, port + 1, NULL);
  if (ms->rtcp != NULL) {
    ms->rtp = g_steal_pointer (&rtp);
    ms->rtp_port = port;
    ms->rtcp_port = port + 1;
  }
  return TRUE;
}

/* An even RTP port and the next odd RTCP port (RFC 3550 §11) on
 * @ms->address, in [port_min, port_max] when given, else wherever the
 * kernel puts them. */
static gboolean
bind_sockets (PhoneMedia *self, MediaSockets *ms, GError **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (ms->address);
  guint max = self->port_max ? self->port_max : self->port_min;

  if (inet == NULL) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "'%s' is not an IP address", ms->address);
    return FALSE;
  }
  if (ms->rtp != NULL)
    return TRUE;
  if (self->port_min == 0) {
    for (guint attempt = 0; attempt < 50 && ms->rtp == NULL; attempt++)
      if (!bind_pair (ms, inet, 0, error))
        return FALSE;
  } else {
    for (guint port = self->port_min + self->port_min % 2; port <= max && ms->rtp == NULL;
         port += 2)
      bind_pair (ms, inet, port, NULL);
  }
  if (ms->rtp != NULL)
    return TRUE;
  if (self->port_min == 0)
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "no free even/odd UDP port pair on %s", ms->address);
  else
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "no free even/odd UDP port pair for RTP in %u-%u on %s (RTCP is RTP + 1)",
                 self->port_min, max, ms->address);
  return FALSE;
}

static gboolean
is_unspecified_address (const gchar *address)
{
  return strcmp (address, "0.0.0.0") == 0 || strcmp (address, "::") == 0;
}

static GSocketFamily
address_family (const gchar *address)
{
  g_autoptr (GInetAddress) inet = address ? g_inet_address_new_from_string (address) : NULL;

  return inet ? g_inet_address_get_family (inet) : G_SOCKET_FAMILY_INVALID;
}

/* What the pipeline can do, on the sockets of the family in use: one audio
 * stream offering the codecs of the codecs property that are installed. */
SdesLocalMedia *
phone_media_describe (PhoneMedia *self, GError **error)
{
  g_autoptr (SdesLocalMedia) local = NULL;
  guint stream;

  g_return_val_if_fail (PHONE_IS_MEDIA (self), NULL);
  g_return_val_if_fail (self->sock.rtp != NULL, NULL);

  local = sdes_local_media_new (self->sock.address);
  stream = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, self->sock.rtp_port);
  sdes_local_media_set_rtcp (local, stream, self->sock.rtcp_port, self->rtcp_mux);
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

/* Binds the sockets (of alt-address too) and describes the media on the
 * main address. */
SdesLocalMedia *
phone_media_prepare (PhoneMedia *self, GError **error)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), NULL);

  if (!bind_sockets (self, &self->sock, error))
    return NULL;
  if (self->alt_address && self->other.rtp == NULL) {
    if (address_family (self->alt_address) == address_family (self->sock.address)) {
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                   "the media addresses %s and %s are of the same IP family",
                   self->sock.address, self->alt_address);
      return NULL;
    }
    g_free (self->other.address);
    self->other.address = g_strdup (self->alt_address);
    if (!bind_sockets (self, &self->other, error))
      return NULL;
  }
  return phone_media_describe (self, error);
}

/* An offer's c= is @peer_address: the media move to the sockets of its
 * family (when alt-address is that family) and are described there, so
 * that the answer's c= is an address we receive on and the peer can
 * reach. Before the first media only. */
SdesLocalMedia *
phone_media_prepare_for_peer (PhoneMedia *self, const gchar *peer_address, GError **error)
{
  GSocketFamily want = address_family (peer_address);

  g_return_val_if_fail (PHONE_IS_MEDIA (self), NULL);
  g_return_val_if_fail (self->sock.rtp != NULL && self->pipeline == NULL, NULL);

  if (want != address_family (self->sock.address) && self->other.rtp != NULL
      && want == address_family (self->other.address)) {
    MediaSockets swap = self->sock;

    self->sock = self->other;
    self->other = swap;
  }
  if (want != address_family (self->sock.address)) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "the peer's media address %s is %s and this phone has media on %s only",
                 peer_address ? peer_address : "(none)",
                 want == G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4", self->sock.address);
    return NULL;
  }
  return phone_media_describe (self, error);
}

/* ------------------------------------------------------------------------- */
/* Pad probes (streaming threads; no lock of ours is held)                    */
/* ------------------------------------------------------------------------- */

/* The payload of an outgoing RTP packet, before SRTP. */
static GstPadProbeReturn
dump_plaintext (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PhoneMedia *self = user_data;
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
add_counter (GstElement *element, const gchar *pad_name, gint *counter)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, pad_name);

  if (pad != NULL)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_packet, counter, NULL);
}

/* RTP-only call: what srtpsdesdec counts as invalid on a secure call (a
 * datagram that is not an RTP packet: too short, not version 2, CSRC or
 * extension or padding lengths beyond the packet, RFC 3550 §5.1) is counted
 * and dropped here before rtpbin drops it silently. */
static GstPadProbeReturn
drop_invalid_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PhoneMedia *self = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp)) {
    gst_rtp_buffer_unmap (&rtp);
    return GST_PAD_PROBE_OK;
  }
  g_atomic_int_inc (&self->plain_invalid);
  return GST_PAD_PROBE_DROP;
}

/* RFC 5761 §4: on a muxed port, RTP and RTCP differ by the second byte
 * (RTCP packet types 192..223 where RTP would carry a payload type). RTCP
 * leaves the RTP path here and enters rtpbin's RTCP pad through the
 * appsrc. */
static GstPadProbeReturn
demux_rtcp (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PhoneMedia *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 head[2];
  GstFlowReturn ret;

  if (gst_buffer_extract (buf, 0, head, 2) != 2 || (head[0] & 0xc0) != 0x80 ||
      head[1] < 192 || head[1] > 223 || gst_buffer_get_size (buf) < 8)
    return GST_PAD_PROBE_OK;
  g_atomic_int_inc (&self->rtcp_on_rtp_port);
  g_signal_emit_by_name (self->mux_rtcp_src, "push-buffer", buf, &ret);
  return GST_PAD_PROBE_DROP;
}

/* Any datagram on our sockets that looks like RTCP (RFC 5761 §4 packet
 * types): its source port, to tell which of the peer's sockets sent it. */
static GstPadProbeReturn
note_rtcp_source (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PhoneMedia *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buf);
  guint8 head[2];

  if (meta != NULL && G_IS_INET_SOCKET_ADDRESS (meta->addr)
      && gst_buffer_extract (buf, 0, head, 2) == 2 && head[1] >= 192 && head[1] <= 223)
    g_atomic_int_set (&self->rtcp_source_port,
                      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (meta->addr)));
  return GST_PAD_PROBE_OK;
}

/* RTP reaching rtpbin (authenticated on a secure call): a sequence number
 * jump of one SSRC counts the packets missing in between (RFC 3550 §A.3);
 * a new SSRC starts over. */
static GstPadProbeReturn
count_rtp_gaps (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PhoneMedia *self = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;
  guint32 ssrc;
  gint last;

  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  seq = gst_rtp_buffer_get_seq (&rtp);
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  last = self->rtp_last_seq;   /* one streaming thread: udpsrc's */
  if (last >= 0 && ssrc == self->rtp_last_ssrc) {
    guint16 jump = (guint16) (seq - (guint16) last);

    if (jump > 1 && jump < 3000)
      g_atomic_int_add (&self->rtp_lost, jump - 1);
  }
  self->rtp_last_seq = seq;
  self->rtp_last_ssrc = ssrc;
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement *element, const gchar *pad_name, GstPadProbeCallback cb, PhoneMedia *self)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, self, NULL);
}

/* RTCP out by the RTP socket (@mux, RFC 5761) or the RTCP socket; the
 * binding aims the udpsink in use at the peer's RTCP port next. */
static void
select_rtcp_path (PhoneMedia *self, gboolean mux)
{
  GstElement *sink = self->rtcp_sinks[mux ? 1 : 0];
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  g_autoptr (GstPad) src = gst_pad_get_peer (sink_pad);

  g_object_set (self->rtcp_select, "active-pad", src, NULL);
  g_object_set (self->binding, "rtcp-sink", sink, NULL);
}

/* Main context: a re-INVITE added or dropped a=rtcp-mux. RTP is not
 * touched; SRTCP keeps its key and index (same srtpsdesenc stream). */
static void
on_rtcp_mux_changed (SdesMediaBinding *binding, GParamSpec *pspec, PhoneMedia *self)
{
  gboolean mux = FALSE;

  g_object_get (binding, "rtcp-mux", &mux, NULL);
  if (self->rtcp_select != NULL)
    select_rtcp_path (self, mux);
}

/* ------------------------------------------------------------------------- */
/* rtpbin and bus callbacks                                                   */
/* ------------------------------------------------------------------------- */

static void
on_recv_pad_added (GstElement *rtpbin, GstPad *pad, PhoneMedia *self)
{
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
on_request_pt_map (GstElement *rtpbin, guint session, guint pt, PhoneMedia *self)
{
  if ((gint) pt != self->payload_type)
    return NULL;
  return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                              "clock-rate", G_TYPE_INT, (gint) self->clock_rate,
                              "encoding-name", G_TYPE_STRING, self->encoding_name,
                              "payload", G_TYPE_INT, self->payload_type, NULL);
}

/* Main context: spectrum's message for the last second of received audio
 * (magnitudes in dB per band). The strongest band between 100 and 3000 Hz
 * is what a person would hear. */
static void
on_element_message (GstBus *bus, GstMessage *msg, PhoneMedia *self)
{
  const GstStructure *s = gst_message_get_structure (msg);
  const GValue *mags;
  gfloat best = -G_MAXFLOAT;
  gdouble best_hz = 0;

  if (s == NULL || !gst_structure_has_name (s, "spectrum"))
    return;
  mags = gst_structure_get_value (s, "magnitude");
  if (mags == NULL || !GST_VALUE_HOLDS_LIST (mags))
    return;
  for (guint i = 0; i < gst_value_list_get_size (mags); i++) {
    /* Band i is FFT bin i of 2 * (bands - 1) points. */
    gdouble hz = (gdouble) i * ANALYSIS_RATE / (2.0 * (SPECTRUM_BANDS - 1));
    gfloat m = g_value_get_float (gst_value_list_get_value (mags, i));

    if (hz >= 100 && hz <= 3000 && m > best) {
      best = m;
      best_hz = hz;
    }
  }
  self->dominant_hz = best_hz;
}

/* ------------------------------------------------------------------------- */
/* Pipeline                                                                   */
/* ------------------------------------------------------------------------- */

static GstElement *
make (PhoneMedia *self, const gchar *factory, GError **error)
{
  GstElement *e;

  if (error != NULL && *error != NULL)
    return NULL;
  e = gst_element_factory_make (factory, NULL);
  if (e == NULL) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_MISSING_ELEMENT,
                 "GStreamer element '%s' is not installed", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (self->pipeline), e);
  return e;
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

/* Links @first to the NULL-terminated elements after it, in order. */
static gboolean
link_chain (GError **error, GstElement *first, ...)
{
  GstElement *prev = first, *next;
  gboolean ok = TRUE;
  va_list ap;

  va_start (ap, first);
  while (ok && (next = va_arg (ap, GstElement *)) != NULL) {
    ok = gst_element_link (prev, next);
    if (!ok)
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE, "could not link %s to %s",
                   GST_OBJECT_NAME (prev), GST_OBJECT_NAME (next));
    prev = next;
  }
  va_end (ap);
  return ok;
}

/* audiotestsrc ... <pay> ! valve: the tone (or silence), 20 ms packets. */
static GstElement *
build_sender (PhoneMedia *self, const CodecElements *codec, gint pt, GError **error)
{
  GstElement *src = make (self, "audiotestsrc", error), *conv = make (self, "audioconvert", error);
  GstElement *res = make (self, "audioresample", error), *capsf = make (self, "capsfilter", error);
  GstElement *enc = make (self, codec->encoder, error), *pay = make (self, codec->payloader, error);
  GstElement *valve = make (self, "valve", error);
  g_autoptr (GstCaps) caps = NULL;

  if (valve == NULL)
    return NULL;
  g_object_set (src, "is-live", TRUE, "freq", self->tone > 0 ? self->tone : 440.0,
                "wave", self->tone > 0 ? 0 /* sine */ : 4 /* silence */,
                "volume", 0.5, "samplesperbuffer", (gint) (codec->raw_rate / 50), NULL);
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                              "rate", G_TYPE_INT, (gint) codec->raw_rate,
                              "channels", G_TYPE_INT, 1, NULL);
  g_object_set (capsf, "caps", caps, NULL);
  g_object_set (pay, "pt", (guint) pt, "min-ptime", (gint64) 20 * GST_MSECOND,
                "max-ptime", (gint64) 20 * GST_MSECOND, NULL);
  if (!link_chain (error, src, conv, res, capsf, enc, pay, valve, NULL)
      || !link_pads (valve, "src", self->rtpbin, "send_rtp_sink_0", error))
    return NULL;
  if (self->plaintext_dump) {
    self->plaintext_file = fopen (self->plaintext_dump, "wb");
    if (self->plaintext_file == NULL) {
      g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_PIPELINE,
                   "cannot write %s", self->plaintext_dump);
      return NULL;
    }
    add_probe (valve, "src", dump_plaintext, self);
  }
  return valve;
}

/* <depay> ! <dec> ! ... ! spectrum ! tee ! queue ! (wavenc ! filesink |
 * fakesink) [tee ! queue ! autoaudiosink]; depay's sink is linked to
 * rtpbin's receive pad when it appears. */
static gboolean
build_receiver (PhoneMedia *self, const CodecElements *codec, GError **error)
{
  GstElement *depay = make (self, codec->depayloader, error), *dec = make (self, codec->decoder, error);
  GstElement *conv = make (self, "audioconvert", error), *res = make (self, "audioresample", error);
  GstElement *capsf = make (self, "capsfilter", error), *spectrum = make (self, "spectrum", error);
  GstElement *tee = make (self, "tee", error), *q = make (self, "queue", error);
  GstElement *sink = make (self, self->record_location ? "wavenc" : "fakesink", error);
  GstElement *file = self->record_location ? make (self, "filesink", error) : NULL;
  g_autoptr (GstCaps) caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                                                  "rate", G_TYPE_INT, ANALYSIS_RATE,
                                                  "channels", G_TYPE_INT, 1, NULL);

  if (sink == NULL || (self->record_location && file == NULL))
    return FALSE;
  g_object_set (capsf, "caps", caps, NULL);
  g_object_set (spectrum, "bands", SPECTRUM_BANDS, "threshold", -90, "interval", GST_SECOND,
                "post-messages", TRUE, "message-magnitude", TRUE, NULL);
  if (!link_chain (error, depay, dec, conv, res, capsf, spectrum, tee, q, sink, NULL))
    return FALSE;
  if (file) {
    g_object_set (file, "location", self->record_location, "async", FALSE, NULL);
    if (!link_chain (error, sink, file, NULL))
      return FALSE;
  } else {
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  }
  if (self->play) {
    GstElement *q2 = make (self, "queue", error), *out = make (self, "autoaudiosink", error);
    if (out == NULL || !link_chain (error, tee, q2, out, NULL))
      return FALSE;
  }
  self->recv_head = depay;
  add_counter (depay, "sink", &self->plain_received);
  return TRUE;
}

/* udpsinks and sources on our sockets. RTCP leaves by an output-selector:
 * to a udpsink on the RTCP socket, or with rtcp-mux to one on the RTP socket
 * (RFC 5761 §5.1.3). RTCP arriving on the RTP port is split off the RTP
 * path (RFC 5761 §4) into an appsrc, funnelled with what the RTCP socket
 * receives: both paths exist for the whole call, so a re-INVITE that adds
 * or drops a=rtcp-mux only switches the selector (on_rtcp_mux_changed).
 * udp[]: RTP sink, RTCP selector, RTP source, RTCP source, appsrc, funnel. */
static gboolean
build_transport (PhoneMedia *self, const SdesMediaDescription *desc, const CodecElements *codec,
                 GstElement **udp, GError **error)
{
  GstElement *rtp_sink = make (self, "udpsink", error), *select = make (self, "output-selector", error);
  GstElement *rtcp_sink = make (self, "udpsink", error), *mux_sink = make (self, "udpsink", error);
  GstElement *rtp_src = make (self, "udpsrc", error), *rtcp_src = make (self, "udpsrc", error);
  GstElement *app = make (self, "appsrc", error), *funnel = make (self, "funnel", error);
  g_autoptr (GstCaps) rtp_caps = NULL, rtcp_caps = NULL, plain_rtcp = NULL;

  if (funnel == NULL || !link_pads (select, "src_%u", rtcp_sink, "sink", error)
      || !link_pads (select, "src_%u", mux_sink, "sink", error))
    return FALSE;
  g_object_set (rtp_sink, "socket", self->sock.rtp, "close-socket", FALSE,
                "sync", FALSE, "async", FALSE, NULL);
  /* udpsink's default destination, localhost, may resolve to the other
   * family than the socket's and fail the start: until the binding aims a
   * sink it points at our own RTCP port (the idle one never sends). */
  g_object_set (rtcp_sink, "socket", self->sock.rtcp, "close-socket", FALSE,
                "host", self->sock.address, "port", (gint) self->sock.rtcp_port,
                "sync", FALSE, "async", FALSE, NULL);
  g_object_set (mux_sink, "socket", self->sock.rtp, "close-socket", FALSE,
                "host", self->sock.address, "port", (gint) self->sock.rtcp_port,
                "sync", FALSE, "async", FALSE, NULL);
  self->rtcp_select = select;
  self->rtcp_sinks[0] = rtcp_sink;
  self->rtcp_sinks[1] = mux_sink;
  select_rtcp_path (self, desc->rtcp_mux);
  rtp_caps = gst_caps_new_simple (self->secure ? "application/x-srtp" : "application/x-rtp",
                                  "media", G_TYPE_STRING, "audio",
                                  "clock-rate", G_TYPE_INT, (gint) codec->clock_rate,
                                  "encoding-name", G_TYPE_STRING, codec->encoding,
                                  "payload", G_TYPE_INT, desc->payload_type, NULL);
  g_object_set (rtp_src, "socket", self->sock.rtp, "close-socket", FALSE, "caps", rtp_caps, NULL);
  /* Plaintext RTCP: demuxed after srtpsdesdec on a secure call. */
  plain_rtcp = gst_caps_new_empty_simple ("application/x-rtcp");
  self->mux_rtcp_src = app;
  g_object_set (app, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                "caps", plain_rtcp, NULL);
  rtcp_caps = gst_caps_new_empty_simple (self->secure ? "application/x-srtcp" : "application/x-rtcp");
  g_object_set (rtcp_src, "socket", self->sock.rtcp, "close-socket", FALSE, "caps", rtcp_caps,
                NULL);
  add_counter (rtp_sink, "sink", &self->plain_sent);
  add_counter (select, "sink", &self->plain_rtcp_sent);
  g_object_set (self->binding, "rtp-sink", rtp_sink, NULL);
  if (!link_pads (app, "src", funnel, "sink_%u", error)
      || !link_pads (funnel, "src", self->rtpbin, "recv_rtcp_sink_0", error))
    return FALSE;
  add_probe (rtp_src, "src", note_rtcp_source, self);
  add_probe (rtcp_src, "src", note_rtcp_source, self);
  udp[0] = rtp_sink;
  udp[1] = select;
  udp[2] = rtp_src;
  udp[3] = rtcp_src;
  udp[4] = app;
  udp[5] = funnel;
  return TRUE;
}

/* rtpbin <-> srtpsdesenc/srtpsdesdec <-> the udp elements. */
static gboolean
link_secure (PhoneMedia *self, GstElement **udp, GError **error)
{
  GstElement *enc = make (self, "srtpsdesenc", error), *dec = make (self, "srtpsdesdec", error);

  if (dec == NULL
      || !link_pads (self->rtpbin, "send_rtp_src_0", enc, "rtp_sink_0", error)
      || !link_pads (enc, "rtp_src_0", udp[0], "sink", error)
      || !link_pads (self->rtpbin, "send_rtcp_src_0", enc, "rtcp_sink_0", error)
      || !link_pads (enc, "rtcp_src_0", udp[1], "sink", error)
      || !link_pads (udp[2], "src", dec, "rtp_sink", error)
      || !link_pads (dec, "rtp_src", self->rtpbin, "recv_rtp_sink_0", error)
      || !link_pads (udp[3], "src", dec, "rtcp_sink", error)
      || !link_pads (dec, "rtcp_src", udp[5], "sink_%u", error))
    return FALSE;
  g_object_set (self->binding, "encoder", enc, "decoder", dec, NULL);
  /* srtpsdesdec authenticates SRTCP arriving on its RTP pad (RFC 5761 §4
   * payload types) and passes it on with the RTP: split it there. */
  add_probe (dec, "rtp_src", demux_rtcp, self);
  add_probe (dec, "rtp_src", count_rtp_gaps, self);
  add_counter (dec, "rtcp_src", &self->rtcp_on_rtcp_port);
  return TRUE;
}

/* RTP-only fallback: no SRTP element in the path at all. */
static gboolean
link_plain (PhoneMedia *self, GstElement **udp, GError **error)
{
  if (!link_pads (self->rtpbin, "send_rtp_src_0", udp[0], "sink", error)
      || !link_pads (self->rtpbin, "send_rtcp_src_0", udp[1], "sink", error)
      || !link_pads (udp[2], "src", self->rtpbin, "recv_rtp_sink_0", error)
      || !link_pads (udp[3], "src", udp[5], "sink_%u", error))
    return FALSE;
  /* Probes run in the order they were added: RTCP leaves first. */
  add_probe (udp[2], "src", demux_rtcp, self);
  add_probe (udp[2], "src", drop_invalid_rtp, self);
  add_probe (udp[2], "src", count_rtp_gaps, self);
  add_counter (udp[3], "src", &self->rtcp_on_rtcp_port);
  return TRUE;
}

static gboolean
build_pipeline (PhoneMedia *self, const SdesMediaDescription *desc, GError **error)
{
  const CodecElements *codec = codec_by_name (desc->encoding_name);
  GstElement *udp[6] = { NULL };   /* see build_transport() */
  GstElement *valve;

  if (codec == NULL || desc->clock_rate != codec->clock_rate) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_UNSUPPORTED,
                 "the phone plays PCMU/8000, PCMA/8000 and opus/48000, not %s/%u",
                 desc->encoding_name ? desc->encoding_name : "(none)", desc->clock_rate);
    return FALSE;
  }
  if (desc->remote_address && !is_unspecified_address (desc->remote_address)
      && address_family (desc->remote_address) != address_family (self->sock.address)) {
    g_set_error (error, SDES_MEDIA_ERROR, SDES_MEDIA_ERROR_SOCKET,
                 "the peer's media address %s and ours (%s) are of different IP families",
                 desc->remote_address, self->sock.address);
    return FALSE;
  }
  self->secure = desc->secure;
  self->payload_type = desc->payload_type;
  self->clock_rate = codec->clock_rate;
  g_free (self->encoding_name);
  self->encoding_name = g_strdup (codec->encoding);

  self->pipeline = gst_pipeline_new ("sdes-phone-media");
  if (!(self->rtpbin = make (self, "rtpbin", error)))
    return FALSE;
  g_object_set (self->rtpbin, "latency", 60, NULL);
  if (!(valve = build_sender (self, codec, desc->payload_type, error))
      || !build_receiver (self, codec, error)
      || !build_transport (self, desc, codec, udp, error)
      || !(self->secure ? link_secure (self, udp, error) : link_plain (self, udp, error)))
    return FALSE;
  add_counter (udp[5], "src", &self->plain_rtcp_received);
  g_signal_connect (self->rtpbin, "pad-added", G_CALLBACK (on_recv_pad_added), self);
  g_signal_connect (self->rtpbin, "request-pt-map", G_CALLBACK (on_request_pt_map), self);

  self->bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  gst_bus_add_signal_watch (self->bus);
  self->bus_handler = g_signal_connect (self->bus, "message::element",
                                        G_CALLBACK (on_element_message), self);
  g_object_set (self->binding, "pipeline", self->pipeline, "valve", valve, NULL);
  return TRUE;
}

static gboolean teardown (PhoneMedia *self);

/* The binding's first description: build what it needs. On failure the
 * binding is left without elements and reports the call's media as
 * failed; the reason is said here. */
static void
on_first_media (SdesMediaBinding *binding, SdesMediaDescription *desc, PhoneMedia *self)
{
  g_autoptr (GError) error = NULL;

  if (build_pipeline (self, desc, &error))
    return;
  g_warning ("media: %s", error->message);
  g_object_set (binding, "pipeline", NULL, "encoder", NULL, "decoder", NULL, "rtp-sink", NULL,
                "rtcp-sink", NULL, "valve", NULL, NULL);
  teardown (self);
}

/* ------------------------------------------------------------------------- */
/* Following the call                                                         */
/* ------------------------------------------------------------------------- */

gboolean
phone_media_apply (PhoneMedia *self, GPtrArray *media, GError **error)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), FALSE);
  return sdes_media_binding_apply (self->binding, media, error);
}

gboolean
phone_media_add_early (PhoneMedia *self, const gchar *dialog_tag, GPtrArray *media,
                       GError **error)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), FALSE);
  return sdes_media_binding_add_early (self->binding, dialog_tag, media, error);
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, PhoneMedia *self)
{
  phone_media_stop (self);
}

/* The binding follows @call first, so it has its last counters when the
 * pipeline is torn down on ended. */
void
phone_media_attach_call (PhoneMedia *self, SdesCall *call)
{
  g_return_if_fail (PHONE_IS_MEDIA (self));

  sdes_media_binding_attach_call (self->binding, call);
  g_signal_connect_object (call, "ended", G_CALLBACK (on_ended), self, 0);
}

/* The binding's counters; on an RTP-only call the packets counted here. */
void
phone_media_get_stats (PhoneMedia *self, SdesMediaStats *stats)
{
  g_return_if_fail (PHONE_IS_MEDIA (self));

  sdes_media_binding_get_stats (self->binding, stats);
  if (self->payload_type >= 0 && !self->secure) {
    stats->packets_sent = (guint64) (guint) g_atomic_int_get (&self->plain_sent);
    stats->packets_received = (guint64) (guint) g_atomic_int_get (&self->plain_received);
    stats->rtcp_sent = (guint64) (guint) g_atomic_int_get (&self->plain_rtcp_sent);
    stats->rtcp_received = (guint64) (guint) g_atomic_int_get (&self->plain_rtcp_received);
    stats->invalid_drops = (guint64) (guint) g_atomic_int_get (&self->plain_invalid);
  }
}

/* RTCP packets received (authenticated on a secure call) on the RTP port
 * (rtcp-mux) and on the RTCP port. */
void
phone_media_get_rtcp_ports (PhoneMedia *self, guint *on_rtp_port, guint *on_rtcp_port)
{
  g_return_if_fail (PHONE_IS_MEDIA (self));
  *on_rtp_port = (guint) g_atomic_int_get (&self->rtcp_on_rtp_port);
  *on_rtcp_port = (guint) g_atomic_int_get (&self->rtcp_on_rtcp_port);
}

/* The UDP source port of the last RTCP packet received (0: none yet). */
guint
phone_media_get_rtcp_source_port (PhoneMedia *self)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), 0);
  return (guint) g_atomic_int_get (&self->rtcp_source_port);
}

/* RTP packets missing from the received sequence (gaps of one SSRC). */
guint
phone_media_get_rtp_lost (PhoneMedia *self)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), 0);
  return (guint) g_atomic_int_get (&self->rtp_lost);
}

/* The strongest frequency (Hz, ~10 Hz resolution, 100..3000 Hz) of the
 * last full second of received audio; 0 before a second came in. */
gdouble
phone_media_get_dominant_frequency (PhoneMedia *self)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), 0);
  return self->dominant_hz;
}

/* Sends EOS so that the recording's WAV header is written (at most 2 s).
 * Returns FALSE when EOS did not come through in time. */
static gboolean
finish_recording (PhoneMedia *self)
{
  g_autoptr (GstMessage) msg = NULL;

  gst_element_send_event (self->pipeline, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (self->bus, 2 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  return msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
}

/* Finishes the recording and takes the pipeline down. Returns FALSE when a
 * recording could not be finished. */
static gboolean
teardown (PhoneMedia *self)
{
  gboolean finished = TRUE;

  if (self->pipeline == NULL)
    return TRUE;
  if (self->bus) {
    g_signal_handler_disconnect (self->bus, self->bus_handler);
    gst_bus_remove_signal_watch (self->bus);
  }
  if (self->record_location && self->bus)
    finished = finish_recording (self);
  self->record_failed |= !finished;
  gst_element_set_state (self->pipeline, GST_STATE_NULL);
  if (self->plaintext_file) {
    fclose (self->plaintext_file);
    self->plaintext_file = NULL;
  }
  self->rtpbin = self->recv_head = self->mux_rtcp_src = self->rtcp_select = NULL;
  self->rtcp_sinks[0] = self->rtcp_sinks[1] = NULL;
  gst_clear_object (&self->bus);
  gst_clear_object (&self->pipeline);
  return finished;
}

/* Takes the binding's last counters, then tears the pipeline down.
 * Idempotent. Returns FALSE when a recording could not be finished. */
gboolean
phone_media_stop (PhoneMedia *self)
{
  g_return_val_if_fail (PHONE_IS_MEDIA (self), FALSE);

  if (self->binding)
    sdes_media_binding_stop (self->binding);
  teardown (self);
  return !self->record_failed;
}
