import { useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, newIdempotencyKey } from '../../api/client';
import type { Booking, NewBooking, ServiceType, ServiceTypeName, User } from '../../api/types';
import { Empty, ErrorAlert } from '../../ui/Feedback';
import { SelectField, TextAreaField, TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { durationLabel } from '../../ui/time';
import { useCreateBooking } from './api';
import { SlotPicker, type ChosenSlot } from './SlotPicker';

type Values = Pick<NewBooking, 'customer_name' | 'customer_email' | 'customer_phone' | 'address'> & {
  service_type: ServiceTypeName | '';
  slot: ChosenSlot | null;
  notes: string;
};
type Errors = Partial<Record<keyof NewBooking, string>>;

/** The form's fields in the order they are shown, with their labels. */
const FORM_FIELDS: { name: keyof NewBooking; label: string }[] = [
  { name: 'service_type', label: 'Service' },
  { name: 'starts_at', label: 'Date and time' },
  { name: 'time_zone', label: 'Time zone' },
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
  if (!v.slot) errors.starts_at = v.service_type ? 'Choose a day and a start time.' : 'Choose a service first, then a time.';
  else if (Date.parse(v.slot.starts_at) <= now.getTime()) errors.starts_at = 'That time has passed: choose another.';
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
  // One key per booking meant: the same content sent again (after a timeout, a 503) keeps
  // its key; changed content is another booking, with a key of its own.
  const attemptKey = useRef<{ body: string; key: string } | null>(null);
  const { form, attempt, failed, edited, visible } = useFormFeedback();
  const [values, setValues] = useState<Values>({
    service_type: '',
    slot: null,
    customer_name: me.name,
    customer_email: me.email,
    customer_phone: '',
    address: '',
    notes: '',
  });
  const [clientErrors, setClientErrors] = useState<Errors>({});
  // The first week of times starts now; kept, so that the week's query is asked once.
  const [origin] = useState(() => Date.now());
  const bookable = serviceTypes.filter((t) => t.providers > 0);
  const notOffered = serviceTypes.filter((t) => t.providers === 0);

  // A new service clears the time chosen: its errors are out of date too.
  const set = (k: Exclude<keyof Values, 'slot'>) => (e: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [k]: e.target.value, ...(k === 'service_type' ? { slot: null } : {}) }));
    if (k === 'service_type') edited('starts_at', 'time_zone');
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The button stays focusable while the request runs (aria-disabled): a second submit waits.
    if (create.isPending) return;
    const errors = validateBooking(values, new Date());
    setClientErrors(errors);
    if (Object.values(errors).some(Boolean) || !values.service_type || !values.slot) {
      create.reset();
      failed();
      return;
    }
    const body: NewBooking = {
      service_type: values.service_type,
      starts_at: values.slot.starts_at,
      time_zone: values.slot.time_zone,
      customer_name: values.customer_name.trim(),
      customer_email: values.customer_email.trim(),
      customer_phone: values.customer_phone.trim(),
      address: values.address.trim(),
    };
    if (values.notes.trim()) body.notes = values.notes.trim();
    const sent = JSON.stringify(body);
    if (attemptKey.current?.body !== sent) attemptKey.current = { body: sent, key: newIdempotencyKey() };
    create.mutate(
      { booking: body, key: attemptKey.current.key },
      {
        onSuccess: (b) => onCreated(b),
        onError: (e) => {
          if (e instanceof ApiError && Object.keys(e.fields).length) failed();
        },
      },
    );
  };

  const apiErr = create.error instanceof ApiError ? create.error : null;
  const rawApiFields = apiErr?.fields ?? {};
  const apiFields = visible(rawApiFields);
  const own = visible(clientErrors);
  const err = (k: keyof NewBooking) => own[k] ?? apiFields[k];
  // Field errors the form has no field for are said in the summary too.
  const messages = summaryMessages(FORM_FIELDS, own, apiFields);
  // An error about no field in particular (a conflict, the server): said above the form.
  const fieldless = create.error && !Object.keys(rawApiFields).length;

  if (bookable.length === 0) {
    return <Empty>No service can be booked right now: no provider is taking work. Please try again later.</Empty>;
  }

  return (
    <form
      {...form}
      onSubmit={submit}
      noValidate
      className="form-grid"
      aria-describedby={messages.length || fieldless ? 'booking-form-error' : undefined}
    >
      {(messages.length > 0 || fieldless) && (
        <div id="booking-form-error" className="span-all">
          {messages.length > 0 ? <ErrorSummary key={attempt} messages={messages} /> : <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
        </div>
      )}
      <SelectField
        id="service_type"
        name="service_type"
        label="Service"
        required
        value={values.service_type}
        error={err('service_type')}
        onChange={set('service_type')}
        hint={notOffered.length ? `Not offered right now: ${notOffered.map((t) => t.label).join(', ')}.` : undefined}
      >
        <option value="">Choose a service…</option>
        {bookable.map((t) => (
          <option key={t.name} value={t.name}>
            {t.label} ({durationLabel(t.duration_minutes)})
          </option>
        ))}
      </SelectField>
      <div className="span-all">
        {values.service_type ? (
          <SlotPicker
            key={values.service_type}
            serviceType={values.service_type}
            origin={origin}
            value={values.slot}
            error={err('starts_at') ?? err('time_zone')}
            onChange={(slot) => {
              setValues((v) => ({ ...v, slot }));
              edited('starts_at', 'time_zone');
            }}
          />
        ) : (
          <fieldset className={`field${err('starts_at') ? ' field--invalid' : ''}`}>
            <legend>Date and time</legend>
            <p className={err('starts_at') ? 'field__error' : 'field__hint'} id="starts_at-error">
              {err('starts_at') ?? 'Choose a service to see the times someone is free.'}
            </p>
          </fieldset>
        )}
      </div>
      <TextField
        id="customer_name"
        name="customer_name"
        label="Your name"
        autoComplete="name"
        required
        value={values.customer_name}
        error={err('customer_name')}
        onChange={set('customer_name')}
      />
      <TextField
        id="customer_email"
        name="customer_email"
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
        name="customer_phone"
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
        name="address"
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
          name="notes"
          label="Notes (optional)"
          rows={3}
          value={values.notes}
          error={err('notes')}
          onChange={set('notes')}
          hint="Anything the provider should know: access, parking, the problem."
        />
      </div>
      <div className="actions span-all">
        <button type="submit" className="btn btn--primary" aria-disabled={create.isPending || undefined}>
          {create.isPending ? 'Booking…' : 'Book service'}
        </button>
      </div>
    </form>
  );
}
