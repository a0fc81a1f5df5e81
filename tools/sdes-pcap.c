/* srtpsdes — decrypt the SRTP in a capture with the a=crypto keys of the SIP in it
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decrypting a capture otherwise means chaining libsrtp's rtp_decoder and
 * text2pcap by hand, copying keys and guessing SSRCs and ROCs. sdes-pcap
 * reads a capture (pcap or pcapng, through libpcap), collects every
 * a=crypto value of every SDP body carried by SIP over UDP (and any given
 * with --crypto), and writes a copy of the capture in which each
 * SRTP/SRTCP packet that one of those keys authenticates is replaced by its
 * plaintext RTP/RTCP, and each SDP body describes plain RTP (RTP/AVP, no
 * a=crypto: the output holds no key, and Wireshark and tshark decode and
 * play it as RTP); lengths and checksums are fixed; every other packet is
 * copied unchanged.
 *
 * The decryption is srtpsdesdec's: one decoder per destination address and
 * port (a receiving socket), every key added with "add-crypto", so an SSRC
 * binds to the key that authenticates it, a re-INVITE's new key takes over
 * with the ROC carried on (RFC 3711 §3.3.1), forked answers each get their
 * own key, and replayed or forged packets are refused and counted. Keys are
 * never printed; the summary names suites and tags.
 *
 * Not handled: SIP over TCP or TLS (give the keys with --crypto), IP
 * fragments, a capture that starts after a stream's sequence number
 * wrapped (the ROC is taken as 0).
 */
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <pcap/pcap.h>

#include <stdio.h>
#include <string.h>

#include "crypto-input.h"
#include "pcap-frame.h"
#include "sdes-crypto.h"

typedef struct {
  GstElement *dec;
  GstPad *src;  /* ours, feeds the decoder */
  GstPad *sink; /* ours, receives its plaintext */
  gchar *name;  /* "address port" */
} Receiver;

/* A SIP message the summary lists: one with an SDP body, or a failure
 * response (a 488 and its Warning say why a call has no SRTP). */
typedef struct {
  guint64 frame;
  gchar *from, *to;
  SdesPcapSip sip;
  guint crypto_lines;
  gboolean sdp;
} SipRecord;

static void
sip_record_free (SipRecord *rec)
{
  g_free (rec->from);
  g_free (rec->to);
  sdes_pcap_sip_clear (&rec->sip);
  g_free (rec);
}

typedef struct {
  pcap_dumper_t *out;
  GPtrArray *sip;        /* SipRecord, in capture order */
  GHashTable *receivers; /* "address port" -> Receiver */
  GPtrArray *keys;       /* a=crypto values seen (secret; wiped on exit) */
  GHashTable *key_set;   /* the same strings, for de-duplication */
  /* The frame being processed, for the decoder's output callback. */
  const struct pcap_pkthdr *hdr;
  const guint8 *frame;
  SdesPcapUdp udp;      /* its IP and UDP offsets */
  gboolean written;
  /* Counts */
  guint64 frames, sip_bodies, crypto_lines, bad_crypto_lines, media, decrypted, left_encrypted;
  guint64 sdp_rewritten;
} Ctx;

static void
write_frame (Ctx *ctx, const guint8 *data, guint len)
{
  struct pcap_pkthdr h = *ctx->hdr;

  h.caplen = len;
  h.len = len + (ctx->hdr->len - ctx->hdr->caplen);
  pcap_dump ((u_char *) ctx->out, &h, data);
}

static guint16
ones_sum (const guint8 *p, gsize n, guint32 sum)
{
  for (gsize i = 0; i + 1 < n; i += 2)
    sum += (guint32) (p[i] << 8 | p[i + 1]);
  if (n & 1)
    sum += (guint32) (p[n - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) sum;
}

/* The current frame with its UDP payload replaced by @n bytes of @payload,
 * IP and UDP lengths and checksums fixed. */
static void
write_payload (Ctx *ctx, const guint8 *payload, gsize n)
{
  guint total = ctx->udp.payload_offset + (guint) n;
  g_autofree guint8 *frame = g_malloc0 (total);
  guint8 *ip = frame + ctx->udp.ip_offset;
  guint8 *udp = frame + ctx->udp.payload_offset - 8;
  guint udp_len = 8 + (guint) n;

  memcpy (frame, ctx->frame, ctx->udp.payload_offset);
  memcpy (frame + ctx->udp.payload_offset, payload, n);
  GST_WRITE_UINT16_BE (udp + 4, udp_len);
  GST_WRITE_UINT16_BE (udp + 6, 0);
  if (ctx->udp.ipv6) {
    guint32 sum = 0;
    guint16 c;

    GST_WRITE_UINT16_BE (ip + 4, udp_len);
    /* RFC 8200 §8.1: the UDP checksum is mandatory over IPv6. */
    sum = ones_sum (ip + 8, 32, 0);
    sum += 17 + udp_len;
    c = (guint16) ~ones_sum (udp, udp_len, sum);
    GST_WRITE_UINT16_BE (udp + 6, c == 0 ? 0xffff : c);
  } else {
    guint ihl = (ip[0] & 0x0f) * 4;

    GST_WRITE_UINT16_BE (ip + 2, ihl + udp_len);
    GST_WRITE_UINT16_BE (ip + 10, 0);
    GST_WRITE_UINT16_BE (ip + 10, (guint16) ~ones_sum (ip, ihl, 0));
    /* IPv4 UDP checksum 0: not computed (RFC 768). */
  }
  write_frame (ctx, frame, total);
  ctx->written = TRUE;
}

/* The decoder's plaintext replaces the frame being processed. */
static GstFlowReturn
plaintext_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  Ctx *ctx = gst_pad_get_element_private (pad);
  GstMapInfo map;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
  write_payload (ctx, map.data, map.size);
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  ctx->decrypted++;
  return GST_FLOW_OK;
}

static gboolean
drop_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static gboolean
add_key_to (Receiver *r, const gchar *crypto)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (r->dec, "add-crypto", crypto, &ok);
  return ok;
}

static Receiver *
receiver_get (Ctx *ctx, const gchar *name)
{
  Receiver *r = g_hash_table_lookup (ctx->receivers, name);
  GstPad *dec_sink, *dec_src;
  GstSegment segment;
  GstCaps *caps;

  if (r != NULL)
    return r;
  r = g_new0 (Receiver, 1);
  r->name = g_strdup (name);
  /* main() has checked that the factory exists. */
  r->dec = gst_element_factory_make ("srtpsdesdec", NULL);
  g_assert (r->dec != NULL);
  gst_object_ref_sink (r->dec);
  r->src = gst_pad_new ("src", GST_PAD_SRC);
  r->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (r->sink, ctx);
  gst_pad_set_chain_function (r->sink, plaintext_chain);
  gst_pad_set_event_function (r->sink, drop_event);
  dec_sink = gst_element_get_static_pad (r->dec, "rtp_sink");
  dec_src = gst_element_get_static_pad (r->dec, "rtp_src");
  gst_pad_set_active (r->src, TRUE);
  gst_pad_set_active (r->sink, TRUE);
  if (gst_pad_link (r->src, dec_sink) != GST_PAD_LINK_OK ||
      gst_pad_link (dec_src, r->sink) != GST_PAD_LINK_OK ||
      gst_element_set_state (r->dec, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_error ("cannot set up srtpsdesdec");
  gst_object_unref (dec_sink);
  gst_object_unref (dec_src);
  gst_pad_push_event (r->src, gst_event_new_stream_start (name));
  caps = gst_caps_new_empty_simple ("application/x-srtp");
  gst_pad_push_event (r->src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (r->src, gst_event_new_segment (&segment));
  for (guint i = 0; i < ctx->keys->len; i++)
    add_key_to (r, g_ptr_array_index (ctx->keys, i));
  g_hash_table_insert (ctx->receivers, r->name, r);
  return r;
}

static void
receiver_free (Receiver *r)
{
  gst_element_set_state (r->dec, GST_STATE_NULL);
  gst_object_unref (r->dec);
  gst_object_unref (r->src);
  gst_object_unref (r->sink);
  g_free (r->name);
  g_free (r);
}

/* A key for every receiver, present and future. Returns FALSE when the
 * value does not parse; one that srtpsdesdec refuses (F8, AES-192, ...)
 * is still listed (and counted in the summary) but no decoder takes it. */
static gboolean
add_key (Ctx *ctx, const gchar *value, GError **error)
{
  g_autoptr (SdesCryptoAttr) attr = sdes_crypto_attr_parse (value, error);
  GHashTableIter iter;
  gpointer r;
  gchar *canon;

  if (attr == NULL)
    return FALSE;
  canon = sdes_crypto_attr_format (attr);
  if (g_hash_table_contains (ctx->key_set, canon)) {
    sdes_crypto_free_secret (canon);
    return TRUE;
  }
  g_ptr_array_add (ctx->keys, canon);
  g_hash_table_add (ctx->key_set, canon);
  g_hash_table_iter_init (&iter, ctx->receivers);
  while (g_hash_table_iter_next (&iter, NULL, &r))
    add_key_to (r, canon);
  return TRUE;
}

/* Every a=crypto line of an SDP body is a key to try. */
static void
scan_sip (Ctx *ctx, const guint8 *p, gsize n)
{
  g_autoptr (GPtrArray) lines = sdes_pcap_sdp_cryptos (p, n);
  SipRecord *rec = g_new0 (SipRecord, 1);

  if (sdes_pcap_sip_parse (p, n, &rec->sip) && (lines != NULL || rec->sip.status >= 300)) {
    rec->frame = ctx->frames;
    rec->from = g_strdup (ctx->udp.src);
    rec->to = g_strdup (ctx->udp.dst);
    rec->sdp = lines != NULL;
    rec->crypto_lines = lines ? lines->len : 0;
    g_ptr_array_add (ctx->sip, rec);
  } else {
    sip_record_free (rec);
  }
  if (lines == NULL)
    return;
  ctx->sip_bodies++;
  for (guint i = 0; i < lines->len; i++) {
    g_autoptr (GError) error = NULL;

    ctx->crypto_lines++;
    if (!add_key (ctx, g_ptr_array_index (lines, i), &error)) {
      ctx->bad_crypto_lines++;
      /* The message never quotes key text (sdes-crypto's rule). */
      g_printerr ("sdes-pcap: frame %" G_GUINT64_FORMAT ": a=crypto line skipped: %s\n",
          ctx->frames, error->message);
    }
  }
}

static void
process_frame (Ctx *ctx, int linktype, const struct pcap_pkthdr *hdr, const guint8 *f)
{
  const SdesPcapUdp *udp = &ctx->udp;
  const guint8 *payload;
  Receiver *r;

  ctx->frames++;
  ctx->hdr = hdr;
  ctx->frame = f;
  ctx->written = FALSE;
  if (!sdes_pcap_find_udp (linktype, f, hdr->caplen, &ctx->udp))
    goto copy;
  payload = f + udp->payload_offset;
  if (sdes_pcap_looks_like_sip (payload, udp->payload_len)) {
    g_autoptr (GByteArray) plain_sdp = NULL;

    scan_sip (ctx, payload, udp->payload_len);
    plain_sdp = sdes_pcap_sip_strip_sdes (payload, udp->payload_len);
    if (plain_sdp == NULL)
      goto copy;
    write_payload (ctx, plain_sdp->data, plain_sdp->len);
    ctx->sdp_rewritten++;
    return;
  }
  if (!sdes_pcap_looks_like_rtp (payload, udp->payload_len) || ctx->keys->len == 0)
    goto copy;

  ctx->media++;
  r = receiver_get (ctx, udp->dst);
  gst_pad_push (r->src, gst_buffer_new_memdup (payload, udp->payload_len));
  if (ctx->written)
    return;
  ctx->left_encrypted++;
copy:
  write_frame (ctx, f, hdr->caplen);
}

static void
json_member_uint (JsonBuilder *b, const gchar *name, guint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, (gint64) value);
}

static void
json_member_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* The SIP messages the summary lists; every string went through
 * sdes_pcap_sip_text() (valid UTF-8, no control character, no key). */
static void
print_sip (Ctx *ctx, JsonBuilder *b)
{
  if (b != NULL) {
    json_builder_set_member_name (b, "sip");
    json_builder_begin_array (b);
  }
  for (guint i = 0; i < ctx->sip->len; i++) {
    SipRecord *rec = g_ptr_array_index (ctx->sip, i);
    const SdesPcapSip *m = &rec->sip;

    if (b == NULL) {
      g_autofree gchar *start = m->method
          ? g_strdup_printf ("%s %s", m->method, m->uri)
          : g_strdup_printf ("%u %s", m->status, m->reason);

      g_print ("  frame %-6" G_GUINT64_FORMAT " %s -> %s  %s%s%s%s%s", rec->frame, rec->from,
          rec->to, start, m->call_id ? "  Call-ID " : "", m->call_id ? m->call_id : "",
          m->warning ? "  Warning: " : "", m->warning ? m->warning : "");
      if (rec->sdp)
        g_print ("  SDP, %u a=crypto\n", rec->crypto_lines);
      else
        g_print ("\n");
      continue;
    }
    json_builder_begin_object (b);
    json_member_uint (b, "frame", rec->frame);
    json_member_string (b, "from", rec->from);
    json_member_string (b, "to", rec->to);
    if (m->method != NULL) {
      json_member_string (b, "method", m->method);
      json_member_string (b, "uri", m->uri);
    } else {
      json_member_uint (b, "status", m->status);
      json_member_string (b, "reason", m->reason);
    }
    json_member_string (b, "call-id", m->call_id);
    json_member_string (b, "warning", m->warning);
    json_builder_set_member_name (b, "sdp");
    json_builder_add_boolean_value (b, rec->sdp);
    json_member_uint (b, "crypto-lines", rec->crypto_lines);
    json_builder_end_object (b);
  }
  if (b != NULL)
    json_builder_end_array (b);
}

static void
print_summary (Ctx *ctx, gboolean json)
{
  g_autoptr (GList) names = g_list_sort (g_hash_table_get_keys (ctx->receivers),
      (GCompareFunc) g_strcmp0);
  g_autoptr (JsonBuilder) b = json ? json_builder_new () : NULL;

  if (json) {
    json_builder_begin_object (b);
    json_member_uint (b, "frames", ctx->frames);
    json_member_uint (b, "sdp-bodies", ctx->sip_bodies);
    json_member_uint (b, "crypto-lines", ctx->crypto_lines);
    json_member_uint (b, "bad-crypto-lines", ctx->bad_crypto_lines);
    json_member_uint (b, "keys", ctx->keys->len);
    json_member_uint (b, "media-packets", ctx->media);
    json_member_uint (b, "decrypted", ctx->decrypted);
    json_member_uint (b, "left-encrypted", ctx->left_encrypted);
    json_member_uint (b, "sdp-rewritten", ctx->sdp_rewritten);
    json_builder_set_member_name (b, "streams");
    json_builder_begin_array (b);
  } else {
    g_print ("%" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " SDP bodies (%" G_GUINT64_FORMAT
        " rewritten to RTP/AVP), %u distinct keys (%" G_GUINT64_FORMAT " a=crypto lines, %"
        G_GUINT64_FORMAT " unusable); %" G_GUINT64_FORMAT " media packets: %" G_GUINT64_FORMAT
        " decrypted, %" G_GUINT64_FORMAT " left as they were\n", ctx->frames, ctx->sip_bodies,
        ctx->sdp_rewritten, ctx->keys->len, ctx->crypto_lines, ctx->bad_crypto_lines, ctx->media,
        ctx->decrypted, ctx->left_encrypted);
  }

  for (GList *l = names; l; l = l->next) {
    Receiver *r = g_hash_table_lookup (ctx->receivers, l->data);
    g_autoptr (GstStructure) stats = NULL;
    const GValue *streams;

    g_object_get (r->dec, "stats", &stats, NULL);
    streams = stats ? gst_structure_get_value (stats, "streams") : NULL;
    for (guint i = 0; streams && i < gst_value_array_get_size (streams); i++) {
      const GstStructure *s = gst_value_get_structure (gst_value_array_get_value (streams, i));
      guint ssrc = 0, tag = 0, roc = 0;
      gboolean rtcp = FALSE;
      guint64 packets = 0, auth = 0, replay = 0, unknown = 0, invalid = 0;
      const gchar *suite = gst_structure_get_string (s, "suite");

      gst_structure_get (s, "ssrc", G_TYPE_UINT, &ssrc, "rtcp", G_TYPE_BOOLEAN, &rtcp,
          "tag", G_TYPE_UINT, &tag, "roc", G_TYPE_UINT, &roc, "packets", G_TYPE_UINT64, &packets,
          "auth-failures", G_TYPE_UINT64, &auth, "replay-drops", G_TYPE_UINT64, &replay,
          "unknown-key-drops", G_TYPE_UINT64, &unknown, "invalid-drops", G_TYPE_UINT64, &invalid,
          NULL);
      if (json) {
        json_builder_begin_object (b);
        json_member_string (b, "to", r->name);
        json_member_uint (b, "ssrc", ssrc);
        json_builder_set_member_name (b, "rtcp");
        json_builder_add_boolean_value (b, rtcp);
        json_member_string (b, "suite", suite ? suite : "");
        json_member_uint (b, "tag", tag);
        json_member_uint (b, "decrypted", packets);
        json_member_uint (b, "auth-failures", auth);
        json_member_uint (b, "replay-drops", replay);
        json_member_uint (b, "no-key", unknown);
        json_member_uint (b, "invalid", invalid);
        json_member_uint (b, "roc", roc);
        json_builder_end_object (b);
      } else {
        g_print ("  to %-28s %s SSRC %08x  %-24s tag %-3u decrypted %-7" G_GUINT64_FORMAT
            " auth-failures %-5" G_GUINT64_FORMAT " replays %-5" G_GUINT64_FORMAT " no key %-5"
            G_GUINT64_FORMAT " invalid %-5" G_GUINT64_FORMAT " ROC %u\n", r->name,
            rtcp ? "SRTCP" : "SRTP ", ssrc, suite ? suite : "-", tag, packets, auth, replay,
            unknown, invalid, roc);
      }
    }
  }
  if (json) {
    g_autoptr (JsonGenerator) gen = json_generator_new ();
    g_autoptr (JsonNode) root = NULL;
    g_autofree gchar *text = NULL;

    json_builder_end_array (b);
    print_sip (ctx, b);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    json_generator_set_root (gen, root);
    text = json_generator_to_data (gen, NULL);
    /* JSON is UTF-8 whatever the locale (g_print would convert it). */
    fputs (text, stdout);
    fputc ('\n', stdout);
  } else if (ctx->sip->len > 0) {
    g_print ("SIP messages with SDP or a failure status:\n");
    print_sip (ctx, NULL);
  }
}

/* Before anything is opened or created: without srtpsdesdec there is
 * nothing to decrypt with. */
static gboolean
check_decoder (void)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find ("srtpsdesdec");

  if (factory != NULL)
    return TRUE;
  g_printerr ("sdes-pcap: the GStreamer element srtpsdesdec (srtpsdes plugin) is not found.\n"
      "  From a build tree, set GST_PLUGIN_PATH=BUILDDIR/gst (e.g. GST_PLUGIN_PATH=%s).\n"
      "  Installed, the plugin is in %s: set GST_PLUGIN_PATH=%s if that is not a directory\n"
      "  GStreamer searches (gst-inspect-1.0 srtpsdesdec must find it).\n",
      SDES_PCAP_BUILD_PLUGIN_DIR, SDES_PCAP_PLUGIN_DIR, SDES_PCAP_PLUGIN_DIR);
  return FALSE;
}

/* --crypto values: a value itself, or "-" / "@FILE" for one per line. */
static gboolean
add_option_keys (Ctx *ctx, GStrv cryptos)
{
  gboolean ok = TRUE;

  for (guint i = 0; cryptos && cryptos[i]; i++) {
    g_autoptr (GError) kerr = NULL;
    g_autoptr (GPtrArray) values = NULL;

    if (!sdes_crypto_input_is_indirect (cryptos[i])) {
      if (!add_key (ctx, cryptos[i], &kerr)) {
        g_printerr ("sdes-pcap: --crypto %u: %s\n", i + 1, kerr->message);
        ok = FALSE;
      }
      sdes_crypto_wipe (cryptos[i], strlen (cryptos[i]));
      continue;
    }
    values = sdes_crypto_input_read (cryptos[i], &kerr);
    if (values == NULL) {
      g_printerr ("sdes-pcap: --crypto %u: %s\n", i + 1, kerr->message);
      ok = FALSE;
      continue;
    }
    for (guint j = 0; j < values->len; j++) {
      g_autoptr (GError) verr = NULL;

      if (!add_key (ctx, g_ptr_array_index (values, j), &verr)) {
        g_printerr ("sdes-pcap: --crypto %u, value %u: %s\n", i + 1, j + 1, verr->message);
        ok = FALSE;
      }
    }
  }
  return ok;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *in_path = NULL;
  g_autofree gchar *out_path = NULL;
  g_auto (GStrv) cryptos = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "read", 'r', 0, G_OPTION_ARG_FILENAME, &in_path, "Capture to read (pcap or pcapng)", "FILE" },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &out_path, "Decrypted capture to write (pcap)", "FILE" },
    { "crypto", 'k', 0, G_OPTION_ARG_STRING_ARRAY, &cryptos,
      "An a=crypto value to try as well (SIP over TLS/TCP); repeatable. \"-\" reads values "
      "from standard input, \"@FILE\" from FILE, one per line (a value on the command line "
      "is visible to every user in ps)", "LINE|-|@FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Summary as one JSON object", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) octx = g_option_context_new (
      "- decrypt the SRTP in a capture with the a=crypto keys of its SIP");
  g_autoptr (GError) error = NULL;
  char errbuf[PCAP_ERRBUF_SIZE] = { 0 };
  struct pcap_pkthdr *hdr;
  const u_char *data;
  pcap_t *in = NULL;
  Ctx ctx = { 0 };
  int linktype, rc, status = 0;

  g_option_context_add_main_entries (octx, entries, NULL);
  g_option_context_add_group (octx, gst_init_get_option_group ());
  if (!g_option_context_parse (octx, &argc, &argv, &error) || in_path == NULL ||
      out_path == NULL || argc > 1) {
    g_printerr ("sdes-pcap: %s\nUsage: sdes-pcap -r IN.pcap -w OUT.pcap [--crypto LINE|-|@FILE]... "
        "[--json]\n", error ? error->message : argc > 1 ? "unexpected argument" :
        "-r and -w are required");
    return 2;
  }
  if (!check_decoder ()) {
    gst_deinit ();
    return 1;
  }

  ctx.receivers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) receiver_free);
  ctx.keys = g_ptr_array_new_with_free_func ((GDestroyNotify) sdes_crypto_free_secret);
  ctx.key_set = g_hash_table_new (g_str_hash, g_str_equal);
  ctx.sip = g_ptr_array_new_with_free_func ((GDestroyNotify) sip_record_free);
  if (!add_option_keys (&ctx, cryptos)) {
    status = 2;
    goto done;
  }

  in = pcap_open_offline (in_path, errbuf);
  if (in == NULL) {
    g_printerr ("sdes-pcap: %s\n", errbuf);
    status = 1;
    goto done;
  }
  linktype = pcap_datalink (in);
  ctx.out = pcap_dump_open (in, out_path);
  if (ctx.out == NULL) {
    g_printerr ("sdes-pcap: %s\n", pcap_geterr (in));
    status = 1;
    goto done;
  }

  while ((rc = pcap_next_ex (in, &hdr, &data)) == 1)
    process_frame (&ctx, linktype, hdr, data);
  if (rc == PCAP_ERROR) {
    g_printerr ("sdes-pcap: %s\n", pcap_geterr (in));
    status = 1;
  }
  print_summary (&ctx, json);

done:
  if (ctx.out != NULL)
    pcap_dump_close (ctx.out);
  if (in != NULL)
    pcap_close (in);
  g_hash_table_unref (ctx.receivers);
  g_hash_table_unref (ctx.key_set);
  g_ptr_array_unref (ctx.keys);
  g_ptr_array_unref (ctx.sip);
  gst_deinit ();
  return status;
}
