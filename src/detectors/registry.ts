/**
 * Detector kinds, in an open registry (see shared/registry.ts; plugins add kinds with
 * `registerDetector`). Cheap to import: an entry loads its implementation (tfjs for the autoencoder) only
 * when a detector of its kind is trained or loaded, so the CLI can list the kinds at startup.
 *   rf           histogram random forest on all labelled rows (forest-*.ts, random-forest.ts)
 *   autoencoder  dense autoencoder on benign rows, reconstruction error (autoencoder.ts)
 *   ensemble     both, one decision (ensemble-detector.ts)
 */
import { Registry, type RegistryOptions } from '../shared/registry.js';
import type { DetectorImpl } from './detector-kind.js';

export interface DetectorEntry {
  /** One line for help texts. */
  description: string;
  /** Training needs attack rows as well as benign ones. */
  needsAttacks: boolean;
  /** Uses tfjs (the CLI initialises its backend and records it in the manifest). */
  usesTf: boolean;
  /** The implementation, loaded on first use. */
  impl(): Promise<DetectorImpl>;
}

export const detectorRegistry = new Registry<DetectorEntry>('detector');

/** Register a detector kind (plugins call this when imported). */
export function registerDetector(kind: string, entry: DetectorEntry, opts?: RegistryOptions): void {
  detectorRegistry.register(kind, entry, opts);
}

/** Registered detector kinds, built-ins first. */
export function detectorKinds(): string[] {
  return detectorRegistry.kinds();
}

registerDetector('rf', {
  description: 'random forest on benign and attack rows',
  needsAttacks: true,
  usesTf: false,
  impl: async () => (await import('./rf-detector.js')).rfDetector,
});
registerDetector('autoencoder', {
  description: 'autoencoder trained on benign rows; alerts on reconstruction error',
  needsAttacks: false,
  usesTf: true,
  impl: async () => (await import('./autoencoder-detector.js')).autoencoderDetector,
});
registerDetector('ensemble', {
  description: 'random forest and autoencoder combined',
  needsAttacks: true,
  usesTf: true,
  impl: async () => (await import('./ensemble-detector.js')).ensembleDetector,
});
