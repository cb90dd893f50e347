// cosineScheduler: iBOT's per-iteration schedules (learning rate, weight decay, teacher momentum; IBOT_SPEC §5.4),
// a port of utils.cosine_scheduler with numpy's linspace and cosine arithmetic in float64.

/**
 * epochs·itersPerEpoch values: a linear warm-up from startWarmupValue to base over warmupEpochs·itersPerEpoch
 * iterations (both ends included, as np.linspace), then final + ½(base − final)(1 + cos(π i / T′)) for
 * i = 0…T′−1, T′ the remaining iterations.
 */
export function cosineScheduler(base: number, final: number, epochs: number, itersPerEpoch: number,
                                warmupEpochs = 0, startWarmupValue = 0): Float64Array {
  for (const [name, v] of [['epochs', epochs], ['itersPerEpoch', itersPerEpoch], ['warmupEpochs', warmupEpochs]] as
       const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`cosineScheduler: ${name} must be a non-negative integer, got ${v}`);
  }
  if (warmupEpochs > epochs) {
    throw new Error(`cosineScheduler: warmupEpochs (${warmupEpochs}) exceeds epochs (${epochs})`);
  }
  const total = epochs * itersPerEpoch;
  const warmup = warmupEpochs * itersPerEpoch;
  const out = new Float64Array(total);
  // np.linspace(start, stop, num): start + i·(stop − start)/(num − 1), the last value set to stop exactly.
  const step = warmup > 1 ? (base - startWarmupValue) / (warmup - 1) : 0;
  for (let i = 0; i < warmup; i++) out[i] = startWarmupValue + i * step;
  if (warmup > 1) out[warmup - 1] = base;
  const rest = total - warmup;
  for (let i = 0; i < rest; i++) out[warmup + i] = final + 0.5 * (base - final) * (1 + Math.cos(Math.PI * i / rest));
  return out;
}
