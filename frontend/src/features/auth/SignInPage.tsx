import { useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import type { DemoLogin } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { DemoLogins } from './DemoLogins';
import { roleHome, useDemoLogins, useMe, useSignIn } from './api';
import './AuthPage.css';

type Errors = { email?: string; password?: string };
const FIELDS = [
  { name: 'email', label: 'E-mail' },
  { name: 'password', label: 'Password' },
];

/** What can be known without asking the API: both fields are filled in. */
export function validateSignIn(email: string, password: string): Errors {
  const errors: Errors = {};
  if (!email.trim()) errors.email = 'Enter your e-mail address.';
  if (!password) errors.password = 'Enter your password.';
  return errors;
}

export function SignInPage() {
  const me = useMe();
  const demo = useDemoLogins();
  const signIn = useSignIn();
  const navigate = useNavigate();
  const location = useLocation();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [clientErrors, setClientErrors] = useState<Errors>({});
  const emailRef = useRef<HTMLInputElement>(null);
  const from = (location.state as { from?: string } | null)?.from;
  // Signing in is all this page is for: the e-mail field takes focus (the page heading
  // would otherwise, after a redirect here).
  const signedIn = !!me.data;
  useLayoutEffect(() => {
    if (!signedIn) emailRef.current?.focus();
  }, [signedIn]);

  if (me.data) return <Navigate to={roleHome(me.data.role)} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The button stays focusable while the request runs (aria-disabled): a second submit waits.
    if (signIn.isPending) return;
    const errors = validateSignIn(email, password);
    setClientErrors(errors);
    if (Object.keys(errors).length) {
      signIn.reset();
      failed();
      return;
    }
    signIn.mutate(
      { email: email.trim(), password },
      {
        onSuccess: (res) => {
          const home = roleHome(res.user.role);
          // Go back where the user was headed, if that page belongs to their role.
          navigate(from && from.startsWith(home) ? from : home, { replace: true });
        },
        onError: (err) => {
          if (err instanceof ApiError && Object.keys(err.fields).length) failed();
        },
      },
    );
  };

  const pick = (l: DemoLogin) => {
    setEmail(l.email);
    setPassword(l.password);
    setClientErrors({});
    signIn.reset();
    emailRef.current?.focus();
  };

  const err = signIn.error;
  const rawApiFields = err instanceof ApiError ? err.fields : {};
  const apiFields = visible(rawApiFields);
  const own = visible(clientErrors);
  const errors: Errors = { email: own.email ?? apiFields.email, password: own.password ?? apiFields.password };
  const fieldMessages = summaryMessages(FIELDS, own, apiFields);
  const fieldless = err && !Object.keys(rawApiFields).length;

  return (
    <div className="auth-page">
      <section className="card auth-card" aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in</h1>
        <form {...form} onSubmit={submit} noValidate>
          {fieldMessages.length > 0 ? (
            <ErrorSummary key={attempt} messages={fieldMessages} />
          ) : (
            fieldless && <ErrorAlert>{errorMessage(err)}</ErrorAlert>
          )}
          <TextField
            id="signin-email"
            name="email"
            label="E-mail"
            type="email"
            autoComplete="username"
            required
            ref={emailRef}
            value={email}
            error={errors.email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            id="signin-password"
            name="password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            error={errors.password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="btn btn--primary" aria-disabled={signIn.isPending || undefined}>
              {signIn.isPending ? 'Signing in…' : 'Sign in'}
            </button>
          </div>
        </form>
        <details className="forgot" data-testid="forgot-password">
          <summary>Forgot your password?</summary>
          <p className="muted">
            Ask Home services' dispatch team for a reset link. It opens a page where you set a new password, and works once, within an hour.
          </p>
        </details>
        <p className="muted">
          New here? <Link to="/signup">Create a customer account</Link>.
        </p>
      </section>
      {demo.data?.enabled && demo.data.logins.length > 0 && <DemoLogins logins={demo.data.logins} onPick={pick} />}
    </div>
  );
}
