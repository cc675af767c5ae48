import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { AdminUser, OperatorRole } from '../../api/types';
import { ErrorAlert, Notice } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { MIN_PASSWORD } from '../auth';
import { useCreateOperator } from './api';
import { PendingButton } from '../../ui/PendingButton';

const EMPTY = { name: '', email: '', password: '', role: 'viewer' as OperatorRole };
const FIELDS = [
  { name: 'name', label: 'Name' },
  { name: 'email', label: 'E-mail' },
  { name: 'password', label: 'Password' },
  { name: 'role', label: 'Role' },
];

/** What the roles may do, in the words the form offers them with. */
export const OPERATOR_ROLE_LABEL: Record<OperatorRole, string> = {
  admin: 'Admin: sees and changes everything',
  viewer: 'Viewer: sees the console, changes nothing',
};

/** What can be known without asking the API (which checks again, and whether the e-mail is taken). */
export function validateOperator(v: typeof EMPTY): Record<string, string> {
  const errs: Record<string, string> = {};
  if (!v.name.trim()) errs.name = 'Enter their name.';
  if (!v.email.trim()) errs.email = 'Enter their e-mail address.';
  if ([...v.password].length < MIN_PASSWORD) errs.password = `Choose a password of at least ${MIN_PASSWORD} characters.`;
  return errs;
}

/**
 * An admin adds an operator: another admin, or a viewer who sees the console and can change
 * nothing. The word that the account was made stays until dismissed.
 */
export function AddOperator() {
  const create = useCreateOperator();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [v, setV] = useState(EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<AdminUser | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const errs = validateOperator(v);
    setLocal(errs);
    if (Object.keys(errs).length) {
      create.reset();
      failed();
      return;
    }
    create.mutate(
      { name: v.name.trim(), email: v.email.trim(), password: v.password, role: v.role },
      {
        onSuccess: (u) => {
          setCreated(u);
          setV(EMPTY);
        },
        onError: (err) => {
          if (err instanceof ApiError && (Object.keys(err.fields).length || err.code === 'duplicate_email')) failed();
        },
      },
    );
  };

  const err = create.error instanceof ApiError ? create.error : null;
  const rawFields: Record<string, string> = { ...(err?.fields ?? {}) };
  // A taken e-mail is about the e-mail field: say it there.
  if (err?.code === 'duplicate_email' && !rawFields.email) rawFields.email = err.message;
  const fields = visible(rawFields);
  const own = visible(local);
  const fe = (k: string) => own[k] ?? fields[k];
  const messages = summaryMessages(FIELDS, own, fields);
  const fieldless = create.error && !Object.keys(rawFields).length;
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => setV((x) => ({ ...x, [k]: e.target.value }));

  return (
    <form {...form} onSubmit={submit} noValidate className="card form-grid" aria-labelledby="add-operator-title">
      <h2 id="add-operator-title" className="span-all">
        Add an operator
      </h2>
      <p className="muted span-all">
        An account for someone who runs the console. Give them the password yourself (nothing is sent); they can change it on their account
        page.
      </p>
      {(messages.length > 0 || fieldless) && (
        <div className="span-all">
          {messages.length > 0 ? <ErrorSummary key={attempt} messages={messages} /> : <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
        </div>
      )}
      <TextField
        id="operator-name"
        name="name"
        label="Name"
        autoComplete="off"
        required
        value={v.name}
        error={fe('name')}
        onChange={set('name')}
      />
      <TextField
        id="operator-email"
        name="email"
        label="E-mail"
        type="email"
        autoComplete="off"
        required
        value={v.email}
        error={fe('email')}
        onChange={set('email')}
      />
      <TextField
        id="operator-password"
        name="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        hint={`At least ${MIN_PASSWORD} characters.`}
        value={v.password}
        error={fe('password')}
        onChange={set('password')}
      />
      <SelectField id="operator-role" name="role" label="Role" value={v.role} error={fe('role')} onChange={set('role')}>
        {(['viewer', 'admin'] as const).map((r) => (
          <option key={r} value={r}>
            {OPERATOR_ROLE_LABEL[r]}
          </option>
        ))}
      </SelectField>
      <div className="actions span-all">
        <PendingButton type="submit" className="btn btn--primary" pending={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add operator'}
        </PendingButton>
      </div>
      {created && (
        <div className="span-all">
          <Notice tone="success" testId="operator-created" onDismiss={() => setCreated(null)}>
            Added {created.name} ({created.email}) as {created.role === 'admin' ? 'an admin' : 'a viewer'}. They can sign in now.
          </Notice>
        </div>
      )}
    </form>
  );
}
