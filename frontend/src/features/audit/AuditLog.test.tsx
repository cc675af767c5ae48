import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../api/types';
import { chooseWhileRefused } from '../../test/forms';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { AuditLog } from './AuditLog';

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  id: 3,
  actor_id: 1,
  actor_name: 'Ada Admin',
  actor_role: 'admin',
  action: 'retry_jobs',
  subject: 'jobs matching state=dead, q=timeout',
  count: 12,
  detail: '2 skipped',
  at: '2030-01-01T09:00:00Z',
  ...over,
});

function Page() {
  return (
    <>
      <AuditLog />
      <output data-testid="address">{useLocation().search || null}</output>
    </>
  );
}

describe('the audit log', () => {
  it('lists who did what to what, and filters by action in the address', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/audit': ({ url }) =>
        json(200, {
          items: url.includes('action=pause_queue')
            ? [entry({ id: 4, action: 'pause_queue', subject: 'queue assignment', count: 1, detail: null })]
            : [entry()],
          next_cursor: null,
        }),
    });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin/audit?actor=1' });
    const row = await screen.findByTestId('audit-row');
    expect(row).toHaveTextContent('Retried jobs');
    expect(row).toHaveTextContent('jobs matching state=dead, q=timeout');
    expect(screen.getByLabelText('Account number')).toHaveValue('1');
    expect(calls[0].url).toContain('actor=1');

    await user.selectOptions(screen.getByLabelText('Action'), 'pause_queue');
    expect(screen.getByTestId('address')).toHaveTextContent('?action=pause_queue&actor=1');
    await waitFor(() => expect(screen.getByTestId('audit-row')).toHaveTextContent('Paused a queue'));
  });

  it('keeps the action it filters by while the account number is wrong, however often another is chosen', async () => {
    mockApi({ 'GET /api/v1/admin/audit': () => json(200, { items: [entry()], next_cursor: null }) });
    const user = userEvent.setup();
    renderWithProviders(<Page />, { route: '/admin/audit' });
    await screen.findByTestId('audit-row');
    await chooseWhileRefused(user, {
      field: 'Account number',
      bad: 'x',
      error: 'Enter an account number, such as 1.',
      select: 'Action',
      choices: ['pause_queue', 'retry_jobs'],
      stays: '',
    });
    expect(screen.getByTestId('address')).toBeEmptyDOMElement();
  });
});
