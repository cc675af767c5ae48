import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLayoutEffect, useRef, useState } from 'react';
import { Link, MemoryRouter, Outlet, Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { usePageHeading } from './pageHeading';

function Frame() {
  const main = useRef<HTMLElement>(null);
  usePageHeading(main);
  return (
    <>
      <nav>
        <Link to="/one">One</Link>
        <Link to="/slow">Slow</Link>
        <Link to="/form">Form</Link>
      </nav>
      <main ref={main}>
        <Outlet />
      </main>
    </>
  );
}

/** A page whose heading comes once its data has. */
function Slow() {
  const [loaded, setLoaded] = useState(false);
  return loaded ? (
    <h1>Booking #12</h1>
  ) : (
    <button type="button" onClick={() => setLoaded(true)}>
      Data arrives
    </button>
  );
}

/** A page that focuses its first field as it opens, as the app's forms do. */
function Form() {
  const field = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => field.current?.focus(), []);
  return (
    <>
      <h1>Book a service</h1>
      <input aria-label="Address" ref={field} />
    </>
  );
}

function app() {
  return render(
    <MemoryRouter initialEntries={['/']}>
      <Routes>
        <Route element={<Frame />}>
          <Route path="/" element={<h1>My bookings</h1>} />
          <Route path="/one" element={<h1>Jobs</h1>} />
          <Route path="/slow" element={<Slow />} />
          <Route path="/form" element={<Form />} />
        </Route>
      </Routes>
    </MemoryRouter>,
  );
}

describe('a change of page', () => {
  it("is titled by the page's heading, and puts focus on it, unless the page put focus elsewhere", async () => {
    const user = userEvent.setup();
    app();
    expect(document.title).toBe('My bookings · Home services');
    // The first page loaded keeps focus where the browser has it.
    expect(document.body).toHaveFocus();

    await user.click(screen.getByRole('link', { name: 'One' }));
    expect(document.title).toBe('Jobs · Home services');
    expect(screen.getByRole('heading', { name: 'Jobs' })).toHaveFocus();

    // A heading that comes with the page's data gets focus when it comes.
    await user.click(screen.getByRole('link', { name: 'Slow' }));
    expect(document.title).toBe('Home services');
    screen.getByRole('button', { name: 'Data arrives' }).click();
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Booking #12' })).toHaveFocus());
    expect(document.title).toBe('Booking #12 · Home services');

    await user.click(screen.getByRole('link', { name: 'Form' }));
    expect(screen.getByLabelText('Address')).toHaveFocus();
    expect(document.title).toBe('Book a service · Home services');
  });
});
