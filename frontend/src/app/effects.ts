import { options } from 'preact';

/**
 * Runs the effects of each render as soon as it is done, before the browser handles another
 * event, as React does before the next click or key. Preact waits for the next frame by
 * default; a button clicked before then (a quick hand, a test) starts its mutation before its
 * component has subscribed to it, in an effect, and TanStack Query then drops `mutate`'s own
 * callbacks (`onSuccess`, `onError`): the page never says what happened. Called by `main.tsx`
 * and by the tests' setup, so that both render alike.
 */
export function runEffectsAtOnce() {
  options.requestAnimationFrame = (flush) => queueMicrotask(flush);
}
