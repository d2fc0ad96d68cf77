// The dashboard's number formats (app/src/format.rs), to compare what a page shows with the API.

/** As `fixed` in app/src/format.rs: scaled, a tie rounded away from zero, then printed. Not
 * `toFixed`, which rounds the nearest binary value (1.45 is 1.4499… and would print 1.4). */
export function fixed(value: number, places: number): string {
  const scale = 10 ** places;
  const scaled = value * scale;
  const rounded = (Math.sign(scaled) * Math.round(Math.abs(scaled))) / scale;
  return rounded.toFixed(places);
}

export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function money(dollars: number): string {
  const cents = Math.round(Math.abs(dollars) * 100);
  const sign = dollars < 0 && cents > 0 ? "-" : "";
  return `${sign}$${count(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, "0")}`;
}

export function moneyCompact(dollars: number): string {
  if (Math.abs(dollars) >= 1_000_000) {
    return `${dollars < 0 ? "-" : ""}$${fixed(Math.abs(dollars) / 1_000_000, 1)}M`;
  }
  return money(dollars);
}

export function percent(value: number): string {
  return value !== 0 && Math.abs(value) < 1 ? `${fixed(value, 2)}%` : `${fixed(value, 1)}%`;
}

export function ratio(value: number): string {
  return `${fixed(value, 1)}×`;
}

/** A metric's value as a KPI card shows it, by unit; "—" when there is none. */
export function metric(value: number | null, unit: string): string {
  if (value === null || value === undefined) return "—";
  switch (unit) {
    case "ratio":
      return ratio(value);
    case "percent":
      return percent(value);
    case "dollars":
      return moneyCompact(value);
    case "count":
      return count(value);
    case "months":
      return `${fixed(value, 1)} months`;
    default:
      throw new Error(`no format for unit ${unit}`);
  }
}

/** A difference of two rates (fractions) in percentage points, signed: `+1.2 pp`. */
export function points(fraction: number): string {
  const pp = 100 * fraction;
  return `${pp > 0 ? "+" : ""}${fixed(pp, 1)} pp`;
}

/** A change as a fraction, signed, in percent: `+12.5%`. */
export function change(fraction: number): string {
  const pct = fraction * 100;
  const sign = pct > 0 ? "+" : pct < 0 ? "-" : "";
  return `${sign}${fixed(Math.abs(pct), 1)}%`;
}
