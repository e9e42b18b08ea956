"""AWS Encryption SDK for Python on imgsec packages, for test/crypto/interop.test.ts.

  esdk_interop.py decrypt --key-id ID --in PACKAGE --out PLAINTEXT
      prints {"algorithm_id", "frame_length", "encryption_context", "data_keys"} as JSON
  esdk_interop.py encrypt --key-id ID --in PLAINTEXT --out PACKAGE --context JSON
                          [--suite signed|unsigned|legacy-signed] [--frame-length N]

The wrapping key is the key file's AES-256 encryption key as a raw master key (provider
"imgsec-local", key id = the key's public id), read as one base64 line from standard input: it is
never an argument, never written anywhere and never printed. Commitment policy: require
(encrypt and decrypt), except --suite legacy-signed, which writes a non-committing message
(0x0378) on purpose so that imgsec's refusal of it can be tested. Errors: one line on stderr, exit 1.
"""

import argparse
import base64
import json
import logging
import os
import sys

import aws_encryption_sdk
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.identifiers import Algorithm, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKey

PROVIDER_ID = "imgsec-local"
SUITES = {
    "signed": (Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, True),
    "unsigned": (Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, True),
    "legacy-signed": (Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384, False),
}
CHUNK = 1 << 20
# The SDK logs a traceback when a stream fails; the one-line error below is all we print.
logging.getLogger("aws_encryption_sdk").addHandler(logging.NullHandler())


def master_key(key_id):
    line = sys.stdin.readline().strip()
    material = base64.b64decode(line, validate=True)
    if len(material) != 32:
        raise ValueError("the wrapping key on standard input is not 32 bytes")
    return RawMasterKey(
        provider_id=PROVIDER_ID,
        key_id=key_id.encode("utf-8"),
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=material,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )


def client(committing=True):
    return aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
        if committing
        else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
        max_encrypted_data_keys=16,
    )


def decrypt(args):
    key = master_key(args.key_id)
    with open(args.input, "rb") as src, open(args.output, "wb") as out:
        with client().stream(mode="d", source=src, key_provider=key) as dec:
            for chunk in dec:
                out.write(chunk)
            header = dec.header
    print(
        json.dumps(
            {
                "algorithm_id": header.algorithm.algorithm_id,
                "frame_length": header.frame_length,
                "encryption_context": header.encryption_context,
                "data_keys": [
                    {"provider_id": k.key_provider.provider_id} for k in header.encrypted_data_keys
                ],
            },
            sort_keys=True,
        )
    )


def encrypt(args):
    key = master_key(args.key_id)
    algorithm, committing = SUITES[args.suite]
    context = json.loads(args.context)
    with open(args.input, "rb") as src, open(args.output, "wb") as out:
        with client(committing).stream(
            mode="e",
            source=src,
            key_provider=key,
            encryption_context=context,
            algorithm=algorithm,
            frame_length=args.frame_length,
        ) as enc:
            for chunk in enc:
                out.write(chunk)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["decrypt", "encrypt"])
    p.add_argument("--key-id", required=True)
    p.add_argument("--in", dest="input", required=True)
    p.add_argument("--out", dest="output", required=True)
    p.add_argument("--context", default="{}")
    p.add_argument("--suite", choices=sorted(SUITES), default="signed")
    p.add_argument("--frame-length", type=int, default=CHUNK)
    args = p.parse_args()
    try:
        (decrypt if args.mode == "decrypt" else encrypt)(args)
    except Exception as e:  # one line, no traceback: messages name no key material
        if os.path.exists(args.output):
            os.remove(args.output)
        print(f"esdk_interop: {args.mode} failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
