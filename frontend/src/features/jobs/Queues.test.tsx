import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { QueueInfo } from '../../api/types';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { Queues } from './Queues';

const queue = (over: Partial<QueueInfo> = {}): QueueInfo => ({
  name: 'assignment',
  paused: false,
  paused_at: null,
  paused_by: null,
  depth: { scheduled: 2, running: 0, retrying: 1, dead: 3, done: 40, cancelled: 0 },
  oldest_due_age_ms: 4200,
  last_hour: Array.from({ length: 60 }, (_, k) => ({
    minute: new Date(Date.UTC(2030, 0, 1, 9, k)).toISOString(),
    done: k === 59 ? 3 : 0,
    failed: k === 58 ? 1 : 0,
  })),
  ...over,
});

describe('the queues', () => {
  it('show depth by state and the oldest due job, and pause only once confirmed', async () => {
    const paused = queue({ paused: true, paused_at: new Date().toISOString(), paused_by: 'Ada Admin', oldest_due_age_ms: null });
    let now = queue();
    const { calls } = mockApi({
      'GET /api/v1/admin/queues': () => json(200, [now]),
      'POST /api/v1/admin/queues/assignment/pause': () => json(200, (now = paused)),
    });
    const user = userEvent.setup();
    renderWithProviders(<Queues />, { as: 'admin' });
    const card = await screen.findByTestId('queue-card');
    expect(within(card).getByTestId('depth-dead')).toHaveTextContent('Dead3');
    expect(within(card).getByRole('link', { name: '3 dead: show these jobs' })).toHaveAttribute(
      'href',
      '/admin/jobs?state=dead&queue=assignment',
    );
    expect(within(card).getByTestId('queue-oldest-due')).toHaveTextContent(/waited 4\.\d s/);
    expect(within(card).getByTestId('queue-status')).toHaveTextContent('Running');
    // Its counts in words: a cancelled timer is an answered offer, a failed run a refusal.
    expect(within(card).getByTestId('queue-about')).toHaveTextContent(/An offer answered in time cancels its timer/);
    expect(within(card).getByRole('img', { name: 'In the last hour: 3 runs done, 1 failed, by minute' })).toBeInTheDocument();

    await user.click(within(card).getByRole('button', { name: 'Pause the assignment queue' }));
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Pause queue' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1));
    expect(await within(card).findByText(/Paused by Ada Admin/)).toBeInTheDocument();
    expect(within(card).getByRole('button', { name: 'Resume the assignment queue' })).toBeInTheDocument();
  });

  it('resume at once', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/queues': () => json(200, [queue({ paused: true, paused_at: '2030-01-01T09:00:00Z', paused_by: 'Ada Admin' })]),
      'POST /api/v1/admin/queues/assignment/resume': () => json(200, queue()),
    });
    const user = userEvent.setup();
    renderWithProviders(<Queues />, { as: 'admin' });
    await user.click(await screen.findByRole('button', { name: 'Resume the assignment queue' }));
    await waitFor(() =>
      expect(calls.filter((c) => c.method === 'POST').map((c) => c.url)).toEqual(['/api/v1/admin/queues/assignment/resume']),
    );
  });

  it('show a viewer whether each queue is paused, with no Pause or Resume', async () => {
    mockApi({ 'GET /api/v1/admin/queues': () => json(200, [queue(), queue({ name: 'mail', paused: true, paused_by: 'Ada Admin' })]) });
    renderWithProviders(<Queues />, { as: 'viewer' });
    const cards = await screen.findAllByTestId('queue-card');
    expect(within(cards[1]).getByTestId('queue-status')).toHaveTextContent('Paused');
    expect(within(cards[1]).getByText(/Paused by Ada Admin/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
