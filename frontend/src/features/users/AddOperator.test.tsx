import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AdminUser } from '../../api/types';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { AddOperator } from './AddOperator';
import { UserList } from './UserList';

const account = (over: Partial<AdminUser>): AdminUser => ({
  id: 1,
  email: 'admin@example.com',
  name: 'Ada Admin',
  role: 'admin',
  provider_id: null,
  created_at: '2030-01-01T09:00:00Z',
  disabled: false,
  disabled_at: null,
  live_sessions: 1,
  ...over,
});

function UsersPage() {
  return (
    <>
      <AddOperator />
      <UserList me={1} />
    </>
  );
}

describe('adding an operator', () => {
  it('checks the form first, says a taken e-mail at its field, and adds a viewer the list then shows', async () => {
    const accounts = [account({})];
    let posts = 0;
    const { calls } = mockApi({
      'GET /api/v1/admin/users': () => json(200, { items: [...accounts].reverse(), next_cursor: null }),
      'POST /api/v1/admin/users': (init) => {
        const body = JSON.parse(String(init.body));
        if (++posts === 1) {
          return json(409, { error: { code: 'duplicate_email', message: 'an account with this e-mail already exists', details: {} } });
        }
        const created = account({ id: 9, name: body.name, email: body.email, role: body.role, live_sessions: 0 });
        accounts.push(created);
        return json(201, created);
      },
    });
    const user = userEvent.setup();
    renderWithProviders(<UsersPage />, { route: '/admin/users', as: 'admin' });
    await screen.findByRole('cell', { name: 'Ada Admin' });
    const form = within(screen.getByRole('form', { name: 'Add an operator' }));

    // Nothing filled in: said in the browser, nothing sent.
    await user.click(screen.getByRole('button', { name: 'Add operator' }));
    expect(form.getByLabelText('Name')).toHaveFocus();
    expect(form.getByLabelText('Password')).toHaveAccessibleDescription('Choose a password of at least 8 characters.');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);

    await user.type(form.getByLabelText('Name'), 'Vera Viewer');
    await user.type(form.getByLabelText('E-mail'), 'admin@example.com');
    await user.type(form.getByLabelText('Password'), 'viewer-pass-1');
    expect(form.getByLabelText('Role')).toHaveValue('viewer');
    await user.click(screen.getByRole('button', { name: 'Add operator' }));
    await waitFor(() => expect(form.getByLabelText('E-mail')).toHaveAccessibleDescription('An account with this e-mail already exists.'));
    expect(form.getByLabelText('E-mail')).toHaveFocus();

    await user.clear(form.getByLabelText('E-mail'));
    expect(form.getByLabelText('E-mail')).not.toHaveAttribute('aria-invalid');
    await user.type(form.getByLabelText('E-mail'), 'vera@example.com');
    await user.click(screen.getByRole('button', { name: 'Add operator' }));
    const notice = await screen.findByTestId('operator-created');
    expect(notice).toHaveTextContent('Added Vera Viewer (vera@example.com) as a viewer.');
    expect(calls.filter((c) => c.method === 'POST')[1].body).toEqual({
      name: 'Vera Viewer',
      email: 'vera@example.com',
      password: 'viewer-pass-1',
      role: 'viewer',
    });
    // The list asks again and shows the new account with its role; the form is empty for the next.
    const row = (await screen.findByRole('cell', { name: 'Vera Viewer' })).closest('tr')!;
    expect(within(row).getByTestId('user-role')).toHaveTextContent('viewer');
    expect(row).toHaveTextContent('read-only');
    expect(form.getByLabelText('Name')).toHaveValue('');
    // The confirmation stays until dismissed.
    await user.click(within(notice).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('operator-created')).toBeNull();
  });

  it('makes an admin when asked for one', async () => {
    const { calls } = mockApi({
      'GET /api/v1/admin/users': () => json(200, { items: [], next_cursor: null }),
      'POST /api/v1/admin/users': (init) => json(201, account({ id: 10, ...JSON.parse(String(init.body)) })),
    });
    const user = userEvent.setup();
    renderWithProviders(<AddOperator />, { as: 'admin' });
    await user.type(screen.getByLabelText('Name'), 'Otto Ops');
    await user.type(screen.getByLabelText('E-mail'), 'otto@example.com');
    await user.type(screen.getByLabelText('Password'), 'otto-pass-12');
    await user.selectOptions(screen.getByLabelText('Role'), 'admin');
    await user.click(screen.getByRole('button', { name: 'Add operator' }));
    expect(await screen.findByTestId('operator-created')).toHaveTextContent('as an admin');
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ role: 'admin' });
  });
});
