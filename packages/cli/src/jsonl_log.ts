// The run's JSONL log: one JSON object per line ({type: 'step' | 'epoch' | 'knn' | 'run', time, ...}), appended and
// flushed line by line so that a killed run keeps every line it wrote, and read back for the loss curve.
import {closeSync, existsSync, openSync, readFileSync, writeSync} from 'node:fs';

export interface LogRecord {
  type: string;
  [field: string]: unknown;
}

export class JsonlLog {
  private fd: number | null;

  /** Opens `path` for appending (created when missing). */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** Appends one record with the current time; non-finite numbers are written as null (JSON has no NaN). */
  write(record: LogRecord): void {
    if (this.fd === null) throw new Error(`JsonlLog ${this.path}: write after close()`);
    const line = JSON.stringify({...record, time: new Date().toISOString()}, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
    writeSync(this.fd, line + '\n');
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Every record of a JSONL file (none when it does not exist). A last line cut short by a killed process is skipped;
 * any other line that is not a JSON object is an error naming the line.
 */
export function readJsonl(path: string): LogRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: LogRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const v = JSON.parse(line) as unknown;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      out.push(v as LogRecord);
    } catch (e) {
      if (i === lines.length - 1) return; // the partial last line of an interrupted write
      throw new Error(`${path}:${i + 1}: not a JSON object (${(e as Error).message})`);
    }
  });
  return out;
}
