import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys, type AuditFilters } from '../../api/queryKeys';
import type { AuditPage } from '../../api/types';

/**
 * The audit log, newest first, a page at a time. Under `admin`: booking events refetch
 * it; and every 10 s, since most operator actions (a queue paused, an account disabled, a
 * provider changed) make no booking event.
 */
export function useAudit(filters: AuditFilters, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: keys.audit(filters),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) =>
      api<AuditPage>('/admin/audit', { query: { ...filters, limit: pageSize, cursor: pageParam }, signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
}
