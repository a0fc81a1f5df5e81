/* srtpsdes — sdes-rig media: batched reads with the kernel's arrival times
 * (see rig-rx-socket.h)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-rx-socket.h"

#include <errno.h>
#include <string.h>

gboolean
rig_rx_socket_init (RigRxSocket *rx, gint fd)
{
  static gint warned;
  gint on = 1;

  memset (rx, 0, sizeof (*rx));
  rx->fd = fd;
  rx->kernel_stamps = setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof (on)) == 0;
  if (!rx->kernel_stamps && g_atomic_int_compare_and_exchange (&warned, 0, 1))
    g_printerr ("sdes-rig: no kernel receive timestamps (SO_TIMESTAMPNS: %s): "
                "\"late\" is measured at read time, like \"late_read\"\n", g_strerror (errno));
  return rx->kernel_stamps;
}

/* The SCM_TIMESTAMPNS stamp of @msg in ns of CLOCK_REALTIME, 0 without. */
static gint64
message_stamp (struct msghdr *msg)
{
  if (msg->msg_flags & MSG_CTRUNC)
    return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c != NULL; c = CMSG_NXTHDR (msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
        c->cmsg_len >= CMSG_LEN (sizeof (struct timespec))) {
      struct timespec ts;

      memcpy (&ts, CMSG_DATA (c), sizeof (ts));
      return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
    }
  }
  return 0;
}

guint
rig_rx_socket_read (RigRxSocket *rx, gboolean want_from, gint64 *read_time)
{
  struct timespec real;
  gint64 real_ns;
  gint n;

  for (guint i = 0; i < RIG_RX_SLOTS; i++) {
    rx->iov[i] = (struct iovec) { rx->data[i], RIG_RX_MAX_PACKET };
    rx->msg[i].msg_hdr = (struct msghdr) {
      .msg_name = want_from ? &rx->from[i] : NULL,
      .msg_namelen = want_from ? sizeof (rx->from[i]) : 0,
      .msg_iov = &rx->iov[i],
      .msg_iovlen = 1,
      .msg_control = rx->kernel_stamps ? rx->control[i].buf : NULL,
      .msg_controllen = rx->kernel_stamps ? sizeof (rx->control[i].buf) : 0,
    };
    rx->msg[i].msg_len = 0;
  }
  do
    n = recvmmsg (rx->fd, rx->msg, RIG_RX_SLOTS, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;

  /* The stamps are CLOCK_REALTIME; everything else in the rig is
   * CLOCK_MONOTONIC. A stamp becomes "read time minus its age", the age
   * taken against the realtime clock read at the same moment: the
   * arrival times of a stream stay on one clock even if the realtime
   * clock is stepped (only the batch read across the step is off). */
  clock_gettime (CLOCK_REALTIME, &real);
  *read_time = g_get_monotonic_time ();
  real_ns = (gint64) real.tv_sec * G_GINT64_CONSTANT (1000000000) + real.tv_nsec;
  for (gint i = 0; i < n; i++) {
    gint64 stamp = rx->kernel_stamps ? message_stamp (&rx->msg[i].msg_hdr) : 0;

    rx->len[i] = rx->msg[i].msg_len;
    if (stamp == 0) {
      rx->unstamped += rx->kernel_stamps;
      rx->arrival[i] = *read_time;
    } else {
      rx->arrival[i] = *read_time - MAX (real_ns - stamp, 0) / 1000;
    }
  }
  return (guint) n;
}
