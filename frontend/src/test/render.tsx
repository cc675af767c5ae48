import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import { keys } from '../api/queryKeys';
import type { Role, User } from '../api/types';

export function testQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } });
}

/** Someone signed in as `role`, as `GET /auth/me` answers. */
export function signedIn(role: Role, over: Partial<User> = {}): User {
  const names: Record<Role, string> = {
    admin: 'Ada Admin',
    viewer: 'Vera Viewer',
    customer: 'Casey Customer',
    provider: 'Priya Patel',
    system: 'worker',
  };
  return {
    id: 1,
    name: names[role],
    email: `${role}@example.com`,
    role,
    provider_id: role === 'provider' ? 1 : null,
    created_at: '2030-01-01T09:00:00Z',
    ...over,
  };
}

/**
 * Renders `ui` with a fresh query cache and a router at `route`. `as`: who is signed in
 * (without it, `/auth/me` is asked like any request, of the stubbed fetch).
 */
export function renderWithProviders(
  ui: ReactElement,
  { client = testQueryClient(), route = '/', as }: { client?: QueryClient; route?: string; as?: Role } = {},
) {
  if (as) client.setQueryData(keys.me, signedIn(as));
  return {
    client,
    ...render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
      </QueryClientProvider>,
    ),
  };
}

export function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

type Handler = (init: RequestInit & { url: string }) => Response | Promise<Response>;

/** Stubs fetch with handlers keyed by "METHOD /path" (query string ignored); records every call. */
export function mockApi(routes: Record<string, Handler>) {
  const calls: { method: string; url: string; body: unknown; headers: Record<string, string> }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = (init.method ?? 'GET').toUpperCase();
    const path = url.split('?')[0];
    calls.push({
      method,
      url,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
    });
    const handler = routes[`${method} ${path}`];
    if (!handler) return json(404, { error: { code: 'not_found', message: `no mock for ${method} ${path}`, details: {} } });
    return handler({ ...init, url });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}
