/** Renders rows as columns aligned on their widest cell, with a header; numbers are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => {
    const last = i === r.length - 1;
    if (numeric[i]) return c.padStart(widths[i] ?? 0);
    return last ? c : c.padEnd(widths[i] ?? 0);
  }).join('  ').trimEnd()).join('\n') + '\n';
}

/** `2024-11-25 17:03:12` in local time: what an administrator compares with the clock on the wall. */
export function when(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
