/**
 * The one place that picks and initialises the TensorFlow.js backend.
 *
 * Order for 'auto': tfjs-node ('tensorflow' backend, native libtensorflow) when the user has it
 * installed; else the wasm backend (XNNPACK, single-threaded SIMD in Node); else the pure-JS cpu
 * backend. (Training does not go through tfjs at all: see mlp.ts.) `CYRANGE_TF_BACKEND=node|wasm|cpu|auto` overrides 'auto';
 * an explicit `opts.backend` wins over the env var. Whatever ran is recorded in `backend`.
 */
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { CyrangeError } from '../shared/errors.js';

/** The tfjs namespace, for modules that type against it without importing tfjs themselves. */
export type Tf = typeof tf;
export type LayersModel = tf.LayersModel;
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

export interface TfRuntime {
  tf: Tf;
  /** tfjs backend name actually in use: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
  /** Why a preferred backend was skipped, e.g. "node: module not installed" (empty when none was). */
  fallbacks: string[];
}

export interface InitTfOptions {
  backend?: BackendChoice;
}

const CHOICES: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];
export const TF_BACKEND_ENV = 'CYRANGE_TF_BACKEND';

let quieted = false;
let wasmRegistered: Promise<boolean> | null = null;
let nodeRegistered: Promise<boolean> | null = null;
let current: TfRuntime | null = null;
let pending: Promise<TfRuntime> | null = null;
let lastKey = '';

function quiet(): void {
  if (quieted) return;
  quieted = true;
  // PROD only silences tfjs's console warnings (the "install tfjs-node" banner, platform notices).
  tf.env().set('PROD', true);
}

function resolveChoice(requested: BackendChoice | undefined): BackendChoice {
  if (requested !== undefined && requested !== 'auto') return requested;
  const fromEnv = process.env[TF_BACKEND_ENV];
  if (fromEnv === undefined || fromEnv === '') return 'auto';
  const v = fromEnv.trim().toLowerCase();
  if (!(CHOICES as readonly string[]).includes(v)) {
    throw new CyrangeError(`${TF_BACKEND_ENV}: expected one of ${CHOICES.join(', ')}, got "${fromEnv}"`);
  }
  return v as BackendChoice;
}

/** Loads tfjs-node if the user installed it; it registers the 'tensorflow' backend on import. */
async function registerNode(): Promise<boolean> {
  if (nodeRegistered === null) {
    nodeRegistered = (async () => {
      // A name held in a variable keeps TypeScript from needing (or finding) the module's types.
      const moduleName = '@tensorflow/tfjs-node';
      try {
        await import(moduleName);
      } catch {
        return false;
      }
      return tf.findBackendFactory('tensorflow') !== null;
    })();
  }
  return nodeRegistered;
}

/** Loads the wasm backend and points it at the .wasm binaries shipped in its dist/ directory. */
async function registerWasm(): Promise<boolean> {
  if (wasmRegistered === null) {
    wasmRegistered = (async () => {
      try {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const require = createRequire(import.meta.url);
        const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
        wasm.setWasmPaths(distDir);
        return true;
      } catch {
        return false;
      }
    })();
  }
  return wasmRegistered;
}

async function trySetBackend(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function select(choice: BackendChoice): Promise<TfRuntime> {
  quiet();
  const order: Exclude<BackendChoice, 'auto'>[] =
    choice === 'auto' || choice === 'node' ? ['node', 'wasm', 'cpu'] : choice === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  const fallbacks: string[] = [];
  for (const b of order) {
    if (b === 'node') {
      if (!(await registerNode())) {
        fallbacks.push('node: @tensorflow/tfjs-node not installed');
        continue;
      }
      if (await trySetBackend('tensorflow')) return done('tensorflow', fallbacks);
      fallbacks.push('node: tensorflow backend failed to initialise');
    } else if (b === 'wasm') {
      if (!(await registerWasm())) {
        fallbacks.push('wasm: @tensorflow/tfjs-backend-wasm failed to load');
        continue;
      }
      if (await trySetBackend('wasm')) return done('wasm', fallbacks);
      fallbacks.push('wasm: backend failed to initialise');
    } else {
      if (await trySetBackend('cpu')) return done('cpu', fallbacks);
      fallbacks.push('cpu: backend failed to initialise');
    }
  }
  throw new CyrangeError(`tfjs: no backend could be initialised (${fallbacks.join('; ')})`);
}

function done(backend: string, fallbacks: string[]): TfRuntime {
  current = { tf, backend, fallbacks };
  return current;
}

/**
 * Initialises tfjs once and returns the runtime. Calling again with the same options returns the
 * same runtime; calling with a different explicit backend switches to it (variables made on the
 * old backend stay readable: tfjs moves data between backends on demand).
 */
export async function initTf(opts: InitTfOptions = {}): Promise<TfRuntime> {
  const choice = resolveChoice(opts.backend);
  const key = choice;
  if (pending !== null && key === lastKey) {
    const rt = await pending;
    // Someone may have switched tf's backend directly since; re-check instead of trusting the cache.
    if (tf.getBackend() === rt.backend) return rt;
  }
  lastKey = key;
  pending = select(choice);
  try {
    return await pending;
  } catch (e) {
    pending = null;
    throw e;
  }
}

/** The runtime from the last successful initTf, or null before it. */
export function currentTfRuntime(): TfRuntime | null {
  return current;
}

/** The tfjs backend in use ('tensorflow', 'wasm', 'cpu'), or 'uninitialised'. */
export function tfBackendName(): string {
  return current === null ? 'uninitialised' : tf.getBackend();
}

/** The tfjs namespace itself (the same module instance the backends were registered on). */
export { tf };
