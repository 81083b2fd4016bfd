#!/usr/bin/env node
/** The cyrange command line: a thin layer over the library API. */
import { Command } from 'commander';
import { registerEnvs } from './envs.js';
import { registerDefenders } from './defenders.js';
import { registerTrain } from './train.js';
import { registerLab } from './lab.js';
import { exitQuietlyOnBrokenPipe, reportError } from './common.js';
import { VERSION } from '../version.js';

exitQuietlyOnBrokenPipe();
const program = new Command();
program
  .name('cyrange')
  .description('Adaptive multi-agent cyber-defense range: ML attacker and defender agents on simulated networks')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)');
registerEnvs(program);
registerDefenders(program);
registerTrain(program);
registerLab(program);

program.parseAsync(process.argv).catch(reportError);
