/** The AWS Encryption SDK algorithm suites (message format spec), by id. */
export interface SuiteInfo {
  name: string;
  /** Message format version the suite is written in. */
  version: 1 | 2;
  committing: boolean;
  /** ECDSA curve and hash of the message signature, for signed suites. */
  signature?: { curve: "P-256" | "P-384"; hash: "sha256" | "sha384" };
  ivLength: number;
  tagLength: number;
  /** Length of the algorithm suite data in a v2 header (the key commitment). */
  suiteDataLength: number;
}

const v1 = (name: string, signature?: SuiteInfo["signature"]): SuiteInfo => ({
  name,
  version: 1,
  committing: false,
  signature,
  ivLength: 12,
  tagLength: 16,
  suiteDataLength: 0,
});

export const SUITES: Record<number, SuiteInfo> = {
  0x0014: v1("ALG_AES128_GCM_IV12_TAG16"),
  0x0046: v1("ALG_AES192_GCM_IV12_TAG16"),
  0x0078: v1("ALG_AES256_GCM_IV12_TAG16"),
  0x0114: v1("ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256"),
  0x0146: v1("ALG_AES192_GCM_IV12_TAG16_HKDF_SHA256"),
  0x0178: v1("ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256"),
  0x0214: v1("ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256", {
    curve: "P-256",
    hash: "sha256",
  }),
  0x0346: v1("ALG_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", {
    curve: "P-384",
    hash: "sha384",
  }),
  0x0378: v1("ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", {
    curve: "P-384",
    hash: "sha384",
  }),
  0x0478: {
    name: "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY",
    version: 2,
    committing: true,
    ivLength: 12,
    tagLength: 16,
    suiteDataLength: 32,
  },
  0x0578: {
    name: "ALG_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
    version: 2,
    committing: true,
    signature: { curve: "P-384", hash: "sha384" },
    ivLength: 12,
    tagLength: 16,
    suiteDataLength: 32,
  },
};

/** Committing and signed: anyone can check a package's integrity without a key. The default. */
export const SIGNED_SUITE = 0x0578;
/** Committing, unsigned: faster; integrity then needs the key (decrypt) to check. */
export const UNSIGNED_SUITE = 0x0478;
