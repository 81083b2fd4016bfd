/**
 * Sanity rows: with the ground-truth labels (`oracle`) the defence must do better on defender return
 * than flagging every host-window (`flag-all`) and than no defence (`none`), at every size and for every
 * attacker. If not, the instrument (the range, the playbook or the return's weights) is broken, and no
 * comparison of real defences in the run means anything. The check is on the sign of the mean paired
 * difference over seeds (a broken instrument shows as the oracle losing, not as a missing p); the paired
 * t-test's p and the seeds the oracle won are reported beside it.
 *
 * One exception, said where it applies: against an attacker that never reached its objective with no
 * defence at all (success 0 on every seed against `none`), there is nothing to defend, any response only
 * costs, and "the oracle beats none" tests nothing; that check is marked untestable, not passed or failed.
 * (This happens with the untrained attackers of a quick profile; the flag-all check stays in force.)
 */
import { mean } from '../shared/stats.js';
import { pairedTTest } from '../shared/paired-tests.js';
import type { Sanity } from './run-format.js';
import type { ClaimInput } from './claims.js';

export const SANITY = { oracle: 'oracle', versus: ['flag-all', 'none'], metric: 'defenderReturn' } as const;

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The run's grid and its cells' unit values (as the claims take them). */
export type SanityInput = Omit<ClaimInput, 'incomplete'>;

export function sanityChecks(input: SanityInput): Sanity {
  const versus = SANITY.versus.filter((v) => input.defenders.includes(v));
  if (!input.defenders.includes(SANITY.oracle) || versus.length === 0) {
    return { verdict: 'not run', detail: `the run has no ${SANITY.oracle} defence or neither of ${SANITY.versus.join(' and ')}: add them to the defenders to check the instrument`, checks: [] };
  }
  const checks: Sanity['checks'] = [];
  for (const attacker of input.attackers)
    for (const { scenario, hosts } of input.sizes)
      for (const v of versus) {
        const x: number[] = [];
        const y: number[] = [];
        for (const s of input.seeds) {
          const a = input.value(attacker, scenario, SANITY.oracle, s, SANITY.metric);
          const b = input.value(attacker, scenario, v, s, SANITY.metric);
          if (a !== null && b !== null) {
            x.push(a);
            y.push(b);
          }
        }
        const t = pairedTTest(x, y);
        const diff = x.length ? mean(x) - mean(y) : NaN;
        checks.push({
          attacker, scenario, hosts, versus: v, n: x.length,
          meanOracle: x.length ? fin(mean(x)) : null, meanVersus: y.length ? fin(mean(y)) : null, meanDiff: fin(diff),
          wins: x.filter((a, i) => a > y[i]!).length, p: fin(t.pValue), pass: x.length > 0 && diff > 0,
          testable: v !== 'none' || !harmless(input, attacker, scenario),
        });
      }
  const bad = checks.filter((c) => c.testable && !c.pass);
  const untestable = checks.filter((c) => !c.testable);
  const skipped = untestable.length ? `; untestable: ${untestable.map((c) => `${c.versus} at ${c.hosts} hosts (${c.attacker})`).join(', ')}: the attacker never reached its objective without defence, so there was nothing to defend` : '';
  const detail = bad.length
    ? `the instrument is broken: the oracle does not beat ${bad.map((c) => `${c.versus} at ${c.hosts} hosts (${c.attacker}${c.n === 0 ? ', no paired seeds' : `, mean difference ${c.meanDiff?.toFixed(1)}`})`).join('; ')} on defender return; no comparison in this run can be trusted${skipped}`
    : `the oracle beats ${versus.join(' and ')} on defender return at every size for every attacker (${checks.length - untestable.length} paired checks over ${input.seeds.length} seeds)${skipped}`;
  return { verdict: bad.length ? 'broken' : 'ok', detail, checks };
}

/** The attacker never reached its objective against no defence, on any seed with a value. */
function harmless(input: SanityInput, attacker: string, scenario: string): boolean {
  const s = input.seeds.map((seed) => input.value(attacker, scenario, 'none', seed, 'attackerSuccess')).filter((v): v is number => v !== null);
  return s.length > 0 && s.every((v) => v === 0);
}
