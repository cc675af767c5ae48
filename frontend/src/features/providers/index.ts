/** Providers and the services they offer: listing, adding, availability, names by id. */
export { useCalendar, useProviderName, useProviders, useServiceLabel, useServiceTypes } from './api';
export { CalendarEditor } from './CalendarEditor';
export { AvailabilityToggle } from './AvailabilityToggle';
export { ProviderAvailabilityCard } from './ProviderAvailabilityCard';
export { AddProvider, ProviderForm } from './ProviderForm';
export { ProviderActivation, ProviderEditor } from './ProviderEditor';
export { CalendarSummary } from './CalendarSummary';
export { InactiveBadge, ProviderList } from './ProviderList';
export { nameProviders } from './names';
