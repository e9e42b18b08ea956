"use strict";
/**
 * Preloaded (node --require) into the Jazzer.js process by test/fuzz/jazzer.ts.
 *
 * The linux-x64 libFuzzer addon that @jazzer.js/fuzzer 4.0.0 ships was linked against glibc 2.38
 * and GCC 13's libstdc++; Debian 12 (this project's machines) has glibc 2.36 and GCC 12, so
 * loading it fails with "version `GLIBC_2.38' not found". It needs from the newer libraries only:
 *
 *   __isoc23_strtol, __isoc23_strtoul (GLIBC_2.38): C23's strtol/strtoul, which differ from the
 *     C99 functions only in also accepting a "0b" prefix (libFuzzer parses its numeric flags
 *     with them);
 *   _ZSt21ios_base_library_initv (GLIBCXX_3.4.32): a marker GCC 13's <iostream> references so
 *     the linker keeps iostream's initialisation; it has no relocation and is never called.
 *
 * Only when the addon fails to load for a missing GLIBC/GLIBCXX version, this writes a copy into
 * .fuzz/native/ whose dynamic section binds the C23 names to strtol/strtoul@GLIBC_2.2.5, makes the
 * never-bound marker a weak symbol, and marks version requirements that no relocated symbol needs
 * any more as weak (glibc then does not insist on them), and loads that copy. The package in
 * node_modules is never modified. On a system with glibc >= 2.38 this does nothing.
 */
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { join } = require("node:path");

const ADDON = /[\\/]@jazzer\.js[\\/]fuzzer[\\/]prebuilds[\\/]fuzzer-linux-x64\.node$/;
const MISSING_VERSION = /version `(GLIBC|GLIBCXX)_[0-9.]+' not found/;
const OUT_DIR =
  process.env.IMGSEC_FUZZ_NATIVE_DIR || join(__dirname, "..", "..", ".fuzz", "native");

const SHT_RELA = 4;
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const VER_FLG_WEAK = 0x2;
const STB_WEAK = 2;

/** The patched ELF image (little endian ELF64 only), or throws saying why not. */
function patch(original) {
  const b = Buffer.from(original);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new Error("not a little endian ELF64 file");
  }
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const sections = [];
  for (let i = 0; i < b.readUInt16LE(0x3c); i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: b.readUInt32LE(o + 4),
      offset: Number(b.readBigUInt64LE(o + 0x18)),
      size: Number(b.readBigUInt64LE(o + 0x20)),
      link: b.readUInt32LE(o + 0x28),
      info: b.readUInt32LE(o + 0x2c),
      entsize: Number(b.readBigUInt64LE(o + 0x38)),
    });
  }
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (!dynsym || !versym || !verneed) throw new Error("no versioned dynamic symbols");
  const dynstr = sections[dynsym.link];
  const str = (off) => {
    const at = dynstr.offset + off;
    return b.toString("latin1", at, b.indexOf(0, at));
  };

  // Version requirements: index -> { file, name, at (offset of the Vernaux entry) }.
  const versions = new Map();
  let vn = verneed.offset;
  for (let i = 0; i < verneed.info; i++) {
    const file = str(b.readUInt32LE(vn + 4));
    let va = vn + b.readUInt32LE(vn + 8);
    for (let j = 0; j < b.readUInt16LE(vn + 2); j++) {
      versions.set(b.readUInt16LE(va + 6), { file, name: str(b.readUInt32LE(va + 8)), at: va });
      va += b.readUInt32LE(va + 12);
    }
    vn += b.readUInt32LE(vn + 12);
  }
  const base = [...versions].find(([, v]) => v.file === "libc.so.6" && v.name === "GLIBC_2.2.5");
  if (!base) throw new Error("no GLIBC_2.2.5 requirement to bind the C99 functions to");

  // Symbols some relocation binds (the others are never looked up).
  const relocated = new Set();
  for (const s of sections) {
    if (s.type !== SHT_RELA || sections[s.link] !== dynsym) continue;
    for (let o = s.offset; o < s.offset + s.size; o += s.entsize || 24) {
      relocated.add(Number(b.readBigUInt64LE(o + 8) >> 32n));
    }
  }

  const count = dynsym.size / (dynsym.entsize || 24);
  const nameOffsets = new Set();
  for (let i = 0; i < count; i++) nameOffsets.add(b.readUInt32LE(dynsym.offset + i * 24));
  const needed = new Set(); // version indexes a relocated symbol still needs
  for (let i = 0; i < count; i++) {
    const sym = dynsym.offset + i * 24;
    const nameOff = b.readUInt32LE(sym);
    const name = str(nameOff);
    const vs = versym.offset + 2 * i;
    if (/^__isoc23_strto(l|ul|ll|ull)$/.test(name)) {
      const c99 = name.slice("__isoc23_".length);
      // Written over the start of the old name: no other name may begin inside that span.
      for (let k = 1; k <= c99.length; k++) {
        if (nameOffsets.has(nameOff + k)) throw new Error(`${name} shares its name bytes`);
      }
      b.write(`${c99}\0`, dynstr.offset + nameOff, "latin1");
      b.writeUInt16LE(base[0], vs);
    } else if (b.readUInt16LE(sym + 6) === 0 && !relocated.has(i) && b.readUInt16LE(vs) > 1) {
      b[sym + 4] = (STB_WEAK << 4) | (b[sym + 4] & 0xf); // undefined, never bound: weak
      continue;
    }
    if (relocated.has(i)) needed.add(b.readUInt16LE(vs) & 0x7fff);
  }
  for (const [index, v] of versions) {
    if (!needed.has(index)) b.writeUInt16LE(b.readUInt16LE(v.at + 4) | VER_FLG_WEAK, v.at + 4);
  }
  return b;
}

const loadNative = Module._extensions[".node"];
let notified = false;
Module._extensions[".node"] = function loadWithCompat(module, filename) {
  try {
    return loadNative.call(this, module, filename);
  } catch (e) {
    if (!ADDON.test(filename) || !MISSING_VERSION.test(String(e && e.message))) throw e;
    const original = readFileSync(filename);
    const digest = createHash("sha256").update(original).digest("hex").slice(0, 16);
    const copy = join(OUT_DIR, `fuzzer-linux-x64-${digest}.node`);
    if (!existsSync(copy)) {
      mkdirSync(OUT_DIR, { recursive: true });
      // A temporary name of this process's own: the fuzz targets start at once, and each may
      // patch the addon; the renames then race harmlessly (same bytes), never on one tmp file.
      const tmp = `${copy}.${process.pid}.tmp`;
      writeFileSync(tmp, patch(original));
      renameSync(tmp, copy);
    }
    if (!notified && process.env.IMGSEC_FUZZ_QUIET !== "1") {
      notified = true;
      process.stderr.write(
        `[fuzz] ${e.message.match(MISSING_VERSION)[0]}: loading the Jazzer.js addon patched for this system's glibc (test/fuzz/native-compat.js)\n`,
      );
    }
    try {
      return loadNative.call(this, module, copy);
    } catch (e2) {
      throw new Error(
        `the Jazzer.js fuzzer addon does not load here (${e.message}), nor its patched copy (${e2.message}); fuzzing needs glibc >= 2.38 or a Jazzer.js build for this system`,
      );
    }
  }
};

module.exports = { patch };
