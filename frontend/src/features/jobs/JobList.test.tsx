import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { ActionReport, JobPage } from '../../api/types';
import { job } from '../../test/fixtures';
import { chooseWhileRefused } from '../../test/forms';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { JobList, useJobFilters } from './JobList';

function Page() {
  const [filters, setFilters] = useJobFilters();
  return (
    <>
      <JobList filters={filters} onFiltersChange={setFilters} />
      <output data-testid="address">{useLocation().search || null}</output>
    </>
  );
}

const queues = () =>
  json(200, [{ name: 'assignment', paused: false, paused_at: null, paused_by: null, depth: { dead: 2 }, oldest_due_age_ms: null }]);

const page = (over: Partial<JobPage> = {}): JobPage => ({
  items: [job({ id: 5 }), job({ id: 6, booking_id: 8, state: 'retrying', attempt: 2, finished_at: null })],
  next_cursor: null,
  total: 2,
  ...over,
});

const report = (over: Partial<ActionReport> = {}): ActionReport => ({ changed: 1, skipped: [], skipped_count: 0, ...over });

describe('the job table', () => {
  it('asks for dead jobs by default, and says how many match', async () => {
    const { calls } = mockApi({ 'GET /api/v1/admin/jobs': () => json(200, page()), 'GET /api/v1/admin/queues': queues });
    renderWithProviders(<Page />, { route: '/admin/jobs', as: 'admin' });
    expect(await screen.findByTestId('job-total')).toHaveTextContent('2 jobs match');
    const list = calls.find((c) => c.url.startsWith('/api/v1/admin/jobs?'));
    expect(new URL(list!.url, 'http://x').searchParams.get('state')).toBe('dead');
    const rows = screen.getAllByTestId('job-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('find a provider');
    expect(rows[0]).toHaveTextContent('4 of 4');
    expect(within(rows[0]).getByRole('link', { name: 'Booking #7' })).toHaveAttribute('href', '/admin/bookings/7');
    // The booking in plain words: service, customer, day and time in its zone, status.
    expect(within(rows[0]).getByTestId('job-booking')).toHaveTextContent(/cleaning for Casey, Wed, Jan 2, 2030, 10:00 AM UTC · pending/);
    expect(within(rows[0]).getByRole('link', { name: 'Open job 5' })).toHaveAttribute('href', '/admin/jobs/5');
    // Only a dead job has its own Retry.
    expect(within(rows[0]).getByRole('button', { name: 'Retry job #5' })).toBeInTheDocument();
    expect(within(rows[1]).queryByRole('button', { name: /Retry job/ })).toBeNull();
  });

  it('retries a dead job from its row and names it in a report that stays until dismissed', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/jobs': () => json(200, page()),
      'GET /api/v1/admin/queues': queues,
      'POST /api/v1/admin/jobs/retry': () => json(200, report()),
    });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin/jobs', as: 'admin' });
    await user.click(await screen.findByRole('button', { name: 'Retry job #5' }));
    const notice = await screen.findByTestId('action-report');
    expect(notice).toHaveTextContent('Retried job #5');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ ids: [5] });
    await user.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('action-report')).toBeNull();
  });

  it('acts on the ticked rows, enabling only the actions that apply to them', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/jobs': () => json(200, page()),
      'GET /api/v1/admin/queues': queues,
      'POST /api/v1/admin/jobs/run-now': () => json(200, report()),
    });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin/jobs', as: 'admin' });
    const act = within(await screen.findByRole('group', { name: 'Act on the selected jobs' }));
    expect(act.getByRole('button', { name: 'Run now' })).toBeDisabled();
    await user.click(screen.getByRole('checkbox', { name: 'Select job #6' }));
    expect(act.getByRole('button', { name: 'Retry' })).toBeDisabled();
    await user.click(act.getByRole('button', { name: 'Run now' }));
    expect(await screen.findByTestId('action-report')).toHaveTextContent('Made job #6 due now');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ ids: [6] });
  });

  it('keeps the filters in the address, and asks before acting on every matching job', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/jobs': () => json(200, page({ total: 1502, next_cursor: '6' })),
      'GET /api/v1/admin/queues': queues,
      'POST /api/v1/admin/jobs/retry': () =>
        json(
          200,
          report({
            changed: 1500,
            skipped: [{ id: 9, reason: 'booking 3 is cancelled; it no longer awaits assignment' }],
            skipped_count: 2,
          }),
        ),
    });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin/jobs?q=timeout', as: 'admin' });
    // The address's filters are in the form and in the request.
    expect(await screen.findByLabelText('Error text')).toHaveValue('timeout');
    await waitFor(() => expect(calls.some((c) => c.url.includes('q=timeout'))).toBe(true));

    await user.clear(screen.getByLabelText('Error text'));
    await user.type(screen.getByLabelText('Error text'), 'no eligible');
    await user.selectOptions(screen.getByLabelText('Order'), 'run_at');
    expect(screen.getByTestId('address')).toHaveTextContent('?q=no+eligible&sort=run_at');

    await user.click(await screen.findByRole('button', { name: /Select all 1,?502 matching/ }));
    expect(screen.getByTestId('job-selected')).toHaveTextContent(/all 1,?502 jobs selected/);
    await user.click(within(screen.getByRole('group', { name: 'Act on the selected jobs' })).getByRole('button', { name: 'Retry' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('state dead, error text “no eligible”');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: /Retry 1,?502 jobs/ }));

    const notice = await screen.findByTestId('action-report');
    expect(notice).toHaveTextContent(/Retried 1,?500 jobs/);
    expect(notice).toHaveTextContent('#9: booking 3 is cancelled');
    expect(notice).toHaveTextContent('and 1 more skipped');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ filter: { state: 'dead', q: 'no eligible' } });
  });

  it('keeps the filters it shows while the booking number is wrong, however often another is chosen', async () => {
    mockApi({ 'GET /api/v1/admin/jobs': () => json(200, page()), 'GET /api/v1/admin/queues': queues });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin/jobs', as: 'admin' });
    await screen.findAllByTestId('job-row');
    await chooseWhileRefused(user, {
      field: 'Booking',
      bad: 'x',
      error: 'Enter a booking number, such as 57.',
      select: 'State',
      choices: ['retrying', 'scheduled'],
      stays: 'dead', // dead jobs are asked for by default
    });
    expect(screen.getByTestId('address')).toBeEmptyDOMElement();
  });

  it('shows a viewer the jobs and how many match, with no way to select or act on them', async () => {
    mockApi({ 'GET /api/v1/admin/jobs': () => json(200, page({ total: 1502, next_cursor: '6' })), 'GET /api/v1/admin/queues': queues });
    renderWithProviders(<Page />, { route: '/admin/jobs', as: 'viewer' });
    expect(await screen.findByTestId('job-total')).toHaveTextContent(/1,?502 jobs match/);
    expect(screen.getAllByTestId('job-row')).toHaveLength(2);
    // The filters and the links to each job are there; nothing that acts is, not even disabled.
    expect(screen.getByLabelText('State')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open job 5' })).toBeInTheDocument();
    expect(screen.queryAllByRole('checkbox')).toHaveLength(0);
    expect(screen.queryByRole('group', { name: 'Act on the selected jobs' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Retry|Cancel|Run now|Select all/ })).toBeNull();
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).not.toContain('Actions');
  });
});
