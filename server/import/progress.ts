import { basename } from "node:path";
import cliProgress from "cli-progress";
import type { ImportProgress } from "./import";

// Files shorter than this import in well under a second: a bar would only flicker.
const MIN_LINES = 10_000;

/**
 * A progress bar on stderr, one per large file: live on a terminal, a line every few seconds in a
 * log (so long imports in CI or `npm start` output still show they are moving).
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  let bar: cliProgress.SingleBar | null = null;
  let current: string | null = null;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  const onProgress = ({ file, done, total }: ImportProgress) => {
    if (file !== current) {
      stop();
      current = file;
      if (total < MIN_LINES) return;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${basename(file).padEnd(16)} {bar} {percentage}% | {value}/{total} lines | {eta_formatted}`,
          noTTYOutput: true,
          notTTYSchedule: 3000,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, done);
      return;
    }
    bar?.update(done);
    if (done >= total) stop();
  };
  return { onProgress, stop };
}
