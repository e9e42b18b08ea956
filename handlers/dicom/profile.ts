import iodsJson from "./data/iods.json";
import profileJson from "./data/profile.json";
import safeTextJson from "./data/safe-text.json";
import { dictionaryVr, tagOfKeyword } from "./dictionary";
import type { OptionName } from "./options";
import { elementOf, groupOf } from "./tags";
import { canCarryText, isFreeText } from "./vr";

/** Table E.1-1 actions once compound codes are resolved. */
export type Action = "X" | "Z" | "D" | "K" | "C" | "U";

export interface ProfileRow {
  tag: string;
  name: string;
  basic: string;
  options: Partial<Record<OptionName, string>>;
}

interface Table {
  exact: Map<number, ProfileRow>;
  curve?: ProfileRow;
  overlayData?: ProfileRow;
  overlayComments?: ProfileRow;
  /** Reviewed non-identifying text attributes outside the Table (safe-text.json). */
  safeText: Set<number>;
}

let table: Table | undefined;

function keywordTag(keyword: string): number {
  const t = tagOfKeyword(keyword);
  // The data test keeps the lists to known keywords; a typo must not silently widen anything.
  if (t === undefined) throw new Error(`unknown keyword in safe-text.json: ${keyword}`);
  return t;
}

function load(): Table {
  if (table) return table;
  const t: Table = { exact: new Map(), safeText: new Set() };
  for (const row of profileJson.rows as ProfileRow[]) {
    if (row.tag === "50XXXXXX") t.curve = row;
    else if (row.tag === "60XX3000") t.overlayData = row;
    else if (row.tag === "60XX4000") t.overlayComments = row;
    else if (/^[0-9A-F]{8}$/.test(row.tag)) t.exact.set(parseInt(row.tag, 16), row);
    // "private" is handled by the private-attribute rules (safe-private.json), not per tag.
  }
  // Attributes outside the Table that take the row of the analogous attribute it names.
  for (const [keyword, analog] of Object.entries(safeTextJson.sameAs.rows)) {
    const row = t.exact.get(keywordTag(analog));
    if (!row) throw new Error(`safe-text.json: ${analog} is not in Table E.1-1`);
    t.exact.set(keywordTag(keyword), row);
  }
  for (const group of safeTextJson.safe) {
    for (const k of group.keywords) t.safeText.add(keywordTag(k));
  }
  table = t;
  return t;
}

const isOverlayGroup = (t: number): boolean => (groupOf(t) & 0xff01) === 0x6000;

/** The Table E.1-1 row for a standard tag, repeating groups (50xx, 60xx) included. */
export function tableRow(t: number): ProfileRow | undefined {
  const tb = load();
  const row = tb.exact.get(t);
  if (row) return row;
  const group = groupOf(t);
  if ((group & 0xff01) === 0x5000) return tb.curve;
  if (isOverlayGroup(t)) {
    if (elementOf(t) === 0x3000) return tb.overlayData;
    if (elementOf(t) === 0x4000) return tb.overlayComments;
  }
  return undefined;
}

/** On the reviewed list of non-identifying text attributes (data/safe-text.json). */
export const isSafeText = (t: number): boolean => load().safeText.has(t);

/**
 * Outside Table E.1-1, a VR that can carry free text (by the dictionary, or `vr` as read), and
 * not on the reviewed safe-text list: removed, emptied or dummied by Type, or cleaned.
 */
export function isUnlistedText(t: number, vr?: string): boolean {
  if (tableRow(t) || isSafeText(t)) return false;
  const known = dictionaryVr(t);
  return (known !== undefined && canCarryText(known)) || (vr !== undefined && canCarryText(vr));
}

// ---------------------------------------------------------------------------------------------
// Attribute Types per IOD (data/iods.json, converted from PS3.3)

export type AttrType = 1 | 2 | 3;
/** Parent sequence tag (0: the top level) -> tag -> Type 1 or 2; absent means Type 3. */
export type TypeTable = Map<number, Map<number, 1 | 2>>;

const SOPS = iodsJson.sops as Record<string, string>;
const IODS = iodsJson.iods as Record<string, string[]>;
const TABLES = iodsJson.tables as Record<string, string>;
const SETS = iodsJson.sets as string[];

/**
 * "tag=type ..." and "parent=set ..." as pairs of numbers. Repeating-group tags (60XX0010: the
 * overlay planes) are left out: overlay groups are removed whole, whatever their Types.
 */
const pairs = (s: string): [number, number][] => {
  const out: [number, number][] = [];
  for (const p of s.split(" ")) {
    const [a, b] = p.split("=");
    if (/^[0-9A-F]+$/.test(a)) out.push([parseInt(a, 16), Number(b)]);
  }
  return out;
};

// Each set's pairs, parsed once: many tables share a set (ANY_IOD merges every table).
const setPairs = new Map<number, [number, number][]>();
function pairsOfSet(set: number): [number, number][] {
  let p = setPairs.get(set);
  if (!p) setPairs.set(set, (p = pairs(SETS[set])));
  return p;
}

function merge(into: TypeTable, tableIds: Iterable<string>): TypeTable {
  for (const id of tableIds) {
    for (const [parent, set] of pairs(own(TABLES, id) ? TABLES[id] : "")) {
      let children = into.get(parent);
      if (!children) into.set(parent, (children = new Map()));
      for (const [t, type] of pairsOfSet(set)) {
        const had = children.get(t);
        if (had === undefined || type < had) children.set(t, type as 1 | 2);
      }
    }
  }
  return into;
}

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The IOD (iods.json) of a SOP class, or undefined when PS3.3 as converted does not know it. */
export const iodOf = (sopClassUid: string): string | undefined =>
  own(SOPS, sopClassUid) ? SOPS[sopClassUid] : undefined;

/** The IOD an unknown SOP class is resolved as: the most demanding Type over every IOD. */
export const ANY_IOD = "*";
const typeTables = new Map<string, TypeTable>();

/** Types of one IOD, built on first use; ANY_IOD (or an unknown IOD) merges every IOD's. */
export function typeTable(iod: string): TypeTable {
  const key = own(IODS, iod) ? iod : ANY_IOD;
  let tt = typeTables.get(key);
  if (!tt) {
    tt = merge(new Map(), key === ANY_IOD ? Object.keys(TABLES) : IODS[key]);
    typeTables.set(key, tt);
  }
  return tt;
}

/** Type of `t` as a child of sequence `parent` (0: top level) in a type table; 3 if not listed. */
export const attributeType = (types: TypeTable, t: number, parent = 0): AttrType =>
  types.get(parent)?.get(t) ?? 3;

// ---------------------------------------------------------------------------------------------
// Actions

/**
 * X/Z, X/D, Z/D, X/Z/D, X/Z/U*: the first action for a Type 3 attribute, the first that keeps
 * the attribute for Type 2, the first that keeps a value (D or U) for Type 1.
 *
 * X/Z/U* (Referenced Image Sequence, Source Image Sequence) keeps its references with new UIDs
 * (U) for Type 2 as well as Type 1: "Z or U as required to maintain IOD conformance", and an
 * emptied reference breaks the conditions that tie it to the rest of the object (e.g. the
 * Common Instance Reference module's Referenced Series Sequence, "required if this Instance
 * references Instances", dciodvfy: "present but Instance does not reference Instances"). The
 * items hold nothing but references, each UID replaced as Table E.1-1 replaces the instance's
 * own.
 */
export function resolveCompound(code: string, type: AttrType): Action {
  const parts = code.replace("*", "").split("/") as Action[];
  if (parts.length === 1 || type === 3) return parts[0];
  if (code === "X/Z/U*") return "U";
  const keep =
    type === 2 ? parts.find((a) => a !== "X") : parts.find((a) => a === "D" || a === "U");
  return keep ?? parts[parts.length - 1];
}

/** What removal means for an attribute of this Type: gone, present and empty, or a dummy. */
const byType = (type: AttrType): Action => (type === 1 ? "D" : type === 2 ? "Z" : "X");

/** How much an action takes away; the largest wins when several options name an attribute. */
const RANK: Record<Action, number> = { X: 5, Z: 4, D: 3, C: 2, U: 1, K: 0 };

const DATE_OPTIONS: readonly OptionName[] = [
  "retain-longitudinal-full-dates",
  "retain-longitudinal-modified-dates",
];

/**
 * Action per standard tag, in the context of its parent sequence, for one set of options and
 * one IOD; cached.
 *
 * Table E.1-1 rows: an enabled option overrides the Basic Profile (PS3.15 E.1.1). When a row
 * names several concerns (e.g. Date of Last Detector Calibration: device identity, and dates),
 * each concern votes with its option's action when that option is on and with the Basic
 * Profile's action when it is off, and the vote that takes away most wins: an attribute is only
 * kept as far as every concern it touches allows. The two date options are one concern (they
 * exclude each other). Compound codes resolve by the attribute's Type in the IOD at that place;
 * Z on a Type 1 attribute is a dummy (Z allows one, and an empty Type 1 value is invalid).
 *
 * Standard attributes the Table does not name are kept (retention by rule), except: free-text
 * VRs not on the safe-text list (removed, emptied or dummied by Type; cleaned under
 * clean-descriptors), DA and DT while dates are removed (removed, emptied or dummied by Type),
 * overlay groups (60xx: they go with their Overlay Data) and tags the dictionary does not know.
 */
export class Resolver {
  private readonly cache = new Map<number, Map<number, Action>>();
  private readonly datesRemoved: boolean;
  private table: TypeTable | undefined;

  /** `types`: the IOD's type table, or how to build it (on first use: see resolverFor). */
  constructor(
    private readonly options: ReadonlySet<OptionName>,
    private readonly types: TypeTable | (() => TypeTable),
  ) {
    this.datesRemoved = !DATE_OPTIONS.some((o) => options.has(o));
  }

  /** Type of `t` under `parent` (0: top level) in this resolver's IOD. */
  type(t: number, parent = 0): AttrType {
    const types = this.types;
    this.table ??= typeof types === "function" ? types() : types;
    return attributeType(this.table, t, parent);
  }

  action(t: number, parent = 0): Action {
    let byParent = this.cache.get(parent);
    if (!byParent) this.cache.set(parent, (byParent = new Map()));
    let a = byParent.get(t);
    if (a === undefined) {
      a = this.compute(t, parent);
      byParent.set(t, a);
    }
    return a;
  }

  /**
   * Text outside the Table and the safe list: cleaned under clean-descriptors when `vr` is text
   * the Clean action can filter (not PN, UR or UN), else removed, emptied or dummied by Type.
   */
  unlistedTextAction(t: number, parent: number, vr: string): Action {
    return this.options.has("clean-descriptors") && isFreeText(vr)
      ? "C"
      : byType(this.type(t, parent));
  }

  private compute(t: number, parent: number): Action {
    const row = tableRow(t);
    const type = this.type(t, parent);
    if (!row) return this.unlisted(t, parent, type);
    const basic = resolveCompound(row.basic, type);
    let result: Action | undefined;
    let datesVoted = false;
    for (const [option, action] of Object.entries(row.options) as [OptionName, string][]) {
      let vote: Action;
      if (DATE_OPTIONS.includes(option)) {
        if (datesVoted) continue;
        datesVoted = true;
        const on = DATE_OPTIONS.find((o) => this.options.has(o));
        vote = on && row.options[on] ? resolveCompound(row.options[on], type) : basic;
      } else {
        vote = this.options.has(option) ? resolveCompound(action, type) : basic;
      }
      if (result === undefined || RANK[vote] > RANK[result]) result = vote;
    }
    const a = result ?? basic;
    return a === "Z" && type === 1 ? "D" : a;
  }

  private unlisted(t: number, parent: number, type: AttrType): Action {
    const vr = dictionaryVr(t);
    // Not a standard attribute as far as the dictionary knows: nothing says it is safe.
    if (vr === undefined) return byType(type);
    // Overlay Rows, Columns, Type...: without their Overlay Data (removed, or C, which cannot
    // clean a bitmap) they would be a broken overlay plane.
    if (isOverlayGroup(t)) return "X";
    if (canCarryText(vr) && !isSafeText(t)) return this.unlistedTextAction(t, parent, vr);
    if ((vr === "DA" || vr === "DT") && this.datesRemoved) return byType(type);
    return "K";
  }
}

const resolvers = new Map<string, Resolver>();

/** One Resolver per option set and IOD, shared by every file that has them. */
export function resolverFor(options: ReadonlySet<OptionName>, sopClassUid: string): Resolver {
  const iod = iodOf(sopClassUid) ?? ANY_IOD;
  const key = `${[...options].sort().join(",")}|${iod}`;
  let r = resolvers.get(key);
  if (!r) {
    // The table is built when a Type is first asked for: the top-level resolver of the scan
    // (every IOD merged) is needed only for elements after the pixel data, which most files lack.
    r = new Resolver(options, () => typeTable(iod));
    resolvers.set(key, r);
  }
  return r;
}
