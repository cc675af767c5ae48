import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { API_PREFIX } from '../api/client';
import { keys } from '../api/queryKeys';
import type { HistoryRow } from '../api/types';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

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
  // The dashboard's figures take a while on a big database: a fetch under way is let finish
  // rather than cancelled and restarted by every burst.
  void qc.invalidateQueries({ queryKey: keys.analyticsAll }, { cancelRefetch: false });
}

/** Refetches whatever a page shows: after events were missed, or the server said `reset`. */
function refetchEverything(qc: QueryClient) {
  void qc.invalidateQueries({ queryKey: keys.bookings });
  void qc.invalidateQueries({ queryKey: keys.providers });
  void qc.invalidateQueries({ queryKey: keys.admin });
  void qc.invalidateQueries({ queryKey: keys.analyticsAll });
}

/** Asks whether the session is still live (after the stream failed to reopen). */
export type SessionCheck = () => Promise<boolean>;

/**
 * One EventSource on /api/v1/events for the signed-in user (the HttpOnly session cookie
 * authenticates it). Each `booking` event invalidates the queries it affects, so open pages
 * refetch at once. The browser reconnects by itself and resumes with Last-Event-ID (from too
 * far back, the server answers `reset` and everything is refetched); if it gives up, the
 * stream is reopened and everything refetched, since events may have been missed.
 *
 * When the session ends (the server's `expired` event, or a failed reopen that
 * `sessionLive` confirms), the stream stays closed and `onSessionEnded` is called: the
 * page asks for the password again and turns the stream back on.
 *
 * This layer knows query keys, not features: `onBookingEvent` lets the app plug in what a
 * feature needs to see of each event first.
 */
export function useLiveEvents(
  enabled: boolean,
  onBookingEvent?: BookingEventHook,
  session?: { live: SessionCheck; onEnded: () => void },
): LiveState {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  // The latest hook, read when an event arrives: a new function must not reopen the stream.
  const hook = useRef(onBookingEvent);
  const sessionRef = useRef(session);
  useEffect(() => {
    hook.current = onBookingEvent;
    sessionRef.current = session;
  }, [onBookingEvent, session]);

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
          refetchEverything(qc);
        }
      });
      // The browser resumed from too far back (a page left open for long): the server does
      // not replay that much, it says so, and the stream goes on from now.
      source.addEventListener('reset', () => refetchEverything(qc));
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
      const ended = () => {
        source.close();
        missedSome = true;
        setState('signed-out');
        sessionRef.current?.onEnded();
      };
      // The session ended while the stream was open.
      source.addEventListener('expired', ended);
      source.onerror = () => {
        if (disposed) return;
        setState('reconnecting');
        if (source.readyState === EventSource.CLOSED) {
          // The browser will not retry this one: a 401 (the session ended) or a server
          // error. Ask which; try again later unless the session is gone.
          missedSome = true;
          source.close();
          const check = sessionRef.current?.live ?? (() => Promise.resolve(true));
          void check().then(
            (live) => {
              if (disposed) return;
              if (live) reopenTimer = setTimeout(open, REOPEN_MS);
              else ended();
            },
            () => {
              if (!disposed) reopenTimer = setTimeout(open, REOPEN_MS);
            },
          );
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
