// Terminal output: colour only on a TTY and never with NO_COLOR; tables; diagnostics as file:line:col lines.
import { type Diagnostic, formatPosition } from '../errors.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  /** stdout is a terminal. */
  tty: boolean;
  /** stderr is a terminal: transient progress lines are welcome there. */
  progress: boolean;
}

export function processIo(): Io {
  const tty = process.stdout.isTTY === true;
  const color = !process.env.NO_COLOR && (process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : tty);
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    color,
    tty,
    progress: process.stderr.isTTY === true && !process.env.CI,
  };
}

const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
  dim: 2,
} as const;
export type Style = keyof typeof CODES;

export function paint(io: Pick<Io, 'color'>, style: Style, text: string): string {
  return io.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

const ANSI = /\u001b\[[0-9;]*m/g;
export function visibleLength(s: string): number {
  return s.includes('\u001b') ? s.replace(ANSI, '').length : s.length;
}

/** A plain aligned table; the last column is not padded. */
export function table(head: string[], rows: string[][], io: Pick<Io, 'color'>): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [paint(io, 'bold', line(head)), ...rows.map(line)].join('\n') + '\n';
}

export function formatDiagnostic(d: Diagnostic, io: Pick<Io, 'color'>): string {
  const where = formatPosition(d);
  const sev =
    d.severity === 'error'
      ? paint(io, 'red', 'error')
      : d.severity === 'warning'
        ? paint(io, 'yellow', 'warning')
        : paint(io, 'blue', 'info');
  let s = `${sev}${where ? ` ${where}:` : ':'} ${d.message} ${paint(io, 'gray', `[${d.rule}]`)}\n`;
  if (d.expected) s += `  expected: ${d.expected}\n`;
  return s;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function shortHash(h: string | undefined): string {
  if (!h) return '-';
  return h.startsWith('sha256:') ? `sha256:${h.slice(7, 19)}` : h.slice(0, 19);
}
