import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, errorMessage } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { AuthResponse, LoginRequest, User } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { useFormFeedback } from '../../ui/formFeedback';
import { useModal } from '../../ui/useModal';
import { clearSessionEnded, useSessionEnded } from './session';
import { PendingButton } from '../../ui/PendingButton';
import '../../ui/ConfirmDialog.css';

/**
 * When the session ends under an open page, this asks for the password in place: the
 * page stays mounted behind it, so whatever was typed into a form is still there after
 * signing in again (then send it again). Or sign out and go to the sign-in page.
 */
export function SignInAgain({ user }: { user: User }) {
  const ended = useSessionEnded();
  const ref = useModal(ended);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const { form, visible } = useFormFeedback();
  const signIn = useMutation({
    mutationFn: (c: LoginRequest) => api<AuthResponse>('/auth/login', { method: 'POST', body: c }),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!password) return;
    signIn.mutate(
      { email: user.email, password },
      {
        onSuccess: (res) => {
          setPassword('');
          signIn.reset();
          qc.setQueryData(keys.me, res.user);
          clearSessionEnded();
          // Whatever changed meanwhile: refetch what the page shows.
          void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
        },
      },
    );
  };

  const leave = () => {
    clearSessionEnded();
    qc.clear();
    qc.setQueryData(keys.me, null);
    navigate('/signin', { replace: true });
  };

  const err = signIn.error;
  const fieldErrors = err instanceof ApiError ? err.fields : {};
  const fieldError = visible(fieldErrors).password;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="signin-again-title"
      data-testid="signin-again"
      onCancel={(e) => e.preventDefault()}
    >
      <h2 id="signin-again-title">You were signed out</h2>
      <form {...form} onSubmit={submit} noValidate>
        <p className="muted">
          Your session ended (signed out elsewhere, expired, or changed by an admin). Sign in again as <strong>{user.email}</strong> to
          carry on: this page and what you typed stay as they are.
        </p>
        {err && !fieldErrors.password && <ErrorAlert>{errorMessage(err)}</ErrorAlert>}
        <TextField
          id="signin-again-password"
          name="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={fieldError}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="actions actions--end">
          <PendingButton type="button" className="btn" onClick={leave} pending={signIn.isPending}>
            Sign out
          </PendingButton>
          <PendingButton type="submit" className="btn btn--primary" pending={signIn.isPending} disabled={!password}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </PendingButton>
        </div>
      </form>
    </dialog>
  );
}
