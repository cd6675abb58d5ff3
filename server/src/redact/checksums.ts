/**
 * Check-digit and range validation for the PII detectors. A pattern alone finds far too many
 * look-alikes (order ids, timestamps, hashes); these checks are what make a match credible.
 */

/**
 * Whether a string of ASCII digits passes the Luhn (mod 10) check used by payment cards.
 * Returns false for an empty string or any non-digit character.
 */
export function luhnValid(digits: string): boolean {
  if (digits.length === 0) return false;
  let sum = 0;
  // Doubling starts at the second digit from the right, so walk from the right.
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      const twice = d * 2;
      sum += twice > 9 ? twice - 9 : twice;
    } else {
      sum += d;
    }
  }
  return sum % 10 === 0;
}

/**
 * IBAN length per country code, from the SWIFT IBAN registry (release 99, 2025). Territories
 * that borrow another country's IBAN (Jersey → GB, Réunion → FR, …) are covered by that
 * country's code, so they have no entry of their own.
 */
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  // One row per ten countries, in registry (alphabetical) order, so the table stays reviewable.
  // biome-ignore format: a one-entry-per-line table of 89 countries would hide the data
  Object.entries({
    AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27,
    BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28,
    EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
    GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
    IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21,
    LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
    NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
    RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25,
    SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
  }),
);

/**
 * Whether `iban` (no spaces, any case) has a registered country code, that country's exact
 * length, and check digits for which the ISO 7064 mod-97 remainder is 1. The BBAN's internal
 * national format is not checked: the mod-97 test already rejects 96 in 97 random strings.
 */
export function ibanValid(iban: string): boolean {
  const upper = iban.toUpperCase();
  if (IBAN_LENGTHS.get(upper.slice(0, 2)) !== upper.length) return false;
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(upper)) return false;
  // ISO 13616 only issues check digits 02–98; 00, 01 and 99 can satisfy mod-97 but never occur.
  const check = Number(upper.slice(2, 4));
  if (check < 2 || check > 98) return false;
  const rearranged = upper.slice(4) + upper.slice(0, 4);
  let remainder = 0;
  // Letters expand to two digits (A = 10 … Z = 35); folding one digit at a time keeps the
  // running value small, so no BigInt is needed.
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    if (code >= 65) {
      const value = code - 55;
      remainder = (remainder * 100 + value) % 97;
    } else {
      remainder = (remainder * 10 + (code - 48)) % 97;
    }
  }
  return remainder === 1;
}

/** Numbers that pass the range rules but are known never to belong to a person. */
const PUBLICISED_SSNS = new Set([
  // Printed on a sample card in Woolworth wallets (1938) and used by thousands since.
  "078051120",
  // Shown in a 1940 Social Security Board advertisement.
  "219099999",
]);

/**
 * Whether a nine-digit US Social Security number (no separators) could have been issued:
 * area 001–899 except 666, group 01–99, serial 0001–9999, and not one of the publicised
 * sample numbers. Area 900–999 is reserved for ITINs and advertising, never for SSNs.
 */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0 || serial === 0) return false;
  return !PUBLICISED_SSNS.has(digits);
}
