/**
 * cyrange library API: everything the CLI does can be done from code.
 *
 *   import { RangeEnv, loadScenario, runEpisode, ScriptedAttacker, createDefense } from 'cyrange';
 */
export { Rng, hash32 } from './shared/prng.js';
export { CyrangeError } from './shared/errors.js';
export * as stats from './shared/stats.js';
export { pairedTTest, wilcoxonSignedRank, type PairedTTestResult, type WilcoxonResult } from './shared/paired-tests.js';
export { spearman, type SpearmanResult } from './shared/trend.js';
export { bootstrapInterval, bootstrapDistribution, bcaInterval, percentileInterval, type BootstrapInterval, type BootstrapOptions } from './shared/bootstrap.js';
export { kaplanMeier, restrictedMean, survivalAt, type CensoredTime, type KaplanMeier } from './shared/kaplan-meier.js';
export { verdictOf, combineVerdicts, VERDICTS, ALPHA, type Verdict } from './shared/verdict.js';
export { VERSION, packageVersions } from './version.js';

// The range: scenarios, network, telemetry, env.
export { parseScenario, loadScenarioFile, scenarioSchema, ROLES, ZONE_KINDS, type Scenario, type ScenarioInput } from './range/scenario.js';
export { generateScenario, VULN_CATALOGUE, type GenerateOptions } from './range/generate.js';
export { loadScenario, presetNames, scenarioPath, registerScenario, scenarioRegistry, type ScenarioEntry as RegisteredScenario } from './range/presets.js';
export { Network } from './range/network.js';
export { FEATURES, N_FEATURES, STAGES, STAGE, TelemetryModel, type FeatureName, type Stage } from './range/telemetry.js';
export {
  RangeEnv,
  TICKS_PER_SECOND,
  ATTACKER_HOST_FEATURES,
  ATTACKER_GLOBAL_FEATURES,
  type Action,
  type AlertMsg,
  type AgentInfo,
  type AttackerObservation,
  type DefenderObservation,
  type Observation,
  type RangeEvent,
  type StepResult,
  type RangeEnvOptions,
} from './range/env.js';
export { DEFAULT_SIM, simParams, type SimParams, type SimOverrides } from './range/params.js';
export { AttackerActionLayout, DefenderActionLayout, DEFENDER_ACTIONS } from './range/actions.js';
export { runEpisode, sampleMasked, type Policy, type ActContext, type EpisodeResult } from './range/agent.js';

// Attackers.
export { RandomAttacker, ScriptedAttacker } from './range/baselines.js';
export {
  createAttacker, registerAttacker, attackerKinds, attackerRegistry, isLearningKind, loadLearningAttacker,
  type AttackerKind, type AttackerEntry, type CreateAttackerOptions, type LoadLearnerOptions,
} from './attackers/registry.js';
export { Registry, type RegistryOptions } from './shared/registry.js';
export { resolvePlugins, loadPlugins } from './shared/plugins.js';
export { DqnAttacker, DQN_DEFAULTS, type DqnConfig } from './attackers/dqn.js';
export { PgAttacker, PG_DEFAULTS, type PgConfig } from './attackers/policy-gradient.js';
export { TransitionCollector, type LearningAttacker, type LearnerSpec, type Transition, type TrainingState, type ScalarLog } from './attackers/learner.js';
export { SharedLearnerPolicy, sharedLearnerPolicies } from './attackers/shared-policy.js';

// Defenders.
export { NoopDefender, RandomDefender } from './range/baselines.js';
export { Detector, type DetectorKind, type LabelledData, type SaveMeta, type TrainingReport } from './detectors/detector.js';
export { registerDetector, detectorKinds, detectorRegistry, type DetectorEntry } from './detectors/registry.js';
export type { DetectorImpl, DetectorModel, DetectorTrainOptions, FitResult, TrainSplit } from './detectors/detector-kind.js';
export { DEFAULT_TARGET_FPR } from './detectors/thresholds.js';
export { RF_DETECTOR_DEFAULTS } from './detectors/rf-detector.js';
export { evaluateDetector, type EvaluationReport, type EvaluationRows } from './detectors/evaluate.js';
export { loadTrainingCsv, loadEvaluationCsv, scoreCsvToFile } from './detectors/csv-workflow.js';
export { detectorToOnnx, writeOnnx } from './detectors/onnx-export.js';
export type { DetectorManifest } from './detectors/manifest.js';
export { scoreDetections, type DetectionScores } from './shared/stats.js';
export { RandomForest } from './detectors/random-forest.js';
export { Autoencoder } from './detectors/autoencoder.js';
export { createDefense, registerDefense, defenseKinds, defenseDetector, defenseRegistry, DEFENSE_PARAMS, type DefenderKind, type Defense, type DefenseEntry, type DefenseOptions } from './defenders/registry.js';
export { DefenderTeam, type TeamConfig, type WindowScorer } from './defenders/team.js';
export { loadRules, RuleScorer } from './defenders/rules.js';
export { collectTelemetry } from './train/collect.js';
export { loadFlowCsv, detectFormat, describeLoad, featureSchemaOf, type FlowDataset, type LoadFlowOptions } from './detectors/datasets.js';
export { episodeMetrics, incidentsOf, DetectionRecorder, type EpisodeMetrics, type Incident } from './range/metrics.js';
export { checkOutputDir, prepareOutputDir } from './shared/safe-dir.js';

// Co-training and experiments.
export { coTrain, type CoTrainConfig, type RoundRecord } from './train/cotrain.js';
export { train, type TrainOptions, type TrainResult } from './train/run.js';
export { trainAttackerJob, readAttackerJob, loadTrainedAttackers, attackerJobSpecSchema, attackerJobResultSchema, type AttackerJobSpec, type AttackerJobResult, type CurvePoint } from './train/attacker-job.js';
export { evaluateAttacker, type EvaluateAttackerOptions, type AttackerEvaluation } from './train/evaluate.js';
export { summariseEpisodes, quietShare, type EpisodeRecord as EvaluationEpisode, type EpisodeSummary } from './train/episodes.js';
export { readScalars, scalarFileSink, SCALARS_FILE, type Scalar, type ScalarSink } from './train/scalars.js';
export { runCell, evalEpisodeSeed, type CellSpec, type CellResult, type CellBudget, type CellTraining } from './lab/cell.js';

// Experiments: everything `cyrange run`, `cyrange report` and `cyrange reproduce` do.
export { loadExperimentSpec, parseExperimentSpec, prepareExperimentSpec, experimentSchema, planOf, trainingFor, type ExperimentSpec, type ExperimentPlan, type TrainingSpec, type AttackerTraining, type LoadedSpec, type SpecOptions } from './lab/spec.js';
export { expandJobs, sharedDatasetsDir, flowDataFiles, type Job, type AttackerJob, type DetectorJob, type FlowJob } from './lab/jobs.js';
export { runJob } from './lab/job-run.js';
export { sanityChecks, SANITY } from './lab/sanity.js';
export { compareProtocols, PROTOCOLS, PROTOCOL_SPECS, type Protocol, type ProtocolComparison } from './lab/protocols.js';
export { runExperiment, progressPrinter, type RunOptions, type RunSummary, type ProgressEvent } from './lab/runner.js';
export { writeReport, type ReportOutcome } from './lab/report.js';
export { computeResults } from './lab/results.js';
export { evaluateClaims, CLAIMS } from './lab/claims.js';
export { METRICS, type MetricDef, type EpisodeRecord } from './lab/metric-table.js';
export { writeTrainReport } from './lab/train-report.js';
export { reproduce, reproduceText, sanityLines, type ReproduceOptions, type ReproduceResult, type ReproduceRun, type ProtocolChoice } from './lab/reproduce.js';
export { REFERENCE } from './lab/paper.js';
export { manifestSchema, cellRecordSchema, resultsSchema, readCellsFile, readManifest, type RunManifest, type CellRecord, type Results, type Sanity, type TrainingSummary } from './lab/run-format.js';

// Neural-network runtime.
export { initTf, tfBackendName } from './nn/runtime.js';
export { Mlp, MlpTrainer, type MlpSpec, type AdamOptions } from './nn/mlp.js';
