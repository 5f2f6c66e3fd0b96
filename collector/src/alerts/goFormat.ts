/**
 * Go's number formatting as Prometheus' alert templates produce it
 * (`fmt.Sprintf("%.4g", v)`, `%v` of a float64, `printf`), so an annotation
 * reads the same here as from a Prometheus evaluating the same rule.
 */

/** Go's `%g` with a precision (`%.4g`), or the shortest form (`%v`, `%g`) when precision is -1. */
export function formatG(v: number, precision: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const negative = v < 0 || Object.is(v, -0);
  const { digits, pointAt } = decimalDigits(Math.abs(v), precision === -1 ? -1 : Math.max(precision, 1));
  let prec = precision === -1 ? digits.length : Math.max(precision, 1);
  // Go: %e when the exponent is below -4 or at least the precision (6 for the shortest form).
  let eprec = prec;
  if (eprec > digits.length && digits.length >= pointAt) eprec = digits.length;
  if (precision === -1) eprec = 6;
  const exponent = pointAt - 1;
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= eprec) {
    if (prec > digits.length) prec = digits.length;
    return sign + formatE(digits, exponent, prec - 1);
  }
  if (prec > pointAt) prec = digits.length;
  return sign + formatF(digits, pointAt, Math.max(prec - pointAt, 0));
}

/** Go's `%.Nf`. */
export function formatFixed(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return formatG(v, -1);
  return v.toFixed(Math.min(decimals, 100));
}

/** Go's `%.Ne` (precision -1: the shortest digits). */
export function formatExp(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return formatG(v, -1);
  const { digits, pointAt } = decimalDigits(Math.abs(v), decimals === -1 ? -1 : decimals + 1);
  const padded = decimals === -1 ? digits : digits.padEnd(decimals + 1, '0');
  return (v < 0 ? '-' : '') + formatE(padded, pointAt - 1, padded.length - 1);
}

/** Significant digits (trailing zeros trimmed) and where the decimal point goes, rounded to `significant` digits or shortest when -1. */
function decimalDigits(abs: number, significant: number): { digits: string; pointAt: number } {
  if (abs === 0) return { digits: '0', pointAt: 1 };
  const text = significant === -1 ? abs.toExponential() : abs.toExponential(Math.min(significant - 1, 100));
  const [mantissa, exp] = text.split('e') as [string, string];
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, pointAt: Number(exp) + 1 };
}

function formatE(digits: string, exponent: number, decimals: number): string {
  const frac = digits.slice(1, 1 + decimals).padEnd(decimals, '0');
  const e = Math.abs(exponent);
  return `${digits[0]}${decimals > 0 ? '.' + frac : ''}e${exponent < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

function formatF(digits: string, pointAt: number, decimals: number): string {
  const whole = pointAt <= 0 ? '0' : digits.slice(0, pointAt).padEnd(pointAt, '0');
  const frac = (pointAt < 0 ? '0'.repeat(-pointAt) + digits : digits.slice(Math.max(pointAt, 0))).slice(0, decimals).padEnd(decimals, '0');
  return decimals > 0 ? `${whole}.${frac}` : whole;
}

/** A value as Go's `%v` prints it: floats in their shortest `%g` form, strings as they are. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return formatG(v, -1);
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') {
    // A label map prints as Go prints a map: map[a:b c:d], keys sorted.
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${formatValue(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's `fmt.Sprintf` for the verbs alert templates use: %s %v %d %f %g %e %q %%, with a precision. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let next = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdfgeEqx%])/g, (_m, flags: string, width: string | undefined, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[next++];
    const p = precision === undefined ? -1 : Number(precision);
    let out: string;
    const num = typeof arg === 'number' ? arg : typeof arg === 'string' && arg.trim() !== '' ? Number(arg) : NaN;
    switch (verb) {
      case 's':
      case 'v':
        out = formatValue(arg);
        if (verb === 's' && p >= 0) out = out.slice(0, p);
        break;
      case 'q':
        out = JSON.stringify(formatValue(arg));
        break;
      case 'd':
        out = typeof arg === 'number' && Number.isInteger(arg) ? String(arg) : `%!d(${typeof arg === 'number' ? 'float64' : 'string'}=${formatValue(arg)})`;
        break;
      case 'f':
        out = typeof arg === 'number' ? formatFixed(num, p === -1 ? 6 : p) : `%!f(string=${formatValue(arg)})`;
        break;
      case 'g':
        out = typeof arg === 'number' ? formatG(num, p) : `%!g(string=${formatValue(arg)})`;
        break;
      case 'e':
      case 'E': {
        const e = typeof arg === 'number' ? formatExp(num, p === -1 ? 6 : p) : `%!e(string=${formatValue(arg)})`;
        out = verb === 'E' ? e.toUpperCase() : e;
        break;
      }
      default:
        out = typeof arg === 'number' ? Math.trunc(arg).toString(16) : Buffer.from(String(arg)).toString('hex');
    }
    if (flags.includes('+') && typeof arg === 'number' && num >= 0 && 'dfge'.includes(verb)) out = '+' + out;
    if (width !== undefined && out.length < Number(width)) out = flags.includes('-') ? out.padEnd(Number(width)) : out.padStart(Number(width), flags.includes('0') && typeof arg === 'number' ? '0' : ' ');
    return out;
  });
}

/** A Unix-ms time as Go's RFC3339Nano writes it (Prometheus' and Alertmanager's JSON): fraction without trailing zeros, none when whole. */
export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction === '' ? '' : '.' + fraction}Z`;
}
