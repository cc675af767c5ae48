import type { DemoLogin } from '../../api/types';
import { TableScroll } from '../../ui/Table';
import './DemoLogins.css';

/** The demo accounts, each with a button that puts its e-mail and password in the sign-in form. */
export function DemoLogins({ logins, onPick }: { logins: DemoLogin[]; onPick: (l: DemoLogin) => void }) {
  return (
    <section className="card demo-logins" aria-labelledby="demo-title">
      <h2 id="demo-title">Demo accounts</h2>
      <p className="muted">This is a demo system. Pick an account to fill in the form, then sign in.</p>
      <TableScroll label="Table of demo accounts">
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Name</th>
              <th scope="col">E-mail</th>
              <th scope="col">Password</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {logins.map((l) => (
              <tr key={l.email}>
                <td className="demo-logins__role">
                  <span className={`role role--${l.role}`}>{l.role}</span>
                </td>
                <td className="demo-logins__name">
                  {l.name}
                  {/* Shown only on a phone, where the role column is hidden. */}
                  <span className={`role role--${l.role} demo-logins__name-role`}>{l.role}</span>
                </td>
                <td className="demo-logins__email">{l.email}</td>
                <td className="demo-logins__password">
                  <code>{l.password}</code>
                </td>
                <td className="demo-logins__action">
                  <button type="button" className="btn btn--small" onClick={() => onPick(l)} aria-label={`Use ${l.email}`}>
                    Use
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}
