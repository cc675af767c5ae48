/** Accounts and sessions: who is signed in, signing in, up and out, and pages by role. */
export { fetchMe, roleHome, useMe, useSignOut } from './api';
export { AccountPage } from './AccountPage';
export { ResetPasswordPage } from './ResetPasswordPage';
export { markSessionEnded, useSessionEnded } from './session';
export { SignInAgain } from './SignInAgain';
export { HomeRedirect, RequireRole } from './RequireRole';
export { SignInPage } from './SignInPage';
export { SignUpPage } from './SignUpPage';
