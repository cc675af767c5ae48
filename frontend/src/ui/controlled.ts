import { useReducer } from 'react';

/**
 * For a form that may refuse a change (a filter chosen while another field holds something it
 * cannot use): call the function it returns on refusing, and the controls show what the state
 * holds again. React puts a controlled control back after every event; Preact does only when
 * the control renders again, and a refusal that sets no new state (the same message as before)
 * renders nothing, so the control would show a choice that was not applied.
 */
export function useShowStateAgain(): () => void {
  const [, render] = useReducer((n: number) => n + 1, 0);
  return render;
}
