/** The pages anyone can open (signing in and up, a reset link's page, the page for an address that has none), and each user's account. */
import { Link } from 'react-router';

export { AccountPage, ResetPasswordPage, SignInPage, SignUpPage } from '../../features/auth';

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at this address. <Link to="/">Go to your home page</Link>.
      </p>
    </section>
  );
}
