/** Accounts and sessions: who is signed in, signing in, up and out, and pages by role. */
export { fetchMe, OPERATOR_ROLES, roleHome, useCanAct, useMe, useSignOut } from './api';
export { AccountPage } from './AccountPage';
export { MIN_PASSWORD } from './password';
export { ResetPasswordPage } from './ResetPasswordPage';
export { markSessionEnded, useSessionEnded } from './session';
export { SignInAgain } from './SignInAgain';
export { HomeRedirect, RequireRole } from './RequireRole';
export { SignInPage } from './SignInPage';
export { SignUpPage } from './SignUpPage';
