/**
 * Continuous rewards and costs: damage while attackers hold footholds on hosts that are not isolated,
 * business cost while hosts are isolated, blocked or offline, and the attackers' time cost. The rates
 * change only with host status, so they are recomputed then, not every tick.
 */
import { TICKS_PER_SECOND } from './params.js';
import type { World } from './world.js';

export class Costs {
  private version = -1;
  private damageRate = 0;
  private costRate = 0;
  private healthyCostRate = 0;
  private live = 0;

  constructor(private readonly w: World) {}

  reset(): void {
    this.version = -1;
  }

  /** Accrue `ticks` of the current rates into the step's rewards and the healthy-host cost. */
  accrue(ticks: number): void {
    if (ticks <= 0) return;
    const w = this.w;
    const dt = ticks / TICKS_PER_SECOND;
    this.update();
    w.rewardDefenders(-(this.damageRate * w.sim.damagePerValueSecond + this.costRate) * dt);
    w.healthyCost += this.healthyCostRate * dt;
    for (const s of w.attackers) w.stepRewards[s.id]! -= w.sim.attackerTimeCost * dt;
  }

  /** Number of hosts where some attacker holds a foothold that is not isolated or offline. */
  liveFootholds(): number {
    this.update();
    return this.live;
  }

  private update(): void {
    const w = this.w;
    if (this.version === w.statusVersion) return;
    this.version = w.statusVersion;
    const net = w.network;
    const sim = w.sim;
    let damage = 0;
    let cost = 0;
    let live = 0;
    let healthy = 0;
    for (let h = 0; h < net.nHosts; h++) {
      let held = false;
      for (const s of w.attackers) {
        if (s.priv[h]! > 0 && !w.isolated[h]) damage += net.hostValue[h]!;
        if (w.footholdLive(s, h)) held = true;
      }
      if (held) live++;
      let c = 0;
      if (w.isolated[h] || w.offlineUntil[h]! > w.now) c = sim.isolationCostPerWeightSecond * w.businessWeight[h]!;
      else if (w.blocked[h]) c = sim.blockCostPerWeightSecond * w.businessWeight[h]!;
      cost += c;
      if (w.healthyHost[h]) healthy += c;
    }
    this.healthyCostRate = healthy;
    this.damageRate = damage;
    this.costRate = cost;
    this.live = live;
  }
}
