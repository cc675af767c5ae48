import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { PausedQueues } from './PausedQueues';

const queue = (name: string, paused: boolean) => ({
  name,
  paused,
  paused_at: paused ? '2030-01-02T16:21:00Z' : null,
  paused_by: paused ? 'Ada Admin' : null,
  depth: {},
  oldest_due_age_ms: null,
  last_hour: [],
});

describe('the paused queues notice', () => {
  it('names each paused queue, who paused it and that its jobs wait', async () => {
    mockApi({ 'GET /api/v1/admin/queues': () => json(200, [queue('assignment', true), queue('mail', false)]) });
    renderWithProviders(<PausedQueues />, { route: '/admin/jobs', as: 'admin' });
    const notice = await screen.findByTestId('paused-queues');
    expect(notice).toHaveTextContent(
      /The assignment queue is paused by Ada Admin since .*: its jobs, retried or run now too, wait until it is resumed/,
    );
    expect(notice).not.toHaveTextContent('mail');
    expect(screen.getByRole('link', { name: 'Open the queue page' })).toHaveAttribute('href', '/admin/queue');
  });

  it("on a job's page, speaks only of the job's own queue", async () => {
    mockApi({ 'GET /api/v1/admin/queues': () => json(200, [queue('assignment', false), queue('mail', true)]) });
    renderWithProviders(
      <>
        <PausedQueues only="assignment" />
        <PausedQueues only="mail" />
      </>,
      { route: '/admin/jobs/5', as: 'admin' },
    );
    const notices = await screen.findAllByTestId('paused-queues');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toHaveTextContent('The mail queue is paused');
  });
});
