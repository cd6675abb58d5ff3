/**
 * Finds ASCII keywords, ignoring ASCII case, in one pass over a text: an Aho–Corasick automaton
 * expanded into a dense transition table over the 128 ASCII code units, so each character of
 * the text costs one array read. This is the secret detector's prefilter, which runs on every
 * byte Vigil masks; `aho-corasick.ts` is the general, map-based version for arbitrary strings.
 */

/** A built scanner; immutable and safe to share. */
export interface KeywordScanner {
  /**
   * Calls `onHit(keyword, end)` for each occurrence of each keyword (overlapping ones too), in
   * order of `end`, the exclusive end offset in `text`. Return `false` to stop early.
   */
  scan(text: string, onHit: (keyword: number, end: number) => boolean | undefined): void;
}

/**
 * Builds a scanner for `keywords`, which must be ASCII; they match regardless of ASCII case.
 * Throws `RangeError` for a keyword with other characters or an empty one.
 */
export function createKeywordScanner(keywords: readonly string[]): KeywordScanner {
  // Characters that occur in no keyword all behave alike; folding them into one class keeps
  // the transition table small enough to stay in cache.
  const classOf = new Uint8Array(128);
  let classes = 1;
  for (const keyword of keywords) {
    if (!/^[\x20-\x7e]+$/.test(keyword)) {
      throw new RangeError(`keyword ${JSON.stringify(keyword)} must be printable ASCII`);
    }
    for (const unit of keyword.toLowerCase()) {
      const code = unit.charCodeAt(0);
      if (classOf[code] === 0) {
        classOf[code] = classes;
        // An upper-case letter is the same character as its lower case.
        if (code >= 0x61 && code <= 0x7a) classOf[code - 0x20] = classes;
        classes++;
      }
    }
  }

  // The trie, as rows of the transition table; state 0 is the root.
  const rows: Int32Array[] = [new Int32Array(classes).fill(-1)];
  const ends: number[][] = [[]];
  keywords.forEach((keyword, index) => {
    let state = 0;
    for (const unit of keyword.toLowerCase()) {
      const row = rows[state] as Int32Array;
      const symbol = classOf[unit.charCodeAt(0)] as number;
      let next = row[symbol] as number;
      if (next < 0) {
        next = rows.length;
        rows.push(new Int32Array(classes).fill(-1));
        ends.push([]);
        row[symbol] = next;
      }
      state = next;
    }
    (ends[state] as number[]).push(index);
  });

  // Breadth-first: fill missing transitions from the fail state's, and inherit its outputs.
  const fail = new Int32Array(rows.length);
  const root = rows[0] as Int32Array;
  // The "other" class never continues a keyword.
  root[0] = 0;
  const queue: number[] = [];
  for (let symbol = 1; symbol < classes; symbol++) {
    const next = root[symbol] as number;
    if (next < 0) root[symbol] = 0;
    else queue.push(next);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    const row = rows[state] as Int32Array;
    const failRow = rows[fail[state] as number] as Int32Array;
    (ends[state] as number[]).push(...(ends[fail[state] as number] as number[]));
    for (let symbol = 0; symbol < classes; symbol++) {
      const next = row[symbol] as number;
      if (next < 0) {
        row[symbol] = failRow[symbol] as number;
      } else {
        fail[next] = failRow[symbol] as number;
        queue.push(next);
      }
    }
  }

  const table = new Int32Array(rows.length * classes);
  for (const [state, row] of rows.entries()) table.set(row, state * classes);
  const outputs = ends.map((list) => (list.length > 0 ? list : undefined));
  const hasOutput = new Uint8Array(outputs.map((list) => (list ? 1 : 0)));

  return {
    scan(text, onHit) {
      let row = 0;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        // Non-ASCII never occurs in a keyword: back to the root.
        const state = table[row + (code < 128 ? (classOf[code] as number) : 0)] as number;
        row = state * classes;
        if (hasOutput[state] === 1) {
          for (const keyword of outputs[state] as number[]) {
            if (onHit(keyword, i + 1) === false) return;
          }
        }
      }
    },
  };
}
