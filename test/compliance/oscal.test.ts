/**
 * The OSCAL Assessment Results output, validated against NIST's OSCAL 1.1.3 JSON schema (the copy
 * the project ships, checked against ../shared by test/reference.test.ts) and read back against
 * the report it came from.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import {
  IMGSEC_NS,
  OSCAL_SCHEMA_FILE,
  OSCAL_TARGET_STATUS,
  controlId,
  objectiveId,
  toOscal,
  uriReference,
  uuidV5,
  validateOscal,
} from "../../compliance/report/oscal";
import { toReportJson } from "../../compliance/report/json";
import type { ComplianceReport } from "../../compliance/report/model";
import { ROOT } from "../helpers/cli";
import { sampleReport } from "./fixture";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The options NIST's draft-07 schema needs: strict off (it has unknown keywords, among them the
// draft-04 `id` that ajv 8 refuses unless removed), unicodeRegExp on (its token pattern uses
// \p{L} and \p{N}), every error listed, and ajv-formats for uri, uri-reference and date-time.
const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: true });
ajv.removeKeyword("id");
addFormats(ajv);
const validateSchema = ajv.compile(JSON.parse(readFileSync(join(ROOT, OSCAL_SCHEMA_FILE), "utf8")));
const schemaErrors = (doc: unknown) =>
  validateSchema(doc)
    ? []
    : validateSchema.errors!.map((e) => `${e.instancePath} ${e.message}`).slice(0, 20);

/** Any namespace will do for references that must resolve to nothing. */
const UUID_NS = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
const UUID =
  /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$/;

/** toOscal's document as a parsed JSON value (what a GRC tool reads). */
const oscalOf = (report: ComplianceReport): Json => JSON.parse(JSON.stringify(toOscal(report)));
const prop = (o: Json, name: string) =>
  (o.props ?? []).find((p: Json) => p.name === name && p.ns === IMGSEC_NS)?.value;

/** Every value under `key` anywhere in the document. */
function collect(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((v) => collect(v, key, out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      collect(v, key, out);
    }
  return out;
}

const report = sampleReport();
const doc = oscalOf(report);
const ar = doc["assessment-results"];
const result = ar.results[0];

describe("OSCAL Assessment Results", () => {
  test("valid against NIST's OSCAL 1.1.3 schema, and against imgsec's own checks", () => {
    expect(schemaErrors(doc)).toEqual([]);
    expect(validateOscal(doc)).toEqual([]);
    expect(ar.metadata["oscal-version"]).toBe("1.1.3");
  });

  const refused: [string, (d: Json) => void][] = [
    ["a bad uuid", (d) => (d["assessment-results"].uuid = "not-a-uuid")],
    [
      "a version 1 uuid",
      (d) => (d["assessment-results"].results[0].uuid = "c232ab00-9414-11ec-b3c8-9e6bdeced846"),
    ],
    ["no import-ap", (d) => delete d["assessment-results"]["import-ap"]],
    [
      "a target state OSCAL does not have",
      (d) =>
        (d["assessment-results"].results[0].findings[0].target.status.state =
          "partially-satisfied"),
    ],
    [
      "an empty methods list",
      (d) => (d["assessment-results"].results[0].observations[0].methods = []),
    ],
    [
      "a method with a trailing space",
      (d) => (d["assessment-results"].results[0].observations[0].methods = ["TEST "]),
    ],
    [
      "a prop name that is not a token",
      (d) => (d["assessment-results"].results[0].findings[0].props[0].name = "the citation"),
    ],
    [
      "a prop ns that is not a URI",
      (d) => (d["assessment-results"].metadata.props[0].ns = "imgsec"),
    ],
    [
      "a title on two lines",
      (d) => (d["assessment-results"].results[0].findings[0].title = "one\ntwo"),
    ],
    [
      "a prop value with leading whitespace",
      (d) => (d["assessment-results"].results[0].findings[0].props[0].value = " 164.308(a)(1)(i)"),
    ],
    ["an unknown member", (d) => (d["assessment-results"].results[0].verdict = "PASS")],
  ];
  test.each(refused)("NIST's schema refuses %s", (_name, change) => {
    const mutated = oscalOf(report);
    change(mutated);
    expect(schemaErrors(mutated).length).toBeGreaterThan(0);
    expect(validateOscal(mutated).length).toBeGreaterThan(0);
  });

  test("an unknown method passes NIST's schema (OSCAL allows others) and is refused by ours", () => {
    const mutated = oscalOf(report);
    mutated["assessment-results"].results[0].observations[0].methods = ["SNIFF"];
    expect(schemaErrors(mutated)).toEqual([]);
    expect(validateOscal(mutated)).toEqual([
      "/assessment-results/results/0/observations/0/methods/0 must be EXAMINE, INTERVIEW or TEST",
    ]);
  });

  test("a reference to nothing, and a uuid used twice, are refused", () => {
    const mutated = oscalOf(report);
    const findings = mutated["assessment-results"].results[0].findings;
    findings[0]["related-observations"][0]["observation-uuid"] = uuidV5(UUID_NS, "nothing");
    findings[2].uuid = findings[1].uuid;
    mutated["assessment-results"]["import-ap"].href = "#" + uuidV5(UUID_NS, "no plan");
    expect(validateOscal(mutated).sort()).toEqual([
      "/assessment-results/import-ap/href refers to no uuid of the document",
      "/assessment-results/results/0/findings/0/related-observations/0/observation-uuid refers to no uuid of the document",
      "/assessment-results/results/0/findings/2/uuid repeats a uuid",
    ]);
  });

  test("import-ap points at the back-matter resource that describes the implied plan", () => {
    const href: string = ar["import-ap"].href;
    expect(href).toMatch(/^#/);
    const plan = ar["back-matter"].resources.find((r: Json) => `#${r.uuid}` === href);
    expect(plan.props).toContainEqual({ name: "type", value: "plan" });
    for (const i of report.inputs) expect(plan.description).toContain(i.id);
    expect(plan.description).toContain(`${report.specifications.length} specifications`);
  });

  test("every specification has exactly one finding, with OSCAL's state and our exact status", () => {
    expect(result.findings).toHaveLength(report.specifications.length);
    for (const s of report.specifications) {
      const mine = result.findings.filter((f: Json) => prop(f, "citation") === s.citation);
      expect(mine).toHaveLength(1);
      const [f] = mine;
      expect(f.target.type).toBe("objective-id");
      expect(f.target["target-id"]).toBe(objectiveId(s.citation));
      expect(f.target.status.state).toBe(OSCAL_TARGET_STATUS[s.status].state);
      expect(prop(f.target, "status")).toBe(s.status);
      // Nothing short of satisfied (or the organization's answer) reads as satisfied.
      expect(f.target.status.state === "satisfied").toBe(
        ["satisfied", "attested", "not-applicable"].includes(s.status),
      );
      if (s.status === "not-satisfied") {
        const risk = result.risks.find((r: Json) => r.uuid === f["related-risks"][0]["risk-uuid"]);
        expect(risk.status).toBe("open");
        for (const finding of s.rules.flatMap((r) => r.findings.filter((x) => x.status === "FAIL")))
          expect(risk.statement).toContain(`\`${finding.resource}\``);
      } else expect(f["related-risks"]).toBeUndefined();
    }
    expect(result.risks).toHaveLength(
      report.specifications.filter((s) => s.status === "not-satisfied").length,
    );
  });

  test("reviewed controls: every citation as a control id, the exact citation kept in a prop", () => {
    const selections = result["reviewed-controls"]["control-selections"];
    expect(selections.map((c: Json) => prop(c, "citation"))).toEqual(
      report.specifications.map((s) => s.citation),
    );
    for (const c of selections)
      expect(c["include-controls"]).toEqual([{ "control-id": controlId(prop(c, "citation")) }]);
  });

  test("citations map one to one onto OSCAL tokens", () => {
    expect(controlId("164.312(a)(2)(iv)")).toBe("hipaa-164.312-a-2-iv");
    expect(controlId("164.308(a)(1)(ii)(A)")).toBe("hipaa-164.308-a-1-ii-A");
    expect(objectiveId("164.312(b)")).toBe("hipaa-164.312-b_obj");
    const ids = report.specifications.map((s) => controlId(s.citation));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u);
    expect(() => controlId("164.312(a) (1)")).toThrow(/is not a HIPAA citation/);
  });

  test("every evidence input is a back-matter resource with its SHA-256, files included", () => {
    const resources = ar["back-matter"].resources;
    for (const input of report.inputs) {
      const r = resources.find((x: Json) => prop(x, "input-id") === input.id);
      expect(r.rlinks[0]).toEqual({
        href: input.name,
        hashes: [{ algorithm: "SHA-256", value: input.sha256 }],
      });
      for (const f of input.files ?? [])
        expect(r.rlinks).toContainEqual({
          href: `${input.name}/${f.name}`,
          hashes: [{ algorithm: "SHA-256", value: f.sha256 }],
        });
      expect(r.rlinks).toHaveLength(1 + (input.files?.length ?? 0));
    }
  });

  test("observations: one per evidence item and per attestation, methods as the model says", () => {
    const attested = report.specifications.filter((s) => s.attestation);
    expect(result.observations).toHaveLength(report.evidence.length + attested.length);
    for (const e of report.evidence) {
      const [o] = result.observations.filter((x: Json) => prop(x, "evidence-id") === e.id);
      expect(o.methods).toEqual([e.method]);
      expect(o.types).toEqual(["finding"]);
      expect(o.collected).toBe(report.generated);
      // Its subjects and evidence are the inputs it was made from, as back-matter resources.
      const inputs = o.subjects.map(
        (s: Json) =>
          ar["back-matter"].resources.find((r: Json) => r.uuid === s["subject-uuid"]).title,
      );
      expect(inputs).toEqual(e.inputs.map((id) => report.inputs.find((i) => i.id === id)!.name));
    }
    const method = report.evidence.find((e) => e.kind === "attestations")!.method;
    for (const s of attested) {
      const [o] = result.observations.filter(
        (x: Json) => prop(x, "citation") === s.citation && prop(x, "decision"),
      );
      expect(o.methods).toEqual([method]);
      expect(o.methods).toEqual(["INTERVIEW"]);
      expect(prop(o, "decision")).toBe(s.attestation!.decision);
      expect(o.collected).toBe(`${s.attestation!.date}T00:00:00Z`);
      const party = ar.metadata.parties.find(
        (p: Json) => p.uuid === o.origins[0].actors[0]["actor-uuid"],
      );
      expect(party.name).toBe(s.attestation!.attestedBy);
      // The finding of that specification relates the attestation.
      const f = result.findings.find((x: Json) => prop(x, "citation") === s.citation);
      expect(f["related-observations"]).toContainEqual({ "observation-uuid": o.uuid });
    }
  });

  test("every uuid is an OSCAL uuid, defined once", () => {
    const uuids = collect(doc, "uuid") as string[];
    expect(uuids.length).toBeGreaterThan(
      result.findings.length +
        result.observations.length +
        result.risks.length +
        ar["back-matter"].resources.length,
    );
    for (const u of uuids) expect(u).toMatch(UUID);
    expect(new Set(uuids).size).toBe(uuids.length);
  });

  test("deterministic: the same report, the same document; another report, another uuid", () => {
    expect(JSON.stringify(toOscal(sampleReport()))).toBe(JSON.stringify(toOscal(report)));
    const other = sampleReport();
    other.specifications[0].reason = "another reason";
    const changed = oscalOf(other)["assessment-results"];
    expect(changed.uuid).not.toBe(ar.uuid);
    // The tool is the same subject in every report.
    expect(changed.metadata.parties[0].uuid).toBe(ar.metadata.parties[0].uuid);
    // It names the JSON report it renders, by the SHA-256 of that file's bytes.
    expect(ar.metadata.props).toContainEqual(
      expect.objectContaining({
        name: "report-sha256",
        ns: IMGSEC_NS,
        value: createHash("sha256").update(toReportJson(report)).digest("hex"),
      }),
    );
  });

  test("the report's text stays text: Markdown and HTML escaped in markup fields", () => {
    const markup = ["title", "description", "remarks", "statement"].flatMap(
      (k) => collect(doc, k).filter((v) => typeof v === "string") as string[],
    );
    const hostile = markup.filter((t) => t.includes("script"));
    expect(hostile.length).toBeGreaterThan(0);
    for (const t of markup) {
      // Outside code spans, no < > & [ ] * unescaped.
      const prose = t.replace(/(`+)[^`]*?\1/g, "");
      expect({ t, raw: /(^|[^\\])[<>&[\]*]/.test(prose) }).toEqual({ t, raw: false });
    }
    // Plain strings (names, props) carry no line break and no outer whitespace.
    for (const v of [...collect(doc, "name"), ...collect(doc, "value")])
      if (typeof v === "string") expect(v).toMatch(/^\S(.*\S)?$/);
  });

  test("text that OSCAL strings cannot hold is made to fit", () => {
    const odd = sampleReport();
    odd.inputs[1].name = "audit logs/2026 Q1 #1.jsonl";
    odd.evidence[0].title = "  spaced\n title  ";
    const s = odd.specifications.find((x) => x.attestation)!;
    s.attestation!.attestedBy = " CISO\nJane Roe ";
    s.attestation!.document = "POL\t7";
    const d = oscalOf(odd);
    expect(validateOscal(d)).toEqual([]);
    const a = d["assessment-results"];
    expect(a.metadata.parties.map((p: Json) => p.name)).toContain("CISO Jane Roe");
    expect(a.results[0].observations[0].title).toBe("spaced title");
    expect(
      a["back-matter"].resources.find((r: Json) => prop(r, "input-id") === "audit-log").rlinks[0]
        .href,
    ).toBe("audit%20logs/2026%20Q1%20%231.jsonl");
  });

  test("uuidV5 is RFC 9562's version 5", () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
    expect(() => uuidV5("not-a-uuid", "x")).toThrow(/not a UUID/);
  });

  test("uriReference", () => {
    expect(uriReference("cdktf.out")).toBe("cdktf.out");
    expect(uriReference("/srv/a b/c.json")).toBe("/srv/a%20b/c.json");
    expect(uriReference("s3://audit-bucket/audit/")).toBe("s3://audit-bucket/audit/");
    expect(uriReference("C:x")).toBe("C%3Ax"); // never read as a scheme
  });
});
