// A cyrange plugin: an ES module that registers kinds when it is imported.
//
//   npx cyrange run experiments/my-grid.json --out runs/x --plugin examples/plugin-attacker.mjs
//   or, in the experiment spec:  "plugins": ["../examples/plugin-attacker.mjs"]  (relative to the spec file)
//
// It registers `pg-small`: the policy-gradient learner with a smaller network (32-16 hidden units for the
// policy and the value net instead of 128-64-32) and an update every 2 episodes instead of 4, a cheaper
// learner for small networks and short budgets. Because the entry says `learning: true`, an experiment trains
// it once per scenario and seed (the spec's `training` block), saves it and evaluates it frozen against every
// defence like `dqn` and `pg`; `cyrange train` co-trains it.
//
// `cyrange` here is the package itself (Node resolves a package's own name through its "exports" from any
// file inside it); a plugin living in another project imports 'cyrange' the same way once it is installed.
import { createAttacker, registerAttacker } from 'cyrange';

const SMALL = { hidden: [32, 16], valueHidden: [32, 16], episodesPerUpdate: 2 };

registerAttacker('pg-small', {
  description: 'policy gradient with a 32-16 network, an update every 2 episodes (learning; example plugin)',
  learning: true,
  // Options from the caller (a spec's or --hyperparameters' values) win over this kind's defaults; a saved
  // agent (opts.load) keeps the sizes it was trained with.
  create: (opts) => createAttacker('pg', { ...opts, hyperparameters: { ...SMALL, ...(opts.hyperparameters ?? {}) } }),
});
