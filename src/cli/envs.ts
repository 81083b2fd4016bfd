/** `cyrange envs ...`: list, show, generate and validate scenario files. */
import type { Command } from 'commander';
import { generateScenario, MAX_GENERATED_HOSTS, MIN_GENERATED_HOSTS } from '../range/generate.js';
import { Network } from '../range/network.js';
import { loadScenario, presetNames, scenarioPath } from '../range/presets.js';
import { loadScenarioFile, type Scenario } from '../range/scenario.js';
import { CyrangeError } from '../shared/errors.js';
import { guard, intFlag, writeFileSafe } from './common.js';

export function summarizeScenario(s: Scenario): string {
  const net = new Network(s);
  const lines: string[] = [];
  lines.push(`${s.name}: ${s.hosts.length} hosts, ${s.zones.length} zones, time limit ${s.time.limit} s, window ${s.time.window} s`);
  if (s.description) lines.push(`  ${s.description}`);
  for (let z = 0; z < net.nZones; z++) {
    const hosts = net.zoneHosts[z]!;
    const roles = new Map<string, number>();
    for (const h of hosts) roles.set(s.hosts[h]!.role, (roles.get(s.hosts[h]!.role) ?? 0) + 1);
    const roleText = [...roles].map(([r, n]) => `${r} ${n}`).join(', ');
    lines.push(`  zone ${net.zoneIds[z]} (${net.zoneKinds[z]}): ${hosts.length} hosts${roleText ? `: ${roleText}` : ''}`);
  }
  const crowns = s.hosts.filter((h) => h.crownJewel);
  lines.push(`  crown jewels: ${crowns.map((h) => `${h.id} (value ${h.value})`).join(', ')}`);
  const remote = s.hosts.reduce((n, h) => n + h.services.reduce((m, x) => m + x.vulns.length, 0), 0);
  const local = s.hosts.reduce((n, h) => n + h.localVulns.length, 0);
  lines.push(`  vulnerabilities: ${s.vulnerabilities.length} kinds; ${remote} remote and ${local} local instances`);
  lines.push(`  credentials: ${s.credentials.length} (${s.hosts.filter((h) => h.credentials.length > 0).length} hosts cache some)`);
  lines.push(`  firewall: ${s.firewall.map((r) => `${r.from}->${r.to} ${r.ports === 'any' ? 'any' : r.ports.join('/')}`).join('; ')}`);
  lines.push(`  agents: attackers ${s.attackers.map((a) => a.id).join(', ')}; defenders ${s.defenders.map((d) => `${d.id}[${d.zones.join(',')}]`).join(', ') || 'none'}`);
  return lines.join('\n');
}

export function registerEnvs(program: Command): void {
  const envs = program.command('envs').description('list, show, generate and validate scenario files');
  envs
    .command('list')
    .description('list the preset scenarios')
    .action(
      guard(() => {
        for (const name of presetNames()) {
          const s = loadScenarioFile(scenarioPath(name));
          process.stdout.write(`${name.padEnd(10)} ${String(s.hosts.length).padStart(5)} hosts  ${s.description}\n`);
        }
      }),
    );
  envs
    .command('show')
    .argument('<name>', 'preset name or scenario file')
    .option('--json', 'print the whole scenario as JSON')
    .description('describe a scenario')
    .action(
      guard((name: string, opts: { json?: boolean }) => {
        const s = loadScenario(name);
        process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${summarizeScenario(s)}\n`);
      }),
    );
  envs
    .command('generate')
    .description('generate a seeded enterprise network of any size')
    .requiredOption('--hosts <n>', `number of hosts (${MIN_GENERATED_HOSTS}-${MAX_GENERATED_HOSTS})`, intFlag('--hosts', MIN_GENERATED_HOSTS, MAX_GENERATED_HOSTS))
    .option('--seed <s>', 'generator seed', intFlag('--seed', 0, 2 ** 32 - 1), 1)
    .requiredOption('--out <file>', 'where to write the scenario (.json)')
    .option('--name <name>', 'scenario name')
    .option('--attackers <n>', 'number of attacker agents', intFlag('--attackers', 1, 16), 1)
    .option('--time-limit <s>', 'episode time limit in simulated seconds', intFlag('--time-limit', 10, 86400), 900)
    .option('--force', 'overwrite an existing file')
    .action(
      guard((opts: { hosts: number; seed: number; out: string; name?: string; attackers: number; timeLimit: number; force?: boolean }) => {
        if (!opts.out.endsWith('.json')) throw new CyrangeError(`--out ${opts.out}: expected a .json file name`);
        const s = generateScenario({ hosts: opts.hosts, seed: opts.seed, attackers: opts.attackers, timeLimit: opts.timeLimit, ...(opts.name ? { name: opts.name } : {}) });
        writeFileSafe(opts.out, `${JSON.stringify(s, null, 1)}\n`, opts.force ?? false);
        process.stdout.write(`wrote ${opts.out}: ${s.hosts.length} hosts, seed ${opts.seed}\n`);
      }),
    );
  envs
    .command('validate')
    .argument('<files...>', 'scenario files')
    .description('check scenario files (exit 0 when all are valid)')
    .action(
      guard((files: string[]) => {
        let bad = 0;
        for (const f of files) {
          try {
            const s = loadScenarioFile(f);
            new Network(s);
            process.stdout.write(`ok ${f} (${s.hosts.length} hosts)\n`);
          } catch (e) {
            if (!(e instanceof CyrangeError)) throw e;
            bad++;
            process.stderr.write(`cyrange: ${e.message}\n`);
          }
        }
        if (bad > 0) process.exit(1);
      }),
    );
}
