import { QueryClient, QueryClientProvider, useMutation } from '@tanstack/react-query';
import { waitFor } from '@testing-library/react';
import { render } from 'preact';
import { useState } from 'react';
import { afterEach, expect, it } from 'vitest';

function Report() {
  const [said, setSaid] = useState('');
  const send = useMutation({ mutationFn: async () => 'done' });
  return (
    <>
      <button type="button" onClick={() => send.mutate(undefined, { onSuccess: setSaid })}>
        Send
      </button>
      <output>{said}</output>
    </>
  );
}

const root = document.createElement('div');
afterEach(() => render(null, root));

// A button clicked the moment it appears (a quick hand; a test): its mutation settles before the
// next frame, and TanStack Query calls `mutate`'s own callbacks only for a component that has
// subscribed by then, in an effect.
it("runs a page's effects before anything else happens, so that a mutation started at once still reports back", async () => {
  document.body.append(root);
  render(
    <QueryClientProvider client={new QueryClient()}>
      <Report />
    </QueryClientProvider>,
    root,
  );
  root.querySelector('button')!.click();
  await waitFor(() => expect(root.querySelector('output')).toHaveTextContent('done'));
});
