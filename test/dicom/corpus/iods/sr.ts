/**
 * Comprehensive SR: a content tree with an observer (PNAME), findings (TEXT, NUM measurements
 * with units, CODE), an image reference, and dates; VerifyingObserverSequence and evidence.
 */
import { DS, IOD_SOP_CLASS, IodFile, IodObject, Shared, codeItem } from "./common";

type Code = [value: string, scheme: string, meaning: string];

/** The measurements (NUM items) of the report: concept, value, units. */
export const SR_MEASUREMENTS: { concept: Code; value: string; units: Code }[] = [
  { concept: ["81827009", "SCT", "Diameter"], value: "12.5", units: ["mm", "UCUM", "millimeter"] },
  {
    concept: ["42798000", "SCT", "Area"],
    value: "98.2",
    units: ["mm2", "UCUM", "square millimeter"],
  },
];

/** The coded findings (CODE items): concept name and value. */
export const SR_CODES: { concept: Code; value: Code }[] = [
  { concept: ["363698007", "SCT", "Finding Site"], value: ["39607008", "SCT", "Lung"] },
  { concept: ["121071", "DCM", "Finding"], value: ["4147007", "SCT", "Mass"] },
];

/** Concept names of the TEXT items (their values are free text with PHI). */
export const SR_TEXT_CONCEPTS: Code[] = [
  ["121071", "DCM", "Finding"],
  ["121073", "DCM", "Impression"],
];

export const SR_TITLE: Code = ["18748-4", "LN", "Diagnostic Imaging Report"];

function concept(i: DS, c: Code): void {
  i.sq("0040A043", "ConceptNameCodeSequence", codeItem(...c));
}

export function comprehensiveSr(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "comprehensive-sr",
    iod: "Comprehensive SR",
    sopClassUid: IOD_SOP_CLASS.comprehensiveSr,
    modality: "SR",
    seriesIndex: 21,
  });
  f.sopCommon().patient().generalStudy().patientStudy().seriesModule().equipment();
  const d = f.ds;
  const ct = s.uid("enhanced-ct");
  f.references.push(ct);
  // SR Document Series
  d.sq("00081111", "ReferencedPerformedProcedureStepSequence");
  // SR Document General
  f.content();
  d.set("0040A491", "CS", "COMPLETE").set("0040A493", "CS", "VERIFIED");
  d.sq("0040A073", "VerifyingObserverSequence", (v) => {
    v.phi("0040A027", "VerifyingOrganization", "LO", "text", `ZZFAKE-VERIFYING-ORG-${s.code()}`);
    v.phi("0040A030", "VerificationDateTime", "DT", "datetime", `${s.date()}${s.time()}`);
    v.phi("0040A075", "VerifyingObserverName", "PN", "name", s.name("VER"));
    v.sq("0040A088", "VerifyingObserverIdentificationCodeSequence");
  });
  d.sq("0040A078", "AuthorObserverSequence", (a) => {
    a.set("0040A084", "CS", "PSN");
    a.phi("0040A123", "PersonName", "PN", "name", s.name("AUT"));
    a.phi("00080080", "InstitutionName", "LO", "text", s.study.text.institution);
    a.sq("00401101", "PersonIdentificationCodeSequence", (c) => {
      c.phi("00080100", "CodeValue", "SH", "id", `ZZNPI${s.code(6)}`);
      c.set("00080102", "SH", "99ZZNPI").set("00080104", "LO", "Author");
    });
    a.sq("00080082", "InstitutionCodeSequence");
  });
  d.sq("0040A372", "PerformedProcedureCodeSequence");
  d.sq("0040A375", "CurrentRequestedProcedureEvidenceSequence", (ev) => {
    ev.sq("00081115", "ReferencedSeriesSequence", (se) => {
      se.sq("00081199", "ReferencedSOPSequence", (x) => {
        x.set("00081150", "UI", IOD_SOP_CLASS.enhancedCt).set("00081155", "UI", ct);
      });
      se.set("0020000E", "UI", s.seriesUid("enhanced-ct"));
    });
    ev.set("0020000D", "UI", s.study.uid);
  });
  // SR Document Content
  const mentioned = s.name("TXT");
  const finding = `ZZFAKE finding ${s.code()}: nodule seen by ${mentioned.replace("^", " ")}`;
  s.ctx.plant(
    mentioned,
    "ContentSequence (0040,A730) > ContentSequence (0040,A730) > TextValue (0040,A160) [name inside free text]",
    "name",
  );
  const impression = `ZZFAKE impression ${s.code()}`;
  d.set("0040A040", "CS", "CONTAINER");
  concept(d, SR_TITLE);
  d.set("0040A050", "CS", "SEPARATE");
  d.sq(
    "0040A730",
    "ContentSequence",
    (i) => {
      i.set("0040A010", "CS", "HAS OBS CONTEXT").set("0040A040", "CS", "PNAME");
      concept(i, ["121008", "DCM", "Person Observer Name"]);
      i.phi("0040A123", "PersonName", "PN", "name", s.name("OBS"));
    },
    (i) => {
      i.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "CONTAINER");
      concept(i, ["121070", "DCM", "Findings"]);
      i.set("0040A050", "CS", "SEPARATE");
      i.sq(
        "0040A730",
        "ContentSequence",
        (t) => {
          t.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "TEXT");
          concept(t, SR_TEXT_CONCEPTS[0] as Code);
          t.phi("0040A032", "ObservationDateTime", "DT", "datetime", `${s.date()}${s.time()}`);
          t.phi("0040A160", "TextValue", "UT", "text", finding);
        },
        ...SR_MEASUREMENTS.map((m) => (n: DS) => {
          n.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "NUM");
          concept(n, m.concept);
          n.sq("0040A300", "MeasuredValueSequence", (mv) => {
            mv.sq("004008EA", "MeasurementUnitsCodeSequence", codeItem(...m.units));
            mv.set("0040A30A", "DS", m.value);
          });
          n.sq("0040A730", "ContentSequence", (img) => {
            img.set("0040A010", "CS", "INFERRED FROM").set("0040A040", "CS", "IMAGE");
            concept(img, ["121112", "DCM", "Source of Measurement"]);
            img.sq("00081199", "ReferencedSOPSequence", (x) => {
              x.set("00081150", "UI", IOD_SOP_CLASS.enhancedCt).set("00081155", "UI", ct);
              x.set("00081160", "IS", 2);
            });
          });
        }),
        ...SR_CODES.map((c) => (k: DS) => {
          k.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "CODE");
          concept(k, c.concept);
          k.sq("0040A168", "ConceptCodeSequence", codeItem(...c.value));
        }),
        (t) => {
          t.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "DATE");
          concept(t, ["ZZ0005", "99ZZFAKE", "Date of event"]);
          t.phi("0040A121", "Date", "DA", "date", s.date());
        },
      );
    },
    (i) => {
      i.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "CONTAINER");
      concept(i, ["121072", "DCM", "Impressions"]);
      i.set("0040A050", "CS", "SEPARATE");
      i.sq("0040A730", "ContentSequence", (t) => {
        t.set("0040A010", "CS", "CONTAINS").set("0040A040", "CS", "TEXT");
        concept(t, SR_TEXT_CONCEPTS[1] as Code);
        t.phi("0040A160", "TextValue", "UT", "text", impression);
      });
    },
  );
  f.privateBlock();
  return f.finish();
}
