/**
 * The report as an OSCAL 1.1.3 Assessment Results document (--format oscal), for GRC tools that
 * read NIST's format. One result; one finding per specification, its target the specification's
 * objective (`hipaa-<citation>_obj`), satisfied or not-satisfied in OSCAL's sense, our exact
 * status kept in a prop; one observation per evidence item (EXAMINE or TEST, as the model says)
 * and per attestation (INTERVIEW); a risk per specification not satisfied; each evidence input a
 * back-matter resource with its SHA-256.
 *
 * Every uuid is a UUID v5: the document's from the report's content (the SHA-256 of its JSON
 * form), everything in it from the document's, and the tool's and the attesters' from their
 * names only (the same subject keeps its uuid across reports). The same report gives the same
 * document, byte for byte.
 *
 * Text goes where OSCAL's types allow it: single-line plain strings (props, names) are collapsed
 * to one line and trimmed; markup (titles, descriptions, remarks) is Markdown, so the report's
 * text is backslash-escaped there and cannot become HTML or a link in a viewer.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import type { CheckResult } from "../../handlers/results/result";
import { projectRoot } from "../../policies/engine/paths";
import { formatAjvError, toReportJson } from "./json";
import type {
  Attestation,
  ComplianceReport,
  EvidenceInput,
  EvidenceItem,
  EvidenceMethod,
  SpecResult,
  SpecStatus,
} from "./model";

export const OSCAL_VERSION = "1.1.3";
export const OSCAL_SCHEMA_FILE = join("compliance", "schema", "oscal-ar-1.1.3_schema.json");

/** Never change it: every uuid imgsec writes in OSCAL derives from it. */
export const IMGSEC_UUID_NAMESPACE = "80670f47-9c0a-4da4-aac1-90affb14a786";

/** The namespace of imgsec's own props (OSCAL `ns`): a URN, as imgsec owns no web domain. */
export const IMGSEC_NS = "urn:imgsec:oscal";

const HIPAA_SECURITY_RULE_URL =
  "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C";

/** RFC 9562 UUID version 5 (SHA-1 of the namespace's bytes and the name's UTF-8). */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error("uuidV5: the namespace is not a UUID");
  const b = createHash("sha1").update(ns).update(name, "utf8").digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50; // version 5
  b[8] = (b[8] & 0x3f) | 0x80; // RFC variant
  const x = b.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** OSCAL's token: a letter or _, then letters, digits, . - _ (prop names, control ids). */
const TOKEN = /^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u;

/**
 * A citation as an OSCAL control id, one to one: `164.312(a)(2)(iv)` → `hipaa-164.312-a-2-iv`,
 * `164.308(a)(1)(ii)(A)` → `hipaa-164.308-a-1-ii-A` (case kept: (a) and (A) are different levels).
 */
export function controlId(citation: string): string {
  const id = "hipaa-" + citation.replace(/\(([0-9A-Za-z]+)\)/g, "-$1");
  if (!TOKEN.test(id) || /[()]/.test(id))
    throw new Error(`toOscal: ${JSON.stringify(citation)} is not a HIPAA citation`);
  return id;
}

/** The objective a finding targets: the control id with OSCAL's `_obj` suffix. */
export const objectiveId = (citation: string) => `${controlId(citation)}_obj`;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** OSCAL's string type: one line, no leading or trailing whitespace (may come back empty). */
const line = (s: string) => s.replace(CONTROL, "").replace(/\s+/g, " ").trim();

/** Markdown's special characters escaped, so that text stays text in an OSCAL viewer. */
const escapeMarkdown = (s: string) => s.replace(/[\\`*_[\]<>#|~&]/g, "\\$&");

/** markup-line: one line of escaped text, never empty. */
const markupLine = (s: string, fallback: string) => escapeMarkdown(line(s) || fallback);

/** markup-multiline from plain text: each line escaped, line breaks kept. */
const markup = (s: string) =>
  s
    .replace(CONTROL, "")
    .split(/\r\n|\r|\n/)
    .map((l) => escapeMarkdown(l.trimEnd()))
    .join("\n")
    .trim();

/** A token made of any text: invalid characters replaced, a leading _ where needed. */
const token = (s: string) => {
  const t = s.replace(/[^\p{L}\p{N}._-]/gu, "-");
  return /^(\p{L}|_)/u.test(t) ? t : `_${t}`;
};

interface Prop {
  name: string;
  ns?: string;
  value: string;
  class?: string;
  remarks?: string;
}

/** An imgsec prop; none when the value is empty (OSCAL strings cannot be). */
function props(entries: [name: string, value: string | number | boolean | undefined][]): Prop[] {
  const out: Prop[] = [];
  for (const [name, raw] of entries) {
    const value = raw === undefined ? "" : line(String(raw));
    if (value) out.push({ name, ns: IMGSEC_NS, value });
  }
  return out;
}

/** An array member only when it has items (OSCAL arrays have minItems 1). */
const some = <T>(key: string, items: T[]): Record<string, T[]> =>
  items.length ? { [key]: items } : {};

/** A path or URL as the user gave it, as a URI reference (percent-encoded where needed). */
export function uriReference(name: string): string {
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(name);
  const encodePath = (p: string) =>
    p
      .split("/")
      .map((segment) => encodeURIComponent(segment))
      .join("/");
  if (url) return `${url[1].toLowerCase()}://${encodeURIComponent(url[2])}${encodePath(url[3])}`;
  return encodePath(name.replace(/\\/g, "/"));
}

const dateTimeOfDate = (date: string, time: string) => {
  const d = new Date(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || isNaN(d.getTime()) || !d.toISOString().startsWith(date))
    throw new Error(`toOscal: ${JSON.stringify(date)} is not a date written YYYY-MM-DD`);
  return `${date}T${time}Z`;
};

/**
 * How each status reads in OSCAL. A target is `satisfied` only when its objective is fully
 * satisfied; anything short of that (partially, not tested, not attested) is `not-satisfied`,
 * with the reason `other` where no check failed. Attested and not-applicable are satisfied by the
 * organization's answer (reason `other`: no test decided it).
 */
export const OSCAL_TARGET_STATUS: Record<
  SpecStatus,
  { state: "satisfied" | "not-satisfied"; reason: "pass" | "fail" | "other" }
> = {
  satisfied: { state: "satisfied", reason: "pass" },
  "not-satisfied": { state: "not-satisfied", reason: "fail" },
  "partially-satisfied": { state: "not-satisfied", reason: "other" },
  "not-tested": { state: "not-satisfied", reason: "other" },
  attested: { state: "satisfied", reason: "other" },
  "not-attested": { state: "not-satisfied", reason: "other" },
  "not-applicable": { state: "satisfied", reason: "other" },
};

/** An attestation decision as OSCAL's implementation status; not-reasonable has none. */
const IMPLEMENTATION_STATE: Record<Attestation["decision"], string | undefined> = {
  implemented: "implemented",
  alternative: "alternative",
  "not-applicable": "not-applicable",
  "not-reasonable": undefined,
};

/** An identifier as a Markdown code span: shown exactly, whatever it holds. */
const code = (s: string) => {
  const text = line(s) || "-";
  const fence = "`".repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length)) + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
};

const resultLine = (r: CheckResult) =>
  `- ${r.status} ${code(r.rule)} on ${code(r.resource)}` +
  (r.stack ? ` (${code(r.stack)})` : "") +
  `: ${escapeMarkdown(line(r.message))}`;

/** The report as an OSCAL 1.1.3 Assessment Results document (a JSON value). */
export function toOscal(report: ComplianceReport): object {
  const reportSha256 = createHash("sha256").update(toReportJson(report)).digest("hex");
  const documentUuid = uuidV5(IMGSEC_UUID_NAMESPACE, `assessment-results:${reportSha256}`);
  const uuid = (name: string) => uuidV5(documentUuid, name);

  // The same subject keeps its uuid in every report.
  const toolParty = uuidV5(IMGSEC_UUID_NAMESPACE, "party:imgsec");
  const toolComponent = uuidV5(IMGSEC_UUID_NAMESPACE, "component:imgsec");
  const toolPlatform = uuidV5(IMGSEC_UUID_NAMESPACE, "assessment-platform:imgsec");
  const attesterName = (a: Attestation) => line(a.attestedBy) || "unnamed";
  const attesterParty = (a: Attestation) =>
    uuidV5(IMGSEC_UUID_NAMESPACE, `party:attester:${attesterName(a)}`);
  const toolOrigin = [{ actors: [{ type: "tool", "actor-uuid": toolComponent }] }];

  const planResource = uuid("resource:assessment-plan");
  const ruleResource = uuidV5(IMGSEC_UUID_NAMESPACE, "resource:hipaa-security-rule");
  const inputResource = (id: string) => uuid(`resource:input:${id}`);
  const evidenceObservation = (id: string) => uuid(`observation:evidence:${id}`);
  const attestationObservation = (citation: string) => uuid(`observation:attestation:${citation}`);

  const inputs = new Map(report.inputs.map((i) => [i.id, i]));
  const evidence = new Map(report.evidence.map((e) => [e.id, e]));
  const attestationItem = report.evidence.find((e) => e.kind === "attestations");
  const attestationInput = report.inputs.find((i) => i.kind === "attestations");
  const specs = report.specifications;
  const attested = specs.filter(
    (s): s is SpecResult & { attestation: Attestation } => s.attestation !== undefined,
  );

  // --- metadata ----------------------------------------------------------------------------------
  const attesters = [...new Map(attested.map((s) => [attesterParty(s.attestation), s])).values()];
  const metadata = {
    title: "HIPAA Security Rule compliance report",
    published: report.generated,
    "last-modified": report.generated,
    // A report is one revision of the assessment: the moment it was generated names it.
    version: report.generated,
    "oscal-version": OSCAL_VERSION,
    props: [
      ...props([["report-schema", report.schema]]),
      {
        name: "report-sha256",
        ns: IMGSEC_NS,
        value: reportSha256,
        remarks: "SHA-256 of this report's JSON form (imgsec report --format json).",
      },
    ],
    roles: [
      {
        id: "prepared-by",
        title: "Prepared By",
        description: "Gathered the evidence, judged each specification and wrote this document.",
      },
      ...(attesters.length
        ? [
            {
              id: "attester",
              title: "Attester",
              description: "Answered for the organization what no tool can check.",
            },
          ]
        : []),
    ],
    parties: [
      {
        uuid: toolParty,
        type: "organization",
        name: "imgsec",
        remarks:
          "The imgsec toolkit, a program: OSCAL parties are persons or organizations, so it is named here as its maker would be. As the assessment tool it is the component in the result's assessment assets.",
      },
      ...attesters.map((s) => ({
        uuid: attesterParty(s.attestation),
        type: "person",
        name: attesterName(s.attestation),
        remarks: "As the organization's attestations name them (a role and a name).",
      })),
    ],
    "responsible-parties": [
      { "role-id": "prepared-by", "party-uuids": [toolParty] },
      ...(attesters.length
        ? [
            {
              "role-id": "attester",
              "party-uuids": attesters.map((s) => attesterParty(s.attestation)),
            },
          ]
        : []),
    ],
    remarks:
      "Holds no PHI: objects appear only by new UID, pseudonym, digest or dataset id; evidence inputs by the name given on the command line.",
  };

  // --- observations ------------------------------------------------------------------------------
  const evidenceObservations = report.evidence.map((e: EvidenceItem) => {
    const used = e.inputs.map((id) => inputs.get(id)).filter((i): i is EvidenceInput => !!i);
    const notPassed = e.results.filter((r) => r.status !== "PASS");
    return {
      uuid: evidenceObservation(e.id),
      title: markupLine(e.title, e.id),
      description: markup(e.summary) || escapeMarkdown(e.id),
      props: [
        ...props([
          ["evidence-id", e.id],
          ["evidence-kind", e.kind],
          ["result", e.status],
        ]),
        ...Object.entries(e.facts).flatMap(([name, value]) =>
          props([[token(name), value]]).map((p) => ({ ...p, class: "fact" })),
        ),
      ],
      methods: [e.method],
      types: ["finding"],
      origins: toolOrigin,
      ...some(
        "subjects",
        used.map((i) => ({
          "subject-uuid": inputResource(i.id),
          type: "resource",
          title: markupLine(i.name, i.id),
        })),
      ),
      ...some(
        "relevant-evidence",
        used.map((i) => ({
          href: `#${inputResource(i.id)}`,
          description: escapeMarkdown(`${line(i.name) || i.id}, SHA-256 ${i.sha256}`),
        })),
      ),
      collected: report.generated,
      ...(notPassed.length
        ? { remarks: `Results other than PASS:\n\n${notPassed.map(resultLine).join("\n")}` }
        : {}),
    };
  });

  const interview: EvidenceMethod = attestationItem?.method ?? "INTERVIEW";
  const attestationObservations = attested.map((s) => {
    const a = s.attestation;
    const text = [
      `${a.decision}: attested by ${line(a.attestedBy)} on ${a.date}, document ${line(a.document)}.`,
      a.rationale ? `Rationale: ${a.rationale}` : "",
      a.alternative ? `Alternative measure: ${a.alternative}` : "",
    ].filter(Boolean);
    return {
      uuid: attestationObservation(s.citation),
      title: markupLine(`Attestation for ${s.citation} ${s.title}`, s.citation),
      description: text.map(markup).join("\n\n"),
      props: props([
        ["citation", s.citation],
        ["decision", a.decision],
        ["document", a.document],
        ["outside-period", a.outsidePeriod ? "true" : undefined],
      ]),
      methods: [interview],
      types: ["control-objective"],
      // The interviewed person is the source of an attestation.
      origins: [{ actors: [{ type: "party", "actor-uuid": attesterParty(a) }] }],
      "relevant-evidence": [
        {
          ...(attestationInput ? { href: `#${inputResource(attestationInput.id)}` } : {}),
          description: escapeMarkdown(
            `The organization's answer for ${s.citation}, document ${line(a.document)}`,
          ),
        },
      ],
      collected: dateTimeOfDate(a.date, "00:00:00"),
    };
  });

  // --- risks and findings ------------------------------------------------------------------------
  const relatedObservations = (s: SpecResult) => {
    const ids = new Set<string>();
    for (const r of s.rules) if (evidence.has(r.evidence)) ids.add(evidenceObservation(r.evidence));
    for (const r of s.runtime)
      if (r.evidence !== undefined && evidence.has(r.evidence))
        ids.add(evidenceObservation(r.evidence));
    if (s.attestation) ids.add(attestationObservation(s.citation));
    return [...ids].map((id) => ({ "observation-uuid": id }));
  };

  const risks = specs
    .filter((s) => s.status === "not-satisfied")
    .map((s) => {
      const failing = s.rules.flatMap((r) => r.findings.filter((f) => f.status === "FAIL"));
      const runtimeFailing = s.runtime.filter((r) => r.status === "FAIL");
      const statement = [
        ...failing.map(resultLine),
        ...runtimeFailing.map(
          (r) => `- FAIL ${escapeMarkdown(r.kind)}: ${escapeMarkdown(line(r.summary))}`,
        ),
      ];
      const remediations = [...new Map(failing.map((f) => [f.rule, f])).values()];
      return {
        uuid: uuid(`risk:${s.citation}`),
        title: markupLine(`${s.citation} ${s.title} is not satisfied`, s.citation),
        description: markup(s.reason) || escapeMarkdown(s.citation),
        statement: statement.length
          ? `What failed:\n\n${statement.join("\n")}`
          : markup(s.reason) || escapeMarkdown(s.citation),
        props: props([["citation", s.citation]]),
        status: "open",
        origins: toolOrigin,
        ...some(
          "remediations",
          remediations.map((f) => ({
            uuid: uuid(`remediation:${s.citation}:${f.rule}`),
            lifecycle: "recommendation",
            title: markupLine(f.title, f.rule),
            description: markup(f.remediation) || escapeMarkdown(f.rule),
            props: props([["rule", f.rule]]),
          })),
        ),
        ...some("related-observations", relatedObservations(s)),
      };
    });

  const findings = specs.map((s) => {
    const status = OSCAL_TARGET_STATUS[s.status];
    const implementation = s.attestation && IMPLEMENTATION_STATE[s.attestation.decision];
    const remarks = [
      s.untestedRules.length
        ? `Rules no evidence given evaluated: ${s.untestedRules.map(code).join(", ")}.`
        : "",
      ...s.runtime.map(
        (r) =>
          `Runtime evidence ${escapeMarkdown(r.kind)}: ${r.status}, ${markup(line(r.summary))}`,
      ),
      s.organizationalDuty ? `Organizational duty: ${markup(s.organizationalDuty)}` : "",
      s.inquiries.length
        ? `Inquiries:\n\n${s.inquiries.map((q) => `- ${markup(line(q))}`).join("\n")}`
        : "",
    ].filter(Boolean);
    return {
      uuid: uuid(`finding:${s.citation}`),
      title: markupLine(`${s.citation} ${s.title}`, s.citation),
      description: markup(s.reason) || escapeMarkdown(s.status),
      props: props([
        ["citation", s.citation],
        ["kind", s.kind],
        ["required", s.required],
        ["standard", s.standard],
        ["needs-attestation", s.needsAttestation],
      ]),
      origins: toolOrigin,
      target: {
        type: "objective-id",
        "target-id": objectiveId(s.citation),
        title: markupLine(s.title, s.citation),
        // Our status, exactly; OSCAL's two states cannot say it.
        props: props([["status", s.status]]),
        status: {
          state: status.state,
          reason: status.reason,
          remarks: `imgsec status: ${s.status}`,
        },
        ...(implementation ? { "implementation-status": { state: implementation } } : {}),
      },
      ...some("related-observations", relatedObservations(s)),
      ...(s.status === "not-satisfied"
        ? { "related-risks": [{ "risk-uuid": uuid(`risk:${s.citation}`) }] }
        : {}),
      ...(remarks.length ? { remarks: remarks.join("\n\n") } : {}),
    };
  });

  // --- back matter -------------------------------------------------------------------------------
  const inputResources = report.inputs.map((i) => {
    const files = i.files ?? [];
    const base = uriReference(i.name).replace(/\/?$/, "/");
    const digestOf = i.files ? "folder-listing" : i.appendOnly ? "append-only-prefix" : "file";
    return {
      uuid: inputResource(i.id),
      title: markupLine(i.name, i.id),
      description: escapeMarkdown(`Evidence input ${i.id}: ${i.kind}, ${i.bytes} bytes.`),
      props: [
        { name: "type", value: "evidence" },
        ...props([
          ["input-id", i.id],
          ["evidence-kind", i.kind],
          ["bytes", i.bytes],
          ["digest-of", digestOf],
          ["files", i.files ? files.length : undefined],
        ]),
      ],
      rlinks: [
        { href: uriReference(i.name), hashes: [{ algorithm: "SHA-256", value: i.sha256 }] },
        ...files.map((f) => ({
          href: base + uriReference(f.name),
          hashes: [{ algorithm: "SHA-256", value: f.sha256 }],
        })),
      ],
      ...(digestOf === "file"
        ? {}
        : {
            remarks:
              digestOf === "folder-listing"
                ? "A folder: its SHA-256 is that of its sorted list of (relative name, SHA-256); each file read has its own link and digest."
                : `An append-only log: its SHA-256 covers its first ${i.bytes} bytes, the log as it was read.`,
          }),
    };
  });

  const plan = [
    "The assessment plan this report implies (imgsec runs no separate plan):",
    "",
    `- Scope: every standard and implementation specification of the HIPAA Security Rule, 45 CFR 164.308, 164.310, 164.312, 164.314 and 164.316 (${specs.length} specifications, imgsec's catalog compliance/hipaa-security-rule.json), each a control of this document's reviewed controls.`,
    "- Methods: TEST and EXAMINE by imgsec's verifiers (the deployment gate, audit log and package verification, the de-identification runs the audit log records); INTERVIEW for what no tool can check (the organization's attestations).",
    report.period
      ? `- Period: ${report.period.from} to ${report.period.to}, inclusive.`
      : "- Period: none given.",
    "- Evidence inputs:",
    ...report.inputs.map(
      (i) => `  - ${escapeMarkdown(i.id)} (${i.kind}): ${escapeMarkdown(line(i.name))}`,
    ),
  ];

  const backMatter = {
    resources: [
      {
        uuid: planResource,
        title: "Assessment plan implied by this report",
        description: plan.join("\n"),
        props: [{ name: "type", value: "plan" }],
      },
      {
        uuid: ruleResource,
        title: "HIPAA Security Rule, 45 CFR Part 164 Subpart C",
        description:
          "Security Standards for the Protection of Electronic Protected Health Information: the controls of this assessment.",
        props: [{ name: "type", value: "regulation" }],
        rlinks: [{ href: HIPAA_SECURITY_RULE_URL, "media-type": "text/html" }],
      },
      ...inputResources,
    ],
  };

  // --- the result --------------------------------------------------------------------------------
  const summary = report.summary;
  const result = {
    uuid: uuid("result"),
    title: report.period
      ? `HIPAA Security Rule assessment, ${report.period.from} to ${report.period.to}`
      : "HIPAA Security Rule assessment",
    description: [
      `Each of the ${specs.length} standards and implementation specifications of the Security Rule, judged by imgsec ${escapeMarkdown(line(report.tool.version))} against the evidence it gathered by running its verifiers.`,
      summary.pass
        ? "Nothing failed, and every required specification has evidence."
        : `Not passed: ${summary.failed.length} not satisfied, ${summary.requiredLacking.length} required without evidence.`,
    ].join(" "),
    start: report.period ? dateTimeOfDate(report.period.from, "00:00:00") : report.generated,
    end: report.period ? dateTimeOfDate(report.period.to, "23:59:59") : report.generated,
    props: [
      ...props([["pass", summary.pass]]),
      ...Object.entries(summary.byStatus).map(([status, n]) => ({
        name: "specifications",
        ns: IMGSEC_NS,
        class: status,
        value: String(n),
      })),
    ],
    "local-definitions": {
      "assessment-assets": {
        components: [
          {
            uuid: toolComponent,
            type: "software",
            title: "imgsec",
            description:
              "imgsec, the toolkit that ran the verifiers (deployment gate, audit log and package verification) and wrote this report.",
            props: props([["version", report.tool.version]]),
            status: { state: "operational" },
          },
        ],
        "assessment-platforms": [
          {
            uuid: toolPlatform,
            title: "imgsec report",
            "uses-components": [{ "component-uuid": toolComponent }],
          },
        ],
      },
    },
    "reviewed-controls": {
      description: "Every standard and implementation specification of the Security Rule.",
      links: [{ href: `#${ruleResource}`, rel: "reference" }],
      "control-selections": specs.map((s) => ({
        props: props([["citation", s.citation]]),
        "include-controls": [{ "control-id": controlId(s.citation) }],
      })),
    },
    ...some("observations", [...evidenceObservations, ...attestationObservations]),
    ...some("risks", risks),
    ...some("findings", findings),
    ...(report.attestationProblems.length
      ? {
          remarks: `Attestations not used:\n\n${report.attestationProblems
            .map((p) => `- ${escapeMarkdown(line(p))}`)
            .join("\n")}`,
        }
      : {}),
  };

  return {
    "assessment-results": {
      uuid: documentUuid,
      metadata,
      "import-ap": {
        href: `#${planResource}`,
        remarks: "The plan is the one this report implies: see the back-matter resource.",
      },
      results: [result],
      "back-matter": backMatter,
    },
  };
}

let validator: ValidateFunction | undefined;

function oscalSchemaValidator(): ValidateFunction {
  if (validator) return validator;
  // Loaded on first use: report runs that write no OSCAL need not pay for ajv (and the compile).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const Ajv = require("ajv").default as typeof import("ajv").default;
  const addFormats = require("ajv-formats").default as typeof import("ajv-formats").default;
  /* eslint-enable @typescript-eslint/no-require-imports */
  // NIST's schema is draft-07 and not strict-clean (unknown keywords such as the `id` and `value`
  // that wrap two property schemas, keywords without `type`): strict off. Ajv 8 refuses the
  // draft-04 keyword `id` outright; removed, it is an unknown keyword and ignored, like the
  // schema's other wrappers. Its tokens use \p{L} and \p{N}, which need the `u` flag:
  // unicodeRegExp on (ajv's default, said here on purpose).
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: true });
  ajv.removeKeyword("id");
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(join(projectRoot(), OSCAL_SCHEMA_FILE), "utf8"));
  validator = ajv.compile(schema);
  return validator;
}

/** The methods our observations use (OSCAL allows others; imgsec's model has these three). */
const METHODS = new Set<string>(["EXAMINE", "INTERVIEW", "TEST"]);
/** Members that hold uuid references (OSCAL's referential constraints, which its JSON schema cannot state). */
const REFERENCES = new Set([
  "observation-uuid",
  "risk-uuid",
  "actor-uuid",
  "subject-uuid",
  "component-uuid",
  "party-uuids",
]);

/**
 * What NIST's JSON schema does not check and imgsec's documents promise: every uuid defined
 * once, every uuid reference and `#uuid` href resolving to something defined in the document,
 * and observation methods among EXAMINE, INTERVIEW and TEST.
 */
function profileErrors(doc: unknown): string[] {
  const errors: string[] = [];
  const defined = new Set<string>();
  const references: [path: string, uuid: string][] = [];
  const walk = (value: unknown, path: string, key: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}/${i}`, key));
      return;
    }
    if (value === null || typeof value !== "object") {
      if (typeof value !== "string") return;
      if (key === "uuid") {
        if (defined.has(value)) errors.push(`${path} repeats a uuid`);
        defined.add(value);
      } else if (REFERENCES.has(key)) references.push([path, value]);
      else if (key === "href" && value.startsWith("#")) references.push([path, value.slice(1)]);
      else if (key === "methods" && !METHODS.has(value))
        errors.push(`${path} must be EXAMINE, INTERVIEW or TEST`);
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`, k);
  };
  walk(doc, "", "");
  for (const [path, uuid] of references)
    if (!defined.has(uuid)) errors.push(`${path} refers to no uuid of the document`);
  return errors;
}

/**
 * The problems of an OSCAL document, one line each; empty when it is valid against NIST's OSCAL
 * 1.1.3 Assessment Results JSON schema (shipped in compliance/schema) and keeps imgsec's promises
 * (references resolve, uuids unique, methods from the model).
 */
export function validateOscal(doc: unknown): string[] {
  const validate = oscalSchemaValidator();
  if (!validate(doc)) return (validate.errors ?? []).map(formatAjvError);
  return profileErrors(doc);
}
