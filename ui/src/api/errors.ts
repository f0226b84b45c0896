// API errors in words, from the body every error carries: {"error": "...", "detail": ...}.
import { t } from "../messages";

export interface FieldProblem {
  field: string;
  message: string;
}

export interface Problem {
  message: string;
  fields: FieldProblem[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** The field a validation error is about: the last name in its location, not "body". */
function fieldOf(loc: unknown): string {
  if (!Array.isArray(loc)) return "";
  const names = loc.filter((part): part is string => typeof part === "string");
  const last = names[names.length - 1];
  return last === undefined || last === "body" ? "" : last;
}

function fieldMessage(message: unknown): string {
  const text = typeof message === "string" ? message : t("error.invalid");
  return sentence(text.replace(/^Value error, /, ""));
}

/** What went wrong, in words, from an error body (or anything else a failed call gave). */
export function describe(body: unknown, status?: number): Problem {
  if (!isRecord(body) || typeof body.error !== "string") {
    return { message: t(status === undefined ? "error.network" : "error.unexpected"), fields: [] };
  }
  const detail = body.detail;
  if (Array.isArray(detail)) {
    const fields = detail.filter(isRecord).map((item) => ({
      field: fieldOf(item.loc),
      message: fieldMessage(item.msg),
    }));
    return { message: t("error.check_fields"), fields };
  }
  if (isRecord(detail)) {
    // {"mobile": "..."}: the error is about these fields.
    const fields = Object.keys(detail).map((field) => ({ field, message: sentence(body.error as string) }));
    return { message: sentence(body.error), fields };
  }
  const extra = typeof detail === "string" && detail ? ` ${sentence(detail)}` : "";
  return { message: `${sentence(body.error)}${extra}`, fields: [] };
}

/** The message for one field, if the problem names it. */
export function fieldError(problem: Problem | null, field: string): string | undefined {
  return problem?.fields.find((item) => item.field === field)?.message;
}
