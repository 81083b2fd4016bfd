/**
 * The two designs `cyrange reproduce` can run, and what one says that the other does not.
 *
 *   unconfounded  experiments/response-times.json: the same single-attacker kill-chain mix on 50, 120 and
 *                 200 hosts, so a change with size is the size effect alone (the default);
 *   paper         experiments/paper-protocol.json: the reference paper's A/B/C design (scenarios paper-a,
 *                 paper-b, paper-c: a different attack mix at each size, 2 attackers, 3 defender agents),
 *                 where size and scenario are confounded.
 *
 * When both ran, the comparison takes claim 2's trend test (Spearman's rho of response latency against
 * hosts, over seeds, Holm-adjusted within its own run) per attacker and defence under each design and
 * says where the rise with size appears under one design and not the other.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fmtN, fmtP } from './claims.js';
import type { Results } from './run-format.js';
import type { Table } from './table.js';

export const PROTOCOLS = ['unconfounded', 'paper'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const PROTOCOL_SPECS: Record<Protocol, string> = {
  unconfounded: 'experiments/response-times.json',
  paper: 'experiments/paper-protocol.json',
};

export const PROTOCOL_HELP: Record<Protocol, string> = {
  unconfounded: 'the same single-attacker kill-chain mix at 50, 120 and 200 hosts: a change with size is the size effect alone',
  paper: "the reference paper's A/B/C design (paper-a, paper-b, paper-c): another attack mix at each size, 2 attackers and 3 defender agents, so size and scenario are confounded",
};

/** The package's spec file of a protocol (same relative place from src/ and dist/). */
export function protocolSpecPath(p: Protocol): string {
  return fileURLToPath(new URL(`../../${PROTOCOL_SPECS[p]}`, import.meta.url));
}

const trendCell = z.object({ rho: z.number().nullable(), p: z.number().nullable(), pHolm: z.number().nullable(), verdict: z.string(), n: z.number().int() });

export const protocolComparisonSchema = z.object({
  metric: z.literal('responseLatency'),
  rows: z.array(z.object({ attacker: z.string(), defender: z.string(), unconfounded: trendCell.nullable(), paper: trendCell.nullable(), finding: z.string() })),
  summary: z.string(),
});
export type ProtocolComparison = z.output<typeof protocolComparisonSchema>;

const rises = (c: { verdict: string } | null): boolean => c?.verdict === 'supported';

/** Claim 2's trends of two runs side by side, with what differs. */
export function compareProtocols(unconfounded: Results, paper: Results): ProtocolComparison {
  const cell = (r: Results, a: string, d: string): z.output<typeof trendCell> | null => {
    const t = r.trends.find((x) => x.attacker === a && x.defender === d && x.metric === 'responseLatency');
    return t ? { rho: t.rho, p: t.p, pHolm: t.pHolm, verdict: t.verdict, n: t.n } : null;
  };
  const attackers = unconfounded.attackers.filter((a) => paper.attackers.includes(a));
  const defenders = [...new Set([...unconfounded.trends, ...paper.trends].map((t) => t.defender))];
  const rows: ProtocolComparison['rows'] = [];
  for (const a of attackers)
    for (const d of defenders) {
      const u = cell(unconfounded, a, d);
      const p = cell(paper, a, d);
      if (!u && !p) continue;
      const finding = rises(u) && rises(p) ? 'rises under both' : rises(p) ? 'rises under the paper design only' : rises(u) ? 'rises under the unconfounded design only' : 'no supported rise under either';
      rows.push({ attacker: a, defender: d, unconfounded: u, paper: p, finding });
    }
  const count = (f: string): number => rows.filter((r) => r.finding === f).length;
  const onlyPaper = count('rises under the paper design only');
  const onlyUnc = count('rises under the unconfounded design only');
  const both = count('rises under both');
  const summary =
    rows.length === 0
      ? 'no trend tests to compare (each design needs at least two sizes and the claim-2 defences)'
      : `Of ${rows.length} attacker x defence trends of response latency with size, ${both} rise (Holm-supported) under both designs, ${onlyPaper} under the paper's A/B/C design only, ${onlyUnc} under the unconfounded design only, ${rows.length - both - onlyPaper - onlyUnc} under neither. ` +
        (onlyPaper > 0 && onlyUnc === 0 && both === 0
          ? 'The rise appears where attack mix changes with size and not where size changes alone: in this run it is the scenario, not the size.'
          : onlyPaper + onlyUnc === 0
            ? 'The two designs agree.'
            : 'The designs disagree for the rows marked "only".');
  return { metric: 'responseLatency', rows, summary };
}

export function protocolTable(c: ProtocolComparison): Table {
  const t = (x: z.output<typeof trendCell> | null): string => (x === null ? 'not run' : `rho ${fmtN(x.rho, 2)}, p ${fmtP(x.p)}, Holm ${fmtP(x.pHolm)}: ${x.verdict} (n=${x.n})`);
  return {
    title: 'Response latency against network size under each design (claim 2, Spearman trend over seeds)',
    columns: ['Attacker', 'Defender', 'Unconfounded (same attack mix)', "Paper's A/B/C design", 'Finding'].map((label) => ({ label, align: 'left' as const })),
    rows: c.rows.map((r) => [r.attacker, r.defender, t(r.unconfounded), t(r.paper), r.finding]),
    note: c.summary,
  };
}
