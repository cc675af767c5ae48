import { act, render, screen } from '@testing-library/react';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import { keys } from '../api/queryKeys';
import type { HistoryRow } from '../api/types';
import { testQueryClient } from '../test/render';
import { LiveIndicator } from './LiveIndicator';
import { useLiveEvents } from './useLiveEvents';

class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(public url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, data: string) {
    this.readyState = FakeEventSource.OPEN;
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data }));
  }
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.onerror?.();
  }
  close() {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }
}

function Live({ on }: { on: boolean }) {
  return <LiveIndicator state={useLiveEvents(on)} />;
}

describe('the live event stream', () => {
  it('opens one stream, invalidates the lists and the booking an event is about, and shows reconnecting', async () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    const client = testQueryClient();
    const invalidate = vi.spyOn(client, 'invalidateQueries');
    const ui = (on: boolean) => (
      <QueryClientProvider client={client}>
        <Live on={on} />
      </QueryClientProvider>
    );
    const { rerender } = render(ui(true));
    expect(FakeEventSource.instances).toHaveLength(1);
    const es = FakeEventSource.instances[0];
    expect(es.url).toBe('/api/v1/events');

    act(() => es.emit('ready', '0'));
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Live');

    act(() => es.emit('booking', JSON.stringify({ id: 5, booking_id: 12, old_status: 'pending', new_status: 'assigned', provider_id: 1 })));
    await act(async () => vi.advanceTimersByTime(100));
    const invalidated = invalidate.mock.calls.map((c) => JSON.stringify(c[0]?.queryKey));
    expect(invalidated).toContain(JSON.stringify(keys.bookingLists));
    expect(invalidated).toContain(JSON.stringify(keys.booking(12)));
    expect(invalidated).toContain(JSON.stringify(keys.admin));

    // Resumed from too far back, the server says `reset`: everything shown is refetched,
    // the dashboard's figures too.
    invalidate.mockClear();
    act(() => es.emit('reset', '2000'));
    const refetched = invalidate.mock.calls.map((c) => JSON.stringify(c[0]?.queryKey));
    for (const key of [keys.bookings, keys.providers, keys.admin, keys.analyticsAll]) expect(refetched).toContain(JSON.stringify(key));

    // A dropped connection: the browser reconnects by itself; we only say so.
    act(() => es.fail(false));
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Reconnecting…');
    expect(FakeEventSource.instances).toHaveLength(1);
    act(() => es.emit('ready', '5'));
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Live');

    // The browser gave up (and the session is live): we open a new stream later.
    await act(async () => es.fail(true));
    await act(async () => vi.advanceTimersByTime(3500));
    expect(FakeEventSource.instances).toHaveLength(2);

    // Signing out closes it.
    rerender(ui(false));
    expect(FakeEventSource.instances[1].closed).toBe(true);
  });

  it('stays closed and says signed out when the session ends, by the server saying so or by a failed reopen', async () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    const client = testQueryClient();
    let live = true;
    const onEnded = vi.fn();
    const session = { live: () => Promise.resolve(live), onEnded };
    function Watched() {
      return <LiveIndicator state={useLiveEvents(true, undefined, session)} />;
    }
    const { unmount } = render(
      <QueryClientProvider client={client}>
        <Watched />
      </QueryClientProvider>,
    );
    const es = FakeEventSource.instances[0];
    act(() => es.emit('ready', '0'));
    act(() => es.emit('expired', 'sign in again'));
    expect(onEnded).toHaveBeenCalledTimes(1);
    expect(es.closed).toBe(true);
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Signed out');
    await act(async () => vi.advanceTimersByTime(10_000));
    expect(FakeEventSource.instances).toHaveLength(1);
    unmount();

    // A stream the browser gave up on, and the session is gone: no reopening either.
    FakeEventSource.instances = [];
    render(
      <QueryClientProvider client={client}>
        <Watched />
      </QueryClientProvider>,
    );
    live = false;
    await act(async () => FakeEventSource.instances[0].fail(true));
    await act(async () => vi.advanceTimersByTime(10_000));
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(onEnded).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Signed out');
  });

  it('lets the app see each booking event before any query is invalidated', async () => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    const client = testQueryClient();
    const order: string[] = [];
    vi.spyOn(client, 'invalidateQueries').mockImplementation(async () => {
      order.push('invalidate');
    });
    const seen = vi.fn((_qc: QueryClient, row: HistoryRow) => order.push(`hook ${row.booking_id}`));
    function WithHook() {
      return <LiveIndicator state={useLiveEvents(true, seen)} />;
    }
    render(
      <QueryClientProvider client={client}>
        <WithHook />
      </QueryClientProvider>,
    );
    const es = FakeEventSource.instances[0];
    act(() => es.emit('ready', '0'));
    act(() =>
      es.emit('booking', JSON.stringify({ id: 6, booking_id: 12, old_status: 'assigned', new_status: 'rejected', provider_id: 1 })),
    );
    expect(seen).toHaveBeenCalledWith(client, expect.objectContaining({ booking_id: 12, new_status: 'rejected' }));
    await act(async () => vi.advanceTimersByTime(100));
    expect(order[0]).toBe('hook 12');
    expect(order.slice(1)).toContain('invalidate');
  });
});
