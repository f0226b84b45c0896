import { describe, expect, it } from "vitest";

import { formatBytes, formatTime } from "./format";

describe("formats", () => {
  it("shows sizes in human units", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(200 * 1024 * 1024)).toBe("200 MB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5 GB");
    // The cases of tests/api/test_shown.py: the portal and the messages show the same.
    expect(formatBytes(48213)).toBe("47.1 KB");
    expect(formatBytes(200_000_000)).toBe("191 MB");
    expect(formatBytes(Math.trunc(100.5 * 1024))).toBe("101 KB");
  });

  it("shows API times (UTC) in the viewer's time zone", () => {
    expect(formatTime("2026-03-01T12:00:00", "en-GB", "Europe/Zurich")).toBe("1 Mar 2026, 13:00");
    expect(formatTime("2026-03-01T12:00:00Z", "en-GB", "UTC")).toBe("1 Mar 2026, 12:00");
  });
});
