// Lint rules: ESLint's and typescript-eslint's recommended sets, the rules of hooks, and the
// boundaries between the layers of src/ (see README.md, "Layout").
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Importing a feature's files from outside it: only its index (`features/bookings`) is public. */
const featureInternals = {
  regex: '(^|/)features/[^/]+/',
  message: "Import a feature through its index ('…/features/<name>'), not its files.",
};
/** From inside a feature, a sibling feature's files (`../providers/api`). */
const siblingInternals = {
  regex: '^\\.\\./[^./][^/]*/',
  message: "Import another feature through its index ('../<name>'), not its files.",
};
const anyFeature = {
  regex: '(^|/)features(/|$)',
  message: 'The shared layers (api, ui, live) know no feature: pass what they need in from the app.',
};
const theApp = {
  regex: '(^|/)app(/|$)',
  message: 'Only the app composes features into pages; nothing imports the app.',
};

export default defineConfig([
  globalIgnores(['dist', 'node_modules', 'e2e/artifacts']),
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat.recommended],
    languageOptions: { globals: globals.browser },
  },
  // The layers: app -> features -> (api, ui); live -> (api). Each list replaces the one before
  // for its files, so the globs do not overlap.
  {
    files: ['src/app/**', 'src/main.tsx', 'src/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [featureInternals] }] },
  },
  {
    files: ['src/features/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [featureInternals, siblingInternals, theApp] }] },
  },
  {
    files: ['src/api/**', 'src/ui/**', 'src/live/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [anyFeature, theApp] }] },
  },
  {
    files: ['e2e/**/*.mjs', '*.config.{js,ts}'],
    extends: [js.configs.recommended],
    // The end-to-end tests run in Node and hand functions to the page, which run in the browser.
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['vite.config.ts'],
    extends: [tseslint.configs.recommended],
  },
]);
