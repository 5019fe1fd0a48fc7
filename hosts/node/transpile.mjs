// Transpiles the MatchKraft component to an ES module with jco.
//
//   node transpile.mjs [COMPONENT.wasm] [OUT_DIR]
//
// COMPONENT defaults to $MATCHKRAFT_COMPONENT; OUT_DIR to $MATCHKRAFT_JCO_OUT,
// else `.jco/matchkraft` beside this file (gitignored). The output imports
// `@bytecodealliance/preview2-shim`, so it must stay under this folder, where
// Node resolves that package from `node_modules`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wasm = process.argv[2] ?? process.env.MATCHKRAFT_COMPONENT;
const out = resolve(process.argv[3] ?? process.env.MATCHKRAFT_JCO_OUT ?? join(here, '.jco', 'matchkraft'));

if (!wasm) {
  console.error('usage: node transpile.mjs COMPONENT.wasm [OUT_DIR] (or set MATCHKRAFT_COMPONENT)');
  process.exit(2);
}
const jco = join(here, 'node_modules', '.bin', 'jco');
if (!existsSync(jco)) {
  console.error(`${jco} is missing: run hosts/setup.sh (or npm ci in hosts/node)`);
  process.exit(2);
}
const run = spawnSync(jco, ['transpile', wasm, '-o', out, '--quiet', '--no-typescript'], {
  stdio: 'inherit',
});
if (run.status !== 0) {
  console.error(`jco transpile failed (status ${run.status}, signal ${run.signal})`);
  process.exit(1);
}
console.log(`transpiled ${wasm} -> ${join(out, 'matchkraft_component.js')}`);
