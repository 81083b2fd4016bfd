/**
 * The continuous part of the defender return and of the attackers' rewards: damage while attackers
 * control live footholds (host value x seconds, which the defenders lose and the holder gains), business
 * cost while hosts without a foothold are isolated, blocked or offline, and the attackers' time cost.
 * The rates change only with host status, so they are recomputed then, not every tick. One-off costs
 * (responses) and exfiltration losses are charged where they happen (defender-actions.ts,
 * attacker-actions.ts). Weights: the scenario's defenderReturn (DEFENDER_RETURN_DEFAULTS).
 */
import { TICKS_PER_SECOND } from './params.js';
import type { World } from './world.js';

export class Costs {
  private version = -1;
  /** Defender loss per second from damage (each controlled host counted once). */
  private damageRate = 0;
  /** Per attacker: its own control damage per second. */
  private attackerDamage: number[] = [];
  /** Hosts with a business cost now, and that cost per second. */
  private costHosts: number[] = [];
  private costRates: number[] = [];
  private costRate = 0;
  private live = 0;

  constructor(private readonly w: World) {}

  reset(): void {
    this.version = -1;
  }

  /** Accrue `ticks` of the current rates into the step's rewards and the return's parts. */
  accrue(ticks: number): void {
    if (ticks <= 0) return;
    const w = this.w;
    const dt = ticks / TICKS_PER_SECOND;
    this.update();
    const damage = this.damageRate * dt;
    const business = this.costRate * dt;
    w.parts.damage += damage;
    w.parts.business += business;
    for (let i = 0; i < this.costHosts.length; i++) w.hostBusinessCost[this.costHosts[i]!]! += this.costRates[i]! * dt;
    w.rewardDefenders(-(damage + business));
    w.attackers.forEach((s, i) => {
      w.stepRewards[s.id]! += (this.attackerDamage[i]! - w.sim.attackerTimeCost) * dt;
    });
  }

  /**
   * The episode ends at the attacker's objective, but the intrusion would not: the control the attackers
   * hold then is charged (and credited to them) until the time limit, as if the episode ran on with
   * nothing changed. Otherwise an early exfiltration would cost the defence less control damage than a
   * late one, and an attacker would gain by sitting on its footholds instead of finishing.
   */
  accrueDamageUntil(limitTicks: number): void {
    const w = this.w;
    const ticks = limitTicks - w.now;
    if (ticks <= 0) return;
    const dt = ticks / TICKS_PER_SECOND;
    this.update();
    const damage = this.damageRate * dt;
    w.parts.damage += damage;
    w.rewardDefenders(-damage);
    w.attackers.forEach((s, i) => {
      w.stepRewards[s.id]! += this.attackerDamage[i]! * dt;
    });
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
    const dw = w.weights;
    let damage = 0;
    let live = 0;
    this.attackerDamage = w.attackers.map(() => 0);
    this.costHosts = [];
    this.costRates = [];
    this.costRate = 0;
    for (let h = 0; h < net.nHosts; h++) {
      let held = false;
      let controlled = false;
      w.attackers.forEach((s, i) => {
        if (s.priv[h]! <= 0) return;
        held = true;
        if (w.footholdLive(s, h)) {
          controlled = true;
          this.attackerDamage[i]! += net.hostValue[h]! * dw.damagePerValueSecond;
        }
      });
      if (controlled) {
        live++;
        damage += net.hostValue[h]! * dw.damagePerValueSecond;
      }
      if (held) continue; // containing a compromised host is not a business loss: only healthy hosts count
      let c = 0;
      if (w.isolated[h]) c = dw.isolationPerWeightSecond;
      else if (w.offlineUntil[h]! > w.now) c = dw.downtimePerWeightSecond;
      else if (w.blocked[h]) c = dw.blockPerWeightSecond;
      if (c > 0) {
        const rate = c * w.businessWeight[h]!;
        this.costHosts.push(h);
        this.costRates.push(rate);
        this.costRate += rate;
      }
    }
    this.damageRate = damage;
    this.live = live;
  }
}
