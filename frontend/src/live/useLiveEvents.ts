import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { API_PREFIX } from '../api/client';
import { keys } from '../api/queryKeys';
import type { HistoryRow } from '../api/types';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/**
 * Called for each `booking` event as it arrives, before any query is invalidated: the place
 * for a feature to record what the event means for queries that must not be refetched.
 */
export type BookingEventHook = (qc: QueryClient, row: HistoryRow) => void;

/** How long to gather events before invalidating, so a burst (a bulk retry) refetches once. */
const BATCH_MS = 40;
/** When the browser gives up on the stream (an HTTP error rather than a dropped connection). */
const REOPEN_MS = 3000;

function invalidateFor(qc: QueryClient, bookingIds: Set<number>) {
  void qc.invalidateQueries({ queryKey: keys.bookingLists });
  for (const id of bookingIds) void qc.invalidateQueries({ queryKey: keys.booking(id) });
  void qc.invalidateQueries({ queryKey: keys.providers });
  void qc.invalidateQueries({ queryKey: keys.admin });
}

/**
 * One EventSource on /api/v1/events for the signed-in user (the HttpOnly session cookie
 * authenticates it). Each `booking` event invalidates the queries it affects, so open pages
 * refetch at once. The browser reconnects by itself and resumes with Last-Event-ID; if it
 * gives up, the stream is reopened and everything refetched, since events may have been missed.
 *
 * This layer knows query keys, not features: `onBookingEvent` lets the app plug in what a
 * feature needs to see of each event first.
 */
export function useLiveEvents(enabled: boolean, onBookingEvent?: BookingEventHook): LiveState {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  // The latest hook, read when an event arrives: a new function must not reopen the stream.
  const hook = useRef(onBookingEvent);
  useEffect(() => {
    hook.current = onBookingEvent;
  }, [onBookingEvent]);

  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    let es: EventSource | null = null;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    let batchTimer: ReturnType<typeof setTimeout> | undefined;
    let pending = new Set<number>();
    let missedSome = false;
    let disposed = false;

    const flush = () => {
      batchTimer = undefined;
      const ids = pending;
      pending = new Set();
      invalidateFor(qc, ids);
    };

    const open = () => {
      setState((s) => (s === 'live' ? 'reconnecting' : s));
      const source = new EventSource(`${API_PREFIX}/events`);
      es = source;
      source.addEventListener('ready', () => {
        setState('live');
        if (missedSome) {
          // A fresh stream has no Last-Event-ID: refetch whatever we show.
          missedSome = false;
          void qc.invalidateQueries({ queryKey: keys.bookings });
          void qc.invalidateQueries({ queryKey: keys.providers });
          void qc.invalidateQueries({ queryKey: keys.admin });
        }
      });
      source.addEventListener('booking', (e) => {
        let row: HistoryRow;
        try {
          row = JSON.parse((e as MessageEvent<string>).data) as HistoryRow;
        } catch {
          return;
        }
        hook.current?.(qc, row);
        pending.add(row.booking_id);
        if (!batchTimer) batchTimer = setTimeout(flush, BATCH_MS);
      });
      source.onerror = () => {
        if (disposed) return;
        setState('reconnecting');
        if (source.readyState === EventSource.CLOSED) {
          // The browser will not retry this one (e.g. the session expired): check who we
          // are, which sends the user to sign in if the session is gone, and try again later.
          missedSome = true;
          source.close();
          void qc.invalidateQueries({ queryKey: keys.me });
          reopenTimer = setTimeout(open, REOPEN_MS);
        }
      };
    };

    open();
    return () => {
      disposed = true;
      clearTimeout(reopenTimer);
      clearTimeout(batchTimer);
      es?.close();
      // The next stream, if any, starts from scratch.
      setState('connecting');
    };
  }, [enabled, qc]);

  return state;
}
