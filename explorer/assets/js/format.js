// Formatting of amounts, counts, shares, times and ids, and the explorer's
// link targets. Pure: no DOM.

// amount groups the digits of a decimal string (amounts may exceed 2^53,
// so they stay strings): "1234567.5" → "1,234,567.5". Anything that is not
// a decimal number is returned as text.
export function amount(v) {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(v ?? ''));
  return m ? m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '') : String(v ?? '');
}

// Enum prefixes the chain's names carry (protobuf enum value names):
// RESOURCE_CLASS_ENERGY, DEVICE_STATUS_JAILED, REJECT_REASON_BAD_SIGNATURE…
const ENUM_PREFIXES = ['RESOURCE_CLASS_', 'DEVICE_STATUS_', 'REJECT_REASON_', 'LEASE_STATUS_', 'EVIDENCE_KIND_',
  'VALIDATOR_STATUS_', 'POOL_KIND_', 'JOB_PHASE_', 'ORDER_STATUS_', 'STATUS_', 'SIDE_'];

// Words the sentence-casing would get wrong.
const ENUM_WORDS = { GEO: 'geography', PM25: 'PM2.5', H3: 'H3', ID: 'id' };

// words turns an enum name the chain or index uses into words a person
// reads: "RESOURCE_CLASS_ENERGY" → "Energy", "REJECT_REASON_BAD_SIGNATURE"
// → "Bad signature", "ACTIVE" → "Active"; "" → "—". Text that is not an
// upper-case enum name is returned unchanged.
export function words(v) {
  const s = String(v ?? '');
  if (s === '') return '—';
  if (!/^[A-Z][A-Z0-9_]*$/.test(s)) return s;
  let rest = s;
  for (const p of ENUM_PREFIXES) {
    if (rest.startsWith(p) && rest.length > p.length) { rest = rest.slice(p.length); break; }
  }
  const out = rest.split('_').filter(Boolean).map((w) => ENUM_WORDS[w] ?? w.toLowerCase()).join(' ');
  return out.charAt(0).toUpperCase() + out.slice(1);
}

// tokens shows an amount of a denom in the unit people use: the chain's
// base units (udpin, a network's u<name>) have six decimals and display
// as DPIN or the network's name in capitals ("1500000", "usolar" →
// "1.5 SOLAR"); a device's share tokens (share/…) have none. Exact for
// amounts of any size (decimal strings). It returns [number, unit].
export function tokens(v, denom) {
  const s = String(v ?? '');
  const d = String(denom ?? '');
  if (!/^\d+$/.test(s) || d === '') return [amount(s), d];
  if (d.startsWith('share/')) return [amount(s), 'shares'];
  const unit = d === 'udpin' ? 'DPIN' : (d.startsWith('u') ? d.slice(1) : d).toUpperCase();
  const padded = s.padStart(7, '0');
  const whole = padded.slice(0, -6).replace(/^0+(?=\d)/, '');
  const frac = padded.slice(-6).replace(/0+$/, '');
  return [amount(whole) + (frac ? `.${frac}` : ''), unit];
}

// plural: "1 device", "1,200 devices".
export const plural = (n, word) => `${amount(n)} ${word}${n === 1 ? '' : 's'}`;

// pct formats parts per million as a percentage with one decimal.
export const pct = (ppm) => `${(ppm / 1e4).toFixed(1)} %`;

// compact: 1.2K, 3.4M (chart axes and summaries).
export const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

// when formats a timestamp as "2026-01-02 03:04:05 UTC"; text it cannot
// parse is returned unchanged.
export function when(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// span shows a time range in UTC: "2026-01-02 03:00–03:15 UTC" within a
// day, "2026-01-02 23:45 – 2026-01-03 00:15 UTC" across midnight, with
// seconds only when a bound has them; "" when a bound is missing or does
// not parse.
export function span(start, end) {
  if (!start || !end) return '';
  const a = new Date(start), b = new Date(end);
  if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime())) return '';
  const secs = a.getUTCSeconds() !== 0 || b.getUTCSeconds() !== 0;
  const day = (d) => d.toISOString().slice(0, 10);
  const hm = (d) => d.toISOString().slice(11, secs ? 19 : 16);
  return day(a) === day(b) ? `${day(a)} ${hm(a)}–${hm(b)} UTC` : `${day(a)} ${hm(a)} – ${day(b)} ${hm(b)} UTC`;
}

// intervalText names a market interval ({interval, start, end}, as a
// clearing has them) by its times, or by its number ("Interval 59873273")
// when the index does not know its times.
export const intervalText = (c) => span(c.start, c.end) || `Interval ${c.interval}`;

// msgSummary lists a transaction's message types, repeats folded:
// "RegisterDevice ×12, Send".
export function msgSummary(types) {
  const runs = [];
  for (const t of types) {
    const last = runs[runs.length - 1];
    if (last && last[0] === t) last[1]++;
    else runs.push([t, 1]);
  }
  return runs.map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(', ');
}

// shareOf is part/total as a percentage with two decimals, exact for
// integers of any size ("—" when it cannot be computed).
export function shareOf(part, total) {
  try {
    const t = BigInt(total);
    if (t <= 0n) return '—';
    const bp = (BigInt(part) * 10000n) / t;
    return `${bp / 100n}.${String(bp % 100n).padStart(2, '0')} %`;
  } catch {
    return '—';
  }
}

// cmpDec compares two decimal strings as numbers (exactly when both are integers).
export function cmpDec(a, b) {
  try { const x = BigInt(a), y = BigInt(b); return x < y ? -1 : x > y ? 1 : 0; } catch { return Number(a) - Number(b); }
}

// BYTE_UNITS are the decimal (SI) units bytes() shows: a storage node's
// capacity is certified in GB of 10^9 bytes.
const BYTE_UNITS = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

// bytes shows a byte count (a decimal string of any size) in decimal
// units with three significant digits: "999" → "999 bytes", "1500" →
// "1.5 kB", "1000000000" → "1 GB". Text that is not a whole number is
// returned unchanged.
export function bytes(v) {
  const s = String(v ?? '');
  if (!/^\d+$/.test(s)) return s;
  const n = BigInt(s);
  if (n < 1000n) return `${n} byte${n === 1n ? '' : 's'}`;
  let i = Math.min(BYTE_UNITS.length, Math.floor((String(n).length - 1) / 3));
  // Three decimals of the scaled value, exactly, then rounded for show.
  let scaled = Number((n * 1000n) / 10n ** BigInt(3 * i)) / 1000;
  const round = (x) => (x >= 100 ? Math.round(x) : x >= 10 ? Math.round(x * 10) / 10 : Math.round(x * 100) / 100);
  if (round(scaled) >= 1000 && i < BYTE_UNITS.length) { i++; scaled /= 1000; }
  return `${round(scaled)} ${BYTE_UNITS[i - 1]}`;
}

// passRate is the share of audits passed as a percentage with one
// decimal ("—" with no audits).
export function passRate(passed, missed) {
  const all = passed + missed;
  return all > 0 ? `${((passed * 100) / all).toFixed(1)} %` : '—';
}

// short abbreviates a long id for chart legends: "depindev1qxy…k3p9".
export const short = (id) => (String(id).length > 20 ? `${String(id).slice(0, 12)}…${String(id).slice(-4)}` : String(id));

const enc = encodeURIComponent;

// href builds the route of each kind of page. Ids are percent-encoded
// behind a fixed "#/kind/" prefix, so no id can make a link leave the page.
export const href = {
  block: (h) => `#/block/${enc(h)}`,
  tx: (h) => `#/tx/${enc(h)}`,
  account: (a) => `#/account/${enc(a)}`,
  device: (id) => `#/device/${enc(id)}`,
  network: (id) => `#/network/${enc(id)}`,
  market: (id) => `#/market/${enc(id)}`,
  deal: (id) => `#/deal/${enc(id)}`,
  compute: (id) => `#/compute/${enc(id)}`,
  job: (id) => `#/job/${enc(id)}`,
  pool: (id) => `#/pool/${enc(id)}`,
  dispatch: (id) => `#/dispatch/${enc(id)}`,
};
