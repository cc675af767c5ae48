import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { roleHome, useMe, useSignUp } from './api';

export function SignUpPage() {
  const me = useMe();
  const signUp = useSignUp();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  if (me.data) return <Navigate to={roleHome(me.data.role)} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    signUp.mutate(
      { name: name.trim(), email: email.trim(), password },
      { onSuccess: (res) => navigate(roleHome(res.user.role), { replace: true }) },
    );
  };

  const err = signUp.error;
  const fields: Record<string, string> = err instanceof ApiError ? { ...err.fields } : {};
  // A taken e-mail is about the e-mail field: say it there.
  if (err instanceof ApiError && err.code === 'duplicate_email') fields.email = err.message;
  const fieldless = err && !Object.keys(fields).length;

  return (
    <div className="auth-page">
      <section className="card auth-card" aria-labelledby="signup-title">
        <h1 id="signup-title">Create a customer account</h1>
        <form onSubmit={submit} noValidate>
          {fieldless && <ErrorAlert>{errorMessage(err)}</ErrorAlert>}
          <TextField id="signup-name" label="Your name" autoComplete="name" required value={name} error={fields.name} onChange={(e) => setName(e.target.value)} />
          <TextField
            id="signup-email"
            label="E-mail"
            type="email"
            autoComplete="email"
            required
            value={email}
            error={fields.email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            id="signup-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            hint="At least 8 characters."
            value={password}
            error={fields.password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="btn btn--primary" disabled={signUp.isPending}>
              {signUp.isPending ? 'Creating account…' : 'Create account'}
            </button>
          </div>
        </form>
        <p className="muted">
          Already have an account? <Link to="/signin">Sign in</Link>.
        </p>
      </section>
    </div>
  );
}
