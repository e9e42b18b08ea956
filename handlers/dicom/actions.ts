import { shiftValues, capAge } from "./dates";
import { cleanText } from "./clean";
import { Dataset, EMPTY, Element, trimBytes } from "./dataset";
import { Hasher, base32 } from "./hasher";
import { safePrivateElements } from "./private";
import { Action, Resolver, isUnlisted } from "./profile";
import { elementOf, groupOf, isPrivate, tagHex } from "./tags";
import { fixedSize, isFreeText } from "./vr";

export interface DeidContext {
  resolver: Resolver;
  hasher: Hasher;
  retainUids: boolean;
  retainSafePrivate: boolean;
  /** DA/DT values: removed (Basic Profile), shifted (modified dates) or kept (full dates). */
  dates: "remove" | "shift" | "keep";
  offsetDays: number;
}

/** UIDs that name a class, syntax or coding scheme, not an instance: never replaced. */
const CLASS_UID_TAGS = new Set([
  0x00000002, // Affected SOP Class UID
  0x00000003, // Requested SOP Class UID
  0x00020002, // Media Storage SOP Class UID
  0x00020010, // Transfer Syntax UID
  0x00020012, // Implementation Class UID
  0x00080016, // SOP Class UID
  0x0008001a, // Related General SOP Class UID
  0x0008001b, // Original Specialized SOP Class UID
  0x00080062, // SOP Classes in Study
  0x0008010c, // Coding Scheme UID
  0x00080117, // Context UID
  0x00080118, // Mapping Resource UID
  0x00081150, // Referenced SOP Class UID
  0x00041510, // Referenced SOP Class UID in File
  0x00041512, // Referenced Transfer Syntax UID in File
  0x04000510, // Encrypted Content Transfer Syntax UID
]);
/** The DICOM root: SOP classes, transfer syntaxes, coding schemes, well-known instances. */
const DICOM_ROOT = "1.2.840.10008.";

const DUMMY_TEXT: Record<string, string> = {
  AE: "ANONYMOUS",
  AS: "000D",
  CS: "ANONYMIZED",
  DA: "19000101",
  DS: "0",
  DT: "19000101000000",
  IS: "0",
  LO: "ANONYMIZED",
  LT: "ANONYMIZED",
  PN: "ANONYMIZED",
  SH: "ANONYMIZED",
  ST: "ANONYMIZED",
  TM: "000000",
  UC: "ANONYMIZED",
  UR: "urn:uuid:00000000-0000-0000-0000-000000000000",
  UT: "ANONYMIZED",
};
const DUMMY = new Map<string, Buffer>(
  Object.entries(DUMMY_TEXT).map(([vr, v]) => [vr, Buffer.from(v, "latin1")]),
);

const NUMERIC = new Set(["AT", "DS", "FD", "FL", "IS", "SL", "SS", "SV", "UL", "US", "UV"]);

const withValue = (el: Element, value: Buffer): Element => ({
  tag: el.tag,
  vr: el.vr,
  value,
  items: null,
  encapsulated: false,
});

const withItems = (el: Element, items: Dataset[]): Element => ({ ...el, items });

const isGraphicsGroup = (t: number): boolean => {
  const g = groupOf(t) & 0xff01;
  return g === 0x5000 || g === 0x6000;
};

/** Each UID value replaced; `all` false spares DICOM-root UIDs (well-known, not instances). */
function mapUids(el: Element, ctx: DeidContext, all: boolean): Element {
  const values = trimBytes(el.value).toString("latin1").split("\\");
  const mapped = values.map((v) => {
    const uid = v.replace(/[\0 ]+$/g, "").trim();
    if (uid === "" || (!all && uid.startsWith(DICOM_ROOT))) return uid;
    return ctx.hasher.uid(uid);
  });
  return withValue(el, Buffer.from(mapped.join("\\"), "latin1"));
}

function dummy(el: Element, ctx: DeidContext): Element {
  if (el.vr === "UI") {
    // A dummy UID must still be consistent: the same old UID gets the same new one.
    if (trimBytes(el.value).length > 0) return mapUids(el, ctx, true);
    return withValue(el, Buffer.from(ctx.hasher.uid(`dummy\0${tagHex(el.tag)}`), "latin1"));
  }
  const text = DUMMY.get(el.vr);
  if (text) return withValue(el, text);
  return withValue(el, Buffer.alloc(Math.max(fixedSize(el.vr), 2)));
}

/** DA/DT under the date mode; a value that cannot be shifted is emptied, never kept. */
function dated(el: Element, ctx: DeidContext): Element | null {
  if (ctx.dates === "keep") return el;
  if (ctx.dates === "remove") return null;
  const shifted = shiftValues(
    trimBytes(el.value).toString("latin1"),
    el.vr as "DA" | "DT",
    ctx.offsetDays,
  );
  return withValue(el, shifted === null ? EMPTY : Buffer.from(shifted, "latin1"));
}

function keep(el: Element, ctx: DeidContext, cleanContext: boolean): Element | null {
  if (el.items) return withItems(el, items(el.items, ctx, cleanContext));
  switch (el.vr) {
    case "UI":
      return ctx.retainUids || CLASS_UID_TAGS.has(el.tag) ? el : mapUids(el, ctx, false);
    case "AS": {
      const v = trimBytes(el.value).toString("latin1");
      const capped = capAge(v);
      return capped === v ? el : withValue(el, Buffer.from(capped, "latin1"));
    }
    case "DA":
    case "DT":
      return dated(el, ctx);
    default:
      return el;
  }
}

function clean(el: Element, ctx: DeidContext): Element | null {
  if (el.items) return withItems(el, items(el.items, ctx, true));
  // Curve and overlay data cannot be reviewed automatically; a comment alone would leave a
  // broken overlay module: the whole group goes, as in the Basic Profile.
  if (isGraphicsGroup(el.tag)) return null;
  switch (el.vr) {
    case "DA":
    case "DT":
      return dated(el, ctx);
    case "TM":
      return el;
    case "AE": {
      // A device's AE title may name the site: a consistent code still tells devices apart.
      const code = base32(ctx.hasher.digest("ae", trimBytes(el.value)).subarray(0, 8));
      return withValue(el, Buffer.from(`AE${code}`, "latin1"));
    }
    case "PN":
      return dummy(el, ctx);
    case "UI":
    case "AS":
      return keep(el, ctx, true);
    default:
      if (isFreeText(el.vr)) return withValue(el, cleanText(el.value, el.vr));
      // Numbers stay; binary values (vendor blobs such as Maker Note) cannot be cleaned.
      return NUMERIC.has(el.vr) ? el : null;
  }
}

function apply(
  el: Element,
  action: Action,
  ctx: DeidContext,
  cleanContext: boolean,
): Element | null {
  switch (action) {
    case "X":
      return null;
    case "Z":
      return el.items ? withItems(el, []) : withValue(el, EMPTY);
    case "D":
      // A sequence keeps its items, each de-identified with the same rules: the content a
      // dummy would replace is exactly what those rules remove.
      return el.items ? withItems(el, items(el.items, ctx, cleanContext)) : dummy(el, ctx);
    case "U":
      return el.items ? withItems(el, items(el.items, ctx, cleanContext)) : mapUids(el, ctx, true);
    case "K":
      return keep(el, ctx, cleanContext);
    case "C":
      return clean(el, ctx);
  }
}

function items(list: Dataset[], ctx: DeidContext, cleanContext: boolean): Dataset[] {
  return list.map((item) => deidDataset(item, ctx, cleanContext));
}

/**
 * De-identifies one data set or item: each element gets its action; sequences recurse at every
 * depth with the same rules. In a sequence being cleaned (C), free text that is in neither Table
 * E.1-1 nor the safe list (e.g. Text Value of an SR content item) is cleaned instead of removed.
 */
export function deidDataset(ds: Dataset, ctx: DeidContext, cleanContext: boolean): Dataset {
  const out: Dataset = [];
  let safePrivate: Set<Element> | undefined;
  for (const el of ds) {
    const t = el.tag;
    // Group lengths would be stale and are retired; file meta is rebuilt, never copied.
    if (elementOf(t) === 0 || groupOf(t) === 0x0002) continue;
    if (isPrivate(t)) {
      if (!ctx.retainSafePrivate) continue;
      safePrivate ??= safePrivateElements(ds);
      if (safePrivate.has(el)) {
        out.push(el.items ? withItems(el, items(el.items, ctx, cleanContext)) : el);
      }
      continue;
    }
    let action = ctx.resolver.action(t);
    if (cleanContext && action !== "C" && isFreeText(el.vr) && isUnlisted(t)) action = "C";
    const result = apply(el, action, ctx, cleanContext);
    if (result) out.push(result);
  }
  return out;
}
