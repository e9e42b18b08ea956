"use strict";
// The reference for package encryption and decryption, run as a whole process as `imgsec encrypt`
// and `imgsec decrypt` are (bench/packages.js times both with hyperfine): plain streaming
// AES-256-GCM from node:crypto, file to file, fsync'ed before exit.
//
//   node bench/aes-gcm-ref.js encrypt <in> <out>   fresh random key and IV, one for the whole
//                                                   file; <out> = ciphertext then the 16-byte tag;
//                                                   key and IV in <out>.key (a benchmark's
//                                                   throw-away key)
//   node bench/aes-gcm-ref.js decrypt <in> <out>   the reverse; fails if the tag does not verify
//
// 1 MiB reads and writes: on the machine of bench/results.md this did as well as 4 MiB and better
// than the 64 KiB default, so imgsec is held against a good plain streaming encryptor.
const { createCipheriv, createDecipheriv, randomBytes } = require("node:crypto");
const { createReadStream, createWriteStream, promises: fsp } = require("node:fs");
const { pipeline } = require("node:stream/promises");

const CHUNK = 1 << 20;
const TAG = 16;

async function fsync(path, extra) {
  const fh = await fsp.open(path, "a");
  try {
    if (extra) await fh.write(extra);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function encrypt(input, output) {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  await pipeline(
    createReadStream(input, { highWaterMark: CHUNK }),
    cipher,
    createWriteStream(output, { flags: "wx", highWaterMark: CHUNK }),
  );
  await fsync(output, cipher.getAuthTag());
  await fsp.writeFile(`${output}.key`, Buffer.concat([key, iv]), { mode: 0o600 });
  key.fill(0);
}

async function decrypt(input, output) {
  const secret = await fsp.readFile(`${input}.key`);
  const { size } = await fsp.stat(input);
  const fh = await fsp.open(input, "r");
  const tag = Buffer.alloc(TAG);
  try {
    await fh.read(tag, 0, TAG, size - TAG);
  } finally {
    await fh.close();
  }
  const decipher = createDecipheriv("aes-256-gcm", secret.subarray(0, 32), secret.subarray(32));
  decipher.setAuthTag(tag);
  await pipeline(
    createReadStream(input, { highWaterMark: CHUNK, end: size - TAG - 1 }),
    decipher,
    createWriteStream(output, { flags: "wx", highWaterMark: CHUNK }),
  );
  await fsync(output);
  secret.fill(0);
}

const [mode, input, output] = process.argv.slice(2);
const run = mode === "encrypt" ? encrypt : mode === "decrypt" ? decrypt : null;
if (!run || !input || !output) {
  process.stderr.write("usage: node bench/aes-gcm-ref.js encrypt|decrypt <in> <out>\n");
  process.exitCode = 2;
} else {
  run(input, output).catch((e) => {
    process.stderr.write(`aes-gcm-ref ${mode}: ${e.message}\n`);
    process.exitCode = 1;
  });
}
