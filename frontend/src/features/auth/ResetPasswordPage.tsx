import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useResetPassword } from './api';
import { checkNewPassword, MIN_PASSWORD } from './password';
import { PendingButton } from '../../ui/PendingButton';
import './AuthPage.css';

type Errors = { new_password?: string; confirm?: string };
const FIELDS = [
  { name: 'new_password', label: 'New password' },
  { name: 'confirm', label: 'New password again' },
  { name: 'token', label: 'Reset link' },
];

/** The token of a reset link: after `#token=` (a fragment, so it never reaches a server log). */
export function resetToken(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}

/** `/reset-password#token=…`: the page a one-time reset link opens, to set a new password. */
export function ResetPasswordPage() {
  const token = resetToken(useLocation().hash);
  const reset = useResetPassword();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [clientErrors, setClientErrors] = useState<Errors>({});

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errors: Errors = checkNewPassword(next, confirm);
    setClientErrors(errors);
    if (Object.keys(errors).length) {
      reset.reset();
      failed();
      return;
    }
    reset.mutate(
      { token, new_password: next },
      {
        onError: (err) => {
          if (err instanceof ApiError && Object.keys(err.fields).length) failed();
        },
      },
    );
  };

  const err = reset.error;
  const rawApiFields = err instanceof ApiError ? err.fields : {};
  const apiFields = visible(rawApiFields);
  const own = visible(clientErrors);
  const messages = summaryMessages(FIELDS, own, apiFields);
  const fieldless = err && !Object.keys(rawApiFields).length;
  return (
    <div className="auth-page">
      <section className="card auth-card" aria-labelledby="reset-title">
        <h1 id="reset-title">Set a new password</h1>
        {!token ? (
          <ErrorAlert>
            This address has no reset token. Open the whole link you were given, or ask an administrator for a new one.
          </ErrorAlert>
        ) : reset.isSuccess ? (
          <div className="alert alert--success" role="status">
            Your new password is set, and every session of your account was signed out. <Link to="/signin">Sign in</Link> with it.
          </div>
        ) : (
          <form {...form} onSubmit={submit} noValidate>
            {messages.length > 0 ? (
              <ErrorSummary key={attempt} messages={messages} />
            ) : (
              fieldless && <ErrorAlert>{errorMessage(err)}</ErrorAlert>
            )}
            <TextField
              id="reset-new"
              name="new_password"
              label="New password"
              type="password"
              autoComplete="new-password"
              hint={`At least ${MIN_PASSWORD} characters.`}
              value={next}
              error={own.new_password ?? apiFields.new_password}
              onChange={(e) => setNext(e.target.value)}
            />
            <TextField
              id="reset-confirm"
              name="confirm"
              label="New password again"
              type="password"
              autoComplete="new-password"
              value={confirm}
              error={own.confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
            <div className="actions">
              <PendingButton type="submit" className="btn btn--primary" pending={reset.isPending}>
                {reset.isPending ? 'Saving…' : 'Set password'}
              </PendingButton>
            </div>
          </form>
        )}
      </section>
    </div>
  );
}
