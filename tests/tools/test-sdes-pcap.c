/* srtpsdes — sdes-pcap on a capture made here, byte for byte
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A capture is written with libpcap from packets protected here with
 * libsrtp2 (not with srtpsdes): SIP over UDP carrying an offer with two
 * a=crypto lines and an answer picking the second, SRTP both ways across
 * a sequence-number wrap, SRTCP, a re-INVITE that rekeys the caller after
 * the wrap (PEERS §2.1: the ROC carries on), a forged packet, a replayed
 * one, unrelated UDP, and a second call over IPv6 with AEAD_AES_128_GCM.
 * sdes-pcap must turn exactly the authentic SRTP/SRTCP frames into the
 * plaintext frames built here (IPv4 and IPv6 lengths and checksums
 * included) and copy every other frame unchanged.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <srtp2/srtp.h>

#include <string.h>

#define PT 0
#define PAYLOAD 160

typedef struct {
  gboolean ipv6;
  guint8 src[16], dst[16];
  guint16 sport, dport;
} Flow;

typedef struct {
  GByteArray *frame;
  GByteArray *expect; /* what sdes-pcap must write for it */
} Frame;

static GPtrArray *frames;
static gchar *tool;
static gchar *dir;

static guint16
csum_add (const guint8 *p, gsize n, guint32 sum)
{
  for (gsize i = 0; i + 1 < n; i += 2)
    sum += (guint32) ((p[i] << 8) | p[i + 1]);
  if (n & 1)
    sum += (guint32) (p[n - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) sum;
}

/* Ethernet + IPv4/IPv6 + UDP around @payload, checksums computed. */
static GByteArray *
build_frame (const Flow *f, const guint8 *payload, gsize n)
{
  GByteArray *b = g_byte_array_new ();
  guint8 eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 };
  guint8 udp[8];

  if (f->ipv6) {
    eth[12] = 0x86;
    eth[13] = 0xdd;
  }
  g_byte_array_append (b, eth, sizeof eth);
  udp[0] = f->sport >> 8;
  udp[1] = f->sport & 0xff;
  udp[2] = f->dport >> 8;
  udp[3] = f->dport & 0xff;
  udp[4] = (8 + n) >> 8;
  udp[5] = (8 + n) & 0xff;
  udp[6] = udp[7] = 0;
  if (f->ipv6) {
    guint8 ip[40] = { 0x60, 0, 0, 0, (8 + n) >> 8, (8 + n) & 0xff, 17, 64 };
    g_autofree guint8 *seg = g_malloc (8 + n);
    guint32 sum;
    guint16 c;

    memcpy (ip + 8, f->src, 16);
    memcpy (ip + 24, f->dst, 16);
    memcpy (seg, udp, 8);
    memcpy (seg + 8, payload, n);
    sum = csum_add (ip + 8, 32, 0) + 17 + 8 + (guint32) n;
    c = (guint16) ~csum_add (seg, 8 + n, sum);
    if (c == 0)
      c = 0xffff;
    udp[6] = c >> 8;
    udp[7] = c & 0xff;
    g_byte_array_append (b, ip, sizeof ip);
  } else {
    guint8 ip[20] = { 0x45, 0, (28 + n) >> 8, (28 + n) & 0xff, 0, 1, 0x40, 0, 64, 17 };
    guint16 c;

    memcpy (ip + 12, f->src, 4);
    memcpy (ip + 16, f->dst, 4);
    c = (guint16) ~csum_add (ip, 20, 0);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    g_byte_array_append (b, ip, sizeof ip);
  }
  g_byte_array_append (b, udp, sizeof udp);
  g_byte_array_append (b, payload, (guint) n);
  return b;
}

static void
add_frame (GByteArray *frame, GByteArray *expect)
{
  Frame *fr = g_new0 (Frame, 1);

  fr->frame = frame;
  fr->expect = expect ? expect : g_byte_array_append (g_byte_array_new (), frame->data, frame->len);
  g_ptr_array_add (frames, fr);
}

static void
frame_free (Frame *fr)
{
  g_byte_array_unref (fr->frame);
  g_byte_array_unref (fr->expect);
  g_free (fr);
}

static void
add_plain (const Flow *f, const gchar *text)
{
  add_frame (build_frame (f, (const guint8 *) text, strlen (text)), NULL);
}

static gsize
rtp_packet (guint8 *p, guint32 ssrc, guint16 seq, guint32 ts, guint8 fill)
{
  p[0] = 0x80;
  p[1] = PT;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[4] = ts >> 24;
  p[5] = ts >> 16;
  p[6] = ts >> 8;
  p[7] = ts;
  p[8] = ssrc >> 24;
  p[9] = ssrc >> 16;
  p[10] = ssrc >> 8;
  p[11] = ssrc;
  for (guint i = 0; i < PAYLOAD; i++)
    p[12 + i] = (guint8) (fill + i * 7);
  return 12 + PAYLOAD;
}

/* An SRTP frame whose expected output is its plaintext frame. */
static void
add_srtp (const Flow *f, srtp_t s, guint32 ssrc, guint16 seq, guint8 fill, gboolean forge)
{
  guint8 plain[256], pkt[256];
  gsize n = rtp_packet (plain, ssrc, seq, 1000u + seq * 160u, fill);
  int len = (int) n;

  memcpy (pkt, plain, n);
  g_assert_cmpint (srtp_protect (s, pkt, &len), ==, srtp_err_status_ok);
  if (forge) {
    GByteArray *fr;

    pkt[20] ^= 0x01;
    fr = build_frame (f, pkt, (gsize) len);
    add_frame (fr, NULL);
    return;
  }
  add_frame (build_frame (f, pkt, (gsize) len), build_frame (f, plain, n));
}

static void
add_srtcp (const Flow *f, srtp_t s, guint32 ssrc)
{
  guint8 plain[64] = { 0x80, 200, 0, 6 }, pkt[128];
  int len = 28;

  plain[4] = ssrc >> 24;
  plain[5] = ssrc >> 16;
  plain[6] = ssrc >> 8;
  plain[7] = ssrc;
  for (guint i = 8; i < 28; i++)
    plain[i] = (guint8) (i * 3);
  memcpy (pkt, plain, 28);
  g_assert_cmpint (srtp_protect_rtcp (s, pkt, &len), ==, srtp_err_status_ok);
  add_frame (build_frame (f, pkt, (gsize) len), build_frame (f, plain, 28));
}

static srtp_t
sender (const guint8 *key, const gchar *suite, guint32 ssrc, guint32 roc)
{
  srtp_policy_t p;
  srtp_t s = NULL;

  memset (&p, 0, sizeof p);
  if (g_str_equal (suite, "AES_CM_128_HMAC_SHA1_80")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  } else if (g_str_equal (suite, "AES_CM_128_HMAC_SHA1_32")) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p.rtcp);
  } else {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&p.rtcp);
  }
  p.ssrc.type = ssrc_specific;
  p.ssrc.value = ssrc;
  p.key = (guint8 *) key;
  p.window_size = 128;
  g_assert_cmpint (srtp_create (&s, &p), ==, srtp_err_status_ok);
  if (roc)
    g_assert_cmpint (srtp_set_stream_roc (s, ssrc, roc), ==, srtp_err_status_ok);
  return s;
}

static gchar *
crypto_line (guint tag, const gchar *suite, const guint8 *key, gsize len)
{
  g_autofree gchar *b64 = g_base64_encode (key, len);

  return g_strdup_printf ("a=crypto:%u %s inline:%s", tag, suite, b64);
}

static gchar *
sip (const gchar *first_line, const gchar *call_id, const gchar *addr_type, const gchar *addr,
     guint port, const gchar *proto, const gchar *const *cryptos)
{
  GString *sdp = g_string_new (NULL);
  gchar *msg;

  g_string_append_printf (sdp, "v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n"
      "m=audio %u %s 0\r\na=rtpmap:0 PCMU/8000\r\n", addr_type, addr, addr_type, addr, port, proto);
  for (guint i = 0; cryptos[i]; i++)
    g_string_append_printf (sdp, "%s\r\n", cryptos[i]);
  msg = g_strdup_printf ("%s\r\nVia: SIP/2.0/UDP host;branch=z9hG4bK1\r\nCall-ID: %s\r\n"
      "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: %u\r\n\r\n%s",
      first_line, call_id, (guint) sdp->len, sdp->str);
  g_string_free (sdp, TRUE);
  return msg;
}

static void
build_capture (void)
{
  Flow a2b = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 40000, 41000 };
  Flow b2a = { FALSE, { 192, 0, 2, 2 }, { 192, 0, 2, 1 }, 41000, 40000 };
  Flow a2b_rtcp = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 40001, 41001 };
  Flow sip_a = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 5060, 5060 };
  Flow sip_b = { FALSE, { 192, 0, 2, 2 }, { 192, 0, 2, 1 }, 5060, 5060 };
  Flow dns = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 53 }, 3333, 53 };
  Flow v6 = { TRUE, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
    50000, 52000 };
  Flow v6sip = { TRUE, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
    5060, 5060 };
  guint8 ka1[30], ka2[30], ka3[30], kb[30], kc[28];
  g_autofree gchar *la1 = NULL, *la2 = NULL, *la3 = NULL, *lb = NULL, *lc = NULL;
  srtp_t sa, sa3, sb, sc;
  guint16 seq;
  const guint32 ssrc_a = 0x11111111, ssrc_b = 0x22222222, ssrc_c = 0x33333333;
  GRand *rand = g_rand_new_with_seed (4568);

  for (guint i = 0; i < 30; i++) {
    ka1[i] = (guint8) g_rand_int (rand);
    ka2[i] = (guint8) g_rand_int (rand);
    ka3[i] = (guint8) g_rand_int (rand);
    kb[i] = (guint8) g_rand_int (rand);
  }
  for (guint i = 0; i < 28; i++)
    kc[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  la1 = crypto_line (1, "AES_CM_128_HMAC_SHA1_80", ka1, 30);
  la2 = crypto_line (2, "AES_CM_128_HMAC_SHA1_32", ka2, 30);
  la3 = crypto_line (2, "AES_CM_128_HMAC_SHA1_32", ka3, 30);
  lb = crypto_line (2, "AES_CM_128_HMAC_SHA1_32", kb, 30);
  lc = crypto_line (1, "AEAD_AES_128_GCM", kc, 28);

  {
    const gchar *offer[] = { la1, la2, NULL }, *answer[] = { lb, NULL };
    g_autofree gchar *invite = sip ("INVITE sip:bob@192.0.2.2 SIP/2.0", "call-1", "IP4",
        "192.0.2.1", 40000, "RTP/SAVP", offer);
    g_autofree gchar *ok = sip ("SIP/2.0 200 OK", "call-1", "IP4", "192.0.2.2", 41000,
        "RTP/SAVP", answer);

    add_plain (&dns, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00");
    add_plain (&sip_a, invite);
    add_plain (&sip_b, ok);
  }
  /* The answer picked tag 2: Alice sends with her tag-2 key. */
  sa = sender (ka2, "AES_CM_128_HMAC_SHA1_32", ssrc_a, 0);
  sb = sender (kb, "AES_CM_128_HMAC_SHA1_32", ssrc_b, 0);
  seq = 65530;
  for (guint i = 0; i < 12; i++, seq++) {
    add_srtp (&a2b, sa, ssrc_a, seq, (guint8) i, FALSE);
    add_srtp (&b2a, sb, ssrc_b, (guint16) (100 + i), (guint8) (0x80 + i), FALSE);
  }
  add_srtcp (&a2b_rtcp, sa, ssrc_a);
  /* A forged packet and a replay of the last one: both stay as they were. */
  add_srtp (&a2b, sa, ssrc_a, seq++, 0x55, TRUE);
  {
    const gchar *reoffer[] = { la3, NULL }, *answer[] = { lb, NULL };
    g_autofree gchar *reinvite = sip ("INVITE sip:bob@192.0.2.2 SIP/2.0", "call-1", "IP4",
        "192.0.2.1", 40000, "RTP/SAVP", reoffer);
    g_autofree gchar *ok = sip ("SIP/2.0 200 OK", "call-1", "IP4", "192.0.2.2", 41000,
        "RTP/SAVP", answer);

    add_plain (&sip_a, reinvite);
    add_plain (&sip_b, ok);
  }
  /* PEERS §2.1: Alice's new key, same SSRC, ROC 1 after the wrap. */
  sa3 = sender (ka3, "AES_CM_128_HMAC_SHA1_32", ssrc_a, 1);
  for (guint i = 0; i < 5; i++, seq++)
    add_srtp (&a2b, sa3, ssrc_a, seq, (guint8) (0x40 + i), FALSE);
  {
    /* Replay: the frame just added, again (the receiver must refuse it). */
    Frame *prev = g_ptr_array_index (frames, frames->len - 1);

    add_frame (g_byte_array_append (g_byte_array_new (), prev->frame->data, prev->frame->len),
        NULL);
  }

  {
    const gchar *offer[] = { lc, NULL };
    g_autofree gchar *invite = sip ("INVITE sip:carol@[2001:db8::2] SIP/2.0", "call-2", "IP6",
        "2001:db8::1", 50000, "RTP/SAVP", offer);

    add_plain (&v6sip, invite);
  }
  sc = sender (kc, "AEAD_AES_128_GCM", ssrc_c, 0);
  for (guint i = 0; i < 4; i++)
    add_srtp (&v6, sc, ssrc_c, (guint16) (7 + i), (guint8) (0x20 + i), FALSE);

  srtp_dealloc (sa);
  srtp_dealloc (sa3);
  srtp_dealloc (sb);
  srtp_dealloc (sc);
}

static void
write_capture (const gchar *path)
{
  pcap_t *dead = pcap_open_dead (DLT_EN10MB, 65535);
  pcap_dumper_t *d = pcap_dump_open (dead, path);

  g_assert_nonnull (d);
  for (guint i = 0; i < frames->len; i++) {
    Frame *fr = g_ptr_array_index (frames, i);
    struct pcap_pkthdr h = { { 1700000000 + i / 50, (i % 50) * 20000 }, fr->frame->len,
      fr->frame->len };

    pcap_dump ((u_char *) d, &h, fr->frame->data);
  }
  pcap_dump_close (d);
  pcap_close (dead);
}

static gchar *
run_tool (const gchar *in, const gchar *out, gint *status)
{
  const gchar *argv[] = { tool, "-r", in, "-w", out, "--json", NULL };
  g_autoptr (GError) error = NULL;
  gchar *stdout_text = NULL;
  g_autofree gchar *stderr_text = NULL;

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
          &stdout_text, &stderr_text, status, &error));
  g_assert_no_error (error);
  g_test_message ("sdes-pcap: %s%s", stdout_text, stderr_text);
  return stdout_text;
}

static void
test_decrypts_exactly_the_authentic_frames (void)
{
  g_autofree gchar *in = g_build_filename (dir, "in.pcap", NULL);
  g_autofree gchar *out = g_build_filename (dir, "out.pcap", NULL);
  g_autofree gchar *summary = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr *h;
  const u_char *data;
  pcap_t *p;
  gint status = -1;
  guint i = 0, changed = 0;

  write_capture (in);
  summary = run_tool (in, out, &status);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  p = pcap_open_offline (out, errbuf);
  g_assert_nonnull (p);
  g_assert_cmpint (pcap_datalink (p), ==, DLT_EN10MB);
  while (pcap_next_ex (p, &h, &data) == 1) {
    Frame *fr;

    g_assert_cmpuint (i, <, frames->len);
    fr = g_ptr_array_index (frames, i);
    if (h->caplen != fr->expect->len || memcmp (data, fr->expect->data, h->caplen) != 0)
      g_error ("frame %u: %u bytes, expected %u (%s)", i + 1, h->caplen, fr->expect->len,
          fr->expect->len == fr->frame->len && memcmp (fr->expect->data, fr->frame->data,
              fr->frame->len) == 0 ? "unchanged" : "plaintext");
    g_assert_cmpuint (h->len, ==, h->caplen);
    changed += fr->expect->len != fr->frame->len;
    i++;
  }
  pcap_close (p);
  g_assert_cmpuint (i, ==, frames->len);
  /* 12 + 12 SRTP of call 1, 1 SRTCP, 5 after the rekey, 4 GCM over IPv6. */
  g_assert_cmpuint (changed, ==, 34);
  g_assert_nonnull (strstr (summary, "\"decrypted\":34,\"left-encrypted\":2,"));
  g_assert_nonnull (strstr (summary, "\"keys\":5,"));
  /* The forged packet is an authentication failure, the replay a replay. */
  g_assert_nonnull (strstr (summary, "\"ssrc\":286331153,\"rtcp\":false,"
          "\"suite\":\"AES_CM_128_HMAC_SHA1_32\",\"tag\":2,\"decrypted\":17,"
          "\"auth-failures\":1,\"replay-drops\":1,\"no-key\":0,\"invalid\":0,\"roc\":1}"));
  g_assert_nonnull (strstr (summary, "\"suite\":\"AEAD_AES_128_GCM\",\"tag\":1,\"decrypted\":4,"));
  g_assert_null (strstr (summary, "inline:"));
}

static void
test_bad_arguments (void)
{
  g_autofree gchar *in = g_build_filename (dir, "missing.pcap", NULL);
  g_autofree gchar *out = g_build_filename (dir, "x.pcap", NULL);
  g_autofree gchar *good = g_build_filename (dir, "in2.pcap", NULL);
  const gchar *bad_key[] = { tool, "-r", good, "-w", out, "--crypto",
    "1 AES_CM_128_HMAC_SHA1_80 inline:c2VjcmV0c2VjcmV0", NULL };
  g_autofree gchar *text = NULL;
  g_autofree gchar *err = NULL;
  gint status = 0;

  /* A missing capture: an error, no output. */
  g_free (run_tool (in, out, &status));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  /* A --crypto value that does not parse: exit 2 before reading, and the
   * message names the option, never the key text. */
  write_capture (good);
  g_assert_true (g_spawn_sync (NULL, (gchar **) bad_key, NULL, G_SPAWN_DEFAULT, NULL, NULL, &text,
          &err, &status, NULL));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "--crypto 1:"));
  g_assert_null (strstr (err, "c2VjcmV0"));
  g_unlink (good);
  g_unlink (out);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tool = g_strdup (g_getenv ("SDES_PCAP"));
  g_assert_nonnull (tool);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  dir = g_dir_make_tmp ("sdes-pcap-XXXXXX", NULL);
  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) frame_free);
  build_capture ();
  g_test_add_func ("/tools/sdes-pcap/decrypts-exactly-the-authentic-frames-peers-2.1-peers-4",
      test_decrypts_exactly_the_authentic_frames);
  g_test_add_func ("/tools/sdes-pcap/bad-arguments", test_bad_arguments);
  rc = g_test_run ();
  {
    g_autofree gchar *a = g_build_filename (dir, "in.pcap", NULL);
    g_autofree gchar *b = g_build_filename (dir, "out.pcap", NULL);

    g_unlink (a);
    g_unlink (b);
    g_rmdir (dir);
  }
  g_ptr_array_unref (frames);
  g_free (dir);
  g_free (tool);
  srtp_shutdown ();
  return rc;
}
