/** The admin's dashboard: bookings over time by status, waits, rates, demand and providers, with CSV. */
export { Dashboard } from './Dashboard';
