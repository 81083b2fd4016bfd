/**
 * Restricted rule expressions: mathjs only parses (its documented node shapes are pinned below, so a mathjs
 * upgrade that changes them fails here, not in a run); the compiled closure has the semantics documented in
 * rule-expr.ts (exact IEEE comparisons), agrees with mathjs's own evaluate wherever mathjs's tolerance does not
 * apply, every construct outside the grammar is refused with a one-line CyrangeError naming the file and
 * the field, and evaluation is cheap.
 */
import { describe, it, expect } from 'vitest';
import { all, create, parseDependencies, type MathNode } from 'mathjs';
import {
  compileCondition,
  compileExpressionSync,
  isMathLoaded,
  loadMath,
  ALLOWED_FUNCTIONS,
} from '../src/defenders/rule-expr.js';
import { CyrangeError } from '../src/shared/errors.js';
import { Rng } from '../src/shared/prng.js';

const FEATURES = [
  'failedAuth',
  'distinctDstPorts',
  'egressBytesInternet',
  'privEvents',
  'newProcesses',
  'cpu',
  'ratio',
  'x', // same name as the generated code's parameter: must still map to its own index
] as const;
const WHERE = { file: 'rules/x.json', field: 'rules[2].when' };

/** Expressions covering every allowed construct, including the numeric corner cases. */
const VALID = [
  'failedAuth > 5 and distinctDstPorts > 20',
  'egressBytesInternet > 5e6 or (privEvents >= 1 and newProcesses > 3)',
  'not (cpu < 0.5) xor ratio != 1',
  'failedAuth == 3 or privEvents <= 2',
  '1 < failedAuth <= 10 < distinctDstPorts',
  'failedAuth == privEvents != newProcesses',
  'failedAuth / distinctDstPorts > 0.5',
  'failedAuth / (privEvents - privEvents)',
  '(failedAuth - 5) % 3',
  'cpu % 0',
  'ratio ^ 0.5 + abs(cpu) ^ (1/3)',
  '(-ratio) ^ 2 + (-cpu) ^ 3',
  '-cpu ^ 2 + +ratio',
  'sqrt(cpu) + log(ratio) - log10(abs(egressBytesInternet) + 1)',
  'log(failedAuth + 1, 2) > 2',
  'exp(-abs(cpu)) * 10',
  'floor(cpu) + ceil(ratio) * round(x)',
  'round(ratio, 2) == 0.5 or floor(cpu, 1) > 3.3 or ceil(x, 3) < 0',
  'min(failedAuth, distinctDstPorts, 7) + max(cpu, ratio)',
  'min(failedAuth > 3, 2) + max(x)',
  'privEvents >= 1 ? newProcesses > 3 : failedAuth',
  'cpu > 1 ? 10 : ratio',
  'true and failedAuth > 1 or false',
  '(failedAuth > 2) + (privEvents > 0) * 2 >= 2',
  'not failedAuth',
  'failedAuth and ratio',
  'x > 3 and x % 2 == 1',
  'cpu + 10% > 2',
  '0x10 > distinctDstPorts',
  'egressBytesInternet < 1e999 and cpu > -Infinity',
  'failedAuth > 5 and\n distinctDstPorts > 20'.replace('\n', ' '),
  '(failedAuth > 5 and\n distinctDstPorts > 20)',
  'failedAuth # trailing comment',
  'egressBytesInternet / 0 > 1e300',
];

/**
 * Feature values that hit the corners: zero, integers (for ==), near-integers (1e-9 off: outside mathjs's
 * 1e-12 tolerance, so it and the exact semantics must agree), negatives, halves, NaN, Infinity.
 */
function randomVector(rng: Rng, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.1) v[i] = 0;
    else if (r < 0.35) v[i] = rng.int(12);
    else if (r < 0.45) v[i] = rng.int(12) + (rng.next() < 0.5 ? 1e-9 : -1e-9);
    else if (r < 0.55) v[i] = -rng.next() * 10;
    else if (r < 0.6) v[i] = rng.int(8) + 0.5; // halves: rounding direction
    else if (r < 0.63) v[i] = NaN;
    else if (r < 0.65) v[i] = rng.next() < 0.5 ? Infinity : -Infinity;
    else if (r < 0.75) v[i] = rng.next() * 1e7;
    else v[i] = rng.next() * 30;
  }
  return v;
}

/** The reference: mathjs's documented evaluate on a full instance, numbers kept real. */
const mathjs = create(all, { predictable: true });

function scopeOf(names: readonly string[], v: ArrayLike<number>): Record<string, number> {
  const s: Record<string, number> = {};
  names.forEach((n, i) => (s[n] = v[i]!));
  return s;
}

function expectRefused(expr: string, fragment: string | RegExp, features: readonly string[] = FEATURES): CyrangeError {
  let caught: unknown;
  try {
    compileExpressionSync(expr, features, WHERE);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${JSON.stringify(expr)} to be refused`).toBeInstanceOf(CyrangeError);
  const msg = (caught as CyrangeError).message;
  expect(msg.startsWith('rules/x.json: rules[2].when: ')).toBe(true);
  expect(msg).not.toContain('\n');
  if (typeof fragment === 'string') expect(msg).toContain(fragment);
  else expect(msg).toMatch(fragment);
  return caught as CyrangeError;
}

describe('rule-expr', () => {
  // Runs first (tests in a file run in order, each file has its own module registry).
  it('compileExpressionSync needs loadMath() first; compileCondition loads it', async () => {
    expect(isMathLoaded()).toBe(false);
    expect(() => compileExpressionSync('failedAuth > 1', FEATURES, WHERE)).toThrow(/loadMath/);
    const c = await compileCondition('failedAuth > 5 and distinctDstPorts > 20', FEATURES, WHERE);
    expect(isMathLoaded()).toBe(true);
    expect(c.source).toBe('failedAuth > 5 and distinctDstPorts > 20');
    expect(c.features).toEqual(['failedAuth', 'distinctDstPorts']);
    expect(c.test(new Float32Array([6, 21, 0, 0, 0, 0, 0, 0]))).toBe(true);
    expect(c.test(new Float32Array([6, 20, 0, 0, 0, 0, 0, 0]))).toBe(false);
    expect(c.value(new Float64Array([6, 21, 0, 0, 0, 0, 0, 0]))).toBe(1);
    await loadMath(); // again: resolves at once from the cache
    expect(isMathLoaded()).toBe(true);
  });

  it('mathjs parse gives the documented node shapes for every construct the grammar accepts', () => {
    // What rule-expr reads, and nothing else: node `type`; OperatorNode fn/args/implicit; ConstantNode value;
    // SymbolNode name; ParenthesisNode content; FunctionNode fn/args; ConditionalNode condition/trueExpr/
    // falseExpr; RelationalNode conditionals/params. Same parse-only instance as rule-expr.ts builds.
    const { parse } = create({ parseDependencies });
    const shape = (n: MathNode): string => {
      const o = n as unknown as Record<string, unknown>;
      const list = (k: string): string => (o[k] as MathNode[]).map(shape).join(', ');
      switch (n.type) {
        case 'ConstantNode':
          return typeof o.value === 'string' ? JSON.stringify(o.value) : String(o.value);
        case 'SymbolNode':
          return String(o.name);
        case 'ParenthesisNode':
          return `(${shape(o.content as MathNode)})`;
        case 'OperatorNode':
          return `${String(o.fn)}${o.implicit === true ? '~implicit' : ''}[${list('args')}]`;
        case 'FunctionNode':
          return `call ${shape(o.fn as MathNode)}[${list('args')}]`;
        case 'ConditionalNode':
          return `if[${[o.condition, o.trueExpr, o.falseExpr].map((c) => shape(c as MathNode)).join(', ')}]`;
        case 'RelationalNode':
          return `${(o.conditionals as string[]).join('/')}[${list('params')}]`;
        default:
          return n.type;
      }
    };
    const pinned: [string, string][] = [
      ['a > 5 and b <= 2e1', 'and[larger[a, 5], smallerEq[b, 20]]'],
      ['a < b or a >= b', 'or[smaller[a, b], largerEq[a, b]]'],
      ['a == 1 xor not a != 2', 'xor[equal[a, 1], unequal[not[a], 2]]'],
      ['1 < a <= 10 < b', 'smaller/smallerEq/smaller[1, a, 10, b]'],
      ['a == b != c', 'equal/unequal[a, b, c]'],
      ['a + b - c * d / e', 'subtract[add[a, b], divide[multiply[c, d], e]]'],
      ['a ^ b % c', 'mod[pow[a, b], c]'],
      ['a mod 3', 'mod[a, 3]'],
      ['-a ^ 2 + +b', 'add[unaryMinus[pow[a, 2]], unaryPlus[b]]'],
      ['not a xor b or c', 'or[xor[not[a], b], c]'],
      ['(a + 1) * 2', 'multiply[(add[a, 1]), 2]'],
      ['a ? b : c > 1', 'if[a, b, larger[c, 1]]'],
      ['max(a, 1, b) + round(c, 2)', 'add[call max[a, 1, b], call round[c, 2]]'],
      ['a + 10%', 'add[a, multiply[a, divide[10, 100]]]'],
      ['0x1F + 5e6 + 0.25', 'add[add[31, 5000000], 0.25]'],
      ['Infinity > 1e999', 'larger[Infinity, Infinity]'],
      ['true or false', 'or[true, false]'],
      ['(a >\n 1)', '(larger[a, 1])'],
      ['a # comment', 'a'],
      // Refused by the grammar, by these shapes:
      ['2 a', 'multiply~implicit[2, a]'],
      ['NaN', 'NaN'],
      ['"s"', '"s"'],
      ['a > 1; b', 'BlockNode'],
      ['a = 1', 'AssignmentNode'],
      ['a.b', 'AccessorNode'],
      ['[1]', 'ArrayNode'],
      ['1:3', 'RangeNode'],
    ];
    for (const [expr, want] of pinned) expect(shape(parse(expr)), JSON.stringify(expr)).toBe(want);
  });

  it("agrees with mathjs evaluate where its tolerance does not apply, 1,000 random vectors per expression", async () => {
    await loadMath();
    const rng = new Rng(20240601).split('rule-expr');
    const vectors = Array.from({ length: 1000 }, () => randomVector(rng, FEATURES.length));
    let checked = 0;
    for (const expr of VALID) {
      const c = compileExpressionSync(expr, FEATURES, WHERE);
      const ref = mathjs.compile(expr);
      for (const v of vectors) {
        const want: unknown = ref.evaluate(scopeOf(FEATURES, v));
        expect(typeof want === 'number' || typeof want === 'boolean', `${expr}: mathjs gave ${String(want)}`).toBe(true);
        const got = c.value(v);
        if (!Object.is(got, Number(want))) {
          throw new Error(`${expr} on [${Array.from(v).join(', ')}]: compiled ${got}, mathjs ${String(want)}`);
        }
        expect(c.test(v)).toBe(Boolean(want));
        checked++;
      }
    }
    expect(checked).toBe(VALID.length * 1000);
  });

  it('floor/ceil/round/mod are exact on values packed around integers and .5 ties', async () => {
    await loadMath();
    // Oracles written without Math.floor/round: x % 1 is exact in IEEE arithmetic, so is x minus it.
    const floorOf = (x: number): number => {
      if (!Number.isFinite(x)) return x;
      const r = x % 1;
      return r === 0 ? x : r > 0 ? x - r : x - r - 1;
    };
    const roundOf = (x: number): number => {
      const a = Math.abs(x);
      const f = floorOf(a);
      const k = a - f >= 0.5 ? f + 1 : f; // halves away from zero
      return x < 0 || Object.is(x, -0) ? -k : k;
    };
    const ceilOf = (x: number): number => -floorOf(-x);
    const modOf = (x: number, y: number): number => (y === 0 ? x : x - y * floorOf(x / y));
    const digits = (f: (x: number) => number, n: number) => (x: number) => (Number.isInteger(x) ? x : f(x * 10 ** n) / 10 ** n);
    const bases = [0, 1, 2, 3, 12, 99, 1000, 123456, 1e9, 2 ** 31, 1e15, 2 ** 52, 2 ** 53, 1e20, 1e300];
    const deltas = [0, 1e-16, 1e-15, 1e-14, 1e-13, 5e-13, 1e-12, 3e-12, 1e-11, 3e-11, 1e-10, 1e-7, 1e-6, 0.1, 0.3];
    const values: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e-20, -1e-20, 1.5e-7, -1.5e-7, 5e-7, -5e-7, 0.49999999999999994, -0.49999999999999994, 2.9999999999999996];
    for (const b of bases) {
      for (const half of [0, 0.5]) {
        for (const d of deltas) {
          for (const rel of [false, true]) {
            const step = rel ? d * (b + 1) : d;
            for (const sign of [1, -1]) values.push(sign * (b + half + step), sign * (b + half - step));
          }
        }
      }
    }
    const cases: [string, (x: number, y: number) => number][] = [
      ['floor(cpu)', floorOf],
      ['ceil(cpu)', ceilOf],
      ['round(cpu)', roundOf],
      ['cpu % ratio', modOf],
      ['floor(cpu, 2)', digits(floorOf, 2)],
      ['ceil(cpu, 3)', digits(ceilOf, 3)],
      ['round(cpu, 1)', digits(roundOf, 1)],
    ];
    const divisors = [3, -3, 0.1, 7.5, 0];
    let checked = 0;
    let mathjsDiffers = 0;
    for (const [expr, want] of cases) {
      const c = compileExpressionSync(expr, FEATURES, WHERE);
      const ref = mathjs.compile(expr);
      for (const [i, cpu] of values.entries()) {
        const ratio = expr.includes('%') ? divisors[i % divisors.length]! : 1;
        const v = Float64Array.from(FEATURES, (n) => (n === 'cpu' ? cpu : n === 'ratio' ? ratio : 0));
        const got = c.value(v);
        if (!Object.is(got, want(cpu, ratio))) throw new Error(`${expr} with cpu=${cpu}, ratio=${ratio}: compiled ${got}, exact ${want(cpu, ratio)}`);
        if (Number(ref.evaluate(scopeOf(FEATURES, v))) !== got && !Number.isNaN(got)) mathjsDiffers++;
        checked++;
      }
    }
    expect(checked).toBe(cases.length * values.length);
    // The values reach into mathjs's tolerance, where its floor/ceil/round answer otherwise (e.g. floor(2.9999999999999996) is 3).
    expect(mathjsDiffers).toBeGreaterThan(0);
  });

  it('compares exactly and computes in plain doubles, as documented in rule-expr.ts', async () => {
    await loadMath();
    const at = (expr: string, vals: Partial<Record<(typeof FEATURES)[number], number>>): number =>
      compileExpressionSync(expr, FEATURES, WHERE).value(Float64Array.from(FEATURES, (n) => vals[n] ?? 0));
    // Where mathjs's evaluate (relTol 1e-12) says true, 3, 1.01, about 0 and -2:
    expect(at('failedAuth == 5', { failedAuth: 5 + 1e-13 })).toBe(0);
    expect(at('failedAuth == 5', { failedAuth: 5 })).toBe(1);
    expect(at('egressBytesInternet >= 1e6', { egressBytesInternet: 1e6 - 1e-7 })).toBe(0);
    expect(at('egressBytesInternet >= 1e6', { egressBytesInternet: 1e6 })).toBe(1);
    expect(at('cpu + ratio == 0.3', { cpu: 0.1, ratio: 0.2 })).toBe(0);
    expect(at('cpu + ratio > 0.3', { cpu: 0.1, ratio: 0.2 })).toBe(1);
    expect(at('floor(cpu)', { cpu: 2.9999999999999996 })).toBe(2);
    expect(at('round(cpu, 2)', { cpu: 1.005 })).toBe(1);
    expect(at('cpu % ratio', { cpu: 0.3, ratio: 0.1 })).toBe(0.09999999999999998);
    expect(at('(-cpu) ^ (1/3)', { cpu: 8 })).toBeNaN();
    // The rest of the documented arithmetic.
    expect(at('cpu ^ (1/3)', { cpu: 8 })).toBe(2);
    expect(at('(-cpu) ^ 3', { cpu: 2 })).toBe(-8);
    expect(at('cpu % ratio', { cpu: -7, ratio: 3 })).toBe(2);
    expect(at('cpu % ratio', { cpu: 7, ratio: -3 })).toBe(-2);
    expect(at('cpu % ratio', { cpu: 7, ratio: 0 })).toBe(7);
    expect(at('round(cpu)', { cpu: 2.5 })).toBe(3);
    expect(at('round(cpu)', { cpu: -2.5 })).toBe(-3);
    expect(at('round(cpu, 15)', { cpu: 1e300 })).toBe(1e300);
    expect(at('min(cpu, ratio, 1)', { cpu: 2, ratio: NaN })).toBeNaN();
    expect(at('max(cpu, ratio)', { cpu: NaN, ratio: 3 })).toBeNaN();
    expect(Object.is(at('min(cpu, ratio)', { cpu: 0, ratio: -0 }), 0)).toBe(true); // ties keep the first
    expect(at('log(cpu, 2)', { cpu: 8 })).toBe(3);
    expect(at('sqrt(cpu)', { cpu: -4 })).toBeNaN();
    expect(at('(cpu > 1) + (ratio > 1)', { cpu: 2, ratio: 2 })).toBe(2);
  });

  it('reads Float32Array vectors like the same values in a Float64Array', async () => {
    await loadMath();
    const rng = new Rng(7);
    for (const expr of VALID.slice(0, 10)) {
      const c = compileExpressionSync(expr, FEATURES, WHERE);
      for (let k = 0; k < 100; k++) {
        const f32 = Float32Array.from(randomVector(rng, FEATURES.length));
        expect(c.value(f32)).toEqual(c.value(Float64Array.from(f32)));
      }
    }
  });

  it('documents NaN and division by zero', async () => {
    await loadMath();
    const v = (vals: number[]): Float64Array => Float64Array.from(vals);
    const nan = v([NaN, 0, 0, 0, 0, 0, 0, 0]);
    for (const e of ['failedAuth > 1', 'failedAuth < 1', 'failedAuth >= 1', 'failedAuth <= 1', 'failedAuth == failedAuth']) {
      expect(compileExpressionSync(e, FEATURES, WHERE).test(nan)).toBe(false);
    }
    expect(compileExpressionSync('failedAuth != 1', FEATURES, WHERE).test(nan)).toBe(true);
    expect(compileExpressionSync('failedAuth', FEATURES, WHERE).test(nan)).toBe(false);
    expect(compileExpressionSync('not failedAuth', FEATURES, WHERE).test(nan)).toBe(true);
    const div = compileExpressionSync('failedAuth / distinctDstPorts', FEATURES, WHERE);
    expect(div.value(v([1, 0, 0, 0, 0, 0, 0, 0]))).toBe(Infinity);
    expect(div.value(v([0, 0, 0, 0, 0, 0, 0, 0]))).toBeNaN();
    expect(compileExpressionSync('failedAuth / distinctDstPorts > 3', FEATURES, WHERE).test(v([0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false);
  });

  it('refuses every construct outside the grammar, naming file and field', async () => {
    await loadMath();
    const cases: [string, string | RegExp][] = [
      ['import({a: 1})', 'function "import" is not allowed'],
      ['evaluate("1+1")', 'function "evaluate" is not allowed'],
      ['parse("x")', 'function "parse" is not allowed'],
      ['createUnit("foo")', 'function "createUnit" is not allowed'],
      ['simplify("x")', 'function "simplify" is not allowed'],
      ['derivative("x^2", "x")', 'function "derivative" is not allowed'],
      ['resolve(failedAuth)', 'function "resolve" is not allowed'],
      ['sin(cpu)', `(allowed: ${ALLOWED_FUNCTIONS.join(', ')})`],
      ['failedAuth(2)', '"failedAuth" is a feature, not a function'],
      ['x = 1', 'assignment is not allowed'],
      ['f(x) = x + 1', 'function definition is not allowed'],
      ['a.b', 'property or index access is not allowed'],
      ['failedAuth.constructor', 'property or index access is not allowed'],
      ['failedAuth[1]', 'property or index access is not allowed'],
      ['[1, 2]', 'matrices/arrays are not allowed'],
      ['max([1, 2])', 'matrices/arrays are not allowed'],
      ['{a: 1}', 'objects are not allowed'],
      ['"abc"', 'strings are not allowed'],
      ["'abc' == 'abc'", 'strings are not allowed'],
      ['5 cm', 'implicit multiplication is not allowed'],
      ['2 failedAuth', 'implicit multiplication is not allowed'],
      ['5 * cm', 'unknown feature "cm"'],
      ['failedAuth to cm', 'unit conversion'],
      ['failedAuth > 1; cpu > 2', 'only one expression is allowed'],
      ['failedAuth > 1\ncpu > 2', 'only one expression is allowed'],
      ['1:3', 'ranges are not allowed'],
      ['failedAuth!', 'factorial'],
      ["failedAuth'", 'transpose'],
      ['failedAuth & 1', 'bitwise and'],
      ['failedAuth << 1', 'shift'],
      ['null', 'null is not allowed'],
      ['pi > 3', 'unknown feature "pi"'],
      ['NaN', 'NaN is not allowed'],
      ['constructor > 1', 'unknown feature "constructor"'],
      ['__proto__ > 1', 'unknown feature "__proto__"'],
      ['sqrt(1, 2)', 'function "sqrt" takes 1 argument, got 2'],
      ['min()', 'function "min" takes at least 1 argument'],
      ['round(cpu, ratio)', 'digits argument must be an integer literal 0..15'],
      ['round(cpu, 16)', 'digits argument must be an integer literal 0..15'],
      ['failedAuth.toString()', 'only direct calls of abs, min'],
      ['f(1)(2)', 'implicit multiplication is not allowed'],
      ['failedAuth > ', 'syntax error'],
      ['   ', 'empty expression'],
    ];
    for (const [expr, fragment] of cases) expectRefused(expr, fragment);
  });

  it('lists the known features for an unknown name and suggests the nearest', async () => {
    await loadMath();
    const e = expectRefused('failedAuths > 5', 'unknown feature "failedAuths"');
    expect(e.message).toContain('did you mean "failedAuth"?');
    expect(e.message).toContain(`known: ${FEATURES.join(', ')}`);
    expect(e.message).toBe(
      `rules/x.json: rules[2].when: unknown feature "failedAuths" (did you mean "failedAuth"? known: ${FEATURES.join(', ')})`,
    );
    expectRefused('zzz > 1', /unknown feature "zzz" \(known: failedAuth, /);
  });

  it('is deterministic and guards short vectors', async () => {
    await loadMath();
    const a = compileExpressionSync(VALID[1]!, FEATURES, WHERE);
    const b = compileExpressionSync(VALID[1]!, FEATURES, WHERE);
    const rng = new Rng(3);
    for (let k = 0; k < 200; k++) {
      const v = randomVector(rng, FEATURES.length);
      expect(a.value(v)).toEqual(b.value(v));
    }
    expect(a.features).toEqual(['egressBytesInternet', 'privEvents', 'newProcesses']);
    expect(() => a.test(new Float64Array(3))).toThrow(RangeError);
  });

  it('evaluates 1e6 vectors quickly (rate printed, not asserted)', async () => {
    await loadMath();
    const expr = 'egressBytesInternet > 5e6 or (privEvents >= 1 and newProcesses > 3) or failedAuth > 5 and distinctDstPorts > 20';
    const c = compileExpressionSync(expr, FEATURES, WHERE);
    const rng = new Rng(11);
    const pool = Array.from({ length: 1024 }, () => Float32Array.from(randomVector(rng, FEATURES.length)));
    let hits = 0;
    const n = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (c.test(pool[i & 1023]!)) hits++;
    const ms = performance.now() - t0;

    const ref = mathjs.compile(expr);
    const scopes = pool.map((v) => scopeOf(FEATURES, v));
    const m = 5_000;
    let refHits = 0;
    const t1 = performance.now();
    for (let i = 0; i < m; i++) if (ref.evaluate(scopes[i & 1023]!)) refHits++;
    const refMs = performance.now() - t1;

    const rate = n / (ms / 1000);
    const refRate = m / (refMs / 1000);
    console.log(
      JSON.stringify({ bench: 'rule-expr', compiled_evals_per_s: Math.round(rate), mathjs_evals_per_s: Math.round(refRate), speedup: +(rate / refRate).toFixed(1) }),
    );
    // Same decisions on the shared part of the loop (the first m vectors cycle the same pool).
    let hitsM = 0;
    for (let i = 0; i < m; i++) if (c.test(pool[i & 1023]!)) hitsM++;
    expect(hitsM).toBe(refHits);
    expect(hits).toBeGreaterThan(0);
  });
});
