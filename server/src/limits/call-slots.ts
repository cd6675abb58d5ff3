/** Options for {@link createCallSlots}. */
export interface CallSlotsOptions {
  /** Calls that may hold a slot at once per key. Must be > 0. */
  maxPerKey: number;
}

/** Gives back a slot. Calling it more than once gives it back once. */
export type ReleaseSlot = () => void;

/** Counts the calls in flight per key and refuses one more than the limit. */
export interface CallSlots {
  /** Takes a slot for `key`, or returns undefined when the key already holds the maximum. */
  acquire(key: string): ReleaseSlot | undefined;
  /** Slots `key` holds now. */
  held(key: string): number;
  /** Keys holding at least one slot; a key is forgotten when its last slot is given back. */
  keys(): number;
}

/**
 * Concurrency limits per key (a caller, or one key for the whole server). A release is
 * idempotent, so the several ways a call can end (an answer, an error, a cancelled stream)
 * may all give it back without counting twice; and keys at zero are deleted, so memory
 * follows the calls in flight, not every caller ever seen.
 */
export function createCallSlots(options: CallSlotsOptions): CallSlots {
  const counts = new Map<string, number>();
  return {
    acquire(key) {
      const held = counts.get(key) ?? 0;
      if (held >= options.maxPerKey) return undefined;
      counts.set(key, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
      };
    },
    held: (key) => counts.get(key) ?? 0,
    keys: () => counts.size,
  };
}
