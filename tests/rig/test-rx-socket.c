/* srtpsdes — sdes-rig's batched reads with kernel arrival times
 * (tools/rig/rig-rx-socket.c), on real UDP sockets over 127.0.0.1.
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-rx-socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#define N_DATAGRAMS 4
#define GAP_US 30000
#define SLACK_US 2000             /* realtime-to-monotonic conversion, generous */

static gint
udp_socket (struct sockaddr_in *bound)
{
  gint fd = socket (AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof (*bound);

  g_assert_cmpint (fd, >=, 0);
  memset (bound, 0, sizeof (*bound));
  bound->sin_family = AF_INET;
  bound->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) bound, sizeof (*bound)), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) bound, &len), ==, 0);
  return fd;
}

/* Sends N_DATAGRAMS GAP_US apart; before[i]/after[i] bracket each send
 * (CLOCK_MONOTONIC µs). */
static void
send_spaced (gint tx, const struct sockaddr_in *to, gint64 *before, gint64 *after)
{
  for (guint i = 0; i < N_DATAGRAMS; i++) {
    guint8 payload[20];

    if (i > 0)
      g_usleep (GAP_US);
    memset (payload, (gint) i, sizeof (payload));
    before[i] = g_get_monotonic_time ();
    g_assert_cmpint (sendto (tx, payload, sizeof (payload), 0, (const struct sockaddr *) to,
                             sizeof (*to)), ==, sizeof (payload));
    after[i] = g_get_monotonic_time ();
  }
}

/* Datagrams that waited in the socket are read in one batch, yet each
 * carries the time it arrived: within its send call, GAP_US apart, and
 * well before the read. */
static void
test_kernel_arrival_times (void)
{
  struct sockaddr_in rx_addr, tx_addr;
  gint rx_fd = udp_socket (&rx_addr);
  gint tx_fd = udp_socket (&tx_addr);
  RigRxSocket *rx = g_new0 (RigRxSocket, 1);
  gint64 before[N_DATAGRAMS], after[N_DATAGRAMS], read_time = 0;
  guint n;

  g_assert_true (rig_rx_socket_init (rx, rx_fd));
  g_assert_true (rx->kernel_stamps);
  g_assert_cmpuint (rig_rx_socket_read (rx, FALSE, &read_time), ==, 0);

  send_spaced (tx_fd, &rx_addr, before, after);
  g_usleep (GAP_US);
  n = rig_rx_socket_read (rx, TRUE, &read_time);
  g_assert_cmpuint (n, ==, N_DATAGRAMS);
  g_assert_cmpuint (rx->unstamped, ==, 0);
  g_assert_cmpint (read_time, >=, after[N_DATAGRAMS - 1] + GAP_US);
  for (guint i = 0; i < n; i++) {
    const struct sockaddr_in *from = (const struct sockaddr_in *) &rx->from[i];

    g_assert_cmpuint (rx->len[i], ==, 20);
    g_assert_cmpuint (rx->data[i][0], ==, i);
    g_assert_cmpuint (rx->msg[i].msg_hdr.msg_namelen, ==, sizeof (struct sockaddr_in));
    g_assert_cmpuint (ntohs (from->sin_port), ==, ntohs (tx_addr.sin_port));
    g_assert_cmpint (rx->arrival[i], >, 0);
    g_assert_cmpint (rx->arrival[i], >=, before[i] - SLACK_US);
    g_assert_cmpint (rx->arrival[i], <=, after[i] + SLACK_US);
    g_assert_cmpint (rx->arrival[i], <, read_time - GAP_US / 2);
    if (i > 0)
      g_assert_cmpint (rx->arrival[i] - rx->arrival[i - 1], >=, GAP_US - SLACK_US);
  }
  g_assert_cmpuint (rig_rx_socket_read (rx, FALSE, &read_time), ==, 0);
  close (rx_fd);
  close (tx_fd);
  g_free (rx);
}

/* Without the option (rx->kernel_stamps FALSE, as when setsockopt refuses
 * it), every datagram of a read gets the read time. */
static void
test_read_time_without_stamps (void)
{
  struct sockaddr_in rx_addr, tx_addr;
  gint rx_fd = udp_socket (&rx_addr);
  gint tx_fd = udp_socket (&tx_addr);
  RigRxSocket *rx = g_new0 (RigRxSocket, 1);
  gint64 before[N_DATAGRAMS], after[N_DATAGRAMS], read_time = 0;
  guint n;

  rig_rx_socket_init (rx, rx_fd);
  rx->kernel_stamps = FALSE;
  send_spaced (tx_fd, &rx_addr, before, after);
  n = rig_rx_socket_read (rx, FALSE, &read_time);
  g_assert_cmpuint (n, ==, N_DATAGRAMS);
  g_assert_cmpuint (rx->unstamped, ==, 0);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (rx->arrival[i], ==, read_time);
  close (rx_fd);
  close (tx_fd);
  g_free (rx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rig/rx-socket/kernel-arrival-times-survive-a-late-read",
                   test_kernel_arrival_times);
  g_test_add_func ("/rig/rx-socket/read-time-without-kernel-stamps",
                   test_read_time_without_stamps);
  return g_test_run ();
}
