import { Fragment } from "react";

/** Plain text with *emphasis* (how answers mark titles); everything else is shown as typed. */
export function RichText({ text }: { text: string }) {
  const pieces = text.split(/(\*[^*\n]+\*)/g);
  return (
    <p className="whitespace-pre-wrap text-[15px] leading-relaxed">
      {pieces.map((piece, i) =>
        piece.length > 2 && piece.startsWith("*") && piece.endsWith("*") ? (
          <em key={i}>{piece.slice(1, -1)}</em>
        ) : (
          <Fragment key={i}>{piece}</Fragment>
        ),
      )}
    </p>
  );
}
