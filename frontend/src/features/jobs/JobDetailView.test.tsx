import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { jobDetail } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { JobDetailView } from './JobDetailView';

const run = (attempt: number, error: string | null, outcome: 'failed' | 'done' | 'running' = 'failed') => ({
  round: 1,
  attempt,
  started_at: '2030-01-01T09:00:00Z',
  finished_at: outcome === 'running' ? null : '2030-01-01T09:00:01Z',
  duration_ms: outcome === 'running' ? null : 850,
  worker: 'worker-1',
  outcome,
  error,
});

describe('a job page', () => {
  it('shows its runs, its payload, and only the actions that apply to a dead job', async () => {
    mockApi({
      'GET /api/v1/admin/jobs/5': () =>
        json(200, jobDetail({ attempts: [run(1, 'rejected by Chen'), run(2, 'no eligible provider for cleaning at 10:00')] })),
    });
    renderWithProviders(<JobDetailView id={5} />, { route: '/admin/jobs/5', as: 'admin' });
    const runs = await screen.findAllByTestId('job-run');
    expect(runs).toHaveLength(2);
    expect(runs[1]).toHaveTextContent('no eligible provider for cleaning');
    expect(runs[0]).toHaveTextContent('850 ms');
    expect(screen.getByTestId('job-payload')).toHaveTextContent('"booking_id": 7');
    expect(screen.getByRole('link', { name: 'Booking #7' })).toHaveAttribute('href', '/admin/bookings/7');
    const actions = within(screen.getByRole('group', { name: 'Act on this job' }));
    expect(actions.getAllByRole('button').map((b) => b.textContent)).toEqual(['Retry']);
  });

  it('counts down to the next run of a waiting job, then says it is due', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const runAt = new Date(Date.now() + 3_000).toISOString();
    mockApi({
      'GET /api/v1/admin/jobs/5': () => json(200, jobDetail({ state: 'retrying', attempt: 2, run_at: runAt, finished_at: null })),
    });
    renderWithProviders(<JobDetailView id={5} />, { route: '/admin/jobs/5', as: 'admin' });
    expect(await screen.findByTestId('job-countdown')).toHaveTextContent(/\(in [1-3] s\)/);
    await act(() => vi.advanceTimersByTimeAsync(4_000));
    expect(screen.getByTestId('job-countdown')).toHaveTextContent('(due now)');
    const actions = within(screen.getByRole('group', { name: 'Act on this job' }));
    expect(actions.getAllByRole('button').map((b) => b.textContent)).toEqual(['Cancel', 'Run now']);
  });

  it('runs a waiting job now and reports it', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/jobs/5': () => json(200, jobDetail({ state: 'scheduled', attempt: 1, finished_at: null })),
      'POST /api/v1/admin/jobs/run-now': () => json(200, { changed: 1, skipped: [], skipped_count: 0 }),
    });
    const user = userEvent.setup();
    renderWithProviders(<JobDetailView id={5} />, { route: '/admin/jobs/5', as: 'admin' });
    await user.click(await screen.findByRole('button', { name: 'Run now' }));
    expect(await screen.findByTestId('action-report')).toHaveTextContent('Made job #5 due now');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ ids: [5] });
  });

  it('shows a viewer a dead job without its actions', async () => {
    mockApi({ 'GET /api/v1/admin/jobs/5': () => json(200, jobDetail({ attempts: [run(1, 'rejected by Chen')] })) });
    renderWithProviders(<JobDetailView id={5} />, { route: '/admin/jobs/5', as: 'viewer' });
    expect(await screen.findAllByTestId('job-run')).toHaveLength(1);
    expect(screen.getByTestId('job-detail')).toHaveAttribute('data-state', 'dead');
    expect(screen.queryByRole('group', { name: 'Act on this job' })).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
