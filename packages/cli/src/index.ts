// @ibotjs/cli: the `ibot` command, and its pieces for programs that drive training themselves.
export {main} from './main.js';
export {createProgram} from './program.js';
export {runTrain, resolveRun, stepPoints, type Io, type TrainCliOptions, type TrainOutcome} from './train_command.js';
export {collectInfo, formatInfo, type InfoReport} from './info_command.js';
export {bestDevice, DEVICES, type DeviceName, fallbackCounts, useDevice} from './device.js';
export {JsonlLog, readJsonl, type LogRecord} from './jsonl_log.js';
export {lossCurveSvg, niceTicks, renderLineChartSvg, smooth, writeSvgAsPng, type Series, type StepPoint} from './loss_plot.js';
export {TrainProgress} from './progress.js';
export {dataConfigOf, dataSourceOf, openData, parseDataSource, type DataSource} from './data_source.js';
export {flagName, overridesFromOptions, TRAIN_FLAGS, type TrainFlag} from './train_flags.js';
export {registerWasmKernels} from './wasm_kernels.js';
export {runEvalKnn, type EvalKnnOptions} from './eval_command.js';
