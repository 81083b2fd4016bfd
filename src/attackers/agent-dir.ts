/**
 * Agent directories of the built-in learners: each network as a tfjs layers model (model.json +
 * weights.bin, in the directory or a subdirectory; see nn/io.ts), then agent.json (formats.ts); with
 * `training`, the learner's training state as well (training.json + training.bin), which is what a
 * checkpoint needs for an exact resume.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CyrangeError } from '../shared/errors.js';
import { Mlp, type FlatWeights } from '../nn/mlp.js';
import { loadLayersModelFromDir, saveLayersModel, MODEL_JSON } from '../nn/io.js';
import type { LearningAttacker, LoadLearnerOptions, TrainingCounters } from './learner.js';
import {
  AGENT_MANIFEST, TRAINING_JSON, hyperparametersFrom, manifestJson, readManifest, readTrainingState, writeTrainingState, type AgentManifest,
} from './formats.js';

/** One network of an agent and the subdirectory it is saved in ('' = the agent directory itself). */
export interface AgentNet {
  sub: string;
  /** Output width: the action count, or a fixed number (1 for a value network). */
  outputs: 'actions' | number;
}

export type LoadAgentOptions = LoadLearnerOptions;

/** Saves an agent: each network, then agent.json (written last: its presence marks a complete save). */
export async function saveAgent(
  dir: string,
  nets: { sub: string; net: Mlp }[],
  m: Omit<AgentManifest, 'format'> & { counters: TrainingCounters },
  training: LearningAttacker | null,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const n of nets) {
    const model = n.net.toLayersModel();
    try {
      await saveLayersModel(model, n.sub ? join(dir, n.sub) : dir);
    } finally {
      model.dispose();
    }
  }
  if (training) writeTrainingState(dir, m.kind, training.trainingState());
  await writeFile(join(dir, AGENT_MANIFEST), manifestJson(m));
}

/** Checks a loaded network's input/output widths against the manifest. */
export function checkModelSize(file: string, model: { inputs: { shape: (number | null)[] }[]; outputs: { shape: (number | null)[] }[] }, obsSize: number, outDim: number): void {
  const inp = model.inputs[0]?.shape[1];
  const out = model.outputs[0]?.shape[1];
  if (inp !== obsSize) throw new CyrangeError(`${file}: the network takes ${String(inp)} inputs but agent.json obsSize is ${obsSize}`);
  if (out !== outDim) throw new CyrangeError(`${file}: the network has ${String(out)} outputs but agent.json expects ${outDim}`);
}

/**
 * Loads what saveAgent wrote. Checks agent.json (kind, format, sizes against the env's), its
 * hyperparameters against `defaults`, and each network's input and output widths; `build` makes the
 * agent from the hyperparameters and the networks' flat weights. The agent gets the saved counters
 * (and with `opts.training` its training state) and is in eval mode.
 */
export async function loadAgent<A extends LearningAttacker, C extends object>(
  dir: string,
  kind: string,
  defaults: C,
  off: readonly (keyof C)[],
  opts: LoadAgentOptions,
  nets: AgentNet[],
  build: (hp: Partial<C>, m: AgentManifest, weights: FlatWeights[]) => A,
): Promise<A> {
  const m = readManifest(dir, kind, opts);
  const file = join(dir, AGENT_MANIFEST);
  const hp = hyperparametersFrom(file, kind, defaults, m.hyperparameters, off);
  const weights: FlatWeights[] = [];
  for (const n of nets) {
    const d = n.sub ? join(dir, n.sub) : dir;
    const model = await loadLayersModelFromDir(d);
    try {
      checkModelSize(join(d, MODEL_JSON), model, m.obsSize, n.outputs === 'actions' ? m.nActions : n.outputs);
      weights.push(Mlp.fromLayersModel(model).getWeights());
    } finally {
      model.dispose();
    }
  }
  let agent: A;
  try {
    agent = build(hp, m, weights);
  } catch (e) {
    // Config validation throws RangeError("dqn: nStep must be ..."): name the file the value came from.
    if (e instanceof RangeError) throw new CyrangeError(`${file}: hyperparameters: ${e.message}`);
    throw e;
  }
  Object.assign(agent.counters, m.counters);
  if (opts.training) {
    const tfile = join(dir, TRAINING_JSON);
    if (!existsSync(tfile)) throw new CyrangeError(`${tfile}: missing: this agent was saved without its training state (replay buffer, optimizer), so training cannot continue exactly from it`);
    agent.restoreTrainingState(readTrainingState(dir, kind), tfile);
  }
  agent.mode = 'eval';
  return agent;
}
