// One way to call the API from a form: the data, or a Problem in words.
import { describe, type Problem } from "./errors";

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

/** The data of a successful answer; throws ProblemError (with words) for anything else. */
export async function call<T>(pending: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await pending;
  } catch {
    throw new ProblemError(describe(undefined));
  }
  if (result.error !== undefined || !result.response.ok) {
    throw new ProblemError(describe(result.error, result.response.status));
  }
  return result.data as T;
}

/** The Problem of a failed call, or a generic one for an unexpected exception. */
export function problemOf(error: unknown): Problem {
  return error instanceof ProblemError ? error.problem : describe(undefined, 0);
}
