import { MetricLineChart } from "@/components/insights/line-chart";
import { RangeForm } from "@/components/insights/range-form";
import { StatCard } from "@/components/insights/stat-card";
import { JobPanel } from "@/components/insights/job-panel";
import { ModelVersions } from "@/components/insights/model-versions";
import { UpdateHistory } from "@/components/insights/update-history";
import { can } from "@/server/auth/access";
import { listVersions, modelEvents } from "@/server/db/queries/models";
import { requirePagePermission } from "@/server/auth/session";
import { InsightsQuery, insights } from "@/server/insights/insights";
import { servingVersionTrainedAt } from "@/server/jobs/export-training-data";
import { updateBlockedReason } from "@/server/jobs/jobs";

export const dynamic = "force-dynamic";
export const metadata = { title: "Insights — Reco" };

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)} %`);
const ms = (v: number | null) => (v === null ? "–" : `${Math.round(v)} ms`);

/** The product team's view: feedback per model version and over time, and the model update history. */
export default async function InsightsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requirePagePermission("insights.view", "/insights");
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const parsed = InsightsQuery.safeParse(raw);
  const [data, versions, events, trained, blocked] = await Promise.all([
    insights(actor.db, parsed.success ? parsed.data : {}),
    listVersions(actor.db),
    modelEvents(actor.db),
    servingVersionTrainedAt(actor.db),
    updateBlockedReason(actor.db),
  ]);
  const runningJob = data.updates.find((u) => u.status === "running" || u.status === "queued");
  const pinned = process.env.RECO_MODEL_DIR?.trim() || null;
  const { current, previous } = data.stats;
  const lastDay = new Date(data.range.current.to.getTime() - 86_400_000).toISOString().slice(0, 10);
  const problem = !parsed.success ? "Some dates were not understood (use YYYY-MM-DD); showing the last 30 days." : data.range.error;

  return (
    <div className="mx-auto w-full max-w-6xl overflow-y-auto p-6">
      <h1 className="text-xl font-semibold tracking-tight">Insights</h1>
      <p className="mt-1 text-sm text-neutral-600 dark:text-neutral-400">
        Feedback on the cards shown between {data.range.current.from.toISOString().slice(0, 10)} and {lastDay} (UTC), per model version, against
        the period of the same length before it.
      </p>
      <div className="mt-4">
        <RangeForm from={data.range.current.from.toISOString().slice(0, 10)} to={lastDay} />
      </div>
      {problem && (
        <p role="alert" className="mt-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950/40 dark:text-amber-300">
          {problem}
        </p>
      )}

      {current.cards === 0 ? (
        <p className="mt-6 rounded-lg border border-dashed border-neutral-300 p-6 text-center text-sm text-neutral-500 dark:border-neutral-700" data-testid="insights-empty">
          No cards were shown in this period. Pick a longer range, or chat at <a href="/" className="underline">the chat</a>: every answer&apos;s cards and
          their feedback show up here.
        </p>
      ) : (
        <>
          <section aria-label="This period" className="mt-6 grid grid-cols-2 gap-3 md:grid-cols-4">
            <StatCard label="Positive-feedback rate" value={current.positiveRate} previous={previous.positiveRate} unit="percent" goodWhen="up" />
            <StatCard label="Thumbs-down rate" value={current.thumbsDownRate} previous={previous.thumbsDownRate} unit="percent" goodWhen="down" />
            <StatCard label="Click-through" value={current.clickRate} previous={previous.clickRate} unit="percent" goodWhen="up" />
            <StatCard label="Save rate" value={current.saveRate} previous={previous.saveRate} unit="percent" goodWhen="up" />
            <StatCard label="“Not interested” rate" value={current.notInterestedRate} previous={previous.notInterestedRate} unit="percent" goodWhen="down" />
            <StatCard label="Catalog coverage" value={current.coverage} previous={previous.coverage} unit="percent" goodWhen="up" />
            <StatCard label="First card, p50" value={current.latencyP50} previous={previous.latencyP50} unit="ms" goodWhen="down" />
            <StatCard label="First card, p95" value={current.latencyP95} previous={previous.latencyP95} unit="ms" goodWhen="down" />
          </section>

          <section aria-label="Over time" className="mt-6 grid gap-4 lg:grid-cols-2">
            <MetricLineChart
              label="Positive-feedback rate per day, by model version"
              data={data.positiveByVersion}
              series={data.versionNames.map((v) => ({ key: v, label: v }))}
              unit="percent"
            />
            <MetricLineChart
              label="Reactions per card shown, per day"
              data={data.daily}
              series={[
                { key: "thumbsDownRate", label: "thumbs down" },
                { key: "clickRate", label: "click-through" },
                { key: "saveRate", label: "saves" },
                { key: "notInterestedRate", label: "not interested" },
              ]}
              unit="percent"
            />
            <MetricLineChart
              label="First-card latency per day"
              data={data.daily}
              series={[
                { key: "latencyP50", label: "p50" },
                { key: "latencyP95", label: "p95" },
              ]}
              unit="ms"
            />
          </section>

          <section aria-label="By model version" className="mt-6 overflow-x-auto">
            <h2 className="text-base font-semibold">By model version</h2>
            <table className="mt-2 w-full text-left text-sm tabular-nums" data-testid="versions">
              <thead className="border-b border-neutral-200 text-neutral-500 dark:border-neutral-800">
                <tr>
                  {["Version", "Cards", "Users", "Positive", "Thumbs down", "Click-through", "Saves", "Not interested", "First card p50 / p95", "Offline HR@1"].map((h) => (
                    <th key={h} className="py-2 pr-3 font-medium">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.versions.map((v) => (
                  <tr key={v.name} className="border-b border-neutral-100 dark:border-neutral-900" data-version={v.name}>
                    <td className="py-2 pr-3 font-medium">
                      {v.name}
                      {v.status && <span className="ml-1 text-xs text-neutral-500">({v.status})</span>}
                    </td>
                    <td className="py-2 pr-3">{v.rates.cards.toLocaleString("en-US")}</td>
                    <td className="py-2 pr-3">{v.rates.users.toLocaleString("en-US")}</td>
                    <td className="py-2 pr-3">{pct(v.rates.positiveRate)}</td>
                    <td className="py-2 pr-3">{pct(v.rates.thumbsDownRate)}</td>
                    <td className="py-2 pr-3">{pct(v.rates.clickRate)}</td>
                    <td className="py-2 pr-3">{pct(v.rates.saveRate)}</td>
                    <td className="py-2 pr-3">{pct(v.rates.notInterestedRate)}</td>
                    <td className="py-2 pr-3">
                      {ms(v.rates.latencyP50)} / {ms(v.rates.latencyP95)}
                    </td>
                    <td className="py-2 pr-3">{v.hr1 === null ? "–" : v.hr1.toFixed(3)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}

      {can(actor.role, "models.update") && (
        <section aria-label="Model versions" className="mt-8">
          <h2 className="text-base font-semibold">Model versions</h2>
          <ModelVersions versions={versions} events={events} pinned={pinned} />
        </section>
      )}

      <section aria-label="Model updates" className="mt-8">
        <h2 className="text-base font-semibold">Model updates</h2>
        {can(actor.role, "models.update") && (
          <JobPanel
            runningJobId={runningJob?.id ?? null}
            since={trained ? `${trained.name}, ${trained.at.toISOString().slice(0, 10)}` : "no version serves yet: everything"}
            updateBlocked={blocked}
          />
        )}
        <UpdateHistory updates={data.updates} />
      </section>
    </div>
  );
}
