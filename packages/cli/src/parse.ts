// Value parsers for command-line flags: each turns one string into a typed value or throws commander's
// InvalidArgumentError with a message that says what was expected (commander prefixes the flag name).
import {InvalidArgumentError} from 'commander';

export function parseInteger(value: string, min = 0): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}, got '${value}'`);
  return v;
}

export function parseNumber(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
  return v;
}

export function parseBoolean(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new InvalidArgumentError(`expected true or false, got '${value}'`);
}

/** 'a,b,c' → numbers (at least one). */
export function parseNumberList(value: string): number[] {
  const parts = value.split(',');
  if (parts.some((p) => p.trim() === '')) throw new InvalidArgumentError(`expected comma-separated numbers, got '${value}'`);
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`expected comma-separated numbers, got '${value}'`);
    return v;
  });
}

/** 'lo,hi' → [lo, hi]. */
export function parsePair(value: string): [number, number] {
  const v = parseNumberList(value);
  if (v.length !== 2) throw new InvalidArgumentError(`expected two comma-separated numbers (lo,hi), got '${value}'`);
  return [v[0]!, v[1]!];
}

/** One number, or a list when the value has commas. */
export function parseNumberOrList(value: string): number | number[] {
  const v = parseNumberList(value);
  return v.length === 1 ? v[0]! : v;
}

export function parseChoice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
}

/** A count ≥ 1 or a fraction in (0, 1): the held-out part of a dataset. */
export function parseCountOrFraction(value: string): number {
  const v = Number(value);
  if (value.trim() !== '' && Number.isFinite(v) && ((v > 0 && v < 1) || (Number.isSafeInteger(v) && v >= 1))) return v;
  throw new InvalidArgumentError(`expected a count ≥ 1 or a fraction in (0, 1), got '${value}'`);
}
