import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { BrowserRouter, Link, Route, Routes } from 'react-router';
import { AdminBookingPage } from '../features/admin/AdminBookingPage';
import { AdminBookingsPage } from '../features/admin/AdminBookingsPage';
import { DeadJobsPage } from '../features/admin/DeadJobsPage';
import { ProvidersPage } from '../features/admin/ProvidersPage';
import { QueuePage } from '../features/admin/QueuePage';
import { HomeRedirect, RequireRole } from '../features/auth/RequireRole';
import { SignInPage } from '../features/auth/SignInPage';
import { SignUpPage } from '../features/auth/SignUpPage';
import { CustomerBookingPage } from '../features/bookings/CustomerBookingPage';
import { MyBookingsPage } from '../features/bookings/MyBookingsPage';
import { NewBookingPage } from '../features/bookings/NewBookingPage';
import { ProviderBookingPage } from '../features/provider/ProviderBookingPage';
import { ProviderPage } from '../features/provider/ProviderPage';
import { Layout } from './Layout';

function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at this address. <Link to="/">Go to your home page</Link>.
      </p>
    </section>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<HomeRedirect />} />
        <Route path="signin" element={<SignInPage />} />
        <Route path="signup" element={<SignUpPage />} />
        <Route path="bookings" element={<RequireRole roles={['customer']}><MyBookingsPage /></RequireRole>} />
        <Route path="bookings/new" element={<RequireRole roles={['customer']}><NewBookingPage /></RequireRole>} />
        <Route path="bookings/:id" element={<RequireRole roles={['customer']}><CustomerBookingPage /></RequireRole>} />
        <Route path="provider" element={<RequireRole roles={['provider']}><ProviderPage /></RequireRole>} />
        <Route path="provider/bookings/:id" element={<RequireRole roles={['provider']}><ProviderBookingPage /></RequireRole>} />
        <Route path="admin" element={<RequireRole roles={['admin']}><AdminBookingsPage /></RequireRole>} />
        <Route path="admin/bookings/:id" element={<RequireRole roles={['admin']}><AdminBookingPage /></RequireRole>} />
        <Route path="admin/jobs" element={<RequireRole roles={['admin']}><DeadJobsPage /></RequireRole>} />
        <Route path="admin/providers" element={<RequireRole roles={['admin']}><ProvidersPage /></RequireRole>} />
        <Route path="admin/queue" element={<RequireRole roles={['admin']}><QueuePage /></RequireRole>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App({ queryClient }: { queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </QueryClientProvider>
  );
}
