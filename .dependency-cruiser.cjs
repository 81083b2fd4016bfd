/**
 * Layer rules (checked by `npm test`): each layer imports only the layers below it.
 *   shared, nn  <-  range  <-  detectors, defenders, attackers  <-  train  <-  lab  <-  cli
 * shared is the bottom; nn uses shared only; detectors, defenders and attackers do not import each
 * other, except defenders -> detectors. src/index.ts (the public API) may import anything.
 */
const layer = (name) => `^src/${name}/`;
const below = {
  shared: [],
  nn: ['shared'],
  range: ['shared', 'nn'],
  detectors: ['shared', 'nn', 'range'],
  defenders: ['shared', 'nn', 'range', 'detectors'],
  attackers: ['shared', 'nn', 'range'],
  train: ['shared', 'nn', 'range', 'detectors', 'defenders', 'attackers'],
  lab: ['shared', 'nn', 'range', 'detectors', 'defenders', 'attackers', 'train'],
  cli: ['shared', 'nn', 'range', 'detectors', 'defenders', 'attackers', 'train', 'lab'],
};
const all = Object.keys(below);

module.exports = {
  forbidden: [
    ...all.map((name) => ({
      name: `layer-${name}`,
      comment: `src/${name} may import only ${below[name].length ? below[name].map((l) => `src/${l}`).join(', ') : 'nothing else in src'} (and src/version.ts)`,
      severity: 'error',
      from: { path: layer(name) },
      to: { path: '^src/', pathNot: [`^src/(${[name, ...below[name]].join('|')})/`, '^src/version\\.ts$'] },
    })),
    {
      name: 'no-unknown-layer',
      comment: 'every source file sits in a known layer (or is src/index.ts or src/version.ts)',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${all.join('|')})/`, '^src/(index|version)\\.ts$'] },
      to: {},
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
