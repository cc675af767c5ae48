import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { BrowserRouter, Route, Routes } from 'react-router';
import { HomeRedirect, RequireRole } from '../features/auth';
import { Layout } from './Layout';
import { AdminBookingPage, AdminBookingsPage, AdminProviderPage, DeadJobsPage, ProvidersPage, QueuePage } from './routes/admin';
import { CustomerBookingPage, MyBookingsPage, NewBookingPage } from './routes/customer';
import { ProviderBookingPage, ProviderCalendarPage, ProviderHistoryPage, ProviderHomePage } from './routes/provider';
import { NotFoundPage, SignInPage, SignUpPage } from './routes/public';
import { ToastProvider } from '../ui/Toast';

/** Which page answers which address, and who may open it. The pages are composed in ./routes. */
export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<HomeRedirect />} />
        <Route path="signin" element={<SignInPage />} />
        <Route path="signup" element={<SignUpPage />} />
        <Route element={<RequireRole roles={['customer']} />}>
          <Route path="bookings" element={<MyBookingsPage />} />
          <Route path="bookings/new" element={<NewBookingPage />} />
          <Route path="bookings/:id" element={<CustomerBookingPage />} />
        </Route>
        <Route element={<RequireRole roles={['provider']} />}>
          <Route path="provider" element={<ProviderHomePage />} />
          <Route path="provider/bookings/:id" element={<ProviderBookingPage />} />
          <Route path="provider/history" element={<ProviderHistoryPage />} />
          <Route path="provider/calendar" element={<ProviderCalendarPage />} />
        </Route>
        <Route element={<RequireRole roles={['admin']} />}>
          <Route path="admin" element={<AdminBookingsPage />} />
          <Route path="admin/bookings/:id" element={<AdminBookingPage />} />
          <Route path="admin/jobs" element={<DeadJobsPage />} />
          <Route path="admin/providers" element={<ProvidersPage />} />
          <Route path="admin/providers/:id" element={<AdminProviderPage />} />
          <Route path="admin/queue" element={<QueuePage />} />
        </Route>
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <ToastProvider>
          <AppRoutes />
        </ToastProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
