import { readFileSync } from 'node:fs';
// Accessibility and layout checks run inside a real page: axe-core's rules, the heading
// outline, and whether the page scrolls sideways.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core');

/** Impacts that fail a test. axe's `moderate` and `minor` findings are printed, not failed. */
const FAILING_IMPACTS = new Set(['serious', 'critical']);

/** Runs axe on the page as it is; resolves to { failing, other }, each a list of violations. */
export async function runAxe(page) {
  // Evaluated through the DevTools protocol, not added as a script tag: the pages' Content
  // Security Policy allows no inline script, and the test must not weaken it.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(readFileSync(AXE_PATH, 'utf8'));
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const failing = result.violations.filter((v) => FAILING_IMPACTS.has(v.impact));
  const other = result.violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
  return { failing, other };
}

/** One violation, readably: rule, impact, what it means, and each element with what is wrong. */
export function formatViolation(v) {
  const nodes = v.nodes
    .slice(0, 5)
    .map(
      (n) =>
        `    at ${n.target.join(' ')}\n      ${n.html.replace(/\s+/g, ' ').slice(0, 200)}\n      ${(n.failureSummary ?? '').replace(/\n\s*/g, '; ')}`,
    )
    .join('\n');
  const more = v.nodes.length > 5 ? `\n    …and ${v.nodes.length - 5} more` : '';
  return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}${more}`;
}

/**
 * The visible headings in document order as [level, text], and what is wrong with them: not
 * exactly one h1, or a level skipped on the way down (h1 then h3).
 */
export async function headingProblems(page) {
  const headings = await page.evaluate(() =>
    [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
      .filter((h) => h.getClientRects().length > 0)
      .map((h) => [Number(h.tagName[1]), h.textContent.trim()]),
  );
  const problems = [];
  const h1s = headings.filter(([level]) => level === 1);
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements (${h1s.map(([, t]) => `"${t}"`).join(', ') || 'none'}), not one`);
  let previous = 0;
  for (const [level, text] of headings) {
    if (level > previous + 1) problems.push(`h${level} "${text}" follows h${previous || '(none)'}: a level is skipped`);
    previous = level;
  }
  return { headings, problems };
}

/** How far the page scrolls sideways, in CSS pixels (0 when it fits the viewport). */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => {
    const overflow = document.documentElement.scrollWidth - window.innerWidth;
    if (overflow <= 0) return { overflow: 0, culprits: [] };
    // The elements that reach past the right edge, outermost first, to say what to fix.
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`,
      );
    return { overflow, culprits };
  });
}
