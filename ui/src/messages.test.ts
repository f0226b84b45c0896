import { describe, expect, it } from "vitest";

import { t, chooseLanguage } from "./messages";

describe("message catalogue", () => {
  it("fills placeholders and falls back to English", () => {
    chooseLanguage("fr-CH");
    expect(t("home.title", { name: "Marc" })).toBe("Welcome, Marc");
    expect(t("account.signed_in_as", { name: "A" })).toContain("{email}");
  });
});
