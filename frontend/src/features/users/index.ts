/** Accounts, for admins: who can sign in, disabling and enabling them, password-reset links. */
export { AddOperator } from './AddOperator';
export { UserList } from './UserList';
