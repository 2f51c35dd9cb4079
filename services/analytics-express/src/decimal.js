// Exact decimal amounts (prices, sizes) with the rules of the platform's Price and Quantity
// (servicekit/models.py DecimalAmount), so a value one service takes the other takes, and a
// refusal reads the same:
//
// - a string: plain digits matching `pattern` (no sign, exponent or spaces), up to the
//   full number of digits;
// - a JSON number: above zero, below 10^(15 - places) at most (a double keeps 15
//   significant digits: larger values must come as strings), at most `places` decimals,
//   counted on the number's shortest text, which is the text it was sent as.
//
// Values are kept as decimal text and never pass through arithmetic; PostgreSQL's numeric
// stores them.

// Decimal digits every double holds exactly.
const EXACT_FLOAT_DIGITS = 15;

function anyDigits(count) {
  return count > 0 ? `[0-9]{0,${count}}` : "";
}

/** A decimal as digits and a power of ten: { negative, digits: "12345", exponent: -2 }. */
function parts(text) {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) {
    throw new Error(`not a decimal: ${text}`);
  }
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  const digits = (whole + fraction).replace(/^0+/, "");
  return { negative: sign === "-", digits, exponent: Number(exponent) - fraction.length };
}

/** Digits after the point, trailing zeros not counted (1.50 has one). */
function places({ digits, exponent }) {
  if (digits === "") return 0;
  const trailingZeros = digits.length - digits.replace(/0+$/, "").length;
  return Math.max(0, -(exponent + trailingZeros));
}

/** Whether |value| >= 10^power. */
function atLeastPowerOfTen({ digits, exponent }, power) {
  return digits !== "" && exponent + digits.length - 1 >= power;
}

/** Fixed-point text without exponent: "1e-7" -> "0.0000001", "1.5e+21" -> "1500000000000000000000". */
export function plain(text) {
  const { negative, digits, exponent } = parts(text);
  if (digits === "") return "0";
  let result;
  if (exponent >= 0) {
    result = digits + "0".repeat(exponent);
  } else {
    const padded = digits.padStart(-exponent + 1, "0");
    result = `${padded.slice(0, exponent)}.${padded.slice(exponent)}`;
  }
  return negative ? `-${result}` : result;
}

/** Equal amounts, whatever their scale: "100" and "100.000000". */
export function sameAmount(a, b) {
  const x = parts(a);
  const y = parts(b);
  const normal = ({ negative, digits, exponent }) => {
    const trimmed = digits.replace(/0+$/, "");
    return trimmed === "" ? "0" : `${negative ? "-" : ""}${trimmed}e${exponent + digits.length - trimmed.length}`;
  };
  return normal(x) === normal(y);
}

export class DecimalAmount {
  /**
   * @param {number} maxDigits digits in all
   * @param {number} decimalPlaces of them after the point
   * @param {{ positive?: boolean }} [options] above zero (the default), or any sign
   */
  constructor(maxDigits, decimalPlaces, { positive = true } = {}) {
    if (maxDigits < 1 || decimalPlaces < 0 || decimalPlaces > maxDigits) {
      throw new Error("DecimalAmount needs maxDigits >= 1 and 0 <= decimalPlaces <= maxDigits");
    }
    this.maxDigits = maxDigits;
    this.decimalPlaces = decimalPlaces;
    this.positive = positive;
    this.wholeDigits = maxDigits - decimalPlaces;
    // Exclusive bounds of the magnitude, as powers of ten: strings, and JSON numbers.
    this.stringPower = this.wholeDigits;
    this.numberPower = Math.min(this.wholeDigits, EXACT_FLOAT_DIGITS - decimalPlaces);
    this.pattern = this.#pattern();
    this.regex = new RegExp(this.pattern);
    this.stringRule =
      `String should be plain digits such as '${decimalPlaces ? "12.5" : "12"}', ` +
      `at most ${this.wholeDigits} before the point and ${decimalPlaces} after` +
      (positive ? ", above zero" : "");
  }

  // The strings accepted, in the subset of regular expressions JSON Schema advises.
  #pattern() {
    const whole = this.wholeDigits;
    const placesCount = this.decimalPlaces;
    const fraction = placesCount ? `(\\.[0-9]{1,${placesCount}})?` : "";
    const nonzeroWhole = whole ? `[1-9]${anyDigits(whole - 1)}` : "";
    if (!this.positive) {
      const integer = whole ? `(0|${nonzeroWhole})` : "0";
      return `^-?${integer}${fraction}$`;
    }
    const options = whole ? [nonzeroWhole + fraction] : [];
    if (placesCount) {
      const small = [];
      for (let zeros = 0; zeros < placesCount; zeros += 1) {
        small.push(`${"0".repeat(zeros)}[1-9]${anyDigits(placesCount - 1 - zeros)}`);
      }
      options.push(`0\\.(${small.join("|")})`);
    }
    return `^(${options.join("|")})$`;
  }

  /**
   * Checks a JSON value.
   *
   * @returns {{ value: string } | { error: { type: string, message: string } }} the amount
   *   as plain decimal text, or what is wrong with it
   */
  validate(input) {
    if (typeof input === "string") {
      return this.regex.test(input) ? { value: input } : { error: { type: "decimal_string", message: this.stringRule } };
    }
    if (typeof input !== "number") {
      return { error: { type: "decimal_type", message: "Input should be a number or a decimal string such as '12.5'" } };
    }
    if (!Number.isFinite(input)) {
      return { error: { type: "finite_number", message: "Input should be a finite number" } };
    }
    // The shortest text of the double: the digits it was sent with.
    const number = parts(String(input));
    const lowest = this.positive ? "0" : `-1e${this.numberPower}`;
    if (this.positive ? number.negative || number.digits === "" : number.negative && atLeastPowerOfTen(number, this.numberPower)) {
      return { error: { type: "greater_than", message: `Input should be greater than ${plain(lowest)}` } };
    }
    if (!number.negative && atLeastPowerOfTen(number, this.numberPower)) {
      const limit = plain(`1e${this.numberPower}`);
      if (this.numberPower < this.stringPower) {
        return {
          error: {
            type: "decimal_number_too_large",
            message: `Numbers should be less than ${limit}; send larger values as strings`,
          },
        };
      }
      return { error: { type: "less_than", message: `Input should be less than ${limit}` } };
    }
    if (places(number) > this.decimalPlaces) {
      return {
        error: {
          type: "decimal_max_places",
          message: `Decimal input should have no more than ${this.decimalPlaces} decimal place${this.decimalPlaces === 1 ? "" : "s"}`,
        },
      };
    }
    return { value: plain(String(input)) };
  }
}

/** A price above zero: at most 18 digits, 8 of them after the point (servicekit's Price). */
export const PRICE = new DecimalAmount(18, 8);

/** A quantity above zero: at most 18 digits, 6 of them after the point (servicekit's Quantity). */
export const QUANTITY = new DecimalAmount(18, 6);
