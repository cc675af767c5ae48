import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { JobPage, JobState, RetryReport, RetryRequest, Stats } from '../../api/types';

export function useJobs(state: JobState | '', pageSize = 50) {
  return useInfiniteQuery({
    queryKey: keys.jobs(state),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) => api<JobPage>('/admin/jobs', { query: { state, limit: pageSize, cursor: pageParam }, signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useRetryJobs() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (r: RetryRequest) => api<RetryReport>('/admin/jobs/retry', { method: 'POST', body: r }),
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: keys.admin }), qc.invalidateQueries({ queryKey: keys.bookings })]),
  });
}

export function useStats() {
  return useQuery({
    queryKey: keys.stats,
    queryFn: ({ signal }) => api<Stats>('/admin/stats', { signal }),
    // Heartbeats change without any booking event.
    refetchInterval: 5000,
  });
}
