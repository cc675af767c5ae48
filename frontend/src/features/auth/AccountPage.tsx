import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import type { User } from '../../api/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { ErrorAlert } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useToast } from '../../ui/Toast';
import { useChangePassword, useMe, useSignOutEverywhere, useUpdateDetails } from './api';
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

type DetailErrors = { name?: string; email?: string; current_password?: string };
const DETAIL_FIELDS = [
  { name: 'name', label: 'Your name' },
  { name: 'email', label: 'E-mail' },
  { name: 'current_password', label: 'Your password' },
];

/** What the details form would send: only what differs from the account as it is. */
export function detailChanges(user: Pick<User, 'name' | 'email'>, name: string, email: string) {
  const n = name.trim();
  const e = email.trim();
  return {
    name: n !== user.name ? n : undefined,
    email: e.toLowerCase() !== user.email.toLowerCase() ? e : undefined,
  };
}

/** What can be known without asking the API; it checks again (the e-mail's form, whether it is taken). */
export function validateDetails(name: string, email: string, emailChanges: boolean, current: string): DetailErrors {
  const errors: DetailErrors = {};
  if (!name.trim()) errors.name = 'Enter your name.';
  if (!email.trim()) errors.email = 'Enter your e-mail address.';
  if (!errors.email && emailChanges && !current) errors.current_password = 'Enter your current password to change your e-mail.';
  return errors;
}

/** Your account, whatever your role: your name and e-mail, a new password, signing out everywhere. */
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
      {user && <DetailsCard key={user.id} user={user} />}
      <ChangePasswordCard />
      <SignOutEverywhereCard />
    </section>
  );
}

/** Your name and sign-in e-mail; a new e-mail needs your password. A provider's are dispatch's to change. */
function DetailsCard({ user }: { user: User }) {
  const update = useUpdateDetails();
  const toast = useToast();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const [current, setCurrent] = useState('');
  const [clientErrors, setClientErrors] = useState<DetailErrors>({});

  if (user.role === 'provider') {
    return (
      <div className="card">
        <h2>Your details</h2>
        <p className="muted">Dispatch keeps your name and e-mail on your provider record: ask them to change either.</p>
      </div>
    );
  }

  const changes = detailChanges(user, name, email);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errors = validateDetails(name, email, changes.email !== undefined, current);
    setClientErrors(errors);
    if (Object.keys(errors).length) {
      update.reset();
      failed();
      return;
    }
    if (changes.name === undefined && changes.email === undefined) {
      update.reset();
      toast('Nothing to save: your name and e-mail are as they were.');
      return;
    }
    update.mutate(
      { ...changes, current_password: changes.email !== undefined ? current : undefined },
      {
        onSuccess: (saved) => {
          setName(saved.name);
          setEmail(saved.email);
          setCurrent('');
          toast(changes.email !== undefined ? `Saved. Sign in with ${saved.email} from now on.` : 'Saved.');
        },
        onError: (err) => {
          if (err instanceof ApiError && (Object.keys(err.fields).length || err.code === 'duplicate_email')) failed();
        },
      },
    );
  };

  const err = update.error;
  const rawApiFields: DetailErrors = err instanceof ApiError ? { ...err.fields } : {};
  if (err instanceof ApiError && err.code === 'duplicate_email') rawApiFields.email = err.message;
  const apiFields = visible(rawApiFields);
  const own = visible(clientErrors);
  const errors: DetailErrors = {
    name: own.name ?? apiFields.name,
    email: own.email ?? apiFields.email,
    current_password: own.current_password ?? apiFields.current_password,
  };
  const messages = summaryMessages(DETAIL_FIELDS, own, apiFields);
  const fieldless = err && !Object.keys(rawApiFields).length;
  return (
    <div className="card">
      <h2>Your details</h2>
      <form {...form} onSubmit={submit} noValidate>
        {messages.length > 0 ? (
          <ErrorSummary key={attempt} messages={messages} />
        ) : (
          fieldless && <ErrorAlert>{errorMessage(err)}</ErrorAlert>
        )}
        <TextField
          id="account-name"
          name="name"
          label="Your name"
          autoComplete="name"
          maxLength={200}
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextField
          id="account-email"
          name="email"
          label="E-mail"
          type="email"
          autoComplete="email"
          hint="You sign in with it."
          value={email}
          error={errors.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        {changes.email !== undefined && (
          <TextField
            id="account-details-password"
            name="current_password"
            label="Your password"
            type="password"
            autoComplete="current-password"
            hint="To change the e-mail you sign in with."
            value={current}
            error={errors.current_password}
            onChange={(e) => setCurrent(e.target.value)}
          />
        )}
        <div className="actions">
          <PendingButton type="submit" className="btn btn--primary" pending={update.isPending}>
            {update.isPending ? 'Saving…' : 'Save details'}
          </PendingButton>
        </div>
      </form>
    </div>
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
