import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/range/presets.js';
import { coTrain } from '../src/train/cotrain.js';

const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'cyrange-train-'));

describe('co-training', () => {
  it('records every round field, and the same seed gives the same records', async () => {
    const run = async (): Promise<unknown[]> => {
      const r = await coTrain({ scenario: loadScenario('small'), attacker: 'dqn', defender: 'rule-mas', rounds: 2, trainEpisodes: 2, evalEpisodes: 2, detectorEpisodes: 2, demoEpisodes: 3, seed: 4 });
      return r.rounds.map(({ wallSeconds, stepsPerSecond, gradientStepsPerSecond, ...rest }) => rest);
    };
    const a = await run();
    expect(a).toHaveLength(2);
    for (const k of ['attackerSuccess', 'timeToObjective', 'detectionF1', 'detectionLatency', 'responseLatency', 'compromiseRate', 'chainLength', 'quietOpeningShare', 'quietTempoShare', 'quietActionShare']) expect(a[0]).toHaveProperty(k);
    for (const r of a as { quietOpeningShare: number; quietTempoShare: number }[]) {
      expect(r.quietOpeningShare).toBeGreaterThanOrEqual(0);
      expect(r.quietOpeningShare).toBeLessThanOrEqual(1);
      expect(r.quietTempoShare).toBeLessThanOrEqual(1);
    }
    // The warm-started attacker attacks: it compromises hosts.
    expect((a as { compromiseRate: number }[]).some((r) => r.compromiseRate > 0)).toBe(true);
    expect(await run()).toEqual(a);
  });
});

describe('parallel co-training rollouts', () => {
  it('training episodes on worker threads give the same rounds whatever the number of workers', async () => {
    const run = async (workers: number): Promise<unknown[]> => {
      const r = await coTrain({ scenario: loadScenario('small'), attacker: 'dqn', defender: 'rf', rounds: 1, trainEpisodes: 3, evalEpisodes: 2, detectorEpisodes: 2, demoEpisodes: 2, seed: 6, workers, detectorOptions: { rf: { nTrees: 10, workers: 1 } } });
      return r.rounds.map(({ wallSeconds, stepsPerSecond, gradientStepsPerSecond, ...rest }) => rest);
    };
    const two = await run(2);
    expect((two[0] as { trainEpisodes: number }).trainEpisodes).toBe(3);
    expect((two[0] as { gradientSteps: number }).gradientSteps).toBeGreaterThanOrEqual(0);
    expect(await run(3)).toEqual(two);
  }, 120_000);

  it('policy gradient gets one update per episodesPerUpdate episodes, as online', async () => {
    const r = await coTrain({ scenario: loadScenario('small'), attacker: 'pg', defender: 'none', rounds: 1, trainEpisodes: 5, evalEpisodes: 1, detectorEpisodes: 1, demoEpisodes: 0, seed: 3, workers: 2, attackerHyperparameters: { episodesPerUpdate: 2 } });
    expect(r.rounds[0]!.trainEpisodes).toBe(5);
    expect(r.rounds[0]!.gradientSteps).toBe(2);
  }, 60_000);
});

describe('trained attackers', () => {
  it('a short co-training run on small beats the random attacker against the no-op defender', async () => {
    // With the preset's 900 s limit the random attacker also gets there; a 200 s limit makes speed count.
    const scenario = { ...loadScenario('small'), time: { limit: 200, window: 1 } };
    const trained = await coTrain({ scenario, attacker: 'dqn', defender: 'none', rounds: 1, trainEpisodes: 3, evalEpisodes: 6, detectorEpisodes: 1, demoEpisodes: 4, seed: 2 });
    const random = await coTrain({ scenario, attacker: 'random', defender: 'none', rounds: 0, trainEpisodes: 0, evalEpisodes: 6, detectorEpisodes: 1, seed: 2 });
    const rate = (r: typeof trained): number => r.evaluation.reduce((s, m) => s + m.attackerSuccess, 0) / r.evaluation.length;
    expect(rate(trained)).toBeGreaterThan(rate(random));
  });
});

describe('cyrange train', () => {
  const args = (out: string, rounds: number): string[] => [cli, 'train', '--env', 'small', '--attacker', 'dqn', '--defender', 'rule-mas', '--rounds', String(rounds), '--episodes', '2', '--eval-episodes', '1', '--demo-episodes', '2', '--out', out];

  it('Ctrl-C leaves a consistent run directory and --resume finishes it with no round lost or repeated', async () => {
    const out = join(tmp, 'run');
    const child = spawn(process.execPath, args(out, 40), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Interrupt once the first round's checkpoint is written.
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (/round 1\/40/.test(stdout)) {
          clearInterval(t);
          child.kill('SIGINT');
          resolve();
        }
      }, 100);
      child.on('exit', () => {
        clearInterval(t);
        reject(new Error(`exited early: ${stdout}`));
      });
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(stdout).toMatch(/stopped after round \d+ of 40/);
    const lines = readFileSync(join(out, 'rounds.jsonl'), 'utf8').trim().split('\n');
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')) as { round: number };
    expect(lines).toHaveLength(state.round + 1);
    expect(existsSync(join(out, 'checkpoint', 'attacker', 'agent.json'))).toBe(true);
    const done = lines.length;
    const r = spawnSync(process.execPath, [...args(out, done + 1), '--resume'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const rounds = readFileSync(join(out, 'rounds.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { round: number }).round);
    expect(rounds).toEqual(Array.from({ length: done + 1 }, (_, i) => i));
    const ev = spawnSync(process.execPath, [cli, 'attackers', 'evaluate', '--model', out, '--env', 'small', '--defender', 'none', '--episodes', '2', '--json'], { encoding: 'utf8' });
    expect(ev.status).toBe(0);
    const j = JSON.parse(ev.stdout) as { successRate: number; meanReward: number; quietOpeningShare: number };
    expect(j.successRate).toBeGreaterThanOrEqual(0);
    expect(j.quietOpeningShare).toBeGreaterThanOrEqual(0);
    expect(j.quietOpeningShare).toBeLessThanOrEqual(1);
    expect(typeof j.meanReward).toBe('number');
    const bad = spawnSync(process.execPath, [cli, 'train', '--env', 'medium', '--attacker', 'dqn', '--defender', 'rule-mas', '--out', out, '--resume'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/run\.json: env: the run used "small"/);
  }, 120_000);

  it('refuses bad --hyperparameters with a one-line error naming the flag', () => {
    const base = [cli, 'train', '--env', 'small', '--defender', 'none', '--rounds', '1', '--out', join(tmp, 'hp')];
    const cases: [string[], RegExp][] = [
      [['--attacker', 'pg', '--hyperparameters', '{evalSample: true}'], /--hyperparameters: not valid JSON/],
      [['--attacker', 'pg', '--hyperparameters', '[1]'], /--hyperparameters: expected a JSON object/],
      [['--attacker', 'pg', '--hyperparameters', '{"learningRat":1e-3}'], /--hyperparameters: hyperparameters\.learningRat: not a pg hyperparameter/],
      [['--attacker', 'dqn', '--hyperparameters', '{"gamma":2}'], /--hyperparameters: hyperparameters: dqn: gamma must be in \[0, 1\]/],
      [['--attacker', 'scripted', '--hyperparameters', '{"gamma":0.9}'], /--hyperparameters: only learning attackers/],
      [['--attacker', 'dqn', '--hyperparameters', '{"doubleDqn":"false"}'], /--hyperparameters: hyperparameters\.doubleDqn: expected a boolean/],
      [['--attacker', 'pg', '--hyperparameters', '{"seed":7}'], /--hyperparameters: hyperparameters\.seed: the seed comes from the run's seed/],
    ];
    for (const [extra, msg] of cases) {
      const r = spawnSync(process.execPath, [...base, ...extra], { encoding: 'utf8' });
      expect(r.status, extra.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(tmp, 'hp'))).toBe(false);
    }
  });
});
