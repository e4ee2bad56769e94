#!/usr/bin/env bash
# Every test suite, in the order a failure is cheapest to find:
# types → unit and database tests (vitest, real SQLite and PostgreSQL) → training tests (pytest)
# → production build → end-to-end in a real browser (Playwright + Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/prepare.sh
echo "== typecheck"; npx tsc --noEmit
echo "== vitest"; npx vitest run
if [ -d training/tests ]; then
  echo "== pytest"; training/.venv/bin/python -m pytest training/tests -q
fi
echo "== build"; npx next build
echo "== playwright"; npx playwright test
