/* srtpsdes — what the element benchmarks push before their first packet
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

/* stream-start, caps (@caps_text) and a TIME segment on a source pad of
 * the benchmark's own. gst_event_new_caps() does not take the caps: they
 * are dropped here after use. */
static inline void
bench_push_stream_events (GstPad *src, const gchar *stream_id, const gchar *caps_text)
{
  GstCaps *caps = gst_caps_from_string (caps_text);
  GstSegment segment;

  gst_pad_push_event (src, gst_event_new_stream_start (stream_id));
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));
}
