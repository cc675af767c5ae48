import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useToast } from '../../ui/Toast';
import { useChangePassword, useMe, useSignOutEverywhere } from './api';
import { checkNewPassword, MIN_PASSWORD } from './password';
import { PendingButton } from '../../ui/PendingButton';

type Errors = { current_password?: string; new_password?: string; confirm?: string };
const FIELDS = [
  { name: 'current_password', label: 'Current password' },
  { name: 'new_password', label: 'New password' },
  { name: 'confirm', label: 'New password again' },
];

/** What can be known without asking the API. */
export function validatePasswordChange(current: string, next: string, confirm: string): Errors {
  const errors: Errors = {};
  if (!current) errors.current_password = 'Enter your current password.';
  return { ...errors, ...checkNewPassword(next, confirm) };
}

/** Your account, whatever your role: who you are, a new password, signing out everywhere. */
export function AccountPage() {
  const me = useMe();
  const user = me.data;
  return (
    <section aria-labelledby="account-title">
      <div className="page-head">
        <h1 id="account-title">Your account</h1>
        {user && (
          <span className="muted">
            {user.name} · {user.email} · {user.role}
          </span>
        )}
      </div>
      <ChangePasswordCard />
      <SignOutEverywhereCard />
    </section>
  );
}

function ChangePasswordCard() {
  const change = useChangePassword();
  const toast = useToast();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [clientErrors, setClientErrors] = useState<Errors>({});

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errors = validatePasswordChange(current, next, confirm);
    setClientErrors(errors);
    if (Object.keys(errors).length) {
      change.reset();
      failed();
      return;
    }
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent('');
          setNext('');
          setConfirm('');
          toast('Password changed. Your other sessions were signed out.');
        },
        onError: (err) => {
          if (err instanceof ApiError && Object.keys(err.fields).length) failed();
        },
      },
    );
  };

  const err = change.error;
  const rawApiFields = err instanceof ApiError ? err.fields : {};
  const apiFields = visible(rawApiFields);
  const own = visible(clientErrors);
  const errors: Errors = {
    current_password: own.current_password ?? apiFields.current_password,
    new_password: own.new_password ?? apiFields.new_password,
    confirm: own.confirm,
  };
  const messages = summaryMessages(FIELDS, own, apiFields);
  const fieldless = err && !Object.keys(rawApiFields).length;
  return (
    <div className="card">
      <h2>Change your password</h2>
      <form {...form} onSubmit={submit} noValidate>
        {messages.length > 0 ? (
          <ErrorSummary key={attempt} messages={messages} />
        ) : (
          fieldless && <ErrorAlert>{errorMessage(err)}</ErrorAlert>
        )}
        <TextField
          id="account-current"
          name="current_password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          error={errors.current_password}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <TextField
          id="account-new"
          name="new_password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD} characters.`}
          value={next}
          error={errors.new_password}
          onChange={(e) => setNext(e.target.value)}
        />
        <TextField
          id="account-confirm"
          name="confirm"
          label="New password again"
          type="password"
          autoComplete="new-password"
          value={confirm}
          error={errors.confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
        <p className="muted">Every other device signed in as you is signed out; this one stays signed in.</p>
        <div className="actions">
          <PendingButton type="submit" className="btn btn--primary" pending={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </PendingButton>
        </div>
      </form>
    </div>
  );
}

function SignOutEverywhereCard() {
  const everywhere = useSignOutEverywhere();
  const navigate = useNavigate();
  const [asking, setAsking] = useState(false);
  return (
    <div className="card">
      <h2>Sign out everywhere</h2>
      <p className="muted">
        Signed in on a shared computer, or lost a phone? This ends every session of your account, on every device, this one too.
      </p>
      {everywhere.error && <ErrorAlert error={everywhere.error} />}
      <div className="actions">
        <button type="button" className="btn btn--danger" onClick={() => setAsking(true)}>
          Sign out everywhere
        </button>
      </div>
      <ConfirmDialog
        open={asking}
        title="Sign out everywhere?"
        confirmLabel="Sign out everywhere"
        danger
        busy={everywhere.isPending}
        onCancel={() => setAsking(false)}
        onConfirm={() =>
          everywhere.mutate(undefined, {
            onSuccess: () => navigate('/signin', { replace: true }),
            onSettled: () => setAsking(false),
          })
        }
      >
        <p>Every device signed in as you, this one included, will have to sign in again.</p>
      </ConfirmDialog>
    </div>
  );
}
