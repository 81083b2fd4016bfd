/**
 * What attacker actions do: which are allowed now (the mask), how long each takes and from where it
 * comes (start), and its effect when it completes. Effects apply at completion, against the state then
 * (a host isolated meanwhile is out of reach); success is rolled at the start.
 */
import { PRIV_NONE, PRIV_ROOT, PRIV_USER } from './network.js';
import { toTicks, TICKS_PER_SECOND } from './params.js';
import type { Action } from './types.js';
import { writeFootprint } from './footprint.js';
import { effectiveStealth, type AttackerState, type World } from './world.js';

/** Allowed actions: what the attacker can reach and knows, within its stages and after its start time. */
export function attackerMask(w: World, s: AttackerState): Uint8Array {
  const net = w.network;
  const L = w.attackerLayout;
  const m = new Uint8Array(L.n);
  m[0] = 1;
  if (w.done || w.now < s.startTick) return m;
  const reach = w.reachability(s);
  const st = s.stages;
  const recon = st.has('recon');
  m[L.tempo(!s.quiet)] = 1;
  if (w.infraBlocked(s)) m[L.rotate()] = 1;
  L.scanZones.forEach((z, i) => {
    if (recon && reach.zone[z]) {
      m[L.scanZone(i, false)] = 1;
      m[L.scanZone(i, true)] = 1;
    }
  });
  for (let h = 0; h < net.nHosts; h++) {
    const p = s.priv[h]!;
    if (recon && s.discovered[h] && !s.scanned[h] && reach.host(h)) m[L.scanHost(h)] = 1;
    // Escalation and exfiltration run on the host itself: only through an implant in contact.
    const contact = p > 0 && w.footholdLive(s, h);
    if (st.has('privesc') && p === PRIV_USER && contact && net.localVulns[h]!.length > 0) m[L.escalate(h)] = 1;
    if (st.has('lateral') && s.discovered[h] && w.usableCred(s, h, p) >= 0 && reach.mgmt(h)) m[L.lateral(h)] = 1;
    if (st.has('exfiltration') && p >= PRIV_USER && contact && s.crownKnown[h]) m[L.exfiltrate(h)] = 1;
    if (st.has('exploit') && s.scanned[h]) {
      const slots = net.exploitSlots[h]!;
      const base = h * net.maxSlots;
      for (let k = 0; k < slots.length; k++) {
        const v = net.vulns[slots[k]!.vuln]!;
        if (!w.patched[base + k] && v.grants > p && v.requires <= p && reach.port(h, slots[k]!.port)) m[L.exploit(h, k)] = 1;
      }
    }
  }
  return m;
}

/** Starts `raw` (an action the mask refuses runs as a wait and is flagged invalid). */
export function startAttacker(w: World, s: AttackerState, raw: Action | undefined, mask: Uint8Array): void {
  const net = w.network;
  const sim = w.sim;
  const L = w.attackerLayout;
  let a = typeof raw === 'number' ? raw : raw === undefined ? 0 : raw.action;
  if (!Number.isInteger(a) || a < 0 || a >= L.n) throw new RangeError(`${s.id}: action ${String(a)} is outside 0..${L.n - 1}`);
  s.invalid = false;
  if (!mask[a]) {
    s.invalid = true;
    a = 0;
  }
  const d = L.decode(a);
  const slow = 1 + sim.stealthSlowdown * effectiveStealth(sim, s);
  let seconds = sim.waitSeconds;
  let roll = true;
  let source: number | null = null;
  let vuln = -1;
  let cred = -1;
  const reach = w.reachability(s);
  switch (d.type) {
    case 'wait':
      break;
    case 'tempo':
      seconds = sim.tempoSeconds;
      break;
    case 'rotate':
      seconds = sim.rotateSeconds;
      break;
    case 'scanZone': {
      const p = d.stealthy ? sim.scanZoneStealthy : sim.scanZoneFast;
      seconds = (p.base + p.perHost * net.zoneHosts[d.zone]!.length) * slow;
      source = reach.sourceForZone(d.zone);
      break;
    }
    case 'scanHost':
      seconds = sim.scanHostSeconds * slow;
      source = reach.sourceForHost(d.host, -1);
      break;
    case 'exploit': {
      const slot = net.exploitSlots[d.host]![d.slot]!;
      vuln = slot.vuln;
      const v = net.vulns[vuln]!;
      seconds = v.duration * slow;
      roll = s.rng.next() < v.success;
      source = reach.sourceForHost(d.host, slot.port);
      break;
    }
    case 'escalate': {
      vuln = w.bestLocal(d.host);
      const v = net.vulns[vuln]!;
      seconds = v.duration * slow;
      roll = s.rng.next() < v.success;
      source = d.host;
      break;
    }
    case 'lateral':
      cred = w.usableCred(s, d.host, s.priv[d.host]!);
      seconds = sim.lateralSeconds * slow;
      source = reach.sourceForHost(d.host, -2);
      break;
    case 'exfiltrate':
      seconds = (sim.exfilBaseSeconds + net.hostValue[d.host]! / sim.exfilValuePerSecond) * slow;
      source = d.host;
      s.exfiltrating = d.host;
      break;
  }
  const start = w.now;
  const end = start + toTicks(seconds);
  s.pending = { action: a, start, end, roll, source, vuln, cred, quiet: s.quiet };
  s.busyUntil = end;
  if (d.type === 'wait' || d.type === 'tempo' || d.type === 'rotate') return;
  writeFootprint(w, s, d, s.pending);
  // Traffic from outside shows the attacker's addresses in the targets' flow logs (what blockSource blocks).
  if (source === null) {
    if (d.type === 'scanZone') for (const h of net.zoneHosts[d.zone]!) w.seeInfra(s, h);
    else w.seeInfra(s, d.host);
  }
}

export function completeAttacker(w: World, s: AttackerState): void {
  const p = s.pending!;
  s.pending = null;
  const net = w.network;
  const d = w.attackerLayout.decode(p.action);
  const t = w.time;
  let success = false;
  // From outside, the action fails if the perimeter blocked the attacker's addresses meanwhile.
  const sourceOk = p.source === null ? !w.infraBlocked(s) : w.footholdLive(s, p.source);
  switch (d.type) {
    case 'wait':
      success = true;
      break;
    case 'tempo':
      s.quiet = d.quiet;
      success = true;
      w.emit({ t, type: 'tempo', agent: s.id, quiet: d.quiet });
      break;
    case 'rotate':
      s.infra++;
      success = true;
      w.emit({ t, type: 'rotate', agent: s.id, infra: s.infra });
      break;
    case 'scanZone': {
      if (!sourceOk) break;
      const reach = w.reachability(s);
      const pr = d.stealthy ? w.sim.scanZoneStealthy.discover : w.sim.scanZoneFast.discover;
      for (const h of net.zoneHosts[d.zone]!) {
        if (!s.discovered[h] && w.targetUp(h) && reach.host(h) && s.rng.next() < pr) {
          s.discovered[h] = 1;
          success = true;
        }
      }
      break;
    }
    case 'scanHost':
      if (sourceOk && w.targetUp(d.host)) {
        s.scanned[d.host] = 1;
        success = true;
      }
      break;
    case 'exploit': {
      const v = net.vulns[p.vuln]!;
      if (sourceOk && w.targetUp(d.host) && p.roll && s.priv[d.host]! < v.grants) {
        grant(w, s, d.host, v.grants, v.id);
        success = true;
      }
      break;
    }
    case 'escalate': {
      const v = net.vulns[p.vuln]!;
      if (w.targetUp(d.host) && s.priv[d.host] === PRIV_USER && p.roll) {
        grant(w, s, d.host, PRIV_ROOT, v.id);
        success = true;
      }
      break;
    }
    case 'lateral': {
      const c = p.cred;
      if (sourceOk && w.targetUp(d.host) && c >= 0 && s.credHeld[c] === w.credEpoch[c] && net.credValidOn[c]![d.host]) {
        if (net.credPriv[c]! > s.priv[d.host]!) grant(w, s, d.host, net.credPriv[c]!, net.credIds[c]!);
        success = true;
      }
      break;
    }
    case 'exfiltrate':
      s.exfiltrating = -1;
      if (s.priv[d.host]! >= PRIV_USER && w.targetUp(d.host)) {
        const value = net.hostValue[d.host]!;
        const loss = value * w.weights.exfiltrationLossPerValue;
        w.emit({ t, type: 'exfiltration', agent: s.id, host: d.host, value });
        w.parts.exfiltration += loss;
        w.rewardAttacker(s.id, loss);
        w.rewardDefenders(-loss);
        success = true;
      }
      break;
  }
  if (d.type !== 'wait' && d.type !== 'tempo' && d.type !== 'rotate') {
    const host = 'host' in d ? d.host : null;
    const zone = d.type === 'scanZone' ? d.zone : null;
    w.emit({ t, type: 'attack', agent: s.id, action: d.type, ...(d.type === 'scanZone' ? { stealthy: d.stealthy } : {}), ...(p.quiet ? { quiet: true } : {}), host, zone, source: p.source, start: p.start / TICKS_PER_SECOND, success });
  }
  s.lastOutcome = { action: p.action, success };
  w.touchAttacker(s);
}

function grant(w: World, s: AttackerState, h: number, priv: number, via: string): void {
  const net = w.network;
  const before = s.priv[h]!;
  if (priv <= before) return;
  s.priv[h] = priv;
  w.statusVersion++;
  s.discovered[h] = 1;
  s.scanned[h] = 1;
  if (net.crownJewel[h]) s.crownKnown[h] = 1;
  w.everCompromised = true;
  const value = net.hostValue[h]!;
  w.rewardAttacker(s.id, value * (before === PRIV_NONE ? w.sim.footholdGain : w.sim.footholdEscalation));
  if (priv === PRIV_ROOT) for (const c of net.credsOnHost[h]!) s.credHeld[c] = w.credEpoch[c]!;
  const k = s.index * net.nHosts + h;
  // A new foothold on a host this attacker held before (and lost) is a re-entry.
  const reentry = before === PRIV_NONE && w.everHeld[k] === 1;
  w.everHeld[k] = 1;
  w.wasLive[k] = 1;
  w.emit({ t: w.time, type: 'compromise', agent: s.id, host: h, privilege: priv === PRIV_ROOT ? 'root' : 'user', via, ...(reentry ? { reentry: true } : {}) });
}

/** The attacker loses its foothold on h (a defender eradicated it). */
export function loseFoothold(w: World, s: AttackerState, h: number, reason: string): void {
  if (s.priv[h] === PRIV_NONE) return;
  s.priv[h] = PRIV_NONE;
  w.statusVersion++;
  w.wasLive[s.index * w.network.nHosts + h] = 0;
  s.lostFoothold = true;
  if (!w.isolated[h]) w.rewardAttacker(s.id, -w.sim.footholdLossPenalty * w.network.hostValue[h]!);
  if (s.exfiltrating === h && s.pending) s.exfiltrating = -1;
  w.emit({ t: w.time, type: 'foothold-lost', agent: s.id, host: h, reason });
}
