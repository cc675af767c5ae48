import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

const APP = 'Home services';
/** How long a page may take to show its heading and still be given focus. */
const HEADING_WAIT_MS = 5000;

/**
 * What a screen reader needs from a page change in a single-page app, which the browser gives
 * only to a full load: the document's title follows the page's heading ("Booking #12 · Home
 * services"), and on moving to another page focus goes to its heading, so that the new page
 * is announced instead of focus staying on a link that is gone (or on nothing). A page that
 * puts focus somewhere itself (a form's first field) keeps it; so does the first page loaded.
 */
export function usePageHeading(main: React.RefObject<HTMLElement | null>) {
  const { pathname } = useLocation();
  const first = useRef(true);

  useEffect(() => {
    const el = main.current;
    if (!el) return;
    const update = () => {
      const heading = el.querySelector('h1')?.textContent?.trim();
      const title = heading ? `${heading} · ${APP}` : APP;
      if (document.title !== title) document.title = title;
    };
    update();
    const observer = new MutationObserver(update);
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, [main]);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const el = main.current;
    if (!el) return;
    const focusHeading = () => {
      const focused = document.activeElement;
      // The page (or the person) already chose where focus is.
      if (focused && focused !== document.body && focused !== el && el.contains(focused)) return true;
      const heading = el.querySelector<HTMLElement>('h1');
      if (!heading) return false;
      heading.tabIndex = -1;
      heading.focus();
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(el, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), HEADING_WAIT_MS);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [pathname, main]);
}
