import safePrivateJson from "./data/safe-private.json";
import { Dataset, Element, text } from "./dataset";
import { elementOf, groupOf, isPrivate, isPrivateCreator } from "./tags";

/** "creator|gggg" -> element offsets (low byte) kept under retain-safe-private. */
const SAFE = new Map<string, Set<number>>();
for (const e of safePrivateJson.entries) {
  const key = `${e.creator.trimEnd()}|${e.group.toUpperCase()}`;
  const offsets = SAFE.get(key) ?? new Set<number>();
  for (const offset of Object.keys(e.elements)) offsets.add(parseInt(offset, 16));
  SAFE.set(key, offsets);
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");

/**
 * The private elements of one data set (or item) that retain-safe-private keeps: listed in
 * safe-private.json under the creator that actually reserves their block in this same data set,
 * plus those creators. Anything without its creator is dropped.
 */
export function safePrivateElements(ds: Dataset): Set<Element> {
  const creators = new Map<number, { el: Element; name: string }>();
  for (const el of ds) {
    if (isPrivateCreator(el.tag)) {
      creators.set(groupOf(el.tag) * 256 + elementOf(el.tag), { el, name: text(el).trimEnd() });
    }
  }
  const kept = new Set<Element>();
  if (creators.size === 0) return kept;
  for (const el of ds) {
    const t = el.tag;
    const e = elementOf(t);
    if (!isPrivate(t) || e < 0x1000) continue;
    const block = groupOf(t) * 256 + (e >> 8);
    const creator = creators.get(block);
    if (!creator) continue;
    if (SAFE.get(`${creator.name}|${hex4(groupOf(t))}`)?.has(e & 0xff)) {
      kept.add(el);
      kept.add(creator.el);
    }
  }
  return kept;
}
