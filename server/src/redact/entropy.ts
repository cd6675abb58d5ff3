/**
 * Shannon entropy of `value`, in bits per character (UTF-16 code unit). Random tokens over a
 * base64 alphabet score about 5–6, hex about 4, English words and placeholders usually below 3.
 * The empty string scores 0.
 */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    counts.set(unit, (counts.get(unit) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
