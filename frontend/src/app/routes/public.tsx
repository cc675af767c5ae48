/** The pages of the first load: signing in, and the page for an address that has none. */
import { Link } from 'react-router';

export { SignInPage } from '../../features/auth';

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
