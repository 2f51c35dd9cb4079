// Timestamps read as the FastAPI twin reads them (pydantic's datetime, then the platform's
// Timestamp: a time zone is required, the value is kept in UTC), so that both services take
// the same inputs and word a refusal the same:
//
// - RFC 3339 text: YYYY-MM-DD, then T, t, a space or _, then HH:MM[:SS[.f...]] (a comma
//   for the point too; digits past the sixth are dropped), then Z, z or +HH[:]MM; without
//   an offset the time is refused for its missing zone;
// - never Unix time: a JSON number, or a string that is one ("1767623400", " 1.5e9 "),
//   which pydantic alone would read as seconds or milliseconds, is refused as
//   servicekit.Timestamp refuses it (timestamp_type);
// - a date alone is midnight without a zone, so refused for that.
//
// A value is { seconds, micros } since 1970-01-01T00:00:00Z: microseconds, as PostgreSQL
// and Python keep them, from year 1 to 9999.

const SECONDS_PER_DAY = 86_400;
const UNIX_9999 = 253_402_300_799; // 9999-12-31T23:59:59Z
const YEAR_1 = -62_135_596_800; // 0001-01-01T00:00:00Z

const NEEDS_ZONE = "timestamps need a time zone, e.g. 2026-01-01T00:00:00Z";

/** Days from 1970-01-01 to a proleptic Gregorian date (year 0 included). */
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days) {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function isLeap(year) {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year, month) {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

const pad = (value, width) => String(value).padStart(width, "0");

/** "2026-01-05T14:30:00Z", with six fractional digits when there are microseconds: the
 * twin's (pydantic's) form. */
export function formatTimestamp({ seconds, micros }) {
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const { year, month, day } = civilFromDays(days);
  const rest = seconds - days * SECONDS_PER_DAY;
  const time = `${pad(Math.floor(rest / 3600), 2)}:${pad(Math.floor(rest / 60) % 60, 2)}:${pad(rest % 60, 2)}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${micros ? `.${pad(micros, 6)}` : ""}Z`;
}

/** Orders two timestamps: negative, zero or positive. */
export function compareTimestamps(a, b) {
  return a.seconds - b.seconds || a.micros - b.micros;
}

/** The current time as a timestamp. */
export function now() {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), micros: (ms % 1000) * 1000 };
}

function isDigit(byte) {
  return byte >= 0x30 && byte <= 0x39;
}

function digits(bytes, start, count) {
  let value = 0;
  for (let i = start; i < start + count; i += 1) {
    if (!isDigit(bytes[i])) return undefined;
    value = value * 10 + bytes[i] - 0x30;
  }
  return value;
}

// The date at the start of `bytes`; `error` names the first thing wrong, in pydantic's
// words and order.
function datePrefix(bytes) {
  if (bytes.length < 10) return { error: "input is too short" };
  const year = digits(bytes, 0, 4);
  if (year === undefined) return { error: "invalid character in year" };
  if (bytes[4] !== 0x2d) return { error: "invalid date separator, expected `-`" };
  const month = digits(bytes, 5, 2);
  if (month === undefined) return { error: "invalid character in month" };
  if (bytes[7] !== 0x2d) return { error: "invalid date separator, expected `-`" };
  const day = digits(bytes, 8, 2);
  if (day === undefined) return { error: "invalid character in day" };
  if (month < 1 || month > 12) return { error: "month value is outside expected range of 1-12" };
  if (day < 1 || day > daysInMonth(year, month)) return { error: "day value is outside expected range" };
  return { year, month, day };
}

// An RFC 3339 date and time, or undefined.
function rfc3339(bytes) {
  const date = datePrefix(bytes);
  if (date.error !== undefined || bytes.length < 16) return undefined;
  if (![0x54, 0x74, 0x20, 0x5f].includes(bytes[10])) return undefined; // T t space _
  const hour = digits(bytes, 11, 2);
  const minute = digits(bytes, 14, 2);
  if (hour === undefined || bytes[13] !== 0x3a || minute === undefined || hour > 23 || minute > 59) return undefined;
  let i = 16;
  let second = 0;
  let micros = 0;
  if (bytes[i] === 0x3a) {
    second = digits(bytes, i + 1, 2);
    if (second === undefined || second > 59) return undefined;
    i += 3;
    if (bytes[i] === 0x2e || bytes[i] === 0x2c) {
      const start = i + 1;
      i = start;
      while (i < bytes.length && isDigit(bytes[i])) i += 1;
      if (i === start) return undefined;
      micros = Number(Buffer.from(bytes.subarray(start, Math.min(i, start + 6))).toString().padEnd(6, "0"));
    }
  }
  let offset;
  if (bytes[i] === 0x5a || bytes[i] === 0x7a) {
    offset = 0;
    i += 1;
  } else if (bytes[i] === 0x2b || bytes[i] === 0x2d) {
    const sign = bytes[i] === 0x2b ? 1 : -1;
    const hours = digits(bytes, i + 1, 2);
    const colon = bytes[i + 3] === 0x3a ? 1 : 0;
    const minutes = digits(bytes, i + 3 + colon, 2);
    if (hours === undefined || minutes === undefined || hours > 23 || minutes > 59) return undefined;
    offset = sign * (hours * 3600 + minutes * 60);
    i += 5 + colon;
  }
  if (i !== bytes.length) return undefined;
  return { ...date, hour, minute, second, micros, offset };
}

// servicekit's _NUMBER: a number, or text that is one (Python's \s and \d, which are
// Unicode's whitespace and decimal digits), which pydantic would read as Unix time.
const SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const NUMBER_TEXT = new RegExp(`^${SPACE}*[+-]?(?:\\p{Nd}+\\.?\\p{Nd}*|\\.\\p{Nd}+)(?:[eE][+-]?\\p{Nd}+)?${SPACE}*$`, "u");

const UNIX_TIME = {
  error: {
    type: "timestamp_type",
    message: "Input should be an ISO 8601 date and time with a time zone, e.g. 2026-01-01T00:00:00Z, not a number (Unix time)",
  },
};

function invalidDatetime(message) {
  return { error: { type: "datetime_parsing", message: `Input should be a valid datetime, ${message}` } };
}

function invalidDatetimeOrDate(message) {
  return { error: { type: "datetime_from_date_parsing", message: `Input should be a valid datetime or date, ${message}` } };
}

function valueError(message) {
  return { error: { type: "value_error", message: `Value error, ${message}` } };
}

// A time with a zone, in UTC, within years 1 to 9999.
function aware(value) {
  if (value.seconds < YEAR_1 || value.seconds > UNIX_9999) {
    return valueError("timestamp out of range once converted to UTC");
  }
  return { value };
}

function fromText(text) {
  const bytes = Buffer.from(text, "utf8");
  const parsed = rfc3339(bytes);
  if (parsed !== undefined) {
    if (parsed.year === 0) return invalidDatetime("year 0 is out of range");
    if (parsed.offset === undefined) return valueError(NEEDS_ZONE);
    const local = daysFromCivil(parsed.year, parsed.month, parsed.day) * SECONDS_PER_DAY + parsed.hour * 3600 + parsed.minute * 60 + parsed.second;
    return aware({ seconds: local - parsed.offset, micros: parsed.micros });
  }
  // Not a date and time: pydantic tries a date, which becomes midnight without a zone,
  // and otherwise reports what is wrong with the text as a date.
  const date = datePrefix(bytes);
  if (date.error !== undefined) return invalidDatetimeOrDate(date.error);
  if (bytes.length > 10) return invalidDatetimeOrDate("unexpected extra characters at the end of the input");
  if (date.year === 0) return invalidDatetime("year 0 is out of range");
  return valueError(NEEDS_ZONE);
}

/**
 * Reads a timestamp from a JSON value or a query string.
 *
 * @returns {{ value: { seconds: number, micros: number } } | { error: { type: string, message: string } }}
 */
export function parseTimestamp(input) {
  if (typeof input === "number" || (typeof input === "string" && NUMBER_TEXT.test(input))) return UNIX_TIME;
  if (typeof input === "string") return fromText(input);
  return { error: { type: "datetime_type", message: "Input should be a valid datetime" } };
}
