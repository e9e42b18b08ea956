"use strict";
// The comparison point: dcmjs's own anonymizer (cleanTags) over every file of a folder, the way a
// dcmjs user would do it: parse the whole file (pixel data included), clean, write.
const { mkdirSync, readdirSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const dcmjs = require("dcmjs");

const [input, output] = process.argv.slice(2);
mkdirSync(output, { recursive: true });
for (const name of readdirSync(input)) {
  const bytes = readFileSync(join(input, name));
  const dict = dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  dcmjs.anonymizer.cleanTags(dict.dict);
  writeFileSync(join(output, name), Buffer.from(dict.write()));
}
