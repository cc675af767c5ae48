import type { DemoLogin } from '../../api/types';

/** The demo accounts, each with a button that puts its e-mail and password in the sign-in form. */
export function DemoLogins({ logins, onPick }: { logins: DemoLogin[]; onPick: (l: DemoLogin) => void }) {
  return (
    <section className="card" aria-labelledby="demo-title">
      <h2 id="demo-title">Demo accounts</h2>
      <p className="muted">This is a demo system. Pick an account to fill in the form, then sign in.</p>
      <div className="table-wrap">
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
                <td>
                  <span className={`role role--${l.role}`}>{l.role}</span>
                </td>
                <td>{l.name}</td>
                <td>{l.email}</td>
                <td>
                  <code>{l.password}</code>
                </td>
                <td>
                  <button type="button" className="btn btn--small" onClick={() => onPick(l)} aria-label={`Use ${l.email}`}>
                    Use
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
