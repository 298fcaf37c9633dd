// What every benchmark prints and measures the same way: plain tables and heap size after GC.

/** Prints rows as a plain table: the first column left-aligned, the figures right-aligned. */
export function printTable(rows: Array<Record<string, string | number>>): void {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (values: string[]) =>
    values.map((v, i) => v.padStart(i === 0 ? 0 : width[i]).padEnd(width[i])).join('  ');
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

const gc = (globalThis as { gc?: () => void }).gc;

/** heapUsed + arrayBuffers after two full GCs (needs `--expose-gc`, else without GC). */
export function heapNow(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
