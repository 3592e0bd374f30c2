# Sourced by run.sh and test.sh: installs what is missing, then starts and stops the private
# PostgreSQL cluster, Redis and the SQS emulator of one profile ("run" or "test"), each on its own
# port with its state under .local/<profile>/, never the system services.
# Callers set PROFILE, PG_PORT, REDIS_PORT and SQS_PORT before calling start_services.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR="$ROOT/.local/$PROFILE"
PG_USER=lambdarecon
PG_DB=lambdarecon

log() { printf '[%s] %s\n' "$PROFILE" "$*" >&2; }
die() { log "error: $*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

# Installs the missing system packages when root; otherwise names exactly what to install.
ensure_prerequisites() {
  local missing=()
  [ -n "$(pg_bin_dir)" ] && command -v psql >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  # The report page is tested in a real browser: only the test profile needs it.
  [ "$PROFILE" = run ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    if is_root; then
      log "installing ${missing[*]} with apt-get"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
    else
      die "missing: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]} (or run this script as root)"
    fi
  fi
  command -v dotnet >/dev/null || die "the .NET 10 SDK is missing: see https://learn.microsoft.com/dotnet/core/install/linux-debian"
  if [ ! -d "$ROOT/tools/sqs-emulator/node_modules/local-aws-sqs" ] \
     || [ "$ROOT/tools/sqs-emulator/package-lock.json" -nt "$ROOT/tools/sqs-emulator/node_modules/.package-lock.json" ]; then
    log "npm ci in tools/sqs-emulator"
    (cd "$ROOT/tools/sqs-emulator" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in tools/sqs-emulator failed"
  fi
}

# PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_dir() {
  local dir="$STATE_DIR/pg"
  if is_root; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    mkdir -p "$dir" && chown postgres: "$dir"
    # A clone in a folder the postgres user cannot reach (under /root, say) keeps its cluster in /var/tmp.
    if ! runuser -u postgres -- test -w "$dir"; then
      dir="/var/tmp/lambdarecon-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)-$PROFILE/pg"
      mkdir -p "$dir" && chown -R postgres: "$(dirname "$dir")"
    fi
  else
    mkdir -p "$dir"
  fi
  echo "$dir"
}

# Resolved once at start: the stop path runs inside an exit trap and should do as little as it can.
start_postgres() {
  local bin dir; bin=$(pg_bin_dir); dir=$(pg_dir)
  PG_BIN=$bin PG_HOME=$dir
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    as_pg rm -rf "$dir/data"
    as_pg "$bin/initdb" -D "$dir/data" -U "$PG_USER" --auth=trust --encoding=UTF8 --locale=C >"$STATE_DIR/initdb.log" 2>&1 \
      || die "initdb failed: see $STATE_DIR/initdb.log"
  fi
  # A server left by a crashed or killed run is stopped first, so every start is the same start.
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
  fi
  ensure_port_free "$PG_PORT" PostgreSQL
  as_pg tee "$dir/data/pg_hba.conf" >/dev/null <<'HBA'
host all +lambdarecon_password_login 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' ${PG_EXTRA_OPTIONS:-}" >/dev/null \
    || die "PostgreSQL did not start on port $PG_PORT: see $dir/server.log"
  PG_DATA="$dir/data"
  psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 \
    || psql_admin -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
  # Members of this role must log in with a password (pg_hba.conf above): how the database-secret
  # rotation is tried locally. Everyone else is trusted on 127.0.0.1.
  psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'lambdarecon_password_login'" | grep -q 1 \
    || psql_admin -d postgres -c "CREATE ROLE lambdarecon_password_login NOLOGIN" >/dev/null
  log "PostgreSQL on 127.0.0.1:$PG_PORT (data in $dir/data)"
}

# The schema comes from migrations/ through the same runner a deploy uses (./run.sh migrate).
migrate_database() {
  dotnet "$1" migrate >&2 || die "the migrations failed (see above)"
}

psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -q "$@"; }

stop_postgres() {
  [ -n "${PG_HOME:-}" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PG_HOME/data" stop -m fast >/dev/null 2>&1 || true
}

# True when the process a pid file names is alive.
# A zombie (killed, not yet reaped by its new parent) answers kill -0 but is gone: state Z is not alive.
pidfile_alive() {
  local pid
  [ -f "$1" ] && pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# Kills the process a pid file names, if it is still alive (a leftover of a killed run).
kill_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null)
  if pidfile_alive "$file"; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do pidfile_alive "$file" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# Fails, naming the port and (when ss can tell) the process, if anything listens on it: our own leftovers
# are stopped through their pid files before this runs, so a listener here is not ours, and a second copy
# must never take another copy's (or the system's) Redis, queue or database for its own.
ensure_port_free() {
  local port=$1 what=$2 holder
  reserve_port "$port"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 0
  holder=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:((.*))' | head -n 1)
  die "port $port, wanted for $what, is taken by a process that is not ours${holder:+: $holder}. Stop it, or give this copy other ports (LAMBDARECON_PG_PORT, LAMBDARECON_REDIS_PORT, LAMBDARECON_SQS_PORT, PORT; for ./test.sh LAMBDARECON_TEST_*_PORT)"
}

# Our ports lie in Linux's ephemeral range (32768-60999), where the kernel may give one to any outgoing
# connection as its local port, which then keeps a server from binding it ("Address already in use" with
# nothing listening). Reserved, it is handed to no client. Root only; elsewhere a clash stays possible.
reserve_port() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports current
  is_root && [ -w "$file" ] || return 0
  current=$(cat "$file" 2>/dev/null) || return 0
  [[ ",$current," == *",$1,"* ]] && return 0
  echo "${current:+$current,}$1" >"$file" 2>/dev/null || true
}

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$what did not open port $port"
}

start_redis() {
  kill_pidfile "$STATE_DIR/redis.pid"
  ensure_port_free "$REDIS_PORT" Redis
  # No persistence: Redis is a cache here, and a restart must start empty.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" --dir "$STATE_DIR" \
    || die "Redis did not start: see $STATE_DIR/redis.log"
  wait_for_port "$REDIS_PORT" Redis
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

start_sqs() {
  kill_pidfile "$STATE_DIR/sqs.pid"
  ensure_port_free "$SQS_PORT" "the SQS emulator"
  node "$ROOT/tools/sqs-emulator/server.mjs" --port "$SQS_PORT" >"$STATE_DIR/sqs.log" 2>&1 &
  echo $! >"$STATE_DIR/sqs.pid"
  wait_for_port "$SQS_PORT" "the SQS emulator"
  log "SQS emulator on 127.0.0.1:$SQS_PORT (queues from tools/sqs-emulator/queues.json)"
}

start_services() {
  mkdir -p "$STATE_DIR"
  ensure_prerequisites
  start_postgres
  start_redis
  start_sqs
  export_service_environment
}

# What the engine reads to find this profile's services.
export_service_environment() {
  export DATABASE_URL="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Database=$PG_DB"
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$SQS_PORT"
  export QUEUE_URL="$AWS_ENDPOINT_URL_SQS/000000000000/transactions.fifo"
  export DLQ_URL="$AWS_ENDPOINT_URL_SQS/000000000000/transactions-dlq.fifo"
  export WEBHOOK_QUEUE_URL="$AWS_ENDPOINT_URL_SQS/000000000000/webhook-events.fifo"
  # The emulator also answers Parameter Store's GetParameter, for secrets read at run time.
  export AWS_ENDPOINT_URL_SSM="$AWS_ENDPOINT_URL_SQS"
  export AWS_REGION=${AWS_REGION:-us-east-1}
  # The emulator checks no signature, but the SDK signs every request and needs some credentials.
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
}

stop_services() {
  kill_pidfile "$STATE_DIR/sqs.pid"
  kill_pidfile "$STATE_DIR/redis.pid"
  stop_postgres
}
