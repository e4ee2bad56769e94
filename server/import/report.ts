import type { ImportReport } from "./import";

/** The import summary as a plain-text table (what the CLI prints). */
export function formatReport(report: ImportReport): string {
  const header = ["file", "format", "rows", "new", "updated", "unchanged", "repeats"];
  const rows = report.files.map((f) => [f.file, f.format, f.rows, f.inserted, f.updated, f.unchanged, f.duplicates].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [
    `Catalog "${report.catalog}": ${report.files.length} file${report.files.length === 1 ? "" : "s"} in ${report.seconds.toFixed(1)} s`,
    line(header),
    ...rows.map(line),
    `users created: ${report.usersCreated}`,
  ];
  if (report.dryRun) {
    out.push("Check only (--check): the counts are what an import would do; nothing was written.");
  } else if (!report.changed) {
    const seen = report.files.filter((f) => f.importedBefore).map((f) => `${f.file} on ${f.importedBefore!.toISOString().slice(0, 10)}`);
    out.push(`Nothing changed: every row was already in the database${seen.length ? ` (imported before: ${seen.join(", ")})` : ""}.`);
  }
  return out.join("\n");
}
