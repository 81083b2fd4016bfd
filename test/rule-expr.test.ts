/**
 * Restricted rule expressions: the compiled closure must agree with mathjs's own evaluate (on the
 * private predictable instance loadMath() returns), every construct outside the grammar must be refused
 * with a one-line CyrangeError naming the file and the field, and evaluation must be cheap.
 */
import { describe, it, expect } from 'vitest';
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
  'ratio ^ 0.5 + cpu ^ (1/3)',
  '(-ratio) ^ (1/3)',
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

/** Feature values that hit the corners: zero, integers (for ==), near-integers, negatives, NaN, Infinity. */
function randomVector(rng: Rng, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.1) v[i] = 0;
    else if (r < 0.35) v[i] = rng.int(12);
    else if (r < 0.45) v[i] = rng.int(12) + (rng.next() < 0.5 ? 1e-13 : -1e-13); // within mathjs tolerance
    else if (r < 0.55) v[i] = -rng.next() * 10;
    else if (r < 0.6) v[i] = rng.int(8) + 0.5; // halves: rounding direction
    else if (r < 0.63) v[i] = NaN;
    else if (r < 0.65) v[i] = rng.next() < 0.5 ? Infinity : -Infinity;
    else if (r < 0.75) v[i] = rng.next() * 1e7;
    else v[i] = rng.next() * 30;
  }
  return v;
}

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
    expect(await loadMath()).toBe(await loadMath()); // cached instance
  });

  it('agrees with mathjs evaluate on 1,000 random feature vectors per expression', async () => {
    const math = await loadMath();
    const rng = new Rng(20240601).split('rule-expr');
    const vectors = Array.from({ length: 1000 }, () => randomVector(rng, FEATURES.length));
    let checked = 0;
    for (const expr of VALID) {
      const c = compileExpressionSync(expr, FEATURES, WHERE);
      const ref = math.compile(expr);
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

  it('agrees with mathjs floor/ceil/round/mod on values packed around integers and .5 ties', async () => {
    const math = await loadMath();
    const bases = [0, 1, 2, 3, 12, 99, 1000, 123456, 1e9, 2 ** 31, 1e15, 2 ** 52, 2 ** 53, 1e20, 1e300];
    const deltas = [0, 1e-16, 1e-15, 1e-14, 1e-13, 5e-13, 1e-12, 3e-12, 1e-11, 3e-11, 1e-10, 1e-7, 1e-6, 0.1, 0.3];
    const values: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e-20, -1e-20, 1.5e-7, -1.5e-7, 5e-7, -5e-7, 0.49999999999999994, -0.49999999999999994];
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
    const exprs = ['floor(cpu)', 'ceil(cpu)', 'round(cpu)', 'cpu % ratio', 'floor(cpu, 2)', 'ceil(cpu, 3)', 'round(cpu, 1)'];
    const divisors = [3, -3, 0.1, 7.5, 0];
    let checked = 0;
    for (const expr of exprs) {
      const c = compileExpressionSync(expr, FEATURES, WHERE);
      const ref = math.compile(expr);
      for (const [i, cpu] of values.entries()) {
        const ratio = expr.includes('%') ? divisors[i % divisors.length]! : 1;
        const v = Float64Array.from(FEATURES, (n) => (n === 'cpu' ? cpu : n === 'ratio' ? ratio : 0));
        const want = Number(ref.evaluate(scopeOf(FEATURES, v)));
        const got = c.value(v);
        if (!Object.is(got, want)) throw new Error(`${expr} with cpu=${cpu}, ratio=${ratio}: compiled ${got}, mathjs ${want}`);
        checked++;
      }
    }
    expect(checked).toBe(exprs.length * values.length);
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
    // Tolerant comparisons, as mathjs: 5 + 1e-13 == 5.
    expect(compileExpressionSync('failedAuth == 5', FEATURES, WHERE).test(v([5 + 1e-13, 0, 0, 0, 0, 0, 0, 0]))).toBe(true);
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
    const math = await loadMath();
    const expr = 'egressBytesInternet > 5e6 or (privEvents >= 1 and newProcesses > 3) or failedAuth > 5 and distinctDstPorts > 20';
    const c = compileExpressionSync(expr, FEATURES, WHERE);
    const rng = new Rng(11);
    const pool = Array.from({ length: 1024 }, () => Float32Array.from(randomVector(rng, FEATURES.length)));
    let hits = 0;
    const n = 1_000_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (c.test(pool[i & 1023]!)) hits++;
    const ms = performance.now() - t0;

    const ref = math.compile(expr);
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
