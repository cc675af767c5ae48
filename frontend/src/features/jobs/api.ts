import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys, type JobFilters } from '../../api/queryKeys';
import type { ActionReport, JobActionRequest, JobDetail, JobPage, QueueInfo, Stats } from '../../api/types';
import { listQuery } from './filters';
import { ACTION_WORDS, type JobAction } from './words';

/** The job table, a page at a time; every page carries how many jobs match in all. */
export function useJobs(filters: JobFilters, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: keys.jobList(filters),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) =>
      api<JobPage>('/admin/jobs', { query: { ...listQuery(filters), limit: pageSize, cursor: pageParam }, signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // New filters: the last table stays until the new one comes.
    placeholderData: keepPreviousData,
  });
}

const IN_FLIGHT = new Set(['scheduled', 'retrying', 'running']);

/**
 * One job with its runs. Booking events refetch it (it is under `admin`); while it is
 * waiting or running it is also polled, since a failed attempt that changes no booking
 * sends no event.
 */
export function useJob(id: number) {
  return useQuery({
    queryKey: keys.job(id),
    queryFn: ({ signal }) => api<JobDetail>(`/admin/jobs/${id}`, { signal }),
    enabled: Number.isInteger(id) && id > 0,
    refetchInterval: (q) => (q.state.data && IN_FLIGHT.has(q.state.data.state) ? 5000 : false),
  });
}

/** Retry, cancel or run now, on ids or on every job a filter matches (which may take many seconds). */
export function useJobAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ action, request }: { action: JobAction; request: JobActionRequest }) =>
      api<ActionReport>(`/admin/jobs/${ACTION_WORDS[action].path}`, { method: 'POST', body: request }),
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: keys.admin }), qc.invalidateQueries({ queryKey: keys.bookings })]),
  });
}

/** The queues: depth by state, the oldest due job's wait, paused or not. */
export function useQueues() {
  return useQuery({
    queryKey: keys.queues,
    queryFn: ({ signal }) => api<QueueInfo[]>('/admin/queues', { signal }),
    // The oldest due job's wait grows without any event.
    refetchInterval: 5000,
  });
}

export function useSetPaused() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, paused }: { name: string; paused: boolean }) =>
      api<QueueInfo>(`/admin/queues/${encodeURIComponent(name)}/${paused ? 'pause' : 'resume'}`, { method: 'POST' }),
    onSuccess: (queue) => qc.setQueryData<QueueInfo[]>(keys.queues, (all) => all?.map((q) => (q.name === queue.name ? queue : q))),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.admin }),
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
