/** The other pages of accounts: signing up, a reset link's page, and each user's own account. */
export { AccountPage, ResetPasswordPage, SignUpPage } from '../../features/auth';
