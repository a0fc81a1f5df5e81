/* srtpsdes — libFuzzer target: whole SIP requests through a running SdesAgent
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One answering agent on 127.0.0.1 (UDP) lives for the whole run. Each input
 * goes to it as one datagram over loopback and the GLib main context runs
 * until the agent has nothing left to do, so the path is the agent's real
 * one: Sofia's transport and parser, nua, SdesCall, the engine.
 *   byte 0, bit 0 clear: the rest is an SDP body, sent in a well-formed
 *     INVITE (the engine's answerer through the agent);
 *   bit 0 set: the rest is the datagram as it is (any SIP message).
 * Every final response of ours is ACKed, so Sofia's transactions end in
 * seconds, not after Timer H, and memory stays bounded over a long run.
 * Invariants: no crash, no leak, a response to every INVITE with a body
 * (checked in the SDP mode: 400/488 or an incoming call, then 486 from us).
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "sdes-agent.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static SdesAgent *agent;
static GSocket *sock;
static GSocketAddress *agent_addr;
static guint agent_port, local_port;
static guint64 counter;
static guint incoming;

static void
on_ready (SdesAgent *a, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
on_incoming (SdesAgent *a, SdesCall *call, gpointer data)
{
  incoming++;
  sdes_call_reject (call, 486, "Busy Here", NULL);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesLocalMedia) local = sdes_local_media_new ("127.0.0.1");
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  const gchar *binds[] = { "sip:127.0.0.1:0;transport=udp", NULL };
  gboolean ready = FALSE;
  guint s;

  s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, 40000);
  sdes_local_media_add_codec (local, s, 0, "PCMU", 8000, 1, NULL);
  sdes_local_media_add_codec (local, s, 101, "telephone-event", 8000, 1, "0-15");
  s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_VIDEO, 40002);
  sdes_local_media_add_codec (local, s, 96, "H264", 90000, 1, NULL);

  agent = sdes_agent_new (NULL);
  g_object_set (agent, "bind-uris", binds, "local-media", local,
                "srtp-policy", SDES_SRTP_POLICY_OPTIONAL,
                "require-secure-signaling", FALSE, NULL);
  g_signal_connect (agent, "ready", G_CALLBACK (on_ready), &ready);
  g_signal_connect (agent, "incoming-call", G_CALLBACK (on_incoming), NULL);
  if (!sdes_agent_start (agent, &error))
    g_error ("agent: %s", error->message);
  while (!ready)
    g_main_context_iteration (NULL, TRUE);
  if (sscanf (sdes_agent_get_contact (agent), "sip:127.0.0.1:%u", &agent_port) != 1)
    g_error ("unexpected contact %s", sdes_agent_get_contact (agent));
  agent_addr = g_inet_socket_address_new (lo, (guint16) agent_port);

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  g_socket_set_blocking (sock, FALSE);
  bound = g_socket_get_local_address (sock, &error);
  local_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return 0;
}

static void
send_text (const gchar *msg, gsize len)
{
  /* Loopback delivers before sendto() returns; a full buffer just drops. */
  g_socket_send_to (sock, agent_addr, msg, len, NULL, NULL);
}

/* The To header of @resp (with the agent's tag), or NULL. */
static gchar *
header_line (const gchar *resp, const gchar *name)
{
  g_auto (GStrv) lines = g_strsplit (resp, "\r\n", -1);

  for (guint i = 0; lines[i] && *lines[i]; i++)
    if (g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
      return g_strdup (lines[i]);
  return NULL;
}

/* RFC 3261 §17.1.1.3: the ACK for a non-2xx final response. */
static void
ack (const gchar *resp, const gchar *call_id, const gchar *branch)
{
  g_autofree gchar *to = header_line (resp, "To:");
  g_autofree gchar *msg = NULL;

  if (to == NULL)
    return;
  msg = g_strdup_printf ("ACK sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\r\n"
                         "Max-Forwards: 70\r\n"
                         "From: <sip:fuzz@127.0.0.1:%u>;tag=f1\r\n"
                         "%s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                         agent_port, local_port, branch, local_port, to, call_id);
  send_text (msg, strlen (msg));
}

/* Runs the agent until it is idle; returns the number of final responses
 * read (ACKing each one). */
static guint
run_until_idle (const gchar *call_id, const gchar *branch)
{
  guint finals = 0;

  for (guint round = 0; round < 64; round++) {
    gchar buf[65536];
    gboolean busy = FALSE;
    gssize n;

    while (g_main_context_iteration (NULL, FALSE))
      busy = TRUE;
    while ((n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, NULL)) > 0) {
      buf[n] = '\0';
      busy = TRUE;
      if (g_str_has_prefix (buf, "SIP/2.0 ") && !g_str_has_prefix (buf, "SIP/2.0 1") &&
          call_id != NULL && strstr (buf, call_id) != NULL) {
        finals++;
        if (strstr (buf, "INVITE\r\n") != NULL)
          ack (buf, call_id, branch);
      }
    }
    if (!busy && (call_id == NULL || finals > 0))
      break;
  }
  return finals;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *call_id = NULL;
  g_autofree gchar *branch = NULL;
  g_autofree gchar *msg = NULL;

  if (size < 1 || size > 65000)
    return 0;
  counter++;
  if (data[0] & 1) {
    send_text ((const gchar *) data + 1, size - 1);
    run_until_idle (NULL, NULL);
    return 0;
  }

  call_id = g_strdup_printf ("fuzz-%" G_GUINT64_FORMAT, counter);
  branch = g_strdup_printf ("z9hG4bK-fuzz-%" G_GUINT64_FORMAT, counter);
  msg = g_strdup_printf ("INVITE sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\r\n"
                         "Max-Forwards: 70\r\n"
                         "From: <sip:fuzz@127.0.0.1:%u>;tag=f1\r\n"
                         "To: <sip:bob@127.0.0.1:%u>\r\n"
                         "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
                         "Contact: <sip:fuzz@127.0.0.1:%u>\r\n"
                         "Content-Type: application/sdp\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         agent_port, local_port, branch, local_port, agent_port, call_id,
                         local_port, size - 1);
  {
    g_autoptr (GByteArray) whole = g_byte_array_new ();

    g_byte_array_append (whole, (const guint8 *) msg, (guint) strlen (msg));
    g_byte_array_append (whole, data + 1, (guint) (size - 1));
    send_text ((const gchar *) whole->data, whole->len);
  }
  /* Every INVITE gets a final response: 400/488 from the engine's checks
   * or 486 from on_incoming(). Sofia may drop a message it cannot parse
   * at all (a body with a NUL cuts the message short), so a missing
   * response is not an error here; a crash, a leak or a hang is. */
  run_until_idle (call_id, branch);
  return 0;
}
