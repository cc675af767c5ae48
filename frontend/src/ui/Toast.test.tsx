import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ToastProvider, useToast } from './Toast';

function Buttons() {
  const toast = useToast();
  return (
    <>
      <button onClick={() => toast('Booking #7 moved.')}>passing</button>
      <button onClick={() => toast('Queue assignment paused.', 'success', { stay: true })}>staying</button>
    </>
  );
}

describe('toasts', () => {
  it('go after a few seconds, but an operator’s confirmation stays until dismissed', () => {
    vi.useFakeTimers();
    render(
      <ToastProvider>
        <Buttons />
      </ToastProvider>,
    );
    fireEvent.click(screen.getByText('staying'));
    fireEvent.click(screen.getByText('passing'));
    // Four more that go by themselves do not push the one that stays out.
    for (let i = 0; i < 4; i++) fireEvent.click(screen.getByText('passing'));
    expect(screen.getAllByTestId('toast')).toHaveLength(4);
    act(() => vi.advanceTimersByTime(60_000));
    const left = screen.getAllByTestId('toast');
    expect(left).toHaveLength(1);
    expect(left[0]).toHaveTextContent('Queue assignment paused.');
    fireEvent.click(within(left[0]).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('toast')).toBeNull();
  });
});
