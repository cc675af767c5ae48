import { useSyncExternalStore } from 'react';

/**
 * Whether the signed-in user's session has ended under an open page (signed out
 * elsewhere, expired, the password changed, the account disabled). The page stays as it
 * is, with whatever was typed into it, and asks for the password in place.
 */
let ended = false;
const listeners = new Set<() => void>();

function set(value: boolean) {
  if (ended === value) return;
  ended = value;
  for (const l of listeners) l();
}

export const markSessionEnded = () => set(true);
export const clearSessionEnded = () => set(false);

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSessionEnded(): boolean {
  return useSyncExternalStore(subscribe, () => ended);
}
