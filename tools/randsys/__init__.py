"""tools/randsys: random valid systems, built, booted and checked (README.md)."""
