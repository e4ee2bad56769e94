import { describe, expect, it } from "vitest";
import { requestLine } from "@/server/recommend/llm";
import { emptyRequest, type Request } from "@/server/understand/request";

// The ranking prompt's request line uses the phrasings the label head was trained on (training/requests.py).
const empty: Request = emptyRequest();

describe("requestLine", () => {
  it.each([
    [{ genres: ["science-fiction"] }, "something science fiction"],
    [{ creators: ["Ursula K. Le Guin"] }, "something by Ursula K. Le Guin"],
    [{ excludedGenres: ["romance"] }, "no romance please"],
    [{ yearFrom: 1990, yearTo: 1999 }, "something from the 1990s"],
    [{ creators: ["Stephen King"], excludedGenres: ["horror"] }, "something by Stephen King, no horror please"],
  ] as [Partial<Request>, string][])("%o → %s", (fields, line) => {
    expect(requestLine({ ...empty, ...fields })).toBe(line);
  });

  it("is null when the message asks for nothing the head was trained to read", () => {
    expect(requestLine(empty)).toBeNull();
    expect(requestLine({ ...empty, yearFrom: 2011, yearTo: null })).toBeNull(); // "after 2010" is no decade
  });
});
