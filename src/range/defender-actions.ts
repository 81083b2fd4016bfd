/**
 * What defender actions do: which are allowed (the mask), their start (alerts posted with the action,
 * the response event and its one-off cost) and their effect when they complete. A defender is busy for
 * the action's duration (DEFAULT_SIM.defender); monitoring lasts until the next telemetry window closes,
 * or for the `wait` the defender gives.
 */
import type { DefenderDecoded } from './actions.js';
import { loseFoothold } from './attacker-actions.js';
import { PRIV_NONE, PRIV_ROOT } from './network.js';
import { toTicks, TICKS_PER_SECOND } from './params.js';
import type { DefenderAction } from './types.js';
import type { AlertMsg } from './types.js';
import type { DefenderState, World } from './world.js';

export function defenderMask(w: World, d: DefenderState): Uint8Array {
  const L = w.defenderLayout;
  const m = new Uint8Array(L.n);
  m[0] = 1;
  if (w.done) return m;
  // Offsets of each action within a host's block (hot: once per state change per defender).
  const o = { isolate: L.encode('isolate', 0), block: L.encode('block', 0), reset: L.encode('resetCredentials', 0), kill: L.encode('killProcess', 0), reimage: L.encode('reimage', 0), restore: L.encode('restore', 0), blockSource: L.encode('blockSource', 0), patch: L.encode('patch', 0, 0) };
  const V = w.network.maxSlots;
  for (const h of d.hosts) {
    const base = h * L.perHost;
    const offline = w.offlineUntil[h]! > w.now;
    if (!w.isolated[h]) m[base + o.isolate] = 1;
    if (!w.blocked[h] && !w.isolated[h]) m[base + o.block] = 1;
    if (w.network.credsOnHost[h]!.length > 0 || w.credsValidOnHost(h).length > 0) m[base + o.reset] = 1;
    if (!offline) {
      m[base + o.kill] = 1;
      m[base + o.reimage] = 1;
    }
    if (w.isolated[h] || w.blocked[h]) m[base + o.restore] = 1;
    m[base + o.blockSource] = 1;
    if (!offline) {
      const n = w.network.exploitSlots[h]!.length;
      for (let k = 0; k < n; k++) if (!w.patched[h * V + k]) m[base + o.patch + k] = 1;
    }
  }
  return m;
}

/** Posts the alerts sent with `raw`, then starts its action (one the mask refuses runs as monitor and is flagged invalid). */
export function startDefender(w: World, d: DefenderState, raw: DefenderAction | undefined, mask: () => Uint8Array): void {
  const L = w.defenderLayout;
  let a = typeof raw === 'number' ? raw : raw === undefined ? 0 : raw.action;
  if (!Number.isInteger(a) || a < 0 || a >= L.n) throw new RangeError(`${d.id}: action ${String(a)} is outside 0..${L.n - 1}`);
  if (raw !== undefined && typeof raw !== 'number' && raw.alerts) for (const al of raw.alerts) postAlert(w, d, al);
  d.invalid = false;
  if (!mask()[a]) {
    d.invalid = true;
    a = 0;
  }
  const dec = L.decode(a);
  let end: number;
  if (dec.type === 'monitor') {
    const wait = typeof raw === 'object' ? raw.wait : undefined;
    if (wait !== undefined && !(Number.isFinite(wait) && wait > 0)) throw new RangeError(`${d.id}: wait ${String(wait)} must be a positive number of seconds`);
    // A wait is rounded up to whole ticks: acting early would undercut the defence's own pipeline time.
    end = wait !== undefined ? w.now + Math.max(1, Math.ceil(wait * TICKS_PER_SECOND - 1e-9)) : (Math.floor(w.now / w.windowTicks) + 1) * w.windowTicks;
  } else {
    end = w.now + toTicks(w.sim.defender[dec.type]);
    const healthy = !w.hostTouched(dec.host);
    const slot = dec.type === 'patch' ? { slot: dec.slot } : {};
    w.emit({ t: w.time, type: 'response', agent: d.id, action: dec.type, host: dec.host, ...slot, healthy, end: end / TICKS_PER_SECOND });
    chargeResponse(w, dec);
  }
  d.pending = { action: a, start: w.now, end };
  d.busyUntil = end;
}

export function completeDefender(w: World, d: DefenderState): void {
  const p = d.pending!;
  d.pending = null;
  const dec = w.defenderLayout.decode(p.action);
  if (dec.type === 'monitor') return;
  const h = dec.host;
  const sim = w.sim;
  let effective = false;
  switch (dec.type) {
    case 'isolate':
      w.isolated[h] = 1;
      effective = w.attackers.some((s) => s.priv[h]! > 0);
      for (const s of w.attackers) if (s.priv[h]! > 0) w.rewardAttacker(s.id, -sim.footholdLossPenalty * w.network.hostValue[h]!);
      break;
    case 'block':
      w.blocked[h] = 1;
      effective = w.attackers.some((s) => s.priv[h]! > 0);
      break;
    case 'resetCredentials':
      for (const c of w.credsAround(h)) {
        w.credEpoch[c]!++;
        effective ||= w.attackers.some((s) => s.credHeld[c]! >= 0);
      }
      break;
    case 'killProcess':
      for (const s of w.attackers) {
        const pr = s.priv[h]!;
        if (pr === PRIV_NONE) continue;
        if (w.rng.next() < (pr === PRIV_ROOT ? sim.killRemoves.root : sim.killRemoves.user)) {
          loseFoothold(w, s, h, 'process killed');
          effective = true;
        }
      }
      break;
    case 'reimage':
      for (const s of w.attackers) {
        if (s.priv[h]! > 0) effective = true;
        loseFoothold(w, s, h, 'reimaged');
        s.scanned[h] = 0;
      }
      w.offlineUntil[h] = w.now + toTicks(sim.reimageDowntime);
      w.nextOnline = Math.min(w.nextOnline, w.offlineUntil[h]!);
      w.isolated[h] = 0;
      w.blocked[h] = 0;
      break;
    case 'restore':
      w.isolated[h] = 0;
      w.blocked[h] = 0;
      effective = true;
      break;
    case 'blockSource': {
      // Outside addresses seen in h's traffic recently: the attack's, if it came from outside.
      const since = w.now - toTicks(sim.sourceMemorySeconds);
      for (const [key, tick] of w.seenInfra[h]!) {
        if (tick < since || w.blockedInfra.has(key)) continue;
        w.blockedInfra.add(key);
        effective = true;
      }
      break;
    }
    case 'patch': {
      w.patched[h * w.network.maxSlots + dec.slot] = 1;
      effective = w.attackers.some((s) => s.priv[h]! > 0 || s.scanned[h]! > 0);
      w.offlineUntil[h] = Math.max(w.offlineUntil[h]!, w.now + toTicks(sim.patchDowntime));
      w.nextOnline = Math.min(w.nextOnline, w.offlineUntil[h]!);
      break;
    }
  }
  d.lastOutcome = { action: p.action, success: effective };
  w.emit({ t: w.time, type: 'response-done', agent: d.id, action: dec.type, host: h, ...(dec.type === 'patch' ? { slot: dec.slot } : {}), effective });
  w.statusVersion++;
}

function postAlert(w: World, d: DefenderState, al: AlertMsg): void {
  const h = al.host;
  if (!Number.isInteger(h) || h < 0 || h >= w.network.nHosts) throw new RangeError(`${d.id}: alert host ${h} out of range`);
  w.alerts.push({ ...al, from: d.id, time: w.time });
  w.emit({ t: w.time, type: 'alert', agent: d.id, host: h, score: al.score, truePositive: w.hostTouched(h) });
}

/** One-off business cost of a response as it starts (isolation and downtime accrue in costs.ts). */
function chargeResponse(w: World, dec: DefenderDecoded): void {
  if (dec.type === 'monitor') return;
  const r = w.weights;
  const weight = w.businessWeight[dec.host]!;
  let cost = 0;
  if (dec.type === 'reimage') cost = r.reimagePerWeight * weight;
  else if (dec.type === 'resetCredentials') cost = r.resetPerCredential * w.credsAround(dec.host).length;
  else if (dec.type === 'killProcess') cost = r.killProcess;
  else if (dec.type === 'blockSource') cost = r.blockSource;
  else if (dec.type === 'patch') cost = r.patchPerWeight * weight;
  w.chargeBusiness(dec.host, cost);
}
