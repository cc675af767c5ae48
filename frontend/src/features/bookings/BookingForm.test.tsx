import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ServiceType } from '../../api/types';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { toLocalInputValue } from '../../ui/time';
import { BookingForm } from './BookingForm';

const types: ServiceType[] = [
  { name: 'plumbing', label: 'Plumbing' },
  { name: 'cleaning', label: 'Cleaning' },
];
const me = { name: 'Casey Customer', email: 'customer@example.com' };

async function fillValid(user: ReturnType<typeof userEvent.setup>) {
  await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
  fireEvent.change(screen.getByLabelText('Date and time'), { target: { value: toLocalInputValue(new Date(Date.now() + 86_400_000)) } });
  await user.type(screen.getByLabelText('Phone'), '+1 555 010 0199');
  await user.type(screen.getByLabelText('Address'), '12 Leaky Lane');
}

describe('the booking form', () => {
  it('is prefilled with the signed-in name and e-mail, and offers only future times', () => {
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    expect(screen.getByLabelText('Your name')).toHaveValue('Casey Customer');
    expect(screen.getByLabelText('E-mail')).toHaveValue('customer@example.com');
    const min = screen.getByLabelText('Date and time').getAttribute('min')!;
    expect(new Date(min).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses a time in the past without calling the API', async () => {
    const { fetchMock } = mockApi({});
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    fireEvent.change(screen.getByLabelText('Date and time'), { target: { value: '2020-01-01T10:00' } });
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    expect(screen.getByLabelText('Date and time')).toHaveAccessibleDescription('Choose a time in the future.');
    expect(screen.getByLabelText('Date and time')).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('shows the field errors of a 422 under the fields they are about', async () => {
    mockApi({
      'POST /api/v1/bookings': () =>
        json(422, {
          error: {
            code: 'validation_failed',
            message: 'some fields are invalid',
            details: { fields: { customer_phone: 'must be a phone number: 7 to 15 digits', address: 'must not be empty' } },
          },
        }),
    });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(screen.getByLabelText('Phone')).toHaveAccessibleDescription('Must be a phone number: 7 to 15 digits.'));
    expect(screen.getByLabelText('Address')).toHaveAccessibleDescription('Must not be empty.');
    expect(screen.getByLabelText('Your name')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).toHaveTextContent('Some details need fixing');
  });

  it('sends the booking with a fresh Idempotency-Key per attempt and reports the new booking', async () => {
    let n = 0;
    const { calls } = mockApi({
      'POST /api/v1/bookings': () =>
        ++n === 1
          ? json(503, { error: { code: 'busy', message: 'the database is busy; try again', details: {} } })
          : json(201, { id: 42, status: 'pending' }),
    });
    const onCreated = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={onCreated} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await screen.findByText('The database is busy; try again.');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ id: 42 })));

    expect(calls).toHaveLength(2);
    const [k1, k2] = calls.map((c) => c.headers['Idempotency-Key']);
    expect(k1).toBeTruthy();
    expect(k2).toBeTruthy();
    expect(k1).not.toBe(k2);
    expect(calls[1].body).toMatchObject({
      service_type: 'plumbing',
      customer_name: 'Casey Customer',
      customer_email: 'customer@example.com',
      customer_phone: '+1 555 010 0199',
      address: '12 Leaky Lane',
    });
    expect(new Date((calls[1].body as { scheduled_date: string }).scheduled_date).getTime()).toBeGreaterThan(Date.now());
    expect(calls[1].body).not.toHaveProperty('notes');
  });

  it('moves focus to the first invalid field after a failed check and announces what needs fixing', async () => {
    const { fetchMock } = mockApi({});
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await user.type(screen.getByLabelText('Address'), '12 Leaky Lane');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    expect(screen.getByLabelText('Service')).toHaveFocus();
    expect(screen.getByLabelText('Service')).toHaveAttribute('aria-invalid', 'true');
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Some details need fixing');
    expect(alert).toHaveTextContent('Choose a service.');
    expect(alert).toHaveTextContent('Choose a date and time.');
    expect(alert).toHaveTextContent('Enter a phone number we can reach you on.');
    expect(alert).not.toHaveTextContent('Enter the address');
    expect(fetchMock).not.toHaveBeenCalled();

    // Fixing the first one moves focus on to the next still wrong, on the next try.
    await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    expect(screen.getByLabelText('Date and time')).toHaveFocus();
  });

  it("names the field in the summary of the API's field errors", async () => {
    mockApi({
      'POST /api/v1/bookings': () =>
        json(422, {
          error: {
            code: 'validation_failed',
            message: 'some fields are invalid',
            details: { fields: { customer_phone: 'must be a phone number' } },
          },
        }),
    });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(screen.getByLabelText('Phone')).toHaveFocus());
    expect(screen.getByRole('alert')).toHaveTextContent('Phone: Must be a phone number.');
  });
});
