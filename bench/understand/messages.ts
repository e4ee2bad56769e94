/**
 * The labelled request-understanding benchmark: chat messages as people write them to the
 * goodbooks demo catalog, each with what it should be understood to ask for. Items are goodbooks
 * book_ids (the catalog's external ids); genres are the catalog's tags; creators are names as the
 * catalog spells them. Written by hand before the parser was, from the demo catalog's own rows;
 * `npm run bench:understand` checks every id exists and scores the parser against these labels.
 */

export type Category =
  | "plain"
  | "bare title"
  | "list"
  | "typo"
  | "original title"
  | "author"
  | "series"
  | "negation"
  | "reference"
  | "scope"
  | "tie"
  | "ordinary words"
  | "emoji"
  | "rambling"
  | "mixed";

export type Expected = {
  /** Items named as liked or read: the seeds. */
  like?: string[];
  /** Items not wanted ("not Twilight", "nothing like Gone Girl", "not that one"). */
  exclude?: string[];
  genres?: string[];
  notGenres?: string[];
  creators?: string[];
  notCreators?: string[];
  /** Items asked for directly through a series ("the next one after Catching Fire"). */
  series?: string[];
  /** Two or more items the text names equally well: the answer should ask which one. */
  ask?: string[];
  /** What the person asked for that the catalog does not hold ("movie"). */
  outside?: string;
  /** A title named that is not in the catalog (the words as written). */
  unknown?: string[];
};

export type BenchMessage = {
  category: Category;
  text: string;
  /** The cards of the previous answer, rank 1 first (for references to them). */
  previous?: string[];
  expect: Expected;
};

// The previous answer most reference messages follow: five cards, rank 1 first.
// The Hobbit, The Name of the Wind, A Game of Thrones, The Way of Kings, The Eye of the World.
const FANTASY = ["7", "192", "39", "562", "330"];
// Gone Girl, The Girl on the Train, The Girl with the Dragon Tattoo, Big Little Lies, Dark Places.
const THRILLERS = ["30", "61", "16", "262", "226"];

export const MESSAGES: BenchMessage[] = [
  // ── plain requests: genres, moods, years, no items ──────────────────────────────────────────
  { category: "plain", text: "I'd like a good fantasy book", expect: { genres: ["fantasy"] } },
  { category: "plain", text: "any recommendations for sci-fi?", expect: { genres: ["science-fiction"] } },
  { category: "plain", text: "Looking for a historical fiction novel set during the war", expect: { genres: ["historical-fiction"] } },
  { category: "plain", text: "mystery thrillers please", expect: { genres: ["mystery", "thriller"] } },
  { category: "plain", text: "something funny to read on holiday", expect: { genres: ["humor"] } },
  { category: "plain", text: "a YA romance", expect: { genres: ["young-adult", "romance"] } },
  { category: "plain", text: "Recommend me a classic", expect: { genres: ["classics"] } },
  { category: "plain", text: "good non-fiction about history", expect: { genres: ["non-fiction", "history"] } },
  { category: "plain", text: "I want to read more poetry", expect: { genres: ["poetry"] } },
  { category: "plain", text: "what's a great memoir?", expect: { genres: ["memoir"] } },
  { category: "plain", text: "horror books from the 80s", expect: { genres: ["horror"] } },
  { category: "plain", text: "a graphic novel for a teenager", expect: { genres: ["graphic-novels", "young-adult"] } },
  { category: "plain", text: "books for kids around eight years old", expect: { genres: ["children"] } },
  { category: "plain", text: "Something dystopian", expect: { genres: ["dystopian"] } },
  { category: "plain", text: "a self-help book that isn't cheesy", expect: { genres: ["self-help"] } },
  { category: "plain", text: "I like philosophy, suggest something", expect: { genres: ["philosophy"] } },
  { category: "plain", text: "what should I read next?", expect: {} },
  { category: "plain", text: "surprise me", expect: {} },
  { category: "plain", text: "a cozy mystery for a rainy weekend", expect: { genres: ["mystery"] } },
  { category: "plain", text: "true crime", expect: { genres: ["true-crime"] } },
  { category: "plain", text: "Books about business and startups", expect: { genres: ["business"] } },
  { category: "plain", text: "urban fantasy with vampires", expect: { genres: ["urban-fantasy"] } },

  // ── bare titles: a title with no cue word, in any case ──────────────────────────────────────
  { category: "bare title", text: "Dune", expect: { like: ["126"] } },
  { category: "bare title", text: "dune", expect: { like: ["126"] } },
  { category: "bare title", text: "The Name of the Wind", expect: { like: ["192"] } },
  { category: "bare title", text: "the martian", expect: { like: ["141"] } },
  { category: "bare title", text: "Just finished Gone Girl. What now?", expect: { like: ["30"] } },
  { category: "bare title", text: "I read The Road last month and can't stop thinking about it", expect: { like: ["104"] } },
  { category: "bare title", text: "Recommendations after The Book Thief?", expect: { like: ["47"] } },
  { category: "bare title", text: "Anything for someone who adored The Night Circus", expect: { like: ["185"] } },
  { category: "bare title", text: "The Night Circus", expect: { like: ["185"] } },
  { category: "bare title", text: "my favourite book is Rebecca", expect: { like: ["270"] } },
  { category: "bare title", text: "Brave New World vibes", expect: { like: ["55"] } },
  { category: "bare title", text: "Ender's Game was amazing", expect: { like: ["70"] } },
  { category: "bare title", text: "what goes well with The Handmaid's Tale", expect: { like: ["119"] } },
  { category: "bare title", text: "Neuromancer", expect: { like: ["400"] } },
  { category: "bare title", text: "i finished the hunger games yesterday", expect: { like: ["1"] } },
  { category: "bare title", text: "Something in the spirit of Station Eleven", expect: { like: ["458"] } },
  { category: "bare title", text: "The Kite Runner made me cry, more please", expect: { like: ["11"] } },
  { category: "bare title", text: "Watership Down", expect: { like: ["289"] } },
  { category: "bare title", text: "What do people read after Sapiens?", expect: { like: ["2205"] } },
  { category: "bare title", text: "ready player one", expect: { like: ["215"] } },

  // ── lists of titles ──────────────────────────────────────────────────────────────────────────
  { category: "list", text: "I read Pride and Prejudice, Emma and Jane Eyre", expect: { like: ["10", "171", "43"] } },
  { category: "list", text: "Loved The Hobbit, Eragon, and The Name of the Wind", expect: { like: ["7", "53", "192"] } },
  { category: "list", text: "1984, Brave New World, Fahrenheit 451 — what's next?", expect: { like: ["13", "55", "48"] } },
  { category: "list", text: "my favourites: Gone Girl / The Girl on the Train / Big Little Lies", expect: { like: ["30", "61", "262"] } },
  { category: "list", text: "the martian and project hail mary and ready player one", expect: { like: ["141", "215"], unknown: ["project hail mary"] } },
  { category: "list", text: "I've read Dune and Foundation", expect: { like: ["126", "276"] } },
  { category: "list", text: "Books like Matilda or The BFG for my daughter", expect: { like: ["184", "373"] } },
  { category: "list", text: "Little Women, Anne of Green Gables, The Secret Garden", expect: { like: ["42", "133", "93"] } },
  { category: "list", text: "Really enjoyed Outlander and The Pillars of the Earth", expect: { like: ["137", "142"] } },
  { category: "list", text: "Things I liked this year: Educated, Becoming, The Glass Castle", expect: { like: ["81"], unknown: ["Educated", "Becoming"] } },
  { category: "list", text: "Good Omens & American Gods & Stardust", expect: { like: ["283", "167", "377"] } },
  { category: "list", text: "I loved Of Mice and Men and The Grapes of Wrath", expect: { like: ["32", "131"] } },
  { category: "list", text: "Neverwhere, Coraline, The Graveyard Book. More Gaiman-ish stuff?", expect: { like: ["322", "282", "312"] } },
  { category: "list", text: "Wuthering Heights and Jane Eyre both", expect: { like: ["63", "43"] } },
  { category: "list", text: "the road, the stand, station eleven", expect: { like: ["104", "168", "458"] } },

  // ── typos ─────────────────────────────────────────────────────────────────────────────────────
  { category: "typo", text: "something like the hobit", expect: { like: ["7"] } },
  { category: "typo", text: "I loved Harry Poter and the Prisoner of Azkaban", expect: { like: ["18"] } },
  { category: "typo", text: "Books like The Great Gatbsy", expect: { like: ["5"] } },
  { category: "typo", text: "similar to to kill a mockinbird", expect: { like: ["4"] } },
  { category: "typo", text: "I enjoyed The Girl with the Dragon Tatoo", expect: { like: ["16"] } },
  { category: "typo", text: "Fahrenheit 415", expect: { like: ["48"] } },
  { category: "typo", text: "loved the hungar games", expect: { like: ["1"] } },
  { category: "typo", text: "something like Frankenstien", expect: { like: ["71"] } },
  { category: "typo", text: "I read Wuthering Hieghts in school and loved it", expect: { like: ["63"] } },
  { category: "typo", text: "like the catcher in the rye but newer", expect: { like: ["8"] } },
  { category: "typo", text: "more like the perks of being a walflower", expect: { like: ["68"] } },
  { category: "typo", text: "The Curious Incident of the Dog in the Nighttime", expect: { like: ["60"] } },
  { category: "typo", text: "one hundred years of solitute", expect: { like: ["94"] } },
  { category: "typo", text: "Books like The Hitchikers Guide to the Galaxy", expect: { like: ["54"] } },
  { category: "typo", text: "I liked Slaughterhouse Five", expect: { like: ["65"] } },
  { category: "typo", text: "similar to Ender's Gmae please", expect: { like: ["70"] } },
  { category: "typo", text: "a book like The Da Vinci Cod", expect: { like: ["26"] } },
  { category: "typo", text: "something like Brave new wolrd", expect: { like: ["55"] } },
  { category: "typo", text: "i really liked the goldfinch and the secret histroy", expect: { like: ["146", "494"] } },
  { category: "typo", text: "Lord of the Flys", expect: { like: ["28"] } },

  // ── original titles and other languages ──────────────────────────────────────────────────────
  { category: "original title", text: "Cien años de soledad", expect: { like: ["94"] } },
  { category: "original title", text: "me encantó La sombra del viento, ¿algo parecido?", expect: { like: ["258"] } },
  { category: "original title", text: "J'ai adoré Le Petit Prince", expect: { like: ["80"] } },
  { category: "original title", text: "something like Le Comte de Monte-Cristo", expect: { like: ["103"] } },
  { category: "original title", text: "Ich mochte Das Parfum sehr", expect: { like: ["397"] } },
  { category: "original title", text: "like Harry Potter and the Philosopher's Stone", expect: { like: ["2"] } },
  { category: "original title", text: "I loved Nineteen Eighty-Four", expect: { like: ["13"] } },
  { category: "original title", text: "Northern Lights by Philip Pullman", expect: { like: ["62"], creators: ["Philip Pullman"] } },
  { category: "original title", text: "O Alquimista", expect: { like: ["35"] } },
  { category: "original title", text: "Im Westen nichts Neues", expect: { like: ["357"] } },
  { category: "original title", text: "Män som hatar kvinnor", expect: { like: ["16"] } },
  { category: "original title", text: "Tintenherz hat mir gefallen", expect: { like: ["314"] } },
  { category: "original title", text: "Il nome della rosa", expect: { like: ["424"] } },
  { category: "original title", text: "En man som heter Ove", expect: { like: ["459"] } },
  { category: "original title", text: "something like L'amica geniale", expect: { like: ["1187"] } },
  { category: "original title", text: "Como agua para chocolate", expect: { like: ["272"] } },
  { category: "original title", text: "Die Verwandlung von Kafka", expect: { like: ["213"] } },

  // ── authors ──────────────────────────────────────────────────────────────────────────────────
  { category: "author", text: "something by Stephen King", expect: { creators: ["Stephen King"] } },
  { category: "author", text: "something by Stephen King that isn't horror", expect: { creators: ["Stephen King"], notGenres: ["horror"] } },
  { category: "author", text: "Jane Austen's books", expect: { creators: ["Jane Austen"] } },
  { category: "author", text: "more Neil Gaiman please", expect: { creators: ["Neil Gaiman"] } },
  { category: "author", text: "books by Agatha Christie", expect: { creators: ["Agatha Christie"] } },
  { category: "author", text: "I love Terry Pratchett", expect: { creators: ["Terry Pratchett"] } },
  { category: "author", text: "anything by brandon sanderson", expect: { creators: ["Brandon Sanderson"] } },
  { category: "author", text: "Murakami", expect: { creators: ["Haruki Murakami"] } },
  { category: "author", text: "Roald Dahl books for my son", expect: { creators: ["Roald Dahl"] } },
  { category: "author", text: "What's the best Kazuo Ishiguro?", expect: { creators: ["Kazuo Ishiguro"] } },
  { category: "author", text: "sci-fi by Isaac Asimov", expect: { creators: ["Isaac Asimov"], genres: ["science-fiction"] } },
  { category: "author", text: "something by Ursula K. Le Guin", expect: { creators: ["Ursula K. Le Guin"] } },
  { category: "author", text: "John Green's novels", expect: { creators: ["John Green"] } },
  { category: "author", text: "Stephen King but not It", expect: { creators: ["Stephen King"], exclude: ["176"] } },
  { category: "author", text: "a Dan Brown thriller I haven't read, not The Da Vinci Code", expect: { creators: ["Dan Brown"], genres: ["thriller"], exclude: ["26"] } },
  { category: "author", text: "fantasy, but not by Tolkien", expect: { genres: ["fantasy"], notCreators: ["J.R.R. Tolkien"] } },
  { category: "author", text: "books by J.K. Rowling that aren't Harry Potter", expect: { creators: ["J.K. Rowling"] } },
  { category: "author", text: "Who writes like Khaled Hosseini?", expect: { creators: ["Khaled Hosseini"] } },
  { category: "author", text: "Hemingway", expect: { creators: ["Ernest Hemingway"] } },
  { category: "author", text: "Something by stephen kng", expect: { creators: ["Stephen King"] } },
  { category: "author", text: "Dickens novels but not too long", expect: { creators: ["Charles Dickens"] } },
  { category: "author", text: "Nicholas Sparks romance", expect: { creators: ["Nicholas Sparks"], genres: ["romance"] } },

  // ── series ───────────────────────────────────────────────────────────────────────────────────
  { category: "series", text: "the next one after Catching Fire", expect: { like: ["17"], series: ["20"] } },
  { category: "series", text: "What comes after The Fellowship of the Ring?", expect: { like: ["19"], series: ["155"] } },
  { category: "series", text: "I finished Harry Potter and the Goblet of Fire, what's the next one?", expect: { like: ["24"], series: ["21"] } },
  { category: "series", text: "the rest of the series after Divergent", expect: { like: ["12"], series: ["69", "105"] } },
  { category: "series", text: "next book after The Name of the Wind", expect: { like: ["192"], series: ["307"] } },
  { category: "series", text: "I read A Game of Thrones. Which one is next in the series?", expect: { like: ["39"], series: ["110"] } },
  { category: "series", text: "the sequel to The Maze Runner", expect: { like: ["91"], series: ["259"] } },
  { category: "series", text: "What's the second Mistborn book after The Final Empire?", expect: { like: ["389"], series: ["565"] } },
  { category: "series", text: "the next one after Twilight", expect: { like: ["3"], series: ["49"] } },
  { category: "series", text: "I loved The Lightning Thief, what's the next one", expect: { like: ["41"], series: ["151"] } },
  { category: "series", text: "the rest of the series after Mockingjay", expect: { like: ["20"], series: [] } },
  { category: "series", text: "The Way of Kings — what's next in that series?", expect: { like: ["562"], series: ["862"] } },
  { category: "series", text: "sequel to Outlander", expect: { like: ["137"], series: ["463"] } },
  { category: "series", text: "after The Eye of the World what do I read next in the series", expect: { like: ["330"], series: ["510"] } },
  { category: "series", text: "the next one after City of Bones", expect: { like: ["51"], series: ["153"] } },

  // ── negation with scope ─────────────────────────────────────────────────────────────────────
  { category: "negation", text: "fantasy, no romance please", expect: { genres: ["fantasy"], notGenres: ["romance"] } },
  { category: "negation", text: "a thriller that isn't horror", expect: { genres: ["thriller"], notGenres: ["horror"] } },
  { category: "negation", text: "anything but romance", expect: { notGenres: ["romance"] } },
  { category: "negation", text: "sci-fi, not too long", expect: { genres: ["science-fiction"] } },
  { category: "negation", text: "nothing like Twilight", expect: { exclude: ["3"] } },
  { category: "negation", text: "vampire romance but not Twilight", expect: { genres: ["romance"], exclude: ["3"] } },
  { category: "negation", text: "I loved Dune but not horror", expect: { like: ["126"], notGenres: ["horror"] } },
  { category: "negation", text: "like Gone Girl, no more Gillian Flynn though", expect: { like: ["30"], notCreators: ["Gillian Flynn"] } },
  { category: "negation", text: "I didn't like The Alchemist, something deeper", expect: { exclude: ["35"] } },
  { category: "negation", text: "I hated Fifty Shades of Grey. Real romance please", expect: { exclude: ["34"], genres: ["romance"] } },
  { category: "negation", text: "mysteries without any crime gore, not horror", expect: { genres: ["mystery"], notGenres: ["horror"] } },
  { category: "negation", text: "young adult but no dystopian stuff", expect: { genres: ["young-adult"], notGenres: ["dystopian"] } },
  { category: "negation", text: "Like The Hunger Games but not dystopian", expect: { like: ["1"], notGenres: ["dystopian"] } },
  { category: "negation", text: "don't recommend The Da Vinci Code again", expect: { exclude: ["26"] } },
  { category: "negation", text: "historical fiction, not war", expect: { genres: ["historical-fiction"], notGenres: ["war"] } },
  { category: "negation", text: "something like Pride and Prejudice without the romance", expect: { like: ["10"], notGenres: ["romance"] } },
  { category: "negation", text: "no classics, no poetry", expect: { notGenres: ["classics", "poetry"] } },
  { category: "negation", text: "I want fantasy that is not young adult", expect: { genres: ["fantasy"], notGenres: ["young-adult"] } },
  { category: "negation", text: "not The Hobbit, I've read it three times", expect: { exclude: ["7"] } },
  { category: "negation", text: "similar to The Shining, except not by Stephen King", expect: { like: ["72"], notCreators: ["Stephen King"] } },
  { category: "negation", text: "I liked Gone Girl and did not like The Girl on the Train", expect: { like: ["30"], exclude: ["61"] } },
  { category: "negation", text: "avoid erotica", expect: { notGenres: ["erotica"] } },
  { category: "negation", text: "Romance is fine but nothing paranormal", expect: { genres: ["romance"], notGenres: ["paranormal"] } },
  { category: "negation", text: "A mystery, not a thriller", expect: { genres: ["mystery"], notGenres: ["thriller"] } },
  { category: "negation", text: "Nothing like Fifty Shades of Grey please", expect: { exclude: ["34"] } },

  // ── references to the previous answer's cards ───────────────────────────────────────────────
  { category: "reference", previous: FANTASY, text: "more like the second one", expect: { like: ["192"] } },
  { category: "reference", previous: FANTASY, text: "the first two look good, more like those", expect: { like: ["7", "192"] } },
  { category: "reference", previous: FANTASY, text: "not that one", expect: { exclude: ["7"] } },
  { category: "reference", previous: FANTASY, text: "something else", expect: { exclude: FANTASY } },
  { category: "reference", previous: FANTASY, text: "more like the last one", expect: { like: ["330"] } },
  { category: "reference", previous: FANTASY, text: "I've read the third one already", expect: { like: ["39"] } },
  { category: "reference", previous: FANTASY, text: "the 4th one looks great, similar please", expect: { like: ["562"] } },
  { category: "reference", previous: FANTASY, text: "not the first one, I've read it", expect: { exclude: ["7"] } },
  { category: "reference", previous: FANTASY, text: "more like #2", expect: { like: ["192"] } },
  { category: "reference", previous: FANTASY, text: "none of these, something else", expect: { exclude: FANTASY } },
  { category: "reference", previous: THRILLERS, text: "more like the second one", expect: { like: ["61"] } },
  { category: "reference", previous: THRILLERS, text: "number 3 sounds good, more of that", expect: { like: ["16"] } },
  { category: "reference", previous: THRILLERS, text: "the last two are good", expect: { like: ["262", "226"] } },
  { category: "reference", previous: THRILLERS, text: "not the second one", expect: { exclude: ["61"] } },
  { category: "reference", previous: THRILLERS, text: "like the first one but less dark", expect: { like: ["30"] } },
  { category: "reference", previous: THRILLERS, text: "more like Gone Girl", expect: { like: ["30"] } },
  { category: "reference", previous: THRILLERS, text: "show me something different", expect: { exclude: THRILLERS } },
  { category: "reference", previous: THRILLERS, text: "the second and fourth ones are great", expect: { like: ["61", "262"] } },
  { category: "reference", previous: THRILLERS, text: "Not that one, already read it. Others like the third?", expect: { exclude: ["30"], like: ["16"] } },
  { category: "reference", previous: THRILLERS, text: "more like the first three", expect: { like: ["30", "61", "16"] } },
  { category: "reference", previous: FANTASY, text: "the second one but shorter", expect: { like: ["192"] } },
  { category: "reference", previous: FANTASY, text: "what else is like the first one?", expect: { like: ["7"] } },
  { category: "reference", previous: FANTASY, text: "nah, something else please, maybe sci-fi", expect: { exclude: FANTASY, genres: ["science-fiction"] } },
  { category: "reference", previous: FANTASY, text: "I didn't like the last one", expect: { exclude: ["330"] } },
  { category: "reference", previous: THRILLERS, text: "more like the fifth", expect: { like: ["226"] } },

  // ── scope and honesty ───────────────────────────────────────────────────────────────────────
  { category: "scope", text: "recommend me a movie", expect: { outside: "movie" } },
  { category: "scope", text: "any good films like Inception?", expect: { outside: "movie", unknown: ["Inception"] } },
  { category: "scope", text: "what TV shows should I watch", expect: { outside: "tv" } },
  { category: "scope", text: "a podcast about history", expect: { outside: "podcast", genres: ["history"] } },
  { category: "scope", text: "suggest some music for studying", expect: { outside: "music" } },
  { category: "scope", text: "a video game like Zelda", expect: { outside: "game" } },
  { category: "scope", text: "something like Project Hail Mary", expect: { unknown: ["Project Hail Mary"] } },
  { category: "scope", text: "books like \"The Three-Headed Lighthouse of Quarnby\"", expect: { unknown: ["The Three-Headed Lighthouse of Quarnby"] } },
  { category: "scope", text: "similar to Fourth Wing", expect: { unknown: ["Fourth Wing"] } },
  { category: "scope", text: "I loved Tomorrow, and Tomorrow, and Tomorrow", expect: { unknown: ["Tomorrow, and Tomorrow, and Tomorrow"] } },
  { category: "scope", text: "a series to binge on Netflix", expect: { outside: "tv" } },
  { category: "scope", text: "an album like Abbey Road", expect: { outside: "music" } },

  // ── ties: two items the words name equally well ─────────────────────────────────────────────
  { category: "tie", text: "something like Feed", expect: { ask: ["2761", "2819"] } },
  { category: "tie", text: "I loved The Awakening", expect: { ask: ["782", "1227"] } },
  { category: "tie", text: "books like Monster", expect: { ask: ["2148", "5480"] } },
  { category: "tie", text: "similar to The Girls", expect: { ask: ["1174", "5617"] } },
  { category: "tie", text: "Feed by Mira Grant", expect: { like: ["2819"], creators: ["Mira Grant"] } },
  { category: "tie", text: "The Stranger by Camus", expect: { like: ["162"], creators: ["Albert Camus"] } },
  { category: "tie", text: "Inferno by Dan Brown", expect: { like: ["240"], creators: ["Dan Brown"] } },
  { category: "tie", text: "like North and South", expect: { ask: ["1114", "1961"] } },

  // ── ordinary words that happen to be titles: nothing to link ───────────────────────────────
  { category: "ordinary words", text: "I want something I can finish in one day", expect: {} },
  { category: "ordinary words", text: "give me a second chance at reading fantasy", expect: { genres: ["fantasy"] } },
  { category: "ordinary words", text: "it should be fun", expect: {} },
  { category: "ordinary words", text: "what do you recommend for me", expect: {} },
  { category: "ordinary words", text: "I wanted something light and fun", expect: {} },
  { category: "ordinary words", text: "a book to read at night in my room", expect: {} },
  { category: "ordinary words", text: "Something to read on the road", expect: {} },
  { category: "ordinary words", text: "I need help finding a good mystery", expect: { genres: ["mystery"] } },
  { category: "ordinary words", text: "next, show me some science fiction", expect: { genres: ["science-fiction"] } },
  { category: "ordinary words", text: "the end of the year is coming, any romance?", expect: { genres: ["romance"] } },
  { category: "ordinary words", text: "I wonder what a good horror book would be", expect: { genres: ["horror"] } },
  { category: "ordinary words", text: "my friend is gone for a month, I need something to read", expect: {} },
  { category: "ordinary words", text: "perfect for a beach holiday", expect: {} },
  { category: "ordinary words", text: "I'm home alone this weekend, something gripping", expect: {} },
  { category: "ordinary words", text: "something with lots of heart and hope", expect: {} },
  { category: "ordinary words", text: "a book that's easy to read in the evening", expect: {} },
  { category: "ordinary words", text: "I like books where the hero is a girl", expect: {} },
  { category: "ordinary words", text: "quiet, slow, beautiful writing", expect: {} },
  { category: "ordinary words", text: "tell me something new", expect: {} },
  { category: "ordinary words", text: "give us a good adventure story", expect: { genres: ["adventure"] } },

  // ── emoji ────────────────────────────────────────────────────────────────────────────────────
  { category: "emoji", text: "🐉 fantasy with dragons 🔥", expect: { genres: ["fantasy"] } },
  { category: "emoji", text: "loved Dune 🚀🚀 more please", expect: { like: ["126"] } },
  { category: "emoji", text: "❤️ romance ❤️ but no erotica 🙅", expect: { genres: ["romance"], notGenres: ["erotica"] } },
  { category: "emoji", text: "The Hobbit 😍", expect: { like: ["7"] } },
  { category: "emoji", text: "🔪 something like Gone Girl 🔪", expect: { like: ["30"] } },
  { category: "emoji", text: "😱 horror 👻 by Stephen King", expect: { genres: ["horror"], creators: ["Stephen King"] } },
  { category: "emoji", text: "📚📚 next one after Catching Fire? 🏹", expect: { like: ["17"], series: ["20"] } },
  { category: "emoji", text: "more like the second one 👍", previous: FANTASY, expect: { like: ["192"] } },
  { category: "emoji", text: "not that one 👎", previous: FANTASY, expect: { exclude: ["7"] } },
  { category: "emoji", text: "🧙‍♂️Harry Potter and the Chamber of Secrets🧙‍♂️", expect: { like: ["23"] } },

  // ── long, rambling messages ─────────────────────────────────────────────────────────────────
  {
    category: "rambling",
    text: "ok so here's the thing, I haven't read much in years, but last summer a friend lent me The Martian and I honestly couldn't put it down, I loved how funny and nerdy it was. I'm not into anything too literary or slow. What should I try next?",
    expect: { like: ["141"] },
  },
  {
    category: "rambling",
    text: "My book club just did Little Fires Everywhere and before that Where the Crawdads Sing, and everyone loved The Help, so we're looking for our next pick, ideally historical fiction, nothing too depressing, and not romance because half the group hates it.",
    expect: { like: ["31"], unknown: ["Little Fires Everywhere", "Where the Crawdads Sing"], genres: ["historical-fiction"], notGenres: ["romance"] },
  },
  {
    category: "rambling",
    text: "I grew up on Narnia and then The Hobbit, and as an adult I really liked The Name of the Wind even though it is a bit long. I'm tired of epic fantasy though, I'd like something more contained, maybe urban fantasy? Please don't suggest Twilight.",
    expect: { like: ["7", "192"], genres: ["urban-fantasy"], exclude: ["3"] },
  },
  {
    category: "rambling",
    text: "so my daughter is 11 and she devoured Wonder and Holes, she's a bit scared of anything spooky, so no horror, but she likes funny stuff, what could I get her for her birthday?",
    expect: { like: ["250", "77"], notGenres: ["horror"] },
  },
  {
    category: "rambling",
    text: "I read a lot of thrillers — Gone Girl, The Girl on the Train, that kind of thing — and honestly I'm a bit bored of unreliable narrators. Something by a different author, maybe a classic mystery, Agatha Christie style.",
    expect: { like: ["30", "61"], genres: ["mystery"], creators: ["Agatha Christie"] },
  },
  {
    category: "rambling",
    text: "Hi! I'm going on a long flight next week (about 12 hours) and I want something absorbing. I loved Shantaram years ago and more recently All the Light We Cannot See. Big, immersive, but not fantasy please.",
    expect: { like: ["723", "143"], notGenres: ["fantasy"] },
  },
  {
    category: "rambling",
    text: "I keep starting books and dropping them. The last one I actually finished was The Curious Incident of the Dog in the Night-Time, which was short and odd and I liked that. Something similar, short, not a classic.",
    expect: { like: ["60"], notGenres: ["classics"] },
  },
  {
    category: "rambling",
    text: "Honestly I don't know what I want. I liked Sapiens, I liked Freakonomics, I didn't like The Secret at all, too woo. Something smart and non-fiction I guess?",
    expect: { like: ["2205", "92"], exclude: ["303"], genres: ["non-fiction"] },
  },
  {
    category: "rambling",
    text: "My partner and I are reading aloud to each other in the evenings. We did The Princess Bride and loved it, then Stardust, which was also lovely. We want something with the same fairy-tale humour, nothing grim.",
    expect: { like: ["89", "377"] },
  },
  {
    category: "rambling",
    text: "I'm a huge Stephen King fan, I've read It, The Stand, Misery and The Shining, so please don't give me those, I want his less famous stuff.",
    expect: { creators: ["Stephen King"], exclude: ["176", "168", "243", "72"] },
  },

  // ── mixed: several kinds at once ─────────────────────────────────────────────────────────────
  { category: "mixed", text: "like Dune but lighter, from after 2000", expect: { like: ["126"] } },
  { category: "mixed", text: "sci-fi like Ender's Game but not young adult", expect: { like: ["70"], genres: ["science-fiction"], notGenres: ["young-adult"] } },
  { category: "mixed", text: "a classic romance like Jane Eyre, not by Jane Austen", expect: { like: ["43"], genres: ["classics", "romance"], notCreators: ["Jane Austen"] } },
  { category: "mixed", text: "fantasy by Neil Gaiman, not Coraline", expect: { genres: ["fantasy"], creators: ["Neil Gaiman"], exclude: ["282"] } },
  { category: "mixed", text: "Loved The Road and Never Let Me Go. Something bleak but beautiful, no horror.", expect: { like: ["104", "268"], notGenres: ["horror"] } },
  { category: "mixed", text: "the next one after The Hunger Games but I don't want romance", expect: { like: ["1"], series: ["17"], notGenres: ["romance"] } },
  { category: "mixed", text: "historical fiction like The Book Thief or The Nightingale", expect: { like: ["47", "267"], genres: ["historical-fiction"] } },
  { category: "mixed", text: "I liked Misery by Stephen King, what else?", expect: { like: ["243"], creators: ["Stephen King"] } },
  { category: "mixed", text: "something like Eragon for a 12 year old, no romance", expect: { like: ["53"], notGenres: ["romance"] } },
  { category: "mixed", text: "a mystery like And Then There Were None, but newer", expect: { like: ["200"], genres: ["mystery"] } },
  { category: "mixed", text: "Neverwhere meets Good Omens?", expect: { like: ["322", "283"] } },
  { category: "mixed", text: "humor like Bossypants or Yes Please", expect: { like: ["106", "352"], genres: ["humor"] } },
  { category: "mixed", text: "Can you suggest something similar to Life of Pi and The Alchemist?", expect: { like: ["45", "35"] } },
  { category: "mixed", text: "Books like 'The Giver' for a school reading list, nothing too violent", expect: { like: ["36"] } },
  { category: "mixed", text: "I enjoyed Jurassic Park. More Michael Crichton?", expect: { like: ["84"], creators: ["Michael Crichton"] } },
  { category: "mixed", text: "something like Rebecca but not a classic", expect: { like: ["270"], notGenres: ["classics"] } },
  { category: "mixed", text: "Anything like Me Before You? Not The Notebook though", expect: { like: ["112"], exclude: ["44"] } },
  { category: "mixed", text: "The Count of Monte Cristo and The Three Musketeers — more adventure like that", expect: { like: ["103", "413"], genres: ["adventure"] } },
  { category: "mixed", text: "more like Good Omens but no Terry Pratchett", expect: { like: ["283"], notCreators: ["Terry Pratchett"] } },
  { category: "mixed", text: "I want short stories like Me Talk Pretty One Day", expect: { like: ["101"], genres: ["short-stories"] } },
];
