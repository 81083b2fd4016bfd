/**
 * The shipped reproduction: both designs (protocols), their profiles, and that every profile's training
 * budget gives every learning attacker gradient steps (the quick profile's jobs are run for real; the full
 * profile trains at least as long with the same hyperparameters, and gradient steps only grow with episodes).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentSpec, planOf, scenarioName, trainingFor, canonicalJson } from '../src/lab/spec.js';
import { PROTOCOLS, protocolSpecPath } from '../src/lab/protocols.js';
import { defaultReproduceDir } from '../src/lab/reproduce.js';
import { isLearningKind } from '../src/attackers/registry.js';
import { trainAttackerJob } from '../src/train/attacker-job.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'cyrange-lab-profiles-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the two designs of `cyrange reproduce`', () => {
  it('unconfounded: the same attack mix at three sizes; paper: its A/B/C scenarios; otherwise the same grid, budgets and sanity rows', async () => {
    const unc = await loadExperimentSpec(protocolSpecPath('unconfounded'));
    const paper = await loadExperimentSpec(protocolSpecPath('paper'));
    expect(unc.spec.scenarios).toEqual(['small', 'medium', 'large']);
    expect(paper.spec.scenarios).toEqual(['paper-a', 'paper-b', 'paper-c']);
    // the same everything else; a per-size training setting names the paper's scenario of that size
    const size: Record<string, string> = { small: 'size-50', medium: 'size-120', large: 'size-200', 'paper-a': 'size-50', 'paper-b': 'size-120', 'paper-c': 'size-200' };
    const profiles = (s: typeof unc.spec) => Object.fromEntries(Object.entries(s.profiles ?? {}).map(([k, p]) => [k, { ...p, description: '' }]));
    const rest = (s: typeof unc.spec): string => canonicalJson({ ...s, name: '', description: '', scenarios: [], profiles: profiles(s) }).replace(/"(small|medium|large|paper-[abc])"/g, (_m, n: string) => `"${size[n]}"`);
    // one stated exception (its reason is in the paper spec's description): DQN explores longer there, since two
    // attackers feed one learner through long episodes; nothing else of the learners differs
    const dqnExploration = { attackers: ['dqn'], hyperparameters: { epsilonDecaySteps: 25_000 } };
    const paperOverrides = paper.spec.training?.overrides ?? [];
    expect(paperOverrides).toContainEqual(dqnExploration);
    expect(paper.spec.description).toContain('25,000 transitions');
    const withoutException = { ...paper.spec, training: { ...paper.spec.training!, overrides: paperOverrides.filter((o) => canonicalJson(o) !== canonicalJson(dqnExploration)) } };
    expect(rest(withoutException)).toBe(rest(unc.spec));
    expect(trainingFor(planOf(paper, 'full'), 'paper-b', 'dqn').hyperparameters).toEqual({ epsilonDecaySteps: 25_000 });
    expect(trainingFor(planOf(paper, 'full'), 'paper-b', 'pg').hyperparameters).toBeUndefined();
    expect(trainingFor(planOf(unc, 'full'), 'medium', 'dqn').hyperparameters).toBeUndefined();
    for (const loaded of [unc, paper])
      for (const profile of ['quick', 'full']) {
        const plan = planOf(loaded, profile);
        for (const d of ['oracle', 'flag-all', 'none']) expect(plan.defenders, `${profile} ${d}`).toContain(d);
        expect(plan.attackers).toEqual(['dqn', 'pg']);
        expect(plan.flowValidation).not.toBeNull();
      }
    expect(planOf(unc, 'quick').seeds).toHaveLength(2);
    expect(planOf(unc, 'full').seeds.length).toBeGreaterThanOrEqual(10);
  });

  it('--protocol chooses the design (unconfounded by default, said in the help), a bad one is refused as other bad flags are', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    const bad = cli(['reproduce', '--quick', '--protocol', 'nope']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.split('\n')[0]).toMatch(/--protocol must be one of unconfounded, paper, both, got "nope"$/);
    const help = cli(['reproduce', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--protocol <design> +unconfounded \(default; experiments\/response-times\.json/);
    expect(help).toContain('The default is unconfounded because only there a change with size can be read as the size effect');
    expect(PROTOCOLS).toEqual(['unconfounded', 'paper']);
    // more worker threads than cores: a warning before anything runs (here the spec is missing, so nothing does)
    const many = cli(['run', join(root, 'no-spec.json'), '--out', join(root, 'o'), '--workers', '256']);
    expect(many.stderr).toMatch(/^cyrange: warning: --workers 256 is more than this machine's \d+ cores/);
    expect(many.stderr).toMatch(/no-spec\.json: cannot read the file/);
    const now = new Date(2026, 0, 2, 3, 4, 5);
    expect(defaultReproduceDir(true, false, root, now)).toBe(join(root, 'runs', 'reproduce-quick'));
    expect(defaultReproduceDir(false, false, root, now, 'paper')).toBe(join(root, 'runs', 'reproduce-paper-full'));
    expect(defaultReproduceDir(true, false, root, now, 'both')).toBe(join(root, 'runs', 'reproduce-both-quick'));
  });
});

describe('training budgets of the shipped profiles', () => {
  it('every profile trains each learning kind at least as long as quick, with the same hyperparameters', async () => {
    for (const p of PROTOCOLS) {
      const loaded = await loadExperimentSpec(protocolSpecPath(p));
      const quick = planOf(loaded, 'quick');
      for (const profile of Object.keys(loaded.spec.profiles ?? {})) {
        const plan = planOf(loaded, profile);
        for (const sc of plan.scenarios.map(scenarioName))
          for (const kind of plan.attackers.filter(isLearningKind)) {
            const t = trainingFor(plan, sc, kind);
            const q = trainingFor(quick, sc, kind);
            expect(t.episodes, `${p} ${profile} ${sc} ${kind}`).toBeGreaterThanOrEqual(q.episodes);
            expect(t.hyperparameters).toEqual(q.hyperparameters);
          }
      }
    }
  });

  // The quick budget's jobs for real, one seed: each learning kind takes gradient steps on every scenario.
  for (const p of PROTOCOLS)
    it(`the quick profile gives every learning attacker gradient steps (${p} design)`, async () => {
      const loaded = await loadExperimentSpec(protocolSpecPath(p));
      const plan = planOf(loaded, 'quick');
      for (const sc of plan.scenarios.map(scenarioName))
        for (const kind of plan.attackers.filter(isLearningKind)) {
          const t = trainingFor(plan, sc, kind);
          const r = await trainAttackerJob({ scenario: sc, kind, seed: plan.seeds[0]!, ...t, curveEpisodes: 1 }, join(root, `${p}-${sc}-${kind}`));
          expect(r.gradientSteps, `${p}: ${kind} on ${sc}`).toBeGreaterThan(0);
        }
    }, 180_000);
});
