/** Accounts and sessions: who is signed in, signing in, up and out, and pages by role. */
export { roleHome, useMe, useSignOut } from './api';
export { HomeRedirect, RequireRole } from './RequireRole';
export { SignInPage } from './SignInPage';
export { SignUpPage } from './SignUpPage';
