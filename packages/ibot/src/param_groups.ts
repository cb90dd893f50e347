// The two AdamW parameter groups of the official code (IBOT_SPEC §5.3, T11): weight decay only on trainable
// parameters with at least 2 dimensions whose name does not end in `.bias`.

/** What the rule needs to know of a parameter (a tf.Variable has both). */
export interface ParamLike {
  /** The official (PyTorch) shape, or any shape of the same rank: the rule looks at the rank only. */
  shape: readonly number[];
  /** false for frozen parameters (a frozen weight_g): those go to no group at all. */
  trainable: boolean;
}

export interface ParamGroups {
  /** Group 0, weight decay from the schedule: cls_token, pos_embed, masked_embed, patch_embed.proj.weight, every
   *  Linear weight, head weight_v (and weight_g when trainable). */
  regularized: string[];
  /** Group 1, weight decay 0: biases and 1-D parameters (LayerNorm weights and biases). */
  notRegularized: string[];
}

/** Splits trainable parameters into the two groups, keeping the given order within each. */
export function paramGroups(params: ReadonlyMap<string, ParamLike> | Iterable<[string, ParamLike]>): ParamGroups {
  const groups: ParamGroups = {regularized: [], notRegularized: []};
  for (const [name, p] of params) {
    if (!p.trainable) continue;
    if (p.shape.length >= 2 && !name.endsWith('.bias')) groups.regularized.push(name);
    else groups.notRegularized.push(name);
  }
  return groups;
}
