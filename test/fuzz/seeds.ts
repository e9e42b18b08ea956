/**
 * The fuzzers' seed corpus, generated at run time from the project's own synthetic generators
 * (test/dicom/corpus: obviously fake PHI, never real data) into a git-ignored folder. Nothing
 * binary is committed. Deterministic: the same files every time.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  generateCorpus,
  generateCtSeries,
  generateMultiframe,
  generateStudy,
  malformed,
} from "../dicom/corpus/generator";

/** Where `npm run fuzz` and the bounded CI run keep their generated files (in .gitignore). */
export const FUZZ_DIR = join(__dirname, "..", "..", ".fuzz");

/**
 * Writes the seed files into `dir` and returns their names (about 50 small files). Files already
 * there with the same bytes are left alone and others removed, so runs sharing the folder do not
 * disturb each other. The seeds: the varied corpus (CT, MR, US, SC and SR; explicit, implicit and
 * encapsulated JPEG; UTF-8, Latin-1 and ISO 2022; files without preamble; multi-frame), the
 * malformed cases (truncated, not DICOM, wrong lengths, big endian, deflated), short CT series, a
 * native multi-frame Enhanced CT, encapsulated single-frame images and a tiny MR image.
 */
export function writeSeeds(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, Buffer>();
  const add = (name: string, bytes: Buffer) => {
    if (out.has(name) || /[\\/]/.test(name)) throw new Error(`seed name ${name} is not unique`);
    out.set(name, bytes);
  };

  for (const f of generateCorpus(4242).files) add(`corpus-${f.name}`, f.bytes);
  for (const m of malformed(4243)) add(`malformed-${m.name}`, m.bytes);
  for (const syntax of ["explicit", "implicit"] as const) {
    const series = generateCtSeries({
      slices: 2,
      rows: 8,
      columns: 8,
      seed: 4244,
      transferSyntax: syntax,
    });
    for (const f of series.files) add(`ct-series-${syntax}-${f.name}`, f.bytes);
  }
  const encapsulated = generateStudy({
    seed: 4245,
    modality: "CT",
    seriesPerStudy: 1,
    instancesPerSeries: 2,
    rows: 8,
    columns: 8,
    transferSyntax: "encapsulated",
    namePrefix: "encapsulated-",
  });
  for (const f of encapsulated.files) add(`ct-${f.name}`, f.bytes);
  const mrSmall = generateStudy({
    seed: 4246,
    modality: "MR",
    seriesPerStudy: 1,
    instancesPerSeries: 1,
    rows: 4,
    columns: 4,
    namePrefix: "mr-small-",
  });
  for (const f of mrSmall.files) add(f.name, f.bytes);

  // generateMultiframe streams to a path: write it to a scratch folder, then keep its bytes.
  const scratch = join(dir, `.scratch-${process.pid}`);
  for (const syntax of ["explicit", "implicit"] as const) {
    const path = join(scratch, `multiframe-${syntax}.dcm`);
    generateMultiframe({
      path,
      frames: 3,
      rows: 4,
      columns: 4,
      seed: 4247,
      transferSyntax: syntax,
    });
    add(`multiframe-${syntax}.dcm`, readFileSync(path));
  }
  rmSync(scratch, { recursive: true, force: true });

  const names = new Set(out.keys());
  for (const f of readdirSync(dir)) {
    if (!names.has(f) && !f.startsWith(".scratch-") && !f.endsWith(".tmp"))
      rmSync(join(dir, f), { force: true });
  }
  for (const [name, bytes] of out) {
    const path = join(dir, name);
    if (existsSync(path) && readFileSync(path).equals(bytes)) continue;
    writeFileSync(`${path}.${process.pid}.tmp`, bytes);
    renameSync(`${path}.${process.pid}.tmp`, path);
  }
  return [...names].sort();
}

if (require.main === module) {
  const dir = process.argv[2] ?? join(FUZZ_DIR, "seeds");
  const names = writeSeeds(dir);
  process.stderr.write(`[fuzz] ${names.length} seed files in ${dir}\n`);
}
