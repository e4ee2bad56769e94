/** The chat requests the chat benchmarks send, in turn: a mix of named titles, genres, years, authors and negations. */
export const QUERIES = [
  "Something like The Hobbit",
  "funny science fiction",
  "mystery novels from the 90s",
  "Something like The Hunger Games but no romance",
  "classics by Jane Austen",
  "young adult fantasy after 2000",
  "I loved Gone Girl",
  "Something like Harry Potter and the Sorcerer's Stone",
];
