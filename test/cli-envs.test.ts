import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'cyrange-cli-'));
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('cyrange envs', () => {
  it('lists and shows the presets', () => {
    const l = run('envs', 'list');
    expect(l.status).toBe(0);
    for (const n of ['small', 'medium', 'large']) expect(l.stdout).toContain(n);
    const s = run('envs', 'show', 'medium');
    expect(s.status).toBe(0);
    expect(s.stdout).toMatch(/medium: 120 hosts/);
    expect(s.stdout).toMatch(/crown jewels: /);
    expect(JSON.parse(run('envs', 'show', 'small', '--json').stdout).hosts).toHaveLength(50);
  });

  it('generates a seeded network, validates it, and never overwrites without --force', () => {
    const out = join(tmp, 'net.json');
    expect(run('envs', 'generate', '--hosts', '300', '--seed', '7', '--out', out).status).toBe(0);
    const first = readFileSync(out, 'utf8');
    const again = run('envs', 'generate', '--hosts', '300', '--seed', '8', '--out', out);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already exists \(use --force/);
    expect(readFileSync(out, 'utf8')).toBe(first);
    expect(run('envs', 'generate', '--hosts', '300', '--seed', '7', '--out', out, '--force').status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(first);
    const v = run('envs', 'validate', out, new URL('../envs/large.json', import.meta.url).pathname);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/ok .*net\.json \(300 hosts\)/);
  });

  it('a bad scenario file prints one clear line and exits non-zero', () => {
    const bad = join(tmp, 'bad.json');
    const s = JSON.parse(readFileSync(new URL('../envs/small.json', import.meta.url), 'utf8'));
    s.hosts[4].zone = 'mars';
    writeFileSync(bad, JSON.stringify(s));
    const v = run('envs', 'validate', bad);
    expect(v.status).toBe(1);
    expect(v.stderr.trim().split('\n')).toHaveLength(1);
    expect(v.stderr).toMatch(/bad\.json: hosts\[4\]\.zone: unknown zone "mars"/);
    const flag = run('envs', 'generate', '--hosts', 'many', '--out', join(tmp, 'x.json'));
    expect(flag.status).not.toBe(0);
    expect(flag.stderr).toMatch(/--hosts must be a whole number/);
    const missing = run('envs', 'show', 'nowhere');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/unknown scenario/);
  });
});
