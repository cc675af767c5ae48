/** Providers and the services they offer: listing, adding, availability, names by id. */
export { useProviderName, useProviders, useServiceLabel, useServiceTypes } from './api';
export { AvailabilityToggle } from './AvailabilityToggle';
export { ProviderAvailabilityCard } from './ProviderAvailabilityCard';
export { AddProvider, ProviderForm } from './ProviderForm';
export { ProviderList } from './ProviderList';
