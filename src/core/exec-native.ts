import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import type { ExecOptions, ExecOutcome, Spawner } from './exec.js';

/** What native/spawn.c answers: `error` (an errno) when nothing ran, else how the command ended. */
interface NativeAnswer {
  readonly error?: number;
  readonly exitCode?: number;
  readonly signal?: number;
  readonly stdout?: Buffer;
  readonly stderr?: Buffer;
  readonly timedOut?: boolean;
}
interface NativeModule {
  /** `env` undefined: the daemon's own environment, as the C library holds it (process.env writes through to it). */
  spawn(file: string, argv: readonly string[], env: readonly string[] | undefined, input: Buffer | undefined, timeoutMs: number, maxOutput: number): Promise<NativeAnswer>;
}

/**
 * Built by `npm ci` (binding.gyp, node-gyp) into build/Release/, two folders above this module as above the
 * bundle's (scripts/bundle.mjs).
 */
export const NATIVE_SPAWN_PATH = fileURLToPath(new URL('../../build/Release/dd_spawn.node', import.meta.url));

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** Node refuses such strings; C would cut them short at the NUL. */
const hasNul = (s: string): boolean => s.includes('\0');

const environment = (env: NodeJS.ProcessEnv): string[] => {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
};

function spawnerOf(m: NativeModule): Spawner {
  return async (argv, options: ExecOptions): Promise<ExecOutcome> => {
    const [file] = argv;
    if (!file) return { ok: false, error: 'Cannot run an empty command' };
    const env = options.env === undefined ? undefined : environment(options.env);
    if (argv.some(hasNul) || env?.some(hasNul) === true) return { ok: false, error: `Cannot run "${file}": an argument or the environment holds a NUL character` };
    let r: NativeAnswer;
    try {
      const input = options.input === undefined ? undefined : Buffer.from(options.input, 'utf8');
      r = await m.spawn(file, argv, env, input, options.timeoutMs ?? 30_000, options.maxOutput ?? 1 << 20);
    } catch (e) {
      return { ok: false, error: `Cannot run "${file}": ${(e as Error).message}` };
    }
    if (r.error !== undefined) {
      const name = getSystemErrorName(-r.error);
      return { ok: false, error: name === 'ENOENT' ? `Cannot run "${file}": not found` : `Cannot run "${file}": ${name}` };
    }
    return {
      ok: true,
      value: {
        code: r.exitCode ?? null,
        signal: r.signal === undefined ? null : signalNames.get(r.signal) ?? null,
        stdout: r.stdout?.toString('utf8') ?? '',
        stderr: r.stderr?.toString('utf8') ?? '',
        timedOut: r.timedOut === true,
      },
    };
  };
}

let loaded: { readonly ok: true; readonly value: Spawner } | { readonly ok: false; readonly error: string } | undefined;

/** The native spawner, loaded once; an error value where it was not built or does not load here. */
export function nativeSpawner(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  try {
    const m = createRequire(import.meta.url)(NATIVE_SPAWN_PATH) as Partial<NativeModule>;
    loaded = typeof m.spawn === 'function'
      ? { ok: true, value: spawnerOf(m as NativeModule) }
      : { ok: false, error: `${NATIVE_SPAWN_PATH} has no spawn function` };
  } catch (e) {
    loaded = { ok: false, error: `cannot load ${NATIVE_SPAWN_PATH}: ${(e as Error).message.split('\n')[0] ?? ''}` };
  }
  return loaded;
}
