#!/usr/bin/env bash
# Quick start entry point (see README):
#   ./run.sh main   the project's main job on the embedded default inventory
#   ./run.sh test   the whole test suite
# Each installs what it needs (Debian packages, .venv) and is safe to rerun.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

VENV=.venv
STAMP=$VENV/.installed

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_system_packages() {
    local missing=()
    while read -r pkg; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done < scripts/apt-packages.txt
    if ((${#missing[@]})); then
        if [[ $EUID -ne 0 ]]; then
            echo "missing Debian packages: ${missing[*]}; run as root or install them" >&2
            exit 3
        fi
        log "installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# pip without its notice about the venv's location; a failed install stops the run
# (pipefail: pip's status counts, the filter's "nothing left" does not)
pip_install() {
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
        | { grep -v '^WARNING: Location' || true; }
}

ensure_venv() {
    local want
    want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
    if [[ -f $STAMP && "$(cat "$STAMP")" == "$want" && -x $VENV/bin/spbe ]]; then
        return
    fi
    log "installing Python dependencies into $VENV (pinned by constraints.txt)"
    [[ -x $VENV/bin/python ]] || /usr/bin/python3 -m venv "$VENV"
    pip_install --upgrade "pip>=24"
    PIP_CONSTRAINT=constraints.txt pip_install -e '.[dev]'
    "$VENV/bin/spbe" --version >/dev/null
    echo "$want" > "$STAMP"
}

# A plan's headings (resources, policy violations, changes) when it is clean; the whole
# report when it finds something.
plan_stack() {
    local report status=0
    report=$("$VENV/bin/spbe" plan "$@") || status=$?
    if ((status == 0)); then
        grep -E '^#' <<<"$report"
    else
        printf '%s\n' "$report"
        return "$status"
    fi
}

main_job() {
    local spbe=$VENV/bin/spbe
    log "validate the inventory"
    "$spbe" validate
    log "check the IP plan lock"
    "$spbe" ipam --check --format csv >/dev/null
    log "check the rendered device configs are current and compliant"
    "$spbe" render --check
    "$spbe" comply --configs >/dev/null
    log "plan the Pulumi stacks offline (policy pack, diff against the committed snapshots)"
    plan_stack --stack primary --diff-against infra/snapshots/primary.json
    plan_stack --stack drc --reference infra/snapshots/primary.json \
        --diff-against infra/snapshots/drc.json
    log "bring the embedded lab up (CI-sized), verify it, tear it down"
    "$spbe" lab up
    # verify's failure must still tear the lab down; its exit code decides the job
    local verified=0
    "$spbe" lab verify || verified=$?
    "$spbe" lab down
    ((verified == 0)) || exit "$verified"
    log "main job finished"
}

run_tests() {
    "$VENV/bin/python" -m pytest -n 2 "$@"
}

case "${1:-}" in
    main) ensure_system_packages; ensure_venv; main_job ;;
    test) shift; ensure_system_packages; ensure_venv; run_tests "$@" ;;
    *) echo "usage: $0 main | test [pytest args]" >&2; exit 2 ;;
esac
