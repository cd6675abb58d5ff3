/**
 * Aho–Corasick multi-pattern search over UTF-16 code units. One automaton finds every
 * occurrence of thousands of strings in a single left-to-right pass, so the cost of a search is
 * linear in the text plus the number of matches, not in the number of patterns.
 */

class TrieNode {
  readonly next = new Map<number, TrieNode>();
  /** The longest proper suffix of this node's string that is also a trie prefix (root: itself). */
  fail: TrieNode = this;
  /** Indices of the patterns that end exactly at this node. */
  readonly outputs: number[] = [];
  /** The nearest node along the fail chain that has outputs, so reporting skips empty nodes. */
  outputLink: TrieNode | undefined;
}

/** Options for {@link createAhoCorasick}. */
export interface AhoCorasickOptions {
  /** The strings to find, reported by their index in this array. Empty strings are ignored. */
  patterns: readonly string[];
  /**
   * Compare the ASCII letters A–Z and a–z without regard to case; every other code unit is
   * compared exactly. Folding only ASCII keeps text offsets and lengths unchanged, which
   * `String.prototype.toLowerCase` does not guarantee. Default `false`.
   */
  ignoreAsciiCase?: boolean;
}

/** A built automaton; immutable and safe to share between calls. */
export interface AhoCorasick {
  /**
   * Calls `onMatch(pattern, end)` for every occurrence of every pattern in `text`, including
   * overlapping ones, in order of `end` (the exclusive end offset). The occurrence starts at
   * `end - patterns[pattern].length`.
   */
  search(text: string, onMatch: (pattern: number, end: number) => void): void;
}

const foldAscii = (unit: number): number => (unit >= 0x41 && unit <= 0x5a ? unit + 0x20 : unit);
const identity = (unit: number): number => unit;

/** Builds the automaton for `options.patterns`; the cost is linear in their total length. */
export function createAhoCorasick(options: AhoCorasickOptions): AhoCorasick {
  const fold = options.ignoreAsciiCase === true ? foldAscii : identity;
  const root = new TrieNode();

  options.patterns.forEach((pattern, index) => {
    if (pattern.length === 0) return;
    let node = root;
    for (let i = 0; i < pattern.length; i++) {
      const unit = fold(pattern.charCodeAt(i));
      let child = node.next.get(unit);
      if (child === undefined) {
        child = new TrieNode();
        node.next.set(unit, child);
      }
      node = child;
    }
    node.outputs.push(index);
  });

  // Breadth-first, so every shorter node's fail link is final before a deeper node needs it.
  const queue: TrieNode[] = [];
  for (const child of root.next.values()) {
    child.fail = root;
    queue.push(child);
  }
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as TrieNode;
    for (const [unit, child] of node.next) {
      let fallback = node.fail;
      while (fallback !== root && !fallback.next.has(unit)) fallback = fallback.fail;
      child.fail = fallback.next.get(unit) ?? root;
      child.outputLink = child.fail.outputs.length > 0 ? child.fail : child.fail.outputLink;
      queue.push(child);
    }
  }

  return {
    search(text, onMatch) {
      let node = root;
      for (let i = 0; i < text.length; i++) {
        const unit = fold(text.charCodeAt(i));
        let child = node.next.get(unit);
        while (child === undefined && node !== root) {
          node = node.fail;
          child = node.next.get(unit);
        }
        node = child ?? root;
        let hit: TrieNode | undefined = node.outputs.length > 0 ? node : node.outputLink;
        for (; hit !== undefined; hit = hit.outputLink) {
          for (const pattern of hit.outputs) onMatch(pattern, i + 1);
        }
      }
    },
  };
}
