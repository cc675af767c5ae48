import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { lazy, type ComponentType } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { HomeRedirect, OPERATOR_ROLES, RequireRole } from '../features/auth';
import { Layout } from './Layout';
import { NotFoundPage, SignInPage } from './routes/public';
import { ToastProvider } from '../ui/Toast';

/**
 * A page loaded when first visited: each role's pages are a script of their own, so the
 * sign-in page (the first load, often on a phone) carries only itself. The features are
 * free of side effects but their stylesheets (package.json's `sideEffects`), so a page's
 * code and styles go with the script that uses them, not with the first.
 */
function page<M>(load: () => Promise<M>, pick: (m: M) => ComponentType): ComponentType {
  return lazy(() => load().then((m) => ({ default: pick(m) })));
}
const account = () => import('./routes/account');
const admin = () => import('./routes/admin');
const customer = () => import('./routes/customer');
const provider = () => import('./routes/provider');
const SignUpPage = page(account, (m) => m.SignUpPage);
const ResetPasswordPage = page(account, (m) => m.ResetPasswordPage);
const AccountPage = page(account, (m) => m.AccountPage);
const AdminBookingsPage = page(admin, (m) => m.AdminBookingsPage);
const AdminBookingPage = page(admin, (m) => m.AdminBookingPage);
const JobsPage = page(admin, (m) => m.JobsPage);
const AdminJobPage = page(admin, (m) => m.AdminJobPage);
const AuditPage = page(admin, (m) => m.AuditPage);
const ProvidersPage = page(admin, (m) => m.ProvidersPage);
const AdminProviderPage = page(admin, (m) => m.AdminProviderPage);
const QueuePage = page(admin, (m) => m.QueuePage);
const AdminUsersPage = page(admin, (m) => m.AdminUsersPage);
const AnalyticsPage = page(admin, (m) => m.AnalyticsPage);
const MyBookingsPage = page(customer, (m) => m.MyBookingsPage);
const NewBookingPage = page(customer, (m) => m.NewBookingPage);
const CustomerBookingPage = page(customer, (m) => m.CustomerBookingPage);
const ProviderHomePage = page(provider, (m) => m.ProviderHomePage);
const ProviderBookingPage = page(provider, (m) => m.ProviderBookingPage);
const ProviderHistoryPage = page(provider, (m) => m.ProviderHistoryPage);
const ProviderCalendarPage = page(provider, (m) => m.ProviderCalendarPage);
const ProviderReviewsPage = page(provider, (m) => m.ProviderReviewsPage);

/** Which page answers which address, and who may open it. The pages are composed in ./routes. */
export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<HomeRedirect />} />
        <Route path="signin" element={<SignInPage />} />
        <Route path="signup" element={<SignUpPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route element={<RequireRole roles={['customer', 'provider', ...OPERATOR_ROLES]} />}>
          <Route path="account" element={<AccountPage />} />
        </Route>
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
          <Route path="provider/reviews" element={<ProviderReviewsPage />} />
        </Route>
        {/* The console: admins act, viewers only look (the pages show them no control that acts). */}
        <Route element={<RequireRole roles={OPERATOR_ROLES} />}>
          <Route path="admin" element={<AdminBookingsPage />} />
          <Route path="admin/bookings/:id" element={<AdminBookingPage />} />
          <Route path="admin/jobs" element={<JobsPage />} />
          <Route path="admin/jobs/:id" element={<AdminJobPage />} />
          <Route path="admin/providers" element={<ProvidersPage />} />
          <Route path="admin/providers/:id" element={<AdminProviderPage />} />
          <Route path="admin/queue" element={<QueuePage />} />
          <Route path="admin/audit" element={<AuditPage />} />
          <Route path="admin/analytics" element={<AnalyticsPage />} />
        </Route>
        <Route element={<RequireRole roles={['admin']} />}>
          <Route path="admin/users" element={<AdminUsersPage />} />
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
