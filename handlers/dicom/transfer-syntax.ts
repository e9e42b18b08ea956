/**
 * The transfer syntaxes the engine reads and writes. An output's Transfer Syntax UID is the one
 * its data set is written in: the input's for the syntaxes below that the writer produces (native
 * little endian and encapsulated), Explicit VR Little Endian for big endian and deflated input.
 * It is only ever taken from these lists: a syntax the reader does not know could mean a byte
 * layout it misreads, and the output would then claim something that does not hold.
 */
export const IMPLICIT_LE = "1.2.840.10008.1.2";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const DEFLATED_LE = "1.2.840.10008.1.2.1.99";
export const EXPLICIT_BE = "1.2.840.10008.1.2.2";

/** Native (uncompressed) pixel data, written as read: Pixel Data has a defined length. */
export const NATIVE_SYNTAXES: Readonly<Record<string, string>> = {
  [IMPLICIT_LE]: "Implicit VR Little Endian",
  [EXPLICIT_LE]: "Explicit VR Little Endian",
};

/**
 * Read, and written as Explicit VR Little Endian: big endian values (pixel data included) are
 * swapped, a deflated data set is inflated (into memory, up to a bound: inflate.ts).
 */
export const CONVERTED_SYNTAXES: Readonly<Record<string, string>> = {
  [EXPLICIT_BE]: "Explicit VR Big Endian (retired)",
  [DEFLATED_LE]: "Deflated Explicit VR Little Endian",
};

/**
 * Encapsulated pixel data (PS3.5 A.4): explicit VR little endian data set, Pixel Data of undefined
 * length split into items. The engine never decodes the fragments; it copies them byte for byte.
 */
export const ENCAPSULATED_SYNTAXES: Readonly<Record<string, string>> = {
  "1.2.840.10008.1.2.1.98": "Encapsulated Uncompressed Explicit VR Little Endian",
  "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
  "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
  "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
  "1.2.840.10008.1.2.4.70": "JPEG Lossless, Non-Hierarchical, First-Order Prediction (SV1)",
  "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 (Lossless Only)",
  "1.2.840.10008.1.2.4.91": "JPEG 2000",
  "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component (Lossless Only)",
  "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component",
  "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
  "1.2.840.10008.1.2.4.100.1": "Fragmentable MPEG2 Main Profile / Main Level",
  "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
  "1.2.840.10008.1.2.4.101.1": "Fragmentable MPEG2 Main Profile / High Level",
  "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.102.1": "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.103.1": "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile",
  "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
  "1.2.840.10008.1.2.4.104.1": "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D",
  "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
  "1.2.840.10008.1.2.4.105.1": "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D",
  "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
  "1.2.840.10008.1.2.4.106.1": "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
  "1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile / Level 5.1",
  "1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile / Level 5.1",
  "1.2.840.10008.1.2.4.110": "JPEG XL Lossless",
  "1.2.840.10008.1.2.4.111": "JPEG XL JPEG Recompression",
  "1.2.840.10008.1.2.4.112": "JPEG XL",
  "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
  "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
  "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
  "1.2.840.10008.1.2.5": "RLE Lossless",
};

// Known, and refused with their own reason: the pixel data of JPIP syntaxes is not in the file
// but behind a URL (Pixel Data Provider URL), and the deflated JPIP one is deflated as well.
const REFERENCED = new Set([
  "1.2.840.10008.1.2.4.94",
  "1.2.840.10008.1.2.4.95",
  "1.2.840.10008.1.2.4.204",
  "1.2.840.10008.1.2.4.205",
]);

/** Fixed reasons (never the value read): what deidentify and inspect report. */
export const SYNTAX_REASONS = {
  encodingMismatch: "data set is not encoded as its transfer syntax says",
  bigEndianByteStream: "big endian pixel data of more than 8 bits is not OW",
  bigEndianWide: "big endian pixel data of more than 16 bits allocated is not supported",
  referenced: "referenced pixel data (JPIP transfer syntax) is not supported",
  unknown: "transfer syntax is not one imgsec supports",
  nativeEncapsulated: "encapsulated pixel data under an uncompressed transfer syntax",
  encapsulatedNative: "pixel data is not encapsulated as its transfer syntax requires",
} as const;

/** The reason a transfer syntax is refused, or null for one the engine reads. */
export function transferSyntaxProblem(uid: string): string | null {
  if (isWrittenSyntax(uid) || Object.hasOwn(CONVERTED_SYNTAXES, uid)) return null;
  if (REFERENCED.has(uid)) return SYNTAX_REASONS.referenced;
  return SYNTAX_REASONS.unknown;
}

export const isEncapsulatedSyntax = (uid: string): boolean =>
  Object.hasOwn(ENCAPSULATED_SYNTAXES, uid);

/** A syntax the writer produces, the only ones an output's Transfer Syntax UID may name. */
export const isWrittenSyntax = (uid: string): boolean =>
  Object.hasOwn(NATIVE_SYNTAXES, uid) || Object.hasOwn(ENCAPSULATED_SYNTAXES, uid);
