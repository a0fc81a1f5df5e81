/* srtpsdes — sdes-pcap on a capture made here, byte for byte
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A capture is written with libpcap from packets protected here with
 * libsrtp2 (not with srtpsdes): SIP over UDP carrying an offer with two
 * a=crypto lines and an answer picking the second, SRTP both ways across
 * a sequence-number wrap, SRTCP, a re-INVITE that rekeys the caller after
 * the wrap (RFC 3711 §3.3.1: the ROC carries on), a forged packet, a replayed
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
#include <sys/wait.h>

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

/* A SIP message whose expected output is the same message describing
 * plain RTP: RTP/AVP, no a=crypto (sdes-pcap rewrites the SDP). */
static void
add_sip (const Flow *f, const gchar *first_line, const gchar *call_id, const gchar *addr_type,
    const gchar *addr, guint port, const gchar *const *cryptos)
{
  const gchar *none[] = { NULL };
  g_autofree gchar *msg = sip (first_line, call_id, addr_type, addr, port, "RTP/SAVP", cryptos);
  g_autofree gchar *plain = sip (first_line, call_id, addr_type, addr, port, "RTP/AVP", none);

  add_frame (build_frame (f, (const guint8 *) msg, strlen (msg)),
      build_frame (f, (const guint8 *) plain, strlen (plain)));
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

    add_plain (&dns, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00");
    add_sip (&sip_a, "INVITE sip:bob@192.0.2.2 SIP/2.0", "call-1", "IP4", "192.0.2.1", 40000,
        offer);
    add_sip (&sip_b, "SIP/2.0 200 OK", "call-1", "IP4", "192.0.2.2", 41000, answer);
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

    add_sip (&sip_a, "INVITE sip:bob@192.0.2.2 SIP/2.0", "call-1", "IP4", "192.0.2.1", 40000,
        reoffer);
    add_sip (&sip_b, "SIP/2.0 200 OK", "call-1", "IP4", "192.0.2.2", 41000, answer);
  }
  /* RFC 3711 §3.3.1: Alice's new key, same SSRC, ROC 1 after the wrap. */
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

    add_sip (&v6sip, "INVITE sip:carol@[2001:db8::2] SIP/2.0", "call-2", "IP6", "2001:db8::1",
        50000, offer);
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

static gboolean
contains (const guint8 *data, gsize len, const gchar *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
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
  g_assert_null (strstr (stderr_text, "inline:"));
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
  /* 12 + 12 SRTP of call 1, 1 SRTCP, 5 after the rekey, 4 GCM over IPv6;
   * and the 5 SDP bodies, now RTP/AVP without a=crypto. */
  g_assert_cmpuint (changed, ==, 34 + 5);
  g_assert_nonnull (strstr (summary, "\"decrypted\":34,\"left-encrypted\":2,"));
  g_assert_nonnull (strstr (summary, "\"keys\":5,"));
  /* The forged packet is an authentication failure, the replay a replay. */
  g_assert_nonnull (strstr (summary, "\"ssrc\":286331153,\"rtcp\":false,"
          "\"suite\":\"AES_CM_128_HMAC_SHA1_32\",\"tag\":2,\"decrypted\":17,"
          "\"auth-failures\":1,\"replay-drops\":1,\"no-key\":0,\"invalid\":0,\"roc\":1}"));
  g_assert_nonnull (strstr (summary, "\"suite\":\"AEAD_AES_128_GCM\",\"tag\":1,\"decrypted\":4,"));
  g_assert_null (strstr (summary, "inline:"));
  /* Nor does the output capture hold a key: its SDP has no a=crypto. */
  {
    g_autofree gchar *bytes = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (out, &bytes, &len, NULL));
    g_assert_false (contains ((const guint8 *) bytes, len, "inline:"));
    g_assert_false (contains ((const guint8 *) bytes, len, "a=crypto"));
    g_assert_false (contains ((const guint8 *) bytes, len, "RTP/SAVP"));
    g_assert_true (contains ((const guint8 *) bytes, len, "m=audio 40000 RTP/AVP 0\r\n"));
  }
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
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_unlink (good);
  g_unlink (out);
}

/* Builds another capture than the main one: add_frame() writes into a
 * fresh list until end_capture() writes it to @path. */
static GPtrArray *
begin_capture (void)
{
  GPtrArray *main_frames = frames;

  frames = g_ptr_array_new_with_free_func ((GDestroyNotify) frame_free);
  return main_frames;
}

static void
end_capture (GPtrArray *main_frames, const gchar *path)
{
  write_capture (path);
  g_ptr_array_unref (frames);
  frames = main_frames;
}

/* Runs @argv (NULL-terminated) with @envp (NULL: ours); stdin from
 * @stdin_path when given. Returns the exit code, -1 when it was killed. */
static gint
run (const gchar *const *argv, gchar **envp, const gchar *stdin_path, gchar **out, gchar **err)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gint status = 0;

  if (stdin_path != NULL) {
    g_ptr_array_add (args, "/bin/sh");
    g_ptr_array_add (args, "-c");
    g_ptr_array_add (args, "f=$1; shift; exec \"$@\" < \"$f\"");
    g_ptr_array_add (args, "sh");
    g_ptr_array_add (args, (gpointer) stdin_path);
  }
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  g_assert_true (g_spawn_sync (NULL, (gchar **) args->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
          out, err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s: %s%s", argv[0], *out, *err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Without the plugin, sdes-pcap must say what to set and stop before it
 * creates anything (it used to abort with SIGTRAP and leave an empty
 * output). Every plugin directory GStreamer would search is empty here,
 * and the registry is a fresh file. */
static void
test_refuses_to_start_without_the_decoder (void)
{
  g_autofree gchar *in = g_build_filename (dir, "in-noplugin.pcap", NULL);
  g_autofree gchar *out = g_build_filename (dir, "never.pcap", NULL);
  g_autofree gchar *empty = g_build_filename (dir, "no-plugins", NULL);
  g_autofree gchar *registry = g_build_filename (dir, "fresh-registry.bin", NULL);
  g_autofree gchar *text = NULL, *err = NULL;
  const gchar *argv[] = { tool, "-r", in, "-w", out, NULL };
  g_auto (GStrv) envp = g_get_environ ();

  write_capture (in);
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  envp = g_environ_setenv (envp, "GST_PLUGIN_PATH", empty, TRUE);
  envp = g_environ_setenv (envp, "GST_PLUGIN_PATH_1_0", empty, TRUE);
  envp = g_environ_setenv (envp, "GST_PLUGIN_SYSTEM_PATH", empty, TRUE);
  envp = g_environ_setenv (envp, "GST_PLUGIN_SYSTEM_PATH_1_0", empty, TRUE);
  envp = g_environ_setenv (envp, "GST_REGISTRY", registry, TRUE);
  envp = g_environ_setenv (envp, "GST_REGISTRY_1_0", registry, TRUE);

  g_assert_cmpint (run (argv, envp, NULL, &text, &err), ==, 1);
  g_assert_cmpstr (text, ==, "");
  g_assert_nonnull (strstr (err, "srtpsdesdec"));
  g_assert_nonnull (strstr (err, "is not found"));
  g_assert_nonnull (strstr (err, "GST_PLUGIN_PATH="));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_unlink (registry);
  g_rmdir (empty);
  g_unlink (in);
}

/* Quotes, backslashes, a control character, invalid UTF-8 and a quoted
 * a=crypto line in the SIP that the summary shows: the JSON still parses
 * (python3's json), the strings come out exactly, the key does not. */
static void
test_json_survives_hostile_sip (void)
{
  Flow a = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 5060, 5060 };
  Flow b = { FALSE, { 192, 0, 2, 2 }, { 192, 0, 2, 1 }, 5060, 5060 };
  g_autofree gchar *in = g_build_filename (dir, "hostile.pcap", NULL);
  g_autofree gchar *out = g_build_filename (dir, "hostile-out.pcap", NULL);
  g_autofree gchar *json_path = g_build_filename (dir, "hostile.json", NULL);
  g_autofree gchar *text = NULL, *err = NULL, *fields = NULL, *perr = NULL;
  const gchar *argv[] = { tool, "-r", in, "-w", out, "--json", NULL };
  const gchar *py[] = { "python3", "-c",
    "import json, sys\n"
    "d = json.load(sys.stdin)\n"
    "print(json.dumps([[m.get(k) for k in ('method', 'uri', 'status', 'reason', 'call-id',"
    " 'warning', 'crypto-lines')] for m in d['sip']]))\n", NULL };
  const gchar *key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
  g_autofree gchar *crypto = g_strdup_printf ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s", key);
  const gchar *offer[] = { crypto, NULL };
  g_autofree gchar *invite = sip ("INVITE sip:a\"b\\c@192.0.2.2 SIP/2.0", "x\"y\\z", "IP4",
      "192.0.2.1", 40000, "RTP/SAVP", offer);
  g_autofree gchar *refusal = g_strdup_printf ("SIP/2.0 488 Not \"Acceptable\" \\ Here\x01\r\n"
      "Via: SIP/2.0/UDP host;branch=z9hG4bK1\r\nCall-ID: x\"y\\z\r\nCSeq: 1 INVITE\r\n"
      "Warning: 305 host \"no \\\"%s\\\"\"\r\nWarning: 399 host \"\xff\"\r\n"
      "Content-Length: 0\r\n\r\n", crypto);
  GPtrArray *main_frames = begin_capture ();

  add_plain (&a, invite);
  add_plain (&b, refusal);
  end_capture (main_frames, in);

  g_assert_cmpint (run (argv, NULL, NULL, &text, &err), ==, 0);
  g_assert_true (g_file_set_contents (json_path, text, -1, NULL));
  g_assert_cmpint (run (py, NULL, json_path, &fields, &perr), ==, 0);
  g_assert_cmpstr (fields, ==,
      "[[\"INVITE\", \"sip:a\\\"b\\\\c@192.0.2.2\", null, null, \"x\\\"y\\\\z\", null, 1], "
      "[null, null, 488, \"Not \\\"Acceptable\\\" \\\\ Here?\", \"x\\\"y\\\\z\", "
      "\"305 host \\\"no \\\\\\\"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>\\\\\\\"\\\", "
      "399 host \\\"\\ufffd\\\"\", 0]]\n");
  g_assert_null (strstr (text, key));
  g_assert_null (strstr (err, key));
  g_free (text);
  g_free (err);
  /* The text summary shows the same strings, as safe. */
  argv[5] = NULL;
  g_assert_cmpint (run (argv, NULL, NULL, &text, &err), ==, 0);
  g_assert_nonnull (strstr (text, "488 Not \"Acceptable\" \\ Here?"));
  g_assert_null (strstr (text, key));
  g_assert_null (strchr (text, '\x01'));
  g_unlink (in);
  g_unlink (out);
  g_unlink (json_path);
}

/* SRTP without its SIP (signalled over TLS): keys from a file and from
 * standard input decrypt it, the key never on the command line. */
static void
test_keys_from_file_and_stdin (void)
{
  Flow a2b = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 40000, 41000 };
  g_autofree gchar *in = g_build_filename (dir, "tls-media.pcap", NULL);
  g_autofree gchar *out = g_build_filename (dir, "tls-media-out.pcap", NULL);
  g_autofree gchar *keys = g_build_filename (dir, "keys.txt", NULL);
  g_autofree gchar *bad = g_build_filename (dir, "bad-keys.txt", NULL);
  g_autofree gchar *at_keys = g_strconcat ("@", keys, NULL);
  g_autofree gchar *at_bad = g_strconcat ("@", bad, NULL);
  guint8 key[30];
  g_autofree gchar *b64 = NULL, *file = NULL, *bad_file = NULL;
  const gchar *from_file[] = { tool, "-r", in, "-w", out, "--json", "--crypto", at_keys, NULL };
  const gchar *from_stdin[] = { tool, "-r", in, "-w", out, "--json", "-k", "-", NULL };
  const gchar *from_bad[] = { tool, "-r", in, "-w", out, "--crypto", at_bad, NULL };
  GPtrArray *main_frames = begin_capture ();
  srtp_t s;

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i * 11 + 5);
  b64 = g_base64_encode (key, sizeof key);
  s = sender (key, "AES_CM_128_HMAC_SHA1_80", 0x44444444, 0);
  for (guint i = 0; i < 10; i++)
    add_srtp (&a2b, s, 0x44444444, (guint16) (1000 + i), (guint8) i, FALSE);
  srtp_dealloc (s);
  end_capture (main_frames, in);
  /* A comment, a blank line, the SDP form with CRLF, a second key. */
  file = g_strdup_printf ("# call 7\n\na=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
      "  1 AES_CM_128_HMAC_SHA1_32 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm\n", b64);
  g_assert_true (g_file_set_contents (keys, file, -1, NULL));
  bad_file = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s\n2 AES_CM_128_HMAC_SHA1_80 "
      "inline:%.20s\n", b64, b64);
  g_assert_true (g_file_set_contents (bad, bad_file, -1, NULL));

  for (guint round = 0; round < 2; round++) {
    g_autofree gchar *text = NULL, *err = NULL;

    g_assert_cmpint (run (round == 0 ? from_file : from_stdin, NULL, round == 0 ? NULL : keys,
            &text, &err), ==, 0);
    g_assert_nonnull (strstr (text, "\"keys\":2,\"media-packets\":10,\"decrypted\":10,"
            "\"left-encrypted\":0,"));
    g_assert_nonnull (strstr (text, "\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"tag\":3,"
            "\"decrypted\":10,"));
    g_assert_null (strstr (text, b64));
    g_assert_null (strstr (err, b64));
  }
  {
    g_autofree gchar *text = NULL, *err = NULL;

    /* Value 2 of the file is short: exit 2, named by position, no key,
     * and no output written. */
    g_unlink (out);
    g_assert_cmpint (run (from_bad, NULL, NULL, &text, &err), ==, 2);
    g_assert_nonnull (strstr (err, "--crypto 1, value 2: "));
    g_assert_null (strstr (err, b64));
    g_assert_null (strstr (err, "inline:"));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  }
  {
    g_autofree gchar *text = NULL, *err = NULL;
    g_autofree gchar *missing = g_strconcat ("@", dir, "/no-such-file", NULL);
    const gchar *argv[] = { tool, "-r", in, "-w", out, "--crypto", missing, NULL };

    g_assert_cmpint (run (argv, NULL, NULL, &text, &err), ==, 2);
    g_assert_nonnull (strstr (err, "--crypto 1: "));
    g_assert_nonnull (strstr (err, "no-such-file: No such file or directory"));
  }
  g_unlink (in);
  g_unlink (out);
  g_unlink (keys);
  g_unlink (bad);
}

/* The output of one call opens in tshark as RTP, not SRTP: the SDP says
 * RTP/AVP, every media frame has an RTP payload (none an SRTP encrypted
 * payload), and tshark's RTP analysis lists both streams, G.711 u-law,
 * every packet and none lost. */
static void
test_output_is_rtp_for_tshark (void)
{
  Flow sip_a = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 5060, 5060 };
  Flow sip_b = { FALSE, { 192, 0, 2, 2 }, { 192, 0, 2, 1 }, 5060, 5060 };
  Flow a2b = { FALSE, { 192, 0, 2, 1 }, { 192, 0, 2, 2 }, 40000, 41000 };
  Flow b2a = { FALSE, { 192, 0, 2, 2 }, { 192, 0, 2, 1 }, 41000, 40000 };
  g_autofree gchar *tshark = g_find_program_in_path ("tshark");
  g_autofree gchar *in = g_build_filename (dir, "call.pcap", NULL);
  g_autofree gchar *out = g_build_filename (dir, "call-out.pcap", NULL);
  g_autofree gchar *text = NULL, *err = NULL, *streams = NULL, *serr = NULL;
  g_autofree gchar *srtp = NULL, *srtp_err = NULL, *rtp = NULL, *rtp_err = NULL;
  g_autofree gchar *la = NULL, *lb = NULL;
  const gchar *argv[] = { tool, "-r", in, "-w", out, "--json", NULL };
  const gchar *stats[] = { tshark, "-r", out, "-q", "-z", "rtp,streams", NULL };
  /* With RTP/SAVP in the SDP, tshark shows the payload as SRTP's
   * encrypted payload (and Wireshark's player has nothing to play). */
  const gchar *count_srtp[] = { tshark, "-r", out, "-Y", "srtp.enc_payload", NULL };
  const gchar *count_rtp[] = { tshark, "-r", out, "-Y", "rtp.payload", NULL };
  guint8 ka[30], kb[30];
  GPtrArray *main_frames;
  g_auto (GStrv) lines = NULL;
  guint listed = 0;
  srtp_t sa, sb;

  if (tshark == NULL) {
    g_test_skip ("tshark is not installed");
    return;
  }
  for (guint i = 0; i < 30; i++) {
    ka[i] = (guint8) (i * 7 + 1);
    kb[i] = (guint8) (i * 13 + 2);
  }
  la = crypto_line (1, "AES_CM_128_HMAC_SHA1_80", ka, 30);
  lb = crypto_line (1, "AES_CM_128_HMAC_SHA1_80", kb, 30);
  main_frames = begin_capture ();
  {
    const gchar *offer[] = { la, NULL }, *answer[] = { lb, NULL };

    add_sip (&sip_a, "INVITE sip:bob@192.0.2.2 SIP/2.0", "call-t", "IP4", "192.0.2.1", 40000,
        offer);
    add_sip (&sip_b, "SIP/2.0 200 OK", "call-t", "IP4", "192.0.2.2", 41000, answer);
  }
  sa = sender (ka, "AES_CM_128_HMAC_SHA1_80", 0x55555555, 0);
  sb = sender (kb, "AES_CM_128_HMAC_SHA1_80", 0x66666666, 0);
  for (guint i = 0; i < 50; i++) {
    add_srtp (&a2b, sa, 0x55555555, (guint16) (200 + i), (guint8) i, FALSE);
    add_srtp (&b2a, sb, 0x66666666, (guint16) (900 + i), (guint8) (0x80 + i), FALSE);
  }
  srtp_dealloc (sa);
  srtp_dealloc (sb);
  end_capture (main_frames, in);

  g_assert_cmpint (run (argv, NULL, NULL, &text, &err), ==, 0);
  g_assert_nonnull (strstr (text, "\"decrypted\":100,\"left-encrypted\":0,\"sdp-rewritten\":2,"));
  g_assert_cmpint (run (count_srtp, NULL, NULL, &srtp, &srtp_err), ==, 0);
  g_assert_cmpstr (srtp, ==, "");
  g_assert_cmpint (run (count_rtp, NULL, NULL, &rtp, &rtp_err), ==, 0);
  g_assert_cmpuint (g_strv_length (lines = g_strsplit (g_strchomp (rtp), "\n", -1)), ==, 100);
  g_clear_pointer (&lines, g_strfreev);
  g_assert_cmpint (run (stats, NULL, NULL, &streams, &serr), ==, 0);
  /* "Start time  End time  Src IP addr  Port  Dest IP addr  Port  SSRC
   *  Payload  Pkts  Lost ..." */
  lines = g_strsplit (streams, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    g_auto (GStrv) f = NULL;
    g_autoptr (GPtrArray) cols = g_ptr_array_new ();

    if (strstr (lines[i], "0x55555555") == NULL && strstr (lines[i], "0x66666666") == NULL)
      continue;
    f = g_strsplit_set (lines[i], " \t", -1);
    for (guint j = 0; f[j]; j++)
      if (f[j][0] != '\0')
        g_ptr_array_add (cols, f[j]);
    g_assert_cmpuint (cols->len, >=, 11);
    g_assert_cmpstr (g_ptr_array_index (cols, 7), ==, "g711U");
    g_assert_cmpstr (g_ptr_array_index (cols, 8), ==, "50");
    g_assert_cmpstr (g_ptr_array_index (cols, 9), ==, "0");
    g_assert_cmpstr (g_ptr_array_index (cols, 10), ==, "(0.0%)");
    listed++;
  }
  g_assert_cmpuint (listed, ==, 2);
  g_unlink (in);
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
  g_test_add_func ("/tools/sdes-pcap/decrypts-exactly-the-authentic-frames",
      test_decrypts_exactly_the_authentic_frames);
  g_test_add_func ("/tools/sdes-pcap/bad-arguments", test_bad_arguments);
  g_test_add_func ("/tools/sdes-pcap/refuses-to-start-without-the-decoder",
      test_refuses_to_start_without_the_decoder);
  g_test_add_func ("/tools/sdes-pcap/json-survives-hostile-sip", test_json_survives_hostile_sip);
  g_test_add_func ("/tools/sdes-pcap/keys-from-file-and-stdin", test_keys_from_file_and_stdin);
  g_test_add_func ("/tools/sdes-pcap/output-is-rtp-for-tshark", test_output_is_rtp_for_tshark);
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
