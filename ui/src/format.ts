// Sizes in human units and times in the viewer's own time zone.

const UNITS = ["bytes", "KB", "MB", "GB", "TB"] as const;

/** 1536 -> "1.5 KB", 200000000 -> "191 MB": binary multiples named KB/MB/GB, as Windows Explorer
 * names them on the office's PCs; the one convention of the console, the portal and the messages
 * (services/api/vault03_api/shown.py). */
export function formatBytes(size: number): string {
  if (size < 1024) return size === 1 ? "1 byte" : `${size} bytes`;
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, "");
  return `${shown} ${UNITS[unit]}`;
}

/** A timestamp from the API (UTC) as a date and time where the viewer is. */
export function formatTime(iso: string, locale?: string, timeZone?: string): string {
  const moment = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(moment);
}
