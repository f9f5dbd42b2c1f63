#!/usr/bin/env node
// `npm run mutate -- progress record`: one Stryker run per named group (all groups when
// none is named), one after another, each with its own report in reports/mutation/.
import { spawnSync } from 'node:child_process';
import { groups } from '../stryker.config.mjs';

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in groups));
if (unknown.length > 0) {
  console.error(`unknown mutation group: ${unknown.join(', ')}; one of: ${Object.keys(groups).join(', ')}`);
  process.exit(2);
}
let status = 0;
for (const name of names.length > 0 ? names : Object.keys(groups)) {
  console.log(`== mutation group ${name}: ${groups[name].mutate.join(', ')}`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATE_GROUP: name },
  });
  if (run.status !== 0) status = run.status ?? 1;
}
process.exit(status);
