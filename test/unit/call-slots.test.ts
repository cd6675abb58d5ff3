import { describe, expect, it } from "vitest";
import { createCallSlots } from "../../server/src/limits/call-slots.js";

describe("call slots", () => {
  it("refuses a key's call over its maximum while other keys still get slots", () => {
    const slots = createCallSlots({ maxPerKey: 2 });
    expect(slots.acquire("a")).toBeTypeOf("function");
    expect(slots.acquire("a")).toBeTypeOf("function");
    expect(slots.acquire("a")).toBeUndefined();
    expect(slots.acquire("b")).toBeTypeOf("function");
    expect([slots.held("a"), slots.held("b")]).toEqual([2, 1]);
  });

  it("gives a slot back once however many times a call's ends release it", () => {
    const slots = createCallSlots({ maxPerKey: 2 });
    const first = slots.acquire("a");
    slots.acquire("a");
    first?.();
    first?.();
    expect(slots.held("a")).toBe(1);
    expect(slots.acquire("a")).toBeTypeOf("function");
    expect(slots.acquire("a")).toBeUndefined();
  });

  it("forgets a key when its last slot is given back", () => {
    const slots = createCallSlots({ maxPerKey: 1 });
    const releases = Array.from({ length: 100 }, (_, i) => slots.acquire(`caller-${i}`));
    expect(slots.keys()).toBe(100);
    for (const release of releases) release?.();
    expect(slots.keys()).toBe(0);
  });
});
