"""Content and perceptual hashes for duplicate grouping."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import imagehash

from ella_dagster.domain.pages import load_pages

# A perceptual-hash distance under this only proposes a near-duplicate candidate: different W-2s
# on one template hash 0-2 bits apart, so a candidate is confirmed by type and key fields later.
NEAR_DUPLICATE_BITS = 10


@dataclass(frozen=True)
class DocumentHashes:
    sha256: str
    phash: str  # 64-bit perceptual hash of the first page, 16 hex digits


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compute_hashes(data: bytes, mime_type: str) -> DocumentHashes:
    first_page = load_pages(data, mime_type, first_only=True, dpi=72)[0]
    return DocumentHashes(sha256_hex(data), str(imagehash.phash(first_page.image)))


def hamming(phash_a: str, phash_b: str) -> int:
    return bin(int(phash_a, 16) ^ int(phash_b, 16)).count("1")
