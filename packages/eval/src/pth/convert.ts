// Official iBOT/DINO checkpoints → state dicts that @ibotjs/vit's loadStateDict accepts: picks the teacher or student
// (or the bare state dict of a released backbone file), strips the DistributedDataParallel 'module.' and the
// MultiCropWrapper 'backbone.' prefixes, and returns the projection-head weights separately.
import type {StateDict} from '@ibotjs/vit';

import {PthError} from './errors.js';
import type {PthDict, PthValue} from './pickle.js';
import {PthTensor} from './tensors.js';

export interface ConvertOptions {
  /** Which network of a full training checkpoint (default 'teacher', the one the protocols evaluate). */
  key?: 'teacher' | 'student';
}

export interface ConvertedCheckpoint {
  /** Backbone parameters, official names without prefixes (cls_token, blocks.0.attn.qkv.weight, ...). */
  backbone: StateDict;
  /** Projection-head parameters without the 'head.' prefix (mlp.0.weight, last_layer.weight_v, ...); may be empty. */
  head: StateDict;
  /** Where the state dict was found: 'teacher', 'student', 'state_dict', 'model' or '' (the file is the dict). */
  source: string;
  /** Entries that were not tensors, or tensors under another prefix, and were left out. */
  skipped: string[];
}

const isDict = (v: PthValue | undefined): v is PthDict =>
  v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PthTensor);

/** The state dict of an official checkpoint (see ConvertOptions), converted as described above. */
export function convertOfficialCheckpoint(obj: PthValue, opts: ConvertOptions = {}): ConvertedCheckpoint {
  if (!isDict(obj)) throw new PthError('checkpoint: the file holds no dict');
  const key = opts.key ?? 'teacher';
  const keys = Object.keys(obj);
  let source: string;
  if (isDict(obj[key])) {
    source = key;
  } else if (keys.includes('teacher') || keys.includes('student')) {
    throw new PthError(`checkpoint: no '${key}' state dict (keys: ${keys.join(', ')})`);
  } else if (isDict(obj.state_dict)) {
    source = 'state_dict';
  } else if (isDict(obj.model)) {
    source = 'model';
  } else if (keys.length && Object.values(obj).every((v) => v instanceof PthTensor)) {
    source = '';
  } else {
    throw new PthError(`checkpoint: no state dict found (keys: ${keys.join(', ')}); expected teacher, student, ` +
                       'state_dict, model, or a bare dict of tensors');
  }
  const dict = source ? (obj[source] as PthDict) : obj;
  const strip = (name: string) => {
    while (name.startsWith('module.')) name = name.slice('module.'.length);
    return name;
  };
  const names = Object.keys(dict).map(strip);
  // A MultiCropWrapper dict has backbone.* (and head.*); a released backbone file has bare names.
  const wrapped = names.some((n) => n.startsWith('backbone.'));
  const backbone: StateDict = {}, head: StateDict = {};
  const skipped: string[] = [];
  for (const [raw, value] of Object.entries(dict)) {
    const name = strip(raw);
    if (!(value instanceof PthTensor)) {
      skipped.push(raw);
    } else if (wrapped && name.startsWith('backbone.')) {
      backbone[name.slice('backbone.'.length)] = value;
    } else if (name.startsWith('head.')) {
      head[name.slice('head.'.length)] = value;
    } else if (!wrapped) {
      backbone[name] = value;
    } else {
      skipped.push(raw);
    }
  }
  if (Object.keys(backbone).length === 0) {
    throw new PthError(`checkpoint: '${source || '<file>'}' holds no backbone tensors`);
  }
  return {backbone, head, source, skipped};
}
