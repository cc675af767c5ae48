import { useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import type { DemoLogin } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { DemoLogins } from './DemoLogins';
import { roleHome, useDemoLogins, useMe, useSignIn } from './api';

export function SignInPage() {
  const me = useMe();
  const demo = useDemoLogins();
  const signIn = useSignIn();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const emailRef = useRef<HTMLInputElement>(null);
  const from = (location.state as { from?: string } | null)?.from;

  if (me.data) return <Navigate to={roleHome(me.data.role)} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate(
      { email: email.trim(), password },
      {
        onSuccess: (res) => {
          const home = roleHome(res.user.role);
          // Go back where the user was headed, if that page belongs to their role.
          navigate(from && from.startsWith(home) ? from : home, { replace: true });
        },
      },
    );
  };

  const pick = (l: DemoLogin) => {
    setEmail(l.email);
    setPassword(l.password);
    signIn.reset();
    emailRef.current?.focus();
  };

  const err = signIn.error;
  const fields = err instanceof ApiError ? err.fields : {};

  return (
    <div className="auth-page">
      <section className="card auth-card" aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in</h1>
        <form onSubmit={submit} noValidate>
          {err && !Object.keys(fields).length && <ErrorAlert>{errorMessage(err)}</ErrorAlert>}
          <TextField
            id="signin-email"
            label="E-mail"
            type="email"
            autoComplete="username"
            required
            ref={emailRef}
            value={email}
            error={fields.email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            id="signin-password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            error={fields.password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="btn btn--primary" disabled={signIn.isPending}>
              {signIn.isPending ? 'Signing in…' : 'Sign in'}
            </button>
          </div>
        </form>
        <p className="muted">
          New here? <Link to="/signup">Create a customer account</Link>.
        </p>
      </section>
      {demo.data?.enabled && demo.data.logins.length > 0 && <DemoLogins logins={demo.data.logins} onPick={pick} />}
    </div>
  );
}
