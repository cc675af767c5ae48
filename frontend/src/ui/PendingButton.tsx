import type { ButtonHTMLAttributes } from 'react';

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  /** Its request is running: the button is held back, and a press does nothing. */
  pending: boolean;
};

/**
 * A button held back while its request runs, but still focusable: `aria-disabled`
 * instead of `disabled`, which would drop focus to the page (and a screen reader's place
 * with it). A press meanwhile does nothing, not even submit its form (the click is
 * cancelled, which is also what pressing Enter in one of the form's fields sends).
 */
export function PendingButton({ pending, onClick, ...rest }: Props) {
  return (
    <button
      type="button"
      {...rest}
      aria-disabled={pending || rest['aria-disabled'] || undefined}
      onClick={(e) => {
        if (pending) {
          e.preventDefault();
          return;
        }
        onClick?.(e);
      }}
    />
  );
}
