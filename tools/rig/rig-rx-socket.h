/* srtpsdes — sdes-rig media: batched reads with the kernel's arrival times
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A worker reads its UDP socket once per 20 ms tick, so the time of the
 * read says when the rig got round to it, not when the datagram arrived.
 * With SO_TIMESTAMPNS (socket(7)) the kernel stamps each datagram as it
 * is queued on the socket and recvmmsg(2) returns the stamp as an
 * SCM_TIMESTAMPNS control message: that is the arrival time the lateness
 * of the network and the peer is measured with. GLib's
 * g_socket_receive_messages() drops control messages it does not know,
 * hence recvmmsg on the socket's descriptor. Self-contained (GLib and libc
 * only) so that tests/rig/test-rx-socket.c builds it alone.
 */

#pragma once

#include <glib.h>
#include <sys/socket.h>
#include <time.h>

G_BEGIN_DECLS

#define RIG_RX_SLOTS 64           /* datagrams per read */
#define RIG_RX_MAX_PACKET 1500

typedef struct {
  gint fd;
  gboolean kernel_stamps;         /* SO_TIMESTAMPNS is on */
  guint64 unstamped;              /* datagrams read without a kernel stamp */

  guint8 data[RIG_RX_SLOTS][RIG_RX_MAX_PACKET];
  gsize len[RIG_RX_SLOTS];
  /* CLOCK_MONOTONIC µs (g_get_monotonic_time()): the kernel's stamp, or
   * the read time when there is none */
  gint64 arrival[RIG_RX_SLOTS];
  struct sockaddr_storage from[RIG_RX_SLOTS];

  struct iovec iov[RIG_RX_SLOTS];
  struct mmsghdr msg[RIG_RX_SLOTS];
  union {
    struct cmsghdr align;
    guint8 buf[CMSG_SPACE (sizeof (struct timespec)) + CMSG_SPACE (sizeof (gint))];
  } control[RIG_RX_SLOTS];
} RigRxSocket;

/* Asks for kernel receive stamps on @fd (a datagram socket). Returns
 * rx->kernel_stamps; without them (the option refused), says so once on
 * stderr and arrival times are read times. */
gboolean rig_rx_socket_init (RigRxSocket *rx, gint fd);

/* Reads up to RIG_RX_SLOTS datagrams without blocking (one recvmmsg).
 * Fills data/len/arrival (and from when @want_from) of slots 0..n-1 and
 * *@read_time (CLOCK_MONOTONIC µs, after the read). Returns n, 0 when
 * nothing is queued or on an error. */
guint rig_rx_socket_read (RigRxSocket *rx, gboolean want_from, gint64 *read_time);

G_END_DECLS
