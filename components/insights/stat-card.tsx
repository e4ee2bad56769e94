type Props = {
  label: string;
  value: number | null;
  previous: number | null;
  unit: "percent" | "ms" | "count";
  /** Whether a rise is good (positive rate) or bad (thumbs-down, latency): colours the change. */
  goodWhen: "up" | "down";
};

function show(value: number | null, unit: Props["unit"]): string {
  if (value === null) return "–";
  if (unit === "percent") return `${(value * 100).toFixed(1)} %`;
  if (unit === "ms") return `${Math.round(value)} ms`;
  return value.toLocaleString("en-US");
}

/** One figure for the period, and its change against the previous period of the same length. */
export function StatCard({ label, value, previous, unit, goodWhen }: Props) {
  const change = value !== null && previous !== null ? value - previous : null;
  const better = change === null || change === 0 ? null : (change > 0) === (goodWhen === "up");
  const changeText =
    change === null
      ? previous === null
        ? "no data before"
        : "no data"
      : unit === "percent"
        ? `${change >= 0 ? "+" : "−"}${Math.abs(change * 100).toFixed(1)} pts`
        : `${change >= 0 ? "+" : "−"}${show(Math.abs(change), unit)}`;
  return (
    <div className="rounded-xl border border-neutral-200 p-3 dark:border-neutral-800" data-testid="stat-card" data-label={label}>
      <div className="text-xs text-neutral-500">{label}</div>
      <div className="mt-1 text-xl font-semibold tabular-nums" data-testid="stat-value">
        {show(value, unit)}
      </div>
      <div className={`text-xs ${better === null ? "text-neutral-500" : better ? "text-green-700 dark:text-green-400" : "text-red-700 dark:text-red-400"}`}>
        {changeText} <span className="text-neutral-500">vs previous period</span>
      </div>
    </div>
  );
}
