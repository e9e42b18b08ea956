/**
 * Every row of the shipped profile.json, through the engine: for each row (patterns expanded to
 * one concrete tag) a CT object carrying that attribute with a plausible value of its VR is
 * de-identified with the Basic Profile, and the output must show the row's action.
 */
import type { DcmjsDataset, DcmjsElement } from "../corpus/dcmjs";
import dictionary from "../../../handlers/dicom/data/dictionary.json";
import profile from "../../../handlers/dicom/data/profile.json";
import { attributeType, typeTable } from "../../../handlers/dicom/profile";
import { bytes, deid, fakeCt, first, items, num, part10, pn, rawDict, str } from "./helpers";

type Row = { tag: string; name: string; basic: string; options: Record<string, string> };
const rows = profile.rows as Row[];
const DICT = dictionary as Record<string, string[]>;
const CT_TYPES = typeTable("ct-image");

/** One concrete tag per row: patterns take a group other than the first of the range. */
const CONCRETE: Record<string, { tag: string; dictKey: string }> = {
  "50XXXXXX": { tag: "50103000", dictKey: "50XX3000" },
  "60XX3000": { tag: "60043000", dictKey: "60XX3000" },
  "60XX4000": { tag: "60064000", dictKey: "60XX4000" },
  private: { tag: "00091010", dictKey: "" },
};

function valueFor(vr: string, i: number): DcmjsElement {
  const n = (size: number) => new Uint8Array(size).map((_, k) => (k + i) % 251 || 1);
  switch (vr) {
    case "AE":
      return str(vr, "FAKEAE");
    case "AS":
      return str(vr, "045Y");
    case "CS":
      return str(vr, "FAKECS");
    case "DA":
      return str(vr, "19010101");
    case "DS":
      return str(vr, "1.5");
    case "DT":
      return str(vr, "19010101120000");
    case "IS":
      return str(vr, "7");
    case "LO":
    case "LT":
    case "SH":
    case "ST":
    case "UC":
    case "UT":
      return str(vr, "FAKE TEXT VALUE".slice(0, vr === "SH" ? 16 : 64));
    case "PN":
      return pn("FAKE^PERSON");
    case "TM":
      return str(vr, "120000");
    case "UI":
      return str(vr, `1.2.826.0.1.3680043.10.999.7.${i}`);
    case "UR":
      return str(vr, "http://fake.invalid/x");
    case "US":
      return num(vr, 3);
    case "SQ":
      return { vr, Value: [{ "00080100": str("SH", "FAKECODE") }] };
    default:
      return bytes(vr === "OW" ? "OW" : vr, n(4));
  }
}

/**
 * The Basic Profile action once compounds resolve by the attribute's Type at the top level of a
 * CT Image (iods.json); Z on a Type 1 attribute is a dummy.
 */
function expectedAction(row: Row, tag: string): string {
  const parts = row.basic.replace("*", "").split("/");
  const type = attributeType(CT_TYPES, parseInt(tag, 16));
  let action = parts[0];
  if (parts.length > 1 && type === 2) action = parts.find((a) => a !== "X") as string;
  if (parts.length > 1 && type === 1) action = parts.find((a) => a === "D" || a === "U") as string;
  return action === "Z" && type === 1 ? "D" : action;
}

const isEmpty = (el: DcmjsElement) =>
  el.vr === "SQ" ? (el.Value ?? []).length === 0 : (el.Value ?? []).every((v) => v === "");

test("profile.json has the 621 rows of Table E.1-1", () => {
  expect(rows).toHaveLength(621);
});

describe.each(rows.map((r, i) => [r.tag, r.name, r, i] as const))("%s %s", (_t, _n, row, i) => {
  test(`Basic Profile ${row.basic}`, async () => {
    const concrete = CONCRETE[row.tag] ?? { tag: row.tag, dictKey: row.tag };
    const tag = concrete.tag;
    const vr = row.tag === "private" ? "LO" : (DICT[concrete.dictKey]?.[1] ?? "UI");
    const original = valueFor(vr, i);
    const extra: DcmjsDataset = { [tag]: original };
    if (row.tag === "private") extra["00090010"] = str("LO", "FAKE CREATOR");
    const input = part10(fakeCt(extra));
    const { out, meta, result } = await deid(input);
    const ds = rawDict(out);
    const action = expectedAction(row, tag);

    if (tag.startsWith("0002")) {
      // File meta is rebuilt: (0002,0003) carries the new SOP Instance UID.
      expect(meta.MediaStorageSOPInstanceUID).toBe(result.sopInstanceUid);
      expect(result.sopInstanceUid).toMatch(/^2\.25\./);
      return;
    }
    if (tag === "00100010" || tag === "00100020") {
      expect(first(ds, tag)).toBe(result.patientPseudonym); // Z / Z/D: a pseudonym as dummy
      return;
    }
    const el = ds[tag];
    switch (action) {
      case "X":
        expect(el).toBeUndefined();
        if (row.tag === "private") expect(ds["00090010"]).toBeUndefined();
        break;
      case "Z":
        expect(el).toBeDefined();
        expect(isEmpty(el)).toBe(true);
        break;
      case "D":
        expect(el).toBeDefined();
        expect(isEmpty(el)).toBe(false);
        if (vr === "SQ") expect(items(ds, tag).length).toBeGreaterThan(0);
        else if (vr === "UI") expect(first(ds, tag)).toMatch(/^2\.25\./);
        else if (el.Value?.[0] instanceof ArrayBuffer) {
          const before = Buffer.from(original.Value?.[0] as ArrayBuffer);
          expect(Buffer.from(el.Value[0] as ArrayBuffer).equals(before)).toBe(false);
        } else expect(JSON.stringify(el.Value)).not.toBe(JSON.stringify(original.Value));
        break;
      case "U":
        expect(first(ds, tag)).toMatch(/^2\.25\.\d+$/);
        expect(first(ds, tag)).not.toBe(first({ [tag]: original }, tag));
        break;
      default:
        throw new Error(`unexpected Basic Profile action ${action}`);
    }
  });
});
