// Fails when src/api/schema.d.ts is not what `npm run types` makes from the API's
// committed document (../api/openapi.json, itself checked against the Rust code by
// api/tests/openapi.rs): the frontend's types are the API's.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'src', 'api', 'schema.d.ts');
// Inside the project, so that prettier finds the project's configuration.
const fresh = path.join(root, 'src', 'api', `.schema-check-${process.pid}.d.ts`);
try {
  const bin = (name) => path.join(root, 'node_modules', '.bin', name);
  execFileSync(bin('openapi-typescript'), ['../api/openapi.json', '--default-non-nullable', 'false', '--output', fresh], {
    cwd: root,
    stdio: 'pipe',
  });
  execFileSync(bin('prettier'), ['--write', fresh], { cwd: root, stdio: 'pipe' });
  if (readFileSync(fresh, 'utf8') !== readFileSync(target, 'utf8')) {
    console.error('src/api/schema.d.ts differs from ../api/openapi.json; run `npm run types` in frontend/ and commit it');
    process.exitCode = 1;
  } else {
    console.log('src/api/schema.d.ts matches ../api/openapi.json');
  }
} finally {
  rmSync(fresh, { force: true });
}
