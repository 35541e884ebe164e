const UNITS: Record<string, number> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000,
};

/**
 * Parses `90s`, `10m`, `1h`, `7d`, `1w`, `500ms`, or a compound like `1h30m`. A bare number is refused:
 * seconds or minutes is a guess an administrator should not have to make.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? 0);
  }
  return Number.isFinite(total) && total > 0 ? Math.round(total) : undefined;
}

/** Renders milliseconds the way the config writes them: `1h`, `90s`, `2d3h`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) { parts.push(`${Math.floor(rest / size)}${unit}`); rest %= size; }
  }
  return parts.slice(0, 2).join('');
}
