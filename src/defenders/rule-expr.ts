/**
 * Restricted expression compiler for the static defender rules of the rule-based MAS baseline.
 *
 * A rule condition such as `failedAuth > 5 and distinctDstPorts > 20` is parsed ONCE with mathjs
 * (loaded lazily: importing it costs 0.3-1.5 s), its AST is checked against a small grammar, and the
 * checked AST is compiled to a plain JS function over the window's feature vector. Per-window evaluation
 * never goes through mathjs.
 *
 * Grammar (everything else is rejected with a CyrangeError `${file}: ${field}: ${what is wrong}`):
 *   - numbers written as literals (`5`, `5e6`, `0.25`, `0x1F`, `Infinity`), `true`, `false` (not `NaN`);
 *   - feature names from the list passed in (no other symbols: no `pi`, `e`, units);
 *   - `+ - * / ^ %` (and `mod`), unary `-` and `+`, `< <= > >= == !=` (chains like `a < b < c` too),
 *     `and or xor not`, parentheses, `c ? a : b`; mathjs's postfix percent (`a + 10%`) comes out as
 *     plain arithmetic in the AST and is accepted as such;
 *   - calls to abs, min, max, sqrt, log, log10, exp, floor, ceil, round (round/floor/ceil accept an
 *     optional digits argument that must be an integer literal 0..15, as mathjs would throw otherwise;
 *     round(x, digits) runs mathjs's own string-based code, ~40k calls/s, the rest runs at plain-JS speed).
 *   Rejected: any other function (import, evaluate, parse, createUnit, simplify, derivative, resolve, ...),
 *   assignment and function definition, property/index access, matrices, objects, ranges, strings, null,
 *   implicit multiplication (`2a`, `5 cm`: hides typos and is how units are written), bitwise/factorial/
 *   transpose/unit-conversion operators, `;`/newline-separated statements (a newline inside parentheses
 *   is fine).
 *
 * Semantics = mathjs `evaluate` on plain numbers with `predictable: true` (the instance `loadMath()` returns):
 *   - comparisons use mathjs's tolerance (relTol 1e-12, absTol 1e-15), so `5 + 1e-13 == 5` is true;
 *   - NaN: `<`, `<=`, `>`, `>=`, `==` with a NaN operand are false; `!=` is its negation, so it is true
 *     (as in mathjs and IEEE). A NaN used as a truth value (`and`, `or`, `not`, `?:`, `test()`) is false.
 *     So a rule over a missing (NaN) feature does not fire unless written with `!=` or `not`.
 *   - division by zero gives ±Infinity (0/0 gives NaN); `x % 0` is x (mathjs `mod`);
 *   - real-valued only: sqrt/log/log10 of a negative and `(-8)^0.5` give NaN, `(-8)^(1/3)` gives -2;
 *   - booleans in arithmetic count as 1/0; `value()` returns 1/0 for a boolean expression.
 *
 * Safety of the generated code: the compiled function is built with `new Function`, but its body is
 * assembled only from fixed tokens chosen by this file: operators and parentheses from the tables below,
 * `x[<integer>]` for a feature (the index comes from our own name->index Map, never the name), helper
 * names from the fixed HELPER_NAMES list, `true`/`false`, and number literals printed by `String(n)` of a
 * non-negative number (digits, `.`, `e`, sign) or `(1/0)`. No character of the rule text is ever copied into
 * the body. As a second line of defence `assertSafeBody` re-tokenises the body and refuses to compile it
 * if anything else appears. The body names nothing but `x` and those helpers (no globals, no mathjs).
 */
import type { MathJsInstance, MathNode } from 'mathjs';
import { CyrangeError } from '../shared/errors.js';

export interface RuleSite {
  /** The rules file, as shown to the user (e.g. `rules/x.json`). */
  file: string;
  /** The field inside it (e.g. `rules[2].when`). */
  field: string;
}

export interface CompiledCondition {
  /** The expression text as written. */
  source: string;
  /** Feature names the expression references, in feature-vector order, each once. */
  features: string[];
  /** Truth value (NaN and 0 are false). Throws RangeError if `x` is shorter than the feature list. */
  test(x: ArrayLike<number>): boolean;
  /** Numeric value (booleans as 1/0). */
  value(x: ArrayLike<number>): number;
}

/** Functions a rule may call. */
export const ALLOWED_FUNCTIONS: readonly string[] = [
  'abs',
  'min',
  'max',
  'sqrt',
  'log',
  'log10',
  'exp',
  'floor',
  'ceil',
  'round',
];

/** Expressions longer than this are refused before parsing (a rule is one line, not a program). */
const MAX_EXPRESSION_LENGTH = 4000;

// ---------------------------------------------------------------------------------------------
// Lazy mathjs
// ---------------------------------------------------------------------------------------------

type Num2 = (a: number, b: number) => number;
type Num1 = (a: number) => number;
type Cmp = (a: number, b: number) => boolean;

/** Helpers the generated code may call. Their names are the only identifiers (besides x) in the body. */
interface Helpers {
  lt: Cmp;
  le: Cmp;
  gt: Cmp;
  ge: Cmp;
  eq: Cmp;
  ne: Cmp;
  pow: Num2;
  mod: Num2;
  abs: Num1;
  sqrt: Num1;
  log: Num1;
  logb: Num2;
  log10: Num1;
  exp: Num1;
  floor: Num1;
  floor2: Num2;
  ceil: Num1;
  ceil2: Num2;
  round: Num1;
  round2: Num2;
  min2: Num2;
  max2: Num2;
  short: (len: number) => never;
}
const HELPER_NAMES = [
  'lt', 'le', 'gt', 'ge', 'eq', 'ne', 'pow', 'mod', 'abs', 'sqrt', 'log', 'logb', 'log10', 'exp',
  'floor', 'floor2', 'ceil', 'ceil2', 'round', 'round2', 'min2', 'max2', 'short',
] as const satisfies readonly (keyof Helpers)[];

interface MathEnv {
  math: MathJsInstance;
  h: Helpers;
}

let mathEnv: MathEnv | undefined;
let mathLoading: Promise<MathEnv> | undefined;

/**
 * Load mathjs once (dynamic import, cached) and return the private instance rules are parsed with:
 * `create(all, { predictable: true })`, so real-valued functions stay real (NaN instead of Complex).
 * Its `evaluate` is the reference the compiled conditions agree with.
 */
export async function loadMath(): Promise<MathJsInstance> {
  if (mathEnv) return mathEnv.math;
  mathLoading ??= import('mathjs').then(
    (m) => {
      mathEnv = buildEnv(m.create(m.all, { predictable: true }));
      return mathEnv;
    },
    (e: unknown) => {
      mathLoading = undefined; // let a later call retry
      throw e;
    },
  );
  return (await mathLoading).math;
}

/** True once `loadMath()` has finished, i.e. `compileExpressionSync` may be used. */
export function isMathLoaded(): boolean {
  return mathEnv !== undefined;
}

/**
 * The helpers are mathjs's own number implementations, taken from its typed functions' `signatures`
 * (the raw per-signature functions, skipping dispatch): exact agreement with `evaluate`, including
 * mathjs's tolerant comparisons, at plain-call cost. floor/ceil/round/mod get exact fast paths in front
 * of mathjs's (slow, string-based) versions, see `fastRounding`.
 */
function buildEnv(math: MathJsInstance): MathEnv {
  const sig = <F>(name: string, key: string): F => {
    const fn = (math as unknown as Record<string, { signatures?: Record<string, unknown> } | undefined>)[name];
    const impl = fn?.signatures?.[key];
    if (typeof impl !== 'function') {
      throw new Error(`rule-expr: mathjs ${name} has no "${key}" signature (mathjs version changed?)`);
    }
    return impl as F;
  };
  const lt = sig<Cmp>('smaller', 'number,number');
  const gt = sig<Cmp>('larger', 'number,number');
  const eq = sig<Cmp>('equalScalar', 'number,number');
  const log = sig<Num1>('log', 'number');
  const { floor, ceil, round } = fastRounding(
    sig<Num1>('floor', 'number'),
    sig<Num1>('ceil', 'number'),
    sig<Num1>('round', 'number'),
  );
  const h: Helpers = {
    lt,
    le: sig<Cmp>('smallerEq', 'number,number'),
    gt,
    ge: sig<Cmp>('largerEq', 'number,number'),
    eq,
    // mathjs unequal(x, y) on numbers is !equalScalar(x, y).
    ne: (a, b) => !eq(a, b),
    pow: sig<Num2>('pow', 'number,number'),
    // mathjs mod/floor(x, n)/ceil(x, n) on numbers, verbatim, over the fast floor/ceil below.
    mod: (x, y) => (y === 0 ? x : x - y * floor(x / y)),
    abs: sig<Num1>('abs', 'number'),
    sqrt: sig<Num1>('sqrt', 'number'),
    log,
    // mathjs log(x, base) = divideScalar(log(x), log(base)).
    logb: (a, b) => log(a) / log(b),
    log10: sig<Num1>('log10', 'number'),
    exp: sig<Num1>('exp', 'number'),
    floor,
    floor2: (x, n) => {
      const shift = 10 ** n;
      return floor(x * shift) / shift;
    },
    ceil,
    ceil2: (x, n) => {
      const shift = 10 ** n;
      return ceil(x * shift) / shift;
    },
    round,
    // round(x, digits) is rare in rules: always mathjs's own (decimal-string based, ~40k calls/s).
    round2: sig<Num2>('round', 'number,number'),
    // mathjs min/max fold left: a NaN argument makes the result NaN for good; ties keep the earlier value.
    min2: (m, v) => (Number.isNaN(v) ? v : lt(v, m) ? v : m),
    max2: (m, v) => (Number.isNaN(v) ? v : gt(v, m) ? v : m),
    short: (len) => {
      throw new RangeError(`rule condition: feature vector too short (${len} values)`);
    },
  };
  return { math, h };
}

/**
 * mathjs floor/ceil/round on numbers are tolerant (floor(2.9999999999999996) is 3) and decimal-exact
 * (round(-0.3) is -0), and each calls `round`, which goes through strings: ~40k calls/s. Exact fast paths:
 * when x is an integer, or farther than `margin(x)` from every value where mathjs's tolerance or tie rule
 * could matter, the answer is the plain Math one; otherwise fall back to mathjs's own function.
 * Why the margin is safe: mathjs's tolerance is |a-b| <= max(1e-12*max(|a|,|b|), 1e-15) and its round first
 * snaps x to 12 decimals (a move of at most 5e-13); 1e-11*(|x|+1) exceeds both, with room for the ~1e-16
 * relative error of x - Math.floor(x). The test compares against mathjs on values packed around these edges.
 */
function fastRounding(slowFloor: Num1, slowCeil: Num1, slowRound: Num1): { floor: Num1; ceil: Num1; round: Num1 } {
  const margin = (x: number): number => 1e-11 * (Math.abs(x) + 1);
  const floor = (x: number): number => {
    const f = Math.floor(x);
    if (x === f) return x; // integers, ±0, ±Infinity: mathjs gives x too
    const d = x - f; // NaN falls through to the slow path
    return d > margin(x) && 1 - d > margin(x) ? f : slowFloor(x);
  };
  const ceil = (x: number): number => {
    const c = Math.ceil(x); // Math.ceil(-0.3) is -0, as mathjs
    if (x === c) return x;
    const d = c - x;
    return d > margin(x) && 1 - d > margin(x) ? c : slowCeil(x);
  };
  const round = (x: number): number => {
    if (Number.isInteger(x)) return x === 0 ? 0 : x; // mathjs round(-0) is +0
    const f = Math.floor(x);
    const d = x - f;
    // Far from a .5 tie and not tiny (mathjs's sign of zero for |x| < 1e-6 varies): nearest integer,
    // and a negative x that rounds to zero gives -0, as mathjs.
    if (Math.abs(x) >= 1e-6 && Math.abs(d - 0.5) > margin(x)) {
      const k = d < 0.5 ? f : f + 1;
      return k === 0 && x < 0 ? -0 : k;
    }
    return slowRound(x);
  };
  return { floor, ceil, round };
}

// ---------------------------------------------------------------------------------------------
// Public compile API
// ---------------------------------------------------------------------------------------------

/** Parse, check and compile `expr` (loads mathjs on first use). */
export async function compileCondition(
  expr: string,
  featureNames: readonly string[],
  where: RuleSite,
): Promise<CompiledCondition> {
  await loadMath();
  return compileExpressionSync(expr, featureNames, where);
}

/** Same as `compileCondition`, for callers that already awaited `loadMath()`. */
export function compileExpressionSync(
  expr: string,
  featureNames: readonly string[],
  where: RuleSite,
): CompiledCondition {
  if (!mathEnv) throw new Error('rule-expr: call `await loadMath()` before compileExpressionSync');
  const fail = (what: string): never => {
    throw new CyrangeError(`${where.file}: ${where.field}: ${what}`.replace(/\s*\n\s*/g, ' '));
  };
  if (typeof expr !== 'string') fail(`expected an expression string, got ${typeof expr}`);
  if (expr.trim() === '') fail('empty expression');
  if (expr.length > MAX_EXPRESSION_LENGTH) fail(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);

  const index = new Map<string, number>();
  featureNames.forEach((name, i) => {
    if (index.has(name)) throw new Error(`rule-expr: duplicate feature name "${name}"`);
    index.set(name, i);
  });

  let ast: MathNode;
  try {
    ast = mathEnv.math.parse(expr);
  } catch (e) {
    return fail(`syntax error: ${e instanceof Error ? e.message : String(e)}`);
  }

  const used = new Set<number>();
  const gen = new CodeGen(index, featureNames, used, fail);
  const root = gen.node(ast);
  assertSafeBody(root.code);

  // Length check once per call, then the expression; helpers are bound as locals so V8 can inline them.
  const prelude = `"use strict"; const {${HELPER_NAMES.join(', ')}} = h; const n = ${featureNames.length};`;
  const guard = 'if (x.length < n) short(x.length);';
  const factory = new Function(
    'h',
    `${prelude}
     return [
       function test(x) { ${guard} return !!${root.code}; },
       function value(x) { ${guard} return +${root.code}; },
     ];`,
  ) as (h: Helpers) => [(x: ArrayLike<number>) => boolean, (x: ArrayLike<number>) => number];
  const [test, value] = factory(mathEnv.h);

  const features = [...used].sort((a, b) => a - b).map((i) => featureNames[i]!);
  return { source: expr, features, test, value };
}

// ---------------------------------------------------------------------------------------------
// AST check + code generation
// ---------------------------------------------------------------------------------------------

/** Compiled fragment: self-delimited JS (an atom or parenthesised) and its static type. */
interface Code {
  code: string;
  type: 'num' | 'bool';
}

const BINARY_ARITH: Readonly<Record<string, string>> = {
  add: '+',
  subtract: '-',
  multiply: '*',
  divide: '/',
};
const COMPARE: Readonly<Record<string, keyof Helpers>> = {
  smaller: 'lt',
  smallerEq: 'le',
  larger: 'gt',
  largerEq: 'ge',
  equal: 'eq',
  unequal: 'ne',
};
/** Arity [min, max] of each allowed function. */
const ARITY: Readonly<Record<string, readonly [number, number]>> = {
  abs: [1, 1],
  min: [1, Infinity],
  max: [1, Infinity],
  sqrt: [1, 1],
  log: [1, 2],
  log10: [1, 1],
  exp: [1, 1],
  floor: [1, 2],
  ceil: [1, 2],
  round: [1, 2],
};
/** Readable names for operators we refuse, for the error message. */
const REFUSED_OPS: Readonly<Record<string, string>> = {
  factorial: 'factorial',
  ctranspose: 'transpose',
  transpose: 'transpose',
  dotMultiply: 'element-wise multiply',
  dotDivide: 'element-wise divide',
  dotPow: 'element-wise power',
  bitAnd: 'bitwise and',
  bitOr: 'bitwise or',
  bitXor: 'bitwise xor',
  bitNot: 'bitwise not',
  leftShift: 'shift',
  rightArithShift: 'shift',
  rightLogShift: 'shift',
  to: 'unit conversion',
  nullish: 'nullish coalescing',
};

/** Loose view of mathjs nodes: we read fields by node type, checking every one we use. */
interface AnyNode {
  type: string;
  value?: unknown;
  name?: string;
  op?: string;
  fn?: unknown;
  args?: AnyNode[];
  implicit?: boolean;
  content?: AnyNode;
  condition?: AnyNode;
  trueExpr?: AnyNode;
  falseExpr?: AnyNode;
  conditionals?: string[];
  params?: AnyNode[];
  toString(): string;
}

class CodeGen {
  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly featureNames: readonly string[],
    private readonly used: Set<number>,
    private readonly fail: (what: string) => never,
  ) {}

  node(n: MathNode): Code {
    const node = n as unknown as AnyNode;
    switch (node.type) {
      case 'ConstantNode':
        return this.constant(node);
      case 'SymbolNode':
        return this.symbol(String(node.name));
      case 'ParenthesisNode':
        return this.node(node.content as unknown as MathNode);
      case 'OperatorNode':
        return this.operator(node);
      case 'FunctionNode':
        return this.call(node);
      case 'ConditionalNode': {
        const c = this.sub(node.condition);
        let a = this.sub(node.trueExpr);
        let b = this.sub(node.falseExpr);
        if (a.type !== b.type) [a, b] = [num(a), num(b)];
        return { code: `(${truth(c)} ? ${a.code} : ${b.code})`, type: a.type };
      }
      case 'RelationalNode': {
        // a < b <= c  ==  (a < b) and (b <= c); operands are pure, so re-reading b is harmless.
        const params = (node.params ?? []).map((p) => num(this.sub(p)));
        const parts = (node.conditionals ?? []).map((fn, i) => {
          const helper = COMPARE[fn];
          if (!helper) return this.fail(`comparison "${fn}" is not allowed`);
          return `${helper}(${params[i]!.code}, ${params[i + 1]!.code})`;
        });
        return { code: `(${parts.join(' && ')})`, type: 'bool' };
      }
      case 'AccessorNode':
      case 'IndexNode':
        return this.fail(`property or index access is not allowed ("${snippet(node)}")`);
      case 'ArrayNode':
        return this.fail(`matrices/arrays are not allowed ("${snippet(node)}")`);
      case 'ObjectNode':
        return this.fail(`objects are not allowed ("${snippet(node)}")`);
      case 'AssignmentNode':
        return this.fail(`assignment is not allowed ("${snippet(node)}")`);
      case 'FunctionAssignmentNode':
        return this.fail(`function definition is not allowed ("${snippet(node)}")`);
      case 'BlockNode':
        return this.fail(`only one expression is allowed (no ";" or newline-separated statements)`);
      case 'RangeNode':
        return this.fail(`ranges are not allowed ("${snippet(node)}")`);
      default:
        return this.fail(`unsupported expression element ${node.type} ("${snippet(node)}")`);
    }
  }

  private sub(n: AnyNode | undefined): Code {
    if (!n) return this.fail('malformed expression');
    return this.node(n as unknown as MathNode);
  }

  private constant(node: AnyNode): Code {
    const v = node.value;
    if (typeof v === 'boolean') return { code: v ? 'true' : 'false', type: 'bool' };
    if (typeof v === 'number') {
      // mathjs parses `NaN` as a constant; a rule has no use for it. Literals are never negative
      // (unary minus is its own node); `Infinity` and `1e999` are +Infinity.
      if (Number.isNaN(v)) return this.fail('NaN is not allowed as a constant');
      if (!(v >= 0)) return this.fail(`unexpected constant ${String(v)}`);
      return { code: v === Infinity ? '(1/0)' : `(${String(v)})`, type: 'num' };
    }
    if (typeof v === 'string') return this.fail(`strings are not allowed ("${snippet(node)}")`);
    return this.fail(`${String(v)} is not allowed (constants must be numbers, true or false)`);
  }

  private symbol(name: string): Code {
    const i = this.index.get(name);
    if (i === undefined) {
      const near = nearest(name, this.featureNames);
      const hint = near ? `did you mean "${near}"? ` : '';
      const known = this.featureNames.length > 0 ? this.featureNames.join(', ') : 'none';
      return this.fail(`unknown feature "${name}" (${hint}known: ${known})`);
    }
    this.used.add(i);
    return { code: `x[${i}]`, type: 'num' };
  }

  private operator(node: AnyNode): Code {
    const fn = String(node.fn);
    const args = node.args ?? [];
    if (node.implicit) {
      return this.fail(`implicit multiplication is not allowed ("${snippet(node)}"); write "*" (units are not supported)`);
    }
    const arith = BINARY_ARITH[fn];
    if (arith && args.length === 2) {
      const [a, b] = args.map((x) => num(this.sub(x)));
      return { code: `(${a!.code} ${arith} ${b!.code})`, type: 'num' };
    }
    const cmp = COMPARE[fn];
    if (cmp && args.length === 2) {
      const [a, b] = args.map((x) => num(this.sub(x)));
      return { code: `${cmp}(${a!.code}, ${b!.code})`, type: 'bool' };
    }
    if ((fn === 'pow' || fn === 'mod') && args.length === 2) {
      const [a, b] = args.map((x) => num(this.sub(x)));
      return { code: `${fn}(${a!.code}, ${b!.code})`, type: 'num' };
    }
    if ((fn === 'unaryMinus' || fn === 'unaryPlus') && args.length === 1) {
      const a = num(this.sub(args[0]));
      return { code: `(${fn === 'unaryMinus' ? '-' : '+'}${a.code})`, type: 'num' };
    }
    if ((fn === 'and' || fn === 'or' || fn === 'xor') && args.length === 2) {
      const [a, b] = args.map((x) => truth(this.sub(x)));
      const op = fn === 'and' ? '&&' : fn === 'or' ? '||' : '!==';
      return { code: `(${a} ${op} ${b})`, type: 'bool' };
    }
    if (fn === 'not' && args.length === 1) {
      return { code: `(!${this.sub(args[0]).code})`, type: 'bool' };
    }
    const what = REFUSED_OPS[fn];
    return this.fail(`operator "${String(node.op)}"${what ? ` (${what})` : ''} is not allowed ("${snippet(node)}")`);
  }

  private call(node: AnyNode): Code {
    const callee = node.fn as AnyNode | undefined;
    if (!callee || callee.type !== 'SymbolNode') {
      return this.fail(`only direct calls of ${ALLOWED_FUNCTIONS.join(', ')} are allowed ("${snippet(node)}")`);
    }
    const name = String(callee.name);
    const arity = Object.hasOwn(ARITY, name) ? ARITY[name] : undefined;
    if (!arity) {
      const feature = this.index.has(name) ? ` ("${name}" is a feature, not a function)` : '';
      return this.fail(`function "${name}" is not allowed${feature} (allowed: ${ALLOWED_FUNCTIONS.join(', ')})`);
    }
    const args = node.args ?? [];
    if (args.length < arity[0] || args.length > arity[1]) {
      const want = arity[0] === arity[1] ? `${arity[0]}` : arity[1] === Infinity ? `at least ${arity[0]}` : `${arity[0]} or ${arity[1]}`;
      return this.fail(`function "${name}" takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
    }
    if (name === 'min' || name === 'max') {
      const parts = args.map((a) => num(this.sub(a)).code);
      let code = parts[0]!;
      for (let i = 1; i < parts.length; i++) code = `${name}2(${code}, ${parts[i]})`;
      return { code, type: 'num' };
    }
    const a = num(this.sub(args[0])).code;
    if (args.length === 1) return { code: `${name}(${a})`, type: 'num' };
    if (name === 'log') return { code: `logb(${a}, ${num(this.sub(args[1])).code})`, type: 'num' };
    // round/floor/ceil digits: mathjs throws at run time unless an integer 0..15, so require a literal.
    const d = args[1]!;
    const digits = d.type === 'ConstantNode' ? d.value : undefined;
    if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 0 || digits > 15) {
      return this.fail(`function "${name}": the digits argument must be an integer literal 0..15 ("${snippet(node)}")`);
    }
    return { code: `${name}2(${a}, ${digits})`, type: 'num' };
  }
}

/** A fragment as a number (booleans to 1/0, as mathjs converts them). */
function num(c: Code): Code {
  return c.type === 'num' ? c : { code: `(+${c.code})`, type: 'num' };
}

/** A fragment as a JS truth value; JS truthiness of numbers (0 and NaN false) is mathjs's. */
function truth(c: Code): string {
  return c.type === 'bool' ? c.code : `(!!${c.code})`;
}

/** Short source excerpt of a node for error messages (one line, bounded). */
function snippet(node: AnyNode): string {
  let s: string;
  try {
    s = node.toString();
  } catch {
    s = node.type;
  }
  s = s.replace(/\s+/g, ' ');
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Closest known name by edit distance, if close enough to be a plausible typo. */
function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Defence in depth for `new Function`: strip every token the generator may emit and require that
 * only operator/punctuation characters remain. Any stray identifier, quote, bracket, backslash,
 * `=`, semicolon or brace makes this throw (a bug in the generator, never a user error).
 */
function assertSafeBody(code: string): void {
  const helpers = new RegExp(`\\b(?:${HELPER_NAMES.join('|')})(?=\\()`, 'g');
  const rest = code
    .replace(/!==/g, ' ')
    .replace(/\bx\[\d+\]/g, ' ')
    .replace(helpers, ' ')
    .replace(/\b(?:true|false)\b/g, ' ')
    .replace(/(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])/g, ' ');
  if (!/^[\s()+\-*/!&|<>?:,]*$/.test(rest)) {
    throw new Error(`rule-expr: generated code failed the safety check: ${code}`);
  }
}
