/* srtpsdes — how many concurrent G.711 streams one process protects in real time
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * N streams, each with its own SSRC and its own key, send 50
 * packets/s each way (172-byte G.711 RTP, AES_CM_128_HMAC_SHA1_80). Every
 * packet is encrypted and then decrypted in real time. A step passes when
 * every packet arrives intact (so zero authentication failures) and none is
 * more than 20 ms late; the program reports the largest N that passes, for
 * stock srtpenc/srtpdec and for srtpsdesenc/srtpsdesdec, in the same run.
 *
 * Three variants; each direction of each stream is a flow with its own
 * SSRC and key:
 *
 * - "stock" and "ours" (one element pair per flow, what a relay with one
 *   element pair per call leg does; the only layout stock srtpenc/srtpdec
 *   allow, as their key is per element):
 *
 *   [flow src pad] -> enc -> dec -> [flow sink pad: checks bytes, lateness]
 *
 *   So N streams are 2N flows, 2N encoders and 2N decoders.
 *
 * - "shared" (ours): per driving thread, srtpsdesenc elements with
 *   a request pad per flow (up to --pads-per-encoder, 1000, flows each),
 *   each pad keyed with its flow's key (pad property "crypto"), and ONE
 *   srtpsdesdec per driving thread that knows every flow's key by SSRC
 *   (add-crypto-for-ssrc). Between them a "wire" hop stands for the
 *   network: a pad per flow takes the encoder's output and pushes it into
 *   the thread's decoder, as one socket carrying many SSRCs would:
 *
 *   [flow src] -> enc.rtp_sink_f / rtp_src_f -> [wire f] -> dec_t -> [sink_t]
 *
 *   sink_t finds the flow by SSRC and checks bytes and lateness the same.
 *
 * - "batched" (ours): a stream-batching sender (a media server
 *   that produces many streams in one loop): per driving thread ONE
 *   srtpsdesenc pad and ONE srtpsdesdec, both knowing every flow's key by
 *   SSRC (add-crypto-for-ssrc on each), fed one buffer list per wake-up
 *   with every packet then due (within the 1 ms early margin):
 *
 *   [src_t: list of flows' packets] -> enc_t -> dec_t -> [sink_t]
 *
 * Packets are
 * driven from one thread per CPU core; flow f belongs to thread f mod T and
 * its packet k is due at t0 + k * 20 ms + f * 20 ms / 2N (phases spread
 * evenly, as independent calls are). A thread sleeps while the next packet
 * is more than 1 ms ahead; otherwise it pushes it (at most 1 ms early).
 * Lateness is the arrival at the sink pad minus the due time. The source
 * packets come from a buffer pool of 1500-byte blocks, like udpsrc's.
 *
 * Each step (variant, N) runs in a process of its own (this program
 * re-executes itself with --run), so libsrtp2's process-wide crypto
 * replacement never reaches the stock variant. Each step streams for a
 * few seconds after a warm-up packet per flow, and is bounded in time; the
 * whole search is bounded too.
 *
 * Usage: bench-many-streams [--seconds S (3)] [--max-total S (170)]
 * A benchmark, never a test: it asserts nothing about speed.
 */
#include <gst/gst.h>

#include "bench-pads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PACKET_SIZE 172
#define HEADER_SIZE 12
#define PERIOD_NS (20 * G_GINT64_CONSTANT (1000000))
#define MAX_LATE_NS (20 * G_GINT64_CONSTANT (1000000))
#define EARLY_NS (1 * G_GINT64_CONSTANT (1000000))
#define STEP_TIMEOUT_S 10
#define SETUP_DEADLINE_S 5

enum { VARIANT_STOCK, VARIANT_OURS, VARIANT_SHARED, VARIANT_BATCHED };
#define SSRC_BASE 0x10000000u

typedef struct {
  GstElement *enc;
  GstElement *dec;
  GstPad *src;
  GstPad *sink;
  GstPad *wire; /* shared: the flow's encoder output lands here */
  guint8 key[30];
  guint32 ssrc;
  guint16 seq;
  guint16 sent_seq; /* of the packet last made: what the sink must see */
  guint32 ts;
  gint64 phase;
  gint64 due;
  guint64 sent;
  guint64 received;
  guint64 bad;
  guint64 late;
  gint64 max_late;
} Flow;

typedef struct {
  guint index;
  guint n_threads;
  Flow *flows;
  guint n_flows;
  guint variant;
  guint periods;
  GstBufferPool *pool;
  gboolean setup_ok;
  /* shared: this thread's encoders and decoder, the pad feeding the
   * decoder and its output */
  GPtrArray *encs;
  GstElement *dec;
  GstPad *src; /* batched: the thread's one source pad */
  GstPad *wire_src;
  GstPad *sink;
  gint64 cpu_ns; /* --throughput: the thread's CPU time streaming */
} Worker;

/* shared: flows per encoder. GStreamer walks an element's pad list (by
 * name) when a pad is requested, added or looked up, so setting up N pads
 * on one element costs N^2/2 string compares: with 16 000 pads that took
 * more than the 5 s setup budget. A few hundred pads per element keep
 * setup linear without changing the per-packet path. */
static guint pads_per_encoder = 1000;
/* batched: packets per list at most. Short lists keep the packets the
 * sender just wrote in cache when the encoder reads them. */
static guint list_max = 32;
/* --throughput: batched without pacing, reports CPU time per packet. */
static gboolean throughput;

static guint8 payload[PACKET_SIZE - HEADER_SIZE];
static gint64 start_time; /* t0, written before go is set */
static gint go;
static gint workers_ready;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_until (gint64 t)
{
  struct timespec ts = { (time_t) (t / 1000000000), (long) (t % 1000000000) };

  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
  }
}

static void flow_check (Flow *flow, GstBuffer *buf);

static GstFlowReturn
flow_sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  flow_check (gst_pad_get_element_private (pad), buf);
  return GST_FLOW_OK;
}

/* shared: the decoder's output of one thread, dispatched by SSRC. */
static GstFlowReturn
thread_sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  Worker *w = gst_pad_get_element_private (pad);
  guint8 hdr[12];
  guint32 f;

  if (gst_buffer_extract (buf, 0, hdr, sizeof (hdr)) != sizeof (hdr) ||
      (f = GST_READ_UINT32_BE (hdr + 8) - SSRC_BASE) >= w->n_flows) {
    /* Not one of the flows: counted as bad against the thread's first flow. */
    w->flows[w->index].bad++;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  flow_check (&w->flows[f], buf);
  return GST_FLOW_OK;
}

/* shared: the "network" between the encoder and this thread's decoder. */
static GstFlowReturn
wire_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  Worker *w = gst_pad_get_element_private (pad);

  return gst_pad_push (w->wire_src, buf);
}

static void
flow_check (Flow *flow, GstBuffer *buf)
{
  gint64 late = now_ns () - flow->due;
  GstMapInfo map;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    flow->bad++;
  } else {
    if (map.size != PACKET_SIZE || GST_READ_UINT32_BE (map.data + 8) != flow->ssrc ||
        GST_READ_UINT16_BE (map.data + 2) != flow->sent_seq ||
        memcmp (map.data + HEADER_SIZE, payload, sizeof (payload)) != 0)
      flow->bad++;
    gst_buffer_unmap (buf, &map);
  }
  flow->received++;
  if (late > flow->max_late)
    flow->max_late = late;
  if (late > MAX_LATE_NS)
    flow->late++;
  gst_buffer_unref (buf);
}

static gboolean
flow_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstCaps *
stock_request_key (GstElement *dec, guint ssrc, Flow *flow)
{
  GstBuffer *key = gst_buffer_new_memdup (flow->key, sizeof (flow->key));
  GstCaps *caps = gst_caps_new_simple ("application/x-srtp",
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, "aes-128-icm",
      "srtp-auth", G_TYPE_STRING, "hmac-sha1-80",
      "srtcp-cipher", G_TYPE_STRING, "aes-128-icm",
      "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", NULL);

  gst_buffer_unref (key);
  return caps;
}

static void
push_stream_events (GstPad *src)
{
  bench_push_stream_events (src, "many-streams",
      "application/x-rtp, media=audio, clock-rate=8000, encoding-name=PCMU, payload=0");
}

static gchar *
flow_crypto (const Flow *flow)
{
  g_autofree gchar *b64 = g_base64_encode (flow->key, sizeof (flow->key));
  gchar *crypto = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s", b64);

  memset (b64, 0, strlen (b64));
  return crypto;
}

/* shared: this thread's decoder and the pads around it. */
static gboolean
worker_setup_shared (Worker *w)
{
  GstPad *dec_sink, *dec_src;
  gboolean ok;

  w->encs = g_ptr_array_new ();
  w->dec = gst_element_factory_make ("srtpsdesdec", NULL);
  if (w->dec == NULL)
    return FALSE;
  if (w->variant == VARIANT_BATCHED) {
    GstElement *enc = gst_element_factory_make ("srtpsdesenc", NULL);
    GstPad *enc_sink;

    if (enc == NULL)
      return FALSE;
    g_ptr_array_add (w->encs, enc);
    w->src = gst_pad_new ("src", GST_PAD_SRC);
    gst_pad_set_active (w->src, TRUE);
    enc_sink = gst_element_request_pad_simple (enc, "rtp_sink_0");
    ok = enc_sink != NULL && gst_pad_link (w->src, enc_sink) == GST_PAD_LINK_OK &&
        gst_element_link_pads (enc, "rtp_src_0", w->dec, "rtp_sink");
    if (enc_sink)
      gst_object_unref (enc_sink);
    if (!ok || gst_element_set_state (enc, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      return FALSE;
  }
  w->wire_src = gst_pad_new ("wire-src", GST_PAD_SRC);
  w->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (w->sink, w);
  gst_pad_set_chain_function (w->sink, thread_sink_chain);
  gst_pad_set_event_function (w->sink, flow_sink_event);
  gst_pad_set_active (w->wire_src, TRUE);
  gst_pad_set_active (w->sink, TRUE);
  dec_sink = gst_element_get_static_pad (w->dec, "rtp_sink");
  dec_src = gst_element_get_static_pad (w->dec, "rtp_src");
  ok = (w->variant == VARIANT_BATCHED ||
          gst_pad_link (w->wire_src, dec_sink) == GST_PAD_LINK_OK) &&
      gst_pad_link (dec_src, w->sink) == GST_PAD_LINK_OK;
  gst_object_unref (dec_sink);
  gst_object_unref (dec_src);
  if (!ok || gst_element_set_state (w->dec, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return FALSE;
  if (w->variant == VARIANT_BATCHED) {
    push_stream_events (w->src);
    return TRUE;
  }
  bench_push_stream_events (w->wire_src, "many-streams-wire",
      "application/x-srtp, media=audio, clock-rate=8000, encoding-name=PCMU, payload=0");
  return TRUE;
}

/* shared: a request pad pair of the one encoder keyed for flow @f, its
 * output on a wire pad into the thread's decoder, which knows the key by
 * the flow's SSRC. */
static gboolean
flow_setup_shared (Worker *w, guint f)
{
  Flow *flow = &w->flows[f];
  g_autofree gchar *crypto = flow_crypto (flow);
  g_autofree gchar *sink_name = g_strdup_printf ("rtp_sink_%u", f);
  g_autofree gchar *src_name = g_strdup_printf ("rtp_src_%u", f);
  GstPad *enc_sink, *enc_src;
  GstElement *enc;
  gboolean ok = FALSE;
  guint j = f / w->n_threads; /* the thread's j-th flow */

  g_free (sink_name);
  g_free (src_name);
  sink_name = g_strdup_printf ("rtp_sink_%u", j % pads_per_encoder);
  src_name = g_strdup_printf ("rtp_src_%u", j % pads_per_encoder);
  if (j / pads_per_encoder >= w->encs->len) {
    enc = gst_element_factory_make ("srtpsdesenc", NULL);
    if (enc == NULL || gst_element_set_state (enc, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE)
      return FALSE;
    g_ptr_array_add (w->encs, enc);
  }
  enc = g_ptr_array_index (w->encs, j / pads_per_encoder);
  enc_sink = gst_element_request_pad_simple (enc, sink_name);
  if (enc_sink == NULL)
    return FALSE;
  g_object_set (enc_sink, "crypto", crypto, NULL);
  g_signal_emit_by_name (w->dec, "add-crypto-for-ssrc", flow->ssrc, crypto, &ok);
  memset (crypto, 0, strlen (crypto));
  enc_src = gst_element_get_static_pad (enc, src_name);
  flow->src = gst_pad_new ("src", GST_PAD_SRC);
  flow->wire = gst_pad_new ("wire", GST_PAD_SINK);
  gst_pad_set_element_private (flow->wire, w);
  gst_pad_set_chain_function (flow->wire, wire_chain);
  gst_pad_set_event_function (flow->wire, flow_sink_event);
  gst_pad_set_active (flow->src, TRUE);
  gst_pad_set_active (flow->wire, TRUE);
  ok = ok && enc_src != NULL && gst_pad_link (flow->src, enc_sink) == GST_PAD_LINK_OK &&
      gst_pad_link (enc_src, flow->wire) == GST_PAD_LINK_OK;
  gst_object_unref (enc_sink);
  if (enc_src)
    gst_object_unref (enc_src);
  if (!ok)
    return FALSE;
  push_stream_events (flow->src);
  return TRUE;
}

/* batched: both elements of the thread learn the flow's key by SSRC. */
static gboolean
flow_setup_batched (Worker *w, guint f)
{
  Flow *flow = &w->flows[f];
  g_autofree gchar *crypto = flow_crypto (flow);
  gboolean ok_enc = FALSE, ok_dec = FALSE;

  g_signal_emit_by_name (g_ptr_array_index (w->encs, 0), "add-crypto-for-ssrc", flow->ssrc,
      crypto, &ok_enc);
  g_signal_emit_by_name (w->dec, "add-crypto-for-ssrc", flow->ssrc, crypto, &ok_dec);
  memset (crypto, 0, strlen (crypto));
  return ok_enc && ok_dec;
}

static gboolean
flow_setup (Flow *flow, gboolean ours)
{
  GstPad *enc_sink, *dec_src;

  if (ours) {
    g_autofree gchar *crypto = flow_crypto (flow);

    flow->enc = gst_element_factory_make ("srtpsdesenc", NULL);
    flow->dec = gst_element_factory_make ("srtpsdesdec", NULL);
    if (flow->enc == NULL || flow->dec == NULL)
      return FALSE;
    g_object_set (flow->enc, "crypto", crypto, NULL);
    g_object_set (flow->dec, "crypto", crypto, NULL);
    memset (crypto, 0, strlen (crypto));
  } else {
    GstBuffer *key = gst_buffer_new_memdup (flow->key, sizeof (flow->key));

    flow->enc = gst_element_factory_make ("srtpenc", NULL);
    flow->dec = gst_element_factory_make ("srtpdec", NULL);
    if (flow->enc == NULL || flow->dec == NULL) {
      gst_buffer_unref (key);
      return FALSE;
    }
    gst_util_set_object_arg (G_OBJECT (flow->enc), "rtp-cipher", "aes-128-icm");
    gst_util_set_object_arg (G_OBJECT (flow->enc), "rtp-auth", "hmac-sha1-80");
    gst_util_set_object_arg (G_OBJECT (flow->enc), "rtcp-cipher", "aes-128-icm");
    gst_util_set_object_arg (G_OBJECT (flow->enc), "rtcp-auth", "hmac-sha1-80");
    g_object_set (flow->enc, "key", key, NULL);
    gst_buffer_unref (key);
    g_signal_connect (flow->dec, "request-key", G_CALLBACK (stock_request_key), flow);
  }

  enc_sink = gst_element_request_pad_simple (flow->enc, "rtp_sink_0");
  if (enc_sink == NULL || !gst_element_link_pads (flow->enc, "rtp_src_0", flow->dec, "rtp_sink"))
    return FALSE;
  dec_src = gst_element_get_static_pad (flow->dec, "rtp_src");
  flow->src = gst_pad_new ("src", GST_PAD_SRC);
  flow->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (flow->sink, flow);
  gst_pad_set_chain_function (flow->sink, flow_sink_chain);
  gst_pad_set_event_function (flow->sink, flow_sink_event);
  gst_pad_set_active (flow->src, TRUE);
  gst_pad_set_active (flow->sink, TRUE);
  if (gst_pad_link (flow->src, enc_sink) != GST_PAD_LINK_OK ||
      gst_pad_link (dec_src, flow->sink) != GST_PAD_LINK_OK)
    return FALSE;
  gst_object_unref (enc_sink);
  gst_object_unref (dec_src);
  if (gst_element_set_state (flow->dec, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state (flow->enc, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    return FALSE;
  push_stream_events (flow->src);
  return TRUE;
}

static GstBuffer *
flow_make (Flow *flow, GstBufferPool *pool)
{
  GstBuffer *buf = NULL;
  GstMemory *mem;
  GstMapInfo map;

  if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) != GST_FLOW_OK)
    g_error ("buffer pool failed");
  mem = gst_buffer_peek_memory (buf, 0);
  gst_memory_resize (mem, 0, PACKET_SIZE);
  gst_memory_map (mem, &map, GST_MAP_WRITE);
  map.data[0] = 0x80;
  map.data[1] = 0; /* PT 0: PCMU */
  GST_WRITE_UINT16_BE (map.data + 2, flow->seq);
  GST_WRITE_UINT32_BE (map.data + 4, flow->ts);
  GST_WRITE_UINT32_BE (map.data + 8, flow->ssrc);
  memcpy (map.data + HEADER_SIZE, payload, sizeof (payload));
  gst_memory_unmap (mem, &map);
  flow->sent++;
  flow->sent_seq = flow->seq;
  return buf;
}

static void
flow_push (Flow *flow, GstBufferPool *pool)
{
  gst_pad_push (flow->src, flow_make (flow, pool));
  flow->seq++;
  flow->ts += 160;
}

/* batched: from flow @i of the thread on, every packet of period @k that
 * is due within the early margin, in one list. Returns the next flow. */
static guint
push_due_list (Worker *w, guint i, guint k, gint64 t0)
{
  GstBufferList *list = gst_buffer_list_new ();
  gint64 now = now_ns ();

  while (i < w->n_flows) {
    Flow *flow = &w->flows[i];
    gint64 due = t0 + (gint64) k * PERIOD_NS + flow->phase;

    if ((due - now > EARLY_NS || gst_buffer_list_length (list) >= list_max) &&
        gst_buffer_list_length (list) > 0)
      break;
    flow->due = due;
    gst_buffer_list_add (list, flow_make (flow, w->pool));
    flow->seq++;
    flow->ts += 160;
    i += w->n_threads;
  }
  gst_pad_push_list (w->src, list);
  return i;
}

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  GstStructure *config;
  gint64 deadline = now_ns () + SETUP_DEADLINE_S * G_GINT64_CONSTANT (1000000000);
  gint64 t0;

  w->pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (w->pool);
  gst_buffer_pool_config_set_params (config, NULL, 1500, 0, 0);
  gst_buffer_pool_set_config (w->pool, config);
  gst_buffer_pool_set_active (w->pool, TRUE);

  w->setup_ok = w->variant < VARIANT_SHARED || worker_setup_shared (w);
  for (guint i = w->index; i < w->n_flows && w->setup_ok; i += w->n_threads) {
    Flow *flow = &w->flows[i];
    gboolean ok = w->variant == VARIANT_SHARED ? flow_setup_shared (w, i) :
        w->variant == VARIANT_BATCHED ? flow_setup_batched (w, i) :
        flow_setup (flow, w->variant == VARIANT_OURS);

    if (!ok || now_ns () > deadline) {
      w->setup_ok = FALSE;
      break;
    }
    /* Warm-up: the first packet creates the libsrtp2 streams. */
    flow->due = now_ns ();
    if (w->variant == VARIANT_BATCHED) {
      gst_pad_push (w->src, flow_make (flow, w->pool));
      flow->seq++;
      flow->ts += 160;
    } else {
      flow_push (flow, w->pool);
    }
  }
  g_atomic_int_inc (&workers_ready);
  while (!g_atomic_int_get (&go))
    g_usleep (1000);
  t0 = start_time;
  if (!w->setup_ok)
    return NULL;

  if (throughput && w->variant == VARIANT_BATCHED) {
    /* Unpaced: every flow's packet of a period, in lists, as fast as the
     * thread goes; the thread's CPU time per packet is the figure. */
    gint64 cpu0 = thread_cpu_ns ();

    for (guint k = 0; k < w->periods; k++) {
      for (guint i = w->index; i < w->n_flows;)
        i = push_due_list (w, i, k, G_MININT64 / 2);
    }
    w->cpu_ns = thread_cpu_ns () - cpu0;
    return NULL;
  }
  for (guint k = 0; k < w->periods && w->variant == VARIANT_BATCHED; k++) {
    for (guint i = w->index; i < w->n_flows;) {
      gint64 due = t0 + (gint64) k * PERIOD_NS + w->flows[i].phase;

      if (due - now_ns () > EARLY_NS)
        sleep_until (due - EARLY_NS);
      i = push_due_list (w, i, k, t0);
    }
  }
  for (guint k = 0; k < w->periods && w->variant != VARIANT_BATCHED; k++) {
    for (guint i = w->index; i < w->n_flows; i += w->n_threads) {
      Flow *flow = &w->flows[i];
      gint64 due = t0 + (gint64) k * PERIOD_NS + flow->phase;

      if (due - now_ns () > EARLY_NS)
        sleep_until (due - EARLY_NS);
      flow->due = due;
      flow_push (flow, w->pool);
    }
  }
  return NULL;
}

static int
run_step (guint variant, guint n_streams, gdouble seconds, guint n_threads)
{
  guint n_flows = 2 * n_streams;
  Flow *flows = g_new0 (Flow, n_flows);
  Worker *workers = g_new0 (Worker, n_threads);
  GThread **threads = g_new0 (GThread *, n_threads);
  GRand *rand = g_rand_new_with_seed (n_streams);
  guint64 sent = 0, received = 0, bad = 0, late = 0;
  gint64 max_late = 0, setup_start, setup_ns, stream_ns;
  gboolean setup_ok = TRUE;
  struct rusage ru0, ru1;
  gdouble cpu;

  alarm (STEP_TIMEOUT_S);
  memset (payload, 0xff, sizeof (payload)); /* G.711 µ-law silence */
  for (guint i = 0; i < sizeof (payload); i += 5)
    payload[i] = (guint8) i;
  for (guint f = 0; f < n_flows; f++) {
    for (guint b = 0; b < sizeof (flows[f].key); b++)
      flows[f].key[b] = (guint8) g_rand_int (rand);
    flows[f].ssrc = SSRC_BASE + f;
    flows[f].seq = (guint16) g_rand_int (rand);
    flows[f].ts = g_rand_int (rand);
    flows[f].phase = (gint64) f * PERIOD_NS / n_flows;
  }
  g_rand_free (rand);

  setup_start = now_ns ();
  for (guint t = 0; t < n_threads; t++) {
    workers[t] = (Worker) { t, n_threads, flows, n_flows, variant,
      (guint) (seconds * 1000 / 20), NULL, FALSE, NULL, NULL, NULL, NULL, NULL, 0 };
    /* --throughput: at least 2 M packets, whatever the number of flows. */
    if (throughput)
      workers[t].periods = MAX (workers[t].periods, 2000000 / n_flows);
    threads[t] = g_thread_new ("flows", worker_run, &workers[t]);
  }
  while ((guint) g_atomic_int_get (&workers_ready) < n_threads)
    g_usleep (1000);
  setup_ns = now_ns () - setup_start;
  for (guint t = 0; t < n_threads; t++)
    setup_ok = setup_ok && workers[t].setup_ok;
  /* Sent and received of the warm-up packets are not part of the step. */
  for (guint f = 0; f < n_flows; f++) {
    bad += flows[f].bad;
    flows[f].sent = flows[f].received = flows[f].late = 0;
    flows[f].max_late = 0;
  }
  getrusage (RUSAGE_SELF, &ru0);
  start_time = now_ns () + 20 * G_GINT64_CONSTANT (1000000);
  g_atomic_int_set (&go, 1);
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);
  stream_ns = now_ns () - start_time;
  getrusage (RUSAGE_SELF, &ru1);
  cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
      ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
       (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6;

  for (guint f = 0; f < n_flows; f++) {
    sent += flows[f].sent;
    received += flows[f].received;
    bad += flows[f].bad;
    late += flows[f].late;
    max_late = MAX (max_late, flows[f].max_late);
  }
  printf ("result setup_ok=%d streams=%u flows=%u threads=%u sent=%" G_GUINT64_FORMAT
      " received=%" G_GUINT64_FORMAT " bad=%" G_GUINT64_FORMAT " late=%" G_GUINT64_FORMAT
      " max_late_ms=%.2f setup_s=%.2f cores_busy=%.2f rss_mb=%.0f\n", setup_ok, n_streams,
      n_flows, n_threads, sent, received, bad, late, max_late / 1e6, setup_ns / 1e9,
      stream_ns > 0 ? cpu / (stream_ns / 1e9) : 0.0, ru1.ru_maxrss / 1024.0);
  if (throughput) {
    gint64 thread_ns = 0;

    for (guint t = 0; t < n_threads; t++)
      thread_ns += workers[t].cpu_ns;
    printf ("throughput flows=%u packets=%" G_GUINT64_FORMAT " intact=%d ns_per_packet=%.0f\n",
        n_flows, sent, setup_ok && received == sent && bad == 0,
        sent > 0 ? (gdouble) thread_ns / sent : 0.0);
  }
  fflush (stdout);
  /* Tearing down tens of thousands of elements is not what is measured. */
  _exit (0);
}

typedef struct {
  gboolean ran;
  gboolean pass;
  gchar *line;
} StepResult;

static gboolean
spawn_step (const gchar *self_path, const gchar *variant, guint n, gdouble seconds,
            StepResult *res)
{
  g_autofree gchar *n_arg = g_strdup_printf ("%u", n);
  g_autofree gchar *s_arg = g_strdup_printf ("%.1f", seconds);
  g_autofree gchar *p_arg = g_strdup_printf ("%u", pads_per_encoder);
  g_autofree gchar *l_arg = g_strdup_printf ("%u", list_max);
  const gchar *argv[] = { self_path, "--run", variant, "--streams", n_arg, "--seconds",
    s_arg, "--pads-per-encoder", p_arg, "--list", l_arg, NULL };
  g_auto (GStrv) envp = g_environ_unsetenv (g_get_environ (), "SRTPSDES_CRYPTO_BACKEND");
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  guint setup_ok = 0, streams, flows, threads;
  guint64 sent = 0, received = 0, bad = 0, late = 0;
  gdouble max_late = 0, setup_s = 0, busy = 0, rss = 0;
  const gchar *line;
  gint status = 0;

  res->ran = TRUE;
  if (!g_spawn_sync (NULL, (gchar **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
          &status, &error))
    g_error ("cannot run %s: %s", self_path, error->message);
  line = out ? strstr (out, "result ") : NULL;
  if (line == NULL ||
      sscanf (line, "result setup_ok=%u streams=%u flows=%u threads=%u sent=%" G_GUINT64_FORMAT
          " received=%" G_GUINT64_FORMAT " bad=%" G_GUINT64_FORMAT " late=%" G_GUINT64_FORMAT
          " max_late_ms=%lf setup_s=%lf cores_busy=%lf rss_mb=%lf", &setup_ok, &streams, &flows,
          &threads, &sent, &received, &bad, &late, &max_late, &setup_s, &busy, &rss) != 12) {
    res->pass = FALSE;
    res->line = g_strdup_printf ("%-6s N=%-5u FAIL (%s)", variant, n,
        WIFSIGNALED (status) ? "step timed out" : "no result");
    return FALSE;
  }
  res->pass = setup_ok && sent > 0 && received == sent && bad == 0 && late == 0;
  res->line = g_strdup_printf ("%-6s N=%-5u %s  sent %" G_GUINT64_FORMAT " received %"
      G_GUINT64_FORMAT " bad %" G_GUINT64_FORMAT " late>20ms %" G_GUINT64_FORMAT
      "  max late %.2f ms  setup %.1f s  %.2f cores busy  %.0f MB%s", variant, n,
      res->pass ? "pass" : "FAIL", sent, received, bad, late, max_late, setup_s, busy, rss,
      setup_ok ? "" : "  (setup too slow)");
  return res->pass;
}

/* --throughput: one process per flow count; what a packet costs as the
 * per-flow state (key, libsrtp2 stream, OpenSSL contexts) stops fitting
 * in the caches. */
static int
throughput_sweep (const gchar *self_path, gdouble seconds)
{
  static const guint flows[] = { 2, 20, 200, 2000, 10000, 20000, 40000 };
  g_autofree gchar *s_arg = g_strdup_printf ("%.1f", seconds);
  g_autofree gchar *l_arg = g_strdup_printf ("%u", list_max);

  printf ("throughput: batched layout (one srtpsdesenc pad + one srtpsdesdec, per-SSRC keys), "
      "one thread, unpaced, %u-packet lists,\n172-byte packets round-robin over all flows; "
      "CPU time per packet = make + protect + unprotect + check\n", list_max);
  for (guint i = 0; i < G_N_ELEMENTS (flows); i++) {
    g_autofree gchar *n_arg = g_strdup_printf ("%u", MAX (1, flows[i] / 2));
    const gchar *argv[] = { self_path, "--run", "batched", "--streams", n_arg, "--seconds",
      s_arg, "--list", l_arg, "--threads", "1", "--throughput", NULL };
    g_auto (GStrv) envp = g_environ_unsetenv (g_get_environ (), "SRTPSDES_CRYPTO_BACKEND");
    g_autofree gchar *out = NULL;
    g_autoptr (GError) error = NULL;
    const gchar *line;
    guint n = 0;
    gint intact = 0;
    guint64 packets = 0;
    gdouble ns = 0;

    if (!g_spawn_sync (NULL, (gchar **) argv, envp, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
            &out, NULL, NULL, &error))
      g_error ("cannot run %s: %s", self_path, error->message);
    line = out ? strstr (out, "throughput ") : NULL;
    if (line == NULL || sscanf (line, "throughput flows=%u packets=%" G_GUINT64_FORMAT
            " intact=%d ns_per_packet=%lf", &n, &packets, &intact, &ns) != 4) {
      printf ("flows %-6u no result\n", flows[i]);
      continue;
    }
    printf ("flows %-6u %8.0f ns/packet  %6.2f M packets/s  (%" G_GUINT64_FORMAT
        " packets, %s)\n", n, ns, 1e3 / ns, packets, intact ? "all intact" : "NOT INTACT");
    fflush (stdout);
  }
  return 0;
}

static void
set_default_env (void)
{
  g_setenv ("GST_PLUGIN_PATH_1_0", SRTPSDES_PLUGIN_DIR, FALSE);
  g_setenv ("GST_REGISTRY_1_0", BENCH_REGISTRY, FALSE);
  g_unsetenv ("GST_REGISTRY_FORK");
}

static void
print_load (const gchar *when)
{
  gdouble load[3];

  if (getloadavg (load, 3) == 3)
    printf ("load average %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
}

int
main (int argc, char **argv)
{
  static const guint ladder[] = { 250, 500, 1000, 2000, 4000, 8000, 16000 };
  g_autofree gchar *run = NULL;
  g_autofree gchar *only = NULL;
  gint streams = 0, threads = 0, ppe = 1000, lmax = 32;
  gdouble seconds = 3.0, max_total = 240.0;
  GOptionEntry entries[] = {
    { "run", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &run, "internal: one step", NULL },
    { "streams", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &streams, "internal", NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "driving threads (one per core)", "T" },
    { "pads-per-encoder", 0, 0, G_OPTION_ARG_INT, &ppe, "shared: flows per srtpsdesenc (1000)", "P" },
    { "list", 0, 0, G_OPTION_ARG_INT, &lmax, "batched: packets per buffer list at most (32)", "L" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "streaming time per step (3)", "S" },
    { "max-total", 0, 0, G_OPTION_ARG_DOUBLE, &max_total, "stop searching after S seconds (240)", "S" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "search one variant: stock, ours, shared or batched", "V" },
    { "throughput", 0, 0, G_OPTION_ARG_NONE, &throughput,
      "instead: CPU time per packet (protect + unprotect) of the batched layout, unpaced, "
      "one thread, against the number of flows", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- concurrent SRTP streams in real time");
  g_autoptr (GError) error = NULL;
  const gchar *variants[] = { "stock", "ours", "shared", "batched" };
  guint best[4] = { 0, 0, 0, 0 };
  gint64 begin = g_get_monotonic_time ();

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  seconds = CLAMP (seconds, 1.0, 6.0);
  pads_per_encoder = (guint) CLAMP (ppe, 1, 100000);
  list_max = (guint) CLAMP (lmax, 1, 100000);
  set_default_env ();

  if (run != NULL) {
    gst_init (NULL, NULL);
    return run_step (g_str_equal (run, "batched") ? VARIANT_BATCHED :
        g_str_equal (run, "shared") ? VARIANT_SHARED :
        g_str_equal (run, "ours") ? VARIANT_OURS : VARIANT_STOCK, (guint) CLAMP (streams, 1, 100000), seconds,
        threads > 0 ? (guint) threads : MAX (1, g_get_num_processors ()));
  }

  gst_init (NULL, NULL); /* registry up to date before the steps */
  gst_deinit ();
  if (throughput)
    return throughput_sweep (argv[0], seconds);
  printf ("many streams: G.711 20 ms (172-byte RTP), AES_CM_128_HMAC_SHA1_80, 50 packets/s each way,\n"
      "stock/ours: one encoder + one decoder element per direction of each stream;\n"
      "shared: srtpsdesenc with a keyed request pad per flow (<= %u pads each), one srtpsdesdec "
      "per thread with add-crypto-for-ssrc;\nbatched: per thread one srtpsdesenc pad and one "
      "srtpsdesdec, add-crypto-for-ssrc on both, a buffer list per wake-up;\n%u driving threads, "
      "%.0f s per step\n", pads_per_encoder, MAX (1, g_get_num_processors ()), seconds);
  print_load ("at start");

  /* Up the ladder per variant, alternating, until each fails; then halve
   * the gap between the last pass and the first failure once or twice. */
  for (guint v = 0; v < G_N_ELEMENTS (variants); v++) {
    guint fail_at = 0;

    if (only != NULL && !g_str_equal (only, variants[v]))
      continue;
    for (guint i = 0; i < G_N_ELEMENTS (ladder); i++) {
      StepResult res = { 0 };

      if ((g_get_monotonic_time () - begin) / 1e6 > max_total)
        break;
      spawn_step (argv[0], variants[v], ladder[i], seconds, &res);
      printf ("%s\n", res.line);
      fflush (stdout);
      g_free (res.line);
      if (!res.pass) {
        fail_at = ladder[i];
        break;
      }
      best[v] = ladder[i];
    }
    for (guint b = 0; b < 2 && fail_at > 0 && fail_at - best[v] > best[v] / 8; b++) {
      guint mid = (best[v] + fail_at) / 2;
      StepResult res = { 0 };

      if ((g_get_monotonic_time () - begin) / 1e6 > max_total)
        break;
      spawn_step (argv[0], variants[v], mid, seconds, &res);
      printf ("%s\n", res.line);
      fflush (stdout);
      g_free (res.line);
      if (res.pass)
        best[v] = mid;
      else
        fail_at = mid;
    }
  }
  print_load ("at end");
  printf ("largest N passing: stock srtpenc/srtpdec %u, srtpsdesenc/srtpsdesdec per stream %u, "
      "shared (encoder pad per flow, 1 decoder per thread) %u, batched (1 encoder pad + 1 "
      "decoder per thread, lists) %u", best[0], best[1], best[2], best[3]);
  if (best[0] > 0)
    printf (" (%.1fx / %.1fx / %.1fx)", (gdouble) best[1] / best[0], (gdouble) best[2] / best[0],
        (gdouble) best[3] / best[0]);
  printf ("\ntotal %.0f s\n", (g_get_monotonic_time () - begin) / 1e6);
  return 0;
}
