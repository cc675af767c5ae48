import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { CalendarEditor, clockTime } from './CalendarEditor';

const empty = { provider_id: 4, time_zone: 'UTC', weekly: [], exceptions: [], set: false };

describe("a provider's calendar editor", () => {
  it('says a provider without hours works any time, and saves a week and a day off in their zone', async () => {
    const { calls } = mockApi({
      'GET /api/v1/providers/4/calendar': () => json(200, empty),
      'PUT /api/v1/providers/4/calendar': (init) => json(200, { provider_id: 4, set: true, ...JSON.parse(String(init.body)) }),
    });
    const user = userEvent.setup();
    renderWithProviders(<CalendarEditor providerId={4} who="self" />);
    expect(await screen.findByText(/You have not set working hours yet/)).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Time zone'));
    await user.type(screen.getByLabelText('Time zone'), 'Europe/Berlin');
    await user.click(screen.getByRole('button', { name: 'Fill Monday to Friday, 9 to 5' }));
    await user.click(screen.getByRole('button', { name: 'Add hours on Saturday' }));
    // Typed on a phone's number pad, which has no colon.
    await user.clear(screen.getByLabelText('Saturday, hours 1: until'));
    await user.type(screen.getByLabelText('Saturday, hours 1: until'), '1300');
    await user.tab();
    expect(screen.getByLabelText('Saturday, hours 1: until')).toHaveValue('13:00');
    await user.click(screen.getByRole('button', { name: 'Add a date' }));
    await user.clear(screen.getByLabelText('Date 1'));
    await user.type(screen.getByLabelText('Date 1'), '2026-12-24');
    await user.click(screen.getByRole('button', { name: 'Save working hours' }));
    await screen.findByText('Working hours saved.');

    const put = calls.find((c) => c.method === 'PUT')!.body as { time_zone: string; weekly: unknown[]; exceptions: unknown[] };
    expect(put.time_zone).toBe('Europe/Berlin');
    expect(put.weekly).toHaveLength(6);
    expect(put.weekly).toContainEqual({ weekday: 'sat', start: '09:00', end: '13:00' });
    expect(put.exceptions).toEqual([{ date: '2026-12-24', ranges: [] }]);
  });

  it('keeps focus in the form when a row it was on is removed', async () => {
    mockApi({ 'GET /api/v1/providers/4/calendar': () => json(200, empty) });
    const user = userEvent.setup();
    renderWithProviders(<CalendarEditor providerId={4} who="self" />);
    await screen.findByText(/You have not set working hours yet/);
    await user.click(screen.getByRole('button', { name: 'Add hours on Saturday' }));
    await user.click(screen.getByRole('button', { name: 'Remove Saturday, hours 1' }));
    expect(screen.getByRole('button', { name: 'Add hours on Saturday' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Add a date' }));
    await user.click(screen.getByRole('button', { name: 'Add hours' }));
    await user.click(screen.getByRole('button', { name: 'Remove Date 1, hours 1' }));
    expect(screen.getByRole('button', { name: 'Add hours' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Remove date' }));
    expect(screen.getByRole('button', { name: 'Add a date' })).toHaveFocus();
  });

  it("puts the API's complaint next to the hours it is about", async () => {
    mockApi({
      'GET /api/v1/providers/4/calendar': () =>
        json(200, { ...empty, set: true, weekly: [{ weekday: 'mon', start: '09:00', end: '17:00' }] }),
      'PUT /api/v1/providers/4/calendar': () =>
        json(422, {
          error: {
            code: 'validation_failed',
            message: 'some fields are invalid',
            details: { fields: { 'weekly[0]': 'end must be after start' } },
          },
        }),
    });
    const user = userEvent.setup();
    renderWithProviders(<CalendarEditor providerId={4} who="admin" />);
    const until = await screen.findByLabelText('Monday, hours 1: until');
    await user.clear(until);
    await user.type(until, '08:00');
    await user.click(screen.getByRole('button', { name: 'Save working hours' }));
    await waitFor(() => expect(screen.getByLabelText('Monday, hours 1: until')).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByRole('group', { name: 'Monday, hours 1' })).toHaveTextContent('End must be after start.');
  });
});

describe('a time typed for working hours', () => {
  it('reads digits without a colon, or with a dot, as a time of day, and leaves the rest for the check', () => {
    expect(['0800', '800', '8', '1730', '17.30', '930', ' 24 ', '09:00'].map(clockTime)).toEqual([
      '08:00',
      '08:00',
      '08:00',
      '17:30',
      '17:30',
      '09:30',
      '24:00',
      '09:00',
    ]);
    expect(['', 'noon', '12345', '9:3'].map(clockTime)).toEqual(['', 'noon', '12345', '9:3']);
  });
});
