import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { roleHome, useMe, useSignUp } from './api';
import { MIN_PASSWORD } from './password';
import { PendingButton } from '../../ui/PendingButton';
import './AuthPage.css';

type Errors = { name?: string; email?: string; password?: string };
const FIELDS = [
  { name: 'name', label: 'Your name' },
  { name: 'email', label: 'E-mail' },
  { name: 'password', label: 'Password' },
];

/** What can be known without asking the API; it checks again (the e-mail's form, whether it is taken). */
export function validateSignUp(v: { name: string; email: string; password: string }): Errors {
  const errors: Errors = {};
  if (!v.name.trim()) errors.name = 'Enter your name.';
  if (!v.email.trim()) errors.email = 'Enter your e-mail address.';
  if (!v.password) errors.password = 'Choose a password.';
  else if ([...v.password].length < MIN_PASSWORD) errors.password = `Use at least ${MIN_PASSWORD} characters for your password.`;
  return errors;
}

export function SignUpPage() {
  const me = useMe();
  const signUp = useSignUp();
  const navigate = useNavigate();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [values, setValues] = useState({ name: '', email: '', password: '' });
  const [clientErrors, setClientErrors] = useState<Errors>({});

  if (me.data) return <Navigate to={roleHome(me.data.role)} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errors = validateSignUp(values);
    setClientErrors(errors);
    if (Object.keys(errors).length) {
      signUp.reset();
      failed();
      return;
    }
    signUp.mutate(
      { name: values.name.trim(), email: values.email.trim(), password: values.password },
      {
        onSuccess: (res) => navigate(roleHome(res.user.role), { replace: true }),
        onError: (err) => {
          if (err instanceof ApiError && (Object.keys(err.fields).length || err.code === 'duplicate_email')) failed();
        },
      },
    );
  };

  const set = (k: keyof Errors) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value }));

  const err = signUp.error;
  const rawApiFields: Errors = err instanceof ApiError ? { ...err.fields } : {};
  // A taken e-mail is about the e-mail field: say it there.
  if (err instanceof ApiError && err.code === 'duplicate_email') rawApiFields.email = err.message;
  const apiFields = visible(rawApiFields);
  const own = visible(clientErrors);
  const errors: Errors = {
    name: own.name ?? apiFields.name,
    email: own.email ?? apiFields.email,
    password: own.password ?? apiFields.password,
  };
  const fieldMessages = summaryMessages(FIELDS, own, apiFields);
  const fieldless = err && !Object.keys(rawApiFields).length;

  return (
    <div className="auth-page">
      <section className="card auth-card" aria-labelledby="signup-title">
        <h1 id="signup-title">Create a customer account</h1>
        <form {...form} onSubmit={submit} noValidate>
          {fieldMessages.length > 0 ? (
            <ErrorSummary key={attempt} messages={fieldMessages} />
          ) : (
            fieldless && <ErrorAlert>{errorMessage(err)}</ErrorAlert>
          )}
          <TextField
            id="signup-name"
            name="name"
            label="Your name"
            autoComplete="name"
            required
            value={values.name}
            error={errors.name}
            onChange={set('name')}
          />
          <TextField
            id="signup-email"
            name="email"
            label="E-mail"
            type="email"
            autoComplete="email"
            required
            value={values.email}
            error={errors.email}
            onChange={set('email')}
          />
          <TextField
            id="signup-password"
            name="password"
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            hint={`At least ${MIN_PASSWORD} characters.`}
            value={values.password}
            error={errors.password}
            onChange={set('password')}
          />
          <div className="actions">
            <PendingButton type="submit" className="btn btn--primary" pending={signUp.isPending}>
              {signUp.isPending ? 'Creating account…' : 'Create account'}
            </PendingButton>
          </div>
        </form>
        <p className="muted">
          Already have an account? <Link to="/signin">Sign in</Link>.
        </p>
      </section>
    </div>
  );
}
