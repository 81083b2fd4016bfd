/**
 * Restricted expression compiler for the static defender rules of the rule-based MAS baseline.
 *
 * A rule condition such as `failedAuth > 5 and distinctDstPorts > 20` is parsed ONCE with mathjs's
 * documented `parse` (on a private parse-only instance, `create({ parseDependencies })`, loaded lazily:
 * importing mathjs costs 0.3-1.5 s), its expression tree is checked against a small grammar by reading only
 * the documented node properties (`type`; OperatorNode `fn`/`args`/`implicit`, ConstantNode `value`,
 * SymbolNode `name`, ParenthesisNode `content`, FunctionNode `fn`/`args`, ConditionalNode
 * `condition`/`trueExpr`/`falseExpr`, RelationalNode `conditionals`/`params`), and the checked tree is
 * compiled to a plain JS function over the window's feature vector. mathjs never evaluates anything:
 * the meaning of a rule is defined here, below, and nowhere else.
 *
 * Grammar (everything else is rejected with a CyrangeError `${file}: ${field}: ${what is wrong}`):
 *   - numbers written as literals (`5`, `5e6`, `0.25`, `0x1F`, `Infinity`), `true`, `false` (not `NaN`);
 *   - feature names from the list passed in (no other symbols: no `pi`, `e`, units);
 *   - `+ - * / ^ %` (and `mod`), unary `-` and `+`, `< <= > >= == !=` (chains like `a < b < c` too),
 *     `and or xor not`, parentheses, `c ? a : b`; mathjs's postfix percent (`a + 10%`) comes out of the
 *     parser as plain arithmetic (`a + a * 10 / 100`) and is accepted as such;
 *   - calls to abs, min, max, sqrt, log, log10, exp, floor, ceil, round (round/floor/ceil accept an
 *     optional digits argument that must be an integer literal 0..15).
 *   Rejected: any other function (import, evaluate, parse, createUnit, simplify, derivative, resolve, ...),
 *   assignment and function definition, property/index access, matrices, objects, ranges, strings, null,
 *   implicit multiplication (`2a`, `5 cm`: hides typos and is how units are written), bitwise/factorial/
 *   transpose/unit-conversion operators, `;`/newline-separated statements (a newline inside parentheses
 *   is fine).
 *
 * Semantics: IEEE-754 double arithmetic as JavaScript computes it, with exact comparisons.
 *   - `<`, `<=`, `>`, `>=`, `==`, `!=` are exact IEEE comparisons (JS `<` ... `===`, `!==`), no tolerance:
 *     `5 + 1e-13 == 5` and `0.1 + 0.2 == 0.3` are false, `x >= 1e6` is false at 999999.9999999. (mathjs's
 *     own `evaluate` compares with a tolerance, relTol 1e-12; a threshold rule wants a crisp edge, and the
 *     features are window means of float32 telemetry, whose spacing is far coarser than 1e-12, so exact and
 *     tolerant comparisons agree on every window the range produces.) Prefer `>=`/`<=` to `==` on
 *     non-integers.
 *   - NaN: `<`, `<=`, `>`, `>=`, `==` with a NaN operand are false and `!=` is true. A NaN used as a
 *     truth value (`and`, `or`, `xor`, `not`, `?:`, `test()`) is false, as is 0; any other number is true.
 *     So a rule over a missing (NaN) feature does not fire unless written with `!=` or `not`.
 *   - `+ - * /` are JS's: division by zero gives ±Infinity, 0/0 gives NaN. `^` is JS's `**`: a negative
 *     base with a non-integer exponent gives NaN (`(-8)^(1/3)` too), `1^Infinity` is NaN.
 *   - `x % y` (`mod`) is the floored modulo x - y·floor(x/y), with the sign of y; `x % 0` is x.
 *   - floor, ceil, abs, sqrt, log, log10, exp are JS's Math functions (sqrt/log of a negative: NaN);
 *     `log(x, b)` is log(x)/log(b). round rounds halves away from zero (`round(2.5)` 3, `round(-2.5)` -3).
 *     With digits n, floor/ceil/round apply to x·10^n and divide by 10^n (an integer x is returned as is),
 *     in binary: `round(1.005, 2)` is 1 because 1.005 is stored as 1.00499999999999989...
 *   - min/max: the smallest/largest argument; a NaN argument makes the result NaN.
 *   - booleans in arithmetic count as 1/0; `value()` returns 1/0 for a boolean expression.
 *   These agree with mathjs's `evaluate` (config `predictable: true`) wherever its tolerance does not
 *   apply, except `^` of a negative base, where mathjs returns real odd roots; the tests check both.
 *
 * Safety of the generated code: the compiled function is built with `new Function`, but its body is
 * assembled only from fixed tokens chosen by this file: operators and parentheses from the tables below,
 * `x[<integer>]` for a feature (the index comes from our own name->index Map, never the name), helper
 * names from the fixed HELPER_NAMES list, `true`/`false`, and number literals printed by `String(n)` of a
 * non-negative number (digits, `.`, `e`, sign) or `(1/0)`. No character of the rule text is ever copied into
 * the body. As a second line of defence `assertSafeBody` re-tokenises the body and refuses to compile it
 * if anything else appears. The body names nothing but `x` and those helpers (no globals, no mathjs).
 */
import type {
  ConditionalNode,
  ConstantNode,
  FunctionNode,
  MathNode,
  OperatorNode,
  OperatorNodeFn,
  OperatorNodeOp,
  ParenthesisNode,
  RelationalNode,
  SymbolNode,
} from 'mathjs';
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
// Run-time helpers (the semantics above) and the lazy parser
// ---------------------------------------------------------------------------------------------

type Num2 = (a: number, b: number) => number;
type Num1 = (a: number) => number;

/** Halves away from zero (Math.round sends -2.5 to -2); a negative x that rounds to zero gives -0. */
const round: Num1 = (x) => (x < 0 ? -Math.round(-x) : Math.round(x));

/** floor/ceil/round to n decimal digits: f(x·10^n)/10^n; integers (and so every |x| >= 2^52) as they are. */
const toDigits =
  (f: Num1): Num2 =>
  (x, n) => {
    if (Number.isInteger(x)) return x;
    const shift = 10 ** n;
    return f(x * shift) / shift;
  };

/**
 * Helpers the generated code may call: plain double arithmetic, nothing from mathjs. Their names are the
 * only identifiers (besides x) in the generated body. Comparisons and + - * / are inlined as JS operators.
 */
const HELPERS = {
  pow: Math.pow,
  mod: (x: number, y: number): number => (y === 0 ? x : x - y * Math.floor(x / y)),
  abs: Math.abs,
  sqrt: Math.sqrt,
  log: Math.log,
  logb: (x: number, b: number): number => Math.log(x) / Math.log(b),
  log10: Math.log10,
  exp: Math.exp,
  floor: Math.floor,
  floor2: toDigits(Math.floor),
  ceil: Math.ceil,
  ceil2: toDigits(Math.ceil),
  round,
  round2: toDigits(round),
  // Fold left: a NaN argument makes the result NaN for good; ties keep the earlier value (so min(0, -0) is 0).
  min2: (m: number, v: number): number => (v < m || Number.isNaN(v) ? v : m),
  max2: (m: number, v: number): number => (v > m || Number.isNaN(v) ? v : m),
  short: (len: number): never => {
    throw new RangeError(`rule condition: feature vector too short (${len} values)`);
  },
} satisfies Record<string, (...a: number[]) => number>;
type HelperName = keyof typeof HELPERS;
const HELPER_NAMES = Object.keys(HELPERS) as HelperName[];

type Parse = (expr: string) => MathNode;
let parse: Parse | undefined;
let parserLoading: Promise<Parse> | undefined;

/**
 * Load mathjs once (dynamic import, cached) and make the private parse-only instance rules are parsed
 * with (its own config, so nothing another module does to mathjs's default instance reaches it).
 */
export async function loadMath(): Promise<void> {
  if (parse) return;
  parserLoading ??= import('mathjs').then(
    (m) => {
      const p = m.create({ parseDependencies: m.parseDependencies }).parse;
      return (expr: string) => p(expr);
    },
    (e: unknown) => {
      parserLoading = undefined; // let a later call retry
      throw e;
    },
  );
  parse = await parserLoading;
}

/** True once `loadMath()` has finished, i.e. `compileExpressionSync` may be used. */
export function isMathLoaded(): boolean {
  return parse !== undefined;
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
  if (!parse) throw new Error('rule-expr: call `await loadMath()` before compileExpressionSync');
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
    ast = parse(expr);
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
  ) as (h: typeof HELPERS) => [(x: ArrayLike<number>) => boolean, (x: ArrayLike<number>) => number];
  const [test, value] = factory(HELPERS);

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

/** mathjs operator names (OperatorNode `fn`, RelationalNode `conditionals`) compiled to a JS operator. */
const BINARY_ARITH: Readonly<Record<string, string>> = {
  add: '+',
  subtract: '-',
  multiply: '*',
  divide: '/',
};
const COMPARE: Readonly<Record<string, string>> = {
  smaller: '<',
  smallerEq: '<=',
  larger: '>',
  largerEq: '>=',
  equal: '===',
  unequal: '!==',
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

/** The documented node shapes we read, narrowed from `MathNode` by its documented `type`. */
type Operator = OperatorNode<OperatorNodeOp, OperatorNodeFn>;
type Constant = ConstantNode<number | string | boolean | bigint | null | undefined>;

class CodeGen {
  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly featureNames: readonly string[],
    private readonly used: Set<number>,
    private readonly fail: (what: string) => never,
  ) {}

  node(node: MathNode): Code {
    switch (node.type) {
      case 'ConstantNode':
        return this.constant(node as Constant);
      case 'SymbolNode':
        return this.symbol(String((node as SymbolNode).name));
      case 'ParenthesisNode':
        return this.sub((node as ParenthesisNode).content);
      case 'OperatorNode':
        return this.operator(node as Operator);
      case 'FunctionNode':
        return this.call(node as FunctionNode<MathNode>);
      case 'ConditionalNode': {
        const n = node as ConditionalNode;
        const c = this.sub(n.condition);
        let a = this.sub(n.trueExpr);
        let b = this.sub(n.falseExpr);
        if (a.type !== b.type) [a, b] = [num(a), num(b)];
        return { code: `(${truth(c)} ? ${a.code} : ${b.code})`, type: a.type };
      }
      case 'RelationalNode': {
        // a < b <= c  ==  (a < b) and (b <= c); operands are pure, so re-reading b is harmless.
        const n = node as RelationalNode;
        const params = this.list(n.params).map((p) => num(this.sub(p)));
        const conditionals: unknown[] = Array.isArray(n.conditionals) ? n.conditionals : [];
        if (conditionals.length === 0 || params.length !== conditionals.length + 1) return this.fail('malformed comparison');
        const parts = conditionals.map((fn, i) => {
          const op = own(COMPARE, String(fn));
          if (!op) return this.fail(`comparison "${String(fn)}" is not allowed`);
          return `(${params[i]!.code} ${op} ${params[i + 1]!.code})`;
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
        return this.fail(`unsupported expression element ${String(node.type)} ("${snippet(node)}")`);
    }
  }

  /** A child node; a missing one (a changed parser, never a user error we know of) is refused, not guessed. */
  private sub(n: MathNode | undefined): Code {
    if (!n || typeof n !== 'object') return this.fail('malformed expression');
    return this.node(n);
  }

  private list(args: readonly MathNode[] | undefined): readonly MathNode[] {
    return Array.isArray(args) ? args : this.fail('malformed expression');
  }

  private constant(node: Constant): Code {
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

  private operator(node: Operator): Code {
    const fn = String(node.fn);
    const args = this.list(node.args);
    if (node.implicit) {
      return this.fail(`implicit multiplication is not allowed ("${snippet(node)}"); write "*" (units are not supported)`);
    }
    const arith = own(BINARY_ARITH, fn);
    const cmp = own(COMPARE, fn);
    if ((arith ?? cmp) && args.length === 2) {
      const [a, b] = args.map((x) => num(this.sub(x)));
      return { code: `(${a!.code} ${arith ?? cmp} ${b!.code})`, type: cmp ? 'bool' : 'num' };
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
    const what = own(REFUSED_OPS, fn);
    return this.fail(`operator "${String(node.op)}"${what ? ` (${what})` : ''} is not allowed ("${snippet(node)}")`);
  }

  private call(node: FunctionNode<MathNode>): Code {
    const callee = node.fn;
    if (!callee || callee.type !== 'SymbolNode') {
      return this.fail(`only direct calls of ${ALLOWED_FUNCTIONS.join(', ')} are allowed ("${snippet(node)}")`);
    }
    const name = String((callee as SymbolNode).name);
    const arity = own(ARITY, name);
    if (!arity) {
      const feature = this.index.has(name) ? ` ("${name}" is a feature, not a function)` : '';
      return this.fail(`function "${name}" is not allowed${feature} (allowed: ${ALLOWED_FUNCTIONS.join(', ')})`);
    }
    const args = this.list(node.args);
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
    // round/floor/ceil digits: an integer literal 0..15 (10^n must be exact; beyond that doubles have no digits).
    const d = args[1]!;
    const digits = d.type === 'ConstantNode' ? (d as Constant).value : undefined;
    if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 0 || digits > 15) {
      return this.fail(`function "${name}": the digits argument must be an integer literal 0..15 ("${snippet(node)}")`);
    }
    return { code: `${name}2(${a}, ${digits})`, type: 'num' };
  }
}

/** table[key] for the table's own keys only (never `constructor` and friends from Object.prototype). */
function own<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A fragment as a number (booleans to 1/0). */
function num(c: Code): Code {
  return c.type === 'num' ? c : { code: `(+${c.code})`, type: 'num' };
}

/** A fragment as a JS truth value; JS truthiness of numbers (0 and NaN false) is the documented one. */
function truth(c: Code): string {
  return c.type === 'bool' ? c.code : `(!!${c.code})`;
}

/** Short source excerpt of a node for error messages (one line, bounded). */
function snippet(node: MathNode): string {
  let s: string;
  try {
    s = node.toString();
  } catch {
    s = String(node.type);
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
    .replace(/[=!]==|[<>]=/g, ' ') // the only places "=" may appear
    .replace(/\bx\[\d+\]/g, ' ')
    .replace(helpers, ' ')
    .replace(/\b(?:true|false)\b/g, ' ')
    .replace(/(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])/g, ' ');
  if (!/^[\s()+\-*/!&|<>?:,]*$/.test(rest)) {
    throw new Error(`rule-expr: generated code failed the safety check: ${code}`);
  }
}
