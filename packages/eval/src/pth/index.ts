// The restricted PyTorch checkpoint reader: .pth files → plain data and float32 tensors, and official iBOT/DINO
// checkpoints → @ibotjs/vit state dicts. No Python, no code execution.
export {convertOfficialCheckpoint, type ConvertedCheckpoint, type ConvertOptions} from './convert.js';
export {PthError} from './errors.js';
export {type PthDict, type PthValue, type UnpickleOptions} from './pickle.js';
export {readPth, readPthFile, type ReadPthOptions} from './read_pth.js';
export {type PthDType, PthTensor} from './tensors.js';
