/** FairScheduler on its own: round-robin steps, bounded admission, aborts while waiting. */
import { describe, expect, it } from "vitest";
import { FairScheduler, QueueFullError } from "@/model-runtime";

const tick = () => new Promise((r) => setTimeout(r, 1));

/** A request of `steps` forward passes, each recording `name` in `order`. */
const stepping = (s: FairScheduler, order: string[]) => (name: string, steps: number) =>
  s.withRequest(undefined, async () => {
    for (let i = 0; i < steps; i++) await s.step(undefined, async () => (order.push(name), tick()));
  });

describe("FairScheduler", () => {
  it("interleaves the steps of concurrent requests in turn", async () => {
    const s = new FairScheduler({ maxActive: 3, concurrency: 1 });
    const order: string[] = [];
    const request = stepping(s, order);
    await Promise.all([request("a", 4), request("b", 2), request("c", 3)]);
    // A long request (a) does not hold the model: b and c advance between a's steps.
    expect(order.join("")).toBe("abcabcaca");
  });

  it("runs urgent steps (ranking) ahead of waiting ordinary ones (explanations), in their own order", async () => {
    const s = new FairScheduler({ maxActive: 8, concurrency: 1 });
    const order: string[] = [];
    const stream = stepping(s, order);
    const urgent = (name: string) => s.withRequest(undefined, () => s.step(undefined, async () => (order.push(name), tick()), true), true);
    const streams = [stream("a", 3), stream("b", 3)];
    await tick(); // the streams are under way, their next steps waiting
    await Promise.all([...streams, urgent("R"), urgent("S")]);
    // a's first step was running; R and S go before every waiting explanation step, R before S; the streams then go on in turn.
    expect(order.join("")).toBe("aRSbabab");
  });

  it("admits an urgent request ahead of waiting ordinary ones", async () => {
    const s = new FairScheduler({ maxActive: 1, maxWaiting: 4 });
    const order: string[] = [];
    let release!: () => void;
    const holder = s.withRequest(undefined, () => new Promise<void>((r) => (release = r)));
    const waiting = [
      s.withRequest(undefined, async () => void order.push("explain")),
      s.withRequest(undefined, async () => void order.push("rank"), true),
    ];
    await tick();
    release();
    await Promise.all([holder, ...waiting]);
    expect(order).toEqual(["rank", "explain"]);
  });

  it("runs at most `concurrency` steps at once", async () => {
    const s = new FairScheduler({ maxActive: 8, concurrency: 2 });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        s.withRequest(undefined, () =>
          s.step(undefined, async () => {
            peak = Math.max(peak, ++running);
            await tick();
            running--;
          }),
        ),
      ),
    );
    expect(peak).toBe(2);
  });

  it("admits at most maxActive, queues maxWaiting, refuses the rest at once", async () => {
    const s = new FairScheduler({ maxActive: 1, maxWaiting: 1 });
    let release!: () => void;
    const first = s.withRequest(undefined, () => new Promise<void>((r) => (release = r)));
    const second = s.withRequest(undefined, async () => "second ran");
    await tick();
    expect(s.stats).toMatchObject({ active: 1, waiting: 1 });
    await expect(s.withRequest(undefined, async () => "third")).rejects.toThrow(QueueFullError);
    release();
    await first;
    expect(await second).toBe("second ran");
    expect(s.stats).toMatchObject({ active: 0, waiting: 0 });
  });

  it("drops a waiting request when its signal aborts, and frees the place for the next", async () => {
    const s = new FairScheduler({ maxActive: 1, maxWaiting: 4 });
    let release!: () => void;
    const first = s.withRequest(undefined, () => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const aborted = s.withRequest(controller.signal, async () => "should not run");
    const third = s.withRequest(undefined, async () => "third ran");
    await tick();
    controller.abort(new Error("stop waiting"));
    await expect(aborted).rejects.toThrow("stop waiting");
    expect(s.stats.waiting).toBe(1);
    release();
    await first;
    expect(await third).toBe("third ran");
  });

  it("refuses at once when the signal is already aborted", async () => {
    const s = new FairScheduler();
    await expect(s.withRequest(AbortSignal.abort(new Error("already")), async () => 1)).rejects.toThrow("already");
    expect(s.stats.active).toBe(0);
  });
});
