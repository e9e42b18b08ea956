/** The producing version written into every package's context (test: equals package.json). */
export const IMGSEC_VERSION = "0.1.0";
export const PRODUCER = `imgsec/${IMGSEC_VERSION}`;
