/**
 * Fair sharing of one model among concurrent requests, with bounded memory.
 *
 * - Admission: at most `maxActive` requests hold a KV cache at once (that is what bounds memory);
 *   up to `maxWaiting` more wait in FIFO order; beyond that a request is refused at once with
 *   QueueFullError (the route answers "busy" instead of piling up work).
 * - Steps: every forward pass of every request goes through one FIFO of width `concurrency`. A
 *   request only has its next step queued after its previous one finished, so FIFO order is
 *   round-robin: a long generation cannot starve a short one, and N streams advance in turn.
 *   On CPU the default width is 1: onnxruntime already uses every core inside one run, and two
 *   runs at once only contend.
 * - Urgent work (what the first card waits for: ranking, SASRec) is queued ahead of the rest —
 *   ahead of waiting explanation streams, behind earlier urgent work — so first cards keep flowing
 *   while explanations stream.
 * - An AbortSignal removes a waiting request or step at once and frees its place.
 */

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export interface SchedulerOptions {
  maxActive?: number;
  maxWaiting?: number;
  concurrency?: number;
}

interface Waiter {
  urgent: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** A FIFO of callers waiting for one of `width` places. */
class Gate {
  private inUse = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly width: number,
    private readonly maxWaiting = Infinity,
    private readonly what = "request",
  ) {}

  get stats() {
    return { inUse: this.inUse, waiting: this.waiting.length };
  }

  acquire(signal?: AbortSignal, urgent = false): Promise<void> {
    signal?.throwIfAborted();
    if (this.inUse < this.width && this.waiting.length === 0) {
      this.inUse++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new QueueFullError(`model busy: ${this.inUse} ${this.what}s running and ${this.waiting.length} waiting`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { urgent, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      const firstOrdinary = urgent ? this.waiting.findIndex((w) => !w.urgent) : -1;
      if (firstOrdinary >= 0) this.waiting.splice(firstOrdinary, 0, waiter);
      else this.waiting.push(waiter);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.inUse--;
      return;
    }
    // The place passes straight to the next waiter (inUse unchanged).
    if (next.onAbort) next.signal?.removeEventListener("abort", next.onAbort);
    next.resolve();
  }
}

export class FairScheduler {
  private readonly requests: Gate;
  private readonly steps: Gate;

  constructor(options: SchedulerOptions = {}) {
    this.requests = new Gate(options.maxActive ?? 8, options.maxWaiting ?? 64, "request");
    this.steps = new Gate(options.concurrency ?? 1, Infinity, "step");
  }

  /** Running/waiting counts, for health checks and tests ("cancellation frees the request"). */
  get stats() {
    return { active: this.requests.stats.inUse, waiting: this.requests.stats.waiting, steps: this.steps.stats };
  }

  /** Runs `work` as one admitted request; its place is freed however it ends. Urgent: see the top. */
  async withRequest<T>(signal: AbortSignal | undefined, work: () => Promise<T>, urgent = false): Promise<T> {
    await this.requests.acquire(signal, urgent);
    try {
      return await work();
    } finally {
      this.requests.release();
    }
  }

  /** The async-iterator form of withRequest: the place is held while the caller iterates. */
  async *streamRequest<T>(signal: AbortSignal | undefined, work: () => AsyncGenerator<T>): AsyncGenerator<T> {
    await this.requests.acquire(signal);
    try {
      yield* work();
    } finally {
      this.requests.release();
    }
  }

  /** One forward pass, in turn with every other request's passes (urgent ones first). */
  async step<T>(signal: AbortSignal | undefined, run: () => Promise<T>, urgent = false): Promise<T> {
    await this.steps.acquire(signal, urgent);
    try {
      signal?.throwIfAborted();
      return await run();
    } finally {
      this.steps.release();
    }
  }
}
