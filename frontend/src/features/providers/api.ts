import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { keys } from '../../api/queryKeys';
import type { Calendar, CalendarBody, NewProvider, Provider, ProviderPatch, ServiceType } from '../../api/types';
import { useMe } from '../auth';

/** The services providers can offer and customers can book. */
export function useServiceTypes() {
  return useQuery({
    queryKey: keys.serviceTypes,
    queryFn: () => api<ServiceType[]>('/service-types'),
    staleTime: 10 * 60_000,
  });
}

/** Label of a service type by name, falling back to the name while the list loads. */
export function useServiceLabel(): (name: string) => string {
  const { data } = useServiceTypes();
  return (name) => data?.find((t) => t.name === name)?.label ?? name;
}

/** Providers the caller may see: every provider for an admin, just their own record for a provider. */
export function useProviders(serviceType?: string, opts: { enabled?: boolean; fresh?: boolean } = {}) {
  return useQuery({
    queryKey: keys.providerList(serviceType),
    queryFn: ({ signal }) => api<Provider[]>('/providers', { query: { service_type: serviceType }, signal }),
    enabled: opts.enabled !== false,
    // `fresh`: fetched again whenever the page opens (a rating changes no booking, so the
    // event stream does not refresh it).
    ...(opts.fresh ? { staleTime: 0 } : {}),
  });
}

/**
 * A provider's display name by id. Admins and providers can list providers; customers
 * cannot, so they see "Provider #id".
 */
export function useProviderName(): (id: number) => string {
  const me = useMe();
  const role = me.data?.role;
  const canList = role === 'admin' || role === 'viewer' || role === 'provider';
  const { data } = useProviders(undefined, { enabled: canList });
  return (id) => {
    const p = data?.find((x) => x.id === id);
    return p ? p.name : `Provider #${id}`;
  };
}

export function useUpdateProvider() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: number; patch: ProviderPatch }) =>
      api<Provider>(`/providers/${id}`, { method: 'PATCH', body: patch }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.providers }),
  });
}

export function useCreateProvider() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (p: NewProvider) => api<Provider>('/providers', { method: 'POST', body: p }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.providers }),
  });
}

/** A provider's working calendar (their own, or anyone's for an admin). */
export function useCalendar(providerId: number) {
  return useQuery({
    queryKey: keys.calendar(providerId),
    queryFn: ({ signal }) => api<Calendar>(`/providers/${providerId}/calendar`, { signal }),
    enabled: Number.isInteger(providerId) && providerId > 0,
  });
}

export function useSaveCalendar(providerId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CalendarBody) => api<Calendar>(`/providers/${providerId}/calendar`, { method: 'PUT', body }),
    onSuccess: (c) => {
      qc.setQueryData(keys.calendar(providerId), c);
      return Promise.all([qc.invalidateQueries({ queryKey: keys.providers }), qc.invalidateQueries({ queryKey: keys.availabilityAll })]);
    },
  });
}
