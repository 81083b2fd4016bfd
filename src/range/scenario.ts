/**
 * Scenario files: the JSON description of a simulated network (zones, firewall, hosts, services,
 * vulnerabilities, credentials, crown jewels) and of the agents that play on it.
 *
 * Files are checked in two passes: a zod schema for shape and types, then cross-references
 * (a host's zone exists, a service names a known vulnerability, ...). Every error is one line:
 * `<file>: <json path>: <what was expected>`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { schemaError } from '../shared/schema-errors.js';
export { jsonPath } from '../shared/schema-errors.js';

export const SCENARIO_FORMAT = 1;

/** Zone kinds. `internet` is where attackers start; the others hold hosts. */
export const ZONE_KINDS = ['internet', 'dmz', 'user', 'server', 'critical', 'other'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];

/** Host roles; each has a benign-traffic profile in telemetry.ts. */
export const ROLES = [
  'workstation',
  'admin-workstation',
  'web',
  'mail',
  'dns',
  'vpn',
  'domain-controller',
  'file',
  'app',
  'db',
  'backup',
  'jump',
  'crown-db',
  'historian',
] as const;
export type Role = (typeof ROLES)[number];

export const PRIVILEGES = ['none', 'user', 'root'] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** Ports over which stolen credentials can be used to log on (lateral movement). */
export const MANAGEMENT_PORTS: readonly number[] = [22, 3389, 445, 5985];

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'an id of letters, digits, _ . : -');
const prob = z.number().min(0).max(1);
const seconds = z.number().positive();

const zoneSchema = z.strictObject({
  id,
  kind: z.enum(ZONE_KINDS),
  description: z.string().optional(),
});

const firewallSchema = z.strictObject({
  from: id,
  to: id,
  ports: z.union([z.literal('any'), z.array(z.number().int().min(0).max(65535)).min(1)]),
  description: z.string().optional(),
});

const vulnSchema = z.strictObject({
  id,
  service: z.string().min(1).describe('service name the vulnerability lives on, or "os" for local ones'),
  kind: z.enum(['remote', 'local']),
  success: prob,
  requires: z.enum(['none', 'user']),
  grants: z.enum(['user', 'root']),
  duration: seconds,
  noise: prob,
  description: z.string().optional(),
});

const serviceSchema = z.strictObject({
  name: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  vulns: z.array(id).default([]),
});

const hostSchema = z.strictObject({
  id,
  zone: id,
  role: z.enum(ROLES),
  os: z.enum(['linux', 'windows']),
  services: z.array(serviceSchema),
  localVulns: z.array(id).default([]),
  credentials: z.array(id).default([]).describe('credentials cached on this host (harvested with root)'),
  value: z.number().min(0),
  crownJewel: z.boolean().default(false),
});

const credentialSchema = z.strictObject({
  id,
  privilege: z.enum(['user', 'root']),
  validOn: z.array(id).min(1),
});

/** Kill-chain stages an attacker may be limited to (a scenario's attack mix). */
export const ATTACK_STAGES = ['recon', 'exploit', 'privesc', 'lateral', 'exfiltration'] as const;
export type AttackStage = (typeof ATTACK_STAGES)[number];

const attackerSpecSchema = z.strictObject({
  id,
  stealth: prob.default(0).describe('0 = loud, 1 = quietest; scales the telemetry of its actions'),
  stages: z
    .array(z.enum(ATTACK_STAGES))
    .min(1)
    .default([...ATTACK_STAGES])
    .describe('the kill-chain stages this attacker may act in (e.g. ["recon", "exploit"]: single-stage attacks: scans and exploitation of exposed services)'),
  startAfter: z.number().min(0).default(0).describe('simulated seconds before the attacker starts (campaigns one after the other)'),
});

const defenderSpecSchema = z.strictObject({
  id,
  zones: z.array(id).min(1),
});

/**
 * Weights of the defender return (every episode's score of the defence, see README "Defender return"):
 *   return = -(damage + exfiltration loss + business cost)
 * damage: host value x seconds of attacker control of a live foothold; business cost: isolation, block
 * and downtime of hosts without a foothold (healthy hosts), plus one-off costs of responses. Units are
 * arbitrary but shared: one unit is about what 100 s of control over a value-1 host costs. The defaults
 * express an ordering, not a fit: losing a crown jewel outweighs minutes of control of the whole network,
 * and a needlessly isolated host costs about as much as an attacker holding a host of the same value.
 */
export const DEFENDER_RETURN_DEFAULTS = {
  /** Per second of attacker control of a live foothold, times the host's value. */
  damagePerValueSecond: 0.01,
  /** Per exfiltrated crown jewel, times its value (a breach outweighs control time). */
  exfiltrationLossPerValue: 5,
  /** Per second a healthy host is isolated, times its business weight 1 + ln(1 + value). */
  isolationPerWeightSecond: 0.01,
  /** Per second a healthy host is blocked from other zones (it still serves its own zone). */
  blockPerWeightSecond: 0.003,
  /** Per second a healthy host is offline (reimaging, a patch's restart), times its business weight. */
  downtimePerWeightSecond: 0.01,
  /** One-off: rebuilding a host, times its business weight. */
  reimagePerWeight: 2,
  /** One-off: per rotated credential (users re-enrol, services are reconfigured). */
  resetPerCredential: 0.5,
  /** One-off: killing a process (an analyst's minutes). */
  killProcess: 0.05,
  /** One-off: a perimeter block (a change, and the risk of blocking a partner). */
  blockSource: 0.1,
  /** One-off: a patch (change window, testing), times the host's business weight. */
  patchPerWeight: 1,
} as const;
export type DefenderReturnWeights = { -readonly [K in keyof typeof DEFENDER_RETURN_DEFAULTS]: number };

const weight = z.number().min(0);
const defenderReturnSchema = z
  .strictObject(Object.fromEntries(Object.entries(DEFENDER_RETURN_DEFAULTS).map(([k, v]) => [k, weight.default(v)])) as { [K in keyof DefenderReturnWeights]: z.ZodDefault<z.ZodNumber> })
  .default({ ...DEFENDER_RETURN_DEFAULTS });

export const scenarioSchema = z.strictObject({
  format: z.literal(SCENARIO_FORMAT),
  name: id,
  description: z.string().default(''),
  generator: z
    .strictObject({ hosts: z.number().int().positive(), seed: z.number().int() })
    .optional()
    .describe('set when the file was made by `cyrange envs generate`'),
  time: z
    .strictObject({
      limit: seconds.default(900).describe('episode truncation, simulated seconds'),
      window: z.number().min(0.1).max(60).default(1).describe('telemetry window, seconds'),
    })
    .default({ limit: 900, window: 1 }),
  defenderReturn: defenderReturnSchema.describe('weights of the defender return (defaults: DEFENDER_RETURN_DEFAULTS)'),
  zones: z.array(zoneSchema).min(2),
  firewall: z.array(firewallSchema),
  vulnerabilities: z.array(vulnSchema),
  hosts: z.array(hostSchema).min(1),
  credentials: z.array(credentialSchema).default([]),
  attackers: z.array(attackerSpecSchema).min(1),
  defenders: z.array(defenderSpecSchema).default([]),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ZoneSpec = Scenario['zones'][number];
export type HostSpec = Scenario['hosts'][number];
export type VulnSpec = Scenario['vulnerabilities'][number];
export type CredentialSpec = Scenario['credentials'][number];

/** Validate a parsed JSON value as a scenario; `source` names the file in errors. */
export function parseScenario(value: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(value);
  if (!r.success) throw schemaError(source, r.error);
  checkReferences(r.data, source);
  return r.data;
}

/** Read and validate a scenario file. */
export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CyrangeError(`${file}: cannot read the file (${code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CyrangeError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseScenario(json, file);
}

function checkReferences(s: Scenario, source: string): void {
  const fail = (path: string, msg: string): never => {
    throw new CyrangeError(`${source}: ${path}: ${msg}`);
  };
  const unique = (ids: string[], what: string): Set<string> => {
    const seen = new Set<string>();
    ids.forEach((x, i) => {
      if (seen.has(x)) fail(`${what}[${i}].id`, `duplicate id "${x}"`);
      seen.add(x);
    });
    return seen;
  };
  const zones = unique(s.zones.map((z) => z.id), 'zones');
  const vulns = new Map(s.vulnerabilities.map((v) => [v.id, v]));
  unique(s.vulnerabilities.map((v) => v.id), 'vulnerabilities');
  const hosts = unique(s.hosts.map((h) => h.id), 'hosts');
  const creds = unique(s.credentials.map((c) => c.id), 'credentials');
  unique(s.attackers.map((a) => a.id), 'attackers');
  unique(s.defenders.map((d) => d.id), 'defenders');
  for (const a of s.attackers) if (hosts.has(a.id)) fail('attackers', `agent id "${a.id}" is also a host id`);

  const kinds = s.zones.map((z) => z.kind);
  if (!kinds.includes('internet')) fail('zones', 'expected a zone of kind "internet" (where attackers start)');
  const internetIds = new Set(s.zones.filter((z) => z.kind === 'internet').map((z) => z.id));
  const known = (set: Set<string>, what: string, path: string, v: string): void => {
    if (!set.has(v)) fail(path, `unknown ${what} "${v}" (known: ${[...set].slice(0, 8).join(', ')}${set.size > 8 ? ', ...' : ''})`);
  };
  s.firewall.forEach((r, i) => {
    known(zones, 'zone', `firewall[${i}].from`, r.from);
    known(zones, 'zone', `firewall[${i}].to`, r.to);
  });
  let crown = 0;
  s.hosts.forEach((h, i) => {
    known(zones, 'zone', `hosts[${i}].zone`, h.zone);
    if (internetIds.has(h.zone)) fail(`hosts[${i}].zone`, 'hosts cannot live in the internet zone');
    const ports = new Set<number>();
    h.services.forEach((svc, j) => {
      if (ports.has(svc.port)) fail(`hosts[${i}].services[${j}].port`, `port ${svc.port} used twice on host "${h.id}"`);
      ports.add(svc.port);
      svc.vulns.forEach((v, k) => {
        const path = `hosts[${i}].services[${j}].vulns[${k}]`;
        const vuln = vulns.get(v);
        if (!vuln) return known(new Set(vulns.keys()), 'vulnerability', path, v);
        if (vuln.kind !== 'remote') fail(path, `vulnerability "${v}" is local; list it in localVulns`);
        if (vuln.service !== svc.name) fail(path, `vulnerability "${v}" is for service "${vuln.service}", not "${svc.name}"`);
      });
    });
    h.localVulns.forEach((v, k) => {
      const path = `hosts[${i}].localVulns[${k}]`;
      const vuln = vulns.get(v);
      if (!vuln) return known(new Set(vulns.keys()), 'vulnerability', path, v);
      if (vuln.kind !== 'local') fail(path, `vulnerability "${v}" is remote; list it on a service`);
    });
    h.credentials.forEach((c, k) => known(creds, 'credential', `hosts[${i}].credentials[${k}]`, c));
    if (h.crownJewel) crown++;
  });
  if (crown === 0) fail('hosts', 'expected at least one host with "crownJewel": true');
  s.credentials.forEach((c, i) => c.validOn.forEach((h, k) => known(hosts, 'host', `credentials[${i}].validOn[${k}]`, h)));
  s.defenders.forEach((d, i) =>
    d.zones.forEach((z, k) => {
      known(zones, 'zone', `defenders[${i}].zones[${k}]`, z);
      if (internetIds.has(z)) fail(`defenders[${i}].zones[${k}]`, 'a defender cannot watch the internet zone');
    }),
  );
  if (s.time.limit < s.time.window) fail('time.limit', 'must be at least one telemetry window');
  if (Math.abs(Math.round(s.time.window * 10) - s.time.window * 10) > 1e-9) fail('time.window', 'must be a multiple of 0.1 s');
}
