// Axis tick labels.

/** A y-axis tick: up to 4 significant digits, so close ticks never print alike. */
export function formatTick(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}
