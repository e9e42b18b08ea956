/**
 * 12-Lead ECG: one multiplex group of 12 channels (leads I to V6), 500 Hz, 16-bit signed samples;
 * Waveform Identification's Type 1 dates (ContentDate, ContentTime, AcquisitionDateTime) hold
 * planted dates, so de-identification has to give them dummies rather than remove them.
 */
import { DS, IOD_SOP_CLASS, IodFile, IodObject, Shared, codeItem } from "./common";

/** Leads in channel order: MDC code (CID 3001) and label. */
export const ECG_LEADS: [code: string, meaning: string, label: string][] = [
  ["2:1", "Lead I", "I"],
  ["2:2", "Lead II", "II"],
  ["2:61", "Lead III", "III"],
  ["2:62", "Lead aVR", "aVR"],
  ["2:63", "Lead aVL", "aVL"],
  ["2:64", "Lead aVF", "aVF"],
  ["2:3", "Lead V1", "V1"],
  ["2:4", "Lead V2", "V2"],
  ["2:5", "Lead V3", "V3"],
  ["2:6", "Lead V4", "V4"],
  ["2:7", "Lead V5", "V5"],
  ["2:8", "Lead V6", "V6"],
];

export const ECG = { samples: 200, frequency: 500, sensitivity: 2.5, bitsStored: 16 };

/**
 * The samples, channel-interleaved (sample 0 of every channel, then sample 1, ...): small values
 * (|v| < 0x800), so no two bytes in a row are printable text.
 */
export function ecgSamples(): Buffer {
  const n = ECG_LEADS.length;
  const b = Buffer.alloc(ECG.samples * n * 2);
  for (let t = 0; t < ECG.samples; t++) {
    for (let c = 0; c < n; c++) {
      const beat = t % 100 < 6 ? 900 - (c % 4) * 150 : 0;
      const v = Math.round(Math.sin((t + c * 7) / 9) * 120) + beat - 60;
      b.writeInt16LE(v, (t * n + c) * 2);
    }
  }
  return b;
}

export function twelveLeadEcg(s: Shared): IodObject {
  const f = new IodFile(s, {
    key: "twelve-lead-ecg",
    iod: "12-Lead ECG",
    sopClassUid: IOD_SOP_CLASS.twelveLeadEcg,
    modality: "ECG",
    seriesIndex: 41,
  });
  f.sopCommon().patient().generalStudy().patientStudy().seriesModule().equipment();
  const d = f.ds;
  // Waveform Identification: Type 1 dates
  f.content();
  d.phi("0008002A", "AcquisitionDateTime", "DT", "datetime", f.series.acqDateTime);
  // Acquisition Context
  d.sq("00400555", "AcquisitionContextSequence");
  // Waveform
  d.sq("54000100", "WaveformSequence", (w) => {
    w.set("003A0004", "CS", "ORIGINAL").set("003A0005", "US", ECG_LEADS.length);
    w.set("003A0010", "UL", ECG.samples).set("003A001A", "DS", ECG.frequency);
    w.set("003A0020", "SH", "RHYTHM");
    w.sq(
      "003A0200",
      "ChannelDefinitionSequence",
      ...ECG_LEADS.map(([code, meaning, label], k) => (c: DS) => {
        c.set("003A0202", "IS", k + 1).set("003A0203", "SH", label);
        c.sq("003A0208", "ChannelSourceSequence", codeItem(code, "MDC", meaning));
        c.set("003A0210", "DS", ECG.sensitivity);
        c.sq("003A0211", "ChannelSensitivityUnitsSequence", codeItem("uV", "UCUM", "microvolt"));
        c.set("003A0212", "DS", 1).set("003A0213", "DS", 0).set("003A0214", "DS", 0);
        c.set("003A021A", "US", ECG.bitsStored);
        c.set("003A0220", "DS", 0.05).set("003A0221", "DS", 150);
      }),
    );
    w.set("54001004", "US", 16).set("54001006", "CS", "SS");
    w.bytes("54001010", "OW", ecgSamples());
  });
  f.privateBlock();
  return f.finish();
}
