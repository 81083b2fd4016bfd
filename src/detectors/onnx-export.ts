/**
 * ONNX export of a trained detector: one graph whose input `features` [N, d] float is exactly the
 * columns `defenders score` writes (raw features, model order) and whose outputs are `score` [N] float
 * (>= 1 means alert) and `alert` [N] bool.
 *
 * The normaliser is inside the graph, in one of two ways:
 *   - for the forest, folded into the split thresholds: normalisation is monotone per feature, so
 *     "normalised x <= t" is "x <= T" for the largest float32 T that normalises to at most t. T is found
 *     by bisection over float32 values with our own normaliser, so the ONNX tree takes every branch ours
 *     takes (ai.onnx.ml TreeEnsembleRegressor, BRANCH_LEQ on the raw input);
 *   - for the autoencoder, as nodes: sign(x) log1p(|x|) computed in double (Cast, Abs, Log with the
 *     log1p correction for tiny |x|, Sign), minus the training mean, over the training standard deviation,
 *     then Cast to float, as features.ts computes it (in double, rounded to float32).
 * The score rule of each kind follows (rf-detector.ts, autoencoder-detector.ts, ensemble-detector.ts).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { VERSION } from '../version.js';
import { normalize, type FeatureSchema } from './features.js';
import { OnnxGraph, DT, ML_DOMAIN } from './onnx-proto.js';
import { RfModel } from './rf-detector.js';
import { AutoencoderModel } from './autoencoder-detector.js';
import { EnsembleModel, STACK_EPS, STACK_FLOOR } from './ensemble-detector.js';
import type { Detector } from './detector.js';

const INPUT = 'features';
const DOUBLE = 11;
const FLOAT = 1;

// ---------------------------------------------------------------------------------------------------
// Folding the normaliser into forest thresholds
// ---------------------------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 values in order <-> integers in order (negative floats flipped). */
function keyOf(v: number): number {
  f32[0] = v;
  const u = u32[0]!;
  return u & 0x80000000 ? 0x7fffffff - (u & 0x7fffffff) - 0x80000000 : u;
}
function valueOf(k: number): number {
  u32[0] = k >= 0 ? k : (0x80000000 | (0x7fffffff - (k + 0x80000000))) >>> 0;
  return f32[0]!;
}

/**
 * The largest float32 x whose normalised value (as `normalize` computes it for feature j) is <= t, or
 * -Infinity when none is: "normalised x <= t" is then exactly "x <= T".
 */
export function rawThreshold(schema: FeatureSchema, j: number, t: number): number {
  const one: FeatureSchema = { names: [schema.names[j]!], transform: schema.transform, mean: [schema.mean[j]!], std: [schema.std[j]!] };
  const x = new Float32Array(1);
  const ok = (k: number): boolean => {
    x[0] = valueOf(k);
    return normalize(one, x, 1)[0]! <= t;
  };
  let lo = keyOf(-Infinity);
  let hi = keyOf(Infinity);
  if (!ok(lo)) return -Infinity;
  if (ok(hi)) return Infinity;
  // Invariant: ok(lo), !ok(hi).
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return valueOf(lo);
}

/**
 * The forest as a TreeEnsembleRegressor on the raw input; each leaf contributes
 * `leafWeight(leafValues) / nTrees` (so the output is the mean over trees).
 */
function forestNode(g: OnnxGraph, rf: RfModel, schema: FeatureSchema, leafWeight: (leaf: Float32Array) => number): string {
  const forest = rf.forest;
  const k = forest.nClasses;
  const nTrees = forest.trees.length;
  const a = { treeIds: [] as number[], nodeIds: [] as number[], features: [] as number[], modes: [] as string[], values: [] as number[], yes: [] as number[], no: [] as number[] };
  const t = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  const memo = new Map<string, number>();
  forest.trees.forEach((tree, ti) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const f = tree.feature[node]!;
      a.treeIds.push(ti);
      a.nodeIds.push(node);
      if (f < 0) {
        a.features.push(0);
        a.modes.push('LEAF');
        a.values.push(0);
        a.yes.push(0);
        a.no.push(0);
        const leaf = tree.leafValue.subarray(tree.child[node]! * k, (tree.child[node]! + 1) * k);
        t.treeIds.push(ti);
        t.nodeIds.push(node);
        t.weights.push(leafWeight(leaf) / nTrees);
      } else {
        const key = `${f}:${tree.threshold[node]!}`;
        let T = memo.get(key);
        if (T === undefined) memo.set(key, (T = rawThreshold(schema, f, tree.threshold[node]!)));
        a.features.push(f);
        a.modes.push('BRANCH_LEQ');
        a.values.push(T);
        a.yes.push(tree.child[node]!);
        a.no.push(tree.child[node]! + 1);
      }
    }
  });
  const y = g.node(
    'TreeEnsembleRegressor',
    [INPUT],
    {
      n_targets: { int: 1 },
      aggregate_function: { string: 'SUM' },
      post_transform: { string: 'NONE' },
      nodes_treeids: { ints: a.treeIds },
      nodes_nodeids: { ints: a.nodeIds },
      nodes_featureids: { ints: a.features },
      nodes_modes: { strings: a.modes },
      nodes_values: { floats: a.values },
      nodes_truenodeids: { ints: a.yes },
      nodes_falsenodeids: { ints: a.no },
      nodes_missing_value_tracks_true: { ints: a.treeIds.map(() => 0) },
      target_treeids: { ints: t.treeIds },
      target_nodeids: { ints: t.nodeIds },
      target_ids: { ints: t.treeIds.map(() => 0) },
      target_weights: { floats: t.weights },
    },
    { domain: ML_DOMAIN },
  );
  return g.node('Reshape', [y, g.int64Constant([-1], [1])]);
}

/** P(attack) = mean over trees of (1 - leaf P(benign)), [N]. */
const attackProbability = (g: OnnxGraph, rf: RfModel, schema: FeatureSchema): string => forestNode(g, rf, schema, (leaf) => 1 - leaf[0]!);

// ---------------------------------------------------------------------------------------------------
// The normaliser and the autoencoder as nodes
// ---------------------------------------------------------------------------------------------------

/** (sign(x) log1p(|x|) - mean) / std in double, cast to float: features.ts's normaliser. */
function normalizedInput(g: OnnxGraph, schema: FeatureSchema): string {
  const d = schema.names.length;
  const x = g.node('Cast', [INPUT], { to: { int: DOUBLE } });
  const a = g.node('Abs', [x]);
  const one = g.doubleConstant([1], []);
  const w = g.node('Add', [a, one]);
  const wm1 = g.node('Sub', [w, one]);
  // log1p(a) = log(w) * a / (w - 1) corrects the rounding of 1 + a; when w == 1, log1p(a) = a to double precision.
  const corrected = g.node('Mul', [g.node('Log', [w]), g.node('Div', [a, g.node('Max', [wm1, g.doubleConstant([Number.MIN_VALUE], [])])])]);
  const log1p = g.node('Where', [g.node('Equal', [wm1, g.doubleConstant([0], [])]), a, corrected]);
  const slog = g.node('Mul', [g.node('Sign', [x]), log1p]);
  const z = g.node('Div', [g.node('Sub', [slog, g.doubleConstant(schema.mean, [d])]), g.doubleConstant(schema.std, [d])]);
  return g.node('Cast', [z], { to: { int: FLOAT } });
}

const ACTIVATIONS: Record<string, string | null> = { linear: null, relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', elu: 'Elu', selu: 'Selu', softplus: 'Softplus' };

/** Reconstruction MSE per row, [N]. */
function reconstructionError(g: OnnxGraph, model: AutoencoderModel, z: string): string {
  let h = z;
  for (const layer of model.ae.denseLayers()) {
    const op = ACTIVATIONS[layer.activation];
    if (op === undefined) throw new CyrangeError(`onnx export: autoencoder activation "${layer.activation}" is not supported`);
    h = g.node('Add', [g.node('MatMul', [h, g.constant(layer.kernel, [layer.inDim, layer.outDim], 'kernel')]), g.constant(layer.bias, [layer.outDim], 'bias')]);
    if (op !== null) h = g.node(op, [h]);
  }
  const diff = g.node('Sub', [h, z]);
  return g.node('ReduceMean', [g.node('Mul', [diff, diff])], { axes: { ints: [1] }, keepdims: { int: 0 } });
}

// ---------------------------------------------------------------------------------------------------
// Scores per kind
// ---------------------------------------------------------------------------------------------------

function scoreOf(g: OnnxGraph, detector: Detector): string {
  const m = detector.model;
  const schema = detector.schema;
  if (m instanceof RfModel) return g.node('Div', [attackProbability(g, m, schema), g.scalar(m.threshold)]);
  if (m instanceof AutoencoderModel) return g.node('Div', [reconstructionError(g, m, normalizedInput(g, schema)), g.scalar(m.threshold)]);
  if (m instanceof EnsembleModel) {
    if (m.choice === 'rf') return g.node('Div', [attackProbability(g, m.rf, schema), g.scalar(m.rf.threshold)]);
    const e = reconstructionError(g, m.ae, normalizedInput(g, schema));
    if (m.choice === 'autoencoder') return g.node('Div', [e, g.scalar(m.ae.threshold)]);
    // Stacked, in double as ensemble-detector.ts computes it.
    const pa = g.node('Cast', [attackProbability(g, m.rf, schema)], { to: { int: DOUBLE } });
    const dbl = (v: number): string => g.doubleConstant([v], []);
    const p = g.node('Min', [g.node('Max', [pa, dbl(STACK_EPS)]), dbl(1 - STACK_EPS)]);
    const u1 = g.node('Log', [g.node('Div', [p, g.node('Sub', [dbl(1), p])])]);
    const ed = g.node('Cast', [e], { to: { int: DOUBLE } });
    const u2 = g.node('Log', [g.node('Max', [g.node('Div', [ed, dbl(m.ae.threshold)]), dbl(STACK_FLOOR)])]);
    const [w0, w1, w2] = m.stack!.weights as [number, number, number];
    const zz = g.node('Add', [g.node('Add', [dbl(w0), g.node('Mul', [dbl(w1), u1])]), g.node('Mul', [dbl(w2), u2])]);
    const score = g.node('Div', [g.node('Sigmoid', [zz]), dbl(m.stack!.threshold)]);
    return g.node('Cast', [score], { to: { int: FLOAT } });
  }
  throw new CyrangeError(`onnx export: the ${detector.kind} detector kind has no ONNX export`);
}

/** The detector as a serialised ONNX model (see the file header). */
export function detectorToOnnx(detector: Detector): Uint8Array {
  const g = new OnnxGraph();
  const score = scoreOf(g, detector);
  g.output(score, 'score');
  g.output(g.node('GreaterOrEqual', [score, g.scalar(1)]), 'alert');
  return g.encode({
    input: INPUT,
    nCols: detector.nFeatures,
    outputs: [
      { name: 'score', elemType: DT.FLOAT },
      { name: 'alert', elemType: DT.BOOL },
    ],
    docString: `cyrange ${detector.kind} detector. Input "features": raw feature rows [N, ${detector.nFeatures}] in the order of metadata "feature_names" (as \`cyrange defenders score\` writes them). Outputs: "score" (alert when >= 1), "alert". ${detector.model.scoreRule}`,
    producerVersion: VERSION,
    metadata: {
      kind: detector.kind,
      feature_names: JSON.stringify(detector.schema.names),
      class_names: JSON.stringify(detector.classNames),
      thresholds: JSON.stringify(detector.thresholds),
      score_rule: detector.model.scoreRule,
    },
  });
}

/** Writes the detector's ONNX model to `out` (atomically; an existing file only with `force`); returns its size. */
export function writeOnnx(detector: Detector, out: string, force: boolean): number {
  if (existsSync(out) && !force) throw new CyrangeError(`${out}: already exists (use --force to overwrite)`);
  const bytes = detectorToOnnx(detector);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
  return bytes.length;
}
