import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState, type FormEvent } from 'react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '../test/render';
import { CheckboxGroup } from './CheckboxGroup';
import { SelectField, TextField } from './Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from './formFeedback';

const FIELDS = [
  { name: 'name', label: 'Name' },
  { name: 'role', label: 'Role' },
  { name: 'days', label: 'Days' },
];

/** A form whose every submit fails with the same errors, as the API's would: each field's, and one about no field of the form. */
function AlwaysFailing() {
  const { form, attempt, failed, visible } = useFormFeedback();
  const [v, setV] = useState({ name: 'Ada', role: 'admin', days: [] as string[] });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({ name: 'is taken', role: 'is not allowed', days: 'choose one', token: 'has expired' });
    failed();
  };
  const shown = visible(errors);
  return (
    <form {...form} onSubmit={submit} noValidate>
      <ErrorSummary key={attempt} messages={summaryMessages(FIELDS, {}, shown)} />
      <TextField
        id="f-name"
        name="name"
        label="Name"
        value={v.name}
        error={shown.name}
        onChange={(e) => setV({ ...v, name: e.target.value })}
      />
      <SelectField
        id="f-role"
        name="role"
        label="Role"
        value={v.role}
        error={shown.role}
        onChange={(e) => setV({ ...v, role: e.target.value })}
      >
        <option value="admin">Admin</option>
        <option value="viewer">Viewer</option>
      </SelectField>
      <CheckboxGroup
        idPrefix="f-days"
        name="days"
        legend="Days"
        options={[{ value: 'mon', label: 'Monday' }]}
        value={v.days}
        error={shown.days}
        onChange={(days) => setV({ ...v, days })}
      />
      <button type="submit">Save</button>
    </form>
  );
}

describe('a form’s errors', () => {
  it('go from the field and the summary as soon as that field is edited, and come back with the next submit', async () => {
    const user = userEvent.setup();
    renderWithProviders(<AlwaysFailing />);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const summary = screen.getByRole('alert');
    expect(summary).toHaveTextContent('Name: Is taken.');
    expect(screen.getByLabelText('Name')).toHaveFocus();
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Is taken.');

    // Typing in the name takes its error away, in the field and in the summary; the others stay.
    await user.type(screen.getByLabelText('Name'), ' L');
    expect(screen.getByLabelText('Name')).toHaveValue('Ada L');
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByText('Is taken.')).toBeNull();
    expect(summary).not.toHaveTextContent('Name:');
    expect(screen.getByLabelText('Role')).toHaveAccessibleDescription('Is not allowed.');
    expect(summary).toHaveTextContent('Role: Is not allowed.');

    // A choice in a select, a box ticked: the same, and the control takes the new value.
    await user.selectOptions(screen.getByLabelText('Role'), 'viewer');
    expect(screen.getByLabelText('Role')).toHaveValue('viewer');
    expect(screen.getByLabelText('Role')).not.toHaveAttribute('aria-invalid');
    await user.click(screen.getByLabelText('Monday'));
    expect(screen.getByLabelText('Monday')).toBeChecked();
    expect(screen.queryByText('Choose one.')).toBeNull();
    // What no field of the form is about stays until the next submit.
    expect(summary).toHaveTextContent('token: Has expired.');
    expect(summary).not.toHaveTextContent('Role:');

    // The next submit fails the same way: every error is shown again.
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Is taken.');
    expect(screen.getByLabelText('Role')).toHaveAccessibleDescription('Is not allowed.');
    expect(screen.getByText('Choose one.')).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveFocus();
  });

  it('do not come back while the next try is under way, only if it fails', async () => {
    const user = userEvent.setup();
    renderWithProviders(<FailingOnce />);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Name: Is taken.');
    await user.type(screen.getByLabelText('Name'), ' L');
    expect(screen.queryByRole('alert')).toBeNull();
    // The second try is sent, and its answer has not come: the first one's errors, still
    // held (as a request's are until the next answer), stay out of sight.
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByText('Sending…')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid');
  });
});

/** A form whose first submit fails on the name; the next is sent and waits for its answer. */
function FailingOnce() {
  const { form, attempt, failed, visible } = useFormFeedback();
  const [name, setName] = useState('Ada');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [sending, setSending] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (attempt === 0) {
      setErrors({ name: 'is taken' });
      failed();
    } else {
      setSending(true);
    }
  };
  const shown = visible(errors);
  return (
    <form {...form} onSubmit={submit} noValidate>
      <ErrorSummary key={attempt} messages={summaryMessages(FIELDS, {}, shown)} />
      <TextField id="g-name" name="name" label="Name" value={name} error={shown.name} onChange={(e) => setName(e.target.value)} />
      {sending && <p>Sending…</p>}
      <button type="submit">Save</button>
    </form>
  );
}
