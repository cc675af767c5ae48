import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { keys } from '../api/queryKeys';

export function createQueryClient(): QueryClient {
  const qc = new QueryClient({
    defaultOptions: {
      queries: {
        // The event stream keeps data fresh; refetching on every focus would only add load.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // 4xx answers are final (not found, forbidden, signed out); retry only network and 5xx trouble.
        retry: (count, err) => {
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) return false;
          return count < 2;
        },
      },
      mutations: { retry: false },
    },
  });
  // A client-side record, not server state: keep it for the whole session.
  qc.setQueryDefaults(keys.goneBookings, { gcTime: Infinity, staleTime: Infinity });
  return qc;
}
