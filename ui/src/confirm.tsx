// The question before something that cannot be undone, as a modal <dialog> of the page instead
// of window.confirm(): it speaks the console's words, Tab stays inside it, Escape cancels, and
// focus goes back to the button that asked.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { t } from "./messages";

interface Question {
  text: string;
  yes: string;
  answer: (yes: boolean) => void;
}

let ask: ((question: Question) => void) | null = null;

/** Ask before acting: true when the person confirms, false when they cancel or press Escape. */
export function confirmAction(text: string, yes: string): Promise<boolean> {
  return new Promise((answer) => {
    if (ask) ask({ text, yes, answer });
    else answer(false);
  });
}

/** Tab and Shift+Tab wrap around inside the dialog instead of leaving it. */
function keepTabInside(event: KeyboardEvent): void {
  if (event.key !== "Tab") return;
  const dialog = event.currentTarget as HTMLDialogElement;
  const stops = Array.from(dialog.querySelectorAll<HTMLElement>("button, [href], input, select, textarea"));
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/** The one dialog of the console, placed once beside the pages. */
export function ConfirmHost(): JSX.Element {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const [question, setQuestion] = useState<Question | null>(null);
  useEffect(() => {
    ask = (next) => {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      setQuestion(next);
    };
    return () => {
      ask = null;
    };
  }, []);
  useEffect(() => {
    if (question && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [question]);
  const answer = (yes: boolean): void => {
    dialog.current?.close();
    question?.answer(yes);
    setQuestion(null);
    opener.current?.focus();
  };
  return (
    // The modal's own focus trap: Tab stays among its buttons (a dialog, not a control).
    // eslint-disable-next-line jsx-a11y/no-noninteractive-element-interactions
    <dialog
      ref={dialog}
      aria-labelledby="confirm-text"
      onKeyDown={keepTabInside}
      onCancel={(event) => {
        event.preventDefault();
        answer(false);
      }}
    >
      <p id="confirm-text">{question?.text}</p>
      <div class="actions">
        <button type="button" onClick={() => answer(false)}>
          {t("confirm.cancel")}
        </button>
        <button type="button" class="danger" onClick={() => answer(true)}>
          {question?.yes}
        </button>
      </div>
    </dialog>
  );
}
