/**
 * Bookings: making one, lists of them for each role, a booking's page (timeline, attempts,
 * countdown), the moves on it, and an admin's assign and override panels.
 */
export { noteBookingEvent, useBookings } from './api';
export { providerNews } from './providerNews';
export { AssignPanel } from './AssignPanel';
export { BookingDetailView } from './BookingDetailView';
export { BookingForm } from './BookingForm';
export { BookingsTable } from './BookingsTable';
export { CustomerBookingList } from './CustomerBookingList';
export { OverridePanel } from './OverridePanel';
export { ProviderBookingList, ProviderHistory } from './ProviderBookingList';
export { ProviderDay } from './ProviderDay';
export { earliestMove } from './moves';
export { canReschedule, RescheduleForm } from './RescheduleForm';
export { When } from './When';
export { StatusActions } from './StatusActions';
export { StatusBadge, statusLabel } from './status';
