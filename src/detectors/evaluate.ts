/**
 * Evaluating a trained detector on labelled rows: benign-vs-attack scores, per-class detection, the
 * multi-class report (per-class precision, recall, F1 and support, macro and weighted F1, confusion
 * matrix) for detectors that tell attack classes apart, and domain-shift warnings.
 *
 * Domain shift, two simple measures:
 *   - unseen attacks: attack label values of the evaluation files that never occur in the training files
 *     (CSV-trained models store their training labels);
 *   - feature shift: per feature, the distance between the evaluation rows' mean and the training rows'
 *     mean, in the model's normalised units (slog1p, then training standard deviations): benign rows
 *     against benign training rows when the evaluation has at least 30 benign rows, else all rows against
 *     all training rows. A feature has shifted when that distance exceeds 1; the evaluation warns when more
 *     than a quarter of the features have.
 */
import { scoreDetections, type DetectionScores } from '../shared/stats.js';
import { normalize } from './features.js';
import { labelKey } from './flow-dialects.js';
import type { Detector } from './detector.js';

export const SHIFT_LIMIT = 1;
export const SHIFTED_SHARE_WARN = 0.25;
const MIN_BENIGN_FOR_PROFILE = 30;

export interface ClassReport {
  class: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
}

export interface MultiClassReport {
  /** Rows: true class (the model's classes, then classes the model never saw); columns: predicted (the model's classes). */
  classes: string[];
  predictedClasses: string[];
  confusion: number[][];
  perClass: ClassReport[];
  macroF1: number;
  weightedF1: number;
  accuracy: number;
}

export interface ShiftReport {
  /** Attack label values never seen in training, with their row counts (CSV-trained models only). */
  unseenAttackLabels: { label: string; rows: number }[];
  /** Which rows were compared: 'benign' (benign against benign training rows) or 'all'. */
  featureBasis: 'benign' | 'all';
  /** Share of features whose mean moved by more than SHIFT_LIMIT normalised units. */
  shiftedShare: number;
  /** The features that moved most: name and distance. */
  top: { feature: string; shift: number }[];
}

export interface EvaluationReport extends DetectionScores {
  /** Per true class: rows and how many the detector flagged (for benign rows, the false alarms). */
  detectionByClass: { class: string; rows: number; flagged: number }[];
  multiClass: MultiClassReport | null;
  shift: ShiftReport;
  warnings: string[];
}

export interface EvaluationRows {
  X: Float32Array;
  nRows: number;
  /** Class per row, an index into `classNames` (0 benign). */
  y: Int32Array;
  classNames: string[];
  /** Rows per label value as found in the files (CSV), for the unseen-label check. */
  perLabel?: Record<string, number>;
  benign?: string;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

function multiClassReport(pred: Int32Array, y: Int32Array, classes: string[], predicted: string[]): MultiClassReport {
  const k = classes.length;
  const kp = predicted.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(kp).fill(0));
  for (let i = 0; i < y.length; i++) confusion[y[i]!]![pred[i]!]!++;
  const perClass: ClassReport[] = classes.map((c, j) => {
    const support = confusion[j]!.reduce((a, b) => a + b, 0);
    const tp = j < kp ? confusion[j]![j]! : 0;
    const flagged = j < kp ? confusion.reduce((a, row) => a + row[j]!, 0) : 0;
    const precision = ratio(tp, flagged);
    const recall = ratio(tp, support);
    const f1 = support + flagged > 0 ? (2 * tp) / (support + flagged) : null;
    return { class: c, precision, recall, f1, support };
  });
  // As scikit-learn: macro over the classes that occur as truth or prediction.
  const present = perClass.filter((r, j) => r.support > 0 || (j < kp && confusion.some((row) => row[j]! > 0)));
  const macroF1 = present.reduce((a, r) => a + (r.f1 ?? 0), 0) / Math.max(1, present.length);
  const total = y.length;
  const weightedF1 = perClass.reduce((a, r) => a + (r.f1 ?? 0) * r.support, 0) / Math.max(1, total);
  let correct = 0;
  for (let j = 0; j < Math.min(k, kp); j++) correct += confusion[j]![j]!;
  return { classes, predictedClasses: predicted, confusion, perClass, macroF1, weightedF1, accuracy: total > 0 ? correct / total : NaN };
}

function featureShift(detector: Detector, X: Float32Array, nRows: number, y: Int32Array): Omit<ShiftReport, 'unseenAttackLabels'> {
  const names = detector.schema.names;
  const d = names.length;
  const Z = normalize(detector.schema, X, nRows);
  let nBenign = 0;
  for (let i = 0; i < nRows; i++) if (y[i] === 0) nBenign++;
  const profile = detector.report.benignProfile;
  const basis = profile !== undefined && nBenign >= MIN_BENIGN_FOR_PROFILE ? 'benign' : 'all';
  const mean = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < nRows; i++) {
    if (basis === 'benign' && y[i] !== 0) continue;
    n++;
    for (let j = 0; j < d; j++) mean[j]! += Z[i * d + j]!;
  }
  // The normaliser makes every training feature mean 0, std 1 over all training rows.
  const shifts = names.map((feature, j) => ({ feature, shift: Math.abs(mean[j]! / Math.max(1, n) - (basis === 'benign' ? profile!.mean[j]! : 0)) }));
  const shiftedShare = n > 0 ? shifts.filter((s) => s.shift > SHIFT_LIMIT).length / d : 0;
  const top = [...shifts].sort((a, b) => b.shift - a.shift).slice(0, 5).map((s) => ({ feature: s.feature, shift: Number(s.shift.toFixed(3)) }));
  return { featureBasis: basis, shiftedShare, top };
}

/** Scores `detector` on labelled rows; `trainingLabels` are the manifest's (CSV-trained models). */
export function evaluateDetector(detector: Detector, rows: EvaluationRows, trainingLabels?: Record<string, number>): EvaluationReport {
  const { X, nRows, y, classNames } = rows;
  const alerts = detector.predict(X, nRows);
  const binary = scoreDetections(alerts, y);
  const flagged = new Array<number>(classNames.length).fill(0);
  const count = new Array<number>(classNames.length).fill(0);
  for (let i = 0; i < nRows; i++) {
    count[y[i]!]!++;
    if (alerts[i]) flagged[y[i]!]!++;
  }
  const detectionByClass = classNames.map((c, j) => ({ class: c, rows: count[j]!, flagged: flagged[j]! }));

  let multiClass: MultiClassReport | null = null;
  const warnings: string[] = [];
  if (classNames.length > 2) {
    const pred = detector.predictsClasses ? detector.predictClasses(X, nRows) : null;
    if (pred !== null) multiClass = multiClassReport(pred, y, classNames, detector.classNames);
    else warnings.push(`the ${detector.kind} detector does not tell attack classes apart: only benign-vs-attack scores and the detection rate per class`);
  }

  const unseenAttackLabels: { label: string; rows: number }[] = [];
  if (trainingLabels !== undefined && rows.perLabel !== undefined) {
    const seen = new Set(Object.keys(trainingLabels).map(labelKey));
    const benignKey = labelKey(rows.benign ?? '');
    for (const [label, n] of Object.entries(rows.perLabel)) {
      if (labelKey(label) !== benignKey && !seen.has(labelKey(label))) unseenAttackLabels.push({ label, rows: n });
    }
    const attackLabels = Object.keys(rows.perLabel).filter((l) => labelKey(l) !== benignKey);
    if (unseenAttackLabels.length > 0) {
      const list = unseenAttackLabels.map((u) => `${u.label} (${u.rows} rows)`).join(', ');
      warnings.push(
        unseenAttackLabels.length === attackLabels.length
          ? `none of the attack labels here was seen in training: ${list}; recall measures generalisation to new attacks, not the attacks the model knows`
          : `attack labels never seen in training: ${list}`,
      );
    }
  }
  const shift = { unseenAttackLabels, ...featureShift(detector, X, nRows, y) };
  if (shift.shiftedShare > SHIFTED_SHARE_WARN) {
    warnings.push(
      `feature distributions far from training: ${(100 * shift.shiftedShare).toFixed(0)} % of the features moved by more than ${SHIFT_LIMIT} training standard deviation (${shift.featureBasis} rows; most: ${shift.top.slice(0, 3).map((t) => `${t.feature} ${t.shift.toFixed(1)}`).join(', ')})`,
    );
  }
  return { ...binary, detectionByClass, multiClass, shift, warnings };
}
