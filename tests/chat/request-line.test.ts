import { describe, expect, it } from "vitest";
import type { Request } from "@/server/catalog/constraints";
import { requestLine } from "@/server/recommend/llm";

// The ranking prompt's request line uses the phrasings the label head was trained on (training/requests.py).
const empty: Request = { likedItems: [], excludedItems: [], genres: [], excludedGenres: [], yearFrom: null, yearTo: null, creator: null, moodGenres: [] };

describe("requestLine", () => {
  it.each([
    [{ genres: ["science-fiction"] }, "something science fiction"],
    [{ creator: "Ursula K. Le Guin" }, "something by Ursula K. Le Guin"],
    [{ excludedGenres: ["romance"] }, "no romance please"],
    [{ yearFrom: 1990, yearTo: 1999 }, "something from the 1990s"],
    [{ creator: "Stephen King", excludedGenres: ["horror"] }, "something by Stephen King, no horror please"],
  ] as [Partial<Request>, string][])("%o → %s", (fields, line) => {
    expect(requestLine({ ...empty, ...fields })).toBe(line);
  });

  it("is null when the message asks for nothing the head was trained to read", () => {
    expect(requestLine(empty)).toBeNull();
    expect(requestLine({ ...empty, yearFrom: 2011, yearTo: null })).toBeNull(); // "after 2010" is no decade
  });
});
