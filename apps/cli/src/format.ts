/** Text output: aligned tables, a progress bar, metric values. */

/** Rows as columns padded to their widest cell; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** `[#########-----------]  45%` for a fraction in 0..1. */
export function progressBar(fraction: number, width = 24): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(clamped * 100)).padStart(3)}%`;
}

/** A loss or similar value with four decimals, or with four significant digits when tiny. */
export function metric(value: number): string {
  return Math.abs(value) >= 0.001 || value === 0 ? value.toFixed(4) : value.toPrecision(4);
}

/** An epoch as the server reports it: whole epochs without decimals. */
export function epochText(epoch: number): string {
  return Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(2);
}
