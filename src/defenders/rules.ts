/**
 * Static rules: the scoring of the rule-based MAS and of the static range's SIEM. A rules file lists
 * conditions over the telemetry features (averaged over a fixed aggregation window, so counts read as
 * per-second rates), each with a severity; a host's score at the end of an aggregation window is the
 * highest severity among the rules it matches (>= 1 alerts; >= 2 is high confidence). Conditions are
 * parsed once with mathjs in a restricted grammar (rule-expr.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { z } from 'zod';
import { CyrangeError } from '../shared/errors.js';
import { FEATURES, N_FEATURES } from '../range/telemetry.js';
import { schemaError } from '../shared/schema-errors.js';
import { compileCondition, type CompiledCondition } from './rule-expr.js';
import type { WindowScorer } from './team.js';

export const RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

const rulesSchema = z.strictObject({
  format: z.literal(1),
  name: z.string().min(1),
  description: z.string().default(''),
  rules: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        when: z.string().min(1),
        severity: z.number().min(1).max(5),
        why: z.string().default(''),
      }),
    )
    .min(1),
});

export interface CompiledRule {
  id: string;
  severity: number;
  condition: CompiledCondition;
}

export interface RuleSet {
  name: string;
  file: string;
  rules: CompiledRule[];
}

/** A rules file by path, or a name in the package's rules/ folder. */
export async function loadRules(nameOrPath = 'default'): Promise<RuleSet> {
  const file = existsSync(nameOrPath) ? nameOrPath : join(RULES_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) throw new CyrangeError(`${nameOrPath}: no such rules file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CyrangeError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const r = rulesSchema.safeParse(json);
  if (!r.success) throw schemaError(file, r.error);
  const seen = new Set<string>();
  const rules: CompiledRule[] = [];
  for (const [i, rule] of r.data.rules.entries()) {
    if (seen.has(rule.id)) throw new CyrangeError(`${file}: rules[${i}].id: duplicate id "${rule.id}"`);
    seen.add(rule.id);
    rules.push({ id: rule.id, severity: rule.severity, condition: await compileCondition(rule.when, FEATURES, { file, field: `rules[${i}].when` }) });
  }
  return { name: r.data.name, file, rules };
}

/** Highest severity among the rules the feature vector matches (0 = none). */
export function ruleScore(set: RuleSet, x: ArrayLike<number>): number {
  let s = 0;
  for (const r of set.rules) if (r.severity > s && r.condition.test(x)) s = r.severity;
  return s;
}

/**
 * Scores hosts by rules over a fixed aggregation window of `windows` telemetry windows, evaluated when
 * a window index w satisfies (w + 1) % windows === 0; an alert covers every window of the aggregation.
 */
export class RuleScorer implements WindowScorer {
  readonly name: string;
  private acc = new Map<string, Float64Array>();
  private readonly x = new Float64Array(N_FEATURES);
  constructor(
    readonly rules: RuleSet,
    readonly windows: number,
    label = 'rules',
  ) {
    if (!Number.isInteger(windows) || windows < 1) throw new RangeError(`aggregation windows must be a positive integer, got ${windows}`);
    this.name = `${label}:${rules.name}`;
  }
  reset(): void {
    this.acc.clear();
  }
  evaluate(agent: string, w: number, hosts: Int32Array, features: Float32Array): { scores: Float32Array; covers: number[] } | null {
    let acc = this.acc.get(agent);
    if (!acc || acc.length !== features.length) {
      acc = new Float64Array(features.length);
      this.acc.set(agent, acc);
    }
    for (let i = 0; i < features.length; i++) acc[i]! += features[i]!;
    if ((w + 1) % this.windows !== 0) return null;
    const scores = new Float32Array(hosts.length);
    for (let h = 0; h < hosts.length; h++) {
      for (let f = 0; f < N_FEATURES; f++) this.x[f] = acc[h * N_FEATURES + f]! / this.windows;
      scores[h] = ruleScore(this.rules, this.x);
    }
    acc.fill(0);
    const covers: number[] = [];
    for (let k = w - this.windows + 1; k <= w; k++) if (k >= 0) covers.push(k);
    return { scores, covers };
  }
}
