/**
 * The model version being served, swappable at run time (promote / roll back). A new version is
 * loaded and fully checked beside the old one; only then does it take over. If loading fails the
 * serving version is untouched and keeps answering, and the error (naming the bad file) is thrown
 * to whoever asked for the switch.
 */
import { ModelRuntime, type RuntimeOptions } from "./runtime";

export class NoModelError extends Error {
  override name = "NoModelError";
}

export class ModelRegistry {
  private serving: ModelRuntime | null = null;
  private switching: Promise<ModelRuntime> | null = null;

  constructor(private readonly options: RuntimeOptions = {}) {}

  /** The version answering requests now. */
  current(): ModelRuntime {
    if (!this.serving) throw new NoModelError("no model version is loaded yet");
    return this.serving;
  }

  get hasModel(): boolean {
    return this.serving !== null;
  }

  /**
   * Loads `dir` and serves it from then on; the previous version retires once its in-flight
   * requests end. Switches are serialized: two promotes at once load one after the other.
   */
  async serve(dir: string, options: RuntimeOptions = {}): Promise<ModelRuntime> {
    const previousSwitch = this.switching;
    const next = (async () => {
      await previousSwitch?.catch(() => undefined);
      const loaded = await ModelRuntime.load(dir, { ...this.options, ...options });
      const old = this.serving;
      this.serving = loaded;
      void old?.retire();
      return loaded;
    })();
    this.switching = next;
    return next;
  }
}
