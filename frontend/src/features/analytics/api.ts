import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, buildUrl } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { Analytics, BucketName } from '../../api/types';

/** What the dashboard asks for, as kept in the address. */
export interface AnalyticsQuery {
  /** '' for the API's default range. */
  from: string;
  to: string;
  bucket: BucketName;
  /** '' for every service. */
  service: string;
}

function query(q: AnalyticsQuery) {
  return { from: q.from || undefined, to: q.to || undefined, bucket: q.bucket, service_type: q.service || undefined };
}

/**
 * The figures of a range. Booking events mark them stale (useLiveEvents); while a new range
 * loads, the last one stays on screen.
 */
export function useAnalytics(q: AnalyticsQuery) {
  return useQuery({
    queryKey: keys.analytics(q),
    queryFn: ({ signal }) => api<Analytics>('/admin/analytics', { query: query(q), signal }),
    placeholderData: keepPreviousData,
    // A backstop: an event that arrived while a fetch was under way does not restart it.
    refetchInterval: 30_000,
  });
}

/** The address of one table as CSV (the session cookie signs the download in). */
export function csvUrl(q: AnalyticsQuery, table: 'buckets' | 'providers'): string {
  return buildUrl('/admin/analytics', { ...query(q), format: 'csv', table });
}
