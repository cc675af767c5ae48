import { useLayoutEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { errorMessage } from '../../api/client';
import type { AdminUser, ResetLink } from '../../api/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { TableScroll } from '../../ui/Table';
import { formatDateTime } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useResetLink, useSetDisabled, useUsers } from './api';
import { PendingButton } from '../../ui/PendingButton';
import './UserList.css';

const ROLES = [
  { value: '', label: 'All roles' },
  { value: 'customer', label: 'Customers' },
  { value: 'provider', label: 'Providers' },
  { value: 'admin', label: 'Admins' },
  { value: 'viewer', label: 'Viewers' },
];

/**
 * Every account, newest first, filtered by role and by a piece of the name or e-mail (both
 * kept in the address): disable or enable one (a disabled account is signed out at once
 * and cannot sign in), or issue a one-time password-reset link to pass on.
 */
export function UserList({ me }: { me: number }) {
  const [params, setParams] = useSearchParams();
  const role = params.get('role') ?? '';
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const users = useUsers(role, q);
  const setDisabled = useSetDisabled();
  const resetLink = useResetLink();
  const toast = useToast();
  const [confirming, setConfirming] = useState<AdminUser | null>(null);
  const [link, setLink] = useState<{ user: AdminUser; link: ResetLink } | null>(null);
  // A new link takes focus (and is selected, ready to copy): it appears above the table, far
  // from the button that asked for it.
  const linkField = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (link) linkField.current?.focus();
  }, [link]);
  const items = users.data?.pages.flatMap((p) => p.items) ?? [];

  const filter = (next: { role?: string; q?: string }) => {
    const merged = { role, q, ...next };
    const out: Record<string, string> = {};
    if (merged.role) out.role = merged.role;
    if (merged.q.trim()) out.q = merged.q.trim();
    setParams(out, { replace: true });
  };

  const toggle = (u: AdminUser) =>
    setDisabled.mutate(
      { id: u.id, disabled: !u.disabled },
      {
        onSuccess: (after) => toast(`${after.name} ${after.disabled ? 'disabled and signed out' : 'enabled'}.`, 'success', { stay: true }),
        onSettled: () => setConfirming(null),
      },
    );

  return (
    <>
      <form
        className="card filters"
        role="search"
        aria-label="Filter accounts"
        onSubmit={(e) => {
          e.preventDefault();
          filter({ q: search });
        }}
      >
        <SelectField id="users-role" label="Role" value={role} onChange={(e) => filter({ role: e.target.value })}>
          {ROLES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </SelectField>
        <TextField
          id="users-q"
          label="Name or e-mail"
          type="search"
          value={search}
          maxLength={200}
          onChange={(e) => setSearch(e.target.value)}
        />
        <div className="actions filters__actions">
          <button type="submit" className="btn">
            Search
          </button>
        </div>
      </form>
      {setDisabled.error && <ErrorAlert>Could not change the account. {errorMessage(setDisabled.error)}</ErrorAlert>}
      {resetLink.error && <ErrorAlert>Could not make a reset link. {errorMessage(resetLink.error)}</ErrorAlert>}
      {link && (
        <div className="card" data-testid="reset-link">
          <h2>Reset link for {link.user.name}</h2>
          <p className="muted">
            Give this to {link.user.email} yourself (it is not sent). It works once, until {formatDateTime(link.link.expires_at)}; using it
            signs the account out everywhere.
          </p>
          <div className="reset-link">
            <input ref={linkField} readOnly aria-label="Reset link" value={link.link.url} onFocus={(e) => e.target.select()} />
            <button
              type="button"
              className="btn"
              onClick={() =>
                void navigator.clipboard?.writeText(link.link.url).then(
                  () => toast('Link copied.'),
                  () => toast('Select the link and copy it.', 'info'),
                )
              }
            >
              Copy
            </button>
          </div>
        </div>
      )}
      {users.isPending ? (
        <Loading label="Loading accounts…" />
      ) : !users.data ? (
        <ErrorAlert error={users.error} />
      ) : items.length === 0 ? (
        <Empty>No account matches.</Empty>
      ) : (
        <TableScroll label="All accounts, as a table">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Signed in on</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id} className={u.disabled ? 'user-row--disabled' : undefined}>
                  <td>{u.name}</td>
                  <td>{u.email}</td>
                  <td>
                    <span className={`role role--${u.role}`} data-testid="user-role">
                      {u.role}
                    </span>
                    {u.role === 'viewer' && <span className="block muted small">read-only</span>}
                  </td>
                  <td>{u.disabled ? `Disabled ${formatDateTime(u.disabled_at)}` : 'Active'}</td>
                  <td>{u.live_sessions === 1 ? '1 device' : `${u.live_sessions} devices`}</td>
                  <td>{formatDateTime(u.created_at)}</td>
                  <td>
                    <div className="actions">
                      <button
                        type="button"
                        className="btn btn--small"
                        aria-disabled={resetLink.isPending || undefined}
                        onClick={() =>
                          !resetLink.isPending &&
                          resetLink.mutate(u.id, {
                            onSuccess: (l) => setLink({ user: u, link: l }),
                          })
                        }
                      >
                        Reset link
                      </button>
                      {u.id !== me && (
                        <PendingButton
                          type="button"
                          className={`btn btn--small${u.disabled ? '' : ' btn--danger'}`}
                          onClick={() => (u.disabled ? toggle(u) : setConfirming(u))}
                          pending={setDisabled.isPending}
                        >
                          {u.disabled ? 'Enable' : 'Disable'}
                        </PendingButton>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {users.isError && users.data && <ErrorAlert>Could not refresh the accounts. {errorMessage(users.error)}</ErrorAlert>}
      {users.hasNextPage && (
        <div className="actions">
          <PendingButton type="button" className="btn" onClick={() => users.fetchNextPage()} pending={users.isFetchingNextPage}>
            {users.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </PendingButton>
        </div>
      )}
      <ConfirmDialog
        open={!!confirming}
        title={`Disable ${confirming?.name ?? ''}?`}
        confirmLabel="Disable"
        danger
        busy={setDisabled.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => confirming && toggle(confirming)}
      >
        <p>
          {confirming?.email} is signed out on every device at once and cannot sign in until enabled again. Their bookings and history stay
          as they are.
        </p>
      </ConfirmDialog>
    </>
  );
}
