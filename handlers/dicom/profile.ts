import iodTypesJson from "./data/iod-types.json";
import profileJson from "./data/profile.json";
import safeAttributesJson from "./data/safe-attributes.json";
import { tagOfKeyword } from "./dictionary";
import type { OptionName } from "./options";
import { elementOf, groupOf } from "./tags";

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
  safe: Set<number>;
}

let table: Table | undefined;

function load(): Table {
  if (table) return table;
  const t: Table = { exact: new Map(), safe: new Set() };
  for (const row of profileJson.rows as ProfileRow[]) {
    if (row.tag === "50XXXXXX") t.curve = row;
    else if (row.tag === "60XX3000") t.overlayData = row;
    else if (row.tag === "60XX4000") t.overlayComments = row;
    else if (/^[0-9A-F]{8}$/.test(row.tag)) t.exact.set(parseInt(row.tag, 16), row);
    // "private" is handled by the private-attribute rules (safe-private.json), not per tag.
  }
  for (const keywords of Object.values(safeAttributesJson.modules)) {
    for (const k of keywords) {
      const tagNumber = tagOfKeyword(k);
      if (tagNumber !== undefined) t.safe.add(tagNumber);
    }
  }
  table = t;
  return t;
}

/** The Table E.1-1 row for a standard tag, repeating groups (50xx, 60xx) included. */
export function tableRow(t: number): ProfileRow | undefined {
  const tb = load();
  const row = tb.exact.get(t);
  if (row) return row;
  const group = groupOf(t);
  if ((group & 0xff01) === 0x5000) return tb.curve;
  if ((group & 0xff01) === 0x6000) {
    if (elementOf(t) === 0x3000) return tb.overlayData;
    if (elementOf(t) === 0x4000) return tb.overlayComments;
  }
  return undefined;
}

export const isSafeAttribute = (t: number): boolean => load().safe.has(t);

/** Neither in Table E.1-1 nor on the safe list: removed (or emptied / dummied if its Type says). */
export const isUnlisted = (t: number): boolean => !tableRow(t) && !isSafeAttribute(t);

type AttrType = 1 | 2 | 3;
interface TypeEntry {
  [family: string]: string;
}
const TYPES = iodTypesJson.types as Record<string, TypeEntry>;
const FAMILIES = iodTypesJson.families as Record<string, string[]>;

/** The iod-types.json families a SOP class belongs to. */
export function familiesOf(sopClassUid: string): string[] {
  const out: string[] = [];
  for (const [family, uids] of Object.entries(FAMILIES)) {
    if (uids.some((u) => sopClassUid === u || sopClassUid.startsWith(`${u}.`))) out.push(family);
  }
  return out;
}

/** The most demanding Type among the default and the object's families; 3 when not listed. */
export function attributeType(t: number, families: readonly string[]): AttrType {
  const entry = TYPES[t.toString(16).toUpperCase().padStart(8, "0")];
  if (!entry) return 3;
  let type = Number(entry.default ?? 3);
  for (const f of families) if (entry[f] !== undefined) type = Math.min(type, Number(entry[f]));
  return type as AttrType;
}

/**
 * X/Z, X/D, Z/D, X/Z/D, X/Z/U*: the first action for a Type 3 attribute, the first that keeps
 * the attribute for Type 2, the first that keeps a value (D or U) for Type 1.
 */
export function resolveCompound(code: string, type: AttrType): Action {
  const parts = code.replace("*", "").split("/") as Action[];
  if (parts.length === 1 || type === 3) return parts[0];
  const keep =
    type === 2 ? parts.find((a) => a !== "X") : parts.find((a) => a === "D" || a === "U");
  return keep ?? parts[parts.length - 1];
}

/** How much an action takes away; the largest wins when several options name an attribute. */
const RANK: Record<Action, number> = { X: 5, Z: 4, D: 3, C: 2, U: 1, K: 0 };

const DATE_OPTIONS: readonly OptionName[] = [
  "retain-longitudinal-full-dates",
  "retain-longitudinal-modified-dates",
];

/**
 * Action per standard tag for one set of options and one SOP class, cached.
 *
 * Precedence: an enabled option overrides the Basic Profile (PS3.15 E.1.1). When a row names
 * several concerns (e.g. Date of Last Detector Calibration: device identity, and dates), each
 * concern votes with its option's action when that option is on and with the Basic Profile's
 * action when it is off, and the vote that takes away most wins: an attribute is only kept as far
 * as every concern it touches allows. The two date options are one concern (they exclude each
 * other).
 */
export class Resolver {
  private readonly cache = new Map<number, Action>();

  constructor(
    private readonly options: ReadonlySet<OptionName>,
    private readonly families: readonly string[],
  ) {}

  action(t: number): Action {
    let a = this.cache.get(t);
    if (a === undefined) {
      a = this.compute(t);
      this.cache.set(t, a);
    }
    return a;
  }

  private compute(t: number): Action {
    const row = tableRow(t);
    const type = attributeType(t, this.families);
    if (!row) {
      if (isSafeAttribute(t)) return "K";
      return type === 1 ? "D" : type === 2 ? "Z" : "X";
    }
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
    return result ?? basic;
  }
}

const resolvers = new Map<string, Resolver>();

/** One Resolver per option set and SOP-class family set, shared by every file that has them. */
export function resolverFor(options: ReadonlySet<OptionName>, sopClassUid: string): Resolver {
  const families = familiesOf(sopClassUid);
  const key = `${[...options].sort().join(",")}|${families.join(",")}`;
  let r = resolvers.get(key);
  if (!r) {
    r = new Resolver(options, families);
    resolvers.set(key, r);
  }
  return r;
}
