/**
 * A version folder is refused, with the file named, when anything in it is missing, corrupt or
 * inconsistent; and the registry keeps serving the version it had.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadModelFolder, ModelFolderError, ModelRegistry, NoModelError, sha256 } from "@/model-runtime";
import { collect, copyFixture, FIXTURE } from "./fixture";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function brokenCopy(breakIt: (dir: string) => Promise<void>): Promise<string> {
  const { dir, cleanup } = await copyFixture();
  cleanups.push(cleanup);
  await breakIt(dir);
  return dir;
}

async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const file = path.join(dir, "manifest.json");
  const m = JSON.parse(await readFile(file, "utf8"));
  edit(m);
  await writeFile(file, JSON.stringify(m));
}

/** Re-lists a changed file's size and hash, so that the check under test is the one that fires. */
async function relist(dir: string, name: string): Promise<void> {
  const data = await readFile(path.join(dir, name));
  const digest = await sha256(path.join(dir, name));
  await editManifest(dir, (m) => {
    const entry = m.files.find((f: { name: string }) => f.name === name);
    entry.bytes = data.byteLength;
    entry.sha256 = digest;
  });
}

async function refusal(dir: string): Promise<ModelFolderError> {
  const error = await loadModelFolder(dir, { threads: 1 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFolderError);
  return error as ModelFolderError;
}

describe("loadModelFolder", () => {
  it("loads the fixture and checks every listed file", async () => {
    const folder = await loadModelFolder(FIXTURE, { threads: 1 });
    expect(folder.manifest.version).toBe("tiny-random");
    expect(folder.itemTable.length).toBe((folder.manifest.items.count + 1) * folder.manifest.dims.rec_dim);
    expect(folder.items[1]?.title).toBe("The Hunger Games (The Hunger Games, #1)");
    await folder.release();
  });

  it("refuses a corrupt graph (one byte flipped), naming the file and the hash", async () => {
    const dir = await brokenCopy(async (d) => {
      const file = path.join(d, "llm.onnx");
      const bytes = await readFile(file);
      bytes[bytes.length >> 1]! ^= 0xff;
      await writeFile(file, bytes);
    });
    const e = await refusal(dir);
    expect(e.file).toBe("llm.onnx");
    expect(e.message).toMatch(/llm\.onnx: sha256 .* does not match/);
  });

  it("refuses a missing file", async () => {
    const dir = await brokenCopy((d) => rm(path.join(d, "sasrec.onnx")));
    const e = await refusal(dir);
    expect(e.file).toBe("sasrec.onnx");
    expect(e.message).toContain("missing");
  });

  it("refuses a truncated file by its size", async () => {
    const dir = await brokenCopy(async (d) => {
      const file = path.join(d, "item_embeddings.f32");
      await writeFile(file, (await readFile(file)).subarray(0, 100));
    });
    const e = await refusal(dir);
    expect(e.file).toBe("item_embeddings.f32");
    expect(e.message).toMatch(/size 100 bytes/);
  });

  it("refuses a manifest that is not valid JSON or breaks the schema", async () => {
    let dir = await brokenCopy((d) => writeFile(path.join(d, "manifest.json"), "{ not json"));
    expect((await refusal(dir)).message).toMatch(/manifest\.json: not valid JSON/);
    dir = await brokenCopy((d) => editManifest(d, (m) => void (m.dims.layers = "two")));
    expect((await refusal(dir)).message).toMatch(/manifest\.json: dims\.layers/);
  });

  it("refuses a file the runtime opens but the manifest does not list (it would escape the hash check)", async () => {
    const dir = await brokenCopy((d) => editManifest(d, (m) => void (m.files = m.files.filter((f: { name: string }) => f.name !== "tokenizer.json"))));
    expect((await refusal(dir)).message).toMatch(/tokenizer\.json is used but not listed/);
  });

  it("refuses a graph whose shapes disagree with the manifest's dims", async () => {
    const dir = await brokenCopy((d) => editManifest(d, (m) => void (m.dims.kv_heads = 3)));
    const e = await refusal(dir);
    expect(e.file).toBe("llm.onnx");
    expect(e.message).toMatch(/past_key_values\.0\.key has shape .* expected \[batch, 3, past, 16\]/);
  });

  it("refuses a graph whose input names differ from the manifest's list", async () => {
    const dir = await brokenCopy((d) => editManifest(d, (m) => void (m.llm.inputs = m.llm.inputs.filter((n: string) => n !== "position_ids"))));
    expect((await refusal(dir)).message).toMatch(/llm\.onnx: graph inputs .* differ/);
  });

  it("refuses a tokenizer whose special-token ids disagree with the manifest", async () => {
    const dir = await brokenCopy((d) => editManifest(d, (m) => void (m.special_tokens.candidate_slot.id = 5)));
    expect((await refusal(dir)).message).toMatch(/tokenizer\.json: special token candidate_slot \[CansEmb\] has id 601, manifest says 5/);
  });

  it("refuses items.json with the wrong number of rows, even when re-hashed", async () => {
    const dir = await brokenCopy(async (d) => {
      const file = path.join(d, "items.json");
      const items = JSON.parse(await readFile(file, "utf8"));
      items.rows.pop();
      await writeFile(file, JSON.stringify(items));
      await relist(d, "items.json");
    });
    expect((await refusal(dir)).message).toMatch(/items\.json: 39 rows, manifest items\.count is 40/);
  });

  it("refuses int8 when the manifest has no int8 graph", async () => {
    const dir = await brokenCopy((d) => editManifest(d, (m) => void (m.llm_int8 = null)));
    await expect(loadModelFolder(dir, { precision: "int8", threads: 1 })).rejects.toThrow(/no llm_int8 graph/);
  });
});

describe("ModelRegistry", () => {
  it("has no model until one is served", () => {
    expect(() => new ModelRegistry().current()).toThrow(NoModelError);
  });

  it("keeps serving the previous version when a new one is broken", async () => {
    const registry = new ModelRegistry({ threads: 1 });
    const first = await registry.serve(FIXTURE);
    const dir = await brokenCopy((d) => rm(path.join(d, "tokenizer.json")));
    await expect(registry.serve(dir)).rejects.toThrow(/tokenizer\.json: missing/);
    expect(registry.current()).toBe(first);
    const prompt = first.recommendationPrompt({ history: [1, 2, 3], candidates: [4, 5, 6] });
    const { tokens } = await collect(registry.current().generate(prompt, { maxNewTokens: 3 }));
    expect(tokens.length).toBeGreaterThan(0);
    await first.retire();
  });

  it("switches to a good new version and lets the old one finish its streams first", async () => {
    const registry = new ModelRegistry({ threads: 1 });
    const first = await registry.serve(FIXTURE);
    const prompt = first.recommendationPrompt({ history: [1, 2, 3], candidates: [4, 5, 6] });
    const stream = first.generate(prompt, { maxNewTokens: 6, stopTokens: [] });
    await stream.next(); // in flight on the first version
    const { dir } = await copyFixture().then((c) => (cleanups.push(c.cleanup), c));
    const second = await registry.serve(dir);
    expect(registry.current()).toBe(second);
    const rest = await collect(stream); // the old version still answers its open stream
    expect(rest.reason).toBe("length");
    await expect(collect(first.generate(prompt, { maxNewTokens: 2 }))).rejects.toThrow(/retired/);
    await second.retire();
  });
});
