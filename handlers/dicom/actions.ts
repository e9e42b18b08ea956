import { shiftValues, capAge } from "./dates";
import { cleanText } from "./clean";
import { Dataset, EMPTY, Element, trimBytes } from "./dataset";
import { Hasher, base32 } from "./hasher";
import { safePrivateElements } from "./private";
import { Action, Resolver, isUnlistedText } from "./profile";
import { elementOf, groupOf, isPrivate, tagHex } from "./tags";
import { canCarryText, fitsRepertoire, fixedSize, isFreeText } from "./vr";

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

/**
 * Code sequences whose code is who someone is (Table E.1-1 D, Z or X/Z/D): a practitioner's NPI or
 * license, an institution's identifier, and in Code Meaning often the name. Where D keeps their
 * items (D, or Z or X/Z/D on a Type 1 sequence), Code Value and Code Meaning are safe text
 * everywhere else and would survive; here they are replaced.
 */
const IDENTIFYING_CODE_SEQUENCES = new Set([
  0x00401101, // Person Identification Code Sequence
  0x0040a088, // Verifying Observer Identification Code Sequence
  0x00080082, // Institution Code Sequence (kept as is under retain-institution-identity: K)
]);
const CODE_VALUE = 0x00080100;
const CODING_SCHEME_DESIGNATOR = 0x00080102;
const CODE_MEANING = 0x00080104;
const LONG_CODE_VALUE = 0x00080119;
const URN_CODE_VALUE = 0x00080120;
/** The same code in other schemes (Enhanced Code Sequence Macro): the same person again. */
const EQUIVALENT_CODE_SEQUENCE = 0x00080121;

/**
 * The value of an identifying code, replaced by one derived from it under the pseudonymization
 * key: the same code (scheme and value) gets the same dummy, so who did what stays linked within
 * an object and across objects under the same key, while the code itself is gone. Each slot keeps
 * what makes it valid: Code Value at most 16 characters (SH), Long Code Value longer than 16 (else
 * Code Value would be required instead), URN Code Value a URN.
 */
function codeValueDummy(el: Element, scheme: Buffer, ctx: DeidContext): Element {
  const d = ctx.hasher.digest("identification-code", scheme, "\0", trimBytes(el.value));
  let text: string;
  if (el.tag === CODE_VALUE) text = base32(d.subarray(0, 10));
  else if (el.tag === LONG_CODE_VALUE) text = base32(d.subarray(0, 20));
  else {
    // A UUID of RFC 9562 version 8 (custom): 122 bits of the digest.
    const u = Buffer.from(d.subarray(0, 16));
    u[6] = (u[6] & 0x0f) | 0x80;
    u[8] = (u[8] & 0x3f) | 0x80;
    const uuid = u.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
    text = `urn:uuid:${uuid}`;
  }
  return withValue(el, Buffer.from(text, "latin1"));
}

/**
 * One item of an identifying code sequence, already de-identified by the usual rules: its code
 * values and Code Meaning replaced, equivalent codes too. Coding Scheme Designator (and version)
 * stay: they say which register ("NPI"), not who; every Type 1 attribute of the Code Sequence
 * Macro the item had is still there with a valid value.
 */
function dummyCode(item: Dataset, ctx: DeidContext): Dataset {
  const scheme = trimBytes(item.find((e) => e.tag === CODING_SCHEME_DESIGNATOR)?.value ?? EMPTY);
  const out: Dataset = [];
  for (const el of item) {
    if (el.tag === EQUIVALENT_CODE_SEQUENCE && el.items) {
      const equivalents = el.items.map((i) => dummyCode(i, ctx));
      out.push(withItems(el, equivalents));
      continue;
    }
    const isValue =
      el.tag === CODE_VALUE || el.tag === LONG_CODE_VALUE || el.tag === URN_CODE_VALUE;
    if (!isValue && el.tag !== CODE_MEANING) out.push(el);
    // A code or meaning read as a sequence is no valid code: nothing of it is kept.
    else if (!el.items) out.push(isValue ? codeValueDummy(el, scheme, ctx) : dummy(el, ctx));
  }
  return out;
}

/**
 * What the engine's own removals leave (a date while dates are removed, a value that cannot be
 * shifted or that cleans to nothing): by the attribute's Type at this place, nothing (Type 3),
 * an empty value (Type 2) or a dummy (Type 1), so that the object stays valid.
 */
function gone(el: Element, ctx: DeidContext, parent: number): Element | null {
  const type = ctx.resolver.type(el.tag, parent);
  if (type === 1) return dummy(el, ctx);
  return type === 2 ? withValue(el, EMPTY) : null;
}

/** DA/DT under the date mode; a value that cannot be shifted is emptied, never kept. */
function dated(el: Element, ctx: DeidContext, parent: number): Element | null {
  if (ctx.dates === "keep") return el;
  if (ctx.dates === "remove") return gone(el, ctx, parent);
  const shifted = shiftValues(
    trimBytes(el.value).toString("latin1"),
    el.vr as "DA" | "DT",
    ctx.offsetDays,
  );
  if (shifted === null)
    return ctx.resolver.type(el.tag, parent) === 1 ? dummy(el, ctx) : withValue(el, EMPTY);
  return withValue(el, Buffer.from(shifted, "latin1"));
}

function keep(
  el: Element,
  ctx: DeidContext,
  cleanContext: boolean,
  parent: number,
): Element | null {
  if (el.items) return withItems(el, items(el.items, ctx, cleanContext, el.tag));
  // A number, date, time, age or UID with bytes its VR does not allow may be text: not kept.
  if (!fitsRepertoire(el.vr, el.value)) return gone(el, ctx, parent);
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
      return dated(el, ctx, parent);
    default:
      return el;
  }
}

/** Clean (C); a Type 1 value that cleans to nothing gets a dummy, a Type 2 one stays empty. */
function clean(el: Element, ctx: DeidContext, parent: number): Element | null {
  const out = cleaned(el, ctx, parent);
  if (out && (out.items || out.value.length > 0)) return out;
  const type = ctx.resolver.type(el.tag, parent);
  if (type === 1) return dummy(el, ctx);
  return out ?? (type === 2 ? withValue(el, EMPTY) : null);
}

function cleaned(el: Element, ctx: DeidContext, parent: number): Element | null {
  if (el.items) return withItems(el, items(el.items, ctx, true, el.tag));
  // Curve and overlay data cannot be reviewed automatically; a comment alone would leave a
  // broken overlay module: the whole group goes, as in the Basic Profile.
  if (isGraphicsGroup(el.tag)) return null;
  switch (el.vr) {
    case "DA":
    case "DT":
      return dated(el, ctx, parent);
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
      return keep(el, ctx, true, parent);
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
  parent: number,
): Element | null {
  switch (action) {
    case "X":
      return null;
    case "Z":
      return el.items ? withItems(el, []) : withValue(el, EMPTY);
    case "D": {
      if (!el.items) return dummy(el, ctx);
      // A sequence keeps its items, each de-identified with the same rules: the content a
      // dummy would replace is exactly what those rules remove, except the code itself where
      // the code is who someone is.
      const kept = items(el.items, ctx, cleanContext, el.tag);
      return withItems(
        el,
        IDENTIFYING_CODE_SEQUENCES.has(el.tag) ? kept.map((i) => dummyCode(i, ctx)) : kept,
      );
    }
    case "U":
      return el.items
        ? withItems(el, items(el.items, ctx, cleanContext, el.tag))
        : mapUids(el, ctx, true);
    case "K":
      return keep(el, ctx, cleanContext, parent);
    case "C":
      return clean(el, ctx, parent);
  }
}

/** The items of sequence `parent`, each de-identified (Types looked up under that sequence). */
function items(
  list: Dataset[],
  ctx: DeidContext,
  cleanContext: boolean,
  parent: number,
): Dataset[] {
  return list.map((item) => deidDataset(item, ctx, cleanContext, parent));
}

/**
 * De-identifies one data set or item (`parent`: the tag of the sequence holding it, 0 for the top
 * level): each element gets its action; sequences recurse at every depth with the same rules. In
 * a sequence being cleaned (C), free text that is in neither Table E.1-1 nor the safe-text list
 * (e.g. Text Value of an SR content item) is cleaned instead of removed.
 */
export function deidDataset(
  ds: Dataset,
  ctx: DeidContext,
  cleanContext: boolean,
  parent = 0,
): Dataset {
  const out: Dataset = [];
  let safePrivate: Set<Element> | undefined;
  for (const el of ds) {
    const t = el.tag;
    // Group lengths would be stale and are retired; file meta is rebuilt, never copied.
    if (elementOf(t) === 0 || groupOf(t) === 0x0002) continue;
    if (isPrivate(t)) {
      if (!ctx.retainSafePrivate) continue;
      safePrivate ??= safePrivateElements(ds);
      if (safePrivate.has(el) && fitsRepertoire(el.vr, el.value)) {
        out.push(el.items ? withItems(el, items(el.items, ctx, cleanContext, t)) : el);
      }
      continue;
    }
    let action = ctx.resolver.action(t, parent);
    // Text where the dictionary has none (a wrong explicit VR): the text rule, not retention.
    if (action === "K" && canCarryText(el.vr) && isUnlistedText(t, el.vr)) {
      action = ctx.resolver.unlistedTextAction(t, parent, el.vr);
    }
    if (cleanContext && action !== "C" && isFreeText(el.vr) && isUnlistedText(t, el.vr)) {
      action = "C";
    }
    const result = apply(el, action, ctx, cleanContext, parent);
    if (result) out.push(result);
  }
  return out;
}
