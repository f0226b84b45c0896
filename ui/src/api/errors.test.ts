import { describe, expect, it } from "vitest";

import { describe as describeProblem, fieldError } from "./errors";

describe("API errors in words", () => {
  it("says the error and its detail as sentences", () => {
    const problem = describeProblem({ error: "invalid credentials", detail: "check the email" }, 401);
    expect(problem.message).toBe("Invalid credentials. Check the email.");
    expect(problem.fields).toEqual([]);
  });

  it("names the fields of a validation error", () => {
    const body = {
      error: "invalid request",
      detail: [
        { loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" },
        { loc: ["body", "phone"], msg: "Value error, not a phone number", type: "value_error" },
      ],
    };
    const problem = describeProblem(body, 422);
    expect(problem.message).toBe("Some fields need attention.");
    expect(fieldError(problem, "email")).toBe("Value is not a valid email address.");
    expect(fieldError(problem, "phone")).toBe("Not a phone number.");
    expect(fieldError(problem, "name")).toBeUndefined();
  });

  it("puts an error about named fields next to them", () => {
    const problem = describeProblem({ error: "not a phone number", detail: { mobile: "+41 x" } }, 400);
    expect(problem.message).toBe("Not a phone number.");
    expect(fieldError(problem, "mobile")).toBe("Not a phone number.");
  });

  it("tells a network failure from a server failure", () => {
    expect(describeProblem(undefined).message).toMatch(/could not be reached/);
    expect(describeProblem("<html>", 502).message).toMatch(/went wrong on the server/);
  });
});
