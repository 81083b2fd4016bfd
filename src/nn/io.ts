/**
 * Saving and loading tfjs LayersModels to a directory without tfjs-node.
 *
 * Writes exactly what tfjs-node's `file://` handler writes: `model.json` (topology, format,
 * generatedBy, convertedBy, weightsManifest with paths ["weights.bin"]) and one `weights.bin`,
 * so the directory loads with `tf.loadLayersModel('file://dir/model.json')` under tfjs-node, or with
 * `tf.loadLayersModel(tf.io.fromMemory(...))` / our loader in any runtime.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CyrangeError } from '../shared/errors.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Saves `model` into `dir` (created if missing). Returns the written file names. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const art = artifacts as tf.io.ModelArtifacts | null;
  if (art === null || art.weightSpecs === undefined) throw new Error('saveLayersModel: tfjs produced no artifacts');
  const weightData = art.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(art.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: art.modelTopology as tf.io.ModelJSON['modelTopology'],
    format: art.format ?? 'layers-model',
    generatedBy: art.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: art.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: art.weightSpecs }],
  };
  if (art.trainingConfig !== undefined) modelJson.trainingConfig = art.trainingConfig;
  if (art.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = art.userDefinedMetadata;
  await writeFile(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
  // model.json last: its presence marks a complete save.
  await writeFile(join(dir, MODEL_JSON), JSON.stringify(modelJson));
  return [MODEL_JSON, WEIGHTS_BIN];
}

async function readOrThrow(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'read error';
    throw new CyrangeError(`${path}: cannot read model file (${code})`);
  }
}

/** Reads model.json + its weight files from `dir` into ModelArtifacts, validating as it goes. */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = join(dir, MODEL_JSON);
  const raw = await readOrThrow(jsonPath);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new CyrangeError(`${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new CyrangeError(`${jsonPath}: expected a JSON object`);
  const mj = parsed as Partial<tf.io.ModelJSON>;
  if (typeof mj.modelTopology !== 'object' || mj.modelTopology === null) {
    throw new CyrangeError(`${jsonPath}: modelTopology: missing or not an object`);
  }
  if (!Array.isArray(mj.weightsManifest)) throw new CyrangeError(`${jsonPath}: weightsManifest: missing or not an array`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const [gi, group] of mj.weightsManifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw new CyrangeError(`${jsonPath}: weightsManifest[${gi}]: expected { paths: [...], weights: [...] }`);
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.includes('..')) throw new CyrangeError(`${jsonPath}: weightsManifest[${gi}].paths: bad path ${JSON.stringify(p)}`);
      buffers.push(await readOrThrow(join(dir, p)));
    }
    specs.push(...group.weights);
  }
  const data = Buffer.concat(buffers);
  // Expected byte count from the specs (float32 / int32 = 4 bytes, bool = 1; quantized weights not used here).
  let expected = 0;
  for (const [i, s] of specs.entries()) {
    if (!Array.isArray(s?.shape) || typeof s.name !== 'string') throw new CyrangeError(`${jsonPath}: weightsManifest weights[${i}]: missing name or shape`);
    const n = s.shape.reduce((a: number, b: number) => a * b, 1);
    const bytes = s.quantization !== undefined ? (s.quantization.dtype === 'uint8' ? 1 : 2) : s.dtype === 'bool' ? 1 : 4;
    expected += n * bytes;
  }
  if (data.byteLength !== expected) {
    const names = mj.weightsManifest.flatMap((g) => g.paths).join(', ');
    throw new CyrangeError(`${join(dir, names)}: expected ${expected} bytes of weights, found ${data.byteLength}`);
  }
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const art: tf.io.ModelArtifacts = {
    modelTopology: mj.modelTopology,
    weightSpecs: specs,
    weightData,
  };
  if (mj.format !== undefined) art.format = mj.format;
  if (mj.generatedBy !== undefined) art.generatedBy = mj.generatedBy;
  if (mj.convertedBy !== undefined && mj.convertedBy !== null) art.convertedBy = mj.convertedBy;
  if (mj.trainingConfig !== undefined) art.trainingConfig = mj.trainingConfig;
  if (mj.userDefinedMetadata !== undefined) art.userDefinedMetadata = mj.userDefinedMetadata;
  return art;
}

/** Loads a model saved by saveLayersModel (or by tfjs-node's file:// handler) from `dir`. */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const art = await readModelArtifacts(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(art));
  } catch (e) {
    throw new CyrangeError(`${join(dir, MODEL_JSON)}: not a loadable tfjs layers model (${(e as Error).message.split('\n')[0]})`);
  }
}
