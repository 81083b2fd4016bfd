/**
 * Baseline agents. Attackers: a random attacker (uniform over allowed actions) and a scripted kill-chain
 * attacker in a noisy and a stealthy variant. They see only what the env lets an attacker know: the
 * action mask and its own knowledge (discovered hosts, scans, footholds, stolen credentials).
 * Defenders: a no-op defender (monitors forever) and a random one (for benchmarks and sanity rows).
 */
import { Rng } from '../shared/prng.js';
import { sampleMasked, type ActContext, type Policy } from './agent.js';
import type { Action, Observation, RangeEnv, StepResult } from './env.js';

export class RandomAttacker implements Policy {
  private rng = new Rng(0);
  constructor(private readonly waitShare = 0.05) {}
  reset(ctx: { seed: number }): void {
    this.rng = new Rng(ctx.seed).split('random-attacker');
  }
  act(_obs: Observation, ctx: ActContext): Action {
    return sampleMasked(ctx.mask, this.rng, this.waitShare);
  }
}

export interface ScriptedOptions {
  /** Stealthy: quiet tempo, slow scans, avoids loud exploits while quieter options exist, pauses between steps. */
  stealthy?: boolean;
  /** Seconds to wait between actions (stealthy default 3). */
  pause?: number;
}

/** Zone depth priority: crown-jewel zone first, then servers, DMZ, user LAN. */
const ZONE_PRIORITY: Record<string, number> = { critical: 4, server: 3, dmz: 2, user: 1, other: 1, internet: 0 };

/**
 * Kill chain: rotate infrastructure when blocked > exfiltrate > escalate > lateral movement with stolen
 * credentials > exploit known vulnerabilities (most likely first) > scan discovered hosts > scan zones >
 * wait. Deeper zones first. Cut off or evicted, it starts again from what it still knows and holds.
 */
export class ScriptedAttacker implements Policy {
  private rng = new Rng(0);
  private lastWasPause = false;
  constructor(private readonly opts: ScriptedOptions = {}) {}

  reset(ctx: { seed: number }): void {
    this.rng = new Rng(ctx.seed).split('scripted-attacker');
    this.lastWasPause = false;
    this.zoneScans.clear();
  }

  act(_obs: Observation, ctx: ActContext): Action {
    const { env, mask } = ctx;
    const stealthy = this.opts.stealthy ?? false;
    const pause = this.opts.pause ?? (stealthy ? 3 : 0);
    if (pause > 0 && !this.lastWasPause && this.rng.next() < 0.8) {
      this.lastWasPause = true;
      return 0;
    }
    this.lastWasPause = false;
    let best = 0;
    let bestScore = 0;
    for (let a = 1; a < mask.length; a++) {
      if (!mask[a]) continue;
      const s = this.score(env, a, stealthy) + this.rng.next() * 1e-3;
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    return best;
  }

  private score(env: RangeEnv, a: number, stealthy: boolean): number {
    const net = env.network;
    const d = env.attackerLayout.decode(a);
    const depth = (h: number): number => ZONE_PRIORITY[net.zoneKinds[net.hostZone[h]!]!] ?? 0;
    switch (d.type) {
      case 'tempo':
        // The stealthy variant goes low-and-slow before anything else; the noisy one never does.
        return stealthy && d.quiet ? 2000 : -1;
      case 'exfiltrate':
        return 1000;
      case 'rotate':
        // The perimeter dropped our addresses: new infrastructure before anything else from outside.
        return 1500;
      case 'escalate':
        return 800 + depth(d.host);
      case 'lateral':
        return 700 + 10 * depth(d.host);
      case 'exploit': {
        const v = net.vulns[net.exploitSlots[d.host]![d.slot]!.vuln]!;
        const quiet = stealthy ? (1 - v.noise) * 50 : 0;
        return 500 + 10 * depth(d.host) + 20 * v.success + quiet;
      }
      case 'scanHost':
        return 300 + 10 * depth(d.host);
      case 'scanZone': {
        // Only zones that may still hide hosts; prefer the stealthy or the fast scan by variant.
        return (d.stealthy === stealthy ? 100 : 50) + 10 * (ZONE_PRIORITY[net.zoneKinds[d.zone]!] ?? 0) - 40 * (this.zoneScans.get(d.zone) ?? 0);
      }
      default:
        return 0;
    }
  }

  /** Rescanning a zone is worth less each time; the attacker remembers its own scans. */
  private zoneScans = new Map<number, number>();
  observe(result: StepResult, agent: string): void {
    for (const e of result.events) if (e.type === 'attack' && e.agent === agent && e.action === 'scanZone' && e.zone !== null) this.zoneScans.set(e.zone, (this.zoneScans.get(e.zone) ?? 0) + 1);
  }
}

// ------------------------------------------------------------------ baseline defenders
export class NoopDefender implements Policy {
  act(): Action {
    return 0;
  }
}

export class RandomDefender implements Policy {
  private rng = new Rng(0);
  /** `actShare`: probability of a response instead of monitoring at each decision. */
  constructor(private readonly actShare = 0.02) {}
  reset(ctx: { seed: number }): void {
    this.rng = new Rng(ctx.seed).split('random-defender');
  }
  act(_obs: Observation, ctx: ActContext): Action {
    return sampleMasked(ctx.mask, this.rng, 1 - this.actShare);
  }
}
