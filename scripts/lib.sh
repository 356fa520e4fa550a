# shellcheck shell=bash
# Shared by scripts/dev.sh and scripts/test.sh: installs the Python tools and runs moto.

ensure_python_tools() {
  # $@: the commands/modules that must exist; installs requirements-dev.txt when one is missing.
  local missing=0
  python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null || missing=1
  for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing=1; done
  if [ "$missing" = 1 ]; then
    echo "installing Python tools from requirements-dev.txt" >&2
    python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_moto PORT LOGFILE: starts moto's server on loopback and waits until it answers.
start_moto() {
  local port=$1 log=$2
  python3 scripts/moto_serial.py -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto failed to start; see $log" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "moto did not answer on port $port" >&2
  return 1
}
