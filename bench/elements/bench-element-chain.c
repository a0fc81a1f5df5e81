/* srtpsdes — element chain cost: srtpsdesenc ! srtpsdesdec vs srtpenc ! srtpdec
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The per-packet cost of an encoder followed by a decoder, minus the
 * cost of identity ! identity, for 172-byte G.711 RTP packets protected
 * with AES_CM_128_HMAC_SHA1_80 (the same 30-byte master key everywhere).
 *
 * Each variant runs in its own process (this program re-executes itself
 * with --run VARIANT): libsrtp2's crypto replacement is process-wide, so
 * "stock" must never see our plugin loaded. Variants:
 *   identity        identity ! identity (the baseline that is subtracted)
 *   ours            srtpsdesenc ! srtpsdesdec, OpenSSL backend
 *   ours-stockcrypto  the same with SRTPSDES_CRYPTO_BACKEND=stock
 *   stock           gst-plugins-bad srtpenc ! srtpdec, libsrtp2's own crypto
 *   stock-ourcrypto srtpenc ! srtpdec after our plugin installed its backend
 *
 * The packets are GstBuffers allocated before the clock starts, like those
 * of udpsrc: 172 bytes used in a block with room for the SRTP trailer
 * (--tight: no room, so the encoder must take a pool buffer). They are
 * pushed from the calling thread through the two elements into a sink pad
 * that checks every decoded packet byte for byte. The figure is the thread
 * CPU time per packet (wall time is printed too), the median of several
 * rounds that alternate the variants so load changes hit all alike.
 *
 * Usage: bench-element-chain [-n packets] [-r rounds] [--tight] [--list N]
 * A benchmark, never a test: it asserts nothing about speed.
 */
#include <gst/gst.h>

#include "bench-pads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define PACKET_SIZE 172 /* 12-byte RTP header + 160 bytes of 20 ms G.711 */
#define HEADER_SIZE 12
#define ROOM 64         /* trailer room a udpsrc MTU-sized block leaves */
#define SSRC 0x5eed0001u
#define WARMUP 2048

static const guint8 master_key[30] = {
  0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
  0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
  0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

static const gchar *const variants[] = {
  "identity", "ours", "ours-stockcrypto", "stock", "stock-ourcrypto",
};
#define N_VARIANTS G_N_ELEMENTS (variants)

typedef struct {
  guint64 received;
  guint64 bad;
  guint16 first_seq;
  guint8 payload[PACKET_SIZE - HEADER_SIZE];
} BenchSink;

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gint64
wall_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sink_check (BenchSink *sink, GstBuffer *buf)
{
  GstMapInfo map;
  guint16 want = (guint16) (sink->first_seq + sink->received);

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    sink->bad++;
  } else {
    if (map.size != PACKET_SIZE || GST_READ_UINT16_BE (map.data + 2) != want ||
        memcmp (map.data + HEADER_SIZE, sink->payload, sizeof (sink->payload)) != 0)
      sink->bad++;
    gst_buffer_unmap (buf, &map);
  }
  sink->received++;
}

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  sink_check (gst_pad_get_element_private (pad), buf);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
sink_list_one (GstBuffer **buf, guint idx, gpointer user_data)
{
  sink_check (user_data, *buf);
  return TRUE;
}

static GstFlowReturn
sink_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  gst_buffer_list_foreach (list, sink_list_one, gst_pad_get_element_private (pad));
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static gboolean
sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstCaps *
stock_request_key (GstElement *dec, guint ssrc, gpointer user_data)
{
  GstBuffer *key = gst_buffer_new_memdup (master_key, sizeof (master_key));
  GstCaps *caps = gst_caps_new_simple ("application/x-srtp",
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, "aes-128-icm",
      "srtp-auth", G_TYPE_STRING, "hmac-sha1-80",
      "srtcp-cipher", G_TYPE_STRING, "aes-128-icm",
      "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", NULL);

  gst_buffer_unref (key);
  return caps;
}

static GstElement *
make (const gchar *factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_printerr ("element %s not available\n", factory);
    exit (77);
  }
  return e;
}

static void
make_pair (const gchar *variant, GstElement **enc, GstElement **dec,
           GstPad **enc_sink, GstPad **dec_src)
{
  if (g_str_equal (variant, "identity")) {
    *enc = make ("identity");
    *dec = make ("identity");
    *enc_sink = gst_element_get_static_pad (*enc, "sink");
    *dec_src = gst_element_get_static_pad (*dec, "src");
    gst_element_link (*enc, *dec);
    return;
  }
  if (g_str_has_prefix (variant, "ours")) {
    g_autofree gchar *b64 = g_base64_encode (master_key, sizeof (master_key));
    g_autofree gchar *crypto = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s", b64);

    *enc = make ("srtpsdesenc");
    *dec = make ("srtpsdesdec");
    g_object_set (*enc, "crypto", crypto, NULL);
    g_object_set (*dec, "crypto", crypto, NULL);
  } else {
    GstBuffer *key = gst_buffer_new_memdup (master_key, sizeof (master_key));

    if (g_str_equal (variant, "stock-ourcrypto")) {
      /* Loading our plugin installs the OpenSSL backend process-wide. */
      gst_object_unref (make ("srtpsdesenc"));
    }
    *enc = make ("srtpenc");
    *dec = make ("srtpdec");
    gst_util_set_object_arg (G_OBJECT (*enc), "rtp-cipher", "aes-128-icm");
    gst_util_set_object_arg (G_OBJECT (*enc), "rtp-auth", "hmac-sha1-80");
    gst_util_set_object_arg (G_OBJECT (*enc), "rtcp-cipher", "aes-128-icm");
    gst_util_set_object_arg (G_OBJECT (*enc), "rtcp-auth", "hmac-sha1-80");
    g_object_set (*enc, "key", key, NULL);
    gst_buffer_unref (key);
    g_signal_connect (*dec, "request-key", G_CALLBACK (stock_request_key), NULL);
  }
  *enc_sink = gst_element_request_pad_simple (*enc, "rtp_sink_0");
  if (!gst_element_link_pads (*enc, "rtp_src_0", *dec, "rtp_sink"))
    g_error ("cannot link %s encoder to decoder", variant);
  *dec_src = gst_element_get_static_pad (*dec, "rtp_src");
}

static GstBuffer *
packet_new (guint16 seq, guint32 ts, const guint8 *payload, gboolean tight)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, PACKET_SIZE + (tight ? 0 : ROOM), NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  map.data[0] = 0x80;
  map.data[1] = 0;  /* PT 0: PCMU */
  GST_WRITE_UINT16_BE (map.data + 2, seq);
  GST_WRITE_UINT32_BE (map.data + 4, ts);
  GST_WRITE_UINT32_BE (map.data + 8, SSRC);
  memcpy (map.data + HEADER_SIZE, payload, PACKET_SIZE - HEADER_SIZE);
  gst_buffer_unmap (buf, &map);
  gst_buffer_set_size (buf, PACKET_SIZE);
  return buf;
}

/* Pushes @n packets (in lists of @list_len when > 1), starting at @seq. */
static void
push_packets (GstPad *src, GstBuffer **packets, guint n, guint list_len)
{
  if (list_len <= 1) {
    for (guint i = 0; i < n; i++)
      if (gst_pad_push (src, packets[i]) != GST_FLOW_OK)
        g_error ("push failed at packet %u", i);
    return;
  }
  for (guint i = 0; i < n; i += list_len) {
    guint m = MIN (list_len, n - i);
    GstBufferList *list = gst_buffer_list_new_sized (m);

    for (guint j = 0; j < m; j++)
      gst_buffer_list_add (list, packets[i + j]);
    if (gst_pad_push_list (src, list) != GST_FLOW_OK)
      g_error ("push failed at packet %u", i);
  }
}

static int
run_variant (const gchar *variant, guint n, gboolean tight, guint list_len)
{
  GstElement *enc, *dec;
  GstPad *enc_sink, *dec_src, *src, *sinkpad;
  BenchSink sink = { 0 };
  GstBuffer **packets;
  GstPlugin *ours;
  gint64 cpu0, wall0, cpu, wall;
  guint total = WARMUP + n;

  make_pair (variant, &enc, &dec, &enc_sink, &dec_src);

  src = gst_pad_new ("src", GST_PAD_SRC);
  sinkpad = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (sinkpad, &sink);
  gst_pad_set_chain_function (sinkpad, sink_chain);
  gst_pad_set_chain_list_function (sinkpad, sink_chain_list);
  gst_pad_set_event_function (sinkpad, sink_event);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sinkpad, TRUE);
  if (gst_pad_link (src, enc_sink) != GST_PAD_LINK_OK ||
      gst_pad_link (dec_src, sinkpad) != GST_PAD_LINK_OK)
    g_error ("cannot link the %s chain", variant);
  if (gst_element_set_state (dec, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state (enc, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_error ("%s elements refuse PLAYING", variant);

  bench_push_stream_events (src, "bench",
      "application/x-rtp, media=audio, clock-rate=8000, encoding-name=PCMU, payload=0");

  memset (sink.payload, 0xff, sizeof (sink.payload)); /* G.711 µ-law silence */
  for (guint i = 0; i < sizeof (sink.payload); i += 7)
    sink.payload[i] = (guint8) i;
  sink.first_seq = 1000;
  packets = g_new (GstBuffer *, total);
  for (guint i = 0; i < total; i++)
    packets[i] = packet_new ((guint16) (sink.first_seq + i), i * 160, sink.payload, tight);

  /* Sessions, per-SSRC state and caches are set up by the warm-up. */
  push_packets (src, packets, WARMUP, list_len);
  cpu0 = thread_cpu_ns ();
  wall0 = wall_ns ();
  push_packets (src, packets + WARMUP, n, list_len);
  cpu = thread_cpu_ns () - cpu0;
  wall = wall_ns () - wall0;

  ours = gst_registry_find_plugin (gst_registry_get (), "srtpsdes");
  printf ("cpu_ns_per_packet=%.1f wall_ns_per_packet=%.1f received=%" G_GUINT64_FORMAT
      " bad=%" G_GUINT64_FORMAT " srtpsdes_loaded=%d\n", (gdouble) cpu / n,
      (gdouble) wall / n, sink.received, sink.bad,
      ours != NULL && gst_plugin_is_loaded (ours));
  if (ours)
    gst_object_unref (ours);

  gst_element_set_state (enc, GST_STATE_NULL);
  gst_element_set_state (dec, GST_STATE_NULL);
  gst_pad_unlink (src, enc_sink);
  gst_pad_unlink (dec_src, sinkpad);
  if (!g_str_equal (variant, "identity"))
    gst_element_release_request_pad (enc, enc_sink);
  gst_object_unref (enc_sink);
  gst_object_unref (dec_src);
  gst_object_unref (enc);
  gst_object_unref (dec);
  gst_object_unref (src);
  gst_object_unref (sinkpad);
  g_free (packets);
  return sink.received == total && sink.bad == 0 ? 0 : 1;
}

typedef struct {
  gdouble cpu[64];
  gdouble wall[64];
  guint n;
  gboolean failed;
  gboolean skipped;
  const gchar *skip_reason;
  gboolean loaded;
} VariantResult;

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble *v, guint n)
{
  if (n == 0)
    return 0;
  qsort (v, n, sizeof (gdouble), (int (*)(const void *, const void *)) cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
spawn_variant (const gchar *self_path, const gchar *variant, guint n, gboolean tight,
               guint list_len, VariantResult *res)
{
  g_autofree gchar *n_arg = g_strdup_printf ("%u", n);
  g_autofree gchar *list_arg = g_strdup_printf ("%u", list_len);
  const gchar *argv[] = { self_path, "--run", variant, "-n", n_arg, "--list", list_arg,
    tight ? "--tight" : NULL, NULL };
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *line;
  gint status = 0;
  gdouble cpu, wall;
  gint loaded = 0;

  envp = g_environ_unsetenv (envp, "SRTPSDES_CRYPTO_BACKEND");
  if (g_str_equal (variant, "ours-stockcrypto"))
    envp = g_environ_setenv (envp, "SRTPSDES_CRYPTO_BACKEND", "stock", TRUE);
  if (!g_spawn_sync (NULL, (gchar **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
          &status, &error))
    g_error ("cannot run %s: %s", self_path, error->message);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77) {
    res->skipped = TRUE;
    res->skip_reason = "element missing";
    return;
  }
  line = out ? strstr (out, "cpu_ns_per_packet=") : NULL;
  if (!g_spawn_check_wait_status (status, NULL) || line == NULL ||
      sscanf (line, "cpu_ns_per_packet=%lf wall_ns_per_packet=%lf received=%*u bad=%*u "
          "srtpsdes_loaded=%d", &cpu, &wall, &loaded) != 3) {
    g_printerr ("%s failed:\n%s%s", variant, out ? out : "", err ? err : "");
    res->failed = TRUE;
    return;
  }
  res->cpu[res->n] = cpu;
  res->wall[res->n] = wall;
  res->loaded = loaded;
  res->n++;
}

static void
set_default_env (void)
{
  /* Our plugin from this build tree, a registry of our own, and no
   * in-process registry scan (which would load our plugin everywhere). */
  g_setenv ("GST_PLUGIN_PATH_1_0", SRTPSDES_PLUGIN_DIR, FALSE);
  g_setenv ("GST_REGISTRY_1_0", BENCH_REGISTRY, FALSE);
  g_unsetenv ("GST_REGISTRY_FORK");
}

int
main (int argc, char **argv)
{
  g_autofree gchar *run = NULL;
  gint n = 200000, rounds = 5, list_len = 1;
  gboolean tight = FALSE;
  GOptionEntry entries[] = {
    { "run", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &run, "internal: run one variant", NULL },
    { "packets", 'n', 0, G_OPTION_ARG_INT, &n, "packets per timed run (200000)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "runs per variant (5)", "R" },
    { "tight", 0, 0, G_OPTION_ARG_NONE, &tight, "packets without room for the trailer", NULL },
    { "list", 0, 0, G_OPTION_ARG_INT, &list_len, "push buffer lists of N packets (1: single buffers)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- SRTP element chain cost per packet");
  g_autoptr (GError) error = NULL;
  VariantResult results[N_VARIANTS];
  gdouble base, cost[N_VARIANTS];

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  n = CLAMP (n, 1000, 10000000);
  rounds = CLAMP (rounds, 1, 64);
  list_len = CLAMP (list_len, 1, 1024);
  set_default_env ();

  if (run != NULL) {
    gst_init (NULL, NULL);
    return run_variant (run, (guint) n, tight, (guint) list_len);
  }

  /* Bring the registry up to date in a throw-away process first. */
  gst_init (NULL, NULL);
  gst_deinit ();

  memset (results, 0, sizeof (results));
  printf ("element chain, %u-byte G.711 RTP, AES_CM_128_HMAC_SHA1_80, %d packets x %d rounds%s, "
      "%s\n", PACKET_SIZE, n, rounds, tight ? ", no trailer room" : "",
      list_len > 1 ? "buffer lists" : "single buffers");
  if (list_len > 1)
    printf ("  lists of %d packets\n", list_len);
  {
    gdouble load[3];

    if (getloadavg (load, 3) == 3)
      printf ("load average at start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  }
  if (list_len > 1) {
    /* gst-plugins-bad 1.22 srtpenc/srtpdec chain_list unref buffers they
     * do not own (GStreamer-CRITICAL on every list), and identity splits
     * lists into single buffers: compare ours with itself only. */
    for (guint v = 3; v < N_VARIANTS; v++) {
      results[v].skipped = TRUE;
      results[v].skip_reason = "stock chain_list is broken in 1.22";
    }
  }
  for (gint r = 0; r < rounds; r++)
    for (guint v = 0; v < N_VARIANTS; v++)
      if (!results[v].skipped && !results[v].failed)
        spawn_variant (argv[0], variants[v], (guint) n, tight, (guint) list_len, &results[v]);

  if (results[0].n == 0) {
    g_printerr ("the identity baseline failed\n");
    return 1;
  }
  /* identity (GstBaseTransform) splits lists into single buffers, so with
   * lists it is no baseline: the figures stay absolute. */
  base = list_len > 1 ? 0 : median (results[0].cpu, results[0].n);
  if (list_len > 1)
    printf ("buffer lists: identity splits them, so nothing is subtracted below\n");
  printf ("%-18s %12s %12s %14s %s\n", "variant", "cpu ns/pkt", "wall ns/pkt",
      "minus identity", "");
  for (guint v = 0; v < N_VARIANTS; v++) {
    VariantResult *res = &results[v];

    cost[v] = 0;
    if (res->skipped || res->failed || res->n == 0) {
      printf ("%-18s %s\n", variants[v], res->skipped ? res->skip_reason : "FAILED");
      continue;
    }
    cost[v] = median (res->cpu, res->n) - (v == 0 ? 0 : base);
    printf ("%-18s %12.1f %12.1f %14.1f%s\n", variants[v], median (res->cpu, res->n),
        median (res->wall, res->n), v == 0 ? 0.0 : cost[v],
        res->loaded ? "" : "  (srtpsdes plugin not loaded)");
  }
  {
    gdouble load[3];

    if (getloadavg (load, 3) == 3)
      printf ("load average at end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  }
  /* variants[]: 1 ours, 2 ours-stockcrypto, 3 stock, 4 stock-ourcrypto */
  if (cost[1] > 0 && cost[3] > 0)
    printf ("ratio stock/ours (chain minus identity): %.2fx faster\n", cost[3] / cost[1]);
  if (cost[1] > 0 && cost[2] > 0)
    printf ("ours, OpenSSL backend vs SRTPSDES_CRYPTO_BACKEND=stock: %.2fx faster\n",
        cost[2] / cost[1]);
  if (cost[3] > 0 && cost[4] > 0)
    printf ("stock elements, our backend vs libsrtp2's own: %.2fx faster\n",
        cost[3] / cost[4]);
  if (cost[2] > 0 && cost[3] > 0)
    printf ("elements only (both on libsrtp2's own crypto), stock/ours: %.2fx\n",
        cost[3] / cost[2]);
  return 0;
}
