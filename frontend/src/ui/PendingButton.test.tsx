import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { PendingButton } from './PendingButton';

function form(pending: boolean) {
  const submitted = vi.fn((e: Event) => e.preventDefault());
  const clicked = vi.fn();
  const { rerender } = render(
    <form onSubmit={(e) => submitted(e.nativeEvent)}>
      <PendingButton type="submit" pending={pending} onClick={clicked}>
        Save
      </PendingButton>
    </form>,
  );
  return { submitted, clicked, rerender };
}

describe('a button held back while its request runs', () => {
  it('stays focusable and does nothing while pending: no click handler, no submit', () => {
    const { submitted, clicked } = form(true);
    const button = screen.getByRole('button', { name: 'Save' });
    expect(button).not.toHaveProperty('disabled', true);
    expect(button.getAttribute('aria-disabled')).toBe('true');
    button.focus();
    fireEvent.click(button);
    expect(document.activeElement).toBe(button);
    expect(clicked).not.toHaveBeenCalled();
    expect(submitted).not.toHaveBeenCalled();
  });

  it('acts and submits as a plain button once its request is over', () => {
    const { submitted, clicked } = form(false);
    const button = screen.getByRole('button', { name: 'Save' });
    expect(button.hasAttribute('aria-disabled')).toBe(false);
    fireEvent.click(button);
    expect(clicked).toHaveBeenCalledTimes(1);
    expect(submitted).toHaveBeenCalledTimes(1);
  });
});
