/** Providers and the services they offer: listing, adding, availability, names by id. */
export { useCalendar, useProviderName, useProviders, useServiceLabel, useServiceTypes } from './api';
export { CalendarEditor } from './CalendarEditor';
export { AvailabilityToggle } from './AvailabilityToggle';
export { ProviderAvailabilityCard } from './ProviderAvailabilityCard';
export { AddProvider, ProviderForm } from './ProviderForm';
export { ProviderList } from './ProviderList';
