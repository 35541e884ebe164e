export type Level = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Structured-enough logging: one line per event, `level message key=value…`. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  readonly level: Level;
}

export interface LogSink { write(line: string): void }

const fmtValue = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[\w.:/@+-]+$/.test(s ?? '') ? (s ?? '') : JSON.stringify(s);
};

export function createLogger(level: Level = 'info', sink: LogSink = process.stderr, withTime = true): Logger {
  const emit = (l: Level, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[l] > ORDER[level]) return;
    let line = withTime ? `${new Date().toISOString()} ${l.padEnd(5)} ${message}` : `${l} ${message}`;
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${fmtValue(v)}`;
    sink.write(`${line}\n`);
  };
  return {
    level,
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
}

export const silentLogger: Logger = {
  level: 'error', error() {}, warn() {}, info() {}, debug() {},
};
