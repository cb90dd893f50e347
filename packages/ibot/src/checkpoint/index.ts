// Checkpoint I/O: safetensors files and the crash-safe checkpoint store.
export * from './safetensors.js';
export * from './store.js';
export {fsyncDir, writeFileAtomicSync} from './atomic_fs.js';
