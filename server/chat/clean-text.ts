/**
 * Text that every database can store: lone UTF-16 surrogates become U+FFFD and control characters
 * other than tab and newline become spaces (PostgreSQL refuses NUL in text and in JSON, and lone
 * surrogates in JSON). A space, not nothing: "Dune\u0000Messiah" is two words, not "DuneMessiah".
 * Used on what users type and on what a model generates.
 */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.toWellFormed().replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, " ");
}
