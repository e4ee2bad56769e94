"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type Series = { key: string; label: string };
type Props = { data: Record<string, string | number | null>[]; series: Series[]; unit: "percent" | "ms"; label: string };

// Distinguishable in light and dark themes.
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777"];

const format = (unit: Props["unit"]) => (value: unknown) =>
  typeof value !== "number" ? "–" : unit === "percent" ? `${(value * 100).toFixed(1)} %` : `${Math.round(value)} ms`;

/** A daily line chart; days without data are gaps, not zeros. */
export function MetricLineChart({ data, series, unit, label }: Props) {
  return (
    <figure className="rounded-xl border border-neutral-200 p-4 dark:border-neutral-800" data-testid="chart">
      <figcaption className="mb-2 text-sm font-medium">{label}</figcaption>
      <div className="h-56 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.12} />
            <XAxis dataKey="day" tick={{ fontSize: 11 }} tickFormatter={(d: string) => d.slice(5)} minTickGap={24} />
            <YAxis tick={{ fontSize: 11 }} tickFormatter={format(unit)} width={64} />
            <Tooltip formatter={format(unit)} labelClassName="text-neutral-900" />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {series.map((s, i) => (
              <Line key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={COLORS[i % COLORS.length]} dot={{ r: 2 }} connectNulls={false} isAnimationActive={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
