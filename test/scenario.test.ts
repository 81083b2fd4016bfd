import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioFile, parseScenario } from '../src/range/scenario.js';
import { generateScenario } from '../src/range/generate.js';
import { loadScenario, scenarioPath } from '../src/range/presets.js';
import { CyrangeError } from '../src/shared/errors.js';
import { Network } from '../src/range/network.js';

const dir = mkdtempSync(join(tmpdir(), 'cyrange-scn-'));
const small = JSON.parse(readFileSync(scenarioPath('small'), 'utf8')) as Record<string, unknown> & { hosts: Record<string, unknown>[] };

function errorOf(mutate: (s: typeof small) => void): string {
  const s = structuredClone(small);
  mutate(s);
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify(s));
  try {
    loadScenarioFile(f);
  } catch (e) {
    expect(e).toBeInstanceOf(CyrangeError);
    const m = (e as Error).message;
    expect(m.split('\n')).toHaveLength(1);
    expect(m.startsWith(`${f}: `)).toBe(true);
    return m;
  }
  throw new Error('expected an error');
}

describe('scenario files', () => {
  it('presets load with the reference sizes and zones', () => {
    for (const [name, n] of [['small', 50], ['medium', 120], ['large', 200]] as const) {
      const s = loadScenario(name);
      expect(s.hosts).toHaveLength(n);
      expect(s.zones.map((z) => z.kind)).toEqual(['internet', 'dmz', 'user', 'server', 'critical']);
      expect(s.hosts.some((h) => h.crownJewel && h.zone === 'critical')).toBe(true);
    }
  });

  it('the generator is seeded and scales to 5,000 hosts', () => {
    expect(JSON.stringify(generateScenario({ hosts: 300, seed: 4 }))).toBe(JSON.stringify(generateScenario({ hosts: 300, seed: 4 })));
    expect(JSON.stringify(generateScenario({ hosts: 300, seed: 4 }))).not.toBe(JSON.stringify(generateScenario({ hosts: 300, seed: 5 })));
    const big = generateScenario({ hosts: 5000, seed: 1 });
    expect(big.hosts).toHaveLength(5000);
    expect(new Network(big).nHosts).toBe(5000);
    expect(() => generateScenario({ hosts: 5, seed: 1 })).toThrow(RangeError);
  });

  it('malformed files give one line naming the file, the JSON path and what was expected', () => {
    expect(errorOf((s) => { (s.hosts[3] as { zone: string }).zone = 'nowhere'; })).toMatch(/hosts\[3\]\.zone: unknown zone "nowhere"/);
    expect(errorOf((s) => { (s.hosts[0] as { role: string }).role = 'toaster'; })).toMatch(/hosts\[0\]\.role: expected one of "workstation"/);
    expect(errorOf((s) => { (s.hosts[1] as { value: unknown }).value = 'high'; })).toMatch(/hosts\[1\]\.value: expected number, received string/);
    expect(errorOf((s) => { delete (s as Record<string, unknown>).zones; })).toMatch(/zones: expected array/);
    expect(errorOf((s) => { (s as Record<string, unknown>).colour = 'red'; })).toMatch(/\(root\): unknown field\(s\) "colour"/);
    expect(errorOf((s) => { (s.hosts[2] as { id: string }).id = (s.hosts[1] as { id: string }).id; })).toMatch(/hosts\[2\]\.id: duplicate id/);
    expect(errorOf((s) => { for (const h of s.hosts) (h as { crownJewel: boolean }).crownJewel = false; })).toMatch(/hosts: expected at least one host with "crownJewel": true/);
    expect(errorOf((s) => { (s as { format: number }).format = 2; })).toMatch(/format: expected 1/);
    expect(errorOf((s) => { ((s.hosts[0] as { services: { vulns: string[] }[] }).services[0]!).vulns = ['linux-kernel-lpe']; })).toMatch(/services\[0\]\.vulns\[0\]: vulnerability "linux-kernel-lpe" is local/);
  });

  it('unreadable and non-JSON files are reported', () => {
    expect(() => loadScenarioFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the file \(ENOENT\)/);
    const f = join(dir, 'broken.json');
    writeFileSync(f, '{"format": 1,');
    expect(() => loadScenarioFile(f)).toThrow(/broken\.json: not valid JSON/);
    expect(() => parseScenario(42, 'inline')).toThrow(/inline: \(root\): expected object/);
    expect(() => loadScenario('nosuchpreset')).toThrow(/--env nosuchpreset: unknown scenario \(known: .*small/);
  });
});
