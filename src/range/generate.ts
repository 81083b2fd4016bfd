/**
 * Seeded scenario generator: a segmented enterprise network of any size (tested up to 5,000 hosts).
 *
 * Layout (shares chosen to resemble a mid-size enterprise; the same for every size, so results at
 * different sizes differ by scale only):
 *   internet -> DMZ (web, mail, dns, vpn; ~8 %) -> servers (DC, file, app, db, backup, jump; ~20 %)
 *   user LAN (workstations, ~10 % admin workstations; the rest) and a critical zone (~6 %) holding the
 *   crown-jewel databases, reachable only from the server zone.
 * Every generated network contains at least one complete attack path from the internet to a crown jewel
 * (a "planted path"); the other vulnerabilities and cached credentials are sampled.
 */
import { Rng } from '../shared/prng.js';
import { SCENARIO_FORMAT, type HostSpec, type Role, type Scenario, type ScenarioInput, parseScenario } from './scenario.js';

export interface GenerateOptions {
  hosts: number;
  seed: number;
  name?: string;
  attackers?: number;
  timeLimit?: number;
}

/** The vulnerability catalogue shared by every generated network (CVE-like, not real CVEs). */
export const VULN_CATALOGUE: Scenario['vulnerabilities'] = [
  { id: 'web-rce', service: 'http', kind: 'remote', success: 0.6, requires: 'none', grants: 'user', duration: 4, noise: 0.5, description: 'template injection in a web app' },
  { id: 'web-sqli', service: 'https', kind: 'remote', success: 0.5, requires: 'none', grants: 'user', duration: 6, noise: 0.4, description: 'SQL injection to command execution' },
  { id: 'smtp-overflow', service: 'smtp', kind: 'remote', success: 0.35, requires: 'none', grants: 'root', duration: 5, noise: 0.7, description: 'mail daemon buffer overflow' },
  { id: 'dns-cache-rce', service: 'dns', kind: 'remote', success: 0.3, requires: 'none', grants: 'root', duration: 5, noise: 0.6, description: 'resolver memory corruption' },
  { id: 'ssh-weak-password', service: 'ssh', kind: 'remote', success: 0.3, requires: 'none', grants: 'user', duration: 12, noise: 0.9, description: 'password guessing (many failed logons)' },
  { id: 'smb-rce', service: 'smb', kind: 'remote', success: 0.7, requires: 'none', grants: 'root', duration: 3, noise: 0.8, description: 'SMBv1 remote code execution' },
  { id: 'rdp-rce', service: 'rdp', kind: 'remote', success: 0.4, requires: 'none', grants: 'root', duration: 6, noise: 0.7, description: 'pre-auth RDP heap corruption' },
  { id: 'mssql-xp', service: 'mssql', kind: 'remote', success: 0.55, requires: 'none', grants: 'user', duration: 4, noise: 0.5, description: 'default sa password, xp_cmdshell' },
  { id: 'mysql-auth', service: 'mysql', kind: 'remote', success: 0.45, requires: 'none', grants: 'user', duration: 4, noise: 0.5, description: 'authentication bypass' },
  { id: 'ldap-null-bind', service: 'ldap', kind: 'remote', success: 0.3, requires: 'none', grants: 'user', duration: 3, noise: 0.3, description: 'anonymous bind with writable attributes' },
  { id: 'winrm-ntlm-relay', service: 'winrm', kind: 'remote', success: 0.35, requires: 'none', grants: 'root', duration: 5, noise: 0.6, description: 'NTLM relay to WinRM' },
  { id: 'linux-kernel-lpe', service: 'os', kind: 'local', success: 0.6, requires: 'user', grants: 'root', duration: 3, noise: 0.3, description: 'kernel use-after-free' },
  { id: 'sudo-misconfig', service: 'os', kind: 'local', success: 0.85, requires: 'user', grants: 'root', duration: 1, noise: 0.2, description: 'sudo rule allowing a shell' },
  { id: 'win-print-lpe', service: 'os', kind: 'local', success: 0.7, requires: 'user', grants: 'root', duration: 2, noise: 0.4, description: 'print spooler privilege escalation' },
  { id: 'win-token-lpe', service: 'os', kind: 'local', success: 0.5, requires: 'user', grants: 'root', duration: 3, noise: 0.5, description: 'token impersonation' },
];

const PORTS: Record<string, number> = {
  ssh: 22, smtp: 25, dns: 53, http: 80, ldap: 389, https: 443, smb: 445, mssql: 1433, mysql: 3306, rdp: 3389, winrm: 5985,
};

/** Remote vulnerabilities per service, and the chance a host running the service has each. */
const SERVICE_VULNS: Record<string, [string, number][]> = {
  http: [['web-rce', 0.35]],
  https: [['web-sqli', 0.3]],
  smtp: [['smtp-overflow', 0.5]],
  dns: [['dns-cache-rce', 0.3]],
  ssh: [['ssh-weak-password', 0.12]],
  smb: [['smb-rce', 0.08]],
  rdp: [['rdp-rce', 0.06]],
  mssql: [['mssql-xp', 0.3]],
  mysql: [['mysql-auth', 0.3]],
  ldap: [['ldap-null-bind', 0.25]],
  winrm: [['winrm-ntlm-relay', 0.1]],
};
const LOCAL_VULNS = { linux: [['linux-kernel-lpe', 0.35], ['sudo-misconfig', 0.25]], windows: [['win-print-lpe', 0.35], ['win-token-lpe', 0.3]] } as const;

interface RoleProfile { services: (os: 'linux' | 'windows') => string[]; linuxShare: number; value: number }
const ROLE_PROFILES: Record<Role, RoleProfile> = {
  workstation: { services: (os) => (os === 'windows' ? ['smb', 'rdp'] : ['ssh']), linuxShare: 0.15, value: 1 },
  'admin-workstation': { services: () => ['smb', 'rdp', 'winrm'], linuxShare: 0, value: 3 },
  web: { services: () => ['http', 'https', 'ssh'], linuxShare: 0.9, value: 2 },
  mail: { services: () => ['smtp', 'https'], linuxShare: 0.6, value: 2 },
  dns: { services: () => ['dns', 'ssh'], linuxShare: 1, value: 2 },
  vpn: { services: () => ['https', 'ssh'], linuxShare: 1, value: 3 },
  'domain-controller': { services: () => ['ldap', 'smb', 'rdp', 'dns'], linuxShare: 0, value: 10 },
  file: { services: (os) => (os === 'windows' ? ['smb', 'rdp'] : ['smb', 'ssh']), linuxShare: 0.3, value: 4 },
  app: { services: (os) => (os === 'windows' ? ['https', 'winrm'] : ['https', 'ssh']), linuxShare: 0.6, value: 4 },
  db: { services: (os) => (os === 'windows' ? ['mssql', 'rdp'] : ['mysql', 'ssh']), linuxShare: 0.5, value: 6 },
  backup: { services: () => ['ssh', 'smb'], linuxShare: 1, value: 6 },
  jump: { services: () => ['ssh', 'rdp'], linuxShare: 0.5, value: 5 },
  'crown-db': { services: (os) => (os === 'windows' ? ['mssql', 'rdp'] : ['mysql', 'ssh']), linuxShare: 0.5, value: 100 },
  historian: { services: () => ['https', 'ssh'], linuxShare: 1, value: 20 },
};

/** Zone-to-zone service ports; traffic inside a zone is always allowed. */
const FIREWALL: Scenario['firewall'] = [
  { from: 'internet', to: 'dmz', ports: [25, 53, 80, 443, 22], description: 'public services and the VPN' },
  { from: 'dmz', to: 'server', ports: [389, 445, 1433, 3306], description: 'web tier to directory, files and databases' },
  { from: 'dmz', to: 'internet', ports: [25, 53, 80, 443], description: 'outbound mail, DNS, updates' },
  { from: 'user', to: 'dmz', ports: [25, 80, 443], description: 'intranet and mail' },
  { from: 'user', to: 'server', ports: [80, 389, 443, 445, 3389], description: 'office services and RDP to servers' },
  { from: 'user', to: 'internet', ports: [53, 80, 443], description: 'web browsing' },
  { from: 'server', to: 'user', ports: [445, 3389, 5985], description: 'IT management of workstations' },
  { from: 'server', to: 'dmz', ports: [22, 443], description: 'administration of public hosts' },
  { from: 'server', to: 'critical', ports: [22, 1433, 3306, 3389], description: 'application and admin access to crown jewels' },
  { from: 'server', to: 'internet', ports: [53, 443], description: 'updates' },
  { from: 'critical', to: 'server', ports: [389, 445], description: 'directory and backups' },
];

/** Zone shares of the host count; minimums keep tiny networks meaningful. */
function zoneSizes(n: number): Record<'dmz' | 'server' | 'critical' | 'user', number> {
  const dmz = Math.max(3, Math.round(0.08 * n));
  const server = Math.max(6, Math.round(0.2 * n));
  const critical = Math.max(3, Math.round(0.06 * n));
  const user = n - dmz - server - critical;
  if (user < 2) throw new Error(`a generated network needs at least ${dmz + server + critical + 2} hosts, got ${n}`);
  return { dmz, server, critical, user };
}

export const MIN_GENERATED_HOSTS = 14;
export const MAX_GENERATED_HOSTS = 20000;

export function generateScenario(opts: GenerateOptions): Scenario {
  const n = opts.hosts;
  if (!Number.isInteger(n) || n < MIN_GENERATED_HOSTS || n > MAX_GENERATED_HOSTS) {
    throw new RangeError(`hosts must be an integer from ${MIN_GENERATED_HOSTS} to ${MAX_GENERATED_HOSTS}, got ${n}`);
  }
  const rng = new Rng(opts.seed).split('generate');
  const sizes = zoneSizes(n);
  const hosts: HostSpec[] = [];
  const byRole = new Map<Role, HostSpec[]>();
  const add = (zone: string, role: Role, idx: number): HostSpec => {
    const p = ROLE_PROFILES[role];
    const os = rng.next() < p.linuxShare ? 'linux' : 'windows';
    const services = p.services(os).map((name) => ({
      name,
      port: PORTS[name]!,
      vulns: (SERVICE_VULNS[name] ?? []).filter(([, pr]) => rng.next() < pr).map(([v]) => v),
    }));
    const localVulns = LOCAL_VULNS[os].filter(([, pr]) => rng.next() < pr).map(([v]) => v as string);
    const h: HostSpec = { id: `${zone}-${role}-${idx}`, zone, role, os, services, localVulns, credentials: [], value: p.value, crownJewel: role === 'crown-db' };
    hosts.push(h);
    const list = byRole.get(role) ?? [];
    list.push(h);
    byRole.set(role, list);
    return h;
  };
  const fill = (zone: string, count: number, fixed: [Role, number][], rest: [Role, number][]): void => {
    let i = 0;
    for (const [role, k] of fixed) for (let j = 0; j < k && i < count; j++) add(zone, role, i++);
    while (i < count) add(zone, rest[rng.weighted(rest.map((r) => r[1]))]![0], i++);
  };
  fill('dmz', sizes.dmz, [['web', 1], ['mail', 1], ['dns', 1]], [['web', 0.7], ['vpn', 0.15], ['mail', 0.15]]);
  const dcs = Math.max(1, Math.round(sizes.server / 25));
  fill('server', sizes.server, [['domain-controller', dcs], ['db', 1], ['jump', 1], ['backup', 1]], [['file', 0.3], ['app', 0.35], ['db', 0.2], ['jump', 0.05], ['backup', 0.1]]);
  const crowns = Math.max(1, Math.round(sizes.critical / 3));
  fill('critical', sizes.critical, [['crown-db', crowns]], [['historian', 0.6], ['backup', 0.4]]);
  fill('user', sizes.user, [['admin-workstation', 1]], [['workstation', 0.9], ['admin-workstation', 0.1]]);

  // Credentials: domain users (cached on workstations, valid on file servers and some workstations),
  // domain admins (cached on admin workstations, jump hosts and DCs; valid on servers and critical hosts),
  // service accounts (cached on app servers, valid on databases), backup operators (on backup hosts).
  const credentials: Scenario['credentials'] = [];
  const role = (r: Role): HostSpec[] => byRole.get(r) ?? [];
  const ids = (hs: HostSpec[]): string[] => hs.map((h) => h.id);
  const servers = hosts.filter((h) => h.zone === 'server');
  const critical = hosts.filter((h) => h.zone === 'critical');
  const workstations = role('workstation');
  const userCreds = Math.max(1, Math.round(workstations.length / 15));
  for (let i = 0; i < userCreds; i++) {
    const valid = [...role('file'), ...workstations.filter(() => rng.next() < 0.1)];
    if (valid.length === 0) valid.push(...servers.slice(0, 1));
    credentials.push({ id: `cred-user-${i}`, privilege: 'user', validOn: ids(valid) });
  }
  workstations.forEach((w, i) => { if (rng.next() < 0.6) w.credentials.push(`cred-user-${i % userCreds}`); });
  const admins = Math.max(1, Math.round(servers.length / 30));
  for (let i = 0; i < admins; i++) {
    credentials.push({ id: `cred-admin-${i}`, privilege: 'root', validOn: ids([...servers, ...critical, ...role('admin-workstation')]) });
  }
  [...role('admin-workstation'), ...role('jump'), ...role('domain-controller')].forEach((h, i) => {
    if (rng.next() < 0.7 || h.role === 'domain-controller') h.credentials.push(`cred-admin-${i % admins}`);
  });
  const dbs = [...role('db'), ...role('crown-db')];
  credentials.push({ id: 'cred-svc-app', privilege: 'user', validOn: ids(dbs) });
  role('app').forEach((h) => { if (rng.next() < 0.5) h.credentials.push('cred-svc-app'); });
  credentials.push({ id: 'cred-backup', privilege: 'root', validOn: ids([...role('backup'), ...role('crown-db')]) });
  role('backup').forEach((h) => { if (h.zone === 'server') h.credentials.push('cred-backup'); });

  // The planted path: a web host with an RCE, a DMZ-reachable database server with a SQL service hole and
  // a local escalation, caching the backup operator credential, which logs on to every crown jewel.
  const web = role('web')[0]!;
  plantVuln(web, 'http', 'web-rce');
  const db = role('db').find((h) => h.zone === 'server')!;
  plantVuln(db, db.os === 'windows' ? 'mssql' : 'mysql', db.os === 'windows' ? 'mssql-xp' : 'mysql-auth');
  const lpe = db.os === 'windows' ? 'win-print-lpe' : 'sudo-misconfig';
  if (!db.localVulns.includes(lpe)) db.localVulns.push(lpe);
  if (!db.credentials.includes('cred-backup')) db.credentials.push('cred-backup');

  const input: ScenarioInput = {
    format: SCENARIO_FORMAT,
    name: opts.name ?? `generated-${n}`,
    description: `Generated enterprise network: ${n} hosts (dmz ${sizes.dmz}, server ${sizes.server}, user ${sizes.user}, critical ${sizes.critical}), seed ${opts.seed}.`,
    generator: { hosts: n, seed: opts.seed },
    time: { limit: opts.timeLimit ?? 900, window: 1 },
    zones: [
      { id: 'internet', kind: 'internet', description: 'outside; attackers start here' },
      { id: 'dmz', kind: 'dmz', description: 'public-facing services' },
      { id: 'user', kind: 'user', description: 'office LAN' },
      { id: 'server', kind: 'server', description: 'internal servers' },
      { id: 'critical', kind: 'critical', description: 'crown jewels' },
    ],
    firewall: FIREWALL,
    vulnerabilities: VULN_CATALOGUE,
    hosts,
    credentials,
    attackers: Array.from({ length: opts.attackers ?? 1 }, (_, i) => ({ id: `attacker_${i}`, stealth: 0 })),
    defenders: ['dmz', 'user', 'server', 'critical'].map((z) => ({ id: `defender_${z}`, zones: [z] })),
  };
  return parseScenario(input, `generated(hosts=${n}, seed=${opts.seed})`);
}

function plantVuln(h: HostSpec, service: string, vuln: string): void {
  const svc = h.services.find((s) => s.name === service);
  if (!svc) throw new Error(`planted path: host ${h.id} has no ${service} service`);
  if (!svc.vulns.includes(vuln)) svc.vulns.push(vuln);
}
