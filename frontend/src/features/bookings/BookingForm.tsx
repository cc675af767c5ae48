import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { Booking, NewBooking, ServiceType, ServiceTypeName, User } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { SelectField, TextAreaField, TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { toLocalInputValue } from '../../ui/time';
import { useCreateBooking } from './api';

type Values = Omit<NewBooking, 'service_type' | 'scheduled_date' | 'notes'> & {
  service_type: ServiceTypeName | '';
  scheduled_local: string;
  notes: string;
};
type Errors = Partial<Record<keyof NewBooking, string>>;

/** The form's fields in the order they are shown, with their labels. */
const FORM_FIELDS: { name: keyof NewBooking; label: string }[] = [
  { name: 'service_type', label: 'Service' },
  { name: 'scheduled_date', label: 'Date and time' },
  { name: 'customer_name', label: 'Your name' },
  { name: 'customer_email', label: 'E-mail' },
  { name: 'customer_phone', label: 'Phone' },
  { name: 'address', label: 'Address' },
  { name: 'notes', label: 'Notes' },
];

/** Checks what the browser can know; the API checks everything again and has the last word. */
export function validateBooking(v: Values, now: Date): Errors {
  const errors: Errors = {};
  if (!v.service_type) errors.service_type = 'Choose a service.';
  if (!v.scheduled_local) {
    errors.scheduled_date = 'Choose a date and time.';
  } else {
    const when = new Date(v.scheduled_local);
    if (Number.isNaN(when.getTime())) errors.scheduled_date = 'Enter a valid date and time.';
    else if (when.getTime() <= now.getTime()) errors.scheduled_date = 'Choose a time in the future.';
  }
  if (!v.customer_name.trim()) errors.customer_name = 'Enter your name.';
  if (!v.customer_email.trim()) errors.customer_email = 'Enter your e-mail address.';
  if (!v.customer_phone.trim()) errors.customer_phone = 'Enter a phone number we can reach you on.';
  if (!v.address.trim()) errors.address = 'Enter the address where the work is needed.';
  return errors;
}

interface BookingFormProps {
  serviceTypes: ServiceType[];
  me: Pick<User, 'name' | 'email'>;
  onCreated: (b: Booking) => void;
}

export function BookingForm({ serviceTypes, me, onCreated }: BookingFormProps) {
  const create = useCreateBooking();
  const { formRef, attempt, failed } = useFormFeedback();
  const [values, setValues] = useState<Values>({
    service_type: '',
    scheduled_local: '',
    customer_name: me.name,
    customer_email: me.email,
    customer_phone: '',
    address: '',
    notes: '',
  });
  const [clientErrors, setClientErrors] = useState<Errors>({});
  const now = new Date();
  const min = toLocalInputValue(now);
  const max = toLocalInputValue(new Date(now.getTime() + 364 * 86400_000));

  const set = (k: keyof Values) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [k]: e.target.value }));
    const field = k === 'scheduled_local' ? 'scheduled_date' : k;
    setClientErrors((errs) => (errs[field as keyof NewBooking] ? { ...errs, [field]: undefined } : errs));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errors = validateBooking(values, new Date());
    setClientErrors(errors);
    if (Object.values(errors).some(Boolean) || !values.service_type) {
      create.reset();
      failed();
      return;
    }
    const body: NewBooking = {
      service_type: values.service_type,
      scheduled_date: new Date(values.scheduled_local).toISOString(),
      customer_name: values.customer_name.trim(),
      customer_email: values.customer_email.trim(),
      customer_phone: values.customer_phone.trim(),
      address: values.address.trim(),
    };
    if (values.notes.trim()) body.notes = values.notes.trim();
    create.mutate(body, {
      onSuccess: (b) => onCreated(b),
      onError: (e) => {
        if (e instanceof ApiError && Object.keys(e.fields).length) failed();
      },
    });
  };

  const apiErr = create.error instanceof ApiError ? create.error : null;
  const apiFields = apiErr?.fields ?? {};
  const err = (k: keyof NewBooking) => clientErrors[k] ?? apiFields[k];
  // Field errors the form has no field for are said in the summary too.
  const messages = summaryMessages(FORM_FIELDS, clientErrors, apiFields);

  return (
    <form
      ref={formRef}
      onSubmit={submit}
      noValidate
      className="form-grid"
      aria-describedby={messages.length || create.error ? 'booking-form-error' : undefined}
    >
      {(messages.length > 0 || create.error) && (
        <div id="booking-form-error" className="span-all">
          {messages.length > 0 ? <ErrorSummary key={attempt} messages={messages} /> : <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
        </div>
      )}
      <SelectField
        id="service_type"
        label="Service"
        required
        value={values.service_type}
        error={err('service_type')}
        onChange={set('service_type')}
      >
        <option value="">Choose a service…</option>
        {serviceTypes.map((t) => (
          <option key={t.name} value={t.name}>
            {t.label}
          </option>
        ))}
      </SelectField>
      <TextField
        id="scheduled_date"
        label="Date and time"
        type="datetime-local"
        required
        min={min}
        max={max}
        value={values.scheduled_local}
        error={err('scheduled_date')}
        hint="Your local time. Any time from now up to a year ahead."
        onChange={set('scheduled_local')}
      />
      <TextField
        id="customer_name"
        label="Your name"
        autoComplete="name"
        required
        value={values.customer_name}
        error={err('customer_name')}
        onChange={set('customer_name')}
      />
      <TextField
        id="customer_email"
        label="E-mail"
        type="email"
        autoComplete="email"
        required
        value={values.customer_email}
        error={err('customer_email')}
        onChange={set('customer_email')}
      />
      <TextField
        id="customer_phone"
        label="Phone"
        type="tel"
        autoComplete="tel"
        required
        value={values.customer_phone}
        error={err('customer_phone')}
        hint="So the provider can reach you, e.g. +1 555 010 0199."
        onChange={set('customer_phone')}
      />
      <TextField
        id="address"
        label="Address"
        autoComplete="street-address"
        required
        value={values.address}
        error={err('address')}
        onChange={set('address')}
      />
      <div className="span-all">
        <TextAreaField
          id="notes"
          label="Notes (optional)"
          rows={3}
          value={values.notes}
          error={err('notes')}
          onChange={set('notes')}
          hint="Anything the provider should know: access, parking, the problem."
        />
      </div>
      <div className="actions span-all">
        <button type="submit" className="btn btn--primary" disabled={create.isPending}>
          {create.isPending ? 'Booking…' : 'Book service'}
        </button>
      </div>
    </form>
  );
}
