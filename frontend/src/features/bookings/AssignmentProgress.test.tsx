import { act, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Assignment } from '../../api/types';
import { AssignmentProgress, progressText } from './AssignmentProgress';

const NOW = new Date('2030-01-01T10:00:00.000Z').getTime();

function retrying(over: Partial<Assignment> = {}): Assignment {
  return {
    job_id: 1,
    cycle: 1,
    attempt: 2,
    max_attempts: 4,
    state: 'retrying',
    next_attempt_at: new Date(NOW + 4000).toISOString(),
    last_error: 'the provider rejected the booking',
    exhausted: false,
    ...over,
  };
}

describe('the assignment countdown', () => {
  it('says which attempt comes next and counts down live to it', () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    render(<AssignmentProgress assignment={retrying()} exhausted={false} />);
    expect(screen.getByTestId('assignment-progress')).toHaveTextContent('Attempt 2 of 4, next try in 4 s');
    expect(screen.getByTestId('assignment-progress')).toHaveTextContent('Last attempt: the provider rejected the booking');
    // A screen reader hears the wait once, not each second of it.
    expect(screen.getByText('Attempt 2 of 4, next try in 4 s')).toHaveAttribute('aria-hidden', 'true');
    const spoken = () => screen.getByTestId('assignment-progress').querySelector('.visually-hidden')?.textContent;
    expect(spoken()).toBe('Attempt 2 of 4, waiting to try again');
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId('assignment-progress')).toHaveTextContent('Attempt 2 of 4, next try in 3 s');
    expect(spoken()).toBe('Attempt 2 of 4, waiting to try again');
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByTestId('assignment-progress')).toHaveTextContent('Attempt 2 of 4, trying now…');
  });

  it('rounds partial seconds up, so it never says 0 s before the time', () => {
    expect(progressText(retrying(), NOW + 3001)).toBe('Attempt 2 of 4, next try in 1 s');
    expect(progressText(retrying({ attempt: 3, next_attempt_at: new Date(NOW + 8000).toISOString() }), NOW + 500)).toBe(
      'Attempt 3 of 4, next try in 8 s',
    );
  });

  it('says nothing once the assignment is done', () => {
    const { container } = render(<AssignmentProgress assignment={retrying({ state: 'done', next_attempt_at: null })} exhausted={false} />);
    expect(container).toBeEmptyDOMElement();
  });

  it('shows the exhausted notice when every attempt failed', () => {
    render(<AssignmentProgress assignment={retrying({ state: 'dead', exhausted: true, attempt: 4, next_attempt_at: null })} exhausted />);
    expect(screen.getByTestId('assignment-exhausted')).toHaveTextContent(
      'Assignment exhausted. No provider could be assigned after 4 attempts',
    );
    expect(screen.queryByTestId('assignment-progress')).toBeNull();
  });

  it('tells a customer what happens next, in their words, when the search ran out', () => {
    render(
      <AssignmentProgress
        assignment={retrying({ state: 'dead', exhausted: true, attempt: 4, next_attempt_at: null })}
        exhausted
        forCustomer
      />,
    );
    const notice = screen.getByTestId('assignment-exhausted');
    expect(notice).toHaveTextContent('No provider found yet. Our dispatchers have been told');
    expect(notice).not.toHaveTextContent(/attempt|admin|exhausted/i);
  });

  it('names an operator who cancelled the search as the reason, not the attempts', () => {
    render(
      <AssignmentProgress assignment={retrying({ state: 'cancelled', exhausted: true, attempt: 1, next_attempt_at: null })} exhausted />,
    );
    const notice = screen.getByTestId('assignment-exhausted');
    expect(notice).toHaveTextContent('Assignment cancelled. An operator stopped the search for a provider.');
    expect(notice).not.toHaveTextContent('attempts');
  });
});
