/* srtpsdes — raw srtp_protect/srtp_unprotect throughput, stock vs ours
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Prints packets per second on one core for libsrtp2's stock crypto (NSS on
 * Debian) and for the srtpsdes OpenSSL backend, measured in the same run:
 * the stock sessions are created before srtpsdes_backend_install(), and a
 * libsrtp2 cipher keeps the type it was allocated with. Stock and ours run
 * in alternating chunks of 4096 packets, so load changes hit both alike.
 * Every timed packet
 * includes a memcpy of the plaintext (protect) or ciphertext (unprotect)
 * into the work buffer, the same for both.
 *
 * Usage: bench-srtp-raw [seconds-per-figure (default 0.5)]
 * A benchmark, never a test: it asserts nothing about speed.
 */
#include "srtpsdes-backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

#define MAX_PACKET (1500 + SRTP_MAX_TRAILER_LEN)
#define BATCH 4096
/* Small enough that a batch of 1212-byte packets stays in L2, as a packet
 * that just arrived from the socket would be. */
#define UNPROTECT_BATCH 256
#define SSRC 0xbe4c0001u

typedef enum {
  BENCH_SHA1_80,
  BENCH_SHA1_32,
  BENCH_GCM_128,
  N_BENCH_SUITES
} BenchSuite;

static const char *const suite_names[N_BENCH_SUITES] = {
  "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM",
};

static const gsize sizes[] = { 172, 1212 };

typedef struct {
  srtp_t tx;
  srtp_t rx;
  guint16 seq;
} Pair;

static guint8 master_key[SRTP_MAX_KEY_LEN];

static srtp_t
session_new (BenchSuite suite, srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  srtp_t session = NULL;

  memset (&policy, 0, sizeof (policy));
  switch (suite) {
    case BENCH_SHA1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
      break;
    case BENCH_SHA1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
      break;
    case BENCH_GCM_128:
      srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
      break;
    default:
      g_assert_not_reached ();
  }
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.ssrc.type = direction;
  policy.key = master_key;
  policy.window_size = 1024;
  if (srtp_create (&session, &policy) != srtp_err_status_ok)
    g_error ("srtp_create failed for %s", suite_names[suite]);
  return session;
}

static void
fill_rtp (guint8 *packet, gsize len, guint16 seq)
{
  gsize i;

  packet[0] = 0x80;
  packet[1] = 0x00;
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
  memset (packet + 4, 0x11, 4);
  packet[8] = SSRC >> 24;
  packet[9] = (SSRC >> 16) & 0xff;
  packet[10] = (SSRC >> 8) & 0xff;
  packet[11] = SSRC & 0xff;
  for (i = 12; i < len; i++)
    packet[i] = (guint8) (i * 31);
}

static void
protect_chunk (Pair *pair, const guint8 *plain, gsize size, guint count)
{
  guint8 work[MAX_PACKET];
  guint i;

  for (i = 0; i < count; i++) {
    int len = size;

    memcpy (work, plain, size);
    pair->seq++;
    work[2] = pair->seq >> 8;
    work[3] = pair->seq & 0xff;
    if (srtp_protect (pair->tx, work, &len) != srtp_err_status_ok)
      g_error ("srtp_protect failed");
  }
}

/* Protect with @stock and @ours in alternating chunks until each has run
 * about @seconds, so a change in machine load hits both alike. */
static void
bench_protect (Pair *stock_pair, Pair *ours_pair, gsize size, double seconds,
    double *stock_pps, double *ours_pps)
{
  guint8 plain[MAX_PACKET];
  gint64 spent[2] = { 0, 0 };
  guint64 packets = 0;

  fill_rtp (plain, size, 0);
  /* Warm-up: caches, branch predictors, CPU clock. */
  protect_chunk (stock_pair, plain, size, BATCH);
  protect_chunk (ours_pair, plain, size, BATCH);
  while (spent[0] < seconds * G_USEC_PER_SEC
      || spent[1] < seconds * G_USEC_PER_SEC) {
    guint which;

    for (which = 0; which < 2; which++) {
      gint64 t0 = g_get_monotonic_time ();

      protect_chunk (which == 0 ? stock_pair : ours_pair, plain, size, BATCH);
      spent[which] += g_get_monotonic_time () - t0;
    }
    packets += BATCH;
  }
  *stock_pps = packets * (double) G_USEC_PER_SEC / spent[0];
  *ours_pps = packets * (double) G_USEC_PER_SEC / spent[1];
}

/* Unprotect batches made by @gen (untimed) with @stock_rx and @ours_rx in
 * turn, until each has run about @seconds. Both get the same packets. */
static void
bench_unprotect (srtp_t gen, guint16 *gen_seq, srtp_t stock_rx, srtp_t ours_rx,
    gsize size, double seconds, double *stock_pps, double *ours_pps)
{
  guint8 *batch = g_malloc (UNPROTECT_BATCH * MAX_PACKET);
  int *lens = g_new (int, UNPROTECT_BATCH);
  gint64 spent[2] = { 0, 0 };
  guint64 packets = 0;
  guint8 work[MAX_PACKET];

  while (spent[0] < seconds * G_USEC_PER_SEC
      || spent[1] < seconds * G_USEC_PER_SEC) {
    guint i, which;

    for (i = 0; i < UNPROTECT_BATCH; i++) {
      guint8 *p = batch + (gsize) i * MAX_PACKET;

      lens[i] = size;
      fill_rtp (p, size, ++(*gen_seq));
      if (srtp_protect (gen, p, &lens[i]) != srtp_err_status_ok)
        g_error ("srtp_protect failed");
    }
    for (which = 0; which < 2; which++) {
      srtp_t rx = which == 0 ? stock_rx : ours_rx;
      gint64 t0 = g_get_monotonic_time ();

      for (i = 0; i < UNPROTECT_BATCH; i++) {
        int len = lens[i];

        memcpy (work, batch + (gsize) i * MAX_PACKET, len);
        if (srtp_unprotect (rx, work, &len) != srtp_err_status_ok)
          g_error ("srtp_unprotect failed");
      }
      spent[which] += g_get_monotonic_time () - t0;
    }
    packets += UNPROTECT_BATCH;
  }
  *stock_pps = packets * (double) G_USEC_PER_SEC / spent[0];
  *ours_pps = packets * (double) G_USEC_PER_SEC / spent[1];
  g_free (lens);
  g_free (batch);
}

static void
print_load (const char *when)
{
  g_autofree char *loadavg = NULL;

  if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
    printf ("# load average %s: %s", when, loadavg);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  double seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 0.5;
  Pair stock[N_BENCH_SUITES], ours[N_BENCH_SUITES];
  srtp_t gen[N_BENCH_SUITES];
  guint16 gen_seq[N_BENCH_SUITES] = { 0 };
  double p80_172 = 0, p80_1212 = 0;
  guint s, z, i;

  if (seconds <= 0)
    seconds = 0.5;
  for (i = 0; i < sizeof (master_key); i++)
    master_key[i] = (guint8) (i * 37 + 11);

  if (srtp_init () != srtp_err_status_ok)
    g_error ("srtp_init failed");
  for (s = 0; s < N_BENCH_SUITES; s++) {
    stock[s].tx = session_new (s, ssrc_any_outbound);
    stock[s].rx = session_new (s, ssrc_any_inbound);
    stock[s].seq = 0;
  }
  if (!srtpsdes_backend_install (&error))
    g_error ("backend not installed: %s", error->message);
  if (!srtpsdes_backend_is_active ())
    g_error ("backend not active (SRTPSDES_CRYPTO_BACKEND=stock?)");
  for (s = 0; s < N_BENCH_SUITES; s++) {
    ours[s].tx = session_new (s, ssrc_any_outbound);
    ours[s].rx = session_new (s, ssrc_any_inbound);
    ours[s].seq = 0;
    gen[s] = session_new (s, ssrc_any_outbound);
  }

  printf ("# srtpsdes raw SRTP benchmark: one thread, packets/s; stock = "
      "libsrtp2 %s own crypto, ours = srtpsdes OpenSSL backend (AES-GCM %s)\n",
      srtp_get_version_string (),
      srtpsdes_backend_gcm_is_active () ? "replaced" : "stock");
  printf ("# %.2f s per figure; sizes are RTP packets before the tag\n",
      seconds);
  print_load ("before");
  printf ("%-24s %6s %-10s %14s %14s %7s\n", "suite", "bytes", "op",
      "stock pkt/s", "ours pkt/s", "ratio");

  for (s = 0; s < N_BENCH_SUITES; s++) {
    for (z = 0; z < G_N_ELEMENTS (sizes); z++) {
      double st, ou;

      bench_protect (&stock[s], &ours[s], sizes[z], seconds, &st, &ou);
      printf ("%-24s %6zu %-10s %14.0f %14.0f %6.2fx\n", suite_names[s],
          sizes[z], "protect", st, ou, ou / st);
      if (s == BENCH_SHA1_80)
        *(z == 0 ? &p80_172 : &p80_1212) = ou;

      bench_unprotect (gen[s], &gen_seq[s], stock[s].rx, ours[s].rx,
          sizes[z], seconds, &st, &ou);
      printf ("%-24s %6zu %-10s %14.0f %14.0f %6.2fx\n", suite_names[s],
          sizes[z], "unprotect", st, ou, ou / st);
      fflush (stdout);
    }
  }
  print_load ("after");
  /* The throughput goals of docs/backend.md, reported, never asserted. */
  printf ("# goal: AES_CM_128_HMAC_SHA1_80 protect 172 B >= 2.5 M/s: %.2f M/s "
      "(%s)\n", p80_172 / 1e6, p80_172 >= 2.5e6 ? "met" : "NOT met");
  printf ("# goal: AES_CM_128_HMAC_SHA1_80 protect 1212 B >= 0.8 M/s: %.2f M/s "
      "(%s)\n", p80_1212 / 1e6, p80_1212 >= 0.8e6 ? "met" : "NOT met");

  for (s = 0; s < N_BENCH_SUITES; s++) {
    srtp_dealloc (stock[s].tx);
    srtp_dealloc (stock[s].rx);
    srtp_dealloc (ours[s].tx);
    srtp_dealloc (ours[s].rx);
    srtp_dealloc (gen[s]);
  }
  srtp_shutdown ();
  return 0;
}
