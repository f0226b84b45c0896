import { describe, expect, it } from "vitest";

import { parseRoute, safeNext, signInRoute } from "./router";

describe("routes", () => {
  it("reads the path and query of the fragment", () => {
    const route = parseRoute("#/customers?q=martin&page=2");
    expect(route.path).toBe("/customers");
    expect(route.query.get("q")).toBe("martin");
    expect(route.query.get("page")).toBe("2");
    expect(parseRoute("").path).toBe("/");
  });

  it("goes back only to places of the console", () => {
    expect(safeNext("/customers/4")).toBe("/customers/4");
    expect(safeNext("//evil.example")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("/sign-in?next=/x")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });

  it("keeps the place in the sign-in route", () => {
    expect(signInRoute("/customers?q=a b")).toBe("/sign-in?next=%2Fcustomers%3Fq%3Da%20b");
    expect(signInRoute("/")).toBe("/sign-in");
  });
});
