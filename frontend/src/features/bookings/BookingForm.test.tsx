import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Availability, ServiceType } from '../../api/types';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { BookingForm } from './BookingForm';

const types: ServiceType[] = [
  { name: 'plumbing', label: 'Plumbing', duration_minutes: 120, providers: 2 },
  { name: 'cleaning', label: 'Cleaning', duration_minutes: 180, providers: 1 },
  { name: 'gardening', label: 'Gardening', duration_minutes: 180, providers: 0 },
];
const me = { name: 'Casey Customer', email: 'customer@example.com' };

/** Two days of plumbing slots on Berlin's clock, a week ahead (09:00 and 09:30, then 14:00 CET). */
const plumbing: Availability = {
  service_type: 'plumbing',
  duration_minutes: 120,
  time_zone: 'Europe/Berlin',
  slots: [
    { starts_at: '2099-01-05T08:00:00Z', providers: 2 },
    { starts_at: '2099-01-05T08:30:00Z', providers: 1 },
    { starts_at: '2099-01-06T13:00:00Z', providers: 1 },
  ],
};
const availability = () => json(200, plumbing);

async function fillValid(user: ReturnType<typeof userEvent.setup>) {
  await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
  await user.click(await screen.findByRole('radio', { name: /9:30/ }));
  await user.type(screen.getByLabelText('Phone'), '+1 555 010 0199');
  await user.type(screen.getByLabelText('Address'), '12 Leaky Lane');
}

describe('the booking form', () => {
  it('is prefilled with the signed-in name and e-mail, and offers only services someone provides', () => {
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    expect(screen.getByLabelText('Your name')).toHaveValue('Casey Customer');
    expect(screen.getByLabelText('E-mail')).toHaveValue('customer@example.com');
    const options = within(screen.getByLabelText('Service')).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual(['Choose a service…', 'Plumbing (2 h)', 'Cleaning (3 h)']);
    expect(screen.getByLabelText('Service')).toHaveAccessibleDescription('Not offered right now: Gardening.');
  });

  it("offers the service's free starts by day, on the service area's clock, labelled with its zone", async () => {
    const { calls } = mockApi({ 'GET /api/v1/availability': availability });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
    const times = await screen.findAllByRole('radio');
    // The first day's times, in Berlin (UTC+1 in January), whatever the browser's zone.
    expect(times.map((t) => t.closest('label')!.textContent)).toEqual([expect.stringMatching(/^0?9:00/), expect.stringMatching(/^0?9:30/)]);
    expect(screen.getByText(/Times are on the clock of Europe\/Berlin/)).toBeInTheDocument();
    expect(screen.getByText(/takes about 2 h\./)).toBeInTheDocument();
    const url = new URL(calls[0].url, 'http://x');
    expect(url.searchParams.get('service_type')).toBe('plumbing');
    expect(Date.parse(url.searchParams.get('to')!) - Date.parse(url.searchParams.get('from')!)).toBe(7 * 86_400_000);
    // The next day has its own time.
    await user.selectOptions(screen.getByLabelText('Day'), screen.getAllByRole('option', { name: /1 time\)/ })[0]);
    expect(screen.getAllByRole('radio').map((t) => t.closest('label')!.textContent)).toEqual([expect.stringMatching(/^(2:00|14:00)/)]);
  });

  it('asks for a time without calling the API to book', async () => {
    const { calls } = mockApi({ 'GET /api/v1/availability': availability });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
    await screen.findAllByRole('radio');
    await user.type(screen.getByLabelText('Phone'), '+1 555 010 0199');
    await user.type(screen.getByLabelText('Address'), '12 Leaky Lane');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    expect(screen.getAllByRole('radio')[0]).toHaveAccessibleDescription('Choose a day and a start time.');
    expect(screen.getAllByRole('radio')[0]).toHaveFocus();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
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
      'GET /api/v1/availability': availability,
    });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(screen.getByLabelText('Phone')).toHaveAccessibleDescription('Must be a phone number: 7 to 15 digits.'));
    expect(screen.getByLabelText('Address')).toHaveAccessibleDescription('Must not be empty.');
    expect(screen.getByLabelText('Your name')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).toHaveTextContent('Some details need fixing');
    // Editing the phone takes its message away; the address's stays until it is edited too.
    await user.type(screen.getByLabelText('Phone'), '9');
    expect(screen.getByLabelText('Phone')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).not.toHaveTextContent('Phone');
    expect(screen.getByLabelText('Address')).toHaveAccessibleDescription('Must not be empty.');
  });

  it('sends the booking again under the same Idempotency-Key after a failure, and reports the new booking', async () => {
    let n = 0;
    const { calls } = mockApi({
      'POST /api/v1/bookings': () =>
        ++n === 1
          ? json(503, { error: { code: 'busy', message: 'the database is busy; try again', details: {} } })
          : json(201, { id: 42, status: 'pending' }),
      'GET /api/v1/availability': availability,
    });
    const onCreated = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={onCreated} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await screen.findByText('The database is busy; try again.');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ id: 42 })));

    const posts = calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(2);
    const [k1, k2] = posts.map((c) => c.headers['Idempotency-Key']);
    expect(k1).toBeTruthy();
    // The same booking, sent again: if the first try was made after all, the API answers with it.
    expect(k2).toBe(k1);
    expect(posts[1].body).toMatchObject({
      service_type: 'plumbing',
      starts_at: '2099-01-05T08:30:00Z',
      time_zone: 'Europe/Berlin',
      customer_name: 'Casey Customer',
      customer_email: 'customer@example.com',
      customer_phone: '+1 555 010 0199',
      address: '12 Leaky Lane',
    });
    expect(posts[1].body).not.toHaveProperty('notes');
  });

  it('moves focus to the first invalid field after a failed check and announces what needs fixing', async () => {
    const { calls } = mockApi({ 'GET /api/v1/availability': availability });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await user.type(screen.getByLabelText('Address'), '12 Leaky Lane');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    expect(screen.getByLabelText('Service')).toHaveFocus();
    expect(screen.getByLabelText('Service')).toHaveAttribute('aria-invalid', 'true');
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Some details need fixing');
    expect(alert).toHaveTextContent('Choose a service.');
    expect(alert).toHaveTextContent('Choose a service first, then a time.');
    expect(alert).toHaveTextContent('Enter a phone number we can reach you on.');
    expect(alert).not.toHaveTextContent('Enter the address');
    expect(calls).toHaveLength(0);

    // Fixing the first one moves focus on to the next still wrong, on the next try.
    await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
    await screen.findAllByRole('radio');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    expect(screen.getAllByRole('radio')[0]).toHaveFocus();
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
      'GET /api/v1/availability': availability,
    });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(screen.getByLabelText('Phone')).toHaveFocus());
    expect(screen.getByRole('alert')).toHaveTextContent('Phone: Must be a phone number.');
  });
});

describe('the booking form, when the time is taken meanwhile', () => {
  it("shows the API's word on the time under the picker, and asks for the free times again", async () => {
    const { calls } = mockApi({
      'GET /api/v1/availability': availability,
      'POST /api/v1/bookings': () =>
        json(422, {
          error: {
            code: 'validation_failed',
            message: 'some fields are invalid',
            details: { fields: { starts_at: 'nobody can do plumbing at 2099-01-05 09:30 CET' } },
          },
        }),
    });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() =>
      expect(screen.getAllByRole('radio')[0]).toHaveAccessibleDescription('Nobody can do plumbing at 2099-01-05 09:30 CET.'),
    );
    expect(screen.getByRole('alert')).toHaveTextContent('Date and time: Nobody can do plumbing');
    // The times shown were out of date: they are fetched again.
    await waitFor(() => expect(calls.filter((c) => c.url.startsWith('/api/v1/availability')).length).toBe(2));
  });

  it('gives a changed booking a key of its own', async () => {
    let n = 0;
    const { calls } = mockApi({
      'GET /api/v1/availability': availability,
      'POST /api/v1/bookings': () =>
        ++n === 1 ? json(503, { error: { code: 'busy', message: 'busy', details: {} } }) : json(201, { id: 43 }),
    });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await fillValid(user);
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await screen.findByText('Busy.');
    await user.type(screen.getByLabelText('Address'), ', flat 2');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST')).toHaveLength(2));
    const [k1, k2] = calls.filter((c) => c.method === 'POST').map((c) => c.headers['Idempotency-Key']);
    expect(k1).toBeTruthy();
    expect(k2).not.toBe(k1);
  });

  it("takes a start typed on the service area's clock, and leaves the check to the API", async () => {
    const { calls } = mockApi({ 'GET /api/v1/availability': availability, 'POST /api/v1/bookings': () => json(201, { id: 9 }) });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
    await screen.findAllByRole('radio');
    await user.click(screen.getByText('Or type a start time'));
    fireEvent.input(screen.getByLabelText('Start (Europe/Berlin time)'), { target: { value: '2099-01-07T11:00' } });
    await user.type(screen.getByLabelText('Phone'), '+1 555 010 0199');
    await user.type(screen.getByLabelText('Address'), '12 Leaky Lane');
    await user.click(screen.getByRole('button', { name: 'Book service' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1));
    expect(calls.find((c) => c.method === 'POST')!.body).toMatchObject({ starts_at: '2099-01-07T10:00:00Z', time_zone: 'Europe/Berlin' });
  });

  it('says so when the typed start is in the hour the clocks skip', async () => {
    mockApi({ 'GET /api/v1/availability': availability });
    const user = userEvent.setup();
    renderWithProviders(<BookingForm serviceTypes={types} me={me} onCreated={() => {}} />);
    await user.selectOptions(screen.getByLabelText('Service'), 'plumbing');
    await screen.findAllByRole('radio');
    await user.click(screen.getByText('Or type a start time'));
    // Berlin's clocks go from 02:00 to 03:00 on 2099-03-29.
    const typed = screen.getByLabelText('Start (Europe/Berlin time)');
    fireEvent.input(typed, { target: { value: '2099-03-29T02:30' } });
    expect(screen.getByRole('alert')).toHaveTextContent('02:30 does not exist on the clock in Europe/Berlin that day');
    fireEvent.input(typed, { target: { value: '2099-03-29T03:00' } });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says so when no service can be booked at all', () => {
    renderWithProviders(<BookingForm serviceTypes={[types[2]]} me={me} onCreated={() => {}} />);
    expect(screen.getByText(/No service can be booked right now/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Book service' })).toBeNull();
  });
});
