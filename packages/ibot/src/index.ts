// @ibotjs/ibot: iBOT pre-training on TensorFlow.js (IBOT_SPEC §2, §4, §5): head, loss, parameter groups, training config
// and presets, the trainer, checkpoints.
export {IbotHead, type IbotHeadConfig, type IbotHeadForwardOptions, type IbotHeadOutput, type ParamInfo} from './head.js';
export {
  IbotLoss, linspace, teacherTempSchedule, type IbotLossInputs, type IbotLossOptions, type IbotLossOutput,
} from './loss.js';
export {MaskedRows} from './masked_rows.js';
export {paramGroups, type ParamGroups, type ParamLike} from './param_groups.js';
export {truncNormal, uniformInit} from './init.js';
export * from './checkpoint/index.js';
export {
  backboneConfigOf, DEFAULT_PRESET, headConfigOf, presets, resolveTrainConfig, validateTrainConfig, type DataConfig, type IbotTrainConfig,
  type NormalizeConfig, type PresetName,
} from './config.js';
export {
  IbotTrainer, NonFiniteLossError, type EpochLog, type IbotTrainerOptions, type StepLog, type StepOptions, type TrainOptions,
  type TrainResult,
} from './trainer.js';
export {createTrainLoader, normalization, openTrainDataset} from './data.js';
