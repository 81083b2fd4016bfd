/**
 * The telemetry an attacker leaves: each action's footprint over the windows it spans (on its target(s)
 * and on the foothold it came from) and the C2 beacons of live footholds. Amounts are per action, split
 * across windows by overlap; `atEnd` amounts land in the action's last window. Stealth scales them down.
 */
import type { AttackerDecoded } from './actions.js';
import { PRIV_ROOT } from './network.js';
import { TICKS_PER_SECOND } from './params.js';
import { N_RAW, RAW, STAGE } from './telemetry.js';
import { effectiveStealth, type AttackerState, type Pending, type World } from './world.js';

export function writeFootprint(w: World, s: AttackerState, d: AttackerDecoded, p: Pending): void {
  const net = w.network;
  const T = w.telemetry;
  const q = 1 - w.sim.stealthQuieting * effectiveStealth(w.sim, s);
  const wEnd = Math.floor((p.end - 1) / w.windowTicks);
  const span = p.end - p.start;
  const spread = (h: number, stage: number, vec: Float32Array, atEnd?: Float32Array): void => {
    for (let i = 0; i < vec.length; i++) vec[i]! *= q;
    T.addActivity(p.start, p.end, h, -1, vec, stage);
    if (atEnd) T.addVec(h, wEnd, atEnd, q, stage);
  };
  const src = p.source;
  const v = (fields: Partial<Record<keyof typeof RAW, number>>): Float32Array => {
    const out = new Float32Array(N_RAW);
    for (const [k, x] of Object.entries(fields)) out[RAW[k as keyof typeof RAW]] = x;
    return out;
  };
  switch (d.type) {
    case 'scanZone': {
      const hosts = net.zoneHosts[d.zone]!;
      const k = d.stealthy ? 0.4 : 3;
      const target = v({ flowsIn: k, packetsIn: k * 1.3, synPackets: k * 1.3, failedConnections: k * 0.8, distinctSrcHosts: 1 });
      for (let i = 0; i < target.length; i++) target[i]! *= q;
      T.addActivity(p.start, p.end, -1, d.zone, target, STAGE.recon);
      const n = hosts.length;
      if (src !== null) spread(src, STAGE.recon, v({ flowsOut: k * n, packetsOut: k * 1.3 * n, synPackets: k * 1.3 * n, distinctDstHosts: n, distinctDstPorts: d.stealthy ? 2 : 12, failedConnections: k * 0.8 * n }));
      break;
    }
    case 'scanHost':
      spread(d.host, STAGE.recon, v({ flowsIn: 40, packetsIn: 50, synPackets: 50, failedConnections: 30, distinctSrcHosts: 1 }));
      if (src !== null) spread(src, STAGE.recon, v({ flowsOut: 40, packetsOut: 50, synPackets: 50, distinctDstPorts: 35, failedConnections: 30 }));
      break;
    case 'exploit': {
      const vu = net.vulns[p.vuln]!;
      const nu = vu.noise;
      const target = v({
        flowsIn: 2 + 8 * nu, packetsIn: 20 + 60 * nu, bytesIn: 2e4 + 8e4 * nu, synPackets: 2 + 8 * nu,
        failedAuth: vu.id === 'ssh-weak-password' ? 60 * nu : 0,
      });
      const onSuccess = p.roll ? v({ newProcesses: 1 + 4 * nu, privilegeEvents: vu.grants === PRIV_ROOT ? 1 + 2 * nu : 0, flowsOut: 1, bytesOut: 5e3 }) : undefined;
      spread(d.host, STAGE.exploit, target, onSuccess);
      if (src !== null) spread(src, STAGE.exploit, v({ flowsOut: 2 + 8 * nu, bytesOut: 2e4 + 8e4 * nu, packetsOut: 20 + 60 * nu }));
      break;
    }
    case 'escalate': {
      const nu = net.vulns[p.vuln]!.noise;
      spread(d.host, STAGE.privesc, v({ newProcesses: 2 + 4 * nu, failedAuth: p.roll ? 0 : 1 + 3 * nu }), p.roll ? v({ privilegeEvents: 2 + 2 * nu }) : undefined);
      break;
    }
    case 'lateral': {
      const ok = p.cred >= 0 && s.credHeld[p.cred] === w.credEpoch[p.cred];
      spread(d.host, STAGE.lateral, v({ flowsIn: 3, packetsIn: 30, distinctSrcHosts: 1, failedAuth: ok ? 0 : 3 }), ok ? v({ successAuth: 1, remoteAdminSessions: 1, newProcesses: 2 }) : undefined);
      if (src !== null) spread(src, STAGE.lateral, v({ flowsOut: 3, packetsOut: 30, distinctDstHosts: 1, distinctDstPorts: 1 }));
      break;
    }
    case 'exfiltrate': {
      const bytes = 2e6 * (1 + net.hostValue[d.host]! / 10);
      spread(d.host, STAGE.exfiltration, v({ bytesOut: bytes, egressBytesInternet: bytes, packetsOut: bytes / 1200, flowsOut: 4, flowDurationSum: (span / TICKS_PER_SECOND) * 4 }));
      break;
    }
    case 'wait':
      break;
  }
}

/** C2 beacons from every live foothold into window `win`, every few seconds (less often for stealthier attackers). */
export function writeBeacons(w: World, win: number): void {
  const net = w.network;
  for (const s of w.attackers) {
    const st = effectiveStealth(w.sim, s);
    const every = Math.max(1, Math.round((w.sim.beaconEvery * (1 + 2 * st)) / net.window));
    const q = 1 - w.sim.stealthQuieting * st;
    for (const h of w.footholdHosts(s)) {
      if (!w.isolated[h] && (win + h) % every === 0) {
        const T = w.telemetry;
        T.add(h, win, RAW.flowsOut, 1, STAGE.c2);
        T.add(h, win, RAW.packetsOut, Math.round(6 * q) + 1, STAGE.c2);
        T.add(h, win, RAW.synPackets, 1, STAGE.c2);
        T.add(h, win, RAW.bytesOut, 600 * q, STAGE.c2);
        T.add(h, win, RAW.egressBytesInternet, 600 * q, STAGE.c2);
        T.add(h, win, RAW.dnsQueries, 1, STAGE.c2);
        T.add(h, win, RAW.flowDurationSum, 0.5, STAGE.c2);
      }
    }
  }
}
