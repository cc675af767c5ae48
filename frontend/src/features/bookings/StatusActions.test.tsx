import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { BookingDetail, BookingStatus } from '../../api/types';
import { bookingDetail } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { StatusActions } from './StatusActions';

const buttons = () => screen.queryAllByRole('button').map((b) => b.textContent);

describe('status buttons', () => {
  it.each<[BookingStatus, BookingStatus[], string[]]>([
    ['assigned', ['accepted', 'rejected'], ['Accept', 'Reject']],
    ['accepted', ['in_progress', 'no_show', 'cancelled'], ['Start', 'Provider did not come', 'Cancel booking']],
    ['in_progress', ['completed', 'no_show', 'cancelled'], ['Complete', 'Customer absent', 'Cancel booking']],
    ['pending', ['cancelled'], ['Cancel booking']],
  ])('offer exactly the allowed moves from %s %j, a no-show named for who was absent', (status, allowed, expected) => {
    renderWithProviders(<StatusActions booking={bookingDetail({ status, allowed_transitions: allowed })} />);
    expect(buttons()).toEqual(expected);
  });

  it('hold back starting work until an hour before the window and a no-show until its start, saying when', () => {
    const hour = 3600_000;
    const startingIn = (ms: number) =>
      bookingDetail({
        status: 'accepted',
        allowed_transitions: ['in_progress', 'no_show'],
        starts_at: new Date(Date.now() + ms).toISOString(),
        time_zone: 'UTC',
      });
    const button = (name: string) => screen.getByRole('button', { name });
    const { unmount } = renderWithProviders(<StatusActions booking={startingIn(3 * hour)} />);
    expect(button('Start')).toBeDisabled();
    expect(button('Provider did not come')).toBeDisabled();
    expect(button('Start')).toHaveAccessibleDescription(/^Start: from .+ UTC$/);
    expect(screen.getAllByTestId('not-yet')).toHaveLength(2);
    unmount();

    renderWithProviders(<StatusActions booking={startingIn(hour / 2)} />);
    expect(button('Start')).toBeEnabled();
    expect(button('Provider did not come')).toBeDisabled();
    expect(screen.getAllByTestId('not-yet')).toHaveLength(1);
  });

  it('offer nothing when no move is allowed', () => {
    const { container } = renderWithProviders(<StatusActions booking={bookingDetail({ allowed_transitions: [] })} />);
    expect(container).toBeEmptyDOMElement();
  });

  it('can be limited to some moves (a customer sees only cancel)', () => {
    renderWithProviders(<StatusActions booking={bookingDetail({ allowed_transitions: ['accepted', 'cancelled'] })} only={['cancelled']} />);
    expect(buttons()).toEqual(['Cancel booking']);
  });

  it('ask for a reason before rejecting, and send it with the version seen', async () => {
    const { calls } = mockApi({ 'PATCH /api/v1/bookings/7/status': () => json(200, { id: 7, status: 'rejected', provider_id: null }) });
    const user = userEvent.setup();
    renderWithProviders(<StatusActions booking={bookingDetail({ allowed_transitions: ['accepted', 'rejected'] })} />);
    await user.click(screen.getByRole('button', { name: 'Reject' }));
    expect(screen.getByLabelText('Why are you rejecting this booking?')).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Reject booking' }));
    expect(screen.getByLabelText('Why are you rejecting this booking?')).toHaveAccessibleDescription(/Give a reason/);
    expect(calls).toHaveLength(0);

    await user.type(screen.getByLabelText('Why are you rejecting this booking?'), 'Fully booked');
    await user.click(screen.getByRole('button', { name: 'Reject booking' }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0].body).toEqual({ status: 'rejected', reason: 'Fully booked', expected_version: 3 });
  });

  it('ask once more before completing a job, with an optional note, and send none when none is given', async () => {
    const { calls } = mockApi({ 'PATCH /api/v1/bookings/7/status': () => json(200, { id: 7, status: 'completed', provider_id: 2 }) });
    const user = userEvent.setup();
    renderWithProviders(
      <StatusActions booking={bookingDetail({ status: 'in_progress', allowed_transitions: ['completed', 'no_show'] })} />,
    );
    await user.click(screen.getByRole('button', { name: 'Complete' }));
    const note = screen.getByLabelText('Anything to note about the work? (optional; for dispatch, in the booking history)');
    expect(note).toHaveFocus();
    expect(calls).toHaveLength(0);
    // Back changes nothing.
    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(calls).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Complete' }));
    await user.click(screen.getByRole('button', { name: 'Mark the job complete' }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0].body).toEqual({ status: 'completed', expected_version: 3 });
  });

  it('send the note on the work with the completion', async () => {
    const { calls } = mockApi({ 'PATCH /api/v1/bookings/7/status': () => json(200, { id: 7, status: 'completed', provider_id: 2 }) });
    const user = userEvent.setup();
    renderWithProviders(<StatusActions booking={bookingDetail({ status: 'in_progress', allowed_transitions: ['completed'] })} />);
    await user.click(screen.getByRole('button', { name: 'Complete' }));
    await user.type(screen.getByLabelText(/Anything to note about the work/), ' Replaced the washer ');
    await user.click(screen.getByRole('button', { name: 'Mark the job complete' }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0].body).toEqual({ status: 'completed', reason: 'Replaced the washer', expected_version: 3 });
  });

  it('explain a version conflict in words', async () => {
    mockApi({
      'PATCH /api/v1/bookings/7/status': () =>
        json(409, { error: { code: 'version_conflict', message: 'the booking changed since version 3', details: {} } }),
    });
    const user = userEvent.setup();
    renderWithProviders(<StatusActions booking={bookingDetail({ allowed_transitions: ['accepted', 'rejected'] })} />);
    await user.click(screen.getByRole('button', { name: 'Accept' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This booking changed while you were looking at it');
  });

  it('keep focus where the person is: back on Reject when the reason is dropped, on Accept while it saves, then on what is left', async () => {
    let answer: (r: Response) => void = () => {};
    mockApi({ 'PATCH /api/v1/bookings/7/status': () => new Promise<Response>((resolve) => (answer = resolve)) });
    let land: (b: BookingDetail) => void = () => {};
    function Live() {
      const [b, setB] = useState(bookingDetail({ allowed_transitions: ['accepted', 'rejected'] }));
      land = setB;
      return <StatusActions booking={b} />;
    }
    const user = userEvent.setup();
    renderWithProviders(<Live />);
    await user.click(screen.getByRole('button', { name: 'Reject' }));
    expect(screen.getByLabelText('Why are you rejecting this booking?')).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.getByRole('button', { name: 'Reject' })).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Accept' }));
    const saving = screen.getByRole('button', { name: 'Saving…' });
    expect(saving).toHaveAttribute('aria-disabled', 'true');
    expect(saving).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Reject' }));
    expect(screen.queryByLabelText('Why are you rejecting this booking?')).toBeNull();

    answer(json(200, { id: 7, status: 'accepted', provider_id: 1 }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Accept' })).not.toHaveAttribute('aria-disabled'));
    act(() =>
      land(
        bookingDetail({
          status: 'accepted',
          version: 4,
          allowed_transitions: ['in_progress', 'cancelled'],
          starts_at: new Date().toISOString(),
        }),
      ),
    );
    expect(screen.getByRole('button', { name: 'Start' })).toHaveFocus();
  });
});
