// Training progress on stderr: a cli-progress bar per epoch (loss, lr, images/s, ETA) on a terminal; one plain line
// every `every` steps and at each epoch's end otherwise (logs, CI, pipes), so nothing is lost to carriage returns.
import cliProgress from 'cli-progress';

export interface StepInfo {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  imagesPerSec: number;
}

export interface ProgressOptions {
  epochs: number;
  stepsPerEpoch: number;
  stream?: NodeJS.WriteStream | {write(s: string): unknown; isTTY?: boolean};
  /** Non-terminal output: a line every this many steps (default 10). */
  every?: number;
  /** Force the bar (true) or plain lines (false); default: the bar on a terminal. */
  bar?: boolean;
}

export const formatLr = (lr: number) => lr.toExponential(2);
export const formatLoss = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
export const formatRate = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

export class TrainProgress {
  private bar: cliProgress.SingleBar | null = null;
  private currentEpoch = -1;
  private readonly stream;
  private readonly every;
  private readonly useBar;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.every = options.every ?? 10;
    this.useBar = options.bar ?? Boolean(this.stream.isTTY);
  }

  /** One step done (step is the 0-based step within the epoch). */
  update(s: StepInfo): void {
    const {epochs, stepsPerEpoch} = this.options;
    const payload = {epochLabel: `${s.epoch + 1}/${epochs}`, loss: formatLoss(s.loss), lr: formatLr(s.lr), ips: formatRate(s.imagesPerSec)};
    if (this.useBar) {
      if (s.epoch !== this.currentEpoch) {
        this.bar?.stop();
        this.bar = new cliProgress.SingleBar({
          format: 'epoch {epochLabel} |{bar}| {value}/{total} | loss {loss} | lr {lr} | {ips} img/s | ETA {eta_formatted}',
          stream: this.stream as NodeJS.WriteStream, hideCursor: true, etaBuffer: 20, barsize: 30,
        }, cliProgress.Presets.shades_classic);
        this.bar.start(stepsPerEpoch, s.step, payload);
        this.currentEpoch = s.epoch;
      }
      this.bar!.update(s.step + 1, payload);
      return;
    }
    if ((s.step + 1) % this.every === 0 || s.step + 1 === stepsPerEpoch) {
      this.stream.write(`epoch ${payload.epochLabel} step ${s.step + 1}/${stepsPerEpoch} | loss ${payload.loss} | lr ${payload.lr} | ${payload.ips} img/s\n`);
    }
  }

  /** Ends the bar (before printing anything else). */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
    this.currentEpoch = -1;
  }
}
